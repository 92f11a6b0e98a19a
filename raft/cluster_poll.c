/* Watching libraft and keeping the lease: libraft 0.15 has no state
 * callback, so cluster_poll runs on every loop iteration (uv_check) and on
 * a heartbeat timer; it reports role changes, keeps one barrier in flight
 * while leading (lease.h), hands leadership away when this node must not
 * publish, seeds a never-seeded store once the lease is held, and moves a
 * membership change on to its next step (cluster_member.c). */
#include "raft/cluster_internal.h"

#include <stdlib.h>

#include "common/clock.h"

/* One barrier in flight: what the lease needs to judge its outcome. */
struct poll_barrier {
    struct raft_barrier req;   /* libraft request; req.data = this */
    struct hamd_cluster *c;    /* owner */
    uint64_t term;             /* term it was started in */
    int64_t t0_ns;             /* monotonic time it was started */
};

static void cluster_maybe_seed(struct hamd_cluster *c);

/* ------------------------------------------------------------------------
 * Role and lease
 * ------------------------------------------------------------------------ */

static enum hamd_cluster_role poll_role_of(int state)
{
    switch (state) {
    case RAFT_FOLLOWER: return HAMD_CLUSTER_FOLLOWER;
    case RAFT_CANDIDATE: return HAMD_CLUSTER_CANDIDATE;
    case RAFT_LEADER: return HAMD_CLUSTER_LEADER;
    default: return HAMD_CLUSTER_UNAVAILABLE;
    }
}

/* Reports role/term/leader when any of them changed. */
static void poll_report_role(struct hamd_cluster *c, enum hamd_cluster_role role,
                             uint64_t term, uint64_t leader_id)
{
    if (c->role_reported && role == c->role && term == c->term &&
        leader_id == c->leader_id)
        return;
    c->role = role;
    c->term = term;
    c->leader_id = leader_id;
    c->role_reported = true;
    LOG_INFO("raft: %s, term %llu, leader %llu", hamd_cluster_role_name(role),
             (unsigned long long)term, (unsigned long long)leader_id);
    if (c->hooks.on_role)
        c->hooks.on_role(c->hooks.ud, role, term, leader_id);
}

void cluster_lease_lost(struct hamd_cluster *c)
{
    if (!c->publishing)
        return;
    c->publishing = false;
    LOG_INFO("raft: lease lost (term %llu)", (unsigned long long)c->term);
    if (c->hooks.on_lease)
        c->hooks.on_lease(c->hooks.ud, false, c->term, 0);
}

/* Reports a renewed lease (once per renewal) and seeds if needed. */
static void poll_lease_renewed(struct hamd_cluster *c, uint64_t term)
{
    int64_t until = hamd_lease_until_ns(&c->lease);
    if (!c->publishing)
        LOG_INFO("raft: lease acquired, term %llu", (unsigned long long)term);
    c->publishing = true;
    if (c->hooks.on_lease)
        c->hooks.on_lease(c->hooks.ud, true, term, until);
    cluster_maybe_seed(c);
}

static void poll_on_barrier(struct raft_barrier *req, int status)
{
    struct poll_barrier *b = req->data;
    struct hamd_cluster *c = b->c;
    if (!c->closing) {
        bool extended = hamd_lease_barrier_done(&c->lease, b->term, b->t0_ns,
                                                status);
        int64_t now = hamd_mono_ns();
        if (status)
            LOG_DEBUG("raft: barrier failed: %s", raft_strerror(status));
        if (extended && !c->transferring && !cluster_must_not_publish(c) &&
            hamd_lease_valid(&c->lease, now))
            poll_lease_renewed(c, b->term);
        else if (!hamd_lease_valid(&c->lease, now))
            cluster_lease_lost(c);
    }
    free(b);
}

/* Starts the next barrier when none is in flight and the last one is at
 * least a heartbeat old (the first one of a term at once). */
static void poll_maybe_barrier(struct hamd_cluster *c, int64_t now)
{
    uint64_t term = c->raft.current_term;
    if (hamd_lease_in_flight(&c->lease) ||
        (c->lease.term == term && now - c->last_barrier_ns < c->heartbeat_ns))
        return;
    if (!hamd_lease_barrier_begin(&c->lease, term, now))
        return;
    struct poll_barrier *b = calloc(1, sizeof *b);
    int rc = RAFT_NOMEM;
    if (b) {
        b->req.data = b;
        b->c = c;
        b->term = term;
        b->t0_ns = now;
        rc = raft_barrier(&c->raft, &b->req, poll_on_barrier);
    }
    if (rc) {
        free(b);
        hamd_lease_barrier_done(&c->lease, term, now, rc);
        return;
    }
    c->last_barrier_ns = now;
}

/* ------------------------------------------------------------------------
 * Hand-off and the poll
 * ------------------------------------------------------------------------ */

