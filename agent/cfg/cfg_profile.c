/*
 * cfg_profile.c - device profiles: reading and checking a profile file (cfg_profile_load),
 * and the profile as the rest of roomwatch sees it: looking points up, their width on the
 * wire, the names of data types and byte orders, and freeing.
 *
 * A profile maps either Modbus registers (protocol "modbus", the default) or SNMP objects
 * (protocol "snmp": each point has a numeric OID, an SNMP type and optionally an enum of
 * value labels). Keys of the other protocol are errors. An OID may hold one "{index}"
 * sub-identifier, filled per device from its "index" list (cfg_profile_expand), so that one
 * IF-MIB profile serves every switch whatever ports it watches. A point with "walk" instead
 * of "oid" names a table column walked with GETBULK (sparse tables such as upsAlarmTable),
 * and is derived from its rows: type "rows" (the count) or "has_oid" with "match" (1 if some
 * row holds that OID value).
 *
 * Checking goes through the shared layer in cfg_check.h, as the main config's does; the
 * names of data types and byte orders below are also the spellings profile files use.
 */
#include "cfg/cfg.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "cfg/cfg_check.h"

/* Limits of the Modbus application protocol (V1.1b3, 6.1-6.4): per read request. */
#define PDU_MAX_READ_REGISTERS 125
#define PDU_MAX_READ_BITS 2000

static void check_profile(struct cfgc *ck, const config_setting_t *root, enum cfg_proto expect,
                          struct cfg_profile *p);
static void check_point(struct cfgc *ck, const struct cfg_profile *p, const config_setting_t *s,
                        int index, struct cfg_point *pt);
static void check_snmp_point(struct cfgc *ck, struct cfg_profile *p, const config_setting_t *s,
                             int index, struct cfg_point *pt);
static void check_common(struct cfgc *ck, const struct cfg_profile *p, const config_setting_t *s,
                         int index, struct cfg_point *pt, struct cfgc_obj *o);
static void check_walk_point(struct cfgc *ck, const config_setting_t *s, struct cfg_point *pt,
                             struct cfgc_obj *o);
static void check_enum(struct cfgc *ck, struct cfg_profile *p, const struct cfgc_obj *o,
                       struct cfg_point *pt);
static int parse_oid(const char *s, struct cfg_point *pt);
static int parse_snmp_type(const char *s, enum cfg_snmp_type *out);
static int parse_enum_dtype(const char *s, enum cfg_dtype *out);
static int parse_enum_order(const char *s, enum cfg_order *out);

static const char *const profile_file_keys[] = {"profile", NULL};
static const char *const profile_keys[] = {
    "model",
    "protocol",
    "max_read_registers",
    "max_read_bits",
    "register_multiple",
    "request_gap_ms",
    "points",
    NULL,
};
static const char *const point_keys[] = {
    "name",  "quantity", "unit",   "fc",  "address", "type",
    "order", "scale",    "offset", "min", "max",     NULL,
};
static const char *const modbus_only_profile_keys[] = {
    "max_read_registers", "max_read_bits", "register_multiple", "request_gap_ms", NULL,
};
/* With the Modbus-only keys, which are reported as such rather than as unknown. */
static const char *const snmp_point_keys[] = {
    "name", "quantity", "unit",   "oid", "walk", "match",   "type",  "scale", "offset",
    "min",  "max",      "enum",   "fc",  "address", "order", NULL,
};
static const char *const modbus_only_point_keys[] = {"fc", "address", "order", NULL};

enum cfg_status
cfg_profile_load(const char *path, const char *name, struct cfg_profile *out,
                 struct cfg_diags *diags)
{
    return cfg_profile_load_as(path, name, CFG_PROTO_MODBUS, out, diags);
}

enum cfg_status
cfg_profile_load_as(const char *path, const char *name, enum cfg_proto expect,
                    struct cfg_profile *out, struct cfg_diags *diags)
{
    struct cfgc ck;
    size_t n0 = diags->n;
    enum cfg_status st;
    config_t lc;

    cfgc_init(&ck, diags, path);
    memset(out, 0, sizeof(*out));
    if (strlen(name) >= sizeof(out->name)) {
        cfgc_file_problem(&ck, path, "profile name is longer than %d characters", CFG_ID_MAX - 1);
        return cfgc_status(&ck);
    }
    memcpy(out->name, name, strlen(name) + 1);
    if ((out->file = cfgc_strdup(&ck, path)) == NULL)
        return cfgc_status(&ck);

