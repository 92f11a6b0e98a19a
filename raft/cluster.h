/* The consensus layer on a libuv loop: the only code that talks to
 * raft_uv. It owns the Raft instance, the FSM over the caller's store, and
 * the leader lease, and tells the node through hooks what it may do.
 *
 *   hooks.on_role   role, term or known leader changed
 *   hooks.on_lease  publishing allowed (until a monotonic deadline) / lost
 *   hooks.on_change a command changed the store (reconcile gateways,
 *                   subscriptions, assignments); HAMD_FSM_CHANGE_ALL after
 *                   a snapshot restore
 *
 * Facts of libraft 0.15 honoured here (docs/consensus.md, docs/consensus.md):
 * - Every process using raft_uv must ignore SIGPIPE (main does
 *   signal(SIGPIPE, SIG_IGN)), or a peer dying mid-write kills the node.
 * - No state-change callback exists: raft_state() is polled on every loop
 *   iteration (uv_check) and on a heartbeat-period timer when idle.
 * - Pre-vote is on (Ongaro 2014, §9.6). Every node whose own [peer.N]
 *   lacks join = true bootstraps the same configuration: the [peer.N]
 *   without join = true, all as voters (witnesses vote too);
 *   RAFT_CANTBOOTSTRAP on restart is normal. A node with join = true
 *   never bootstraps (a second configuration at index 1 would conflict):
 *   it starts with an empty log and waits for the leader to add it
 *   (hamd_cluster_member_add).
 * - Membership changes one server at a time (raft/membership.h): add =
 *   raft_add as a spare, then raft_assign to voter (libraft catches the
 *   log up first); remove = demote to standby, then raft_remove, so the
 *   leaving node sees a configuration in which it does not vote and never
 *   campaigns again. Each step commits before the next starts.
 * - Leadership is not permission to publish: the lease of lease.h is, and
 *   the node renews it with one barrier in flight at a time, paced at the
 *   heartbeat period. A new leader publishes only after its first barrier
 *   commits. on_lease's until is a hard deadline the data plane must
 *   enforce itself, even if no further hook arrives.
 * - A witness (or a node whose store failed) that becomes leader transfers
 *   leadership to a voter at once and never publishes.
 * - Raft addresses are IPv4 literals "a.b.c.d:port"; raft traffic is not
 *   authenticated, so bind it to the cluster network only.
 *
 * Standalone mode (opts->n_peers == 0): no Raft at all. The node is leader
 * of term 1 with an endless lease (reported once after start), and submit
 * applies through the same FSM entry point synchronously, answering from
 * the loop, so callers above this module use one code path.
 *
 * After the first lease, if the store was never seeded, the leader submits
 * a SEED built from opts->seed_accounts / seed_subs (idempotent: SEED
 * applies only to a never-seeded store, so every node may hold seeds).
 *
 * Lifecycle: new -> start -> ... -> close(cb) -> (cb fires) -> destroy.
 * close is required once new succeeded (libuv handles are registered),
 * even if start failed. The seeds and the store must outlive the
 * cluster. Everything runs on the loop's thread.
 */
#ifndef HAMD_RAFT_CLUSTER_H
#define HAMD_RAFT_CLUSTER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/account.h"
#include "raft/cmd.h"
#include "raft/fsm.h"
#include "raft/membership.h"
#include "raft/store.h"

#define HAMD_CLUSTER_PEERS_MAX 7    /* cluster members known at start */
#define HAMD_CLUSTER_ADDR_MAX 256   /* bytes of a raft address */

/* ------------------------------------------------------------------------
 * Options and hooks
 * ------------------------------------------------------------------------ */

/* One member of the configuration as this layer needs it: identical on
 * every node (the shell fills it from [peer.N], docs/configuration.md). */
struct hamd_cluster_peer {
    unsigned id;                      /* node id, >= 1 */
    char raft[HAMD_CLUSTER_ADDR_MAX]; /* IPv4:port of its raft traffic */
    bool witness;                     /* votes only, never leads for long */
    bool join;                        /* not in the bootstrap configuration:
                                         added later (member_add) */
};

/* Everything the cluster is made of, copied by hamd_cluster_new. The
 * seed arrays are not copied: they must outlive the cluster. */
struct hamd_cluster_opts {
    unsigned node_id;                 /* this node, one of peers */
    char data_dir[PATH_MAX];          /* the Raft log goes to data_dir/raft */
    unsigned n_peers;                 /* 0 = standalone: no Raft at all */
    struct hamd_cluster_peer peers[HAMD_CLUSTER_PEERS_MAX]; /* by id */
    unsigned election_timeout_ms;     /* a voter's */
    unsigned election_jitter_pct;     /* each election timeout is drawn from
                                         [T, T + T x this / 100] (libraft:
                                         100), 1..100; 0 = 100 */
    unsigned witness_election_timeout_ms; /* a witness waits longer */
    unsigned heartbeat_ms;            /* leader heartbeat, lease renewal */
    unsigned lease_margin_ms;         /* lease = election timeout - this */
    unsigned snapshot_threshold;      /* entries between snapshots, 0 =
                                         libraft's default */
    unsigned snapshot_trailing;       /* entries kept after one, 0 = idem */
    unsigned event_history;           /* failover events kept in the store */
    unsigned n_seed_accounts;         /* accounts of the first SEED */
    const struct hamd_account *seed_accounts; /* not owned */
    unsigned n_seed_subs;             /* symbols of the first SEED */
    const char (*seed_subs)[HAMD_VT_SYMBOL_MAX]; /* not owned; may be NULL */
};

