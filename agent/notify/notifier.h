/*
 * notifier.h - the notifier: one thread that tells the configured channels (cfg "notify")
 * what the store's notification log holds, each channel at its own pace.
 *
 * DESIGN: fed from the store, not by calls from the incident lifecycle. Every transition is
 * written to the log (notify_event) in the transition's own transaction (store.h,
 * "Notifications"); the thread keeps, per channel, a cursor into that log in the store
 * (notify_channel). It looks once a second, on its own store connection, so polling never
 * waits for a channel. For each channel, in log order:
 *  - a row the channel's routes do not take, or a non-critical one in its quiet hours, is
 *    passed over (the store keeps it; roomwatch incidents lists it);
 *  - the rest are sent one message each while the channel's rate limit allows; when more
 *    are waiting than the minute's remaining budget, they are merged into one message (as
 *    many as fit), never dropped;
 *  - the cursor moves past what was sent once the channel took it. A crash between the send
 *    and the cursor's write (milliseconds) sends that message once more after the restart;
 *    a crash before the send loses nothing.
 * A channel that fails is retried with backoff (5 s doubling to 5 min) without holding up
 * the others, logged once when it starts failing and once when it delivers again, and its
 * state (failing since, attempts, last error) is in the store for `roomwatch status`.
 * Escalation (cfg "escalation"): an open incident nobody acknowledged within its severity's
 * limit gets an "escalated" row in the log, once, and goes out as the others do.
 * Alertmanager channels also re-send the open incidents every "resend" seconds, as
 * Alertmanager expects of a client; a resolution goes out with endsAt.
 *
 * Threads: notifier_start() and notifier_stop() from the main thread; cfg must outlive the
 * notifier. The site's time zone is used through rw_calendar (TZ), as the main thread uses
 * it: the same zone, set by notifier_start() before the thread starts, so neither thread
 * changes TZ under the other afterwards.
 */
#ifndef ROOMWATCH_NOTIFIER_H
#define ROOMWATCH_NOTIFIER_H

#include <stdint.h>

#include "rw_module.h"

struct notifier;
struct rw_config;

/* Starts the thread when cfg has channels: NULL when it has none, or after logging why it
 * could not start (the agent runs on without notifications). */
struct notifier *notifier_start(const struct rw_config *cfg);
/* Stops the thread (an ongoing send finishes within its timeout) and frees. Accepts NULL. */
void notifier_stop(struct notifier *n);

/*
 * For <prefix>/status (main thread; pub_set_status_extra()): notifier_status(n) is
 * {"notify":[{"channel","type","state":"ok"|"failing","failing_since","attempts",
 * "last_error","last_delivered"}]} as malloc()ed JSON (NULL when out of memory);
 * notifier_status_version(n) changes when a channel starts or stops failing, so the status
 * is published again once per episode, not once per attempt. 0 for NULL.
 */
char *notifier_status(void *n);
uint64_t notifier_status_version(struct notifier *n);

/*
 * roomwatchd loads the notifier as the module roomwatch-notify.so (rw_module.h) when its
 * config has a channel, so that libcurl and libcrypto are in memory only then. Its table,
 * rw_module_notify, holds the functions above.
 */
struct notifier_module {
    struct rw_module_head head;
    struct notifier *(*start)(const struct rw_config *cfg);
    void (*stop)(struct notifier *n);
    char *(*status)(void *n);
    uint64_t (*status_version)(struct notifier *n);
};

#endif
