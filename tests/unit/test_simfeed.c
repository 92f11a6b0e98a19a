/* Unit tests of the simulator's pure tick generator (src/gw-sim/feed.c):
 * determinism, the invariants a hub relies on, and time <-> n math. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "hamd/tick.h"

#include "gw-sim/feed.h"

#define RATE_2 2000           /* 2 ticks/s, in milli-ticks per second */
#define RATE_MAX SIMFEED_RATE_MILLI_MAX
#define NOW_S 1750000000LL    /* a wall time in 2025, seconds */
#define SPAN 2000             /* ticks checked per contract */

static const char *const SYMBOLS[] = {
    "rb2601.SHFE", "IF2606.CFFEX", "m2609.DCE", "SR609.CZCE", "sc2608.INE",
    "au2612.SHFE", "IO2606-C-4000.CFFEX",
};
#define N_SYMBOLS (sizeof SYMBOLS / sizeof *SYMBOLS)

static void init_ok(struct simfeed_symbol *f, uint64_t seed, const char *vt,
                    uint32_t rate, const char *gw)
{
    assert_int_equal(simfeed_symbol_init(f, seed, vt, rate, gw), 0);
}

static size_t encode(const struct hamd_tick *t, uint8_t *buf)
{
    size_t len = hamd_tick_encode(t, false, buf, HAMD_TICK_WIRE_MAX);
    assert_true(len > 0);
    return len;
}

/* Two generators with one seed give byte-identical wire ticks. */
static void test_same_seed_identical(void **state)
{
    (void)state;
    struct simfeed_symbol a, b;
    struct hamd_tick ta, tb;
    uint8_t ea[HAMD_TICK_WIRE_MAX], eb[HAMD_TICK_WIRE_MAX];
    init_ok(&a, 7, "rb2601.SHFE", RATE_2, "sim_a");
    init_ok(&b, 7, "rb2601.SHFE", RATE_2, "sim_a");
    for (int64_t n = NOW_S * 2; n < NOW_S * 2 + SPAN; n++) {
        simfeed_tick(&a, n, &ta);
        simfeed_tick(&b, n, &tb);
        size_t la = encode(&ta, ea), lb = encode(&tb, eb);
        assert_int_equal(la, lb);
        assert_memory_equal(ea, eb, la);
    }
}

/* Tick n does not depend on what was generated before. */
static void test_order_independent(void **state)
{
    (void)state;
    struct simfeed_symbol f;
    struct hamd_tick first, other, again;
    uint8_t e1[HAMD_TICK_WIRE_MAX], e2[HAMD_TICK_WIRE_MAX];
    init_ok(&f, 1, "m2609.DCE", RATE_2, "x");
    simfeed_tick(&f, 123456789, &first);
    simfeed_tick(&f, 5, &other);
    simfeed_tick(&f, 123456789, &again);
    size_t l1 = encode(&first, e1), l2 = encode(&again, e2);
    assert_int_equal(l1, l2);
    assert_memory_equal(e1, e2, l1);
}

/* Two accounts on one exchange: everything but gateway_name agrees. */
static void test_accounts_differ_only_in_name(void **state)
{
    (void)state;
    struct simfeed_symbol a, b;
    struct hamd_tick ta, tb;
    uint8_t ea[HAMD_TICK_WIRE_MAX], eb[HAMD_TICK_WIRE_MAX];
    init_ok(&a, 1, "IF2606.CFFEX", RATE_2, "sim_a");
    init_ok(&b, 1, "IF2606.CFFEX", RATE_2, "sim_b");
    simfeed_tick(&a, NOW_S * 2, &ta);
    simfeed_tick(&b, NOW_S * 2, &tb);
    assert_string_equal(ta.gateway_name, "sim_a");
    assert_string_equal(tb.gateway_name, "sim_b");
    strcpy(tb.gateway_name, "sim_a");
    size_t la = encode(&ta, ea), lb = encode(&tb, eb);
    assert_int_equal(la, lb);
    assert_memory_equal(ea, eb, la);
}

/* Another seed, or another contract, gives another feed. */
static void test_different_seed_differs(void **state)
{
    (void)state;
    struct simfeed_symbol a, b, c;
    struct hamd_tick ta, tb, tc;
    init_ok(&a, 1, "rb2601.SHFE", RATE_2, "g");
    init_ok(&b, 2, "rb2601.SHFE", RATE_2, "g");
    init_ok(&c, 1, "rb2605.SHFE", RATE_2, "g");
    int same_ab = 0, same_ac = 0;
    for (int64_t n = NOW_S * 2; n < NOW_S * 2 + SPAN; n++) {
        simfeed_tick(&a, n, &ta);
        simfeed_tick(&b, n, &tb);
        simfeed_tick(&c, n, &tc);
        same_ab += ta.last_price == tb.last_price && ta.volume == tb.volume;
        same_ac += ta.last_price == tc.last_price && ta.volume == tc.volume;
    }
    assert_true(same_ab < SPAN / 10);
    assert_true(same_ac < SPAN / 10);
}

