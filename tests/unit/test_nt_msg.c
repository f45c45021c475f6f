/*
 * test_nt_msg.c - notification texts and requests (agent/notify/nt_msg.c): the robots'
 * signatures against the test vectors of libraries.md §10, the exact WeCom, DingTalk and
 * Feishu requests for one incident, merging a burst within the robots' size limit, the
 * Alertmanager alert of a resolution, the webhook's facts and the e-mail's headers.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cfg/cfg.h"
#include "notify/nt_msg.h"

#define T0 1772328600000LL /* 2026-03-01 09:30:00 +08:00 */

static const struct nt_site site = {
    .id = "hq",
    .name = "市机关机房",
    .gateway = "gw1",
    .timezone = "Asia/Shanghai",
    .prefix = "roomwatch/v1/hq/gw1",
};

static struct nt_fact
dip(void)
{
    struct nt_fact f = {
        .seq = 7,
        .kind = NT_INCIDENT,
        .event = CFG_NT_EV_OPENED,
        .at = T0 + 10000,
        .id = 12,
        .rule = "mains_voltage",
        .rule_name = "市电电压越限",
        .device = "meter1",
        .point = "v_l1",
        .unit = "V",
        .severity = CFG_SEV_MAJOR,
        .category = CFG_CAT_POWER,
        .started = T0,
        .detected = T0 + 10000,
        .value = 190.5,
        .limit = "198–235.4 V",
    };
    return f;
}

static struct cfg_notify
channel(enum cfg_nt_type t, const char *url)
{
    struct cfg_notify ch = {.type = t, .url = (char *)url, .key = "k3y/+"};

    snprintf(ch.id, sizeof(ch.id), "duty");
    return ch;
}

static void
test_signature_vectors(void **state)
{
    char out[128];

    (void)state;
    assert_int_equal(nt_sign_dingtalk("SECabc123", 1700000000000LL, out, sizeof(out)), 0);
    assert_string_equal(out, "N5P09a4%2Bp1AMJIJWnIvQd2Yxw9%2Bfu%2FoEBnPrjCcsLXk%3D");
    assert_int_equal(nt_sign_feishu("SECabc123", 1700000000LL, out, sizeof(out)), 0);
    assert_string_equal(out, "UqhI0v4zAkSwI4hNYBuHQvnrAqshA0UaeBGHCUMPX70=");
    assert_int_equal(nt_sign_feishu("SECabc123", 1700000000LL, out, 10), -1);
}

static const char zh_lines[] =
    "- 地点：市机关机房（hq，网关 gw1），设备 meter1，测点 v_l1\n"
    "- 开始：2026-03-01 09:30:00（检测于 2026-03-01 09:30:10）\n"
    "- 数值：190.5 V（限值：198–235.4 V）\n"
    "- 类别：电力，规则 mains_voltage\n"
    "- 处理：在网关执行 `roomwatch ack 12 --by 姓名` 确认，或向 roomwatch/v1/hq/gw1/cmd/ack 发送 "
    "{\"incident\":12,\"by\":\"姓名\"}\n";

static void
test_wecom_exact(void **state)
{
    struct cfg_notify ch = channel(CFG_NT_WECOM, "http://127.0.0.1:1/send");
    struct nt_fact f = dip();
    struct nt_request r;
    json_t *j;
    char want[2048];

    (void)state;
    assert_int_equal(nt_build(&ch, &site, &f, 1, T0 + 11000, &r), 0);
    assert_string_equal(r.url, "http://127.0.0.1:1/send?key=k3y%2F%2B");
    assert_string_equal(r.title, "【重要】故障发生 #12 市电电压越限");
    assert_int_equal(r.used, 1);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "msgtype")), "markdown");
    snprintf(want, sizeof(want), "### 【重要】故障发生 #12 市电电压越限\n%s", zh_lines);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "markdown"), "content")), want);
    assert_int_equal(json_object_size(j), 2);
    json_decref(j);
    nt_request_free(&r);
}

static void
test_dingtalk_signed_url(void **state)
{
    struct cfg_notify ch = channel(CFG_NT_DINGTALK, "http://127.0.0.1:1/robot/send");
    struct nt_fact f = dip();
    struct nt_request r;
    json_t *j;

    (void)state;
    ch.secret = "SECabc123";
    assert_int_equal(nt_build(&ch, &site, &f, 1, 1700000000000LL, &r), 0);
    assert_string_equal(r.url, "http://127.0.0.1:1/robot/send?access_token=k3y%2F%2B"
                               "&timestamp=1700000000000"
                               "&sign=N5P09a4%2Bp1AMJIJWnIvQd2Yxw9%2Bfu%2FoEBnPrjCcsLXk%3D");
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "markdown"), "title")),
                        "【重要】故障发生 #12 市电电压越限");
    json_decref(j);
    nt_request_free(&r);
}

