/* The link watchdog of a gateway in upstream mode: PURE.
 *
 * A front (frontproto.h) sends something at least every GWSIM_FRONT_HB_MS.
 * When it has been silent for timeout_ms the link counts as lost, as CTP's
 * MdApi calls OnFrontDisconnected when the front's heartbeats stop; the
 * next message from the front brings it back. Inputs are "a message came"
 * and the passage of time (a monotonic now_ms the caller reads); outputs
 * are the UP and DOWN transitions, which the I/O shell turns into STATUS
 * messages (through faults.h), a new connection and a new SUBSCRIBE.
 *
 * A connection the front closes (its process ended) is lost at once, as
 * CTP reports a closed socket without waiting for heartbeats.
 *
 * The link starts down and never heard from: a gateway is not connected
 * before the front has answered once.
 */
#ifndef GWSIM_UPLINK_H
#define GWSIM_UPLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "gw-sim/frontproto.h"

/* Default link_timeout_ms: five missed front heartbeats. */
#define GWSIM_LINK_TIMEOUT_DEFAULT_MS (5 * GWSIM_FRONT_HB_MS)
/* Smallest link_timeout_ms accepted: two heartbeats, or the link would
 * flap on every late one. */
#define GWSIM_LINK_TIMEOUT_MIN_MS (2 * GWSIM_FRONT_HB_MS)

enum gwsim_uplink_event {
    GWSIM_UPLINK_NONE = 0, /* nothing changed */
    GWSIM_UPLINK_UP,       /* the front answered: connected again */
    GWSIM_UPLINK_DOWN,     /* the front went silent: disconnected */
};

/* The watchdog. Plain value: embed it, no allocation. */
struct gwsim_uplink {
    int64_t timeout_ms;  /* silence that counts as a lost link */
    bool up;             /* the front was heard within timeout_ms */
    int64_t last_rx_ms;  /* when it was last heard; the start time before */
    int64_t changed_ms;  /* when `up` last changed, or the start time */
    uint64_t ups;        /* down -> up transitions (the first one too) */
    uint64_t losses;     /* up -> down transitions */
    bool closed;         /* the last loss was a closed connection, not a
                            silence */
};

/* Starts the watchdog at now_ms: down, nothing heard yet. */
void gwsim_uplink_start(struct gwsim_uplink *self, int64_t timeout_ms,
                        int64_t now_ms);

/* A message from the front arrived at now_ms. Returns UP when it brings
 * the link back (or up for the first time), else NONE. */
enum gwsim_uplink_event gwsim_uplink_rx(struct gwsim_uplink *self,
                                        int64_t now_ms);

/* Applies the timeout at now_ms. Returns DOWN when the front has just
 * been silent for timeout_ms, else NONE. */
enum gwsim_uplink_event gwsim_uplink_advance(struct gwsim_uplink *self,
                                             int64_t now_ms);

/* The front closed the connection at now_ms. Returns DOWN when the link
 * was up, else NONE. */
enum gwsim_uplink_event gwsim_uplink_closed(struct gwsim_uplink *self,
                                            int64_t now_ms);

/* Returns when advance() may next report DOWN, or INT64_MAX (link down). */
int64_t gwsim_uplink_next_due_ms(const struct gwsim_uplink *self);

/* Returns for how long the front has been silent at now_ms, in ms. */
int64_t gwsim_uplink_silent_ms(const struct gwsim_uplink *self,
                               int64_t now_ms);

#endif /* GWSIM_UPLINK_H */
