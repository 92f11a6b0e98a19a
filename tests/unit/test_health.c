/* Health state machine with fake time: every transition and threshold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "core/health.h"

#define MS HAMD_NS_PER_MS
#define T0 (1000 * HAMD_NS_PER_S) /* fake monotonic start of a test */
#define LONG_AGO (T0 - 3600 * HAMD_NS_PER_S) /* past every grace period */
#define TICK_MS 100               /* check interval of these tests */

struct fx {
    struct hamd_health_params p;
    struct hamd_health *h;
    struct hamd_health_obs obs; /* the next observation */
    int64_t now;                /* fake clock */
};

/* A logged-in gateway with fresh HB and canary at time now. */
static void obs_good(struct fx *f)
{
    f->obs = (struct hamd_health_obs){
        .now_ns = f->now,
        .process_alive = true,
        .started_ns = LONG_AGO,
        .has_status = true,
        .status = HAMD_GW_LOGGED_IN,
        .status_since_ns = LONG_AGO,
        .last_hb_ns = f->now,
        .canary_in_session = true,
        .session_open_ns = LONG_AGO,
        .canary_tick_ns = f->now,
        .latency_ms = 10,
        .ticks = 5,
    };
}

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    hamd_health_params_default(&f.p);
    f.now = T0;
    f.h = hamd_health_new(&f.p, f.now);
    obs_good(&f);
    *state = &f;
    return f.h ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    hamd_health_destroy(&f->h);
    assert_null(f->h);
    return 0;
}

/* Advances the clock by one interval and runs a periodic check with the
 * current observation (its timestamps follow the clock when fresh). */
static struct hamd_health_result check(struct fx *f)
{
    struct hamd_health_result r;
    f->now += TICK_MS * MS;
    f->obs.now_ns = f->now;
    hamd_health_check(f->h, &f->obs, &r);
    return r;
}

/* A check where HB and canary are fresh (the common steady state). */
static struct hamd_health_result check_fresh(struct fx *f)
{
    f->obs.last_hb_ns = f->now + TICK_MS * MS;
    f->obs.canary_tick_ns = f->now + TICK_MS * MS;
    return check(f);
}

static struct hamd_health_result event(struct fx *f)
{
    struct hamd_health_result r;
    f->obs.now_ns = f->now;
    hamd_health_event(f->h, &f->obs, &r);
    return r;
}

static void make_healthy(struct fx *f)
{
    for (unsigned i = 0; i < f->p.recover_threshold; i++)
        check_fresh(f);
    assert_int_equal(hamd_health_state(f->h), HAMD_HEALTH_HEALTHY);
}

static void test_connecting_until_logged_in(void **state)
{
    struct fx *f = *state;
    f->obs.has_status = false;
    struct hamd_health_result r = check_fresh(f);
    assert_int_equal(r.state, HAMD_HEALTH_CONNECTING);
    assert_false(r.changed);
    f->obs.has_status = true;
    f->obs.status = HAMD_GW_CONNECTED;
    assert_int_equal(check_fresh(f).state, HAMD_HEALTH_CONNECTING);

    f->obs.status = HAMD_GW_LOGGED_IN;
    for (unsigned i = 1; i < f->p.recover_threshold; i++)
        assert_int_equal(check_fresh(f).state, HAMD_HEALTH_CONNECTING);
    r = check_fresh(f);
    assert_int_equal(r.prev, HAMD_HEALTH_CONNECTING);
    assert_int_equal(r.state, HAMD_HEALTH_HEALTHY);
    assert_true(r.changed);
    assert_int_equal(r.trigger, HAMD_TRIG_RECOVERED);
    assert_int_equal(hamd_health_since_ns(f->h), f->now);
    assert_int_equal(hamd_health_last_trigger(f->h), HAMD_TRIG_RECOVERED);
}

/* Breaks one soft check in f->obs, just past its threshold. */
typedef void (*breaker_fn)(struct fx *f, bool past);

static void break_hb(struct fx *f, bool past)
{
    f->obs.last_hb_ns = f->now + TICK_MS * MS -
                        (f->p.hb_timeout_ms + (past ? 1 : 0)) * MS;
}

static void break_canary(struct fx *f, bool past)
{
    f->obs.canary_tick_ns = f->now + TICK_MS * MS -
                            (f->p.canary_timeout_ms + (past ? 1 : 0)) * MS;
}

static void break_stale(struct fx *f, bool past)
{
    f->obs.stale_ms = f->p.stale_ms + (past ? 1 : 0);
}

static void break_latency(struct fx *f, bool past)
{
    f->obs.latency_ms = f->p.latency_ms + (past ? 1 : 0);
}