/* What this node is, as last observed. */
enum hamd_cluster_role {
    HAMD_CLUSTER_UNAVAILABLE = 0, /* not started yet, or closing */
    HAMD_CLUSTER_FOLLOWER,
    HAMD_CLUSTER_CANDIDATE,
    HAMD_CLUSTER_LEADER,
    HAMD_CLUSTER_STANDALONE,      /* no peers: always the leader, term 1 */
};

/* Callbacks into the node; any may be NULL. All run on the loop thread. */
struct hamd_cluster_hooks {
    void *ud; /* passed to every hook */
    /* Role, term or leader id (0 = unknown) changed. */
    void (*on_role)(void *ud, enum hamd_cluster_role role, uint64_t term,
                    uint64_t leader_id);
    /* publishing: may publish with fencing token `term` while
     * hamd_mono_ns() < until_mono_ns (INT64_MAX = forever). Called once
     * per renewal; publishing=false (until 0) once when it is lost. */
    void (*on_lease)(void *ud, bool publishing, uint64_t term,
                     int64_t until_mono_ns);
    /* A command of this type changed the store (after commit + apply). */
    void (*on_change)(void *ud, enum hamd_cmd_type type);
};

/* ------------------------------------------------------------------------
 * Completions
 * ------------------------------------------------------------------------ */

/* Every completion and every int result below is 0 on success or a
 * negated libraft error code (-RAFT_NOTLEADER ...) on failure, so callers
 * test status < 0 and name it with raft_strerror(-status). */

/* Completion of hamd_cluster_submit: status 0 = committed and applied,
 * res = the FSM's verdict (res->status 0 or 400/404/409/500; valid only
 * during the call). Otherwise status < 0 and res is NULL:
 * -RAFT_LEADERSHIPLOST (the outcome is unknown, the entry may still
 * commit), -RAFT_SHUTDOWN. */
typedef void (*hamd_cluster_submit_cb)(void *ud, int status,
                                       const struct hamd_apply_result *res);

/* Completion of hamd_cluster_transfer: status 0 when another node now
 * leads (leader_id), -RAFT_CANCELED when the transfer timed out,
 * -RAFT_SHUTDOWN when the cluster closed first. */
typedef void (*hamd_cluster_transfer_cb)(void *ud, int status,
                                         uint64_t leader_id);

/* Completion of hamd_cluster_member_add / _remove: status 0 once the last
 * step committed (the id is a voter / is gone). Otherwise status < 0:
 * -RAFT_NOCONNECTION (the new node did not catch up in time: is it
 * running? it stays a spare until added again or removed),
 * -RAFT_LEADERSHIPLOST (the outcome is unknown: look at the members),
 * -RAFT_CANTCHANGE (the configuration changed under the operation),
 * -RAFT_SHUTDOWN. */
typedef void (*hamd_cluster_member_cb)(void *ud, int status);

/* Completion of hamd_cluster_close: status is always 0 (closing cannot
 * fail; the callback says everything is released). */
typedef void (*hamd_cluster_close_cb)(void *ud, int status);

struct hamd_cluster;

/* ------------------------------------------------------------------------
 * Life cycle, proposals, leadership, membership
 * ------------------------------------------------------------------------ */

/* Creates the cluster for node opts->node_id (opts is copied; the store
 * and the seeds must outlive it). Validates the peer set (self present, IPv4 raft addresses,
 * heartbeat < election timeout, lease margin < election timeout). Returns
 * NULL and logs why on failure. */
struct hamd_cluster *hamd_cluster_new(uv_loop_t *loop,
                                      const struct hamd_cluster_opts *opts,
                                      struct hamd_store *store,
                                      const struct hamd_cluster_hooks *hooks);

/* Starts Raft (raft dir <data_dir>/raft) or standalone mode. The first
 * hooks fire from the loop, not from inside this call. Returns 0, a
 * libraft error code, or -errno. */
int hamd_cluster_start(struct hamd_cluster *c);

/* Encodes cmd and proposes it. Returns 0 when cb will be called exactly
 * once (possibly with an error status), or < 0 and cb is never called:
 * -RAFT_NOTLEADER (ask the leader: hamd_cluster_leader_id),
 * -RAFT_INVALID / -RAFT_TOOBIG (bad command), -RAFT_NOMEM,
 * -RAFT_SHUTDOWN. */
int hamd_cluster_submit(struct hamd_cluster *c, const struct hamd_cmd *cmd,
                        hamd_cluster_submit_cb cb, void *ud);

