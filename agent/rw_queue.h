/*
 * rw_queue.h - bounded multi-producer, single-consumer queue of fixed-size messages.
 *
 * DESIGN: threads meet only in these queues. The ring is sized once at creation and never
 * grows. Producers never block: when the ring is full the new message is dropped, the drop
 * counter rises, and the push returns -1 with errno EAGAIN so that the producer can note the
 * loss (a dropped sample reads as unknown time, never as good time). The consumer (the main
 * thread) polls rw_queue_fd(), an eventfd that is readable while the queue may hold messages.
 *
 * Thread safety: push from any thread; pop and the fd from the consumer thread only.
 */
#ifndef ROOMWATCH_RW_QUEUE_H
#define ROOMWATCH_RW_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct rw_queue;

/* Returns a queue of capacity messages of elem_size bytes, or NULL with errno set. */
struct rw_queue *rw_queue_new(size_t capacity, size_t elem_size);
/* Accepts NULL. The caller must have stopped every producer first. */
void rw_queue_free(struct rw_queue *q);

/* Copies elem in. Returns 0, or -1 with errno EAGAIN when full (the message is dropped). */
int rw_queue_push(struct rw_queue *q, const void *elem);
/* Copies up to max messages into out (an array of max elements); returns how many. */
size_t rw_queue_pop(struct rw_queue *q, void *out, size_t max);
/* Consumer: readable when messages may be waiting. Drained by rw_queue_pop(). */
int rw_queue_fd(const struct rw_queue *q);

/* Messages dropped because the queue was full, since creation. */
uint64_t rw_queue_dropped(struct rw_queue *q);
/* Highest fill level seen, for status and benchmarks. */
size_t rw_queue_high_water(struct rw_queue *q);
size_t rw_queue_capacity(const struct rw_queue *q);

#endif
