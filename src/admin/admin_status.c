/* What a node says about itself: the probes (/livez, /healthz, /readyz),
 * /metrics in the Prometheus text format and GET /api/status. Read-only;
 * every value is this node's own view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_internal.h"
#include "common/clock.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A consistent picture of the node for one answer. */
struct node_view {
    struct hamd_dp_stats dp;                 /* data plane statistics */
    struct hamd_coverage_status cov;         /* coverage, relays, judge */
    size_t n_gw;                             /* gateways */
    struct hamd_admin_gw *gw;                /* sorted by account id */
    int64_t now_ns;                          /* monotonic time of the view */
};

/* ------------------------------------------------------------------------
 * Gathering
 * ------------------------------------------------------------------------ */

static int gw_cmp(const void *a, const void *b)
{
    return strcmp(((const struct hamd_admin_gw *)a)->account,
                  ((const struct hamd_admin_gw *)b)->account);
}

/* The data plane's statistics of account's source, or NULL. */
static const struct hamd_dp_source_stats *
dp_source(const struct hamd_dp_stats *dp, const char *account)
{
    for (unsigned i = 0; i < dp->n_sources && i < HAMD_ARB_MAX_SOURCES; i++)
        if (strcmp(dp->sources[i].account, account) == 0)
            return &dp->sources[i];
    return NULL;
}

/* Fills *v (the caller frees v->gw). Returns -1 when out of memory. */
static int node_view_get(const struct hamd_admin_deps *d, struct node_view *v)
{
    memset(v, 0, sizeof *v);
    v->now_ns = hamd_mono_ns();
    if (d->dp)
        hamd_dataplane_stats(d->dp, &v->dp);
    d->coverage(d->ud, &v->cov);
    size_t n = d->gateways(d->ud, NULL, 0);
    v->gw = calloc(n ? n : 1, sizeof *v->gw);
    if (!v->gw)
        return -1;
    v->n_gw = d->gateways(d->ud, v->gw, n);
    if (v->n_gw > n)
        v->n_gw = n;
    qsort(v->gw, v->n_gw, sizeof *v->gw, gw_cmp);
    return 0;
}

static enum hamd_cluster_role node_role(const struct hamd_admin_deps *d)
{
    return d->cluster ? hamd_cluster_role(d->cluster)
                      : HAMD_CLUSTER_UNAVAILABLE;
}

/* Age in ms of a monotonic time, or JSON null when it never happened. */
static json_t *age_ms(int64_t now_ns, int64_t then_ns)
{
    if (then_ns <= 0)
        return json_null();
    return json_integer((json_int_t)((now_ns - then_ns) / HAMD_NS_PER_MS));
}

/* ------------------------------------------------------------------------
 * Probes
 * ------------------------------------------------------------------------ */

static int livez(struct admin_call *call)
{
    /* Answering at all proves the control loop turns. */
    return admin_reply_json(call->req, 200,
                            json_pack("{s:s,s:i}", "status", "ok", "node",
                                      (int)call->deps->cfg->node_id));
}

static int healthz(struct admin_call *call)
{
    const struct hamd_admin_deps *d = call->deps;
    enum hamd_cluster_role role = node_role(d);
    const char *status = "ok";
    if (role == HAMD_CLUSTER_UNAVAILABLE)
        status = "raft not started";
    else if (hamd_cluster_store_failed(d->cluster))
        status = "store failed";
    return admin_reply_json(call->req, strcmp(status, "ok") == 0 ? 200 : 503,
                            json_pack("{s:s,s:s,s:i}", "status", status, "role",
                                      hamd_cluster_role_name(role), "node",
                                      (int)d->cfg->node_id));
}

