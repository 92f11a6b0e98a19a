/* Observations of the publisher's stream waiting to be confirmed (see
 * inflight.h): a ring in arrival order, grown by doubling. */
#include "core/inflight.h"

#include <stdlib.h>

#define INFLIGHT_CAP_MIN 256u /* first allocation, in observations: a quiet
                                 stream never needs more */

struct hamd_inflight {
    struct hamd_inflight_obs *ring; /* cap slots, NULL until the first push */
    unsigned cap;                   /* slots allocated */
    unsigned cap_max;               /* never more slots than this */
    unsigned head;                  /* slot of the oldest observation */
    unsigned len;                   /* observations waiting */
    int64_t inflight_ns;            /* how far the publisher's clock must
                                       be past an observation */
    int64_t clock_ns;               /* latest time the publisher sent,
                                       its clock; 0 = nothing yet */
    uint64_t early;                 /* confirmed early: the queue was full */
};

struct hamd_inflight *hamd_inflight_new(int64_t inflight_ns, unsigned cap_max)
{
    struct hamd_inflight *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->inflight_ns = inflight_ns;
    self->cap_max = cap_max > 0 ? cap_max : 1;
    return self;
}

void hamd_inflight_destroy(struct hamd_inflight **self)
{
    if (!self || !*self)
        return;
    free((*self)->ring);
    free(*self);
    *self = NULL;
}

static struct hamd_inflight_obs *slot(struct hamd_inflight *self, unsigned i)
{
    return &self->ring[(self->head + i) % self->cap];
}

/* Doubles the ring (up to cap_max), oldest first in the new one. */
static bool grow(struct hamd_inflight *self)
{
    if (self->cap >= self->cap_max)
        return false;
    unsigned cap = self->cap ? self->cap * 2 : INFLIGHT_CAP_MIN;
    if (cap > self->cap_max)
        cap = self->cap_max;
    struct hamd_inflight_obs *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return false;
    for (unsigned i = 0; i < self->len; i++)
        ring[i] = *slot(self, i);
    free(self->ring);
    self->ring = ring;
    self->cap = cap;
    self->head = 0;
    return true;
}

static void take_oldest(struct hamd_inflight *self,
                        struct hamd_inflight_obs *out)
{
    *out = *slot(self, 0);
    self->head = (self->head + 1) % self->cap;
    self->len--;
}

bool hamd_inflight_push(struct hamd_inflight *self,
                        const struct hamd_inflight_obs *obs,
                        struct hamd_inflight_obs *early)
{
    hamd_inflight_clock(self, obs->hub_ns);
    bool full = self->len == self->cap && !grow(self);
    if (full) {
        take_oldest(self, early);
        self->early++;
    }
    *slot(self, self->len) = *obs;
    self->len++;
    return full;
}

void hamd_inflight_clock(struct hamd_inflight *self, int64_t ts_ns)
{
    if (ts_ns > self->clock_ns)
        self->clock_ns = ts_ns;
}

bool hamd_inflight_pop(struct hamd_inflight *self,
                       struct hamd_inflight_obs *out)
{
    if (self->len == 0 ||
        slot(self, 0)->hub_ns > self->clock_ns - self->inflight_ns)
        return false;
    take_oldest(self, out);
    return true;
}

unsigned hamd_inflight_clear(struct hamd_inflight *self)
{
    unsigned dropped = self->len;
    self->len = 0;
    self->head = 0;
    self->clock_ns = 0;
    return dropped;
}

void hamd_inflight_forget(struct hamd_inflight *self, const void *key)
{
    for (unsigned i = 0; i < self->len; i++)
        if (slot(self, i)->key == key)
            slot(self, i)->key = NULL;
}

unsigned hamd_inflight_waiting(const struct hamd_inflight *self)
{
    return self->len;
}

uint64_t hamd_inflight_early(const struct hamd_inflight *self)
{
    return self->early;
}
