/* Secret params on the write path (docs/security.md, "Secrets at rest"):
 * an account's secrets are sealed with the cluster key before the
 * ACCOUNT_PUT is submitted, so the Raft log, LMDB and snapshots never see
 * them in clear; and POST /api/accounts/rekey seals again, under the
 * current key of [accounts] key_file, every secret another key sealed
 * (or none did), one ACCOUNT_PUT per account that changes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin/admin_internal.h"
#include "common/vault.h"

/* ------------------------------------------------------------------------
 * Writes
 * ------------------------------------------------------------------------ */

bool admin_secrets_seal(struct admin_call *call, struct hamd_account *a)
{
    char err[HAMD_VAULT_ERR_MAX];
    char sealed[HAMD_PARAMS_MAX];
    if (hamd_vault_seal_params(call->deps->vault, a->params, sealed,
                               sizeof sealed, err, sizeof err) < 0) {
        explicit_bzero(a->params, sizeof a->params);
        admin_reply_error(call->req, 400, "params", "%s", err);
        return false;
    }
    explicit_bzero(a->params, sizeof a->params);
    snprintf(a->params, sizeof a->params, "%s", sealed);
    if (!hamd_vault_can_seal(call->deps->vault) &&
        hamd_vault_params_clear(call->deps->vault, a->params))
        LOG_WARN("account %s: its secret params are stored in clear: set "
                 "[accounts] key_file to seal them (docs/security.md)", a->id);
    return true;
}

/* ------------------------------------------------------------------------
 * POST /api/accounts/rekey
 * ------------------------------------------------------------------------ */

/* One rekey in flight: its submits answer in any number. */
struct rekey {
    struct admin_pending *p;     /* the answer owed */
    unsigned accounts;           /* accounts in the store */
    unsigned outstanding;        /* submits not completed yet */
    unsigned rekeyed;            /* submits committed */
    unsigned failed;             /* submits refused or lost */
    int status;                  /* the first failure's HTTP status */
    char error[HAMD_VAULT_ERR_MAX]; /* its message */
    char kid[HAMD_VAULT_KID_MAX];   /* the key everything is sealed with */
};

static void rekey_fail(struct rekey *k, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rekey_fail(struct rekey *k, int status, const char *fmt, ...)
{
    k->failed++;
    if (k->status)
        return;
    k->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->error, sizeof k->error, fmt, ap);
    va_end(ap);
}

/* Answers once nothing is outstanding, and frees. */
static void rekey_finish(struct rekey *k)
{
    if (k->outstanding > 0)
        return;
    h2o_req_t *req = k->p->req;
    if (req && k->status)
        admin_reply_error(req, k->status, NULL,
                          "%s (%u of %u accounts sealed again; run rekey "
                          "again)", k->error, k->rekeyed,
                          k->rekeyed + k->failed);
    else if (req)
        admin_reply_json(req, 200,
                         json_pack("{s:i,s:i,s:s}", "accounts",
                                   (int)k->accounts, "rekeyed",
                                   (int)k->rekeyed, "key", k->kid));
    if (k->rekeyed || k->failed)
        LOG_INFO("admin: rekey: %u accounts sealed again with key %s, %u "
                 "failed", k->rekeyed, k->kid, k->failed);
    admin_pending_free(k->p);
    free(k);
}

static void rekey_submitted_cb(void *ud, int status,
                               const struct hamd_apply_result *res)
{
    struct rekey *k = ud;
    k->outstanding--;
    if (status < 0)
        rekey_fail(k, 503, "raft: %s", raft_strerror(-status));
    else if (res->status != 0)
        rekey_fail(k, res->status, "%s", res->error[0] ? res->error
                                                       : "rejected");
    else
        k->rekeyed++;
    rekey_finish(k);
}

/* What rekey_one needs. */
struct rekey_walk {
    struct admin_call *call; /* the request */
    struct rekey *k;         /* the rekey */
};

static int rekey_one(void *ud, const struct hamd_account *stored)
{
    struct rekey_walk *w = ud;
    struct rekey *k = w->k;
    struct hamd_account a = *stored;
    char err[HAMD_VAULT_ERR_MAX];
    bool changed = false;
    k->accounts++;
    if (hamd_vault_rekey_params(w->call->deps->vault, stored->params, a.params,
                                sizeof a.params, &changed, err,
                                sizeof err) < 0) {
        rekey_fail(k, 409, "account %s: %s", stored->id, err);
    } else if (changed) {
        struct hamd_cmd cmd;
        hamd_cmd_init(&cmd, HAMD_CMD_ACCOUNT_PUT);
        int rc = hamd_cmd_add_account(&cmd, &a) < 0
                     ? -RAFT_NOMEM
                     : hamd_cluster_submit(w->call->deps->cluster, &cmd,
                                           rekey_submitted_cb, k);
        hamd_cmd_free(&cmd);
        if (rc == 0)
            k->outstanding++;
        else
            rekey_fail(k, 503, "account %s: raft: %s", stored->id,
                       raft_strerror(-rc));
    }
    explicit_bzero(&a, sizeof a);
    return 0;
}

static int accounts_rekey(struct admin_call *call)
{
    if (!admin_is_leader(call))
        return admin_forward(call);
    struct hamd_vault *vault = call->deps->vault;
    char err[HAMD_VAULT_ERR_MAX];
    if (hamd_vault_reload(vault, err, sizeof err) < 0)
        return admin_reply_error(call->req, 409, NULL, "%s", err);
    if (!hamd_vault_can_seal(vault))
        return admin_reply_error(call->req, 409, NULL,
                                 "no [accounts] key_file on the leader: "
                                 "nothing to seal with");
    struct rekey *k = calloc(1, sizeof *k);
    struct admin_pending *p = k ? admin_pending_new(call) : NULL;
    if (!p) {
        free(k);
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    }
    k->p = p;
    snprintf(k->kid, sizeof k->kid, "%s", hamd_vault_key_id(vault));
    /* Held while submitting, so no completion answers half-way. */
    k->outstanding = 1;
    struct rekey_walk w = {call, k};
    if (hamd_store_accounts_foreach(call->deps->store, rekey_one, &w) < 0)
        rekey_fail(k, 500, "store read failed");
    k->outstanding--;
    rekey_finish(k);
    return 0;
}

const struct admin_route ADMIN_SECRETS_ROUTES[] = {
    {"POST", "/api/accounts/rekey", accounts_rekey, true},
    {NULL, NULL, NULL, false},
};
