/*
 * arc_name.c - archive file names (see arc_name.h).
 */
#include "archive/arc_name.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define YEAR_MAX 9999

int64_t
arc_hour_of(int64_t t)
{
    int64_t h = t / ARC_HOUR_MS;

    if (t % ARC_HOUR_MS < 0) /* floor, for times before 1970 */
        h--;
    return h * ARC_HOUR_MS;
}

int
arc_name_format(int64_t hour, unsigned seq, char *buf, size_t len)
{
    time_t s;
    struct tm tm;
    int n;

    if (hour < 0 || hour % ARC_HOUR_MS != 0 || seq > ARC_SEQ_MAX)
        return -1;
    s = (time_t)(hour / 1000);
    if (gmtime_r(&s, &tm) == NULL || tm.tm_year + 1900 > YEAR_MAX)
        return -1;
    if (seq == 0)
        n = snprintf(buf, len, "%04d/%02d/%02d/%04d%02d%02dT%02dZ.csv.gz", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour);
    else
        n = snprintf(buf, len, "%04d/%02d/%02d/%04d%02d%02dT%02dZ-%u.csv.gz", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, seq);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* n decimal digits at s; -1 if any is not one. */
static int
num(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int
arc_name_parse(const char *base, int64_t *hour, unsigned *seq)
{
    struct tm tm;
    int y, mo, d, h;
    unsigned long sq = 0;
    const char *p = base + 12;
    time_t s;

    if (strlen(base) < 12 + 7 || base[8] != 'T' || base[11] != 'Z')
        return -1;
    if ((y = num(base, 4)) < 1970 || (mo = num(base + 4, 2)) < 1 || mo > 12 ||
        (d = num(base + 6, 2)) < 1 || d > 31 || (h = num(base + 9, 2)) < 0 || h > 23)
        return -1;
    if (*p == '-') {
        const char *q = ++p;

        /* No leading zero: each (hour, seq) has one name. */
        while (*p >= '0' && *p <= '9' && p - q < 9)
            sq = sq * 10 + (unsigned long)(*p++ - '0');
        if (p == q || *q == '0')
            return -1;
    }
    if (strcmp(p, ".csv.gz") != 0)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    s = timegm(&tm);
    /* timegm() normalises 2023-02-30 to March: such a name is not ours. */
    if (s == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
        return -1;
    *hour = (int64_t)s * 1000;
    *seq = (unsigned)sq;
    return 0;
}

/* The digits-only entries of a folder level: "2024", "03", "01". */
static int
level_name(const char *s, size_t n)
{
    return strlen(s) == n && strspn(s, "0123456789") == n;
}

int
arc_walk(const char *dir,
         int (*fn)(void *arg, const char *path, int64_t hour, unsigned seq, uint64_t size),
         void *arg)
{
    static const size_t width[3] = {4, 2, 2}; /* YYYY, MM, DD */
    DIR *d[4] = {NULL};
    char path[PATH_MAX];
    size_t at[4]; /* length of path at each level */
    int level = 0, rc = 0;

    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((d[0] = opendir(path)) == NULL)
        return -1;
    at[0] = strlen(path);
    while (level >= 0 && rc == 0) {
        struct dirent *e = readdir(d[level]);
        size_t n;

        if (e == NULL) {
            closedir(d[level]);
            d[level--] = NULL;
            continue;
        }
        if (level < 3 && !level_name(e->d_name, width[level]))
            continue;
        n = (size_t)snprintf(path + at[level], sizeof(path) - at[level], "/%s", e->d_name);
        if (at[level] + n >= sizeof(path))
            continue;
        if (level < 3) {
            if ((d[level + 1] = opendir(path)) != NULL) {
                at[level + 1] = at[level] + n;
                level++;
            }
        } else {
            char want[ARC_NAME_MAX];
            int64_t hour;
            unsigned seq;
            struct stat st;

            /* The name must sit in its own day's folder: rel of the name == where it is. */
            if (arc_name_parse(e->d_name, &hour, &seq) != 0 ||
                arc_name_format(hour, seq, want, sizeof(want)) != 0 ||
                strcmp(path + at[0] + 1, want) != 0 || lstat(path, &st) != 0 ||
                !S_ISREG(st.st_mode))
                continue;
            rc = fn(arg, path, hour, seq, (uint64_t)st.st_size);
        }
    }
    for (int i = 0; i < 4; i++)
        if (d[i] != NULL)
            closedir(d[i]);
    return rc;
}
