/*
 * cfg_profile.c - device profiles: reading and checking a profile file (cfg_profile_load),
 * and the profile as the rest of roomwatch sees it: looking points up, their width on the
 * wire, the names of data types and byte orders, and freeing.
 *
 * Checking goes through the shared layer in cfg_check.h, as the main config's does; the
 * names of data types and byte orders below are also the spellings profile files use.
 */
#include "cfg/cfg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "cfg/cfg_check.h"

/* Limits of the Modbus application protocol (V1.1b3, 6.1-6.4): per read request. */
#define PDU_MAX_READ_REGISTERS 125
#define PDU_MAX_READ_BITS 2000

static void check_profile(struct cfgc *ck, const config_setting_t *root, struct cfg_profile *p);
static void check_point(struct cfgc *ck, const struct cfg_profile *p, const config_setting_t *s,
                        int index, struct cfg_point *pt);
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

enum cfg_status
cfg_profile_load(const char *path, const char *name, struct cfg_profile *out,
                 struct cfg_diags *diags)
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
        check_profile(&ck, config_root_setting(&lc), out);
    config_destroy(&lc);

    cfgc_sort_diags(diags, n0);
    st = cfgc_status(&ck);
    if (st != CFG_OK)
        cfg_profile_clear(out);
    return st;
}

static void
check_profile(struct cfgc *ck, const config_setting_t *root, struct cfg_profile *p)
{
    struct cfgc_obj top = {.s = root};
    struct cfgc_obj o;
    const config_setting_t *g, *points;
    const char *v;
    int n, r, rm;

    cfgc_check_keys(ck, &top, profile_file_keys);
    if ((g = cfgc_get_group(ck, &top, "profile", 1)) == NULL)
        return;
    cfgc_obj_init(&o, g, "profile", NULL, 0);
    cfgc_check_keys(ck, &o, profile_keys);

    r = cfgc_get_text(ck, &o, "model", CFGC_TEXT_MAX, &v);
    if (r == 0)
        cfgc_missing(ck, &o, "model");
    else if (r > 0 && v[0] == '\0')
        cfgc_problem(ck, &o, config_setting_get_member(g, "model"), "\"model\" must not be empty");
    else if (r > 0)
        p->model = cfgc_strdup(ck, v);
    /* Only Modbus register maps so far; the key is there so SNMP maps can be told apart. */
    if (cfgc_get_string(ck, &o, "protocol", &v) > 0 && strcmp(v, "modbus") != 0) {
        char q[CFGC_QBUF];

        cfgc_problem(ck, &o, config_setting_get_member(g, "protocol"),
                     "\"protocol\" must be \"modbus\" (is %s)", cfgc_quote(q, sizeof(q), v));
    }

    p->max_read_registers = PDU_MAX_READ_REGISTERS;
    p->max_read_bits = PDU_MAX_READ_BITS;
    p->register_multiple = 1;
    p->request_gap_ms = 0;
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
        check_point(ck, p, config_setting_get_elem(points, (unsigned)i), i + 1, &p->points[i]);
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
        else if (end - first > p->max_read_registers)
            cfgc_problem(ck, &o, config_setting_get_member(s, "address"),
                         "reading it takes %ld registers (register_multiple %d) but "
                         "\"max_read_registers\" is %d",
                         end - first, m, p->max_read_registers);
    }
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
    memset(p, 0, sizeof(*p));
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
