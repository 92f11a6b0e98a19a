/* Membership changes on the leader: see cluster.h and the pure rules of
 * membership.h. One operation at a time; each of its single-server steps
 * (raft_add / raft_assign / raft_remove) commits before cluster_poll
 * chooses the next one from the configuration as it is then, so libraft
 * is never re-entered from its own change callback. */
#include "raft/cluster_internal.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * The configuration
 * ------------------------------------------------------------------------ */

/* Maps a libraft role to ours. */
static enum hamd_member_role member_role_of(int raft_role)
{
    switch (raft_role) {
    case RAFT_VOTER: return HAMD_MEMBER_VOTER;
    case RAFT_STANDBY: return HAMD_MEMBER_STANDBY;
    case RAFT_SPARE: return HAMD_MEMBER_SPARE;
    default: return HAMD_MEMBER_NONE;
    }
}

/* Copies the current configuration into out[0..cap). Returns the number
 * of servers in it (more than cap when it did not fit). */
static unsigned member_copy(const struct hamd_cluster *c,
                            struct hamd_member *out, unsigned cap)
{
    if (!c->raft_inited)
        return 0;
    const struct raft_configuration *conf = &c->raft.configuration;
    for (unsigned i = 0; i < conf->n && i < cap; i++) {
        out[i].id = conf->servers[i].id;
        out[i].role = member_role_of(conf->servers[i].role);
        snprintf(out[i].address, sizeof out[i].address, "%s",
                 conf->servers[i].address ? conf->servers[i].address : "");
    }
    return conf->n;
}

/* The configuration as far as it fits our fixed view (decisions refuse
 * to run on a configuration that does not fit: member_too_big). */
static unsigned member_conf(const struct hamd_cluster *c,
                            struct hamd_member out[CLUSTER_MEMBERS_MAX])
{
    unsigned n = member_copy(c, out, CLUSTER_MEMBERS_MAX);
    return n < CLUSTER_MEMBERS_MAX ? n : CLUSTER_MEMBERS_MAX;
}

static bool member_too_big(const struct hamd_cluster *c)
{
    return c->raft_inited && c->raft.configuration.n > CLUSTER_MEMBERS_MAX;
}

unsigned hamd_cluster_members(const struct hamd_cluster *c,
                              struct hamd_member *out, unsigned cap)
{
    return member_copy(c, out, cap);
}

enum hamd_member_role hamd_cluster_member_role(const struct hamd_cluster *c,
                                               uint64_t id)
{
    struct hamd_member conf[CLUSTER_MEMBERS_MAX];
    unsigned n = member_conf(c, conf);
    return hamd_member_role_of(conf, n, id);
}

/* ------------------------------------------------------------------------
 * Running a change, one step at a time
 * ------------------------------------------------------------------------ */

static const struct hamd_cluster_peer *member_peer(const struct hamd_cluster *c,
                                           uint64_t id)
{
    for (unsigned i = 0; i < c->opts.n_peers; i++)
        if (c->opts.peers[i].id == id)
            return &c->opts.peers[i];
    return NULL;
}

/* Leading, and an entry of this term has committed (the lease's first
 * barrier): single-server changes are safe only after that (Ongaro's
 * 2015 correction to §4.1 of his thesis), and libraft 0.15 does not
 * commit one by itself on election. */
static bool member_leader_ready(const struct hamd_cluster *c)
{
    return raft_state((struct raft *)&c->raft) == RAFT_LEADER &&
           c->lease.granted && c->lease.term == c->raft.current_term;
}

/* Something that forbids starting another change: ours, a transfer, or a
 * change libraft still has pending (an uncommitted configuration left by
 * a previous leader, a promotion catching up). Leader only: it reads
 * libraft's leader state. */
static bool member_in_flight(const struct hamd_cluster *c)
{
    return c->member.active || c->transferring ||
           c->raft.configuration_uncommitted_index != 0 ||
           c->raft.leader_state.promotee_id != 0;
}

/* Ends the operation and tells the caller. */
static void member_finish(struct hamd_cluster *c, int status)
{
    struct cluster_member_op *m = &c->member;
    hamd_cluster_member_cb cb = m->cb;
    void *ud = m->ud;
    uint64_t id = m->id;
    bool add = m->op == HAMD_MEMBER_OP_ADD;
    memset(m, 0, sizeof *m);
    if (status == 0)
        LOG_INFO("raft: membership: node %llu %s (%u voters)",
                 (unsigned long long)id, add ? "is a voter now" : "removed",
                 hamd_cluster_voters(c));
    else
        LOG_WARN("raft: membership: %s node %llu stopped: %s",
                 add ? "adding" : "removing", (unsigned long long)id,
                 raft_strerror(status));
    if (cb)
        cb(ud, -status); /* libraft's codes are positive; ours fail below 0 */
}

