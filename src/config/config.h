/* hamd node configuration (docs/configuration.md): INI via libinih, every key
 * overridable by the environment as HAMD_<SECTION>_<KEY> (upper case, the
 * dot of "peer.1" / "account.sim_a" becomes "_": HAMD_PEER_1_RAFT).
 *
 * Unknown sections or keys and bad values stop start-up: the error names
 * the file, the line and the key ("node1.ini:12: [raft] heartbeat_ms:
 * expected an integer in 10..10000, got 'abc'"). An environment override
 * names the variable instead of a line. The value of a key whose name looks
 * secret (hamd_param_is_secret) and the params JSON are never quoted.
 *
 * Every key, default and range: docs/configuration.md.
 */
#ifndef HAMD_CONFIG_H
#define HAMD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/account.h"
#include "core/arbiter.h"
#include "core/sessions.h"

#define HAMD_MAX_PEERS 7          /* cluster members */
#define HAMD_MAX_GW_TYPES 16      /* gateway_type -> executable entries */
#define HAMD_MAX_SEED_ACCOUNTS 32 /* [account.ID] sections */
#define HAMD_MAX_SEED_SUBS 8192   /* symbols in [subscriptions] */
#define HAMD_ENDPOINT_MAX 256     /* a ZMQ endpoint or host:port */
#define HAMD_CONFIG_ERR_MAX 512   /* size of an error message buffer */
#define HAMD_MAX_SESSION_EXCH 16  /* exchanges with session windows */
#define HAMD_CONFIG_LINE_MAX 16384 /* longest line of a config file, bytes */
#define HAMD_SECRET_KEYS_TEXT_MAX 512 /* bytes of [accounts] secret_keys */

enum hamd_peer_role {
    HAMD_ROLE_VOTER = 0,   /* full node: gateways, may publish */
    HAMD_ROLE_WITNESS,     /* votes only: no gateways, never publishes */
};

/* One [peer.N] section: identical on every node. */
struct hamd_peer {
    unsigned id;                         /* N of [peer.N], >= 1 */
    char raft[HAMD_ENDPOINT_MAX];        /* IPv4:port of raft traffic */
    char admin[HAMD_ENDPOINT_MAX];       /* host:port of the admin HTTP API */
    char publish[HAMD_ENDPOINT_MAX];     /* ZMQ endpoint of the PUB socket */
    char snapshot[HAMD_ENDPOINT_MAX];    /* ZMQ endpoint, snapshot ROUTER */
    char relay[HAMD_ENDPOINT_MAX];       /* ZMQ endpoint of the ROUTER that
                                            takes followers' coverage reports
                                            and relayed ticks; "" = none */
    enum hamd_peer_role role;            /* role (voter) */
    bool join;                           /* join (false): true = not in the
                                            bootstrap configuration; added
                                            later (hactl members add N) */
};

/* gateway_type -> executable, from [gateways] (every key but the knobs). */
struct hamd_gw_exec {
    char type[HAMD_GW_TYPE_MAX]; /* the key: a gateway_type of accounts */
    char path[PATH_MAX];         /* the value: executable to spawn */
};

struct hamd_config {
    char path[PATH_MAX]; /* the file it was read from */

    /* [node] */
    unsigned node_id;            /* id: which [peer.N] is this node */
    char data_dir[PATH_MAX];     /* data_dir: LMDB, raft log, gw.sock */
    int log_level;               /* log_level: enum hamd_log_level (info) */
    /* Standalone nodes (no [peer.N] sections) take their endpoints here. */
    char admin[HAMD_ENDPOINT_MAX];    /* admin (127.0.0.1:8001) */
    char publish[HAMD_ENDPOINT_MAX];  /* publish (tcp://127.0.0.1:5551) */
    char snapshot[HAMD_ENDPOINT_MAX]; /* snapshot (tcp://127.0.0.1:5561) */

    /* [peer.N] sections, sorted by id. n_peers == 0: standalone. */
    unsigned n_peers;                       /* peers in use */
    struct hamd_peer peers[HAMD_MAX_PEERS]; /* [peer.N], by id */

