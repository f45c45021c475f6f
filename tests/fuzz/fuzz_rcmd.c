/*
 * fuzz_rcmd.c - MQTT command payloads (agent/rcmd.c): the first byte picks the topic's verb
 * (ack, resolve, event, silence, or an unknown one), the rest is the payload as the broker delivers
 * it, not NUL-terminated. Anyone who reaches the broker can send these.
 *
 * Beyond not crashing: a command the parser accepts must pass rcmd_check() by itself (the
 * CLI checks with it, so both sides agree), and both answers must be valid JSON objects.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rcmd.h"

#define NOW_MS 1772328600000LL /* 2026-03-01T09:30:00+08:00 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_json(char *txt)
{
    json_t *o;

    if (txt == NULL)
        return; /* out of memory: allowed */
    o = json_loads(txt, 0, NULL);
    if (o == NULL || !json_is_object(o))
        abort();
    json_decref(o);
    free(txt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const verbs[] = {"ack", "resolve", "event", "silence", "close", ""};
    const char *verb = verbs[size > 0 ? data[0] % 6 : 0];
    char *payload;
    struct rcmd cmd;
    struct store_cmd_result r;
    char err[RCMD_ERR_LEN];
    size_t len = size > 0 ? size - 1 : 0;

    /* An exact copy, so that ASan catches a read past the payload. */
    if ((payload = malloc(len > 0 ? len : 1)) == NULL)
        return 0;
    memcpy(payload, data + (size > 0), len);
    memset(err, 'x', sizeof(err));
    if (rcmd_parse(verb, payload, len, NOW_MS, &cmd, err, sizeof(err)) == RCMD_OK) {
        char err2[RCMD_ERR_LEN];

        if (rcmd_check(&cmd.cmd, NOW_MS, err2, sizeof(err2)) != RCMD_OK)
            abort();
        memset(&r, 0, sizeof(r));
        r.changed = 1;
        r.what = "acknowledged";
        r.id = cmd.cmd.incident;
        check_json(rcmd_answer_ok(&cmd, &r));
    } else {
        if (memchr(err, '\0', sizeof(err)) == NULL)
            abort();
        check_json(rcmd_answer_error(&cmd, err));
    }
    rcmd_free(&cmd);
    /* The payload as a time, as "at" takes it. */
    if (len < 64) {
        char at[64];
        int64_t ms;

        memcpy(at, payload, len);
        at[len] = '\0';
        (void)rcmd_parse_time(at, &ms);
    }
    free(payload);
    return 0;
}
