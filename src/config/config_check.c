/* Configuration rules that span keys, checked after the file and the
 * environment: required keys, the node among its peers, raft timing,
 * computed defaults. Each error names where the blamed value came from. */
#include "config/config_loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "common/vault.h"
#include "config/config_value.h"

#define CFG_GW_SOCK_NAME "gw.sock"    /* default gateway endpoint file */
#define CFG_HEARTBEATS_PER_ELECTION 2 /* election must outlast this many */

/* ------------------------------------------------------------------------
 * Blame
 * ------------------------------------------------------------------------ */

/* Reports a key of a section by table index. */
static bool cfg_fail_row(struct cfg_loader *ld, struct cfg_section *sec,
                         int k, const char *why)
{
    return cfg_fail_key(ld, sec, sec->table->keys[k].name, &sec->origin[k],
                             why);
}

/* Which of two related keys to blame for a broken relation: key k when
 * the file gave it, else the other one. */
static int cfg_blame(const struct cfg_section *sec, int k, int other)
{
    return cfg_key_given(sec, k) ? k : other;
}

/* ------------------------------------------------------------------------
 * Rules of each section
 * ------------------------------------------------------------------------ */

/* Every peer has its endpoints, raft addresses differ, a voter exists. */
static bool cfg_peers_check(struct cfg_loader *ld)
{
    struct hamd_config *cfg = ld->cfg;
    unsigned voters = 0;
    for (unsigned i = 0; i < ld->n_sections; i++) {
        struct cfg_section *sec = &ld->sections[i];
        if (sec->kind != CFG_SEC_PEER)
            continue;
        const struct hamd_peer *peer = sec->base;
        for (size_t k = 0; k < cfg_peer.n_keys; k++)
            if (cfg_peer.keys[k].def == NULL &&
                !cfg_key_given(sec, (int)k))
                return cfg_fail_row(ld, sec, (int)k, "required");
        for (const struct hamd_peer *p = cfg->peers; p < peer; p++)
            if (strcmp(p->raft, peer->raft) == 0)
                return cfg_fail_row(ld, sec, CFG_PEER_RAFT, "same address as "
                                    "another [peer.N]");
        voters += peer->role == HAMD_ROLE_VOTER;
    }
    if (cfg->n_peers > 0 && voters == 0)
        return cfg_fail(ld, 0, "%s: [peer.N]: no peer has role = voter",
                             cfg->path);
    return true;
}

/* data_dir is set; id names a peer; standalone keys only when alone. */
static bool cfg_node_check(struct cfg_loader *ld)
{
    struct hamd_config *cfg = ld->cfg;
    struct cfg_section *sec = &ld->sections[CFG_G_NODE];
    char why[CFG_WHY_MAX];
    if (!cfg_key_given(sec, CFG_NODE_DATA_DIR))
        return cfg_fail_row(ld, sec, CFG_NODE_DATA_DIR, "required");
    if (cfg->n_peers == 0)
        return true;
    static const int standalone_only[] = {CFG_NODE_ADMIN, CFG_NODE_PUBLISH,
                                          CFG_NODE_SNAPSHOT};
    for (size_t i = 0; i < sizeof standalone_only / sizeof(int); i++)
        if (cfg_key_given(sec, standalone_only[i]))
            return cfg_fail_row(ld, sec, standalone_only[i], "only for a "
                                "standalone node (no [peer.N] sections); set "
                                "it in [peer.N]");
    if (!cfg_key_given(sec, CFG_NODE_ID))
        return cfg_fail_row(ld, sec, CFG_NODE_ID, "required when [peer.N] "
                            "sections exist");
    if (hamd_config_self(cfg) == NULL) {
        snprintf(why, sizeof why, "%u matches no [peer.N] section",
                 cfg->node_id);
        return cfg_fail_row(ld, sec, CFG_NODE_ID, why);
    }
    return true;
}

/* Timing relations of [raft]. A witness election timeout left unset
 * follows a longer election timeout, so raising one key is enough. */
