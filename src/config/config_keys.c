/* Key tables of every fixed section and parsing of their values. See
 * config_loader.h; the ranges and defaults here are documented in
 * docs/configuration.md, keep both in step. */
#include "config/config_loader.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "config/config_value.h"

#define CFG_KEY(type, name, kind, field, min, max, def)                     \
    {name, kind, offsetof(type, field), sizeof(((type *)0)->field), min,    \
     max, def}
#define CFG_C(...) CFG_KEY(struct hamd_config, __VA_ARGS__)
#define CFG_P(...) CFG_KEY(struct hamd_peer, __VA_ARGS__)
#define CFG_A(...) CFG_KEY(struct hamd_account, __VA_ARGS__)
#define CFG_TABLE(name, rows) {name, rows, sizeof rows / sizeof rows[0]}

/* ------------------------------------------------------------------------
 * Key tables
 * ------------------------------------------------------------------------ */

static const struct cfg_key CFG_NODE_KEYS[] = {
    CFG_C("id", CFG_UINT, node_id, 1, CFG_PEER_ID_MAX, "1"),
    CFG_C("data_dir", CFG_TEXT, data_dir, 1, 0, NULL),
    CFG_C("log_level", CFG_LOG_LEVEL, log_level, 0, 0, "info"),
    CFG_C("admin", CFG_HOST_PORT, admin, 0, 0, "127.0.0.1:8001"),
    CFG_C("publish", CFG_ZMQ, publish, 0, 0, "tcp://127.0.0.1:5551"),
    CFG_C("snapshot", CFG_ZMQ, snapshot, 0, 0, "tcp://127.0.0.1:5561"),
};

static const struct cfg_key CFG_RAFT_KEYS[] = {
    CFG_C("election_timeout_ms", CFG_UINT, election_timeout_ms, 50, 60000,
          "200"),
    CFG_C("heartbeat_ms", CFG_UINT, heartbeat_ms, 10, 10000, "50"),
    CFG_C("witness_election_timeout_ms", CFG_UINT,
          witness_election_timeout_ms, 50, 120000, "1000"),
    CFG_C("lease_margin_ms", CFG_UINT, lease_margin_ms, 0, 10000, "50"),
    CFG_C("snapshot_threshold", CFG_UINT, snapshot_threshold, 16, 100000000,
          "1024"),
    CFG_C("snapshot_trailing", CFG_UINT, snapshot_trailing, 0, 100000000,
          "128"),
    CFG_C("election_jitter_pct", CFG_UINT, election_jitter_pct, 10, 100,
          "50"),
};

static const struct cfg_key CFG_PUBLISH_KEYS[] = {
    CFG_C("hwm", CFG_UINT, pub_hwm, 1, 10000000, "100000"),
    CFG_C("heartbeat_ms", CFG_UINT, heartbeat_interval_ms, 10, 10000, "100"),
    CFG_C("curve_secret_file", CFG_TEXT, curve_secret_file, 0, 0, ""),
    CFG_C("curve_clients_dir", CFG_TEXT, curve_clients_dir, 0, 0, ""),
};

/* The other keys of [gateways] map gateway types to executables. */
static const struct cfg_key CFG_GATEWAYS_KEYS[] = {
    CFG_C("endpoint", CFG_ZMQ_PROC, gw_endpoint, 0, 0, NULL),
    CFG_C("restart_backoff_min_ms", CFG_UINT, restart_backoff_min_ms, 10,
          600000, "200"),
    CFG_C("restart_backoff_max_ms", CFG_UINT, restart_backoff_max_ms, 10,
          3600000, "30000"),
    CFG_C("stop_grace_ms", CFG_UINT, stop_grace_ms, 0, 60000, "2000"),
};

static const struct cfg_key CFG_HEALTH_KEYS[] = {
    CFG_C("check_interval_ms", CFG_UINT, check_interval_ms, 10, 60000, "100"),
    CFG_C("fail_threshold", CFG_UINT, fail_threshold, 1, 1000, "3"),
    CFG_C("recover_threshold", CFG_UINT, recover_threshold, 1, 1000, "5"),
    CFG_C("hb_timeout_ms", CFG_UINT, hb_timeout_ms, 100, 600000, "3000"),
    CFG_C("canary_timeout_ms", CFG_UINT, canary_timeout_ms, 100, 3600000,
          "5000"),
    CFG_C("stale_ms", CFG_UINT, stale_ms, 100, 600000, "1000"),
    CFG_C("malformed_max", CFG_UINT, malformed_max, 0, 1000000, "1"),
    CFG_C("latency_ms", CFG_UINT, latency_ms, 10, 600000, "2000"),
    CFG_C("timezone", CFG_TIMEZONE, timezone, 1, 0, "Asia/Shanghai"),
};

