/* Arbiter: routing, first arrival, newer-than-last guard and replay
 * window, fake time. */
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

#define BODY_MAX 300 /* bytes of the longest test body */
#define BODIES 64    /* test bodies alive at once (tick_at's rotation) */

/* The test body of a tick of exchange time dt_ms: its length and bytes
 * follow from dt_ms, so every tick that comes back out of a ring shows
 * whether its body came back whole (check_body). Lengths 40 - 299: the
 * rings' bodies wrap and grow in every test. */
static size_t body_len(int64_t dt_ms)
{
    return 40 + (size_t)(dt_ms * 37 % (BODY_MAX - 40));
}

static uint8_t body_byte(int64_t dt_ms, size_t i)
{
    return (uint8_t)(dt_ms * 31 + (int64_t)i * 7);
}

static void check_body(const struct hamd_arb_tick *t)
{
    int64_t dt_ms = t->datetime_ns / MS;
    const uint8_t *b = t->body;
    assert_int_equal(t->len, body_len(dt_ms));
    for (size_t i = 0; i < t->len; i++)
        assert_int_equal(b[i], body_byte(dt_ms, i));
}

static struct hamd_arb_tick tick_at(int64_t dt_ms, double volume)
{
    static uint8_t bodies[BODIES][BODY_MAX];
    static unsigned next;
    uint8_t *b = bodies[next++ % BODIES];
    size_t len = body_len(dt_ms);
    for (size_t i = 0; i < len; i++)
        b[i] = body_byte(dt_ms, i);
    return (struct hamd_arb_tick){dt_ms * MS, volume, b, len};
}

/* Records what a switch or flush replays, and publishes it. */
struct replay_log {
    struct hamd_arb_contract *c;
    unsigned n;
    int64_t dt_ms[64];
    int source[64];
};

static enum hamd_arb_emit record(void *ud, int source,
                                 const struct hamd_arb_tick *t)
{
    struct replay_log *log = ud;
    check_body(t);
    log->source[log->n] = source;
    log->dt_ms[log->n++] = t->datetime_ns / MS;
    hamd_arb_published(log->c, t->datetime_ns, t->volume);
    return HAMD_ARB_EMIT_SENT;
}

static void publish_if_ok(struct hamd_arb_contract *c, int src, int64_t dt_ms,
                          double vol, int64_t now_ms,
                          enum hamd_arb_verdict expect)
{
    struct hamd_arb_tick t = tick_at(dt_ms, vol);
    enum hamd_arb_verdict v = hamd_arb_offer(c, &LIMITS, src, &t, now_ms * MS);
    assert_int_equal(v, expect);
    if (v == HAMD_ARB_PUBLISH)
        hamd_arb_published(c, t.datetime_ns, t.volume);
}

static void test_no_active_source_keeps(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    publish_if_ok(&c, 0, 1000, 1, 0, HAMD_ARB_KEPT);
    struct replay_log log = {&c, 0, {0}, {0}};
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
    struct replay_log log = {&c, 0, {0}, {0}};
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
    struct replay_log log = {&c, 0, {0}, {0}};
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
    struct replay_log log = {&c, 0, {0}, {0}};
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
    struct replay_log first = {&c, 0, {0}, {0}};
    hamd_arb_switch(&c, &LIMITS, 0, 0, record, &first);
    publish_if_ok(&c, 0, 999, 0.5, 0, HAMD_ARB_PUBLISH);
    for (int n = 0; n < 20; n++)
        publish_if_ok(&c, 2, 1000 + n, n + 1, n, HAMD_ARB_KEPT);
    assert_true(c.rings->of[2]->cap >= LIMITS.depth);
    struct replay_log log = {&c, 0, {0}, {0}};
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
    struct hamd_arb_tick t = tick_at(1, 1);
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
    struct replay_log log = {&c, 0, {0}, {0}};
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 1, 1 * MS, record, &log), 0);
    hamd_arb_contract_release(&c);
}