static bool cfg_raft_check(struct cfg_loader *ld)
{
    struct hamd_config *cfg = ld->cfg;
    struct cfg_section *sec = &ld->sections[CFG_G_RAFT];
    char why[CFG_WHY_MAX];
    int blame = cfg_blame(sec, CFG_RAFT_ELECTION, CFG_RAFT_HEARTBEAT);
    if (cfg->election_timeout_ms <=
        CFG_HEARTBEATS_PER_ELECTION * cfg->heartbeat_ms) {
        snprintf(why, sizeof why, "election_timeout_ms (%u) must be more "
                 "than %d x heartbeat_ms (%u)", cfg->election_timeout_ms,
                 CFG_HEARTBEATS_PER_ELECTION, cfg->heartbeat_ms);
        return cfg_fail_row(ld, sec, blame, why);
    }
    if (cfg->lease_margin_ms >= cfg->election_timeout_ms) {
        snprintf(why, sizeof why, "lease_margin_ms (%u) must be less than "
                 "election_timeout_ms (%u)", cfg->lease_margin_ms,
                 cfg->election_timeout_ms);
        return cfg_fail_row(ld, sec,
                            cfg_blame(sec, CFG_RAFT_LEASE_MARGIN, blame), why);
    }
    if (!cfg_key_given(sec, CFG_RAFT_WITNESS) &&
        cfg->witness_election_timeout_ms < cfg->election_timeout_ms)
        cfg->witness_election_timeout_ms = cfg->election_timeout_ms;
    if (cfg->witness_election_timeout_ms < cfg->election_timeout_ms) {
        snprintf(why, sizeof why, "witness_election_timeout_ms (%u) must be "
                 "at least election_timeout_ms (%u)",
                 cfg->witness_election_timeout_ms, cfg->election_timeout_ms);
        return cfg_fail_row(ld, sec, CFG_RAFT_WITNESS, why);
    }
    return true;
}

/* Backoff bounds are ordered; the endpoint defaults into data_dir. */
static bool cfg_gateways_check(struct cfg_loader *ld)
{
    struct hamd_config *cfg = ld->cfg;
    struct cfg_section *sec = &ld->sections[CFG_G_GATEWAYS];
    char why[CFG_WHY_MAX], endpoint[HAMD_ENDPOINT_MAX + PATH_MAX];
    if (cfg->restart_backoff_min_ms > cfg->restart_backoff_max_ms) {
        snprintf(why, sizeof why, "restart_backoff_min_ms (%u) is above "
                 "restart_backoff_max_ms (%u)", cfg->restart_backoff_min_ms,
                 cfg->restart_backoff_max_ms);
        return cfg_fail_row(
            ld, sec, cfg_blame(sec, CFG_GW_BACKOFF_MIN, CFG_GW_BACKOFF_MAX),
            why);
    }
    if (cfg_key_given(sec, CFG_GW_ENDPOINT))
        return true;
    const char *dir = cfg->data_dir;
    size_t len = strlen(dir);
    snprintf(endpoint, sizeof endpoint, "ipc://%s%s" CFG_GW_SOCK_NAME, dir,
             len > 0 && dir[len - 1] == '/' ? "" : "/");
    if (!cfgval_zmq_check(endpoint, false, true, why, sizeof why)) {
        snprintf(why, sizeof why, "too long for the default [gateways] "
                 "endpoint ipc://DATA_DIR/%s (a unix socket path holds %d "
                 "bytes); shorten it or set [gateways] endpoint",
                 CFG_GW_SOCK_NAME, CFGVAL_IPC_PATH_MAX);
        return cfg_fail_row(ld, &ld->sections[CFG_G_NODE], CFG_NODE_DATA_DIR,
                            why);
    }
    strcpy(cfg->gw_endpoint, endpoint);
    return true;
}

/* The account's gateway_type names a program of [gateways], as the admin
 * API requires (docs/api.md): seeded without one, the account would come
 * up never started, an ERROR in the log the only trace. A witness runs
 * no gateway, so any type will do there, as the API takes any there. */
static bool cfg_account_gw_type_check(struct cfg_loader *ld,
                                      struct cfg_section *sec,
                                      const struct hamd_account *acct)
{
    const struct hamd_peer *self = hamd_config_self(ld->cfg);
    char why[CFG_WHY_MAX];
    if ((self && self->role == HAMD_ROLE_WITNESS) ||
        hamd_config_gw_exec(ld->cfg, acct->gateway_type))
        return true;
    snprintf(why, sizeof why, "'%s' names no program: add [gateways] %s = "
             "PATH (the types this node runs: the keys of [gateways])",
             acct->gateway_type, acct->gateway_type);
    return cfg_fail_row(ld, sec, CFG_ACCT_GW_TYPE, why);
}

/* Accounts have a type this node runs and a priority; the canary is on a
 * served exchange; the name defaults to the id and is UTF-8, since the
 * admin API shows it as JSON (a Latin-1 name made the account vanish from
 * it). */
