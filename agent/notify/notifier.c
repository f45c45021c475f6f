/*
 * notifier.c - the notifier thread (see notifier.h).
 */
#include "notify/notifier.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "notify/nt_msg.h"
#include "notify/nt_send.h"
#include "rw_calendar.h"
#include "rw_clock.h"
#include "rw_log.h"
#include "rw_thread.h"
#include "store/store.h"

#define TICK_S 1.0         /* between looks at the log */
#define BATCH 50           /* log rows read per look and channel */
#define BACKOFF_MIN 5.0    /* s after a first failure, doubling */
#define BACKOFF_MAX 300.0  /* s */
#define RATE_WINDOW 60.0   /* s: rate limits are per minute */
#define ESCALATE_EVERY 5.0 /* s between looks for unacknowledged incidents */
#define STACK (256 * 1024)

struct chan {
    const struct cfg_notify *c;
    struct store_notify_channel st; /* as in the store; its strings point into the below */
    char name[CFG_ID_MAX];
    char last_error[256];
    int loaded;         /* st read from the store */
    double next_try;    /* mono: not before (backoff, rate limit) */
    double next_resend; /* mono: alertmanager */
    double *sent;       /* mono times of the sends in the last minute: a ring of rate_limit */
    size_t sent_head, sent_n;
    /* What the main thread may read (notifier_status()), under notifier.mu. */
    struct {
        int64_t failing_since, last_ok;
        int attempts;
        char last_error[256];
        int once; /* shown since the state was loaded from the store */
    } shown;
};

struct notifier {
    const struct rw_config *cfg;
    struct nt_site site;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    struct store *store;
    int store_failing;
    double next_escalate;
    size_t nch;
    struct chan *ch;
    uint64_t status_version; /* under mu: bumped when a channel starts or stops failing */
};

/* One log row and what the channel's message needs of it, with its own copies. */
struct item {
    struct nt_fact f;
    int64_t silence; /* the silence covering it, 0 if none */
    char *owned[10];
    size_t nowned;
    char limit[160];
};

static char *
keep(struct item *it, const char *s)
{
    char *d;

    if (s == NULL || it->nowned == sizeof(it->owned) / sizeof(it->owned[0]))
        return NULL;
    if ((d = strdup(s)) != NULL)
        it->owned[it->nowned++] = d;
    return d;
}

static void
items_free(struct item *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < v[i].nowned; k++)
            free(v[i].owned[k]);
}

static int
sev_index(const char *s)
{
    for (int i = 0; s != NULL && i < 4; i++)
        if (strcmp(s, cfg_severity_name((enum cfg_severity)i)) == 0)
            return i;
    return -1;
}

static int
cat_index(const char *s)
{
    for (int i = 0; s != NULL && i < 5; i++)
        if (strcmp(s, cfg_category_name((enum cfg_category)i)) == 0)
            return i;
    return -1;
}

/* The rule's condition as people read it, for the point the incident is on. */
static void
limit_text(const struct cfg_alarm *al, const struct cfg_profile *p, const struct cfg_point *pt,
           size_t dev, int en, char *buf, size_t len)
{
    const char *u = pt != NULL ? pt->unit : "";
    const char *sp = u[0] ? " " : "";
    size_t off;

    switch (al->cond) {
    case CFG_ALARM_OUTSIDE:
        snprintf(buf, len, "%.10g–%.10g%s%s", al->lo, al->hi, sp, u);
        break;
    case CFG_ALARM_ABOVE:
        snprintf(buf, len, "≤ %.10g%s%s", al->lo, sp, u);
        break;
    case CFG_ALARM_BELOW:
        snprintf(buf, len, "≥ %.10g%s%s", al->hi, sp, u);
        break;
    case CFG_ALARM_NO_ANSWER:
        snprintf(buf, len, en ? "%d polls in a row unanswered" : "连续 %d 次轮询无应答", al->polls);
        break;
    case CFG_ALARM_IN:
        off = (size_t)snprintf(buf, len, "%s", en ? "not in state " : "不处于状态 ");
        for (size_t k = 0; k < al->ntargets; k++) {
            const struct cfg_alarm_target *t = &al->targets[k];

            if (t->device != dev || pt == NULL || &p->points[t->point] != pt)
                continue;
            for (int i = 0; i < t->nset && off < len; i++) {
                const char *l = cfg_point_label(p, pt, t->set[i]);

                if (l != NULL)
                    off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", l);
                else
                    off +=
                        (size_t)snprintf(buf + off, len - off, "%s%.10g", i ? ", " : "", t->set[i]);
            }
            break;
        }
        break;
    }
}

