/*
 * trace_cmd.c - a trace's event rows as commands (see trace_cmd.h).
 */
#include "trace_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/trace_csv.h"

enum key {
    K_INCIDENT = 0,
    K_BY,
    K_NOTE,
    K_CAUSE,
    K_MEASURE,
    K_KIND,
    K_AT,
    K_NONE,
};

static const char *const key_names[] = {"incident", "by", "note", "cause", "measure", "kind", "at"};

/* The keys each directive takes. */
static const unsigned takes[] = {
    [STORE_CMD_ACK] = 1u << K_INCIDENT | 1u << K_BY | 1u << K_NOTE,
    [STORE_CMD_RESOLVE] = 1u << K_INCIDENT | 1u << K_BY | 1u << K_CAUSE | 1u << K_MEASURE,
    [STORE_CMD_EVENT] = 1u << K_KIND | 1u << K_BY | 1u << K_NOTE | 1u << K_INCIDENT | 1u << K_AT,
};

static const char *const event_kinds[] = {"maintenance", "inspection", "security-incident"};

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes n bytes of v (%XX escapes) into buf; the length, or -1 if malformed or too long. */
static long
decode(const char *v, size_t n, char *buf, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = v[i];

        if (c == '%') {
            int hi, lo;

            if (i + 2 >= n || (hi = hexval(v[i + 1])) < 0 || (lo = hexval(v[i + 2])) < 0)
                return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        buf[o++] = c;
    }
    buf[o] = '\0';
    return (long)o;
}

int
trace_cmd_parse(const struct trace_row *row, struct trace_cmd *out, char *err, size_t errlen)
{
    struct store_cmd *c = &out->cmd;
    const char *p = row->text, *end = row->text + row->text_len;
    char val[TRACE_CMD_TEXT];

    memset(c, 0, sizeof(*c));
    if (strcmp(row->point, "@ack") == 0) {
        c->kind = STORE_CMD_ACK;
    } else if (strcmp(row->point, "@resolve") == 0) {
        c->kind = STORE_CMD_RESOLVE;
    } else if (strcmp(row->point, "@event") == 0) {
        c->kind = STORE_CMD_EVENT;
    } else {
        snprintf(err, errlen, "unknown directive \"%s\" (@ack, @resolve or @event)", row->point);
        return -1;
    }
    c->at = row->t;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p)), *eq;
        size_t flen = (size_t)((semi ? semi : end) - p), klen;
        enum key k;

        if ((eq = memchr(p, '=', flen)) == NULL) {
            snprintf(err, errlen, "%s: expected key=value, not \"%.*s\"", row->point,
                     (int)(flen > 40 ? 40 : flen), p);
            return -1;
        }
        klen = (size_t)(eq - p);
        for (k = 0; k < K_NONE; k++)
            if (strlen(key_names[k]) == klen && memcmp(key_names[k], p, klen) == 0)
                break;
        if (k == K_NONE || !(takes[c->kind] & 1u << k)) {
            snprintf(err, errlen, "%s takes no key \"%.*s\"", row->point,
                     (int)(klen > 40 ? 40 : klen), p);
            return -1;
        }
        if (decode(eq + 1, flen - klen - 1, val, sizeof(val)) <= 0) {
            snprintf(err, errlen, "%s: \"%s\" must be 1 to %d bytes, with %%XX escapes only",
                     row->point, key_names[k], TRACE_CMD_TEXT - 1);
            return -1;
        }
        switch (k) {
        case K_INCIDENT: {
            char *e;
            long long id = strtoll(val, &e, 10);

            if (*e != '\0' || id < 1) {
                snprintf(err, errlen, "%s: incident must be a number from 1 (is \"%s\")",
                         row->point, val);
                return -1;
            }
            c->incident = id;
            break;
        }
        case K_KIND:
            for (size_t i = 0; i < sizeof(event_kinds) / sizeof(event_kinds[0]); i++)
                if (strcmp(val, event_kinds[i]) == 0)
                    c->event_kind = event_kinds[i];
            if (c->event_kind == NULL) {
                snprintf(err, errlen,
                         "@event: kind must be maintenance, inspection or "
                         "security-incident (is \"%s\")",
                         val);
                return -1;
            }
            break;
        case K_AT:
            if (trace_parse_ts(val, strlen(val), &c->at) < 0) {
                snprintf(err, errlen,
                         "@event: at must be a time as the ts column takes it "
                         "(is \"%s\")",
                         val);
                return -1;
            }
            break;
        case K_BY:
            c->by = strcpy(out->by, val);
            break;
        case K_NOTE:
            c->note = strcpy(out->note, val);
            break;
        case K_CAUSE:
            c->cause = strcpy(out->cause, val);
            break;
        case K_MEASURE:
            c->measure = strcpy(out->measure, val);
            break;
        case K_NONE:
            break;
        }
        p = semi ? semi + 1 : end;
    }
    if (c->by == NULL) {
        snprintf(err, errlen, "%s needs by=NAME", row->point);
        return -1;
    }
    if (c->kind != STORE_CMD_EVENT && c->incident == 0) {
        snprintf(err, errlen, "%s needs incident=ID", row->point);
        return -1;
    }
    if (c->kind == STORE_CMD_EVENT && c->event_kind == NULL) {
        snprintf(err, errlen, "@event needs kind=maintenance|inspection|security-incident");
        return -1;
    }
    return 0;
}

int
trace_restart_parse(const struct trace_row *row, int64_t *saved, char *err, size_t errlen)
{
    static const char key[] = "saved=";

    if (strcmp(row->point, "@restart") != 0)
        return 0;
    if (row->text_len <= sizeof(key) - 1 || memcmp(row->text, key, sizeof(key) - 1) != 0 ||
        trace_parse_ts(row->text + sizeof(key) - 1, row->text_len - (sizeof(key) - 1), saved) <
            0) {
        snprintf(err, errlen, "@restart needs saved=TIME (the checkpoint it resumed from)");
        return -1;
    }
    if (*saved > row->t) {
        snprintf(err, errlen, "@restart: saved is after the restart");
        return -1;
    }
    return 1;
}
