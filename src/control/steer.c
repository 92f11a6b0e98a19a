/* Failover shell: runs the pure engine on the lease holder and commits its
 * plans. See steer.h; the decisions are in failover.c.
 *
 * A plan is executed group by group: one ASSIGN per group through Raft;
 * every node's data plane switches when the ASSIGN applies (reconcile.c).
 * While any commit of a plan is in flight no new plan is made, so the
 * same move is never proposed twice. The failover_executed event of a
 * group is raised when the data plane reports the group's first tick from
 * the new source, which gives failover_duration_ms = that time minus the
 * health trigger. */
#include "control/steer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "control/cover.h"
#include "control/steer_internal.h"

static void steer_kick(struct hamd_steer *st);

/* ------------------------------------------------------------------------
 * Inputs of a plan
 * ------------------------------------------------------------------------ */

static uint32_t today_yyyymmdd(void)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm); /* exchange timezone: the node sets TZ */
    return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
                      tm.tm_mday);
}

static int collect_account(void *ud, const struct hamd_account *a)
{
    struct steer_input *si = ud;
    if (si->n_accounts < HAMD_FAILOVER_MAX_ACCOUNTS)
        si->accounts[si->n_accounts++] = *a;
    return 0;
}

/* Health as this node sees its own gateways, mapped to the epoch clock
 * the engine and the replicated quarantines use. */
static void source_of(struct hamd_steer *st, const struct hamd_account *a,
                      struct hamd_failover_source *src, int64_t mono, int64_t wall)
{
    struct hamd_store *store = st->deps.store;
    struct hamd_monitor_view v;
    memset(src, 0, sizeof *src);
    src->state = HAMD_HEALTH_STOPPED;
    src->stopped = !hamd_store_account_running(store, a->id);
    src->quarantine_until_ns =
        hamd_store_quarantine_until(store, a->id) * HAMD_NS_PER_MS;
    if (!hamd_monitor_gateway(st->deps.monitor, a->id, &v))
        return;
    src->state = v.state;
    src->trigger = v.trigger;
    src->healthy_since_ns = wall - (mono - v.state_since_ns);
}

static int collect_pin(void *ud, const char *vt_symbol)
{
    hamd_strmap_put(ud, vt_symbol, ud); /* a set: any non-NULL value */
    return 0;
}

/* The replicated pins, read in one pass: a plan looks at every contract,
 * and pins are few. NULL when out of memory or the store failed. */
static struct hamd_strmap *pins_read(struct hamd_store *store)
{
    struct hamd_strmap *pins = hamd_strmap_new(STEER_MAP_INITIAL);
    if (pins && hamd_store_pins_foreach(store, collect_pin, pins) < 0)
        hamd_strmap_destroy(&pins);
    return pins;
}

