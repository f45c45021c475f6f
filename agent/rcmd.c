/*
 * rcmd.c - commands on the fault-handling record (see rcmd.h).
 *
 * jansson already refuses invalid UTF-8, NUL characters and (with JSON_REJECT_DUPLICATES)
 * duplicate keys in a payload; the CLI's arguments come as raw bytes, so rcmd_check() checks
 * the UTF-8 of every string itself. Both paths end in rcmd_check(): one set of rules.
 */
#include "rcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct verb_keys {
    const char *verb;
    enum store_cmd_kind kind;
    const char *const keys[10]; /* NULL-terminated */
};

static const struct verb_keys verbs[] = {
    {"ack", STORE_CMD_ACK, {"incident", "by", "note", "correlation_id", NULL}},
    {"resolve", STORE_CMD_RESOLVE, {"incident", "by", "cause", "measure", "correlation_id", NULL}},
    {"event", STORE_CMD_EVENT, {"kind", "at", "by", "note", "incident", "correlation_id", NULL}},
    {"silence",
     STORE_CMD_SILENCE,
     {"from", "to", "rule", "device", "all", "by", "note", "correlation_id", NULL}},
};

static const char *const event_kinds[] = {"maintenance", "inspection", "security-incident"};

enum text_rule {
    T_LINE, /* one line: no control character at all */
    T_TEXT, /* free text: line feeds and tabs allowed */
};

/*
 * Checks that s is valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) and obeys
 * rule; counts its code points into *n. Returns 0, or -1 with the reason in why.
 */
static int
utf8_check(const char *s, enum text_rule rule, size_t *n, const char **why)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0;

    while (*p != '\0') {
        unsigned c = *p, cp, need, i;

        if (c < 0x80) {
            if ((c < 0x20 && !(rule == T_TEXT && (c == '\n' || c == '\t'))) || c == 0x7f) {
                *why = "holds a control character";
                return -1;
            }
            p++;
            count++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            cp = c & 0x07;
        } else {
            *why = "is not valid UTF-8";
            return -1;
        }
        for (i = 1; i <= need; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                *why = "is not valid UTF-8";
                return -1;
            }
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            *why = "is not valid UTF-8";
            return -1;
        }
        /* C1 controls (U+0080..U+009F) are control characters too. */
        if (cp <= 0x9f) {
            *why = "holds a control character";
            return -1;
        }
        p += need + 1;
        count++;
    }
    *n = count;
    return 0;
}

/* Checks one string field; required: it must be there. 0, or -1 with err filled. */
static int
check_text(const char *name, const char *s, int required, enum text_rule rule, size_t max,
           char *err, size_t errlen)
{
    const char *why = NULL, *q;
    size_t n;

    if (s == NULL) {
        if (!required)
            return 0;
        snprintf(err, errlen, "\"%s\" is missing", name);
        return -1;
    }
    if (utf8_check(s, rule, &n, &why) < 0) {
        snprintf(err, errlen, "\"%s\" %s", name, why);
        return -1;
    }
    for (q = s; *q == ' ' || *q == '\n' || *q == '\t'; q++)
        ;
    if (*q == '\0') {
        snprintf(err, errlen, "\"%s\" is empty", name);
        return -1;
    }
    if (n > max) {
        snprintf(err, errlen, "\"%s\" is %zu characters long; at most %zu are taken", name, n, max);
        return -1;
    }
    return 0;
}

/* A silence: from before to, within RCMD_SILENCE_MAX_MS; rule and/or device, or all; by and
 * note; nothing of the other commands. */
