/* Arbiter: routing, newer-than-last guard and replay window, fake time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/arbiter.h"

#define MS 1000000LL

static const struct hamd_arb_limits LIMITS = {.window_ns = 3000 * MS,
                                              .depth = 8};

static struct hamd_tick tick_at(int64_t dt_ms, double volume)
{
    struct hamd_tick t;
    memset(&t, 0, sizeof t);
    strcpy(t.symbol, "rb2601");
    strcpy(t.exchange, "SHFE");
    strcpy(t.vt_symbol, "rb2601.SHFE");
    t.datetime_ns = dt_ms * MS;
    t.volume = volume;
    return t;
}

/* Records what a switch or flush replays, and publishes it. */
struct replay_log {
    struct hamd_arb_contract *c;
    unsigned n;
    int64_t dt_ms[64];
};

static void record(void *ud, const struct hamd_tick *t)
{
    struct replay_log *log = ud;
    log->dt_ms[log->n++] = t->datetime_ns / MS;
    hamd_arb_published(log->c, t);
}

static void publish_if_ok(struct hamd_arb_contract *c, int src, int64_t dt_ms,
                          double vol, int64_t now_ms,
                          enum hamd_arb_verdict expect)
{
    struct hamd_tick t = tick_at(dt_ms, vol);
    enum hamd_arb_verdict v = hamd_arb_offer(c, &LIMITS, src, &t, now_ms * MS);
    assert_int_equal(v, expect);
    if (v == HAMD_ARB_PUBLISH)
        hamd_arb_published(c, &t);
}

static void test_no_active_source_keeps(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    publish_if_ok(&c, 0, 1000, 1, 0, HAMD_ARB_KEPT);
    struct replay_log log = {&c, 0, {0}};
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 0, 10 * MS, record, &log), 1);
    assert_int_equal(log.dt_ms[0], 1000);
    publish_if_ok(&c, 0, 1001, 2, 11, HAMD_ARB_PUBLISH);
    hamd_arb_contract_release(&c);
}

static void test_guard_drops_duplicates_and_backward(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    struct replay_log log = {&c, 0, {0}};
    hamd_arb_switch(&c, &LIMITS, 0, 0, record, &log);
    publish_if_ok(&c, 0, 1000, 10, 0, HAMD_ARB_PUBLISH);
    publish_if_ok(&c, 0, 1000, 10, 1, HAMD_ARB_STALE);   /* duplicate */
    publish_if_ok(&c, 0, 999, 20, 2, HAMD_ARB_STALE);    /* time backwards */
    publish_if_ok(&c, 0, 1000, 11, 3, HAMD_ARB_PUBLISH); /* same ms, more vol */
    publish_if_ok(&c, 0, 1000, 11, 4, HAMD_ARB_STALE);
    publish_if_ok(&c, 0, 1001, 5, 5, HAMD_ARB_PUBLISH);  /* later time wins */
    /* A backup's tick that is already old is not even kept. */
    publish_if_ok(&c, 1, 1001, 5, 6, HAMD_ARB_STALE);
    hamd_arb_contract_release(&c);
}

static void test_switch_replays_gap_in_order_without_duplicates(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    struct replay_log log = {&c, 0, {0}};
    hamd_arb_switch(&c, &LIMITS, 0, 0, record, &log);
    /* Both sources see ticks 1..3; the primary stalls after 2. */
    for (int n = 1; n <= 3; n++) {
        if (n <= 2)
            publish_if_ok(&c, 0, 1000 + n, n, n, HAMD_ARB_PUBLISH);
        publish_if_ok(&c, 1, 1000 + n, n, n, n <= 2 ? HAMD_ARB_STALE
                                                     : HAMD_ARB_KEPT);
    }
    publish_if_ok(&c, 1, 1004, 4, 4, HAMD_ARB_KEPT);
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 1, 5 * MS, record, &log), 2);
    assert_int_equal(log.dt_ms[0], 1003);
    assert_int_equal(log.dt_ms[1], 1004);
    publish_if_ok(&c, 1, 1004, 4, 6, HAMD_ARB_STALE);
    publish_if_ok(&c, 1, 1005, 5, 7, HAMD_ARB_PUBLISH);
    /* The old primary coming back late is now a backup whose ticks are old. */
    publish_if_ok(&c, 0, 1003, 3, 8, HAMD_ARB_STALE);
    hamd_arb_contract_release(&c);
}

static void test_window_drops_old_ticks(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    publish_if_ok(&c, 1, 1000, 1, 0, HAMD_ARB_KEPT);
    publish_if_ok(&c, 1, 1001, 2, 2500, HAMD_ARB_KEPT);
    struct replay_log log = {&c, 0, {0}};
    /* At 4 s the first tick (received at 0) is out of the 3 s window. */
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 1, 4000 * MS, record, &log), 1);
    assert_int_equal(log.dt_ms[0], 1001);
    hamd_arb_contract_release(&c);
}

