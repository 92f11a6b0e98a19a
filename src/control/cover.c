/* The coverage shell: see cover.h; the decisions are in core/coverage.c.
 *
 * Cost: the replicated accounts and subscriptions are read again only
 * after a command changed them, the subscriptions counted by exchange and
 * not kept (the store and the node's contract map hold them already); a
 * node's coverage is one pass over those few exchanges (core/coverage.c),
 * computed for this node on every judge step and for a follower when its
 * report is new. Reports are a few hundred bytes a second per follower. */
#include "control/cover.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/relay_proto.h"

#define COVER_EXCHANGES_INITIAL 16 /* distinct exchanges expected (China's
                                      futures markets are 6); grows */

/* One node's coverage and the arrays it points into. */
struct cover_view {
    struct hamd_coverage cov;   /* best and source point into the arrays */
    int64_t report_rx_ns;       /* the report it was computed from, 0 = none */
    bool fresh;                 /* computed from a report younger than
                                   HAMD_COVERAGE_REPORT_MAX_AGE_MS */
    enum hamd_health_state states[HAMD_FAILOVER_MAX_ACCOUNTS]; /* by account */
    int64_t healthy_ms[HAMD_FAILOVER_MAX_ACCOUNTS]; /* by account */
};

struct hamd_cover {
    struct hamd_cover_opts opts;  /* parameters */
    struct hamd_cover_deps deps;  /* what it reads and acts through */
    uv_timer_t timer;             /* judge, reports, relay requests */
    bool timer_started;           /* timer initialised: close it */

    /* The replicated inputs, read again after a change. */
    bool inputs_stale;            /* a command changed them */
    size_t n_accounts;            /* entries in accounts */
    struct hamd_account *accounts;/* HAMD_FAILOVER_MAX_ACCOUNTS, store order */
    bool *stopped;                /* per account: operator-stopped */
    size_t n_subs;                /* subscribed contracts */
    size_t n_exch;                /* entries in exch */
    size_t exch_cap;              /* entries allocated in exch */
    struct hamd_coverage_exchange *exch; /* the subscriptions by exchange */
    int *buf;                     /* best and source of every view */

    struct cover_view self_view;  /* this node */
    struct cover_view peer_view[HAMD_COVER_PEERS_MAX]; /* opts.peers order */

    /* Follower: reports. */
    uint64_t leader_id;           /* known leader, 0 = unknown */
    int64_t next_report_ns;       /* monotonic */
    uint8_t last_states[HAMD_RELAY_COVER_ACCOUNTS_MAX]; /* last reported */
    size_t last_n;                /* accounts in the last report, or
                                     SIZE_MAX to force one */

    /* Publisher: the judge and the relay requests. */
    struct hamd_leadership judge; /* core/coverage.c's memory */
    struct hamd_leadership_decision last; /* the last step's outcome */
    bool judging;                 /* the last step ran */
    bool transfer_pending;        /* a source-driven transfer runs */
    uint64_t transfers;           /* source-driven transfers started */
    int64_t next_relay_ns;        /* next RELAY round, monotonic */
    size_t relayed;               /* contracts on relayed sources */
};

/* ------------------------------------------------------------------------
 * The replicated inputs
 * ------------------------------------------------------------------------ */

static int collect_account(void *ud, const struct hamd_account *a)
{
    struct hamd_cover *cv = ud;
    if (cv->n_accounts < HAMD_FAILOVER_MAX_ACCOUNTS) {
        cv->stopped[cv->n_accounts] =
            !hamd_store_account_running(cv->deps.store, a->id);
        cv->accounts[cv->n_accounts++] = *a;
    }
    return 0;
}

static int collect_sub(void *ud, const char *vt_symbol)
{
    struct hamd_cover *cv = ud;
    while (!hamd_coverage_exchange_add(cv->exch, &cv->n_exch, cv->exch_cap,
                                       vt_symbol)) {
        size_t cap = cv->exch_cap ? cv->exch_cap * 2 : COVER_EXCHANGES_INITIAL;
        void *e = realloc(cv->exch, cap * sizeof *cv->exch);
        if (!e)
            return -1;
        cv->exch = e;
        cv->exch_cap = cap;
    }
    cv->n_subs++;
    return 0;
}

