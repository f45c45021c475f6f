/*
 * devsim_scenario.c - the timed faults of a simulation run: which step applies to which
 * device at a given time, and one log line when a step starts and one when it ends, so a test
 * log shows what the devices were doing when the agent saw it.
 *
 * A step is active over [at, at + duration), in seconds since start. Activity is computed
 * from the time alone; the started/ended state only drives the log.
 */
#include "devsim.h"

#include <math.h>
#include <stdio.h>

#include "rw_log.h"

static void describe(const struct devsim *sim, const struct sim_step *st, char *buf, size_t len);

const char *
sim_action_name(enum sim_action a)
{
    switch (a) {
    case SIM_SET:
        return "set";
    case SIM_SILENT:
        return "silent";
    case SIM_EXCEPTION:
        return "exception";
    case SIM_GLITCH:
        return "glitch";
    }
    return "?";
}

int
sim_step_active(const struct sim_step *s, size_t d, double t)
{
    return d >= s->dev_first && d - s->dev_first < s->dev_n && t >= s->at &&
           t < s->at + s->duration;
}

enum sim_action
sim_device_mode(const struct devsim *sim, size_t d, double t, int *code)
{
    enum sim_action mode = SIM_SET;

    for (size_t s = 0; s < sim->nsteps; s++) {
        const struct sim_step *st = &sim->steps[s];

        if ((st->action == SIM_SILENT || st->action == SIM_EXCEPTION) &&
            sim_step_active(st, d, t)) {
            mode = st->action;
            if (st->action == SIM_EXCEPTION)
                *code = st->code;
        }
    }
    return mode;
}

static void
describe(const struct devsim *sim, const struct sim_step *st, char *buf, size_t len)
{
    const struct cfg_profile *prof = &sim->profiles[sim->devices[st->dev_first].profile];
    const char *point = st->point >= 0 ? prof->points[st->point].name : "all points";
    char who[CFG_ID_MAX + 32], dur[32];

    if (st->dev_n > 1)
        snprintf(who, sizeof(who), "%s (%zu devices)", st->target, st->dev_n);
    else
        snprintf(who, sizeof(who), "%s", st->target);
    if (isfinite(st->duration))
        snprintf(dur, sizeof(dur), "for %g s", st->duration);
    else
        snprintf(dur, sizeof(dur), "until the end");

    switch (st->action) {
    case SIM_SET:
        snprintf(buf, len, "%s set %s = %g %s", who, point, st->value, dur);
        break;
    case SIM_SILENT:
        snprintf(buf, len, "%s silent %s", who, dur);
        break;
    case SIM_EXCEPTION:
        snprintf(buf, len, "%s exception %d %s", who, st->code, dur);
        break;
    case SIM_GLITCH:
        snprintf(buf, len, "%s glitch %s (0xFFFF) %s", who, point, dur);
        break;
    }
}

double
sim_scenario_tick(struct devsim *sim, double t)
{
    double next = INFINITY;
    char what[256];

    for (size_t s = 0; s < sim->nsteps; s++) {
        struct sim_step *st = &sim->steps[s];
        double end = st->at + st->duration;

        if (st->state == 0 && t >= st->at) {
            st->state = 1;
            describe(sim, st, what, sizeof(what));
            log_info("scenario line %d at %.1f s: %s: start", st->line, st->at, what);
        }
        if (st->state == 1 && t >= end) {
            st->state = 2;
            describe(sim, st, what, sizeof(what));
            log_info("scenario line %d at %.1f s: %s: end", st->line, end, what);
        }
        if (st->state == 0 && st->at < next)
            next = st->at;
        else if (st->state == 1 && end < next)
            next = end;
    }
    return next;
}
