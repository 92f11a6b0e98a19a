/* Per-gateway health state machine (docs/failover.md). Pure: no I/O, no clock.
 *
 * The I/O shell fills a struct hamd_health_obs every check_interval_ms
 * and calls hamd_health_check(); on an immediate event (the process exited,
 * a STATUS disconnected/error arrived) it calls hamd_health_event() at once
 * with the same observation, so failover does not wait for the next check.
 *
 *   hard failures (no hysteresis, both entry points):
 *     stopped or disabled            -> STOPPED       "stopped"
 *     kill or relaunch under way     -> RESTARTING    "restarting"
 *     process not alive              -> DISCONNECTED  "process_exit"
 *                                       (RESTARTING if a relaunch is pending)
 *     STATUS disconnected / error    -> DISCONNECTED  "disconnected" /
 *                                                     "gateway_error"
 *     not logged in any more while HEALTHY/UNHEALTHY -> DISCONNECTED
 *   not logged in yet (fresh start)  -> CONNECTING
 *   soft checks (periodic only), each failing check counts one failure:
 *     heartbeat older than hb_timeout_ms               "heartbeat_timeout"
 *     canary older than canary_timeout_ms in session    "canary_timeout"
 *     behind the freshest source by more than stale_ms  "stale"
 *     exchange->receive latency above latency_ms        "latency"
 *     malformed_max or more malformed messages           "malformed"
 *     fail_threshold consecutive failing checks  -> UNHEALTHY
 *     recover_threshold consecutive good checks  -> HEALTHY "recovered"
 *   hard restart: UNHEALTHY/DISCONNECTED for restart_after_ms (process
 *     alive, last check not good), or CONNECTING for connect_timeout_ms
 *     -> result.restart, state RESTARTING. Outside every trading session
 *     of the gateway's exchanges (obs.closed) both wait at least
 *     closed_restart_after_ms: a front that closes at night does not
 *     cause a restart every few seconds all night. Relaunch delays back
 *     off exponentially (hamd_health_relaunch_delay_ms).
 *   hold: while the last STATUS of the gateway's process is `error` (it
 *     cannot work with these params: a refused login, bad params) neither
 *     rule restarts it, and the shell does not relaunch it when it exits
 *     (hamd_health_holds): every relaunch would log in again with the same
 *     params, and brokers lock an account after a few failed logins
 *     (docs/gateway-protocol.md, "STATUS"). The hold ends with the next
 *     launch (params changed, or an operator's start/restart).
 *
 * All *_ns values of one object are in one clock: the shell's monotonic
 * clock (src/common/clock.h, hamd_mono_ns).
 */
#ifndef HAMD_HEALTH_H
#define HAMD_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hamd/gwproto.h"

/* ------------------------------------------------------------------------
 * Defaults
 * ------------------------------------------------------------------------ */

/* Defaults of docs/failover.md and config/config.h. */
#define HAMD_HEALTH_FAIL_THRESHOLD 3          /* bad checks -> UNHEALTHY */
#define HAMD_HEALTH_RECOVER_THRESHOLD 5       /* good checks -> HEALTHY */
#define HAMD_HEALTH_HB_TIMEOUT_MS 3000        /* heartbeat silence */
#define HAMD_HEALTH_CANARY_TIMEOUT_MS 5000    /* canary silence in session */
#define HAMD_HEALTH_STALE_MS 1000             /* behind the freshest source */
#define HAMD_HEALTH_LATENCY_MS 2000           /* exchange -> receive */
#define HAMD_HEALTH_MALFORMED_MAX 1           /* bad messages per check */
#define HAMD_HEALTH_RESTART_AFTER_MS 5000     /* trouble -> hard restart */
#define HAMD_HEALTH_CONNECT_TIMEOUT_MS 30000  /* never logged in -> restart */
#define HAMD_HEALTH_BACKOFF_MIN_MS 200        /* first relaunch delay */
#define HAMD_HEALTH_BACKOFF_MAX_MS 30000      /* relaunch delay cap */
#define HAMD_HEALTH_BACKOFF_RESET_MS 60000    /* HEALTHY this long: reset */
#define HAMD_HEALTH_CLOSED_RESTART_MS 600000  /* trouble outside sessions */

/* ------------------------------------------------------------------------
 * States, observations, outcomes
 * ------------------------------------------------------------------------ */

