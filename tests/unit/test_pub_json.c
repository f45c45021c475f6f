/*
 * test_pub_json.c - the telemetry and status documents: each is parsed back with jansson and
 * checked field by field, plus the literal text where the printing of numbers matters.
 *
 * The config is built by hand: one meter profile with a float32 and scaled integer points,
 * two devices on it.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "cfg/cfg.h"
#include "pub/pub_json.h"
#include "source/sample.h"

/* 2026-11-23T18:40:00.123+08:00 */
#define T0 1795430400.123

enum { P_V_L1, P_I_L1, P_T_DELTA, P_E_TOTAL, P_F, NPOINTS };

static struct cfg_point points[NPOINTS];
static struct cfg_profile profile;
static struct cfg_device devices[2];
static struct rw_config cfg;

static void
add_point(int i, const char *name, const char *unit, enum cfg_dtype type, double scale,
          double offset)
{
    struct cfg_point *pt = &points[i];

    memset(pt, 0, sizeof(*pt));
    snprintf(pt->name, sizeof(pt->name), "%s", name);
    snprintf(pt->unit, sizeof(pt->unit), "%s", unit);
    pt->fc = 4;
    pt->address = 2 * i;
    pt->type = type;
    pt->scale = scale;
    pt->offset = offset;
    pt->min = -INFINITY;
    pt->max = INFINITY;
}

static int
setup(void **state)
{
    (void)state;
    add_point(P_V_L1, "v_l1", "V", CFG_T_FLOAT32, 1.0, 0.0);
    add_point(P_I_L1, "i_l1", "A", CFG_T_UINT16, 0.1, 0.0);
    add_point(P_T_DELTA, "t_delta", "°C", CFG_T_UINT16, 0.01, -273.15); /* register in 0.01 K */
    add_point(P_E_TOTAL, "e_total", "kWh", CFG_T_UINT32, 0.01, 0.0);
    add_point(P_F, "freq", "Hz", CFG_T_FLOAT32, 1.0, 0.0);

    memset(&profile, 0, sizeof(profile));
    snprintf(profile.name, sizeof(profile.name), "test-meter");
    profile.npoints = NPOINTS;
    profile.points = points;

    memset(devices, 0, sizeof(devices));
    snprintf(devices[0].id, sizeof(devices[0].id), "meter1");
    snprintf(devices[0].kind, sizeof(devices[0].kind), "meter");
    snprintf(devices[1].id, sizeof(devices[1].id), "meter2");
    snprintf(devices[1].kind, sizeof(devices[1].kind), "meter");
    devices[0].interval = devices[1].interval = 10.0;

    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.site.id, sizeof(cfg.site.id), "hq");
    snprintf(cfg.site.gateway, sizeof(cfg.site.gateway), "gw1");
    cfg.ndevices = 2;
    cfg.devices = devices;
    cfg.nprofiles = 1;
    cfg.profiles = &profile;

    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    return 0;
}

static struct sample
mk(uint32_t dev, uint32_t point, double value, enum rw_quality q)
{
    struct sample s;

    memset(&s, 0, sizeof(s));
    s.device = dev;
    s.point = point;
    s.cycle = 42;
    s.wall = T0;
    s.mono = 1000.0;
    s.value = value;
    s.quality = (uint16_t)q;
    return s;
}

/* Builds the telemetry of device 0, keeps the text in *text, returns the parsed document. */
static json_t *
telemetry(const struct sample *s, size_t n, char **text)
{
    json_error_t err;
    json_t *doc;

    *text = pub_json_telemetry(&cfg, 0, s, n);
    assert_non_null(*text);
    doc = json_loads(*text, 0, &err);
    if (doc == NULL)
        fail_msg("not JSON (%s): %s", err.text, *text);
    return doc;
}

static json_t *
point(json_t *doc, const char *name)
{
    json_t *p = json_object_get(json_object_get(doc, "points"), name);

    if (p == NULL)
        fail_msg("no point %s", name);
    return p;
}

static void
assert_str(json_t *obj, const char *key, const char *want)
{
    json_t *v = json_object_get(obj, key);

    if (!json_is_string(v))
        fail_msg("%s is not a string", key);
    assert_string_equal(json_string_value(v), want);
}