/* malformed_max is the first failing count: one below it passes. */
static void break_malformed(struct fx *f, bool past)
{
    f->obs.malformed = f->p.malformed_max - (past ? 0 : 1);
}

/* At the threshold the check passes; just past it, exactly fail_threshold
 * consecutive failures turn HEALTHY into UNHEALTHY with that trigger. */
static void soft_check_trips(struct fx *f, breaker_fn brk,
                             enum hamd_health_trigger trig)
{
    make_healthy(f);
    struct hamd_health_result r;
    for (int i = 0; i < 10; i++) {
        brk(f, false);
        r = check(f);
        assert_int_equal(r.failing, HAMD_TRIG_NONE);
        assert_int_equal(r.state, HAMD_HEALTH_HEALTHY);
    }
    uint64_t failed = hamd_health_counters(f->h)->failed_checks;
    for (unsigned i = 1; i < f->p.fail_threshold; i++) {
        brk(f, true);
        r = check(f);
        assert_int_equal(r.failing, trig);
        assert_int_equal(r.state, HAMD_HEALTH_HEALTHY);
    }
    brk(f, true);
    r = check(f);
    assert_true(r.changed);
    assert_int_equal(r.state, HAMD_HEALTH_UNHEALTHY);
    assert_int_equal(r.trigger, trig);
    assert_false(r.restart);
    assert_int_equal(hamd_health_counters(f->h)->failed_checks,
                     failed + f->p.fail_threshold);
}

static void test_hb_timeout(void **state)
{
    soft_check_trips(*state, break_hb, HAMD_TRIG_HB_TIMEOUT);
}

static void test_canary_timeout(void **state)
{
    soft_check_trips(*state, break_canary, HAMD_TRIG_CANARY_TIMEOUT);
}

static void test_stale(void **state)
{
    soft_check_trips(*state, break_stale, HAMD_TRIG_STALE);
}

static void test_latency(void **state)
{
    soft_check_trips(*state, break_latency, HAMD_TRIG_LATENCY);
}

static void test_malformed(void **state)
{
    soft_check_trips(*state, break_malformed, HAMD_TRIG_MALFORMED);
}

static void test_malformed_zero_disables(void **state)
{
    struct fx *f = *state;
    hamd_health_destroy(&f->h);
    f->p.malformed_max = 0;
    f->h = hamd_health_new(&f->p, f->now);
    make_healthy(f);
    f->obs.malformed = 1000;
    for (int i = 0; i < 10; i++)
        assert_int_equal(check_fresh(f).failing, HAMD_TRIG_NONE);
    assert_string_equal(hamd_health_trigger_name(HAMD_TRIG_MALFORMED), "malformed");
}

static void test_first_failing_check_is_reported(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    break_stale(f, true);
    break_latency(f, true);
    assert_int_equal(check_fresh(f).failing, HAMD_TRIG_STALE);
    break_hb(f, true);
    assert_int_equal(check(f).failing, HAMD_TRIG_HB_TIMEOUT);
}

static void test_canary_ignored_out_of_session(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.canary_in_session = false;
    f->obs.canary_tick_ns = 0; /* silent all night */
    for (int i = 0; i < 20; i++) {
        f->obs.last_hb_ns = f->now;
        assert_int_equal(check(f).failing, HAMD_TRIG_NONE);
    }
    assert_int_equal(hamd_health_state(f->h), HAMD_HEALTH_HEALTHY);
}

static void test_canary_grace_after_session_open(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    /* last canary tick long ago (last night); the session opens now */
    f->obs.canary_tick_ns = LONG_AGO;
    f->obs.session_open_ns = f->now;
    int64_t open = f->now;
    while (f->now + TICK_MS * MS - open <=
           (int64_t)f->p.canary_timeout_ms * MS) {
        f->obs.last_hb_ns = f->now + TICK_MS * MS;
        assert_int_equal(check(f).failing, HAMD_TRIG_NONE);
    }
    f->obs.last_hb_ns = f->now + TICK_MS * MS;
    assert_int_equal(check(f).failing, HAMD_TRIG_CANARY_TIMEOUT);
}

static void test_canary_grace_after_login(void **state)
{
    struct fx *f = *state;
    f->now += 60 * HAMD_NS_PER_S;
    f->obs.canary_tick_ns = 0;
    f->obs.status_since_ns = f->now; /* just logged in */
    f->obs.last_hb_ns = f->now + TICK_MS * MS;
    assert_int_equal(check(f).failing, HAMD_TRIG_NONE);
    f->now += f->p.canary_timeout_ms * MS;
    f->obs.last_hb_ns = f->now + TICK_MS * MS;
    assert_int_equal(check(f).failing, HAMD_TRIG_CANARY_TIMEOUT);
}

