/* The data plane's upward event queue (data thread -> control thread):
 * a ring that starts at DP_EVENT_QUEUE_INITIAL events and doubles while
 * the control thread falls behind, up to DP_EVENT_QUEUE_CAP; beyond,
 * events are dropped and counted; drained empty, it is small again.
 * Order is kept across growth, also when the ring has wrapped. The data
 * plane is never started. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/dp_internal.h"
#include "unit_dp.h"

/* What the drain saw: the mono_ns of each event, in order. */
struct seen {
    int64_t *mono;  /* DP_EVENT_QUEUE_CAP entries */
    unsigned n;     /* events drained */
};

static void collect(void *ud, const struct hamd_dp_event *ev)
{
    struct seen *s = ud;
    assert_true(s->n < DP_EVENT_QUEUE_CAP);
    s->mono[s->n++] = ev->mono_ns;
    assert_int_equal(ev->type, HAMD_DP_EV_SWITCHED);
}

static int setup(void **state)
{
    struct hamd_dataplane_opts opts;
    memset(&opts, 0, sizeof opts);
    struct hamd_dataplane *dp = hamd_dataplane_new(&opts, NULL, NULL);
    assert_non_null(dp);
    *state = dp;
    return 0;
}

/* Pushes events numbered from..to-1 (their mono_ns). */
static void push_range(struct hamd_dataplane *dp, int64_t from, int64_t to)
{
    for (int64_t i = from; i < to; i++) {
        struct hamd_dp_event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = HAMD_DP_EV_SWITCHED;
        ev.mono_ns = i;
        snprintf(ev.u.switched.vt_symbol, sizeof ev.u.switched.vt_symbol,
                 "c%lld.SHFE", (long long)i);
        dp_event_push(dp, &ev);
    }
}

/* Drains everything; asserts the events are from..to-1 in order. */
static void drain_expect(struct hamd_dataplane *dp, int64_t from, int64_t to)
{
    static int64_t mono[DP_EVENT_QUEUE_CAP];
    struct seen s = {mono, 0};
    assert_int_equal(hamd_dataplane_drain(dp, collect, &s), to - from);
    for (unsigned i = 0; i < s.n; i++)
        assert_int_equal(s.mono[i], from + i);
}

static uint64_t dropped(struct hamd_dataplane *dp)
{
    struct hamd_dp_stats st;
    hamd_dataplane_stats(dp, &st);
    return st.events_dropped;
}

/* A quiet node keeps the small ring. */
static void test_starts_small(void **state)
{
    struct hamd_dataplane *dp = *state;
    assert_int_equal(dp->ev_cap, DP_EVENT_QUEUE_INITIAL);
    push_range(dp, 0, DP_EVENT_QUEUE_INITIAL);
    assert_int_equal(dp->ev_cap, DP_EVENT_QUEUE_INITIAL);
    drain_expect(dp, 0, DP_EVENT_QUEUE_INITIAL);
    assert_int_equal(dropped(dp), 0);
}

/* A burst of more than the cap, nothing drained: the ring grows to the
 * cap, keeps the oldest DP_EVENT_QUEUE_CAP in order and counts the rest. */
static void test_grows_to_cap_then_drops(void **state)
{
    struct hamd_dataplane *dp = *state;
    push_range(dp, 0, DP_EVENT_QUEUE_CAP + 100);
    assert_int_equal(dp->ev_cap, DP_EVENT_QUEUE_CAP);
    assert_int_equal(dropped(dp), 100);
    drain_expect(dp, 0, DP_EVENT_QUEUE_CAP);
    assert_int_equal(dp->ev_cap, DP_EVENT_QUEUE_INITIAL); /* given back */
    push_range(dp, 7, 9); /* and still works */
    drain_expect(dp, 7, 9);
    assert_int_equal(dropped(dp), 100);
}

/* Growth while the ring has wrapped (head past the middle): the events
 * come out in the order they went in. */
static void test_growth_after_wrap_keeps_order(void **state)
{
    struct hamd_dataplane *dp = *state;
    push_range(dp, 0, DP_EVENT_QUEUE_INITIAL - 10);
    drain_expect(dp, 0, DP_EVENT_QUEUE_INITIAL - 10);
    /* head is now near the end: these wrap, then need a bigger ring */
    push_range(dp, 1000, 1000 + 3 * DP_EVENT_QUEUE_INITIAL);
    assert_int_equal(dp->ev_cap, 4 * DP_EVENT_QUEUE_INITIAL);
    drain_expect(dp, 1000, 1000 + 3 * DP_EVENT_QUEUE_INITIAL);
    assert_int_equal(dropped(dp), 0);
    assert_int_equal(dp->ev_cap, DP_EVENT_QUEUE_INITIAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_starts_small, setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_grows_to_cap_then_drops, setup,
                                        unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_growth_after_wrap_keeps_order,
                                        setup, unit_dp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