/* Points every view's arrays into one allocation of n_exch each. */
static bool views_attach(struct hamd_cover *cv)
{
    size_t views = 1 + cv->opts.n_peers, n = cv->n_exch ? cv->n_exch : 1;
    free(cv->buf);
    cv->buf = malloc(views * 2 * n * sizeof *cv->buf);
    if (!cv->buf)
        return false;
    for (size_t v = 0; v < views; v++) {
        struct cover_view *view = v ? &cv->peer_view[v - 1] : &cv->self_view;
        view->cov.best = cv->buf + 2 * n * v;
        view->cov.source = view->cov.best + n;
        view->cov.n_exchanges = 0;
        view->cov.covered = 0;
        view->report_rx_ns = 0; /* compute again */
    }
    return true;
}

/* Reads accounts and subscriptions again if a command changed them. */
static bool inputs_refresh(struct hamd_cover *cv)
{
    if (!cv->inputs_stale)
        return true;
    cv->n_accounts = 0;
    cv->n_subs = 0;
    cv->n_exch = 0;
    if (hamd_store_accounts_foreach(cv->deps.store, collect_account, cv) < 0 ||
        hamd_store_subs_foreach(cv->deps.store, collect_sub, cv) < 0 ||
        !views_attach(cv)) {
        LOG_ERROR("coverage: cannot read accounts and subscriptions");
        return false;
    }
    cv->inputs_stale = false;
    cv->last_n = SIZE_MAX; /* report at once */
    return true;
}

/* ------------------------------------------------------------------------
 * Coverages
 * ------------------------------------------------------------------------ */

static void view_compute(struct hamd_cover *cv, struct cover_view *v, bool known)
{
    hamd_coverage_compute(cv->accounts, known ? v->states : NULL, cv->stopped,
                          cv->n_accounts, cv->exch, cv->n_exch, &v->cov);
}

/* This node's own gateways, as its monitor sees them. */
static void self_compute(struct hamd_cover *cv, int64_t now_ns)
{
    struct cover_view *v = &cv->self_view;
    for (size_t a = 0; a < cv->n_accounts; a++) {
        struct hamd_monitor_view mv;
        bool known = hamd_monitor_gateway(cv->deps.monitor, cv->accounts[a].id,
                                          &mv);
        v->states[a] = known ? mv.state : HAMD_HEALTH_STOPPED;
        v->healthy_ms[a] = known && mv.state == HAMD_HEALTH_HEALTHY
                               ? (now_ns - mv.state_since_ns) / HAMD_NS_PER_MS
                               : 0;
    }
    view_compute(cv, v, !cv->opts.witness);
}

/* Index of account id in cv->accounts, -1 when not replicated (yet). */
static int account_index(const struct hamd_cover *cv, const char *id)
{
    for (size_t a = 0; a < cv->n_accounts; a++)
        if (strcmp(cv->accounts[a].id, id) == 0)
            return (int)a;
    return -1;
}

/* A peer's states from its report; accounts it did not name count as
 * disconnected. */
static void peer_states(struct hamd_cover *cv, struct cover_view *v,
                        const struct hamd_relay_cover *r)
{
    for (size_t a = 0; a < cv->n_accounts; a++) {
        v->states[a] = HAMD_HEALTH_DISCONNECTED;
        v->healthy_ms[a] = 0;
    }
    for (unsigned i = 0; i < r->n_accounts; i++) {
        int a = account_index(cv, r->accounts[i].id);
        if (a < 0)
            continue;
        v->states[a] = (enum hamd_health_state)r->accounts[i].state;
        v->healthy_ms[a] = r->accounts[i].healthy_ms;
    }
}

/* The peers' views from the data plane's latest reports; a report is
 * read again only when it is new. */
