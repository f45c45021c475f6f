/*
 * fuzz_bytes.h - taking typed values off the front of a fuzzer's input, for the harnesses
 * that build structs (points, profiles, varbinds) rather than parse text. An exhausted input
 * gives zeros, so every input is a valid sequence of values and the fuzzer explores the code,
 * not the harness.
 */
#ifndef ROOMWATCH_FUZZ_BYTES_H
#define ROOMWATCH_FUZZ_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fz {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t
fz_u8(struct fz *f)
{
    uint8_t v = 0;

    if (f->n > 0) {
        v = f->p[0];
        f->p++;
        f->n--;
    }
    return v;
}

static inline uint16_t
fz_u16(struct fz *f)
{
    unsigned hi = fz_u8(f); /* two statements: the order of evaluation is fixed */

    return (uint16_t)(hi << 8 | fz_u8(f));
}

static inline uint64_t
fz_u64(struct fz *f)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | fz_u8(f);
    return v;
}

/* Any double, NaN and infinities included: the bit pattern as given. */
static inline double
fz_double(struct fz *f)
{
    uint64_t u = fz_u64(f);
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

/* An integer in [lo, hi] (hi >= lo). */
static inline int
fz_range(struct fz *f, int lo, int hi)
{
    return lo + (int)(fz_u16(f) % (unsigned)(hi - lo + 1));
}

#endif