static void test_hb_grace_after_launch(void **state)
{
    struct fx *f = *state;
    f->obs.last_hb_ns = 0; /* no HB from this process yet */
    f->obs.started_ns = f->now;
    f->obs.canary_in_session = false;
    while (f->now + TICK_MS * MS - f->obs.started_ns <=
           (int64_t)f->p.hb_timeout_ms * MS)
        assert_int_equal(check(f).failing, HAMD_TRIG_NONE);
    assert_int_equal(check(f).failing, HAMD_TRIG_HB_TIMEOUT);
}

static void test_latency_ignored_without_ticks(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    break_latency(f, true);
    f->obs.ticks = 0; /* an old EWMA is no measurement */
    for (int i = 0; i < 10; i++)
        assert_int_equal(check_fresh(f).failing, HAMD_TRIG_NONE);
}

static void test_zero_disables_stale_and_latency(void **state)
{
    struct fx *f = *state;
    hamd_health_destroy(&f->h);
    f->p.stale_ms = 0;
    f->p.latency_ms = 0;
    f->h = hamd_health_new(&f->p, f->now);
    make_healthy(f);
    f->obs.stale_ms = 1000000;
    f->obs.latency_ms = 1000000;
    for (int i = 0; i < 10; i++)
        assert_int_equal(check_fresh(f).failing, HAMD_TRIG_NONE);
}

/* Five times one stale check short of fail_threshold, then a good one:
 * each good check ends the streak, so the source stays HEALTHY. */
static void stale_streaks_end(struct fx *f)
{
    for (int round = 0; round < 5; round++) {
        for (unsigned i = 1; i < f->p.fail_threshold; i++) {
            break_stale(f, true);
            assert_int_equal(check_fresh(f).state, HAMD_HEALTH_HEALTHY);
        }
        f->obs.stale_ms = 0;
        assert_int_equal(check_fresh(f).state, HAMD_HEALTH_HEALTHY);
    }
}

static void test_good_check_resets_failures(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    stale_streaks_end(f);
    for (unsigned i = 0; i < f->p.fail_threshold; i++) {
        break_stale(f, true);
        check_fresh(f);
    }
    assert_int_equal(hamd_health_state(f->h), HAMD_HEALTH_UNHEALTHY);
}

/* One burst of a front that sends every 300 ms: a check with the burst
 * (bad: malformed messages among its ticks, or good), then two checks with
 * nothing at all. Returns the state after the burst's check. */
static enum hamd_health_state burst(struct fx *f, bool garbage)
{
    f->obs.ticks = 40;
    f->obs.malformed = garbage ? 3 : 0;
    enum hamd_health_state s = check_fresh(f).state;
    f->obs.ticks = 0;
    f->obs.malformed = 0;
    check_fresh(f);
    check_fresh(f);
    return s;
}

static void test_garbage_in_every_burst_is_unhealthy(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    /* The quiet checks between bursts do not break the failing streak. */
    for (unsigned i = 1; i < f->p.fail_threshold; i++)
        assert_int_equal(burst(f, true), HAMD_HEALTH_HEALTHY);
    assert_int_equal(burst(f, true), HAMD_HEALTH_UNHEALTHY);
    /* Nor do they count as good: still garbage, still UNHEALTHY... */
    for (int i = 0; i < 10; i++)
        assert_int_equal(burst(f, true), HAMD_HEALTH_UNHEALTHY);
    /* ...and a good burst with its quiet checks after it counts three. */
    assert_int_equal(burst(f, false), HAMD_HEALTH_UNHEALTHY);
    assert_int_equal(check_fresh(f).state, HAMD_HEALTH_UNHEALTHY);
    assert_int_equal(check_fresh(f).state, HAMD_HEALTH_HEALTHY);
}

static void test_one_bad_burst_is_forgotten_by_a_good_one(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    for (int i = 0; i < 20; i++) {
        for (unsigned j = 1; j < f->p.fail_threshold; j++)
            assert_int_equal(burst(f, true), HAMD_HEALTH_HEALTHY);
        assert_int_equal(burst(f, false), HAMD_HEALTH_HEALTHY);
    }
}

static void test_quiet_checks_still_end_other_failures(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    /* A stale streak is about the source's state, not its messages: a
     * quiet check that passes ends it, as before. */
    f->obs.ticks = 0;
    stale_streaks_end(f);
}

static void make_unhealthy(struct fx *f)
{
    make_healthy(f);
    for (unsigned i = 0; i < f->p.fail_threshold; i++) {
        break_stale(f, true);
        check_fresh(f);
    }
    assert_int_equal(hamd_health_state(f->h), HAMD_HEALTH_UNHEALTHY);
    f->obs.stale_ms = 0;
}

