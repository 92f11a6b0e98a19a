/* A hot standby's copies judged on a peek (dp_ingest.c,
 * common/tick_peek.h): where a contract has two sources, a copy of a tick
 * already published is counted stale (and a lost race) from three of its
 * keys, without its decode, and a newer copy of a source that does not
 * supply the contract is kept for a replay as it came, decoded only when
 * a switch sends it; every DP_UNREAD_CHECK_EVERY-th is decoded all the
 * same, so a standby whose bodies are corrupt past those keys is counted
 * malformed; a copy that may go out is always decoded in full; and a
 * node with one source never peeks.
 *
 * The losing copies carry a body broken after the volume (last_price's
 * header made 0xc1, never msgpack): which copies were decoded shows in
 * the malformed count. Ticks go through dp_ingest_message with a fake
 * frame reader; the data plane is never started (the publisher without a
 * PUB: ticks are judged and counted, not sent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/tick_compact.h"
#include "dataplane/dp_internal.h"
#include "unit_dp.h"

#define SRC_A "sim_a"              /* source 0, fastest */
#define SRC_B "sim_b"              /* source 1, the standby */
#define VT_SYMBOL UNIT_DP_VT_SYMBOL /* the one subscribed contract */
#define NOW_NS 1000000000LL        /* monotonic receive time */
#define T0_NS 1700000000000000000LL /* exchange time of the first tick */
#define STEP_NS 500000000LL        /* exchange time between ticks */
#define WINDOW_NS 5000000000LL     /* replay window */
#define DEPTH 64                   /* replay ring depth */
#define COPIES (2 * DP_UNREAD_CHECK_EVERY) /* losing copies a test sends */
#define TOKEN "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define CONN "gw-1"                /* the connection that proved TOKEN */
#define LAST_PRICE_KEY "\xaa" "last_price" /* its fixstr key on the wire */

/* A data plane with both sources serving VT_SYMBOL, A active: in
 * priority mode, B is the standby whose copies are kept for a switch. */
static int setup_priority(void **state)
{
    struct hamd_dataplane *dp = unit_dp_publisher(WINDOW_NS, DEPTH);
    unit_dp_source(dp, 0, SRC_A, TOKEN, CONN);
    unit_dp_source(dp, 1, SRC_B, TOKEN, CONN);
    struct dp_contract *c = unit_dp_contract(dp, VT_SYMBOL);
    c->served = 3u;
    dp_stats_contract_touched(dp, c);
    assert_int_equal(dp->multi_len, 1);
    *state = dp;
    return 0;
}

/* The same in first-arrival mode: both supply VT_SYMBOL. */
static int setup_two(void **state)
{
    setup_priority(state);
    struct hamd_dataplane *dp = *state;
    struct dp_contract *c = unit_dp_the_contract(dp);
    c->first = true;
    hamd_arb_set_eligible(&c->arb, &dp->opts.limits, 3u, NOW_NS, NULL, NULL);
    return 0;
}

/* The same with source A alone. */
static int setup_one(void **state)
{
    struct hamd_dataplane *dp = unit_dp_publisher(WINDOW_NS, DEPTH);
    unit_dp_source(dp, 0, SRC_A, TOKEN, CONN);
    unit_dp_contract(dp, VT_SYMBOL);
    assert_int_equal(dp->multi_len, 0);
    *state = dp;
    return 0;
}

/* Sends body from account, received at NOW_NS + k. */
static void body_from(struct hamd_dataplane *dp, const char *account,
                      unsigned k, const uint8_t *body, size_t len)
{
    struct unit_dp_msg m = {{"TICK", body}, {4, len}, 0};
    const char *conn = CONN;
    dp_ingest_message(dp, account, strlen(account), &conn, unit_dp_next, &m,
                      NOW_NS + k);
    assert_int_equal(m.pos, 2);
}

/* Tick number k of VT_SYMBOL from account; broken after its volume when
 * corrupt. */
