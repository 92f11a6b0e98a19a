/* The simulator's connection and fault state machine: PURE.
 *
 * It owns the STATUS the simulated gateway reports (connecting, connected,
 * logged_in, disconnected) and the active fault. Inputs are a fault
 * request or the passage of time (a monotonic `now_ms` the caller reads);
 * output is a struct gwsim_effects telling the I/O shell which STATUS
 * messages to send, whether to crash, and whether ticks skip over a gap.
 *
 *   none        normal operation
 *   crash       exit at once with GWSIM_EXIT_CRASH, like a segfault
 *   stall       alive, HBs and logged_in continue, no ticks; the feed keeps
 *               advancing, so leaving the stall resumes at the current tick
 *   disconnect  STATUS disconnected, no ticks, no HBs; after reconnect_ms
 *               (ARG, or the reconnect_ms param; never by default) it logs in
 *               again and resumes at the current tick
 *   garbage     a malformed message after every good tick
 *   slow        every tick delivered ARG ms late (default 2000)
 *   jitter      every tick delivered 0..ARG ms late, drawn afresh for
 *               each delivery round (default 5), never out of order: two
 *               sims of one feed then race like two real lines
 *   wrong       wrong ticks (negative price, no exchange, string datetime)
 *               instead of good ones
 *
 * In upstream mode (cfg.upstream: ticks come from a front, frontproto.h)
 * the link to the front is a second input: the gateway is `connected`
 * only while the front answers, `disconnected` when it goes silent (HBs
 * to the hub go on: the process is alive), and logs in again when it
 * comes back.
 */
#ifndef GWSIM_FAULTS_H
#define GWSIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hamd/gwproto.h"

#define GWSIM_EXIT_CRASH 3          /* exit code of the crash fault */
#define GWSIM_SLOW_DEFAULT_MS 2000  /* slow fault delay without ARG */
#define GWSIM_JITTER_DEFAULT_MS 5   /* jitter fault's largest delay */
#define GWSIM_FAULT_ARG_MAX_MS 86400000 /* largest ARG accepted: one day */
#define GWSIM_NEVER_MS (-1)         /* "no such timer" */
#define GWSIM_STATUS_BURST_MAX 8    /* STATUS messages one step can emit */

enum gwsim_fault {
    GWSIM_FAULT_NONE = 0,
    GWSIM_FAULT_CRASH,
    GWSIM_FAULT_STALL,
    GWSIM_FAULT_DISCONNECT,
    GWSIM_FAULT_GARBAGE,
    GWSIM_FAULT_SLOW,
    GWSIM_FAULT_WRONG,
    GWSIM_FAULT_JITTER,
    GWSIM_FAULT_COUNT, /* number of faults: keep last */
};

/* Fixed settings of the machine, from the params. */
struct gwsim_fault_cfg {
    int64_t login_ms;          /* connected -> logged_in delay */
    int64_t reconnect_ms;      /* disconnect length; NEVER: until "none" */
    enum gwsim_fault initial;  /* fault armed at start */
    int64_t initial_arg_ms;    /* its ARG; GWSIM_NEVER_MS = default */
    int64_t initial_after_ms;  /* ... switched on this long after start */
    bool upstream;             /* ticks come from a front: connected only
                                  while its link is up */
};

/* What the I/O shell must do after one step of the machine. */
struct gwsim_effects {
    unsigned n_status;                                  /* STATUS to send */
    enum hamd_gw_state status[GWSIM_STATUS_BURST_MAX];  /* ... in this order */
    bool crash;   /* exit now with GWSIM_EXIT_CRASH */
    bool resync;  /* ticks resume at the current n, skipping the gap */
};

/* The machine. Plain value: embed it, no allocation. */
struct gwsim_faults {
    struct gwsim_fault_cfg cfg;  /* settings */
    enum gwsim_fault fault;      /* active fault */
    int64_t arg_ms;              /* its effective ARG (slow delay, reconnect) */
    int64_t since_ms;            /* when it became active */
    int64_t initial_at_ms;       /* when the initial fault fires; NEVER: done */
    enum hamd_gw_state link;     /* state last reported by STATUS */
    int64_t login_at_ms;         /* connected -> logged_in; NEVER: none */
    bool upstream_up;            /* upstream mode: the front link is up */
};

/* Returns the wire name of a fault ("stall", ...). */
const char *gwsim_fault_name(enum gwsim_fault fault);

/* Parses a fault name. Returns 0 and sets *out, or -1 if unknown. */
int gwsim_fault_parse(const char *name, enum gwsim_fault *out);

/* True when the fault takes an ARG in ms (slow: delay, jitter: largest
 * delay, disconnect: reconnect time). */
bool gwsim_fault_takes_arg(enum gwsim_fault fault);

/* Parses "NAME [ARG]" (ARG: integer ms, only for slow, jitter and
 * disconnect).
 * Returns 0 and sets *fault and *arg_ms (GWSIM_NEVER_MS when absent), or
 * -1 with a message in err. */
int gwsim_fault_spec_parse(const char *spec, enum gwsim_fault *fault,
                           int64_t *arg_ms, char *err, size_t errcap);

/* Starts the machine at now_ms: reports connecting, connected (and
 * logged_in at once when login_ms is 0) and arms the initial fault, which
 * fires in the same call when its delay is 0. In upstream mode it reports
 * connecting only: connected waits for the front (gwsim_faults_upstream). */
void gwsim_faults_start(struct gwsim_faults *self,
                        const struct gwsim_fault_cfg *cfg, int64_t now_ms,
                        struct gwsim_effects *fx);

/* Switches to fault (arg_ms: GWSIM_NEVER_MS = default). A manual switch
 * cancels a still-armed initial fault. */
void gwsim_faults_set(struct gwsim_faults *self, enum gwsim_fault fault,
                      int64_t arg_ms, int64_t now_ms, struct gwsim_effects *fx);

/* Upstream mode: the front link went up or down at now_ms. Down reports
 * disconnected and cancels a pending login; up reports connected, then
 * logged_in after login_ms. Under the disconnect fault nothing is
 * reported: leaving the fault connects if the link is up by then. */
void gwsim_faults_upstream(struct gwsim_faults *self, bool up, int64_t now_ms,
                           struct gwsim_effects *fx);

/* Applies the timers due at now_ms: login, initial fault, reconnect. */
void gwsim_faults_advance(struct gwsim_faults *self, int64_t now_ms,
                          struct gwsim_effects *fx);

/* Returns the next time advance() has something to do, or INT64_MAX. */
int64_t gwsim_faults_next_due_ms(const struct gwsim_faults *self);

/* True when ticks flow: logged in and not stalled. */
bool gwsim_faults_ticks_flow(const struct gwsim_faults *self);

/* True when heartbeats flow: under every fault but disconnect (a lost
 * front link keeps them: the gateway process is alive). */
bool gwsim_faults_hb_flow(const struct gwsim_faults *self);

/* Returns how late ticks are delivered, in ms (slow fault; else 0). */
int64_t gwsim_faults_delay_ms(const struct gwsim_faults *self);

/* How late this round's ticks are delivered, in ns: the slow delay, or
 * under jitter a draw in 0..ARG ms from *rng (xorshift64 state, never 0),
 * which it advances. */
int64_t gwsim_faults_round_delay_ns(const struct gwsim_faults *self,
                                    uint64_t *rng);

#endif /* GWSIM_FAULTS_H */