static void test_recover_after_exactly_threshold(void **state)
{
    struct fx *f = *state;
    make_unhealthy(f);
    /* a bad check in the middle starts the count over */
    for (unsigned i = 1; i < f->p.recover_threshold; i++)
        assert_int_equal(check_fresh(f).state, HAMD_HEALTH_UNHEALTHY);
    break_stale(f, true);
    assert_int_equal(check_fresh(f).state, HAMD_HEALTH_UNHEALTHY);
    f->obs.stale_ms = 0;
    for (unsigned i = 1; i < f->p.recover_threshold; i++)
        assert_int_equal(check_fresh(f).state, HAMD_HEALTH_UNHEALTHY);
    struct hamd_health_result r = check_fresh(f);
    assert_int_equal(r.prev, HAMD_HEALTH_UNHEALTHY);
    assert_int_equal(r.state, HAMD_HEALTH_HEALTHY);
    assert_int_equal(r.trigger, HAMD_TRIG_RECOVERED);
}

static void test_disconnect_is_immediate(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    uint64_t checks = hamd_health_counters(f->h)->checks;
    f->obs.status = HAMD_GW_DISCONNECTED;
    struct hamd_health_result r = event(f);
    assert_true(r.changed);
    assert_int_equal(r.state, HAMD_HEALTH_DISCONNECTED);
    assert_int_equal(r.trigger, HAMD_TRIG_DISCONNECTED);
    assert_false(r.restart);
    /* an event is no periodic check */
    assert_int_equal(hamd_health_counters(f->h)->checks, checks);
    /* the next periodic check agrees and reports no new change */
    r = check_fresh(f);
    assert_int_equal(r.state, HAMD_HEALTH_DISCONNECTED);
    assert_false(r.changed);
    assert_int_equal(r.trigger, HAMD_TRIG_NONE);
}

static void test_gateway_error_is_immediate(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.status = HAMD_GW_ERROR;
    struct hamd_health_result r = event(f);
    assert_int_equal(r.state, HAMD_HEALTH_DISCONNECTED);
    assert_int_equal(r.trigger, HAMD_TRIG_GATEWAY_ERROR);
}

static void test_lost_login_is_a_disconnect(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.status = HAMD_GW_CONNECTING; /* reconnecting on its own */
    struct hamd_health_result r = event(f);
    assert_int_equal(r.state, HAMD_HEALTH_DISCONNECTED);
    assert_int_equal(r.trigger, HAMD_TRIG_DISCONNECTED);
}

static void test_event_ignores_soft_checks(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    for (int i = 0; i < 10; i++) {
        break_stale(f, true);
        struct hamd_health_result r = event(f);
        assert_false(r.changed);
        assert_int_equal(r.failing, HAMD_TRIG_NONE);
    }
    assert_int_equal(hamd_health_state(f->h), HAMD_HEALTH_HEALTHY);
}

static void test_reconnect_recovers(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.status = HAMD_GW_DISCONNECTED;
    event(f);
    f->obs.status = HAMD_GW_CONNECTING;
    assert_int_equal(check_fresh(f).state, HAMD_HEALTH_DISCONNECTED);
    f->obs.status = HAMD_GW_LOGGED_IN;
    f->obs.status_since_ns = f->now;
    for (unsigned i = 1; i < f->p.recover_threshold; i++)
        assert_int_equal(check_fresh(f).state, HAMD_HEALTH_DISCONNECTED);
    struct hamd_health_result r = check_fresh(f);
    assert_int_equal(r.state, HAMD_HEALTH_HEALTHY);
    assert_int_equal(r.trigger, HAMD_TRIG_RECOVERED);
}

static void test_process_exit(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.process_alive = false;
    struct hamd_health_result r = event(f);
    assert_int_equal(r.state, HAMD_HEALTH_DISCONNECTED);
    assert_int_equal(r.trigger, HAMD_TRIG_PROCESS_EXIT);
    /* the supervisor schedules the relaunch */
    f->obs.restart_pending = true;
    r = event(f);
    assert_int_equal(r.state, HAMD_HEALTH_RESTARTING);
    assert_int_equal(r.trigger, HAMD_TRIG_PROCESS_EXIT);
    /* relaunched: a fresh process without STATUS yet */
    f->obs.restart_pending = false;
    f->obs.process_alive = true;
    f->obs.has_status = false;
    f->obs.started_ns = f->now;
    r = check_fresh(f);
    assert_int_equal(r.state, HAMD_HEALTH_CONNECTING);
    assert_int_equal(r.trigger, HAMD_TRIG_CONNECTING);
}