static enum rcmd_status
check_silence(const struct store_cmd *c, char *err, size_t errlen)
{
    if (c->incident != 0 || c->cause != NULL || c->measure != NULL || c->event_kind != NULL) {
        snprintf(err, errlen, "silence takes from, to, rule, device, all, by and note only");
        return RCMD_ERR_INVALID;
    }
    if (c->at == 0 || c->until == 0) {
        snprintf(err, errlen, "\"%s\" is missing", c->at == 0 ? "from" : "to");
        return RCMD_ERR_INVALID;
    }
    if (c->until <= c->at || c->until - c->at > RCMD_SILENCE_MAX_MS) {
        snprintf(err, errlen, "\"to\" must be after \"from\", within a year");
        return RCMD_ERR_INVALID;
    }
    if (c->all == (c->rule != NULL || c->device != NULL)) {
        snprintf(err, errlen, "give \"rule\" and/or \"device\", or \"all\": true");
        return RCMD_ERR_INVALID;
    }
    if (check_text("rule", c->rule, 0, T_LINE, RCMD_ID_MAX, err, errlen) < 0 ||
        check_text("device", c->device, 0, T_LINE, RCMD_ID_MAX, err, errlen) < 0 ||
        check_text("by", c->by, 1, T_LINE, RCMD_BY_MAX, err, errlen) < 0 ||
        check_text("note", c->note, 1, T_TEXT, RCMD_TEXT_MAX, err, errlen) < 0)
        return RCMD_ERR_INVALID;
    return RCMD_OK;
}

enum rcmd_status
rcmd_check(const struct store_cmd *c, int64_t now, char *err, size_t errlen)
{
    size_t i;

    if (c->kind != STORE_CMD_ACK && c->kind != STORE_CMD_RESOLVE && c->kind != STORE_CMD_EVENT &&
        c->kind != STORE_CMD_SILENCE) {
        snprintf(err, errlen, "unknown command");
        return RCMD_ERR_INVALID;
    }
    if (c->kind == STORE_CMD_SILENCE)
        return check_silence(c, err, errlen);
    if (c->until != 0 || c->rule != NULL || c->device != NULL || c->all) {
        snprintf(err, errlen, "only silence takes an end, a rule, a device or all");
        return RCMD_ERR_INVALID;
    }
    if (c->kind != STORE_CMD_EVENT && c->incident == 0) {
        snprintf(err, errlen, "\"incident\" is missing");
        return RCMD_ERR_INVALID;
    }
    if (c->incident < 0) {
        snprintf(err, errlen, "\"incident\" must be an integer >= 1");
        return RCMD_ERR_INVALID;
    }
    if (check_text("by", c->by, 1, T_LINE, RCMD_BY_MAX, err, errlen) < 0 ||
        check_text("note", c->note, c->kind == STORE_CMD_EVENT, T_TEXT, RCMD_TEXT_MAX, err,
                   errlen) < 0)
        return RCMD_ERR_INVALID;
    if (c->kind == STORE_CMD_RESOLVE &&
        (check_text("cause", c->cause, 1, T_TEXT, RCMD_TEXT_MAX, err, errlen) < 0 ||
         check_text("measure", c->measure, 1, T_TEXT, RCMD_TEXT_MAX, err, errlen) < 0))
        return RCMD_ERR_INVALID;
    if (c->kind != STORE_CMD_RESOLVE && (c->cause != NULL || c->measure != NULL)) {
        snprintf(err, errlen, "only resolve takes a cause and a measure");
        return RCMD_ERR_INVALID;
    }
    if (c->kind != STORE_CMD_EVENT && (c->event_kind != NULL || c->at != 0)) {
        snprintf(err, errlen, "only event takes a kind and a time");
        return RCMD_ERR_INVALID;
    }
    if (c->kind != STORE_CMD_EVENT)
        return RCMD_OK;
    if (c->event_kind == NULL) {
        snprintf(err, errlen, "\"kind\" is missing");
        return RCMD_ERR_INVALID;
    }
    for (i = 0; i < sizeof(event_kinds) / sizeof(event_kinds[0]); i++)
        if (strcmp(c->event_kind, event_kinds[i]) == 0)
            break;
    if (i == sizeof(event_kinds) / sizeof(event_kinds[0])) {
        /* Not echoed: it may be anything, invalid UTF-8 included. */
        snprintf(err, errlen, "\"kind\" must be maintenance, inspection or security-incident");
        return RCMD_ERR_INVALID;
    }
    if (c->at > now + RCMD_FUTURE_MS) {
        snprintf(err, errlen, "\"at\" is %lld s in the future", (long long)((c->at - now) / 1000));
        return RCMD_ERR_INVALID;
    }
    return RCMD_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s into *v; -1 if one is not a digit. */
static int
num(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int
rcmd_parse_time(const char *s, int64_t *ms)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec, oh, om, frac = 0, scale = 100;
    size_t len = strlen(s), i = 19;
    int64_t off;

    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':' || num(s, 4, &y) || num(s + 5, 2, &mo) || num(s + 8, 2, &d) ||
        num(s + 11, 2, &h) || num(s + 14, 2, &mi) || num(s + 17, 2, &sec))
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        sec > 59 || (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return -1;
    if (s[i] == '.') {
        size_t j = ++i;

        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            frac += (s[i] - '0') * scale; /* to the millisecond; further digits dropped */
            scale /= 10;
        }
        if (i == j || i - j > 9)
            return -1;
    }
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        off = 0;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
               num(s + i + 1, 2, &oh) == 0 && num(s + i + 4, 2, &om) == 0 && oh <= 23 && om <= 59) {
        off = (int64_t)(oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
    } else {
        return -1;
    }
    *ms =
        ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) - off) *
            1000 +
        frac;
    return 0;
}

