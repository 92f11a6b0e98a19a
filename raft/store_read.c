/* The store's reader API: see store.h. Each call is one read txn. */
#include "raft/store_internal.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/mpread.h"
#include "raft/account_pack.h"

/* ------------------------------------------------------------------------
 * Accounts
 * ------------------------------------------------------------------------ */

/* Copies an LMDB value holding a C string of at most cap-1 bytes (stored
 * without or with its NUL). Returns false when it does not fit. */
static bool read_cstr(const MDB_val *v, char *dst, size_t cap)
{
    size_t n = v->mv_size;
    if (n > 0 && ((const char *)v->mv_data)[n - 1] == '\0')
        n--;
    if (n >= cap || memchr(v->mv_data, 0, n))
        return false;
    memcpy(dst, v->mv_data, n);
    dst[n] = '\0';
    return true;
}

/* Decodes an account value; a value that does not decode is logged and
 * skipped by the callers (the store never holds one unless corrupted). */
static bool read_account(struct hamd_store *s, const MDB_val *v,
                         struct hamd_account *a)
{
    struct hamd_mpr r;
    hamd_mpr_init(&r, v->mv_data, v->mv_size);
    if (hamd_acct_mp_unpack(&r, a) && hamd_mpr_done(&r))
        return true;
    LOG_ERROR("store %s: undecodable account value", s->dir);
    return false;
}

int hamd_store_account_get(struct hamd_store *s, const char *id,
                           struct hamd_account *out)
{
    MDB_txn *txn;
    MDB_val k = {.mv_size = strlen(id), .mv_data = (void *)id}, v;
    if (k.mv_size == 0)
        return -ENOENT;
    if (store_rtxn(s, &txn))
        return -EIO;
    int rc = mdb_get(txn, s->dbi[STORE_DB_ACCOUNTS], &k, &v);
    if (rc == 0)
        rc = read_account(s, &v, out) ? 0 : -EIO;
    else
        rc = rc == MDB_NOTFOUND ? -ENOENT : -EIO;
    mdb_txn_abort(txn);
    return rc;
}

/* ------------------------------------------------------------------------
 * Walking a database: accounts, subscriptions, pins
 * ------------------------------------------------------------------------ */

/* The visit of one key/value pair of a foreach: returns the callback's
 * value (0 = continue). */
typedef int (*read_visit_fn)(struct hamd_store *s, const MDB_val *k,
                             const MDB_val *v, void *fn, void *ud);

/* Walks a whole database in key order inside one read txn. */
static int read_walk(struct hamd_store *s, enum store_db db,
                     read_visit_fn visit, void *fn, void *ud)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    if (store_rtxn(s, &txn))
        return -EIO;
    int rc = mdb_cursor_open(txn, s->dbi[db], &cur);
    if (rc) {
        mdb_txn_abort(txn);
        return -EIO;
    }
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && ret == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        ret = visit(s, &k, &v, fn, ud);
    if (ret == 0 && rc != MDB_NOTFOUND)
        ret = -EIO;
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return ret;
}

static int visit_account(struct hamd_store *s, const MDB_val *k,
                         const MDB_val *v, void *fn, void *ud)
{
    (void)k;
    struct hamd_account a;
    if (!read_account(s, v, &a))
        return 0;
    return ((hamd_store_account_fn)fn)(ud, &a);
}

int hamd_store_accounts_foreach(struct hamd_store *s, hamd_store_account_fn fn,
                                void *ud)
{
    return read_walk(s, STORE_DB_ACCOUNTS, visit_account, (void *)fn, ud);
}

static int visit_symbol(struct hamd_store *s, const MDB_val *k,
                        const MDB_val *v, void *fn, void *ud)
{
    (void)s;
    (void)v;
    char sym[HAMD_VT_SYMBOL_MAX];
    if (!read_cstr(k, sym, sizeof sym))
        return 0;
    return ((hamd_store_symbol_fn)fn)(ud, sym);
}

int hamd_store_subs_foreach(struct hamd_store *s, hamd_store_symbol_fn fn,
                            void *ud)
{
    return read_walk(s, STORE_DB_SUBS, visit_symbol, (void *)fn, ud);
}