int steer_input_build(struct hamd_steer *st, struct steer_input *si)
{
    struct hamd_store *store = st->deps.store;
    /* Not a memset of *si: its two arrays are 1.2 MB (256 accounts of
     * 4.5 KB), zeroed once a second by every plan for the few accounts
     * a cluster has (~1.2 M instructions and ~290 page faults a second on
     * the leader, beside the tick path). Each slot used is written in
     * full below (collect_account, source_of, relay_sources). */
    si->n_accounts = 0;
    si->contracts = NULL;
    if (hamd_store_accounts_foreach(store, collect_account, si) < 0)
        return -1;
    int64_t mono = hamd_mono_ns(), wall = hamd_wall_ns();
    for (size_t i = 0; i < si->n_accounts; i++)
        source_of(st, &si->accounts[i], &si->sources[i], mono, wall);
    if (st->deps.relay_sources)
        si->n_accounts = st->deps.relay_sources(
            st->deps.ud, si->accounts, si->sources, si->n_accounts,
            HAMD_FAILOVER_MAX_ACCOUNTS, mono, wall);
    size_t n = st->deps.routes(st->deps.ud, NULL, 0);
    si->contracts = calloc(n ? n : 1, sizeof *si->contracts);
    struct hamd_strmap *pins = pins_read(store);
    if (!si->contracts || !pins) {
        hamd_strmap_destroy(&pins);
        return -1;
    }
    size_t k = st->deps.routes(st->deps.ud, si->contracts, n);
    if (k > n)
        k = n;
    for (size_t i = 0; i < k; i++) {
        struct hamd_failover_contract *c = &si->contracts[i];
        struct steer_flags *f = hamd_strmap_get(st->flags, c->vt_symbol);
        c->pinned = hamd_strmap_get(pins, c->vt_symbol) != NULL;
        c->alerted = f && f->alerted;
    }
    hamd_strmap_destroy(&pins);
    uint32_t day = today_yyyymmdd();
    si->in = (struct hamd_failover_input){
        .accounts = si->accounts, .sources = si->sources,
        .n_accounts = si->n_accounts, .contracts = si->contracts,
        .n_contracts = k, .paused = hamd_store_paused(store),
        .failovers_today = hamd_store_failover_count(store, day),
        .daily_cap = st->opts.daily_cap, .cap_event_raised = st->cap_day == day,
        .revert_after_s = st->opts.revert_after_s,
        .quarantine_s = st->opts.quarantine_s,
        .now_ns = wall, .initial_wait_until_ns = st->initial_wait_until_ns,
    };
    return 0;
}

/* ------------------------------------------------------------------------
 * Commits
 * ------------------------------------------------------------------------ */

/* One submitted command: which steer, which operator request. */
struct steer_commit {
    struct hamd_steer *st;   /* the steer that submitted it */
    struct steer_op *op;     /* the operator request, or NULL */
};

void steer_op_settle(struct steer_op *op)
{
    if (--op->pending > 0)
        return;
    if (op->failed_status < 0)
        op->done(op->ud, -EAGAIN, json_pack("{s:s,s:i}", "error",
                                        "not committed: leadership lost",
                                        "raft_error", -op->failed_status));
    else
        op->done(op->ud, 0, json_incref(op->answer));
    json_decref(op->answer);
    free(op);
}

static void committed_cb(void *ud, int status, const struct hamd_apply_result *res)
{
    struct steer_commit *sc = ud;
    struct hamd_steer *st = sc->st;
    if (status < 0)
        LOG_WARN("failover: commit failed (raft error %d)", -status);
    else if (res && res->status != 0)
        LOG_WARN("failover: commit refused: %s", res->error);
    if (sc->op) {
        if (status < 0)
            sc->op->failed_status = status;
        steer_op_settle(sc->op);
    }
    free(sc);
    if (st->inflight > 0 && --st->inflight == 0 && st->replan)
        steer_kick(st);
}

void steer_submit(struct hamd_steer *st, struct hamd_cmd *cmd, struct steer_op *op)
{
    struct steer_commit *sc = malloc(sizeof *sc);
    if (sc) {
        sc->st = st;
        sc->op = op;
    }
    int rc = sc ? hamd_cluster_submit(st->deps.cluster, cmd, committed_cb, sc)
                : -RAFT_NOMEM;
    if (rc == 0) {
        st->inflight++;
        if (op)
            op->pending++;
    } else {
        free(sc);
        LOG_WARN("failover: cannot submit %s", hamd_cmd_type_name(cmd->type));
        if (op)
            op->failed_status = rc;
    }
    hamd_cmd_free(cmd);
}

static struct steer_switch *switch_slot(struct hamd_steer *st)
{
    struct steer_switch *oldest = &st->switches[0];
    for (int i = 0; i < STEER_MAX_PENDING; i++) {
        if (st->switches[i].id == 0)
            return &st->switches[i];
        if (st->switches[i].deadline_ns < oldest->deadline_ns)
            oldest = &st->switches[i];
    }
    return oldest; /* overflow: the oldest wait is given up */
}

