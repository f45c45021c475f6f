/*
 * test_rcmd.c - the commands' checker: well-formed ack, resolve and event payloads parse to
 * the fields given; malformed, oversized, unknown and ill-typed ones are refused with the
 * reason a client gets on cmd/result; the CLI's raw strings are checked for UTF-8 by the same
 * rules; RFC 3339 times; the answers' exact JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rcmd.h"

#define NOW 1772328600000LL /* 2026-03-01T09:30:00+08:00 */

static char err[RCMD_ERR_LEN];

/* Parses a NUL-terminated payload; the command is freed by the caller. */
static enum rcmd_status
parse(const char *verb, const char *payload, struct rcmd *c)
{
    err[0] = '\0';
    return rcmd_parse(verb, payload, strlen(payload), NOW, c, err, sizeof(err));
}

/* Asserts payload is refused with exactly reason. */
static void
refused(const char *verb, const char *payload, const char *reason)
{
    struct rcmd c;

    assert_int_equal(parse(verb, payload, &c), RCMD_ERR_INVALID);
    assert_string_equal(err, reason);
    rcmd_free(&c);
}

static void
test_well_formed(void **state)
{
    struct rcmd c;

    (void)state;
    assert_int_equal(parse("ack",
                           "{\"incident\":3,\"by\":\"张工\",\"note\":\"on my way\","
                           "\"correlation_id\":\"a1\"}",
                           &c),
                     RCMD_OK);
    assert_string_equal(c.verb, "ack");
    assert_int_equal(c.cmd.kind, STORE_CMD_ACK);
    assert_int_equal(c.cmd.incident, 3);
    assert_string_equal(c.cmd.by, "张工");
    assert_string_equal(c.cmd.note, "on my way");
    assert_string_equal(c.cid, "a1");
    rcmd_free(&c);

    /* Optional keys may be null; a note may span lines. */
    assert_int_equal(parse("ack", "{\"incident\":1,\"by\":\"b\",\"note\":null}", &c), RCMD_OK);
    assert_null(c.cmd.note);
    assert_null(c.cid);
    rcmd_free(&c);

    assert_int_equal(parse("resolve",
                           "{\"incident\":7,\"by\":\"li\",\"cause\":\"UPS fuse\\nblown\","
                           "\"measure\":\"replaced\"}",
                           &c),
                     RCMD_OK);
    assert_int_equal(c.cmd.kind, STORE_CMD_RESOLVE);
    assert_string_equal(c.cmd.cause, "UPS fuse\nblown");
    assert_string_equal(c.cmd.measure, "replaced");
    rcmd_free(&c);

    assert_int_equal(parse("event",
                           "{\"kind\":\"maintenance\",\"at\":\"2026-03-01T09:30:00+08:00\","
                           "\"by\":\"li\",\"note\":\"quarterly check\"}",
                           &c),
                     RCMD_OK);
    assert_int_equal(c.cmd.kind, STORE_CMD_EVENT);
    assert_string_equal(c.cmd.event_kind, "maintenance");
    assert_int_equal(c.cmd.at, NOW);
    assert_int_equal(c.cmd.incident, 0);
    rcmd_free(&c);
}

/* jansson's own words vary between releases: the reason's start is what is pinned. */
static void
refused_json(const char *payload)
{
    struct rcmd c;

    assert_int_equal(parse("ack", payload, &c), RCMD_ERR_INVALID);
    assert_true(strncmp(err, "not valid JSON: ", 16) == 0);
    assert_null(strpbrk(err, "\xff\n")); /* the bad bytes are not echoed */
    rcmd_free(&c);
}

static void
test_malformed(void **state)
{
    (void)state;
    refused_json("{\"incident\":3,");
    refused_json("");
    refused_json("{\"incident\":3,\"by\":\"a\",\"by\":\"b\"}"); /* a duplicate key */
    /* Invalid UTF-8 and NUL inside a string: jansson refuses both. */
    refused_json("{\"incident\":3,\"by\":\"\xff\"}");
    refused_json("{\"incident\":3,\"by\":\"a\\u0000b\"}");
    refused_json("{\"incident\":3,\"by\":\"\xed\xa0\x80\"}"); /* a surrogate */
    refused("ack", "[1]", "the payload must be a JSON object");
}