int hamd_store_pins_foreach(struct hamd_store *s, hamd_store_symbol_fn fn,
                            void *ud)
{
    return read_walk(s, STORE_DB_PINS, visit_symbol, (void *)fn, ud);
}

/* ------------------------------------------------------------------------
 * Lookups and assignments
 * ------------------------------------------------------------------------ */

/* True when a non-empty key is in db (errors read as absent). */
static bool read_has(struct hamd_store *s, enum store_db db, const char *key)
{
    MDB_txn *txn;
    if (!key[0] || store_rtxn(s, &txn))
        return false;
    bool has = store_has(txn, s->dbi[db], key);
    mdb_txn_abort(txn);
    return has;
}

bool hamd_store_sub_exists(struct hamd_store *s, const char *vt_symbol)
{
    return read_has(s, STORE_DB_SUBS, vt_symbol);
}

bool hamd_store_pinned(struct hamd_store *s, const char *vt_symbol)
{
    return read_has(s, STORE_DB_PINS, vt_symbol);
}

int hamd_store_assign_get(struct hamd_store *s, const char *vt_symbol,
                          char *account)
{
    MDB_txn *txn;
    MDB_val k = {.mv_size = strlen(vt_symbol), .mv_data = (void *)vt_symbol};
    MDB_val v;
    if (k.mv_size == 0)
        return -ENOENT;
    if (store_rtxn(s, &txn))
        return -EIO;
    int rc = mdb_get(txn, s->dbi[STORE_DB_ASSIGN], &k, &v);
    if (rc == 0)
        rc = read_cstr(&v, account, HAMD_ACCOUNT_ID_MAX) ? 0 : -EIO;
    else
        rc = rc == MDB_NOTFOUND ? -ENOENT : -EIO;
    mdb_txn_abort(txn);
    return rc;
}

static int visit_assign(struct hamd_store *s, const MDB_val *k,
                        const MDB_val *v, void *fn, void *ud)
{
    (void)s;
    char sym[HAMD_VT_SYMBOL_MAX], acct[HAMD_ACCOUNT_ID_MAX];
    if (!read_cstr(k, sym, sizeof sym) || !read_cstr(v, acct, sizeof acct))
        return 0;
    return ((hamd_store_assign_fn)fn)(ud, sym, acct);
}

int hamd_store_assign_foreach(struct hamd_store *s, hamd_store_assign_fn fn,
                              void *ud)
{
    return read_walk(s, STORE_DB_ASSIGN, visit_assign, (void *)fn, ud);
}

/* ------------------------------------------------------------------------
 * State and flags
 * ------------------------------------------------------------------------ */

/* Reads one u64 of the state db; absent or unreadable reads as dflt. */
static uint64_t read_state(struct hamd_store *s, const char *key,
                           uint64_t dflt)
{
    MDB_txn *txn;
    uint64_t v;
    if (store_rtxn(s, &txn))
        return dflt;
    if (store_get_u64(txn, s->dbi[STORE_DB_STATE], key, &v))
        v = dflt;
    mdb_txn_abort(txn);
    return v;
}

bool hamd_store_paused(struct hamd_store *s)
{
    return read_state(s, STORE_KEY_PAUSED, 0) != 0;
}

