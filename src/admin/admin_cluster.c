/* The cluster as one node sees it: GET /api/members (the Raft
 * configuration plus the [peer.N] not in it, and who leads), POST
 * /api/members and DELETE /api/members/{id} (membership changes, one
 * server at a time), POST /api/transfer (hand leadership over) and GET
 * /api/events (the replicated event history, docs/failover.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_internal.h"

#define MEMBERS_LIST_MAX 64       /* rows of GET /api/members */
#define MEMBER_ID_TEXT_MAX 8      /* bytes of a path id: "65535" + NUL */
#define VOTERS_SAFE_MIN 3         /* fewer voters cannot fail over */

/* ------------------------------------------------------------------------
 * GET /api/members
 * ------------------------------------------------------------------------ */

static int member_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct hamd_member *)a)->id;
    uint64_t y = ((const struct hamd_member *)b)->id;
    return (x > y) - (x < y);
}

/* The configuration, then every [peer.N] it lacks (role none), by id.
 * Returns the number of rows in out. */
static unsigned members_rows(const struct hamd_admin_deps *d,
                             struct hamd_member *out)
{
    const struct hamd_config *cfg = d->cfg;
    unsigned n = d->cluster
                     ? hamd_cluster_members(d->cluster, out, MEMBERS_LIST_MAX)
                     : 0;
    if (n > MEMBERS_LIST_MAX)
        n = MEMBERS_LIST_MAX;
    for (unsigned i = 0; i < cfg->n_peers && n < MEMBERS_LIST_MAX; i++) {
        if (hamd_member_role_of(out, n, cfg->peers[i].id) != HAMD_MEMBER_NONE)
            continue;
        out[n] = (struct hamd_member){.id = cfg->peers[i].id,
                                      .role = HAMD_MEMBER_NONE};
        snprintf(out[n].address, sizeof out[n].address, "%.*s",
                 (int)sizeof out[n].address - 1, cfg->peers[i].raft);
        n++;
    }
    qsort(out, n, sizeof *out, member_cmp);
    return n;
}

static json_t *member_json(const struct hamd_config *cfg,
                           const struct hamd_member *m, uint64_t leader)
{
    const struct hamd_peer *p = hamd_config_peer(cfg, m->id);
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:b}", "id",
                     (json_int_t)m->id, "raft", m->address, "admin",
                     p ? p->admin : "", "publish", p ? p->publish : "",
                     "snapshot", p ? p->snapshot : "", "role",
                     hamd_member_role_name(m->role), "member",
                     m->role != HAMD_MEMBER_NONE, "witness",
                     p && p->role == HAMD_ROLE_WITNESS, "self",
                     m->id == cfg->node_id, "leader", m->id == leader);
}

static int members(struct admin_call *call)
{
    const struct hamd_config *cfg = call->deps->cfg;
    json_t *arr = json_array();
    if (cfg->n_peers == 0) {
        json_array_append_new(
            arr, json_pack("{s:i,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:b}", "id",
                           (int)cfg->node_id, "admin", cfg->admin, "publish",
                           cfg->publish, "snapshot", cfg->snapshot, "role",
                           "standalone", "member", 1, "witness", 0, "self", 1,
                           "leader", 1));
        return admin_reply_json(call->req, 200, arr);
    }
    struct hamd_member rows[MEMBERS_LIST_MAX];
    unsigned n = members_rows(call->deps, rows);
    uint64_t leader = call->deps->cluster
                          ? hamd_cluster_leader_id(call->deps->cluster) : 0;
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(arr, member_json(cfg, &rows[i], leader));
    return admin_reply_json(call->req, 200, arr);
}

/* ------------------------------------------------------------------------
 * POST /api/members {"id": N}, DELETE /api/members/{id}
 * ------------------------------------------------------------------------ */

/* Reads the request body {"id": N} into *id (admin_validate.c). Returns
 * false after answering 400 / 413. */
static bool member_add_target(struct admin_call *call, uint64_t *id)
{
    json_t *body = admin_body_json(call);
    if (!body)
        return false;
    struct admin_verdict v;
    bool ok = admin_member_body_validate(body, id, &v);
    if (!ok)
        admin_reply_verdict(call->req, &v); /* v may point into body */
    json_decref(body);
    return ok;
}

/* Reads the {id} of the path into *id. Returns false after answering 400. */
static bool member_path_target(struct admin_call *call, uint64_t *id)
{
    char text[MEMBER_ID_TEXT_MAX];
    struct admin_verdict v;
    if (!admin_path_id(call, 0, text, sizeof text))
        return false;
    if (admin_member_path_validate(text, id, &v))
        return true;
    admin_reply_verdict(call->req, &v);
    return false;
}

/* The answer once the change committed; warns when the voters left
 * cannot elect a new leader after one failure. */
