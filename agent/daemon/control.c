/*
 * control.c - roomwatchd's commands over MQTT (see control.h).
 */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "core/core.h"
#include "daemon/outbox.h"
#include "pub/pub.h"
#include "rcmd.h"
#include "rw_clock.h"
#include "rw_log.h"
#include "rw_lograte.h"
#include "store/store.h"

struct ctl {
    const struct rw_config *cfg;
    struct pub *pub;
    struct core *core; /* NULL: no store */
    struct outbox *ob; /* NULL: no answer goes through the outbox */
    int64_t (*now_ms)(void *ctx);
    void *now_ctx;
    struct rw_lograte refusals; /* a flood of bad commands: logged once per burst */
};

static void on_command(void *ctx, const char *verb, const char *payload, size_t len);

struct ctl *
ctl_new(const struct rw_config *cfg, struct pub *pub, struct core *core, struct outbox *ob,
        int64_t (*now_ms)(void *ctx), void *now_ctx)
{
    struct ctl *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->cfg = cfg;
    c->pub = pub;
    c->core = core;
    c->ob = ob;
    c->now_ms = now_ms;
    c->now_ctx = now_ctx;
    c->refusals = (struct rw_lograte)RW_LOGRATE_INIT("commands refused", 5.0, 60.0);
    pub_set_command_hook(pub, on_command, c);
    return c;
}

void
ctl_free(struct ctl *c)
{
    if (c == NULL)
        return;
    pub_set_command_hook(c->pub, NULL, NULL);
    free(c);
}

void
ctl_tick(struct ctl *c, double mono)
{
    if (c != NULL)
        (void)rw_lograte_tick(&c->refusals, mono);
}

/* An answer that changes nothing goes from paho's buffer: a flood of bad commands must not
 * become a flood of fsync()s. */
static void
answer(struct ctl *c, char *txt)
{
    if (txt == NULL) {
        log_err("cmd/result: cannot build the answer: out of memory");
        return;
    }
    /* A refused message is counted by pub, which logs the state change. */
    (void)pub_publish(c->pub, "cmd/result", txt, 1, 0);
    free(txt);
}

/* store_cmd_reply's build(): the answer to the command being applied. */
static char *
build_ok(const struct store_cmd_result *r, void *arg)
{
    return rcmd_answer_ok(arg, r);
}

static void
refuse(struct ctl *c, const struct rcmd *cmd, const char *why)
{
    rw_lograte_log(&c->refusals, rw_clock_mono(), 1, RW_LOG_INFO, "command %s refused: %s",
                   cmd->verb[0] != '\0' ? cmd->verb : "(unknown)", why);
    answer(c, rcmd_answer_error(cmd, why));
}

/* pub's command hook: one command from <prefix>/cmd/<verb>. */
static void
on_command(void *ctx, const char *verb, const char *payload, size_t len)
{
    struct ctl *c = ctx;
    struct store_cmd_result r;
    struct rcmd cmd;
    char err[RCMD_ERR_LEN], why[RCMD_ERR_LEN + STORE_WHY_LEN];
    int64_t now = c->now_ms(c->now_ctx);

    if (verb == NULL) {
        memset(&cmd, 0, sizeof(cmd));
        snprintf(why, sizeof(why),
                 "%zu commands dropped: more than %d arrived at once; send them again", len,
                 PUB_CMD_QUEUE);
        answer(c, rcmd_answer_error(&cmd, why));
        return;
    }
    if (payload != NULL)
        log_debug("command %s: %s", verb, payload);
    if (rcmd_parse(verb, payload, len, now, &cmd, err, sizeof(err)) != RCMD_OK) {
        refuse(c, &cmd, err);
        rcmd_free(&cmd);
        return;
    }
    if (c->core == NULL) {
        refuse(c, &cmd, "this agent keeps no store (its config has no alarms and no indicators)");
        rcmd_free(&cmd);
        return;
    }
    /* A change is answered in the transaction that makes it (the outbox): whoever sent the
     * command hears of it even if the agent dies right after. */
    struct store_cmd_reply reply = {"cmd/result", c->cfg->mqtt.outbox, build_ok, &cmd, 0};

    if (core_command(c->core, &cmd.cmd, now, "mqtt", &r, c->ob != NULL ? &reply : NULL) < 0) {
        if (errno == ENOENT)
            snprintf(why, sizeof(why), "incident %lld: no such incident",
                     (long long)cmd.cmd.incident);
        else if (errno == EALREADY)
            snprintf(why, sizeof(why), "incident %lld: %s", (long long)cmd.cmd.incident, r.why);
        else if (errno == EIO)
            snprintf(why, sizeof(why), "the store failed: %s", core_errmsg(c->core));
        else
            snprintf(why, sizeof(why), "not applied: %s", strerror(errno));
        if (errno == EIO || errno == ENOMEM)
            log_err("command %s: %s", cmd.verb, why);
        refuse(c, &cmd, why);
        rcmd_free(&cmd);
        return;
    }
    /* The core published the changed incident or the recorded event; then the answer, unless
     * it went with the change. */
    if (!reply.queued)
        answer(c, rcmd_answer_ok(&cmd, &r));
    rcmd_free(&cmd);
}