static int readyz(struct admin_call *call)
{
    const struct hamd_admin_deps *d = call->deps;
    bool publishing = d->publishing(d->ud);
    return admin_reply_json(
        call->req, publishing ? 200 : 503,
        json_pack("{s:s,s:s,s:I,s:i}", "status",
                  publishing ? "publishing" : "not publishing", "role",
                  hamd_cluster_role_name(node_role(d)), "term",
                  (json_int_t)(d->cluster ? hamd_cluster_term(d->cluster) : 0),
                  "node", (int)d->cfg->node_id));
}

/* ------------------------------------------------------------------------
 * GET /api/status
 * ------------------------------------------------------------------------ */

#define HELD_TEXT_MAX 96 /* bytes of held's text around the detail */

/* Why hamd does not restart g, or null: the gateway said it cannot work
 * (STATUS error), and a restart would log in again with the same params. */
static json_t *held_json(const struct hamd_admin_gw *g)
{
    if (!g->held)
        return json_null();
    char why[HAMD_GW_DETAIL_MAX + HELD_TEXT_MAX];
    snprintf(why, sizeof why, "gateway error%s%s: not restarted until its "
             "params change or an operator restarts it",
             g->detail[0] ? ": " : "", g->detail);
    return json_string(why);
}

static json_t *gw_json(const struct node_view *v, const struct hamd_admin_gw *g)
{
    const struct hamd_dp_source_stats *s = dp_source(&v->dp, g->account);
    int64_t now_ns = v->now_ns;
    json_t *o = json_object();
    json_object_set_new(o, "account", json_string(g->account));
    json_object_set_new(o, "enabled", json_boolean(g->enabled));
    json_object_set_new(o, "running", json_boolean(g->running));
    json_object_set_new(o, "priority", json_integer(g->priority));
    json_object_set_new(o, "state", g->has_state
                                        ? json_string(hamd_health_state_name(g->state))
                                        : json_null());
    json_object_set_new(o, "state_age_ms", age_ms(now_ns, g->state_since_ns));
    json_object_set_new(o, "pid", json_integer(g->pid));
    json_object_set_new(o, "restarts", json_integer(g->restarts));
    json_object_set_new(o, "last_exit", json_string(g->last_exit));
    json_object_set_new(o, "last_tick_age_ms", age_ms(now_ns, s ? s->last_tick_ns : 0));
    json_object_set_new(o, "canary_age_ms", age_ms(now_ns, s ? s->canary_ns : 0));
    json_object_set_new(o, "hb_age_ms", age_ms(now_ns, s ? s->last_hb_ns : 0));
    json_object_set_new(o, "ticks", json_integer(s ? (json_int_t)s->ticks : 0));
    json_object_set_new(o, "malformed", json_integer(s ? (json_int_t)s->malformed : 0));
    json_object_set_new(o, "auth_failures",
                        json_integer(s ? (json_int_t)s->auth_failures : 0));
    json_object_set_new(o, "stale", json_integer(s ? (json_int_t)s->stale : 0));
    json_object_set_new(o, "published", json_integer(s ? (json_int_t)s->published : 0));
    json_object_set_new(o, "first", json_integer(s ? (json_int_t)s->first : 0));
    json_object_set_new(o, "lost_race", json_integer(s ? (json_int_t)s->lost_race : 0));
    json_object_set_new(o, "latency_ms", json_integer(s ? s->latency_ms : 0));
    json_object_set_new(o, "staleness_ms", json_integer(s ? s->staleness_ms : 0));
    json_object_set_new(o, "active_contracts", json_integer(g->active_contracts));
    json_object_set_new(o, "market_closed", json_boolean(g->market_closed));
    json_object_set_new(o, "status", g->has_status
                                         ? json_string(hamd_gw_state_name(g->status))
                                         : json_null());
    json_object_set_new(o, "detail", json_string(g->detail));
    json_object_set_new(o, "held", held_json(g));
    return o;
}