static void test_hold_then_flush_loses_nothing(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    struct replay_log log = {&c, 0, {0}, {0}};
    hamd_arb_switch(&c, &LIMITS, 0, 0, record, &log);
    publish_if_ok(&c, 0, 1000, 1, 0, HAMD_ARB_PUBLISH);
    /* Lease lapse: the active source's ticks are held, not published. */
    for (int n = 1; n <= 3; n++) {
        struct hamd_arb_tick t = tick_at(1000 + n, 1 + n);
        assert_int_equal(hamd_arb_hold(&c, &LIMITS, 0, &t, n * MS), HAMD_ARB_KEPT);
    }
    struct hamd_arb_tick old = tick_at(1000, 1);
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
    struct replay_log log = {&c, 0, {0}, {0}};
    publish_if_ok(&c, 1, 3000, 1, 0, HAMD_ARB_KEPT);
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 1, 1 * MS, NULL, NULL), 0);
    assert_int_equal(c.active, 1);
    struct hamd_arb_tick t = tick_at(3001, 2);
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
    struct replay_log log = {&c, 0, {0}, {0}};
    hamd_arb_switch(&c, &LIMITS, 0, 0, NULL, NULL);
    for (int n = 0; n < 5; n++) {
        struct hamd_arb_tick t = tick_at(1000 + n, 1 + n);
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
        struct hamd_arb_tick t = tick_at(1000 + n, 1 + n);
        hamd_arb_hold(&c, &LIMITS, 0, &t, n * MS);
    }
    /* A backup's ring is never trimmed by the publisher's stream. */
    publish_if_ok(&c, 1, 1005, 6, 3, HAMD_ARB_KEPT);
    hamd_arb_observed(&c, 1004 * MS, 5);
    assert_int_equal(hamd_arb_kept(&c, 0), 0);
    assert_int_equal(hamd_arb_kept(&c, 1), 1);
    /* Emptied, not freed: the next held tick reuses the slots. */
    assert_true(c.rings->of[0] != NULL);
    struct hamd_arb_tick next = tick_at(1005, 6);
    assert_int_equal(hamd_arb_hold(&c, &LIMITS, 0, &next, 4 * MS), HAMD_ARB_KEPT);
    hamd_arb_contract_release(&c);
}

/* Counts what hamd_arb_each_newer passes, without publishing it. */
static enum hamd_arb_emit note(void *ud, int source,
                               const struct hamd_arb_tick *t)
{
    struct replay_log *log = ud;
    check_body(t);
    log->source[log->n] = source;
    log->dt_ms[log->n++] = t->datetime_ns / MS;
    return HAMD_ARB_EMIT_SENT;
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
        struct hamd_arb_tick t = tick_at(1000 + n, 1 + n);
        hamd_arb_hold(&c, &LIMITS, 0, &t, n * MS);
    }
    publish_if_ok(&c, 1, 1002, 3, 4, HAMD_ARB_KEPT); /* a backup's copy */
    hamd_arb_observed(&c, 1001 * MS, 2);
    struct replay_log log = {&c, 0, {0}, {0}};
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
    assert_int_equal(c.rings->of[1]->cap, 1); /* one slot, not a ring's minimum */
    struct replay_log log = {&c, 0, {0}, {0}};
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 1, 20 * MS, record, &log), 1);
    assert_int_equal(log.dt_ms[0], 1009);
    /* Replayed: the new active source's ring gives its memory back. */
    assert_int_equal(hamd_arb_contract_bytes(&c), 0);
    hamd_arb_contract_release(&c);
}

/* ------------------------------------------------------------------------
 * First-arrival mode: every eligible source supplies the contract
 * ------------------------------------------------------------------------ */

#define BIT(s) (1u << (s))

/* A contract on source 0 with sources 0 and 1 eligible. */
static void first_init(struct hamd_arb_contract *c, struct replay_log *log)
{
    hamd_arb_contract_init(c);
    hamd_arb_switch(c, &LIMITS, 0, 0, record, log);
    assert_int_equal(hamd_arb_set_eligible(c, &LIMITS, BIT(0) | BIT(1), 0,
                                           record, log),
                     0);
}

static void test_first_copy_wins_ties_are_stale(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    first_init(&c, &log);
    assert_true(hamd_arb_supplies(&c, 0));
    assert_true(hamd_arb_supplies(&c, 1));
    assert_false(hamd_arb_supplies(&c, 2));
    assert_false(hamd_arb_supplies(&c, -1));
    /* The backup's copy arrives first: it goes out, the active's is a
     * duplicate. Then the other way round. */
    publish_if_ok(&c, 1, 1000, 10, 0, HAMD_ARB_PUBLISH);
    publish_if_ok(&c, 0, 1000, 10, 1, HAMD_ARB_STALE);
    publish_if_ok(&c, 0, 1001, 11, 2, HAMD_ARB_PUBLISH);
    publish_if_ok(&c, 1, 1001, 11, 3, HAMD_ARB_STALE);
    /* Same exchange time, more volume: a new tick, whoever brings it. */
    publish_if_ok(&c, 1, 1001, 12, 4, HAMD_ARB_PUBLISH);
    publish_if_ok(&c, 0, 1001, 12, 5, HAMD_ARB_STALE);
    /* A source that is not eligible still only keeps its copies. */
    publish_if_ok(&c, 2, 1002, 13, 6, HAMD_ARB_KEPT);
    assert_int_equal(hamd_arb_kept(&c, 0) + hamd_arb_kept(&c, 1), 0);
    hamd_arb_contract_release(&c);
}

