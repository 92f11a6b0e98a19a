/* Unit tests of the simulated front's pure parts (src/gw-sim): its
 * clients' subscription bookkeeping, the feed delivery it shares with the
 * in-process sim (with fake wall time), and its command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw-sim/emit.h"
#include "gw-sim/feed.h"
#include "gw-sim/frontcli.h"
#include "gw-sim/frontsubs.h"
#include "gw-sim/params.h"
#include "gw-sim/symtab.h"

#define NS_PER_S 1000000000LL
#define T0_NS (1800000000LL * NS_PER_S) /* a wall time in 2027 */
#define MAX_SEEN 20000                  /* ticks a test sink records */

/* ------------------------------------------------------------------------
 * Clients and subscriptions
 * ------------------------------------------------------------------------ */

/* Records the contracts a gone callback reported. */
struct gone_log {
    int n;            /* calls */
    char last[64];    /* the last contract reported */
};

static void on_gone(void *ud, const char *vt_symbol)
{
    struct gone_log *g = ud;
    g->n++;
    snprintf(g->last, sizeof g->last, "%s", vt_symbol);
}

static long touch(struct gwsim_frontsubs *s, const char *id, int64_t now,
                  bool *added)
{
    return gwsim_frontsubs_touch(s, id, strlen(id), now, added);
}

static void test_clients_register_once(void **state)
{
    (void)state;
    struct gwsim_frontsubs *s = gwsim_frontsubs_new();
    bool added;
    assert_int_equal(touch(s, "a", 0, &added), 0);
    assert_true(added);
    assert_int_equal(touch(s, "b", 0, &added), 1);
    assert_int_equal(touch(s, "a", 10, &added), 0);
    assert_false(added);
    assert_int_equal(s->clients[0].last_seen_ms, 10);
    assert_int_equal(gwsim_frontsubs_touch(s, "", 0, 0, &added), -1);
    uint8_t big[GWSIM_FRONT_ID_MAX + 1] = {1};
    assert_int_equal(gwsim_frontsubs_touch(s, big, sizeof big, 0, &added), -1);
    /* a full table refuses a new client, not a known one */
    for (int i = 2; i < GWSIM_FRONT_CLIENTS_MAX; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        assert_int_equal(touch(s, id, 0, &added), i);
    }
    assert_int_equal(touch(s, "one-too-many", 0, &added), -1);
    assert_int_equal(touch(s, "b", 0, &added), 1);
    gwsim_frontsubs_destroy(&s);
    assert_null(s);
}

static void test_union_counts_subscribers(void **state)
{
    (void)state;
    struct gwsim_frontsubs *s = gwsim_frontsubs_new();
    bool added;
    long a = touch(s, "a", 0, &added), b = touch(s, "b", 0, &added);
    assert_int_equal(gwsim_frontsubs_add(s, a, "rb2601.SHFE"), 1);
    assert_int_equal(gwsim_frontsubs_add(s, a, "rb2601.SHFE"), 0);
    assert_int_equal(gwsim_frontsubs_add(s, b, "rb2601.SHFE"), 0);
    assert_int_equal(gwsim_frontsubs_add(s, b, "i2601.DCE"), 1);
    assert_int_equal(gwsim_frontsubs_contracts(s), 2);
    assert_true(gwsim_frontsubs_wants(s, a, "rb2601.SHFE"));
    assert_false(gwsim_frontsubs_wants(s, a, "i2601.DCE"));
    assert_true(gwsim_frontsubs_wants(s, b, "i2601.DCE"));
    /* a contract leaves the union with its last subscriber only */
    assert_int_equal(gwsim_frontsubs_remove(s, a, "rb2601.SHFE"), 0);
    assert_int_equal(gwsim_frontsubs_remove(s, a, "rb2601.SHFE"), 0);
    assert_int_equal(gwsim_frontsubs_remove(s, a, "cu2601.SHFE"), 0);
    assert_int_equal(gwsim_frontsubs_remove(s, b, "rb2601.SHFE"), 1);
    assert_int_equal(gwsim_frontsubs_contracts(s), 1);
    assert_int_equal(gwsim_frontsubs_add(s, a, "rb2601.SHFE"), 1);
    gwsim_frontsubs_destroy(&s);
}

