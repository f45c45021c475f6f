/*
 * rcmd.h - commands on the fault-handling record (acknowledge, resolve, record an event):
 * the JSON of <prefix>/cmd/<verb> parsed and checked strictly, the CLI's arguments checked by
 * the same rules, and the answer on <prefix>/cmd/result built. Applying a checked command is
 * the store's (store.h: store_cmd_apply()), so the daemon, the CLI and replay share both.
 *
 * Pure: no I/O, no clock (the caller passes now), no logging; jansson only.
 *
 * Commands (one JSON object, UTF-8, at most RCMD_PAYLOAD_MAX bytes; keys other than those
 * listed are refused, and so are duplicate keys):
 *   <prefix>/cmd/ack      {"incident":3, "by":"张工", "note":"on my way", "correlation_id":"a1"}
 *   <prefix>/cmd/resolve  {"incident":3, "by":"张工", "cause":"UPS fuse", "measure":"replaced",
 *                          "correlation_id":"a2"}
 *   <prefix>/cmd/event    {"kind":"maintenance", "at":"2026-03-01T09:30:00+08:00", "by":"李工",
 *                          "note":"quarterly check", "incident":3, "correlation_id":"a3"}
 *   <prefix>/cmd/silence  {"from":"2026-03-01T09:00:00+08:00", "to":"2026-03-01T12:00:00+08:00",
 *                          "device":"ups1", "by":"李工", "note":"UPS 检修", "correlation_id":"a4"}
 *                         (a maintenance window for notifications: "rule" and/or "device",
 *                         or "all":true; to after from, within a year; by and note required)
 *   incident        an integer >= 1 (required for ack and resolve; optional for event: the
 *                   incident the event concerns)
 *   by              who; 1..RCMD_BY_MAX characters, no control characters (required)
 *   note            ack: optional; event: required; cause, measure: required for resolve.
 *                   1..RCMD_TEXT_MAX characters; line feeds and tabs allowed, no other
 *                   control characters
 *   kind            "maintenance", "inspection" or "security-incident"
 *   at              RFC 3339 with a UTC offset or Z ("2026-03-01T09:30:00+08:00", fractions to
 *                   the millisecond); not more than RCMD_FUTURE_MS ahead of now
 *   correlation_id  optional; 1..RCMD_CID_MAX characters, no control characters: copied into
 *                   the answer so a client can match it
 * An optional key may be null (= absent). A text that is only spaces counts as empty.
 * The time of an acknowledgement or resolution is when the agent applies it, never the
 * client's: an answer time is what the response-time indicators measure.
 *
 * Answers on <prefix>/cmd/result (QoS 1, not retained), one per command:
 *   {"ok":true,"command":"ack","correlation_id":"a1","incident":3,"changed":true,
 *    "message":"acknowledged"}
 *   {"ok":true,"command":"ack","incident":3,"changed":false,
 *    "message":"already acknowledged by 张工; nothing changed"}
 *   {"ok":true,"command":"event","event":12,"incident":3|null,"changed":true,
 *    "message":"recorded"}
 *   {"ok":true,"command":"silence","silence":2,"changed":true,"message":"silenced"}
 *   {"ok":false,"command":"ack"|null,"correlation_id":"a1","error":"unknown key \"who\" ..."}
 * "correlation_id" is present when the command carried a valid one (also in a refusal, if the
 * payload was an object with one); "command" is null for an unknown verb.
 */
#ifndef ROOMWATCH_RCMD_H
#define ROOMWATCH_RCMD_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define RCMD_PAYLOAD_MAX 16384 /* bytes of a command's JSON */
#define RCMD_BY_MAX 64         /* characters (Unicode code points) of "by" */
#define RCMD_TEXT_MAX 1000     /* characters of a note, cause or measure */
#define RCMD_CID_MAX 64        /* characters of a correlation id */
#define RCMD_FUTURE_MS 300000  /* an event's "at" may be 5 min ahead: clocks differ a little */
#define RCMD_VERB_MAX 16       /* bytes of the longest verb, NUL included */
#define RCMD_ERR_LEN 256
#define RCMD_ID_MAX 63 /* characters of a silence's rule or device id (CFG_ID_MAX - 1) */
#define RCMD_SILENCE_MAX_MS (366LL * 86400 * 1000) /* a silence longer is a mistake */

enum rcmd_status {
    RCMD_OK = 0,
    RCMD_ERR_INVALID, /* refused: err says why */
    RCMD_ERR_NOMEM,
};

struct json_t;

/* A parsed command. The strings in cmd and cid point into doc: valid until rcmd_free(). */
struct rcmd {
    char verb[RCMD_VERB_MAX]; /* "ack", "resolve", "event"; "" for an unknown verb */
    struct store_cmd cmd;
    const char *cid; /* correlation id, or NULL */
    struct json_t *doc;
};

/*
 * Parses payload (len bytes, need not be NUL-terminated) of verb (the topic's last level) at
 * time now (ms). RCMD_OK and *out filled, or RCMD_ERR_INVALID with the reason in err; even
 * then out->cid is set if the payload carried a valid one, and out->verb if the verb is
 * known. payload NULL stands for one that was not copied: len is its size (over the limit).
 * Call rcmd_free(out) in every case.
 */
enum rcmd_status rcmd_parse(const char *verb, const char *payload, size_t len, int64_t now,
                            struct rcmd *out, char *err, size_t errlen);
/* Accepts one that was never parsed (zeroed). */
void rcmd_free(struct rcmd *c);

/*
 * Checks a command built by hand (the CLI from its arguments; replay from a trace) by the
 * rules above: the strings' UTF-8 and lengths, required fields, the event kind, at not in
 * the future of now. RCMD_OK or RCMD_ERR_INVALID with the reason in err.
 */
enum rcmd_status rcmd_check(const struct store_cmd *c, int64_t now, char *err, size_t errlen);

/* RFC 3339 with an offset, as "at" takes it: 0 and *ms, or -1. */
int rcmd_parse_time(const char *s, int64_t *ms);

/*
 * The answers, as compact JSON (malloc()ed: free() it; NULL when out of memory). c is the
 * parsed command (its verb and cid; either may be empty/NULL); r what store_cmd_apply() gave.
 */
char *rcmd_answer_ok(const struct rcmd *c, const struct store_cmd_result *r);
char *rcmd_answer_error(const struct rcmd *c, const char *error);

#endif
