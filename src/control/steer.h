/* Failover shell (docs/failover.md): the I/O around failover.c, active on the
 * lease holder only.
 *
 * It runs the pure engine whenever health, accounts, subscriptions or
 * assignments change (and on a slow timer for failback holds), commits
 * each group of moves as one ASSIGN plus one event through Raft, and only
 * then does the data plane switch (reconcile.c), on every node alike. It
 * measures failover_duration_ms from the health trigger to the first tick
 * published from the new source, and serves the manual operations of the
 * admin API (failover --to, failback, pause, resume, dry runs). */
#ifndef HAMD_STEER_H
#define HAMD_STEER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "control/events.h"
#include "control/monitor.h"
#include "core/failover.h"
#include "dataplane/dataplane.h"
#include "raft/cluster.h"
#include "raft/cmd.h"
#include "raft/store.h"

struct hamd_steer;

/* The failover policy (control/params.c fills it, docs/configuration.md
 * [failover]). */
struct hamd_steer_opts {
    unsigned daily_cap;           /* automatic failovers a day */
    unsigned revert_after_s;      /* HEALTHY this long before failback;
                                     0 = no automatic failback */
    unsigned quarantine_s;        /* cool-down of a failed source */
};

/* What the shell reads and acts through; the pointers must outlive it. */
struct hamd_steer_deps {
    uv_loop_t *loop;              /* the control loop */
    struct hamd_store *store;     /* accounts, pins, pause, quarantines,
                                     failover counts (read only) */
    struct hamd_cluster *cluster; /* commits the plans */
    struct hamd_events *events;   /* failover events */
    struct hamd_monitor *monitor; /* this node's health of its gateways */
    void *ud;                     /* passed to the callbacks */
    /* Fills vt_symbol and active of out[0..cap) with the subscribed
     * contracts and the source each is assigned to ("" none); the strings
     * stay valid until the node reconciles again. Returns how many
     * contracts there are, which may exceed cap. */
    size_t (*routes)(void *ud, struct hamd_failover_contract *out,
                     size_t cap);
    /* Appends the relayed sources the engine may use after the n local
     * ones (cover.h, hamd_cover_relay_sources); returns the new count.
     * NULL: none. */
    size_t (*relay_sources)(void *ud, struct hamd_account *accounts,
                            struct hamd_failover_source *sources, size_t n,
                            size_t cap, int64_t now_mono_ns,
                            int64_t now_wall_ns);
};

/* Creates the shell (opts and deps are copied) and starts its re-plan
 * timer. Returns NULL when out of memory. */
struct hamd_steer *hamd_steer_new(const struct hamd_steer_opts *opts,
                                  const struct hamd_steer_deps *deps);

/* Stops its timers (shutdown). */
void hamd_steer_stop(struct hamd_steer *self);

/* Frees it; nulls *self. */
void hamd_steer_destroy(struct hamd_steer **self);

/* The node gained (true) or lost the lease. */
void hamd_steer_on_lease(struct hamd_steer *self, bool publishing);

/* A command was applied to the store. */
void hamd_steer_on_change(struct hamd_steer *self, enum hamd_cmd_type type);

/* A gateway's health state changed (monitor.c): re-plan now. */
void hamd_steer_on_health(struct hamd_steer *self);

/* The data plane published the first tick of a switched contract. */
void hamd_steer_on_switched(struct hamd_steer *self,
                            const struct hamd_dp_event *ev);

/* Non-zero id when the steer awaits the switch of vt_symbol to account
 * (asks the data plane to report its first tick), else 0. */
uint64_t hamd_steer_switch_id(struct hamd_steer *self, const char *vt_symbol,
                              const char *account);

/* Completion of an operator command, called once, possibly before the
 * command returns, with a JSON body that the callee owns: the plan
 * ({groups, rejects, contracts_moved, dry_run}) or {"error": ...}.
 * status 0: carried out (a dry run: planned); else < 0: -EINVAL (the
 * request is malformed), -ENOENT (an unknown account), -EPERM (the state
 * forbids it: a target not HEALTHY without force ...), -EAGAIN (this node
 * does not publish, or the commit failed: leadership lost), -EIO (the
 * store could not be read), -ENOMEM. */
typedef void (*hamd_steer_done_cb)(void *ud, int status, json_t *body);

/* `hactl failover --to ACCOUNT [PREFIX...|--all]`: moves the contracts
 * matching prefixes (n == 0: all) to `to`; force allows a target that is
 * not HEALTHY. A dry run answers the plan and changes nothing; otherwise
 * the answer comes once every ASSIGN and PIN committed. Moved contracts
 * are pinned (replicated, so the pin outlives this leader): no automatic
 * failback until `failback`. */
void hamd_steer_failover(struct hamd_steer *self, const char *to,
                         const char *const *prefixes, size_t n, bool force,
                         bool dry_run, hamd_steer_done_cb done, void *ud);

/* `hactl failback [PREFIX...]`: every selected contract to its best healthy
 * source now, ignoring revert_after; clears pins. Dry run as above. */
void hamd_steer_failback(struct hamd_steer *self, const char *const *prefixes,
                         size_t n, bool dry_run, hamd_steer_done_cb done,
                         void *ud);

/* `hactl pause` / `resume`: automatic moves off / on (health is still
 * watched). Answers after commit. */
void hamd_steer_pause(struct hamd_steer *self, bool paused,
                      hamd_steer_done_cb done, void *ud);

/* What /metrics shows of the failover engine (docs/api.md). */
struct hamd_steer_figures {
    unsigned failovers_today;  /* automatic failovers counted today against
                                  [failover] daily_cap (replicated) */
    unsigned no_backup;        /* subscribed contracts in a no_healthy_backup
                                  episode (lease holder; 0 elsewhere) */
};

/* Fills *out. */
void hamd_steer_figures(struct hamd_steer *self, struct hamd_steer_figures *out);

#endif /* HAMD_STEER_H */
