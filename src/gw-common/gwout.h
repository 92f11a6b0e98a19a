/* A gateway's messages to the hub over its DEALER (docs/gateway-protocol.md),
 * shared by the C gateways (hamd-gw-sim, hamd-gw-replay), the counters of
 * what went out, and an optional tap copying the good ticks. Never blocks:
 * a full queue (the hub is not reading and the send high-water mark is
 * reached) is reported to the caller, which retries ticks later and drops
 * only heartbeats.
 *
 * Ticks go out as multi-body TICK messages (gwproto.h): the first tick
 * opens a message, later ones join it, and hamd_gwout_flush ends it. The
 * last body is held back until then, since only the last frame of a
 * message goes without ZMQ_SNDMORE. Every other message flushes first, so
 * the hub sees everything in the order it was produced.
 */
#ifndef HAMD_GWOUT_H
#define HAMD_GWOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hamd/gwproto.h"
#include "hamd/tick.h"

/* Tick bodies per TICK message: one ZeroMQ wake-up of the hub for this
 * many ticks, well within HAMD_GW_TICKS_PER_MSG_MAX. */
#define HAMD_GWOUT_TICKS_PER_MSG 64

/* What went out. */
struct hamd_gwout_counters {
    uint64_t ticks;     /* good ticks sent */
    uint64_t hb;        /* heartbeats sent */
    uint64_t status;    /* STATUS messages sent */
    uint64_t send_full; /* sends refused because the queue was full */
};

/* The outgoing side of a gateway. */
struct hamd_gwout {
    void *dealer;                         /* connected DEALER (not owned) */
    void *tap;                            /* PUB copying good ticks, or NULL
                                             (not owned) */
    struct hamd_gwout_counters counters;  /* totals since start */
    uint8_t body[HAMD_TICK_WIRE_MAX];     /* encoding scratch: no malloc */
    uint8_t ticks[2][HAMD_TICK_WIRE_MAX]; /* tick bodies: held and next */
    unsigned held;                        /* index in ticks of the held body */
    size_t held_len;                      /* its bytes; 0: no TICK open */
    unsigned batch;                       /* bodies of the open TICK message,
                                             the held one included */
};

/* Opens the gateway's DEALER in zctx: routing identity = account,
 * ZMQ_IMMEDIATE off (the hub may bind later), the given send high-water
 * mark (messages) and linger (ms), connected to endpoint. Returns the
 * socket, or NULL with errno set. */
void *hamd_gwout_dealer_open(void *zctx, const char *endpoint,
                             const char *account, int sndhwm_msgs,
                             int linger_ms);

/* Binds the outbox to a connected DEALER socket. */
void hamd_gwout_init(struct hamd_gwout *self, void *dealer);

/* Copies every good tick sent from now on to tap, a bound PUB socket
 * (NULL: stop), as [vt_symbol][body]: tests see what each gateway sent
 * (hamd-gw-sim's `tap` param). A tap reader that falls behind loses
 * copies, the hub nothing. */
void hamd_gwout_set_tap(struct hamd_gwout *self, void *tap);

/* Sends HELLO {account, pid, proto, gateway_type, token}, the token being
 * HAMD_GW_TOKEN of the environment: the launch token hamd gave this
 * process, without which the hub drops everything it sends. Returns 0 or
 * -1. */
int hamd_gwout_hello(struct hamd_gwout *self, const char *account, int64_t pid,
                     const char *gateway_type);

/* Sends STATUS {state, detail} (detail cut to fit). Returns 0 or -1. */
int hamd_gwout_status(struct hamd_gwout *self, enum hamd_gw_state state,
                      const char *detail);

/* Sends HB {ts_ns}. Returns 0 or -1 (dropped). */
int hamd_gwout_hb(struct hamd_gwout *self, int64_t ts_ns);

/* Encodes tick (no hub fields) into the open TICK message. Returns 0, -1
 * when the queue is full and nothing went out (retry the same tick later),
 * or 1 when the tick cannot be encoded (skip it: retrying cannot help). */
int hamd_gwout_tick(struct hamd_gwout *self, const struct hamd_tick *tick);

/* Sends [type][body] (single: [type] alone) after the open TICK message,
 * without blocking. Returns 0, or -1 when nothing was queued. */
int hamd_gwout_frames(struct hamd_gwout *self, const char *type,
                      const void *body, size_t body_len, bool single);

/* Ends the open TICK message, if any, so the hub gets it now. */
void hamd_gwout_flush(struct hamd_gwout *self);

#endif /* HAMD_GWOUT_H */