static void peers_compute(struct hamd_cover *cv, int64_t now_ns)
{
    struct hamd_dp_cover reports[HAMD_DP_COVERS_MAX];
    unsigned n = hamd_dataplane_covers(cv->deps.dp, reports, HAMD_DP_COVERS_MAX);
    int64_t max_age_ns = cv->opts.leadership.report_max_age_ns;
    for (unsigned p = 0; p < cv->opts.n_peers; p++) {
        struct cover_view *v = &cv->peer_view[p];
        const struct hamd_dp_cover *r = NULL;
        for (unsigned i = 0; i < n && !r; i++)
            if (reports[i].cover.node == cv->opts.peers[p].id)
                r = &reports[i];
        v->fresh = r && !cv->opts.peers[p].witness &&
                   now_ns - r->rx_ns <= max_age_ns;
        if (!r || r->rx_ns == v->report_rx_ns)
            continue;
        v->report_rx_ns = r->rx_ns;
        peer_states(cv, v, &r->cover);
        view_compute(cv, v, true);
    }
}

/* ------------------------------------------------------------------------
 * Follower: reports
 * ------------------------------------------------------------------------ */

/* The COVER of this node's gateways. Returns false when nothing changed
 * since the last report and it is not due. */
static bool report_build(struct hamd_cover *cv, int64_t now_ns,
                         struct hamd_relay_cover *r)
{
    const struct cover_view *v = &cv->self_view;
    size_t n = cv->n_accounts < HAMD_RELAY_COVER_ACCOUNTS_MAX
                   ? cv->n_accounts
                   : HAMD_RELAY_COVER_ACCOUNTS_MAX;
    bool changed = n != cv->last_n;
    r->node = cv->opts.node_id;
    r->n_accounts = (unsigned)n;
    for (size_t a = 0; a < n; a++) {
        snprintf(r->accounts[a].id, sizeof r->accounts[a].id, "%s",
                 cv->accounts[a].id);
        r->accounts[a].state = (uint8_t)v->states[a];
        r->accounts[a].healthy_ms = v->healthy_ms[a];
        if (cv->last_states[a] != r->accounts[a].state)
            changed = true;
        cv->last_states[a] = r->accounts[a].state;
    }
    cv->last_n = n;
    return changed || now_ns >= cv->next_report_ns;
}

static void report_due(struct hamd_cover *cv, int64_t now_ns)
{
    if (cv->leader_id == 0 || cv->leader_id == cv->opts.node_id)
        return;
    struct hamd_relay_cover r;
    if (!report_build(cv, now_ns, &r))
        return;
    uint8_t body[HAMD_RELAY_COVER_BODY_MAX];
    size_t len = hamd_relay_cover_encode(&r, body, sizeof body);
    if (len == 0)
        return;
    hamd_dataplane_cover_send(cv->deps.dp, body, len);
    cv->next_report_ns = now_ns + HAMD_COVER_REPORT_INTERVAL_MS * HAMD_NS_PER_MS;
}

/* ------------------------------------------------------------------------
 * Publisher: leadership follows the data
 * ------------------------------------------------------------------------ */

static const struct hamd_cover_peer *peer_of(const struct hamd_cover *cv,
                                             unsigned id)
{
    for (unsigned p = 0; p < cv->opts.n_peers; p++)
        if (cv->opts.peers[p].id == id)
            return &cv->opts.peers[p];
    return NULL;
}

static json_t *coverage_json(const struct hamd_cover *cv,
                             const struct hamd_coverage *c, unsigned node)
{
    return json_pack("{s:i,s:I,s:I,s:I}", "node", node, "covered",
                     (json_int_t)c->covered, "subscribed",
                     (json_int_t)cv->n_subs, "priority_sum",
                     (json_int_t)c->priority_sum);
}

static void transferred_cb(void *ud, int status, uint64_t leader_id)
{
    struct hamd_cover *cv = ud;
    cv->transfer_pending = false;
    if (status < 0)
        LOG_WARN("leadership did not move to the better-covered node: %s "
                 "(will try again)", raft_strerror(-status));
    else
        LOG_INFO("leadership moved to node %llu, which covers more",
                 (unsigned long long)leader_id);
}

/* What a transfer waits for: SOURCE_MOVED committed, then the move. */
struct cover_move {
    struct hamd_cover *cv;   /* the shell */
    unsigned to;             /* the node to hand over to */
};