static void
test_keys_and_types(void **state)
{
    (void)state;
    refused("ack", "{\"incident\":3,\"by\":\"a\",\"who\":\"b\"}",
            "unknown key \"who\" (ack takes incident, by, note, correlation_id)");
    refused("resolve",
            "{\"incident\":3,\"by\":\"a\",\"cause\":\"c\",\"measure\":\"m\",\"note\":\"n\"}",
            "unknown key \"note\" (resolve takes incident, by, cause, measure, correlation_id)");
    /* A key with a control character is not echoed (the reason is logged too). */
    refused("ack", "{\"incident\":3,\"b\\ny\":\"a\"}",
            "unknown key (ack takes incident, by, note, correlation_id)");
    refused("ack", "{\"incident\":\"3\",\"by\":\"a\"}", "\"incident\" must be an integer >= 1");
    refused("ack", "{\"incident\":3.0,\"by\":\"a\"}", "\"incident\" must be an integer >= 1");
    refused("ack", "{\"incident\":0,\"by\":\"a\"}", "\"incident\" must be an integer >= 1");
    refused("ack", "{\"incident\":3,\"by\":7}", "\"by\" must be a string");
    refused("ack", "{\"by\":\"a\"}", "\"incident\" is missing");
    refused("ack", "{\"incident\":3}", "\"by\" is missing");
    refused("ack", "{\"incident\":3,\"by\":\"  \"}", "\"by\" is empty");
    refused("resolve", "{\"incident\":3,\"by\":\"a\",\"cause\":\"c\"}", "\"measure\" is missing");
    refused("event",
            "{\"kind\":\"party\",\"at\":\"2026-03-01T09:30:00+08:00\",\"by\":\"a\","
            "\"note\":\"n\"}",
            "\"kind\" must be maintenance, inspection or security-incident");
    refused("event", "{\"kind\":\"inspection\",\"at\":\"2026-03-01T09:30:00+08:00\",\"by\":\"a\"}",
            "\"note\" is missing");
    refused("ack", "{\"incident\":3,\"by\":\"a\\u0007\"}", "\"by\" holds a control character");
    refused("ack", "{\"incident\":3,\"by\":\"a\",\"note\":\"x\\u0085\"}",
            "\"note\" holds a control character");
    refused("ack", "{\"incident\":3,\"by\":\"a\",\"correlation_id\":5}",
            "\"correlation_id\" must be a string of 1 to 64 characters");
}

static void
test_sizes(void **state)
{
    char by[RCMD_BY_MAX * 3 + 1], big[RCMD_PAYLOAD_MAX + 2], payload[512];
    struct rcmd c;
    size_t i;

    (void)state;
    /* 64 characters of 3 bytes each are taken; a 65th is not. */
    for (i = 0; i < RCMD_BY_MAX; i++)
        memcpy(by + 3 * i, "工", 3);
    by[3 * RCMD_BY_MAX] = '\0';
    snprintf(payload, sizeof(payload), "{\"incident\":3,\"by\":\"%s\"}", by);
    assert_int_equal(parse("ack", payload, &c), RCMD_OK);
    rcmd_free(&c);
    snprintf(payload, sizeof(payload), "{\"incident\":3,\"by\":\"%sx\"}", by);
    refused("ack", payload, "\"by\" is 65 characters long; at most 64 are taken");

    /* One byte over the payload limit, even with nothing wrong in it otherwise. */
    memset(big, ' ', sizeof(big));
    memcpy(big, "{\"incident\":3,\"by\":\"a\"}", 23);
    big[RCMD_PAYLOAD_MAX + 1] = '\0';
    refused("ack", big, "the payload is 16385 bytes; at most 16384 are taken");
    big[RCMD_PAYLOAD_MAX] = '\0';
    assert_int_equal(parse("ack", big, &c), RCMD_OK);
    rcmd_free(&c);
    /* Not copied by the publisher (over PUB_CMD_COPY_MAX): refused by its size. */
    assert_int_equal(rcmd_parse("ack", NULL, 70000, NOW, &c, err, sizeof(err)), RCMD_ERR_INVALID);
    assert_string_equal(err, "the payload is 70000 bytes; at most 16384 are taken");
    rcmd_free(&c);
}

