/* Whole-store snapshot and restore (Ongaro 2014, §5.1 "Snapshotting
 * memory-based state machines": the state is small, so the FSM serialises
 * all of it at once). Format: [1, {db_name: [key, value, ...], ...}] with
 * keys and values as msgpack bin, databases in store_db order, keys in
 * LMDB order, so two equal stores give byte-identical snapshots. Restore
 * takes any subset of the databases, in any order, and leaves the others
 * empty: a database added later (pins) is simply absent from the
 * snapshots of older stores, with no version change. */
#include "raft/store_internal.h"

#include <errno.h>
#include <msgpack.h>

#include "common/log.h"
#include "raft/mpfield.h"

#define SNAP_VERSION 1    /* first element of a snapshot */
#define SNAP_TOP_ELEMS 2  /* [version, {databases}] */
#define SNAP_PER_ENTRY 2  /* key, value */

/* Packs one database as name + flat key/value array. */
static int snap_pack_db(struct hamd_store *s, MDB_txn *txn, int db,
                        msgpack_packer *pk)
{
    MDB_stat st;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_stat(txn, s->dbi[db], &st);
    if (rc || st.ms_entries > UINT32_MAX / SNAP_PER_ENTRY)
        return rc ? rc : MDB_PANIC;
    if (hamd_mpf_pack_str(pk, hamd_store_db_names[db]) ||
        msgpack_pack_array(pk, (uint32_t)st.ms_entries * SNAP_PER_ENTRY))
        return ENOMEM;
    rc = mdb_cursor_open(txn, s->dbi[db], &cur);
    if (rc)
        return rc;
    size_t packed = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), packed++)
        if (msgpack_pack_bin_with_body(pk, k.mv_data, k.mv_size) ||
            msgpack_pack_bin_with_body(pk, v.mv_data, v.mv_size)) {
            rc = ENOMEM;
            break;
        }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        rc = packed == st.ms_entries ? 0 : MDB_CORRUPTED;
    return rc;
}

int hamd_store_snapshot(struct hamd_store *s, void **buf, size_t *len)
{
    MDB_txn *txn;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    *buf = NULL;
    *len = 0;
    if (store_rtxn(s, &txn))
        return -EIO;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_array(&pk, SNAP_TOP_ELEMS) ||
                     msgpack_pack_uint8(&pk, SNAP_VERSION) ||
                     msgpack_pack_map(&pk, STORE_NDB)
                 ? ENOMEM
                 : 0;
    for (int db = 0; rc == 0 && db < STORE_NDB; db++)
        rc = snap_pack_db(s, txn, db, &pk);
    mdb_txn_abort(txn);
    if (rc) {
        LOG_ERROR("store %s: snapshot: %s", s->dir,
                  rc == ENOMEM ? "out of memory" : mdb_strerror(rc));
        msgpack_sbuffer_destroy(&sb);
        return rc == ENOMEM ? -ENOMEM : -EIO;
    }
    *len = sb.size;
    *buf = msgpack_sbuffer_release(&sb);
    return 0;
}

/* Finds the database named by a map key; -1 when unknown. */
static int snap_db_index(const struct hamd_mpr_val *name)
{
    for (int db = 0; db < STORE_NDB; db++)
        if (hamd_mpr_str_eq(name, hamd_store_db_names[db]))
            return db;
    return -1;
}

/* Loads one database's key/value array into the (emptied) db. Returns 0,
 * EINVAL for a bad document, or an LMDB error. */
static int snap_load_db(struct hamd_store *s, MDB_txn *txn, int db,
                        struct hamd_mpr *r)
{
    uint32_t n;
    if (!hamd_mpf_array(r, UINT32_MAX, &n) || n % SNAP_PER_ENTRY)
        return EINVAL;
    for (uint32_t i = 0; i < n; i += SNAP_PER_ENTRY) {
        const char *kp, *vp;
        uint32_t kl, vl;
        if (!hamd_mpf_bytes(r, &kp, &kl) || !hamd_mpf_bytes(r, &vp, &vl) ||
            kl == 0 || kl > (uint32_t)mdb_env_get_maxkeysize(s->env))
            return EINVAL;
        MDB_val k = {.mv_size = kl, .mv_data = (void *)kp};
        MDB_val v = {.mv_size = vl, .mv_data = (void *)vp};
        int rc = mdb_put(txn, s->dbi[db], &k, &v, MDB_NOOVERWRITE);
        if (rc)
            return rc == MDB_KEYEXIST ? EINVAL : rc;
    }
    return 0;
}

/* Wipes every db, then loads the document; the caller commits or aborts. */
static int snap_load(struct hamd_store *s, MDB_txn *txn, struct hamd_mpr *r)
{
    uint32_t n, ndb;
    uint64_t version;
    int rc = 0;
    for (int db = 0; rc == 0 && db < STORE_NDB; db++)
        rc = mdb_drop(txn, s->dbi[db], 0);
    if (rc)
        return rc;
    if (!hamd_mpf_array(r, SNAP_TOP_ELEMS, &n) || n != SNAP_TOP_ELEMS ||
        !hamd_mpf_u64(r, &version) ||
        version != SNAP_VERSION || !hamd_mpf_map(r, STORE_NDB, &ndb))
        return EINVAL;
    unsigned seen = 0;
    for (uint32_t i = 0; rc == 0 && i < ndb; i++) {
        struct hamd_mpr_val name;
        int db = hamd_mpr_read(r, &name) ? snap_db_index(&name) : -1;
        if (db < 0 || (seen & (1u << db)))
            return EINVAL;
        seen |= 1u << db;
        rc = snap_load_db(s, txn, db, r);
    }
    return rc == 0 && !hamd_mpr_done(r) ? EINVAL : rc;
}

int hamd_store_restore(struct hamd_store *s, const void *buf, size_t len)
{
    MDB_txn *txn;
    struct hamd_mpr r;
    hamd_mpr_init(&r, buf, len);
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc == 0) {
        rc = snap_load(s, txn, &r);
        rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
    }
    if (rc == 0)
        return 0;
    LOG_ERROR("store %s: restore: %s", s->dir,
              rc == EINVAL ? "malformed snapshot" : mdb_strerror(rc));
    return rc == EINVAL ? -EINVAL : -EIO;
}
