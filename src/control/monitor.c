/* Health monitor shell. See monitor.h; the decisions are in health.c. */
#include "control/monitor.h"
#include "control/params.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "control/events.h"
#include "control/node_internal.h"
#include "core/sessions.h"
#include "control/steer.h"

#define MONITOR_S_PER_MIN 60 /* tm_gmtoff is in seconds */

struct hamd_monitor {
    struct hamd_node *node;            /* the node it watches */
    uv_timer_t timer;                  /* periodic checks */
    struct hamd_health_params params;  /* thresholds from the config */
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

/* Minutes east of UTC of the exchange timezone (TZ is set at start). */
static int utc_offset_min(int64_t wall_ns)
{
    time_t t = (time_t)(wall_ns / HAMD_NS_PER_S);
    struct tm tm;
    localtime_r(&t, &tm);
    return (int)(tm.tm_gmtoff / MONITOR_S_PER_MIN);
}

/* Is the canary's exchange trading now, and since when (monotonic)? */
static void canary_session(struct hamd_monitor *m, const struct node_gw *gw,
                           struct hamd_health_obs *obs)
{
    const struct hamd_config *cfg = m->node->cfg;
    const char *dot = strrchr(gw->acct.canary, '.');
    if (!gw->acct.canary[0] || !dot)
        return;
    const struct hamd_exchange_sessions *ex =
        hamd_sessions_find(cfg->sessions, cfg->n_sessions, dot + 1);
    if (!ex)
        return;
    int64_t wall = hamd_wall_ns(), opened_wall = 0;
    enum hamd_session_state s = hamd_sessions_state(
        ex, wall, utc_offset_min(wall), HAMD_SESSION_WEEKDAYS,
        &opened_wall);
    if (s != HAMD_SESSION_OPEN)
        return;
    obs->canary_in_session = true;
    obs->session_open_ns = obs->now_ns - (wall - opened_wall);
}

/* Fills obs. Only periodic checks consume the per-interval counters
 * (ticks, malformed), so an immediate event does not hide them. */
static void observe(struct hamd_monitor *m, struct node_gw *gw,
                    const struct hamd_dp_stats *st, int64_t now_ns,
                    bool periodic, struct hamd_health_obs *obs)
{
    struct hamd_node *node = m->node;
    memset(obs, 0, sizeof *obs);
    obs->now_ns = now_ns;
    obs->stopped = !gw->running;
    struct hamd_sup_info info;
    if (hamd_supervisor_info(node->sup, gw->acct.id, &info)) {
        obs->process_alive = info.state == HAMD_SUP_RUNNING && info.pid > 0;
        obs->restart_pending = info.state == HAMD_SUP_BACKOFF ||
                               info.state == HAMD_SUP_STOPPING;
    }
    obs->started_ns = gw->launched_ns;
    obs->has_status = gw->has_status;
    obs->status = gw->status;
    obs->status_since_ns = gw->status_since_ns;
    const struct hamd_dp_source_stats *ss = source_stats(st, gw->acct.id);
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
    canary_session(m, gw, obs);
}

/* ------------------------------------------------------------------------
 * Acting on results
 * ------------------------------------------------------------------------ */

/* Logs a state change and orders a hard restart if due. Returns true when
 * the state changed (the caller plans, then raises the event). */
static bool apply_result(struct hamd_monitor *m, struct node_gw *gw,
                         const struct hamd_health_result *res)
{
    struct hamd_node *node = m->node;
    if (res->changed)
        LOG_INFO("gateway %s: %s -> %s (%s)", gw->acct.id,
                 hamd_health_state_name(res->prev),
                 hamd_health_state_name(res->state),
                 hamd_health_trigger_name(res->trigger));
    if (res->restart) {
        const char *why = hamd_health_trigger_name(
            res->failing ? res->failing : hamd_health_last_trigger(gw->health));
        hamd_supervisor_restart(node->sup, gw->acct.id, why);
        hamd_events_gateway_restarted(node, gw->acct.id, why);
    }
    return res->changed;
}

/* Every gateway is checked before failover plans once, with all of this
 * round's changes in view (two sources turning HEALTHY in one round must
 * not be seen one at a time); the plan's ASSIGN then takes the next Raft
 * log write, ahead of the round's events. */
static void on_check(uv_timer_t *t)
{
    struct hamd_monitor *m = t->data;
    struct hamd_node *node = m->node;
    struct hamd_dp_stats st;
    hamd_dataplane_stats(node->dp, &st);
    int64_t now_ns = hamd_mono_ns();
    bool changed = false;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(node->gateways, &cursor, &key, &val)) {
        struct node_gw *gw = val;
        struct hamd_health_obs obs;
        observe(m, gw, &st, now_ns, true, &obs);
        hamd_health_check(gw->health, &obs, &gw->last_result);
        gw->event_due = apply_result(m, gw, &gw->last_result);
        changed |= gw->event_due;
    }
    if (!changed)
        return;
    hamd_steer_on_health(node->steer);
    cursor = 0;
    while (hamd_strmap_next(node->gateways, &cursor, &key, &val)) {
        struct node_gw *gw = val;
        if (gw->event_due)
            hamd_events_gateway_state(node, gw->acct.id, &gw->last_result);
        gw->event_due = false;
    }
}

