/* The cluster as one node sees it: GET /api/members (the [peer.N] set and
 * who leads), POST /api/transfer (hand leadership over) and GET
 * /api/events (the replicated event history, DESIGN §7). */
#include <stdio.h>
#include <string.h>

#include "admin_internal.h"

#define EVENTS_LIMIT_DEFAULT 100  /* events per answer without ?limit */
#define EVENTS_LIMIT_MAX 1000     /* most events per answer */
#define QUERY_NAME_MAX 32         /* bytes of a query parameter name */
#define QUERY_VALUE_MAX 32        /* bytes of a query parameter value */

/* ------------------------------------------------------------------------
 * GET /api/members
 * ------------------------------------------------------------------------ */

static json_t *member_json(const struct hamd_peer *p, unsigned self,
                           uint64_t leader)
{
    return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "id", (int)p->id,
                     "raft", p->raft, "admin", p->admin, "publish", p->publish,
                     "snapshot", p->snapshot, "role",
                     p->role == HAMD_ROLE_WITNESS ? "witness" : "voter",
                     "self", p->id == self, "leader", leader == p->id);
}

static int members(struct admin_call *call)
{
    const struct hamd_config *cfg = call->node->cfg;
    uint64_t leader = call->node->cluster
                          ? hamd_cluster_leader_id(call->node->cluster) : 0;
    json_t *arr = json_array();
    if (cfg->n_peers == 0)
        json_array_append_new(
            arr, json_pack("{s:i,s:s,s:s,s:s,s:s,s:b,s:b}", "id",
                           (int)cfg->node_id, "admin", cfg->admin, "publish",
                           cfg->publish, "snapshot", cfg->snapshot, "role",
                           "standalone", "self", 1, "leader", 1));
    for (unsigned i = 0; i < cfg->n_peers; i++)
        json_array_append_new(arr, member_json(&cfg->peers[i], cfg->node_id,
                                               leader));
    return admin_reply_json(call->req, 200, arr);
}

/* ------------------------------------------------------------------------
 * POST /api/transfer {"node": N}
 * ------------------------------------------------------------------------ */

static const struct hamd_peer *peer_by_id(const struct hamd_config *cfg,
                                          json_int_t id)
{
    for (unsigned i = 0; i < cfg->n_peers; i++)
        if ((json_int_t)cfg->peers[i].id == id)
            return &cfg->peers[i];
    return NULL;
}

/* Reads {"node": N} into *id. Returns false after answering 400. */
static bool transfer_target_json(struct admin_call *call, json_t *body,
                                 uint64_t *id)
{
    const char *key;
    json_t *v;
    if (!json_is_object(body)) {
        admin_reply_error(call->req, 400, NULL,
                          "expected {\"node\": ID} or no body");
        return false;
    }
    json_object_foreach(body, key, v) {
        if (strcmp(key, "node") != 0) {
            admin_reply_error(call->req, 400, key, "unknown field %s", key);
            return false;
        }
    }
    json_t *node = json_object_get(body, "node");
    if (!node)
        return true;
    const struct hamd_peer *p =
        json_is_integer(node)
            ? peer_by_id(call->node->cfg, json_integer_value(node)) : NULL;
    if (!p) {
        admin_reply_error(call->req, 400, "node",
                          "node must be the id of a member");
        return false;
    }
    if (p->role == HAMD_ROLE_WITNESS) {
        admin_reply_error(call->req, 400, "node",
                          "node %u is a witness: it cannot lead", p->id);
        return false;
    }
    *id = p->id;
    return true;
}

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
    bool ok = transfer_target_json(call, body, id);
    json_decref(body);
    return ok;
}

static void on_transferred(void *ud, int status, uint64_t leader_id)
{
    struct admin_pending *p = ud;
    h2o_req_t *req = p->req;
    if (req && status == 0)
        admin_reply_json(req, 200, json_pack("{s:I,s:I}", "leader",
                                             (json_int_t)leader_id, "previous",
                                             (json_int_t)p->target));
    else if (req && status == RAFT_CANCELED)
        admin_reply_error(req, 504, NULL, "the transfer timed out");
    else if (req)
        admin_reply_raft_error(req, status);
    admin_pending_free(p);
}

static int transfer_start(struct admin_call *call, uint64_t target)
{
    struct hamd_node *node = call->node;
    struct admin_pending *p = admin_pending_new(call);
    if (!p)
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    p->target = node->cfg->node_id;
    int rc = hamd_cluster_transfer(node->cluster, target, on_transferred, p);
    if (rc == 0)
        return 0;
    admin_pending_free(p);
    switch (rc) {
    case RAFT_NOTLEADER:
        return admin_forward(call);
    case RAFT_BUSY:
        return admin_reply_error(call->req, 409, NULL,
                                 "a leadership transfer is already running");
    case RAFT_BADID:
        return admin_reply_error(call->req, 400, "node", "not a voter");
    case RAFT_NOTFOUND:
        return admin_reply_error(call->req, 409, NULL,
                                 "no other voter to hand leadership to");
    default:
        return admin_reply_raft_error(call->req, rc);
    }
}

static int transfer(struct admin_call *call)
{
    struct hamd_node *node = call->node;
    uint64_t target;
    if (!transfer_target(call, &target))
        return 0;
    if (node->cfg->n_peers == 0)
        return admin_reply_error(call->req, 409, NULL,
                                 "a standalone node has no one to hand over to");
    if (!admin_is_leader(call))
        return admin_forward(call);
    if (target == node->cfg->node_id)
        return admin_reply_error(call->req, 409, "node", "node %u already leads",
                                 node->cfg->node_id);
    return transfer_start(call, target);
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

/* Reads limit and since. Returns false after answering 400. */
static bool events_query(struct admin_call *call, uint64_t *limit,
                         uint64_t *since, bool *has_since)
{
    char name[QUERY_NAME_MAX] = "", value[QUERY_VALUE_MAX] = "";
    size_t qlen, pos = 0;
    const char *q = admin_query(call->req, &qlen);
    bool bad = false;
    *limit = EVENTS_LIMIT_DEFAULT;
    *has_since = false;
    while (admin_query_next(q, qlen, &pos, name, sizeof name, value,
                            sizeof value, &bad)) {
        if (strcmp(name, "limit") == 0 &&
            admin_parse_u64(value, EVENTS_LIMIT_MAX, limit) && *limit > 0)
            continue;
        if (strcmp(name, "since") == 0 && admin_parse_u64(value, UINT64_MAX, since)) {
            *has_since = true;
            continue;
        }
        bad = true;
        break;
    }
    if (!bad)
        return true;
    admin_reply_error(call->req, 400, strcmp(name, "since") == 0 ? "since" : "limit",
                      "expected ?limit=1..%d and/or ?since=SEQ",
                      EVENTS_LIMIT_MAX);
    return false;
}

static int events(struct admin_call *call)
{
    struct hamd_store *store = call->node->store;
    uint64_t limit, since = 0;
    bool has_since;
    if (!events_query(call, &limit, &since, &has_since))
        return 0;
    json_t *arr = json_array();
    int rc = !store ? -1
             : has_since ? hamd_store_events_since(store, since, (unsigned)limit,
                                                   event_one, arr)
                         : hamd_store_events_tail(store, (unsigned)limit,
                                                  event_one, arr);
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
    {"POST", "/api/transfer", transfer, true},
    {"GET", "/api/events", events, false},
    {NULL, NULL, NULL, false},
};
