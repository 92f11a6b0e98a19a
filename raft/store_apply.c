/* The rules of the replicated state machine: how each command changes the
 * store. Runs on every node for every committed command, so it must be
 * deterministic: it reads nothing but the command and the store (no
 * clock, no configuration but events_max), and a command that is invalid
 * for the current state changes no data on any node.
 *
 * One write txn per command; the data change runs in a nested txn so a
 * business error (404, 409...) discards it while the applied index still
 * advances in the parent, all with one commit.
 */
#include "raft/store_internal.h"

#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "raft/account_pack.h"

#define APPLY_DAY_MIN 19700101u /* FAILOVER_COUNT day bounds (yyyymmdd) */
#define APPLY_DAY_MAX 99991231u

/* Everything one command's application needs. */
struct apply_ctx {
    struct hamd_store *s;          /* the store */
    MDB_txn *txn;                  /* nested txn holding the data change */
    const struct hamd_cmd *cmd;    /* the command being applied */
    unsigned events_max;           /* event history bound */
    struct hamd_apply_result *res; /* outcome */
};

/* ------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------ */

/* Records a business error; returns 0 (no LMDB error) so the caller only
 * has to discard the nested txn. */
__attribute__((format(printf, 4, 5)))
static int apply_reject(struct apply_ctx *c, int status, const char *field,
                        const char *fmt, ...)
{
    va_list ap;
    c->res->status = status;
    snprintf(c->res->field, sizeof c->res->field, "%s", field);
    va_start(ap, fmt);
    vsnprintf(c->res->error, sizeof c->res->error, fmt, ap);
    va_end(ap);
    return 0;
}

static MDB_dbi apply_db(struct apply_ctx *c, enum store_db db)
{
    return c->s->dbi[db];
}

