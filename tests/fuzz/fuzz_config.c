/*
 * fuzz_config.c - a whole config file (agent/cfg/: libconfig's parser, then every check of
 * cfg_load(), the profiles the devices use, the indicators' targets and the alarms). Any
 * bytes must give a config or diagnostics, never a crash or a leak; a config that loads must
 * also give the alarm detector its settings, as roomwatchd does next.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cfg/cfg.h"
#include "engine/alarm.h"
#include "fuzz_files.h"

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
    char path[512];
    struct rw_config *cfg = NULL;
    struct cfg_diags diags = {0, 0, NULL};

    fz_write("fuzz.cfg", data, size, path, sizeof(path));
    fz_leaks_begin();
    if (cfg_load(path, &cfg, &diags) == CFG_OK) {
        struct alm_rule_cfg *rules = NULL;
        struct alm_target *targets = NULL;
        size_t n = 0;

        if (diags.n != 0)
            abort(); /* loaded, yet a problem was reported */
        if (cfg_alarm_detector(cfg, &rules, &targets, &n) == 0) {
            free(rules);
            free(targets);
        }
        cfg_free(cfg);
    } else if (cfg != NULL || diags.n == 0) {
        abort(); /* refused without saying why */
    }
    cfg_diags_free(&diags);
    fz_leaks_end();
    return 0;
}
