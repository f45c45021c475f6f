/*
 * sp_decode.c - SNMP varbind values -> point values (see sp_decode.h).
 *
 * Types are checked strictly: a profile says what an object is (upsOutputSource is an
 * INTEGER, upsAlarmsPresent a Gauge32), and an agent answering with another type is answering
 * about something else, so that is a decode error, never a number taken at face value.
 */
#include "source/sp_decode.h"

#include <math.h>

static enum rw_quality finish(const struct cfg_point *p, double raw, double *value);
static int exception_of(const struct sp_value *v, uint16_t *code);

const char *
sp_exception_name(unsigned tag)
{
    switch (tag) {
    case SP_TAG_NOSUCHOBJECT:
        return "noSuchObject";
    case SP_TAG_NOSUCHINSTANCE:
        return "noSuchInstance";
    case SP_TAG_ENDOFMIBVIEW:
        return "endOfMibView";
    }
    return NULL;
}

/* 1 and *code set if v is an SNMP exception. */
static int
exception_of(const struct sp_value *v, uint16_t *code)
{
    if (sp_exception_name(v->tag) == NULL)
        return 0;
    *code = (uint16_t)v->tag;
    return 1;
}

static enum rw_quality
finish(const struct cfg_point *p, double raw, double *value)
{
    *value = raw * p->scale + p->offset;
    if (!isfinite(*value))
        return RW_Q_DECODE_ERROR;
    if (*value < p->min || *value > p->max)
        return RW_Q_OUT_OF_RANGE;
    return RW_Q_GOOD;
}

enum rw_quality
sp_decode(const struct cfg_point *p, const struct sp_value *v, double *value, uint16_t *code)
{
    unsigned want;
    double raw;

    *code = 0;
    *value = NAN;
    if (exception_of(v, code))
        return RW_Q_EXCEPTION;
    switch (p->stype) {
    case CFG_ST_INTEGER:
        want = SP_TAG_INTEGER;
        break;
    case CFG_ST_GAUGE:
        want = SP_TAG_GAUGE32;
        break;
    case CFG_ST_COUNTER32:
        want = SP_TAG_COUNTER32;
        break;
    case CFG_ST_COUNTER64:
        want = SP_TAG_COUNTER64;
        break;
    case CFG_ST_TIMETICKS:
        want = SP_TAG_TIMETICKS;
        break;
    case CFG_ST_ENTITY_SENSOR:
    case CFG_ST_ROWS:
    case CFG_ST_HAS_OID:
    default:
        return RW_Q_DECODE_ERROR;
    }
    if (v->tag != want)
        return RW_Q_DECODE_ERROR;
    if (want == SP_TAG_INTEGER) {
        raw = (double)v->i;
    } else {
        /* 32-bit types hold at most 2^32 - 1; anything more is a broken encoding. */
        if (want != SP_TAG_COUNTER64 && v->u > UINT32_MAX)
            return RW_Q_DECODE_ERROR;
        raw = (double)v->u;
    }
    return finish(p, raw, value);
}

int
sp_sensor_exponent(int64_t scale, int *exp)
{
    /* SensorDataScale, RFC 3433 section 3: yocto(1) .. yotta(17); exa(14) before peta(15). */
    static const int exps[18] = {
        0, -24, -21, -18, -15, -12, -9, -6, -3, 0, 3, 6, 9, 12, 18, 15, 21, 24,
    };

    if (scale < 1 || scale > 17)
        return -1;
    *exp = exps[scale];
    return 0;
}

enum rw_quality
sp_decode_sensor(const struct cfg_point *p, const struct sp_value *val,
                 const struct sp_value *scale, const struct sp_value *prec, double *value,
                 uint16_t *code)
{
    int exp;

    *code = 0;
    *value = NAN;
    if (exception_of(val, code) || exception_of(scale, code) || exception_of(prec, code))
        return RW_Q_EXCEPTION;
    if (val->tag != SP_TAG_INTEGER || scale->tag != SP_TAG_INTEGER ||
        prec->tag != SP_TAG_INTEGER)
        return RW_Q_DECODE_ERROR;
    /* SensorValue is -1000000000..1000000000, SensorPrecision -8..9. */
    if (val->i < -1000000000 || val->i > 1000000000 || prec->i < -8 || prec->i > 9 ||
        sp_sensor_exponent(scale->i, &exp) < 0)
        return RW_Q_DECODE_ERROR;
    return finish(p, (double)val->i * pow(10.0, exp - (int)prec->i), value);
}

static int
cell_is(const struct sp_cell *c, const uint32_t *oid, int len)
{
    if (c->oid_len != len)
        return 0;
    for (int k = 0; k < len; k++)
        if (c->oid[k] != oid[k])
            return 0;
    return 1;
}

enum rw_quality
sp_decode_walk(const struct cfg_point *p, const struct sp_column *col, double *value,
               uint16_t *code)
{
    enum rw_quality q;
    int found = 0;

    *code = 0;
    *value = NAN;
    if (col->broken)
        return RW_Q_DECODE_ERROR;
    switch (p->stype) {
    case CFG_ST_ROWS:
        q = finish(p, (double)col->nrows, value);
        return q == RW_Q_GOOD && col->truncated ? RW_Q_OUT_OF_RANGE : q;
    case CFG_ST_HAS_OID:
        for (size_t r = 0; r < col->nrows; r++) {
            if (col->cells[r].tag != SP_TAG_OBJECT_ID)
                return RW_Q_DECODE_ERROR;
            if (cell_is(&col->cells[r], p->match, p->match_len))
                found = 1;
        }
        q = finish(p, found ? 1.0 : 0.0, value);
        return q == RW_Q_GOOD && col->truncated && !found ? RW_Q_OUT_OF_RANGE : q;
    default:
        return RW_Q_DECODE_ERROR;
    }
}

int
sp_uptime_restarted(uint64_t prev, uint64_t cur, double elapsed)
{
    /* Ticks the counter may have run between the polls, with room for late answers. */
    double ticks = elapsed > 0 ? elapsed * 200.0 + 6000.0 : 6000.0;
    uint64_t slack;

    if (cur >= prev)
        return 0;
    /*
     * Polls so far apart that the slack spans the whole counter cannot tell a wrap from a
     * restart: say restart (a counter baseline is taken anew). Checked before converting,
     * since a huge interval does not fit in an integer (found by fuzzing).
     */
    if (!(ticks < (double)UINT32_MAX))
        return 1;
    slack = (uint64_t)ticks;
    if (prev > UINT32_MAX - slack && cur < slack)
        return 0; /* wrapped at 2^32 */
    return 1;
}