/* "symbol.EXCHANGE": non-empty on both sides of the last dot, printable. */
static bool apply_symbol_ok(const char *sym)
{
    const char *dot = strrchr(sym, '.');
    if (!dot || dot == sym || dot[1] == '\0')
        return false;
    for (const char *p = sym; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

/* Validates an account for the store; rejects with 400 otherwise. */
static bool apply_account_ok(struct apply_ctx *c, const struct hamd_account *a)
{
    if (!hamd_account_id_valid(a->id))
        apply_reject(c, HAMD_APPLY_BAD_REQUEST, "id",
                     "invalid account id '%s'", a->id);
    else if (a->priority < HAMD_PRIORITY_MIN || a->priority > HAMD_PRIORITY_MAX)
        apply_reject(c, HAMD_APPLY_BAD_REQUEST, "priority",
                     "priority %d out of %d..%d", a->priority,
                     HAMD_PRIORITY_MIN, HAMD_PRIORITY_MAX);
    else if (!a->gateway_type[0])
        apply_reject(c, HAMD_APPLY_BAD_REQUEST, "gateway_type",
                     "empty gateway_type");
    return c->res->status == 0;
}

/* Validates every symbol of the command; rejects with 400 otherwise. */
static bool apply_symbols_ok(struct apply_ctx *c, const char *field)
{
    for (unsigned i = 0; i < c->cmd->n_symbols; i++)
        if (!apply_symbol_ok(c->cmd->symbols[i])) {
            apply_reject(c, HAMD_APPLY_BAD_REQUEST, field,
                         "invalid vt_symbol '%s'", c->cmd->symbols[i]);
            return false;
        }
    return true;
}

/* ------------------------------------------------------------------------
 * Accounts and subscriptions
 * ------------------------------------------------------------------------ */

static int apply_put_account(struct apply_ctx *c, const struct hamd_account *a)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = hamd_acct_mp_pack(&pk, a)
                 ? MDB_PANIC
                 : store_put(c->txn, apply_db(c, STORE_DB_ACCOUNTS), a->id,
                             sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static bool apply_account_exists(struct apply_ctx *c, const char *id)
{
    if (id[0] && store_has(c->txn, apply_db(c, STORE_DB_ACCOUNTS), id))
        return true;
    apply_reject(c, HAMD_APPLY_NOT_FOUND, "id", "no such account '%s'", id);
    return false;
}

/* Like apply_account_exists for a source: an account, or an account
 * relayed from a node (ACCOUNT@nodeN). */
static bool apply_source_exists(struct apply_ctx *c, const char *id)
{
    char account[HAMD_ACCOUNT_ID_MAX];
    if (hamd_source_id_parse(id, account, NULL) &&
        store_has(c->txn, apply_db(c, STORE_DB_ACCOUNTS), account))
        return true;
    apply_reject(c, HAMD_APPLY_NOT_FOUND, "id", "no such source '%s'", id);
    return false;
}

static int apply_put_subs(struct apply_ctx *c)
{
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < c->cmd->n_symbols; i++)
        rc = store_put(c->txn, apply_db(c, STORE_DB_SUBS), c->cmd->symbols[i],
                       "", 0);
    return rc;
}

static int apply_seed(struct apply_ctx *c)
{
    const struct hamd_cmd *cmd = c->cmd;
    if (store_has(c->txn, apply_db(c, STORE_DB_STATE), STORE_KEY_SEEDED))
        return apply_reject(c, HAMD_APPLY_CONFLICT, "", "already seeded");
    for (unsigned i = 0; i < cmd->n_accounts; i++)
        if (!apply_account_ok(c, &cmd->accounts[i]))
            return 0;
    if (!apply_symbols_ok(c, "subscriptions"))
        return 0;
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < cmd->n_accounts; i++)
        rc = apply_put_account(c, &cmd->accounts[i]);
    if (rc == 0)
        rc = apply_put_subs(c);
    return rc ? rc
              : store_put_u64(c->txn, apply_db(c, STORE_DB_STATE),
                              STORE_KEY_SEEDED, 1);
}

static int apply_account_put(struct apply_ctx *c)
{
    if (c->cmd->n_accounts != 1)
        return apply_reject(c, HAMD_APPLY_BAD_REQUEST, "account",
                            "expected exactly one account");
    const struct hamd_account *a = &c->cmd->accounts[0];
    return apply_account_ok(c, a) ? apply_put_account(c, a) : 0;
}

/* True when the stored source id v names account: the account itself,
 * or the account relayed from a node (ACCOUNT@nodeN). */
static bool apply_source_of(const MDB_val *v, const char *account, size_t n)
{
    const char *s = v->mv_data;
    size_t sep = strlen(HAMD_SOURCE_NODE_SEP);
    return v->mv_size >= n && memcmp(s, account, n) == 0 &&
           (v->mv_size == n || (v->mv_size > n + sep &&
                                memcmp(s + n, HAMD_SOURCE_NODE_SEP, sep) == 0));
}

/* Removes every assignment that names account, relayed or not. */
static int apply_unassign_account(struct apply_ctx *c, const char *account)
{
    MDB_cursor *cur;
    MDB_val k, v;
    size_t n = strlen(account);
    int rc = mdb_cursor_open(c->txn, apply_db(c, STORE_DB_ASSIGN), &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (apply_source_of(&v, account, n))
            rc = mdb_cursor_del(cur, 0);
        if (rc)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ACCOUNT_DEL also drops the account's flags and assignments, so no
 * contract is left pointing at a source that no longer exists. */
static int apply_account_del(struct apply_ctx *c)
{
    const char *id = c->cmd->account_id;
    char key[STORE_KEY_MAX];
    if (!apply_account_exists(c, id))
        return 0;
    int rc = store_del(c->txn, apply_db(c, STORE_DB_ACCOUNTS), id);
    store_acct_key(key, STORE_PREFIX_RUNNING, id);
    if (rc == 0)
        rc = store_del(c->txn, apply_db(c, STORE_DB_STATE), key);
    store_acct_key(key, STORE_PREFIX_QUARANTINE, id);
    if (rc == 0)
        rc = store_del(c->txn, apply_db(c, STORE_DB_STATE), key);
    return rc ? rc : apply_unassign_account(c, id);
}

static int apply_account_run(struct apply_ctx *c)
{
    char key[STORE_KEY_MAX];
    if (!apply_account_exists(c, c->cmd->account_id))
        return 0;
    store_acct_key(key, STORE_PREFIX_RUNNING, c->cmd->account_id);
    return store_put_u64(c->txn, apply_db(c, STORE_DB_STATE), key,
                         c->cmd->flag ? 1 : 0);
}

/* Adding a symbol that is already subscribed is not an error. */
static int apply_subs_add(struct apply_ctx *c)
{
    if (!apply_symbols_ok(c, "symbols"))
        return 0;
    return apply_put_subs(c);
}

/* True when every symbol of the command is subscribed; rejects with 404
 * otherwise. */
static bool apply_all_subscribed(struct apply_ctx *c)
{
    const struct hamd_cmd *cmd = c->cmd;
    MDB_dbi subs = apply_db(c, STORE_DB_SUBS);
    for (unsigned i = 0; i < cmd->n_symbols; i++)
        if (!cmd->symbols[i][0] || !store_has(c->txn, subs, cmd->symbols[i])) {
            apply_reject(c, HAMD_APPLY_NOT_FOUND, "symbols",
                         "not subscribed: '%s'", cmd->symbols[i]);
            return false;
        }
    return true;
}

/* All or nothing: one unknown symbol rejects the whole command. The
 * contract's assignment and pin go with it, so a later subscription of
 * the same contract starts clean. */
static int apply_subs_del(struct apply_ctx *c)
{
    const struct hamd_cmd *cmd = c->cmd;
    if (!apply_all_subscribed(c))
        return 0;
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < cmd->n_symbols; i++) {
        rc = store_del(c->txn, apply_db(c, STORE_DB_SUBS), cmd->symbols[i]);
        if (rc == 0)
            rc = store_del(c->txn, apply_db(c, STORE_DB_ASSIGN),
                           cmd->symbols[i]);
        if (rc == 0)
            rc = store_del(c->txn, apply_db(c, STORE_DB_PINS),
                           cmd->symbols[i]);
    }
    return rc;
}

/* ------------------------------------------------------------------------
 * Assignments, quarantines, pins, pause, counters
 * ------------------------------------------------------------------------ */

/* Every pair must name a subscribed contract and a source of an
 * existing account: the account, or the account relayed from a node
 * (ACCOUNT@nodeN), or "" to unassign; otherwise nothing changes. A later
 * pair for the same contract wins. */
static int apply_assign(struct apply_ctx *c)
{
    const struct hamd_cmd *cmd = c->cmd;
    for (unsigned i = 0; i < cmd->n_assigns; i++) {
        const struct hamd_assign *p = &cmd->assigns[i];
        char account[HAMD_ACCOUNT_ID_MAX];
        if (!p->vt_symbol[0] ||
            !store_has(c->txn, apply_db(c, STORE_DB_SUBS), p->vt_symbol))
            return apply_reject(c, HAMD_APPLY_NOT_FOUND, "vt_symbol",
                                "not subscribed: '%s'", p->vt_symbol);
        if (p->account[0] &&
            (!hamd_source_id_parse(p->account, account, NULL) ||
             !store_has(c->txn, apply_db(c, STORE_DB_ACCOUNTS), account)))
            return apply_reject(c, HAMD_APPLY_NOT_FOUND, "account",
                                "no such account '%s'", p->account);
    }
    int rc = 0;
    MDB_dbi assign = apply_db(c, STORE_DB_ASSIGN);
    for (unsigned i = 0; rc == 0 && i < cmd->n_assigns; i++) {
        const struct hamd_assign *p = &cmd->assigns[i];
        rc = p->account[0] ? store_put(c->txn, assign, p->vt_symbol,
                                       p->account, strlen(p->account))
                           : store_del(c->txn, assign, p->vt_symbol);
    }
    return rc;
}

static int apply_quarantine(struct apply_ctx *c)
{
    char key[STORE_KEY_MAX];
    if (!apply_source_exists(c, c->cmd->account_id))
        return 0;
    store_acct_key(key, STORE_PREFIX_QUARANTINE, c->cmd->account_id);
    MDB_dbi st = apply_db(c, STORE_DB_STATE);
    if (c->cmd->until_ms <= 0)
        return store_del(c->txn, st, key);
    return store_put_u64(c->txn, st, key, (uint64_t)c->cmd->until_ms);
}

/* Only a subscribed contract can be pinned (all or nothing, like
 * ASSIGN); unpinning one that is not pinned is not an error. */
static int apply_pin(struct apply_ctx *c)
{
    const struct hamd_cmd *cmd = c->cmd;
    if (!apply_symbols_ok(c, "symbols") ||
        (cmd->flag && !apply_all_subscribed(c)))
        return 0;
    MDB_dbi pins = apply_db(c, STORE_DB_PINS);
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < cmd->n_symbols; i++)
        rc = cmd->flag ? store_put(c->txn, pins, cmd->symbols[i], "", 0)
                       : store_del(c->txn, pins, cmd->symbols[i]);
    return rc;
}

static int apply_pause(struct apply_ctx *c)
{
    return store_put_u64(c->txn, apply_db(c, STORE_DB_STATE),
                         STORE_KEY_PAUSED, c->cmd->flag ? 1 : 0);
}

/* Only ever forward: a leader that decided before a later transfer was
 * committed must not move the cooldown back. */
static int apply_source_moved(struct apply_ctx *c)
{
    MDB_dbi st = apply_db(c, STORE_DB_STATE);
    uint64_t stored;
    int rc = store_get_u64(c->txn, st, STORE_KEY_SOURCE_MOVED, &stored);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (rc == 0 && stored >= (uint64_t)c->cmd->until_ms)
        return 0;
    return store_put_u64(c->txn, st, STORE_KEY_SOURCE_MOVED,
                         (uint64_t)c->cmd->until_ms);
}

static bool apply_day_ok(uint32_t day)
{
    unsigned month = day / 100 % 100, mday = day % 100;
    return day >= APPLY_DAY_MIN && day <= APPLY_DAY_MAX && month >= 1 &&
           month <= 12 && mday >= 1 && mday <= 31;
}

/* The counter of an older day than the stored one is stale (a leader
 * that computed it before midnight): rejected, so the count never goes
 * back to a finished day. */
static int apply_failover_count(struct apply_ctx *c)
{
    MDB_dbi st = apply_db(c, STORE_DB_STATE);
    uint64_t stored;
    if (!apply_day_ok(c->cmd->day))
        return apply_reject(c, HAMD_APPLY_BAD_REQUEST, "day",
                            "invalid day %u", c->cmd->day);
    int rc = store_get_u64(c->txn, st, STORE_KEY_FO_DAY, &stored);
    if (rc == 0 && stored > c->cmd->day)
        return apply_reject(c, HAMD_APPLY_CONFLICT, "day",
                            "day %u is older than %llu", c->cmd->day,
                            (unsigned long long)stored);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    rc = store_put_u64(c->txn, st, STORE_KEY_FO_DAY, c->cmd->day);
    return rc ? rc : store_put_u64(c->txn, st, STORE_KEY_FO_COUNT,
                                   c->cmd->count);
}

/* ------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------ */

/* Deletes the oldest events until at most events_max remain. */
static int apply_events_trim(struct apply_ctx *c)
{
    MDB_stat st;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_stat(c->txn, apply_db(c, STORE_DB_EVENTS), &st);
    if (rc || st.ms_entries <= c->events_max)
        return rc;
    size_t extra = st.ms_entries - c->events_max;
    rc = mdb_cursor_open(c->txn, apply_db(c, STORE_DB_EVENTS), &cur);
    if (rc)
        return rc;
    while (rc == 0 && extra-- > 0) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        if (rc == 0)
            rc = mdb_cursor_del(cur, 0);
    }
    mdb_cursor_close(cur);
    return rc;
}