static void test_depth_keeps_newest(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    struct replay_log first = {&c, 0, {0}};
    hamd_arb_switch(&c, &LIMITS, 0, 0, record, &first);
    publish_if_ok(&c, 0, 999, 0.5, 0, HAMD_ARB_PUBLISH);
    for (int n = 0; n < 20; n++)
        publish_if_ok(&c, 2, 1000 + n, n + 1, n, HAMD_ARB_KEPT);
    assert_true(c.rings[2]->cap >= LIMITS.depth);
    struct replay_log log = {&c, 0, {0}};
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 2, 30 * MS, record, &log),
                     LIMITS.depth);
    assert_int_equal(log.dt_ms[0], 1000 + 20 - (int64_t)LIMITS.depth);
    assert_int_equal(log.dt_ms[LIMITS.depth - 1], 1019);
    hamd_arb_contract_release(&c);
}

static void test_bad_source_and_zero_depth(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    struct hamd_tick t = tick_at(1, 1);
    assert_int_equal(hamd_arb_offer(&c, &LIMITS, -3, &t, 0), HAMD_ARB_DROPPED);
    assert_int_equal(hamd_arb_offer(&c, &LIMITS, HAMD_ARB_MAX_SOURCES, &t, 0),
                     HAMD_ARB_DROPPED);
    const struct hamd_arb_limits none = {.window_ns = 1, .depth = 0};
    assert_int_equal(hamd_arb_offer(&c, &none, 1, &t, 0), HAMD_ARB_DROPPED);
    assert_int_equal(hamd_arb_contract_bytes(&c), 0);
    hamd_arb_contract_release(&c);
}

static void test_forget_source(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    publish_if_ok(&c, 1, 1000, 1, 0, HAMD_ARB_KEPT);
    hamd_arb_forget_source(&c, 1);
    struct replay_log log = {&c, 0, {0}};
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 1, 1 * MS, record, &log), 0);
    hamd_arb_contract_release(&c);
}

static void test_hold_then_flush_loses_nothing(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    struct replay_log log = {&c, 0, {0}};
    hamd_arb_switch(&c, &LIMITS, 0, 0, record, &log);
    publish_if_ok(&c, 0, 1000, 1, 0, HAMD_ARB_PUBLISH);
    /* Lease lapse: the active source's ticks are held, not published. */
    for (int n = 1; n <= 3; n++) {
        struct hamd_tick t = tick_at(1000 + n, 1 + n);
        assert_int_equal(hamd_arb_hold(&c, &LIMITS, 0, &t, n * MS), HAMD_ARB_KEPT);
    }
    struct hamd_tick old = tick_at(1000, 1);
    assert_int_equal(hamd_arb_hold(&c, &LIMITS, 0, &old, 4 * MS), HAMD_ARB_STALE);
    /* The guard did not move: the held ticks are still "new". */
    publish_if_ok(&c, 1, 1001, 2, 5, HAMD_ARB_KEPT);
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 6 * MS, record, &log), 3);
    assert_int_equal(log.dt_ms[0], 1001);
    assert_int_equal(log.dt_ms[2], 1003);
    publish_if_ok(&c, 0, 1003, 4, 7, HAMD_ARB_STALE);
    publish_if_ok(&c, 0, 1004, 5, 8, HAMD_ARB_PUBLISH);
    hamd_arb_contract_release(&c);
}

static void test_switch_without_emit_defers_to_flush(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    struct replay_log log = {&c, 0, {0}};
    publish_if_ok(&c, 1, 3000, 1, 0, HAMD_ARB_KEPT);
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 1, 1 * MS, NULL, NULL), 0);
    assert_int_equal(c.active, 1);
    struct hamd_tick t = tick_at(3001, 2);
    assert_int_equal(hamd_arb_hold(&c, &LIMITS, 1, &t, 2 * MS), HAMD_ARB_KEPT);
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 3 * MS, record, &log), 2);
    assert_int_equal(log.dt_ms[0], 3000);
    assert_int_equal(log.dt_ms[1], 3001);
    hamd_arb_contract_release(&c);
}

/* A follower: its active source's ticks are held while the publisher's
 * stream moves the guard; taking over, only what the publisher never sent
 * goes out, in order. */
static void test_follower_takes_over_where_the_publisher_stopped(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    struct replay_log log = {&c, 0, {0}};
    hamd_arb_switch(&c, &LIMITS, 0, 0, NULL, NULL);
    for (int n = 0; n < 5; n++) {
        struct hamd_tick t = tick_at(1000 + n, 1 + n);
        assert_int_equal(hamd_arb_offer(&c, &LIMITS, 0, &t, n * MS),
                         HAMD_ARB_PUBLISH);
        assert_int_equal(hamd_arb_hold(&c, &LIMITS, 0, &t, n * MS), HAMD_ARB_KEPT);
    }
    /* The publisher sent the first three, then died. */
    hamd_arb_observed(&c, 1001 * MS, 2);
    hamd_arb_observed(&c, 1000 * MS, 1); /* late and older: no step back */
    hamd_arb_observed(&c, 1002 * MS, 3);
    assert_int_equal(hamd_arb_kept(&c, 0), 2);
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 7 * MS, record, &log), 2);
    assert_int_equal(log.dt_ms[0], 1003);
    assert_int_equal(log.dt_ms[1], 1004);
    publish_if_ok(&c, 0, 1004, 5, 8, HAMD_ARB_STALE);
    hamd_arb_contract_release(&c);
}

