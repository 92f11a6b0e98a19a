/* The replicated command codec: one struct hamd_cmd <-> one Raft log entry.
 *
 * Every change of the replicated state (docs/consensus.md) is one command, agreed
 * on through the Raft log (Ongaro, "Consensus: Bridging Theory and
 * Practice", 2014, §3.5: a replicated state machine applies the same
 * commands in the same order on every server). The encoding is a msgpack
 * array
 *
 *     [version, type, args...]
 *
 *   SEED            [1, 1, [account...], [vt_symbol...]]
 *   ACCOUNT_PUT     [1, 2, account]
 *   ACCOUNT_DEL     [1, 3, account_id]
 *   ACCOUNT_RUN     [1, 4, account_id, running]
 *   SUBS_ADD / DEL  [1, 5|6, [vt_symbol...]]
 *   ASSIGN          [1, 7, [[vt_symbol, account_id]...]]   "" = unassign
 *   QUARANTINE      [1, 8, account_id, until_ms]            0 = clear
 *   PAUSE           [1, 9, paused]
 *   FAILOVER_COUNT  [1, 10, yyyymmdd, count]
 *   EVENT           [1, 11, event_json]
 *   PIN             [1, 12, pinned, [vt_symbol...]]         false = unpin
 *   SOURCE_MOVED    [1, 13, at_ms]   a leader handed over because a
 *                                    follower covers more (epoch ms)
 *
 * with accounts as in account_pack.h. The buffer is zero-padded to a
 * multiple of HAMD_CMD_ALIGN_BYTES: libraft 0.15 silently loses committed
 * entries of other lengths on restart (docs/consensus.md). The decoder reads one
 * msgpack document and then accepts only fewer than 8 zero bytes, so the
 * padding needs no length prefix and anything else is rejected.
 *
 * Decoding never trusts the bytes: wrong types, truncation, unknown
 * versions or types, oversize lists and trailing garbage are errors, and
 * nothing is allocated from a count before the count is checked against
 * the bytes that remain.
 */
#ifndef HAMD_RAFT_CMD_H
#define HAMD_RAFT_CMD_H

#include <raft.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/account.h"
#include "hamd/tick.h"

#define HAMD_CMD_VERSION 1              /* first element of every entry */
#define HAMD_CMD_ALIGN_BYTES 8          /* entry length multiple (libraft) */
#define HAMD_CMD_MAX_BYTES (4u << 20)   /* largest entry accepted, padded */
#define HAMD_CMD_ACCOUNTS_MAX 256       /* accounts in one SEED */
#define HAMD_CMD_SYMBOLS_MAX 65536      /* vt_symbols in one list */
#define HAMD_CMD_ASSIGNS_MAX 65536      /* pairs in one ASSIGN */
#define HAMD_CMD_EVENT_MAX 16384        /* bytes of event JSON, no NUL */
#define HAMD_CMD_ERR_MAX 128            /* decoder error message buffer */

/* Wire values: never renumber, only append. */
enum hamd_cmd_type {
    HAMD_CMD_SEED = 1,       /* first-bootstrap accounts + subscriptions */
    HAMD_CMD_ACCOUNT_PUT,    /* upsert one account */
    HAMD_CMD_ACCOUNT_DEL,    /* delete one account */
    HAMD_CMD_ACCOUNT_RUN,    /* operator start/stop of an account */
    HAMD_CMD_SUBS_ADD,       /* subscribe vt_symbols */
    HAMD_CMD_SUBS_DEL,       /* unsubscribe vt_symbols */
    HAMD_CMD_ASSIGN,         /* active source of contracts */
    HAMD_CMD_QUARANTINE,     /* quarantine an account until a time */
    HAMD_CMD_PAUSE,          /* pause / resume automatic failover */
    HAMD_CMD_FAILOVER_COUNT, /* automatic failovers of a day */
    HAMD_CMD_EVENT,          /* one event for the replicated history */
    HAMD_CMD_PIN,            /* set / clear manual-failover pins */
    HAMD_CMD_SOURCE_MOVED,   /* time of the last source-driven transfer */
};
#define HAMD_CMD_TYPE_FIRST HAMD_CMD_SEED
#define HAMD_CMD_TYPE_LAST HAMD_CMD_SOURCE_MOVED

