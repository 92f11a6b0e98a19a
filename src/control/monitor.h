/* Health monitor shell (docs/failover.md): the I/O around health.c.
 *
 * Every node watches its own gateways: every check_interval_ms it builds
 * one observation per gateway from the supervisor (process), the gateway's
 * STATUS/HB (via the data plane) and the data plane's per-source
 * statistics (canary, staleness, latency), runs the pure state machine,
 * logs and counts every state change, raises gateway_state_changed events,
 * orders hard restarts, and tells the failover shell (on_health). Process
 * exits and STATUS disconnected/error are applied at once, not at the next
 * check, so a crash fails over within milliseconds.
 *
 * The monitor keeps the health of every account it is told to watch
 * (hamd_monitor_watch); whether its gateway should run is the node's
 * decision, which it asks for (gateway_running). */
#ifndef HAMD_MONITOR_H
#define HAMD_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/account.h"
#include "control/events.h"
#include "control/supervisor.h"
#include "core/health.h"
#include "core/sessions.h"
#include "dataplane/dataplane.h"
#include "hamd/gwproto.h"

struct hamd_monitor;

/* The monitor's parameters (control/params.c fills them). */
struct hamd_monitor_opts {
    struct hamd_health_params health;  /* thresholds of the state machine */
    unsigned check_interval_ms;        /* between periodic checks */
    const struct hamd_exchange_sessions *sessions; /* trading hours of the
                                          canaries' exchanges; not owned,
                                          must outlive the monitor */
    unsigned n_sessions;               /* entries of sessions */
    const int32_t *holidays;           /* [sessions] holidays: local dates,
                                          ascending; not owned */
    unsigned n_holidays;               /* entries of holidays */
};

/* What the monitor reads and acts through; the pointers must outlive
 * it. */
struct hamd_monitor_deps {
    uv_loop_t *loop;                   /* the control loop */
    struct hamd_supervisor *sup;       /* process states, hard restarts */
    struct hamd_dataplane *dp;         /* per-source statistics */
    struct hamd_events *events;        /* gateway_state_changed, _restarted */
    void *ud;                          /* passed to the callbacks */
    /* True while the node wants account's gateway to run (not stopped,
     * disabled or deleted). */
    bool (*gateway_running)(void *ud, const char *account);
    /* A gateway's health state changed: failover re-plans now, before
     * the state events are raised. */
    void (*on_health)(void *ud);
};

/* What the monitor knows of one watched gateway. */
struct hamd_monitor_view {
    enum hamd_health_state state;       /* its health machine's state */
    int64_t state_since_ns;             /* since when, monotonic */
    enum hamd_health_trigger trigger;   /* of the last state change */
    bool has_status;                    /* a STATUS came since launch */
    enum hamd_gw_state status;          /* the last STATUS */
    char detail[HAMD_GW_DETAIL_MAX];    /* its detail text */
    bool held;                          /* its last STATUS is error: not
                                           restarted nor relaunched until
                                           new params or an operator's
                                           restart (hamd_health_holds) */
    bool market_closed;                 /* every exchange it serves is
                                           closed and none opens soon (the
                                           trading calendar): a gateway down
                                           now is expected, not an alarm */
};

/* Creates the monitor (opts and deps are copied) and starts its check
 * timer. Returns NULL (and logs why) when the thresholds are
 * inconsistent or memory is short. */
struct hamd_monitor *hamd_monitor_new(const struct hamd_monitor_opts *opts,
                                      const struct hamd_monitor_deps *deps);

/* Stops the check timer (shutdown). */
void hamd_monitor_stop(struct hamd_monitor *self);

/* Frees the monitor; nulls *self. */
void hamd_monitor_destroy(struct hamd_monitor **self);

/* Watches account a (a fresh health machine the first time; later calls
 * take its new canary). Returns 0, or -1 when out of memory. */
int hamd_monitor_watch(struct hamd_monitor *self, const struct hamd_account *a);

/* Forgets account (deleted from the store). */
void hamd_monitor_forget(struct hamd_monitor *self, const char *account);

/* Fills *out with what is known of account. Returns false when the
 * account is not watched. */
bool hamd_monitor_gateway(const struct hamd_monitor *self, const char *account,
                          struct hamd_monitor_view *out);

/* The trading session of exchange now, as the canary check sees it
 * ([sessions], [health] timezone, Monday to Friday, the holidays):
 * UNCONFIGURED when it has no windows. *next_open_ns (unless NULL) gets
 * when a window opens next (epoch ns), 0 when none within the look-ahead
 * (docs/operations.md, "Trading calendar"). */
enum hamd_session_state hamd_monitor_session(const struct hamd_monitor *self,
                                             const char *exchange,
                                             int64_t *next_open_ns);

/* True when account's gateway is held (its last STATUS is error): the
 * supervisor does not relaunch it when it exits. */
bool hamd_monitor_holds(const struct hamd_monitor *self, const char *account);

/* Delay before relaunching account's gateway: the health machine's
 * backoff, which starts over once the gateway stayed HEALTHY. */
unsigned hamd_monitor_relaunch_delay_ms(struct hamd_monitor *self,
                                        const char *account);

/* Inputs from the supervisor and the data plane. */
void hamd_monitor_on_launch(struct hamd_monitor *self, const char *account,
                            int pid);
void hamd_monitor_on_exit(struct hamd_monitor *self, const char *account,
                          int status);
void hamd_monitor_on_status(struct hamd_monitor *self, const char *account,
                            const struct hamd_gw_status *status,
                            int64_t mono_ns);

#endif /* HAMD_MONITOR_H */
