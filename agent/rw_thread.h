/*
 * rw_thread.h - starting the agent's worker threads (bus workers, the SNMP poller).
 */
#ifndef ROOMWATCH_RW_THREAD_H
#define ROOMWATCH_RW_THREAD_H

#include <pthread.h>
#include <stddef.h>

/*
 * Starts fn(arg) on a new joinable thread whose stack is stack bytes (the workers' frames are
 * small; the default 8 MiB would only be address space). Returns 0, or -1 with errno set.
 */
int rw_thread_start(pthread_t *t, size_t stack, void *(*fn)(void *), void *arg);

#endif