static void test_exit_with_relaunch_pending(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.process_alive = false;
    f->obs.restart_pending = true;
    struct hamd_health_result r = event(f);
    assert_int_equal(r.state, HAMD_HEALTH_RESTARTING);
    assert_int_equal(r.trigger, HAMD_TRIG_PROCESS_EXIT);
}

static void test_restart_due_after_restart_after(void **state)
{
    struct fx *f = *state;
    make_unhealthy(f);
    int64_t down = f->now;
    uint64_t changes = hamd_health_counters(f->h)->state_changes;
    struct hamd_health_result r;
    for (;;) {
        break_stale(f, true);
        if (f->now + TICK_MS * MS - down >=
            (int64_t)f->p.restart_after_ms * MS)
            break;
        r = check_fresh(f);
        assert_false(r.restart);
        assert_int_equal(r.state, HAMD_HEALTH_UNHEALTHY);
    }
    r = check_fresh(f);
    assert_int_equal(f->now - down, (int64_t)f->p.restart_after_ms * MS);
    assert_true(r.restart);
    assert_int_equal(r.state, HAMD_HEALTH_RESTARTING);
    assert_int_equal(r.trigger, HAMD_TRIG_HARD_RESTART);
    assert_int_equal(hamd_health_counters(f->h)->hard_restarts, 1);
    assert_int_equal(hamd_health_counters(f->h)->state_changes, changes + 1);
    /* the shell kills: no second decision while that is under way */
    f->obs.restart_pending = true;
    r = check_fresh(f);
    assert_false(r.restart);
    assert_int_equal(r.state, HAMD_HEALTH_RESTARTING);
}

static void test_restart_when_disconnected_but_alive(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.status = HAMD_GW_DISCONNECTED;
    event(f);
    int64_t down = f->now;
    struct hamd_health_result r;
    do {
        r = check_fresh(f);
    } while (!r.restart && f->now - down < 60 * HAMD_NS_PER_S);
    assert_true(r.restart);
    assert_int_equal(f->now - down, (int64_t)f->p.restart_after_ms * MS);
}

/* A gateway that said STATUS error (a refused login) is never restarted
 * by the timers: each restart would log in again with the same params and
 * brokers lock an account after a few failed logins. */
static void test_error_is_held_not_restarted(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.status = HAMD_GW_ERROR;
    struct hamd_health_result r = event(f);
    assert_true(r.held);
    int64_t down = f->now;
    while (f->now - down < 10 * (int64_t)f->p.restart_after_ms * MS) {
        r = check_fresh(f);
        assert_false(r.restart);
        assert_true(r.held);
        assert_int_equal(r.state, HAMD_HEALTH_DISCONNECTED);
    }
    assert_int_equal(hamd_health_counters(f->h)->hard_restarts, 0);
}

/* Neither does connect_timeout restart one that said error before it ever
 * logged in, nor outside sessions. */
static void test_error_before_login_is_held(void **state)
{
    struct fx *f = *state;
    f->obs.status = HAMD_GW_ERROR;
    f->obs.closed = true;
    int64_t t0 = f->now;
    int64_t span = 2 * (int64_t)(f->p.connect_timeout_ms +
                                 f->p.closed_restart_after_ms) * MS;
    while (f->now - t0 < span) {
        struct hamd_health_result r = check_fresh(f);
        assert_false(r.restart);
        assert_int_equal(r.state, HAMD_HEALTH_DISCONNECTED);
    }
}

/* The process exits after its STATUS error: held (the shell does not
 * relaunch it); the next launch (no STATUS yet) ends the hold; an
 * operator's stop is no hold. */
static void test_hold_survives_exit_until_launch(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.status = HAMD_GW_ERROR;
    event(f);
    f->obs.process_alive = false;
    struct hamd_health_result r = event(f);
    assert_true(r.held);
    assert_int_equal(r.state, HAMD_HEALTH_DISCONNECTED);
    assert_false(r.restart);
    assert_true(hamd_health_holds(true, HAMD_GW_ERROR));
    f->obs.stopped = true;
    assert_false(event(f).held);
    f->obs.stopped = false;
    f->obs.process_alive = true;
    f->obs.has_status = false; /* launched again */
    r = check_fresh(f);
    assert_false(r.held);
    assert_false(hamd_health_holds(false, HAMD_GW_ERROR));
    /* disconnected stays what it was: a restart may help */
    assert_false(hamd_health_holds(true, HAMD_GW_DISCONNECTED));
}