/* What the config says of the incident's rule and point (they may be gone since). */
static void
from_config(const struct rw_config *cfg, struct item *it, int en)
{
    const struct cfg_alarm *al = NULL;
    const struct cfg_profile *p = NULL;
    const struct cfg_point *pt = NULL;
    size_t dev = SIZE_MAX, i;
    struct nt_fact *f = &it->f;

    for (i = 0; i < cfg->nalarms && al == NULL; i++)
        if (f->rule != NULL && strcmp(cfg->alarms[i].id, f->rule) == 0)
            al = &cfg->alarms[i];
    for (i = 0; i < cfg->ndevices && p == NULL; i++)
        if (f->device != NULL && strcmp(cfg->devices[i].id, f->device) == 0) {
            p = &cfg->profiles[cfg->devices[i].profile];
            dev = i;
        }
    for (i = 0; p != NULL && f->point != NULL && i < p->npoints && pt == NULL; i++)
        if (strcmp(p->points[i].name, f->point) == 0)
            pt = &p->points[i];
    if (al != NULL) {
        f->rule_name = al->name;
        limit_text(al, p, pt, dev, en, it->limit, sizeof(it->limit));
        f->limit = it->limit[0] ? it->limit : NULL;
    }
    if (pt != NULL) {
        f->unit = pt->unit[0] ? pt->unit : NULL;
        if (isfinite(f->value))
            f->label = cfg_point_label(p, pt, f->value);
    }
    if (f->event == CFG_NT_EV_ESCALATED && f->severity >= 0)
        f->escalate_s = cfg->escalate[f->severity];
}

static int
copy_incident(const struct store_incident *in, void *arg)
{
    struct item *it = arg;
    struct nt_fact *f = &it->f;

    f->rule = keep(it, in->rule);
    f->device = keep(it, in->device);
    f->point = keep(it, in->point);
    f->severity = sev_index(in->severity);
    f->category = cat_index(in->category);
    f->started = in->started;
    f->detected = in->detected;
    f->value = in->value;
    f->acked = in->acked;
    f->acked_by = keep(it, in->acked_by);
    /* An opened or escalated message says what was so then, not that it is resolved now. */
    f->resolved = f->event == CFG_NT_EV_RESOLVED ? in->resolved : 0;
    return 0;
}

struct load {
    struct item *v;
    size_t n;
};

static int
copy_row(const struct store_notify_event *ev, void *arg)
{
    struct load *l = arg;
    struct item *it = &l->v[l->n++];

    memset(it, 0, sizeof(*it));
    it->f.seq = ev->seq;
    it->f.kind = strcmp(ev->kind, "alert") == 0 ? NT_ALERT : NT_INCIDENT;
    it->f.event = nt_event_bit(ev->kind, ev->what);
    it->f.at = ev->at;
    it->f.id = ev->ref;
    it->f.severity = it->f.category = -1;
    it->f.value = NAN;
    if (ev->detail != NULL) {
        it->f.detail = keep(it, ev->detail);
        if (it->f.event == CFG_NT_EV_ESCALATED)
            it->f.level = atoi(ev->detail);
    }
    return 0;
}

/* The log rows after the channel's cursor, with their incidents. -1 on a store error. */
static int
load_items(struct notifier *n, struct chan *ch, struct item *v, size_t *nv)
{
    struct load l = {v, 0};

    *nv = 0;
    if (store_notify_each(n->store, ch->st.cursor, BATCH, copy_row, &l) < 0) {
        items_free(v, l.n);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        struct nt_fact *f = &v[i].f;
        int r = 0;

        if (f->kind == NT_INCIDENT) {
            if (store_incident_get(n->store, f->id, copy_incident, &v[i]) < 0 && errno != ENOENT)
                r = -1;
            from_config(n->cfg, &v[i], ch->c->english);
        }
        /* A resolution is silenced with its opening, so nobody gets half a story. */
        if (r == 0)
            r = store_silence_covers(
                n->store, f->rule, f->device,
                f->event == CFG_NT_EV_RESOLVED && f->detected != 0 ? f->detected : f->at,
                &v[i].silence);
        if (r < 0) {
            items_free(v, l.n);
            return -1;
        }
    }
    *nv = l.n;
    return 0;
}

