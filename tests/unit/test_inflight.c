/* The follower's in-flight queue: an observation is confirmed only once
 * the publisher's clock is inflight_ns past it; what is left when the
 * stream ends is dropped; a full queue confirms its oldest early. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/inflight.h"

#define MS 1000000LL      /* ns */
#define INFLIGHT (20 * MS)
#define T0 1795340636800000000LL /* a publisher clock reading, ns */

static int key_a, key_b; /* two contracts */

static struct hamd_inflight_obs obs(void *key, int64_t hub_ns)
{
    struct hamd_inflight_obs o = {key, hub_ns - 5 * MS, 100.0, hub_ns};
    return o;
}

static void push(struct hamd_inflight *q, void *key, int64_t hub_ns)
{
    struct hamd_inflight_obs o = obs(key, hub_ns), early;
    assert_false(hamd_inflight_push(q, &o, &early));
}

static void test_new_destroy_nulls_pointer(void **state)
{
    (void)state;
    struct hamd_inflight *q = hamd_inflight_new(INFLIGHT, 16);
    assert_non_null(q);
    assert_int_equal(hamd_inflight_waiting(q), 0);
    hamd_inflight_destroy(&q);
    assert_null(q);
    hamd_inflight_destroy(&q);
}

/* A burst the publisher did not outlive stays: it may not have reached
 * its clients. */
static void test_not_confirmed_until_publisher_lives_on(void **state)
{
    (void)state;
    struct hamd_inflight *q = hamd_inflight_new(INFLIGHT, 16);
    struct hamd_inflight_obs out;
    push(q, &key_a, T0);
    push(q, &key_b, T0 + 1 * MS);
    push(q, &key_a, T0 + 19 * MS);
    assert_false(hamd_inflight_pop(q, &out));
    hamd_inflight_clock(q, T0 + 19 * MS + 999999); /* just short */
    assert_false(hamd_inflight_pop(q, &out));
    assert_int_equal(hamd_inflight_waiting(q), 3);
    hamd_inflight_destroy(&q);
}

/* A later tick or heartbeat confirms everything at least inflight_ns
 * older, oldest first, with what was observed. */
static void test_later_message_confirms_in_order(void **state)
{
    (void)state;
    struct hamd_inflight *q = hamd_inflight_new(INFLIGHT, 16);
    struct hamd_inflight_obs out;
    push(q, &key_a, T0);
    push(q, &key_b, T0 + 10 * MS);
    push(q, &key_a, T0 + 19 * MS); /* its hub_ns is also the clock */
    assert_false(hamd_inflight_pop(q, &out));
    push(q, &key_b, T0 + 30 * MS); /* exactly 20 ms after the second */
    assert_true(hamd_inflight_pop(q, &out));
    assert_ptr_equal(out.key, &key_a);
    assert_int_equal(out.hub_ns, T0);
    assert_int_equal(out.datetime_ns, T0 - 5 * MS);
    assert_true(out.volume == 100.0);
    assert_true(hamd_inflight_pop(q, &out));
    assert_ptr_equal(out.key, &key_b);
    assert_int_equal(out.hub_ns, T0 + 10 * MS);
    assert_false(hamd_inflight_pop(q, &out));
    hamd_inflight_clock(q, T0 + 50 * MS); /* a heartbeat */
    assert_true(hamd_inflight_pop(q, &out));
    assert_int_equal(out.hub_ns, T0 + 19 * MS);
    assert_true(hamd_inflight_pop(q, &out));
    assert_int_equal(out.hub_ns, T0 + 30 * MS);
    assert_false(hamd_inflight_pop(q, &out));
    hamd_inflight_destroy(&q);
}

/* The publisher's clock never goes back: an older heartbeat does not undo
 * a confirmation. */
static void test_clock_only_moves_forward(void **state)
{
    (void)state;
    struct hamd_inflight *q = hamd_inflight_new(INFLIGHT, 16);
    struct hamd_inflight_obs out;
    push(q, &key_a, T0);
    hamd_inflight_clock(q, T0 + 40 * MS);
    hamd_inflight_clock(q, T0 - 100 * MS);
    assert_true(hamd_inflight_pop(q, &out));
    hamd_inflight_destroy(&q);
}