    /* [raft] */
    unsigned election_timeout_ms;    /* 200 */
    unsigned election_jitter_pct;    /* 50: timeouts in [T, T + T x pct %] */
    unsigned heartbeat_ms;           /* 50 */
    unsigned witness_election_timeout_ms; /* 1000: witnesses wait longer */
    unsigned lease_margin_ms;        /* 50: lease = election - margin */
    unsigned snapshot_threshold;     /* 1024 entries */
    unsigned snapshot_trailing;      /* 128 entries */

    /* [publish] */
    unsigned pub_hwm;                /* 100000 messages per subscriber */
    unsigned heartbeat_interval_ms;  /* 100: `_hb` period */
    char curve_secret_file[PATH_MAX]; /* "" = no CURVE: the cluster's secret
                                        key (z85), shared by every node */
    char curve_clients_dir[PATH_MAX]; /* allowed client public keys, one
                                        z85 key per file ("" = only the
                                        nodes themselves) */

    /* [gateways] */
    char gw_endpoint[HAMD_ENDPOINT_MAX]; /* endpoint (ipc://DATA_DIR/gw.sock) */
    unsigned n_gw_execs;                 /* gw_execs in use */
    struct hamd_gw_exec gw_execs[HAMD_MAX_GW_TYPES]; /* file order */
    unsigned restart_backoff_min_ms;  /* 200 */
    unsigned restart_backoff_max_ms;  /* 30000 */
    unsigned stop_grace_ms;           /* 2000: SIGTERM -> SIGKILL */

    /* [health] thresholds (docs/failover.md) */
    unsigned check_interval_ms;       /* 100 */
    unsigned fail_threshold;          /* 3 consecutive bad checks */
    unsigned recover_threshold;       /* 5 consecutive good checks */
    unsigned hb_timeout_ms;           /* 3000: no HB for this long = bad */
    unsigned canary_timeout_ms;       /* 5000: canary silent in session */
    unsigned stale_ms;                /* 1000: behind the freshest source */
    unsigned latency_ms;              /* 2000: exchange -> receive latency */
    unsigned malformed_max;           /* 1: bad messages per check */
    char timezone[64];                /* Asia/Shanghai: session clock */

    /* [sessions] (docs/operations.md, "Trading calendar") */
    unsigned n_sessions;              /* [sessions] EXCHANGE entries */
    /* The [sessions] entries in file order (hamd_sessions_find). */
    struct hamd_exchange_sessions sessions[HAMD_MAX_SESSION_EXCH];
    char holidays_file[PATH_MAX];     /* holidays: "" = none */
    unsigned n_holidays;              /* dates read from it */
    int32_t holidays[HAMD_HOLIDAYS_MAX]; /* local dates (days since
                                         1970-01-01), ascending */
    unsigned closed_restart_after_s;  /* 600: a gateway down outside every
                                         session of its exchanges is hard-
                                         restarted after this long; 0 = as
                                         in session */

    /* [failover] */
    unsigned replay_window_ms;        /* 3000 */
    unsigned replay_depth;            /* 256 ticks per source and contract */
    unsigned quarantine_s;            /* 60: cool-down of a failed source */
    unsigned revert_after_s;          /* 300; 0 = no automatic failback */
    unsigned daily_cap;               /* 20 automatic failovers per day */
    unsigned restart_after_ms;        /* 5000: UNHEALTHY this long -> restart */
    unsigned event_history;           /* 1000 events kept */
    enum hamd_arb_mode arbitration;   /* priority: how ticks are chosen */

    /* [arbitration]: per-exchange overrides of [failover] arbitration */
    unsigned n_arb_exchanges;         /* entries in arb_exchanges */
    struct hamd_arb_exchange arb_exchanges[HAMD_ARB_EXCH_MAX]; /* file
                                         order */

    /* [cluster]: the data follows the healthy source (docs/failover.md) */
    unsigned source_transfer_after_ms; /* 1500; 0 = no source-driven
                                          leadership transfer */
    unsigned source_transfer_cooldown_s; /* 60 */

