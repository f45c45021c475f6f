/*
 * nt_msg.c - the text and the requests of notifications (see nt_msg.h).
 *
 * One section per fact: a title line and a few "key: value" lines. A robot message is
 * markdown: "### title" and "- " lines (WeCom, DingTalk), or a Feishu card whose header is
 * the title and whose markdown element holds the lines (Feishu's card markdown has no
 * headings). E-mail and the texts inside JSON bodies are the same lines, plain. Several
 * facts merge into one message under a header that counts them: that is how a burst stays
 * within a robot's 20 messages a minute without losing any.
 */
#include "notify/nt_msg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cfg/cfg.h"
#include "rw_calendar.h"

#define MERGE_MAX 50     /* facts in one message for the channels without a size limit */
#define FEISHU_MAX 20000 /* bytes (Feishu takes 20 KB) */

/* A growing string. */
struct sb {
    char *p;
    size_t n, cap;
    int oom;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (b->oom)
        return;
    for (;;) {
        size_t room = b->cap - b->n;

        va_start(ap, fmt);
        k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p != NULL && (size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        size_t ncap = (b->cap ? b->cap : 256);
        while (ncap < b->n + (size_t)k + 1)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (np == NULL) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

static void
sb_free(struct sb *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- words ----------------------------------------------------------------------------- */

static const char *const sev_zh[] = {"紧急", "重要", "次要", "提示"};
static const char *const sev_en[] = {"CRITICAL", "MAJOR", "MINOR", "WARNING"};
static const char *const cat_zh[] = {"电力", "环境", "网络", "设备", "安全"};

static const char *
sev_word(const struct nt_fact *f, int en)
{
    if (f->severity < 0 || f->severity > 3)
        return en ? "NOTICE" : "通知";
    return en ? sev_en[f->severity] : sev_zh[f->severity];
}

static const char *
cat_word(const struct nt_fact *f, int en)
{
    if (f->category < 0 || f->category > 4)
        return "?";
    return en ? cfg_category_name((enum cfg_category)f->category) : cat_zh[f->category];
}

unsigned
nt_event_bit(const char *kind, const char *what)
{
    static const struct {
        const char *kind, *what;
        unsigned bit;
    } map[] = {
        {"incident", "opened", CFG_NT_EV_OPENED},
        {"incident", "escalated", CFG_NT_EV_ESCALATED},
        {"incident", "resolved", CFG_NT_EV_RESOLVED},
        {"alert", "raised", CFG_NT_EV_RAISED},
        {"alert", "recovered", CFG_NT_EV_RECOVERED},
        {"alert", "lost", CFG_NT_EV_LOST},
    };

    for (size_t i = 0; kind != NULL && what != NULL && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(kind, map[i].kind) == 0 && strcmp(what, map[i].what) == 0)
            return map[i].bit;
    return 0;
}

const char *
nt_event_name(unsigned bit)
{
    switch (bit) {
    case CFG_NT_EV_OPENED:
        return "incident_opened";
    case CFG_NT_EV_ESCALATED:
        return "incident_escalated";
    case CFG_NT_EV_RESOLVED:
        return "incident_resolved";
    case CFG_NT_EV_RAISED:
        return "alert_raised";
    case CFG_NT_EV_RECOVERED:
        return "alert_recovered";
    case CFG_NT_EV_LOST:
        return "alert_lost";
    default:
        return "?";
    }
}

/* "2026-03-01 09:30:00" in the site's zone, from RFC 3339 without the offset and ms. */
static const char *
local_time(const struct nt_site *site, int64_t t, char *buf, size_t len)
{
    char r[RW_CAL_TIME_LEN];

    rw_calendar_rfc3339(site->timezone, t, r, sizeof(r));
    if (strlen(r) >= 19)
        r[10] = ' ', r[19] = '\0';
    snprintf(buf, len, "%s", r);
    return buf;
}

static const char *
duration(int64_t ms, int en, char *buf, size_t len)
{
    long long s = (long long)(ms / 1000), h = s / 3600, m = s % 3600 / 60;

    if (h > 0)
        snprintf(buf, len, en ? "%lld h %lld min" : "%lld 小时 %lld 分", h, m);
    else if (m > 0)
        snprintf(buf, len, en ? "%lld min %lld s" : "%lld 分 %lld 秒", m, s % 60);
    else
        snprintf(buf, len, en ? "%lld s" : "%lld 秒", s);
    return buf;
}

/* The value as people read it: its state name, or the number and its unit. */
static void
value_text(const struct nt_fact *f, int en, char *buf, size_t len)
{
    if (!isfinite(f->value))
        snprintf(buf, len, "%s", en ? "no answer" : "无应答");
    else if (f->label != NULL)
        snprintf(buf, len, "%s (%.10g)", f->label, f->value);
    else
        snprintf(buf, len, "%.10g%s%s", f->value, f->unit && f->unit[0] ? " " : "",
                 f->unit ? f->unit : "");
}

static const char *
fact_name(const struct nt_fact *f)
{
    return f->rule_name != NULL ? f->rule_name : f->rule != NULL ? f->rule : "?";
}

/* ---- sections -------------------------------------------------------------------------- */

static void
incident_title(struct sb *b, const struct nt_fact *f, int en)
{
    const char *ev;

    if (en) {
        ev = f->event == CFG_NT_EV_RESOLVED    ? "resolved"
             : f->event == CFG_NT_EV_ESCALATED ? "not acknowledged"
                                               : "opened";
        sb_printf(b, "[%s] Incident #%lld %s: %s", sev_word(f, 1), (long long)f->id, ev,
                  fact_name(f));
    } else {
        ev = f->event == CFG_NT_EV_RESOLVED    ? "故障恢复"
             : f->event == CFG_NT_EV_ESCALATED ? "故障超时未确认"
                                               : "故障发生";
        sb_printf(b, "【%s】%s #%lld %s", sev_word(f, 0), ev, (long long)f->id, fact_name(f));
    }
}

static void
site_text(struct sb *b, const struct nt_site *site, int en)
{
    if (site->name != NULL)
        sb_printf(b, en ? "%s (%s, gateway %s)" : "%s（%s，网关 %s）", site->name, site->id,
                  site->gateway);
    else
        sb_printf(b, en ? "site %s, gateway %s" : "站点 %s，网关 %s", site->id, site->gateway);
}

/* The lines of an incident, each started with lead ("- " or ""). */
static void
incident_lines(struct sb *b, const struct nt_site *site, const struct nt_fact *f, int en,
               const char *lead)
{
    char t1[32], t2[32], d[48], v[96];

    sb_printf(b, "%s%s", lead, en ? "Where: " : "地点：");
    site_text(b, site, en);
    sb_printf(b, en ? ", device %s" : "，设备 %s", f->device ? f->device : "?");
    if (f->point != NULL)
        sb_printf(b, en ? ", point %s" : "，测点 %s", f->point);
    sb_printf(b, "\n");
    if (f->event == CFG_NT_EV_RESOLVED && f->resolved != 0)
        sb_printf(
            b, en ? "%sSince: %s, resolved %s (after %s)\n" : "%s开始：%s，恢复：%s（历时 %s）\n",
            lead, local_time(site, f->started, t1, sizeof(t1)),
            local_time(site, f->resolved, t2, sizeof(t2)),
            duration(f->resolved - f->detected, en, d, sizeof(d)));
    else
        sb_printf(b, en ? "%sSince: %s (detected %s)\n" : "%s开始：%s（检测于 %s）\n", lead,
                  local_time(site, f->started, t1, sizeof(t1)),
                  local_time(site, f->detected, t2, sizeof(t2)));
    value_text(f, en, v, sizeof(v));
    if (f->limit != NULL)
        sb_printf(b, en ? "%sValue: %s (limit: %s)\n" : "%s数值：%s（限值：%s）\n", lead, v,
                  f->limit);
    else
        sb_printf(b, en ? "%sValue: %s\n" : "%s数值：%s\n", lead, v);
    sb_printf(b, en ? "%sCategory: %s, rule %s\n" : "%s类别：%s，规则 %s\n", lead, cat_word(f, en),
              f->rule ? f->rule : "?");
    if (f->event == CFG_NT_EV_ESCALATED)
        sb_printf(b,
                  en ? "%sEscalated: nobody acknowledged it within %s (escalation %d)\n"
                     : "%s升级：%s 内无人确认（第 %d 次升级）\n",
                  lead, duration((int64_t)(f->escalate_s * 1000), en, d, sizeof(d)), f->level);
    if (f->acked != 0)
        sb_printf(b, en ? "%sAcknowledged: %s by %s\n" : "%s已确认：%s，%s\n", lead,
                  local_time(site, f->acked, t1, sizeof(t1)), f->acked_by ? f->acked_by : "?");
    if (f->event == CFG_NT_EV_RESOLVED)
        sb_printf(b,
                  en ? "%sTo do: record cause and measure: `roomwatch resolve %lld --by NAME "
                       "--cause TEXT --measure TEXT`\n"
                     : "%s处理：请补记原因和措施：`roomwatch resolve %lld --by 姓名 --cause 原因 "
                       "--measure 措施`\n",
                  lead, (long long)f->id);
    else if (f->acked == 0 && en)
        sb_printf(b,
                  "%sTo do: acknowledge with `roomwatch ack %lld --by NAME` on the gateway, or "
                  "publish {\"incident\":%lld,\"by\":\"NAME\"} to %s/cmd/ack\n",
                  lead, (long long)f->id, (long long)f->id, site->prefix);
    else if (f->acked == 0)
        sb_printf(b,
                  "%s处理：在网关执行 `roomwatch ack %lld --by 姓名` 确认，或向 %s/cmd/ack 发送 "
                  "{\"incident\":%lld,\"by\":\"姓名\"}\n",
                  lead, (long long)f->id, site->prefix, (long long)f->id);
}

static void
alert_title(struct sb *b, const struct nt_fact *f, json_t *d, int en)
{
    const char *name = json_string_value(json_object_get(d, "name"));
    const char *id = json_string_value(json_object_get(d, "indicator"));
    const char *w;

    if (name == NULL)
        name = id != NULL ? id : "?";
    if (en)
        w = f->event == CFG_NT_EV_RAISED ? "at risk"
            : f->event == CFG_NT_EV_LOST ? "lost"
                                         : "recovered";
    else
        w = f->event == CFG_NT_EV_RAISED ? "指标预警"
            : f->event == CFG_NT_EV_LOST ? "指标失守"
                                         : "指标恢复";
    if (en)
        sb_printf(b, "[TARGET] %s: %s", w, name);
    else
        sb_printf(b, "【目标】%s：%s", w, name);
}

/* An alert's facts, as given by whoever raised it: every member, as "key: value". */
static void
alert_lines(struct sb *b, const struct nt_site *site, const struct nt_fact *f, json_t *d, int en,
            const char *lead)
{
    const char *key;
    json_t *v;
    char t[32];

    sb_printf(b, "%s%s", lead, en ? "Where: " : "地点：");
    site_text(b, site, en);
    sb_printf(b, "\n%s%s%s\n", lead, en ? "At: " : "时间：", local_time(site, f->at, t, sizeof(t)));
    json_object_foreach(d, key, v)
    {
        char *s;

        if (strcmp(key, "name") == 0)
            continue;
        s = json_is_string(v)
                ? strdup(json_string_value(v))
                : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
        if (s != NULL)
            sb_printf(b, "%s%s: %s\n", lead, key, s);
        free(s);
    }
}

enum style {
    ST_MARKDOWN = 0, /* "### title", "- " lines */
    ST_CARD,         /* "**title**", "- " lines (Feishu's card markdown) */
    ST_PLAIN,        /* title, lines */
};

/* One fact's title into title and its lines into body. */
static void
section(const struct nt_site *site, const struct nt_fact *f, int en, const char *lead,
        struct sb *title, struct sb *body)
{
    json_t *d = NULL;

    if (f->kind == NT_ALERT) {
        d = json_loads(f->detail ? f->detail : "{}", 0, NULL);
        if (!json_is_object(d)) {
            json_decref(d);
            d = json_object();
        }
        alert_title(title, f, d, en);
        alert_lines(body, site, f, d, en, lead);
        json_decref(d);
        return;
    }
    incident_title(title, f, en);
    incident_lines(body, site, f, en, lead);
}

/* The text of facts f[0 .. *used) in style, whole, within max bytes (0: no limit) if the
 * first fits; *title gets the message's title. Returns the text or NULL (out of memory). */
static char *
compose(const struct nt_site *site, const struct nt_fact *f, size_t n, int en, enum style st,
        size_t max, struct sb *title, size_t *used)
{
    const char *lead = st == ST_PLAIN ? "" : "- ";
    struct sb out = {0}, *secs;
    size_t k, total = 0, head = 128;

    if (n > MERGE_MAX)
        n = MERGE_MAX;
    if ((secs = calloc(n * 2, sizeof(*secs))) == NULL)
        return NULL;
    for (k = 0; k < n; k++) {
        size_t len;

        section(site, &f[k], en, lead, &secs[2 * k], &secs[2 * k + 1]);
        if (secs[2 * k].oom || secs[2 * k + 1].oom)
            break;
        len = secs[2 * k].n + secs[2 * k + 1].n + 16;
        if (max != 0 && k > 0 && head + total + len > max)
            break;
        total += len;
    }
    *used = k > 0 ? k : 1;
    if (*used == 1) {
        sb_printf(title, "%s", secs[0].p ? secs[0].p : "");
        if (st == ST_MARKDOWN)
            sb_printf(&out, "### %s\n", title->p);
        else if (st == ST_PLAIN)
            sb_printf(&out, "%s\n\n", title->p);
        sb_printf(&out, "%s", secs[1].p ? secs[1].p : "");
    } else {
        sb_printf(title, en ? "roomwatch %s: %zu notifications" : "roomwatch %s：%zu 条通知",
                  site->id, *used);
        if (st == ST_MARKDOWN)
            sb_printf(&out, "### %s\n", title->p);
        else if (st == ST_PLAIN)
            sb_printf(&out, "%s\n", title->p);
        for (k = 0; k < *used; k++)
            sb_printf(&out,
                      st == ST_MARKDOWN ? "\n#### %s\n%s"
                      : st == ST_CARD   ? "\n**%s**\n%s"
                                        : "\n%s\n%s",
                      secs[2 * k].p, secs[2 * k + 1].p);
    }
    for (k = 0; k < n * 2; k++)
        sb_free(&secs[k]);
    free(secs);
    if (out.oom || title->oom) {
        sb_free(&out);
        return NULL;
    }
    /* A single fact longer than the limit: cut at a character boundary. */
    if (max != 0 && out.n >= max) {
        size_t cut = max - 4;

        while (cut > 0 && (out.p[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(out.p + cut, "…", 4);
        out.p[cut + 3] = '\0';
    }
    return out.p;
}

/* ---- signatures ------------------------------------------------------------------------ */

static int
b64(const unsigned char *in, size_t n, char *out, size_t len)
{
    if (len < 4 * ((n + 2) / 3) + 1)
        return -1;
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return 0;
}

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static int
urlenc(const char *in, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            if (o + 1 >= len)
                return -1;
            out[o++] = (char)*p;
        } else {
            if (o + 3 >= len)
                return -1;
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (o >= len)
        return -1;
    out[o] = '\0';
    return 0;
}

int
nt_sign_dingtalk(const char *secret, int64_t ms, char *out, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char msg[512], b[128];
    int n = snprintf(msg, sizeof(msg), "%lld\n%s", (long long)ms, secret);

    if (n < 0 || (size_t)n >= sizeof(msg) ||
        HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, (size_t)n, mac,
             &maclen) == NULL ||
        b64(mac, maclen, b, sizeof(b)) < 0)
        return -1;
    explicit_bzero(msg, sizeof(msg));
    return urlenc(b, out, len);
}

int
nt_sign_feishu(const char *secret, int64_t s, char *out, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char key[512];
    int n = snprintf(key, sizeof(key), "%lld\n%s", (long long)s, secret);
    int rc;

    if (n < 0 || (size_t)n >= sizeof(key))
        return -1;
    rc = HMAC(EVP_sha256(), key, n, (const unsigned char *)"", 0, mac, &maclen) == NULL
             ? -1
             : b64(mac, maclen, out, len);
    explicit_bzero(key, sizeof(key));
    return rc;
}

/* ---- bodies ---------------------------------------------------------------------------- */

static char *
dump(json_t *j)
{
    char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;

    json_decref(j);
    return s;
}

static char *
url_with(const char *base, const char *sep, const char *name, const char *value)
{
    char enc[1024];
    struct sb b = {0};

    if (urlenc(value, enc, sizeof(enc)) < 0)
        return NULL;
    sb_printf(&b, "%s%s%s%s", base, sep, name, enc);
    explicit_bzero(enc, sizeof(enc));
    return b.oom ? (sb_free(&b), NULL) : b.p;
}

static json_t *
time_json(const struct nt_site *site, int64_t t)
{
    char buf[RW_CAL_TIME_LEN];

    return t != 0 ? json_string(rw_calendar_rfc3339(site->timezone, t, buf, sizeof(buf)))
                  : json_null();
}

static json_t *
str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* The facts of one notification for the webhook. */
static json_t *
fact_json(const struct nt_site *site, const struct nt_fact *f, int en)
{
    struct sb title = {0}, text = {0};
    json_t *o = json_object(), *x;

    section(site, f, en, "", &title, &text);
    json_object_set_new(o, "seq", json_integer(f->seq));
    json_object_set_new(o, "event", json_string(nt_event_name(f->event)));
    json_object_set_new(o, "at", time_json(site, f->at));
    json_object_set_new(o, "title", str_or_null(title.p));
    json_object_set_new(o, "text", str_or_null(text.p));
    if (f->kind == NT_ALERT) {
        x = json_loads(f->detail ? f->detail : "{}", 0, NULL);
        json_object_set_new(o, "alert", x != NULL ? x : json_object());
    } else {
        x = json_object();
        json_object_set_new(x, "id", json_integer(f->id));
        json_object_set_new(x, "rule", str_or_null(f->rule));
        json_object_set_new(x, "name", str_or_null(f->rule_name));
        json_object_set_new(x, "severity",
                            f->severity >= 0
                                ? json_string(cfg_severity_name((enum cfg_severity)f->severity))
                                : json_null());
        json_object_set_new(x, "category",
                            f->category >= 0
                                ? json_string(cfg_category_name((enum cfg_category)f->category))
                                : json_null());
        json_object_set_new(x, "device", str_or_null(f->device));
        json_object_set_new(x, "point", str_or_null(f->point));
        json_object_set_new(x, "unit", str_or_null(f->unit));
        json_object_set_new(x, "value", isfinite(f->value) ? json_real(f->value) : json_null());
        json_object_set_new(x, "label", str_or_null(f->label));
        json_object_set_new(x, "limit", str_or_null(f->limit));
        json_object_set_new(x, "started", time_json(site, f->started));
        json_object_set_new(x, "detected", time_json(site, f->detected));
        json_object_set_new(x, "acknowledged", time_json(site, f->acked));
        json_object_set_new(x, "acknowledged_by", str_or_null(f->acked_by));
        json_object_set_new(x, "resolved", time_json(site, f->resolved));
        if (f->event == CFG_NT_EV_ESCALATED)
            json_object_set_new(x, "escalation", json_integer(f->level));
        json_object_set_new(o, "incident", x);
    }
    sb_free(&title);
    sb_free(&text);
    return o;
}

/* One Alertmanager alert: labels identify it (the same on every re-send, so Alertmanager
 * groups and resolves it), annotations say it for people. */
static json_t *
am_alert(const struct nt_site *site, const struct nt_fact *f, int en)
{
    struct sb title = {0}, text = {0};
    json_t *a = json_object(), *l = json_object(), *an = json_object();
    char id[32];

    section(site, f, en, "", &title, &text);
    if (f->kind == NT_ALERT) {
        json_t *d = json_loads(f->detail ? f->detail : "{}", 0, NULL);
        const char *ind = json_string_value(json_object_get(d, "indicator"));

        json_object_set_new(l, "alertname", json_string(ind ? ind : "indicator"));
        json_object_set_new(l, "site", json_string(site->id));
        json_object_set_new(l, "gateway", json_string(site->gateway));
        json_object_set_new(l, "kind", json_string("target"));
        json_decref(d);
    } else {
        json_object_set_new(l, "alertname", json_string(f->rule ? f->rule : "incident"));
        json_object_set_new(l, "site", json_string(site->id));
        json_object_set_new(l, "gateway", json_string(site->gateway));
        json_object_set_new(l, "device", json_string(f->device ? f->device : "?"));
        if (f->point != NULL)
            json_object_set_new(l, "point", json_string(f->point));
        if (f->severity >= 0)
            json_object_set_new(l, "severity",
                                json_string(cfg_severity_name((enum cfg_severity)f->severity)));
        if (f->category >= 0)
            json_object_set_new(l, "category",
                                json_string(cfg_category_name((enum cfg_category)f->category)));
        snprintf(id, sizeof(id), "%lld", (long long)f->id);
        json_object_set_new(l, "incident", json_string(id));
    }
    json_object_set_new(an, "summary", str_or_null(title.p));
    json_object_set_new(an, "description", str_or_null(text.p));
    json_object_set_new(a, "labels", l);
    json_object_set_new(a, "annotations", an);
    json_object_set_new(a, "startsAt", time_json(site, f->kind == NT_ALERT ? f->at : f->detected));
    if (f->event == CFG_NT_EV_RESOLVED || f->event == CFG_NT_EV_RECOVERED)
        json_object_set_new(a, "endsAt",
                            time_json(site, f->kind == NT_ALERT ? f->at : f->resolved));
    sb_free(&title);
    sb_free(&text);
    return a;
}

/* RFC 2047 encoded-word for a UTF-8 header (the subject). */
static char *
header_word(const char *s)
{
    size_t n = strlen(s), blen = 4 * ((n + 2) / 3) + 1;
    char *b = malloc(blen);
    struct sb out = {0};

    if (b == NULL || b64((const unsigned char *)s, n, b, blen) < 0) {
        free(b);
        return NULL;
    }
    sb_printf(&out, "=?UTF-8?B?%s?=", b);
    free(b);
    return out.oom ? (sb_free(&out), NULL) : out.p;
}

static char *
email_message(const struct cfg_notify *ch, const struct nt_site *site, const char *subject,
              const char *text, int64_t now_ms, int64_t seq)
{
    struct sb m = {0};
    char date[64], *subj = header_word(subject);
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;

    if (subj == NULL)
        return NULL;
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    sb_printf(&m, "From: %s\r\nTo: ", ch->from);
    for (size_t i = 0; i < ch->nto; i++)
        sb_printf(&m, "%s%s", i ? ", " : "", ch->to[i]);
    sb_printf(&m,
              "\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <roomwatch.%s.%s.%lld.%lld@%s>\r\n"
              "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: 8bit\r\n\r\n",
              subj, date, site->id, site->gateway, (long long)seq, (long long)now_ms, site->id);
    free(subj);
    /* Lines end in CRLF on the wire. */
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            sb_printf(&m, "\r\n");
        else
            sb_printf(&m, "%c", *p);
    }
    return m.oom ? (sb_free(&m), NULL) : m.p;
}

static const char *
feishu_color(const struct nt_fact *f, size_t used)
{
    if (used > 1)
        return "blue";
    if (f->event == CFG_NT_EV_RESOLVED || f->event == CFG_NT_EV_RECOVERED)
        return "green";
    switch (f->severity) {
    case 0:
        return "red";
    case 1:
        return "orange";
    case 2:
        return "yellow";
    default:
        return "blue";
    }
}

static int
build(const struct cfg_notify *ch, const struct nt_site *site, const struct nt_fact *f, size_t n,
      int64_t now_ms, const char *test_text, struct nt_request *req)
{
    int en = ch->english;
    struct sb title = {0};
    char *text = NULL, sig[128], ts[32];
    json_t *j, *x;
    size_t k;

    memset(req, 0, sizeof(*req));
    if (n == 0 && test_text == NULL) {
        errno = EINVAL;
        return -1;
    }
    switch (ch->type) {
    case CFG_NT_WECOM:
    case CFG_NT_DINGTALK:
    case CFG_NT_FEISHU:
    case CFG_NT_EMAIL:
        if (test_text != NULL) {
            sb_printf(&title, "%s", en ? "roomwatch test message" : "roomwatch 测试消息");
            req->used = 0;
            struct sb t = {0};
            sb_printf(&t,
                      ch->type == CFG_NT_EMAIL    ? "%s\n\n%s"
                      : ch->type == CFG_NT_FEISHU ? "%.0s%s"
                                                  : "### %s\n%s",
                      title.p, test_text);
            text = t.p;
        } else {
            enum style st = ch->type == CFG_NT_EMAIL    ? ST_PLAIN
                            : ch->type == CFG_NT_FEISHU ? ST_CARD
                                                        : ST_MARKDOWN;
            text = compose(site, f, n, en, st,
                           ch->type == CFG_NT_EMAIL    ? 0
                           : ch->type == CFG_NT_FEISHU ? FEISHU_MAX
                                                       : NT_ROBOT_MAX,
                           &title, &req->used);
        }
        if (text == NULL || title.oom)
            goto nomem;
        break;
    default:
        break;
    }
    switch (ch->type) {
    case CFG_NT_WECOM:
        j = json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown", "content", text);
        req->url = url_with(ch->url, "?", "key=", ch->key ? ch->key : "");
        break;
    case CFG_NT_DINGTALK:
        j = json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "markdown", "markdown", "title", title.p,
                      "text", text);
        req->url = url_with(ch->url, "?", "access_token=", ch->key ? ch->key : "");
        if (req->url != NULL && ch->secret != NULL) {
            struct sb u = {0};

            if (nt_sign_dingtalk(ch->secret, now_ms, sig, sizeof(sig)) < 0) {
                json_decref(j);
                goto inval;
            }
            sb_printf(&u, "%s&timestamp=%lld&sign=%s", req->url, (long long)now_ms, sig);
            free(req->url);
            req->url = u.p;
        }
        break;
    case CFG_NT_FEISHU:
        j = json_pack("{s:s, s:{s:{s:{s:s, s:s}, s:s}, s:[{s:s, s:s}]}}", "msg_type", "interactive",
                      "card", "header", "title", "tag", "plain_text", "content", title.p,
                      "template", test_text ? "blue" : feishu_color(f, req->used), "elements",
                      "tag", "markdown", "content", text);
        if (j != NULL && ch->secret != NULL) {
            int64_t s = now_ms / 1000;

            if (nt_sign_feishu(ch->secret, s, sig, sizeof(sig)) < 0) {
                json_decref(j);
                goto inval;
            }
            snprintf(ts, sizeof(ts), "%lld", (long long)s);
            json_object_set_new(j, "timestamp", json_string(ts));
            json_object_set_new(j, "sign", json_string(sig));
        }
        req->url = url_with(ch->url, "/", "", ch->key ? ch->key : "");
        break;
    case CFG_NT_ALERTMANAGER:
        j = json_array();
        if (test_text != NULL) {
            struct nt_fact t = {.kind = NT_ALERT,
                                .event = CFG_NT_EV_RECOVERED,
                                .at = now_ms,
                                .detail = "{\"indicator\":\"roomwatch_test\"}"};
            json_array_append_new(j, am_alert(site, &t, en));
            req->used = 0;
        } else {
            for (k = 0; k < n && k < MERGE_MAX; k++)
                json_array_append_new(j, am_alert(site, &f[k], en));
            req->used = k;
        }
        sb_printf(&title, en ? "%zu alerts" : "%zu 条告警", json_array_size(j));
        {
            struct sb u = {0};
            size_t ul = strlen(ch->url);

            while (ul > 0 && ch->url[ul - 1] == '/')
                ul--;
            sb_printf(&u, "%.*s/api/v2/alerts", (int)ul, ch->url);
            req->url = u.p;
        }
        break;
    case CFG_NT_WEBHOOK:
        x = json_array();
        if (test_text != NULL) {
            json_array_append_new(x, json_pack("{s:s, s:s}", "event", "test", "text", test_text));
            req->used = 0;
        } else {
            for (k = 0; k < n && k < MERGE_MAX; k++)
                json_array_append_new(x, fact_json(site, &f[k], en));
            req->used = k;
        }
        j = json_pack("{s:s, s:s, s:s, s:o}", "source", "roomwatch", "site", site->id, "gateway",
                      site->gateway, "notifications", x);
        sb_printf(&title, en ? "%zu notifications" : "%zu 条通知", json_array_size(x));
        req->url = strdup(ch->url);
        break;
    case CFG_NT_EMAIL:
        j = NULL;
        req->body = email_message(ch, site, title.p, text, now_ms, n > 0 ? f[0].seq : 0);
        req->url = strdup(ch->url);
        if (req->body == NULL)
            goto nomem;
        break;
    default:
        goto inval;
    }
    if (ch->type != CFG_NT_EMAIL && (req->body = dump(j)) == NULL)
        goto nomem;
    if (req->url == NULL || title.oom)
        goto nomem;
    req->title = title.p;
    free(text);
    return 0;
inval:
    free(text);
    sb_free(&title);
    nt_request_free(req);
    errno = EINVAL;
    return -1;
nomem:
    free(text);
    sb_free(&title);
    nt_request_free(req);
    errno = ENOMEM;
    return -1;
}

int
nt_build(const struct cfg_notify *ch, const struct nt_site *site, const struct nt_fact *f, size_t n,
         int64_t now_ms, struct nt_request *req)
{
    return build(ch, site, f, n, now_ms, NULL, req);
}

int
nt_build_test(const struct cfg_notify *ch, const struct nt_site *site, int64_t now_ms,
              struct nt_request *req)
{
    struct sb t = {0};
    char tm[32];
    int rc;

    if (ch->english)
        sb_printf(&t, "This is a test message from roomwatch at %s, %s, channel %s, sent %s.\n",
                  site->id, site->gateway, ch->id, local_time(site, now_ms, tm, sizeof(tm)));
    else
        sb_printf(&t, "这是 roomwatch 的测试消息：站点 %s，网关 %s，通道 %s，发送于 %s。\n",
                  site->id, site->gateway, ch->id, local_time(site, now_ms, tm, sizeof(tm)));
    if (t.oom) {
        errno = ENOMEM;
        return -1;
    }
    rc = build(ch, site, NULL, 0, now_ms, t.p, req);
    sb_free(&t);
    return rc;
}

void
nt_request_free(struct nt_request *req)
{
    if (req->url != NULL)
        explicit_bzero(req->url, strlen(req->url));
    free(req->url);
    free(req->body);
    free(req->title);
    memset(req, 0, sizeof(*req));
}
