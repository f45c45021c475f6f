/*
 * devsim.c - roomwatch-devsim's command line, signals, ready file and main poll() loop.
 *
 *   roomwatch-devsim -c SIM.cfg [-P PROFILE_DIR] [-v] [-t] [--duration S] [--ready-file PATH]
 *
 * DESIGN: one thread. The loop waits in poll() on every endpoint and client, for at most the
 * time to the next scenario boundary (a step starting or ending), the end of --duration, or
 * DEVSIM_TICK, whichever is first; a request is answered as soon as it is read. Signal
 * handlers only set a flag the loop reads. Global state: that flag.
 */
#include "devsim.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rw_clock.h"
#include "rw_log.h"

#define DEVSIM_TICK 1.0 /* s: longest poll() wait; the RTU reopen timer needs no finer */
#define EXIT_CONFIG 2   /* as roomwatchd -t: a config or usage error */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig);
static void usage(FILE *fp);
static void raise_fd_limit(size_t want);
static int write_ready(const struct devsim *sim, const char *path);
static int run(struct devsim *sim, double duration, const char *ready_file);

static void
on_signal(int sig)
{
    stop_signal = sig;
}

static void
usage(FILE *fp)
{
    fprintf(fp, "usage: roomwatch-devsim -c SIM.cfg [-P PROFILE_DIR] [-v] [-t]\n"
                "                        [--duration S] [--ready-file PATH]\n"
                "  -c, --config FILE       simulator config (see tools/devsim/README.md)\n"
                "  -P, --profile-dir DIR   device profiles (overrides profile_dir in the config)\n"
                "  -v, --verbose           debug log (connections, dropped requests)\n"
                "  -t, --check             check the config and exit (0, or 2 with file:line)\n"
                "      --duration S        exit after S seconds\n"
                "      --ready-file PATH   write PATH once every endpoint is open\n");
}

/* The benchmark opens a few hundred endpoints with a client each; the soft limit is often
 * 1024. */
static void
raise_fd_limit(size_t want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        log_warn("cannot raise the open file limit to %zu: %s", want, strerror(errno));
}

/*
 * The ready file tells a harness it may start, and where each device is: after a "pid N"
 * line, one line per device, "ID tcp HOST PORT UNIT" or "ID rtu PATH UNIT" (PORT is the bound
 * one, which matters for port = 0). Written to a temporary name and renamed, so a reader
 * never sees half of it.
 */
static int
write_ready(const struct devsim *sim, const char *path)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    FILE *fp;
    int bad;

    if (tmp == NULL)
        return -1;
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    fp = fopen(tmp, "w");
    if (fp == NULL) {
        log_err("ready file %s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    fprintf(fp, "pid %ld\n", (long)getpid());
    for (size_t d = 0; d < sim->ndevices; d++) {
        const struct sim_device *dev = &sim->devices[d];
        const struct sim_endpoint *ep = &sim->endpoints[dev->endpoint];

        if (ep->transport == SIM_TCP)
            fprintf(fp, "%s tcp %s %d %d\n", dev->id, ep->host, ep->bound_port, dev->unit);
        else
            fprintf(fp, "%s rtu %s %d\n", dev->id, ep->path, dev->unit);
    }
    bad = ferror(fp);
    if (fclose(fp) != 0 || bad || rename(tmp, path) != 0) {
        log_err("ready file %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

static int
run(struct devsim *sim, double duration, const char *ready_file)
{
    size_t maxfds = sim_poll_max(sim);
    struct pollfd *fds;
    uint64_t served = 0;

    raise_fd_limit(maxfds + 64);
    if (sim_serve_open(sim) < 0)
        return -1;
    fds = calloc(maxfds, sizeof(*fds));
    if (fds == NULL)
        return -1;
    sim->t0 = rw_clock_mono();
    if (ready_file != NULL && write_ready(sim, ready_file) < 0) {
        free(fds);
        return -1;
    }

    while (!stop_signal) {
        double now = rw_clock_mono(), t = now - sim->t0, next, wait;
        size_t n;
        int r;

        if (t >= duration) {
            log_info("duration of %g s reached", duration);
            break;
        }
        next = sim_scenario_tick(sim, t);
        sim_rtu_retry(sim, now);
        wait = fmin(fmin(next, duration) - t, DEVSIM_TICK);
        n = sim_poll_fill(sim, fds);
        /* Round up, so that the loop does not spin through the last millisecond. */
        r = poll(fds, (nfds_t)n, wait > 0 ? (int)ceil(wait * 1000.0) : 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_err("poll: %s", strerror(errno));
            break;
        }
        if (r > 0)
            sim_poll_handle(sim, fds, n, rw_clock_mono() - sim->t0);
    }
    if (stop_signal)
        log_info("stopping on signal %d", (int)stop_signal);

    for (size_t d = 0; d < sim->ndevices; d++)
        served += sim->devices[d].requests;
    log_info("served %llu requests; %llu for unknown units, %llu malformed dropped",
             (unsigned long long)served, (unsigned long long)sim->unknown_unit,
             (unsigned long long)sim->dropped);
    free(fds);
    if (ready_file != NULL)
        unlink(ready_file);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},   {"profile-dir", required_argument, NULL, 'P'},
        {"verbose", no_argument, NULL, 'v'},        {"check", no_argument, NULL, 't'},
        {"duration", required_argument, NULL, 'd'}, {"ready-file", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *profile_dir = NULL, *ready_file = NULL;
    double duration = INFINITY;
    int verbose = 0, check = 0, c, rc;
    struct devsim sim;
    struct cfg_diags diags = {0};
    struct sigaction sa;
    char *end;

    while ((c = getopt_long(argc, argv, "c:P:vth", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'P':
            profile_dir = optarg;
            break;
        case 'v':
            verbose = 1;
            break;
        case 't':
            check = 1;
            break;
        case 'd':
            errno = 0;
            duration = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' || !(duration > 0)) {
                fprintf(stderr, "roomwatch-devsim: --duration wants seconds > 0, not '%s'\n",
                        optarg);
                return EXIT_CONFIG;
            }
            break;
        case 'r':
            ready_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_CONFIG;
        }
    }
    if (config == NULL || optind != argc) {
        usage(stderr);
        return EXIT_CONFIG;
    }
    rw_log_init("devsim", verbose ? RW_LOG_DEBUG : RW_LOG_INFO);
    /* A harness waiting for the ready file must not take a previous run's for ours. */
    if (ready_file != NULL)
        unlink(ready_file);

    if (devsim_config_load(&sim, config, profile_dir, &diags) < 0) {
        cfg_diags_print(&diags, stderr);
        cfg_diags_free(&diags);
        devsim_free(&sim);
        return EXIT_CONFIG;
    }
    cfg_diags_free(&diags);
    if (check) {
        printf("%s: ok, %zu devices, %zu scenario steps\n", config, sim.ndevices, sim.nsteps);
        devsim_free(&sim);
        return 0;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A client that hangs up while we answer must not kill us (libmodbus sends with
     * MSG_NOSIGNAL, this covers the rest). */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    rc = run(&sim, duration, ready_file);
    devsim_free(&sim);
    return rc < 0 ? 1 : 0;
}