static void test_silent_and_forgotten_clients_expire(void **state)
{
    (void)state;
    struct gwsim_frontsubs *s = gwsim_frontsubs_new();
    struct gone_log g = {0};
    bool added;
    long a = touch(s, "a", 0, &added), b = touch(s, "b", 0, &added);
    touch(s, "c", 0, &added);
    gwsim_frontsubs_add(s, a, "rb2601.SHFE");
    gwsim_frontsubs_add(s, a, "i2601.DCE");
    gwsim_frontsubs_add(s, b, "i2601.DCE");
    touch(s, "b", 2000, &added);
    touch(s, "c", 2000, &added);
    assert_int_equal(gwsim_frontsubs_expire(s, 2999, 3000, on_gone, &g), 0);
    /* a is silent 3 s: dropped; only the contract nobody else has goes */
    assert_int_equal(gwsim_frontsubs_expire(s, 3000, 3000, on_gone, &g), 1);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.last, "rb2601.SHFE");
    assert_int_equal(s->count, 2);
    assert_int_equal(gwsim_frontsubs_contracts(s), 1);
    /* b's connection is gone: dropped at the next expire, whatever time */
    long bi = touch(s, "b", 3000, &added);
    gwsim_frontsubs_forget(s, bi);
    assert_int_equal(gwsim_frontsubs_expire(s, 3001, 3000, on_gone, &g), 1);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.last, "i2601.DCE");
    assert_int_equal(gwsim_frontsubs_contracts(s), 0);
    /* c remains, now at index 0 */
    assert_int_equal(s->count, 1);
    assert_int_equal(touch(s, "c", 3002, &added), 0);
    assert_false(added);
    gwsim_frontsubs_destroy(&s);
}

/* ------------------------------------------------------------------------
 * Delivery
 * ------------------------------------------------------------------------ */

/* A sink that records (contract index by name, n) and can refuse. */
struct seen {
    int count;                /* ticks taken */
    int refuse_after;         /* refuse once count reaches it (-1: never) */
    int64_t n[MAX_SEEN];      /* their n */
    char vt[MAX_SEEN][HAMD_VT_SYMBOL_MAX]; /* their contracts */
};

static int record(void *ud, struct hamd_tick *tick, int64_t n)
{
    struct seen *s = ud;
    if (s->count == s->refuse_after || s->count == MAX_SEEN)
        return -1;
    int64_t seq = -1;
    assert_true(hamd_tick_extra_int(tick, SIMFEED_EXTRA_SEQ_KEY, &seq));
    assert_int_equal(seq, n);
    assert_int_equal(tick->localtime_ns, 0);
    s->n[s->count] = n;
    snprintf(s->vt[s->count], sizeof s->vt[0], "%s", tick->vt_symbol);
    s->count++;
    return 0;
}

/* A new recording sink that refuses from its refuse_after-th tick on
 * (-1: never). */
static struct seen *seen_new(int refuse_after)
{
    struct seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->refuse_after = refuse_after;
    return s;
}

/* A table of count contracts "cN.X" at rate_milli, each starting at the
 * current tick of wall_ns. */
static struct gwsim_symtab *table(int count, uint32_t rate_milli,
                                  int64_t wall_ns)
{
    struct gwsim_symtab *t = gwsim_symtab_new();
    for (int i = 0; i < count; i++) {
        char vt[16];
        struct simfeed_symbol f;
        snprintf(vt, sizeof vt, "c%d.X", i);
        assert_int_equal(simfeed_symbol_init(&f, 1, vt, rate_milli, ""), 0);
        gwsim_symtab_add(t, &f, simfeed_n_at(wall_ns, rate_milli));
    }
    return t;
}

