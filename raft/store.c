/* Opening, closing and the low-level helpers of the LMDB store: see
 * store.h (layout) and store_internal.h (helpers). */
#include "raft/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "raft/fsutil.h"

const char *const hamd_store_db_names[STORE_NDB] = {
    [STORE_DB_ACCOUNTS] = "accounts", [STORE_DB_SUBS] = "subs",
    [STORE_DB_ASSIGN] = "assign",     [STORE_DB_STATE] = "state",
    [STORE_DB_EVENTS] = "events",     [STORE_DB_META] = "meta",
    [STORE_DB_PINS] = "pins",
};

/* ------------------------------------------------------------------------
 * Key and value helpers
 * ------------------------------------------------------------------------ */

void store_be64_put(uint8_t out[STORE_U64_BYTES], uint64_t v)
{
    for (int i = STORE_U64_BYTES - 1; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

uint64_t store_be64_get(const uint8_t in[STORE_U64_BYTES])
{
    uint64_t v = 0;
    for (int i = 0; i < STORE_U64_BYTES; i++)
        v = (v << 8) | in[i];
    return v;
}

static MDB_val store_kv(const char *key)
{
    MDB_val k = {.mv_size = strlen(key), .mv_data = (void *)key};
    return k;
}

int store_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *out)
{
    MDB_val k = store_kv(key), v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc)
        return rc;
    if (v.mv_size != STORE_U64_BYTES)
        return MDB_CORRUPTED;
    *out = store_be64_get(v.mv_data);
    return 0;
}

int store_put_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t v)
{
    uint8_t be[STORE_U64_BYTES];
    store_be64_put(be, v);
    return store_put(txn, dbi, key, be, sizeof be);
}

int store_put(MDB_txn *txn, MDB_dbi dbi, const char *key, const void *val,
              size_t len)
{
    MDB_val k = store_kv(key);
    MDB_val v = {.mv_size = len, .mv_data = (void *)val};
    return mdb_put(txn, dbi, &k, &v, 0);
}

int store_del(MDB_txn *txn, MDB_dbi dbi, const char *key)
{
    MDB_val k = store_kv(key);
    int rc = mdb_del(txn, dbi, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

bool store_has(MDB_txn *txn, MDB_dbi dbi, const char *key)
{
    MDB_val k = store_kv(key), v;
    return mdb_get(txn, dbi, &k, &v) == 0;
}

void store_acct_key(char *key, const char *prefix, const char *id)
{
    snprintf(key, STORE_KEY_MAX, "%s%s", prefix, id);
}

int store_rtxn(struct hamd_store *s, MDB_txn **txn)
{
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    if (rc)
        LOG_ERROR("store %s: read txn: %s", s->dir, mdb_strerror(rc));
    return rc;
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

/* Creates or opens every named database in one write txn. */
static int store_open_dbs(struct hamd_store *s)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc)
        return rc;
    for (int i = 0; rc == 0 && i < STORE_NDB; i++)
        rc = mdb_dbi_open(txn, hamd_store_db_names[i], MDB_CREATE, &s->dbi[i]);
    if (rc == 0)
        return mdb_txn_commit(txn);
    mdb_txn_abort(txn);
    return rc;
}

/* Creates and opens the environment. MDB_NOTLS: read txns are not tied to
 * a thread, so readers on several threads (or several per thread) work.
 * MDB_NOMETASYNC: one fsync per commit instead of two. A crash may then
 * undo the last commit but never corrupts the store, and the commit carries
 * the applied index, so Raft's replay after restart re-applies exactly what
 * was undone: the Raft log is what makes a command durable. */
static int store_open_env(struct hamd_store *s)
{
    int rc = mdb_env_create(&s->env);
    if (rc)
        return rc;
    rc = mdb_env_set_maxdbs(s->env, STORE_NDB);
    if (!rc)
        rc = mdb_env_set_mapsize(s->env, HAMD_STORE_MAPSIZE_BYTES);
    if (!rc)
        rc = mdb_env_open(s->env, s->dir, MDB_NOTLS | MDB_NOMETASYNC,
                          HAMD_STORE_FILE_MODE);
    return rc ? rc : store_open_dbs(s);
}

struct hamd_store *hamd_store_new(const char *dir)
{
    struct hamd_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (strlen(dir) >= sizeof s->dir) {
        LOG_ERROR("store %s: path too long", dir);
        free(s);
        return NULL;
    }
    strcpy(s->dir, dir);
    int rc = hamd_raft_mkdir_p(dir, HAMD_STORE_DIR_MODE);
    if (rc) {
        LOG_ERROR("store %s: mkdir: %s", dir, strerror(-rc));
        free(s);
        return NULL;
    }
    rc = store_open_env(s);
    if (rc) {
        LOG_ERROR("store %s: open: %s", dir, mdb_strerror(rc));
        hamd_store_destroy(&s);
    }
    return s;
}

void hamd_store_destroy(struct hamd_store **self)
{
    if (!self || !*self)
        return;
    if ((*self)->env)
        mdb_env_close((*self)->env);
    free(*self);
    *self = NULL;
}

/* ------------------------------------------------------------------------
 * Applied index and wipe
 * ------------------------------------------------------------------------ */

uint64_t hamd_store_applied_index(struct hamd_store *s)
{
    MDB_txn *txn;
    uint64_t v = 0;
    if (store_rtxn(s, &txn))
        return 0;
    if (store_get_u64(txn, s->dbi[STORE_DB_META], STORE_KEY_APPLIED, &v))
        v = 0;
    mdb_txn_abort(txn);
    return v;
}

int hamd_store_set_applied(struct hamd_store *s, uint64_t index)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc == 0) {
        rc = store_put_u64(txn, s->dbi[STORE_DB_META], STORE_KEY_APPLIED,
                           index);
        rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
    }
    if (rc)
        LOG_ERROR("store %s: set applied: %s", s->dir, mdb_strerror(rc));
    return rc ? -EIO : 0;
}

int hamd_store_wipe(struct hamd_store *s)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc == 0) {
        for (int i = 0; rc == 0 && i < STORE_NDB; i++)
            rc = mdb_drop(txn, s->dbi[i], 0);
        rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
    }
    if (rc)
        LOG_ERROR("store %s: wipe: %s", s->dir, mdb_strerror(rc));
    return rc ? -EIO : 0;
}