static void
test_times(void **state)
{
    int64_t ms;

    (void)state;
    assert_int_equal(rcmd_parse_time("2026-03-01T09:30:00+08:00", &ms), 0);
    assert_int_equal(ms, NOW);
    assert_int_equal(rcmd_parse_time("2026-03-01T01:30:00Z", &ms), 0);
    assert_int_equal(ms, NOW);
    assert_int_equal(rcmd_parse_time("2024-02-29T23:59:59.123-05:30", &ms), 0);
    assert_int_equal(ms, 1709270999123LL);
    assert_int_equal(rcmd_parse_time("2026-02-29T10:00:00+08:00", &ms), -1); /* not a leap year */
    assert_int_equal(rcmd_parse_time("2026-03-01 09:30:00+08:00", &ms), -1);
    assert_int_equal(rcmd_parse_time("2026-03-01T09:30:00", &ms), -1); /* no offset */
    assert_int_equal(rcmd_parse_time("2026-03-01T24:00:00Z", &ms), -1);
    assert_int_equal(rcmd_parse_time("yesterday", &ms), -1);

    refused("event", "{\"kind\":\"maintenance\",\"at\":\"2026-03-01\",\"by\":\"a\",\"note\":\"n\"}",
            "\"at\" is not an RFC 3339 time with an offset (2026-03-01T09:30:00+08:00)");
    /* Five minutes ahead is clock skew; five minutes and a second is the future. */
    refused("event",
            "{\"kind\":\"maintenance\",\"at\":\"2026-03-01T09:35:01+08:00\",\"by\":\"a\","
            "\"note\":\"n\"}",
            "\"at\" is 301 s in the future");
    {
        struct rcmd c;

        assert_int_equal(parse("event",
                               "{\"kind\":\"maintenance\",\"at\":\"2026-03-01T09:35:00+08:00\","
                               "\"by\":\"a\",\"note\":\"n\"}",
                               &c),
                         RCMD_OK);
        rcmd_free(&c);
    }
}

/* An unknown verb is refused, but the answer can still carry the correlation id. */
static void
test_unknown_command(void **state)
{
    struct rcmd c;
    char *a;

    (void)state;
    assert_int_equal(parse("reboot", "{\"correlation_id\":\"r1\",\"now\":true}", &c),
                     RCMD_ERR_INVALID);
    assert_string_equal(err, "unknown command (ack, resolve, event and silence are known)");
    assert_string_equal(c.verb, "");
    a = rcmd_answer_error(&c, err);
    assert_string_equal(
        a, "{\"ok\":false,\"command\":null,\"correlation_id\":\"r1\","
           "\"error\":\"unknown command (ack, resolve, event and silence are known)\"}");
    free(a);
    rcmd_free(&c);

    /* A refusal of a known verb keeps its id too. */
    assert_int_equal(parse("ack", "{\"correlation_id\":\"r2\",\"incident\":\"x\"}", &c),
                     RCMD_ERR_INVALID);
    a = rcmd_answer_error(&c, err);
    assert_string_equal(a, "{\"ok\":false,\"command\":\"ack\",\"correlation_id\":\"r2\","
                           "\"error\":\"\\\"incident\\\" must be an integer >= 1\"}");
    free(a);
    rcmd_free(&c);
}