static void source_moved_cb(void *ud, int status,
                            const struct hamd_apply_result *res)
{
    struct cover_move *m = ud;
    struct hamd_cover *cv = m->cv;
    unsigned to = m->to;
    free(m);
    int rc = status;
    if (rc == 0 && res && res->status != HAMD_APPLY_OK)
        rc = -RAFT_INVALID;
    if (rc == 0)
        rc = hamd_cluster_transfer(cv->deps.cluster, to, transferred_cb, cv);
    if (rc < 0) {
        cv->transfer_pending = false;
        LOG_WARN("cannot hand leadership to node %u: %s", to,
                 raft_strerror(-rc));
    }
}

/* Raises leadership_moved, commits the time of the move (the cooldown of
 * the next leader), then transfers. */
static void transfer_start(struct hamd_cover *cv,
                           const struct hamd_leadership_decision *d)
{
    const struct cover_view *to = NULL;
    for (unsigned p = 0; p < cv->opts.n_peers && !to; p++)
        if (cv->opts.peers[p].id == d->transfer_to)
            to = &cv->peer_view[p];
    json_t *ev = hamd_events_json_new("leadership_moved");
    json_object_set_new(ev, "from_node", json_integer(cv->opts.node_id));
    json_object_set_new(ev, "to_node", json_integer(d->transfer_to));
    json_object_set_new(ev, "reason",
                        json_string(hamd_coverage_verdict_name(d->verdict)));
    json_object_set_new(ev, "metadata", json_pack(
        "{s:o,s:o}", "leader", coverage_json(cv, &cv->self_view.cov,
                                             cv->opts.node_id),
        "follower", coverage_json(cv, &to->cov, d->transfer_to)));
    LOG_WARN("node %u covers %zu of %zu contracts, this leader %zu: handing "
             "leadership over (%s)", d->transfer_to, to->cov.covered,
             cv->n_subs, cv->self_view.cov.covered,
             hamd_coverage_verdict_name(d->verdict));
    hamd_events_raise(cv->deps.events, ev);
    struct cover_move *m = malloc(sizeof *m);
    struct hamd_cmd cmd;
    hamd_cmd_init(&cmd, HAMD_CMD_SOURCE_MOVED);
    cmd.until_ms = hamd_wall_ns() / HAMD_NS_PER_MS;
    int rc = m ? hamd_cluster_submit(cv->deps.cluster, &cmd, source_moved_cb, m)
               : -RAFT_NOMEM;
    hamd_cmd_free(&cmd);
    if (rc < 0) {
        free(m);
        LOG_WARN("cannot commit the leadership move: %s", raft_strerror(-rc));
        return;
    }
    m->cv = cv;
    m->to = d->transfer_to;
    cv->transfer_pending = true;
    cv->transfers++;
}

/* Logs a change of the judge's verdict, once. */
static void judge_log(const struct hamd_cover *cv,
                      const struct hamd_leadership_decision *d)
{
    if (d->hold == cv->last.hold && d->best == cv->last.best)
        return;
    if (d->hold == HAMD_LEADERSHIP_WAITING && d->best)
        LOG_INFO("node %u covers more than this leader (%s): handing over "
                 "if it lasts %lld ms", d->best,
                 hamd_coverage_verdict_name(d->verdict),
                 (long long)(cv->opts.leadership.transfer_after_ns /
                             HAMD_NS_PER_MS));
    else if (d->hold == HAMD_LEADERSHIP_PAUSED ||
             d->hold == HAMD_LEADERSHIP_COOLDOWN)
        LOG_WARN("node %u covers more than this leader, but leadership "
                 "stays: %s", d->best, hamd_leadership_hold_name(d->hold));
    else if (d->hold == HAMD_LEADERSHIP_NOBODY && cv->last.best)
        LOG_INFO("no follower covers more than this leader any more");
}

