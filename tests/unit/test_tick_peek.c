/* The peek at a copy's age (common/tick_peek.h): it reads vt_symbol,
 * datetime and volume of a body in the encoder's layout, refuses any
 * other layout or a value it reads of the wrong kind, and never disagrees
 * with the full decode of a body the decode accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "common/tick_peek.h"
#include "hamd/tick.h"
#include "unit_tick.h"

/* The gateway's form of unit_tick_fill: no hub fields. Returns its size. */
static size_t encode_gateway_tick(struct hamd_tick *t, uint8_t *body)
{
    unit_tick_fill(t);
    t->has_hub = false;
    size_t n = hamd_tick_encode(t, false, body, HAMD_TICK_WIRE_MAX);
    assert_true(n > 0);
    return n;
}

/* Offset of the value of key in body (its fixstr key found first). */
static size_t value_at(const uint8_t *body, size_t n, const char *key)
{
    uint8_t wire[32];
    size_t k = strlen(key);
    wire[0] = (uint8_t)(0xa0 | k);
    memcpy(wire + 1, key, k);
    const uint8_t *at = memmem(body, n, wire, k + 1);
    assert_non_null(at);
    return (size_t)(at - body) + k + 1;
}

static bool peek(const uint8_t *body, size_t n, struct hamd_tick_age *out)
{
    memset(out, 0xa5, sizeof *out); /* nothing left from another peek */
    return hamd_tick_peek_age(body, n, out);
}

static void test_reads_the_three(void **state)
{
    (void)state;
    struct hamd_tick t;
    struct hamd_tick_age out;
    uint8_t body[HAMD_TICK_WIRE_MAX];
    size_t n = encode_gateway_tick(&t, body);
    assert_true(peek(body, n, &out));
    assert_string_equal(out.vt_symbol, t.vt_symbol);
    assert_int_equal(out.datetime_ns, t.datetime_ns);
    assert_true(out.volume == t.volume);
}

/* Every integer form of datetime the decoder takes, either sign. */
static void test_time_forms(void **state)
{
    (void)state;
    static const int64_t times[] = {0, 5, -3, 200, -100, 40000, -40000,
                                    3000000000LL, -3000000000LL,
                                    INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        struct hamd_tick t;
        struct hamd_tick_age out;
        uint8_t body[HAMD_TICK_WIRE_MAX];
        unit_tick_fill(&t);
        t.has_hub = false;
        t.datetime_ns = times[i];
        size_t n = hamd_tick_encode(&t, false, body, sizeof body);
        assert_true(peek(body, n, &out));
        assert_int_equal(out.datetime_ns, times[i]);
    }
}

/* The hub's own form (hub fields after the numbers) peeks the same. */
static void test_hub_form_peeks_too(void **state)
{
    (void)state;
    struct hamd_tick t;
    struct hamd_tick_age out;
    uint8_t body[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&t);
    size_t n = hamd_tick_encode(&t, true, body, sizeof body);
    assert_true(peek(body, n, &out));
    assert_int_equal(out.datetime_ns, t.datetime_ns);
    assert_true(out.volume == t.volume);
}

/* Cut anywhere before the volume's last byte, a body is refused; from
 * there on it is read, the rest not being the peek's business. */
static void test_prefixes(void **state)
{
    (void)state;
    struct hamd_tick t;
    struct hamd_tick_age out;
    uint8_t body[HAMD_TICK_WIRE_MAX];
    size_t n = encode_gateway_tick(&t, body);
    size_t end = value_at(body, n, "volume") + 9; /* 0xcb + 8 bytes */
    for (size_t len = 0; len <= n; len++)
        assert_int_equal(peek(body, len, &out), len >= end);
}

