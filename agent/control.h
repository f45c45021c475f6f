/*
 * control.h - the daemon's commands: ack, resolve and event over MQTT (<prefix>/cmd/<verb>,
 * rcmd.h) applied to the store and answered on <prefix>/cmd/result, and every change to an
 * incident made by a command (this daemon's, or the CLI's beside it) published on
 * <prefix>/incident/<id>.
 *
 * DESIGN: runs on the main thread, which owns the store connection (borrowed from live.c) and
 * the publisher. The publisher hands each arrived command to ctl through its command hook,
 * from pub_dispatch(). A command is checked (rcmd_parse()), applied (store_cmd_apply(): its
 * own fsync()ed transaction), answered, and the incident it changed is published, in that
 * order: the store first, as for every incident transition.
 *
 * Publishing changes: store_cmd_apply() adds a row to the store's change log (incident_change)
 * for every incident it changes, whoever calls it. ctl publishes the rows not yet marked, in
 * order, each as the whole incident read back from the store, and marks each once the
 * publisher has taken it. It looks right after applying a command, at start (changes the CLI
 * made while the daemon was stopped), and once a second when PRAGMA data_version says another
 * connection (the CLI) has committed. So each change is published once, whoever made it, and
 * none is missed: a CLI commit that lands while ctl reads is seen at the next look, since it
 * is not marked. A row is marked after the publisher took the message: a crash between the
 * two (milliseconds) publishes that change once more at the next start, the same document
 * again. A repeated or refused command changes no row, so publishes nothing.
 *
 * Publishing events: every recorded event (a maintenance visit, an inspection, a security
 * incident; by this daemon's command or by `roomwatch event add`) is published once on
 * <prefix>/event/<id> (QoS 1, not retained), the same way: the event rows not yet marked
 * published (store_event_unpublished()) go out in id order at each look, after the incident
 * changes, and each is marked once the publisher took it. Payload:
 *   {"id":12,"kind":"maintenance"|"inspection"|"security-incident",
 *    "at":"2026-03-01T09:30:00+08:00","by":"张工","note":"..."|null,"incident":3|null,
 *    "recorded":"2026-03-01T10:02:11.120+08:00"}
 * at is when it happened (as given), recorded when it was entered into the store; times are
 * RFC 3339 in the site's zone. A repeated event command records nothing, so publishes nothing.
 *
 * Errors: ctl_new returns NULL (out of memory). The rest log their failures themselves, once
 * per change of state; a refused command is logged at info, an applied one at notice.
 */
#ifndef ROOMWATCH_CONTROL_H
#define ROOMWATCH_CONTROL_H

struct ctl;
struct pub;
struct rw_config;
struct store;

/*
 * Takes pub's commands (pub_set_command_hook()). cfg and pub are borrowed and must outlive
 * the object; store too, or NULL when the agent keeps no store (no alarms and no
 * indicators): every command is then refused with that reason.
 */
struct ctl *ctl_new(const struct rw_config *cfg, struct pub *pub, struct store *store);
/* Publishes changes other connections made; mono is now. Call about once a second or more. */
void ctl_tick(struct ctl *c, double mono);
/* Gives pub's command hook back. Accepts NULL. */
void ctl_free(struct ctl *c);

#endif