static void tick_from(struct hamd_dataplane *dp, const char *account,
                      unsigned k, bool corrupt)
{
    static uint8_t body[HAMD_TICK_WIRE_MAX];
    size_t len = unit_dp_tick(k, T0_NS, STEP_NS, body);
    if (corrupt) {
        uint8_t *key = memmem(body, len, LAST_PRICE_KEY,
                              strlen(LAST_PRICE_KEY));
        assert_non_null(key);
        key[strlen(LAST_PRICE_KEY)] = 0xc1;
    }
    body_from(dp, account, k, body, len);
}

/* Moves VT_SYMBOL to source s at NOW_NS + k, as a switch of the failover
 * engine does (dataplane.c): what s kept goes out. Returns how many. */
static unsigned switch_to(struct hamd_dataplane *dp, int s, unsigned k)
{
    struct dp_contract *c = unit_dp_the_contract(dp);
    struct dp_replay r = {dp, c, NOW_NS + k};
    return hamd_arb_switch(&c->arb, &dp->opts.limits, s, NOW_NS + k,
                           dp_replay_emit, &r);
}

/* The last tick the data plane published, from its last-value cache. */
static struct hamd_tick last_published(struct hamd_dataplane *dp)
{
    struct dp_contract *c = unit_dp_the_contract(dp);
    struct hamd_tick t;
    assert_true(c->lvc_len > 0);
    hamd_tick_expand(c->lvc, &t);
    return t;
}

static const struct hamd_dp_source_stats *stats(struct hamd_dataplane *dp,
                                                int s)
{
    return &dp->sources[s].st;
}

/* A's copy of every tick first, then B's broken one: 15 of every 16 of
 * B's are dropped unread (stale, a lost race, received), the 16th is
 * decoded and counted malformed. */
static void test_losing_copies_dropped_unread(void **state)
{
    struct hamd_dataplane *dp = *state;
    for (unsigned k = 0; k < COPIES; k++) {
        tick_from(dp, SRC_A, k, false);
        tick_from(dp, SRC_B, k, true);
    }
    unsigned decoded = COPIES / DP_UNREAD_CHECK_EVERY;
    assert_int_equal(stats(dp, 0)->published, COPIES);
    assert_int_equal(stats(dp, 1)->published, 0);
    assert_int_equal(stats(dp, 1)->malformed, decoded);
    assert_int_equal(stats(dp, 1)->stale, COPIES - decoded);
    assert_int_equal(stats(dp, 1)->lost_race, COPIES - decoded);
    assert_int_equal(stats(dp, 1)->ticks, COPIES - decoded);
    /* The receipts of the copies dropped unread count for B's lag: the
     * last was copy COPIES - 2 (copy COPIES - 1 was the 16th, decoded). */
    assert_int_equal(unit_dp_the_contract(dp)->last_rx_ns[1], NOW_NS + COPIES - 2);
}

/* Good losing copies are counted as a full decode would count them. */
static void test_good_losing_copies_counted_as_before(void **state)
{
    struct hamd_dataplane *dp = *state;
    for (unsigned k = 0; k < COPIES; k++) {
        tick_from(dp, SRC_A, k, false);
        tick_from(dp, SRC_B, k, false);
    }
    assert_int_equal(stats(dp, 1)->stale, COPIES);
    assert_int_equal(stats(dp, 1)->lost_race, COPIES);
    assert_int_equal(stats(dp, 1)->ticks, COPIES);
    assert_int_equal(stats(dp, 1)->malformed, 0);
    assert_int_equal(stats(dp, 0)->stale, 0);
}

/* A broken copy that comes first is newer: decoded, refused, never
 * published; the good copy after it goes out. */
