/* /api/accounts: the data-source accounts of the replicated store, and
 * the operator's start / stop / restart of their gateways.
 *
 * Answers always mask secrets (hamd_account_to_json with mask_secrets),
 * and the secret params are sealed before they are submitted
 * (admin_secrets.c).
 * A write is validated in full before anything is submitted: a follower
 * checks what needs no state (JSON, field types and ranges) and forwards;
 * the leader also checks existence (404 / 409) and then submits.
 *
 * restart is local: it hard-restarts the gateway process of the node
 * asked (gateways run on every node); `hactl restart` asks every node. */
#include <errno.h>
#include <stdio.h>

#include "admin/admin_internal.h"
#include "common/account_json.h"

/* The JSON of account a with secrets masked, and the operator's switch
 * kept apart from it in the store: running, false after a stop. */
static json_t *account_answer(struct hamd_store *store, const struct hamd_account *a)
{
    json_t *o = hamd_account_to_json(a, true);
    if (o)
        json_object_set_new(o, "running",
                            json_boolean(hamd_store_account_running(store, a->id)));
    return o;
}

/* The answer of one stored account, or NULL when it does not exist. */
static json_t *admin_account_json(struct hamd_store *store, const char *id)
{
    struct hamd_account a;
    if (!store || hamd_store_account_get(store, id, &a) != 0)
        return NULL;
    return account_answer(store, &a);
}

/* Reads the account id of the path; answers 400 when it is not a slug. */
static bool path_account_id(struct admin_call *call, char *id)
{
    struct admin_verdict v;
    if (!admin_path_id(call, 0, id, HAMD_ACCOUNT_ID_MAX))
        return false;
    if (admin_account_id_validate(id, &v))
        return true;
    admin_reply_verdict(call->req, &v);
    return false;
}

static bool account_exists(struct hamd_store *store, const char *id)
{
    struct hamd_account a;
    return store && hamd_store_account_get(store, id, &a) == 0;
}

static int reply_not_found(h2o_req_t *req, const char *id)
{
    return admin_reply_error(req, 404, "id", "no such account '%s'", id);
}

/* ------------------------------------------------------------------------
 * Reads
 * ------------------------------------------------------------------------ */

/* What accounts_list walks the store with. */
struct list_walk {
    struct hamd_store *store; /* read for each account's switch */
    json_t *arr;              /* the answer */
};

static int list_one(void *ud, const struct hamd_account *a)
{
    struct list_walk *w = ud;
    json_array_append_new(w->arr, account_answer(w->store, a));
    return 0;
}

static int accounts_list(struct admin_call *call)
{
    struct list_walk w = {call->deps->store, json_array()};
    json_t *arr = w.arr;
    if (arr && w.store && hamd_store_accounts_foreach(w.store, list_one, &w) < 0) {
        json_decref(arr);
        return admin_reply_error(call->req, 500, NULL, "store read failed");
    }
    return admin_reply_json(call->req, 200, arr);
}

static int account_get(struct admin_call *call)
{
    char id[HAMD_ACCOUNT_ID_MAX];
    if (!path_account_id(call, id))
        return 0;
    json_t *o = admin_account_json(call->deps->store, id);
    return o ? admin_reply_json(call->req, 200, o) : reply_not_found(call->req, id);
}

/* ------------------------------------------------------------------------
 * Answers after commit
 * ------------------------------------------------------------------------ */

static int reply_account(struct hamd_admin *admin, h2o_req_t *req,
                         const char *id, int status)
{
    json_t *o = admin_account_json(admin->deps.store, id);
    return o ? admin_reply_json(req, status, o)
             : admin_reply_json(req, status, json_pack("{s:s}", "id", id));
}

static int reply_created(struct hamd_admin *admin, h2o_req_t *req,
                         const char *id)
{
    return reply_account(admin, req, id, 201);
}

static int reply_updated(struct hamd_admin *admin, h2o_req_t *req,
                         const char *id)
{
    return reply_account(admin, req, id, 200);
}

static int reply_deleted(struct hamd_admin *admin, h2o_req_t *req,
                         const char *id)
{
    (void)admin;
    return admin_reply_json(req, 200, json_pack("{s:s}", "deleted", id));
}

static int reply_run(struct hamd_admin *admin, h2o_req_t *req, const char *id)
{
    bool running = hamd_store_account_running(admin->deps.store, id);
    return admin_reply_json(req, 200, json_pack("{s:s,s:b}", "id", id,
                                                "running", running));
}

/* ------------------------------------------------------------------------
 * Writes
 * ------------------------------------------------------------------------ */

/* Validates an account body into *a (partial onto *a when update, the
 * stored account; admin_validate.c), after taking out a `running` that
 * only repeats the account's switch. Returns false after answering 400. */
static bool account_parse(struct admin_call *call, json_t *body,
                          struct hamd_account *a, bool update)
{
    struct admin_verdict v;
    bool running = !update || hamd_store_account_running(call->deps->store, a->id);
    if (admin_account_running_take(body, update ? a->id : NULL, running, &v) &&
        admin_account_validate(body, a, update, call->deps->cfg,
                               call->deps->witness, &v))
        return true;
    admin_reply_verdict(call->req, &v); /* v may point into body */
    return false;
}