static void
test_feishu_card_signed(void **state)
{
    struct cfg_notify ch = channel(CFG_NT_FEISHU, "http://127.0.0.1:1/hook");
    struct nt_fact f = dip();
    struct nt_request r;
    json_t *j, *card, *el;

    (void)state;
    ch.secret = "SECabc123";
    assert_int_equal(nt_build(&ch, &site, &f, 1, 1700000000999LL, &r), 0);
    assert_string_equal(r.url, "http://127.0.0.1:1/hook/k3y%2F%2B");
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "timestamp")), "1700000000");
    assert_string_equal(json_string_value(json_object_get(j, "sign")),
                        "UqhI0v4zAkSwI4hNYBuHQvnrAqshA0UaeBGHCUMPX70=");
    assert_string_equal(json_string_value(json_object_get(j, "msg_type")), "interactive");
    card = json_object_get(j, "card");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(card, "header"), "title"), "content")),
                        "【重要】故障发生 #12 市电电压越限");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(card, "header"), "template")), "orange");
    el = json_array_get(json_object_get(card, "elements"), 0);
    assert_string_equal(json_string_value(json_object_get(el, "tag")), "markdown");
    assert_string_equal(json_string_value(json_object_get(el, "content")), zh_lines);
    json_decref(j);
    nt_request_free(&r);
}

/* A burst merges into messages within WeCom's 4096 bytes; every fact is in one of them, in
 * order. */
static void
test_burst_merges_within_limit(void **state)
{
    struct cfg_notify ch = channel(CFG_NT_WECOM, "http://127.0.0.1:1/send");
    struct nt_fact f[50];
    struct nt_request r;
    size_t done = 0, messages = 0;

    (void)state;
    for (size_t i = 0; i < 50; i++) {
        f[i] = dip();
        f[i].id = (int64_t)(100 + i);
    }
    while (done < 50) {
        json_t *j;
        const char *content;
        char first[32];

        assert_int_equal(nt_build(&ch, &site, f + done, 50 - done, T0, &r), 0);
        assert_true(r.used >= 1);
        j = json_loads(r.body, 0, NULL);
        content = json_string_value(json_object_get(json_object_get(j, "markdown"), "content"));
        assert_true(strlen(content) <= NT_ROBOT_MAX);
        snprintf(first, sizeof(first), "#%lld ", (long long)f[done].id);
        assert_non_null(strstr(content, first));
        if (r.used > 1)
            assert_non_null(strstr(content, "条通知"));
        done += r.used;
        messages++;
        json_decref(j);
        nt_request_free(&r);
    }
    assert_true(messages > 1 && messages < 20);
}

static void
test_alertmanager_resolution(void **state)
{
    struct cfg_notify ch = channel(CFG_NT_ALERTMANAGER, "http://127.0.0.1:9093/");
    struct nt_fact f = dip();
    struct nt_request r;
    json_t *j, *a, *l;

    (void)state;
    ch.english = 1;
    f.event = CFG_NT_EV_RESOLVED;
    f.resolved = T0 + 70000;
    assert_int_equal(nt_build(&ch, &site, &f, 1, T0 + 71000, &r), 0);
    assert_string_equal(r.url, "http://127.0.0.1:9093/api/v2/alerts");
    j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_array_size(j), 1);
    a = json_array_get(j, 0);
    l = json_object_get(a, "labels");
    assert_string_equal(json_string_value(json_object_get(l, "alertname")), "mains_voltage");
    assert_string_equal(json_string_value(json_object_get(l, "incident")), "12");
    assert_string_equal(json_string_value(json_object_get(l, "severity")), "major");
    assert_string_equal(json_string_value(json_object_get(l, "point")), "v_l1");
    assert_string_equal(json_string_value(json_object_get(a, "startsAt")),
                        "2026-03-01T09:30:10+08:00");
    assert_string_equal(json_string_value(json_object_get(a, "endsAt")),
                        "2026-03-01T09:31:10+08:00");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(a, "annotations"), "summary")),
        "[MAJOR] Incident #12 resolved: 市电电压越限");
    assert_non_null(
        strstr(json_string_value(json_object_get(json_object_get(a, "annotations"), "description")),
               "Since: 2026-03-01 09:30:00, resolved 2026-03-01 09:31:10 (after 1 min 0 s)"));
    json_decref(j);
    nt_request_free(&r);
}

