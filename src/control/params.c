/* Module parameters from the configuration: see params.h. */
#include "control/params.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"

/* Copies src into dst[0..cap). Returns 0, or -1 when it does not fit. */
static int copy_str(char *dst, size_t cap, const char *src)
{
    int n = snprintf(dst, cap, "%s", src);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

void hamd_params_health(struct hamd_health_params *p,
                        const struct hamd_config *cfg)
{
    hamd_health_params_default(p);
    if (!cfg)
        return;
    p->fail_threshold = cfg->fail_threshold;
    p->recover_threshold = cfg->recover_threshold;
    p->hb_timeout_ms = cfg->hb_timeout_ms;
    p->canary_timeout_ms = cfg->canary_timeout_ms;
    p->stale_ms = cfg->stale_ms;
    p->latency_ms = cfg->latency_ms;
    p->malformed_max = cfg->malformed_max;
    p->restart_after_ms = cfg->restart_after_ms;
    p->closed_restart_after_ms = (unsigned)(cfg->closed_restart_after_s *
                                            HAMD_NS_PER_S / HAMD_NS_PER_MS);
    p->backoff_min_ms = cfg->restart_backoff_min_ms;
    p->backoff_max_ms = cfg->restart_backoff_max_ms;
}

void hamd_params_monitor(struct hamd_monitor_opts *o,
                         const struct hamd_config *cfg)
{
    memset(o, 0, sizeof *o);
    hamd_params_health(&o->health, cfg);
    o->check_interval_ms = cfg->check_interval_ms;
    o->sessions = cfg->sessions;
    o->n_sessions = cfg->n_sessions;
    o->holidays = cfg->holidays;
    o->n_holidays = cfg->n_holidays;
}

void hamd_params_steer(struct hamd_steer_opts *o,
                       const struct hamd_config *cfg)
{
    memset(o, 0, sizeof *o);
    o->daily_cap = cfg->daily_cap;
    o->revert_after_s = cfg->revert_after_s;
    o->quarantine_s = cfg->quarantine_s;
}

int hamd_params_cover(struct hamd_cover_opts *o, const struct hamd_config *cfg)
{
    memset(o, 0, sizeof *o);
    const struct hamd_peer *self = hamd_config_self(cfg);
    o->node_id = cfg->node_id;
    o->witness = self && self->role == HAMD_ROLE_WITNESS;
    o->relay = self && self->relay[0];
    o->check_interval_ms = cfg->check_interval_ms;
    o->transfer = cfg->source_transfer_after_ms > 0;
    hamd_leadership_params_default(&o->leadership);
    o->leadership.transfer_after_ns =
        (int64_t)cfg->source_transfer_after_ms * HAMD_NS_PER_MS;
    o->leadership.cooldown_ns =
        (int64_t)cfg->source_transfer_cooldown_s * HAMD_NS_PER_S;
    for (unsigned i = 0; i < cfg->n_peers; i++) {
        const struct hamd_peer *p = &cfg->peers[i];
        if (p->id == cfg->node_id || o->n_peers == HAMD_COVER_PEERS_MAX)
            continue;
        struct hamd_cover_peer *q = &o->peers[o->n_peers++];
        q->id = p->id;
        q->witness = p->role == HAMD_ROLE_WITNESS;
        if (p->relay[0] &&
            hamd_peer_connect_endpoint(p, p->relay, q->relay,
                                       sizeof q->relay) < 0)
            return -1;
    }
    return 0;
}

/* The host of "HOST:PORT" or "tcp://HOST:PORT" when it is an IPv4
 * literal (what the relay's access check compares), into out. */
static bool ipv4_host(const char *addr, char *out, size_t cap)
{
    static const char tcp[] = "tcp://";
    if (strncmp(addr, tcp, strlen(tcp)) == 0)
        addr += strlen(tcp);
    const char *colon = strrchr(addr, ':');
    size_t len = colon ? (size_t)(colon - addr) : 0;
    struct in_addr in;
    if (len == 0 || len >= cap)
        return false;
    memcpy(out, addr, len);
    out[len] = '\0';
    return inet_pton(AF_INET, out, &in) == 1 && in.s_addr != INADDR_ANY;
}

/* Adds host to the dataplane's members unless it is there already. */
static void member_add(struct hamd_dataplane_opts *o, const char *addr)
{
    char host[HAMD_DP_HOST_MAX];
    if (!ipv4_host(addr, host, sizeof host))
        return;
    for (unsigned i = 0; i < o->n_members; i++)
        if (strcmp(o->members[i], host) == 0)
            return;
    if (o->n_members < HAMD_DP_MEMBERS_MAX)
        memcpy(o->members[o->n_members++], host, sizeof host);
}

int hamd_params_cluster(struct hamd_cluster_opts *o,
                        const struct hamd_config *cfg)
{
    memset(o, 0, sizeof *o);
    if (cfg->n_peers > HAMD_CLUSTER_PEERS_MAX ||
        copy_str(o->data_dir, sizeof o->data_dir, cfg->data_dir) < 0)
        return -1;
    o->node_id = cfg->node_id;
    o->n_peers = cfg->n_peers;
    for (unsigned i = 0; i < cfg->n_peers; i++) {
        const struct hamd_peer *p = &cfg->peers[i];
        o->peers[i].id = p->id;
        o->peers[i].witness = p->role == HAMD_ROLE_WITNESS;
        o->peers[i].join = p->join;
        if (copy_str(o->peers[i].raft, sizeof o->peers[i].raft, p->raft) < 0)
            return -1;
    }
    o->election_timeout_ms = cfg->election_timeout_ms;
    o->witness_election_timeout_ms = cfg->witness_election_timeout_ms;
    o->heartbeat_ms = cfg->heartbeat_ms;
    o->lease_margin_ms = cfg->lease_margin_ms;
    o->snapshot_threshold = cfg->snapshot_threshold;
    o->snapshot_trailing = cfg->snapshot_trailing;
    o->event_history = cfg->event_history;
    o->n_seed_accounts = cfg->n_seed_accounts;
    o->seed_accounts = cfg->seed_accounts;
    o->n_seed_subs = cfg->n_seed_subs;
    o->seed_subs = (const char (*)[HAMD_VT_SYMBOL_MAX])cfg->seed_subs;
    return 0;
}

int hamd_params_dataplane(struct hamd_dataplane_opts *o,
                          const struct hamd_config *cfg)
{
    memset(o, 0, sizeof *o);
    o->node_id = cfg->node_id;
    if (copy_str(o->gw_endpoint, sizeof o->gw_endpoint, cfg->gw_endpoint) < 0 ||
        copy_str(o->publish, sizeof o->publish, hamd_config_publish(cfg)) < 0 ||
        copy_str(o->snapshot, sizeof o->snapshot, hamd_config_snapshot(cfg)) < 0)
        return -1;
    o->pub_hwm = cfg->pub_hwm;
    if (copy_str(o->curve_secret_file, sizeof o->curve_secret_file,
                 cfg->curve_secret_file) < 0 ||
        copy_str(o->curve_clients_dir, sizeof o->curve_clients_dir,
                 cfg->curve_clients_dir) < 0)
        return -1;
    o->heartbeat_ms = cfg->heartbeat_interval_ms;
    /* Twice per health check, so every check sees fresh counters. */
    o->stats_interval_ms = cfg->check_interval_ms / 2;
    if (o->stats_interval_ms > HAMD_PARAMS_STATS_INTERVAL_MAX_MS)
        o->stats_interval_ms = HAMD_PARAMS_STATS_INTERVAL_MAX_MS;
    if (o->stats_interval_ms < HAMD_PARAMS_STATS_INTERVAL_MIN_MS)
        o->stats_interval_ms = HAMD_PARAMS_STATS_INTERVAL_MIN_MS;
    o->limits.window_ns = (int64_t)cfg->replay_window_ms * HAMD_NS_PER_MS;
    o->limits.depth = cfg->replay_depth;
    o->arbitration = cfg->arbitration;
    o->n_arb_exchanges = cfg->n_arb_exchanges;
    memcpy(o->arb_exchanges, cfg->arb_exchanges, sizeof o->arb_exchanges);
    const struct hamd_peer *self = hamd_config_self(cfg);
    if (self && copy_str(o->relay, sizeof o->relay, self->relay) < 0)
        return -1;
    for (unsigned i = 0; i < cfg->n_peers; i++) {
        const struct hamd_peer *p = &cfg->peers[i];
        const char *addrs[] = {p->raft, p->admin, p->publish, p->relay};
        for (size_t k = 0; k < sizeof addrs / sizeof addrs[0]; k++)
            member_add(o, addrs[k]);
    }
    return 0;
}
