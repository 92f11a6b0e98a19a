/* Health monitor shell. See monitor.h; the decisions are in health.c. */
#include "control/monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/strmap.h"

#define MONITOR_MAP_INITIAL 64     /* first capacity of the gateway map */
#define MONITOR_PREOPEN_MS 300000  /* outside sessions, hard restarts wait
                                      [sessions] closed_restart_after_s,
                                      except in the last 5 minutes before
                                      a session opens: a broken gateway is
                                      restarted in time for the open */

/* One watched gateway. */
struct monitor_gw {
    char account[HAMD_ACCOUNT_ID_MAX];  /* its key in gateways */
    char canary[HAMD_VT_SYMBOL_MAX];    /* the account's canary, "" none */
    unsigned n_exch;                    /* exchanges the account serves */
    char exchanges[HAMD_ACCOUNT_EXCH_MAX][HAMD_EXCHANGE_MAX]; /* them */
    struct hamd_health *health;         /* the state machine */
    bool has_status;                    /* a STATUS came since launch */
    enum hamd_gw_state status;          /* last STATUS */
    int64_t status_since_ns;            /* when that STATUS state began */
    char detail[HAMD_GW_DETAIL_MAX];    /* its detail text */
    int64_t launched_ns;                /* last launch, monotonic */
    uint64_t prev_ticks;                /* dp tick count at last check */
    uint64_t prev_malformed;            /* dp malformed count at last check */
    struct hamd_health_result last_result; /* of this check round */
    bool event_due;                     /* last_result changed the state:
                                           raise its event after planning */
    bool closed;                        /* at the last check, every exchange
                                           it serves was closed (obs.closed) */
    bool held_told;                     /* its hold was logged and raised
                                           (once per launch) */
};

struct hamd_monitor {
    struct hamd_monitor_opts opts;     /* thresholds, period, sessions */
    struct hamd_monitor_deps deps;     /* what it reads and acts through */
    struct hamd_strmap *gateways;      /* account id -> struct monitor_gw */
    uv_timer_t timer;                  /* periodic checks */
    bool stopped;                      /* shutdown: no more checks */
};

/* ------------------------------------------------------------------------
 * Observation
 * ------------------------------------------------------------------------ */

static const struct hamd_dp_source_stats *
source_stats(const struct hamd_dp_stats *st, const char *account)
{
    for (unsigned i = 0; i < st->n_sources; i++)
        if (strcmp(st->sources[i].account, account) == 0)
            return &st->sources[i];
    return NULL;
}

/* The calendar of opts at wall time wall_ns: the session clock's offset
 * then, weekdays, the holidays. */
static void monitor_calendar(const struct hamd_monitor_opts *opts,
                             int64_t wall_ns, struct hamd_calendar *out)
{
    out->utc_offset_min = hamd_utc_offset_min(wall_ns);
    out->trading_days = HAMD_SESSION_WEEKDAYS;
    out->holidays = opts->holidays;
    out->n_holidays = opts->n_holidays;
}

enum hamd_session_state hamd_monitor_session(const struct hamd_monitor *self,
                                             const char *exchange,
                                             int64_t *next_open_ns)
{
    int64_t wall = hamd_wall_ns();
    struct hamd_calendar cal;
    monitor_calendar(&self->opts, wall, &cal);
    const struct hamd_exchange_sessions *ex = hamd_sessions_find(
        self->opts.sessions, self->opts.n_sessions, exchange);
    if (next_open_ns)
        *next_open_ns = hamd_calendar_next_open(ex, &cal, wall);
    return hamd_calendar_state(ex, &cal, wall, NULL);
}

/* Is the canary's exchange trading now, and since when (monotonic)? */
static void canary_session(struct hamd_monitor *m, const struct monitor_gw *gw,
                           const struct hamd_calendar *cal, int64_t wall,
                           struct hamd_health_obs *obs)
{
    const char *dot = strrchr(gw->canary, '.');
    if (!gw->canary[0] || !dot)
        return;
    const struct hamd_exchange_sessions *ex =
        hamd_sessions_find(m->opts.sessions, m->opts.n_sessions, dot + 1);
    int64_t opened_wall = 0;
    if (hamd_calendar_state(ex, cal, wall, &opened_wall) != HAMD_SESSION_OPEN)
        return;
    obs->canary_in_session = true;
    obs->session_open_ns = obs->now_ns - (wall - opened_wall);
}

