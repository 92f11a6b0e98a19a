/* Shared by the cluster's files only: cluster.c (lifecycle, getters),
 * cluster_poll.c (role tracking, lease renewal, witness hand-off,
 * seeding), cluster_submit.c (proposals, standalone apply, transfer) and
 * cluster_member.c (membership changes, the configuration). */
#ifndef HAMD_RAFT_CLUSTER_INTERNAL_H
#define HAMD_RAFT_CLUSTER_INTERNAL_H

#include <limits.h>
#include <raft.h>
#include <raft/uv.h>

#include "common/log.h"
#include "raft/cluster.h"
#include "raft/lease.h"
#include "raft/resend.h"

#define CLUSTER_STANDALONE_TERM 1          /* the fixed term standalone */
#define CLUSTER_LEASE_FOREVER_NS INT64_MAX /* standalone lease deadline */
#define CLUSTER_MEMBERS_MAX 32             /* servers of a configuration we
                                              decide on (peers: at most 7) */

/* A standalone submit applied synchronously, answered from the loop. */
struct cluster_done {
    hamd_cluster_submit_cb cb;      /* caller's completion */
    void *ud;                       /* its argument */
    struct hamd_apply_result res;   /* copy of the FSM verdict */
    struct cluster_done *next;      /* FIFO link */
};

/* The membership operation in flight: one at a time, so it lives in the
 * cluster (libraft keeps a pointer to req until the step completes). */
struct cluster_member_op {
    struct raft_change req;        /* libraft request of the current step */
    bool active;                   /* an operation runs */
    bool step_running;             /* a step awaits commit in libraft */
    enum hamd_member_op op;        /* add or remove */
    uint64_t id;                   /* the server it changes */
    unsigned steps;                /* steps started so far */
    hamd_cluster_member_cb cb;     /* caller's completion */
    void *ud;                      /* its argument */
};

struct hamd_cluster {
    uv_loop_t *loop;                   /* the control-plane loop */
    struct hamd_cluster_opts opts;     /* as given to hamd_cluster_new */
    struct hamd_store *store;          /* not owned */
    struct hamd_cluster_hooks hooks;   /* node callbacks */
    struct hamd_fsm *fsm;              /* owned; applies to store */
    const struct hamd_cluster_peer *self; /* own entry in opts.peers;
                                          NULL standalone */
    bool standalone;                   /* opts.n_peers == 0 */
    bool started;                      /* start was called */
    bool joining;                      /* starts without bootstrapping:
                                          own [peer.N] join = true */
    bool store_wiped;                  /* start wiped the store: report
                                          HAMD_FSM_CHANGE_ALL from the loop */

    /* libraft */
    struct raft raft;                  /* the Raft instance */
    struct raft_io io;                 /* raft_uv disk + network I/O */
    int (*io_random)(struct raft_io *io, int min, int max);
                                       /* raft_uv's, which cluster_random
                                          narrows (election jitter) */
    int (*io_send)(struct raft_io *io, struct raft_io_send *req,
                   const struct raft_message *message,
                   raft_io_send_cb cb);
                                       /* raft_uv's, which cluster_send
                                          guards (no message to no one) */
    struct hamd_resend_ops resend;     /* io_send, with a second try of a
                                          failed write (resend.h) */
    uint64_t sends_to_no_one;          /* messages cluster_send refused */
    int (*io_start)(struct raft_io *io, unsigned msecs,
                    raft_io_tick_cb tick_cb, raft_io_recv_cb recv_cb);
                                       /* raft_uv's, which cluster_start_io
                                          gives a finer tick */
    unsigned raft_tick_ms;             /* libraft's tick, once started */
    raft_io_recv_cb raft_recv_cb;      /* libraft's, which cluster_recv_cb
                                          calls after cluster_prevote_seen */
    struct raft_uv_transport transport;/* raft_uv TCP transport */
    bool transport_inited;             /* raft_uv_tcp_init succeeded */
    bool io_inited;                    /* raft_uv_init succeeded */
    bool raft_inited;                  /* raft_init succeeded */
    char raft_dir[PATH_MAX];           /* <data_dir>/raft */

    /* loop handles */
    uv_check_t check;                  /* polls raft_state() every iteration */
    uv_timer_t tick;                   /* polls at the heartbeat period */
    uv_timer_t kick;                   /* first report + standalone answers */

