/*
 * store_tmp.h - a fresh folder for a store, per test, for the store's unit tests:
 * setup() makes dir (under /tmp) and sets path to dir/STORE_FILE; teardown() removes the
 * database, its WAL and shared-memory files and the folder. Included by one test file each:
 * the definitions are static.
 */
#ifndef ROOMWATCH_TEST_STORE_TMP_H
#define ROOMWATCH_TEST_STORE_TMP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/rw-store-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
    return 0;
}

static int
teardown(void **state)
{
    char f[160];
    const char *const sfx[] = {"", "-wal", "-shm"};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        snprintf(f, sizeof(f), "%s%s", path, sfx[i]);
        unlink(f);
    }
    rmdir(dir);
    return 0;
}

#endif