void
rcmd_free(struct rcmd *c)
{
    if (c == NULL)
        return;
    json_decref(c->doc);
    c->doc = NULL;
}

/* The value of an optional string key: 0 and *out (NULL if absent or null), or -1. */
static int
get_string(json_t *o, const char *key, const char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "\"%s\" must be a string", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int
get_id(json_t *o, const char *key, int64_t *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);

    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        snprintf(err, errlen, "\"%s\" must be an integer >= 1", key);
        return -1;
    }
    *out = (int64_t)json_integer_value(v);
    return 0;
}

enum rcmd_status
rcmd_parse(const char *verb, const char *payload, size_t len, int64_t now, struct rcmd *out,
           char *err, size_t errlen)
{
    const struct verb_keys *vk = NULL;
    const char *at = NULL, *key, *why;
    struct store_cmd *c = &out->cmd;
    json_error_t jerr;
    json_t *v;
    size_t i, n;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (verb != NULL && strcmp(verb, verbs[i].verb) == 0)
            vk = &verbs[i];
    if (vk != NULL)
        snprintf(out->verb, sizeof(out->verb), "%s", vk->verb);
    if (payload == NULL || len > RCMD_PAYLOAD_MAX) {
        snprintf(err, errlen, "the payload is %zu bytes; at most %d are taken", len,
                 RCMD_PAYLOAD_MAX);
        return RCMD_ERR_INVALID;
    }
    out->doc = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
    if (out->doc == NULL) {
        /* jansson may quote the bad token: keep printable ASCII of it only. */
        for (i = 0; jerr.text[i] != '\0'; i++)
            if ((unsigned char)jerr.text[i] < 0x20 || (unsigned char)jerr.text[i] >= 0x7f)
                jerr.text[i] = '?';
        snprintf(err, errlen, "not valid JSON: %s (byte %d)", jerr.text, jerr.position);
        return RCMD_ERR_INVALID;
    }
    if (!json_is_object(out->doc)) {
        snprintf(err, errlen, "the payload must be a JSON object");
        return RCMD_ERR_INVALID;
    }
    /* The correlation id first, so that every refusal can carry it. */
    v = json_object_get(out->doc, "correlation_id");
    if (v != NULL && json_is_string(v) && utf8_check(json_string_value(v), T_LINE, &n, &why) == 0 &&
        n >= 1 && n <= RCMD_CID_MAX)
        out->cid = json_string_value(v);
    else if (v != NULL && !json_is_null(v)) {
        snprintf(err, errlen, "\"correlation_id\" must be a string of 1 to %d characters",
                 RCMD_CID_MAX);
        return RCMD_ERR_INVALID;
    }
    if (vk == NULL) {
        snprintf(err, errlen, "unknown command (ack, resolve, event and silence are known)");
        return RCMD_ERR_INVALID;
    }
    json_object_foreach(out->doc, key, v)
    {
        for (i = 0; vk->keys[i] != NULL && strcmp(key, vk->keys[i]) != 0; i++)
            ;
        if (vk->keys[i] == NULL) {
            char list[96] = "";

            for (i = 0; vk->keys[i] != NULL; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                         vk->keys[i]);
            /* Echoed only if it is short and printable: the answer is also logged. */
            if (strlen(key) <= 40 && utf8_check(key, T_LINE, &n, &why) == 0)
                snprintf(err, errlen, "unknown key \"%s\" (%s takes %s)", key, vk->verb, list);
            else
                snprintf(err, errlen, "unknown key (%s takes %s)", vk->verb, list);
            return RCMD_ERR_INVALID;
        }
    }
    c->kind = vk->kind;
    if (get_id(out->doc, "incident", &c->incident, err, errlen) < 0 ||
        get_string(out->doc, "by", &c->by, err, errlen) < 0 ||
        get_string(out->doc, "note", &c->note, err, errlen) < 0 ||
        get_string(out->doc, "cause", &c->cause, err, errlen) < 0 ||
        get_string(out->doc, "measure", &c->measure, err, errlen) < 0 ||
        get_string(out->doc, "kind", &c->event_kind, err, errlen) < 0 ||
        get_string(out->doc, "at", &at, err, errlen) < 0 ||
        get_string(out->doc, "rule", &c->rule, err, errlen) < 0 ||
        get_string(out->doc, "device", &c->device, err, errlen) < 0)
        return RCMD_ERR_INVALID;
    if (vk->kind == STORE_CMD_SILENCE) {
        const char *when[2] = {NULL, NULL}, *names[2] = {"from", "to"};
        int64_t *dst[2] = {&c->at, &c->until};
        json_t *all = json_object_get(out->doc, "all");

        if (all != NULL && !json_is_null(all) && !json_is_boolean(all)) {
            snprintf(err, errlen, "\"all\" must be true or false");
            return RCMD_ERR_INVALID;
        }
        c->all = json_is_true(all);
        for (i = 0; i < 2; i++) {
            if (get_string(out->doc, names[i], &when[i], err, errlen) < 0)
                return RCMD_ERR_INVALID;
            if (when[i] != NULL && rcmd_parse_time(when[i], dst[i]) < 0) {
                snprintf(err, errlen,
                         "\"%s\" is not an RFC 3339 time with an offset "
                         "(2026-03-01T09:30:00+08:00)",
                         names[i]);
                return RCMD_ERR_INVALID;
            }
        }
    }
    if (vk->kind == STORE_CMD_EVENT) {
        if (at == NULL) {
            snprintf(err, errlen, "\"at\" is missing");
            return RCMD_ERR_INVALID;
        }
        if (rcmd_parse_time(at, &c->at) < 0) {
            snprintf(err, errlen,
                     "\"at\" is not an RFC 3339 time with an offset "
                     "(2026-03-01T09:30:00+08:00)");
            return RCMD_ERR_INVALID;
        }
    }
    return rcmd_check(c, now, err, errlen);
}

