/* /api/subscriptions: the replicated set of subscribed contracts
 * ("symbol.EXCHANGE"). Every answer is the resulting set:
 * {"symbols": [...], "count": N}. GET /api/contracts shows the same set
 * with where each contract is routed. */
#include <string.h>

#include "admin/admin_internal.h"

static int list_one(void *ud, const char *vt_symbol)
{
    json_array_append_new(ud, json_string(vt_symbol));
    return 0;
}

/* The whole set as {"symbols": [...], "count": N}, or NULL. */
static json_t *subs_json(struct hamd_store *store)
{
    json_t *arr = json_array();
    if (!arr || !store || hamd_store_subs_foreach(store, list_one, arr) < 0) {
        json_decref(arr);
        return NULL;
    }
    return json_pack("{s:I,s:o}", "count", (json_int_t)json_array_size(arr),
                     "symbols", arr);
}

static int subs_list(struct admin_call *call)
{
    json_t *o = subs_json(call->deps->store);
    return o ? admin_reply_json(call->req, 200, o)
             : admin_reply_error(call->req, 500, NULL, "store read failed");
}

/* GET /api/contracts: each subscribed contract with the source it is
 * routed to and whether an operator pinned it there, from the replicated
 * store (every node answers the same). Three store reads in all: the
 * subscriptions, the assignments, the pins. */
struct contracts_ctx {
    json_t *list;     /* the answer's array, in symbol order */
    json_t *by_sym;   /* vt_symbol -> its entry in list (borrowed) */
};

static int contract_add(void *ud, const char *vt_symbol)
{
    struct contracts_ctx *x = ud;
    json_t *e = json_pack("{s:s,s:s,s:n,s:b}", "symbol", vt_symbol,
                          "exchange", strrchr(vt_symbol, '.') + 1, "source",
                          "pinned", 0);
    json_object_set(x->by_sym, vt_symbol, e);
    json_array_append_new(x->list, e);
    return 0;
}

static int contract_source(void *ud, const char *vt_symbol,
                           const char *account)
{
    json_t *e = json_object_get(((struct contracts_ctx *)ud)->by_sym,
                                vt_symbol);
    if (e && account[0])
        json_object_set_new(e, "source", json_string(account));
    return 0;
}

static int contract_pin(void *ud, const char *vt_symbol)
{
    json_t *e = json_object_get(((struct contracts_ctx *)ud)->by_sym,
                                vt_symbol);
    if (e)
        json_object_set_new(e, "pinned", json_true());
    return 0;
}

static int contracts_list(struct admin_call *call)
{
    struct hamd_store *store = call->deps->store;
    struct contracts_ctx x = {json_array(), json_object()};
    bool ok = store && x.list && x.by_sym &&
              hamd_store_subs_foreach(store, contract_add, &x) == 0 &&
              hamd_store_assign_foreach(store, contract_source, &x) == 0 &&
              hamd_store_pins_foreach(store, contract_pin, &x) == 0;
    json_decref(x.by_sym);
    if (!ok) {
        json_decref(x.list);
        return admin_reply_error(call->req, 500, NULL, "store read failed");
    }
    return admin_reply_json(call->req, 200,
                            json_pack("{s:I,s:o}", "count",
                                      (json_int_t)json_array_size(x.list),
                                      "contracts", x.list));
}

static int reply_subs(struct hamd_admin *admin, h2o_req_t *req, const char *key)
{
    (void)key;
    json_t *o = subs_json(admin->deps.store);
    return o ? admin_reply_json(req, 200, o)
             : admin_reply_error(req, 500, NULL, "store read failed");
}

/* Reads {"symbols": [...]} into cmd (admin_validate.c). Returns false
 * after answering. */
static bool body_symbols(struct admin_call *call, struct hamd_cmd *cmd)
{
    json_t *body = admin_body_json(call);
    if (!body)
        return false;
    struct admin_verdict v;
    bool ok = admin_subs_body_validate(body, cmd, &v);
    if (!ok)
        admin_reply_verdict(call->req, &v); /* v may point into body */
    json_decref(body);
    return ok;
}

/* Reads ?symbol=A&symbol=B into cmd. Returns false after answering. */
static bool query_symbols(struct admin_call *call, struct hamd_cmd *cmd,
                          const char *q, size_t qlen)
{
    struct admin_verdict v;
    if (admin_subs_query_validate(q, qlen, cmd, &v))
        return true;
    admin_reply_verdict(call->req, &v);
    return false;
}

/* A follower forwards the validated request; the leader submits. */
static int subs_submit(struct admin_call *call, struct hamd_cmd *cmd)
{
    if (!admin_is_leader(call))
        return admin_forward(call);
    if (cmd->type == HAMD_CMD_SUBS_DEL)
        for (unsigned k = 0; k < cmd->n_symbols; k++)
            if (!hamd_store_sub_exists(call->deps->store, cmd->symbols[k]))
                return admin_reply_error(call->req, 404, "symbols",
                                         "not subscribed: '%s'",
                                         cmd->symbols[k]);
    return admin_write_submit(call, cmd, reply_subs, NULL);
}

static int subs_add(struct admin_call *call)
{
    struct hamd_cmd cmd;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_ADD);
    if (body_symbols(call, &cmd))
        subs_submit(call, &cmd);
    hamd_cmd_free(&cmd);
    return 0;
}

static int subs_del(struct admin_call *call)
{
    struct hamd_cmd cmd;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_DEL);
    size_t qlen;
    const char *q = admin_query(call->req, &qlen);
    bool ok = qlen ? query_symbols(call, &cmd, q, qlen) : body_symbols(call, &cmd);
    if (ok)
        subs_submit(call, &cmd);
    hamd_cmd_free(&cmd);
    return 0;
}

const struct admin_route ADMIN_SUBS_ROUTES[] = {
    {"GET", "/api/subscriptions", subs_list, false},
    {"POST", "/api/subscriptions", subs_add, true},
    {"DELETE", "/api/subscriptions", subs_del, true},
    {"GET", "/api/contracts", contracts_list, false},
    {NULL, NULL, NULL, false},
};
