/* A publisher whose lease moved to another term while its PUB is still
 * bound in the old one (core/gate.h, rule 1): the control plane set the
 * new lease, the data loop has not reconciled yet, and a tick arrives.
 *
 * The case: a leader lost its quorum (its lease lapsed, it held its
 * ticks), then learned of a higher term while PUB was still open (a
 * follower's vote request, under load). A tick taken in between was
 * numbered in the new term and never sent (PUB belongs to the old one),
 * and it moved the contract's guard past everything held: when the same
 * node was elected again (term 2 -> 5 in the chaos lab under load),
 * its takeover found the held ticks stale and sent none of them, and
 * the new term's seq started at 1: ~60 ticks per contract lost with no
 * gap any client could see.
 *
 * The data plane is driven without being started (no PUB socket; the
 * gate is told PUB is bound), with fake time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_dp.h"

#define SRC "sim_a"                 /* source 0, active on the contract */
#define TOKEN "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define CONN "gw-1"                 /* the connection that proved TOKEN */
#define MS 1000000LL                /* ns per ms */
#define NOW_NS (1000000 * MS)       /* the monotonic start */
#define T0_NS 1700000000000000000LL /* exchange time of tick 0 */
#define STEP_NS (50 * MS)           /* between ticks: 20 a second */
#define WINDOW_NS (3000 * MS)       /* replay_window_ms, the default */
#define DEPTH 256                   /* replay_depth, the default */
#define LEASE_MS 200                /* the lease's span */
#define OLD_TERM 2                  /* PUB's term */
#define NEXT_TERM 3                 /* the term the node learned of */
#define HELD 5                      /* ticks held in the lapse */

static int setup(void **state)
{
    struct hamd_dataplane *dp = unit_dp_publisher(WINDOW_NS, DEPTH);
    unit_dp_source(dp, 0, SRC, TOKEN, CONN);
    unit_dp_contract(dp, UNIT_DP_VT_SYMBOL);
    *state = dp;
    return 0;
}

/* Tick k from SRC, received at NOW_NS + k * STEP_NS. */
static void tick_in(struct hamd_dataplane *dp, unsigned k)
{
    static uint8_t body[HAMD_TICK_WIRE_MAX];
    size_t len = unit_dp_tick(k, T0_NS, STEP_NS, body);
    struct unit_dp_msg m = {{"TICK", body}, {4, len}, 0};
    const char *conn = CONN;
    dp_ingest_message(dp, SRC, strlen(SRC), &conn, unit_dp_next, &m,
                      NOW_NS + (int64_t)k * STEP_NS);
    assert_int_equal(m.pos, 2);
}

static void set_lease(struct hamd_dataplane *dp, uint64_t term,
                      int64_t until_ns)
{
    hamd_dataplane_set_lease(dp, term, until_ns);
}

/* hamd_arb_emit_fn counting what a takeover would send. */
static bool count_emit(void *ud, int source, const struct hamd_arb_tick *t)
{
    (void)source;
    (void)t;
    (*(unsigned *)ud)++;
    return true;
}

/* The node published in OLD_TERM with PUB bound; its lease ran out before
 * tick 0 came, so ticks 0 .. HELD-1 are held in a lapse. */
static void lapsed_publisher(struct hamd_dataplane *dp)
{
    hamd_gate_pub_opened(&dp->gate, OLD_TERM, NOW_NS - LEASE_MS * MS);
    set_lease(dp, OLD_TERM, NOW_NS - 1);
    for (unsigned k = 0; k < HELD; k++)
        tick_in(dp, k);
    struct dp_contract *c = unit_dp_the_contract(dp);
    assert_int_equal(hamd_arb_kept(&c->arb, 0), HELD);
    assert_int_equal(dp->sources[0].st.published, 0);
}

/* The lapsed publisher learns of NEXT_TERM (deposed: its lease revoked
 * there), and tick HELD comes before the loop's reconcile. */
static void deposed_then_a_tick(struct hamd_dataplane *dp)
{
    lapsed_publisher(dp);
    set_lease(dp, NEXT_TERM, 0);
    tick_in(dp, HELD);
}

/* That tick is held with the others, numbered in no term, the guard left
 * where it was. */
static void test_tick_after_term_moved_is_held(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct dp_contract *c = unit_dp_the_contract(dp);
    deposed_then_a_tick(dp);
    assert_int_equal(hamd_arb_kept(&c->arb, 0), HELD + 1);
    assert_int_equal(dp->sources[0].st.published, 0);
    assert_int_equal(c->seq, 0);
    assert_false(c->arb.has_last);
}

/* The same node elected again later: its takeover sends every tick it
 * held, none let go unseen. */
static void test_reelected_node_sends_what_it_held(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct dp_contract *c = unit_dp_the_contract(dp);
    deposed_then_a_tick(dp);
    unsigned sent = 0;
    int64_t later = NOW_NS + (HELD + 1) * STEP_NS;
    hamd_arb_flush(&c->arb, hamd_gate_follow_limits(&dp->gate), later,
                   count_emit, &sent);
    assert_int_equal(sent, HELD + 1);
    assert_int_equal(hamd_arb_take_lost(&c->arb), 0);
}

/* Elected again in a new term before the loop closed the old PUB: the
 * tick is held for the takeover too, not numbered in a term PUB never
 * sends (its seq 1 would be missing). */
static void test_tick_after_reelection_before_reconcile_is_held(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct dp_contract *c = unit_dp_the_contract(dp);
    lapsed_publisher(dp);
    int64_t at = NOW_NS + HELD * STEP_NS;
    set_lease(dp, NEXT_TERM + 2, at + LEASE_MS * MS);
    tick_in(dp, HELD);
    assert_int_equal(hamd_arb_kept(&c->arb, 0), HELD + 1);
    assert_int_equal(c->seq, 0);
    assert_false(c->arb.has_last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tick_after_term_moved_is_held,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_reelected_node_sends_what_it_held,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(
            test_tick_after_reelection_before_reconcile_is_held, setup,
            unit_dp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
