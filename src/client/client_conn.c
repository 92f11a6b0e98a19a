/* The client's connections: a primary per endpoint, probes beside a silent
 * one, bridging while it is made again (client_conn.h says why). Pure. */
#include "client/client_conn.h"

#include <string.h>

#define NS_PER_MS 1000000LL

/* The probe slots of endpoint e, as a mask. */
static uint64_t probe_mask(unsigned e)
{
    uint64_t mask = 0;
    for (unsigned k = 1; k < CCONN_SLOTS_PER_EP; k++)
        mask |= 1ull << (CCONN_SLOTS_PER_EP * e + k);
    return mask;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

void cconn_init(struct cconn *self, unsigned n_endpoints, int64_t probe_ns)
{
    memset(self, 0, sizeof *self);
    self->n_endpoints = n_endpoints;
    self->probe_ns = probe_ns;
}

bool cconn_reconnect_ok(const struct cconn *self, unsigned slot)
{
    unsigned e = cconn_endpoint(slot);
    return e < self->n_endpoints && self->eps[e].state == CCONN_BRIDGING;
}

bool cconn_is_probe(unsigned slot)
{
    return slot % CCONN_SLOTS_PER_EP != 0;
}

bool cconn_primary_carries(const struct cconn *self, unsigned slot,
                           int64_t now_ns)
{
    unsigned e = cconn_endpoint(slot);
    if (!cconn_is_probe(slot) || e >= self->n_endpoints)
        return false;
    const struct cconn_ep *ep = &self->eps[e];
    /* Steady, a probe is closing (or read once more before it closes):
     * the primary spoke again and carries the stream. */
    if (ep->state == CCONN_STEADY)
        return true;
    return ep->state == CCONN_BRIDGING && ep->until_ns != INT64_MAX &&
           now_ns < ep->until_ns;
}

unsigned cconn_endpoint(unsigned slot)
{
    return slot / CCONN_SLOTS_PER_EP;
}

bool cconn_heard(struct cconn *self, unsigned slot, int64_t now_ns,
                 int64_t *silent_ms)
{
    unsigned e = cconn_endpoint(slot);
    if (e >= self->n_endpoints)
        return false;
    struct cconn_ep *ep = &self->eps[e];
    if (!cconn_is_probe(slot)) {
        ep->heard = true;
        ep->last_rx_ns = now_ns;
        if (ep->state != CCONN_STEADY && ep->close_ns == 0)
            ep->close_ns = now_ns + CCONN_GRACE_MS * NS_PER_MS;
        ep->state = CCONN_STEADY;
        return false;
    }
    if (ep->state != CCONN_PROBING)
        return false; /* bridging already, or closing */
    ep->state = CCONN_BRIDGING;
    ep->until_ns = now_ns + CCONN_GRACE_MS * NS_PER_MS;
    *silent_ms = (now_ns - ep->last_rx_ns) / NS_PER_MS;
    return true;
}

/* What endpoint e needs at now_ns. */
static void ep_due(struct cconn *self, unsigned e, int64_t now_ns,
                   int64_t *next)
{
    struct cconn_ep *ep = &self->eps[e];
    if (ep->close_ns) {
        if (now_ns < ep->close_ns) {
            *next = min64(*next, ep->close_ns);
            return; /* nothing new before the probes are gone */
        }
        ep->close_ns = 0;
        self->close |= probe_mask(e);
    }
    switch (ep->state) {
    case CCONN_STEADY:
        if (!ep->heard)
            return;
        if (now_ns < ep->last_rx_ns + self->probe_ns) {
            *next = min64(*next, ep->last_rx_ns + self->probe_ns);
            return;
        }
        ep->state = CCONN_PROBING;
        ep->until_ns = now_ns + CCONN_PROBE_FOR_MS * NS_PER_MS;
        self->open |= probe_mask(e);
        *next = min64(*next, ep->until_ns);
        return;
    case CCONN_PROBING:
        if (now_ns < ep->until_ns) {
            *next = min64(*next, ep->until_ns);
            return;
        }
        /* In vain: a host down, not a VIP moved. Probes again only once
         * the primary carried a message again. */
        ep->state = CCONN_STEADY;
        ep->heard = false;
        self->close |= probe_mask(e);
        return;
    case CCONN_BRIDGING:
        if (ep->until_ns == INT64_MAX)
            return; /* the primary is being made again */
        if (now_ns < ep->until_ns) {
            *next = min64(*next, ep->until_ns);
            return;
        }
        ep->until_ns = INT64_MAX;
        self->reconnect |= 1ull << (CCONN_SLOTS_PER_EP * e);
        return;
    }
}

int64_t cconn_due(struct cconn *self, int64_t now_ns)
{
    int64_t next = INT64_MAX;
    for (unsigned e = 0; e < self->n_endpoints; e++)
        ep_due(self, e, now_ns, &next);
    return next;
}
