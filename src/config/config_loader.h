/* Internals of configuration loading, shared by config.c (the file),
 * config_keys.c (key tables and values), config_env.c (HAMD_* overrides)
 * and config_check.c (rules that span keys). Not for other modules.
 *
 * Each fixed key is a row of a table (name, syntax, field, range, default);
 * the file and the environment set keys through cfg_value_set. Every
 * key remembers where its value came from, so an error found after parsing
 * still names the line or the variable.
 */
#ifndef HAMD_CONFIG_LOADER_H
#define HAMD_CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

#define CFG_ENV_NAME_MAX 128    /* "HAMD_ACCOUNT_" + 31-byte id + key fits */
#define CFG_SECTION_NAME_MAX 64 /* "account." + a 31-byte id fits */
#define CFG_KEYS_MAX 12         /* keys of the largest fixed section */
#define CFG_WHY_MAX 384         /* reason part of an error message */
#define CFG_PEER_ID_MAX 65535   /* largest [node] id and N of [peer.N] */

/* Syntax of a value and the type of the field it lands in. */
enum cfg_kind {
    CFG_UINT,        /* unsigned in min..max */
    CFG_INT,         /* int in min..max */
    CFG_BOOL,        /* bool */
    CFG_TEXT,        /* printable text of min.. bytes, char[size] */
    CFG_ZMQ,         /* tcp://, ipc:// or inproc:// endpoint */
    CFG_ZMQ_PROC,    /* tcp:// or ipc://: reached by another process */
    CFG_ZMQ_OPT,     /* "" or a CFG_ZMQ_PROC endpoint */
    CFG_HOST_PORT,   /* HOST:PORT of an HTTP server */
    CFG_RAFT_ADDR,   /* IPV4:PORT */
    CFG_ROLE,        /* enum hamd_peer_role */
    CFG_LOG_LEVEL,   /* int holding an enum hamd_log_level */
    CFG_TIMEZONE,    /* char[size] IANA zone name */
    CFG_GW_TYPE,     /* char[size] gateway type slug */
    CFG_EXCHANGES,   /* an account's exchange list (whole struct) */
    CFG_CANARY,      /* "" or a vt_symbol, char[size] */
    CFG_JSON_OBJECT, /* compacted JSON object, char[size] */
    CFG_ARBITRATION, /* enum hamd_arb_mode: priority or first */
};

/* One fixed key of a section. */
struct cfg_key {
    const char *name;   /* as written in the file */
    enum cfg_kind kind; /* syntax and field type */
    size_t offset;      /* of the field in the section's struct */
    size_t size;        /* of the field */
    unsigned min;       /* smallest integer, or shortest text */
    unsigned max;       /* largest integer (unused for text) */
    const char *def;    /* default, parsed like a value; NULL: none */
};

/* The fixed keys of one kind of section. */
struct cfg_table {
    const char *name;            /* section name, "peer" for [peer.N] */
    const struct cfg_key *keys;  /* rows */
    size_t n_keys;               /* rows in keys */
};

/* Sections present in every config, file or not, in this order. */
enum cfg_global {
    CFG_G_NODE, CFG_G_RAFT, CFG_G_PUBLISH, CFG_G_GATEWAYS, CFG_G_HEALTH,
    CFG_G_FAILOVER, CFG_G_ADMIN, CFG_G_HOOKS, CFG_G_CLUSTER, CFG_G_SESSIONS,
    CFG_G_ACCOUNTS,
    CFG_G_COUNT
};

extern const struct cfg_table cfg_globals[CFG_G_COUNT]; /* by index */
extern const struct cfg_table cfg_peer;    /* [peer.N] */
extern const struct cfg_table cfg_account; /* [account.ID] */

/* Indexes into the tables above, for checks that span keys. */
enum {
    CFG_NODE_ID = 0, CFG_NODE_DATA_DIR = 1, CFG_NODE_ADMIN = 3,
    CFG_NODE_PUBLISH = 4, CFG_NODE_SNAPSHOT = 5,
    CFG_RAFT_ELECTION = 0, CFG_RAFT_HEARTBEAT = 1, CFG_RAFT_WITNESS = 2,
    CFG_RAFT_LEASE_MARGIN = 3,
    CFG_GW_ENDPOINT = 0, CFG_GW_BACKOFF_MIN = 1, CFG_GW_BACKOFF_MAX = 2,
    CFG_PEER_RAFT = 0,
    CFG_PUBLISH_CURVE_CLIENTS = 3,
    CFG_ADMIN_TLS_CERT = 4, CFG_ADMIN_TLS_KEY = 5, CFG_ADMIN_TLS_CA = 6,
    CFG_ACCT_NAME = 0, CFG_ACCT_GW_TYPE = 1, CFG_ACCT_PRIORITY = 2,
    CFG_ACCT_EXCHANGES = 4, CFG_ACCT_CANARY = 5, CFG_ACCT_PARAMS = 6,
};

