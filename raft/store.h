/* The replicated state on disk: one LMDB environment at <data_dir>/store
 * (a directory holding data.mdb and lock.mdb) with named databases:
 *
 *   accounts  account id            -> account msgpack (account_pack.h)
 *   subs      vt_symbol             -> "" (the set of subscriptions)
 *   assign    vt_symbol             -> source id (active source: an
 *                                      account, or ACCOUNT@nodeN relayed)
 *   state     "seeded" | "paused" | "failover_day" | "failover_count" |
 *             "event_seq" | "source_moved_ms" | "quarantine/<id>" |
 *             "running/<id>"
 *                                   -> u64 big-endian
 *   events    u64 big-endian seq    -> event JSON text + NUL (N newest)
 *   meta      "applied_index"       -> u64 big-endian: Raft index of the
 *                                      last command applied
 *   pins      vt_symbol             -> "" (contracts pinned by a manual
 *                                      failover: no automatic failback)
 *
 * Readers (control plane, admin API) each run in their own read txn and
 * see a consistent state. The only writer is the FSM (fsm.h): it applies
 * one decoded command in one write txn together with the applied index,
 * so a crash leaves either the old or the new state, and the index says
 * which (replaying a Raft log over the store then skips what it already
 * holds). Callbacks of the foreach readers run inside the read txn: they
 * must not write to the store and must copy what they keep.
 *
 * Snapshots (Ongaro 2014, §5.1) serialise every database into one msgpack
 * document [1, {db: [key, value, key, value...]}]; restore wipes every
 * database and loads the document in one write txn, or leaves the store
 * untouched if the document is bad. A database the document does not name
 * restores empty, so snapshots written before a database existed (pins)
 * still load.
 */
#ifndef HAMD_RAFT_STORE_H
#define HAMD_RAFT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/account.h"
#include "raft/cmd.h"

#define HAMD_STORE_MAPSIZE_BYTES (1ull << 30) /* LMDB map: 1 GiB, sparse */
#define HAMD_STORE_DIR_MODE 0700              /* the store directory */
#define HAMD_STORE_FILE_MODE 0600             /* data.mdb: holds secrets */
#define HAMD_APPLY_ERR_MAX 160                /* result error message */
#define HAMD_APPLY_FIELD_MAX 32               /* result field name */

/* HTTP-like outcome of applying one command (0 = applied). */
enum hamd_apply_status {
    HAMD_APPLY_OK = 0,
    HAMD_APPLY_BAD_REQUEST = 400,  /* malformed entry or invalid value */
    HAMD_APPLY_NOT_FOUND = 404,    /* unknown account / subscription */
    HAMD_APPLY_CONFLICT = 409,     /* already seeded, stale day */
    HAMD_APPLY_STORE_ERROR = 500,  /* LMDB failed on this node */
};

/* What applying one command did. status != 0 means the store's data was
 * left unchanged (only the applied index moved). */
struct hamd_apply_result {
    int status;                       /* enum hamd_apply_status */
    char error[HAMD_APPLY_ERR_MAX];   /* human-readable reason, "" when ok */
    char field[HAMD_APPLY_FIELD_MAX]; /* offending field, "" if none */
};

struct hamd_store;

/* Opens (creating it and its directory if needed) the store at dir.
 * Returns NULL and logs the reason on failure. */
struct hamd_store *hamd_store_new(const char *dir);

/* Closes the store and sets *self to NULL. */
void hamd_store_destroy(struct hamd_store **self);

/* ------------------------------------------------------------------------
 * Readers
 * ------------------------------------------------------------------------ */

/* Each reader is one consistent read txn; callbacks return non-zero to
 * stop early, and foreach returns that value, 0 when all were visited, or
 * -EIO when LMDB failed. */

typedef int (*hamd_store_account_fn)(void *ud, const struct hamd_account *a);
typedef int (*hamd_store_symbol_fn)(void *ud, const char *vt_symbol);
typedef int (*hamd_store_assign_fn)(void *ud, const char *vt_symbol,
                                    const char *account);
typedef int (*hamd_store_event_fn)(void *ud, uint64_t seq, const char *json);

/* Reads one account. Returns 0, -ENOENT or -EIO. */
int hamd_store_account_get(struct hamd_store *s, const char *id,
                           struct hamd_account *out);

