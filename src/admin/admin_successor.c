/* Graceful handover: ask every other node how it is doing, then choose
 * (successor.c). Used by SIGTERM on the leader. Each node answers
 * /api/status itself, so the choice uses every node's own health view. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_internal.h"
#include "core/successor.h"

#define SUCCESSOR_TIMEOUT_MS 300         /* per /api/status request */
#define SUCCESSOR_CONNECT_TIMEOUT_MS 100 /* connecting to a node */

/* One round of questions. */
struct successor_query {
    hamd_admin_successor_cb done;         /* the caller's completion */
    void *ud;                             /* its argument */
    unsigned pending;                     /* requests not answered yet */
    size_t n;                             /* used candidates */
    struct hamd_successor_candidate candidates[HAMD_MAX_PEERS]; /* asked */
};

/* One request of a round. */
struct successor_ask {
    struct successor_query *q;             /* the round it belongs to */
    struct hamd_successor_candidate *cand; /* the node it asks about */
};

static void candidate_read(struct hamd_successor_candidate *cand,
                           const char *body, size_t len)
{
    json_t *st = json_loadb(body, len, 0, NULL);
    if (!json_is_object(st)) {
        json_decref(st);
        return;
    }
    cand->reachable = true;
    cand->witness = json_is_true(json_object_get(st, "witness"));
    cand->applied_index =
        (uint64_t)json_integer_value(json_object_get(st, "applied_index"));
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(st, "gateways"), i, g) {
        const char *state = json_string_value(json_object_get(g, "state"));
        cand->healthy += state && strcmp(state, "HEALTHY") == 0;
    }
    json_decref(st);
}

static void query_finish(struct successor_query *q)
{
    unsigned id = hamd_successor_pick(q->candidates, q->n);
    for (size_t i = 0; i < q->n; i++) {
        const struct hamd_successor_candidate *c = &q->candidates[i];
        LOG_INFO("handover candidate node %u: %s, %u healthy gateway(s), "
                 "applied %llu", c->id, c->reachable ? "answered" : "no answer",
                 c->healthy, (unsigned long long)c->applied_index);
    }
    q->done(q->ud, id ? 0 : -ENOENT, id);
    free(q);
}

static void status_cb(void *ud, int status, long http_status,
                      const char *body, size_t len, const char *error)
{
    struct successor_ask *a = ud;
    (void)error;
    if (status == 0 && http_status == 200)
        candidate_read(a->cand, body, len);
    struct successor_query *q = a->q;
    free(a);
    if (--q->pending == 0)
        query_finish(q);
}

static void ask(struct hamd_admin *self, struct successor_query *q,
                const struct hamd_peer *p)
{
    struct hamd_successor_candidate *cand = &q->candidates[q->n++];
    cand->id = p->id;
    struct successor_ask *a = malloc(sizeof *a);
    char url[HAMD_ENDPOINT_MAX + 32];
    snprintf(url, sizeof url, "%s://%s/api/status", admin_scheme(self),
             p->admin);
    struct admin_http_req r = {
        .url = url, .method = "GET", .timeout_ms = SUCCESSOR_TIMEOUT_MS,
        .connect_timeout_ms = SUCCESSOR_CONNECT_TIMEOUT_MS,
    };
    if (!a)
        return;
    *a = (struct successor_ask){q, cand};
    q->pending++;
    if (admin_http_start(self->http, &r, status_cb, a) < 0) {
        q->pending--;
        free(a);
    }
}

int hamd_admin_pick_successor(struct hamd_admin *self,
                              hamd_admin_successor_cb done, void *ud)
{
    const struct hamd_config *cfg = self->deps.cfg;
    struct successor_query *q = calloc(1, sizeof *q);
    if (!q)
        return -1;
    q->done = done;
    q->ud = ud;
    q->pending = 1; /* held until every request is started */
    for (unsigned i = 0; i < cfg->n_peers; i++) {
        const struct hamd_peer *p = &cfg->peers[i];
        /* Only a voter of the current configuration can take over. */
        if (p->id != cfg->node_id && p->role != HAMD_ROLE_WITNESS &&
            hamd_cluster_member_role(self->deps.cluster, p->id) ==
                HAMD_MEMBER_VOTER)
            ask(self, q, p);
    }
    if (--q->pending == 0)
        query_finish(q);
    return 0;
}