static void judge_step(struct hamd_cover *cv, int64_t now_ns)
{
    struct hamd_leadership_peer peers[HAMD_COVER_PEERS_MAX];
    size_t n = 0;
    for (unsigned p = 0; p < cv->opts.n_peers; p++) {
        const struct cover_view *v = &cv->peer_view[p];
        peers[n++] = (struct hamd_leadership_peer){
            .id = cv->opts.peers[p].id, .witness = cv->opts.peers[p].witness,
            .report_ns = v->report_rx_ns, .cov = v->report_rx_ns ? &v->cov : NULL,
        };
    }
    int64_t moved_ns = hamd_store_source_moved_ms(cv->deps.store) * HAMD_NS_PER_MS;
    struct hamd_leadership_decision d = hamd_leadership_step(
        &cv->judge, &cv->opts.leadership, &cv->self_view.cov, peers, n,
        hamd_store_paused(cv->deps.store), moved_ns, now_ns, hamd_wall_ns());
    judge_log(cv, &d);
    cv->last = d;
    cv->judging = true;
    if (d.hold == HAMD_LEADERSHIP_GO)
        transfer_start(cv, &d);
}

/* ------------------------------------------------------------------------
 * Publisher: relay requests
 * ------------------------------------------------------------------------ */

/* The contracts assigned to one follower's relayed sources. */
struct relay_round {
    unsigned node;            /* the follower */
    msgpack_packer pk;        /* packs the pairs */
    size_t pairs;             /* pairs packed */
};

static int relay_pair(void *ud, const char *vt_symbol, const char *source)
{
    struct relay_round *r = ud;
    char account[HAMD_ACCOUNT_ID_MAX];
    unsigned node;
    if (hamd_source_id_parse(source, account, &node) && node == r->node &&
        hamd_relay_set_pack_pair(&r->pk, vt_symbol, account) == 0)
        r->pairs++;
    return 0;
}

/* Sends one follower its whole set, or (nothing) an empty one: relay
 * nothing. Returns how many contracts it relays. */
static size_t relay_send(struct hamd_cover *cv, unsigned node, bool nothing)
{
    struct relay_round r = {.node = node};
    /* The pairs first: the count heads the body but is known only after
     * the walk. */
    msgpack_sbuffer pairs, body;
    msgpack_sbuffer_init(&pairs);
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&r.pk, &pairs, msgpack_sbuffer_write);
    if (!nothing)
        hamd_store_assign_foreach(cv->deps.store, relay_pair, &r);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    if (hamd_relay_set_pack_begin(&pk, r.pairs) == 0 &&
        msgpack_sbuffer_write(&body, pairs.data, pairs.size) == 0)
        hamd_dataplane_relay_set(cv->deps.dp, node, body.data, body.size);
    msgpack_sbuffer_destroy(&body);
    msgpack_sbuffer_destroy(&pairs);
    return r.pairs;
}

/* Tells every follower to relay nothing, at once: this node stopped
 * publishing (its lease lapsed, or its leadership ended). What a follower
 * relays meanwhile is dropped here, as this node unregistered its
 * relayed sources (reconcile.c); and the full set sent once this node
 * publishes again then starts each contract anew, so the follower first
 * sends the kept ticks this node has not published (dp_relay.c,
 * relay_switch). Without it, after a lapse shorter than the one-second
 * round, the follower went on where it was and the ticks relayed during
 * the lapse were a hole in the stream (test_data_follows). */
/* Sends every follower its set, or (nothing) an empty one. */
static void relay_send_all(struct hamd_cover *cv, bool nothing)
{
    cv->relayed = 0;
    for (unsigned p = 0; p < cv->opts.n_peers; p++)
        if (!cv->opts.peers[p].witness)
            cv->relayed += relay_send(cv, cv->opts.peers[p].id, nothing);
}

static void relay_stop_all(struct hamd_cover *cv)
{
    relay_send_all(cv, true);
}

/* Sends every follower its set, at once or when the round is due. */
static void relay_due(struct hamd_cover *cv, int64_t now_ns, bool now)
{
    if (!now && now_ns < cv->next_relay_ns)
        return;
    cv->next_relay_ns = now_ns + HAMD_COVER_REPORT_INTERVAL_MS * HAMD_NS_PER_MS;
    relay_send_all(cv, false);
}

/* ------------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------------ */

static bool publishing(const struct hamd_cover *cv)
{
    return cv->deps.publishing(cv->deps.ud);
}