/* The active source stalls: the other one's ticks go out live, with no
 * hole; the stalled source's late copies are stale when it comes back. */
static void test_first_stall_of_the_active_source_costs_nothing(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    first_init(&c, &log);
    publish_if_ok(&c, 0, 1000, 1, 0, HAMD_ARB_PUBLISH);
    publish_if_ok(&c, 1, 1000, 1, 1, HAMD_ARB_STALE);
    for (int n = 1; n <= 5; n++) /* source 0 silent */
        publish_if_ok(&c, 1, 1000 + n, 1 + n, 10 * n, HAMD_ARB_PUBLISH);
    /* It delivers its queue late: all already out. Then it is live. */
    for (int n = 1; n <= 5; n++)
        publish_if_ok(&c, 0, 1000 + n, 1 + n, 60 + n, HAMD_ARB_STALE);
    publish_if_ok(&c, 0, 1006, 7, 70, HAMD_ARB_PUBLISH);
    assert_int_equal(c.last_datetime_ns, 1006 * MS);
    hamd_arb_contract_release(&c);
}

/* One source always ahead wins every tick; the other loses every race,
 * and nothing is kept for either. */
static void test_first_source_ahead_wins_every_race(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    first_init(&c, &log);
    for (int n = 0; n < 20; n++) {
        publish_if_ok(&c, 1, 1000 + n, 1 + n, 2 * n, HAMD_ARB_PUBLISH);
        publish_if_ok(&c, 0, 1000 + n, 1 + n, 2 * n + 1, HAMD_ARB_STALE);
    }
    assert_int_equal(hamd_arb_contract_bytes(&c), 0);
    assert_null(c.rings); /* nothing kept: not even the table */
    hamd_arb_contract_release(&c);
}

/* A copy older than what went out, sent after it: dropped, time never
 * goes backwards. */
static void test_first_older_copy_later_is_stale(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    first_init(&c, &log);
    publish_if_ok(&c, 0, 1006, 7, 0, HAMD_ARB_PUBLISH);
    publish_if_ok(&c, 1, 1005, 6, 1, HAMD_ARB_STALE);
    publish_if_ok(&c, 1, 1006, 6, 2, HAMD_ARB_STALE); /* same time, less vol */
    publish_if_ok(&c, 1, 1007, 8, 3, HAMD_ARB_PUBLISH);
    hamd_arb_contract_release(&c);
}

/* A source that becomes eligible during a stall of the active source:
 * what it kept meanwhile goes out at once, in order, and no more. */
static void test_first_newcomer_sends_what_it_kept(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    hamd_arb_contract_init(&c);
    hamd_arb_switch(&c, &LIMITS, 0, 0, record, &log);
    hamd_arb_set_eligible(&c, &LIMITS, BIT(0), 0, record, &log);
    publish_if_ok(&c, 0, 1000, 1, 0, HAMD_ARB_PUBLISH);
    publish_if_ok(&c, 1, 1000, 1, 1, HAMD_ARB_STALE); /* not even kept */
    for (int n = 1; n <= 3; n++) /* source 0 stalls, 1 is not eligible */
        publish_if_ok(&c, 1, 1000 + n, 1 + n, 10 * n, HAMD_ARB_KEPT);
    /* Without emit (holding) nothing goes out yet. */
    assert_int_equal(hamd_arb_set_eligible(&c, &LIMITS, BIT(0) | BIT(1),
                                           40 * MS, NULL, NULL),
                     0);
    assert_int_equal(hamd_arb_kept(&c, 1), 3);
    /* No newcomer: no replay. */
    assert_int_equal(hamd_arb_set_eligible(&c, &LIMITS, BIT(0) | BIT(1),
                                           41 * MS, record, &log),
                     0);
    hamd_arb_set_eligible(&c, &LIMITS, BIT(0), 42 * MS, record, &log);
    assert_int_equal(hamd_arb_set_eligible(&c, &LIMITS, BIT(0) | BIT(1),
                                           43 * MS, record, &log),
                     3);
    assert_int_equal(log.dt_ms[0], 1001);
    assert_int_equal(log.dt_ms[2], 1003);
    assert_int_equal(log.source[0], 1);
    assert_int_equal(hamd_arb_kept(&c, 1), 0);
    publish_if_ok(&c, 1, 1004, 5, 44, HAMD_ARB_PUBLISH);
    /* Priority mode again: the backup keeps, its copies do not go out. */
    hamd_arb_set_eligible(&c, &LIMITS, 0, 45 * MS, record, &log);
    publish_if_ok(&c, 1, 1005, 6, 46, HAMD_ARB_KEPT);
    hamd_arb_contract_release(&c);
}

