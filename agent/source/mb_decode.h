/*
 * mb_decode.h - pure conversion between Modbus registers and point values, per the point's
 * data type, byte/word order, scale, offset and plausible range. No I/O: shared by the bus
 * worker, roomwatch-devsim (which encodes what it serves) and the fuzz harness.
 *
 * float32 is assembled from bytes with explicit shifts for every order, never with
 * libmodbus' modbus_get_float_*() / modbus_set_float_*(), whose setters in the Debian
 * package do not round-trip (see libraries.md, "Float pitfall").
 */
#ifndef ROOMWATCH_MB_DECODE_H
#define ROOMWATCH_MB_DECODE_H

#include <stdint.h>

#include "cfg/cfg.h"
#include "source/sample.h"

/*
 * Decodes point p from regs, which holds the point's cfg_point_width(p) registers (for
 * CFG_T_BIT: regs[0] is the bit, 0 or 1). Sets *value to raw * scale + offset.
 * Returns RW_Q_GOOD, RW_Q_DECODE_ERROR (a float32 NaN or infinity) or RW_Q_OUT_OF_RANGE (the
 * scaled value lies outside [min, max]; *value still holds it, for the log).
 */
enum rw_quality mb_decode(const struct cfg_point *p, const uint16_t *regs, double *value);

/*
 * The inverse, for simulators and tests: writes the registers that make mb_decode() return
 * value (before range checking). raw = (value - offset) / scale, rounded to the nearest
 * integer for integer types and clamped to the type's range. Returns 0, or -1 if scale is 0
 * or raw is NaN for an integer type (no registers are written then).
 */
int mb_encode(const struct cfg_point *p, double value, uint16_t *regs);

/* Encodes the raw 32 bits v of a 32-bit point into two registers in order o, and back. */
void mb_put32(enum cfg_order o, uint32_t v, uint16_t *regs);
uint32_t mb_get32(enum cfg_order o, const uint16_t *regs);

#endif