static void switch_finish(struct hamd_steer *st, struct steer_switch *sw,
                          int64_t first_tick_ns)
{
    json_t *ev = sw->event;
    json_object_set_new(ev, "failover_duration_ms",
                        first_tick_ns ? json_integer((first_tick_ns - sw->trigger_ns) /
                                                     HAMD_NS_PER_MS)
                                      : json_null());
    /* Remove the contracts' pending entries that point at this switch. */
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(st->pending, &cursor, &key, &val))
        if (val == sw) {
            hamd_strmap_remove(st->pending, key);
            cursor = 0;
        }
    sw->id = 0;
    sw->event = NULL;
    hamd_events_raise(st->deps.events, ev);
}

/* An account's own priority: a relayed source ranks HAMD_COVER_RELAY_
 * PRIORITY behind it only inside the engine. */
static int source_priority(const struct hamd_account *a)
{
    unsigned node;
    if (!a)
        return 0;
    if (hamd_source_id_parse(a->id, NULL, &node) && node)
        return a->priority - HAMD_COVER_RELAY_PRIORITY;
    return a->priority;
}

/* The engine's trigger, but a relayed source that is gone (its node no
 * longer reports, or this node now publishes itself) says so. */
static const char *group_trigger(const struct hamd_failover_group *g)
{
    unsigned node;
    if (g->from < 0 && hamd_source_id_parse(g->from_id, NULL, &node) && node)
        return "relay_ended";
    return g->trigger ? g->trigger : "";
}

static json_t *group_event(const struct steer_input *si,
                           const struct hamd_failover_plan *plan,
                           const struct hamd_failover_group *g)
{
    json_t *ev = hamd_events_json_new(hamd_failover_event_type(g->kind));
    json_t *affected = json_array();
    for (size_t i = 0; i < g->count; i++)
        json_array_append_new(
            affected, json_string(si->contracts[plan->moves[g->first + i]].vt_symbol));
    const struct hamd_account *to = g->to >= 0 ? &si->accounts[g->to] : NULL;
    const struct hamd_account *from = g->from >= 0 ? &si->accounts[g->from] : NULL;
    json_object_set_new(ev, "failed_gateway_id", json_string(g->from_id));
    json_object_set_new(ev, "backup_gateway_id", json_string(to ? to->id : ""));
    json_object_set_new(ev, "affected_contracts", affected);
    json_t *meta = json_pack(
        "{s:i,s:i,s:I,s:s,s:s}", "primary_priority", source_priority(from),
        "backup_priority", source_priority(to), "contracts_migrated",
        (json_int_t)g->count, "health_trigger", group_trigger(g),
        "kind", hamd_failover_kind_name(g->kind));
    unsigned node;
    if (to && hamd_source_id_parse(to->id, NULL, &node) && node)
        json_object_set_new(meta, "backup_relayed_from", json_integer(node));
    json_object_set_new(ev, "metadata", meta);
    return ev;
}

/* Monotonic time of the trigger: when the failed source left HEALTHY;
 * now, when it has not left it yet: an operator's stop or disable is
 * planned on before the monitor's next check says STOPPED, and the time
 * since the source became HEALTHY is no failover's duration (hactl stop
 * of a source healthy for 12 s showed 12599 ms). */
static int64_t group_trigger_ns(struct hamd_steer *st, const struct hamd_failover_group *g)
{
    struct hamd_monitor_view v;
    if (g->kind == HAMD_FAILOVER_FAILOVER && g->from_id[0] &&
        hamd_monitor_gateway(st->deps.monitor, g->from_id, &v) &&
        v.state != HAMD_HEALTH_HEALTHY)
        return v.state_since_ns;
    return hamd_mono_ns();
}