static int
routed(const struct cfg_notify *c, const struct nt_fact *f)
{
    for (size_t i = 0; i < c->nroutes; i++) {
        const struct cfg_nt_route *r = &c->routes[i];

        if (!(r->events & f->event))
            continue;
        if (f->kind == NT_ALERT)
            return 1;
        if (f->severity >= 0 && !(r->severities & (1u << f->severity)))
            continue;
        if (f->category >= 0 && !(r->categories & (1u << f->category)))
            continue;
        return 1;
    }
    return 0;
}

/* 1 when now (ms) is in the channel's quiet hours, in the site's zone. */
static int
quiet_now(const struct notifier *n, const struct cfg_notify *c, int64_t now)
{
    char t[RW_CAL_TIME_LEN];
    int m;

    if (c->quiet_from < 0)
        return 0;
    rw_calendar_rfc3339(n->cfg->site.timezone, now, t, sizeof(t));
    m = ((t[11] - '0') * 10 + (t[12] - '0')) * 60 + (t[14] - '0') * 10 + (t[15] - '0');
    return c->quiet_from < c->quiet_to ? m >= c->quiet_from && m < c->quiet_to
                                       : m >= c->quiet_from || m < c->quiet_to;
}

/* Copies the channel's state where the main thread reads it. */
static void
show(struct notifier *n, struct chan *ch)
{
    pthread_mutex_lock(&n->mu);
    if (!ch->shown.once || (ch->shown.failing_since != 0) != (ch->st.failing_since != 0))
        n->status_version++;
    ch->shown.once = 1;
    ch->shown.failing_since = ch->st.failing_since;
    ch->shown.last_ok = ch->st.last_ok;
    ch->shown.attempts = ch->st.attempts;
    snprintf(ch->shown.last_error, sizeof(ch->shown.last_error), "%s", ch->last_error);
    pthread_mutex_unlock(&n->mu);
}

static void
save(struct notifier *n, struct chan *ch)
{
    show(n, ch);
    ch->st.name = ch->name;
    ch->st.last_error = ch->last_error[0] ? ch->last_error : NULL;
    if (store_notify_channel_set(n->store, &ch->st) < 0)
        log_warn("notify %s: cannot record its state: %s", ch->name, store_errmsg(n->store));
}

/* Sends used in the last minute; drops the older ones from the ring. */
static size_t
sent_recently(struct chan *ch, double mono)
{
    size_t cap = (size_t)ch->c->rate_limit;

    while (ch->sent_n > 0 && mono - ch->sent[ch->sent_head] >= RATE_WINDOW) {
        ch->sent_head = (ch->sent_head + 1) % cap;
        ch->sent_n--;
    }
    return ch->sent_n;
}

static void
note_sent(struct chan *ch, double mono)
{
    size_t cap = (size_t)ch->c->rate_limit;

    if (ch->sent == NULL || cap == 0)
        return;
    if (ch->sent_n == cap) {
        ch->sent_head = (ch->sent_head + 1) % cap;
        ch->sent_n--;
    }
    ch->sent[(ch->sent_head + ch->sent_n) % cap] = mono;
    ch->sent_n++;
}

/* Sends req: on success clears the failure episode, else starts or continues it. */
static void failed(struct chan *ch, const char *title, const char *err, double mono, int64_t now);

static int
deliver(struct chan *ch, const struct nt_request *req, double mono, int64_t now)
{
    char err[256];

    if (nt_send(ch->c, req, err, sizeof(err)) == 0) {
        if (ch->st.failing_since != 0)
            log_notice("notify %s: delivering again after %d failed attempts", ch->name,
                       ch->st.attempts);
        ch->st.failing_since = 0;
        ch->st.attempts = 0;
        ch->last_error[0] = '\0';
        ch->st.last_ok = now;
        note_sent(ch, mono);
        log_info("notify %s: sent \"%s\"", ch->name, req->title);
        return 0;
    }
    failed(ch, req->title, err, mono, now);
    return -1;
}

