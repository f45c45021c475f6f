/*
 * held.c - the samples held back for the next minute to judge (see held.h).
 *
 * A ring of buckets indexed by minute modulo its size (a power of two), grown when two
 * minutes held at once would share a bucket. A bucket's array stays allocated when it is
 * emptied, for the next minute that lands in it: in steady feed nothing is allocated.
 */
#include "core/held.h"

#include <stdlib.h>
#include <string.h>

struct bucket {
    int64_t minute;
    size_t n, cap;
    struct held_sample *s;
};

struct held {
    size_t nb; /* buckets, a power of two */
    struct bucket *b;
    size_t count;
    int64_t lo; /* no minute before it is held; INT64_MAX: none held */
};

/* The minute t belongs to: the first whole minute at or after it. */
static int64_t
minute_of(int64_t t)
{
    int64_t q = t / HELD_MINUTE_MS;

    return q * HELD_MINUTE_MS < t ? q + 1 : q;
}

struct held *
held_new(void)
{
    struct held *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    h->nb = 64;
    h->lo = INT64_MAX;
    if ((h->b = calloc(h->nb, sizeof(*h->b))) == NULL) {
        free(h);
        return NULL;
    }
    return h;
}

void
held_free(struct held *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->nb; i++)
        free(h->b[i].s);
    free(h->b);
    free(h);
}

size_t
held_count(const struct held *h)
{
    return h->count;
}

/* A ring twice the size, the held minutes moved to their buckets. 0, or -1. */
static int
grow(struct held *h)
{
    for (size_t nb = h->nb * 2;; nb *= 2) {
        struct bucket *b = calloc(nb, sizeof(*b));
        size_t i;

        if (b == NULL)
            return -1;
        for (i = 0; i < h->nb; i++) {
            struct bucket *o = &h->b[i], *d;

            if (o->n == 0)
                continue;
            d = &b[(size_t)o->minute & (nb - 1)];
            if (d->n > 0)
                break; /* still two minutes in one bucket */
            *d = *o;
        }
        if (i < h->nb) {
            free(b);
            continue;
        }
        /* The empty buckets' arrays go where they fit, or are freed. */
        for (i = 0; i < h->nb; i++) {
            struct bucket *o = &h->b[i], *d = &b[i];

            if (o->n > 0)
                continue;
            if (d->s == NULL && d->n == 0)
                *d = *o;
            else
                free(o->s);
        }
        free(h->b);
        h->b = b;
        h->nb = nb;
        return 0;
    }
}

int
held_push(struct held *h, const struct held_sample *s)
{
    int64_t m = minute_of(s->t);
    struct bucket *b = &h->b[(size_t)m & (h->nb - 1)];

    while (b->n > 0 && b->minute != m) {
        if (grow(h) < 0)
            return -1;
        b = &h->b[(size_t)m & (h->nb - 1)];
    }
    if (b->n == b->cap) {
        size_t cap = b->cap > 0 ? b->cap * 2 : 64;
        struct held_sample *p = realloc(b->s, cap * sizeof(*p));

        if (p == NULL)
            return -1;
        b->s = p;
        b->cap = cap;
    }
    b->minute = m;
    b->s[b->n++] = *s;
    h->count++;
    if (m < h->lo)
        h->lo = m;
    return 0;
}

/* The non-empty buckets of minutes <= last, in minute order, into idx (h->nb entries). */
static size_t
due(const struct held *h, int64_t last, size_t *idx)
{
    size_t n = 0;

    for (size_t i = 0; i < h->nb; i++) {
        size_t k = n;

        if (h->b[i].n == 0 || h->b[i].minute > last)
            continue;
        while (k > 0 && h->b[idx[k - 1]].minute > h->b[i].minute) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = i;
        n++;
    }
    return n;
}

/* Takes out bucket b, its samples in arrival order. */
static void
take_bucket(struct held *h, struct bucket *b, void (*fn)(void *arg, const struct held_sample *s),
            void *arg)
{
    size_t cnt = b->n;

    b->n = 0;
    h->count -= cnt;
    for (size_t i = 0; i < cnt; i++)
        fn(arg, &b->s[i]);
}

void
held_take(struct held *h, int64_t upto, void (*fn)(void *arg, const struct held_sample *s),
          void *arg)
{
    int64_t last = upto == INT64_MAX ? INT64_MAX : upto / HELD_MINUTE_MS;
    size_t idx[64], *ix = idx, n;

    if (h->count == 0 || h->lo > last)
        return;
    if (h->lo == last) {
        /* The usual case, at every minute judged: one minute is due, the oldest held. */
        struct bucket *b = &h->b[(size_t)last & (h->nb - 1)];

        if (b->n > 0 && b->minute == last)
            take_bucket(h, b, fn, arg);
        h->lo = h->count > 0 ? last + 1 : INT64_MAX;
        return;
    }
    if (h->nb > 64 && (ix = malloc(h->nb * sizeof(*ix))) == NULL)
        return; /* taken at the next call */
    n = due(h, last, ix);
    for (size_t k = 0; k < n; k++)
        take_bucket(h, &h->b[ix[k]], fn, arg);
    h->lo = h->count == 0 ? INT64_MAX : last == INT64_MAX ? h->lo : last + 1;
    if (ix != idx)
        free(ix);
}

int
held_export(const struct held *h, struct held_sample **buf, size_t *n)
{
    size_t idx[64], *ix = idx, nd, k = 0;

    *buf = NULL;
    *n = 0;
    if (h->count == 0)
        return 0;
    if ((h->nb > 64 && (ix = malloc(h->nb * sizeof(*ix))) == NULL) ||
        (*buf = malloc(h->count * sizeof(**buf))) == NULL) {
        if (ix != idx)
            free(ix);
        return -1;
    }
    nd = due(h, INT64_MAX, ix);
    for (size_t j = 0; j < nd; j++) {
        memcpy(*buf + k, h->b[ix[j]].s, h->b[ix[j]].n * sizeof(**buf));
        k += h->b[ix[j]].n;
    }
    *n = k;
    if (ix != idx)
        free(ix);
    return 0;
}
