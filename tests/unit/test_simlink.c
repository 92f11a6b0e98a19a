/* Unit tests of a gateway's upstream mode, pure parts (src/gw-sim): the
 * front link watchdog and the forwarding queue, with fake time. The fault
 * machine fed by the watchdog and the upstream params are tested in
 * test_simfaults.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gw-sim/tickq.h"
#include "gw-sim/uplink.h"

static void test_uplink_starts_down_and_times_out(void **state)
{
    (void)state;
    struct gwsim_uplink l;
    gwsim_uplink_start(&l, 1000, 5000);
    assert_false(l.up);
    /* never heard: no timeout to wait for, nothing to report */
    assert_int_equal(gwsim_uplink_next_due_ms(&l), INT64_MAX);
    assert_int_equal(gwsim_uplink_advance(&l, 99999), GWSIM_UPLINK_NONE);
    assert_int_equal(gwsim_uplink_rx(&l, 6000), GWSIM_UPLINK_UP);
    assert_int_equal(gwsim_uplink_rx(&l, 6200), GWSIM_UPLINK_NONE);
    assert_int_equal(gwsim_uplink_next_due_ms(&l), 7200);
    assert_int_equal(gwsim_uplink_advance(&l, 7199), GWSIM_UPLINK_NONE);
    assert_true(l.up);
    assert_int_equal(gwsim_uplink_advance(&l, 7200), GWSIM_UPLINK_DOWN);
    assert_false(l.up);
    assert_int_equal(gwsim_uplink_silent_ms(&l, 7200), 1000);
    /* down stays down without news, and reports it once */
    assert_int_equal(gwsim_uplink_advance(&l, 9000), GWSIM_UPLINK_NONE);
    assert_int_equal(gwsim_uplink_silent_ms(&l, 9000), 2800);
    assert_int_equal(gwsim_uplink_rx(&l, 9100), GWSIM_UPLINK_UP);
    assert_int_equal(l.ups, 2);
    assert_int_equal(l.losses, 1);
    assert_int_equal(gwsim_uplink_silent_ms(&l, 9100), 0);
}

static void test_uplink_late_loop_and_clock_order(void **state)
{
    (void)state;
    struct gwsim_uplink l;
    gwsim_uplink_start(&l, 400, 0);
    gwsim_uplink_rx(&l, 100);
    /* a loop that wakes late still reports the loss once, with the
     * real silence */
    assert_int_equal(gwsim_uplink_advance(&l, 2100), GWSIM_UPLINK_DOWN);
    assert_int_equal(l.changed_ms - l.last_rx_ms, 2000);
    /* a message stamped before the last one does not move it back */
    gwsim_uplink_rx(&l, 3000);
    gwsim_uplink_rx(&l, 2900);
    assert_int_equal(l.last_rx_ms, 3000);
}

static void test_uplink_closed_connection_is_lost_at_once(void **state)
{
    (void)state;
    struct gwsim_uplink l;
    gwsim_uplink_start(&l, 1000, 0);
    assert_int_equal(gwsim_uplink_closed(&l, 10), GWSIM_UPLINK_NONE);
    gwsim_uplink_rx(&l, 100);
    assert_int_equal(gwsim_uplink_closed(&l, 150), GWSIM_UPLINK_DOWN);
    assert_true(l.closed);
    assert_int_equal(l.losses, 1);
    /* no second report from the watchdog for the same loss */
    assert_int_equal(gwsim_uplink_advance(&l, 5000), GWSIM_UPLINK_NONE);
    assert_int_equal(gwsim_uplink_closed(&l, 5000), GWSIM_UPLINK_NONE);
    gwsim_uplink_rx(&l, 6000);
    assert_int_equal(gwsim_uplink_advance(&l, 7000), GWSIM_UPLINK_DOWN);
    assert_false(l.closed);
}

/* A tick of vt_symbol numbered n, for the queue tests. */
static struct hamd_tick tick_n(int64_t n)
{
    struct hamd_tick t;
    memset(&t, 0, sizeof t);
    strcpy(t.vt_symbol, "rb2601.SHFE");
    t.datetime_ns = n;
    return t;
}

static void test_tickq_fifo_across_growth_and_wrap(void **state)
{
    (void)state;
    struct gwsim_tickq *q = gwsim_tickq_new(600);
    assert_non_null(q);
    assert_null(gwsim_tickq_peek(q));
    int64_t out = 0;
    /* two in, one out: the ring grows past its first size and wraps */
    for (int64_t n = 0; n < 1000; n++) {
        struct hamd_tick t = tick_n(n);
        assert_int_equal(gwsim_tickq_push(q, &t, n, 1000 + n), 0);
        if (n % 2 == 1) {
            struct gwsim_tickq_item *it = gwsim_tickq_peek(q);
            assert_int_equal(it->n, out);
            assert_int_equal(it->tick.datetime_ns, out);
            assert_int_equal(it->recv_ns, 1000 + out);
            gwsim_tickq_pop(q);
            out++;
        }
    }
    assert_int_equal(q->count, 500);
    assert_int_equal(q->dropped, 0);
    for (; out < 1000; out++) {
        assert_int_equal(gwsim_tickq_peek(q)->n, out);
        gwsim_tickq_pop(q);
    }
    assert_null(gwsim_tickq_peek(q));
    gwsim_tickq_pop(q); /* harmless when empty */
    gwsim_tickq_destroy(&q);
    assert_null(q);
    assert_null(gwsim_tickq_new(0));
}

static void test_tickq_full_drops_oldest(void **state)
{
    (void)state;
    struct gwsim_tickq *q = gwsim_tickq_new(300);
    for (int64_t n = 0; n < 1000; n++) {
        struct hamd_tick t = tick_n(n);
        assert_int_equal(gwsim_tickq_push(q, &t, n, n), n < 300 ? 0 : 1);
    }
    assert_int_equal(q->count, 300);
    assert_int_equal(q->dropped, 700);
    for (int64_t n = 700; n < 1000; n++) { /* the newest, oldest first */
        assert_int_equal(gwsim_tickq_peek(q)->n, n);
        gwsim_tickq_pop(q);
    }
    struct hamd_tick t = tick_n(5);
    gwsim_tickq_push(q, &t, 5, 5);
    gwsim_tickq_clear(q);
    assert_null(gwsim_tickq_peek(q));
    gwsim_tickq_destroy(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uplink_starts_down_and_times_out),
        cmocka_unit_test(test_uplink_late_loop_and_clock_order),
        cmocka_unit_test(test_uplink_closed_connection_is_lost_at_once),
        cmocka_unit_test(test_tickq_fifo_across_growth_and_wrap),
        cmocka_unit_test(test_tickq_full_drops_oldest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
