/* Data plane ingest of gateway messages with several tick bodies
 * (gwproto.h): each body of a TICK is judged on its own and in order,
 * HELLO / STATUS / HB take exactly one body, and the bodies beyond
 * HAMD_GW_TICKS_PER_MSG_MAX are dropped and counted. And the launch
 * token (core/gwauth.h): only the connection whose HELLO carried it is
 * believed; anything else with the account's identity is dropped and
 * counted.
 *
 * The messages are fed to dp_ingest_message through a fake frame reader;
 * the data plane is never started: it is set up as the publisher without
 * a PUB, so ticks are judged and recorded as published, but not sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_internal.h"
#include "unit_dp.h"

#define ACCOUNT "sim_a"            /* the one source, index 0 */
#define VT_SYMBOL UNIT_DP_VT_SYMBOL /* the one subscribed contract */
#define FRAMES_MAX (HAMD_GW_TICKS_PER_MSG_MAX + 8) /* of one fake message */
#define NOW_NS 1000000000LL        /* monotonic receive time */
#define T0_NS 1700000000000000000LL /* exchange time of the first tick */
#define STEP_NS 500000000LL        /* exchange time between ticks */
#define WINDOW_NS 5000000000LL     /* replay window */
#define DEPTH 64                   /* replay ring depth */
#define GARBAGE "\xc1\xc1\xc1"     /* 0xc1 is never valid msgpack */
#define HB_BODY "\x81\xa5ts_ns\x01" /* {ts_ns: 1} */
#define TOKEN "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define CONN "gw-1"                 /* the connection that proved TOKEN */
#define INTRUDER "gw-2"             /* another connection, same identity */

/* The frames of one fake message after its identity. */
struct fake_msg {
    const void *data[FRAMES_MAX]; /* frame bytes */
    size_t len[FRAMES_MAX];       /* frame sizes */
    unsigned n;                   /* frames */
    unsigned pos;                 /* frames pulled */
};

/* A body buffer per frame a test may encode. */
static uint8_t bodies[FRAMES_MAX][HAMD_TICK_WIRE_MAX];

static void msg_add(struct fake_msg *m, const void *data, size_t len)
{
    assert_true(m->n < FRAMES_MAX);
    m->data[m->n] = data;
    m->len[m->n] = len;
    m->n++;
}

/* Appends the encoded good tick number k of VT_SYMBOL (newer with k). */
static void msg_add_tick(struct fake_msg *m, unsigned k)
{
    size_t len = unit_dp_tick(k, T0_NS, STEP_NS, bodies[m->n]);
    msg_add(m, bodies[m->n], len);
}

/* dp_ingest_message's reader over a fake message. */
static bool fake_next(void *ud, const void **frame, size_t *len, bool *more)
{
    struct fake_msg *m = ud;
    if (m->pos >= m->n)
        return false;
    *frame = m->data[m->pos];
    *len = m->len[m->pos];
    m->pos++;
    *more = m->pos < m->n;
    return true;
}

/* A data plane with source ACCOUNT active on VT_SYMBOL. */
static int setup(void **state)
{
    struct hamd_dataplane *dp = unit_dp_publisher(WINDOW_NS, DEPTH);
    unit_dp_source(dp, 0, ACCOUNT, TOKEN, CONN);
    unit_dp_contract(dp, VT_SYMBOL);
    *state = dp;
    return 0;
}

static void ingest_on(struct hamd_dataplane *dp, const char *id,
                      const char *conn, struct fake_msg *m)
{
    dp_ingest_message(dp, id, strlen(id), &conn, fake_next, m, NOW_NS);
}

static void ingest(struct hamd_dataplane *dp, const char *id,
                   struct fake_msg *m)
{
    ingest_on(dp, id, CONN, m);
}

static const struct hamd_dp_source_stats *stats(struct hamd_dataplane *dp)
{
    return &dp->sources[0].st;
}

