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
 * The same hole came from a replay of held ticks (the end of a lapse, a
 * takeover, a switch) during which the lease moved: the whole replay
 * went out under one decision, and dp_publish_tick checks the lease only
 * last, just before the send. Each tick that check stopped was still
 * marked published, numbered and cached, never sent, and the flush let
 * its ring go: the node elected again found nothing to send. Now the
 * check comes before any of that, and the replay stops there and keeps
 * the rest.
 *
 * The data plane is driven without being started (no PUB socket; the
 * gate is told PUB is bound, a send counts a ZeroMQ error), with fake
 * time; the "control plane" moves the lease between two ticks of a
 * replay from the replay's own emit. */
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
#define LATER_TERM 5                /* the term this node wins again */
#define HELD 5                      /* ticks held in the lapse */
#define SENT_BEFORE_MOVE 2          /* of them a replay sent before the
                                       lease moved */

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
    unit_dp_tick_in(dp, SRC, CONN, k, T0_NS, STEP_NS,
                    NOW_NS + (int64_t)k * STEP_NS);
}

static void set_lease(struct hamd_dataplane *dp, uint64_t term,
                      int64_t until_ns)
{
    hamd_dataplane_set_lease(dp, term, until_ns);
}

/* hamd_arb_emit_fn counting what a takeover would send. */
static enum hamd_arb_emit count_emit(void *ud, int source,
                                     const struct hamd_arb_tick *t)
{
    (void)source;
    (void)t;
    (*(unsigned *)ud)++;
    return HAMD_ARB_EMIT_SENT;
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

/* The lapse of lapsed_publisher ends: the lease is back in OLD_TERM and
 * the held ticks go out (dp_publish.c, contract_flush), but the control
 * plane moves the lease to NEXT_TERM (this node deposed) once
 * SENT_BEFORE_MOVE of them went out. */
struct moving {
    struct dp_replay replay; /* what dp_replay_emit needs */
    unsigned sent;           /* ticks it sent */
};

static enum hamd_arb_emit emit_then_move(void *ud, int source,
                                         const struct hamd_arb_tick *t)
{
    struct moving *m = ud;
    if (m->sent == SENT_BEFORE_MOVE)
        set_lease(m->replay.dp, NEXT_TERM, 0);
    enum hamd_arb_emit e = dp_replay_emit(&m->replay, source, t);
    m->sent += e == HAMD_ARB_EMIT_SENT;
    return e;
}

static void replay_meets_moved_lease(struct hamd_dataplane *dp)
{
    lapsed_publisher(dp);
    int64_t back_ns = NOW_NS + HELD * STEP_NS;
    set_lease(dp, OLD_TERM, back_ns + LEASE_MS * MS);
    struct dp_contract *c = unit_dp_the_contract(dp);
    struct moving m = {{dp, c, back_ns}, 0};
    hamd_arb_flush(&c->arb, hamd_gate_lapse_limits(&dp->gate), back_ns,
                   emit_then_move, &m);
}

/* The ticks the last check stopped are neither published, numbered nor
 * cached, and stay held in order. */
static void test_replay_stops_where_the_lease_moved(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct dp_contract *c = unit_dp_the_contract(dp);
    replay_meets_moved_lease(dp);
    assert_int_equal(dp->published, SENT_BEFORE_MOVE);
    assert_int_equal(dp->sources[0].st.published, SENT_BEFORE_MOVE);
    assert_int_equal(c->seq_term, OLD_TERM);
    assert_int_equal(c->seq, SENT_BEFORE_MOVE);
    assert_int_equal(c->arb.last_datetime_ns,
                     T0_NS + (SENT_BEFORE_MOVE - 1) * STEP_NS);
    assert_int_equal(hamd_arb_kept(&c->arb, 0), HELD - SENT_BEFORE_MOVE);
}

/* This node elected again in LATER_TERM: its takeover sends every tick
 * the replay did not, numbered from 1 in the new term, none let go. */
static void test_reelected_node_sends_what_the_replay_did_not(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct dp_contract *c = unit_dp_the_contract(dp);
    replay_meets_moved_lease(dp);
    int64_t at = NOW_NS + (HELD + 1) * STEP_NS;
    dp_endpoints_reconcile(dp, at); /* PUB closes: the node follows */
    assert_true(hamd_gate_holds(&dp->gate));
    set_lease(dp, LATER_TERM, at + LEASE_MS * MS);
    hamd_gate_pub_opened(&dp->gate, LATER_TERM, at);
    struct dp_replay r = {dp, c, at};
    unsigned sent = hamd_arb_flush(&c->arb, hamd_gate_follow_limits(&dp->gate),
                                   at, dp_replay_emit, &r);
    assert_int_equal(sent, HELD - SENT_BEFORE_MOVE);
    assert_int_equal(dp->published, HELD);
    assert_int_equal(dp->replay_lost, 0);
    assert_int_equal(c->seq_term, LATER_TERM);
    assert_int_equal(c->seq, HELD - SENT_BEFORE_MOVE);
    assert_int_equal(c->arb.last_datetime_ns, T0_NS + (HELD - 1) * STEP_NS);
    assert_int_equal(hamd_arb_kept(&c->arb, 0), 0);
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
        cmocka_unit_test_setup_teardown(test_replay_stops_where_the_lease_moved,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(
            test_reelected_node_sends_what_the_replay_did_not, setup,
            unit_dp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
