/*
 * fnv.h - FNV-1a, 64 bits: the one hash of configurations (eng_fingerprint(), the alarm
 * detector's image) and of published documents (what changed since the last publication).
 * Not for anything an attacker chooses. Pure.
 */
#ifndef ROOMWATCH_FNV_H
#define ROOMWATCH_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_INIT 14695981039346656037ULL

/* h continued over n bytes at p. */
static inline uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

#endif