static void cover_tick(struct hamd_cover *cv, bool relay_now)
{
    if (cv->opts.witness || !inputs_refresh(cv))
        return;
    int64_t now_ns = hamd_mono_ns();
    self_compute(cv, now_ns);
    if (!publishing(cv)) {
        cv->judging = false;
        report_due(cv, now_ns);
        return;
    }
    if (!cv->opts.relay)
        return; /* no reports reach a node without a relay endpoint */
    peers_compute(cv, now_ns);
    if (cv->opts.transfer && !cv->transfer_pending)
        judge_step(cv, now_ns);
    relay_due(cv, now_ns, relay_now);
}

static void timer_cb(uv_timer_t *t)
{
    cover_tick(t->data, false);
}

struct hamd_cover *hamd_cover_new(const struct hamd_cover_opts *opts,
                                  const struct hamd_cover_deps *deps)
{
    struct hamd_cover *cv = calloc(1, sizeof *cv);
    if (!cv)
        return NULL;
    cv->opts = *opts;
    if (cv->opts.n_peers > HAMD_COVER_PEERS_MAX)
        cv->opts.n_peers = HAMD_COVER_PEERS_MAX;
    cv->deps = *deps;
    cv->inputs_stale = true;
    cv->last_n = SIZE_MAX;
    cv->accounts = calloc(HAMD_FAILOVER_MAX_ACCOUNTS, sizeof *cv->accounts);
    cv->stopped = calloc(HAMD_FAILOVER_MAX_ACCOUNTS, sizeof *cv->stopped);
    if (!cv->accounts || !cv->stopped) {
        hamd_cover_destroy(&cv);
        return NULL;
    }
    uv_timer_init(deps->loop, &cv->timer);
    cv->timer.data = cv;
    cv->timer_started = true;
    uv_timer_start(&cv->timer, timer_cb, opts->check_interval_ms,
                   opts->check_interval_ms);
    return cv;
}

void hamd_cover_stop(struct hamd_cover *self)
{
    if (self && self->timer_started)
        uv_timer_stop(&self->timer);
}

static void timer_closed_cb(uv_handle_t *h)
{
    struct hamd_cover *cv = h->data;
    free(cv->accounts);
    free(cv->stopped);
    free(cv->exch);
    free(cv->buf);
    free(cv);
}

void hamd_cover_destroy(struct hamd_cover **self)
{
    struct hamd_cover *cv = *self;
    if (!cv)
        return;
    *self = NULL;
    if (cv->timer_started) {
        uv_close((uv_handle_t *)&cv->timer, timer_closed_cb);
        return;
    }
    cv->timer.data = cv;
    timer_closed_cb((uv_handle_t *)&cv->timer);
}

/* ------------------------------------------------------------------------
 * Inputs from the node
 * ------------------------------------------------------------------------ */

void hamd_cover_on_role(struct hamd_cover *self, uint64_t leader_id)
{
    if (self->opts.witness || leader_id == self->leader_id)
        return;
    self->leader_id = leader_id;
    const struct hamd_cover_peer *p = peer_of(self, (unsigned)leader_id);
    /* The leader's relay endpoint; none for itself or an unknown leader. */
    hamd_dataplane_relay_target(self->deps.dp, p ? p->relay : "");
    self->last_n = SIZE_MAX; /* report to the new leader at once */
}

void hamd_cover_on_lease(struct hamd_cover *self, bool publishing)
{
    memset(&self->judge, 0, sizeof self->judge);
    memset(&self->last, 0, sizeof self->last);
    self->judging = false;
    if (publishing)
        cover_tick(self, true);
    else if (self->opts.relay && !self->opts.witness)
        relay_stop_all(self);
}

void hamd_cover_on_change(struct hamd_cover *self, enum hamd_cmd_type type)
{
    switch (type) {
    case HAMD_CMD_SEED:
    case HAMD_CMD_ACCOUNT_PUT:
    case HAMD_CMD_ACCOUNT_DEL:
    case HAMD_CMD_ACCOUNT_RUN:
    case HAMD_CMD_SUBS_ADD:
    case HAMD_CMD_SUBS_DEL:
        self->inputs_stale = true;
        break;
    case HAMD_CMD_ASSIGN:
        break;
    default:
        if (type != HAMD_FSM_CHANGE_ALL)
            return;
        self->inputs_stale = true;
    }
    if (publishing(self))
        cover_tick(self, true); /* the relay requests follow the routing */
}