/* libraft: the step committed (0), or failed. The next step, if any, is
 * chosen by cluster_member_poll on the next loop iteration. */
static void member_on_changed(struct raft_change *req, int status)
{
    struct hamd_cluster *c = req->data;
    struct cluster_member_op *m = &c->member;
    if (!m->step_running)
        return; /* a stale request libraft still held: nothing waits */
    m->step_running = false;
    if (c->closing)
        member_finish(c, RAFT_SHUTDOWN);
    else if (status)
        member_finish(c, status);
}

/* Starts one step. Returns 0 or a libraft error. */
static int member_step_run(struct hamd_cluster *c, enum hamd_member_step step)
{
    struct cluster_member_op *m = &c->member;
    const struct hamd_cluster_peer *p = member_peer(c, m->id);
    unsigned long long id = m->id;
    m->req.data = c;
    switch (step) {
    case HAMD_MEMBER_STEP_ADD_SPARE:
        if (!p)
            return RAFT_BADID;
        LOG_INFO("raft: membership: adding node %llu (%s) as a spare", id,
                 p->raft);
        return raft_add(&c->raft, &m->req, m->id, p->raft, member_on_changed);
    case HAMD_MEMBER_STEP_PROMOTE:
        LOG_INFO("raft: membership: promoting node %llu to voter once its "
                 "log caught up", id);
        return raft_assign(&c->raft, &m->req, m->id, RAFT_VOTER,
                           member_on_changed);
    case HAMD_MEMBER_STEP_DEMOTE:
        LOG_INFO("raft: membership: demoting node %llu to standby", id);
        return raft_assign(&c->raft, &m->req, m->id, RAFT_STANDBY,
                           member_on_changed);
    case HAMD_MEMBER_STEP_REMOVE:
        LOG_INFO("raft: membership: removing node %llu", id);
        return raft_remove(&c->raft, &m->req, m->id, member_on_changed);
    default:
        return 0;
    }
}

/* Chooses and starts the next step. Returns 0 (started, or *done when
 * nothing is left) or a libraft error. */
static int member_advance(struct hamd_cluster *c, bool *done)
{
    struct cluster_member_op *m = &c->member;
    struct hamd_member conf[CLUSTER_MEMBERS_MAX];
    unsigned n = member_conf(c, conf);
    *done = false;
    if (member_too_big(c))
        return RAFT_TOOMANY;
    enum hamd_member_step step = hamd_member_next_step(conf, n, m->op, m->id);
    if (step == HAMD_MEMBER_STEP_DONE) {
        *done = true;
        return 0;
    }
    /* More steps than the operation has means someone else changed the
     * configuration under it: stop rather than chase it. */
    if (m->steps == HAMD_MEMBER_STEPS_MAX)
        return RAFT_CANTCHANGE;
    int rc = member_step_run(c, step);
    if (rc == 0) {
        m->steps++;
        m->step_running = true;
    }
    return rc;
}

/* ------------------------------------------------------------------------
 * Starting and polling a change
 * ------------------------------------------------------------------------ */

/* The verdict of a libraft refusal of the first step. */
static enum hamd_member_verdict member_verdict_of(struct hamd_cluster *c,
                                                  int rc)
{
    switch (rc) {
    case RAFT_NOTLEADER: return HAMD_MEMBER_NOT_LEADER;
    case RAFT_CANTCHANGE: return HAMD_MEMBER_BUSY;
    case RAFT_BADID: return HAMD_MEMBER_UNKNOWN_PEER;
    default:
        LOG_WARN("raft: membership change refused: %s (%s)", raft_strerror(rc),
                 raft_errmsg(&c->raft));
        return HAMD_MEMBER_FAILED;
    }
}

