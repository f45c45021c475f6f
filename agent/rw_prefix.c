/*
 * rw_prefix.c - folders installed beside the running binary (see rw_prefix.h).
 */
#include "rw_prefix.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
rw_prefix_dir(const char *sub)
{
    char exe[PATH_MAX], *slash, *dir;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    struct stat st;
    size_t len;

    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) { /* /usr/sbin/roomwatchd -> /usr */
        if ((slash = strrchr(exe, '/')) == NULL || slash == exe)
            return NULL;
        *slash = '\0';
    }
    len = strlen(exe) + 1 + strlen(sub) + 1;
    if ((dir = malloc(len)) == NULL)
        return NULL;
    snprintf(dir, len, "%s/%s", exe, sub);
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        free(dir);
        return NULL;
    }
    return dir;
}