/* A failed attempt: starts the episode (logged once) or goes on with it; backs off. */
static void
failed(struct chan *ch, const char *title, const char *err, double mono, int64_t now)
{
    if (ch->st.failing_since == 0) {
        ch->st.failing_since = now;
        log_warn("notify %s: cannot deliver \"%s\": %s; retrying with backoff", ch->name, title,
                 err);
    }
    ch->st.attempts++;
    snprintf(ch->last_error, sizeof(ch->last_error), "%s", err);
    {
        double b = BACKOFF_MIN * pow(2.0, ch->st.attempts > 6 ? 6 : ch->st.attempts - 1);

        ch->next_try = mono + (b > BACKOFF_MAX ? BACKOFF_MAX : b);
    }
}

/* Alertmanager: the open incidents again, so that it keeps them firing. */
struct opens {
    struct item *v;
    size_t n;
};

static int
copy_open(const struct store_incident *in, void *arg)
{
    struct opens *o = arg;
    struct item *it;

    if (o->n == BATCH)
        return 1;
    it = &o->v[o->n++];
    memset(it, 0, sizeof(*it));
    it->f.kind = NT_INCIDENT;
    it->f.event = CFG_NT_EV_OPENED;
    it->f.id = in->id;
    it->f.at = in->detected;
    copy_incident(in, it);
    return 0;
}

static void
resend_firing(struct notifier *n, struct chan *ch, double mono, int64_t now)
{
    struct item v[BATCH];
    struct nt_fact f[BATCH];
    struct opens o = {v, 0};
    struct nt_request req;
    size_t k = 0;

    ch->next_resend = mono + ch->c->resend;
    if (store_incident_each(n->store, 1, copy_open, &o) < 0) {
        items_free(v, o.n);
        return;
    }
    for (size_t i = 0; i < o.n; i++) {
        from_config(n->cfg, &v[i], ch->c->english);
        if (routed(ch->c, &v[i].f))
            f[k++] = v[i].f;
    }
    if (k > 0 && nt_build(ch->c, &n->site, f, k, now, &req) == 0) {
        if (deliver(ch, &req, mono, now) < 0)
            save(n, ch);
        nt_request_free(&req);
    }
    items_free(v, o.n);
}

/* One look at one channel. Returns 1 when it sent and more may be waiting. */
static int
run_channel(struct notifier *n, struct chan *ch, double mono, int64_t now)
{
    const struct cfg_notify *c = ch->c;
    struct item v[BATCH];
    struct nt_fact f[BATCH];
    size_t nv, nsel = 0, pos[BATCH], give, budget = SIZE_MAX;
    int64_t pass;
    struct nt_request req;
    int quiet, more = 0;

    if (mono < ch->next_try)
        return 0;
    if (!ch->loaded) {
        char buf[sizeof(ch->name) + sizeof(ch->last_error)];

        if (store_notify_channel_get(n->store, c->id, &ch->st, buf, sizeof(buf)) < 0)
            return 0;
        snprintf(ch->last_error, sizeof(ch->last_error), "%s",
                 ch->st.last_error ? ch->st.last_error : "");
        ch->loaded = 1;
        show(n, ch); /* a channel failing before a restart shows so from the start */
    }
    if (load_items(n, ch, v, &nv) < 0) {
        if (!n->store_failing)
            log_err("notify: cannot read the store: %s", store_errmsg(n->store));
        n->store_failing = 1;
        return 0;
    }
    n->store_failing = 0;
    pass = ch->st.cursor;
    quiet = quiet_now(n, c, now);
    for (size_t i = 0; i < nv; i++) {
        if (v[i].silence != 0 && routed(c, &v[i].f))
            log_info("notify %s: silence %lld holds back %s of %lld", ch->name,
                     (long long)v[i].silence, nt_event_name(v[i].f.event), (long long)v[i].f.id);
        if (v[i].f.event == 0 || !routed(c, &v[i].f) || v[i].silence != 0 ||
            (quiet && v[i].f.severity != CFG_SEV_CRITICAL)) {
            if (quiet && v[i].silence == 0 && v[i].f.event != 0 && routed(c, &v[i].f))
                log_info("notify %s: quiet hours: not sending %s of %lld", ch->name,
                         nt_event_name(v[i].f.event), (long long)v[i].f.id);
            if (nsel == 0)
                pass = v[i].f.seq;
            continue;
        }
        pos[nsel] = i;
        f[nsel++] = v[i].f;
    }
    if (nsel == 0) {
        if (pass != ch->st.cursor) {
            ch->st.cursor = pass;
            save(n, ch);
        }
        goto out;
    }
    if (c->rate_limit > 0) {
        size_t used = sent_recently(ch, mono);

        if (used >= (size_t)c->rate_limit) {
            ch->next_try = ch->sent[ch->sent_head] + RATE_WINDOW;
            goto out;
        }
        budget = (size_t)c->rate_limit - used;
    }
    /* One message each while the minute's budget covers what waits; else merged. The
     * list-taking receivers always get what waits in one request. */
    give = c->type == CFG_NT_ALERTMANAGER || c->type == CFG_NT_WEBHOOK || nsel > budget ? nsel : 1;
    if (nt_build(c, &n->site, f, give, now, &req) < 0) {
        char err[128];

        /* Out of memory, or a signing secret OpenSSL refuses: as a failed send, retried
         * with backoff and logged once, so nothing is skipped. */
        snprintf(err, sizeof(err), "cannot build the message: %s", strerror(errno));
        failed(ch, nt_event_name(f[0].event), err, mono, now);
        save(n, ch);
        goto out;
    }
    if (deliver(ch, &req, mono, now) == 0) {
        size_t used = req.used > 0 ? req.used : 1;

        /* Past the sent ones and the rows passed over before the next one waiting. */
        ch->st.cursor = used < nsel ? v[pos[used] - 1].f.seq : v[nv - 1].f.seq;
        more = 1;
    }
    save(n, ch);
    nt_request_free(&req);
out:
    items_free(v, nv);
    if (!more && c->type == CFG_NT_ALERTMANAGER && ch->st.failing_since == 0 &&
        mono >= ch->next_resend)
        resend_firing(n, ch, mono, now);
    return more;
}