/* Hands leadership to node id (0: any voter of the configuration,
 * non-witnesses first). The lease is given up before the transfer starts;
 * a membership change in flight then fails with -RAFT_LEADERSHIPLOST (the
 * admin API refuses transfers meanwhile). Returns 0 when cb (may be NULL)
 * will be called once, else -RAFT_NOTLEADER, -RAFT_BUSY (a transfer is
 * running), -RAFT_BADID (self, or not a voter of the configuration),
 * -RAFT_NOTFOUND (standalone / no other voter). */
int hamd_cluster_transfer(struct hamd_cluster *c, uint64_t id,
                          hamd_cluster_transfer_cb cb, void *ud);

/* Makes node id a voter: it must have a [peer.N] section here (its raft
 * address comes from there) and should run with join = true. Steps:
 * add as a spare, then promote to voter after catching its log up; a
 * spare or standby left by an interrupted add is just promoted. Returns
 * HAMD_MEMBER_OK when cb will be called exactly once, else why not and
 * cb is never called: NOT_LEADER (ask hamd_cluster_leader_id; also a
 * leader whose first barrier has not committed yet, or a witness),
 * UNKNOWN_PEER, ALREADY_VOTER, BUSY (one change at a time: another
 * membership change or a leadership transfer runs), STANDALONE, FAILED
 * (logged). */
enum hamd_member_verdict hamd_cluster_member_add(struct hamd_cluster *c,
                                                 uint64_t id,
                                                 hamd_cluster_member_cb cb,
                                                 void *ud);

/* Takes node id out of the configuration (a voter is demoted to standby
 * first). Returns as hamd_cluster_member_add, with NOT_MEMBER (id is not
 * in the configuration) and IS_LEADER (this node: transfer leadership
 * first; this also keeps the last voter) instead of UNKNOWN_PEER and
 * ALREADY_VOTER. */
enum hamd_member_verdict hamd_cluster_member_remove(struct hamd_cluster *c,
                                                    uint64_t id,
                                                    hamd_cluster_member_cb cb,
                                                    void *ud);

/* Stops everything; cb(ud, 0) fires from the loop once all is released.
 * The lease is reported lost first. Pending submits complete before cb:
 * with -RAFT_LEADERSHIPLOST under Raft, with their (already applied)
 * result in standalone mode. */
void hamd_cluster_close(struct hamd_cluster *c, hamd_cluster_close_cb cb,
                        void *ud);

/* Frees the cluster and sets *self to NULL. Call it only after the close
 * callback fired. */
void hamd_cluster_destroy(struct hamd_cluster **self);

/* ------------------------------------------------------------------------
 * Getters (state as of the last loop iteration)
 * ------------------------------------------------------------------------ */

/* What this node is now. */
enum hamd_cluster_role hamd_cluster_role(const struct hamd_cluster *c);
/* "unavailable", "follower", "candidate", "leader", "standalone". */
const char *hamd_cluster_role_name(enum hamd_cluster_role role);
/* True for LEADER and STANDALONE. */
bool hamd_cluster_is_leader(const struct hamd_cluster *c);
/* The current Raft term. */
uint64_t hamd_cluster_term(const struct hamd_cluster *c);
/* Known leader's id, 0 when unknown. */
uint64_t hamd_cluster_leader_id(const struct hamd_cluster *c);
/* True when this node is a witness ([peer.N] role = witness). */
bool hamd_cluster_is_witness(const struct hamd_cluster *c);
/* libraft's commit index, and the index the FSM last applied. */
uint64_t hamd_cluster_commit_index(const struct hamd_cluster *c);
uint64_t hamd_cluster_applied_index(const struct hamd_cluster *c);
/* Raft messages sent once more after their write failed (raft/resend.h):
 * each a connection to a peer that broke, as when the peer restarted. */
uint64_t hamd_cluster_sends_retried(const struct hamd_cluster *c);
/* Lease deadline (monotonic ns; INT64_MAX standalone), 0 when none. */
int64_t hamd_cluster_lease_until_ns(const struct hamd_cluster *c);
/* True when the lease allows publishing at now_ns. */
bool hamd_cluster_publishing(const struct hamd_cluster *c, int64_t now_ns);
/* True when LMDB failed under the FSM (the node then never publishes). */
bool hamd_cluster_store_failed(const struct hamd_cluster *c);
/* Copies the current Raft configuration (the latest in this node's log,
 * committed or not) into out[0..cap). Returns how many servers it has,
 * which may exceed cap. 0 standalone, and on a node not added yet. */
unsigned hamd_cluster_members(const struct hamd_cluster *c,
                              struct hamd_member *out, unsigned cap);
/* Role of id in the current configuration (HAMD_MEMBER_NONE: absent). */
enum hamd_member_role hamd_cluster_member_role(const struct hamd_cluster *c,
                                               uint64_t id);
/* Voters in the current configuration. */
unsigned hamd_cluster_voters(const struct hamd_cluster *c);
/* True while a membership change runs. */
bool hamd_cluster_member_busy(const struct hamd_cluster *c);

#endif /* HAMD_RAFT_CLUSTER_H */