static void execute_move_group(struct hamd_steer *st, const struct steer_input *si,
                               const struct hamd_failover_plan *plan,
                               const struct hamd_failover_group *g, struct steer_op *op)
{
    const char *to = si->accounts[g->to].id;
    struct steer_switch *sw = switch_slot(st);
    if (sw->id)
        switch_finish(st, sw, 0);
    sw->id = ++st->next_switch_id;
    sw->event = group_event(si, plan, g);
    sw->trigger_ns = group_trigger_ns(st, g);
    sw->deadline_ns = hamd_mono_ns() + STEER_SWITCH_TIMEOUT_MS * HAMD_NS_PER_MS;
    snprintf(sw->to, sizeof sw->to, "%s", to);
    struct hamd_cmd cmd;
    hamd_cmd_init(&cmd, HAMD_CMD_ASSIGN);
    for (size_t i = 0; i < g->count; i++) {
        const char *vt = si->contracts[plan->moves[g->first + i]].vt_symbol;
        hamd_cmd_add_assign(&cmd, vt, to);
        hamd_strmap_put(st->pending, vt, sw);
    }
    LOG_INFO("failover: %s of %zu contract(s) %s -> %s (%s)",
             hamd_failover_kind_name(g->kind), g->count, g->from_id[0] ? g->from_id : "-",
             to, g->trigger ? g->trigger : "");
    steer_submit(st, &cmd, op);
}

static void execute_group(struct hamd_steer *st, const struct steer_input *si,
                          const struct hamd_failover_plan *plan,
                          const struct hamd_failover_group *g, struct steer_op *op)
{
    if (g->hold != HAMD_FAILOVER_GO) {
        LOG_DEBUG("failover: %s of %zu contract(s) held (%s)",
                  hamd_failover_kind_name(g->kind), g->count, hamd_failover_hold_name(g->hold));
        return;
    }
    if (g->kind == HAMD_FAILOVER_NO_HEALTHY_BACKUP || g->to < 0) {
        json_t *ev = group_event(si, plan, g);
        json_object_set_new(ev, "severity", json_string("critical"));
        hamd_events_raise(st->deps.events, ev);
        return;
    }
    execute_move_group(st, si, plan, g, op);
}

/* Commits the pins the plan turns to `pinned` in one PIN command (more
 * only past HAMD_CMD_SYMBOLS_MAX contracts). Replicated, so that a new
 * leader keeps the operator's decision; the next plan waits for the
 * commit (inflight), so it reads the pins from the store again. */
static void execute_pins(struct hamd_steer *st, const struct steer_input *si,
                         const struct hamd_failover_plan *plan, bool pinned,
                         struct steer_op *op)
{
    struct hamd_cmd cmd;
    hamd_cmd_init(&cmd, HAMD_CMD_PIN);
    cmd.flag = pinned;
    for (size_t i = 0; i < plan->n_contracts; i++) {
        if (plan->flags[i].pinned != pinned || si->contracts[i].pinned == pinned)
            continue;
        if (cmd.n_symbols == HAMD_CMD_SYMBOLS_MAX) {
            steer_submit(st, &cmd, op);
            hamd_cmd_init(&cmd, HAMD_CMD_PIN);
            cmd.flag = pinned;
        }
        if (hamd_cmd_add_symbol(&cmd, si->contracts[i].vt_symbol) < 0)
            LOG_WARN("failover: cannot %s %s: out of memory",
                     pinned ? "pin" : "unpin", si->contracts[i].vt_symbol);
    }
    if (cmd.n_symbols > 0)
        steer_submit(st, &cmd, op);
    hamd_cmd_free(&cmd);
}