static void
test_telemetry_good_values(void **state)
{
    /* What the decoders produce: a float32 register, and integer registers times a scale. */
    struct sample s[] = {
        mk(0, P_V_L1, (double)230.1f, RW_Q_GOOD),
        mk(0, P_I_L1, 305 * 0.1, RW_Q_GOOD),
        mk(0, P_E_TOTAL, 4294967295.0 * 0.01, RW_Q_GOOD),
    };
    char *text;
    json_t *doc;

    (void)state;
    doc = telemetry(s, 3, &text);
    assert_str(doc, "device", "meter1");
    assert_str(doc, "kind", "meter");
    assert_int_equal(json_integer_value(json_object_get(doc, "cycle")), 42);

    assert_true(json_real_value(json_object_get(point(doc, "v_l1"), "value")) == 230.1);
    assert_str(point(doc, "v_l1"), "unit", "V");
    assert_str(point(doc, "v_l1"), "quality", "good");
    assert_true(json_real_value(json_object_get(point(doc, "i_l1"), "value")) == 30.5);
    assert_str(point(doc, "i_l1"), "unit", "A");
    assert_true(json_real_value(json_object_get(point(doc, "e_total"), "value")) == 42949672.95);
    assert_null(json_object_get(point(doc, "v_l1"), "raw"));
    assert_null(json_object_get(point(doc, "v_l1"), "code"));

    /* The text itself, which is what a dashboard shows. */
    assert_non_null(strstr(text, "\"value\":230.1,"));
    assert_non_null(strstr(text, "\"value\":30.5,"));
    assert_non_null(strstr(text, "\"value\":42949672.95,"));
    assert_null(strchr(text, ' ')); /* compact */
    json_decref(doc);
    free(text);
}

static void
test_telemetry_rounding(void **state)
{
    struct sample s[] = {
        /* 273.15 K as 27315 * 0.01 - 273.15: cancels to 5.7e-14 of noise, not to 0. */
        mk(0, P_T_DELTA, 27315 * 0.01 - 273.15, RW_Q_GOOD),
        /* A float32 needing 7 digits, and one whose float is not short at all. */
        mk(0, P_F, (double)12345.67f, RW_Q_GOOD),
        mk(0, P_V_L1, (double)-0.1f, RW_Q_GOOD),
    };
    char *text;
    json_t *doc;

    (void)state;
    doc = telemetry(s, 3, &text);
    assert_true(json_real_value(json_object_get(point(doc, "t_delta"), "value")) == 0.0);
    assert_non_null(strstr(text, "\"t_delta\":{\"value\":0.0,"));
    assert_true(json_real_value(json_object_get(point(doc, "freq"), "value")) == 12345.67);
    assert_non_null(strstr(text, "\"value\":12345.67,"));
    assert_non_null(strstr(text, "\"value\":-0.1,"));
    assert_str(point(doc, "t_delta"), "unit", "°C");
    json_decref(doc);
    free(text);

    /* 273.2 K: 0.050000000000011369 before rounding. */
    s[0].value = 27320 * 0.01 - 273.15;
    doc = telemetry(s, 1, &text);
    assert_true(json_real_value(json_object_get(point(doc, "t_delta"), "value")) == 0.05);
    assert_non_null(strstr(text, "\"value\":0.05,"));
    json_decref(doc);
    free(text);
}

