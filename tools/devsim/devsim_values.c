/*
 * devsim_values.c - what the simulated devices measure: each point's value model, its
 * default, and the encoding of the values into a device's modbus_mapping.
 *
 * Noise is a pure function of (seed, device, point, 100 ms tick), not the next number of a
 * stream, so two clients reading one device at the same moment see the same value, and a run
 * with the same seed and request times serves the same values whatever the request order.
 */
#include "devsim.h"

#include <math.h>
#include <string.h>

#include "source/mb_decode.h"

/* Values for quantities whose "middle of the range" would look odd on a dashboard. A value
 * outside the point's range is not used. */
static const struct {
    const char *quantity;
    double value;
} quantity_defaults[] = {
    {"voltage", 230.0},    /* V, GB/T 12325 single-phase nominal */
    {"frequency", 50.0},   /* Hz */
    {"temperature", 23.0}, /* °C, middle of the ASHRAE recommended inlet band */
    {"humidity", 45.0},    /* %RH */
    {"power_factor", 0.95},
    {"energy", 1000.0}, /* kWh: a counter well inside float32's exact range */
};

static uint64_t mix64(uint64_t x);
static double noise_unit(uint64_t seed, size_t d, size_t p, double t);
static void put_point(modbus_mapping_t *m, const struct cfg_point *p, const uint16_t *regs);

double
sim_value_default(const struct cfg_point *p)
{
    int lo_ok = isfinite(p->min), hi_ok = isfinite(p->max);

    for (size_t i = 0; i < sizeof(quantity_defaults) / sizeof(quantity_defaults[0]); i++) {
        double v = quantity_defaults[i].value;
        if (strcmp(p->quantity, quantity_defaults[i].quantity) == 0 && !(lo_ok && v < p->min) &&
            !(hi_ok && v > p->max))
            return v;
    }
    if (lo_ok && hi_ok)
        return (p->min + p->max) / 2.0;
    if (lo_ok && p->min > 0)
        return p->min;
    if (hi_ok && p->max < 0)
        return p->max;
    return 0.0;
}

/* splitmix64's finaliser: a good 64-bit mix, no state. */
static uint64_t
mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Uniform in [-1, 1], fixed for one point during one DEVSIM_NOISE_TICK. */
static double
noise_unit(uint64_t seed, size_t d, size_t p, double t)
{
    uint64_t tick = (uint64_t)(t / DEVSIM_NOISE_TICK);
    uint64_t h = mix64(mix64(mix64(mix64(seed) ^ d) ^ p) ^ tick);

    return (double)(h >> 11) / (double)(1ull << 53) * 2.0 - 1.0;
}

static void
put_point(modbus_mapping_t *m, const struct cfg_point *p, const uint16_t *regs)
{
    int w = cfg_point_width(p);
    long a;

    /* The mapping was sized to hold every point (sim_serve_open), so the checks below only
     * guard against a profile changed under us. */
    switch (p->fc) {
    case 1:
        a = (long)p->address - m->start_bits;
        if (a >= 0 && a < m->nb_bits)
            m->tab_bits[a] = regs[0] != 0;
        break;
    case 2:
        a = (long)p->address - m->start_input_bits;
        if (a >= 0 && a < m->nb_input_bits)
            m->tab_input_bits[a] = regs[0] != 0;
        break;
    case 3:
        a = (long)p->address - m->start_registers;
        if (a >= 0 && a + w <= m->nb_registers)
            memcpy(&m->tab_registers[a], regs, (size_t)w * sizeof(*regs));
        break;
    case 4:
        a = (long)p->address - m->start_input_registers;
        if (a >= 0 && a + w <= m->nb_input_registers)
            memcpy(&m->tab_input_registers[a], regs, (size_t)w * sizeof(*regs));
        break;
    default:
        break;
    }
}

void
sim_refresh(struct devsim *sim, size_t d, double t)
{
    struct sim_device *dev = &sim->devices[d];
    const struct cfg_profile *prof = &sim->profiles[dev->profile];
    uint16_t regs[2];

    for (size_t i = 0; i < prof->npoints; i++) {
        const struct sim_value *v = &dev->values[i];
        double x = v->base + v->rate * t;

        if (v->amplitude != 0 && v->period > 0)
            x += v->amplitude * sin(2.0 * M_PI * t / v->period);
        if (v->noise > 0)
            x += v->noise * noise_unit(sim->seed, d, i, t);
        regs[0] = regs[1] = 0;
        if (mb_encode(&prof->points[i], x, regs) == 0)
            put_point(dev->map, &prof->points[i], regs);
    }

    /* Steps in file order, so a later step overrides an earlier one on the same point. */
    for (size_t s = 0; s < sim->nsteps; s++) {
        const struct sim_step *st = &sim->steps[s];

        if ((st->action != SIM_SET && st->action != SIM_GLITCH) || !sim_step_active(st, d, t))
            continue;
        for (size_t i = 0; i < prof->npoints; i++) {
            if (st->point >= 0 && (size_t)st->point != i)
                continue;
            if (st->action == SIM_GLITCH) {
                /* Bits cannot hold 0xFFFF: a device-wide glitch leaves them alone. */
                if (prof->points[i].type == CFG_T_BIT)
                    continue;
                regs[0] = regs[1] = 0xFFFF;
            } else {
                regs[0] = regs[1] = 0;
                if (mb_encode(&prof->points[i], st->value, regs) != 0)
                    continue;
            }
            put_point(dev->map, &prof->points[i], regs);
        }
    }
}