int64_t hamd_store_source_moved_ms(struct hamd_store *s)
{
    uint64_t v = read_state(s, STORE_KEY_SOURCE_MOVED, 0);
    return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

bool hamd_store_seeded(struct hamd_store *s)
{
    return read_state(s, STORE_KEY_SEEDED, 0) != 0;
}

uint64_t hamd_store_events_last_seq(struct hamd_store *s)
{
    return read_state(s, STORE_KEY_EVENT_SEQ, 0);
}

int64_t hamd_store_quarantine_until(struct hamd_store *s, const char *account)
{
    char key[STORE_KEY_MAX];
    store_acct_key(key, STORE_PREFIX_QUARANTINE, account);
    uint64_t v = read_state(s, key, 0);
    return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

bool hamd_store_account_running(struct hamd_store *s, const char *account)
{
    MDB_txn *txn;
    MDB_val k = {.mv_size = strlen(account), .mv_data = (void *)account}, v;
    char key[STORE_KEY_MAX];
    uint64_t running = 1;
    if (k.mv_size == 0 || store_rtxn(s, &txn))
        return false;
    bool exists = mdb_get(txn, s->dbi[STORE_DB_ACCOUNTS], &k, &v) == 0;
    store_acct_key(key, STORE_PREFIX_RUNNING, account);
    if (store_get_u64(txn, s->dbi[STORE_DB_STATE], key, &running))
        running = 1; /* never stopped by an operator */
    mdb_txn_abort(txn);
    return exists && running != 0;
}

uint32_t hamd_store_failover_count(struct hamd_store *s, uint32_t day)
{
    MDB_txn *txn;
    uint64_t d, c;
    if (store_rtxn(s, &txn))
        return 0;
    MDB_dbi st = s->dbi[STORE_DB_STATE];
    bool ok = store_get_u64(txn, st, STORE_KEY_FO_DAY, &d) == 0 &&
              store_get_u64(txn, st, STORE_KEY_FO_COUNT, &c) == 0;
    mdb_txn_abort(txn);
    return ok && d == day && c <= UINT32_MAX ? (uint32_t)c : 0;
}

/* ------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------ */

/* Calls fn for the event under the cursor; skips a malformed one. */
static int read_event(const MDB_val *k, const MDB_val *v,
                      hamd_store_event_fn fn, void *ud)
{
    const char *json = v->mv_data;
    if (k->mv_size != STORE_U64_BYTES || v->mv_size == 0 || json[v->mv_size - 1] != '\0')
        return 0;
    return fn(ud, store_be64_get(k->mv_data), json);
}

/* Visits up to max events forward from where the cursor stands; rc is
 * the result of the positioning call. */
static int read_events_from(MDB_cursor *cur, MDB_val *k, MDB_val *v, int rc,
                            unsigned max, hamd_store_event_fn fn, void *ud)
{
    int ret = 0;
    for (unsigned n = 0; rc == 0 && ret == 0 && n < max; n++) {
        ret = read_event(k, v, fn, ud);
        rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
    }
    if (ret == 0 && rc != 0 && rc != MDB_NOTFOUND)
        ret = -EIO;
    return ret;
}

/* Positions the cursor n-1 entries before the last one (or the first). */
static int read_seek_tail(MDB_cursor *cur, MDB_val *k, MDB_val *v,
                          unsigned n)
{
    int rc = mdb_cursor_get(cur, k, v, MDB_LAST);
    for (unsigned i = 1; rc == 0 && i < n; i++) {
        rc = mdb_cursor_get(cur, k, v, MDB_PREV);
        if (rc == MDB_NOTFOUND)
            return mdb_cursor_get(cur, k, v, MDB_FIRST);
    }
    return rc;
}

/* Shared by tail (the max newest) and since (up to max after `after`). */
static int read_events(struct hamd_store *s, bool tail, uint64_t after,
                       unsigned max, hamd_store_event_fn fn, void *ud)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    uint8_t key[STORE_U64_BYTES];
    if (max == 0)
        return 0;
    if (store_rtxn(s, &txn))
        return -EIO;
    if (mdb_cursor_open(txn, s->dbi[STORE_DB_EVENTS], &cur)) {
        mdb_txn_abort(txn);
        return -EIO;
    }
    int rc;
    if (tail) {
        rc = read_seek_tail(cur, &k, &v, max);
    } else if (after == UINT64_MAX) {
        rc = MDB_NOTFOUND;
    } else {
        store_be64_put(key, after + 1);
        k.mv_size = sizeof key;
        k.mv_data = key;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    }
    int ret = read_events_from(cur, &k, &v, rc, max, fn, ud);
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return ret;
}

int hamd_store_events_tail(struct hamd_store *s, unsigned n,
                           hamd_store_event_fn fn, void *ud)
{
    return read_events(s, true, 0, n, fn, ud);
}

int hamd_store_events_since(struct hamd_store *s, uint64_t after_seq,
                            unsigned max, hamd_store_event_fn fn, void *ud)
{
    return read_events(s, false, after_seq, max, fn, ud);
}