static void
test_telemetry_bad_quality_is_null(void **state)
{
    struct sample s[] = {
        mk(0, P_V_L1, 0.0, RW_Q_TIMEOUT),
        mk(0, P_I_L1, 12.0, RW_Q_EXCEPTION),
        mk(0, P_E_TOTAL, 0.0, RW_Q_IO_ERROR),
        mk(0, P_F, 50.0, RW_Q_DECODE_ERROR),
    };
    char *text;
    json_t *doc;

    (void)state;
    s[1].code = 2; /* illegal data address */
    doc = telemetry(s, 4, &text);
    assert_true(json_is_null(json_object_get(point(doc, "v_l1"), "value")));
    assert_str(point(doc, "v_l1"), "quality", "timeout");
    assert_str(point(doc, "v_l1"), "unit", "V");
    assert_true(json_is_null(json_object_get(point(doc, "i_l1"), "value")));
    assert_str(point(doc, "i_l1"), "quality", "exception");
    assert_int_equal(json_integer_value(json_object_get(point(doc, "i_l1"), "code")), 2);
    assert_true(json_is_null(json_object_get(point(doc, "e_total"), "value")));
    assert_str(point(doc, "e_total"), "quality", "io_error");
    assert_true(json_is_null(json_object_get(point(doc, "freq"), "value")));
    assert_str(point(doc, "freq"), "quality", "decode_error");
    /* Only out_of_range keeps a number. */
    assert_null(json_object_get(point(doc, "i_l1"), "raw"));
    assert_null(json_object_get(point(doc, "freq"), "raw"));
    json_decref(doc);
    free(text);
}

/* SNMP: an enumerated value carries its label; a restart its reset flag; auth_error. */
static void
test_telemetry_snmp_label_reset_auth(void **state)
{
    static struct cfg_enum enums[] = {{3, "normal"}, {5, "battery"}};
    struct cfg_point saved = points[P_I_L1];
    struct sample s[] = {
        mk(0, P_I_L1, 5.0, RW_Q_GOOD),
        mk(0, P_E_TOTAL, 1234.56, RW_Q_GOOD),
        mk(0, P_F, 0.0, RW_Q_AUTH_ERROR),
    };
    char *text;
    json_t *doc;

    (void)state;
    points[P_I_L1].nenum = 2;
    points[P_I_L1].enum_first = 0;
    points[P_I_L1].scale = 1.0;
    profile.enums = enums;
    profile.nenums = 2;
    s[1].flags = SAMPLE_F_RESET;
    doc = telemetry(s, 3, &text);
    assert_str(point(doc, "i_l1"), "label", "battery");
    assert_true(json_number_value(json_object_get(point(doc, "i_l1"), "value")) == 5.0);
    assert_true(json_is_true(json_object_get(point(doc, "e_total"), "reset")));
    assert_null(json_object_get(point(doc, "e_total"), "label"));
    assert_null(json_object_get(point(doc, "i_l1"), "reset"));
    assert_str(point(doc, "freq"), "quality", "auth_error");
    json_decref(doc);
    free(text);

    /* A value without a label, or a bad one, has no label. */
    s[0].value = 4.0;
    doc = telemetry(s, 1, &text);
    assert_null(json_object_get(point(doc, "i_l1"), "label"));
    json_decref(doc);
    free(text);
    s[0].quality = RW_Q_TIMEOUT;
    s[0].value = 5.0;
    doc = telemetry(s, 1, &text);
    assert_null(json_object_get(point(doc, "i_l1"), "label"));
    json_decref(doc);
    free(text);
    points[P_I_L1] = saved;
    profile.enums = NULL;
    profile.nenums = 0;
}

static void
test_telemetry_out_of_range_keeps_raw(void **state)
{
    struct sample s[] = {mk(0, P_I_L1, 65535 * 0.1, RW_Q_OUT_OF_RANGE)};
    char *text;
    json_t *doc;

    (void)state;
    doc = telemetry(s, 1, &text);
    assert_true(json_is_null(json_object_get(point(doc, "i_l1"), "value")));
    assert_true(json_real_value(json_object_get(point(doc, "i_l1"), "raw")) == 6553.5);
    assert_str(point(doc, "i_l1"), "quality", "out_of_range");
    assert_non_null(strstr(text, "\"raw\":6553.5,"));
    json_decref(doc);
    free(text);
}

static void
test_telemetry_nan_is_null(void **state)
{
    struct sample s[] = {
        mk(0, P_V_L1, NAN, RW_Q_GOOD),
        mk(0, P_I_L1, INFINITY, RW_Q_GOOD),
        mk(0, P_F, -INFINITY, RW_Q_OUT_OF_RANGE),
    };
    char *text;
    json_t *doc;

    (void)state;
    doc = telemetry(s, 3, &text);
    assert_true(json_is_null(json_object_get(point(doc, "v_l1"), "value")));
    assert_str(point(doc, "v_l1"), "quality", "good");
    assert_true(json_is_null(json_object_get(point(doc, "i_l1"), "value")));
    assert_true(json_is_null(json_object_get(point(doc, "freq"), "raw")));
    assert_null(strstr(text, "nan"));
    assert_null(strstr(text, "inf"));
    json_decref(doc);
    free(text);
}

