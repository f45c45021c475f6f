/*
 * repub.h - roomwatchd's self-evaluation document (agent/report/rep_doc.h), retained on
 * <prefix>/report/<period> (QoS 1), so that `roomwatch report --from mqtt://BROKER` makes the
 * body's one workbook of every room from a central broker the finance PC can reach.
 *
 * The document is the one `roomwatch report -c FILE --year Y --format json` prints for this
 * room's store at that moment: the same rep_doc_build() on the daemon's own store handle,
 * reading the last checkpoint as the CLI does, in the site's language (site.language), at
 * engine time, and serialised as the CLI serialises it (15 significant digits). <period> is
 * the period's name: "2026", or "2026-03" with site.period = "month".
 *
 * When: building costs a walk of the period's days and of the store's incidents and events
 * (tens of milliseconds on the demo room; more on an ARM gateway), so the document is built
 * at most once every REPUB_INTERVAL_S, only while the broker is connected, and published only
 * when it differs from the one last published. It is published again on every (re)connect,
 * the last one built if it is recent enough, since a broker without persistence loses its
 * retained messages when it restarts. At a clean stop the document is built once more after
 * the final checkpoint and published if it changed, so the retained document ends as the
 * store does (as the core does for the indicators, core_stop()). Once a period is over (and
 * REPUB_FINAL_DELAY_S more, for the core's final checkpoint of it) its final document is
 * published once, beside the new period's.
 *
 * DESIGN: runs on the main thread, which owns the store handle, the publisher and this object.
 * The schedule (struct repub_sched) is pure and takes the times in, for tests.
 *
 * Ownership: cfg, st and pub are borrowed and must outlive the object. Errors: repub_new()
 * returns NULL (out of memory); a document that cannot be built is logged once per failing
 * spell and tried again at the next interval (no state of the period in the store yet: again
 * once the store has been written since, checked every REPUB_RETRY_S, a version read).
 */
#ifndef ROOMWATCH_REPUB_H
#define ROOMWATCH_REPUB_H

#include <stdint.h>

struct pub;
struct repub;
struct rw_config;
struct store;

#define REPUB_INTERVAL_S 60.0  /* at most one build (and publication) a minute */
/* report.publish_interval (default 900 s) sets a longer one: the document (tens of KB)
 * changes at every checkpoint, and a metered uplink pays for each copy. */
#define REPUB_RETRY_S 5.0      /* no state in the store yet: until the first checkpoint */
#define REPUB_FINAL_DELAY_S 10 /* after a period's end: the core's final checkpoint of it */

/* What the schedule asks for now. */
enum repub_step {
    REPUB_WAIT = 0, /* nothing */
    REPUB_BUILD,    /* build the document, then publish it if repub_built() says so */
    REPUB_RESEND,   /* a (re)connect: publish the last document again, without a build */
};

/* The schedule's state: zero it to start (nothing built, nothing published). */
struct repub_sched {
    int built;         /* a build was done (or tried) */
    double built_at;   /* its monotonic time, s */
    double retry_s;    /* the interval after it: interval_s, REPUB_RETRY_S */
    double interval_s; /* between builds; 0: REPUB_INTERVAL_S */
    int have;          /* a document was published, and is kept for a resend */
    uint64_t connects; /* the publisher's connect count at the last publication */
    int missing;       /* the last try found no state of its period, at version */
    int64_t version;   /* the store's write version (store_write_version()) then */
};

/*
 * The step at monotonic time now (s), with the publisher connected (1) or not after connects
 * connections in all (pub_stats): a build when none was done yet or the last one is
 * retry_s old; else a resend when the publisher connected again since the last publication;
 * else nothing. Never anything while not connected.
 */
enum repub_step repub_next(const struct repub_sched *s, double now, int connected,
                           uint64_t connects);
/*
 * A build at now: ok 1 (built; changed 1 when it differs from the last document
 * published), 0 (failed; missing 1 when the store holds no state of the period yet).
 * version: the store's write version read before the build, NULL when it could not be read
 * (then the next retry builds whatever the version). Returns 1 when the document built must
 * be published now: it changed, or the publisher connected again since the last publication.
 */
int repub_built(struct repub_sched *s, double now, int ok, int missing, int changed,
                uint64_t connects, const int64_t *version);
/*
 * Whether a build at the store's write version v (store_write_version() with others) can
 * find what the last one did not: always, unless that one found no state of its period yet
 * (repub_built() with missing) at this same version v. State only comes with a write, so
 * until the first checkpoint the retries cost a version check, not an engine.
 */
int repub_store_moved(const struct repub_sched *s, int64_t v);
/* The document went to the publisher (taken) with connects connections in all. */
void repub_sent(struct repub_sched *s, uint64_t connects);

/* The publisher of cfg's document from store st through pub; NULL when memory runs out. */
struct repub *repub_new(const struct rw_config *cfg, struct store *st, struct pub *pub);
/* Main loop: mono the monotonic time (s), now the engine time (ms). Accepts NULL. */
void repub_tick(struct repub *r, double mono, int64_t now);
/* After the core's final checkpoint (core_stop()), before pub_stop(): the document as the
 * store ends, published if it changed and the broker is connected. Accepts NULL. */
void repub_final(struct repub *r, int64_t now);
/* Accepts NULL. */
void repub_free(struct repub *r);

#endif
