/*
 * rw_lograte.c - logging a fault once per burst, with a count (see rw_lograte.h).
 */
#include "rw_lograte.h"

#include <stdarg.h>

#include "rw_log.h"

int
rw_lograte_log(struct rw_lograte *r, double now, unsigned long long n, int level, const char *fmt,
               ...)
{
    va_list ap;

    if (r->in_burst && now - r->last < r->quiet) {
        r->last = now;
        r->held += n;
        return 0;
    }
    /* A new burst. A previous one's count, if no tick wrote it yet, is written first. */
    (void)rw_lograte_tick(r, now);
    r->in_burst = 1;
    r->level = level;
    r->last = now;
    r->since = now;
    r->held = 0;
    va_start(ap, fmt);
    rw_vlog(level, fmt, ap);
    va_end(ap);
    return 1;
}

unsigned long long
rw_lograte_tick(struct rw_lograte *r, double now)
{
    unsigned long long held = r->held;
    int over = now - r->last >= r->quiet;

    if (!r->in_burst || (!over && now - r->since < r->period))
        return 0;
    if (held > 0)
        rw_log(r->level, "%s: %llu more in %.1f s (the first one is logged above)", r->what, held,
               (over ? r->last : now) - r->since);
    r->held = 0;
    r->since = now;
    if (over)
        r->in_burst = 0;
    return held;
}
