/*
 * rw_queue.c - bounded MPSC ring with an eventfd wake-up.
 *
 * A mutex guards the ring: pushes are short memcpy()s, far below the cost of the Modbus or
 * MQTT round trips that produce them, so a lock-free ring would buy nothing measurable.
 */
#include "rw_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct rw_queue {
    pthread_mutex_t lock;
    unsigned char *ring;
    size_t elem_size;
    size_t capacity;
    size_t head; /* next to pop */
    size_t count;
    size_t high_water;
    uint64_t dropped;
    int efd;
};

struct rw_queue *
rw_queue_new(size_t capacity, size_t elem_size)
{
    struct rw_queue *q;

    if (capacity == 0 || elem_size == 0 || capacity > SIZE_MAX / elem_size) {
        errno = EINVAL;
        return NULL;
    }
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    q->ring = malloc(capacity * elem_size);
    if (q->ring == NULL) {
        free(q);
        return NULL;
    }
    q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->efd < 0) {
        int e = errno;
        free(q->ring);
        free(q);
        errno = e;
        return NULL;
    }
    pthread_mutex_init(&q->lock, NULL);
    q->capacity = capacity;
    q->elem_size = elem_size;
    return q;
}

void
rw_queue_free(struct rw_queue *q)
{
    if (q == NULL)
        return;
    close(q->efd);
    pthread_mutex_destroy(&q->lock);
    free(q->ring);
    free(q);
}

int
rw_queue_push(struct rw_queue *q, const void *elem)
{
    int wake = 0;

    pthread_mutex_lock(&q->lock);
    if (q->count == q->capacity) {
        q->dropped++;
        pthread_mutex_unlock(&q->lock);
        errno = EAGAIN;
        return -1;
    }
    memcpy(q->ring + ((q->head + q->count) % q->capacity) * q->elem_size, elem, q->elem_size);
    q->count++;
    if (q->count > q->high_water)
        q->high_water = q->count;
    wake = q->count == 1;
    pthread_mutex_unlock(&q->lock);

    /* Only the empty -> non-empty edge needs a wake-up; the consumer drains everything. */
    if (wake) {
        uint64_t one = 1;
        if (write(q->efd, &one, sizeof(one)) < 0) {
            /* EAGAIN: the counter is already non-zero, the consumer will wake. */
        }
    }
    return 0;
}

size_t
rw_queue_pop(struct rw_queue *q, void *out, size_t max)
{
    size_t n, i;
    uint64_t v;

    /* Clear the wake-up first: a push racing with this pop re-arms it. */
    if (read(q->efd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing signalled, still look. */
    }
    pthread_mutex_lock(&q->lock);
    n = q->count < max ? q->count : max;
    for (i = 0; i < n; i++) {
        memcpy((unsigned char *)out + i * q->elem_size, q->ring + q->head * q->elem_size,
               q->elem_size);
        q->head = (q->head + 1) % q->capacity;
    }
    q->count -= n;
    if (q->count > 0) {
        uint64_t one = 1;
        if (write(q->efd, &one, sizeof(one)) < 0) {
            /* Already signalled. */
        }
    }
    pthread_mutex_unlock(&q->lock);
    return n;
}

int
rw_queue_fd(const struct rw_queue *q)
{
    return q->efd;
}

uint64_t
rw_queue_dropped(struct rw_queue *q)
{
    uint64_t d;

    pthread_mutex_lock(&q->lock);
    d = q->dropped;
    pthread_mutex_unlock(&q->lock);
    return d;
}

size_t
rw_queue_high_water(struct rw_queue *q)
{
    size_t h;

    pthread_mutex_lock(&q->lock);
    h = q->high_water;
    pthread_mutex_unlock(&q->lock);
    return h;
}

size_t
rw_queue_capacity(const struct rw_queue *q)
{
    return q->capacity;
}