/* The exchange time of the last published tick (the arbiter's guard). */
static int64_t published_datetime(struct hamd_dataplane *dp)
{
    struct dp_contract *c = unit_dp_the_contract(dp);
    assert_true(c->arb.has_last);
    return c->arb.last_datetime_ns;
}

static void count_event(void *ud, const struct hamd_dp_event *ev)
{
    (void)ev;
    (*(unsigned *)ud)++;
}

/* The source's counters: received, published, stale, malformed. */
static void assert_counts(struct hamd_dataplane *dp, uint64_t ticks,
                          uint64_t published, uint64_t stale,
                          uint64_t malformed)
{
    assert_int_equal(stats(dp)->ticks, ticks);
    assert_int_equal(stats(dp)->published, published);
    assert_int_equal(stats(dp)->stale, stale);
    assert_int_equal(stats(dp)->malformed, malformed);
}

static void test_bad_body_costs_only_itself(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct fake_msg m = {0};
    msg_add(&m, "TICK", 4);
    msg_add_tick(&m, 0);
    msg_add(&m, GARBAGE, strlen(GARBAGE));
    msg_add_tick(&m, 2);
    ingest(dp, ACCOUNT, &m);
    assert_int_equal(m.pos, m.n);
    assert_counts(dp, 2, 2, 0, 1);
    assert_int_equal(published_datetime(dp), T0_NS + 2 * STEP_NS);
}

static void test_bodies_in_arrival_order(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct fake_msg m = {0};
    msg_add(&m, "TICK", 4);
    msg_add_tick(&m, 1);
    msg_add_tick(&m, 0); /* older than the one before: the guard drops it */
    msg_add_tick(&m, 2);
    ingest(dp, ACCOUNT, &m);
    assert_counts(dp, 3, 2, 1, 0);
    assert_int_equal(published_datetime(dp), T0_NS + 2 * STEP_NS);
}

static void test_single_body_tick_still_works(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct fake_msg m = {0};
    msg_add(&m, "TICK", 4);
    msg_add_tick(&m, 0);
    ingest(dp, ACCOUNT, &m);
    assert_int_equal(stats(dp)->ticks, 1);
    assert_int_equal(stats(dp)->published, 1);
    assert_int_equal(stats(dp)->malformed, 0);
}

static void test_bodies_beyond_max_dropped(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct fake_msg m = {0};
    msg_add(&m, "TICK", 4);
    for (unsigned k = 0; k < HAMD_GW_TICKS_PER_MSG_MAX + 2; k++)
        msg_add_tick(&m, k);
    ingest(dp, ACCOUNT, &m);
    assert_int_equal(m.pos, m.n); /* the extra bodies were read, counted */
    assert_int_equal(stats(dp)->ticks, HAMD_GW_TICKS_PER_MSG_MAX);
    assert_int_equal(stats(dp)->published, HAMD_GW_TICKS_PER_MSG_MAX);
    assert_int_equal(stats(dp)->malformed, 2);
    assert_int_equal(published_datetime(dp),
                     T0_NS + (HAMD_GW_TICKS_PER_MSG_MAX - 1) * STEP_NS);
}

static void test_hb_with_two_bodies_malformed(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct fake_msg two = {0};
    msg_add(&two, "HB", 2);
    msg_add(&two, HB_BODY, strlen(HB_BODY));
    msg_add(&two, HB_BODY, strlen(HB_BODY));
    ingest(dp, ACCOUNT, &two);
    assert_int_equal(stats(dp)->malformed, 1);
    assert_int_equal(stats(dp)->last_hb_ns, 0);

    struct fake_msg one = {0};
    msg_add(&one, "HB", 2);
    msg_add(&one, HB_BODY, strlen(HB_BODY));
    ingest(dp, ACCOUNT, &one);
    assert_int_equal(stats(dp)->malformed, 1);
    assert_int_equal(stats(dp)->last_hb_ns, NOW_NS);
}

