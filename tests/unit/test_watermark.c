/* The `_wm` body (common/watermark.c): round trips, the largest body fits
 * HAMD_WM_BODY_MAX, and every malformed or hostile body is refused whole
 * (no entry of it reported). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "common/watermark.h"

#define TS 1795340636831174865LL /* a wall clock in ns */

/* What the decoder reported. */
struct seen {
    unsigned n;                      /* entries reported */
    char vt[HAMD_WM_ENTRIES_MAX][HAMD_VT_SYMBOL_MAX]; /* their symbols */
    int64_t datetime_ns[HAMD_WM_ENTRIES_MAX];         /* exchange times */
    double volume[HAMD_WM_ENTRIES_MAX];               /* volumes */
};

static void on_entry(void *ud, const char *vt, int64_t datetime_ns,
                     double volume)
{
    struct seen *s = ud;
    snprintf(s->vt[s->n], sizeof s->vt[s->n], "%s", vt);
    s->datetime_ns[s->n] = datetime_ns;
    s->volume[s->n] = volume;
    s->n++;
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t buf[HAMD_WM_BODY_MAX];
    struct hamd_wm_writer wr;
    hamd_wm_begin(&wr, buf, sizeof buf, TS);
    assert_true(hamd_wm_add(&wr, "rb2601.SHFE", 1700000000000000000LL, 12.0));
    assert_true(hamd_wm_add(&wr, "i2601.DCE", -5, 0.5));
    assert_int_equal(hamd_wm_count(&wr), 2);
    size_t len = hamd_wm_finish(&wr);
    assert_true(len > 0);
    struct seen s = {0};
    int64_t ts = 0;
    assert_true(hamd_wm_decode(buf, len, &ts, on_entry, &s));
    assert_int_equal(ts, TS);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.vt[0], "rb2601.SHFE");
    assert_int_equal(s.datetime_ns[0], 1700000000000000000LL);
    assert_true(s.volume[0] == 12.0);
    assert_string_equal(s.vt[1], "i2601.DCE");
    assert_int_equal(s.datetime_ns[1], -5);
    assert_true(s.volume[1] == 0.5);
    /* Every strict prefix is refused, and so is a byte after the body. */
    for (size_t n = 0; n < len; n++) {
        s.n = 0;
        assert_false(hamd_wm_decode(buf, n, &ts, on_entry, &s));
        assert_int_equal(s.n, 0);
    }
    buf[len] = 0xc0;
    assert_false(hamd_wm_decode(buf, len + 1, &ts, on_entry, &s));
}

static void test_empty_body_is_a_clock(void **state)
{
    (void)state;
    uint8_t buf[HAMD_WM_BODY_MAX];
    struct hamd_wm_writer wr;
    hamd_wm_begin(&wr, buf, sizeof buf, TS);
    size_t len = hamd_wm_finish(&wr);
    struct seen s = {0};
    int64_t ts = 0;
    assert_true(hamd_wm_decode(buf, len, &ts, on_entry, &s));
    assert_int_equal(ts, TS);
    assert_int_equal(s.n, 0);
}

static void test_largest_fits_the_body_max(void **state)
{
    (void)state;
    uint8_t buf[HAMD_WM_BODY_MAX];
    char vt[HAMD_VT_SYMBOL_MAX];
    struct hamd_wm_writer wr;
    hamd_wm_begin(&wr, buf, sizeof buf, INT64_MIN);
    for (unsigned i = 0; i < HAMD_WM_ENTRIES_MAX; i++) {
        /* The longest valid vt_symbol: a 31-byte symbol, a dot, a
         * 15-byte exchange. */
        char tag[8];
        snprintf(tag, sizeof tag, "%03u", i % 1000);
        memset(vt, 'a', HAMD_SYMBOL_MAX - 1);
        memcpy(vt, tag, 3);
        vt[HAMD_SYMBOL_MAX - 1] = '.';
        memset(vt + HAMD_SYMBOL_MAX, 'X', HAMD_EXCHANGE_MAX - 1);
        vt[HAMD_VT_SYMBOL_MAX - 1] = '\0';
        assert_true(hamd_wm_add(&wr, vt, INT64_MAX, 1e300));
    }
    /* One more is refused, and the body still ends whole. */
    assert_false(hamd_wm_add(&wr, "rb2601.SHFE", 1, 1));
    size_t len = hamd_wm_finish(&wr);
    assert_true(len > 0);
    struct seen *s = calloc(1, sizeof *s);
    int64_t ts = 0;
    assert_true(hamd_wm_decode(buf, len, &ts, on_entry, s));
    assert_int_equal(s->n, HAMD_WM_ENTRIES_MAX);
    assert_int_equal(ts, INT64_MIN);
    free(s);
}

static void test_add_refuses_a_bad_symbol(void **state)
{
    (void)state;
    uint8_t buf[HAMD_WM_BODY_MAX];
    struct hamd_wm_writer wr;
    hamd_wm_begin(&wr, buf, sizeof buf, TS);
    assert_false(hamd_wm_add(&wr, "nodot", 1, 1));
    assert_false(hamd_wm_add(&wr, "", 1, 1));
    assert_false(hamd_wm_add(&wr, "x.", 1, 1));
    assert_int_equal(hamd_wm_count(&wr), 0);
    assert_true(hamd_wm_finish(&wr) > 0);
}

/* ------------------------------------------------------------------------
 * Hostile bodies, packed with msgpack-c
 * ------------------------------------------------------------------------ */

static size_t pack(uint8_t *out, size_t cap, void (*fn)(msgpack_packer *pk))
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fn(&pk);
    size_t len = sb.size <= cap ? sb.size : 0;
    memcpy(out, sb.data, len);
    msgpack_sbuffer_destroy(&sb);
    return len;
}

