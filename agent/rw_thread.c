/*
 * rw_thread.c - thread start-up shared by the source workers.
 */
#include "rw_thread.h"

#include <errno.h>

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