static void test_hello_with_two_bodies_malformed(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct hamd_gw_hello hello = {.proto = HAMD_GW_PROTO_VERSION};
    strcpy(hello.account, ACCOUNT);
    strcpy(hello.token, TOKEN);
    size_t len = hamd_gw_hello_encode(&hello, bodies[0], HAMD_TICK_WIRE_MAX);
    assert_true(len > 0);
    struct fake_msg two = {0};
    msg_add(&two, "HELLO", 5);
    msg_add(&two, bodies[0], len);
    msg_add(&two, bodies[0], len);
    ingest(dp, ACCOUNT, &two);
    unsigned events = 0;
    assert_int_equal(hamd_dataplane_drain(dp, count_event, &events), 0);
    assert_int_equal(stats(dp)->malformed, 1);
    assert_int_equal(stats(dp)->hello_ns, 0);

    struct fake_msg one = {0};
    msg_add(&one, "HELLO", 5);
    msg_add(&one, bodies[0], len);
    ingest(dp, ACCOUNT, &one);
    assert_int_equal(hamd_dataplane_drain(dp, count_event, &events), 1);
    assert_int_equal(events, 1);
    assert_int_equal(stats(dp)->malformed, 1);
}

static void test_missing_frames_malformed(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct fake_msg empty = {0};
    ingest(dp, ACCOUNT, &empty);
    struct fake_msg type_only = {0};
    msg_add(&type_only, "TICK", 4);
    ingest(dp, ACCOUNT, &type_only);
    assert_int_equal(stats(dp)->malformed, 2);
    assert_int_equal(stats(dp)->ticks, 0);
}

static void test_unknown_identity_counted(void **state)
{
    struct hamd_dataplane *dp = *state;
    struct fake_msg m = {0};
    msg_add(&m, "TICK", 4);
    msg_add_tick(&m, 0);
    msg_add_tick(&m, 1);
    ingest(dp, "nobody", &m);
    assert_int_equal(dp->unknown_source, 1);
    assert_int_equal(stats(dp)->ticks, 0);
    assert_int_equal(stats(dp)->malformed, 0);
}

/* A HELLO of ACCOUNT carrying token, in frame buffer slot. */
static void msg_add_hello(struct fake_msg *m, const char *token)
{
    struct hamd_gw_hello hello = {.proto = HAMD_GW_PROTO_VERSION};
    strcpy(hello.account, ACCOUNT);
    strcpy(hello.token, token);
    msg_add(m, "HELLO", 5);
    size_t len = hamd_gw_hello_encode(&hello, bodies[m->n], HAMD_TICK_WIRE_MAX);
    assert_true(len > 0);
    msg_add(m, bodies[m->n], len);
}

static void test_intruder_connection_dropped(void **state)
{
    struct hamd_dataplane *dp = *state;
    unsigned events = 0;
    /* Ticks and a heartbeat on another connection with the identity. */
    struct fake_msg tick = {0}, hb = {0}, wrong = {0}, bare = {0};
    msg_add(&tick, "TICK", 4);
    msg_add_tick(&tick, 0);
    ingest_on(dp, ACCOUNT, INTRUDER, &tick);
    msg_add(&hb, "HB", 2);
    msg_add(&hb, HB_BODY, strlen(HB_BODY));
    ingest_on(dp, ACCOUNT, INTRUDER, &hb);
    /* HELLOs with a wrong token, and without one. */
    msg_add_hello(&wrong, "not-the-token");
    ingest_on(dp, ACCOUNT, INTRUDER, &wrong);
    msg_add_hello(&bare, "");
    ingest_on(dp, ACCOUNT, INTRUDER, &bare);
    assert_int_equal(stats(dp)->auth_failures, 4);
    assert_counts(dp, 0, 0, 0, 0);
    assert_int_equal(stats(dp)->last_hb_ns, 0);
    assert_int_equal(hamd_dataplane_drain(dp, count_event, &events), 0);
    /* The gateway's own connection still counts. */
    struct fake_msg good = {0};
    msg_add(&good, "TICK", 4);
    msg_add_tick(&good, 1);
    ingest(dp, ACCOUNT, &good);
    assert_counts(dp, 1, 1, 0, 0);
    assert_int_equal(stats(dp)->auth_failures, 4);
}

