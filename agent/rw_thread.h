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

/*
 * Gives the calling thread's stack pages below the current frame (less RW_STACK_KEEP bytes)
 * back to the kernel, madvise(MADV_DONTNEED): what lies below the stack pointer is dead, and
 * a deeper call later gets zeroed pages. A worker calls it from its loop's shallow frame
 * after an excursion deeper than its usual path: a log line (vsnprintf, localtime) takes
 * some 3 KiB, and would otherwise leave a page resident per thread for good (tests/bench:
 * 4 KiB of each bus thread's 12, 800 KiB at 200 buses). Not for the main thread.
 */
void rw_thread_trim_stack(void);
#define RW_STACK_KEEP 1024 /* bytes below the trimming frame left alone: its own calls */

#endif
