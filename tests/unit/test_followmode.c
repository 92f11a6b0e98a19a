/* Which stream a follower reads (core/followmode.c): watermarks first;
 * every tick once heartbeats keep coming without a watermark (an older
 * publisher), but not before the stream's first heartbeat is
 * HAMD_FOLLOWMODE_SWITCH_AFTER_MS old; for the rest of the stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/followmode.h"

#define MS 1000000LL          /* ns */
#define HB (100 * MS)         /* the publisher's heartbeat period */
#define T0 (5000 * MS)        /* the first heartbeat, monotonic */

static void test_a_new_publisher_keeps_watermarks(void **state)
{
    (void)state;
    struct hamd_followmode m;
    hamd_followmode_init(&m);
    assert_int_equal(m.read, HAMD_FOLLOWMODE_WATERMARKS);
    /* The first heartbeat may come before the follower was counted; a
     * watermark precedes every later one. */
    assert_false(hamd_followmode_heartbeat(&m, T0));
    for (int i = 1; i < 100; i++) {
        hamd_followmode_watermark(&m);
        assert_false(hamd_followmode_heartbeat(&m, T0 + i * HB));
    }
    assert_int_equal(m.read, HAMD_FOLLOWMODE_WATERMARKS);
}

static void test_an_older_publisher_means_every_tick(void **state)
{
    (void)state;
    struct hamd_followmode m;
    hamd_followmode_init(&m);
    int64_t switch_ns = T0 + HAMD_FOLLOWMODE_SWITCH_AFTER_MS * MS;
    int64_t t = T0;
    /* Heartbeats without watermarks: nothing changes while the publisher
     * may still be waiting for its clients. */
    for (; t < switch_ns; t += HB)
        assert_false(hamd_followmode_heartbeat(&m, t));
    assert_int_equal(m.read, HAMD_FOLLOWMODE_WATERMARKS);
    assert_true(hamd_followmode_heartbeat(&m, t));
    assert_int_equal(m.read, HAMD_FOLLOWMODE_TICKS);
    /* Said once, and for good: a watermark does not switch back (the
     * switch would send subscriptions again). */
    hamd_followmode_watermark(&m);
    for (int i = 1; i < 10; i++)
        assert_false(hamd_followmode_heartbeat(&m, t + i * HB));
    assert_int_equal(m.read, HAMD_FOLLOWMODE_TICKS);
}

static void test_too_few_heartbeats_without_a_watermark(void **state)
{
    (void)state;
    struct hamd_followmode m;
    hamd_followmode_init(&m);
    assert_false(hamd_followmode_heartbeat(&m, T0));
    hamd_followmode_watermark(&m);
    /* Long after the first heartbeat, but a watermark comes before every
     * HAMD_FOLLOWMODE_HB_WITHOUT_WM-th heartbeat: a new publisher. */
    int64_t t = T0 + 10 * HAMD_FOLLOWMODE_SWITCH_AFTER_MS * MS;
    for (int round = 0; round < 5; round++) {
        for (unsigned i = 1; i < HAMD_FOLLOWMODE_HB_WITHOUT_WM; i++, t += HB)
            assert_false(hamd_followmode_heartbeat(&m, t));
        hamd_followmode_watermark(&m);
    }
    assert_int_equal(m.read, HAMD_FOLLOWMODE_WATERMARKS);
    /* HAMD_FOLLOWMODE_HB_WITHOUT_WM in a row switch at once. */
    for (unsigned i = 1; i < HAMD_FOLLOWMODE_HB_WITHOUT_WM; i++, t += HB)
        assert_false(hamd_followmode_heartbeat(&m, t));
    assert_true(hamd_followmode_heartbeat(&m, t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_new_publisher_keeps_watermarks),
        cmocka_unit_test(test_an_older_publisher_means_every_tick),
        cmocka_unit_test(test_too_few_heartbeats_without_a_watermark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