static void test_emit_delivers_every_due_tick_once(void **state)
{
    (void)state;
    struct gwsim_symtab *t = table(1, 2000, T0_NS);
    struct gwsim_emit e;
    struct seen *s = seen_new(-1);
    gwsim_emit_init(&e, 0);
    int64_t n0 = simfeed_n_at(T0_NS, 2000);
    gwsim_emit_round(&e, t, T0_NS, 0, record, s);
    assert_int_equal(s->count, 1); /* the current tick */
    assert_int_equal(s->n[0], n0);
    assert_int_equal(e.next_due_ns, simfeed_due_ns(n0 + 1, 2000));
    gwsim_emit_round(&e, t, T0_NS + NS_PER_S, 0, record, s);
    assert_int_equal(s->count, 3);
    assert_int_equal(s->n[2], n0 + 2);
    assert_false(e.behind);
    /* the same time again delivers nothing twice */
    gwsim_emit_round(&e, t, T0_NS + NS_PER_S, 0, record, s);
    assert_int_equal(s->count, 3);
    /* a delay holds ticks back until they are that old */
    gwsim_emit_round(&e, t, T0_NS + 2 * NS_PER_S, NS_PER_S, record, s);
    assert_int_equal(s->count, 3);
    gwsim_emit_round(&e, t, T0_NS + 3 * NS_PER_S, NS_PER_S, record, s);
    assert_int_equal(s->count, 5);
    free(s);
    gwsim_symtab_destroy(&t);
}

static void test_emit_catches_up_in_fair_bursts(void **state)
{
    (void)state;
    /* 100 contracts at 1000/s, 1 s late: 100,000 ticks due, delivered
     * GWSIM_EMIT_BUDGET_TICKS per round, GWSIM_EMIT_BURST_TICKS per
     * contract, every contract in turn */
    struct gwsim_symtab *t = table(100, 1000000, T0_NS);
    struct gwsim_emit e;
    struct seen *s = seen_new(-1);
    gwsim_emit_init(&e, 0);
    int64_t wall = T0_NS + NS_PER_S;
    gwsim_emit_round(&e, t, wall, 0, record, s);
    assert_int_equal(s->count, GWSIM_EMIT_BUDGET_TICKS);
    assert_true(e.behind);
    assert_false(e.blocked);
    assert_int_equal(e.cursor,
                     GWSIM_EMIT_BUDGET_TICKS / GWSIM_EMIT_BURST_TICKS);
    gwsim_emit_round(&e, t, wall, 0, record, s);
    /* after two rounds each contract got one burst, none two */
    int per[100] = {0};
    for (int k = 0; k < s->count; k++)
        per[atoi(s->vt[k] + 1)]++;
    for (int i = 0; i < 100; i++)
        assert_int_equal(per[i], GWSIM_EMIT_BURST_TICKS);
    /* and each contract's n runs on without a hole */
    int64_t first = simfeed_n_at(T0_NS, 1000000);
    for (int k = 0; k < s->count; k++)
        assert_true(s->n[k] >= first &&
                    s->n[k] < first + GWSIM_EMIT_BURST_TICKS);
    assert_int_equal(e.skipped, 0);
    free(s);
    gwsim_symtab_destroy(&t);
}

static void test_emit_refused_tick_comes_first_next_time(void **state)
{
    (void)state;
    struct gwsim_symtab *t = table(2, 2000, T0_NS);
    struct gwsim_emit e;
    struct seen *s = seen_new(3);
    gwsim_emit_init(&e, 0);
    int64_t wall = T0_NS + 2 * NS_PER_S; /* 5 ticks due per contract */
    gwsim_emit_round(&e, t, wall, 0, record, s);
    assert_int_equal(s->count, 3);
    assert_true(e.blocked);
    s->refuse_after = -1;
    gwsim_emit_round(&e, t, wall, 0, record, s);
    assert_false(e.blocked);
    assert_int_equal(s->count, 10);
    /* every (contract, n) exactly once */
    for (int c = 0; c < 2; c++) {
        char vt[16];
        snprintf(vt, sizeof vt, "c%d.X", c);
        int64_t want = simfeed_n_at(T0_NS, 2000);
        for (int k = 0; k < s->count; k++)
            if (strcmp(s->vt[k], vt) == 0)
                assert_int_equal(s->n[k], want++);
        assert_int_equal(want, simfeed_n_at(wall, 2000) + 1);
    }
    free(s);
    gwsim_symtab_destroy(&t);
}