static void test_restart_clock_spans_unhealthy_and_disconnected(void **state)
{
    struct fx *f = *state;
    make_unhealthy(f);
    int64_t down = f->now;
    f->obs.status = HAMD_GW_DISCONNECTED;
    event(f);                       /* UNHEALTHY -> DISCONNECTED */
    f->obs.status = HAMD_GW_LOGGED_IN; /* back, but still failing */
    struct hamd_health_result r;
    do {
        break_stale(f, true);
        r = check_fresh(f);
    } while (!r.restart && f->now - down < 60 * HAMD_NS_PER_S);
    assert_true(r.restart);
    assert_int_equal(f->now - down, (int64_t)f->p.restart_after_ms * MS);
}

static void test_no_restart_while_recovering(void **state)
{
    struct fx *f = *state;
    hamd_health_destroy(&f->h);
    f->p.recover_threshold = 100; /* slow recovery */
    f->h = hamd_health_new(&f->p, f->now);
    make_healthy(f);
    for (unsigned i = 0; i < f->p.fail_threshold; i++) {
        break_stale(f, true);
        check_fresh(f);
    }
    f->obs.stale_ms = 0;
    for (int i = 0; i < 80; i++) { /* 8 s of good checks */
        struct hamd_health_result r = check_fresh(f);
        assert_false(r.restart);
        assert_int_equal(r.state, HAMD_HEALTH_UNHEALTHY);
    }
    break_stale(f, true); /* flaps: now it is due */
    assert_true(check_fresh(f).restart);
}

static void test_restart_after_zero_disables(void **state)
{
    struct fx *f = *state;
    hamd_health_destroy(&f->h);
    f->p.restart_after_ms = 0;
    f->h = hamd_health_new(&f->p, f->now);
    make_unhealthy(f);
    for (int i = 0; i < 600; i++) {
        break_stale(f, true);
        assert_false(check_fresh(f).restart);
    }
}

static void test_connect_timeout(void **state)
{
    struct fx *f = *state;
    f->obs.has_status = true;
    f->obs.status = HAMD_GW_CONNECTING; /* never logs in */
    struct hamd_health_result r;
    do {
        r = check_fresh(f);
    } while (!r.restart && f->now - T0 < 120 * HAMD_NS_PER_S);
    assert_true(r.restart);
    assert_int_equal(r.trigger, HAMD_TRIG_CONNECT_TIMEOUT);
    assert_int_equal(f->now - T0, (int64_t)f->p.connect_timeout_ms * MS);
}

/* Periodic checks until one orders a restart or limit_s pass; returns the
 * last result and the ms it took from `since` in *after_ms. */
static struct hamd_health_result until_restart(struct fx *f, int64_t since,
                                               int limit_s, int64_t *after_ms)
{
    struct hamd_health_result r;
    do {
        r = check_fresh(f);
    } while (!r.restart && f->now - since < limit_s * HAMD_NS_PER_S);
    *after_ms = (f->now - since) / MS;
    return r;
}

/* A HEALTHY gateway outside every session whose front closes. */
static void closed_and_disconnected(struct fx *f)
{
    make_healthy(f);
    f->obs.closed = true;
    f->obs.status = HAMD_GW_DISCONNECTED;
    event(f);
}

/* Outside every session (a front closed at night): a disconnected gateway
 * is restarted after closed_restart_after_ms, not restart_after_ms, and
 * again only that much later: no storm. */
static void test_closed_restart_waits_longer(void **state)
{
    struct fx *f = *state;
    closed_and_disconnected(f);
    int64_t after_ms;
    assert_true(until_restart(f, f->now, 3600, &after_ms).restart);
    assert_int_equal(after_ms, f->p.closed_restart_after_ms);
    /* relaunched; logs in, front still closed: disconnected again */
    f->obs.has_status = false;
    f->obs.restart_pending = false;
    f->obs.started_ns = f->now;
    check_fresh(f);
    f->obs.has_status = true;
    f->obs.status_since_ns = f->now;
    event(f);
    assert_true(until_restart(f, f->now, 3600, &after_ms).restart);
    assert_true(after_ms >= f->p.closed_restart_after_ms);
}

/* Never logging in outside sessions: the connect timeout waits as long. */
static void test_closed_connect_timeout_waits_longer(void **state)
{
    struct fx *f = *state;
    f->obs.closed = true;
    f->obs.has_status = true;
    f->obs.status = HAMD_GW_CONNECTING;
    int64_t after_ms;
    struct hamd_health_result r = until_restart(f, T0, 3600, &after_ms);
    assert_int_equal(r.trigger, HAMD_TRIG_CONNECT_TIMEOUT);
    assert_int_equal(after_ms, f->p.closed_restart_after_ms);
}