    config_init(&lc);
    if (cfgc_read_file(&ck, &lc, path) == 0)
        check_profile(&ck, config_root_setting(&lc), expect, out);
    config_destroy(&lc);

    cfgc_sort_diags(diags, n0);
    st = cfgc_status(&ck);
    if (st != CFG_OK)
        cfg_profile_clear(out);
    return st;
}

static void
check_profile(struct cfgc *ck, const config_setting_t *root, enum cfg_proto expect,
              struct cfg_profile *p)
{
    struct cfgc_obj top = {.s = root};
    struct cfgc_obj o;
    const config_setting_t *g, *points;
    const char *v;
    char q[CFGC_QBUF];
    int n, r, rm;

    cfgc_check_keys(ck, &top, profile_file_keys);
    if ((g = cfgc_get_group(ck, &top, "profile", 1)) == NULL)
        return;
    cfgc_obj_init(&o, g, "profile", NULL, 0);

    /*
     * The protocol decides which keys belong. A profile of the other protocol than its
     * device's is reported at "protocol" and checked as the device needs it.
     */
    p->protocol = expect == CFG_PROTO_SNMP ? CFG_PROTO_SNMP : CFG_PROTO_MODBUS;
    if (cfgc_get_string(ck, &o, "protocol", &v) > 0) {
        const config_setting_t *at = config_setting_get_member(g, "protocol");
        int is = strcmp(v, "modbus") == 0 ? CFG_PROTO_MODBUS
                 : strcmp(v, "snmp") == 0 ? CFG_PROTO_SNMP
                                          : -1;

        if (expect == CFG_PROTO_ANY && is < 0)
            cfgc_problem(ck, &o, at, "\"protocol\" must be \"modbus\" or \"snmp\" (is %s)",
                         cfgc_quote(q, sizeof(q), v));
        else if (expect != CFG_PROTO_ANY && is != (int)expect)
            cfgc_problem(ck, &o, at, "\"protocol\" must be \"%s\" (is %s)",
                         expect == CFG_PROTO_SNMP ? "snmp" : "modbus", cfgc_quote(q, sizeof(q), v));
        else
            p->protocol = (enum cfg_proto)is;
    } else if (expect == CFG_PROTO_SNMP) {
        cfgc_problem(ck, &o, g, "an SNMP device needs a profile with protocol = \"snmp\"");
    }
    if (p->protocol == CFG_PROTO_SNMP) {
        const config_setting_t *at;

        cfgc_check_keys(ck, &o, profile_keys);
        for (const char *const *k = modbus_only_profile_keys; *k != NULL; k++)
            if ((at = config_setting_get_member(g, *k)) != NULL)
                cfgc_problem(ck, &o, at, "\"%s\" is only for modbus profiles", *k);
    } else {
        cfgc_check_keys(ck, &o, profile_keys);
    }

    r = cfgc_get_text(ck, &o, "model", CFGC_TEXT_MAX, &v);
    if (r == 0)
        cfgc_missing(ck, &o, "model");
    else if (r > 0 && v[0] == '\0')
        cfgc_problem(ck, &o, config_setting_get_member(g, "model"), "\"model\" must not be empty");
    else if (r > 0)
        p->model = cfgc_strdup(ck, v);

    p->max_read_registers = PDU_MAX_READ_REGISTERS;
    p->max_read_bits = PDU_MAX_READ_BITS;
    p->register_multiple = 1;
    p->request_gap_ms = 0;
    if (p->protocol == CFG_PROTO_MODBUS) {
        r = cfgc_get_int(ck, &o, "max_read_registers", 1, PDU_MAX_READ_REGISTERS,
                         &p->max_read_registers);
        cfgc_get_int(ck, &o, "max_read_bits", 1, PDU_MAX_READ_BITS, &p->max_read_bits);
        rm =
            cfgc_get_int(ck, &o, "register_multiple", 1, PDU_MAX_READ_REGISTERS, &p->register_multiple);
        if (rm > 0 && r >= 0 && p->register_multiple > p->max_read_registers) {
            cfgc_problem(ck, &o, config_setting_get_member(g, "register_multiple"),
                         "\"register_multiple\" (%d) must not exceed \"max_read_registers\" (%d)",
                         p->register_multiple, p->max_read_registers);
            p->register_multiple = 1; /* not a second time for every point */
        }
        cfgc_get_int(ck, &o, "request_gap_ms", 0, 10000, &p->request_gap_ms);
    }