/* Unacknowledged open incidents past their severity's limit get their escalation row. */
struct esc {
    size_t n;
    struct {
        int64_t id, at;
    } v[BATCH];
    const struct rw_config *cfg;
    int64_t now;
};

static int
find_late(const struct store_incident *in, void *arg)
{
    struct esc *e = arg;
    int s = sev_index(in->severity);
    int64_t limit;

    if (s < 0 || in->acked != 0 || e->cfg->escalate[s] <= 0)
        return 0;
    limit = (int64_t)(e->cfg->escalate[s] * 1000);
    if (e->now - in->detected < limit || e->n == BATCH)
        return 0;
    e->v[e->n].id = in->id;
    e->v[e->n].at = in->detected + limit;
    e->n++;
    return 0;
}

static void
escalate(struct notifier *n, int64_t now)
{
    struct esc e = {.cfg = n->cfg, .now = now};
    int any = 0;

    for (int s = 0; s < 4; s++)
        any |= n->cfg->escalate[s] > 0;
    if (!any || store_incident_each(n->store, 1, find_late, &e) < 0)
        return;
    for (size_t i = 0; i < e.n; i++) {
        int64_t seq = 0;

        if (store_notify_add(n->store, "incident", e.v[i].id, "escalated", e.v[i].at, "1", &seq) <
            0)
            log_warn("notify: cannot record the escalation of incident %lld: %s",
                     (long long)e.v[i].id, store_errmsg(n->store));
        else if (seq != 0)
            log_notice("incident %lld: not acknowledged in time; escalated", (long long)e.v[i].id);
    }
}

static void *
run(void *arg)
{
    struct notifier *n = arg;
    int open_logged = 0;

    for (;;) {
        double mono = rw_clock_mono();
        int64_t now = (int64_t)(rw_clock_wall() * 1000.0);
        int more = 0;
        struct timespec ts;

        pthread_mutex_lock(&n->mu);
        if (n->stop) {
            pthread_mutex_unlock(&n->mu);
            break;
        }
        pthread_mutex_unlock(&n->mu);
        if (n->store == NULL && store_open(n->cfg->state_dir, &n->store) < 0) {
            if (!open_logged)
                log_err("notify: cannot open the store in %s: %s; retrying", n->cfg->state_dir,
                        strerror(errno));
            open_logged = 1;
            n->store = NULL;
        }
        if (n->store != NULL) {
            if (mono >= n->next_escalate) {
                escalate(n, now);
                n->next_escalate = mono + ESCALATE_EVERY;
            }
            for (size_t i = 0; i < n->nch; i++)
                more |= run_channel(n, &n->ch[i], mono, now);
        }
        if (more)
            continue;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t)TICK_S;
        pthread_mutex_lock(&n->mu);
        while (!n->stop && pthread_cond_timedwait(&n->cv, &n->mu, &ts) != ETIMEDOUT)
            ;
        pthread_mutex_unlock(&n->mu);
    }
    store_close(n->store);
    n->store = NULL;
    return NULL;
}

