/* Admin HTTP API (docs/api.md) on the control loop, with libh2o (libuv
 * build): probes, /metrics, /api/status and the operator API. Writes are
 * submitted through Raft and answered after commit; a follower forwards
 * them to the leader.
 *
 * The admin API sees the node through struct hamd_admin_deps only: the
 * objects of the rooms below it (the configuration, the consensus layer,
 * the store, the data plane's statistics) and callbacks for what the
 * control loop owns (its gateways, the publishing flag, the failover
 * shell). A new need is one more field there. */
#ifndef HAMD_ADMIN_H
#define HAMD_ADMIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/account.h"
#include "common/vault.h"
#include "config/config.h"
#include "core/coverage.h"
#include "core/health.h"
#include "core/sessions.h"
#include "dataplane/dataplane.h"
#include "hamd/gwproto.h"
#include "raft/cluster.h"
#include "raft/store.h"

#define HAMD_ADMIN_EXIT_MAX 64 /* bytes of a gateway's last exit reason */
#define HAMD_ADMIN_SESSIONS_MAX 64 /* exchanges GET /api/status lists */

struct hamd_admin;

/* One gateway of this node as GET /api/status and /metrics show it. */
struct hamd_admin_gw {
    char account[HAMD_ACCOUNT_ID_MAX];   /* its account id */
    bool enabled;                        /* the account is enabled */
    int priority;                        /* the account's priority, 1 = best */
    bool running;                        /* the node runs its gateway */
    bool has_state;                      /* a health machine watches it */
    enum hamd_health_state state;        /* its health state (has_state) */
    int64_t state_since_ns;              /* since when, monotonic */
    bool has_status;                     /* a STATUS came since launch */
    enum hamd_gw_state status;           /* the last STATUS */
    char detail[HAMD_GW_DETAIL_MAX];     /* its detail text */
    int pid;                             /* process id, 0 when none */
    unsigned restarts;                   /* launches after the first */
    char last_exit[HAMD_ADMIN_EXIT_MAX]; /* "exit 3", "signal 9", "" */
    unsigned active_contracts;           /* contracts routed to it */
    bool market_closed;                  /* its exchanges are all closed
                                            (control/monitor.h) */
    bool held;                           /* its last STATUS is error: not
                                            restarted (control/monitor.h) */
};

/* One exchange's trading session now, as GET /api/status shows it. */
struct hamd_admin_session {
    char exchange[HAMD_EXCHANGE_MAX];   /* the [sessions] key, "SHFE", or
                                           an account's exchange without one */
    enum hamd_session_state state;      /* open, closed or unconfigured now */
    int64_t next_open_ns;               /* epoch ns a window opens next;
                                           0 = none known */
};

/* Completion of an operator command of the failover shell (failover,
 * failback, pause), as control/steer.h: status 0 when carried out (a dry
 * run: planned), else < 0 (-EINVAL, -ENOENT, -EPERM, -EAGAIN ...); body
 * is the answer, which the callee owns. */
typedef void (*hamd_admin_op_cb)(void *arg, int status, json_t *body);

/* What the admin API reads and acts through. The pointers must outlive
 * the server; ud is passed to every callback. */
struct hamd_admin_deps {
    uv_loop_t *loop;                   /* the control loop */
    const struct hamd_config *cfg;     /* the configuration, read-only */
    struct hamd_store *store;          /* replicated state, read */
    struct hamd_cluster *cluster;      /* roles, submits, members, transfer */
    struct hamd_dataplane *dp;         /* statistics */
    bool witness;                      /* this node votes only: no gateways */
    struct hamd_vault *vault;          /* seals secret params before they
                                          are submitted; rekey reloads it */
    void *ud;                          /* passed to the callbacks */

    /* True while this node holds the lease (or a lapse of it). */
    bool (*publishing)(void *ud);
    /* Subscribed contracts this node routes. */
    size_t (*contracts)(void *ud);
    /* Fills out[0..cap) with this node's gateways, in no order. Returns
     * how many there are, which may exceed cap. */
    size_t (*gateways)(void *ud, struct hamd_admin_gw *out, size_t cap);
    /* Fills out[0..cap) with the session state of every exchange of
     * [sessions] now, in file order, then of the accounts' other
     * exchanges (unconfigured), and when each opens next. Returns how
     * many there are, which may exceed cap. NULL: none shown. */
    size_t (*sessions)(void *ud, struct hamd_admin_session *out, size_t cap);
    /* Hard-restarts this node's gateway of account. Returns 0, -ENOENT
     * when the node knows no such account, -ESRCH when its gateway does
     * not run here (disabled, stopped, a witness). */
    int (*gateway_restart)(void *ud, const char *account, const char *reason);
    /* `hactl failover`: control/steer.h hamd_steer_failover. */
    void (*failover)(void *ud, const char *to, const char *const *prefixes,
                     size_t n, bool force, bool dry_run, hamd_admin_op_cb done,
                     void *arg);
    /* `hactl failback`: control/steer.h hamd_steer_failback. */
    void (*failback)(void *ud, const char *const *prefixes, size_t n,
                     bool dry_run, hamd_admin_op_cb done, void *arg);
    /* `hactl pause` / `resume`: control/steer.h hamd_steer_pause. */
    void (*pause)(void *ud, bool paused, hamd_admin_op_cb done, void *arg);
    /* What this node covers, relays and judges (control/cover.h). */
    void (*coverage)(void *ud, struct hamd_coverage_status *out);
    /* /metrics: automatic failovers counted today against [failover]
     * daily_cap, and contracts in a no_healthy_backup episode (0 off the
     * lease holder): control/steer.h hamd_steer_figures. */
    void (*failover_figures)(void *ud, unsigned *failovers_today,
                             unsigned *no_healthy_backup);
    /* /metrics: role hook runs that failed since start, and whether the
     * latest role's run failed (a retry is due): control/hooks.h
     * hamd_hooks_figures. */
    void (*hook_figures)(void *ud, uint64_t *failures, bool *failing);
};

/* Binds [peer.N] admin (or [node] admin) and starts serving (deps is
 * copied). Returns NULL (and logs why) when it cannot, e.g. the port is
 * taken or the token file is unreadable or world-readable. */
struct hamd_admin *hamd_admin_new(const struct hamd_admin_deps *deps);

/* Completion of hamd_admin_pick_successor: status 0 with the id of the
 * voter best placed to take over (core/successor.h), or -ENOENT and id 0
 * when none answered well enough: then the cluster picks a voter it
 * heard from lately. */
typedef void (*hamd_admin_successor_cb)(void *ud, int status, unsigned id);

/* Asks every other voter's /api/status at once (briefly) and calls done
 * with the pick. Returns 0, or -1 when out of memory (done is then not
 * called). */
int hamd_admin_pick_successor(struct hamd_admin *self,
                              hamd_admin_successor_cb done, void *ud);

/* Stops accepting connections (shutdown); in-flight requests finish. */
void hamd_admin_close(struct hamd_admin *self);

/* Frees the server; nulls *self. */
void hamd_admin_destroy(struct hamd_admin **self);

#endif /* HAMD_ADMIN_H */