/* True when every exchange gw serves is quiet (closed, and not opening
 * within MONITOR_PREOPEN_MS): hard restarts may wait. An exchange
 * without sessions is never quiet. */
static bool all_closed(struct hamd_monitor *m, const struct monitor_gw *gw,
                       const struct hamd_calendar *cal, int64_t wall)
{
    for (unsigned i = 0; i < gw->n_exch; i++) {
        const struct hamd_exchange_sessions *ex = hamd_sessions_find(
            m->opts.sessions, m->opts.n_sessions, gw->exchanges[i]);
        if (!hamd_calendar_quiet(ex, cal, wall,
                                 (int64_t)MONITOR_PREOPEN_MS * HAMD_NS_PER_MS))
            return false;
    }
    return gw->n_exch > 0;
}

/* Fills obs. Only periodic checks consume the per-interval counters
 * (ticks, malformed), so an immediate event does not hide them. */
static void observe(struct hamd_monitor *m, struct monitor_gw *gw,
                    const struct hamd_dp_stats *st, int64_t now_ns,
                    bool periodic, struct hamd_health_obs *obs)
{
    memset(obs, 0, sizeof *obs);
    obs->now_ns = now_ns;
    obs->stopped = !m->deps.gateway_running(m->deps.ud, gw->account);
    struct hamd_sup_info info;
    if (hamd_supervisor_info(m->deps.sup, gw->account, &info)) {
        obs->process_alive = info.state == HAMD_SUP_RUNNING && info.pid > 0;
        obs->restart_pending = info.state == HAMD_SUP_BACKOFF ||
                               info.state == HAMD_SUP_STOPPING;
    }
    obs->started_ns = gw->launched_ns;
    obs->has_status = gw->has_status;
    obs->status = gw->status;
    obs->status_since_ns = gw->status_since_ns;
    const struct hamd_dp_source_stats *ss = source_stats(st, gw->account);
    if (ss) {
        /* Only this process's heartbeats count, not its predecessor's. */
        obs->last_hb_ns = ss->last_hb_ns >= gw->launched_ns ? ss->last_hb_ns : 0;
        obs->canary_tick_ns = ss->canary_ns;
        obs->stale_ms = (unsigned)ss->staleness_ms;
        obs->latency_ms = (unsigned)ss->latency_ms;
        obs->ticks = (unsigned)(ss->ticks - gw->prev_ticks);
        obs->malformed = (unsigned)(ss->malformed - gw->prev_malformed);
        if (periodic) {
            gw->prev_ticks = ss->ticks;
            gw->prev_malformed = ss->malformed;
        }
    }
    int64_t wall = hamd_wall_ns();
    struct hamd_calendar cal;
    monitor_calendar(&m->opts, wall, &cal);
    canary_session(m, gw, &cal, wall, obs);
    obs->closed = all_closed(m, gw, &cal, wall);
    gw->closed = obs->closed;
}

/* ------------------------------------------------------------------------
 * Acting on results
 * ------------------------------------------------------------------------ */

/* The gateway said it cannot work (STATUS error): it is held, and the
 * operator must know at once why nothing restarts it. */
static void tell_held(struct hamd_monitor *m, const struct monitor_gw *gw)
{
    const char *detail = gw->detail[0] ? gw->detail : "no detail";
    LOG_ERROR("gateway %s: error (%s): %s (`hactl restart %s`)", gw->account,
              detail, HAMD_EVENTS_HELD_REASON, gw->account);
    hamd_events_gateway_held(m->deps.events, gw->account, gw->detail);
}

/* Logs a state change and orders a hard restart if due. Returns true when
 * the state changed (the caller plans, then raises the event). */