static void
test_webhook_and_email(void **state)
{
    struct cfg_notify ch = channel(CFG_NT_WEBHOOK, "http://127.0.0.1:1/hook");
    char *to[] = {"duty@example.org", "boss@example.org"};
    struct nt_fact f[2] = {dip(), dip()};
    struct nt_request r;
    json_t *j, *n;

    (void)state;
    f[1].event = CFG_NT_EV_ESCALATED;
    f[1].level = 1;
    f[1].escalate_s = 900;
    f[1].seq = 8;
    assert_int_equal(nt_build(&ch, &site, f, 2, T0, &r), 0);
    assert_int_equal(r.used, 2);
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "site")), "hq");
    n = json_object_get(j, "notifications");
    assert_int_equal(json_array_size(n), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(n, 1), "event")),
                        "incident_escalated");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(n, 1), "seq")), 8);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_array_get(n, 1), "incident"), "escalation")),
                     1);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(n, 1), "text")),
                           "升级：15 分 0 秒 内无人确认（第 1 次升级）"));
    json_decref(j);
    nt_request_free(&r);

    ch = channel(CFG_NT_EMAIL, "smtp://127.0.0.1:2525");
    ch.english = 1;
    ch.from = "rw@example.org";
    ch.to = to;
    ch.nto = 2;
    assert_int_equal(nt_build(&ch, &site, f, 1, T0, &r), 0);
    assert_non_null(strstr(r.body, "From: rw@example.org\r\nTo: duty@example.org, "
                                   "boss@example.org\r\nSubject: =?UTF-8?B?"));
    assert_non_null(strstr(r.body, "Date: Sun, 01 Mar 2026 01:30:00 +0000\r\n"));
    assert_non_null(strstr(r.body,
                           "\r\n\r\n[MAJOR] Incident #12 opened: 市电电压越限\r\n\r\n"
                           "Where: 市机关机房 (hq, gateway gw1), device meter1, point v_l1\r\n"));
    assert_string_equal(r.title, "[MAJOR] Incident #12 opened: 市电电压越限");
    nt_request_free(&r);
}

static void
test_event_bits(void **state)
{
    (void)state;
    assert_int_equal(nt_event_bit("incident", "opened"), CFG_NT_EV_OPENED);
    assert_int_equal(nt_event_bit("alert", "lost"), CFG_NT_EV_LOST);
    assert_int_equal(nt_event_bit("incident", "raised"), 0);
    assert_string_equal(nt_event_name(CFG_NT_EV_RECOVERED), "alert_recovered");
}

/* An alert's facts come as JSON from whoever raised it: named in the title, each member a
 * line; Alertmanager gets the indicator as alertname. */
static void
test_alert(void **state)
{
    struct cfg_notify ch = channel(CFG_NT_WECOM, "http://127.0.0.1:1/send");
    struct nt_fact f = {.seq = 9,
                        .kind = NT_ALERT,
                        .event = CFG_NT_EV_RAISED,
                        .at = T0,
                        .severity = -1,
                        .category = -1,
                        .value = NAN,
                        .detail = "{\"indicator\":\"voltage_stability\",\"name\":\"电流、电压稳定\","
                                  "\"status\":\"at_risk\",\"value\":96.5}"};
    struct nt_request r;
    json_t *j;
    const char *content;

    (void)state;
    assert_int_equal(nt_build(&ch, &site, &f, 1, T0, &r), 0);
    assert_string_equal(r.title, "【目标】指标预警：电流、电压稳定");
    j = json_loads(r.body, 0, NULL);
    content = json_string_value(json_object_get(json_object_get(j, "markdown"), "content"));
    assert_string_equal(content, "### 【目标】指标预警：电流、电压稳定\n"
                                 "- 地点：市机关机房（hq，网关 gw1）\n"
                                 "- 时间：2026-03-01 09:30:00\n"
                                 "- indicator: voltage_stability\n"
                                 "- status: at_risk\n"
                                 "- value: 96.5\n");
    json_decref(j);
    nt_request_free(&r);

    ch = channel(CFG_NT_ALERTMANAGER, "http://127.0.0.1:9093");
    f.event = CFG_NT_EV_RECOVERED;
    assert_int_equal(nt_build(&ch, &site, &f, 1, T0, &r), 0);
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(j, 0), "labels"),
                                          "alertname")),
        "voltage_stability");
    assert_non_null(json_object_get(json_array_get(j, 0), "endsAt"));
    json_decref(j);
    nt_request_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_vectors),
        cmocka_unit_test(test_wecom_exact),
        cmocka_unit_test(test_dingtalk_signed_url),
        cmocka_unit_test(test_feishu_card_signed),
        cmocka_unit_test(test_burst_merges_within_limit),
        cmocka_unit_test(test_alertmanager_resolution),
        cmocka_unit_test(test_webhook_and_email),
        cmocka_unit_test(test_event_bits),
        cmocka_unit_test(test_alert),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
