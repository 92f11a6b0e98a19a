/* Per-gateway health state machine. See health.h for the rules. */
#include "core/health.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/clock.h"

/* Relaunch levels beyond this cannot double the delay any further. */
#define BACKOFF_LEVEL_MAX 32

struct hamd_health {
    struct hamd_health_params p;       /* thresholds, copied at creation */
    enum hamd_health_state state;      /* current state */
    int64_t since_ns;                  /* when state was entered */
    int64_t down_since_ns;             /* start of the current UNHEALTHY /
                                          DISCONNECTED stretch */
    enum hamd_health_trigger last_trigger; /* of the last transition */
    unsigned fail_streak;              /* consecutive failing checks */
    enum hamd_health_trigger streak_trigger; /* of the last failing check */
    unsigned good_streak;              /* consecutive good checks */
    unsigned backoff_level;            /* relaunches since last stable */
    struct hamd_health_counters counters; /* running totals */
};

/* ------------------------------------------------------------------------
 * Parameters and life cycle
 * ------------------------------------------------------------------------ */

void hamd_health_params_default(struct hamd_health_params *p)
{
    *p = (struct hamd_health_params){
        .fail_threshold = HAMD_HEALTH_FAIL_THRESHOLD,
        .recover_threshold = HAMD_HEALTH_RECOVER_THRESHOLD,
        .hb_timeout_ms = HAMD_HEALTH_HB_TIMEOUT_MS,
        .canary_timeout_ms = HAMD_HEALTH_CANARY_TIMEOUT_MS,
        .stale_ms = HAMD_HEALTH_STALE_MS,
        .latency_ms = HAMD_HEALTH_LATENCY_MS,
        .malformed_max = HAMD_HEALTH_MALFORMED_MAX,
        .restart_after_ms = HAMD_HEALTH_RESTART_AFTER_MS,
        .closed_restart_after_ms = HAMD_HEALTH_CLOSED_RESTART_MS,
        .connect_timeout_ms = HAMD_HEALTH_CONNECT_TIMEOUT_MS,
        .backoff_min_ms = HAMD_HEALTH_BACKOFF_MIN_MS,
        .backoff_max_ms = HAMD_HEALTH_BACKOFF_MAX_MS,
        .backoff_reset_ms = HAMD_HEALTH_BACKOFF_RESET_MS,
    };
}

bool hamd_health_params_check(const struct hamd_health_params *p, char *err,
                              size_t err_cap)
{
    const char *why = NULL;
    if (!p)
        why = "no health parameters";
    else if (p->fail_threshold == 0)
        why = "fail_threshold must be at least 1";
    else if (p->recover_threshold == 0)
        why = "recover_threshold must be at least 1";
    else if (p->hb_timeout_ms == 0)
        why = "hb_timeout_ms must be at least 1";
    else if (p->canary_timeout_ms == 0)
        why = "canary_timeout_ms must be at least 1";
    else if (p->backoff_min_ms == 0)
        why = "restart_backoff_min_ms must be at least 1";
    else if (p->backoff_max_ms < p->backoff_min_ms)
        why = "restart_backoff_max_ms must not be below restart_backoff_min_ms";
    if (why && err && err_cap)
        snprintf(err, err_cap, "%s", why);
    return why == NULL;
}

struct hamd_health *hamd_health_new(const struct hamd_health_params *p,
                                    int64_t now_ns)
{
    if (!hamd_health_params_check(p, NULL, 0))
        return NULL;
    struct hamd_health *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->p = *p;
    self->state = HAMD_HEALTH_CONNECTING;
    self->since_ns = now_ns;
    self->down_since_ns = now_ns;
    return self;
}

void hamd_health_destroy(struct hamd_health **self)
{
    if (self && *self) {
        free(*self);
        *self = NULL;
    }
}

/* ------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------ */

static bool is_down(enum hamd_health_state s)
{
    return s == HAMD_HEALTH_UNHEALTHY || s == HAMD_HEALTH_DISCONNECTED;
}

static void set_state(struct hamd_health *self, enum hamd_health_state to,
                      enum hamd_health_trigger why, int64_t now_ns)
{
    if (to == self->state)
        return;
    if (is_down(to) && !is_down(self->state))
        self->down_since_ns = now_ns;
    self->state = to;
    self->since_ns = now_ns;
    self->last_trigger = why;
    self->counters.state_changes++;
}