static bool cfg_accounts_check(struct cfg_loader *ld)
{
    for (unsigned i = 0; i < ld->n_sections; i++) {
        struct cfg_section *sec = &ld->sections[i];
        struct hamd_account *acct = sec->base;
        if (sec->kind != CFG_SEC_ACCOUNT)
            continue;
        if (!cfg_key_given(sec, CFG_ACCT_GW_TYPE))
            return cfg_fail_row(ld, sec, CFG_ACCT_GW_TYPE, "required");
        if (!cfg_key_given(sec, CFG_ACCT_PRIORITY))
            return cfg_fail_row(ld, sec, CFG_ACCT_PRIORITY, "required");
        if (!cfg_key_given(sec, CFG_ACCT_EXCHANGES))
            return cfg_fail_row(ld, sec, CFG_ACCT_EXCHANGES, "required");
        if (acct->canary[0] != '\0' && !hamd_account_serves(acct, acct->canary))
            return cfg_fail_row(ld, sec, CFG_ACCT_CANARY, "its exchange is "
                                "not in the account's exchanges");
        if (!cfg_key_given(sec, CFG_ACCT_NAME))
            strcpy(acct->name, acct->id);
        if (!hamd_utf8_valid(acct->name, strlen(acct->name)))
            return cfg_fail_row(ld, sec, CFG_ACCT_NAME, "not UTF-8 text");
        /* Refused as the admin API refuses it: seeded, it would be a
         * secret no key opens, and every node would refuse to start. */
        if (hamd_vault_params_sealed(acct->params))
            return cfg_fail_row(ld, sec, CFG_ACCT_PARAMS,
                                "a value starts with \"" HAMD_VAULT_PREFIX
                                "\", the form of the secrets hamd seals: "
                                "give the secret in clear (docs/security.md)");
        if (!cfg_account_gw_type_check(ld, sec, acct))
            return false;
    }
    return true;
}

/* The TLS certificate and its key come together; a CA without them
 * would verify peers that speak plain HTTP. */
static bool cfg_admin_check(struct cfg_loader *ld)
{
    struct hamd_config *cfg = ld->cfg;
    struct cfg_section *sec = &ld->sections[CFG_G_ADMIN];
    if (!cfg->tls_cert[0] && cfg->tls_key[0])
        return cfg_fail_row(ld, sec, CFG_ADMIN_TLS_KEY,
                            "set tls_cert too (or neither)");
    if (cfg->tls_cert[0] && !cfg->tls_key[0])
        return cfg_fail_row(ld, sec, CFG_ADMIN_TLS_CERT,
                            "set tls_key too (or neither)");
    if (!cfg->tls_cert[0] && cfg->tls_ca[0])
        return cfg_fail_row(ld, sec, CFG_ADMIN_TLS_CA,
                            "only with tls_cert and tls_key (the members "
                            "speak TLS only when they serve it)");
    return true;
}

/* Allowed client keys only mean something with a server key. */
static bool cfg_publish_check(struct cfg_loader *ld)
{
    struct hamd_config *cfg = ld->cfg;
    if (!cfg->curve_secret_file[0] && cfg->curve_clients_dir[0])
        return cfg_fail_row(ld, &ld->sections[CFG_G_PUBLISH],
                            CFG_PUBLISH_CURVE_CLIENTS,
                            "only with curve_secret_file");
    return true;
}

/* ------------------------------------------------------------------------
 * Normalising, and the whole check
 * ------------------------------------------------------------------------ */

/* qsort order of seed symbols: bytewise. */
static int cfg_sub_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Sorts the seed symbols and drops repeats: the store keeps a set. */
static void cfg_subs_finish(struct hamd_config *cfg)
{
    unsigned kept = 0;
    if (cfg->n_seed_subs == 0)
        return;
    qsort(cfg->seed_subs, cfg->n_seed_subs, sizeof *cfg->seed_subs,
          cfg_sub_cmp);
    for (unsigned i = 0; i < cfg->n_seed_subs; i++)
        if (kept == 0 || strcmp(cfg->seed_subs[kept - 1], cfg->seed_subs[i]))
            memmove(cfg->seed_subs[kept++], cfg->seed_subs[i],
                    sizeof *cfg->seed_subs);
    cfg->n_seed_subs = kept;
}

/* qsort order of peers: by id. */
static int cfg_peer_cmp(const void *a, const void *b)
{
    const struct hamd_peer *pa = a, *pb = b;
    return (pa->id > pb->id) - (pa->id < pb->id);
}

bool cfg_check(struct cfg_loader *ld)
{
    struct hamd_config *cfg = ld->cfg;
    if (!cfg_peers_check(ld) || !cfg_node_check(ld) || !cfg_raft_check(ld) ||
        !cfg_gateways_check(ld) || !cfg_accounts_check(ld) ||
        !cfg_holidays_load(ld) || !cfg_admin_check(ld) ||
        !cfg_publish_check(ld))
        return false;
    cfg_subs_finish(cfg);
    qsort(cfg->peers, cfg->n_peers, sizeof cfg->peers[0], cfg_peer_cmp);
    return true;
}