static bool apply_result(struct hamd_monitor *m, struct monitor_gw *gw,
                         const struct hamd_health_result *res)
{
    if (res->changed)
        LOG_INFO("gateway %s: %s -> %s (%s)", gw->account,
                 hamd_health_state_name(res->prev),
                 hamd_health_state_name(res->state),
                 hamd_health_trigger_name(res->trigger));
    /* First-arrival contracts take the ticks of every HEALTHY source:
     * the data plane hears of it at once, before failover re-plans. */
    bool was = res->prev == HAMD_HEALTH_HEALTHY;
    bool is = res->state == HAMD_HEALTH_HEALTHY;
    if (res->changed && was != is)
        hamd_dataplane_source_eligible(m->deps.dp, gw->account, is);
    if (res->held && !gw->held_told) {
        gw->held_told = true;
        tell_held(m, gw);
    }
    if (res->restart) {
        const char *why = hamd_health_trigger_name(
            res->failing ? res->failing : hamd_health_last_trigger(gw->health));
        hamd_supervisor_restart(m->deps.sup, gw->account, why);
        hamd_events_gateway_restarted(m->deps.events, gw->account, why);
    }
    return res->changed;
}

/* Every gateway is checked before failover plans once, with all of this
 * round's changes in view (two sources turning HEALTHY in one round must
 * not be seen one at a time); the plan's ASSIGN then takes the next Raft
 * log write, ahead of the round's events. */
static void check_cb(uv_timer_t *t)
{
    struct hamd_monitor *m = t->data;
    struct hamd_dp_stats st;
    hamd_dataplane_stats(m->deps.dp, &st);
    int64_t now_ns = hamd_mono_ns();
    bool changed = false;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(m->gateways, &cursor, &key, &val)) {
        struct monitor_gw *gw = val;
        struct hamd_health_obs obs;
        observe(m, gw, &st, now_ns, true, &obs);
        hamd_health_check(gw->health, &obs, &gw->last_result);
        gw->event_due = apply_result(m, gw, &gw->last_result);
        changed |= gw->event_due;
    }
    if (!changed)
        return;
    m->deps.on_health(m->deps.ud);
    cursor = 0;
    while (hamd_strmap_next(m->gateways, &cursor, &key, &val)) {
        struct monitor_gw *gw = val;
        if (gw->event_due)
            hamd_events_gateway_state(m->deps.events, gw->account,
                                      &gw->last_result);
        gw->event_due = false;
    }
}

/* An event that must not wait for the next check (exit, disconnect). */
static void check_now(struct hamd_monitor *m, struct monitor_gw *gw)
{
    struct hamd_dp_stats st;
    hamd_dataplane_stats(m->deps.dp, &st);
    struct hamd_health_obs obs;
    struct hamd_health_result res;
    observe(m, gw, &st, hamd_mono_ns(), false, &obs);
    hamd_health_event(gw->health, &obs, &res);
    if (apply_result(m, gw, &res)) {
        m->deps.on_health(m->deps.ud);
        hamd_events_gateway_state(m->deps.events, gw->account, &res);
    }
}

/* ------------------------------------------------------------------------
 * Inputs
 * ------------------------------------------------------------------------ */

static struct monitor_gw *gw_of(struct hamd_monitor *m, const char *account)
{
    return m->stopped ? NULL : hamd_strmap_get(m->gateways, account);
}

bool hamd_monitor_holds(const struct hamd_monitor *self, const char *account)
{
    const struct monitor_gw *gw = hamd_strmap_get(self->gateways, account);
    return gw && hamd_health_holds(gw->has_status, gw->status);
}

unsigned hamd_monitor_relaunch_delay_ms(struct hamd_monitor *self,
                                        const char *account)
{
    struct monitor_gw *gw = hamd_strmap_get(self->gateways, account);
    if (!gw)
        return self->opts.health.backoff_min_ms;
    return hamd_health_relaunch_delay_ms(gw->health);
}

void hamd_monitor_on_launch(struct hamd_monitor *self, const char *account,
                            int pid)
{
    (void)pid;
    struct monitor_gw *gw = gw_of(self, account);
    if (!gw)
        return;
    gw->launched_ns = hamd_mono_ns();
    gw->has_status = false;
    gw->detail[0] = '\0';
    gw->held_told = false;
    check_now(self, gw);
}

void hamd_monitor_on_exit(struct hamd_monitor *self, const char *account,
                          int status)
{
    (void)status;
    struct monitor_gw *gw = gw_of(self, account);
    if (gw)
        check_now(self, gw);
}