static int64_t max_ns(int64_t a, int64_t b) { return a > b ? a : b; }

static unsigned max_u(unsigned a, unsigned b) { return a > b ? a : b; }

/* True when more than limit_ms passed from ref_ns to now_ns: a timeout. */
static bool older_than(int64_t now_ns, int64_t ref_ns, unsigned limit_ms)
{
    return now_ns - ref_ns > (int64_t)limit_ms * HAMD_NS_PER_MS;
}

/* True when at least span_ms passed from ref_ns to now_ns: a hold time. */
static bool lasted(int64_t now_ns, int64_t ref_ns, unsigned span_ms)
{
    return now_ns - ref_ns >= (int64_t)span_ms * HAMD_NS_PER_MS;
}

static bool logged_in(const struct hamd_health_obs *obs)
{
    return obs->has_status && obs->status == HAMD_GW_LOGGED_IN;
}

/* A state to enter and why. */
struct verdict {
    enum hamd_health_state to;    /* the state to enter */
    enum hamd_health_trigger why; /* NONE: no verdict */
};

/* Hard failures: no hysteresis. Returns why = NONE when none applies. */
static struct verdict hard_rule(const struct hamd_health *self,
                                const struct hamd_health_obs *obs)
{
    bool serving = self->state == HAMD_HEALTH_HEALTHY ||
                   self->state == HAMD_HEALTH_UNHEALTHY;
    if (obs->stopped)
        return (struct verdict){HAMD_HEALTH_STOPPED, HAMD_TRIG_STOPPED};
    if (!obs->process_alive)
        return (struct verdict){obs->restart_pending
                                    ? HAMD_HEALTH_RESTARTING
                                    : HAMD_HEALTH_DISCONNECTED,
                                HAMD_TRIG_PROCESS_EXIT};
    if (obs->restart_pending)
        return (struct verdict){HAMD_HEALTH_RESTARTING, HAMD_TRIG_RESTARTING};
    if (obs->has_status && obs->status == HAMD_GW_ERROR)
        return (struct verdict){HAMD_HEALTH_DISCONNECTED,
                                HAMD_TRIG_GATEWAY_ERROR};
    if ((obs->has_status && obs->status == HAMD_GW_DISCONNECTED) ||
        (serving && !logged_in(obs)))
        return (struct verdict){HAMD_HEALTH_DISCONNECTED,
                                HAMD_TRIG_DISCONNECTED};
    return (struct verdict){self->state, HAMD_TRIG_NONE};
}

/* Applies the hard rules; true when one applied (soft checks are moot). */
static bool apply_hard(struct hamd_health *self,
                       const struct hamd_health_obs *obs)
{
    struct verdict v = hard_rule(self, obs);
    if (v.why == HAMD_TRIG_NONE)
        return false;
    self->fail_streak = 0;
    self->good_streak = 0;
    set_state(self, v.to, v.why, obs->now_ns);
    return true;
}

/* Returns the first failing soft check, or NONE when all pass. */
static enum hamd_health_trigger soft_failure(
    const struct hamd_health_params *p, const struct hamd_health_obs *obs)
{
    int64_t now = obs->now_ns;
    /* A fresh process has hb_timeout_ms to send its first HB. */
    if (older_than(now, max_ns(obs->last_hb_ns, obs->started_ns),
                   p->hb_timeout_ms))
        return HAMD_TRIG_HB_TIMEOUT;
    if (obs->canary_in_session) {
        /* Silence counts only from the session open and from the login:
         * the last tick of the night session says nothing at 09:00. */
        int64_t ref = max_ns(obs->canary_tick_ns,
                             max_ns(obs->session_open_ns,
                                    obs->status_since_ns));
        if (older_than(now, ref, p->canary_timeout_ms))
            return HAMD_TRIG_CANARY_TIMEOUT;
    }
    if (p->stale_ms && obs->stale_ms > p->stale_ms)
        return HAMD_TRIG_STALE;
    /* An EWMA without fresh ticks is an old value, not a measurement. */
    if (p->latency_ms && obs->ticks > 0 && obs->latency_ms > p->latency_ms)
        return HAMD_TRIG_LATENCY;
    /* A source that sends garbage is broken even if good ticks still come. */
    if (p->malformed_max && obs->malformed >= p->malformed_max)
        return HAMD_TRIG_MALFORMED;
    return HAMD_TRIG_NONE;
}

