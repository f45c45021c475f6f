/*
 * nt_status.h - the notification channels' delivery state as the store has it, for
 * `roomwatch status` (table and JSON): per configured channel its type, whether it delivers
 * or is failing (since when, how many attempts, the last error: never a secret), when it
 * last delivered, and how many rows of the notification log it has not got to yet.
 * Reads only (a read-only store will do); nothing is written.
 */
#ifndef ROOMWATCH_NT_STATUS_H
#define ROOMWATCH_NT_STATUS_H

#include <stdio.h>

#include <jansson.h>

struct rw_config;
struct store;

/* A JSON array, one object per configured channel; NULL when out of memory or the store
 * cannot be read (EIO). */
json_t *nt_status_json(const struct rw_config *cfg, struct store *st);
/* The same as a table on fp; -1 when the store cannot be read. */
int nt_status_table(FILE *fp, const struct rw_config *cfg, struct store *st);

#endif
