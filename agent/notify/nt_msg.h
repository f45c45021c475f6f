/*
 * nt_msg.h - what a notification says, and the exact request each channel type takes:
 * WeCom and DingTalk markdown, a Feishu card, Alertmanager's alert list, a generic JSON
 * webhook, an e-mail. Pure: no I/O, no clock (the time is passed in); the notifier
 * (notifier.c) resolves the facts from the store and the config and sends what this builds.
 *
 * Every message says what happened, where (site, gateway, device, point), since when, the
 * value and the limit, and what to do (acknowledge with `roomwatch ack ID` or on the command
 * topic), in Chinese or in English as the channel's config says.
 *
 * Ownership: the facts and the site are borrowed for the call; what nt_build() returns is
 * the caller's (nt_request_free()). The robots' keys and secrets end up in the request's
 * url or body, never in its label (which is what logs may show).
 */
#ifndef ROOMWATCH_NT_MSG_H
#define ROOMWATCH_NT_MSG_H

#include <stddef.h>
#include <stdint.h>

struct cfg_notify;

/* The site a message comes from. Borrowed strings. */
struct nt_site {
    const char *id, *name; /* name NULL when not set */
    const char *gateway;
    const char *timezone;
    const char *prefix; /* the MQTT topic root: commands go to <prefix>/cmd/ack */
};

enum nt_kind {
    NT_INCIDENT = 0,
    NT_ALERT,
};

/* One thing to tell: an incident's transition (from the notification log and the incident's
 * row), or an alert (its facts as JSON, from the log's detail). Borrowed strings; NULL when
 * not known. */
struct nt_fact {
    int64_t seq;
    enum nt_kind kind;
    unsigned event; /* one CFG_NT_EV_* bit */
    int64_t at;     /* ms: the transition */
    int64_t id;     /* the incident */
    const char *rule, *rule_name;
    const char *device, *point, *unit, *label; /* label: the value's state name */
    int severity, category;                    /* enum cfg_severity / cfg_category; -1 unknown */
    int64_t started, detected, resolved, acked;
    const char *acked_by;
    double value;       /* NaN when none (a device that does not answer) */
    const char *limit;  /* the rule's condition for people ("198–235.4 V"); NULL if unknown */
    int level;          /* escalated: the level, 1 first */
    double escalate_s;  /* escalated: the limit that was passed, s */
    const char *detail; /* alert: its facts, a JSON object */
};

/* A request ready to send. */
struct nt_request {
    char *url;   /* with the key and signature for the robots; secret */
    char *body;  /* JSON, or the e-mail message (RFC 5322, CRLF lines) */
    char *title; /* the message's title, for logs and the e-mail's subject (no secret) */
    size_t used; /* facts the message carries: the first used ones given */
};

/* Most bytes of markdown a robot message may hold (WeCom's limit; DingTalk's is larger). */
#define NT_ROBOT_MAX 4096

/*
 * Builds ch's request for facts f[0 .. n), n >= 1, merged into one message when n > 1 (as
 * many as fit the channel's size limit: req->used says how many; at least one). now_ms is
 * the time signatures are made for. Returns 0, or -1 with errno (ENOMEM, EINVAL).
 */
int nt_build(const struct cfg_notify *ch, const struct nt_site *site, const struct nt_fact *f,
             size_t n, int64_t now_ms, struct nt_request *req);
/* A test message for ch ("roomwatch notify test"), as nt_build() builds. */
int nt_build_test(const struct cfg_notify *ch, const struct nt_site *site, int64_t now_ms,
                  struct nt_request *req);
/* Frees what a request holds (wiping the url, which may hold a key). Accepts a zeroed one. */
void nt_request_free(struct nt_request *req);

/*
 * Signatures (libraries.md §10). DingTalk: urlencode(base64(HMAC-SHA256(secret,
 * ms "\n" secret))), ms in milliseconds. Feishu: base64(HMAC-SHA256(key = s "\n" secret,
 * empty message)), s in seconds. Return 0, or -1 when out is too small or OpenSSL fails.
 */
int nt_sign_dingtalk(const char *secret, int64_t ms, char *out, size_t len);
int nt_sign_feishu(const char *secret, int64_t s, char *out, size_t len);

/* The CFG_NT_EV_* bit of a notification log row (kind, what), 0 if none. */
unsigned nt_event_bit(const char *kind, const char *what);
/* "incident_opened", ... as in the config. */
const char *nt_event_name(unsigned bit);

#endif