    if ((points = cfgc_get_list(ck, &o, "points", 1)) == NULL)
        return;
    n = config_setting_length(points);
    if (n == 0) {
        cfgc_problem(ck, &o, points, "\"points\" must not be empty");
        return;
    }
    if ((p->points = calloc((size_t)n, sizeof(*p->points))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (p->protocol == CFG_PROTO_SNMP)
            check_snmp_point(ck, p, config_setting_get_elem(points, (unsigned)i), i + 1,
                             &p->points[i]);
        else
            check_point(ck, p, config_setting_get_elem(points, (unsigned)i), i + 1,
                        &p->points[i]);
        p->npoints++; /* all of them, even bad ones: duplicate names are checked against them */
    }
}

/*
 * Checks one point of p, whose earlier points are p->points[0 .. index - 2]. Leaves
 * pt->name empty if the name itself was bad.
 */
static void
check_point(struct cfgc *ck, const struct cfg_profile *p, const config_setting_t *s, int index,
            struct cfg_point *pt)
{
    int have_fc = 0, have_addr = 0, have_type = 0;
    int have_min = 0, have_max = 0;
    const config_setting_t *at;
    struct cfgc_obj o;
    const char *v;
    char q[CFGC_QBUF];
    int r;

    pt->line = cfgc_src_line(s);
    if (!config_setting_is_group(s)) {
        cfgc_obj_init(&o, s, "point", NULL, index);
        cfgc_problem(ck, &o, s, "must be a group { ... }");
        return;
    }
    cfgc_obj_init(&o, s, "point", NULL, index);
    if (cfgc_get_id(ck, &o, "name", CFGC_ID_LOWER, 1, &v) > 0) {
        memcpy(pt->name, v, strlen(v) + 1);
        cfgc_obj_init(&o, s, "point", v, 0);
        for (size_t i = 0; i + 1 < (size_t)index; i++) {
            if (strcmp(p->points[i].name, v) == 0) {
                cfgc_problem(ck, &o, config_setting_get_member(s, "name"),
                             "duplicate point name (first at line %d)", p->points[i].line);
                break;
            }
        }
    }
    cfgc_check_keys(ck, &o, point_keys);

    if (cfgc_get_id(ck, &o, "quantity", CFGC_ID_LOWER, 1, &v) > 0)
        memcpy(pt->quantity, v, strlen(v) + 1);
    if (cfgc_get_text(ck, &o, "unit", sizeof(pt->unit), &v) > 0)
        memcpy(pt->unit, v, strlen(v) + 1);

    if ((r = cfgc_get_int(ck, &o, "fc", 1, 4, &pt->fc)) == 0)
        cfgc_missing(ck, &o, "fc");
    have_fc = r > 0;
    if ((r = cfgc_get_int(ck, &o, "address", 0, 65535, &pt->address)) == 0)
        cfgc_missing(ck, &o, "address");
    have_addr = r > 0;

    r = cfgc_get_string(ck, &o, "type", &v);
    if (r == 0) {
        cfgc_missing(ck, &o, "type");
    } else if (r > 0 && !parse_enum_dtype(v, &pt->type)) {
        cfgc_problem(ck, &o, config_setting_get_member(s, "type"),
                     "\"type\" must be one of bit, int16, uint16, int32, uint32, float32 (is %s)",
                     cfgc_quote(q, sizeof(q), v));
    } else if (r > 0) {
        have_type = 1;
    }

    pt->order = CFG_O_ABCD;
    if (cfgc_get_string(ck, &o, "order", &v) > 0) {
        at = config_setting_get_member(s, "order");
        if (!parse_enum_order(v, &pt->order))
            cfgc_problem(ck, &o, at, "\"order\" must be one of ABCD, BADC, CDAB, DCBA (is %s)",
                         cfgc_quote(q, sizeof(q), v));
        else if (have_type && pt->type == CFG_T_BIT)
            cfgc_problem(ck, &o, at, "\"order\" does not apply to a bit");
    }

