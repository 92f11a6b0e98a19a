/* Messages from the simulator to the hub: the gateway outbox of
 * gw-common/gwout.h plus what the sim's faults send instead of, or after,
 * good ticks (badmsg.h), and the counters of those.
 */
#ifndef GWSIM_OUT_H
#define GWSIM_OUT_H

#include <stdint.h>

#include "gw-common/gwout.h"
#include "gw-sim/faults.h"

/* The outgoing side of the simulator. */
struct gwsim_out {
    struct hamd_gwout gw; /* messages and their counters */
    uint64_t garbage;     /* malformed messages sent (garbage fault) */
    uint64_t wrong;       /* wrong ticks sent (wrong fault) */
};

/* Binds the outbox to a connected DEALER socket. */
void gwsim_out_init(struct gwsim_out *self, void *dealer);

/* Sends HELLO {account, pid, proto, gateway_type "sim"}. Returns 0 or -1. */
int gwsim_out_hello(struct gwsim_out *self, const char *account, int64_t pid);

/* Sends tick n as the fault dictates: good, into the open TICK message
 * (plus one garbage message under the garbage fault), or a wrong tick
 * instead (wrong fault). Returns 0, or -1 when the queue is full and
 * nothing went out: retry the same n later. Call hamd_gwout_flush when no
 * tick follows at once. */
int gwsim_out_tick(struct gwsim_out *self, const struct hamd_tick *tick,
                   int64_t n, enum gwsim_fault fault);

#endif /* GWSIM_OUT_H */