static void execute_side_effects(struct hamd_steer *st, const struct steer_input *si,
                                 const struct hamd_failover_plan *plan,
                                 struct steer_op *op)
{
    for (size_t i = 0; i < plan->n_quarantines; i++) {
        struct hamd_cmd cmd;
        hamd_cmd_init(&cmd, HAMD_CMD_QUARANTINE);
        snprintf(cmd.account_id, sizeof cmd.account_id, "%s",
                 si->accounts[plan->quarantines[i].account].id);
        cmd.until_ms = plan->quarantines[i].until_ns / HAMD_NS_PER_MS;
        steer_submit(st, &cmd, op);
    }
    if (plan->failovers > 0) {
        struct hamd_cmd cmd;
        hamd_cmd_init(&cmd, HAMD_CMD_FAILOVER_COUNT);
        cmd.day = today_yyyymmdd();
        cmd.count = si->in.failovers_today + plan->failovers;
        steer_submit(st, &cmd, op);
    }
    if (plan->raise_cap_event) {
        st->cap_day = today_yyyymmdd();
        json_t *ev = hamd_events_json_new(HAMD_FAILOVER_EVENT_DAILY_CAP);
        json_object_set_new(ev, "severity", json_string("critical"));
        json_object_set_new(ev, "daily_cap", json_integer(si->in.daily_cap));
        hamd_events_raise(st->deps.events, ev);
    }
    execute_pins(st, si, plan, true, op);
    execute_pins(st, si, plan, false, op);
    for (size_t i = 0; i < plan->n_contracts; i++) {
        const char *vt = si->contracts[i].vt_symbol;
        struct steer_flags *f = hamd_strmap_get(st->flags, vt);
        if (!f && plan->flags[i].alerted) {
            f = calloc(1, sizeof *f);
            if (f)
                hamd_strmap_put(st->flags, vt, f);
        }
        if (f)
            f->alerted = plan->flags[i].alerted;
    }
}

/* ------------------------------------------------------------------------
 * Planning
 * ------------------------------------------------------------------------ */

void steer_plan_execute(struct hamd_steer *st, const struct steer_input *si,
                        const struct hamd_failover_plan *plan, struct steer_op *op)
{
    /* The op answers only after its last commit: hold it open meanwhile. */
    if (op)
        op->pending++;
    for (size_t i = 0; i < plan->n_groups; i++)
        execute_group(st, si, plan, &plan->groups[i], op);
    execute_side_effects(st, si, plan, op);
    if (op)
        steer_op_settle(op);
}

void steer_input_release(struct steer_input *si)
{
    if (si)
        free(si->contracts);
    free(si);
}

static void steer_plan_now(struct hamd_steer *st)
{
    if (!st->active)
        return;
    if (st->inflight > 0) {
        st->replan = true;
        return;
    }
    st->replan = false;
    struct steer_input *si = malloc(sizeof *si);
    if (!si || steer_input_build(st, si) < 0) {
        steer_input_release(si);
        return;
    }
    struct hamd_failover_error err;
    struct hamd_failover_plan *plan = hamd_failover_plan_auto(&si->in, &err);
    if (!plan) {
        LOG_ERROR("failover engine: %s", err.msg);
    } else {
        steer_plan_execute(st, si, plan, NULL);
        hamd_failover_plan_destroy(&plan);
    }
    steer_input_release(si);
}

static void kick_cb(uv_timer_t *t)
{
    steer_plan_now(t->data);
}

/* Wakes the planner on the next loop turn. */
static void steer_kick(struct hamd_steer *st)
{
    if (st->active)
        uv_timer_start(&st->kick, kick_cb, 0, 0);
}