/* closed_restart_after_ms 0, or in session: restart_after_ms as ever. */
static void test_closed_zero_restarts_as_in_session(void **state)
{
    struct fx *f = *state;
    hamd_health_destroy(&f->h);
    f->p.closed_restart_after_ms = 0;
    f->h = hamd_health_new(&f->p, f->now);
    closed_and_disconnected(f);
    int64_t after_ms;
    assert_true(until_restart(f, f->now, 60, &after_ms).restart);
    assert_int_equal(after_ms, f->p.restart_after_ms);
}

/* The session opens (closed goes false) while it is down: the usual
 * restart_after_ms, counted from when it went down, applies at once. */
static void test_restart_at_once_when_session_nears(void **state)
{
    struct fx *f = *state;
    closed_and_disconnected(f);
    for (int i = 0; i < 100; i++) /* 10 s down, closed: no restart */
        assert_false(check_fresh(f).restart);
    f->obs.closed = false;
    assert_true(check_fresh(f).restart);
}

static void test_no_restart_when_not_alive_or_stopped(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.process_alive = false;
    for (int i = 0; i < 100; i++)
        assert_false(check_fresh(f).restart);
    assert_int_equal(hamd_health_state(f->h), HAMD_HEALTH_DISCONNECTED);
    f->obs.stopped = true;
    struct hamd_health_result r = check_fresh(f);
    assert_int_equal(r.state, HAMD_HEALTH_STOPPED);
    assert_int_equal(r.trigger, HAMD_TRIG_STOPPED);
    for (int i = 0; i < 100; i++)
        assert_false(check_fresh(f).restart);
}

static void test_stopped_then_started(void **state)
{
    struct fx *f = *state;
    make_healthy(f);
    f->obs.stopped = true;
    f->obs.process_alive = false;
    assert_int_equal(event(f).state, HAMD_HEALTH_STOPPED);
    f->obs.stopped = false;
    f->obs.process_alive = true;
    f->obs.has_status = false;
    f->obs.started_ns = f->now;
    assert_int_equal(check_fresh(f).state, HAMD_HEALTH_CONNECTING);
    f->obs.has_status = true;
    f->obs.status_since_ns = f->now;
    make_healthy(f);
}

static void test_backoff_function(void **state)
{
    (void)state;
    assert_int_equal(hamd_health_backoff_delay_ms(200, 30000, 0), 200);
    assert_int_equal(hamd_health_backoff_delay_ms(200, 30000, 1), 400);
    assert_int_equal(hamd_health_backoff_delay_ms(200, 30000, 2), 800);
    assert_int_equal(hamd_health_backoff_delay_ms(200, 30000, 7), 25600);
    assert_int_equal(hamd_health_backoff_delay_ms(200, 30000, 8), 30000);
    assert_int_equal(hamd_health_backoff_delay_ms(200, 30000, 1000000), 30000);
    assert_int_equal(hamd_health_backoff_delay_ms(1, 0xFFFFFFFFu, 40), 0xFFFFFFFFu);
    assert_int_equal(hamd_health_backoff_delay_ms(500, 100, 0), 100);
}

static void test_relaunch_backoff_doubles_caps_and_resets(void **state)
{
    struct fx *f = *state;
    unsigned expect = f->p.backoff_min_ms;
    for (int i = 0; i < 12; i++) {
        assert_int_equal(hamd_health_relaunch_delay_ms(f->h), expect);
        expect = expect * 2 > f->p.backoff_max_ms ? f->p.backoff_max_ms
                                                  : expect * 2;
    }
    assert_int_equal(hamd_health_counters(f->h)->relaunches, 12);
    /* HEALTHY, but not for long enough: no reset */
    make_healthy(f);
    int64_t healthy = f->now;
    while (f->now + TICK_MS * MS - healthy <
           (int64_t)f->p.backoff_reset_ms * MS)
        check_fresh(f);
    assert_int_equal(hamd_health_relaunch_delay_ms(f->h),
                     f->p.backoff_max_ms);
    /* the check at exactly backoff_reset_ms of HEALTHY resets it */
    check_fresh(f);
    assert_int_equal(f->now - healthy, (int64_t)f->p.backoff_reset_ms * MS);
    assert_int_equal(hamd_health_relaunch_delay_ms(f->h),
                     f->p.backoff_min_ms);
    assert_int_equal(hamd_health_relaunch_delay_ms(f->h),
                     2 * f->p.backoff_min_ms);
}

