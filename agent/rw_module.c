/*
 * rw_module.c - loading the daemon's optional parts (see rw_module.h).
 */
#include "rw_module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rw_prefix.h"

#define MODULES_MAX 8 /* loaded modules kept; there are three */

static struct loaded {
    char name[32];
    const void *table;
} loaded[MODULES_MAX];

char *
rw_module_dir(void)
{
    char *dir = rw_prefix_dir(RW_MODULE_SUBDIR);

    return dir != NULL ? dir : strdup(ROOMWATCH_MODULE_DIR);
}

const void *
rw_module_load(const char *name, size_t size, char *err, size_t errlen)
{
    char path[PATH_MAX], sym[64];
    const struct rw_module_head *h;
    struct loaded *slot = NULL;
    char *dir;
    void *dl;

    for (size_t i = 0; i < MODULES_MAX; i++) {
        if (loaded[i].table != NULL && strcmp(loaded[i].name, name) == 0)
            return loaded[i].table;
        if (loaded[i].table == NULL && slot == NULL)
            slot = &loaded[i];
    }
    if (slot == NULL || strlen(name) >= sizeof(slot->name)) {
        snprintf(err, errlen, "module %s: cannot load it (too many modules, or a long name)",
                 name);
        return NULL;
    }
    if ((dir = rw_module_dir()) == NULL) {
        snprintf(err, errlen, "module %s: out of memory", name);
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/roomwatch-%s.so", dir, name);
    free(dir);
    snprintf(sym, sizeof(sym), "rw_module_%s", name);
    /* RTLD_NOW: a symbol missing in roomwatchd or a library is an error here, at start or
     * with -t, not later in a worker thread. RTLD_LOCAL: the module's libraries do not
     * take part in resolving anyone else's symbols. */
    if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        /* dlerror() starts with the file's path. */
        snprintf(err, errlen, "module %s: cannot load it: %s", name, dlerror());
        return NULL;
    }
    if ((h = dlsym(dl, sym)) == NULL) {
        snprintf(err, errlen, "module %s: %s has no %s: %s", name, path, sym, dlerror());
        dlclose(dl);
        return NULL;
    }
    if (h->abi != RW_MODULE_ABI || h->size != size) {
        snprintf(err, errlen,
                 "module %s: %s is from another build of roomwatch (interface %u, %u bytes; "
                 "this roomwatchd needs %u, %zu bytes)",
                 name, path, (unsigned)h->abi, (unsigned)h->size, (unsigned)RW_MODULE_ABI,
                 size);
        dlclose(dl);
        return NULL;
    }
    snprintf(slot->name, sizeof(slot->name), "%s", name);
    slot->table = h;
    return h;
}
