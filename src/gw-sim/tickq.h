/* The ticks a gateway in upstream mode received from its front and has
 * not forwarded to the hub yet: a bounded FIFO. Pure data structure, no
 * I/O, no clock.
 *
 * Normally a tick waits here for one loop iteration at most. It waits
 * longer under the slow fault (delivered ARG ms after it arrived) or while
 * the hub does not read (the send queue is full). Full, the queue drops
 * its oldest tick to take the new one, as a bridge's queue overflowing:
 * a gateway must never stop reading its front.
 */
#ifndef GWSIM_TICKQ_H
#define GWSIM_TICKQ_H

#include <stddef.h>
#include <stdint.h>

#include "hamd/tick.h"

/* One queued tick. */
struct gwsim_tickq_item {
    struct hamd_tick tick; /* decoded, as the front sent it */
    int64_t n;             /* its extra.sim_seq (0 if it had none) */
    int64_t recv_ns;       /* wall time it arrived */
};

struct gwsim_tickq {
    struct gwsim_tickq_item *items; /* ring of cap slots */
    size_t cap;                     /* allocated slots (grows to max) */
    size_t max;                     /* most slots it may grow to */
    size_t head;                    /* slot of the oldest item */
    size_t count;                   /* items queued */
    uint64_t dropped;               /* oldest items dropped when full */
};

/* Returns a new empty queue that holds at most max ticks (>= 1), or NULL
 * when out of memory. */
struct gwsim_tickq *gwsim_tickq_new(size_t max);

/* Frees the queue and sets *self_p to NULL. */
void gwsim_tickq_destroy(struct gwsim_tickq **self_p);

/* Appends a tick. Returns 0, 1 when the oldest tick was dropped to make
 * room (counted in dropped), or -1 when memory ran out and the new tick
 * was not taken. */
int gwsim_tickq_push(struct gwsim_tickq *self, const struct hamd_tick *tick,
                     int64_t n, int64_t recv_ns);

/* Returns the oldest item, or NULL when empty. */
struct gwsim_tickq_item *gwsim_tickq_peek(struct gwsim_tickq *self);

/* Removes the oldest item (nothing when empty). */
void gwsim_tickq_pop(struct gwsim_tickq *self);

/* Removes every item. */
void gwsim_tickq_clear(struct gwsim_tickq *self);

#endif /* GWSIM_TICKQ_H */