static const struct cfg_key CFG_FAILOVER_KEYS[] = {
    CFG_C("replay_window_ms", CFG_UINT, replay_window_ms, 0, 60000, "3000"),
    CFG_C("replay_depth", CFG_UINT, replay_depth, 1, 100000, "256"),
    CFG_C("quarantine_s", CFG_UINT, quarantine_s, 0, 86400, "60"),
    CFG_C("revert_after_s", CFG_UINT, revert_after_s, 0, 604800, "300"),
    CFG_C("daily_cap", CFG_UINT, daily_cap, 0, 100000, "20"),
    CFG_C("restart_after_ms", CFG_UINT, restart_after_ms, 100, 3600000,
          "5000"),
    CFG_C("event_history", CFG_UINT, event_history, 10, 1000000, "1000"),
    CFG_C("arbitration", CFG_ARBITRATION, arbitration, 0, 0, "priority"),
};

/* The other keys of [sessions] are exchanges and their windows. */
static const struct cfg_key CFG_SESSIONS_KEYS[] = {
    CFG_C("holidays", CFG_TEXT, holidays_file, 0, 0, ""),
    CFG_C("closed_restart_after_s", CFG_UINT, closed_restart_after_s, 0,
          86400, "600"),
};

static const struct cfg_key CFG_ADMIN_KEYS[] = {
    CFG_C("token_file", CFG_TEXT, token_file, 0, 0, ""),
    CFG_C("max_body_bytes", CFG_UINT, max_body_bytes, 1024, 16777216,
          "65536"),
    CFG_C("max_streams", CFG_UINT, max_streams, 1, 1024, "32"),
    CFG_C("log_lines", CFG_UINT, log_lines, 100, 100000, "2000"),
    CFG_C("tls_cert", CFG_TEXT, tls_cert, 0, 0, ""),
    CFG_C("tls_key", CFG_TEXT, tls_key, 0, 0, ""),
    CFG_C("tls_ca", CFG_TEXT, tls_ca, 0, 0, ""),
};

static const struct cfg_key CFG_ACCOUNTS_KEYS[] = {
    CFG_C("key_file", CFG_TEXT, key_file, 0, 0, ""),
    CFG_C("secret_keys", CFG_TEXT, secret_keys, 0, 0, "password, auth_code"),
};

static const struct cfg_key CFG_HOOKS_KEYS[] = {
    CFG_C("on_leader", CFG_TEXT, on_leader, 0, 0, ""),
    CFG_C("on_follower", CFG_TEXT, on_follower, 0, 0, ""),
    CFG_C("timeout_ms", CFG_UINT, hook_timeout_ms, 100, 600000, "5000"),
    CFG_C("handover_release_ms", CFG_UINT, hook_handover_release_ms, 0, 5000,
          "300"),
    CFG_C("on_event", CFG_TEXT, on_event, 0, 0, ""),
    CFG_C("on_event_timeout_ms", CFG_UINT, event_hook_timeout_ms, 100,
          600000, "5000"),
    CFG_C("on_event_max_running", CFG_UINT, event_hook_max_running, 1, 64,
          "4"),
};

static const struct cfg_key CFG_CLUSTER_KEYS[] = {
    CFG_C("source_transfer_after_ms", CFG_UINT, source_transfer_after_ms, 0,
          600000, "1500"),
    CFG_C("source_transfer_cooldown_s", CFG_UINT, source_transfer_cooldown_s,
          0, 86400, "60"),
};

static const struct cfg_key CFG_PEER_KEYS[] = {
    CFG_P("raft", CFG_RAFT_ADDR, raft, 0, 0, NULL),
    CFG_P("admin", CFG_HOST_PORT, admin, 0, 0, NULL),
    CFG_P("publish", CFG_ZMQ, publish, 0, 0, NULL),
    CFG_P("snapshot", CFG_ZMQ, snapshot, 0, 0, NULL),
    CFG_P("role", CFG_ROLE, role, 0, 0, "voter"),
    CFG_P("join", CFG_BOOL, join, 0, 0, "false"),
    CFG_P("relay", CFG_ZMQ_OPT, relay, 0, 0, ""),
};