/* volume, turnover and open_interest grow strictly with n, and
 * last_volume is the volume step. Checked at realistic n for the default
 * and the maximum rate. */
static void check_growth(const char *vt, uint32_t rate, int64_t n0)
{
    struct simfeed_symbol f;
    struct hamd_tick prev, cur;
    init_ok(&f, 3, vt, rate, "g");
    simfeed_tick(&f, n0, &prev);
    for (int64_t n = n0 + 1; n < n0 + SPAN; n++) {
        simfeed_tick(&f, n, &cur);
        assert_true(cur.volume > prev.volume);
        assert_true(cur.turnover > prev.turnover);
        assert_true(cur.open_interest > prev.open_interest);
        assert_true(cur.last_volume >= 1.0);
        assert_true(cur.last_volume == cur.volume - prev.volume);
        prev = cur;
    }
}

static void test_cumulative_fields_grow(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SYMBOLS; i++) {
        check_growth(SYMBOLS[i], RATE_2, 0);
        check_growth(SYMBOLS[i], RATE_2, NOW_S * 2);
        check_growth(SYMBOLS[i], RATE_MAX, NOW_S * 1000);
    }
}

/* True when price is a whole number of steps. */
static bool on_grid(double price, double step)
{
    double steps = price / step;
    return steps == floor(steps);
}

/* Prices are positive, on the tick grid, inside the limits, and the book
 * is ordered: bid_5 < ... < bid_1 < ask_1 < ... < ask_5. */
static void check_prices(const struct simfeed_symbol *f,
                         const struct hamd_tick *t)
{
    assert_true(t->limit_down > 0);
    assert_true(t->limit_down < t->pre_close && t->pre_close < t->limit_up);
    assert_true(t->limit_down < t->low_price);
    assert_true(t->low_price <= t->last_price);
    assert_true(t->last_price <= t->high_price);
    assert_true(t->low_price <= t->open_price);
    assert_true(t->open_price <= t->high_price);
    assert_true(t->high_price < t->limit_up);
    assert_true(on_grid(t->last_price, f->tick_size));
    assert_true(t->bid_price[0] < t->ask_price[0]);
    assert_true(t->bid_price[0] <= t->last_price);
    assert_true(t->last_price <= t->ask_price[0]);
    for (int i = 0; i < HAMD_TICK_DEPTH; i++) {
        assert_true(t->bid_price[i] >= t->limit_down);
        assert_true(t->ask_price[i] <= t->limit_up);
        assert_true(t->bid_volume[i] > 0 && t->ask_volume[i] > 0);
        assert_true(on_grid(t->bid_price[i], f->tick_size));
        if (i > 0) {
            assert_true(t->bid_price[i] < t->bid_price[i - 1]);
            assert_true(t->ask_price[i] > t->ask_price[i - 1]);
        }
    }
}

static void test_prices_valid(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 20; seed++) {
        for (size_t i = 0; i < N_SYMBOLS; i++) {
            struct simfeed_symbol f;
            struct hamd_tick t;
            init_ok(&f, seed, SYMBOLS[i], RATE_2, "g");
            for (int64_t n = NOW_S * 2; n < NOW_S * 2 + SPAN; n++) {
                simfeed_tick(&f, n, &t);
                check_prices(&f, &t);
            }
        }
    }
}

/* datetime is whole ms, grows with n, and lies at most 1 ms before the
 * first wall time tick n exists. */
static void check_datetime(uint32_t rate, int64_t n0)
{
    struct simfeed_symbol f;
    struct hamd_tick t;
    int64_t prev = -1;
    init_ok(&f, 1, "rb2601.SHFE", rate, "g");
    for (int64_t n = n0; n < n0 + SPAN; n++) {
        simfeed_tick(&f, n, &t);
        assert_int_equal(t.datetime_ns % 1000000, 0);
        assert_true(t.datetime_ns > prev);
        assert_true(t.datetime_ns <= simfeed_due_ns(n, rate));
        assert_true(simfeed_due_ns(n, rate) - t.datetime_ns < 1000000);
        assert_int_equal(t.localtime_ns, 0);
        prev = t.datetime_ns;
    }
}

static void test_datetime_ms_and_increasing(void **state)
{
    (void)state;
    check_datetime(RATE_2, NOW_S * 2);
    check_datetime(RATE_MAX, NOW_S * 1000);
    check_datetime(3000, NOW_S * 3);  /* 333.33 ms apart */
    check_datetime(700, NOW_S);       /* 0.7 ticks/s */
    struct simfeed_symbol f;
    struct hamd_tick t;
    init_ok(&f, 1, "rb2601.SHFE", RATE_2, "g");
    simfeed_tick(&f, NOW_S * 2 + 3, &t);
    assert_true(t.datetime_ns == (NOW_S * 1000 + 1500) * 1000000LL);
}

