/*
 * fuzz_snmp.c - SNMP varbind decoding (agent/source/sp_decode.c): values of any tag and
 * number for points of every SNMP type, ENTITY-SENSOR triples, walked columns of any shape,
 * and sysUpTime readings with any interval between them. The poller copies each varbind into
 * these structs unchecked, so an agent controls every field here.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_bytes.h"
#include "source/sp_decode.h"

#define MAXROWS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static double
finite_or(struct fz *f, double dflt)
{
    double d = fz_u8(f) & 1 ? fz_double(f) : dflt;

    return isfinite(d) ? d : dflt;
}

static void
value(struct fz *f, struct sp_value *v)
{
    static const unsigned tags[] = {
        SP_TAG_INTEGER,      SP_TAG_OCTET_STR, SP_TAG_NULL,         SP_TAG_OBJECT_ID,
        SP_TAG_IPADDRESS,    SP_TAG_COUNTER32, SP_TAG_GAUGE32,      SP_TAG_TIMETICKS,
        SP_TAG_OPAQUE,       SP_TAG_COUNTER64, SP_TAG_NOSUCHOBJECT, SP_TAG_NOSUCHINSTANCE,
        SP_TAG_ENDOFMIBVIEW,
    };
    uint8_t t = fz_u8(f);

    /* Mostly a known tag, sometimes any byte. */
    v->tag = t < 0xF0 ? tags[t % (sizeof(tags) / sizeof(tags[0]))] : fz_u8(f);
    v->u = fz_u64(f);
    v->i = (int64_t)fz_u64(f);
}

static void
check(enum rw_quality q, double v, uint16_t code)
{
    if (q == RW_Q_GOOD && !isfinite(v))
        abort();
    if (q == RW_Q_EXCEPTION && sp_exception_name(code) == NULL)
        abort();
    if (q != RW_Q_EXCEPTION && code != 0)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    static struct sp_cell cells[MAXROWS];
    struct cfg_point p;
    struct sp_value a, b, c;
    struct sp_column col;
    double v;
    uint16_t code;
    int exp;

    memset(&p, 0, sizeof(p));
    p.stype = (enum cfg_snmp_type)fz_range(&f, 0, 7);
    /* What the profile loader lets through: a non-zero scale; any finite bounds. */
    p.scale = finite_or(&f, 1.0);
    if (p.scale == 0.0)
        p.scale = 1.0;
    p.offset = finite_or(&f, 0.0);
    p.min = fz_u8(&f) & 1 ? finite_or(&f, -INFINITY) : -INFINITY;
    p.max = fz_u8(&f) & 1 ? finite_or(&f, INFINITY) : INFINITY;
    p.match_len = fz_range(&f, 0, CFG_OID_MAX);
    for (int k = 0; k < p.match_len; k++)
        p.match[k] = fz_u8(&f) % 4;

    value(&f, &a);
    value(&f, &b);
    value(&f, &c);
    check(sp_decode(&p, &a, &v, &code), v, code);
    check(sp_decode_sensor(&p, &a, &b, &c, &v, &code), v, code);
    (void)sp_sensor_exponent(a.i, &exp);

    memset(&col, 0, sizeof(col));
    col.nrows = (size_t)fz_range(&f, 0, MAXROWS);
    col.truncated = fz_u8(&f) & 1;
    col.broken = fz_u8(&f) & 1;
    for (size_t r = 0; r < col.nrows; r++) {
        struct sp_cell *cell = &cells[r];

        cell->tag = fz_u8(&f) < 0xF0 ? SP_TAG_OBJECT_ID : SP_TAG_NOSUCHINSTANCE;
        cell->oid_len = fz_range(&f, -1, CFG_OID_MAX);
        for (int k = 0; k < cell->oid_len; k++)
            cell->oid[k] = fz_u8(&f) % 4;
    }
    col.cells = cells;
    check(sp_decode_walk(&p, &col, &v, &code), v, code);

    (void)sp_uptime_restarted(a.u, b.u, fz_double(&f));
    return 0;
}
