/*
 * sp_decode.h - pure decoding of SNMP varbind values into point values: type checks, SNMP
 * exceptions, scale and range, the ENTITY-SENSOR-MIB exponent arithmetic, and telling a
 * restart from sysUpTime. No I/O and no net-snmp: the poller (snmp_poller.c) copies each
 * varbind into a struct sp_value, so that this module is unit-tested and fuzzed without an
 * agent.
 */
#ifndef ROOMWATCH_SP_DECODE_H
#define ROOMWATCH_SP_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"
#include "source/sample.h"

/* BER tags of the values an agent returns (RFC 2578, RFC 3416), as net-snmp's ASN_* say. */
#define SP_TAG_INTEGER 0x02
#define SP_TAG_OCTET_STR 0x04
#define SP_TAG_NULL 0x05
#define SP_TAG_OBJECT_ID 0x06
#define SP_TAG_IPADDRESS 0x40
#define SP_TAG_COUNTER32 0x41
#define SP_TAG_GAUGE32 0x42 /* also Unsigned32 */
#define SP_TAG_TIMETICKS 0x43
#define SP_TAG_OPAQUE 0x44
#define SP_TAG_COUNTER64 0x46
#define SP_TAG_NOSUCHOBJECT 0x80
#define SP_TAG_NOSUCHINSTANCE 0x81
#define SP_TAG_ENDOFMIBVIEW 0x82

/* One varbind's value: its tag and, for the numeric types, its number. */
struct sp_value {
    unsigned tag; /* SP_TAG_* */
    int64_t i;    /* INTEGER */
    uint64_t u;   /* Counter32, Gauge32, TimeTicks, Counter64 */
};

#define SP_WALK_MAX_ROWS 256 /* rows of a walked column taken per cycle */

/* One row of a walked column: its value's tag and, for an OBJECT IDENTIFIER, the value. */
struct sp_cell {
    unsigned tag;                /* SP_TAG_* */
    int oid_len;                 /* sub-identifiers in oid; -1 if longer than CFG_OID_MAX */
    uint32_t oid[CFG_OID_MAX];
};

/* What one cycle's walk of a column (a GETBULK sequence) came to. */
struct sp_column {
    const struct sp_cell *cells;
    size_t nrows;
    int truncated; /* stopped at a bound (rows, PDUs) with the column not yet at its end */
    int broken;    /* the agent answered out of order (a name not after the previous one) */
};

/*
 * Derives walk point p (CFG_ST_ROWS or CFG_ST_HAS_OID) from the rows of its column:
 * ROWS is the row count; HAS_OID is 1 if some row's value is the OID p->match, else 0; then
 * the point's scale, offset and range. RW_Q_DECODE_ERROR for a broken walk, and for HAS_OID
 * when a row's value is not an OBJECT IDENTIFIER (the profile names another column). A
 * truncated walk gives RW_Q_OUT_OF_RANGE with the value still set (the count is a lower
 * bound, an absent OID may sit in the rows not read), except for an OID that was found: 1
 * is certain. *code is always 0.
 */
enum rw_quality sp_decode_walk(const struct cfg_point *p, const struct sp_column *col,
                               double *value, uint16_t *code);

/*
 * Decodes v for point p: checks that its type is the one p expects, then sets *value to
 * raw * scale + offset. Returns RW_Q_GOOD; RW_Q_EXCEPTION with *code the tag (128 / 129 /
 * 130) for noSuchObject, noSuchInstance and endOfMibView; RW_Q_DECODE_ERROR for a value of
 * another type; RW_Q_OUT_OF_RANGE outside [min, max] (*value still holds it). *code is 0
 * otherwise. Not for CFG_ST_ENTITY_SENSOR points (sp_decode_sensor).
 */
enum rw_quality sp_decode(const struct cfg_point *p, const struct sp_value *v, double *value,
                          uint16_t *code);

/*
 * An entPhySensorValue with its entPhySensorScale and entPhySensorPrecision (RFC 3433):
 * value * 10^exponent(scale) * 10^-precision, then the point's scale, offset and range.
 * All three must be INTEGERs, the scale 1..17 and the precision -8..9; an exception in any
 * of them is that exception.
 */
enum rw_quality sp_decode_sensor(const struct cfg_point *p, const struct sp_value *val,
                                 const struct sp_value *scale, const struct sp_value *prec,
                                 double *value, uint16_t *code);

/*
 * The power of ten of an entPhySensorScale (SensorDataScale) value, 1 (yocto) .. 17 (yotta);
 * returns 0 and sets *exp, or -1 for a value out of range. 14 is exa (10^18) and 15 peta
 * (10^15): the RFC numbers them out of SI order, and a lookup table keeps that.
 */
int sp_sensor_exponent(int64_t scale, int *exp);

/*
 * 1 if a timeticks reading cur (raw hundredths of a second) after prev means the agent
 * restarted: it went back, by more than a wrap of the 32-bit counter would explain (a
 * sysUpTime near 2^32 wrapping to a small value after ~497 days is not a restart).
 */
int sp_uptime_restarted(uint64_t prev, uint64_t cur, double elapsed);

/* "noSuchObject", "noSuchInstance", "endOfMibView", or NULL for other tags. */
const char *sp_exception_name(unsigned tag);

#endif
