/* Messages from the simulator to the hub over its DEALER socket, and the
 * counters of what went out. Never blocks: a full queue (the hub is not
 * reading and the send high-water mark is reached) is reported to the
 * caller, which retries ticks later and drops only heartbeats/garbage.
 *
 * Good ticks go out as multi-body TICK messages (gwproto.h): the first
 * tick opens a message, later ones join it, and gwsim_out_flush ends it.
 * The last body is held back until then, since only the last frame of a
 * message goes without ZMQ_SNDMORE. Every other message flushes first, so
 * the hub sees everything in the order it was produced.
 */
#ifndef GWSIM_OUT_H
#define GWSIM_OUT_H

#include <stdint.h>

#include "gw-sim/faults.h"
#include "hamd/gwproto.h"
#include "hamd/tick.h"

/* Tick bodies per TICK message: one ZeroMQ wake-up for this many ticks,
 * well within HAMD_GW_TICKS_PER_MSG_MAX. */
#define GWSIM_TICKS_PER_MSG 64

/* What went out, reported by the control endpoint's "status". */
struct gwsim_counters {
    uint64_t ticks;        /* good ticks sent */
    uint64_t garbage;      /* malformed messages sent (garbage fault) */
    uint64_t wrong;        /* wrong ticks sent (wrong fault) */
    uint64_t hb;           /* heartbeats sent */
    uint64_t status;       /* STATUS messages sent */
    uint64_t send_full;    /* sends refused because the queue was full */
};

/* The outgoing side of the gateway. */
struct gwsim_out {
    void *dealer;                        /* connected DEALER (not owned) */
    void *tap;                           /* PUB copying good ticks, or NULL
                                            (not owned) */
    struct gwsim_counters counters;      /* totals since start */
    uint8_t body[HAMD_TICK_WIRE_MAX];    /* encoding scratch: no malloc */
    uint8_t ticks[2][HAMD_TICK_WIRE_MAX]; /* tick bodies: held and next */
    unsigned held;                       /* index in ticks of the held body */
    size_t held_len;                     /* its bytes; 0: no TICK open */
    unsigned batch;                      /* bodies of the open TICK message,
                                            the held one included */
};

/* Binds the outbox to a connected DEALER socket. */
void gwsim_out_init(struct gwsim_out *self, void *dealer);

/* Copies every good tick sent from now on to tap, a bound PUB socket, as
 * [vt_symbol][body] (the `tap` param: tests see what each gateway sent). */
void gwsim_out_set_tap(struct gwsim_out *self, void *tap);

/* Sends HELLO {account, pid, proto, gateway_type "sim"}. Returns 0 or -1. */
int gwsim_out_hello(struct gwsim_out *self, const char *account, int64_t pid);

/* Sends STATUS {state, detail}. Returns 0 or -1. */
int gwsim_out_status(struct gwsim_out *self, enum hamd_gw_state state,
                     const char *detail);

/* Sends HB {ts_ns}. Returns 0 or -1 (dropped). */
int gwsim_out_hb(struct gwsim_out *self, int64_t ts_ns);

/* Sends tick n as the fault dictates: good, into the open TICK message
 * (plus one garbage message under the garbage fault), or a wrong tick
 * instead (wrong fault). Returns 0, or -1 when the queue is full and
 * nothing went out: retry the same n later. Call gwsim_out_flush when no
 * tick follows at once. */
int gwsim_out_tick(struct gwsim_out *self, const struct hamd_tick *tick,
                   int64_t n, enum gwsim_fault fault);

/* Ends the open TICK message, if any, so the hub gets it now. */
void gwsim_out_flush(struct gwsim_out *self);

#endif /* GWSIM_OUT_H */