/* A lapse (or a follower) in first-arrival mode: both sources' copies are
 * held; the flush merges them in arrival order, once each, and fills the
 * active source's stall from the other. */
/* First-arrival mode, 1000 published, then both sources' copies held:
 * arrivals 0:1001 1:1001 1:1002 1:1003 (0 stalls) 0:1002 0:1004. */
static void hold_both_sources(struct hamd_arb_contract *c,
                              struct replay_log *log)
{
    first_init(c, log);
    publish_if_ok(c, 0, 1000, 1, 0, HAMD_ARB_PUBLISH);
    static const struct {
        int src;
        int dt;
        int rx_ms;
    } in[] = {{0, 1001, 1}, {1, 1001, 2}, {1, 1002, 3}, {1, 1003, 4},
              {0, 1002, 5}, {0, 1004, 6}};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        struct hamd_arb_tick t = tick_at(in[i].dt, in[i].dt - 999);
        assert_int_equal(hamd_arb_offer(c, &LIMITS, in[i].src, &t,
                                        in[i].rx_ms * MS),
                         HAMD_ARB_PUBLISH);
        assert_int_equal(hamd_arb_hold(c, &LIMITS, in[i].src, &t,
                                       in[i].rx_ms * MS),
                         HAMD_ARB_KEPT);
    }
}

static void test_first_hold_flush_merges_in_arrival_order(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    hold_both_sources(&c, &log);
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 7 * MS, record, &log), 4);
    static const int want_dt[] = {1001, 1002, 1003, 1004};
    static const int want_src[] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(log.dt_ms[i], want_dt[i]);
        assert_int_equal(log.source[i], want_src[i]);
    }
    assert_int_equal(hamd_arb_contract_bytes(&c), 0);
    hamd_arb_contract_release(&c);
}

/* An emit that may send STOP_AFTER ticks, then says the lease moved. */
#define STOP_AFTER 2
static enum hamd_arb_emit stop_after(void *ud, int source,
                                     const struct hamd_arb_tick *t)
{
    struct replay_log *log = ud;
    return log->n < STOP_AFTER ? record(ud, source, t) : HAMD_ARB_EMIT_STOP;
}

/* A replay the emit stops (the lease moved, docs/failover.md) keeps what
 * it did not send, in every ring it merged: the next flush sends it, in
 * the same order, none counted lost. */
static void test_stopped_flush_keeps_the_rest(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    hold_both_sources(&c, &log);
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 7 * MS, stop_after, &log),
                     STOP_AFTER);
    /* Sent 0:1001, 1:1002; 1:1001 skipped, both let go of. */
    assert_int_equal(hamd_arb_kept(&c, 0), 2);
    assert_int_equal(hamd_arb_kept(&c, 1), 1);
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 8 * MS, record, &log), 2);
    static const int want_dt[] = {1001, 1002, 1003, 1004};
    for (int i = 0; i < 4; i++)
        assert_int_equal(log.dt_ms[i], want_dt[i]);
    assert_int_equal(hamd_arb_take_lost(&c), 0);
    assert_int_equal(hamd_arb_contract_bytes(&c), 0);
    hamd_arb_contract_release(&c);
}

/* Equal arrival times: the active source's copy goes out. */
static void test_first_flush_tie_prefers_the_active_source(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    hamd_arb_contract_init(&c);
    hamd_arb_switch(&c, &LIMITS, 1, 0, NULL, NULL);
    hamd_arb_set_eligible(&c, &LIMITS, BIT(0) | BIT(1), 0, NULL, NULL);
    struct hamd_arb_tick t = tick_at(1000, 1);
    hamd_arb_hold(&c, &LIMITS, 0, &t, 5 * MS);
    hamd_arb_hold(&c, &LIMITS, 1, &t, 5 * MS);
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 6 * MS, record, &log), 1);
    assert_int_equal(log.source[0], 1);
    hamd_arb_contract_release(&c);
}