/* extra = {sim_seq: n}, also after a trip over the wire, and the hub's
 * decoder accepts every tick the sim makes. */
static void test_extra_sim_seq_and_wire(void **state)
{
    (void)state;
    struct simfeed_symbol f;
    struct hamd_tick t, back;
    uint8_t buf[HAMD_TICK_WIRE_MAX];
    init_ok(&f, 9, "SR609.CZCE", RATE_2, "sim_a");
    for (int64_t n = NOW_S * 2; n < NOW_S * 2 + 100; n++) {
        int64_t seq = -1;
        simfeed_tick(&f, n, &t);
        t.localtime_ns = t.datetime_ns + 1000;
        assert_true(hamd_tick_extra_int(&t, SIMFEED_EXTRA_SEQ_KEY, &seq));
        assert_true(seq == n);
        size_t len = encode(&t, buf);
        assert_int_equal(hamd_tick_decode(buf, len, &back), HAMD_TICK_OK);
        assert_true(hamd_tick_extra_int(&back, SIMFEED_EXTRA_SEQ_KEY, &seq));
        assert_true(seq == n);
        assert_string_equal(back.vt_symbol, "SR609.CZCE");
        assert_string_equal(back.exchange, "CZCE");
        assert_string_equal(back.symbol, "SR609");
        assert_true(back.last_price == t.last_price);
    }
}

/* n = floor(t * rate): known values and the exact boundaries. */
static void test_n_from_time(void **state)
{
    (void)state;
    const int64_t s = 1000000000LL, ms = 1000000LL;
    assert_true(simfeed_n_at(1500 * ms, RATE_2) == 3);
    assert_true(simfeed_n_at(1499 * ms, RATE_2) == 2);
    assert_true(simfeed_n_at(NOW_S * s + 499 * ms, RATE_2) == NOW_S * 2);
    assert_true(simfeed_n_at(NOW_S * s + 500 * ms, RATE_2) == NOW_S * 2 + 1);
    assert_true(simfeed_n_at(3 * s, 500) == 1);   /* 0.5 ticks/s */
    assert_true(simfeed_n_at(NOW_S * s, RATE_MAX) == NOW_S * 1000);
    assert_true(simfeed_n_at(NOW_S * s, 1) == NOW_S / 1000);
    assert_true(simfeed_n_at(0, RATE_2) == 0);
    assert_true(simfeed_n_at(-5 * s, RATE_2) == 0);
    const uint32_t rates[] = {1,    500,  700,    RATE_2,
                              3000, 7300, 100000, RATE_MAX};
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        int64_t n0 = simfeed_n_at(NOW_S * s, rates[i]);
        for (int64_t n = n0; n < n0 + 50; n++) {
            int64_t due = simfeed_due_ns(n, rates[i]);
            assert_true(simfeed_n_at(due, rates[i]) == n);
            assert_true(simfeed_n_at(due - 1, rates[i]) == n - 1);
        }
    }
}

/* Bad contracts, names and rates are refused. */
static void test_init_rejects_bad_input(void **state)
{
    (void)state;
    struct simfeed_symbol f;
    const char *bad[] = {
        "rb2601", ".SHFE", "rb2601.", "", "rb 2601.SHFE", "rb2601.SH\tFE",
        "a_symbol_name_that_is_far_too_long_to_fit.SHFE",
        "rb2601.EXCHANGE_TOO_LONG",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(simfeed_symbol_init(&f, 1, bad[i], RATE_2, "g"), -1);
    const char *vt = "rb2601.SHFE";
    assert_int_equal(simfeed_symbol_init(&f, 1, NULL, RATE_2, "g"), -1);
    assert_int_equal(simfeed_symbol_init(&f, 1, vt, 0, "g"), -1);
    assert_int_equal(simfeed_symbol_init(&f, 1, vt, RATE_MAX + 1, "g"), -1);
    assert_int_equal(simfeed_symbol_init(&f, 1, vt, RATE_2,
                                         "an_account_name_longer_than_31_c"),
                     -1);
    assert_int_equal(simfeed_symbol_init(&f, 1, vt, RATE_2, NULL), -1);
    init_ok(&f, 1, "IO2606-C-4000.CFFEX", RATE_2, "");
    assert_string_equal(f.tmpl.symbol, "IO2606-C-4000");
    assert_string_equal(f.tmpl.exchange, "CFFEX");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_identical),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_accounts_differ_only_in_name),
        cmocka_unit_test(test_different_seed_differs),
        cmocka_unit_test(test_cumulative_fields_grow),
        cmocka_unit_test(test_prices_valid),
        cmocka_unit_test(test_datetime_ms_and_increasing),
        cmocka_unit_test(test_extra_sim_seq_and_wire),
        cmocka_unit_test(test_n_from_time),
        cmocka_unit_test(test_init_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
