/*
 * pub_json.c - the JSON documents the publisher sends: telemetry of one poll cycle, and the
 * agent's status. Built with jansson, never by hand (DESIGN.md, MQTT).
 *
 * Numbers: a reading is a double that carries noise of its decoding, not of the measurement.
 * A float32 register holding 230.1 decodes to 230.100006103515625; 305 * 0.1 is
 * 30.500000000000004; raw * scale + offset can cancel to 5.7e-14 instead of 0. Each value is
 * therefore rounded to the precision its source has (round_value()) before jansson prints it
 * with 15 significant digits, so that consumers read 230.1, 30.5 and 0.0.
 *
 * Pure apart from rw_clock_rfc3339(), which reads the local time zone: no logging, no I/O.
 */
#include "pub/pub_json.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "rw_clock.h"

#ifndef ROOMWATCH_VERSION
#define ROOMWATCH_VERSION "unknown"
#endif

/* 15 significant digits: all a double holds reliably (DBL_DIG), so no ...0000001 tails. */
#define PUB_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/*
 * Decimal places kept for values read from integer registers: far below any scale a device
 * profile uses (0.001 at most in practice), far above the noise of raw * scale + offset.
 */
#define PUB_JSON_DECIMALS 1e9

static double round_value(double v, const struct cfg_point *pt);
static double round_float32(double v);
static double round_sig(double v, int e, int digits);
static json_t *real_or_null(double v, const struct cfg_point *pt);
static int set(json_t *obj, const char *key, json_t *val);
static json_t *point_doc(const struct sample *s, const struct cfg_profile *prof,
                         const struct cfg_point *pt);
static json_t *time_or_null(double wall);
static char *dump(json_t *doc);

/* Rounds v to the precision of its source; see the file comment. */
static double
round_value(double v, const struct cfg_point *pt)
{
    if (!isfinite(v))
        return v;
    /*
     * A float32 point with scale 1 and offset 0 holds exactly a float; give it the shortest
     * decimal that reads back as the same float, as the device's own display would.
     */
    if (pt != NULL && pt->type == CFG_T_FLOAT32 && (double)(float)v == v)
        return round_float32(v);
    /* Beyond 2^53 / 1e9 (~9e6) a double has no 9 decimals to round; %.15g trims instead. */
    if (fabs(v) * PUB_JSON_DECIMALS < 9007199254740992.0)
        v = round(v * PUB_JSON_DECIMALS) / PUB_JSON_DECIMALS;
    return v + 0.0; /* -0.0 reads as 0.0 */
}

/*
 * The shortest decimal of 6 to 9 significant digits (FLT_DIG to FLT_DECIMAL_DIG) that
 * converts back to the same float; 9 always does.
 */
static double
round_float32(double v)
{
    float f = (float)v;
    int digits, e;

    if (v == 0.0)
        return 0.0;
    e = (int)floor(log10(fabs(v))); /* the decimal exponent, once for the four tries */
    for (digits = FLT_DIG; digits <= 9; digits++) {
        double r = round_sig(v, e, digits);

        if ((float)r == f)
            return r;
    }
    return v;
}