/* A follower: the publisher's stream lets go of every eligible source's
 * held copies it sent, not only the active one's. */
static void test_first_observed_trims_every_supplier(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    hamd_arb_switch(&c, &LIMITS, 0, 0, NULL, NULL);
    hamd_arb_set_eligible(&c, &LIMITS, BIT(0) | BIT(1), 0, NULL, NULL);
    for (int n = 0; n < 3; n++) {
        struct hamd_arb_tick t = tick_at(1000 + n, 1 + n);
        hamd_arb_hold(&c, &LIMITS, 0, &t, n * MS);
        hamd_arb_hold(&c, &LIMITS, 1, &t, n * MS);
    }
    publish_if_ok(&c, 2, 1001, 2, 3, HAMD_ARB_KEPT); /* not eligible */
    hamd_arb_observed(&c, 1001 * MS, 2);
    assert_int_equal(hamd_arb_kept(&c, 0), 1);
    assert_int_equal(hamd_arb_kept(&c, 1), 1);
    assert_int_equal(hamd_arb_kept(&c, 2), 1); /* a backup: untouched */
    hamd_arb_contract_release(&c);
}

static void test_mode_names(void **state)
{
    (void)state;
    enum hamd_arb_mode m = HAMD_ARB_MODE_FIRST;
    assert_true(hamd_arb_mode_parse("priority", &m));
    assert_int_equal(m, HAMD_ARB_MODE_PRIORITY);
    assert_true(hamd_arb_mode_parse("first", &m));
    assert_int_equal(m, HAMD_ARB_MODE_FIRST);
    assert_false(hamd_arb_mode_parse("First", &m));
    assert_false(hamd_arb_mode_parse("", &m));
    assert_false(hamd_arb_mode_parse(NULL, &m));
    assert_string_equal(hamd_arb_mode_name(HAMD_ARB_MODE_FIRST), "first");
    assert_string_equal(hamd_arb_mode_name(HAMD_ARB_MODE_PRIORITY),
                        "priority");
    assert_string_equal(hamd_arb_mode_name((enum hamd_arb_mode)7), "unknown");
}

/* ------------------------------------------------------------------------
 * Running totals over many contracts
 * ------------------------------------------------------------------------ */

#define TOT_CONTRACTS 3
#define TOT_SOURCES 3
#define TOT_STEPS 4000

/* The totals equal the sums a walk over the contracts finds. */
static void assert_totals_match(struct hamd_arb_contract *cs,
                                const struct hamd_arb_totals *tot)
{
    uint64_t bytes = 0;
    for (int i = 0; i < TOT_CONTRACTS; i++)
        bytes += hamd_arb_contract_bytes(&cs[i]);
    assert_int_equal(tot->bytes, bytes);
    for (int s = 0; s < HAMD_ARB_MAX_SOURCES; s++) {
        uint64_t kept = 0;
        for (int i = 0; i < TOT_CONTRACTS; i++)
            kept += hamd_arb_kept(&cs[i], s);
        assert_int_equal(tot->kept[s], kept);
    }
}

/* Publishes what a flush or switch hands out. */
static enum hamd_arb_emit publish_emit(void *ud, int source,
                                       const struct hamd_arb_tick *t)
{
    (void)source;
    check_body(t);
    hamd_arb_published(ud, t->datetime_ns, t->volume);
    return HAMD_ARB_EMIT_SENT;
}

/* Every operation that keeps, trims, grows, replays or lets go of ticks,
 * in a pseudo-random order over a few contracts sharing totals, with a
 * short window and depth so that trimming and sliding happen: after each
 * step the totals match a full walk. */
