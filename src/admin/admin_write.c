/* The write path of the admin API (docs/api.md): writes answer only after
 * commit, and a follower relays them to the leader.
 *
 * A handler validates the request fully first (nothing is submitted for a
 * bad request), then calls admin_write_submit. On the leader that
 * proposes the command and answers from the commit callback; anywhere
 * else it forwards the untouched request to the leader's admin address
 * with admin_http.c on this loop, marked with X-Hamd-Forwarded so that it is
 * never relayed twice (two nodes that each think the other leads answer
 * 503 instead of ping-ponging). */
#include <stdio.h>
#include <string.h>

#include "admin/admin_internal.h"
#include "common/log.h"

#define ADMIN_URL_MAX 2048   /* bytes of a forwarded URL */
#define ADMIN_HDR_LINE_MAX (ADMIN_TOKEN_MAX + 64) /* one header line */

bool admin_is_leader(const struct admin_call *call)
{
    return call->deps->cluster && hamd_cluster_is_leader(call->deps->cluster);
}

int admin_reply_raft_error(h2o_req_t *req, int status)
{
    switch (-status) {
    case RAFT_NOTLEADER:
        return admin_reply_error(req, 503, NULL, "no leader");
    case RAFT_LEADERSHIPLOST:
        return admin_reply_error(req, 503, NULL,
                                 "leadership lost before the change "
                                 "committed; it may still apply: check, "
                                 "then retry");
    case RAFT_SHUTDOWN:
        return admin_reply_error(req, 503, NULL, "the node is shutting down");
    case RAFT_TOOBIG:
        return admin_reply_error(req, 413, NULL,
                                 "the change is too big for one log entry");
    default:
        return admin_reply_error(req, 503, NULL, "raft: %s",
                                 raft_strerror(-status));
    }
}

/* ------------------------------------------------------------------------
 * Submit through Raft
 * ------------------------------------------------------------------------ */

static void submitted_cb(void *ud, int status,
                         const struct hamd_apply_result *res)
{
    struct admin_pending *p = ud;
    h2o_req_t *req = p->req;
    if (req) {
        if (status < 0)
            admin_reply_raft_error(req, status);
        else if (res->status != 0)
            admin_reply_error(req, res->status, res->field, "%s",
                              res->error[0] ? res->error : "rejected");
        else
            p->done(p->admin, req, p->key);
    }
    admin_pending_free(p);
}

int admin_write_submit(struct admin_call *call, const struct hamd_cmd *cmd,
                       admin_commit_fn done, const char *key)
{
    if (!admin_is_leader(call))
        return admin_forward(call);
    struct admin_pending *p = admin_pending_new(call);
    if (!p)
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    p->done = done;
    snprintf(p->key, sizeof p->key, "%s", key ? key : "");
    int rc = hamd_cluster_submit(call->deps->cluster, cmd, submitted_cb, p);
    if (rc == 0)
        return 0;
    admin_pending_free(p);
    if (rc == -RAFT_NOTLEADER)
        return admin_forward(call);
    if (rc == -RAFT_INVALID)
        return admin_reply_error(call->req, 400, NULL, "invalid command");
    return admin_reply_raft_error(call->req, rc);
}

/* ------------------------------------------------------------------------
 * Forward to the leader
 * ------------------------------------------------------------------------ */

#define RELAY_TO_LEADER "leader" /* admin_pending key of a forward */

static void forwarded_cb(void *ud, int status, long http_status,
                         const char *body, size_t len, const char *error)
{
    struct admin_pending *p = ud;
    h2o_req_t *req = p->req;
    bool to_leader = strcmp(p->key, RELAY_TO_LEADER) == 0;
    if (req && status < 0) {
        LOG_WARN("admin: forwarding to %s (node %llu) failed: %s",
                 to_leader ? "the leader" : "another node",
                 (unsigned long long)p->target, error);
        admin_reply_error(req, 503, NULL, "%sforwarding to node %llu failed: %s",
                          to_leader ? "no leader: " : "",
                          (unsigned long long)p->target, error);
    } else if (req) {
        char id[24];
        int n = snprintf(id, sizeof id, "%llu", (unsigned long long)p->target);
        h2o_add_header_by_str(&req->pool, &req->res.headers,
                              to_leader ? "x-hamd-leader" : "x-hamd-node",
                              to_leader ? sizeof "x-hamd-leader" - 1
                                        : sizeof "x-hamd-node" - 1,
                              0, NULL,
                              h2o_strdup(&req->pool, id, (size_t)n).base,
                              (size_t)n);
        admin_reply_raw(req, (int)http_status, "application/json", body, len);
    }
    admin_pending_free(p);
}