/* 10^k, exact as a double for 0 <= k <= 22 (pow() returns exactly these); pow() beyond. */
static double
pow10i(int k)
{
    static const double p[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

    return k >= 0 && k <= 22 ? p[k] : pow(10.0, k);
}

/*
 * v, of decimal exponent e (floor(log10(|v|))), rounded to digits significant digits, by
 * arithmetic rather than printf/strtod, which would follow the process locale's decimal
 * point.
 */
static double
round_sig(double v, int e, int digits)
{
    int d = digits - 1 - e; /* decimal places to keep; negative rounds to tens, hundreds... */

    if (d > 300 || d < -300)
        return v;
    if (d >= 0) {
        double m = pow10i(d);
        return round(v * m) / m;
    } else {
        double m = pow10i(-d);
        return round(v / m) * m;
    }
}

/* jansson refuses NaN and infinities (json_real() returns NULL): they are written as null. */
static json_t *
real_or_null(double v, const struct cfg_point *pt)
{
    v = round_value(v, pt);
    if (!isfinite(v))
        return json_null();
    return json_real(v);
}

/* json_object_set_new() that also takes a failed allocation (val NULL). Returns 0 or -1. */
static int
set(json_t *obj, const char *key, json_t *val)
{
    if (val == NULL)
        return -1;
    return json_object_set_new(obj, key, val); /* releases val on failure */
}

static json_t *
point_doc(const struct sample *s, const struct cfg_profile *prof, const struct cfg_point *pt)
{
    json_t *o = json_object();
    const char *label;
    int rc = 0;

    if (o == NULL)
        return NULL;
    if (s->quality == RW_Q_GOOD)
        rc |= set(o, "value", real_or_null(s->value, pt));
    else
        rc |= set(o, "value", json_null());
    /* An enumerated value keeps its meaning: "value":5,"label":"battery". */
    if (s->quality == RW_Q_GOOD && pt->nenum > 0 &&
        (label = cfg_point_label(prof, pt, s->value)) != NULL)
        rc |= set(o, "label", json_string(label));
    /* An implausible reading is not a value, but its number tells what went wrong. */
    if (s->quality == RW_Q_OUT_OF_RANGE)
        rc |= set(o, "raw", real_or_null(s->value, pt));
    rc |= set(o, "unit", json_string(pt->unit));
    rc |= set(o, "quality", json_string(rw_quality_name((enum rw_quality)s->quality)));
    if (s->code != 0)
        rc |= set(o, "code", json_integer(s->code));
    if (s->flags & SAMPLE_F_RESET)
        rc |= set(o, "reset", json_true());
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* RFC 3339 local time with milliseconds, or null for a time that is not known (NaN). */
static json_t *
time_or_null(double wall)
{
    char buf[48];

    if (!isfinite(wall))
        return json_null();
    /* rw_clock_rfc3339() rounds to the millisecond, as "ts" is rounded. */
    return json_string(rw_clock_rfc3339(wall, buf, sizeof(buf)));
}

static char *
dump(json_t *doc)
{
    char *s;

    if (doc == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    s = json_dumps(doc, PUB_JSON_FLAGS);
    json_decref(doc);
    if (s == NULL)
        errno = ENOMEM;
    return s;
}

/* Device dev of cfg when the arguments are sound (n items at ptr); else NULL, errno EINVAL. */
static const struct cfg_device *
cycle_device(const struct rw_config *cfg, size_t dev, size_t n, const void *ptr)
{
    if (cfg == NULL || dev >= cfg->ndevices || (n > 0 && ptr == NULL) ||
        cfg->devices[dev].profile >= cfg->nprofiles) {
        errno = EINVAL;
        return NULL;
    }
    return &cfg->devices[dev];
}

/*
 * One cycle's document, live or late: device, kind, cycle (taken: null when NULL), time and
 * ts of wall (s; null when not finite), "late":true when late, then points (taken). rc is
 * the builder's failures so far. The text to free(), or NULL with errno ENOMEM.
 */
static char *
cycle_doc(const struct cfg_device *d, json_t *cycle, double wall, int late, json_t *points,
          int rc)
{
    json_t *doc = json_object();

    if (doc == NULL || cycle == NULL || points == NULL || rc != 0) {
        json_decref(doc);
        json_decref(cycle);
        json_decref(points);
        errno = ENOMEM;
        return NULL;
    }
    rc |= set(doc, "device", json_string(d->id));
    rc |= set(doc, "kind", json_string(d->kind));
    rc |= set(doc, "cycle", cycle);
    rc |= set(doc, "time", time_or_null(wall));
    rc |= set(doc, "ts", isfinite(wall) ? json_real(round(wall * 1000.0) / 1000.0) : json_null());
    if (late)
        rc |= set(doc, "late", json_true());
    rc |= set(doc, "points", points);
    if (rc != 0) {
        json_decref(doc);
        errno = ENOMEM;
        return NULL;
    }
    return dump(doc);
}

char *
pub_json_telemetry(const struct rw_config *cfg, size_t dev, const struct sample *s, size_t n)
{
    const struct cfg_device *d = cycle_device(cfg, dev, n, s);
    const struct cfg_profile *prof;
    json_t *points;
    double wall = NAN;
    uint64_t cycle = 0;
    size_t i, k;
    int rc = 0;

    if (d == NULL)
        return NULL;
    prof = &cfg->profiles[d->profile];

    /* The cycle is stamped with its last answer: that is when it was complete. */
    for (i = 0; i < n; i++) {
        if (s[i].device != dev)
            continue;
        if (isnan(wall) || s[i].wall > wall)
            wall = s[i].wall;
        cycle = s[i].cycle;
    }

    /*
     * Points in profile order, whatever order the samples came in, so that two documents of
     * one device read alike. O(points * samples), both a few dozen at most.
     */
    points = json_object();
    for (k = 0; k < prof->npoints && points != NULL && rc == 0; k++) {
        const struct sample *found = NULL;

        for (i = 0; i < n; i++)
            if (s[i].device == dev && s[i].point == k)
                found = &s[i];
        if (found != NULL)
            rc |= set(points, prof->points[k].name, point_doc(found, prof, &prof->points[k]));
    }
    return cycle_doc(d, cycle > 0 ? json_integer((json_int_t)cycle) : json_null(), wall, 0,
                     points, rc);
}

/* A late point's document: what the archive kept of the sample (pub_json.h). */
static json_t *
late_point_doc(const struct pub_late_point *lp, const struct cfg_profile *prof,
               const struct cfg_point *pt)
{
    json_t *o = json_object();
    const char *label;
    int good = lp->answered && lp->valid, rc = 0;

    if (o == NULL)
        return NULL;
    rc |= set(o, "value", good ? real_or_null(lp->value, pt) : json_null());
    if (good && pt->nenum > 0 && (label = cfg_point_label(prof, pt, lp->value)) != NULL)
        rc |= set(o, "label", json_string(label));
    rc |= set(o, "unit", json_string(pt->unit));
    rc |= set(o, "quality", json_string(good ? "good" : lp->answered ? "bad" : "no_answer"));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *
pub_json_late(const struct rw_config *cfg, size_t dev, int64_t t, const struct pub_late_point *p,
              size_t n)
{
    const struct cfg_device *d = cycle_device(cfg, dev, n, p);
    const struct cfg_profile *prof;
    json_t *points;
    int rc = 0;

    if (d == NULL)
        return NULL;
    prof = &cfg->profiles[d->profile];
    /* Profile order, as live documents have it. */
    points = json_object();
    for (size_t k = 0; k < prof->npoints && points != NULL && rc == 0; k++)
        for (size_t i = 0; i < n; i++)
            if (p[i].point == k) {
                rc |= set(points, prof->points[k].name,
                          late_point_doc(&p[i], prof, &prof->points[k]));
                break;
            }
    return cycle_doc(d, json_null(), (double)t / 1000.0, 1, points, rc);
}

char *
pub_json_status(const struct rw_config *cfg, const char *state, double wall)
{
    json_t *doc;
    int rc = 0;

    if (cfg == NULL || state == NULL) {
        errno = EINVAL;
        return NULL;
    }
    doc = json_object();
    if (doc == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    rc |= set(doc, "state", json_string(state));
    rc |= set(doc, "site", json_string(cfg->site.id));
    rc |= set(doc, "gateway", json_string(cfg->site.gateway));
    rc |= set(doc, "version", json_string(ROOMWATCH_VERSION));
    rc |= set(doc, "time", time_or_null(wall));
    if (rc != 0) {
        json_decref(doc);
        errno = ENOMEM;
        return NULL;
    }
    return dump(doc);
}

char *
pub_json_merge(const char *doc, const char *extra)
{
    json_t *d = json_loads(doc, 0, NULL), *x = json_loads(extra, 0, NULL);
    char *out = NULL;

    if (json_is_object(d) && json_is_object(x) && json_object_update(d, x) == 0)
        out = json_dumps(d, PUB_JSON_FLAGS);
    json_decref(d);
    json_decref(x);
    return out;
}
