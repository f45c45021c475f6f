/*
 * cfg_profile.c - the device profile as the rest of roomwatch sees it: looking points up,
 * their width on the wire, the names of data types and byte orders, and freeing.
 *
 * Reading profile files (cfg_profile_load) lives in cfg_load.c, beside the main config
 * reader, because both share one libconfig checking layer (types, ranges, unknown keys).
 * The names below are also the spellings that layer accepts in profile files.
 */
#include "cfg/cfg.h"

#include <stdlib.h>
#include <string.h>

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
