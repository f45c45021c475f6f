/*
 * store_priv.h - what the store's files share beyond store.h: the SQLite connection of a
 * store, for the tables kept in their own file (store_incident.c). Not for other modules:
 * only agent/store/ links SQLite.
 */
#ifndef ROOMWATCH_STORE_PRIV_H
#define ROOMWATCH_STORE_PRIV_H

#include <stdint.h>

#include <sqlite3.h>

struct store;

/* s's connection; borrowed, valid until store_close(s). */
sqlite3 *store_db(struct store *s);

/*
 * The prepared statement of sql on s's connection, from a small cache: the daemon runs the
 * same few queries every second (the outbox, the incident record) and parsing them again each
 * time was most of its main loop's CPU. sql must be a string literal: the cache is keyed by its
 * address. Borrowed: give it back with store_stmt_done() (reset, kept) once its rows are read,
 * or store_stmt_fail() on an error; if the cached one is in use further up the stack, or the
 * cache is full, the statement is a fresh one and giving it back finalizes it. NULL when it
 * cannot be prepared (SQLite's message stands for store_errmsg()).
 */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);
void store_stmt_done(struct store *s, sqlite3_stmt *st);
/* store_stmt_done(), errno EIO, -1: for `return store_stmt_fail(s, st);` outside a
 * transaction. */
int store_stmt_fail(struct store *s, sqlite3_stmt *st);

/* store_notify_add() on a connection, always inside the caller's transaction: for the
 * transitions of store_incident.c, whose rows must commit with them. */
int store_notify_log(sqlite3 *db, const char *kind, int64_t ref, const char *what, int64_t at,
                     const char *detail, int64_t *seq);

/* Adds an outbox row inside the caller's transaction: 0 and *id, or -1 (ENOSPC: max rows
 * there already; EIO). For store_outbox_add() and the answers of store_cmd_apply_answered(). */
int store_outbox_insert(sqlite3 *db, const char *topic, const char *payload, int64_t at,
                        int64_t max, int64_t *id);

struct store_silence;
/* store_silence_add() inside the caller's transaction: 0 and *id, *added 1 when it is new
 * (0: the same silence was there), or -1 (EINVAL, EIO). For store_cmd_apply(). */
int store_silence_insert(sqlite3 *db, const struct store_silence *in, int64_t now, int64_t *id,
                         int *added);

/*
 * Ends a failed transaction: rolls back what SQLite has not already rolled back itself (it
 * does after SQLITE_FULL and most I/O errors), keeping the failure's message for
 * store_errmsg() on this thread. A plain ROLLBACK would replace it with its own ("cannot
 * rollback - no transaction is active", or "not an error"), and a full disk would be logged
 * as something else.
 */
void store_rollback(sqlite3 *db);

/* A failed step: finalizes st (NULL is fine), ends the transaction with store_rollback() when
 * in_tx, sets errno EIO and returns -1, for `return store_fail(db, st, 1);`. */
int store_fail(sqlite3 *db, sqlite3_stmt *st, int in_tx);

#endif