/* What is left of the lease in ns, or -1 when there is no finite one. */
static int64_t lease_left_ns(const struct hamd_admin_deps *d, int64_t now_ns)
{
    int64_t until = d->cluster ? hamd_cluster_lease_until_ns(d->cluster) : 0;
    if (until <= now_ns || until == INT64_MAX)
        return -1;
    return until - now_ns;
}

/* The lease deadline as epoch ms, or null when there is no finite one. */
static json_t *lease_until_ms(const struct hamd_admin_deps *d, int64_t now_ns)
{
    int64_t left = lease_left_ns(d, now_ns);
    if (left < 0)
        return json_null();
    return json_integer((json_int_t)((hamd_wall_ns() + left) / HAMD_NS_PER_MS));
}

/* The lease left in ms, or null: unlike lease_until_ms it needs no clock
 * of the reader's (a console on a laptop a second off the node's showed a
 * 250 ms lease as 0 ms, or as over a second). */
static json_t *lease_left_ms(const struct hamd_admin_deps *d, int64_t now_ns)
{
    int64_t left = lease_left_ns(d, now_ns);
    return left < 0 ? json_null() : json_integer((json_int_t)(left / HAMD_NS_PER_MS));
}

static int pinned_add(void *ud, const char *vt_symbol)
{
    json_array_append_new(ud, json_string(vt_symbol));
    return 0;
}

/* The contracts pinned by a manual failover, in byte order (the store's
 * order). Replicated, so every node answers the same. */
static json_t *pinned_json(const struct hamd_admin_deps *d)
{
    json_t *a = json_array();
    if (d->store)
        hamd_store_pins_foreach(d->store, pinned_add, a);
    return a;
}

/* What a node covers from its own sources, what is relayed, what the
 * leader's judge says, and each node's coverage as the publisher knows
 * it (docs/failover.md, "The data follows the healthy source"). */
static json_t *coverage_json(const struct hamd_coverage_status *c)
{
    json_t *nodes = json_array();
    for (unsigned i = 0; i < c->n_nodes && i < HAMD_COVERAGE_NODES_MAX; i++) {
        const struct hamd_coverage_node *n = &c->nodes[i];
        json_array_append_new(nodes, json_pack(
            "{s:i,s:b,s:I,s:o}", "node", (int)n->id, "known", n->known,
            "covered", (json_int_t)n->covered, "report_age_ms",
            n->report_age_ms >= 0 ? json_integer((json_int_t)n->report_age_ms)
                                  : json_null()));
    }
    return json_pack("{s:I,s:I,s:I,s:I,s:s,s:o,s:o}", "subscribed",
                     (json_int_t)c->subscribed, "covered",
                     (json_int_t)c->covered, "relayed", (json_int_t)c->relayed,
                     "source_transfers", (json_int_t)c->transfers, "judge",
                     c->judge ? c->judge : "", "beaten_by",
                     c->best ? json_integer(c->best) : json_null(), "nodes",
                     nodes);
}

/* How ticks are chosen: [failover] arbitration and its per-exchange
 * overrides (docs/failover.md, "Arbitration modes"). */
static json_t *arbitration_json(const struct hamd_config *cfg)
{
    json_t *ex = json_object();
    for (unsigned i = 0; i < cfg->n_arb_exchanges; i++)
        json_object_set_new(ex, cfg->arb_exchanges[i].exchange,
                            json_string(hamd_arb_mode_name(
                                cfg->arb_exchanges[i].mode)));
    return json_pack("{s:s,s:o}", "mode", hamd_arb_mode_name(cfg->arbitration),
                     "exchanges", ex);
}

/* The trading calendar as the monitor sees it now: every exchange of
 * [sessions], then the accounts' others. Returns how many of s are set. */
static size_t sessions_get(const struct hamd_admin_deps *d,
                           struct hamd_admin_session s[HAMD_ADMIN_SESSIONS_MAX])
{
    size_t n = d->sessions ? d->sessions(d->ud, s, HAMD_ADMIN_SESSIONS_MAX) : 0;
    return n < HAMD_ADMIN_SESSIONS_MAX ? n : HAMD_ADMIN_SESSIONS_MAX;
}