    /* last observed and reported state */
    enum hamd_cluster_role role;       /* as last reported via on_role */
    uint64_t term;                     /* idem */
    uint64_t leader_id;                /* idem, 0 = unknown */
    bool role_reported;                /* on_role fired at least once */

    /* lease */
    struct hamd_lease lease;           /* pure lease state */
    int64_t heartbeat_ns;              /* barrier pacing */
    int64_t election_ns;               /* witness hand-off retry pacing */
    int64_t last_barrier_ns;           /* t0 of the last barrier started */
    bool publishing;                   /* last on_lease said true */
    bool transferring;                 /* a leadership transfer is running */
    struct raft_transfer transfer;     /* its libraft request, reused: it
                                          embeds the TimeoutNow send, which
                                          raft_uv may keep queued to an
                                          unreachable target long after the
                                          transfer ended and reads when it
                                          connects (a freed one crashed a
                                          witness whose first pick was a
                                          powered-off host) */
    hamd_cluster_transfer_cb transfer_cb; /* its caller's completion, or
                                             NULL */
    void *transfer_ud;                 /* that callback's argument */
    unsigned transfer_rotor;           /* where transfer_pick starts next */
    int64_t last_handoff_ns;           /* last automatic hand-off attempt */

    /* membership */
    struct cluster_member_op member;   /* the change in flight, if any */
    enum hamd_member_role self_role;   /* own role, as last logged */
    bool self_conf_empty;              /* the configuration was empty */
    bool self_role_known;              /* self_role was logged once */

    /* seeding */
    bool seeded_known;                 /* the store was seen seeded */
    bool seed_pending;                 /* a SEED is in flight */

    /* standalone answers waiting for the loop */
    struct cluster_done *done_head;    /* oldest */
    struct cluster_done *done_tail;    /* newest */

    /* closing */
    bool closing;                      /* close was called */
    unsigned close_pending;            /* handles + raft still closing */
    hamd_cluster_close_cb close_cb;    /* caller's completion */
    void *close_ud;                    /* its argument */
    struct hamd_log_rate handoff_rate; /* hand-off failure log limiter */
};

/* cluster_poll.c: observe raft, report role changes, renew the lease. */
void cluster_poll(struct hamd_cluster *c);

/* cluster_poll.c: reports the lease lost if it was reported held. */
void cluster_lease_lost(struct hamd_cluster *c);

/* cluster_poll.c: standalone start: report role + endless lease, seed. */
void cluster_standalone_report(struct hamd_cluster *c);

/* cluster.c: runs the kick callback (first report, standalone answers)
 * on the next loop iteration. */
void cluster_kick(struct hamd_cluster *c);

/* cluster_submit.c: answers queued standalone submits (status 0). */
void cluster_deliver_done(struct hamd_cluster *c);

/* cluster_submit.c: starts a transfer to id (0 = best voter) with an
 * optional caller callback; voids the lease first. Returns 0 or a libraft
 * error. */
int cluster_transfer_start(struct hamd_cluster *c, uint64_t id,
                           hamd_cluster_transfer_cb cb, void *ud);

/* cluster_member.c: runs the next step of the membership change in
 * flight once the previous one committed; fails it when leadership was
 * lost meanwhile. */
void cluster_member_poll(struct hamd_cluster *c);

/* cluster_member.c: close: fails a change waiting between steps with
 * RAFT_SHUTDOWN (raft_close fails a step in flight itself). */
void cluster_member_abort(struct hamd_cluster *c);

/* cluster_member.c: logs what this node's own role in the configuration
 * means for it whenever that role changes. */
void cluster_member_watch_self(struct hamd_cluster *c);

/* cluster.c: what a message does before libraft sees it: a pre-vote
 * request may make this follower stand at once, or a witness forget its
 * leader (raft/election.h). election_ms is the full voters' election
 * timeout, the lease's (a witness's own r->election_timeout is longer). */
void cluster_prevote_seen(struct raft *r, const struct raft_message *m,
                          unsigned election_ms);

/* cluster.c: what a message sent does first: a pre-candidate, or a
 * follower that knows no leader, refusing a pre-vote tries (stands) at
 * once (raft/election.h); election_ms as for cluster_prevote_seen. */
void cluster_refusal_sent(struct raft *r, const struct raft_message *m,
                          unsigned election_ms);

/* True when this node must never publish (witness or failed store). */
bool cluster_must_not_publish(const struct hamd_cluster *c);

#endif /* HAMD_RAFT_CLUSTER_INTERNAL_H */