static void test_params(void **state)
{
    (void)state;
    struct hamd_health_params p;
    char err[128];
    hamd_health_params_default(&p);
    assert_int_equal(p.fail_threshold, 3);
    assert_int_equal(p.recover_threshold, 5);
    assert_int_equal(p.hb_timeout_ms, 3000);
    assert_int_equal(p.canary_timeout_ms, 5000);
    assert_int_equal(p.stale_ms, 1000);
    assert_int_equal(p.latency_ms, 2000);
    assert_int_equal(p.restart_after_ms, 5000);
    assert_int_equal(p.closed_restart_after_ms, 600000);
    assert_true(hamd_health_params_check(&p, err, sizeof err));

    struct hamd_health_params bad = p;
    bad.fail_threshold = 0;
    assert_false(hamd_health_params_check(&bad, err, sizeof err));
    assert_non_null(strstr(err, "fail_threshold"));
    assert_null(hamd_health_new(&bad, 0));
    bad = p;
    bad.recover_threshold = 0;
    assert_false(hamd_health_params_check(&bad, err, sizeof err));
    bad = p;
    bad.backoff_max_ms = bad.backoff_min_ms - 1;
    assert_false(hamd_health_params_check(&bad, err, sizeof err));
    assert_non_null(strstr(err, "backoff"));
    assert_false(hamd_health_params_check(NULL, NULL, 0));
    assert_null(hamd_health_new(NULL, 0));
}

static void test_names(void **state)
{
    (void)state;
    static const char *const states[] = {"CONNECTING", "HEALTHY",
                                         "UNHEALTHY",  "DISCONNECTED",
                                         "RESTARTING", "STOPPED"};
    for (int i = 0; i < HAMD_HEALTH_N_STATES; i++)
        assert_string_equal(hamd_health_state_name(i), states[i]);
    assert_string_equal(hamd_health_state_name(99), "UNKNOWN");
    assert_string_equal(hamd_health_trigger_name(HAMD_TRIG_PROCESS_EXIT),
                        "process_exit");
    assert_string_equal(hamd_health_trigger_name(HAMD_TRIG_HB_TIMEOUT),
                        "heartbeat_timeout");
    assert_string_equal(hamd_health_trigger_name(HAMD_TRIG_CANARY_TIMEOUT),
                        "canary_timeout");
    assert_string_equal(hamd_health_trigger_name(HAMD_TRIG_STOPPED),
                        "stopped");
    assert_string_equal(hamd_health_trigger_name(99), "unknown");
}

static void test_null_is_harmless(void **state)
{
    struct fx *f = *state;
    struct hamd_health_result r;
    hamd_health_check(NULL, &f->obs, &r);
    hamd_health_check(f->h, NULL, &r);
    hamd_health_event(f->h, &f->obs, NULL);
    hamd_health_destroy(NULL);
    struct hamd_health *none = NULL;
    hamd_health_destroy(&none);
    assert_int_equal(hamd_health_state(f->h), HAMD_HEALTH_CONNECTING);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_connecting_until_logged_in),
        T(test_hb_timeout),
        T(test_canary_timeout),
        T(test_stale),
        T(test_latency),
        T(test_malformed),
        T(test_garbage_in_every_burst_is_unhealthy),
        T(test_one_bad_burst_is_forgotten_by_a_good_one),
        T(test_quiet_checks_still_end_other_failures),
        T(test_malformed_zero_disables),
        T(test_first_failing_check_is_reported),
        T(test_canary_ignored_out_of_session),
        T(test_canary_grace_after_session_open),
        T(test_canary_grace_after_login),
        T(test_hb_grace_after_launch),
        T(test_latency_ignored_without_ticks),
        T(test_zero_disables_stale_and_latency),
        T(test_good_check_resets_failures),
        T(test_recover_after_exactly_threshold),
        T(test_disconnect_is_immediate),
        T(test_gateway_error_is_immediate),
        T(test_lost_login_is_a_disconnect),
        T(test_event_ignores_soft_checks),
        T(test_reconnect_recovers),
        T(test_process_exit),
        T(test_exit_with_relaunch_pending),
        T(test_restart_due_after_restart_after),
        T(test_error_is_held_not_restarted),
        T(test_error_before_login_is_held),
        T(test_hold_survives_exit_until_launch),
        T(test_restart_when_disconnected_but_alive),
        T(test_restart_clock_spans_unhealthy_and_disconnected),
        T(test_no_restart_while_recovering),
        T(test_restart_after_zero_disables),
        T(test_closed_restart_waits_longer),
        T(test_closed_connect_timeout_waits_longer),
        T(test_closed_zero_restarts_as_in_session),
        T(test_restart_at_once_when_session_nears),
        T(test_connect_timeout),
        T(test_no_restart_when_not_alive_or_stopped),
        T(test_stopped_then_started),
        T(test_backoff_function),
        T(test_relaunch_backoff_doubles_caps_and_resets),
        T(test_params),
        T(test_names),
        T(test_null_is_harmless),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