enum hamd_health_state {
    HAMD_HEALTH_CONNECTING = 0, /* launched, not logged in / not proven */
    HAMD_HEALTH_HEALTHY,        /* logged in, soft checks good */
    HAMD_HEALTH_UNHEALTHY,      /* logged in, soft checks failing */
    HAMD_HEALTH_DISCONNECTED,   /* lost its session or its process */
    HAMD_HEALTH_RESTARTING,     /* being killed or waiting to relaunch */
    HAMD_HEALTH_STOPPED,        /* operator-stopped or disabled */
};

#define HAMD_HEALTH_N_STATES 6 /* values of enum hamd_health_state */

/* Why a state changed: docs/failover.md health_trigger. */
enum hamd_health_trigger {
    HAMD_TRIG_NONE = 0,        /* "none" */
    HAMD_TRIG_PROCESS_EXIT,    /* "process_exit" */
    HAMD_TRIG_DISCONNECTED,    /* "disconnected": STATUS or lost login */
    HAMD_TRIG_GATEWAY_ERROR,   /* "gateway_error": STATUS error */
    HAMD_TRIG_HB_TIMEOUT,      /* "heartbeat_timeout" */
    HAMD_TRIG_CANARY_TIMEOUT,  /* "canary_timeout" */
    HAMD_TRIG_STALE,           /* "stale" */
    HAMD_TRIG_LATENCY,         /* "latency" */
    HAMD_TRIG_RECOVERED,       /* "recovered" */
    HAMD_TRIG_CONNECTING,      /* "connecting": (re)launched */
    HAMD_TRIG_CONNECT_TIMEOUT, /* "connect_timeout": restart from CONNECTING */
    HAMD_TRIG_HARD_RESTART,    /* "hard_restart": restart decided */
    HAMD_TRIG_RESTARTING,      /* "restarting": kill/relaunch under way */
    HAMD_TRIG_STOPPED,         /* "stopped" */
    HAMD_TRIG_MALFORMED,       /* "malformed": sends bad messages */
};

/* Thresholds; 0 in stale_ms, latency_ms, malformed_max or restart_after_ms turns that
 * rule off. Fill with hamd_health_params_default (the shell: hamd_params_health). */
struct hamd_health_params {
    unsigned fail_threshold;     /* consecutive bad checks -> UNHEALTHY */
    unsigned recover_threshold;  /* consecutive good checks -> HEALTHY */
    unsigned hb_timeout_ms;      /* heartbeat older than this: bad */
    unsigned canary_timeout_ms;  /* canary older than this in session: bad */
    unsigned stale_ms;           /* behind the freshest by more: bad */
    unsigned latency_ms;         /* exchange->receive above this: bad */
    unsigned malformed_max;      /* this many malformed messages in one
                                    check interval: bad */
    unsigned restart_after_ms;   /* UNHEALTHY/DISCONNECTED this long: restart */
    unsigned closed_restart_after_ms; /* ... and outside sessions (obs.closed)
                                    at least this long, CONNECTING too;
                                    0 = as in session */
    unsigned connect_timeout_ms; /* CONNECTING this long: restart */
    unsigned backoff_min_ms;     /* delay before the first relaunch */
    unsigned backoff_max_ms;     /* cap of the doubling delay */
    unsigned backoff_reset_ms;   /* HEALTHY this long: delays start over */
};

/* What the shell saw, filled before each check or event. */
struct hamd_health_obs {
    int64_t now_ns;            /* time of this check (monotonic) */
    bool stopped;              /* operator-stopped or disabled account */
    bool process_alive;        /* the gateway process runs */
    bool restart_pending;      /* a kill or a delayed relaunch is under way */
    int64_t started_ns;        /* launch time of the current process */
    bool has_status;           /* a STATUS came from the current process */
    enum hamd_gw_state status; /* its last STATUS state */
    int64_t status_since_ns;   /* when it entered that state (not resent) */
    int64_t last_hb_ns;        /* last HB of this process, 0 = none yet */
    bool canary_in_session;    /* has a canary, its exchange is OPEN */
    int64_t session_open_ns;   /* when that session window opened */
    int64_t canary_tick_ns;    /* last canary tick received, 0 = none */
    unsigned stale_ms;         /* behind the freshest source on the same
                                  contracts; 0 when nothing to compare */
    unsigned latency_ms;       /* exchange->receive latency (EWMA) */
    unsigned ticks;            /* ticks received since the previous check;
                                  latency is judged only when > 0 */
    unsigned malformed;        /* messages dropped as malformed since the
                                  previous check */
    bool closed;               /* every exchange it serves is outside its
                                  sessions, and none opens soon: hard
                                  restarts wait closed_restart_after_ms */
};