/* Per exchange: open, closed or unconfigured now (holidays considered),
 * and when a window opens next (ISO 8601 UTC, null when none within the
 * look-ahead; docs/operations.md, "Trading calendar"). */
static json_t *sessions_json(const struct hamd_admin_deps *d)
{
    json_t *a = json_array();
    struct hamd_admin_session s[HAMD_ADMIN_SESSIONS_MAX];
    size_t n = sessions_get(d, s);
    for (size_t i = 0; i < n; i++) {
        char iso[32];
        hamd_format_iso_ms(s[i].next_open_ns, iso, sizeof iso);
        json_array_append_new(
            a, json_pack("{s:s,s:s,s:o}", "exchange", s[i].exchange, "state",
                         hamd_sessions_state_name(s[i].state), "next_open",
                         s[i].next_open_ns ? json_string(iso) : json_null()));
    }
    return a;
}

static json_t *status_json(const struct hamd_admin_deps *d,
                           const struct node_view *v)
{
    const struct hamd_config *cfg = d->cfg;
    struct hamd_cluster *c = d->cluster;
    uint64_t leader = c ? hamd_cluster_leader_id(c) : 0;
    json_t *o = json_object();
    json_object_set_new(o, "node", json_integer(cfg->node_id));
    json_object_set_new(o, "version", json_string(HAMD_VERSION));
    json_object_set_new(o, "role", json_string(hamd_cluster_role_name(node_role(d))));
    json_object_set_new(o, "term", json_integer(c ? (json_int_t)hamd_cluster_term(c) : 0));
    json_object_set_new(o, "leader", leader ? json_integer((json_int_t)leader) : json_null());
    json_object_set_new(o, "publishing", json_boolean(d->publishing(d->ud)));
    json_object_set_new(o, "lease_until_ms", lease_until_ms(d, v->now_ns));
    json_object_set_new(o, "lease_left_ms", lease_left_ms(d, v->now_ns));
    json_object_set_new(o, "commit_index",
                        json_integer(c ? (json_int_t)hamd_cluster_commit_index(c) : 0));
    json_object_set_new(o, "applied_index",
                        json_integer(c ? (json_int_t)hamd_cluster_applied_index(c) : 0));
    json_object_set_new(o, "witness", json_boolean(d->witness));
    json_object_set_new(o, "paused", json_boolean(d->store && hamd_store_paused(d->store)));
    json_object_set_new(o, "pinned", pinned_json(d));
    json_object_set_new(o, "sessions", sessions_json(d));
    json_t *gws = json_array();
    for (size_t i = 0; i < v->n_gw; i++)
        json_array_append_new(gws, gw_json(v, &v->gw[i]));
    json_object_set_new(o, "gateways", gws);
    json_object_set_new(o, "contracts",
                        json_integer((json_int_t)d->contracts(d->ud)));
    json_object_set_new(o, "published", json_integer((json_int_t)v->dp.published));
    json_object_set_new(o, "follow_age_ms",
                        v->dp.follow_age_ms >= 0
                            ? json_integer((json_int_t)v->dp.follow_age_ms)
                            : json_null());
    json_object_set_new(o, "follow_reads",
                        v->dp.follow_age_ms < 0 ? json_null()
                        : json_string(v->dp.follow_ticks ? "ticks" : "watermarks"));
    json_object_set_new(o, "takeover_replayed",
                        json_integer((json_int_t)v->dp.takeover_replayed));
    json_object_set_new(o, "replay_lost",
                        json_integer((json_int_t)v->dp.replay_lost));
    json_object_set_new(o, "coverage", coverage_json(&v->cov));
    json_object_set_new(o, "arbitration", arbitration_json(cfg));
    json_object_set_new(o, "holidays", json_integer(cfg->n_holidays));
    json_object_set_new(o, "endpoints",
                        json_pack("{s:s,s:s,s:s}", "admin", hamd_config_admin(cfg),
                                  "publish", hamd_config_publish(cfg),
                                  "snapshot", hamd_config_snapshot(cfg)));
    return o;
}

