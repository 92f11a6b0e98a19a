/* Private to hamd-gw-sim's I/O shell (sim.c, sim_hub.c, sim_control.c):
 * the sim object and the few functions its parts share. */
#ifndef GWSIM_SIM_INTERNAL_H
#define GWSIM_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <zmq.h>

#include "common/log.h"
#include "gw-sim/faults.h"
#include "gw-sim/out.h"
#include "gw-sim/params.h"
#include "gw-sim/sim.h"
#include "gw-sim/symtab.h"

struct gwsim {
    char account[HAMD_ACCOUNT_ID_MAX];  /* account id = routing identity */
    const struct gwsim_params *params;  /* settings (not owned) */
    void *zctx;                         /* ZMQ context */
    void *dealer;                       /* to the hub */
    void *control;                      /* REP control socket, or NULL */
    struct gwsim_out out;               /* outgoing messages and counters */
    struct gwsim_faults faults;         /* link state and active fault */
    struct gwsim_symtab *subs;          /* subscribed contracts */
    struct hamd_tick tick;              /* scratch tick: no malloc per tick */
    int64_t next_hb_ms;                 /* monotonic time of the next HB */
    size_t cursor;                      /* contract the next round starts at */
    int64_t next_tick_wall_ns;          /* earliest due tick, INT64_MAX: none */
    bool behind;                        /* due ticks were left for later */
    bool blocked;                       /* the send queue was full */
    bool stopping;                      /* STOP received */
    uint64_t hub_bad;                   /* malformed messages from the hub */
    uint64_t ignored_symbols;           /* subscriptions refused */
    struct hamd_log_rate hub_rate;      /* limits logs of bad hub messages */
    struct hamd_log_rate symbol_rate;   /* limits logs of refused symbols */
};

/* Returns the monotonic clock in ms. */
int64_t gwsim_mono_ms(void);

/* Carries out what the fault machine decided: STATUS messages, crash,
 * resync of the tick cursors. */
void gwsim_apply_effects(struct gwsim *self, const struct gwsim_effects *fx);

/* The crash fault: _exit(GWSIM_EXIT_CRASH) at once, like a segfault. */
void gwsim_crash_now(void) __attribute__((noreturn));

/* Reads and handles the hub's pending messages (sim_hub.c). */
void gwsim_hub_read(struct gwsim *self);

/* Serves one pending control request (sim_control.c). */
void gwsim_control_serve(struct gwsim *self);

#endif /* GWSIM_SIM_INTERNAL_H */