/* A leader that must not publish hands leadership to a voter it heard
 * from (none yet, just elected: tried again at the next poll), retrying a
 * failed transfer at most once per election timeout. */
static void poll_handoff(struct hamd_cluster *c, int64_t now)
{
    if (c->transferring ||
        (c->last_handoff_ns && now - c->last_handoff_ns < c->election_ns))
        return;
    int rc = cluster_transfer_start(c, 0, NULL, NULL);
    if (rc == RAFT_NOTFOUND)
        return;
    c->last_handoff_ns = now;
    if (rc)
        hamd_log_rated(&c->handoff_rate, HAMD_LOG_WARN,
                       "raft: leadership hand-off failed: %s",
                       raft_strerror(rc));
    else
        LOG_INFO("raft: %s leader hands leadership over",
                 hamd_cluster_is_witness(c) ? "witness" : "store-failed");
}

void cluster_poll(struct hamd_cluster *c)
{
    if (c->closing || c->standalone || !c->raft_inited)
        return;
    int64_t now = hamd_mono_ns();
    raft_id leader = 0;
    const char *addr = NULL;
    raft_leader(&c->raft, &leader, &addr);
    enum hamd_cluster_role role = poll_role_of(raft_state(&c->raft));
    poll_report_role(c, role, c->raft.current_term, leader);
    cluster_member_watch_self(c);
    cluster_member_poll(c);
    if (role != HAMD_CLUSTER_LEADER)
        hamd_lease_step_down(&c->lease);
    else if (cluster_must_not_publish(c))
        poll_handoff(c, now);
    else if (!c->transferring)
        poll_maybe_barrier(c, now);
    if (role != HAMD_CLUSTER_LEADER || cluster_must_not_publish(c) ||
        !hamd_lease_valid(&c->lease, now))
        cluster_lease_lost(c);
}

void cluster_standalone_report(struct hamd_cluster *c)
{
    if (c->role_reported || c->closing)
        return;
    poll_report_role(c, HAMD_CLUSTER_STANDALONE, CLUSTER_STANDALONE_TERM,
                     c->opts.node_id);
    c->publishing = true;
    if (c->hooks.on_lease)
        c->hooks.on_lease(c->hooks.ud, true, CLUSTER_STANDALONE_TERM,
                          CLUSTER_LEASE_FOREVER_NS);
    cluster_maybe_seed(c);
}

/* ------------------------------------------------------------------------
 * Seeding
 * ------------------------------------------------------------------------ */

/* Outcome of the SEED: done unless it failed for a Raft reason (then the
 * next lease renewal retries). A rejected seed (400) is not retried. */
static void poll_on_seeded(void *ud, int status,
                           const struct hamd_apply_result *res)
{
    struct hamd_cluster *c = ud;
    c->seed_pending = false;
    if (status < 0) {
        LOG_WARN("raft: seeding not committed: %s", raft_strerror(-status));
        return;
    }
    c->seeded_known = true;
    if (res->status == HAMD_APPLY_OK)
        LOG_INFO("raft: store seeded with %u accounts, %u subscriptions",
                 c->opts.n_seed_accounts, c->opts.n_seed_subs);
    else if (res->status != HAMD_APPLY_CONFLICT)
        LOG_ERROR("raft: seed rejected (%d): %s%s%s", res->status, res->error,
                  res->field[0] ? ", field " : "", res->field);
}

/* Builds the SEED of the configuration. Returns 0 or -1. */
static int poll_build_seed(const struct hamd_cluster_opts *cfg,
                           struct hamd_cmd *cmd)
{
    hamd_cmd_init(cmd, HAMD_CMD_SEED);
    for (unsigned i = 0; i < cfg->n_seed_accounts; i++)
        if (hamd_cmd_add_account(cmd, &cfg->seed_accounts[i]))
            return -1;
    for (unsigned i = 0; cfg->seed_subs && i < cfg->n_seed_subs; i++)
        if (hamd_cmd_add_symbol(cmd, cfg->seed_subs[i]))
            return -1;
    return 0;
}

/* Submits a SEED if the store was never seeded. */
static void cluster_maybe_seed(struct hamd_cluster *c)
{
    struct hamd_cmd cmd;
    if (c->seeded_known || c->seed_pending || c->closing)
        return;
    if (hamd_store_seeded(c->store)) {
        c->seeded_known = true;
        return;
    }
    int rc = poll_build_seed(&c->opts, &cmd) ? -RAFT_NOMEM
             : hamd_cluster_submit(c, &cmd, poll_on_seeded, c);
    hamd_cmd_free(&cmd);
    if (rc == 0)
        c->seed_pending = true;
    else
        LOG_WARN("raft: seeding not submitted: %s", raft_strerror(-rc));
}