static void test_observed_lets_go_of_what_was_published(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    hamd_arb_switch(&c, &LIMITS, 0, 0, NULL, NULL);
    for (int n = 0; n < 3; n++) {
        struct hamd_tick t = tick_at(1000 + n, 1 + n);
        hamd_arb_hold(&c, &LIMITS, 0, &t, n * MS);
    }
    /* A backup's ring is never trimmed by the publisher's stream. */
    publish_if_ok(&c, 1, 1005, 6, 3, HAMD_ARB_KEPT);
    hamd_arb_observed(&c, 1004 * MS, 5);
    assert_int_equal(hamd_arb_kept(&c, 0), 0);
    assert_int_equal(hamd_arb_kept(&c, 1), 1);
    /* Emptied, not freed: the next held tick reuses the slots. */
    assert_true(c.rings[0] != NULL);
    struct hamd_tick next = tick_at(1005, 6);
    assert_int_equal(hamd_arb_hold(&c, &LIMITS, 0, &next, 4 * MS), HAMD_ARB_KEPT);
    hamd_arb_contract_release(&c);
}

/* Counts what hamd_arb_each_newer passes, without publishing it. */
static void note(void *ud, const struct hamd_tick *t)
{
    struct replay_log *log = ud;
    log->dt_ms[log->n++] = t->datetime_ns / MS;
}

/* A follower asked to relay sends its held ticks the publisher has not
 * sent yet, and keeps them (a takeover may still need them). */
static void test_each_newer_shows_what_the_publisher_lacks(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    hamd_arb_switch(&c, &LIMITS, 0, 0, NULL, NULL);
    for (int n = 0; n < 4; n++) {
        struct hamd_tick t = tick_at(1000 + n, 1 + n);
        hamd_arb_hold(&c, &LIMITS, 0, &t, n * MS);
    }
    publish_if_ok(&c, 1, 1002, 3, 4, HAMD_ARB_KEPT); /* a backup's copy */
    hamd_arb_observed(&c, 1001 * MS, 2);
    struct replay_log log = {&c, 0, {0}};
    assert_int_equal(hamd_arb_each_newer(&c, &LIMITS, 0, 5 * MS, note, &log), 2);
    assert_int_equal(log.dt_ms[0], 1002);
    assert_int_equal(log.dt_ms[1], 1003);
    assert_int_equal(hamd_arb_kept(&c, 0), 2); /* still held */
    /* A backup source's ring, too. */
    log.n = 0;
    assert_int_equal(hamd_arb_each_newer(&c, &LIMITS, 1, 5 * MS, note, &log), 1);
    assert_int_equal(log.dt_ms[0], 1002);
    /* Older than the window: gone. Bad or empty sources: nothing. */
    log.n = 0;
    assert_int_equal(hamd_arb_each_newer(&c, &LIMITS, 0, 3010 * MS, note, &log),
                     0);
    assert_int_equal(hamd_arb_each_newer(&c, &LIMITS, 5, 0, note, &log), 0);
    assert_int_equal(hamd_arb_each_newer(&c, &LIMITS, -1, 0, note, &log), 0);
    hamd_arb_contract_release(&c);
}

static void test_new_subscription_keeps_only_the_newest(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    for (int n = 0; n < 10; n++)
        publish_if_ok(&c, 1, 1000 + n, n + 1, n, HAMD_ARB_KEPT);
    assert_int_equal(hamd_arb_kept(&c, 1), 1);
    assert_int_equal(c.rings[1]->cap, 1); /* one slot, not a ring's minimum */
    struct replay_log log = {&c, 0, {0}};
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 1, 20 * MS, record, &log), 1);
    assert_int_equal(log.dt_ms[0], 1009);
    /* Replayed: the new active source's ring gives its memory back. */
    assert_int_equal(hamd_arb_contract_bytes(&c), 0);
    hamd_arb_contract_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_active_source_keeps),
        cmocka_unit_test(test_guard_drops_duplicates_and_backward),
        cmocka_unit_test(test_switch_replays_gap_in_order_without_duplicates),
        cmocka_unit_test(test_window_drops_old_ticks),
        cmocka_unit_test(test_depth_keeps_newest),
        cmocka_unit_test(test_new_subscription_keeps_only_the_newest),
        cmocka_unit_test(test_bad_source_and_zero_depth),
        cmocka_unit_test(test_forget_source),
        cmocka_unit_test(test_hold_then_flush_loses_nothing),
        cmocka_unit_test(test_switch_without_emit_defers_to_flush),
        cmocka_unit_test(test_follower_takes_over_where_the_publisher_stopped),
        cmocka_unit_test(test_observed_lets_go_of_what_was_published),
        cmocka_unit_test(test_each_newer_shows_what_the_publisher_lacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
