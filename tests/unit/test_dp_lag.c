/* The data plane's lag of a source behind another (staleness_ms, a
 * health input) with per-source receive times that a contract gets only
 * once two sources serve or delivered it (dp_stats.c): a single-source
 * contract has none, and a contract that becomes two-source keeps the
 * first source's last receipt, taken from the freshest receive time
 * before the newcomer's tick counts.
 *
 * Ticks go through dp_ingest_message with a fake frame reader and a
 * chosen receive time; the data plane is never started (the publisher
 * without a PUB: ticks are judged and counted, not sent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_internal.h"
#include "unit_dp.h"

#define SRC_A "sim_a"              /* source 0 */
#define SRC_B "sim_b"              /* source 1 */
#define VT_SYMBOL UNIT_DP_VT_SYMBOL /* the one subscribed contract */
#define SEC_NS 1000000000LL        /* one second, monotonic */
#define HELLO_NS (1 * SEC_NS)      /* both sources said HELLO then */
#define T0_NS 1700000000000000000LL /* exchange time of the first tick */
#define STEP_NS 500000000LL        /* exchange time between ticks */
#define WINDOW_NS 5000000000LL     /* replay window */
#define DEPTH 64                   /* replay ring depth */
#define TOKEN "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define CONN "gw-1"                /* the connection that proved TOKEN */

/* A data plane with both sources (HELLO at HELLO_NS) and VT_SYMBOL
 * served by source 0 only. */
static int setup(void **state)
{
    struct hamd_dataplane *dp = unit_dp_publisher(WINDOW_NS, DEPTH);
    unit_dp_source(dp, 0, SRC_A, TOKEN, CONN)->st.hello_ns = HELLO_NS;
    unit_dp_source(dp, 1, SRC_B, TOKEN, CONN)->st.hello_ns = HELLO_NS;
    unit_dp_contract(dp, VT_SYMBOL);
    *state = dp;
    return 0;
}

/* Tick number k of VT_SYMBOL from account, received at now_ns. */
static void tick_from(struct hamd_dataplane *dp, const char *account,
                      unsigned k, int64_t now_ns)
{
    unit_dp_tick_in(dp, account, CONN, k, T0_NS, STEP_NS, now_ns);
}

/* staleness_ms of source s after a statistics refresh. */
static int64_t staleness_ms(struct hamd_dataplane *dp, int s)
{
    dp_stats_refresh(dp, 10 * SEC_NS);
    return dp->sources[s].st.staleness_ms;
}

/* One source serves and delivers: no per-source times, no lag. */
static void test_single_source_has_no_times(void **state)
{
    struct hamd_dataplane *dp = *state;
    tick_from(dp, SRC_A, 0, 2 * SEC_NS);
    tick_from(dp, SRC_A, 1, 3 * SEC_NS);
    assert_null(unit_dp_the_contract(dp)->last_rx_ns);
    assert_int_equal(unit_dp_the_contract(dp)->freshest_rx_ns, 3 * SEC_NS);
    assert_int_equal(staleness_ms(dp, 0), 0);
    assert_int_equal(staleness_ms(dp, 1), 0);
}

/* Two serve, one delivers: the silent one lags since its HELLO. */
static void test_silent_second_server_lags_since_hello(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct dp_contract *c = unit_dp_the_contract(dp);
    c->served = 3u;
    dp_stats_contract_touched(dp, c);
    assert_non_null(c->last_rx_ns);
    tick_from(dp, SRC_A, 0, 4 * SEC_NS);
    assert_int_equal(staleness_ms(dp, 1), 3000); /* 4 s - HELLO at 1 s */
    assert_int_equal(staleness_ms(dp, 0), 0);
}

/* Source 0 delivers alone; source 1's first tick, later, makes the
 * contract two-source: source 0 keeps its own last receipt (2 s), not
 * the newcomer's (5 s), and lags by the difference. */
static void test_newcomer_keeps_first_sources_receipt(void **state)
{
    struct hamd_dataplane *dp = *state;
    tick_from(dp, SRC_A, 0, 2 * SEC_NS);
    assert_null(unit_dp_the_contract(dp)->last_rx_ns);
    tick_from(dp, SRC_B, 1, 5 * SEC_NS);
    struct dp_contract *c = unit_dp_the_contract(dp);
    assert_non_null(c->last_rx_ns);
    assert_int_equal(c->last_rx_ns[0], 2 * SEC_NS);
    assert_int_equal(c->last_rx_ns[1], 5 * SEC_NS);
    assert_int_equal(staleness_ms(dp, 0), 3000);
    /* Source 0 catches up: no lag left. */
    tick_from(dp, SRC_A, 2, 6 * SEC_NS);
    assert_int_equal(staleness_ms(dp, 0), 0);
}

/* A second server joins after source 0 delivered: the times start from
 * source 0's last receipt, and the newcomer lags since its HELLO. */
static void test_second_server_joins_after_receipts(void **state)
{
    struct hamd_dataplane *dp = *state;
    tick_from(dp, SRC_A, 0, 2 * SEC_NS);
    struct dp_contract *c = unit_dp_the_contract(dp);
    c->served = 3u;
    dp_stats_contract_touched(dp, c);
    assert_non_null(c->last_rx_ns);
    assert_int_equal(c->last_rx_ns[0], 2 * SEC_NS);
    assert_int_equal(c->last_rx_ns[1], 0);
    assert_int_equal(staleness_ms(dp, 1), 1000); /* 2 s - HELLO at 1 s */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_single_source_has_no_times,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(
            test_silent_second_server_lags_since_hello, setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(
            test_newcomer_keeps_first_sources_receipt, setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_second_server_joins_after_receipts,
                                        setup, unit_dp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