static json_t *
answer(const struct rcmd *c, int ok)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "ok", json_boolean(ok));
    json_object_set_new(o, "command",
                        c != NULL && c->verb[0] != '\0' ? json_string(c->verb) : json_null());
    if (c != NULL && c->cid != NULL)
        json_object_set_new(o, "correlation_id", json_string(c->cid));
    return o;
}

static char *
dump(json_t *o)
{
    char *txt = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    json_decref(o);
    return txt;
}

char *
rcmd_answer_ok(const struct rcmd *c, const struct store_cmd_result *r)
{
    json_t *o = answer(c, 1);

    if (o == NULL)
        return NULL;
    if (c->cmd.kind == STORE_CMD_SILENCE) {
        json_object_set_new(o, "silence", json_integer(r->id));
    } else if (c->cmd.kind == STORE_CMD_EVENT) {
        json_object_set_new(o, "event", json_integer(r->id));
        json_object_set_new(o, "incident",
                            c->cmd.incident != 0 ? json_integer(c->cmd.incident) : json_null());
    } else {
        json_object_set_new(o, "incident", json_integer(r->id));
    }
    json_object_set_new(o, "changed", json_boolean(r->changed));
    json_object_set_new(o, "message", json_string(r->changed ? r->what : r->why));
    return dump(o);
}

char *
rcmd_answer_error(const struct rcmd *c, const char *error)
{
    json_t *o = answer(c, 0);
    json_t *e = json_string(error);

    if (o == NULL) {
        json_decref(e);
        return NULL;
    }
    /* Every reason built here is valid UTF-8; should one not be, the answer still goes. */
    json_object_set_new(o, "error", e != NULL ? e : json_string("refused"));
    return dump(o);
}
