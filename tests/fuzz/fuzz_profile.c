/*
 * fuzz_profile.c - a device profile file (agent/cfg/cfg_profile.c), of either protocol. A
 * profile that loads is then used as roomwatchd uses it: a Modbus profile planned into reads
 * (mb_plan.c, which must accept every profile the loader accepts), an SNMP profile with
 * "{index}" points expanded for some indexes, and every point's OID written out.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cfg/cfg.h"
#include "fuzz_files.h"
#include "source/mb_plan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_files_init();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int index[] = {1, 2, 1000000, 2147483647};
    char path[512], oid[1024];
    struct cfg_profile p, x;
    struct cfg_diags diags = {0, 0, NULL};
    const struct cfg_point *bad;

    fz_write("p.cfg", data, size, path, sizeof(path));
    fz_leaks_begin();
    if (cfg_profile_load_as(path, "p", CFG_PROTO_ANY, &p, &diags) == CFG_OK) {
        if (diags.n != 0)
            abort();
        if (p.protocol == CFG_PROTO_MODBUS) {
            struct mb_plan plan;

            if (mb_plan_build(&p, &plan) != 0)
                abort(); /* the loader let through a profile that cannot be polled */
            mb_plan_clear(&plan);
        } else {
            for (size_t i = 0; i < p.npoints; i++)
                (void)cfg_point_oid_text(&p.points[i], oid, sizeof(oid));
            if (cfg_profile_indexed(&p) &&
                cfg_profile_expand(&p, index, sizeof(index) / sizeof(index[0]), &x, &bad) ==
                    CFG_OK) {
                for (size_t i = 0; i < x.npoints; i++)
                    (void)cfg_point_oid_text(&x.points[i], oid, sizeof(oid));
                cfg_profile_clear(&x);
            }
        }
        cfg_profile_clear(&p);
    } else if (diags.n == 0) {
        abort();
    }
    cfg_diags_free(&diags);
    fz_leaks_end();
    return 0;
}