    pt->scale = 1.0;
    pt->offset = 0.0;
    pt->min = -HUGE_VAL;
    pt->max = HUGE_VAL;
    if (cfgc_get_number(ck, &o, "scale", -HUGE_VAL, HUGE_VAL, &pt->scale) > 0 && pt->scale == 0.0)
        cfgc_problem(ck, &o, config_setting_get_member(s, "scale"), "\"scale\" must not be 0");
    cfgc_get_number(ck, &o, "offset", -HUGE_VAL, HUGE_VAL, &pt->offset);
    have_min = cfgc_get_number(ck, &o, "min", -HUGE_VAL, HUGE_VAL, &pt->min) >= 0;
    have_max = cfgc_get_number(ck, &o, "max", -HUGE_VAL, HUGE_VAL, &pt->max) >= 0;
    if (have_min && have_max && pt->min > pt->max)
        cfgc_problem(ck, &o, config_setting_get_member(s, "max"),
                     "\"min\" (%.10g) must not be greater than \"max\" (%.10g)", pt->min, pt->max);

    if (have_fc && have_type) {
        int bits = pt->fc == 1 || pt->fc == 2;

        if (bits && pt->type != CFG_T_BIT)
            cfgc_problem(ck, &o, config_setting_get_member(s, "type"),
                         "fc %d reads %s: \"type\" must be \"bit\"", pt->fc,
                         pt->fc == 1 ? "coils" : "discrete inputs");
        else if (!bits && pt->type == CFG_T_BIT)
            cfgc_problem(ck, &o, config_setting_get_member(s, "type"),
                         "fc %d reads registers: \"type\" must not be \"bit\"", pt->fc);
    }
    if (have_addr && have_type && pt->type != CFG_T_BIT) {
        /*
         * The read that fetches the point starts and ends on multiples of
         * register_multiple, so that is the span that must fit in one request.
         */
        int w = cfg_point_width(pt);
        int m = p->register_multiple;
        long first = (long)pt->address / m * m;
        long end = ((long)pt->address + w + m - 1) / m * m;

        if ((long)pt->address + w > 65536)
            cfgc_problem(ck, &o, config_setting_get_member(s, "address"),
                         "a %d-register value at address %d runs past register 65535", w,
                         pt->address);
        else if (end > 65536)
            /* mb_plan would refuse it: the read is rounded up past the last register. */
            cfgc_problem(ck, &o, config_setting_get_member(s, "address"),
                         "reading it with register_multiple %d runs past register 65535", m);
        else if (end - first > p->max_read_registers)
            cfgc_problem(ck, &o, config_setting_get_member(s, "address"),
                         "reading it takes %ld registers (register_multiple %d) but "
                         "\"max_read_registers\" is %d",
                         end - first, m, p->max_read_registers);
    }
}

/*
 * Checks one point of an SNMP profile p, whose earlier points are p->points[0 .. index - 2].
 */
static void
check_snmp_point(struct cfgc *ck, struct cfg_profile *p, const config_setting_t *s, int index,
                 struct cfg_point *pt)
{
    const config_setting_t *at;
    struct cfgc_obj o;
    const char *v;
    char q[CFGC_QBUF];
    int r;

    pt->line = cfgc_src_line(s);
    pt->oid_index_at = -1;
    cfgc_obj_init(&o, s, "point", NULL, index);
    if (!config_setting_is_group(s)) {
        cfgc_problem(ck, &o, s, "must be a group { ... }");
        return;
    }
    check_common(ck, p, s, index, pt, &o);
    cfgc_check_keys(ck, &o, snmp_point_keys);
    for (const char *const *k = modbus_only_point_keys; *k != NULL; k++)
        if ((at = config_setting_get_member(s, *k)) != NULL)
            cfgc_problem(ck, &o, at, "\"%s\" is only for modbus profiles (give \"oid\")", *k);

    if (config_setting_get_member(s, "walk") != NULL) {
        check_walk_point(ck, s, pt, &o);
        check_enum(ck, p, &o, pt);
        return;
    }
    if ((at = config_setting_get_member(s, "match")) != NULL)
        cfgc_problem(ck, &o, at, "\"match\" is only for a \"walk\" point of type has_oid");
    r = cfgc_get_string(ck, &o, "oid", &v);
    if (r == 0)
        cfgc_missing(ck, &o, "oid");
    else if (r > 0 && parse_oid(v, pt) < 0)
        cfgc_problem(ck, &o, config_setting_get_member(s, "oid"),
                     "\"oid\" must be a numeric OID like \"1.3.6.1.2.1.33.1.4.1.0\" of 2 to %d "
                     "sub-identifiers, one of which may be {index} (is %s)",
                     CFG_OID_MAX, cfgc_quote(q, sizeof(q), v));