/* Checks the request and starts its first step. */
static enum hamd_member_verdict member_begin(struct hamd_cluster *c,
                                             enum hamd_member_op op,
                                             uint64_t id,
                                             hamd_cluster_member_cb cb,
                                             void *ud)
{
    if (c->standalone)
        return HAMD_MEMBER_STANDALONE;
    if (c->closing || !c->raft_inited)
        return HAMD_MEMBER_NOT_LEADER;
    if (member_too_big(c))
        return member_verdict_of(c, RAFT_TOOMANY);
    struct hamd_member conf[CLUSTER_MEMBERS_MAX];
    unsigned n = member_conf(c, conf);
    bool ready = member_leader_ready(c);
    struct hamd_member_request rq = {
        .op = op, .id = id, .self_id = c->self->id, .is_leader = ready,
        .peer_known = member_peer(c, id) != NULL,
        .in_flight = ready && member_in_flight(c),
    };
    enum hamd_member_verdict v = hamd_member_check(conf, n, &rq);
    if (v != HAMD_MEMBER_OK)
        return v;
    struct cluster_member_op *m = &c->member;
    *m = (struct cluster_member_op){.active = true, .op = op, .id = id,
                                    .cb = cb, .ud = ud};
    bool done;
    int rc = member_advance(c, &done);
    if (rc == 0 && !done)
        return HAMD_MEMBER_OK;
    memset(m, 0, sizeof *m);
    /* check said a step is due, so done here cannot happen; be safe */
    return rc ? member_verdict_of(c, rc) : HAMD_MEMBER_FAILED;
}

enum hamd_member_verdict hamd_cluster_member_add(struct hamd_cluster *c,
                                                 uint64_t id,
                                                 hamd_cluster_member_cb cb,
                                                 void *ud)
{
    return member_begin(c, HAMD_MEMBER_OP_ADD, id, cb, ud);
}

enum hamd_member_verdict hamd_cluster_member_remove(struct hamd_cluster *c,
                                                    uint64_t id,
                                                    hamd_cluster_member_cb cb,
                                                    void *ud)
{
    return member_begin(c, HAMD_MEMBER_OP_REMOVE, id, cb, ud);
}

bool hamd_cluster_member_busy(const struct hamd_cluster *c)
{
    return c->member.active;
}

void cluster_member_poll(struct hamd_cluster *c)
{
    struct cluster_member_op *m = &c->member;
    if (!m->active || m->step_running)
        return;
    if (raft_state(&c->raft) != RAFT_LEADER) {
        member_finish(c, RAFT_LEADERSHIPLOST);
        return;
    }
    bool done;
    int rc = member_advance(c, &done);
    if (rc || done)
        member_finish(c, rc);
}

void cluster_member_abort(struct hamd_cluster *c)
{
    /* A step in flight is failed by raft_close, which calls back. */
    if (c->member.active && !c->member.step_running)
        member_finish(c, RAFT_SHUTDOWN);
}

unsigned hamd_cluster_voters(const struct hamd_cluster *c)
{
    struct hamd_member conf[CLUSTER_MEMBERS_MAX];
    unsigned n = member_conf(c, conf);
    return hamd_member_voters(conf, n);
}

/* ------------------------------------------------------------------------
 * This node's own role
 * ------------------------------------------------------------------------ */

/* What this node's own role means for it, logged once per change. */
static void member_log_self(const struct hamd_cluster *c,
                            enum hamd_member_role role, unsigned n)
{
    unsigned long long id = c->self->id;
    if (role == HAMD_MEMBER_VOTER)
        LOG_INFO("raft: node %llu is a voter (%u voters)", id,
                 hamd_cluster_voters(c));
    else if (role != HAMD_MEMBER_NONE)
        LOG_WARN("raft: node %llu is a %s, not a voter: it neither votes nor "
                 "publishes (being added, or removed: then stop it)", id,
                 hamd_member_role_name(role));
    else if (n == 0)
        LOG_INFO("raft: node %llu is in no cluster configuration yet: it "
                 "waits for the leader to add it (hactl members add %llu)",
                 id, id);
    else
        LOG_WARN("raft: node %llu is not a member of the cluster: it neither "
                 "votes nor publishes; stop it", id);
}

void cluster_member_watch_self(struct hamd_cluster *c)
{
    struct hamd_member conf[CLUSTER_MEMBERS_MAX];
    unsigned n = member_conf(c, conf);
    enum hamd_member_role role = hamd_member_role_of(conf, n, c->self->id);
    bool empty = n == 0;
    if (c->self_role_known && role == c->self_role &&
        empty == c->self_conf_empty)
        return;
    c->self_role_known = true;
    c->self_role = role;
    c->self_conf_empty = empty;
    member_log_self(c, role, n);
}