static void count_streak(unsigned *streak)
{
    if (*streak < UINT_MAX)
        (*streak)++;
}

/* True when a check passed only for want of messages to judge: nothing
 * came since the last one, and the checks failing before were about
 * messages (malformed ones, or late ticks). Such a check neither breaks
 * the failing streak nor starts a good one. A CTP front sends its ticks in
 * bursts every 250 - 500 ms, so with 100 ms checks a source whose every
 * burst holds garbage alternated one failing check with quiet ones and
 * never reached fail_threshold (196 malformed messages in 4 s, HEALTHY). */
static bool quiet_after_message_failures(const struct hamd_health *self,
                                         const struct hamd_health_obs *obs)
{
    bool quiet = obs->ticks == 0 && obs->malformed == 0;
    bool about_messages = self->streak_trigger == HAMD_TRIG_MALFORMED ||
                          self->streak_trigger == HAMD_TRIG_LATENCY;
    return quiet && self->fail_streak > 0 && about_messages;
}

/* Soft checks with hysteresis; the gateway is logged in. Returns the
 * failing check or NONE. */
static enum hamd_health_trigger apply_soft(struct hamd_health *self,
                                           const struct hamd_health_obs *obs)
{
    int64_t now = obs->now_ns;
    if (self->state == HAMD_HEALTH_RESTARTING ||
        self->state == HAMD_HEALTH_STOPPED)
        set_state(self, HAMD_HEALTH_CONNECTING, HAMD_TRIG_CONNECTING, now);

    enum hamd_health_trigger fail = soft_failure(&self->p, obs);
    if (fail != HAMD_TRIG_NONE) {
        self->counters.failed_checks++;
        self->good_streak = 0;
        self->streak_trigger = fail;
        count_streak(&self->fail_streak);
        if (self->fail_streak >= self->p.fail_threshold)
            set_state(self, HAMD_HEALTH_UNHEALTHY, fail, now);
    } else if (!quiet_after_message_failures(self, obs)) {
        self->fail_streak = 0;
        count_streak(&self->good_streak);
        if (self->good_streak >= self->p.recover_threshold)
            set_state(self, HAMD_HEALTH_HEALTHY, HAMD_TRIG_RECOVERED, now);
    }
    return fail;
}

/* Not logged in, no hard failure: a fresh launch is CONNECTING; a
 * DISCONNECTED source stays so while it reconnects. */
static void apply_logged_out(struct hamd_health *self, int64_t now_ns)
{
    self->fail_streak = 0;
    self->good_streak = 0;
    if (self->state != HAMD_HEALTH_DISCONNECTED)
        set_state(self, HAMD_HEALTH_CONNECTING, HAMD_TRIG_CONNECTING, now_ns);
}

bool hamd_health_holds(bool has_status, enum hamd_gw_state status)
{
    return has_status && status == HAMD_GW_ERROR;
}

/* Returns why a hard restart is due now, or NONE. good: this check passed
 * while logged in, i.e. the source is on its way back. */
static enum hamd_health_trigger restart_cause(
    const struct hamd_health *self, const struct hamd_health_obs *obs,
    bool good)
{
    const struct hamd_health_params *p = &self->p;
    int64_t now = obs->now_ns;
    if (good || !obs->process_alive || obs->restart_pending || obs->stopped ||
        hamd_health_holds(obs->has_status, obs->status))
        return HAMD_TRIG_NONE;
    /* Outside sessions a front may simply be closed: restarting would not
     * help, so it is tried rarely (a restart storm otherwise). */
    unsigned floor_ms = obs->closed ? p->closed_restart_after_ms : 0;
    if (is_down(self->state) && p->restart_after_ms &&
        lasted(now, self->down_since_ns, max_u(p->restart_after_ms, floor_ms)))
        return HAMD_TRIG_HARD_RESTART;
    if (self->state == HAMD_HEALTH_CONNECTING && p->connect_timeout_ms &&
        lasted(now, self->since_ns, max_u(p->connect_timeout_ms, floor_ms)))
        return HAMD_TRIG_CONNECT_TIMEOUT;
    return HAMD_TRIG_NONE;
}

/* ------------------------------------------------------------------------
 * Checks and events
 * ------------------------------------------------------------------------ */