/* An event that must not wait for the next check (exit, disconnect). */
static void check_now(struct hamd_monitor *m, struct node_gw *gw)
{
    struct hamd_dp_stats st;
    hamd_dataplane_stats(m->node->dp, &st);
    struct hamd_health_obs obs;
    struct hamd_health_result res;
    observe(m, gw, &st, hamd_mono_ns(), false, &obs);
    hamd_health_event(gw->health, &obs, &res);
    if (apply_result(m, gw, &res)) {
        hamd_steer_on_health(m->node->steer);
        hamd_events_gateway_state(m->node, gw->acct.id, &res);
    }
}

/* ------------------------------------------------------------------------
 * Inputs
 * ------------------------------------------------------------------------ */

static struct node_gw *gw_of(struct hamd_monitor *m, const char *account)
{
    return m->stopped ? NULL : hamd_strmap_get(m->node->gateways, account);
}

unsigned hamd_monitor_relaunch_delay_ms(struct hamd_monitor *self,
                                        const char *account)
{
    struct node_gw *gw = hamd_strmap_get(self->node->gateways, account);
    if (!gw || !gw->health)
        return self->params.backoff_min_ms;
    return hamd_health_relaunch_delay_ms(gw->health);
}

void hamd_monitor_on_launch(struct hamd_monitor *self, const char *account,
                            int pid)
{
    (void)pid;
    struct node_gw *gw = gw_of(self, account);
    if (!gw)
        return;
    gw->launched_ns = hamd_mono_ns();
    gw->has_status = false;
    gw->detail[0] = '\0';
    check_now(self, gw);
}

void hamd_monitor_on_exit(struct hamd_monitor *self, const char *account,
                          int status)
{
    (void)status;
    struct node_gw *gw = gw_of(self, account);
    if (gw)
        check_now(self, gw);
}

void hamd_monitor_on_status(struct hamd_monitor *self, const char *account,
                            const struct hamd_gw_status *status, int64_t mono_ns)
{
    struct node_gw *gw = gw_of(self, account);
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

struct hamd_monitor *hamd_monitor_new(struct hamd_node *node)
{
    struct hamd_monitor *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->node = node;
    /* Sessions are in exchange time; hamd logs in UTC, so TZ is free. */
    setenv("TZ", node->cfg->timezone, 1);
    tzset();
    hamd_params_health(&m->params, node->cfg);
    char err[256];
    if (!hamd_health_params_check(&m->params, err, sizeof err)) {
        LOG_ERROR("health thresholds: %s", err);
        free(m);
        return NULL;
    }
    const struct hamd_config *cfg = node->cfg;
    unsigned detect_ms = cfg->stale_ms + cfg->fail_threshold * cfg->check_interval_ms;
    if (cfg->replay_window_ms < detect_ms)
        LOG_WARN("[failover] replay_window_ms %u is shorter than the stall "
                 "detection time (~%u ms): a stalled source's last ticks "
                 "cannot be replayed", cfg->replay_window_ms, detect_ms);
    uv_timer_init(&node->loop, &m->timer);
    m->timer.data = m;
    uv_timer_start(&m->timer, on_check, node->cfg->check_interval_ms,
                   node->cfg->check_interval_ms);
    return m;
}

void hamd_monitor_stop(struct hamd_monitor *self)
{
    if (!self)
        return;
    self->stopped = true;
    uv_timer_stop(&self->timer);
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void hamd_monitor_destroy(struct hamd_monitor **self)
{
    if (!*self)
        return;
    uv_close((uv_handle_t *)&(*self)->timer, on_timer_closed);
    *self = NULL;
}

struct hamd_health *hamd_monitor_health_new(struct hamd_monitor *self)
{
    return hamd_health_new(&self->params, hamd_mono_ns());
}

void hamd_monitor_health_destroy(struct hamd_health **health)
{
    hamd_health_destroy(health);
}
