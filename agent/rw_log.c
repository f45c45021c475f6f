/*
 * rw_log.c - stderr logging with syslog levels, journald-aware.
 */
#include "rw_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char log_ident[32] = "roomwatch";
static int log_max = RW_LOG_INFO;
static int log_journal; /* stderr is connected to journald: "<N>" prefix, no timestamp */

static const char *const level_names[] = {"emerg", "alert", "crit", "error",
                                          "warning", "notice", "info", "debug"};

void
rw_log_init(const char *ident, int max_level)
{
    if (ident != NULL)
        snprintf(log_ident, sizeof(log_ident), "%s", ident);
    log_max = max_level;
    /* systemd sets JOURNAL_STREAM when stderr is a journal stream (systemd.exec(5)). */
    log_journal = getenv("JOURNAL_STREAM") != NULL;
}

/* Lines this thread formatted (rw_log_thread_lines()). */
static _Thread_local unsigned thread_lines;

unsigned
rw_log_thread_lines(void)
{
    return thread_lines;
}

void
rw_vlog(int level, const char *fmt, va_list ap)
{
    char line[1024];
    size_t n = 0;
    int r;

    if (level > log_max)
        return;
    thread_lines++;
    if (level < 0)
        level = 0;
    if (level > RW_LOG_DEBUG)
        level = RW_LOG_DEBUG;

    if (log_journal) {
        r = snprintf(line, sizeof(line), "<%d>", level);
    } else {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        r = snprintf(line, sizeof(line), "%04d-%02d-%02d %02d:%02d:%02d.%03ld %s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000L, log_ident, level_names[level]);
    }
    if (r > 0)
        n = (size_t)r < sizeof(line) ? (size_t)r : sizeof(line) - 1;
    r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (r > 0)
        n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
    /* One line per message, whatever the format held: newlines would split a journal entry. */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    /* A single write keeps lines of concurrent threads whole. */
    if (write(STDERR_FILENO, line, n) < 0) {
        /* Nowhere left to report it. */
    }
}

void
rw_log(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rw_vlog(level, fmt, ap);
    va_end(ap);
}

void
rw_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rw_vlog(RW_LOG_ERR, fmt, ap);
    va_end(ap);
    exit(1);
}
