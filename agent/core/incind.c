/*
 * incind.c - the incident indicators from the store (see incind.h).
 *
 * The store's strings live only during its walks, so each record's strings are copied into
 * one arena per call (a few bytes per incident), freed when the results are computed: the
 * results themselves hold ids and times, no strings.
 */
#include "core/incind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "engine/incstat.h"
#include "store/store.h"

/* The period's record, as incstat takes it, with the strings it points into. */
struct record {
    struct ist_incident *inc;
    size_t ninc, capinc;
    struct ist_event *ev;
    size_t nev, capev;
    char **str; /* every string copied, to free */
    size_t nstr, capstr;
};

static int grow(void **v, size_t *cap, size_t n, size_t size);
static const char *keep(struct record *r, const char *s);
static int take_incident(const struct store_incident *in, void *arg);
static int take_event(const struct store_event *ev, void *arg);
static void record_free(struct record *r);

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
    size_t ncap = *cap ? *cap * 2 : 16;
    void *nv;

    if (n < *cap)
        return 0;
    if ((nv = realloc(*v, ncap * size)) == NULL)
        return -1;
    *v = nv;
    *cap = ncap;
    return 0;
}

/* A copy of s owned by r; NULL for NULL, and (errno ENOMEM) when memory runs out. */
static const char *
keep(struct record *r, const char *s)
{
    char *c;

    if (s == NULL)
        return NULL;
    if (grow((void **)&r->str, &r->capstr, r->nstr, sizeof(*r->str)) < 0 ||
        (c = strdup(s)) == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    r->str[r->nstr++] = c;
    return c;
}

static int
take_incident(const struct store_incident *in, void *arg)
{
    struct record *r = arg;
    struct ist_incident *o;

    if (grow((void **)&r->inc, &r->capinc, r->ninc, sizeof(*r->inc)) < 0)
        return ENOMEM;
    o = &r->inc[r->ninc];
    memset(o, 0, sizeof(*o));
    o->id = in->id;
    o->detected = in->detected;
    o->acked = in->acked;
    o->resolved = in->resolved;
    o->by_hand = in->resolved_how != NULL && strcmp(in->resolved_how, "hand") == 0;
    if ((o->rule = keep(r, in->rule)) == NULL || (o->severity = keep(r, in->severity)) == NULL ||
        (o->category = keep(r, in->category)) == NULL)
        return ENOMEM; /* the store's columns are NOT NULL: only memory fails here */
    r->ninc++;
    return 0;
}

static int
take_event(const struct store_event *ev, void *arg)
{
    struct record *r = arg;
    struct ist_event *o;

    if (grow((void **)&r->ev, &r->capev, r->nev, sizeof(*r->ev)) < 0)
        return ENOMEM;
    o = &r->ev[r->nev];
    o->id = ev->id;
    o->at = ev->at;
    if ((o->kind = keep(r, ev->kind)) == NULL)
        return ENOMEM;
    r->nev++;
    return 0;
}

static void
record_free(struct record *r)
{
    for (size_t i = 0; i < r->nstr; i++)
        free(r->str[i]);
    free(r->str);
    free(r->inc);
    free(r->ev);
}

int
incind_compute(const struct rw_config *cfg, struct store *s, int64_t start, int64_t end,
               int64_t now, struct ist_result *res)
{
    struct record r;
    size_t i;
    int rc;

    memset(&r, 0, sizeof(r));
    for (i = 0; i < cfg->ninc_indicators; i++)
        memset(&res[i], 0, sizeof(res[i]));
    if (cfg->ninc_indicators == 0)
        return 0;
    rc = store_incident_period(s, start, end, take_incident, &r);
    if (rc == 0)
        rc = store_event_period(s, start, end, take_event, &r);
    if (rc != 0) {
        /* -1: the store's EIO; otherwise the ENOMEM a walk returned */
        if (rc > 0)
            errno = rc;
        record_free(&r);
        return -1;
    }
    for (i = 0; i < cfg->ninc_indicators; i++) {
        struct ist_cfg c;

        cfg_indicator_incstat(&cfg->inc_indicators[i], &c);
        if (ist_compute(&c, start, end, now, r.inc, r.ninc, r.ev, r.nev, &res[i]) != IST_OK) {
            while (i-- > 0)
                ist_result_clear(&res[i]);
            record_free(&r);
            errno = ENOMEM;
            return -1;
        }
    }
    record_free(&r);
    return 0;
}
