/* The client's connections to its publish endpoints (docs/client.md),
 * pure: which message came on which connection, and a time value, in;
 * which connection to open, close or make again, out.
 *
 * Each endpoint has a primary connection. Through a VIP, a publisher that
 * dies or freezes leaves it connected to nothing, or retrying SYNs into a
 * black hole while the VIP moves (TCP resends a SYN after 1 s), and a new
 * leader re-sends what it held only 30 ms after its first client is back
 * (docs/protocol.md §8): a client must be back at about the same moment
 * as the fastest one. So a primary that carried messages and then nothing
 * for CCONN_PROBE_AFTER_MS gets CCONN_PROBES probes beside it: connections
 * that give up a SYN or a handshake within milliseconds (LAN speed) and
 * retry at once. The first of them to bring a message bridges: after
 * CCONN_GRACE_MS the primary is made again (its new SYN reaches the VIP's
 * new owner), and the probes close CCONN_GRACE_MS after the primary
 * brings a message again. If the primary brings one first, it was a false
 * alarm and the probes close. Nothing is cut while it may still carry a
 * tick, so a false alarm costs none (the repeats two connections bring
 * are dropped like any repeat). Probes that bring nothing for
 * CCONN_PROBE_FOR_MS close (a host down, not a VIP moved), and the next
 * ones wait until the primary has carried a message again.
 *
 * Slots: slot CCONN_SLOTS_PER_EP * e + k is endpoint e's primary (k = 0)
 * or probe k. Primaries are open from the start.
 */
#ifndef HAMD_CLIENT_CONN_H
#define HAMD_CLIENT_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "hamd/client.h"

#define CCONN_PROBES 2            /* probes per silent endpoint */
#define CCONN_SLOTS_PER_EP (1 + CCONN_PROBES)
#define CCONN_ENDPOINTS_MAX HAMD_CLIENT_ENDPOINTS_MAX
#define CCONN_SLOTS_MAX (CCONN_SLOTS_PER_EP * CCONN_ENDPOINTS_MAX) /* 48:
                                                   bits of a uint64_t */
#define CCONN_PROBE_AFTER_MS 300  /* primary silent this long (three `_hb`
                                     periods): probes; or hb_timeout if
                                     shorter */
#define CCONN_PROBE_FOR_MS 5000   /* probes that bring nothing this long
                                     close */
#define CCONN_GRACE_MS 100        /* a connection being replaced still
                                     carries what it was sent before the
                                     other one subscribed: read it first */

/* Where an endpoint's connections stand. */
enum cconn_state {
    CCONN_STEADY = 0, /* the primary alone */
    CCONN_PROBING,    /* probes open, none has brought a message yet */
    CCONN_BRIDGING,   /* a probe brings the stream; the primary is made
                         again (after the grace) */
};

/* One endpoint. */
struct cconn_ep {
    bool heard;             /* the primary brought a message since it was
                               (re)connected or last probed in vain */
    int64_t last_rx_ns;     /* the primary's last message */
    enum cconn_state state; /* see above */
    int64_t until_ns;       /* PROBING: probes give up then; BRIDGING: the
                               primary is made again then (INT64_MAX: done) */
    int64_t close_ns;       /* probes close then (0: not asked) */
};

/* Every endpoint, and what the shell has to do. */
struct cconn {
    unsigned n_endpoints;                  /* in use */
    int64_t probe_ns;                      /* primary silence before probes */
    struct cconn_ep eps[CCONN_ENDPOINTS_MAX]; /* per endpoint */
    uint64_t open;                         /* probe slots to open */
    uint64_t close;                        /* probe slots to close */
    uint64_t reconnect;                    /* primary slots to make again */
};

/* Starts with n_endpoints primaries; probe_ns: the primary silence that
 * opens probes. */
void cconn_init(struct cconn *self, unsigned n_endpoints, int64_t probe_ns);

/* A message came on slot. Returns true when a probe just took over from a
 * silent primary (*silent_ms: how long it was silent). */
bool cconn_heard(struct cconn *self, unsigned slot, int64_t now_ns,
                 int64_t *silent_ms);

/* Works out what is due at now_ns (into open, close, reconnect); returns
 * when the next thing is (INT64_MAX: nothing). */
int64_t cconn_due(struct cconn *self, int64_t now_ns);

/* True while endpoint slot's primary is still to be made again (a message
 * it still held says it lives: then not). */
bool cconn_reconnect_ok(const struct cconn *self, unsigned slot);

/* True for a probe's slot (opened with probe options). */
bool cconn_is_probe(unsigned slot);

/* True when slot is a probe and its endpoint's primary is still the
 * connection that carries the stream: the probes are closing after the
 * primary spoke again (what the shell reads of them before it closes them
 * too), or one bridges and the primary is not made again yet
 * (CCONN_GRACE_MS). The primary then still brings, in order, what it
 * was sent before the probe subscribed, so a probe's tick ahead of it
 * must wait for it (client_core.c). */
bool cconn_primary_carries(const struct cconn *self, unsigned slot,
                           int64_t now_ns);

/* The endpoint index of slot. */
unsigned cconn_endpoint(unsigned slot);

#endif /* HAMD_CLIENT_CONN_H */
