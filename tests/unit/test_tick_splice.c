/* Splicing the hub fields onto a gateway's body (common/tick_splice.h):
 * the bytes are always those the encoder writes for the same tick; a body
 * that is not in the encoder's layout is not spliced; the decoder's fast
 * path answers what the generic decoder answers, on valid and broken
 * bodies alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <msgpack.h>
#include <string.h>

#include "common/mpread.h"
#include "common/tick_splice.h"
#include "hamd/tick.h"
#include "unit_tick.h"

/* A tick as a gateway sends it: every field, no hub fields. */
static void gateway_tick(struct hamd_tick *t)
{
    unit_tick_fill(t);
    t->has_hub = false;
    t->term = t->seq = 0;
    t->node = 0;
    t->hub_ns = 0;
}

/* What the hub publishes for t from account name with hub: the encoder's
 * bytes of the stamped tick, the reference a splice must equal, and what
 * hamd_tick_encode_hub writes without the stamped copy. */
static size_t published(const struct hamd_tick *t, const char *account,
                        const struct hamd_tick_hub *hub, uint8_t *out)
{
    struct hamd_tick s = *t;
    uint8_t again[HAMD_TICK_WIRE_MAX];
    snprintf(s.gateway_name, sizeof s.gateway_name, "%s", account);
    size_t other = hamd_tick_encode_hub(&s, hub, again, sizeof again);
    s.term = hub->term;
    s.seq = hub->seq;
    s.node = hub->node;
    s.hub_ns = hub->hub_ns;
    size_t n = hamd_tick_encode(&s, true, out, HAMD_TICK_WIRE_MAX);
    assert_true(n > 0);
    assert_int_equal(other, n);
    assert_memory_equal(again, out, n);
    return n;
}

/* Decodes body, which must be spliceable, splices name and hub in and
 * checks the bytes against the encoder's. */
static void assert_splices_as_encoded(const uint8_t *body, size_t len,
                                      const char *name,
                                      const struct hamd_tick_hub *hub)
{
    struct hamd_tick t;
    struct hamd_tick_splice sp;
    uint8_t got[HAMD_TICK_WIRE_MAX], want[HAMD_TICK_WIRE_MAX];
    assert_int_equal(hamd_tick_decode_splice(body, len, &t, &sp), HAMD_TICK_OK);
    assert_ptr_equal(sp.body, body);
    size_t n = hamd_tick_splice(&sp, name, strlen(name), hub, got, sizeof got);
    size_t w = published(&t, name, hub, want);
    assert_int_equal(n, w);
    assert_memory_equal(got, want, w);
    /* exact fit, and one byte short */
    assert_int_equal(hamd_tick_splice(&sp, name, strlen(name), hub, got, w), w);
    assert_memory_equal(got, want, w);
    assert_int_equal(hamd_tick_splice(&sp, name, strlen(name), hub, got, w - 1),
                     0);
}

static const struct hamd_tick_hub HUBS[] = {
    {1, 1, 1, UNIT_TICK_DT + 5},
    {0, 0, 0, 0},
    {200, 300, 70000, -5},
    {70000, 5000000000ull, UINT32_MAX, INT64_MIN},
    {UINT64_MAX, UINT64_MAX, 127, INT64_MAX},
};

/* Bodies in the encoder's layout splice to the encoder's bytes: with and
 * without extra, short and long strings, every form of the integers, any
 * account name, whatever gateway_name the body carried. */
static void test_splice_equals_encode(void **state)
{
    (void)state;
    const char *names[] = {"sim_a", "", "a",
                           "abcdefghijklmnopqrstuvwxyz01234", /* 31 */
                           "abcdefghijklmnopqrstuvwxyz0123456789@node", /* 41 */
                           "ctp_main"};
    uint8_t body[HAMD_TICK_WIRE_MAX];
    for (int shape = 0; shape < 5; shape++) {
        struct hamd_tick t;
        gateway_tick(&t);
        if (shape == 1)
            t.extra_len = 0;
        if (shape == 2)
            unit_tick_fill_largest(&t), t.has_hub = false;
        if (shape == 3) {
            memset(t.name, 'n', 40); /* str8 */
            t.name[40] = '\0';
            t.localtime_ns = -3000000000LL;
            t.datetime_ns = 5;
        }
        if (shape == 4) {
            t.gateway_name[0] = '\0';
            t.name[0] = '\0';
            t.localtime_ns = 0;
        }
        size_t len = hamd_tick_encode(&t, false, body, sizeof body);
        for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
            for (size_t h = 0; h < sizeof HUBS / sizeof HUBS[0]; h++)
                assert_splices_as_encoded(body, len, names[n], &HUBS[h]);
    }
}

