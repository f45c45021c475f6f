/*
 * nt_status.c - the channels' delivery state for `roomwatch status` (see nt_status.h).
 */
#include "notify/nt_status.h"

#include <string.h>

#include "cfg/cfg.h"
#include "rw_calendar.h"
#include "store/store.h"

/* One configured channel's row, if the store has one. */
struct row {
    int found;
    long long cursor, failing_since, last_ok;
    int attempts;
    char last_error[256];
};

struct find {
    const char *name;
    struct row *r;
};

static int
match(const struct store_notify_channel *c, void *arg)
{
    struct find *f = arg;

    if (strcmp(c->name, f->name) != 0)
        return 0;
    f->r->found = 1;
    f->r->cursor = c->cursor;
    f->r->failing_since = c->failing_since;
    f->r->last_ok = c->last_ok;
    f->r->attempts = c->attempts;
    snprintf(f->r->last_error, sizeof(f->r->last_error), "%s", c->last_error ? c->last_error : "");
    return 1;
}

struct count {
    long long n;
};

static int
count_row(const struct store_notify_event *ev, void *arg)
{
    (void)ev;
    ((struct count *)arg)->n++;
    return 0;
}

/* The state of channel c and the log rows after its cursor. -1 on a store error. */
static int
load(struct store *st, const struct cfg_notify *c, struct row *r, long long *behind)
{
    struct find f = {c->id, r};
    struct count k = {0};

    memset(r, 0, sizeof(*r));
    *behind = 0;
    if (store_notify_channel_each(st, match, &f) < 0)
        return -1;
    if (r->found && store_notify_each(st, r->cursor, 1000000, count_row, &k) < 0)
        return -1;
    *behind = k.n;
    return 0;
}

static const char *
state_name(const struct row *r)
{
    return !r->found ? "new" : r->failing_since != 0 ? "failing" : "ok";
}

json_t *
nt_status_json(const struct rw_config *cfg, struct store *st)
{
    json_t *a = json_array();
    char t[RW_CAL_TIME_LEN];

    for (size_t i = 0; a != NULL && i < cfg->nnotify; i++) {
        const struct cfg_notify *c = &cfg->notify[i];
        struct row r;
        long long behind;
        json_t *o;

        if (load(st, c, &r, &behind) < 0) {
            json_decref(a);
            return NULL;
        }
        o = json_pack("{s:s, s:s, s:s, s:o, s:i, s:o, s:o, s:I}", "channel", c->id, "type",
                      cfg_nt_type_name(c->type), "state", state_name(&r), "failing_since",
                      r.failing_since ? json_string(rw_calendar_rfc3339(
                                            cfg->site.timezone, r.failing_since, t, sizeof(t)))
                                      : json_null(),
                      "attempts", r.attempts, "last_error",
                      r.last_error[0] ? json_string(r.last_error) : json_null(), "last_delivered",
                      r.last_ok ? json_string(rw_calendar_rfc3339(cfg->site.timezone, r.last_ok, t,
                                                                  sizeof(t)))
                                : json_null(),
                      "behind", (json_int_t)behind);
        if (o == NULL || json_array_append_new(a, o) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int
nt_status_table(FILE *fp, const struct rw_config *cfg, struct store *st)
{
    char t[RW_CAL_TIME_LEN];

    if (cfg->nnotify == 0)
        return 0;
    fprintf(fp, "\nnotification channels\n%-16s %-12s %-8s %-7s %s\n", "channel", "type", "state",
            "behind", "since / last error");
    for (size_t i = 0; i < cfg->nnotify; i++) {
        const struct cfg_notify *c = &cfg->notify[i];
        struct row r;
        long long behind;

        if (load(st, c, &r, &behind) < 0)
            return -1;
        fprintf(fp, "%-16s %-12s %-8s %-7lld ", c->id, cfg_nt_type_name(c->type), state_name(&r),
                behind);
        if (r.failing_since != 0)
            fprintf(fp, "failing since %s, %d attempts: %s\n",
                    rw_calendar_rfc3339(cfg->site.timezone, r.failing_since, t, sizeof(t)),
                    r.attempts, r.last_error);
        else if (r.last_ok != 0)
            fprintf(fp, "last delivered %s\n",
                    rw_calendar_rfc3339(cfg->site.timezone, r.last_ok, t, sizeof(t)));
        else
            fprintf(fp, "-\n");
    }
    return 0;
}
