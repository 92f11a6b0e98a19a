/* Private to hamd-gw-sim's I/O shell (sim.c, sim_hub.c, sim_control.c,
 * sim_upstream.c): the sim object and the few functions its parts share. */
#ifndef GWSIM_SIM_INTERNAL_H
#define GWSIM_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <zmq.h>

#include "common/log.h"
#include "gw-sim/emit.h"
#include "gw-sim/faults.h"
#include "gw-sim/out.h"
#include "gw-sim/params.h"
#include "gw-sim/sim.h"
#include "gw-sim/symtab.h"
#include "gw-sim/tickq.h"
#include "gw-sim/uplink.h"

/* Upstream mode (the `upstream` param): the link to the front. */
struct gwsim_upstream {
    void *dealer;                 /* DEALER to the front; NULL outside
                                     upstream mode or while reconnecting */
    void *monitor;                /* PAIR reporting its closed connection */
    uint64_t sockets;             /* DEALERs opened: names each monitor */
    struct gwsim_uplink link;     /* its watchdog */
    struct gwsim_tickq *queue;    /* ticks received, not yet forwarded */
    int64_t next_hb_ms;           /* monotonic time of the next HB to it */
    uint64_t received;            /* ticks queued for the hub */
    uint64_t discarded;           /* ticks dropped: not logged in, stalled */
    uint64_t unsubscribed;        /* ticks of contracts not subscribed */
    uint64_t bad;                 /* malformed messages from the front */
    uint64_t reconnects;          /* new connections after a lost link */
    struct hamd_log_rate bad_rate; /* limits logs of bad front messages */
};

struct gwsim {
    char account[HAMD_ACCOUNT_ID_MAX];  /* account id = routing identity */
    const struct gwsim_params *params;  /* settings (not owned) */
    void *zctx;                         /* ZMQ context */
    void *dealer;                       /* to the hub */
    void *control;                      /* REP control socket, or NULL */
    void *tap;                          /* PUB copy of the ticks, or NULL */
    struct gwsim_out out;               /* outgoing messages and counters */
    struct gwsim_faults faults;         /* link state and active fault */
    struct gwsim_symtab *subs;          /* subscribed contracts */
    struct gwsim_emit emit;             /* in-process delivery; its behind,
                                           blocked and next_due_ns also
                                           pace upstream forwarding */
    struct gwsim_upstream up;           /* upstream mode */
    int64_t round_wall_ns;              /* wall time of the current round */
    uint64_t jitter_rng;                /* xorshift64 state of the jitter
                                           fault's delays, never 0 */
    int64_t next_hb_ms;                 /* monotonic time of the next HB */
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

/* Closes the sockets other than the hub DEALER and the control socket
 * (upstream, tap), so that zmq_ctx_term cannot wait on them. */
void gwsim_close_aux(struct gwsim *self);

/* Reads and handles the hub's pending messages (sim_hub.c). */
void gwsim_hub_read(struct gwsim *self);

/* Serves one pending control request (sim_control.c). */
void gwsim_control_serve(struct gwsim *self);

/* Upstream mode (sim_upstream.c). */

/* True when the sim forwards a front's ticks (the `upstream` param). */
static inline bool gwsim_upstream_mode(const struct gwsim *self)
{
    return self->params->upstream[0] != '\0';
}

/* Opens the DEALER to the front and the forwarding queue. Returns 0, or
 * -1 with errno set. */
int gwsim_upstream_open(struct gwsim *self);

/* Starts the link watchdog at now_ms. */
void gwsim_upstream_start(struct gwsim *self, int64_t now_ms);

/* Timers at now_ms: the link watchdog and the HB to the front. */
void gwsim_upstream_advance(struct gwsim *self, int64_t now_ms);

/* Reads and handles the front's pending messages. */
void gwsim_upstream_read(struct gwsim *self);

/* Reads the DEALER monitor's events: a closed connection loses the link. */
void gwsim_upstream_monitor_read(struct gwsim *self);

/* Forwards the received ticks due at wall_ns to the hub; sets the emit
 * pacing fields as an in-process round would. */
void gwsim_upstream_forward(struct gwsim *self, int64_t wall_ns);

/* Earliest monotonic ms the upstream timers need the loop, or INT64_MAX. */
int64_t gwsim_upstream_next_due_ms(const struct gwsim *self);

/* Sends SUBSCRIBE with every contract subscribed here to the front. */
void gwsim_upstream_subscribe_all(struct gwsim *self);

/* Passes a hub UNSUBSCRIBE body (already validated) on to the front. */
void gwsim_upstream_unsubscribe(struct gwsim *self, const void *body,
                                size_t len);

/* The STATUS detail of a lost link ("front ... silent for N ms") into
 * buf, or false when the link is not what is down. */
bool gwsim_upstream_loss_detail(const struct gwsim *self, char *buf,
                                size_t cap);

/* Closes the DEALER to the front and frees the queue. */
void gwsim_upstream_close(struct gwsim *self);

#endif /* GWSIM_SIM_INTERNAL_H */