    r = cfgc_get_string(ck, &o, "type", &v);
    if (r == 0) {
        cfgc_missing(ck, &o, "type");
    } else if (r > 0 && (!parse_snmp_type(v, &pt->stype) || pt->stype == CFG_ST_ROWS ||
                         pt->stype == CFG_ST_HAS_OID)) {
        cfgc_problem(ck, &o, config_setting_get_member(s, "type"),
                     "\"type\" must be one of integer, gauge, counter32, counter64, timeticks, "
                     "entity_sensor (is %s)%s",
                     cfgc_quote(q, sizeof(q), v),
                     parse_snmp_type(v, &pt->stype) ? "; rows and has_oid are for \"walk\" points"
                                                    : "");
        pt->stype = CFG_ST_INTEGER;
    } else if (r > 0 && pt->stype == CFG_ST_ENTITY_SENSOR && pt->oid_len > 0) {
        /* entPhySensorValue: 1.3.6.1.2.1.99.1.1.1.4.<entPhysicalIndex> (RFC 3433). */
        static const uint32_t value_col[] = {1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 4};
        size_t n = sizeof(value_col) / sizeof(value_col[0]);

        if ((size_t)pt->oid_len != n + 1 || memcmp(pt->oid, value_col, sizeof(value_col)) != 0)
            cfgc_problem(ck, &o, config_setting_get_member(s, "oid"),
                         "an entity_sensor point's \"oid\" must be entPhySensorValue "
                         "1.3.6.1.2.1.99.1.1.1.4.<index>");
    }
    check_enum(ck, p, &o, pt);
}

/*
 * A walk point: walk = "<column OID>" (no "{index}"), type = "rows" or "has_oid", and for
 * has_oid match = "<OID value>". "oid" is then an error: a point is either read or walked.
 */
static void
check_walk_point(struct cfgc *ck, const config_setting_t *s, struct cfg_point *pt,
                 struct cfgc_obj *o)
{
    const config_setting_t *at;
    struct cfg_point tmp;
    const char *v;
    char q[CFGC_QBUF];
    int r, have_type = 0;

    pt->walk = 1;
    pt->stype = CFG_ST_ROWS;
    if ((at = config_setting_get_member(s, "oid")) != NULL)
        cfgc_problem(ck, o, at, "give either \"oid\" (read with GET) or \"walk\" (a column "
                                "walked with GETBULK), not both");
    r = cfgc_get_string(ck, o, "walk", &v);
    if (r > 0 && (parse_oid(v, pt) < 0 || pt->oid_index_at >= 0)) {
        cfgc_problem(ck, o, config_setting_get_member(s, "walk"),
                     "\"walk\" must be the numeric OID of a table column like "
                     "\"1.3.6.1.2.1.33.1.6.2.1.2\", of 2 to %d sub-identifiers and no {index} "
                     "(is %s)",
                     CFG_OID_MAX - 1, cfgc_quote(q, sizeof(q), v));
        pt->oid_len = 0;
        pt->oid_index_at = -1;
    } else if (r > 0 && pt->oid_len >= CFG_OID_MAX) {
        cfgc_problem(ck, o, config_setting_get_member(s, "walk"),
                     "\"walk\" must leave room for a row index (at most %d sub-identifiers)",
                     CFG_OID_MAX - 1);
        pt->oid_len = 0;
    }

    r = cfgc_get_string(ck, o, "type", &v);
    if (r == 0) {
        cfgc_missing(ck, o, "type");
    } else if (r > 0 && (!parse_snmp_type(v, &pt->stype) ||
                         (pt->stype != CFG_ST_ROWS && pt->stype != CFG_ST_HAS_OID))) {
        cfgc_problem(ck, o, config_setting_get_member(s, "type"),
                     "a \"walk\" point's \"type\" must be rows or has_oid (is %s)",
                     cfgc_quote(q, sizeof(q), v));
        pt->stype = CFG_ST_ROWS;
    } else if (r > 0) {
        have_type = 1;
    }

