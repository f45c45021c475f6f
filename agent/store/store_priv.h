/*
 * store_priv.h - what the store's files share beyond store.h: the SQLite connection of a
 * store, for the tables kept in their own file (store_incident.c). Not for other modules:
 * only agent/store/ links SQLite.
 */
#ifndef ROOMWATCH_STORE_PRIV_H
#define ROOMWATCH_STORE_PRIV_H

#include <sqlite3.h>

struct store;

/* s's connection; borrowed, valid until store_close(s). */
sqlite3 *store_db(struct store *s);

#endif
