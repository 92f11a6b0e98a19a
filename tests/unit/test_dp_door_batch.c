/* The door's batches (dataplane/dataplane.c, hamd_dataplane_batch_begin):
 * between _begin and _end the control thread's body-less door messages
 * are held, then reach a running data plane as one message per
 * DP_DOOR_BATCH_MAX, carried out in the order posted, with a message that
 * has a body (a source's exchanges) in its place among them. Waits are
 * bounded; nothing here measures time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "dataplane/dataplane.h"
#include "unit_dp.h"

#define WAIT_NS (10 * HAMD_NS_PER_S) /* longest wait for anything */
#define STEP_US 2000                 /* between two looks */
#define HELD_US 100000               /* a look while the batch is held */
#define N_CONTRACTS 5000             /* more than one batch carries */
#define N_FIRST 100                  /* held, fewer than one batch */
#define REMOVED (N_CONTRACTS - 2)    /* removed in the batch that added it */

static int setup(void **state)
{
    struct hamd_dataplane_opts o;
    memset(&o, 0, sizeof o);
    o.node_id = 1;
    /* Linux's abstract namespace: no file, nothing to clean up */
    snprintf(o.gw_endpoint, sizeof o.gw_endpoint, "ipc://@hamd-dpbatch-%d",
             (int)getpid());
    o.pub_hwm = 1000;
    o.heartbeat_ms = 100;
    o.stats_interval_ms = 10;
    o.limits.window_ns = 5 * HAMD_NS_PER_S;
    o.limits.depth = 64;
    struct hamd_dataplane *dp = hamd_dataplane_new(&o, NULL, NULL);
    assert_non_null(dp);
    char err[256];
    assert_int_equal(hamd_dataplane_start(dp, err, sizeof err), 0);
    *state = dp;
    return 0;
}

static void vt_of(unsigned i, char *out, size_t cap)
{
    snprintf(out, cap, "c%04u.SHFE", i);
}

/* The data plane's stats once pred holds on them, or at the deadline. */
static struct hamd_dp_stats stats_when(struct hamd_dataplane *dp,
                                       bool (*pred)(const struct hamd_dp_stats *))
{
    struct hamd_dp_stats st;
    int64_t end = hamd_mono_ns() + WAIT_NS;
    do {
        usleep(STEP_US);
        hamd_dataplane_stats(dp, &st);
    } while (!pred(&st) && hamd_mono_ns() < end);
    return st;
}

static bool all_in(const struct hamd_dp_stats *st)
{
    return st->contracts == N_CONTRACTS - 1 && st->n_sources == 1;
}

static bool one_in(const struct hamd_dp_stats *st)
{
    return st->contracts == 1;
}

/* Held until _end (or until a batch is full), then every message carried
 * out in order: the adds (two batches), the remove of one after its add,
 * the source (a message with a body, sent in its place) and the routes
 * after it. */
static void test_batch_arrives_whole_and_in_order(void **state)
{
    struct hamd_dataplane *dp = *state;
    char vt[32];
    hamd_dataplane_batch_begin(dp);
    for (unsigned i = 0; i < N_FIRST; i++) {
        vt_of(i, vt, sizeof vt);
        hamd_dataplane_contract_add(dp, vt);
    }
    usleep(HELD_US);
    struct hamd_dp_stats st;
    hamd_dataplane_stats(dp, &st);
    assert_int_equal(st.contracts, 0); /* held */
    for (unsigned i = N_FIRST; i < N_CONTRACTS; i++) {
        vt_of(i, vt, sizeof vt);
        hamd_dataplane_contract_add(dp, vt);
    }
    vt_of(REMOVED, vt, sizeof vt);
    hamd_dataplane_contract_remove(dp, vt);

    const char *exch[] = {"SHFE", "DCE"};
    assert_int_equal(hamd_dataplane_source_add(dp, "sim_a", exch, 2, ""), 0);
    for (unsigned i = 0; i < N_CONTRACTS; i++) {
        vt_of(i, vt, sizeof vt);
        hamd_dataplane_assign(dp, vt, "sim_a", 0);
    }
    hamd_dataplane_batch_end(dp);
    st = stats_when(dp, all_in);
    assert_int_equal(st.contracts, N_CONTRACTS - 1);
    assert_int_equal(st.n_sources, 1);
    assert_string_equal(st.sources[0].account, "sim_a");
}

/* Outside a batch, messages go one by one as before; ending a batch
 * that holds nothing, or that was never begun, posts nothing. */
static void test_no_batch_posts_directly(void **state)
{
    struct hamd_dataplane *dp = *state;
    hamd_dataplane_batch_end(dp);
    hamd_dataplane_batch_begin(dp);
    hamd_dataplane_batch_end(dp);
    hamd_dataplane_contract_add(dp, "rb2601.SHFE");
    struct hamd_dp_stats st = stats_when(dp, one_in);
    assert_int_equal(st.contracts, 1);
    assert_int_equal(st.n_sources, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_arrives_whole_and_in_order,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_no_batch_posts_directly, setup,
                                        unit_dp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
