/* GET /api/cluster: the cluster as one page shows it. This node asks
 * every other [peer.N]'s GET /api/status at once, with a short timeout,
 * and adds its own; a member that does not answer in time is marked
 * unreachable with the reason, as `hactl status` shows it:
 *
 *   {"node": 2, "leader": 1,
 *    "nodes": [{"id": 1, "admin": "...", "self": false, "reachable": true,
 *               "status": {...GET /api/status...}},
 *              {"id": 3, "admin": "...", "self": false, "reachable": false,
 *               "error": "127.0.0.1:8003: cannot connect: ..."}, ...]}
 *
 * The live stream (admin_stream.c) sends the same document as its
 * `status` event. One round costs at most VIEW_TIMEOUT_MS, on this loop,
 * without a thread: a frozen member costs a timer, never a blocked loop. */
#include <stdio.h>
#include <stdlib.h>

#include "admin/admin_internal.h"

#define VIEW_TIMEOUT_MS 800          /* one member's /api/status */
#define VIEW_CONNECT_TIMEOUT_MS 300  /* connecting to a member */
#define VIEW_REPLY_MAX (4u << 20)    /* bytes of one member's answer */
#define VIEW_URL_MAX (HAMD_ENDPOINT_MAX + 32) /* http://ADMIN/api/status */
#define VIEW_ERROR_MAX 64            /* bytes of an "HTTP 503" message */

/* One round of questions. */
struct view_round {
    struct hamd_admin *admin;  /* the server */
    admin_view_cb done;        /* the caller's completion */
    void *ud;                  /* its argument */
    unsigned pending;          /* answers still owed, +1 while starting */
    json_t *nodes;             /* one entry per member, by id */
    json_t *self;              /* this node's entry in nodes */
};

/* One member asked. */
struct view_ask {
    struct view_round *round;  /* the round it belongs to */
    json_t *entry;             /* its entry in round->nodes (borrowed) */
};

/* ------------------------------------------------------------------------
 * Answers
 * ------------------------------------------------------------------------ */

static void entry_unreachable(json_t *entry, const char *error)
{
    json_object_set_new(entry, "reachable", json_false());
    json_object_set_new(entry, "error", json_string(error));
}

/* The round is complete: this node's own status goes in last, so it is
 * the freshest part of the view. */
static void round_finish(struct view_round *r)
{
    const struct hamd_admin_deps *d = &r->admin->deps;
    json_t *st = admin_status_json(r->admin);
    if (st) {
        json_object_set_new(r->self, "reachable", json_true());
        json_object_set_new(r->self, "status", st);
    } else {
        entry_unreachable(r->self, "out of memory");
    }
    uint64_t leader = d->cluster ? hamd_cluster_leader_id(d->cluster) : 0;
    if (d->cfg->n_peers == 0)
        leader = d->cfg->node_id;
    json_t *view = json_pack("{s:i,s:o,s:o}", "node", (int)d->cfg->node_id,
                             "leader",
                             leader ? json_integer((json_int_t)leader)
                                    : json_null(),
                             "nodes", r->nodes);
    r->done(r->ud, view);
    free(r);
}

static void round_unref(struct view_round *r)
{
    if (--r->pending == 0)
        round_finish(r);
}

static void member_status_cb(void *ud, int status, long http_status,
                             const char *body, size_t len, const char *error)
{
    struct view_ask *a = ud;
    json_t *st = status == 0 && http_status == 200
                     ? json_loadb(body, len, 0, NULL) : NULL;
    if (json_is_object(st)) {
        json_object_set_new(a->entry, "reachable", json_true());
        json_object_set_new(a->entry, "status", st);
    } else {
        char why[VIEW_ERROR_MAX];
        if (status == 0)
            snprintf(why, sizeof why, "HTTP %ld from its admin API",
                     http_status);
        json_decref(st);
        entry_unreachable(a->entry, status < 0 ? error : why);
    }
    struct view_round *r = a->round;
    free(a);
    round_unref(r);
}

/* ------------------------------------------------------------------------
 * Asking
 * ------------------------------------------------------------------------ */

static json_t *entry_new(struct view_round *r, unsigned id, const char *admin,
                         bool self)
{
    json_t *e = json_pack("{s:i,s:s,s:b}", "id", (int)id, "admin", admin,
                          "self", self);
    json_array_append_new(r->nodes, e);
    return e;
}

static void ask(struct view_round *r, const struct hamd_peer *p)
{
    json_t *entry = entry_new(r, p->id, p->admin, false);
    struct view_ask *a = malloc(sizeof *a);
    char url[VIEW_URL_MAX];
    snprintf(url, sizeof url, "%s://%s/api/status", admin_scheme(r->admin),
             p->admin);
    struct admin_http_req req = {
        .url = url, .method = "GET", .timeout_ms = VIEW_TIMEOUT_MS,
        .connect_timeout_ms = VIEW_CONNECT_TIMEOUT_MS,
        .reply_max = VIEW_REPLY_MAX,
    };
    if (!a) {
        entry_unreachable(entry, "out of memory");
        return;
    }
    *a = (struct view_ask){r, entry};
    r->pending++;
    if (admin_http_start(r->admin->http, &req, member_status_cb, a) < 0) {
        entry_unreachable(entry, r->admin->closing ? "shutting down"
                                                   : "cannot ask");
        r->pending--;
        free(a);
    }
}

int admin_view_gather(struct hamd_admin *admin, admin_view_cb done, void *ud)
{
    const struct hamd_config *cfg = admin->deps.cfg;
    struct view_round *r = calloc(1, sizeof *r);
    if (!r || !(r->nodes = json_array())) {
        free(r);
        return -1;
    }
    *r = (struct view_round){.admin = admin, .done = done, .ud = ud,
                             .pending = 1, .nodes = r->nodes};
    if (cfg->n_peers == 0)
        r->self = entry_new(r, cfg->node_id, hamd_config_admin(cfg), true);
    for (unsigned i = 0; i < cfg->n_peers; i++) {
        const struct hamd_peer *p = &cfg->peers[i];
        if (p->id == cfg->node_id)
            r->self = entry_new(r, p->id, p->admin, true);
        else
            ask(r, p);
    }
    if (!r->self) /* a configuration check keeps this from happening */
        r->self = entry_new(r, cfg->node_id, hamd_config_admin(cfg), true);
    round_unref(r);
    return 0;
}

/* ------------------------------------------------------------------------
 * GET /api/cluster
 * ------------------------------------------------------------------------ */

static void view_cb(void *ud, json_t *view)
{
    struct admin_pending *p = ud;
    if (p->req)
        admin_reply_json(p->req, 200, view); /* NULL: a JSON 500 */
    else
        json_decref(view);
    admin_pending_free(p);
}

static int cluster_get(struct admin_call *call)
{
    struct admin_pending *p = admin_pending_new(call);
    if (!p || admin_view_gather(call->admin, view_cb, p) < 0) {
        if (p)
            admin_pending_free(p);
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    }
    return 0;
}

const struct admin_route ADMIN_VIEW_ROUTES[] = {
    {"GET", "/api/cluster", cluster_get, false},
    {NULL, NULL, NULL, false},
};