static void member_reply_done(h2o_req_t *req, struct hamd_cluster *cluster,
                              uint64_t id)
{
    unsigned voters = hamd_cluster_voters(cluster);
    json_t *body = json_pack("{s:I,s:s,s:I}", "id", (json_int_t)id, "role",
                             hamd_member_role_name(
                                 hamd_cluster_member_role(cluster, id)),
                             "voters", (json_int_t)voters);
    if (body && voters < VOTERS_SAFE_MIN)
        json_object_set_new(body, "warning",
                            json_sprintf("%u voter%s cannot fail over: add a "
                                         "third voter (or a witness)",
                                         voters, voters == 1 ? "" : "s"));
    admin_reply_json(req, 200, body);
}

static void member_changed_cb(void *ud, int status)
{
    struct admin_pending *p = ud;
    h2o_req_t *req = p->req;
    unsigned long long id = p->target;
    if (!req) {
        admin_pending_free(p); /* the client left */
        return;
    }
    if (status == 0)
        member_reply_done(req, p->admin->deps.cluster, p->target);
    else if (status == -RAFT_NOCONNECTION)
        admin_reply_error(req, 504, "id",
                          "node %llu did not catch up with the log: is hamd "
                          "running there (with [peer.%llu] join = true)? "
                          "It stays a spare: add it again, or remove it",
                          id, id);
    else if (status == -RAFT_CANTCHANGE)
        admin_reply_error(req, 409, NULL,
                          "the configuration changed while node %llu was "
                          "being changed: check the members, then retry", id);
    else
        admin_reply_raft_error(req, status);
    admin_pending_free(p);
}

/* Answers a refusal of hamd_cluster_member_add / _remove. */
static int member_refused(struct admin_call *call, enum hamd_member_verdict v,
                          uint64_t id)
{
    unsigned long long n = id;
    unsigned self = call->deps->cfg->node_id;
    switch (v) {
    case HAMD_MEMBER_NOT_LEADER:
        return admin_forward(call);
    case HAMD_MEMBER_STANDALONE:
        return admin_reply_error(call->req, 409, NULL,
                                 "a standalone node has no cluster members");
    case HAMD_MEMBER_UNKNOWN_PEER:
        /* The leader knows the peers of the file it started with: an
         * operator who only edited the files gets told to restart. */
        return admin_reply_error(call->req, 404, "id",
                                 "node %llu has no [peer.%llu] section in the "
                                 "configuration node %u read at its start: add "
                                 "it to every node's file, then restart the "
                                 "nodes one at a time, the leader last",
                                 n, n, self);
    case HAMD_MEMBER_NOT_MEMBER:
        return admin_reply_error(call->req, 404, "id",
                                 "node %llu is not a member of the cluster", n);
    case HAMD_MEMBER_ALREADY_VOTER:
        return admin_reply_error(call->req, 409, "id",
                                 "node %llu is already a voter", n);
    case HAMD_MEMBER_IS_LEADER:
        return admin_reply_error(call->req, 409, "id",
                                 "node %llu leads: hand leadership over first "
                                 "(hactl transfer), then remove it", n);
    case HAMD_MEMBER_BUSY:
        return admin_reply_error(call->req, 409, NULL,
                                 "another membership change or a leadership "
                                 "transfer is running: one change at a time, "
                                 "retry when it is done");
    default:
        return admin_reply_error(call->req, 503, NULL, "%s (see node %u's log)",
                                 hamd_member_verdict_name(v), self);
    }
}

/* Starts an add (add = true) or a removal of id; answers after commit. */
static int member_change(struct admin_call *call, uint64_t id, bool add)
{
    const struct hamd_admin_deps *d = call->deps;
    if (d->cfg->n_peers == 0)
        return member_refused(call, HAMD_MEMBER_STANDALONE, id);
    if (!admin_is_leader(call))
        return admin_forward(call);
    struct admin_pending *p = admin_pending_new(call);
    if (!p)
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    p->target = id;
    enum hamd_member_verdict v =
        add ? hamd_cluster_member_add(d->cluster, id, member_changed_cb, p)
            : hamd_cluster_member_remove(d->cluster, id, member_changed_cb,
                                         p);
    if (v == HAMD_MEMBER_OK)
        return 0;
    admin_pending_free(p);
    return member_refused(call, v, id);
}

static int member_add(struct admin_call *call)
{
    uint64_t id;
    if (!member_add_target(call, &id))
        return 0;
    return member_change(call, id, true);
}

static int member_remove(struct admin_call *call)
{
    uint64_t id;
    if (!member_path_target(call, &id))
        return 0;
    return member_change(call, id, false);
}

/* ------------------------------------------------------------------------
 * POST /api/transfer {"node": N}
 * ------------------------------------------------------------------------ */

/* Reads the optional target of the request into *id (0 = any voter).
 * Returns false after answering 400. */
static bool transfer_target(struct admin_call *call, uint64_t *id)
{
    *id = 0;
    if (!call->req->entity.base || call->req->entity.len == 0)
        return true;
    json_t *body = admin_body_json(call);
    if (!body)
        return false;
    struct admin_verdict v;
    bool ok = admin_transfer_validate(body, call->deps->cfg, id, &v);
    if (!ok)
        admin_reply_verdict(call->req, &v); /* v may point into body */
    json_decref(body);
    return ok;
}