    at = config_setting_get_member(s, "match");
    if (have_type && pt->stype == CFG_ST_ROWS && at != NULL) {
        cfgc_problem(ck, o, at, "\"match\" is only for type has_oid");
    } else if (have_type && pt->stype == CFG_ST_HAS_OID) {
        r = cfgc_get_string(ck, o, "match", &v);
        if (r == 0) {
            cfgc_missing(ck, o, "match");
        } else if (r > 0 && (parse_oid(v, &tmp) < 0 || tmp.oid_index_at >= 0)) {
            cfgc_problem(ck, o, at,
                         "\"match\" must be a numeric OID like \"1.3.6.1.2.1.33.1.6.3.2\" of 2 "
                         "to %d sub-identifiers (is %s)",
                         CFG_OID_MAX, cfgc_quote(q, sizeof(q), v));
        } else if (r > 0) {
            memcpy(pt->match, tmp.oid, sizeof(pt->match));
            pt->match_len = tmp.oid_len;
        }
    }
}

/* name, quantity, unit, scale, offset, min and max: the same in both kinds of profile. */
static void
check_common(struct cfgc *ck, const struct cfg_profile *p, const config_setting_t *s, int index,
             struct cfg_point *pt, struct cfgc_obj *o)
{
    int have_min, have_max;
    const char *v;