static void str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void entry(msgpack_packer *pk, const char *vt)
{
    msgpack_pack_array(pk, 3);
    str(pk, vt);
    msgpack_pack_int64(pk, 7);
    msgpack_pack_double(pk, 1.5);
}

/* A valid entry first, then one that is not: nothing may be reported. */
static void bad_second_entry(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    str(pk, "ts_ns");
    msgpack_pack_int64(pk, TS);
    str(pk, "ticks");
    msgpack_pack_array(pk, 2);
    entry(pk, "rb2601.SHFE");
    entry(pk, "no-dot");
}

static void ticks_first_unknown_keys(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 4);
    str(pk, "ticks");
    msgpack_pack_array(pk, 1);
    msgpack_pack_array(pk, 3);
    str(pk, "rb2601.SHFE");
    msgpack_pack_int64(pk, 9);
    msgpack_pack_uint64(pk, 42); /* an integer volume is a number too */
    str(pk, "future");
    msgpack_pack_array(pk, 2);
    msgpack_pack_nil(pk);
    msgpack_pack_true(pk);
    str(pk, "ts_ns");
    msgpack_pack_int64(pk, TS);
    str(pk, "node");
    msgpack_pack_uint8(pk, 2);
}

static void no_ts(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    str(pk, "ticks");
    msgpack_pack_array(pk, 0);
}

static void no_ticks(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    str(pk, "ts_ns");
    msgpack_pack_int64(pk, TS);
}

static void ts_is_a_float(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    str(pk, "ts_ns");
    msgpack_pack_double(pk, 1.0);
    str(pk, "ticks");
    msgpack_pack_array(pk, 0);
}

static void too_many_entries(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    str(pk, "ts_ns");
    msgpack_pack_int64(pk, TS);
    str(pk, "ticks");
    msgpack_pack_array(pk, HAMD_WM_ENTRIES_MAX + 1);
    for (unsigned i = 0; i <= HAMD_WM_ENTRIES_MAX; i++)
        entry(pk, "rb2601.SHFE");
}

static void entry_of_two(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    str(pk, "ts_ns");
    msgpack_pack_int64(pk, TS);
    str(pk, "ticks");
    msgpack_pack_array(pk, 1);
    msgpack_pack_array(pk, 2);
    str(pk, "rb2601.SHFE");
    msgpack_pack_int64(pk, 7);
}

/* A body of one entry, up to its volume (the caller packs that). */
static void one_entry_to_volume(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    str(pk, "ts_ns");
    msgpack_pack_int64(pk, TS);
    str(pk, "ticks");
    msgpack_pack_array(pk, 1);
    msgpack_pack_array(pk, 3);
    str(pk, "rb2601.SHFE");
    msgpack_pack_int64(pk, 7);
}

static void volume_is_a_string(msgpack_packer *pk)
{
    one_entry_to_volume(pk);
    str(pk, "12");
}

/* A volume no tick can have (tick.c refuses them), packed as a float or
 * as a negative integer. */
static void volume_value(msgpack_packer *pk, double volume, bool as_int)
{
    one_entry_to_volume(pk);
    if (as_int)
        msgpack_pack_int64(pk, (int64_t)volume);
    else
        msgpack_pack_double(pk, volume);
}

static void volume_negative(msgpack_packer *pk)
{
    volume_value(pk, -2.0, false);
}

static void volume_infinite(msgpack_packer *pk)
{
    volume_value(pk, INFINITY, false);
}

static void volume_nan(msgpack_packer *pk)
{
    volume_value(pk, NAN, false);
}

static void volume_negative_int(msgpack_packer *pk)
{
    volume_value(pk, -1.0, true);
}

static void huge_count(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    str(pk, "ts_ns");
    msgpack_pack_int64(pk, TS);
    str(pk, "ticks");
    msgpack_pack_array(pk, 0xffffffffu); /* and nothing after it */
}

static void an_array(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_int64(pk, TS);
    msgpack_pack_array(pk, 0);
}

static void test_refuses_whole(void **state)
{
    (void)state;
    void (*const bad[])(msgpack_packer *) = {
        bad_second_entry, no_ts,        no_ticks,           ts_is_a_float,
        too_many_entries, entry_of_two, volume_is_a_string, huge_count,
        an_array,         volume_negative, volume_infinite, volume_nan,
        volume_negative_int,
    };
    uint8_t buf[HAMD_WM_BODY_MAX * 2];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = pack(buf, sizeof buf, bad[i]);
        assert_true(len > 0);
        struct seen s = {0};
        int64_t ts = 123;
        assert_false(hamd_wm_decode(buf, len, &ts, on_entry, &s));
        assert_int_equal(s.n, 0);
        assert_int_equal(ts, 123);
    }
}

static void test_key_order_and_unknown_keys(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = pack(buf, sizeof buf, ticks_first_unknown_keys);
    struct seen s = {0};
    int64_t ts = 0;
    assert_true(hamd_wm_decode(buf, len, &ts, on_entry, &s));
    assert_int_equal(ts, TS);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.datetime_ns[0], 9);
    assert_true(s.volume[0] == 42.0);
    /* Checking only (fn NULL) gives the same answer. */
    assert_true(hamd_wm_decode(buf, len, &ts, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty_body_is_a_clock),
        cmocka_unit_test(test_largest_fits_the_body_max),
        cmocka_unit_test(test_add_refuses_a_bad_symbol),
        cmocka_unit_test(test_refuses_whole),
        cmocka_unit_test(test_key_order_and_unknown_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