void hamd_monitor_on_status(struct hamd_monitor *self, const char *account,
                            const struct hamd_gw_status *status, int64_t mono_ns)
{
    struct monitor_gw *gw = gw_of(self, account);
    if (!gw)
        return;
    if (!gw->has_status || gw->status != status->state)
        gw->status_since_ns = mono_ns;
    gw->has_status = true;
    gw->status = status->state;
    snprintf(gw->detail, sizeof gw->detail, "%s", status->detail);
    LOG_INFO("gateway %s: STATUS %s%s%s", account,
             hamd_gw_state_name(status->state), status->detail[0] ? ": " : "",
             status->detail);
    check_now(self, gw);
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

struct hamd_monitor *hamd_monitor_new(const struct hamd_monitor_opts *opts,
                                      const struct hamd_monitor_deps *deps)
{
    char err[256];
    if (!hamd_health_params_check(&opts->health, err, sizeof err)) {
        LOG_ERROR("health thresholds: %s", err);
        return NULL;
    }
    struct hamd_monitor *m = calloc(1, sizeof *m);
    if (!m || !(m->gateways = hamd_strmap_new(MONITOR_MAP_INITIAL))) {
        free(m);
        return NULL;
    }
    m->opts = *opts;
    m->deps = *deps;
    uv_timer_init(deps->loop, &m->timer);
    m->timer.data = m;
    uv_timer_start(&m->timer, check_cb, opts->check_interval_ms,
                   opts->check_interval_ms);
    return m;
}

void hamd_monitor_stop(struct hamd_monitor *self)
{
    if (!self)
        return;
    self->stopped = true;
    uv_timer_stop(&self->timer);
}

static void gw_free(struct monitor_gw *gw)
{
    hamd_health_destroy(&gw->health);
    free(gw);
}

static void timer_closed_cb(uv_handle_t *h)
{
    struct hamd_monitor *m = h->data;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(m->gateways, &cursor, &key, &val))
        gw_free(val);
    hamd_strmap_destroy(&m->gateways);
    free(m);
}

void hamd_monitor_destroy(struct hamd_monitor **self)
{
    if (!*self)
        return;
    uv_close((uv_handle_t *)&(*self)->timer, timer_closed_cb);
    *self = NULL;
}

/* ------------------------------------------------------------------------
 * The watched gateways
 * ------------------------------------------------------------------------ */

int hamd_monitor_watch(struct hamd_monitor *self, const struct hamd_account *a)
{
    struct monitor_gw *gw = hamd_strmap_get(self->gateways, a->id);
    if (!gw) {
        gw = calloc(1, sizeof *gw);
        if (!gw || !(gw->health = hamd_health_new(&self->opts.health,
                                                  hamd_mono_ns()))) {
            free(gw);
            return -1;
        }
        snprintf(gw->account, sizeof gw->account, "%s", a->id);
        hamd_strmap_put(self->gateways, gw->account, gw);
        if (hamd_strmap_get(self->gateways, gw->account) != gw) {
            gw_free(gw); /* no memory to grow the map */
            return -1;
        }
    }
    snprintf(gw->canary, sizeof gw->canary, "%s", a->canary);
    gw->n_exch = a->n_exchanges;
    memcpy(gw->exchanges, a->exchanges, sizeof gw->exchanges);
    return 0;
}

void hamd_monitor_forget(struct hamd_monitor *self, const char *account)
{
    struct monitor_gw *gw = hamd_strmap_remove(self->gateways, account);
    if (gw)
        gw_free(gw);
}

bool hamd_monitor_gateway(const struct hamd_monitor *self, const char *account,
                          struct hamd_monitor_view *out)
{
    const struct monitor_gw *gw = hamd_strmap_get(self->gateways, account);
    if (!gw)
        return false;
    out->state = hamd_health_state(gw->health);
    out->state_since_ns = hamd_health_since_ns(gw->health);
    out->trigger = hamd_health_last_trigger(gw->health);
    out->has_status = gw->has_status;
    out->status = gw->status;
    snprintf(out->detail, sizeof out->detail, "%s", gw->detail);
    out->market_closed = gw->closed;
    out->held = hamd_health_holds(gw->has_status, gw->status) &&
                hamd_health_state(gw->health) != HAMD_HEALTH_STOPPED;
    return true;
}
