/* Ticks waiting to be forwarded: see tickq.h. */
#include "gw-sim/tickq.h"

#include <stdlib.h>
#include <string.h>

#define TICKQ_INITIAL_CAP 256 /* slots of a new queue; doubles up to max */

struct gwsim_tickq *gwsim_tickq_new(size_t max)
{
    struct gwsim_tickq *self = calloc(1, sizeof *self);
    if (!self || max == 0) {
        free(self);
        return NULL;
    }
    self->max = max;
    self->cap = max < TICKQ_INITIAL_CAP ? max : TICKQ_INITIAL_CAP;
    self->items = calloc(self->cap, sizeof *self->items);
    if (!self->items)
        gwsim_tickq_destroy(&self);
    return self;
}

void gwsim_tickq_destroy(struct gwsim_tickq **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->items);
    free(*self_p);
    *self_p = NULL;
}

/* Doubles the ring (at most to max), unwrapping it. Returns 0 or -1. */
static int grow(struct gwsim_tickq *self)
{
    size_t cap = self->cap * 2 < self->max ? self->cap * 2 : self->max;
    struct gwsim_tickq_item *items = calloc(cap, sizeof *items);
    if (!items)
        return -1;
    for (size_t i = 0; i < self->count; i++)
        items[i] = self->items[(self->head + i) % self->cap];
    free(self->items);
    self->items = items;
    self->cap = cap;
    self->head = 0;
    return 0;
}

int gwsim_tickq_push(struct gwsim_tickq *self, const struct hamd_tick *tick,
                     int64_t n, int64_t recv_ns)
{
    int rc = 0;
    if (self->count == self->cap && self->cap < self->max &&
        grow(self) != 0)
        return -1;
    if (self->count == self->cap) {
        gwsim_tickq_pop(self);
        self->dropped++;
        rc = 1;
    }
    struct gwsim_tickq_item *it =
        &self->items[(self->head + self->count) % self->cap];
    it->tick = *tick;
    it->n = n;
    it->recv_ns = recv_ns;
    self->count++;
    return rc;
}

struct gwsim_tickq_item *gwsim_tickq_peek(struct gwsim_tickq *self)
{
    return self->count ? &self->items[self->head] : NULL;
}

void gwsim_tickq_pop(struct gwsim_tickq *self)
{
    if (self->count == 0)
        return;
    self->head = (self->head + 1) % self->cap;
    self->count--;
}

void gwsim_tickq_clear(struct gwsim_tickq *self)
{
    self->head = 0;
    self->count = 0;
}