static void test_totals_follow_every_change(void **state)
{
    (void)state;
    static const struct hamd_arb_limits lim = {.window_ns = 40 * MS,
                                               .depth = 6};
    struct hamd_arb_contract cs[TOT_CONTRACTS];
    struct hamd_arb_totals tot;
    memset(&tot, 0, sizeof tot);
    for (int i = 0; i < TOT_CONTRACTS; i++) {
        hamd_arb_contract_init(&cs[i]);
        hamd_arb_contract_count(&cs[i], &tot);
    }
    uint32_t seed = 12345;
    int64_t dt_ms = 1000;
    for (int step = 0; step < TOT_STEPS; step++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t r = seed >> 8;
        struct hamd_arb_contract *c = &cs[r % TOT_CONTRACTS];
        int src = (int)((r / TOT_CONTRACTS) % TOT_SOURCES);
        int64_t now_ns = (int64_t)step * MS;
        /* Exchange time mostly forwards, sometimes a repeat. */
        dt_ms += (r >> 12) % 4 == 0 ? 0 : 1;
        struct hamd_arb_tick t = tick_at(dt_ms, 1);
        switch ((r >> 16) % 10) {
        case 0:
            hamd_arb_switch(c, &lim, src, now_ns, publish_emit, c);
            break;
        case 1:
            hamd_arb_set_eligible(c, &lim, (r >> 20) & 7u, now_ns,
                                  publish_emit, c);
            break;
        case 2:
            hamd_arb_hold(c, &lim, src, &t, now_ns);
            break;
        case 3:
            hamd_arb_flush(c, &lim, now_ns, publish_emit, c);
            break;
        case 4:
            hamd_arb_observed(c, t.datetime_ns - 3 * MS, 1);
            break;
        case 5:
            hamd_arb_forget_source(c, src);
            break;
        case 6:
            hamd_arb_each_newer(c, &lim, src, now_ns, publish_emit, c);
            break;
        case 7:
            if ((r >> 20) % 8 == 0) { /* a contract goes and comes back */
                hamd_arb_contract_release(c);
                hamd_arb_contract_init(c);
                hamd_arb_contract_count(c, &tot);
            }
            break;
        default:
            if (hamd_arb_offer(c, &lim, src, &t, now_ns) == HAMD_ARB_PUBLISH)
                hamd_arb_published(c, t.datetime_ns, t.volume);
            break;
        }
        assert_totals_match(cs, &tot);
    }
    for (int i = 0; i < TOT_CONTRACTS; i++) {
        hamd_arb_contract_release(&cs[i]);
        assert_null(cs[i].rings); /* the table goes with the last ring */
    }
    assert_int_equal(tot.bytes, 0);
    for (int s = 0; s < HAMD_ARB_MAX_SOURCES; s++)
        assert_int_equal(tot.kept[s], 0);
}

/* hamd_arb_is_stale says STALE exactly where hamd_arb_offer would, for
 * the active source, a standby, and before anything was published. */
static void test_is_stale_agrees_with_offer(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    assert_false(hamd_arb_is_stale(&c, 0, 0)); /* nothing published yet */
    struct replay_log log = {&c, 0, {0}, {0}};
    hamd_arb_switch(&c, &LIMITS, 0, 0, record, &log);
    publish_if_ok(&c, 0, 1000, 10, 0, HAMD_ARB_PUBLISH);
    static const struct {
        int64_t dt_ms; /* exchange time */
        double vol;    /* volume */
    } offers[] = {{1000, 10}, {999, 50}, {1000, 9}, {1000, 11}, {1001, 0}};
    for (size_t i = 0; i < sizeof offers / sizeof offers[0]; i++) {
        for (int src = 0; src < 2; src++) {
            struct hamd_arb_contract copy = c; /* no rings: shallow is fine */
            struct hamd_arb_tick t = tick_at(offers[i].dt_ms, offers[i].vol);
            bool stale = hamd_arb_is_stale(&c, t.datetime_ns, t.volume);
            enum hamd_arb_verdict v =
                hamd_arb_offer(&copy, &LIMITS, src, &t, 1 * MS);
            assert_int_equal(stale, v == HAMD_ARB_STALE);
            if (v == HAMD_ARB_KEPT)
                hamd_arb_contract_release(&copy);
        }
    }
    hamd_arb_contract_release(&c);
}

/* ------------------------------------------------------------------------
 * Ticks let go unsent
 * ------------------------------------------------------------------------ */

/* Holds ticks 1000 + n of source 0 for n in 1..last, received at n ms. */
static void hold_ticks(struct hamd_arb_contract *c, int last)
{
    for (int n = 1; n <= last; n++) {
        struct hamd_arb_tick t = tick_at(1000 + n, 1 + n);
        assert_int_equal(hamd_arb_hold(c, &LIMITS, 0, &t, n * MS),
                         HAMD_ARB_KEPT);
    }
}

/* A contract routed to source 0, which published tick 1000 unless
 * `published` is false. */
static void routed_init(struct hamd_arb_contract *c, struct replay_log *log,
                        bool published)
{
    hamd_arb_contract_init(c);
    hamd_arb_switch(c, &LIMITS, 0, 0, record, log);
    if (published)
        publish_if_ok(c, 0, 1000, 1, 0, HAMD_ARB_PUBLISH);
}

