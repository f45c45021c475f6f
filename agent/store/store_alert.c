/*
 * store_alert.c - the alert table (schema version 7; see store.h): each change of a target's
 * alert state with its numbers, added in the transaction that adds its notify_event row, so
 * that no alert is kept untold or told unkept.
 */
#include "store/store.h"
#include "store/store_priv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>


static void
bind_num(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

static void
bind_str(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static double
col_num(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static const char *
col_str(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

int
store_alert_add(struct store *s, const struct store_alert *a, int64_t *id)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int e;

    *id = 0;
    if (a->what == NULL || (strcmp(a->what, "raised") != 0 && strcmp(a->what, "recovered") != 0 &&
                            strcmp(a->what, "lost") != 0)) {
        errno = EINVAL;
        return -1;
    }
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 0);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO alert (indicator, period, at, state, previous, what, "
                           "value, target, budget_left, budget_unit, burn_short, burn_long, "
                           "projection, time_left, coverage, doc) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 1);
    bind_str(st, 1, a->indicator);
    bind_str(st, 2, a->period);
    sqlite3_bind_int64(st, 3, a->at);
    bind_str(st, 4, a->state);
    bind_str(st, 5, a->previous);
    bind_str(st, 6, a->what);
    bind_num(st, 7, a->value);
    bind_str(st, 8, a->target);
    bind_num(st, 9, a->budget_left);
    bind_str(st, 10, a->budget_unit);
    bind_num(st, 11, a->burn_short);
    bind_num(st, 12, a->burn_long);
    bind_num(st, 13, a->projection);
    bind_num(st, 14, a->time_left);
    bind_num(st, 15, a->coverage);
    bind_str(st, 16, a->doc != NULL ? a->doc : "{}");
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 1);
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(db);
    /* The notifier shows an alert's detail member by member: the document is its facts. */
    if (store_notify_log(db, "alert", *id, a->what, a->at, a->doc, NULL) < 0) {
        e = errno;
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        *id = 0;
        errno = e;
        return -1;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        *id = 0;
        return store_fail(db, NULL, 1);
    }
    return 0;
}

int
store_alert_each(struct store *s, int64_t from, int64_t to, int unpublished_only,
                 int (*fn)(const struct store_alert *a, void *arg), void *arg)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc, r = 0;

    if (sqlite3_prepare_v2(db,
                           "SELECT id, indicator, period, at, state, previous, what, value, "
                           "target, budget_left, budget_unit, burn_short, burn_long, "
                           "projection, time_left, coverage, doc, published FROM alert "
                           "WHERE at >= ? AND at < ? AND (? = 0 OR published = 0) ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int(st, 3, unpublished_only);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_alert a;

        a.id = sqlite3_column_int64(st, 0);
        a.indicator = col_str(st, 1);
        a.period = col_str(st, 2);
        a.at = sqlite3_column_int64(st, 3);
        a.state = col_str(st, 4);
        a.previous = col_str(st, 5);
        a.what = col_str(st, 6);
        a.value = col_num(st, 7);
        a.target = col_str(st, 8);
        a.budget_left = col_num(st, 9);
        a.budget_unit = col_str(st, 10);
        a.burn_short = col_num(st, 11);
        a.burn_long = col_num(st, 12);
        a.projection = col_num(st, 13);
        a.time_left = col_num(st, 14);
        a.coverage = col_num(st, 15);
        a.doc = col_str(st, 16);
        a.published = sqlite3_column_int(st, 17);
        if ((r = fn(&a, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return r;
}

int
store_alert_last(struct store *s, const char *indicator, const char *period, char *state,
                 size_t len, int64_t *at)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db,
                           "SELECT state, at FROM alert WHERE indicator = ? AND period = ? "
                           "ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_text(st, 1, indicator, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, period, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(state, len, "%s", col_str(st, 0));
        *at = sqlite3_column_int64(st, 1);
        sqlite3_finalize(st);
        return 1;
    }
    if (rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return 0;
}

int
store_write_version(struct store *s, int others, int64_t *v)
{
    int64_t dv = 0;

    /* data_version moves with other connections' commits (a query: a shared lock on the
     * file), total_changes with this one's (in memory). */
    if (others && store_data_version(s, &dv) < 0)
        return -1;
    *v = dv * 1000000007LL + (int64_t)sqlite3_total_changes64(store_db(s));
    return 0;
}