/* The CLI's strings come as raw bytes: the same rules, UTF-8 checked here. */
static void
test_check_raw_strings(void **state)
{
    struct store_cmd c = {.kind = STORE_CMD_ACK, .incident = 3, .by = "alice"};

    (void)state;
    assert_int_equal(rcmd_check(&c, NOW, err, sizeof(err)), RCMD_OK);
    c.by = "\xc3\x28"; /* a lead byte without its continuation */
    assert_int_equal(rcmd_check(&c, NOW, err, sizeof(err)), RCMD_ERR_INVALID);
    assert_string_equal(err, "\"by\" is not valid UTF-8");
    c.by = "\xc0\xaf"; /* an overlong '/' */
    assert_int_equal(rcmd_check(&c, NOW, err, sizeof(err)), RCMD_ERR_INVALID);
    c.by = "\xed\xa0\x80"; /* a surrogate */
    assert_int_equal(rcmd_check(&c, NOW, err, sizeof(err)), RCMD_ERR_INVALID);
    c.by = "alice";
    c.note = "line 1\nline 2\tend";
    assert_int_equal(rcmd_check(&c, NOW, err, sizeof(err)), RCMD_OK);
    c.cause = "c";
    assert_int_equal(rcmd_check(&c, NOW, err, sizeof(err)), RCMD_ERR_INVALID);
    assert_string_equal(err, "only resolve takes a cause and a measure");
}

static void
test_answers(void **state)
{
    struct store_cmd_result r = {.changed = 1, .what = "acknowledged", .id = 3};
    struct rcmd c;
    char *a;

    (void)state;
    assert_int_equal(parse("ack", "{\"incident\":3,\"by\":\"a\",\"correlation_id\":\"c1\"}", &c),
                     RCMD_OK);
    a = rcmd_answer_ok(&c, &r);
    assert_string_equal(a, "{\"ok\":true,\"command\":\"ack\",\"correlation_id\":\"c1\","
                           "\"incident\":3,\"changed\":true,\"message\":\"acknowledged\"}");
    free(a);
    r.changed = 0;
    snprintf(r.why, sizeof(r.why), "already acknowledged by a; nothing changed");
    a = rcmd_answer_ok(&c, &r);
    assert_string_equal(a, "{\"ok\":true,\"command\":\"ack\",\"correlation_id\":\"c1\","
                           "\"incident\":3,\"changed\":false,"
                           "\"message\":\"already acknowledged by a; nothing changed\"}");
    free(a);
    rcmd_free(&c);

    assert_int_equal(parse("event",
                           "{\"kind\":\"inspection\",\"at\":\"2026-03-01T08:00:00+08:00\","
                           "\"by\":\"a\",\"note\":\"n\",\"incident\":4}",
                           &c),
                     RCMD_OK);
    r = (struct store_cmd_result){.changed = 1, .what = "recorded", .id = 12};
    a = rcmd_answer_ok(&c, &r);
    assert_string_equal(a, "{\"ok\":true,\"command\":\"event\",\"event\":12,\"incident\":4,"
                           "\"changed\":true,\"message\":\"recorded\"}");
    free(a);
    rcmd_free(&c);
}

