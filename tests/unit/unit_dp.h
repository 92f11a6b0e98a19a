/* Helpers shared by the data plane's unit tests (test_dp_*.c), most of
 * which drive it without starting it, test_dp_relay.c through a fake
 * gateway: the publisher without a PUB, a source whose launch token is
 * proven, one contract, the encoded ticks of rb2601.SHFE, a one-body
 * message with its frame reader, and the teardown. Include after
 * <cmocka.h>. */
#ifndef HAMD_UNIT_DP_H
#define HAMD_UNIT_DP_H

#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_internal.h"

#define UNIT_DP_VT_SYMBOL "rb2601.SHFE" /* the contract of unit_dp_tick */

#define UNIT_DP_TERM 1 /* the term unit_dp_publisher publishes in */

/* A data plane with these replay limits, set up as the publisher of
 * UNIT_DP_TERM under a lease that never runs out, its PUB bound as the
 * gate sees it but with no socket: ticks are judged, numbered and
 * counted as sent (each send counts a ZeroMQ error), not held. */
static inline struct hamd_dataplane *unit_dp_publisher(int64_t window_ns,
                                                       unsigned depth)
{
    struct hamd_dataplane_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.limits.window_ns = window_ns;
    opts.limits.depth = depth;
    struct hamd_dataplane *dp = hamd_dataplane_new(&opts, NULL, NULL);
    assert_non_null(dp);
    dp->gate.following = false; /* taken over already: nothing held */
    hamd_gate_pub_opened(&dp->gate, UNIT_DP_TERM, 0);
    hamd_dataplane_set_lease(dp, UNIT_DP_TERM, INT64_MAX);
    return dp;
}

/* Source slot s: account, serving SHFE, its launch token proven on
 * connection conn. */
static inline struct dp_source *unit_dp_source(struct hamd_dataplane *dp,
                                               int s, const char *account,
                                               const char *token,
                                               const char *conn)
{
    struct dp_source *src = &dp->sources[s];
    src->used = true;
    strcpy(src->account, account);
    src->account_len = strlen(account);
    strcpy(src->st.account, account);
    src->n_exch = 1;
    strcpy(src->exchanges[0], "SHFE");
    hamd_gwauth_arm(&src->auth, token);
    assert_int_equal(hamd_gwauth_hello(&src->auth, conn, token),
                     HAMD_GWAUTH_PROVEN);
    hamd_strmap_put(dp->by_account, account, src);
    return src;
}

/* Adds contract vt_symbol, source 0 active on it and serving it. */
static inline struct dp_contract *unit_dp_contract(struct hamd_dataplane *dp,
                                                   const char *vt_symbol)
{
    struct dp_contract *c = hamd_slab_alloc(dp->contract_slab); /* zeroed */
    assert_non_null(c);
    strcpy(c->vt_symbol, vt_symbol);
    c->vt_len = strlen(vt_symbol);
    hamd_arb_contract_init(&c->arb);
    c->arb.active = 0;
    c->relay_src = HAMD_ARB_NO_SOURCE;
    c->served = 1u;
    dp_stats_contract_touched(dp, c);
    hamd_strmap_put(dp->contracts, c->vt_symbol, c);
    return c;
}

/* The contract of unit_dp_tick, which the test subscribed. */
static inline struct dp_contract *unit_dp_the_contract(struct hamd_dataplane *dp)
{
    struct dp_contract *c = hamd_strmap_get(dp->contracts, UNIT_DP_VT_SYMBOL);
    assert_non_null(c);
    return c;
}

/* cmocka teardown of a test whose state is its data plane. */
static inline int unit_dp_teardown(void **state)
{
    struct hamd_dataplane *dp = *state;
    hamd_dataplane_destroy(&dp);
    assert_null(dp);
    return 0;
}

/* A gateway message of two frames after its identity, a type and one
 * body, as dp_ingest_message pulls it through unit_dp_next. */
struct unit_dp_msg {
    const void *data[2]; /* frame bytes */
    size_t len[2];       /* frame sizes */
    unsigned pos;        /* frames pulled */
};

/* dp_ingest_message's frame reader over a struct unit_dp_msg. */
static inline bool unit_dp_next(void *ud, const void **frame, size_t *len,
                                bool *more)
{
    struct unit_dp_msg *m = ud;
    if (m->pos >= 2)
        return false;
    *frame = m->data[m->pos];
    *len = m->len[m->pos];
    m->pos++;
    *more = m->pos < 2;
    return true;
}

/* Encodes tick k of UNIT_DP_VT_SYMBOL into body (HAMD_TICK_WIRE_MAX
 * bytes), exchange time t0_ns + k * step_ns, newer with k. Returns its
 * length. */
static inline size_t unit_dp_tick(unsigned k, int64_t t0_ns, int64_t step_ns,
                                  uint8_t *body)
{
    struct hamd_tick t;
    memset(&t, 0, sizeof t);
    strcpy(t.symbol, "rb2601");
    strcpy(t.exchange, "SHFE");
    t.datetime_ns = t0_ns + (int64_t)k * step_ns;
    t.last_price = 3000.0 + k;
    t.volume = 10.0 * (k + 1);
    size_t len = hamd_tick_encode(&t, false, body, HAMD_TICK_WIRE_MAX);
    assert_true(len > 0);
    return len;
}

/* Takes in tick k of unit_dp_tick (exchange time t0_ns + k * step_ns) as
 * one TICK from account on connection conn, received at now_ns, and
 * checks the message was read whole. */
static inline void unit_dp_tick_in(struct hamd_dataplane *dp,
                                   const char *account, const char *conn,
                                   unsigned k, int64_t t0_ns, int64_t step_ns,
                                   int64_t now_ns)
{
    uint8_t body[HAMD_TICK_WIRE_MAX];
    size_t len = unit_dp_tick(k, t0_ns, step_ns, body);
    struct unit_dp_msg m = {{"TICK", body}, {4, len}, 0};
    dp_ingest_message(dp, account, strlen(account), &conn, unit_dp_next, &m,
                      now_ns);
    assert_int_equal(m.pos, 2);
}

#endif /* HAMD_UNIT_DP_H */