/* Events get consecutive sequence numbers from a counter that survives
 * trimming, so `events since seq` stays meaningful. */
static int apply_event(struct apply_ctx *c)
{
    const char *json = c->cmd->event_json;
    uint64_t seq = 0;
    uint8_t key[STORE_U64_BYTES];
    if (!json || !json[0])
        return apply_reject(c, HAMD_APPLY_BAD_REQUEST, "event", "empty event");
    MDB_dbi st = apply_db(c, STORE_DB_STATE);
    int rc = store_get_u64(c->txn, st, STORE_KEY_EVENT_SEQ, &seq);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    seq++;
    store_be64_put(key, seq);
    MDB_val k = {.mv_size = sizeof key, .mv_data = key};
    MDB_val v = {.mv_size = strlen(json) + 1, .mv_data = (void *)json};
    rc = mdb_put(c->txn, apply_db(c, STORE_DB_EVENTS), &k, &v, 0);
    if (rc == 0)
        rc = store_put_u64(c->txn, st, STORE_KEY_EVENT_SEQ, seq);
    return rc ? rc : apply_events_trim(c);
}

/* ------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------ */

static int apply_dispatch(struct apply_ctx *c)
{
    switch (c->cmd->type) {
    case HAMD_CMD_SEED: return apply_seed(c);
    case HAMD_CMD_ACCOUNT_PUT: return apply_account_put(c);
    case HAMD_CMD_ACCOUNT_DEL: return apply_account_del(c);
    case HAMD_CMD_ACCOUNT_RUN: return apply_account_run(c);
    case HAMD_CMD_SUBS_ADD: return apply_subs_add(c);
    case HAMD_CMD_SUBS_DEL: return apply_subs_del(c);
    case HAMD_CMD_ASSIGN: return apply_assign(c);
    case HAMD_CMD_QUARANTINE: return apply_quarantine(c);
    case HAMD_CMD_PAUSE: return apply_pause(c);
    case HAMD_CMD_FAILOVER_COUNT: return apply_failover_count(c);
    case HAMD_CMD_SOURCE_MOVED: return apply_source_moved(c);
    case HAMD_CMD_EVENT: return apply_event(c);
    case HAMD_CMD_PIN: return apply_pin(c);
    }
    return apply_reject(c, HAMD_APPLY_BAD_REQUEST, "type",
                        "unknown command type %d", (int)c->cmd->type);
}