static void
test_telemetry_zero_samples(void **state)
{
    char *text;
    json_t *doc;

    (void)state;
    doc = telemetry(NULL, 0, &text);
    assert_str(doc, "device", "meter1");
    assert_true(json_is_object(json_object_get(doc, "points")));
    assert_int_equal(json_object_size(json_object_get(doc, "points")), 0);
    assert_true(json_is_null(json_object_get(doc, "time")));
    assert_true(json_is_null(json_object_get(doc, "ts")));
    assert_true(json_is_null(json_object_get(doc, "cycle")));
    json_decref(doc);
    free(text);
}

static void
test_telemetry_time_is_rfc3339_local(void **state)
{
    struct sample s[] = {
        mk(0, P_V_L1, 230.0, RW_Q_GOOD),
        mk(0, P_I_L1, 1.0, RW_Q_GOOD),
    };
    char *text;
    json_t *doc;

    (void)state;
    s[0].wall = T0 - 0.050; /* the cycle is stamped with its last answer */
    doc = telemetry(s, 2, &text);
    assert_str(doc, "time", "2026-11-23T18:40:00.123+08:00");
    assert_true(json_real_value(json_object_get(doc, "ts")) == 1795430400.123);
    assert_non_null(strstr(text, "\"ts\":1795430400.123,"));
    json_decref(doc);
    free(text);
}

static void
test_telemetry_points_in_profile_order(void **state)
{
    /* Out of order, with a sample of another device and one of no point in between. */
    struct sample s[] = {
        mk(0, P_F, 50.0, RW_Q_GOOD),
        mk(1, P_I_L1, 7.0, RW_Q_GOOD),
        mk(0, NPOINTS + 3, 1.0, RW_Q_GOOD),
        mk(0, P_V_L1, 231.0, RW_Q_GOOD),
    };
    char *text;
    json_t *doc;
    const char *v, *f;

    (void)state;
    doc = telemetry(s, 4, &text);
    assert_int_equal(json_object_size(json_object_get(doc, "points")), 2);
    assert_null(json_object_get(json_object_get(doc, "points"), "i_l1"));
    v = strstr(text, "\"v_l1\"");
    f = strstr(text, "\"freq\"");
    assert_non_null(v);
    assert_non_null(f);
    assert_true(v < f);
    json_decref(doc);
    free(text);
}

static void
test_telemetry_bad_device_is_einval(void **state)
{
    (void)state;
    errno = 0;
    assert_null(pub_json_telemetry(&cfg, 2, NULL, 0));
    assert_int_equal(errno, EINVAL);
}

/* A late document: what the archive kept (value, answered, valid), the cycle's time from the
 * engine's ms, "late":true, points in profile order whatever the order given. */