static void fill_result(const struct hamd_health *self,
                        const struct hamd_health_obs *obs,
                        enum hamd_health_state prev,
                        enum hamd_health_trigger failing, bool restart,
                        struct hamd_health_result *res)
{
    res->prev = prev;
    res->state = self->state;
    res->changed = prev != self->state;
    res->trigger = res->changed ? self->last_trigger : HAMD_TRIG_NONE;
    res->failing = failing;
    res->restart = restart;
    res->held = hamd_health_holds(obs->has_status, obs->status) &&
                !obs->stopped;
}

void hamd_health_check(struct hamd_health *self,
                       const struct hamd_health_obs *obs,
                       struct hamd_health_result *res)
{
    if (!self || !obs || !res)
        return;
    enum hamd_health_state prev = self->state;
    enum hamd_health_trigger fail = HAMD_TRIG_NONE;
    bool good = false;
    self->counters.checks++;

    if (!apply_hard(self, obs)) {
        if (logged_in(obs)) {
            fail = apply_soft(self, obs);
            good = fail == HAMD_TRIG_NONE;
        } else {
            apply_logged_out(self, obs->now_ns);
        }
    }

    if (self->state == HAMD_HEALTH_HEALTHY &&
        lasted(obs->now_ns, self->since_ns, self->p.backoff_reset_ms))
        self->backoff_level = 0;

    enum hamd_health_trigger cause = restart_cause(self, obs, good);
    if (cause != HAMD_TRIG_NONE) {
        self->counters.hard_restarts++;
        set_state(self, HAMD_HEALTH_RESTARTING, cause, obs->now_ns);
    }
    fill_result(self, obs, prev, fail, cause != HAMD_TRIG_NONE, res);
}

void hamd_health_event(struct hamd_health *self,
                       const struct hamd_health_obs *obs,
                       struct hamd_health_result *res)
{
    if (!self || !obs || !res)
        return;
    enum hamd_health_state prev = self->state;
    apply_hard(self, obs);
    fill_result(self, obs, prev, HAMD_TRIG_NONE, false, res);
}

/* ------------------------------------------------------------------------
 * Relaunch delay
 * ------------------------------------------------------------------------ */

unsigned hamd_health_backoff_delay_ms(unsigned min_ms, unsigned max_ms,
                               unsigned level)
{
    if (min_ms >= max_ms)
        return max_ms;
    uint64_t d = min_ms;
    for (unsigned i = 0; i < level && d < max_ms; i++)
        d *= 2;
    return d > max_ms ? max_ms : (unsigned)d;
}

unsigned hamd_health_relaunch_delay_ms(struct hamd_health *self)
{
    if (!self)
        return HAMD_HEALTH_BACKOFF_MAX_MS;
    unsigned d = hamd_health_backoff_delay_ms(self->p.backoff_min_ms,
                                       self->p.backoff_max_ms,
                                       self->backoff_level);
    if (self->backoff_level < BACKOFF_LEVEL_MAX)
        self->backoff_level++;
    self->counters.relaunches++;
    return d;
}

/* ------------------------------------------------------------------------
 * Getters and names
 * ------------------------------------------------------------------------ */

enum hamd_health_state hamd_health_state(const struct hamd_health *self)
{
    return self->state;
}

int64_t hamd_health_since_ns(const struct hamd_health *self)
{
    return self->since_ns;
}

enum hamd_health_trigger hamd_health_last_trigger(
    const struct hamd_health *self)
{
    return self->last_trigger;
}

const struct hamd_health_counters *hamd_health_counters(
    const struct hamd_health *self)
{
    return &self->counters;
}

const char *hamd_health_state_name(enum hamd_health_state state)
{
    static const char *const names[HAMD_HEALTH_N_STATES] = {
        "CONNECTING", "HEALTHY",    "UNHEALTHY",
        "DISCONNECTED", "RESTARTING", "STOPPED",
    };
    unsigned i = (unsigned)state;
    return i < HAMD_HEALTH_N_STATES ? names[i] : "UNKNOWN";
}

const char *hamd_health_trigger_name(enum hamd_health_trigger trigger)
{
    static const char *const names[] = {
        "none",           "process_exit",    "disconnected",
        "gateway_error",  "heartbeat_timeout", "canary_timeout",
        "stale",          "latency",         "recovered",
        "connecting",     "connect_timeout", "hard_restart",
        "restarting",     "stopped",         "malformed",
    };
    unsigned i = (unsigned)trigger;
    return i < sizeof names / sizeof names[0] ? names[i] : "unknown";
}