json_t *admin_status_json(const struct hamd_admin *admin)
{
    struct node_view v;
    if (node_view_get(&admin->deps, &v) < 0) {
        free(v.gw);
        return NULL;
    }
    json_t *o = status_json(&admin->deps, &v);
    free(v.gw);
    /* Whether changes need the bearer token (never the token itself):
     * the console asks for it before the first change. */
    json_object_set_new(o, "token_required", json_boolean(admin->token_len > 0));
    return o;
}

static int api_status(struct admin_call *call)
{
    json_t *o = admin_status_json(call->admin);
    if (!o)
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    return admin_reply_json(call->req, 200, o);
}

/* ------------------------------------------------------------------------
 * GET /metrics
 * ------------------------------------------------------------------------ */

static void prom_head(FILE *f, const char *name, const char *type,
                      const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_u64(FILE *f, const char *name, const char *type,
                     const char *help, uint64_t value)
{
    prom_head(f, name, type, help);
    fprintf(f, "%s %llu\n", name, (unsigned long long)value);
}

/* The data follows the healthy source: coverage, relays, transfers. */
static void metrics_coverage(FILE *f, const struct node_view *v)
{
    prom_u64(f, "hamd_coverage_contracts", "gauge",
             "Subscribed contracts this node can serve from its own healthy "
             "sources.", v->cov.covered);
    prom_u64(f, "hamd_relayed_contracts", "gauge",
             "Publisher: contracts served by a follower's relayed source; "
             "follower: contracts it relays.", v->cov.relayed);
    prom_u64(f, "hamd_source_transfers_total", "counter",
             "Leadership handed to a node that covers more (started here).",
             v->cov.transfers);
    prom_head(f, "hamd_relay_ticks_total", "counter",
              "Relayed ticks: sent to the publisher (out), taken from "
              "followers (in).");
    fprintf(f, "hamd_relay_ticks_total{direction=\"out\"} %llu\n",
            (unsigned long long)v->dp.relay_ticks_out);
    fprintf(f, "hamd_relay_ticks_total{direction=\"in\"} %llu\n",
            (unsigned long long)v->dp.relay_ticks_in);
    prom_u64(f, "hamd_relay_dropped_total", "counter",
             "Relay messages dropped: malformed, foreign or of a source this "
             "node did not ask for.",
             v->dp.relay_bad + v->dp.relay_unsolicited);
    prom_u64(f, "hamd_relay_refused_total", "counter",
             "Relay connections refused: not from a cluster member.",
             v->dp.relay_refused);
    prom_u64(f, "hamd_curve_refused_total", "counter",
             "CURVE clients of PUB and snapshot refused: a key not allowed.",
             v->dp.clients_refused);
}

static void metrics_node(FILE *f, const struct hamd_admin_deps *d,
                         const struct node_view *v)
{
    struct hamd_cluster *c = d->cluster;
    enum hamd_cluster_role role = node_role(d);
    prom_u64(f, "hamd_up", "gauge", "1 while the node answers.", 1);
    prom_u64(f, "hamd_raft_term", "gauge", "Current Raft term.",
             c ? hamd_cluster_term(c) : 0);
    prom_head(f, "hamd_raft_role", "gauge", "1 for the node's current Raft role.");
    for (int r = HAMD_CLUSTER_UNAVAILABLE; r <= HAMD_CLUSTER_STANDALONE; r++)
        fprintf(f, "hamd_raft_role{role=\"%s\"} %d\n",
                hamd_cluster_role_name((enum hamd_cluster_role)r), r == (int)role);
    prom_u64(f, "hamd_publishing", "gauge",
             "1 while the node holds the lease and publishes.",
             d->publishing(d->ud));
    prom_u64(f, "hamd_commit_index", "gauge", "Raft commit index.",
             c ? hamd_cluster_commit_index(c) : 0);
    prom_u64(f, "hamd_applied_index", "gauge", "Raft index applied to the store.",
             c ? hamd_cluster_applied_index(c) : 0);
    prom_u64(f, "hamd_raft_sends_retried_total", "counter",
             "Raft messages sent once more after their write failed: a "
             "connection to a peer broke (it restarted, or its host came back).",
             c ? hamd_cluster_sends_retried(c) : 0);
    prom_u64(f, "hamd_ticks_published_total", "counter", "Ticks published.",
             v->dp.published);
    prom_u64(f, "hamd_pub_errors_total", "counter",
             "Ticks ZeroMQ refused to queue.", v->dp.pub_errors);
    prom_u64(f, "hamd_unknown_source_total", "counter",
             "Gateway messages from identities this node does not run.",
             v->dp.unknown_source);
    prom_u64(f, "hamd_snapshots_total", "counter", "Snapshot requests answered.",
             v->dp.snapshots);
    prom_u64(f, "hamd_replay_bytes", "gauge", "Memory held by replay rings.",
             v->dp.replay_bytes);
    prom_u64(f, "hamd_follow_messages_total", "counter",
             "Messages read from the publishing node's stream (followers).",
             v->dp.follow_msgs);
    prom_u64(f, "hamd_watermarks_sent_total", "counter",
             "Watermark messages sent to followers (the publisher).",
             v->dp.wm_sent);
    prom_u64(f, "hamd_takeover_replayed_total", "counter",
             "Held ticks the previous publisher had not sent, sent on taking "
             "over.", v->dp.takeover_replayed);
    prom_u64(f, "hamd_replay_lost_total", "counter",
             "Ticks replay rings let go before a replay could send them: "
             "each is a gap in seq for clients.", v->dp.replay_lost);
    prom_u64(f, "hamd_contracts", "gauge", "Subscribed contracts.",
             d->contracts(d->ud));
    metrics_coverage(f, v);
    prom_u64(f, "hamd_cache_entries", "gauge",
             "Contracts in the last-value cache.", v->dp.cached);
}

/* The per-gateway values /metrics exposes. */
enum gw_stat {
    GW_TICKS,     /* valid ticks received */
    GW_MALFORMED, /* messages dropped as malformed */
    GW_STALE,     /* valid ticks not newer than the last published */
    GW_FIRST,     /* ticks that went out first in first-arrival contracts */
    GW_LOST_RACE, /* copies dropped: another source's went out first */
    GW_LATENCY,   /* mean latency, last period */
    GW_STALENESS, /* worst lag behind the freshest source */
    GW_TICK_AGE,  /* age of the last tick, -1 when none */
    GW_RESTARTS,  /* relaunches of the process */
    GW_CLOSED,        /* 1 while all its exchanges are closed */
    GW_AUTH_FAILURES, /* messages dropped: not from the launched process */
    GW_HELD,          /* 1 while held: STATUS error, not restarted */
};

/* One per-gateway family of /metrics. */
struct gw_family {
    enum gw_stat stat; /* what it reads */
    const char *name;  /* metric name */
    const char *type;  /* "counter" or "gauge" */
    const char *help;  /* HELP text */
};

static const struct gw_family GW_FAMILIES[] = {
    {GW_TICKS, "hamd_source_ticks_total", "counter",
     "Valid ticks received from the source."},
    {GW_MALFORMED, "hamd_source_malformed_total", "counter",
     "Messages of the source dropped as malformed."},
    {GW_STALE, "hamd_source_stale_total", "counter",
     "Valid ticks not newer than the last published one."},
    {GW_FIRST, "hamd_source_first_total", "counter",
     "Ticks of the source published in first-arrival contracts: its copy "
     "arrived first."},
    {GW_LOST_RACE, "hamd_source_lost_race_total", "counter",
     "Copies of the source dropped in first-arrival contracts: another "
     "source's copy went out first (also in stale)."},
    {GW_LATENCY, "hamd_source_latency_ms", "gauge",
     "Mean exchange-to-receive latency, last period."},
    {GW_STALENESS, "hamd_source_staleness_ms", "gauge",
     "Worst lag behind the freshest source."},
    {GW_TICK_AGE, "hamd_source_last_tick_age_ms", "gauge",
     "Age of the source's last tick (-1: none yet)."},
    {GW_RESTARTS, "hamd_gateway_restarts_total", "counter",
     "Relaunches of the gateway process."},
    {GW_CLOSED, "hamd_gateway_market_closed", "gauge",
     "1 while every exchange the gateway serves is closed and none opens "
     "soon (trading calendar): a gateway down now is expected."},
    {GW_HELD, "hamd_gateway_held", "gauge",
     "1 while the gateway is held: its last STATUS is error (a refused "
     "login, bad params), so hamd does not restart it; an operator must "
     "fix the account or restart it."},
    {GW_AUTH_FAILURES, "hamd_gateway_auth_failures_total", "counter",
     "Messages with the account's identity dropped: not from the "
     "connection whose HELLO carried the launch token."},
};

/* The value of stat for gateway g at monotonic time now with src, the
 * data plane's statistics of its source: 0 (-1 for the tick age) while
 * the data plane does not know the source (src NULL). */
static long long gw_stat_value(const struct hamd_admin_gw *g,
                               const struct hamd_dp_source_stats *src,
                               enum gw_stat stat, int64_t now)
{
    if (stat == GW_RESTARTS)
        return g->restarts;
    if (stat == GW_CLOSED)
        return g->market_closed;
    if (stat == GW_HELD)
        return g->held;
    if (stat == GW_TICK_AGE)
        return src && src->last_tick_ns > 0
                   ? (long long)((now - src->last_tick_ns) / HAMD_NS_PER_MS)
                   : -1;
    if (!src)
        return 0;
    switch (stat) {
    case GW_TICKS: return (long long)src->ticks;
    case GW_MALFORMED: return (long long)src->malformed;
    case GW_STALE: return (long long)src->stale;
    case GW_FIRST: return (long long)src->first;
    case GW_LOST_RACE: return (long long)src->lost_race;
    case GW_LATENCY: return (long long)src->latency_ms;
    case GW_STALENESS: return (long long)src->staleness_ms;
    case GW_AUTH_FAILURES: return (long long)src->auth_failures;
    case GW_TICK_AGE:
    case GW_RESTARTS:
    case GW_CLOSED:
    case GW_HELD: break;
    }
    return 0;
}

static void metrics_gateways(FILE *f, const struct node_view *v)
{
    for (size_t k = 0; k < sizeof GW_FAMILIES / sizeof GW_FAMILIES[0]; k++) {
        const struct gw_family *fam = &GW_FAMILIES[k];
        prom_head(f, fam->name, fam->type, fam->help);
        for (size_t i = 0; i < v->n_gw; i++)
            fprintf(f, "%s{account=\"%s\"} %lld\n", fam->name,
                    v->gw[i].account,
                    gw_stat_value(&v->gw[i], dp_source(&v->dp, v->gw[i].account),
                                  fam->stat, v->now_ns));
    }
    prom_head(f, "hamd_gateway_state", "gauge",
              "1 for the gateway's current health state.");
    for (size_t i = 0; i < v->n_gw; i++)
        for (int s = 0; s < HAMD_HEALTH_N_STATES; s++)
            fprintf(f, "hamd_gateway_state{account=\"%s\",state=\"%s\"} %d\n",
                    v->gw[i].account,
                    hamd_health_state_name((enum hamd_health_state)s),
                    v->gw[i].has_state && (int)v->gw[i].state == s);
}

/* ------------------------------------------------------------------------
 * /metrics for the alert rules (deploy/monitoring/alert-rules.yml)
 * ------------------------------------------------------------------------ */

static void metrics_alerting(FILE *f, const struct hamd_admin_deps *d,
                             const struct node_view *v)
{
    unsigned today = 0, no_backup = 0;
    d->failover_figures(d->ud, &today, &no_backup);
    prom_head(f, "hamd_follow_age_ms", "gauge",
              "Since the last message of the publisher's stream (followers; "
              "-1: not following).");
    fprintf(f, "hamd_follow_age_ms %lld\n", (long long)v->dp.follow_age_ms);
    prom_u64(f, "hamd_failovers_today", "gauge",
             "Automatic failovers counted today against the daily cap.", today);
    prom_u64(f, "hamd_failover_daily_cap", "gauge",
             "[failover] daily_cap (0: no cap).", d->cfg->daily_cap);
    prom_u64(f, "hamd_contracts_no_healthy_backup", "gauge",
             "Contracts whose source failed with no healthy source to move "
             "to (publishing node).", no_backup);
    uint64_t hook_failures = 0;
    bool hook_failing = false;
    if (d->hook_figures)
        d->hook_figures(d->ud, &hook_failures, &hook_failing);
    prom_u64(f, "hamd_role_hook_failures_total", "counter",
             "on_leader/on_follower runs that failed (exit status, timeout, "
             "could not start).", hook_failures);
    prom_u64(f, "hamd_role_hook_failing", "gauge",
             "1 while the latest role change's hook failed and runs again: "
             "the VIP or DNS name may point nowhere.", hook_failing);
}

/* 1 per exchange while one of its sessions is open: alert rules can keep
 * quiet outside trading hours. */
static void metrics_sessions(FILE *f, const struct hamd_admin_deps *d)
{
    struct hamd_admin_session s[HAMD_ADMIN_SESSIONS_MAX];
    size_t n = sessions_get(d, s);
    prom_head(f, "hamd_session_open", "gauge",
              "1 while a trading session of the exchange is open ([sessions], "
              "holidays considered).");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "hamd_session_open{exchange=\"%s\"} %d\n", s[i].exchange,
                s[i].state == HAMD_SESSION_OPEN);
}

