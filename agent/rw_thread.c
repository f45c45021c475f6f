/*
 * rw_thread.c - thread start-up shared by the source workers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_getattr_np() */
#endif
#include "rw_thread.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* The calling thread's lowest stack address above its guard; 0 until first asked. */
static _Thread_local uintptr_t stack_lo;

int
rw_thread_start(pthread_t *t, size_t stack, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    int rc;

    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack);
    rc = pthread_create(t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

void
rw_thread_trim_stack(void)
{
    volatile char here = 0;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), hi;

    if (stack_lo == 0) {
        pthread_attr_t attr;
        void *addr;
        size_t size;

        if (pthread_getattr_np(pthread_self(), &attr) != 0)
            return;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0)
            stack_lo = (uintptr_t)addr; /* glibc: above the guard */
        pthread_attr_destroy(&attr);
        if (stack_lo == 0)
            return;
    }
    hi = ((uintptr_t)&here - RW_STACK_KEEP) & ~(page - 1);
    if (hi > stack_lo)
        (void)madvise((void *)stack_lo, hi - stack_lo, MADV_DONTNEED);
}