static const struct cfg_key CFG_ACCOUNT_KEYS[] = {
    CFG_A("name", CFG_TEXT, name, 1, 0, NULL),
    CFG_A("gateway_type", CFG_GW_TYPE, gateway_type, 0, 0, NULL),
    CFG_A("priority", CFG_INT, priority, HAMD_PRIORITY_MIN,
          HAMD_PRIORITY_MAX, NULL),
    CFG_A("enabled", CFG_BOOL, enabled, 0, 0, "true"),
    CFG_A("exchanges", CFG_EXCHANGES, exchanges, 0, 0, NULL),
    CFG_A("canary", CFG_CANARY, canary, 0, 0, ""),
    CFG_A("params", CFG_JSON_OBJECT, params, 0, 0, "{}"),
};

const struct cfg_table cfg_globals[CFG_G_COUNT] = {
    CFG_TABLE("node", CFG_NODE_KEYS),
    CFG_TABLE("raft", CFG_RAFT_KEYS),
    CFG_TABLE("publish", CFG_PUBLISH_KEYS),
    CFG_TABLE("gateways", CFG_GATEWAYS_KEYS),
    CFG_TABLE("health", CFG_HEALTH_KEYS),
    CFG_TABLE("failover", CFG_FAILOVER_KEYS),
    CFG_TABLE("admin", CFG_ADMIN_KEYS),
    CFG_TABLE("hooks", CFG_HOOKS_KEYS),
    CFG_TABLE("cluster", CFG_CLUSTER_KEYS),
    CFG_TABLE("sessions", CFG_SESSIONS_KEYS),
    CFG_TABLE("accounts", CFG_ACCOUNTS_KEYS),
};

const struct cfg_table cfg_peer = CFG_TABLE("peer", CFG_PEER_KEYS);
const struct cfg_table cfg_account =
    CFG_TABLE("account", CFG_ACCOUNT_KEYS);

/* ------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------ */

bool cfg_text_copy(char *dst, size_t size, const char *text,
                        unsigned min_len, char *why, size_t cap)
{
    size_t len = strlen(text);
    if (len < min_len) {
        snprintf(why, cap, "must not be empty");
        return false;
    }
    if (len >= size) {
        snprintf(why, cap, "longer than %zu bytes", size - 1);
        return false;
    }
    if (!cfgval_printable(text)) {
        snprintf(why, cap, "contains a control character");
        return false;
    }
    memcpy(dst, text, len + 1);
    return true;
}

/* Walk state of an account's exchange list. */
struct cfg_exchanges {
    struct hamd_account *acct; /* destination */
    bool echo;                 /* quote bad items */
};

static bool cfg_exchange_item(void *ud, const char *item, char *why,
                              size_t cap)
{
    struct cfg_exchanges *x = ud;
    struct hamd_account *acct = x->acct;
    char got[CFGVAL_ECHO_MAX + 64];
    cfgval_got(item, x->echo, got, sizeof got);
    if (!cfgval_exchange_valid(item)) {
        snprintf(why, cap, "expected exchange codes such as SHFE "
                 "(1..15 of A-Z 0-9 _), %s", got);
        return false;
    }
    for (unsigned i = 0; i < acct->n_exchanges; i++) {
        if (strcmp(acct->exchanges[i], item) == 0) {
            snprintf(why, cap, "exchange listed twice, %s", got);
            return false;
        }
    }
    if (acct->n_exchanges == HAMD_ACCOUNT_EXCH_MAX) {
        snprintf(why, cap, "more than %d exchanges", HAMD_ACCOUNT_EXCH_MAX);
        return false;
    }
    strcpy(acct->exchanges[acct->n_exchanges++], item);
    return true;
}

/* Parses an integer key into an unsigned or int field. */
static bool cfg_number_set(void *field, const struct cfg_key *key,
                           const char *text, bool echo, char *why, size_t cap)
{
    unsigned v;
    if (!cfgval_uint_parse(text, key->min, key->max, echo, &v, why, cap))
        return false;
    if (key->kind == CFG_INT)
        *(int *)field = (int)v;
    else
        *(unsigned *)field = v;
    return true;
}