/* Packs a tick's fields with msgpack-c, in the encoder's order, with one
 * thing changed (what), into sb. */
enum variant {
    V_AS_ENCODER,  /* the same bytes as the encoder */
    V_INT_PRICE,   /* last_price 3500 as an int */
    V_NIL_TIME,    /* localtime nil */
    V_WIDE_INT,    /* datetime as int64 (0xd3), not the shortest form */
    V_UNKNOWN_KEY, /* an unknown key appended */
    V_HUB_FIELD,   /* a term, as a gateway must not send */
    V_UTF8_NAME,   /* a name that is not ASCII: still the layout */
    V_NO_NAME,     /* name left out */
    V_SWAPPED,     /* exchange before symbol */
    V_STR8_SHORT,  /* symbol as str8 although short */
};

static void pack_key(msgpack_packer *pk, const char *k)
{
    msgpack_pack_str_with_body(pk, k, strlen(k));
}

static void pack_str(msgpack_packer *pk, const char *k, const char *v)
{
    pack_key(pk, k);
    msgpack_pack_str_with_body(pk, v, strlen(v));
}

static void pack_variant(msgpack_sbuffer *sb, enum variant what)
{
    static const char *nums[] = {
        "volume", "turnover", "open_interest", "last_price", "last_volume",
        "limit_up", "limit_down", "open_price", "high_price", "low_price",
        "pre_close", "bid_price_1", "bid_price_2", "bid_price_3",
        "bid_price_4", "bid_price_5", "ask_price_1", "ask_price_2",
        "ask_price_3", "ask_price_4", "ask_price_5", "bid_volume_1",
        "bid_volume_2", "bid_volume_3", "bid_volume_4", "bid_volume_5",
        "ask_volume_1", "ask_volume_2", "ask_volume_3", "ask_volume_4",
        "ask_volume_5"};
    msgpack_sbuffer_init(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    size_t n = 7 + 31 + (what == V_UNKNOWN_KEY || what == V_HUB_FIELD) -
               (what == V_NO_NAME);
    msgpack_pack_map(&pk, n);
    if (what == V_SWAPPED) {
        pack_str(&pk, "exchange", "SHFE");
        pack_str(&pk, "symbol", "rb2601");
    } else if (what == V_STR8_SHORT) {
        pack_key(&pk, "symbol");
        const uint8_t str8[] = {0xd9, 6, 'r', 'b', '2', '6', '0', '1'};
        pk.callback(pk.data, (const char *)str8, sizeof str8);
        pack_str(&pk, "exchange", "SHFE");
    } else {
        pack_str(&pk, "symbol", "rb2601");
        pack_str(&pk, "exchange", "SHFE");
    }
    pack_str(&pk, "vt_symbol", "rb2601.SHFE");
    pack_str(&pk, "gateway_name", "gw");
    if (what != V_NO_NAME)
        pack_str(&pk, "name", what == V_UTF8_NAME ? "螺纹钢" : "rebar");
    pack_key(&pk, "datetime");
    if (what == V_WIDE_INT) {
        const uint8_t d3[] = {0xd3, 0x18, 0x49, 0x6f, 0x6b, 0x2b, 0x0e, 0x4b,
                              0x15};
        pk.callback(pk.data, (const char *)d3, sizeof d3);
    } else {
        msgpack_pack_int64(&pk, UNIT_TICK_DT);
    }
    pack_key(&pk, "localtime");
    if (what == V_NIL_TIME)
        msgpack_pack_nil(&pk);
    else
        msgpack_pack_int64(&pk, UNIT_TICK_DT + 7);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        pack_key(&pk, nums[i]);
        if (what == V_INT_PRICE && strcmp(nums[i], "last_price") == 0)
            msgpack_pack_uint64(&pk, 3500);
        else
            msgpack_pack_double(&pk, 3000.5 + (double)i);
    }
    if (what == V_UNKNOWN_KEY) {
        pack_key(&pk, "zz_later");
        msgpack_pack_int(&pk, 1);
    }
    if (what == V_HUB_FIELD) {
        pack_key(&pk, "term");
        msgpack_pack_uint64(&pk, 3);
    }
}

