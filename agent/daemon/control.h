/*
 * control.h - roomwatchd's commands over MQTT: ack, resolve and event on <prefix>/cmd/<verb>
 * (rcmd.h) checked, applied through the core (core_command(): the record's one set of rules,
 * core/record.h) and answered on <prefix>/cmd/result.
 *
 * DESIGN: runs on the main thread, which owns the core and the publisher. The publisher hands
 * each arrived command to ctl through its command hook, from pub_dispatch(). A command is
 * checked (rcmd_parse()), applied at the core's engine time (its own fsync()ed transaction;
 * the changed incident is published by the core), then answered, in that order. Answers
 * (QoS 1, not retained): the answer to a command that changed the record goes through the
 * outbox (outbox.h, with a msg_id), queued in the command's own transaction
 * (store_cmd_apply_answered()), so a change made is a change answered, across a kill or a
 * power cut. A refusal or a repeat changes nothing and is answered from paho's buffer, as
 * is every answer without an outbox or when it is full (sending the command again then gets
 * "nothing changed"): a flood of bad commands costs no disk writes.
 *
 * Errors: ctl_new returns NULL (out of memory). A refused command is logged at info (once per
 * burst, with a count: a flood from the broker must not flood the log), an
 * applied one at notice (by the core), a store failure at error.
 */
#ifndef ROOMWATCH_CONTROL_H
#define ROOMWATCH_CONTROL_H

#include <stdint.h>

struct core;
struct ctl;
struct outbox;
struct pub;
struct rw_config;

/*
 * Takes pub's commands (pub_set_command_hook()). cfg and pub are borrowed and must outlive
 * the object; core too, or NULL when the agent keeps no store (no alarms and no indicators):
 * every command is then refused with that reason; ob too, or NULL (answers from paho's
 * buffer). now_ms gives the engine time a command is
 * applied at (the daemon's clock: core.h says why the core reads none).
 */
struct ctl *ctl_new(const struct rw_config *cfg, struct pub *pub, struct core *core,
                    struct outbox *ob, int64_t (*now_ms)(void *ctx), void *now_ctx);
/* Gives pub's command hook back. Accepts NULL. */
void ctl_free(struct ctl *c);
/*
 * Call each turn of the main loop (mono: rw_clock_mono()): refusals are logged once per
 * burst (rw_lograte.h), the first in full, and this writes the burst's count when it ends.
 * Accepts NULL.
 */
void ctl_tick(struct ctl *c, double mono);

#endif
