/*
 * mb_decode.c - registers <-> point values for every data type and byte/word order.
 *
 * A Modbus register is a big-endian 16-bit word; libmodbus hands it to us as a host
 * uint16_t. For a 32-bit value with bytes A B C D (A most significant) the four orders say
 * which registers carry which bytes:
 *   ABCD: reg0 = A B, reg1 = C D   (high word first, the Modbus convention)
 *   CDAB: reg0 = C D, reg1 = A B   (low word first: Carlo Gavazzi, many PLCs)
 *   BADC: reg0 = B A, reg1 = D C   (bytes swapped inside each word)
 *   DCBA: reg0 = D C, reg1 = B A   (fully little-endian)
 * 16-bit values use the byte order of the first word only (AB, or BA for BADC/DCBA).
 */
#include "source/mb_decode.h"

#include <math.h>
#include <string.h>

static uint16_t
swap16(uint16_t v)
{
    return (uint16_t)((v >> 8) | (v << 8));
}

uint32_t
mb_get32(enum cfg_order o, const uint16_t *regs)
{
    uint16_t r0 = regs[0], r1 = regs[1];

    switch (o) {
    case CFG_O_ABCD:
        return ((uint32_t)r0 << 16) | r1;
    case CFG_O_CDAB:
        return ((uint32_t)r1 << 16) | r0;
    case CFG_O_BADC:
        return ((uint32_t)swap16(r0) << 16) | swap16(r1);
    case CFG_O_DCBA:
        return ((uint32_t)swap16(r1) << 16) | swap16(r0);
    }
    return 0;
}

void
mb_put32(enum cfg_order o, uint32_t v, uint16_t *regs)
{
    uint16_t hi = (uint16_t)(v >> 16), lo = (uint16_t)(v & 0xFFFF);

    switch (o) {
    case CFG_O_ABCD:
        regs[0] = hi;
        regs[1] = lo;
        break;
    case CFG_O_CDAB:
        regs[0] = lo;
        regs[1] = hi;
        break;
    case CFG_O_BADC:
        regs[0] = swap16(hi);
        regs[1] = swap16(lo);
        break;
    case CFG_O_DCBA:
        regs[0] = swap16(lo);
        regs[1] = swap16(hi);
        break;
    }
}

static uint16_t
get16(enum cfg_order o, uint16_t r)
{
    return (o == CFG_O_BADC || o == CFG_O_DCBA) ? swap16(r) : r;
}

/*
 * A float32 carries about 7.2 significant decimal digits; the meter's 230.1 V arrives as
 * 230.100006103515625. Rounding to 7 significant digits gives back the value the device
 * meant, so telemetry and indicators see 230.1.
 */
static double
round_float32(float f)
{
    double d = (double)f, m;
    int e;

    if (d == 0.0)
        return 0.0;
    e = (int)floor(log10(fabs(d)));
    m = pow(10.0, 6 - e);
    if (!isfinite(m) || m == 0.0)
        return d;
    return round(d * m) / m;
}

enum rw_quality
mb_decode(const struct cfg_point *p, const uint16_t *regs, double *value)
{
    double raw;
    uint32_t u32;
    float f;

    switch (p->type) {
    case CFG_T_BIT:
        raw = regs[0] ? 1.0 : 0.0;
        break;
    case CFG_T_INT16:
        raw = (double)(int16_t)get16(p->order, regs[0]);
        break;
    case CFG_T_UINT16:
        raw = (double)get16(p->order, regs[0]);
        break;
    case CFG_T_INT32:
        raw = (double)(int32_t)mb_get32(p->order, regs);
        break;
    case CFG_T_UINT32:
        raw = (double)mb_get32(p->order, regs);
        break;
    case CFG_T_FLOAT32:
        u32 = mb_get32(p->order, regs);
        memcpy(&f, &u32, sizeof(f));
        if (!isfinite(f)) {
            *value = NAN;
            return RW_Q_DECODE_ERROR;
        }
        raw = round_float32(f);
        break;
    default:
        *value = NAN;
        return RW_Q_DECODE_ERROR;
    }
    *value = raw * p->scale + p->offset;
    /* Scaling 305 by 0.1 gives 30.500000000000004; keep 12 significant digits of it. */
    if (*value != 0.0 && fabs(*value) < 1e12) {
        int e = (int)floor(log10(fabs(*value)));
        double m = pow(10.0, 11 - e);
        if (isfinite(m) && m != 0.0)
            *value = round(*value * m) / m;
    }
    if (*value < p->min || *value > p->max)
        return RW_Q_OUT_OF_RANGE;
    return RW_Q_GOOD;
}

static double
clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int
mb_encode(const struct cfg_point *p, double value, uint16_t *regs)
{
    double raw;
    uint32_t u32;
    float f;

    if (p->scale == 0.0)
        return -1;
    raw = (value - p->offset) / p->scale;
    /* No integer encodes a NaN: converting one is undefined behaviour (found by fuzzing). */
    if (isnan(raw) && p->type != CFG_T_FLOAT32)
        return -1;
    switch (p->type) {
    case CFG_T_BIT:
        regs[0] = raw != 0.0;
        break;
    case CFG_T_INT16:
        regs[0] = get16(p->order, (uint16_t)(int16_t)clampd(round(raw), INT16_MIN, INT16_MAX));
        break;
    case CFG_T_UINT16:
        regs[0] = get16(p->order, (uint16_t)clampd(round(raw), 0, UINT16_MAX));
        break;
    case CFG_T_INT32:
        mb_put32(p->order, (uint32_t)(int32_t)clampd(round(raw), INT32_MIN, INT32_MAX), regs);
        break;
    case CFG_T_UINT32:
        mb_put32(p->order, (uint32_t)clampd(round(raw), 0, UINT32_MAX), regs);
        break;
    case CFG_T_FLOAT32:
        f = (float)raw;
        memcpy(&u32, &f, sizeof(u32));
        mb_put32(p->order, u32, regs);
        break;
    }
    return 0;
}