    if (cfgc_get_id(ck, o, "name", CFGC_ID_LOWER, 1, &v) > 0) {
        memcpy(pt->name, v, strlen(v) + 1);
        cfgc_obj_init(o, s, "point", v, 0);
        for (size_t i = 0; i + 1 < (size_t)index; i++) {
            if (strcmp(p->points[i].name, v) == 0) {
                cfgc_problem(ck, o, config_setting_get_member(s, "name"),
                             "duplicate point name (first at line %d)", p->points[i].line);
                break;
            }
        }
    }
    if (cfgc_get_id(ck, o, "quantity", CFGC_ID_LOWER, 1, &v) > 0)
        memcpy(pt->quantity, v, strlen(v) + 1);
    if (cfgc_get_text(ck, o, "unit", sizeof(pt->unit), &v) > 0)
        memcpy(pt->unit, v, strlen(v) + 1);
    pt->scale = 1.0;
    pt->offset = 0.0;
    pt->min = -HUGE_VAL;
    pt->max = HUGE_VAL;
    if (cfgc_get_number(ck, o, "scale", -HUGE_VAL, HUGE_VAL, &pt->scale) > 0 && pt->scale == 0.0)
        cfgc_problem(ck, o, config_setting_get_member(s, "scale"), "\"scale\" must not be 0");
    cfgc_get_number(ck, o, "offset", -HUGE_VAL, HUGE_VAL, &pt->offset);
    have_min = cfgc_get_number(ck, o, "min", -HUGE_VAL, HUGE_VAL, &pt->min) >= 0;
    have_max = cfgc_get_number(ck, o, "max", -HUGE_VAL, HUGE_VAL, &pt->max) >= 0;
    if (have_min && have_max && pt->min > pt->max)
        cfgc_problem(ck, o, config_setting_get_member(s, "max"),
                     "\"min\" (%.10g) must not be greater than \"max\" (%.10g)", pt->min, pt->max);
}

/*
 * enum = ( (3, "normal"), (5, "battery") ): the labels of an enumerated point's raw values,
 * appended to p->enums.
 */
static void
check_enum(struct cfgc *ck, struct cfg_profile *p, const struct cfgc_obj *o, struct cfg_point *pt)
{
    const config_setting_t *list = cfgc_get_list(ck, o, "enum", 0);
    int n = list != NULL ? config_setting_length(list) : 0;
    struct cfg_enum *grown;

    if (list == NULL)
        return;
    if (n == 0) {
        cfgc_problem(ck, o, list, "\"enum\" must not be empty");
        return;
    }
    if ((grown = realloc(p->enums, (p->nenums + (size_t)n) * sizeof(*grown))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    p->enums = grown;
    pt->enum_first = p->nenums;
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        const config_setting_t *ev = NULL, *el = NULL;
        struct cfg_enum *en = &p->enums[p->nenums];
        const char *label;

        if (config_setting_is_list(e) && config_setting_length(e) == 2) {
            ev = config_setting_get_elem(e, 0);
            el = config_setting_get_elem(e, 1);
        }
        if (ev == NULL ||
            (config_setting_type(ev) != CONFIG_TYPE_INT &&
             config_setting_type(ev) != CONFIG_TYPE_INT64) ||
            config_setting_type(el) != CONFIG_TYPE_STRING) {
            cfgc_problem(ck, o, e, "\"enum\" entries must be (value, \"label\") like (3, \"normal\")");
            continue;
        }
        label = config_setting_get_string(el);
        if (!cfgc_valid_id(label, CFGC_ID_LOWER) || strlen(label) >= CFG_LABEL_MAX) {
            char q[CFGC_QBUF];

            cfgc_problem(ck, o, e, "\"enum\" label must be 1 to %d characters of a-z 0-9 _ (is %s)",
                         CFG_LABEL_MAX - 1, cfgc_quote(q, sizeof(q), label));
            continue;
        }
        en->value = config_setting_get_int64(ev);
        for (size_t k = pt->enum_first; k < p->nenums; k++) {
            if (p->enums[k].value == en->value) {
                cfgc_problem(ck, o, e, "\"enum\" value %lld is given twice", en->value);
                break;
            }
        }
        memcpy(en->label, label, strlen(label) + 1);
        p->nenums++;
        pt->nenum++;
    }
}

/*
 * Dotted decimal, each sub-identifier 0 .. 2^32-1, or "{index}" once. Returns 0, or -1 if
 * s is not such an OID.
 */
static int
parse_oid(const char *s, struct cfg_point *pt)
{
    const char *p = s;
    int n = 0;

    pt->oid_index_at = -1;
    if (*p == '.')
        p++; /* net-snmp's leading dot */
    for (;;) {
        if (n == CFG_OID_MAX)
            return -1;
        if (strncmp(p, "{index}", 7) == 0) {
            if (pt->oid_index_at >= 0)
                return -1;
            pt->oid_index_at = n;
            pt->oid[n++] = 0;
            p += 7;
        } else {
            unsigned long long v = 0;
            const char *d = p;

            while (*p >= '0' && *p <= '9' && p - d < 11)
                v = v * 10 + (unsigned long long)(*p++ - '0');
            if (p == d || v > UINT32_MAX || (*p >= '0' && *p <= '9'))
                return -1;
            pt->oid[n++] = (uint32_t)v;
        }
        if (*p == '\0')
            break;
        if (*p++ != '.')
            return -1;
    }
    if (n < 2 || pt->oid[0] > 2) {
        pt->oid_len = 0;
        return -1;
    }
    pt->oid_len = n;
    return 0;
}

static int
parse_snmp_type(const char *s, enum cfg_snmp_type *out)
{
    for (enum cfg_snmp_type t = CFG_ST_INTEGER; t <= CFG_ST_HAS_OID; t++) {
        if (strcmp(s, cfg_snmp_type_name(t)) == 0) {
            *out = t;
            return 1;
        }
    }
    return 0;
}

static int
parse_enum_dtype(const char *s, enum cfg_dtype *out)
{
    for (enum cfg_dtype t = CFG_T_BIT; t <= CFG_T_FLOAT32; t++) {
        if (strcmp(s, cfg_dtype_name(t)) == 0) {
            *out = t;
            return 1;
        }
    }
    return 0;
}

static int
parse_enum_order(const char *s, enum cfg_order *out)
{
    for (enum cfg_order o = CFG_O_ABCD; o <= CFG_O_DCBA; o++) {
        if (strcmp(s, cfg_order_name(o)) == 0) {
            *out = o;
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Using profiles                                                                         */

void
cfg_profile_clear(struct cfg_profile *p)
{
    if (p == NULL)
        return;
    free(p->model);
    free(p->file);
    free(p->points);
    free(p->enums);
    memset(p, 0, sizeof(*p));
}

int
cfg_profile_indexed(const struct cfg_profile *p)
{
    for (size_t i = 0; i < p->npoints; i++)
        if (p->protocol == CFG_PROTO_SNMP && p->points[i].oid_index_at >= 0)
            return 1;
    return 0;
}

enum cfg_status
cfg_profile_expand(const struct cfg_profile *src, const int *index, size_t nindex,
                   struct cfg_profile *dst, const struct cfg_point **bad)
{
    size_t n = 0;

    *bad = NULL;
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->npoints; i++)
        n += src->points[i].oid_index_at >= 0 ? nindex : 1;
    *dst = *src;
    dst->model = NULL;
    dst->file = NULL;
    dst->npoints = 0;
    dst->points = calloc(n ? n : 1, sizeof(*dst->points));
    dst->enums = src->nenums ? malloc(src->nenums * sizeof(*dst->enums)) : NULL;
    if (dst->points == NULL || (src->nenums && dst->enums == NULL) ||
        (dst->model = strdup(src->model)) == NULL || (dst->file = strdup(src->file)) == NULL) {
        cfg_profile_clear(dst);
        return CFG_ERR_NOMEM;
    }
    if (src->nenums)
        memcpy(dst->enums, src->enums, src->nenums * sizeof(*dst->enums));
    for (size_t i = 0; i < src->npoints; i++) {
        const struct cfg_point *sp = &src->points[i];

        if (sp->oid_index_at < 0) {
            dst->points[dst->npoints++] = *sp;
            continue;
        }
        for (size_t k = 0; k < nindex; k++) {
            struct cfg_point *dp = &dst->points[dst->npoints];
            int len;

            *dp = *sp;
            len = snprintf(dp->name, sizeof(dp->name), "%s_%d", sp->name, index[k]);
            if (len < 0 || (size_t)len >= sizeof(dp->name)) {
                *bad = sp;
                cfg_profile_clear(dst);
                return CFG_ERR_INVALID;
            }
            dp->oid[sp->oid_index_at] = (uint32_t)index[k];
            dp->oid_index_at = -1;
            dst->npoints++;
        }
    }
    return CFG_OK;
}

const char *
cfg_point_label(const struct cfg_profile *p, const struct cfg_point *pt, double v)
{
    for (size_t k = pt->enum_first; k < pt->enum_first + pt->nenum && k < p->nenums; k++)
        if ((double)p->enums[k].value == v)
            return p->enums[k].label;
    return NULL;
}

char *
cfg_point_oid_text(const struct cfg_point *pt, char *buf, size_t len)
{
    size_t used = 0;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (int i = 0; i < pt->oid_len && used < len; i++) {
        int w = i == pt->oid_index_at
                    ? snprintf(buf + used, len - used, "%s{index}", i ? "." : "")
                    : snprintf(buf + used, len - used, "%s%u", i ? "." : "", (unsigned)pt->oid[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

const char *
cfg_snmp_type_name(enum cfg_snmp_type t)
{
    switch (t) {
    case CFG_ST_INTEGER:
        return "integer";
    case CFG_ST_GAUGE:
        return "gauge";
    case CFG_ST_COUNTER32:
        return "counter32";
    case CFG_ST_COUNTER64:
        return "counter64";
    case CFG_ST_TIMETICKS:
        return "timeticks";
    case CFG_ST_ENTITY_SENSOR:
        return "entity_sensor";
    case CFG_ST_ROWS:
        return "rows";
    case CFG_ST_HAS_OID:
        return "has_oid";
    }
    return "?";
}

const struct cfg_point *
cfg_profile_point(const struct cfg_profile *p, const char *name)
{
    /* Linear: profiles hold tens of points and lookups happen at start-up. */
    for (size_t i = 0; i < p->npoints; i++)
        if (strcmp(p->points[i].name, name) == 0)
            return &p->points[i];
    return NULL;
}

int
cfg_point_width(const struct cfg_point *p)
{
    switch (p->type) {
    case CFG_T_INT32:
    case CFG_T_UINT32:
    case CFG_T_FLOAT32:
        return 2;
    case CFG_T_BIT:
    case CFG_T_INT16:
    case CFG_T_UINT16:
        break;
    }
    return 1;
}

const char *
cfg_dtype_name(enum cfg_dtype t)
{
    switch (t) {
    case CFG_T_BIT:
        return "bit";
    case CFG_T_INT16:
        return "int16";
    case CFG_T_UINT16:
        return "uint16";
    case CFG_T_INT32:
        return "int32";
    case CFG_T_UINT32:
        return "uint32";
    case CFG_T_FLOAT32:
        return "float32";
    }
    return "?";
}

const char *
cfg_order_name(enum cfg_order o)
{
    switch (o) {
    case CFG_O_ABCD:
        return "ABCD";
    case CFG_O_BADC:
        return "BADC";
    case CFG_O_CDAB:
        return "CDAB";
    case CFG_O_DCBA:
        return "DCBA";
    }
    return "?";
}