/* A hold longer than the depth (LIMITS: 8): the flush sends the newest 8
 * and the 12 the ring let go are counted, once. */
static void test_hold_past_the_depth_counts_what_it_let_go(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    routed_init(&c, &log, true);
    hold_ticks(&c, 20);
    assert_int_equal(hamd_arb_take_lost(&c), 0); /* counted by a replay */
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 21 * MS, record, &log), 8);
    assert_int_equal(log.dt_ms[0], 1013);
    assert_int_equal(hamd_arb_take_lost(&c), 12);
    assert_int_equal(hamd_arb_take_lost(&c), 0);
    hamd_arb_contract_release(&c);
}

/* A follower's held ticks let go at the depth while the publisher's
 * stream went past them are not lost: the publisher sent them. */
static void test_let_go_but_sent_by_the_publisher(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    routed_init(&c, &log, false);
    hold_ticks(&c, 20);
    hamd_arb_observed(&c, 1012 * MS, 13); /* the publisher sent 1..12 */
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 21 * MS, record, &log), 8);
    assert_int_equal(hamd_arb_take_lost(&c), 0);
    hamd_arb_contract_release(&c);
}

/* A hold that outlasts the window: what aged out is counted. */
static void test_hold_past_the_window_counts_what_aged_out(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    routed_init(&c, &log, true);
    hold_ticks(&c, 3);
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 3004 * MS, record, &log), 0);
    assert_int_equal(hamd_arb_take_lost(&c), 3);
    hamd_arb_contract_release(&c);
}

/* The active source stalls after tick 5 and the standby keeps 6 - 20 in
 * a ring of 8: the 7 it let go (6 - 12) were never published, and the
 * switch counts them. */
static void test_switch_counts_what_the_standby_let_go(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    routed_init(&c, &log, false);
    for (int n = 1; n <= 20; n++) {
        if (n <= 5)
            publish_if_ok(&c, 0, 1000 + n, 1 + n, n, HAMD_ARB_PUBLISH);
        publish_if_ok(&c, 1, 1000 + n, 1 + n, n, n <= 5 ? HAMD_ARB_STALE
                                                        : HAMD_ARB_KEPT);
    }
    assert_int_equal(hamd_arb_switch(&c, &LIMITS, 1, 21 * MS, record, &log),
                     8);
    assert_int_equal(hamd_arb_take_lost(&c), 7);
    hamd_arb_contract_release(&c);
}

/* ------------------------------------------------------------------------
 * Kept bodies
 * ------------------------------------------------------------------------ */

#define RING_DEPTH 16   /* depth of the body tests' rings */
#define RING_PUSHES 3000 /* ticks pushed through one of them */

/* A standby's ring takes thousands of bodies of 40 - 299 bytes through
 * a depth of 16: every kept body comes back whole and in order, the
 * bodies wrap around the buffer's end, and the buffer stops growing
 * below twice the most it must hold (16 bodies and a new one). */
static void test_bodies_wrap_and_stay_bounded(void **state)
{
    (void)state;
    const struct hamd_arb_limits lim = {INT64_MAX, RING_DEPTH};
    const uint64_t bound = sizeof(struct hamd_arb_ring) +
                           RING_DEPTH * sizeof(struct hamd_arb_slot) +
                           2 * (RING_DEPTH + 1) * BODY_MAX;
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    c.active = 0;
    bool wrapped = false;
    for (int n = 1; n <= RING_PUSHES; n++) {
        struct hamd_arb_tick t = tick_at(1000 + n, n);
        assert_int_equal(hamd_arb_offer(&c, &lim, 1, &t, n * MS),
                         HAMD_ARB_KEPT);
        wrapped |= c.rings->of[1]->wrapped;
        assert_true(hamd_arb_contract_bytes(&c) <= bound);
        if (n % 97 == 0 || n == RING_PUSHES) {
            struct replay_log log = {&c, 0, {0}, {0}};
            unsigned want = n < RING_DEPTH ? (unsigned)n : RING_DEPTH;
            assert_int_equal(hamd_arb_each_newer(&c, &lim, 1, n * MS, note,
                                                 &log), want);
            for (unsigned i = 0; i < want; i++)
                assert_int_equal(log.dt_ms[i], 1000 + n - (int)want + 1 + (int)i);
        }
    }
    assert_true(wrapped);
    hamd_arb_contract_release(&c);
}

