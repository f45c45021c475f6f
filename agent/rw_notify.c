/*
 * rw_notify.c - sd_notify(3) protocol: one datagram per notification to $NOTIFY_SOCKET.
 *
 * The protocol is systemd's stable interface (sd_notify(3), "Notes"); speaking it directly
 * saves linking libsystemd into a daemon that needs nothing else from it.
 *
 * The watchdog is fed from the main loop itself (rw_notify_watchdog_tick()), never from a
 * timer thread: if the main loop hangs the pings stop and systemd restarts the service. The
 * loop feeds it only while every worker's heartbeat (rw_beat) is on time: a bus thread stuck
 * in a read, or a publisher whose library stopped answering, stops the pings as well, and
 * STATUS= says which.
 */
#include "rw_notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rw_beat.h"
#include "rw_log.h"

#define STATUS_MAX 256 /* bytes of the last STATUS= kept, to restore after a recovery */

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addrlen;
static unsigned long long watchdog_usec; /* 0: no watchdog for us */
static double watchdog_next;             /* monotonic time of the next WATCHDOG=1 */
static int stuck;                        /* a heartbeat is late: no pings */
static char last_status[STATUS_MAX];     /* the daemon's latest STATUS= value */

static int send_state(const char *state);

static unsigned long long parse_ull(const char *s, int *ok);

static unsigned long long
parse_ull(const char *s, int *ok)
{
    char *end;
    unsigned long long v;

    *ok = 0;
    if (s == NULL || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return 0;
    *ok = 1;
    return v;
}

int
rw_notify_init(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    const char *wd = getenv("WATCHDOG_USEC");
    const char *wpid = getenv("WATCHDOG_PID");
    unsigned long long v;
    size_t len;
    int ok;

    rw_notify_close();
    watchdog_usec = 0;
    watchdog_next = 0;
    /* WATCHDOG_PID names the process the watchdog is meant for; a child that inherited the
     * environment must not feed it. */
    v = parse_ull(wd, &ok);
    if (ok && v > 0) {
        unsigned long long pid = parse_ull(wpid, &ok);
        if (wpid == NULL || (ok && pid == (unsigned long long)getpid()))
            watchdog_usec = v;
    }

    if (path == NULL || path[0] == '\0')
        return 0;
    len = strlen(path);
    /* '@' is the abstract namespace (sun_path[0] = '\0'); other paths must be absolute. */
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(notify_addr.sun_path)) {
        watchdog_usec = 0;
        errno = EINVAL;
        return -1;
    }
    memset(&notify_addr, 0, sizeof(notify_addr));
    notify_addr.sun_family = AF_UNIX;
    memcpy(notify_addr.sun_path, path, len);
    if (path[0] == '@')
        notify_addr.sun_path[0] = '\0';
    /* Abstract names are not NUL-terminated: the length is the name's. */
    notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                                 (path[0] == '@' ? 0 : 1));
    notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (notify_fd < 0) {
        watchdog_usec = 0;
        return -1;
    }
    return 0;
}

int
rw_notify(const char *state)
{
    const char *st = strstr(state, "STATUS=");

    /* Kept whether or not anyone listens: the stuck/recovered messages below restore it. */
    if (st != NULL && (st == state || st[-1] == '\n')) {
        size_t len = strcspn(st + 7, "\n");
        if (len >= sizeof(last_status))
            len = sizeof(last_status) - 1;
        memcpy(last_status, st + 7, len);
        last_status[len] = '\0';
    }
    return send_state(state);
}

static int
send_state(const char *state)
{
    ssize_t n;

    if (notify_fd < 0)
        return 0;
    do
        n = sendto(notify_fd, state, strlen(state), MSG_NOSIGNAL,
                   (const struct sockaddr *)&notify_addr, notify_addrlen);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int
rw_notify_fmt(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (notify_fd < 0)
        return 0;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return rw_notify(buf);
}

unsigned long long
rw_notify_watchdog_usec(void)
{
    return notify_fd >= 0 ? watchdog_usec : 0;
}

/* Whether every heartbeat is on time; logs and reports (STATUS=) each change. */
static int
workers_on_time(double now)
{
    char late[160], buf[STATUS_MAX + 64];
    int n = rw_beat_late(now, late, sizeof(late));

    if (n > 0 && !stuck) {
        stuck = 1;
        log_err("watchdog: %s%s; %s", late, n > 1 ? " (and others)" : "",
                watchdog_usec > 0 && notify_fd >= 0 ? "no more pings to systemd"
                                                    : "no systemd watchdog to tell");
        snprintf(buf, sizeof(buf), "STATUS=stuck: %s", late);
        (void)send_state(buf);
    } else if (n == 0 && stuck) {
        stuck = 0;
        log_notice("watchdog: every worker makes progress again");
        snprintf(buf, sizeof(buf), "STATUS=%s", last_status);
        (void)send_state(buf);
    }
    return !stuck;
}

long
rw_notify_watchdog_tick(double now)
{
    double half, left;

    /* Checked with or without systemd: a stuck worker is logged either way. */
    if (!workers_on_time(now) || notify_fd < 0 || watchdog_usec == 0)
        return notify_fd < 0 || watchdog_usec == 0 ? -1 : (long)(watchdog_usec / 2000ULL) + 1;
    /* Half the timeout between pings, as sd_watchdog_enabled(3) advises: a late wake-up of
     * the loop still leaves the other half. */
    half = (double)watchdog_usec / 2e6;
    if (now >= watchdog_next) {
        (void)rw_notify("WATCHDOG=1");
        watchdog_next = now + half;
    }
    left = watchdog_next - now;
    if (left > half) /* the monotonic clock never steps back, but be safe */
        left = half;
    return (long)(left * 1000.0) + 1;
}

void
rw_notify_close(void)
{
    if (notify_fd >= 0)
        close(notify_fd);
    notify_fd = -1;
}
