/* Proposals and leadership transfers: see cluster.h. Standalone submits
 * apply at once through the same FSM entry point libraft uses, and answer
 * from the loop so callers see the same asynchronous contract. */
#include "raft/cluster_internal.h"

#include <stdlib.h>

/* One proposal waiting for commit. */
struct submit_req {
    struct raft_apply req;      /* libraft request; req.data = this */
    hamd_cluster_submit_cb cb;  /* caller's completion */
    void *ud;                   /* its argument */
};

/* libraft calls this right after the FSM applied the entry (result is the
 * fsm-owned verdict, valid now) or with an error when leadership was lost
 * or the node is closing. */
static void submit_on_applied(struct raft_apply *req, int status,
                              void *result)
{
    struct submit_req *s = req->data;
    if (s->cb) /* libraft's codes are positive; ours fail below 0 */
        s->cb(s->ud, -status, status == 0 ? result : NULL);
    free(s);
}

/* Answers every queued standalone submit. The queue is detached first so
 * callbacks may submit again. */
void cluster_deliver_done(struct hamd_cluster *c)
{
    struct cluster_done *d = c->done_head;
    c->done_head = c->done_tail = NULL;
    while (d) {
        struct cluster_done *next = d->next;
        if (d->cb)
            d->cb(d->ud, 0, &d->res);
        free(d);
        d = next;
    }
}

static int submit_standalone(struct hamd_cluster *c, struct raft_buffer *buf,
                             hamd_cluster_submit_cb cb, void *ud)
{
    struct cluster_done *d = calloc(1, sizeof *d);
    if (!d) {
        raft_free(buf->base);
        return -RAFT_NOMEM;
    }
    d->res = *hamd_fsm_apply_entry(c->fsm, buf->base, buf->len);
    raft_free(buf->base);
    d->cb = cb;
    d->ud = ud;
    if (c->done_tail)
        c->done_tail->next = d;
    else
        c->done_head = d;
    c->done_tail = d;
    cluster_kick(c);
    return 0;
}

int hamd_cluster_submit(struct hamd_cluster *c, const struct hamd_cmd *cmd,
                        hamd_cluster_submit_cb cb, void *ud)
{
    struct raft_buffer buf;
    if (c->closing)
        return -RAFT_SHUTDOWN;
    if (!c->started || (!c->standalone && !c->raft_inited))
        return -RAFT_NOTLEADER;
    int rc = hamd_cmd_encode(cmd, &buf);
    if (rc)
        return -rc;
    if (c->standalone)
        return submit_standalone(c, &buf, cb, ud);
    struct submit_req *s = calloc(1, sizeof *s);
    if (!s) {
        raft_free(buf.base);
        return -RAFT_NOMEM;
    }
    s->req.data = s;
    s->cb = cb;
    s->ud = ud;
    rc = raft_apply(&c->raft, &s->req, &buf, 1, submit_on_applied);
    if (rc) { /* ownership of buf stays with us on failure */
        raft_free(buf.base);
        free(s);
    }
    return -rc;
}

static void transfer_on_done(struct raft_transfer *req)
{
    struct hamd_cluster *c = req->data;
    raft_id leader = 0;
    const char *addr = NULL;
    c->transferring = false;
    raft_leader(&c->raft, &leader, &addr);
    int status = c->closing ? RAFT_SHUTDOWN
                 : leader && leader != c->self->id ? 0
                                                   : RAFT_CANCELED;
    LOG_INFO("raft: leadership transfer %s (leader %llu)",
             status ? raft_strerror(status) : "done",
             (unsigned long long)leader);
    if (c->transfer_cb)
        c->transfer_cb(c->transfer_ud, -status, leader);
}

/* True when [peer.N] of id says witness. */
static bool transfer_is_witness(const struct hamd_cluster *c, raft_id id)
{
    for (unsigned i = 0; i < c->opts.n_peers; i++)
        if (c->opts.peers[i].id == id)
            return c->opts.peers[i].witness;
    return false;
}

/* A voter other than this node and not a witness that this leader heard
 * from within the election timeout; the search starts one further on each
 * call, so a retry after a failed transfer tries someone else. 0 when
 * none: never a node not heard from, as libraft sends the TimeoutNow at
 * once (a new leader counts every follower up to date) and raft_uv keeps
 * it queued until that host answers again, maybe after a reboot, when it
 * deposes whoever leads by then. */
static raft_id transfer_pick(struct hamd_cluster *c)
{
    const struct raft_configuration *conf = &c->raft.configuration;
    const struct raft_progress *progress = c->raft.leader_state.progress;
    for (unsigned k = 0; k < conf->n; k++) {
        unsigned i = (k + c->transfer_rotor) % conf->n;
        const struct raft_server *s = &conf->servers[i];
        if (s->id == c->self->id || s->role != RAFT_VOTER ||
            transfer_is_witness(c, s->id) || !progress[i].recent_recv)
            continue;
        c->transfer_rotor = i + 1;
        return s->id;
    }
    return 0;
}

int cluster_transfer_start(struct hamd_cluster *c, uint64_t id,
                           hamd_cluster_transfer_cb cb, void *ud)
{
    if (!c->raft_inited || raft_state(&c->raft) != RAFT_LEADER)
        return RAFT_NOTLEADER;
    if (c->transferring)
        return RAFT_BUSY;
    if (!id && !(id = transfer_pick(c)))
        return RAFT_NOTFOUND;
    c->transfer.data = c;
    c->transfer_cb = cb;
    c->transfer_ud = ud;
    /* The target campaigns with disrupt_leader, which bypasses the vote
     * refusal the lease relies on (lease.h): give the lease up first. */
    hamd_lease_step_down(&c->lease);
    cluster_lease_lost(c);
    c->transferring = true;
    int rc = raft_transfer(&c->raft, &c->transfer, id, transfer_on_done);
    if (rc)
        c->transferring = false;
    return rc;
}

int hamd_cluster_transfer(struct hamd_cluster *c, uint64_t id,
                          hamd_cluster_transfer_cb cb, void *ud)
{
    if (c->standalone)
        return -RAFT_NOTFOUND;
    if (c->closing)
        return -RAFT_SHUTDOWN;
    if (id == c->self->id ||
        (id != 0 && hamd_cluster_member_role(c, id) != HAMD_MEMBER_VOTER))
        return -RAFT_BADID;
    return -cluster_transfer_start(c, id, cb, ud);
}
