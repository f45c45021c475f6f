/*
 * delivery.c - telemetry tracked for the delivery indicators (see delivery.h).
 */
#include "delivery.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "cfg/cfg.h"
#include "core/core.h"
#include "pub/pub.h"
#include "rw_etime.h"
#include "rw_log.h"

struct dlv {
    const struct rw_config *cfg;
    struct pub *pub;
    struct core *core;
    const struct rw_etime *et;
    double *keep;     /* per device: s a report is tracked (0: no indicator counts it) */
    uint64_t refused; /* outcomes the engine refused (too late) */
};

static void
feed(struct dlv *d, size_t dev, double latency_s, double mono)
{
    if (core_report(d->core, dev, rw_etime_at(d->et, mono), latency_s) < 0 && d->refused++ == 0)
        log_warn("indicators: a report's outcome came later than %d s after it was known and "
                 "was left out",
                 CORE_LAG_MS / 1000);
}

/* pub's hook: the tag is the device. */
static void
on_outcome(void *ctx, uint64_t dev, double latency_s, double mono)
{
    feed(ctx, (size_t)dev, latency_s, mono);
}

struct dlv *
dlv_new(const struct rw_config *cfg, struct pub *pub, struct core *core, const struct rw_etime *et)
{
    struct dlv *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    d->cfg = cfg;
    d->pub = pub;
    d->core = core;
    d->et = et;
    if (core == NULL || !cfg_has_delivery(cfg))
        return d;
    if ((d->keep = calloc(cfg->ndevices + 1, sizeof(*d->keep))) == NULL) {
        free(d);
        return NULL;
    }
    for (size_t i = 0; i < cfg->nindicators; i++) {
        const struct cfg_indicator *in = &cfg->indicators[i];

        if (in->kind != CFG_IND_DELIVERY)
            continue;
        /* A report is judged by each indicator against its own deadline; it is tracked
         * until the longest, after which it is late for all of them. */
        for (size_t k = 0; k < in->npoints; k++)
            if (in->deadline > d->keep[in->points[k].device])
                d->keep[in->points[k].device] = in->deadline;
    }
    pub_set_outcome_hook(pub, on_outcome, d);
    return d;
}

int
dlv_publish(struct dlv *d, size_t dev, const char *subtopic, const char *payload, double mono)
{
    int qos = d->cfg->mqtt.qos;

    if (d->keep == NULL || dev >= d->cfg->ndevices || d->keep[dev] <= 0)
        return pub_publish(d->pub, subtopic, payload, qos, 0);
    if (pub_publish_tracked(d->pub, subtopic, payload, qos, 0, dev, d->keep[dev]) == 0)
        return 0;
    feed(d, dev, NAN, mono); /* refused: due now, and late */
    return -1;
}

void
dlv_skip(struct dlv *d, size_t dev, double mono)
{
    if (d != NULL && d->keep != NULL && dev < d->cfg->ndevices && d->keep[dev] > 0)
        feed(d, dev, NAN, mono);
}

void
dlv_free(struct dlv *d)
{
    if (d == NULL)
        return;
    if (d->keep != NULL)
        pub_set_outcome_hook(d->pub, NULL, NULL); /* reports in flight count neither way */
    free(d->keep);
    free(d);
}