static int metrics(struct admin_call *call)
{
    struct node_view v;
    char *text = NULL;
    size_t len = 0;
    FILE *f = node_view_get(call->deps, &v) == 0 ? open_memstream(&text, &len)
                                                 : NULL;
    if (!f) {
        free(v.gw);
        return admin_reply_error(call->req, 500, NULL, "out of memory");
    }
    metrics_node(f, call->deps, &v);
    metrics_gateways(f, &v);
    metrics_alerting(f, call->deps, &v);
    metrics_sessions(f, call->deps);
    prom_u64(f, "hamd_admin_auth_failures_total", "counter",
             "Admin API changes refused for a missing or wrong bearer token.",
             call->admin->auth_failures);
    prom_u64(f, "hamd_admin_refused_total", "counter",
             "Admin API requests refused before they were parsed: malformed "
             "or too large heads, bodies over max_body_bytes, plain HTTP on "
             "a TLS port.", call->admin->refused);
    fclose(f);
    free(v.gw);
    admin_reply_raw(call->req, 200, PROM_CONTENT_TYPE, text, len);
    free(text);
    return 0;
}

const struct admin_route ADMIN_STATUS_ROUTES[] = {
    {"GET", "/livez", livez, false},
    {"GET", "/healthz", healthz, false},
    {"GET", "/readyz", readyz, false},
    {"GET", "/metrics", metrics, false},
    {"GET", "/api/status", api_status, false},
    {NULL, NULL, NULL, false},
};
