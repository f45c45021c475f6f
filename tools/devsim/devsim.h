/*
 * devsim.h - roomwatch-devsim, the Modbus device simulator that the demo, the integration
 * tests and the benchmark run roomwatch against.
 *
 * It serves the register maps of the real device models (the same profiles roomwatchd reads,
 * loaded with cfg_profile_load() and encoded with mb_encode()) over Modbus TCP and over RTU on
 * a pty, with values that follow a small model (constant, noise, counter rate, sine) and a
 * timed scenario of faults (a value set, a device silent, exception replies, a glitch).
 *
 * DESIGN: one thread, one poll() loop (devsim.c) over every listening socket, every TCP
 * client and every RTU line. Nothing blocks in the loop except libmodbus' RTU frame reception
 * (bounded by a 100 ms byte timeout): TCP requests are framed here by their MBAP length and
 * handed whole to modbus_reply(), so a slow or malformed client never stalls the others.
 * Register values are re-encoded for a device just before each reply to it, so what is
 * served is always the model's value at the moment of the request.
 *
 * Ownership: everything hangs off one struct devsim, filled by devsim_config_load() and freed
 * by devsim_free(). Its only global state is the stop flag set by the signal handlers.
 */
#ifndef ROOMWATCH_DEVSIM_H
#define ROOMWATCH_DEVSIM_H

#include <stddef.h>
#include <stdint.h>

#include <modbus.h>

#include "cfg/cfg.h"

#define DEVSIM_MAX_COUNT 10000  /* devices one `count` entry may declare */
#define DEVSIM_MAX_CLIENTS 4096 /* TCP connections open at once, over all endpoints */
#define DEVSIM_RTU_RETRY 1.0    /* s between attempts to reopen a lost RTU line */
#define DEVSIM_NOISE_TICK 0.1   /* s: noise is a function of seed, point and this tick */

enum sim_transport {
    SIM_TCP = 0,
    SIM_RTU,
};

/* Value model of one point: base + rate * t + amplitude * sin(2 pi t / period) + noise * u,
 * t in seconds since start, u uniform in [-1, 1]. */
struct sim_value {
    double base;
    double noise;
    double rate;
    double period;
    double amplitude;
};

struct sim_device {
    char id[CFG_ID_MAX];
    char group[CFG_ID_MAX]; /* the entry's id when it declared `count` devices, else "" */
    size_t profile;         /* index into devsim.profiles */
    enum sim_transport transport;
    int unit;
    size_t endpoint;          /* index into devsim.endpoints */
    struct sim_value *values; /* one per profile point */
    modbus_mapping_t *map;
    uint64_t requests; /* answered normally, for the summary at exit */
    int line;
};

enum sim_action {
    SIM_SET = 0, /* serve a fixed value for one point */
    SIM_SILENT,  /* read requests, answer nothing */
    SIM_EXCEPTION,
    SIM_GLITCH, /* raw 0xFFFF in every register of one point (or of all points) */
};

struct sim_step {
    double at;       /* s after start */
    double duration; /* s; INFINITY = until the end */
    enum sim_action action;
    size_t dev_first; /* the devices it applies to: [dev_first, dev_first + dev_n) */
    size_t dev_n;
    char target[CFG_ID_MAX]; /* device (or group) id as written, for the log */
    int point;               /* profile point index; -1 = every point (glitch only) */
    double value;            /* SIM_SET */
    int code;                /* SIM_EXCEPTION: Modbus exception code 1..11 */
    int state;               /* for the log: 0 pending, 1 started, 2 ended */
    int line;
};

struct sim_endpoint {
    enum sim_transport transport;
    /* tcp */
    char *host;
    int port; /* as configured; 0 = any free port, see bound_port */
    int bound_port;
    /* rtu */
    char *path;
    int baud;
    char parity;
    int data_bits;
    int stop_bits;
    modbus_t *rtu;    /* the line's own context; NULL while closed */
    double rtu_retry; /* monotonic time of the next reopen attempt */
    int fd;           /* listening socket, or the serial line's fd; -1 when closed */
    size_t *devices;  /* indexes into devsim.devices, dispatched by unit id */
    size_t ndevices;
    int line;
};

struct sim_client {
    int fd;
    size_t endpoint;
    size_t len; /* bytes of buf holding a partial request */
    uint8_t buf[MODBUS_TCP_MAX_ADU_LENGTH];
};

struct devsim {
    char *file;        /* the simulator config */
    char *profile_dir; /* resolved */
    uint64_t seed;
    size_t nprofiles;
    struct cfg_profile *profiles;
    size_t ndevices;
    struct sim_device *devices;
    size_t nsteps;
    struct sim_step *steps;
    size_t nendpoints;
    struct sim_endpoint *endpoints;
    /* run time */
    modbus_t *tcp; /* shared by every TCP client: modbus_set_socket() before each reply */
    size_t nclients;
    struct sim_client *clients; /* DEVSIM_MAX_CLIENTS, allocated when serving starts */
    double t0;                  /* monotonic time of the start: scenario times count from here */
    uint64_t unknown_unit, dropped;
};

/* devsim_config.c */
/*
 * Reads the simulator config at path and the profiles it names (from profile_dir_override
 * when not NULL, else from its profile_dir). Returns 0, or -1 with every problem in diags as
 * file:line. On failure sim holds what was built so far: free it with devsim_free().
 */
int devsim_config_load(struct devsim *sim, const char *path, const char *profile_dir_override,
                       struct cfg_diags *diags);
/* Frees what sim owns (not sim itself); closes what is open. */
void devsim_free(struct devsim *sim);

/* devsim_values.c */
/* The value a point not listed under `values` gets: see README.md. */
double sim_value_default(const struct cfg_point *p);
/* Re-encodes every point of device d into its mapping for time t (s since start), then
 * applies the active set and glitch steps. */
void sim_refresh(struct devsim *sim, size_t d, double t);

/* devsim_scenario.c */
/* Logs steps that start or end by time t; returns the time of the next start or end
 * (INFINITY if none). */
double sim_scenario_tick(struct devsim *sim, double t);
/* Whether step s applies at time t to device d. */
int sim_step_active(const struct sim_step *s, size_t d, double t);
/* What device d does with a request at time t: SIM_SILENT, SIM_EXCEPTION (with *code set)
 * or SIM_SET meaning "answer normally". A later step in the file wins over an earlier one. */
enum sim_action sim_device_mode(const struct devsim *sim, size_t d, double t, int *code);
const char *sim_action_name(enum sim_action a);

/* devsim_modbus.c */
/* Builds each device's modbus_mapping, opens every endpoint. Returns 0, or -1 after logging
 * what failed. */
int sim_serve_open(struct devsim *sim);
/* Number of pollfd entries sim_poll_fill() may write. */
size_t sim_poll_max(const struct devsim *sim);
struct pollfd;
/* Fills fds with what to wait for; returns the count. */
size_t sim_poll_fill(struct devsim *sim, struct pollfd *fds);
/* Handles the events poll() reported in fds[0..n) (as filled by sim_poll_fill). */
void sim_poll_handle(struct devsim *sim, const struct pollfd *fds, size_t n, double t);
/* Reopens RTU lines that were lost, at most every DEVSIM_RTU_RETRY seconds. */
void sim_rtu_retry(struct devsim *sim, double now);
/* Closes every client and endpoint and frees the mappings. */
void sim_serve_close(struct devsim *sim);

#endif