static void test_relaunch_needs_the_new_token(void **state)
{
    struct hamd_dataplane *dp = *state;
    unsigned events = 0;
    /* hamd relaunches the gateway with a new token: the old connection,
     * whoever holds it now, is no longer believed. */
    hamd_gwauth_arm(&dp->sources[0].auth, "new-token");
    struct fake_msg old = {0}, stale = {0}, hello = {0}, tick = {0};
    msg_add(&old, "TICK", 4);
    msg_add_tick(&old, 0);
    ingest(dp, ACCOUNT, &old);
    msg_add_hello(&stale, TOKEN);
    ingest_on(dp, ACCOUNT, INTRUDER, &stale);
    assert_int_equal(stats(dp)->auth_failures, 2);
    assert_int_equal(stats(dp)->ticks, 0);
    assert_int_equal(hamd_dataplane_drain(dp, count_event, &events), 0);
    /* The new process proves it on its own connection. */
    msg_add_hello(&hello, "new-token");
    ingest_on(dp, ACCOUNT, "gw-3", &hello);
    assert_int_equal(hamd_dataplane_drain(dp, count_event, &events), 1);
    msg_add(&tick, "TICK", 4);
    msg_add_tick(&tick, 1);
    ingest_on(dp, ACCOUNT, "gw-3", &tick);
    assert_counts(dp, 1, 1, 0, 0);
    assert_int_equal(stats(dp)->auth_failures, 2);
}

/* An identity is the account's id exactly: one with a NUL after the id
 * is another peer, counted as unknown (found by tests/fuzz, gateway). */
static void test_identity_with_nul_unknown(void **state)
{
    struct hamd_dataplane *dp = *state;
    static const char id[] = ACCOUNT "\0x";
    struct fake_msg m = {0};
    msg_add(&m, "TICK", 4);
    msg_add_tick(&m, 0);
    const char *conn = CONN;
    dp_ingest_message(dp, id, sizeof id - 1, &conn, fake_next, &m, NOW_NS);
    assert_int_equal(dp->unknown_source, 1);
    assert_int_equal(stats(dp)->ticks, 0);
}

/* Nor is an identity one byte shorter or longer than the account's id:
 * the source is found by length and bytes both. */
static void test_identity_prefix_or_longer_unknown(void **state)
{
    struct hamd_dataplane *dp = *state;
    static const char *const ids[] = {"sim_", ACCOUNT "x"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        struct fake_msg m = {0};
        msg_add(&m, "TICK", 4);
        msg_add_tick(&m, 0);
        const char *conn = CONN;
        dp_ingest_message(dp, ids[i], strlen(ids[i]), &conn, fake_next, &m,
                          NOW_NS);
        assert_int_equal(dp->unknown_source, i + 1);
    }
    assert_int_equal(stats(dp)->ticks, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_body_costs_only_itself,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_bodies_in_arrival_order, setup,
                                        unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_single_body_tick_still_works,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_bodies_beyond_max_dropped, setup,
                                        unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_hb_with_two_bodies_malformed,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_hello_with_two_bodies_malformed,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_missing_frames_malformed, setup,
                                        unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_identity_counted, setup,
                                        unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_intruder_connection_dropped,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_relaunch_needs_the_new_token,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_identity_prefix_or_longer_unknown,
                                        setup, unit_dp_teardown),
        cmocka_unit_test_setup_teardown(test_identity_with_nul_unknown, setup,
                                        unit_dp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