/* One (contract, source) pair of an ASSIGN. */
struct hamd_assign {
    char vt_symbol[HAMD_VT_SYMBOL_MAX]; /* contract */
    char account[HAMD_ACCOUNT_ID_MAX];  /* source account, "" = unassign */
};

/* One command. Fields a type does not use stay zero. The lists are heap
 * arrays owned by the command: release them with hamd_cmd_free. */
struct hamd_cmd {
    enum hamd_cmd_type type;               /* what this command does */
    char account_id[HAMD_ACCOUNT_ID_MAX];  /* ACCOUNT_DEL, _RUN, QUARANTINE */
    bool flag;                             /* ACCOUNT_RUN running, PAUSE paused,
                                              PIN pinned */
    int64_t until_ms;                      /* QUARANTINE: epoch ms, 0 clears;
                                              SOURCE_MOVED: epoch ms */
    uint32_t day;                          /* FAILOVER_COUNT: yyyymmdd */
    uint32_t count;                        /* FAILOVER_COUNT: failovers that day */
    struct hamd_account *accounts;         /* ACCOUNT_PUT (exactly 1), SEED */
    unsigned n_accounts;                   /* used entries of accounts */
    unsigned accounts_cap;                 /* allocated entries of accounts */
    char (*symbols)[HAMD_VT_SYMBOL_MAX];   /* SUBS_ADD, SUBS_DEL, SEED, PIN */
    unsigned n_symbols;                    /* used entries of symbols */
    unsigned symbols_cap;                  /* allocated entries of symbols */
    struct hamd_assign *assigns;           /* ASSIGN */
    unsigned n_assigns;                    /* used entries of assigns */
    unsigned assigns_cap;                  /* allocated entries of assigns */
    char *event_json;                      /* EVENT: heap, NUL-terminated */
};

/* Zeroes *cmd and sets its type. */
void hamd_cmd_init(struct hamd_cmd *cmd, enum hamd_cmd_type type);

/* Frees the heap lists of *cmd and zeroes it (the struct itself is the
 * caller's). Safe on a zeroed or already freed command. */
void hamd_cmd_free(struct hamd_cmd *cmd);

/* Appends a copy of an account. Returns 0, or -1 when out of memory or at
 * HAMD_CMD_ACCOUNTS_MAX. */
int hamd_cmd_add_account(struct hamd_cmd *cmd, const struct hamd_account *a);

/* Appends a vt_symbol. Returns 0, or -1 when it is too long, out of memory
 * or at HAMD_CMD_SYMBOLS_MAX. */
int hamd_cmd_add_symbol(struct hamd_cmd *cmd, const char *vt_symbol);

/* Appends an ASSIGN pair (account "" unassigns). Returns 0 or -1 like
 * hamd_cmd_add_symbol. */
int hamd_cmd_add_assign(struct hamd_cmd *cmd, const char *vt_symbol,
                        const char *account);

/* Sets the EVENT's JSON text (copied). Returns 0, or -1 when longer than
 * HAMD_CMD_EVENT_MAX or out of memory. */
int hamd_cmd_set_event(struct hamd_cmd *cmd, const char *json);

/* Encodes cmd into out->base (raft_malloc'd; the caller owns it until
 * raft_apply takes it), out->len a multiple of HAMD_CMD_ALIGN_BYTES.
 * Returns 0, RAFT_INVALID (unknown type, wrong list for the type,
 * unterminated string), RAFT_TOOBIG or RAFT_NOMEM. */
int hamd_cmd_encode(const struct hamd_cmd *cmd, struct raft_buffer *out);

/* Decodes one entry into *out (which the caller later hamd_cmd_free's).
 * Returns 0, or -1 with a reason in err (err_cap bytes, may be NULL) and
 * *out zeroed. */
int hamd_cmd_decode(const void *buf, size_t len, struct hamd_cmd *out,
                    char *err, size_t err_cap);

/* Returns a short lower-case name of a command type ("account_put"), or
 * "unknown". */
const char *hamd_cmd_type_name(enum hamd_cmd_type type);

#endif /* HAMD_RAFT_CMD_H */