static void transferred_cb(void *ud, int status, uint64_t leader_id)
{
    struct admin_pending *p = ud;
    h2o_req_t *req = p->req;
    if (req && status == 0)
        admin_reply_json(req, 200, json_pack("{s:I,s:I}", "leader",
                                             (json_int_t)leader_id, "previous",
                                             (json_int_t)p->target));
    else if (req && status == -RAFT_CANCELED)
        admin_reply_error(req, 504, NULL, "the transfer timed out");
    else if (req)
        admin_reply_raft_error(req, status);
    admin_pending_free(p);
}

/* Answers a transfer that could not start (rc < 0, cluster.h). */
static int transfer_refused(h2o_req_t *req, int rc)
{
    switch (-rc) {
    case RAFT_BUSY:
        return admin_reply_error(req, 409, NULL,
                                 "a leadership transfer is already running");
    case RAFT_BADID:
        return admin_reply_error(req, 400, "node", "not a voter");
    case RAFT_NOTFOUND:
        return admin_reply_error(req, 409, NULL,
                                 "no other voter answered lately to hand "
                                 "leadership to");
    default:
        return admin_reply_raft_error(req, rc);
    }
}

static int transfer_start(struct admin_call *call, uint64_t target)
{
    const struct hamd_admin_deps *d = call->deps;
    struct admin_pending *p = admin_pending_new(call);
    if (!p)
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    p->target = d->cfg->node_id;
    int rc = hamd_cluster_transfer(d->cluster, target, transferred_cb, p);
    if (rc == 0)
        return 0;
    admin_pending_free(p);
    if (rc == -RAFT_NOTLEADER)
        return admin_forward(call);
    return transfer_refused(call->req, rc);
}

/* No node named: the healthiest follower, as on SIGTERM; none (status <
 * 0, id 0): a voter the cluster heard from lately. */
static void successor_picked_cb(void *ud, int status, unsigned id)
{
    (void)status;
    struct admin_pending *p = ud;
    if (!p->req) {
        admin_pending_free(p);
        return;
    }
    int rc = hamd_cluster_transfer(p->admin->deps.cluster, id, transferred_cb, p);
    if (rc != 0) {
        transfer_refused(p->req, rc);
        admin_pending_free(p);
    }
}

static int transfer_to_best(struct admin_call *call)
{
    struct admin_pending *p = admin_pending_new(call);
    if (!p)
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    p->target = call->deps->cfg->node_id;
    if (hamd_admin_pick_successor(call->admin, successor_picked_cb, p) != 0) {
        admin_pending_free(p);
        return transfer_start(call, 0);
    }
    return 0;
}

static int transfer(struct admin_call *call)
{
    const struct hamd_admin_deps *d = call->deps;
    uint64_t target;
    if (!transfer_target(call, &target))
        return 0;
    if (d->cfg->n_peers == 0)
        return admin_reply_error(call->req, 409, NULL,
                                 "a standalone node has no one to hand over to");
    if (!admin_is_leader(call))
        return admin_forward(call);
    if (target == d->cfg->node_id)
        return admin_reply_error(call->req, 409, "node", "node %u already leads",
                                 d->cfg->node_id);
    /* A transfer would fail the membership step in flight. */
    if (hamd_cluster_member_busy(d->cluster))
        return admin_reply_error(call->req, 409, NULL,
                                 "a membership change is running: transfer "
                                 "when it is done");
    return target ? transfer_start(call, target) : transfer_to_best(call);
}

/* ------------------------------------------------------------------------
 * GET /api/events?limit=N&since=SEQ
 * ------------------------------------------------------------------------ */

static int event_one(void *ud, uint64_t seq, const char *text)
{
    json_t *ev = json_loads(text, 0, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        ev = json_pack("{s:s}", "raw", text);
    }
    json_object_set_new(ev, "seq", json_integer((json_int_t)seq));
    json_array_append_new(ud, ev);
    return 0;
}

static int events(struct admin_call *call)
{
    struct hamd_store *store = call->deps->store;
    struct admin_events_query eq;
    struct admin_verdict v;
    size_t qlen;
    const char *q = admin_query(call->req, &qlen);
    if (!admin_events_query_validate(q, qlen, &eq, &v))
        return admin_reply_verdict(call->req, &v);
    json_t *arr = json_array();
    unsigned limit = (unsigned)eq.limit;
    int rc = !store ? -1
             : eq.has_since ? hamd_store_events_since(store, eq.since, limit,
                                                      event_one, arr)
                            : hamd_store_events_tail(store, limit, event_one,
                                                     arr);
    if (rc < 0) {
        json_decref(arr);
        return admin_reply_error(call->req, 500, NULL, "store read failed");
    }
    return admin_reply_json(call->req, 200,
                            json_pack("{s:o,s:I}", "events", arr, "last_seq",
                                      (json_int_t)hamd_store_events_last_seq(store)));
}

const struct admin_route ADMIN_CLUSTER_ROUTES[] = {
    {"GET", "/api/members", members, false},
    {"POST", "/api/members", member_add, true},
    {"DELETE", "/api/members/{id}", member_remove, true},
    {"POST", "/api/transfer", transfer, true},
    {"GET", "/api/events", events, false},
    {NULL, NULL, NULL, false},
};