/* Visits every account in id order. */
int hamd_store_accounts_foreach(struct hamd_store *s, hamd_store_account_fn fn,
                                void *ud);

/* Visits every subscribed vt_symbol in byte order. */
int hamd_store_subs_foreach(struct hamd_store *s, hamd_store_symbol_fn fn,
                            void *ud);

/* True when vt_symbol is subscribed. */
bool hamd_store_sub_exists(struct hamd_store *s, const char *vt_symbol);

/* Reads the account assigned to vt_symbol into account
 * (HAMD_ACCOUNT_ID_MAX bytes). Returns 0, -ENOENT or -EIO. */
int hamd_store_assign_get(struct hamd_store *s, const char *vt_symbol,
                          char *account);

/* Visits every (vt_symbol, account) assignment in symbol order. */
int hamd_store_assign_foreach(struct hamd_store *s, hamd_store_assign_fn fn,
                              void *ud);

/* True when vt_symbol is pinned by a manual failover (errors read as
 * not pinned). */
bool hamd_store_pinned(struct hamd_store *s, const char *vt_symbol);

/* Visits every pinned vt_symbol in byte order. */
int hamd_store_pins_foreach(struct hamd_store *s, hamd_store_symbol_fn fn,
                            void *ud);

/* True when automatic failover is paused. */
bool hamd_store_paused(struct hamd_store *s);

/* Epoch ms of the last source-driven leadership transfer (SOURCE_MOVED),
 * 0 when there was none. */
int64_t hamd_store_source_moved_ms(struct hamd_store *s);

/* Epoch ms until which account is quarantined, 0 when it is not. */
int64_t hamd_store_quarantine_until(struct hamd_store *s, const char *account);

/* False when an operator stopped account or it does not exist. */
bool hamd_store_account_running(struct hamd_store *s, const char *account);

/* Automatic failovers counted on day (yyyymmdd); 0 for any other day. */
uint32_t hamd_store_failover_count(struct hamd_store *s, uint32_t day);

/* Visits the n newest events, oldest first. */
int hamd_store_events_tail(struct hamd_store *s, unsigned n,
                           hamd_store_event_fn fn, void *ud);

/* Visits up to max events with seq > after_seq, oldest first. */
int hamd_store_events_since(struct hamd_store *s, uint64_t after_seq,
                            unsigned max, hamd_store_event_fn fn, void *ud);

/* Sequence number of the newest event ever stored (0 = none). */
uint64_t hamd_store_events_last_seq(struct hamd_store *s);

/* True once a SEED command was applied (possibly through a snapshot). */
bool hamd_store_seeded(struct hamd_store *s);

/* Raft index of the last command applied, 0 for a fresh store. */
uint64_t hamd_store_applied_index(struct hamd_store *s);

/* ------------------------------------------------------------------------
 * Writers: for the FSM only (fsm.h)
 * ------------------------------------------------------------------------ */

/* Applies cmd as log entry `index` in one write txn: the data change (if
 * the command is valid for the current state) and the applied index
 * commit together. events_max bounds the event history. Never fails
 * silently: res says what happened (status 500 if LMDB failed, then
 * nothing at all was written). */
void hamd_store_apply(struct hamd_store *s, const struct hamd_cmd *cmd,
                      uint64_t index, unsigned events_max,
                      struct hamd_apply_result *res);

/* Records that entry `index` was consumed without a data change (a
 * malformed entry). Returns 0 or -EIO. */
int hamd_store_set_applied(struct hamd_store *s, uint64_t index);

/* Serialises the whole store into *buf (malloc'd, the caller frees) of
 * *len bytes. Returns 0 or -EIO / -ENOMEM. */
int hamd_store_snapshot(struct hamd_store *s, void **buf, size_t *len);

/* Replaces the whole store with a snapshot in one write txn. Returns 0, or
 * -EINVAL (bad document) / -EIO, and then the store is unchanged. */
int hamd_store_restore(struct hamd_store *s, const void *buf, size_t len);

/* Empties every database in one write txn. Returns 0 or -EIO. */
int hamd_store_wipe(struct hamd_store *s);

#endif /* HAMD_RAFT_STORE_H */