/* Parses a key whose field holds an enum or bool. */
static bool cfg_choice_set(void *field, const struct cfg_key *key,
                           const char *text, bool echo, char *why, size_t cap)
{
    char got[CFGVAL_ECHO_MAX + 64];
    cfgval_got(text, echo, got, sizeof got);
    if (key->kind == CFG_BOOL)
        return cfgval_bool_parse(text, echo, field, why, cap);
    if (key->kind == CFG_ARBITRATION) {
        if (hamd_arb_mode_parse(text, field))
            return true;
        snprintf(why, cap, "expected priority or first, %s", got);
        return false;
    }
    if (key->kind == CFG_LOG_LEVEL) {
        int level = hamd_log_level_parse(text);
        if (level < 0)
            snprintf(why, cap, "expected debug, info, warn or error, %s", got);
        else
            *(int *)field = level;
        return level >= 0;
    }
    if (strcmp(text, "voter") == 0 || strcmp(text, "witness") == 0) {
        *(enum hamd_peer_role *)field =
            text[0] == 'v' ? HAMD_ROLE_VOTER : HAMD_ROLE_WITNESS;
        return true;
    }
    snprintf(why, cap, "expected voter or witness, %s", got);
    return false;
}

/* Checks the syntax of a text-valued key before it is copied. */
static bool cfg_text_check(const struct cfg_key *key, const char *text,
                           bool echo, char *why, size_t cap)
{
    char got[CFGVAL_ECHO_MAX + 64];
    cfgval_got(text, echo, got, sizeof got);
    switch (key->kind) {
    case CFG_ZMQ_OPT:
        if (!text[0])
            return true;
        /* fall through */
    case CFG_ZMQ:
    case CFG_ZMQ_PROC:
        return cfgval_zmq_check(text, key->kind == CFG_ZMQ, echo, why,
                                     cap);
    case CFG_HOST_PORT:
        return cfgval_host_port_check(text, echo, why, cap);
    case CFG_RAFT_ADDR:
        return cfgval_ipv4_port_check(text, echo, why, cap);
    case CFG_TIMEZONE:
        if (cfgval_timezone_valid(text))
            return true;
        snprintf(why, cap, "expected a time-zone name such as "
                 "Asia/Shanghai, %s", got);
        return false;
    case CFG_GW_TYPE:
        if (cfgval_gw_type_valid(text))
            return true;
        snprintf(why, cap, "expected a gateway type (1..31 of a-z 0-9 _ -, "
                 "starting with a letter or digit), %s", got);
        return false;
    case CFG_CANARY:
        if (text[0] == '\0' || cfgval_vt_symbol_valid(text))
            return true;
        snprintf(why, cap, "expected SYMBOL.EXCHANGE such as rb2601.SHFE, "
                 "%s", got);
        return false;
    default:
        return true;
    }
}

bool cfg_value_set(void *base, const struct cfg_key *key, const char *text,
                        bool echo, char *why, size_t cap)
{
    void *field = (char *)base + key->offset;
    switch (key->kind) {
    case CFG_UINT:
    case CFG_INT:
        return cfg_number_set(field, key, text, echo, why, cap);
    case CFG_BOOL:
    case CFG_ROLE:
    case CFG_LOG_LEVEL:
    case CFG_ARBITRATION:
        return cfg_choice_set(field, key, text, echo, why, cap);
    case CFG_EXCHANGES: {
        struct cfg_exchanges x = {.acct = base, .echo = echo};
        x.acct->n_exchanges = 0;
        return cfgval_list_walk(text, cfg_exchange_item, &x, why, cap);
    }
    case CFG_JSON_OBJECT:
        return cfgval_json_object_compact(text, field, key->size, why,
                                               cap);
    default:
        return cfg_text_check(key, text, echo, why, cap) &&
               cfg_text_copy(field, key->size, text, key->min, why, cap);
    }
}

/* ------------------------------------------------------------------------
 * Defaults and lookups
 * ------------------------------------------------------------------------ */

bool cfg_defaults_set(void *base, const struct cfg_table *table,
                           char *why, size_t cap)
{
    for (size_t k = 0; k < table->n_keys; k++) {
        const struct cfg_key *key = &table->keys[k];
        if (key->def != NULL &&
            !cfg_value_set(base, key, key->def, true, why, cap))
            return false;
    }
    return true;
}

int cfg_key_find(const struct cfg_table *table, const char *name)
{
    for (size_t k = 0; k < table->n_keys; k++)
        if (strcmp(table->keys[k].name, name) == 0)
            return (int)k;
    return -1;
}

bool cfg_key_given(const struct cfg_section *sec, int k)
{
    return sec->origin[k].line != 0 || sec->origin[k].env[0] != '\0';
}

