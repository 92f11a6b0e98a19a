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

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <stddef.h>

#include "dataplane/dataplane.h"
#include "raft/cmd.h"

struct hamd_node;
struct hamd_steer;

/* Creates the shell for node. */
struct hamd_steer *hamd_steer_new(struct hamd_node *node);

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

/* Answer of an operator command: an HTTP status and a JSON body that the
 * callee owns. Called once, possibly before the command returns. */
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
