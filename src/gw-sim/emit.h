/* Delivery of the simulated feed: which ticks of the subscribed contracts
 * are due at a wall time, handed in order to a sink. PURE: the caller
 * reads the clock and passes it in; the sink does the I/O (the in-process
 * sim's sink sends to the hub, a front's sends to its clients).
 *
 * The rules (docs/gw-sim.md, "Delivery rules"): every tick from a
 * contract's last sent + 1 up to n(now) is delivered, none twice; falling
 * behind is caught up in bursts of GWSIM_EMIT_BURST_TICKS per contract
 * and GWSIM_EMIT_BUDGET_TICKS per round, so the caller serves its sockets
 * in between; a round that stopped early resumes at the contract it
 * stopped at, so a budget cut never starves the same contracts. With a
 * max_lag, ticks older than that are skipped instead of caught up (a
 * front does not replay what it missed while it was stopped).
 */
#ifndef GWSIM_EMIT_H
#define GWSIM_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw-sim/symtab.h"
#include "hamd/tick.h"

/* Ticks delivered per round, and per contract within it: a wall clock
 * jump or a slow reader is caught up over several rounds, so commands
 * and heartbeats are still served in between. */
#define GWSIM_EMIT_BUDGET_TICKS 5000
#define GWSIM_EMIT_BURST_TICKS 100 /* ... of one contract */

/* Takes tick n (in *tick, localtime_ns 0: the sink stamps it). Returns 0,
 * or -1 when it cannot take it now (a full queue): the round stops and
 * the same tick comes first next time. */
typedef int (*gwsim_emit_sink)(void *ud, struct hamd_tick *tick, int64_t n);

/* The delivery state across rounds. Plain value: embed it. */
struct gwsim_emit {
    int64_t max_lag_ns;     /* skip ticks due longer ago; 0: never skip */
    size_t cursor;          /* contract the next round starts at */
    int64_t next_due_ns;    /* earliest wall time a tick is due after the
                               last round; INT64_MAX: none */
    bool behind;            /* due ticks were left for a later round */
    bool blocked;           /* the sink refused a tick */
    uint64_t skipped;       /* ticks skipped for being too late */
    struct hamd_tick tick;  /* scratch: no malloc per tick */
};

/* Prepares the state; max_lag_ns 0 catches every tick up. */
void gwsim_emit_init(struct gwsim_emit *self, int64_t max_lag_ns);

/* One round at wall time wall_ns, ticks delivered delay_ns late (the slow
 * fault). Afterwards next_due_ns, behind and blocked tell the caller how
 * long it may wait before the next round. */
void gwsim_emit_round(struct gwsim_emit *self, struct gwsim_symtab *subs,
                      int64_t wall_ns, int64_t delay_ns, gwsim_emit_sink sink,
                      void *ud);

/* No round now (ticks do not flow): nothing is due until they do. */
void gwsim_emit_idle(struct gwsim_emit *self);

/* Moves every contract to the current tick at wall_ns: the gap after a
 * stall or a reconnect is never delivered, as with a real feed. */
void gwsim_emit_resync(struct gwsim_symtab *subs, int64_t wall_ns);

#endif /* GWSIM_EMIT_H */