/* Each value read, made bad, and each break of the layout: refused. */
static void test_refuses(void **state)
{
    (void)state;
    struct hamd_tick t;
    struct hamd_tick_age out;
    uint8_t good[HAMD_TICK_WIRE_MAX], body[HAMD_TICK_WIRE_MAX];
    size_t n = encode_gateway_tick(&t, good);
    size_t vt = value_at(good, n, "vt_symbol") + 1; /* its first byte */
    size_t dt = value_at(good, n, "datetime");
    size_t vol = value_at(good, n, "volume");
    size_t sym = value_at(good, n, "symbol") - 7; /* the key's header */
    const struct {
        size_t at;       /* byte changed */
        uint8_t to;      /* its new value */
        const char *why; /* shown on failure */
    } bad[] = {
        {0, 0xdf, "map32, not the encoder's map16"},
        {vt, 0x00, "NUL in vt_symbol"},
        {vt - 1, 0x01, "vt_symbol an integer"},
        {dt, 0xcb, "datetime as a float64"},
        {vol, 0xcf, "volume as an integer"},
        {vol + 1, 0xbf, "negative volume (sign bit)"},
        {vol + 1, 0x7f, "infinite or NaN volume (exponent 0x7ff)"},
        {sym, 0xa5, "first key 5 bytes long"},
        {vol - 2, 'x', "another key where volume's is"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(body, good, n);
        body[bad[i].at] = bad[i].to;
        if (bad[i].at == vol + 1)
            body[vol + 2] = 0xf0; /* 0x7ff0... / 0xbff0...: the bits */
        print_message("case: %s\n", bad[i].why);
        assert_false(peek(body, n, &out));
    }
    /* The map's count too small to hold the fields up to the volume. */
    memcpy(body, good, n);
    body[1] = 0;
    body[2] = 7;
    assert_false(peek(body, n, &out));
}

/* The same fields with symbol and exchange swapped: the decoder takes
 * the body, the peek does not (not the encoder's order). */
static void test_other_order_refused(void **state)
{
    (void)state;
    struct hamd_tick t, dec;
    struct hamd_tick_age out;
    uint8_t good[HAMD_TICK_WIRE_MAX], body[HAMD_TICK_WIRE_MAX];
    size_t n = encode_gateway_tick(&t, good);
    size_t sym = value_at(good, n, "symbol") - 7;   /* the pair's start */
    size_t exch = value_at(good, n, "exchange") - 9; /* the next pair's */
    size_t vt = value_at(good, n, "vt_symbol") - 10; /* the one after */
    memcpy(body, good, sym);
    memcpy(body + sym, good + exch, vt - exch);
    memcpy(body + sym + (vt - exch), good + sym, exch - sym);
    memcpy(body + vt, good + vt, n - vt);
    assert_int_equal(hamd_tick_decode(body, n, &dec), HAMD_TICK_OK);
    assert_string_equal(dec.exchange, t.exchange);
    assert_false(peek(body, n, &out));
}

/* Corrupted anywhere: a peek that reads a body the decoder accepts reads
 * what the decoder does. Counts show both kinds of body were met. */
static void test_agrees_with_decode(void **state)
{
    (void)state;
    struct hamd_tick t, dec;
    struct hamd_tick_age out;
    uint8_t good[HAMD_TICK_WIRE_MAX], buf[HAMD_TICK_WIRE_MAX];
    size_t n = encode_gateway_tick(&t, good);
    uint32_t x = 777;
    unsigned both = 0, peek_only = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, good, n);
        for (int k = 0; k < 2; k++) {
            x = x * 1103515245u + 12345u;
            buf[(x >> 8) % n] = (uint8_t)(x >> 20);
        }
        if (!peek(buf, n, &out))
            continue;
        if (hamd_tick_decode(buf, n, &dec) != HAMD_TICK_OK) {
            peek_only++;
            continue;
        }
        both++;
        assert_string_equal(out.vt_symbol, dec.vt_symbol);
        assert_int_equal(out.datetime_ns, dec.datetime_ns);
        assert_memory_equal(&out.volume, &dec.volume, sizeof out.volume);
    }
    assert_true(both > 0);
    assert_true(peek_only > 0); /* corruption past the volume: not judged */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_the_three),
        cmocka_unit_test(test_time_forms),
        cmocka_unit_test(test_hub_form_peeks_too),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_other_order_refused),
        cmocka_unit_test(test_agrees_with_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