static void test_emit_max_lag_skips_the_past(void **state)
{
    (void)state;
    struct gwsim_symtab *t = table(1, 20000, T0_NS);
    struct gwsim_emit e;
    struct seen *s = seen_new(-1);
    gwsim_emit_init(&e, NS_PER_S); /* a front: at most 1 s of catch-up */
    gwsim_emit_round(&e, t, T0_NS, 0, record, s);
    int64_t n0 = s->n[0];
    /* stopped for 10 s: the 9 s before the last second are skipped */
    int64_t wall = T0_NS + 10 * NS_PER_S;
    gwsim_emit_round(&e, t, wall, 0, record, s);
    int64_t oldest = simfeed_n_at(wall - NS_PER_S, 20000);
    assert_int_equal(s->n[1], oldest);
    assert_int_equal(e.skipped, (uint64_t)(oldest - n0 - 1));
    assert_int_equal(s->n[s->count - 1], simfeed_n_at(wall, 20000));
    for (int k = 2; k < s->count; k++)
        assert_int_equal(s->n[k], s->n[k - 1] + 1);
    /* resync jumps to now, whatever the lag */
    gwsim_emit_resync(t, wall + 5 * NS_PER_S);
    assert_int_equal(t->subs[0].next_n,
                     simfeed_n_at(wall + 5 * NS_PER_S, 20000));
    gwsim_emit_idle(&e);
    assert_int_equal(e.next_due_ns, INT64_MAX);
    free(s);
    gwsim_symtab_destroy(&t);
}

/* ------------------------------------------------------------------------
 * The command line
 * ------------------------------------------------------------------------ */

/* Parses a front command line; returns the params (NULL: refused). */
static struct gwsim_params *front_params(int argc, const char **argv)
{
    const char *endpoint = NULL;
    char err[GWSIM_PARAMS_ERR_MAX];
    char *text = gwsim_frontcli_parse(argc, (char **)argv, &endpoint, err,
                                      sizeof err);
    if (!text) {
        assert_true(err[0] != '\0');
        return NULL;
    }
    assert_string_equal(endpoint, argv[2]);
    struct gwsim_params *p = gwsim_params_new(text, err, sizeof err);
    free(text);
    return p;
}

static void test_frontcli(void **state)
{
    (void)state;
    const char *a1[] = {"hamd-gw-sim", "--front", "tcp://*:6101", "--seed",
                        "7", "--rate", "20", "--exchanges", "SHFE,DCE"};
    struct gwsim_params *p = front_params(9, a1);
    assert_non_null(p);
    assert_int_equal(p->seed, 7);
    assert_int_equal(p->rate_milli, 20000);
    assert_int_equal(p->n_exchanges, 2);
    assert_true(gwsim_params_serves(p, "DCE"));
    assert_false(gwsim_params_serves(p, "CZCE"));
    gwsim_params_destroy(&p);
    /* options override --params wherever it stands */
    const char *a2[] = {"x", "--front", "ipc:///f", "--seed", "9", "--params",
                        "{\"seed\":3,\"rates\":{\"a.X\":5}}"};
    p = front_params(7, a2);
    assert_non_null(p);
    assert_int_equal(p->seed, 9);
    assert_int_equal(gwsim_params_rate(p, "a.X"), 5000);
    gwsim_params_destroy(&p);
    const char *a3[] = {"x", "--front", "ipc:///f"};
    p = front_params(3, a3);
    assert_int_equal(p->seed, GWSIM_DEFAULT_SEED);
    gwsim_params_destroy(&p);
    const char *bad[][5] = {
        {"x", "--front", "--seed", "1", NULL}, /* no endpoint */
        {"x", "--front", "ipc:///f", "--seed", "abc"},
        {"x", "--front", "ipc:///f", "--colour", "red"},
        {"x", "--front", "ipc:///f", "--rate", NULL},
        {"x", "--front", "ipc:///f", "--params", "[1]"},
        {"x", "--front", "ipc:///f", "--rate", "5000"}, /* out of range */
        {"x", "--front", "ipc:///f", "--exchanges", "SHFE,,DCE"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int argc = 0;
        while (argc < 5 && bad[i][argc])
            argc++;
        assert_null(front_params(argc, bad[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clients_register_once),
        cmocka_unit_test(test_union_counts_subscribers),
        cmocka_unit_test(test_silent_and_forgotten_clients_expire),
        cmocka_unit_test(test_emit_delivers_every_due_tick_once),
        cmocka_unit_test(test_emit_catches_up_in_fair_bursts),
        cmocka_unit_test(test_emit_refused_tick_comes_first_next_time),
        cmocka_unit_test(test_emit_max_lag_skips_the_past),
        cmocka_unit_test(test_frontcli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