/* Outcome of one check or event. */
struct hamd_health_result {
    enum hamd_health_state prev;      /* state before */
    enum hamd_health_state state;     /* state after */
    bool changed;                     /* state != prev */
    enum hamd_health_trigger trigger; /* why it changed; NONE if it did not */
    enum hamd_health_trigger failing; /* first soft check failing now, or
                                         NONE (periodic checks only) */
    bool restart;                     /* hard restart due: kill the process
                                         and relaunch it after
                                         hamd_health_relaunch_delay_ms() */
    bool held;                        /* hamd_health_holds(obs): no hard
                                         restart, no relaunch after an exit */
};

/* Running totals of one machine (hamd_health_counters). Only the unit
 * tests read them so far: /metrics does not export them. */
struct hamd_health_counters {
    uint64_t checks;        /* periodic checks evaluated */
    uint64_t failed_checks; /* periodic checks with a failing soft check */
    uint64_t state_changes; /* transitions */
    uint64_t hard_restarts; /* restart decisions of this machine */
    uint64_t relaunches;    /* relaunch delays handed out (any cause) */
};

struct hamd_health;

/* ------------------------------------------------------------------------
 * The machine
 * ------------------------------------------------------------------------ */

/* Fills p with the defaults above. */
void hamd_health_params_default(struct hamd_health_params *p);

/* Returns true when p is usable; otherwise false with a message in err. */
bool hamd_health_params_check(const struct hamd_health_params *p, char *err,
                              size_t err_cap);

/* Creates a machine in CONNECTING since now_ns with a copy of p. Returns
 * NULL when p is invalid (see hamd_health_params_check) or out of memory. */
struct hamd_health *hamd_health_new(const struct hamd_health_params *p,
                                    int64_t now_ns);

/* Frees the machine and sets *self to NULL. */
void hamd_health_destroy(struct hamd_health **self);

/* Periodic check: applies hard rules, soft checks with hysteresis and the
 * hard-restart rule to obs; fills *res. */
void hamd_health_check(struct hamd_health *self,
                       const struct hamd_health_obs *obs,
                       struct hamd_health_result *res);

/* Immediate event: applies the hard rules only (no soft check, no
 * counting), so an exit or a disconnect takes effect at once; fills *res. */
void hamd_health_event(struct hamd_health *self,
                       const struct hamd_health_obs *obs,
                       struct hamd_health_result *res);

/* True when a gateway whose last STATUS (since its launch) is has_status /
 * status must be held: not restarted by the timers, not relaunched when
 * its process exits (the hold rule above). */
bool hamd_health_holds(bool has_status, enum hamd_gw_state status);

/* Returns the delay before the relaunch the shell is scheduling (crash or
 * hard restart) and counts it: backoff_min_ms doubled per relaunch since
 * the source last stayed HEALTHY for backoff_reset_ms, capped. */
unsigned hamd_health_relaunch_delay_ms(struct hamd_health *self);

/* Returns min_ms * 2^level, at most max_ms (no overflow). */
unsigned hamd_health_backoff_delay_ms(unsigned min_ms, unsigned max_ms,
                               unsigned level);

/* Returns the current state. */
enum hamd_health_state hamd_health_state(const struct hamd_health *self);

/* Returns when the current state was entered (for HEALTHY: healthy since). */
int64_t hamd_health_since_ns(const struct hamd_health *self);

/* Returns the trigger of the last state change (NONE before any). */
enum hamd_health_trigger hamd_health_last_trigger(
    const struct hamd_health *self);

/* Returns the running counters. */
const struct hamd_health_counters *hamd_health_counters(
    const struct hamd_health *self);

/* Returns "CONNECTING", "HEALTHY", ... (JSON form), "UNKNOWN" if invalid. */
const char *hamd_health_state_name(enum hamd_health_state state);

/* Returns "process_exit", "canary_timeout", ..., "unknown" if invalid. */
const char *hamd_health_trigger_name(enum hamd_health_trigger trigger);

#endif /* HAMD_HEALTH_H */
