/* The coverage shell (docs/failover.md, "The data follows the healthy
 * source"): the I/O around core/coverage.c.
 *
 * Every full node knows the health of its own gateways (monitor.c). A
 * follower reports it to the publisher on the relay channel
 * (common/relay_proto.h COVER) when it changes and at least every
 * second. The publisher computes every full node's coverage from those
 * reports and the replicated accounts and subscriptions, and
 *
 *   - hands leadership to a follower that covers more for
 *     [cluster] source_transfer_after_ms (the judge in core/coverage.c):
 *     it commits a leadership_moved event and SOURCE_MOVED (the time, so
 *     the next leader honours the cooldown), then transfers;
 *   - offers the failover engine every follower's accounts as relayed
 *     sources ACCOUNT@nodeN, ranked behind every local source
 *     (hamd_cover_relay_sources); a contract the engine puts on one is
 *     requested from that follower (RELAY, on change and every second),
 *     whose ticks then arrive through the data plane.
 *
 * The witness neither reports nor is chosen.
 */
#ifndef HAMD_COVER_H
#define HAMD_COVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "control/events.h"
#include "control/monitor.h"
#include "core/coverage.h"
#include "core/failover.h"
#include "dataplane/dataplane.h"
#include "raft/cluster.h"
#include "raft/store.h"

#define HAMD_COVER_PEERS_MAX 8             /* members known to the shell */
#define HAMD_COVER_REPORT_INTERVAL_MS 1000 /* a follower reports at least
                                              this often (and on change) */
#define HAMD_COVER_RELAY_PRIORITY 1000     /* added to a relayed source's
                                              priority: behind every local
                                              one (HAMD_PRIORITY_MAX) */

/* One other member as the shell needs it. */
struct hamd_cover_peer {
    unsigned id;                          /* node id */
    bool witness;                         /* never reports, never chosen */
    char relay[HAMD_DP_ENDPOINT_MAX];     /* where to connect to reach its
                                             relay ROUTER; "" = it has none:
                                             it can neither take reports
                                             nor relay */
};

/* The shell's parameters (control/params.c fills them). */
struct hamd_cover_opts {
    unsigned node_id;                     /* this node */
    bool witness;                         /* this node votes only */
    bool relay;                           /* this node has a relay endpoint:
                                             it takes reports and relays */
    unsigned check_interval_ms;           /* between two judge steps */
    bool transfer;                        /* source-driven transfers on
                                             (source_transfer_after_ms > 0) */
    struct hamd_leadership_params leadership; /* hysteresis, cooldown */
    unsigned n_peers;                     /* entries in peers */
    struct hamd_cover_peer peers[HAMD_COVER_PEERS_MAX]; /* the others */
};

/* What the shell reads and acts through; the pointers must outlive it. */
struct hamd_cover_deps {
    uv_loop_t *loop;                      /* the control loop */
    struct hamd_store *store;             /* accounts, subscriptions,
                                             assignments, pause, the last
                                             source transfer */
    struct hamd_cluster *cluster;         /* commits, transfers */
    struct hamd_dataplane *dp;            /* reports and RELAY out, reports
                                             in */
    struct hamd_monitor *monitor;         /* this node's gateways' health */
    struct hamd_events *events;           /* leadership_moved */
    void *ud;                             /* passed to the callbacks */
    bool (*publishing)(void *ud);         /* this node holds the lease */
};

struct hamd_cover;

/* Creates the shell (opts and deps are copied) and starts its timer.
 * Returns NULL when out of memory. */
struct hamd_cover *hamd_cover_new(const struct hamd_cover_opts *opts,
                                  const struct hamd_cover_deps *deps);

/* Stops its timer (shutdown). */
void hamd_cover_stop(struct hamd_cover *self);

/* Frees it; nulls *self. */
void hamd_cover_destroy(struct hamd_cover **self);

/* The known leader changed (0 = unknown): a follower reports to it. */
void hamd_cover_on_role(struct hamd_cover *self, uint64_t leader_id);

/* This node gained (true) or lost the lease. */
void hamd_cover_on_lease(struct hamd_cover *self, bool publishing);

/* A command was applied to the store. */
void hamd_cover_on_change(struct hamd_cover *self, enum hamd_cmd_type type);

/* A gateway's health state changed: report now. */
void hamd_cover_on_health(struct hamd_cover *self);

/* Appends to accounts/sources (from index n, up to cap) the relayed
 * sources the failover engine may use: every account of every full
 * follower with a relay endpoint, as ACCOUNT@nodeN, its priority plus
 * HAMD_COVER_RELAY_PRIORITY, its state from the follower's last report
 * (DISCONNECTED after a heartbeat timeout when the report is older than
 * HAMD_COVERAGE_REPORT_MAX_AGE_MS or none came). accounts[0..n) are the
 * replicated accounts with their local sources. Nothing on a node that
 * does not publish or has no relay endpoint. Returns the new count. */
size_t hamd_cover_relay_sources(struct hamd_cover *self,
                                struct hamd_account *accounts,
                                struct hamd_failover_source *sources,
                                size_t n, size_t cap, int64_t now_mono_ns,
                                int64_t now_wall_ns);

/* Fills *out. */
void hamd_cover_status(struct hamd_cover *self,
                       struct hamd_coverage_status *out);

#endif /* HAMD_COVER_H */