/* An emit that refuses a body (kept unread, proved malformed): a ring
 * merge sends the other source's copy of that tick instead, and a
 * refused tick does not count as replayed. */
static enum hamd_arb_emit refuse_source_0(void *ud, int source,
                                          const struct hamd_arb_tick *t)
{
    return source != 0 ? record(ud, source, t) : HAMD_ARB_EMIT_UNFIT;
}

static void test_refused_body_leaves_the_guard(void **state)
{
    (void)state;
    struct hamd_arb_contract c;
    struct replay_log log = {&c, 0, {0}, {0}};
    first_init(&c, &log);
    publish_if_ok(&c, 0, 1000, 1, 0, HAMD_ARB_PUBLISH);
    for (int n = 1; n <= 3; n++)
        for (int src = 0; src <= 1; src++) {
            struct hamd_arb_tick t = tick_at(1000 + n, 1 + n);
            assert_int_equal(hamd_arb_hold(&c, &LIMITS, src, &t,
                                           (2 * n + src) * MS),
                             HAMD_ARB_KEPT);
        }
    assert_int_equal(hamd_arb_flush(&c, &LIMITS, 10 * MS, refuse_source_0,
                                    &log), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(log.dt_ms[i], 1001 + i);
        assert_int_equal(log.source[i], 1);
    }
    hamd_arb_contract_release(&c);
}

/* Counts the bodies a replay hands out, whatever they hold. */
static enum hamd_arb_emit count_any(void *ud, int source,
                                    const struct hamd_arb_tick *t)
{
    (void)source;
    unsigned *lens = ud;
    lens[lens[0]++ + 1] = (unsigned)t->len;
    return HAMD_ARB_EMIT_SENT;
}

/* A body of no bytes is kept like any; one over HAMD_ARB_BODY_MAX is not
 * (the data plane keeps no such body: it encodes it again). */
static void test_body_sizes_at_the_edges(void **state)
{
    (void)state;
    static uint8_t big[HAMD_ARB_BODY_MAX + 1];
    struct hamd_arb_contract c;
    hamd_arb_contract_init(&c);
    c.active = 0;
    struct hamd_arb_tick t = {1000 * MS, 1, big, 0};
    assert_int_equal(hamd_arb_offer(&c, &LIMITS, 1, &t, 0), HAMD_ARB_KEPT);
    t = (struct hamd_arb_tick){1001 * MS, 1, big, HAMD_ARB_BODY_MAX + 1};
    assert_int_equal(hamd_arb_offer(&c, &LIMITS, 1, &t, 0), HAMD_ARB_DROPPED);
    t.len = HAMD_ARB_BODY_MAX;
    assert_int_equal(hamd_arb_offer(&c, &LIMITS, 1, &t, 0), HAMD_ARB_KEPT);
    unsigned lens[4] = {0};
    assert_int_equal(hamd_arb_each_newer(&c, &LIMITS, 1, 0, count_any, lens),
                     2);
    assert_int_equal(lens[0], 2);
    assert_int_equal(lens[1], 0);
    assert_int_equal(lens[2], HAMD_ARB_BODY_MAX);
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
        cmocka_unit_test(test_first_copy_wins_ties_are_stale),
        cmocka_unit_test(test_first_stall_of_the_active_source_costs_nothing),
        cmocka_unit_test(test_first_source_ahead_wins_every_race),
        cmocka_unit_test(test_first_older_copy_later_is_stale),
        cmocka_unit_test(test_first_newcomer_sends_what_it_kept),
        cmocka_unit_test(test_first_hold_flush_merges_in_arrival_order),
        cmocka_unit_test(test_stopped_flush_keeps_the_rest),
        cmocka_unit_test(test_first_flush_tie_prefers_the_active_source),
        cmocka_unit_test(test_first_observed_trims_every_supplier),
        cmocka_unit_test(test_mode_names),
        cmocka_unit_test(test_totals_follow_every_change),
        cmocka_unit_test(test_is_stale_agrees_with_offer),
        cmocka_unit_test(test_hold_past_the_depth_counts_what_it_let_go),
        cmocka_unit_test(test_let_go_but_sent_by_the_publisher),
        cmocka_unit_test(test_hold_past_the_window_counts_what_aged_out),
        cmocka_unit_test(test_switch_counts_what_the_standby_let_go),
        cmocka_unit_test(test_bodies_wrap_and_stay_bounded),
        cmocka_unit_test(test_refused_body_leaves_the_guard),
        cmocka_unit_test(test_body_sizes_at_the_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