static int submit_put(struct admin_call *call, struct hamd_account *a,
                      admin_commit_fn done)
{
    /* Sealed here, on the leader: the log never sees the secrets. */
    if (!admin_secrets_seal(call, a))
        return 0;
    struct hamd_cmd cmd;
    hamd_cmd_init(&cmd, HAMD_CMD_ACCOUNT_PUT);
    if (hamd_cmd_add_account(&cmd, a) < 0) {
        hamd_cmd_free(&cmd);
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    }
    admin_write_submit(call, &cmd, done, a->id);
    hamd_cmd_free(&cmd);
    return 0;
}

static int account_create(struct admin_call *call)
{
    json_t *body = admin_body_json(call);
    if (!body)
        return 0;
    struct hamd_account a;
    bool ok = account_parse(call, body, &a, false);
    json_decref(body);
    if (!ok)
        return 0;
    if (!admin_is_leader(call))
        return admin_forward(call);
    if (account_exists(call->deps->store, a.id))
        return admin_reply_error(call->req, 409, "id",
                                 "account '%s' already exists (PUT "
                                 "/api/accounts/%s updates it)", a.id, a.id);
    return submit_put(call, &a, reply_created);
}

static int account_update(struct admin_call *call)
{
    char id[HAMD_ACCOUNT_ID_MAX];
    if (!path_account_id(call, id))
        return 0;
    json_t *body = admin_body_json(call);
    if (!body)
        return 0;
    if (!json_is_object(body)) {
        json_decref(body);
        return admin_reply_error(call->req, 400, NULL,
                                 "an account must be a JSON object");
    }
    /* Partial fields are checked against the stored account: the
     * leader's, which is the current one. */
    if (!admin_is_leader(call)) {
        json_decref(body);
        return admin_forward(call);
    }
    struct hamd_account a;
    if (!call->deps->store || hamd_store_account_get(call->deps->store, id, &a) != 0) {
        json_decref(body);
        return reply_not_found(call->req, id);
    }
    bool ok = account_parse(call, body, &a, true);
    json_decref(body);
    return ok ? submit_put(call, &a, reply_updated) : 0;
}

/* Submits a command that names an existing account of the path (delete,
 * start, stop), with flag; a follower forwards it. */
static int submit_named(struct admin_call *call, enum hamd_cmd_type type,
                        bool flag, admin_commit_fn done)
{
    char id[HAMD_ACCOUNT_ID_MAX];
    if (!path_account_id(call, id))
        return 0;
    if (!admin_is_leader(call))
        return admin_forward(call);
    if (!account_exists(call->deps->store, id))
        return reply_not_found(call->req, id);
    struct hamd_cmd cmd;
    hamd_cmd_init(&cmd, type);
    snprintf(cmd.account_id, sizeof cmd.account_id, "%s", id);
    cmd.flag = flag;
    admin_write_submit(call, &cmd, done, id);
    hamd_cmd_free(&cmd);
    return 0;
}

static int account_delete(struct admin_call *call)
{
    return submit_named(call, HAMD_CMD_ACCOUNT_DEL, false, reply_deleted);
}

static int account_start(struct admin_call *call)
{
    return submit_named(call, HAMD_CMD_ACCOUNT_RUN, true, reply_run);
}

static int account_stop(struct admin_call *call)
{
    return submit_named(call, HAMD_CMD_ACCOUNT_RUN, false, reply_run);
}

/* Hard restart of this node's gateway process of the account, or with
 * ?node=N of node N's (relayed there). */
static int account_restart(struct admin_call *call)
{
    const struct hamd_admin_deps *d = call->deps;
    char id[HAMD_ACCOUNT_ID_MAX];
    unsigned node = 0;
    if (!path_account_id(call, id) ||
        !admin_query_each(call, admin_restart_param, &node,
                          "expected ?node=ID"))
        return 0;
    if (node && node != d->cfg->node_id)
        return admin_forward_to(call, node);
    int rc = d->gateway_restart(d->ud, id, "operator restart");
    if (rc == -ENOENT && !account_exists(d->store, id))
        return reply_not_found(call->req, id);
    if (rc < 0)
        return admin_reply_error(call->req, 409, "id",
                                 "no gateway of '%s' runs on node %u (%s)", id,
                                 d->cfg->node_id,
                                 d->witness ? "a witness runs none"
                                            : "disabled or stopped");
    return admin_reply_json(call->req, 200,
                            json_pack("{s:s,s:i,s:b}", "account", id, "node",
                                      (int)d->cfg->node_id, "restarted", 1));
}

const struct admin_route ADMIN_ACCOUNTS_ROUTES[] = {
    {"GET", "/api/accounts", accounts_list, false},
    {"POST", "/api/accounts", account_create, true},
    {"GET", "/api/accounts/{id}", account_get, false},
    {"PUT", "/api/accounts/{id}", account_update, true},
    {"DELETE", "/api/accounts/{id}", account_delete, true},
    {"POST", "/api/accounts/{id}/start", account_start, true},
    {"POST", "/api/accounts/{id}/stop", account_stop, true},
    {"POST", "/api/accounts/{id}/restart", account_restart, true},
    {NULL, NULL, NULL, false},
};