/* Globals, [arbitration], [subscriptions], peers and accounts. */
#define CFG_SECTIONS_MAX                                                      \
    (CFG_G_COUNT + 2 + HAMD_MAX_PEERS + HAMD_MAX_SEED_ACCOUNTS)

/* What the keys of a section mean. */
enum cfg_section_kind {
    CFG_SEC_GLOBAL,   /* one of cfg_globals */
    CFG_SEC_PEER,     /* [peer.N] */
    CFG_SEC_ACCOUNT,  /* [account.ID] */
    CFG_SEC_ARBITRATION, /* [arbitration]: EXCHANGE = priority | first */
    CFG_SEC_SUBS,     /* [subscriptions]: symbols = list, repeatable */
};

/* Where a key got its value; both empty: the default. */
struct cfg_origin {
    unsigned line;              /* file line, 0 = not set by the file */
    char env[CFG_ENV_NAME_MAX]; /* variable that overrode it, "" = none */
};

/* One section of the file (or a global section the file lacks). */
struct cfg_section {
    char name[CFG_SECTION_NAME_MAX];   /* as written: "peer.2" */
    enum cfg_section_kind kind;        /* what its keys mean */
    const struct cfg_table *table;     /* fixed keys, NULL for free-form */
    void *base;                        /* struct the fixed keys write into */
    unsigned line;                     /* line of the header, 0 = absent */
    struct cfg_origin origin[CFG_KEYS_MAX]; /* per row of table */
};

/* State of one hamd_config_load call. */
struct cfg_loader {
    struct hamd_config *cfg;       /* being filled */
    FILE *file;                    /* the file being read */
    char *line;                    /* getline buffer */
    size_t line_cap;               /* its capacity */
    unsigned lineno;               /* lines read so far */
    unsigned n_sections;           /* sections in use */
    struct cfg_section sections[CFG_SECTIONS_MAX]; /* globals first */
    struct cfg_section *current;   /* section being read, NULL: none */
    unsigned gw_exec_line[HAMD_MAX_GW_TYPES];     /* per cfg->gw_execs */
    unsigned session_line[HAMD_MAX_SESSION_EXCH]; /* per cfg->sessions */
    unsigned arb_line[HAMD_ARB_EXCH_MAX];         /* per cfg->arb_exchanges */
    size_t subs_cap;               /* allocated cfg->seed_subs entries */
    bool failed;                   /* err holds the first error */
    unsigned err_line;             /* its file line, 0 = none */
    char *err;                     /* caller's message buffer */
    size_t err_cap;                /* its capacity */
};

/* Records the first error of a load (later ones are usually its echoes)
 * and returns false. line is its file line, 0 when none. */
bool cfg_fail(struct cfg_loader *ld, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports a bad key at its origin: the variable that set it, else its
 * line, else the section's line, else the file alone. Returns false. */
bool cfg_fail_key(struct cfg_loader *ld, const struct cfg_section *sec,
                       const char *key, const struct cfg_origin *origin,
                       const char *why);

/* Whether error messages may quote the value of this key. */
bool cfg_echo_ok(const char *key);

/* Copies text into a char[size] field of at least min_len bytes, or
 * explains in why why it cannot. */
bool cfg_text_copy(char *dst, size_t size, const char *text,
                        unsigned min_len, char *why, size_t cap);

/* Parses text as the value of key into the struct at base. */
bool cfg_value_set(void *base, const struct cfg_key *key,
                        const char *text, bool echo, char *why, size_t cap);

/* Sets every key of a table that has a default. False (with why) only if
 * a default of the table itself is bad. */
bool cfg_defaults_set(void *base, const struct cfg_table *table,
                           char *why, size_t cap);

/* Index of a fixed key in a table, or -1. */
int cfg_key_find(const struct cfg_table *table, const char *name);

/* True when a fixed key got a value from the file or the environment. */
bool cfg_key_given(const struct cfg_section *sec, int k);

/* Appends one [subscriptions] symbol (a cfgval_item_fn; ud is the
 * loader). */
bool cfg_sub_item(void *ud, const char *item, char *why, size_t cap);

/* Applies every HAMD_<SECTION>_<KEY> that names a key of a global section
 * or of a section in the file. Returns false with the error recorded. */
bool cfg_env_apply(struct cfg_loader *ld);

/* Checks the rules that span keys, fills computed defaults, sorts peers
 * and seed symbols. Returns false with the error recorded. */
bool cfg_check(struct cfg_loader *ld);

/* Reads [sessions] holidays (config_holidays.c) into cfg->holidays, sorted;
 * a bad line is an error naming the holiday file and the line. Returns
 * false with the error recorded. */
bool cfg_holidays_load(struct cfg_loader *ld);

#endif /* HAMD_CONFIG_LOADER_H */
