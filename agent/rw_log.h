/*
 * rw_log.h - the one logging function of roomwatch.
 *
 * Levels are syslog priorities. Output goes to stderr, one line per message. Under systemd
 * (JOURNAL_STREAM set) each line carries the "<N>" priority prefix of sd-daemon(3) and no
 * timestamp, since journald adds one; in a terminal a local timestamp and level name are shown.
 *
 * Global state: the sink settings, set once by rw_log_init() before any thread starts.
 * rw_log() itself is thread-safe (one write(2) per line).
 *
 * Secrets never go through here: callers print them as "***".
 */
#ifndef ROOMWATCH_RW_LOG_H
#define ROOMWATCH_RW_LOG_H

#include <stdarg.h>

#define RW_LOG_ERR 3
#define RW_LOG_WARNING 4
#define RW_LOG_NOTICE 5
#define RW_LOG_INFO 6
#define RW_LOG_DEBUG 7

/* ident prefixes terminal lines; max_level drops messages above it (RW_LOG_DEBUG with -v). */
void rw_log_init(const char *ident, int max_level);
void rw_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rw_vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Lines the calling thread has formatted so far (messages above max_level not counted): a
 * worker that sees it change knows its stack went some 3 KiB deep (rw_thread_trim_stack()). */
unsigned rw_log_thread_lines(void);
/* Like rw_log(RW_LOG_ERR, ...) then exit(1): for start-up failures only. */
void rw_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define log_err(...) rw_log(RW_LOG_ERR, __VA_ARGS__)
#define log_warn(...) rw_log(RW_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) rw_log(RW_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) rw_log(RW_LOG_INFO, __VA_ARGS__)
#define log_debug(...) rw_log(RW_LOG_DEBUG, __VA_ARGS__)

#endif