/* What msgpack-c packs in the encoder's layout is spliced; every other
 * body decodes as before and is not: the hub encodes it. */
static void test_only_the_encoders_layout_is_spliced(void **state)
{
    (void)state;
    const struct {
        enum variant what;
        enum hamd_tick_err err;
        bool spliced;
    } cases[] = {
        {V_AS_ENCODER, HAMD_TICK_OK, true},
        {V_INT_PRICE, HAMD_TICK_OK, false},
        {V_NIL_TIME, HAMD_TICK_OK, false},
        {V_WIDE_INT, HAMD_TICK_OK, false},
        {V_UNKNOWN_KEY, HAMD_TICK_OK, false},
        {V_HUB_FIELD, HAMD_TICK_OK, false},
        {V_UTF8_NAME, HAMD_TICK_OK, true},
        {V_NO_NAME, HAMD_TICK_OK, false},
        {V_SWAPPED, HAMD_TICK_OK, false},
        {V_STR8_SHORT, HAMD_TICK_OK, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msgpack_sbuffer sb;
        pack_variant(&sb, cases[i].what);
        struct hamd_tick t, plain;
        struct hamd_tick_splice sp;
        enum hamd_tick_err err =
            hamd_tick_decode_splice(sb.data, sb.size, &t, &sp);
        assert_int_equal(err, cases[i].err);
        assert_int_equal(hamd_tick_decode(sb.data, sb.size, &plain), err);
        assert_int_equal(sp.body != NULL, cases[i].spliced);
        if (cases[i].spliced)
            assert_splices_as_encoded((const uint8_t *)sb.data, sb.size,
                                      "sim_a", &HUBS[0]);
        else
            assert_int_equal(hamd_tick_splice(&sp, "a", 1, &HUBS[0],
                                              (uint8_t[HAMD_TICK_WIRE_MAX]){0},
                                              HAMD_TICK_WIRE_MAX),
                             0);
        assert_int_equal(t.last_price, plain.last_price);
        assert_string_equal(t.name, plain.name);
        assert_int_equal(t.localtime_ns, plain.localtime_ns);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* A -0.0 is a valid volume the fast path leaves to the generic decoder:
 * decoded as before, encoded by the hub, not spliced. */
static void test_negative_zero_is_not_spliced(void **state)
{
    (void)state;
    struct hamd_tick t, out;
    struct hamd_tick_splice sp;
    uint8_t body[HAMD_TICK_WIRE_MAX];
    gateway_tick(&t);
    t.bid_volume[4] = -0.0;
    size_t len = hamd_tick_encode(&t, false, body, sizeof body);
    assert_int_equal(hamd_tick_decode_splice(body, len, &out, &sp), HAMD_TICK_OK);
    assert_null(sp.body);
    assert_true(out.bid_volume[4] == 0 && signbit(out.bid_volume[4]));
}

/* The fast path's check of a number's bits: finite and not negative,
 * at the edges of both. */
static void test_numbers_at_the_edges(void **state)
{
    (void)state;
    const struct {
        double v;
        enum hamd_tick_err err;
    } cases[] = {
        {INFINITY, HAMD_TICK_EPRICE}, {-INFINITY, HAMD_TICK_EPRICE},
        {NAN, HAMD_TICK_EPRICE},      {-NAN, HAMD_TICK_EPRICE},
        {-1e-300, HAMD_TICK_EPRICE},  {-4.9e-324, HAMD_TICK_EPRICE},
        {1.7976931348623157e308, HAMD_TICK_OK},
        {4.9e-324, HAMD_TICK_OK},     {0, HAMD_TICK_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int field = 0; field < 3; field++) {
            struct hamd_tick t, out;
            struct hamd_tick_splice sp;
            uint8_t body[HAMD_TICK_WIRE_MAX];
            gateway_tick(&t);
            double *at[] = {&t.volume, &t.pre_close, &t.ask_volume[4]};
            *at[field] = cases[i].v;
            size_t len = hamd_tick_encode(&t, false, body, sizeof body);
            assert_int_equal(hamd_tick_decode_splice(body, len, &out, &sp),
                             cases[i].err);
            if (cases[i].err == HAMD_TICK_OK)
                assert_splices_as_encoded(body, len, "sim_c", &HUBS[1]);
        }
    }
}

/* True when buf is one whole msgpack value. */
static bool whole_msgpack(const uint8_t *buf, size_t len)
{
    struct hamd_mpr r;
    hamd_mpr_init(&r, buf, len);
    return hamd_mpr_skip(&r) && hamd_mpr_done(&r);
}

/* body with one more pair, an unknown key, after its last: the same tick
 * for every decoder, but only the generic one reads it. body starts with
 * a map16 header. Returns the twin's length. */
static size_t generic_twin(const uint8_t *body, size_t len, uint8_t *twin)
{
    static const uint8_t pair[] = {0xa2, 'z', 'z', 0xc0}; /* "zz": nil */
    memcpy(twin, body, len);
    uint16_t n = (uint16_t)((body[1] << 8 | body[2]) + 1);
    twin[1] = (uint8_t)(n >> 8);
    twin[2] = (uint8_t)n;
    memcpy(twin + len, pair, sizeof pair);
    return len + sizeof pair;
}

/* The fast path gives the generic decoder's answer (error, or the same
 * tick) on corrupted bodies, and whatever it splices is the encoder's
 * bytes. */
static void test_fast_path_answers_as_generic(void **state)
{
    (void)state;
    struct hamd_tick t, g;
    uint8_t good[HAMD_TICK_WIRE_MAX], buf[HAMD_TICK_WIRE_MAX];
    uint8_t twin[HAMD_TICK_WIRE_MAX + 8];
    uint8_t a[HAMD_TICK_WIRE_MAX], b[HAMD_TICK_WIRE_MAX];
    gateway_tick(&t);
    size_t n = hamd_tick_encode(&t, false, good, sizeof good);
    uint32_t x = 2024;
    unsigned spliced = 0, failed = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, good, n);
        for (int k = 0; k < 1 + round % 3; k++) {
            x = x * 1103515245u + 12345u;
            buf[3 + (x >> 8) % (n - 3)] = (uint8_t)(x >> 20);
        }
        struct hamd_tick_splice sp;
        enum hamd_tick_err err = hamd_tick_decode_splice(buf, n, &t, &sp);
        if (err != HAMD_TICK_OK)
            failed++;
        if (!whole_msgpack(buf, n))
            continue; /* a twin could read the appended pair otherwise */
        size_t tn = generic_twin(buf, n, twin);
        assert_int_equal(hamd_tick_decode(twin, tn, &g), err);
        if (err != HAMD_TICK_OK)
            continue;
        size_t la = hamd_tick_encode(&t, true, a, sizeof a);
        size_t lb = hamd_tick_encode(&g, true, b, sizeof b);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        assert_int_equal(t.has_hub, g.has_hub);
        if (sp.body) {
            spliced++;
            assert_splices_as_encoded(buf, n, "sim_b", &HUBS[2]);
        }
    }
    assert_true(spliced > 0 && failed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splice_equals_encode),
        cmocka_unit_test(test_only_the_encoders_layout_is_spliced),
        cmocka_unit_test(test_negative_zero_is_not_spliced),
        cmocka_unit_test(test_numbers_at_the_edges),
        cmocka_unit_test(test_fast_path_answers_as_generic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