static void timer_cb(uv_timer_t *t)
{
    struct hamd_steer *st = t->data;
    int64_t now = hamd_mono_ns();
    for (int i = 0; i < STEER_MAX_PENDING; i++)
        if (st->switches[i].id && now > st->switches[i].deadline_ns)
            switch_finish(st, &st->switches[i], 0);
    steer_plan_now(st);
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

struct hamd_steer *hamd_steer_new(const struct hamd_steer_opts *opts,
                                  const struct hamd_steer_deps *deps)
{
    struct hamd_steer *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->opts = *opts;
    st->deps = *deps;
    st->flags = hamd_strmap_new(STEER_MAP_INITIAL);
    st->pending = hamd_strmap_new(STEER_MAP_INITIAL);
    if (!st->flags || !st->pending) {
        hamd_strmap_destroy(&st->flags);
        hamd_strmap_destroy(&st->pending);
        free(st);
        return NULL;
    }
    uv_timer_init(deps->loop, &st->timer);
    uv_timer_init(deps->loop, &st->kick);
    st->timer.data = st;
    st->kick.data = st;
    uv_timer_start(&st->timer, timer_cb, STEER_REPLAN_INTERVAL_MS,
                   STEER_REPLAN_INTERVAL_MS);
    return st;
}

void hamd_steer_stop(struct hamd_steer *self)
{
    if (!self)
        return;
    self->active = false;
    uv_timer_stop(&self->timer);
    uv_timer_stop(&self->kick);
}

static void closed_cb(uv_handle_t *h)
{
    struct hamd_steer *st = h->data;
    if (--st->closing > 0)
        return;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(st->flags, &cursor, &key, &val))
        free(val);
    hamd_strmap_destroy(&st->flags);
    hamd_strmap_destroy(&st->pending);
    for (int i = 0; i < STEER_MAX_PENDING; i++)
        json_decref(st->switches[i].event);
    free(st);
}

void hamd_steer_destroy(struct hamd_steer **self)
{
    if (!*self)
        return;
    (*self)->closing = 2;
    uv_close((uv_handle_t *)&(*self)->timer, closed_cb);
    uv_close((uv_handle_t *)&(*self)->kick, closed_cb);
    *self = NULL;
}

void hamd_steer_on_lease(struct hamd_steer *self, bool publishing)
{
    self->active = publishing;
    if (publishing) {
        self->initial_wait_until_ns =
            hamd_wall_ns() + (int64_t)STEER_INITIAL_WAIT_MS * HAMD_NS_PER_MS;
        /* A new leader continues from the replicated assignment and
         * re-evaluates with its own health view. */
        steer_kick(self);
        return;
    }
    self->inflight = 0;
    for (int i = 0; i < STEER_MAX_PENDING; i++)
        if (self->switches[i].id)
            switch_finish(self, &self->switches[i], 0);
}

void hamd_steer_on_change(struct hamd_steer *self, enum hamd_cmd_type type)
{
    if (type != HAMD_CMD_EVENT && type != HAMD_CMD_FAILOVER_COUNT)
        steer_kick(self);
}

void hamd_steer_on_health(struct hamd_steer *self)
{
    /* At once, not on the next loop turn: the ASSIGN then goes into the
     * Raft log ahead of the health event that the monitor raises next. */
    steer_plan_now(self);
}

void hamd_steer_on_switched(struct hamd_steer *self, const struct hamd_dp_event *ev)
{
    for (int i = 0; i < STEER_MAX_PENDING; i++)
        if (self->switches[i].id == ev->u.switched.switch_id) {
            switch_finish(self, &self->switches[i], ev->mono_ns);
            return;
        }
}

uint64_t hamd_steer_switch_id(struct hamd_steer *self, const char *vt_symbol,
                              const char *account)
{
    struct steer_switch *sw = hamd_strmap_get(self->pending, vt_symbol);
    return sw && strcmp(sw->to, account) == 0 ? sw->id : 0;
}

void hamd_steer_figures(struct hamd_steer *self, struct hamd_steer_figures *out)
{
    memset(out, 0, sizeof *out);
    if (!self)
        return;
    out->failovers_today =
        hamd_store_failover_count(self->deps.store, today_yyyymmdd());
    if (!self->active || hamd_strmap_size(self->flags) == 0)
        return;
    /* Only subscribed contracts: a flag outlives an unsubscribe. */
    size_t n = self->deps.routes(self->deps.ud, NULL, 0);
    struct hamd_failover_contract *c = calloc(n ? n : 1, sizeof *c);
    if (!c)
        return;
    size_t total = self->deps.routes(self->deps.ud, c, n);
    if (total < n)
        n = total;
    for (size_t i = 0; i < n; i++) {
        const struct steer_flags *f = hamd_strmap_get(self->flags, c[i].vt_symbol);
        out->no_backup += f && f->alerted;
    }
    free(c);
}