static void test_broken_winner_never_published(void **state)
{
    struct hamd_dataplane *dp = *state;
    tick_from(dp, SRC_A, 0, false);
    for (unsigned k = 1; k <= COPIES; k++) {
        tick_from(dp, SRC_B, k, true);
        assert_int_equal(unit_dp_the_contract(dp)->arb.last_datetime_ns,
                         T0_NS + (int64_t)(k - 1) * STEP_NS);
        tick_from(dp, SRC_A, k, false);
    }
    assert_int_equal(stats(dp, 1)->malformed, COPIES);
    assert_int_equal(stats(dp, 1)->published, 0);
    assert_int_equal(stats(dp, 0)->published, COPIES + 1);
}

/* One source: no peek, every repeat decoded and judged. */
static void test_one_source_never_peeks(void **state)
{
    struct hamd_dataplane *dp = *state;
    tick_from(dp, SRC_A, 0, false);
    for (unsigned k = 0; k < COPIES; k++)
        tick_from(dp, SRC_A, 0, true);
    assert_int_equal(stats(dp, 0)->malformed, COPIES);
    assert_int_equal(stats(dp, 0)->stale, 0);
    assert_int_equal(stats(dp, 0)->published, 1);
}

/* A wins every race for a window: its bodies are no longer peeked at (its
 * broken repeats are all decoded, all malformed). A window of its good
 * repeats, all stale, turns peeking back on (15 of 16 broken repeats
 * then dropped unread). */
static void test_peek_follows_stale_share(void **state)
{
    struct hamd_dataplane *dp = *state;
    unsigned k = 0;
    for (; k < DP_PEEK_WINDOW; k++)
        tick_from(dp, SRC_A, k, false);
    assert_true(dp->sources[0].peek_off);
    unsigned last = k - 1;
    for (unsigned i = 0; i < DP_UNREAD_CHECK_EVERY; i++)
        tick_from(dp, SRC_A, last, true);
    assert_int_equal(stats(dp, 0)->malformed, DP_UNREAD_CHECK_EVERY);
    for (unsigned i = 0; i < DP_PEEK_WINDOW; i++)
        tick_from(dp, SRC_A, last, false);
    assert_false(dp->sources[0].peek_off);
    for (unsigned i = 0; i < DP_UNREAD_CHECK_EVERY; i++)
        tick_from(dp, SRC_A, last, true);
    assert_int_equal(stats(dp, 0)->malformed, DP_UNREAD_CHECK_EVERY + 1);
    assert_int_equal(stats(dp, 0)->published, DP_PEEK_WINDOW);
}

/* A stalls after tick 0 and B's copies arrive first: kept, not decoded
 * (15 of every 16 of B's broken ones are not counted malformed), and the
 * switch to B decodes them: the broken ones are counted malformed then
 * and none goes out. */
static void test_standby_copies_kept_unread(void **state)
{
    struct hamd_dataplane *dp = *state;
    tick_from(dp, SRC_A, 0, false);
    for (unsigned k = 1; k <= COPIES; k++)
        tick_from(dp, SRC_B, k, true);
    unsigned decoded = COPIES / DP_UNREAD_CHECK_EVERY;
    assert_int_equal(stats(dp, 1)->malformed, decoded);
    assert_int_equal(hamd_arb_kept(&unit_dp_the_contract(dp)->arb, 1),
                     COPIES - decoded);
    assert_int_equal(stats(dp, 1)->ticks, COPIES - decoded);
    assert_int_equal(switch_to(dp, 1, COPIES + 1), 0);
    assert_int_equal(stats(dp, 1)->malformed, COPIES);
    assert_int_equal(stats(dp, 1)->published, 0);
    assert_int_equal(unit_dp_the_contract(dp)->arb.last_datetime_ns, T0_NS);
}

/* B's good copies kept unread go out on the switch in order, each as it
 * came (the last one's fields, B's account as gateway_name); the broken
 * ones among them are counted and skipped, the guard moving past them. */