/* Runs the command in a txn nested in parent; keeps its changes only when
 * the command was accepted. Returns an LMDB error or 0. */
static int apply_nested(struct hamd_store *s, MDB_txn *parent,
                        const struct hamd_cmd *cmd, unsigned events_max,
                        struct hamd_apply_result *res)
{
    struct apply_ctx c = {.s = s, .cmd = cmd, .events_max = events_max,
                          .res = res};
    int rc = mdb_txn_begin(s->env, parent, 0, &c.txn);
    if (rc)
        return rc;
    rc = apply_dispatch(&c);
    if (rc || res->status) {
        mdb_txn_abort(c.txn);
        return rc;
    }
    return mdb_txn_commit(c.txn);
}

void hamd_store_apply(struct hamd_store *s, const struct hamd_cmd *cmd,
                      uint64_t index, unsigned events_max,
                      struct hamd_apply_result *res)
{
    MDB_txn *parent;
    memset(res, 0, sizeof *res);
    int rc = mdb_txn_begin(s->env, NULL, 0, &parent);
    if (rc == 0) {
        rc = apply_nested(s, parent, cmd, events_max, res);
        if (rc == 0)
            rc = store_put_u64(parent, s->dbi[STORE_DB_META],
                               STORE_KEY_APPLIED, index);
        rc = rc ? (mdb_txn_abort(parent), rc) : mdb_txn_commit(parent);
    }
    if (rc == 0)
        return;
    LOG_ERROR("store %s: applying %s at index %llu: %s", s->dir,
              hamd_cmd_type_name(cmd->type), (unsigned long long)index,
              mdb_strerror(rc));
    res->status = HAMD_APPLY_STORE_ERROR;
    res->field[0] = '\0';
    snprintf(res->error, sizeof res->error, "store error: %s",
             mdb_strerror(rc));
}