/* Fills the header lines of the forwarded request: lines[0] and
 * lines[1] are its buffers. */
static void forward_headers(struct admin_call *call, struct admin_http_req *r,
                            char (*lines)[ADMIN_HDR_LINE_MAX])
{
    unsigned n = 0;
    snprintf(lines[0], ADMIN_HDR_LINE_MAX, "X-Hamd-Forwarded: %u",
             call->deps->cfg->node_id);
    r->headers[n++] = lines[0];
    r->headers[n++] = "Content-Type: application/json";
    ssize_t i = h2o_find_header(&call->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i >= 0 && call->req->headers.entries[i].value.len < ADMIN_TOKEN_MAX + 32) {
        const h2o_iovec_t *v = &call->req->headers.entries[i].value;
        snprintf(lines[1], ADMIN_HDR_LINE_MAX, "Authorization: %.*s",
                 (int)v->len, v->base);
        r->headers[n++] = lines[1];
    }
    r->headers[n] = NULL;
}

/* Relays the untouched request to peer `to` (the leader when to_leader)
 * and its answer back. Returns 0. */
static int relay(struct admin_call *call, const struct hamd_peer *to,
                 bool to_leader)
{
    h2o_req_t *req = call->req;
    char url[ADMIN_URL_MAX];
    int n = snprintf(url, sizeof url, "%s://%s%.*s",
                     admin_scheme(call->admin), to->admin,
                     (int)req->path.len, req->path.base);
    if (n < 0 || (size_t)n >= sizeof url)
        return admin_reply_error(req, 400, NULL, "path too long");
    char method[16];
    snprintf(method, sizeof method, "%.*s", (int)req->method.len,
             req->method.base);
    char lines[2][ADMIN_HDR_LINE_MAX];
    struct admin_http_req r = {
        .url = url, .method = method,
        .body = req->entity.base, .body_len = req->entity.base ? req->entity.len : 0,
        .timeout_ms = ADMIN_FORWARD_TIMEOUT_MS,
        .connect_timeout_ms = ADMIN_FORWARD_CONNECT_TIMEOUT_MS,
    };
    forward_headers(call, &r, lines);
    struct admin_pending *p = admin_pending_new(call);
    if (!p)
        return admin_reply_error(req, 500, NULL, "out of memory");
    p->target = to->id;
    snprintf(p->key, sizeof p->key, "%s", to_leader ? RELAY_TO_LEADER : "");
    if (admin_http_start(call->admin->http, &r, forwarded_cb, p) < 0) {
        admin_pending_free(p);
        return admin_reply_error(req, 503, NULL, "%scannot forward to node %u",
                                 to_leader ? "no leader: " : "", to->id);
    }
    return 0;
}

int admin_forward(struct admin_call *call)
{
    h2o_req_t *req = call->req;
    const struct hamd_config *cfg = call->deps->cfg;
    if (admin_header(req, ADMIN_HDR_FORWARDED))
        return admin_reply_error(req, 503, NULL,
                                 "no leader: node %u got a forwarded request "
                                 "but does not lead", cfg->node_id);
    const struct hamd_peer *leader = hamd_config_peer(
        cfg, call->deps->cluster ? hamd_cluster_leader_id(call->deps->cluster)
                                 : 0);
    if (!leader || leader->id == cfg->node_id)
        return admin_reply_error(req, 503, NULL, "no leader");
    return relay(call, leader, true);
}

int admin_forward_to(struct admin_call *call, unsigned node_id)
{
    h2o_req_t *req = call->req;
    const struct hamd_config *cfg = call->deps->cfg;
    const struct hamd_peer *to = hamd_config_peer(cfg, node_id);
    if (!to)
        return admin_reply_error(req, 404, "node",
                                 "no [peer.%u] in node %u's configuration",
                                 node_id, cfg->node_id);
    if (admin_header(req, ADMIN_HDR_FORWARDED))
        return admin_reply_error(req, 409, "node",
                                 "node %u got a request forwarded for node %u",
                                 cfg->node_id, node_id);
    return relay(call, to, false);
}