static void
free_notifier(struct notifier *n)
{
    for (size_t i = 0; i < n->nch; i++)
        free(n->ch[i].sent);
    free(n->ch);
    pthread_cond_destroy(&n->cv);
    pthread_mutex_destroy(&n->mu);
    free(n);
}

struct notifier *
notifier_start(const struct rw_config *cfg)
{
    struct notifier *n;
    pthread_condattr_t ca;

    if (cfg->nnotify == 0)
        return NULL;
    if (nt_send_init() < 0) {
        log_err("notify: cannot start libcurl; notifications are off");
        return NULL;
    }
    if ((n = calloc(1, sizeof(*n))) == NULL ||
        (n->ch = calloc(cfg->nnotify, sizeof(*n->ch))) == NULL) {
        free(n);
        log_err("notify: out of memory; notifications are off");
        return NULL;
    }
    n->cfg = cfg;
    n->site = (struct nt_site){cfg->site.id, cfg->site.name, cfg->site.gateway, cfg->site.timezone,
                               cfg->mqtt.prefix};
    n->nch = cfg->nnotify;
    for (size_t i = 0; i < n->nch; i++) {
        struct chan *ch = &n->ch[i];

        ch->c = &cfg->notify[i];
        snprintf(ch->name, sizeof(ch->name), "%s", ch->c->id);
        if (ch->c->rate_limit > 0 &&
            (ch->sent = calloc((size_t)ch->c->rate_limit, sizeof(*ch->sent))) == NULL) {
            n->nch = i;
            free_notifier(n);
            log_err("notify: out of memory; notifications are off");
            return NULL;
        }
    }
    {
        /* rw_calendar sets TZ to the zone it is asked for: set it here, on the main thread,
         * before the thread starts, so that from then on both threads only read it. */
        char t[RW_CAL_TIME_LEN];

        rw_calendar_rfc3339(cfg->site.timezone, 0, t, sizeof(t));
    }
    pthread_mutex_init(&n->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rw_thread_start(&n->thread, STACK, run, n) < 0) {
        log_err("notify: cannot start its thread: %s; notifications are off", strerror(errno));
        free_notifier(n);
        return NULL;
    }
    log_info("notify: %zu channels", n->nch);
    return n;
}

uint64_t
notifier_status_version(struct notifier *n)
{
    uint64_t v;

    if (n == NULL)
        return 0;
    pthread_mutex_lock(&n->mu);
    v = n->status_version;
    pthread_mutex_unlock(&n->mu);
    return v;
}

char *
notifier_status(void *arg)
{
    struct notifier *n = arg;
    const char *tz = n->cfg->site.timezone;
    json_t *a = json_array(), *doc;
    char t[RW_CAL_TIME_LEN], u[RW_CAL_TIME_LEN], *txt;

    pthread_mutex_lock(&n->mu);
    for (size_t i = 0; a != NULL && i < n->nch; i++) {
        const struct chan *ch = &n->ch[i];
        int failing = ch->shown.failing_since != 0;

        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:o, s:i, s:o, s:o}", "channel", ch->name, "type",
                         cfg_nt_type_name(ch->c->type), "state", failing ? "failing" : "ok",
                         "failing_since",
                         failing ? json_string(rw_calendar_rfc3339(tz, ch->shown.failing_since, t,
                                                                   sizeof(t)))
                                 : json_null(),
                         "attempts", ch->shown.attempts, "last_error",
                         failing && ch->shown.last_error[0] ? json_string(ch->shown.last_error)
                                                            : json_null(),
                         "last_delivered",
                         ch->shown.last_ok
                             ? json_string(rw_calendar_rfc3339(tz, ch->shown.last_ok, u, sizeof(u)))
                             : json_null()));
    }
    pthread_mutex_unlock(&n->mu);
    doc = json_pack("{s:o}", "notify", a != NULL ? a : json_array());
    txt = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return txt;
}

void
notifier_stop(struct notifier *n)
{
    if (n == NULL)
        return;
    pthread_mutex_lock(&n->mu);
    n->stop = 1;
    pthread_cond_signal(&n->cv);
    pthread_mutex_unlock(&n->mu);
    pthread_join(n->thread, NULL);
    free_notifier(n);
}