    /* [admin] */
    char token_file[PATH_MAX];        /* "" = no token: mutations open */
    unsigned max_body_bytes;          /* 65536 */
    unsigned max_streams;             /* 32 live streams (GET /api/stream) */
    unsigned log_lines;               /* 2000 recent log lines kept */
    char tls_cert[PATH_MAX];          /* "" = plain HTTP; PEM chain */
    char tls_key[PATH_MAX];           /* PEM private key of tls_cert */
    char tls_ca[PATH_MAX];            /* PEM CAs that sign the members'
                                         certificates; "" = the system's */

    /* [accounts]: secret params sealed at rest (docs/security.md) */
    char key_file[PATH_MAX];          /* "" = stored as given */
    char secret_keys[HAMD_SECRET_KEYS_TEXT_MAX]; /* params keys sealed:
                                         "password, auth_code" */

    /* [hooks] */
    char on_leader[PATH_MAX];         /* "" = none; run on gaining the lease */
    char on_follower[PATH_MAX];       /* "" = none; run on losing it */
    unsigned hook_timeout_ms;         /* 5000 */
    unsigned hook_handover_release_ms; /* 300: on_follower this long after
                                          a shutdown handover's gateways
                                          stopped (docs/configuration.md) */
    char on_event[PATH_MAX];          /* "" = none; run per committed event */
    unsigned event_hook_timeout_ms;   /* 5000 */
    unsigned event_hook_max_running;  /* 4 runs of on_event at once */

    /* Seeds of the replicated store, used on first bootstrap only. */
    unsigned n_seed_accounts;         /* [account.ID] sections */
    struct hamd_account seed_accounts[HAMD_MAX_SEED_ACCOUNTS]; /* file order */
    unsigned n_seed_subs;             /* distinct [subscriptions] symbols */
    char (*seed_subs)[HAMD_VT_SYMBOL_MAX]; /* heap array, sorted, or NULL */
};

/* Loads the file at path with environment overrides. Returns a new config,
 * or NULL with a message naming file, line and key in err. Not thread-safe
 * (it adjusts libinih's line limit while parsing): call it at start-up. */
struct hamd_config *hamd_config_load(const char *path, char *err,
                                     size_t err_cap);

/* Frees the config and sets *self to NULL. */
void hamd_config_destroy(struct hamd_config **self);

/* True for an environment entry "NAME=VALUE" that overrides a key of an
 * [account.ID] section (HAMD_ACCOUNT_<ID>_<KEY>): its params may hold the
 * account's password, so the processes hamd starts (gateways, hooks) do
 * not inherit it (docs/security.md). */
bool hamd_config_env_is_account(const char *entry);

/* Returns the [peer.N] entry of node id, or NULL when there is none. */
const struct hamd_peer *hamd_config_peer(const struct hamd_config *cfg,
                                         uint64_t id);

/* Returns the peer entry of this node, or NULL when standalone. */
const struct hamd_peer *hamd_config_self(const struct hamd_config *cfg);

/* Where other nodes connect to reach an endpoint peer binds (endpoint is
 * its publish or relay): the endpoint itself, with a wildcard host (bound
 * on every address, so the VIP works) replaced by the host of its admin
 * address (the client network, which members reach already), else of its
 * raft address. Writes it to out[0..cap); returns 0, or -1 if none fits
 * or endpoint is "". */
int hamd_peer_connect_endpoint(const struct hamd_peer *peer,
                               const char *endpoint, char *out, size_t cap);

/* Returns the executable for a gateway_type, or NULL if none is set. */
const char *hamd_config_gw_exec(const struct hamd_config *cfg,
                                const char *gateway_type);

/* The node's own admin / publish / snapshot endpoints (peer or [node]). */
const char *hamd_config_admin(const struct hamd_config *cfg);
const char *hamd_config_publish(const struct hamd_config *cfg);
const char *hamd_config_snapshot(const struct hamd_config *cfg);

#endif /* HAMD_CONFIG_H */
