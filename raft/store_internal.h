/* Shared inside the store's files (store*.c) only: the LMDB handles and
 * the key and value conventions described in store.h. */
#ifndef HAMD_RAFT_STORE_INTERNAL_H
#define HAMD_RAFT_STORE_INTERNAL_H

#include <lmdb.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "raft/store.h"

/* The named databases, in snapshot order. */
enum store_db {
    STORE_DB_ACCOUNTS = 0,
    STORE_DB_SUBS,
    STORE_DB_ASSIGN,
    STORE_DB_STATE,
    STORE_DB_EVENTS,
    STORE_DB_META,
    STORE_DB_PINS, /* last: snapshots without it (older ones) still load */
    STORE_NDB
};

#define STORE_KEY_SEEDED "seeded"
#define STORE_KEY_PAUSED "paused"
#define STORE_KEY_FO_DAY "failover_day"
#define STORE_KEY_FO_COUNT "failover_count"
#define STORE_KEY_SOURCE_MOVED "source_moved_ms"
#define STORE_KEY_EVENT_SEQ "event_seq"
#define STORE_KEY_APPLIED "applied_index"
#define STORE_PREFIX_QUARANTINE "quarantine/"
#define STORE_PREFIX_RUNNING "running/"
#define STORE_KEY_MAX 96 /* longest key we build (prefix + account id) */
#define STORE_U64_BYTES 8 /* integer values and event keys, big-endian */

struct hamd_store {
    MDB_env *env;               /* the LMDB environment */
    MDB_dbi dbi[STORE_NDB];     /* handles of the named databases */
    char dir[PATH_MAX];         /* directory holding data.mdb (for logs) */
};

/* Name of each database (store_db order). */
extern const char *const hamd_store_db_names[STORE_NDB];

/* Starts a read txn. Returns 0 or an LMDB error (logged). */
int store_rtxn(struct hamd_store *s, MDB_txn **txn);

/* Reads a u64 value of a string key. Returns 0, MDB_NOTFOUND, or an LMDB
 * error; a value of another size reads as MDB_CORRUPTED. */
int store_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *out);

/* Writes a u64 value (big-endian) under a string key. */
int store_put_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t v);

/* Writes a raw value under a string key. */
int store_put(MDB_txn *txn, MDB_dbi dbi, const char *key, const void *val,
              size_t len);

/* Deletes a string key; a missing key is not an error. */
int store_del(MDB_txn *txn, MDB_dbi dbi, const char *key);

/* True when the string key exists (errors read as absent). */
bool store_has(MDB_txn *txn, MDB_dbi dbi, const char *key);

/* Builds "<prefix><id>" into key (STORE_KEY_MAX bytes). */
void store_acct_key(char *key, const char *prefix, const char *id);

/* u64 <-> 8 big-endian bytes (event keys sort by sequence this way). */
void store_be64_put(uint8_t out[STORE_U64_BYTES], uint64_t v);
uint64_t store_be64_get(const uint8_t in[STORE_U64_BYTES]);

#endif /* HAMD_RAFT_STORE_INTERNAL_H */