/* cmd/silence: a window, what it covers, who and why; the answer names the silence. */
static void
test_silence(void **state)
{
    struct store_cmd_result r = {.changed = 1, .what = "silenced", .id = 2};
    struct rcmd c;
    char *a;

    (void)state;
    assert_int_equal(
        parse("silence",
              "{\"from\":\"2026-03-01T09:00:00+08:00\",\"to\":\"2026-03-01T12:00:00+08:00\","
              "\"device\":\"ups1\",\"by\":\"李工\",\"note\":\"UPS 检修\","
              "\"correlation_id\":\"s1\"}",
              &c),
        RCMD_OK);
    assert_int_equal(c.cmd.kind, STORE_CMD_SILENCE);
    assert_int_equal(c.cmd.at, NOW - 1800000);
    assert_int_equal(c.cmd.until, NOW + 9000000);
    assert_string_equal(c.cmd.device, "ups1");
    assert_null(c.cmd.rule);
    assert_int_equal(c.cmd.all, 0);
    a = rcmd_answer_ok(&c, &r);
    assert_string_equal(a, "{\"ok\":true,\"command\":\"silence\",\"correlation_id\":\"s1\","
                           "\"silence\":2,\"changed\":true,\"message\":\"silenced\"}");
    free(a);
    rcmd_free(&c);
    assert_int_equal(
        parse("silence",
              "{\"from\":\"2026-03-01T09:00:00+08:00\",\"to\":\"2026-03-02T09:00:00+08:00\","
              "\"all\":true,\"by\":\"李工\",\"note\":\"搬迁\"}",
              &c),
        RCMD_OK);
    assert_int_equal(c.cmd.all, 1);
    rcmd_free(&c);

    refused("silence",
            "{\"to\":\"2026-03-01T12:00:00+08:00\",\"all\":true,\"by\":\"l\",\"note\":\"n\"}",
            "\"from\" is missing");
    refused("silence",
            "{\"from\":\"2026-03-01T12:00:00+08:00\",\"to\":\"2026-03-01T09:00:00+08:00\","
            "\"all\":true,\"by\":\"l\",\"note\":\"n\"}",
            "\"to\" must be after \"from\", within a year");
    refused("silence",
            "{\"from\":\"2026-03-01T09:00:00+08:00\",\"to\":\"2027-03-03T09:00:00+08:00\","
            "\"all\":true,\"by\":\"l\",\"note\":\"n\"}",
            "\"to\" must be after \"from\", within a year");
    refused("silence",
            "{\"from\":\"2026-03-01T09:00:00+08:00\",\"to\":\"2026-03-01T12:00:00+08:00\","
            "\"all\":true,\"rule\":\"mains\",\"by\":\"l\",\"note\":\"n\"}",
            "give \"rule\" and/or \"device\", or \"all\": true");
    refused("silence",
            "{\"from\":\"2026-03-01T09:00:00+08:00\",\"to\":\"2026-03-01T12:00:00+08:00\","
            "\"by\":\"l\",\"note\":\"n\"}",
            "give \"rule\" and/or \"device\", or \"all\": true");
    refused("silence",
            "{\"from\":\"2026-03-01T09:00:00+08:00\",\"to\":\"2026-03-01T12:00:00+08:00\","
            "\"all\":\"yes\",\"by\":\"l\",\"note\":\"n\"}",
            "\"all\" must be true or false");
    refused("silence",
            "{\"from\":\"yesterday\",\"to\":\"2026-03-01T12:00:00+08:00\",\"all\":true,"
            "\"by\":\"l\",\"note\":\"n\"}",
            "\"from\" is not an RFC 3339 time with an offset (2026-03-01T09:30:00+08:00)");
    refused("silence",
            "{\"from\":\"2026-03-01T09:00:00+08:00\",\"to\":\"2026-03-01T12:00:00+08:00\","
            "\"device\":\"ups1\",\"by\":\"l\"}",
            "\"note\" is missing");
    refused("silence",
            "{\"from\":\"2026-03-01T09:00:00+08:00\",\"to\":\"2026-03-01T12:00:00+08:00\","
            "\"device\":\"ups1\",\"by\":\"l\",\"note\":\"n\",\"incident\":3}",
            "unknown key \"incident\" (silence takes from, to, rule, device, all, by, note, "
            "correlation_id)");
    /* The other commands take no silence fields (the CLI builds them by hand). */
    {
        struct store_cmd ack = {.kind = STORE_CMD_ACK, .incident = 3, .by = "l", .rule = "x"};

        assert_int_equal(rcmd_check(&ack, NOW, err, sizeof(err)), RCMD_ERR_INVALID);
        assert_string_equal(err, "only silence takes an end, a rule, a device or all");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_well_formed),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_keys_and_types),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_unknown_command),
        cmocka_unit_test(test_check_raw_strings),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_silence),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