static void test_switch_sends_kept_copies(void **state)
{
    struct hamd_dataplane *dp = *state;
    tick_from(dp, SRC_A, 0, false);
    unsigned broken = 0;
    for (unsigned k = 1; k <= COPIES; k++) {
        bool corrupt = k % 5 == 0;
        broken += corrupt;
        tick_from(dp, SRC_B, k, corrupt);
    }
    assert_int_equal(switch_to(dp, 1, COPIES + 1), COPIES - broken);
    assert_int_equal(stats(dp, 1)->published, COPIES - broken);
    assert_int_equal(stats(dp, 1)->malformed, broken);
    struct hamd_tick t = last_published(dp);
    assert_int_equal(t.datetime_ns, T0_NS + (int64_t)COPIES * STEP_NS);
    assert_true(t.last_price == 3000.0 + COPIES);
    assert_string_equal(t.gateway_name, SRC_B);
    assert_int_equal(t.seq, 1 + COPIES - broken);
    /* B is live now: its next tick goes out, A's copy of it is stale. */
    tick_from(dp, SRC_B, COPIES + 1, false);
    tick_from(dp, SRC_A, COPIES + 1, false);
    assert_int_equal(stats(dp, 1)->published, COPIES - broken + 1);
    assert_int_equal(stats(dp, 0)->stale, 1);
}

/* A body longer than any tick hamd encodes (an unknown key of 3,000
 * bytes) is decoded on arrival and kept encoded again: the switch sends
 * the tick. */
static void test_long_body_kept_encoded(void **state)
{
    struct hamd_dataplane *dp = *state;
    tick_from(dp, SRC_A, 0, false);
    enum { PAD = 3000 };
    static uint8_t body[HAMD_TICK_WIRE_MAX + PAD + 16];
    size_t len = unit_dp_tick(1, T0_NS, STEP_NS, body);
    assert_int_equal(body[0], 0xde); /* map 16: two count bytes */
    body[2]++;                       /* one key more (< 255 keys) */
    memcpy(body + len, "\xa3pad\xda", 5);
    body[len + 5] = PAD >> 8;
    body[len + 6] = PAD & 0xff;
    memset(body + len + 7, 'x', PAD);
    len += 7 + PAD;
    assert_true(len > HAMD_TICK_WIRE_MAX);
    body_from(dp, SRC_B, 1, body, len);
    assert_int_equal(hamd_arb_kept(&unit_dp_the_contract(dp)->arb, 1), 1);
    assert_int_equal(switch_to(dp, 1, 2), 1);
    struct hamd_tick t = last_published(dp);
    assert_int_equal(t.datetime_ns, T0_NS + STEP_NS);
    assert_string_equal(t.gateway_name, SRC_B);
    assert_int_equal(stats(dp, 1)->malformed, 0);
}

/* A stalls after tick 0 and B keeps more than its ring's depth: the
 * switch sends the newest DEPTH, and the seq of what goes out skips the
 * ones the ring let go, so clients see the gap. */
static void test_switch_shows_what_the_ring_let_go(void **state)
{
    struct hamd_dataplane *dp = *state;
    enum { LET_GO = 36 };
    tick_from(dp, SRC_A, 0, false);
    for (unsigned k = 1; k <= DEPTH + LET_GO; k++)
        tick_from(dp, SRC_B, k, false);
    assert_int_equal(switch_to(dp, 1, DEPTH + LET_GO + 1), DEPTH);
    assert_int_equal(dp->replay_lost, LET_GO);
    struct hamd_tick t = last_published(dp);
    assert_int_equal(t.datetime_ns,
                     T0_NS + (int64_t)(DEPTH + LET_GO) * STEP_NS);
    assert_int_equal(t.seq, 1 + LET_GO + DEPTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_losing_copies_dropped_unread,
                                        setup_two, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(
            test_good_losing_copies_counted_as_before, setup_two, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_broken_winner_never_published,
                                        setup_two, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_peek_follows_stale_share,
                                        setup_two, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_one_source_never_peeks,
                                        setup_one, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_standby_copies_kept_unread,
                                        setup_priority, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_switch_sends_kept_copies,
                                        setup_priority, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_long_body_kept_encoded,
                                        setup_priority, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_switch_shows_what_the_ring_let_go,
                                        setup_priority, unit_dp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