void hamd_cover_on_health(struct hamd_cover *self)
{
    if (!publishing(self))
        cover_tick(self, false); /* a changed state reports at once */
}

/* ------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------ */

/* Appends account a as relayed from peer p. */
static void relay_source(const struct hamd_cover *cv, unsigned p, size_t a,
                         struct hamd_account *acc,
                         struct hamd_failover_source *src, int64_t now_wall_ns)
{
    const struct cover_view *v = &cv->peer_view[p];
    *acc = cv->accounts[a];
    hamd_source_id_format(acc->id, sizeof acc->id, cv->accounts[a].id,
                          cv->opts.peers[p].id);
    acc->priority += HAMD_COVER_RELAY_PRIORITY;
    memset(src, 0, sizeof *src);
    src->stopped = cv->stopped[a];
    src->quarantine_until_ns =
        hamd_store_quarantine_until(cv->deps.store, acc->id) * HAMD_NS_PER_MS;
    if (v->fresh && v->report_rx_ns) {
        src->state = v->states[a];
        src->healthy_since_ns = now_wall_ns - v->healthy_ms[a] * HAMD_NS_PER_MS;
        src->trigger = src->state == HAMD_HEALTH_HEALTHY
                           ? HAMD_TRIG_NONE : HAMD_TRIG_DISCONNECTED;
    } else {
        src->state = HAMD_HEALTH_DISCONNECTED;
        src->trigger = HAMD_TRIG_HB_TIMEOUT; /* no report: the node is gone */
    }
}

size_t hamd_cover_relay_sources(struct hamd_cover *self,
                                struct hamd_account *accounts,
                                struct hamd_failover_source *sources,
                                size_t n, size_t cap, int64_t now_mono_ns,
                                int64_t now_wall_ns)
{
    if (self->opts.witness || !self->opts.relay || !publishing(self) ||
        !inputs_refresh(self))
        return n;
    peers_compute(self, now_mono_ns);
    for (unsigned p = 0; p < self->opts.n_peers; p++) {
        if (self->opts.peers[p].witness || !self->opts.peers[p].relay[0])
            continue;
        for (size_t a = 0; a < self->n_accounts && n < cap; a++, n++)
            relay_source(self, p, a, &accounts[n], &sources[n], now_wall_ns);
    }
    return n;
}

void hamd_cover_status(struct hamd_cover *self, struct hamd_coverage_status *out)
{
    memset(out, 0, sizeof *out);
    out->judge = "";
    if (self->opts.witness || !inputs_refresh(self))
        return;
    int64_t now_ns = hamd_mono_ns();
    self_compute(self, now_ns);
    out->subscribed = self->n_subs;
    out->covered = self->self_view.cov.covered;
    out->transfers = self->transfers;
    bool pub = publishing(self);
    if (pub) {
        out->relayed = self->relayed;
    } else {
        struct hamd_dp_stats st;
        hamd_dataplane_stats(self->deps.dp, &st);
        out->relayed = st.relaying;
    }
    if (pub && self->judging) {
        out->judge = hamd_leadership_hold_name(self->last.hold);
        out->best = self->last.best;
    }
    out->nodes[0] = (struct hamd_coverage_node){
        self->opts.node_id, true, -1, self->self_view.cov.covered,
        self->self_view.cov.priority_sum};
    out->n_nodes = 1;
    if (!pub || !self->opts.relay)
        return;
    peers_compute(self, now_ns);
    for (unsigned p = 0; p < self->opts.n_peers; p++) {
        const struct cover_view *v = &self->peer_view[p];
        if (self->opts.peers[p].witness)
            continue;
        out->nodes[out->n_nodes++] = (struct hamd_coverage_node){
            self->opts.peers[p].id, v->fresh,
            v->report_rx_ns ? (now_ns - v->report_rx_ns) / HAMD_NS_PER_MS : -1,
            v->fresh ? v->cov.covered : 0, v->fresh ? v->cov.priority_sum : 0};
    }
}