/* The stream ends: what waits is dropped, and the next stream's clock
 * starts over (another publisher, another clock). */
static void test_clear_drops_waiting_and_clock(void **state)
{
    (void)state;
    struct hamd_inflight *q = hamd_inflight_new(INFLIGHT, 16);
    struct hamd_inflight_obs out;
    push(q, &key_a, T0);
    push(q, &key_b, T0 + 5 * MS);
    assert_int_equal(hamd_inflight_clear(q), 2);
    assert_int_equal(hamd_inflight_waiting(q), 0);
    assert_false(hamd_inflight_pop(q, &out));
    push(q, &key_a, T0 - 1000 * MS); /* a clock behind the old one */
    assert_false(hamd_inflight_pop(q, &out));
    hamd_inflight_clock(q, T0 - 980 * MS);
    assert_true(hamd_inflight_pop(q, &out));
    assert_int_equal(hamd_inflight_clear(q), 0);
    hamd_inflight_destroy(&q);
}

/* A contract going away: its observations come out with a NULL key, the
 * others untouched. */
static void test_forget_nulls_key(void **state)
{
    (void)state;
    struct hamd_inflight *q = hamd_inflight_new(INFLIGHT, 16);
    struct hamd_inflight_obs out;
    push(q, &key_a, T0);
    push(q, &key_b, T0 + 1 * MS);
    push(q, &key_a, T0 + 2 * MS);
    hamd_inflight_forget(q, &key_a);
    hamd_inflight_clock(q, T0 + 100 * MS);
    assert_true(hamd_inflight_pop(q, &out));
    assert_null(out.key);
    assert_true(hamd_inflight_pop(q, &out));
    assert_ptr_equal(out.key, &key_b);
    assert_true(hamd_inflight_pop(q, &out));
    assert_null(out.key);
    hamd_inflight_destroy(&q);
}

/* Growth keeps the order across the ring's wrap; at cap_max the oldest is
 * confirmed early and counted. */
static void test_growth_and_full_queue(void **state)
{
    (void)state;
    enum { CAP = 1000 };
    struct hamd_inflight *q = hamd_inflight_new(INFLIGHT, CAP);
    struct hamd_inflight_obs o, out, early;
    /* wrap the first ring: push 200, pop 100 (confirmed), push on */
    for (int i = 0; i < 200; i++)
        push(q, &key_a, T0 + i * MS);
    for (int i = 0; i < 100; i++) {
        hamd_inflight_clock(q, T0 + (i + 20) * MS);
        assert_true(hamd_inflight_pop(q, &out));
        assert_int_equal(out.hub_ns, T0 + i * MS);
    }
    for (int i = 200; i < 100 + CAP; i++)
        push(q, &key_a, T0 + i * MS);
    assert_int_equal(hamd_inflight_waiting(q), CAP);
    assert_int_equal(hamd_inflight_early(q), 0);
    o = obs(&key_b, T0 + (100 + CAP) * MS);
    assert_true(hamd_inflight_push(q, &o, &early));
    assert_int_equal(early.hub_ns, T0 + 100 * MS);
    assert_int_equal(hamd_inflight_early(q), 1);
    assert_int_equal(hamd_inflight_waiting(q), CAP);
    hamd_inflight_clock(q, T0 + 10000 * MS);
    for (int i = 101; i < 101 + CAP; i++) {
        assert_true(hamd_inflight_pop(q, &out));
        assert_int_equal(out.hub_ns, T0 + i * MS);
    }
    assert_ptr_equal(out.key, &key_b);
    assert_false(hamd_inflight_pop(q, &out));
    hamd_inflight_destroy(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_destroy_nulls_pointer),
        cmocka_unit_test(test_not_confirmed_until_publisher_lives_on),
        cmocka_unit_test(test_later_message_confirms_in_order),
        cmocka_unit_test(test_clock_only_moves_forward),
        cmocka_unit_test(test_clear_drops_waiting_and_clock),
        cmocka_unit_test(test_forget_nulls_key),
        cmocka_unit_test(test_growth_and_full_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