static void
test_late_document(void **state)
{
    const struct pub_late_point p[] = {
        {P_F, NAN, 1, 0},                  /* answered, no valid value: "bad" */
        {P_V_L1, (double)230.1f, 1, 1},    /* as the archive reads a float32 back */
        {P_I_L1, NAN, 0, 0},               /* no answer */
    };
    json_error_t err;
    char *text;
    json_t *doc;
    const char *k1, *k2, *k3;

    (void)state;
    text = pub_json_late(&cfg, 1, (int64_t)(T0 * 1000.0) + 250, p, 3);
    assert_non_null(text);
    doc = json_loads(text, 0, &err);
    assert_non_null(doc);
    assert_str(doc, "device", "meter2");
    assert_true(json_is_true(json_object_get(doc, "late")));
    assert_true(json_is_null(json_object_get(doc, "cycle")));
    assert_true(json_real_value(json_object_get(doc, "ts")) == 1795430400.373);
    assert_non_null(strstr(json_string_value(json_object_get(doc, "time")), ".373+08:00"));
    assert_true(json_real_value(json_object_get(point(doc, "v_l1"), "value")) == 230.1);
    assert_str(point(doc, "v_l1"), "quality", "good");
    assert_str(point(doc, "v_l1"), "unit", "V");
    assert_true(json_is_null(json_object_get(point(doc, "i_l1"), "value")));
    assert_str(point(doc, "i_l1"), "quality", "no_answer");
    assert_true(json_is_null(json_object_get(point(doc, "freq"), "value")));
    assert_str(point(doc, "freq"), "quality", "bad");
    assert_null(json_object_get(json_object_get(doc, "points"), "e_total"));
    /* Profile order, as live documents. */
    k1 = strstr(text, "\"v_l1\"");
    k2 = strstr(text, "\"i_l1\"");
    k3 = strstr(text, "\"freq\"");
    assert_true(k1 != NULL && k2 != NULL && k3 != NULL && k1 < k2 && k2 < k3);
    json_decref(doc);
    free(text);

    errno = 0;
    assert_null(pub_json_late(&cfg, 2, 0, p, 1));
    assert_int_equal(errno, EINVAL);
}

static void
test_status_fields(void **state)
{
    json_error_t err;
    char *text;
    json_t *doc;

    (void)state;
    text = pub_json_status(&cfg, "online", T0);
    assert_non_null(text);
    doc = json_loads(text, 0, &err);
    assert_non_null(doc);
    assert_str(doc, "state", "online");
    assert_str(doc, "site", "hq");
    assert_str(doc, "gateway", "gw1");
    assert_str(doc, "time", "2026-11-23T18:40:00.123+08:00");
    assert_true(json_is_string(json_object_get(doc, "version")));
    assert_true(strlen(json_string_value(json_object_get(doc, "version"))) > 0);
    assert_string_not_equal(json_string_value(json_object_get(doc, "version")), "unknown");
    assert_int_equal(json_object_size(doc), 5);
    json_decref(doc);
    free(text);
}

static void
test_status_without_time_is_null(void **state)
{
    json_error_t err;
    char *text;
    json_t *doc;

    (void)state;
    /* The will: the broker sends it at a moment the agent cannot know. */
    text = pub_json_status(&cfg, "offline", NAN);
    assert_non_null(text);
    doc = json_loads(text, 0, &err);
    assert_non_null(doc);
    assert_str(doc, "state", "offline");
    assert_true(json_is_null(json_object_get(doc, "time")));
    json_decref(doc);
    free(text);
}

/* The notifier's channels are added to the online status. */
static void
test_status_merge(void **state)
{
    char *m;

    (void)state;
    m = pub_json_merge("{\"state\":\"online\",\"site\":\"hq\"}",
                       "{\"notify\":[{\"channel\":\"duty\",\"state\":\"failing\"}]}");
    assert_non_null(m);
    assert_string_equal(m, "{\"state\":\"online\",\"site\":\"hq\",\"notify\":[{\"channel\":"
                           "\"duty\",\"state\":\"failing\"}]}");
    free(m);
    assert_null(pub_json_merge("{\"state\":\"online\"}", "[1]"));
    assert_null(pub_json_merge("not json", "{}"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_telemetry_good_values),
        cmocka_unit_test(test_telemetry_rounding),
        cmocka_unit_test(test_telemetry_bad_quality_is_null),
        cmocka_unit_test(test_telemetry_snmp_label_reset_auth),
        cmocka_unit_test(test_telemetry_out_of_range_keeps_raw),
        cmocka_unit_test(test_telemetry_nan_is_null),
        cmocka_unit_test(test_telemetry_zero_samples),
        cmocka_unit_test(test_telemetry_time_is_rfc3339_local),
        cmocka_unit_test(test_telemetry_points_in_profile_order),
        cmocka_unit_test(test_telemetry_bad_device_is_einval),
        cmocka_unit_test(test_late_document),
        cmocka_unit_test(test_status_fields),
        cmocka_unit_test(test_status_without_time_is_null),
        cmocka_unit_test(test_status_merge),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
