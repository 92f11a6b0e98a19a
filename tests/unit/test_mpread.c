/* The allocation-free msgpack reader: every encoding msgpack-c produces is
 * read back, skipping handles nesting, and hostile lengths fail cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <msgpack.h>
#include <string.h>

#include "common/mpread.h"
#include "common/mpwrite.h"

/* Packs into a fixed buffer through mpwrite, the codecs' own packer. */
static uint8_t buf[1 << 17];
static struct hamd_mpw w;

static void start(void)
{
    hamd_mpw_init(&w, buf, sizeof buf);
}

static struct hamd_mpr reader(void)
{
    struct hamd_mpr r;
    size_t n = hamd_mpw_finish(&w);
    assert_true(n > 0);
    hamd_mpr_init(&r, buf, n);
    return r;
}

static void test_integers_every_width(void **state)
{
    (void)state;
    const int64_t signed_vals[] = {-1, -32, -33, -128, -129, -32768, -32769,
                                   INT32_MIN, (int64_t)INT32_MIN - 1,
                                   INT64_MIN};
    const uint64_t unsigned_vals[] = {0, 127, 128, 255, 256, 65535, 65536,
                                      UINT32_MAX, (uint64_t)UINT32_MAX + 1,
                                      UINT64_MAX};
    start();
    for (size_t i = 0; i < 10; i++) {
        msgpack_pack_int64(&w.pk, signed_vals[i]);
        msgpack_pack_uint64(&w.pk, unsigned_vals[i]);
        msgpack_pack_fix_int8(&w.pk, 5); /* signed encoding, positive */
    }
    struct hamd_mpr r = reader();
    for (size_t i = 0; i < 10; i++) {
        struct hamd_mpr_val v;
        assert_true(hamd_mpr_read(&r, &v));
        assert_int_equal(v.kind, HAMD_MPR_INT);
        assert_true(v.v.i == signed_vals[i]);
        assert_true(hamd_mpr_read(&r, &v));
        assert_int_equal(v.kind, HAMD_MPR_UINT);
        assert_true(v.v.u == unsigned_vals[i]);
        assert_true(hamd_mpr_read(&r, &v));
        assert_int_equal(v.kind, HAMD_MPR_UINT);
        assert_int_equal(v.v.u, 5);
    }
    assert_true(hamd_mpr_done(&r));
}

static void test_other_scalars(void **state)
{
    (void)state;
    start();
    msgpack_pack_nil(&w.pk);
    msgpack_pack_true(&w.pk);
    msgpack_pack_false(&w.pk);
    msgpack_pack_float(&w.pk, 1.5f);
    msgpack_pack_double(&w.pk, -2.25);
    msgpack_pack_bin_with_body(&w.pk, "\0\1", 2);
    msgpack_pack_ext_with_body(&w.pk, "abcd", 4, 7);   /* fixext4 */
    msgpack_pack_ext_with_body(&w.pk, "abc", 3, 7);    /* ext8 */
    char long_str[300];
    memset(long_str, 'z', sizeof long_str);
    msgpack_pack_str_with_body(&w.pk, long_str, sizeof long_str); /* str16 */
    struct hamd_mpr r = reader();
    struct hamd_mpr_val v;
    assert_true(hamd_mpr_read(&r, &v) && v.kind == HAMD_MPR_NIL);
    assert_true(hamd_mpr_read(&r, &v) && v.kind == HAMD_MPR_BOOL && v.v.b);
    assert_true(hamd_mpr_read(&r, &v) && v.kind == HAMD_MPR_BOOL && !v.v.b);
    assert_true(hamd_mpr_read(&r, &v) && v.kind == HAMD_MPR_FLOAT);
    assert_true(v.v.f == 1.5);
    assert_true(hamd_mpr_read(&r, &v) && v.kind == HAMD_MPR_FLOAT);
    assert_true(v.v.f == -2.25);
    assert_true(hamd_mpr_read(&r, &v) && v.kind == HAMD_MPR_BIN);
    assert_int_equal(v.v.s.len, 2);
    assert_true(hamd_mpr_read(&r, &v) && v.kind == HAMD_MPR_EXT);
    assert_memory_equal(v.v.s.ptr, "abcd", 4);
    assert_true(hamd_mpr_read(&r, &v) && v.kind == HAMD_MPR_EXT);
    assert_memory_equal(v.v.s.ptr, "abc", 3);
    assert_true(hamd_mpr_read(&r, &v) && v.kind == HAMD_MPR_STR);
    assert_int_equal(v.v.s.len, sizeof long_str);
    assert_true(hamd_mpr_done(&r));
    assert_false(hamd_mpr_read(&r, &v)); /* nothing left */
}

static void test_skip_nested(void **state)
{
    (void)state;
    start();
    msgpack_pack_map(&w.pk, 2);
    hamd_mpw_str(&w, "a");
    msgpack_pack_array(&w.pk, 20); /* array16 */
    for (int i = 0; i < 20; i++) {
        msgpack_pack_map(&w.pk, 1);
        msgpack_pack_int(&w.pk, i);
        msgpack_pack_array(&w.pk, 1);
        msgpack_pack_array(&w.pk, 0);
    }
    hamd_mpw_str(&w, "b");
    msgpack_pack_nil(&w.pk);
    msgpack_pack_int(&w.pk, 99); /* the value after the skipped one */
    struct hamd_mpr r = reader();
    assert_true(hamd_mpr_skip(&r));
    int64_t x = 0;
    assert_true(hamd_mpr_read_i64(&r, &x));
    assert_int_equal(x, 99);
    assert_true(hamd_mpr_done(&r));
}

/* Every strict prefix of a nested value is rejected by skip. */
static void test_skip_rejects_every_prefix(void **state)
{
    (void)state;
    start();
    msgpack_pack_map(&w.pk, 1);
    hamd_mpw_str(&w, "key");
    msgpack_pack_array(&w.pk, 3);
    msgpack_pack_double(&w.pk, 1.0);
    hamd_mpw_str(&w, "text");
    msgpack_pack_uint64(&w.pk, UINT64_MAX);
    size_t n = hamd_mpw_finish(&w);
    for (size_t len = 0; len < n; len++) {
        struct hamd_mpr r;
        hamd_mpr_init(&r, buf, len);
        assert_false(hamd_mpr_skip(&r));
    }
}

static void test_hostile_lengths(void **state)
{
    (void)state;
    const char *bodies[] = {"\xdd\xff\xff\xff\xff", "\xdf\xff\xff\xff\xff",
                            "\xdb\xff\xff\xff\xff", "\xc6\xff\xff\xff\xff",
                            "\xc9\xff\xff\xff\xff\x01", "\xc1", "\xcb\x00"};
    const size_t lens[] = {5, 5, 5, 5, 6, 1, 2};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        struct hamd_mpr r;
        hamd_mpr_init(&r, bodies[i], lens[i]);
        assert_false(hamd_mpr_skip(&r));
    }
}

static void test_read_i64_range(void **state)
{
    (void)state;
    start();
    msgpack_pack_uint64(&w.pk, (uint64_t)INT64_MAX);
    msgpack_pack_uint64(&w.pk, (uint64_t)INT64_MAX + 1);
    struct hamd_mpr r = reader();
    int64_t x;
    assert_true(hamd_mpr_read_i64(&r, &x));
    assert_true(x == INT64_MAX);
    assert_false(hamd_mpr_read_i64(&r, &x));
}

static void test_str_eq(void **state)
{
    (void)state;
    struct hamd_mpr_val v = {.kind = HAMD_MPR_STR};
    v.v.s.ptr = "symbolic";
    v.v.s.len = 6;
    assert_true(hamd_mpr_str_eq(&v, "symbol"));
    assert_false(hamd_mpr_str_eq(&v, "symbolic"));
    assert_false(hamd_mpr_str_eq(&v, "symbo"));
    v.kind = HAMD_MPR_BIN;
    assert_false(hamd_mpr_str_eq(&v, "symbol"));
}

/* map_find: values of the named keys wherever they are, containers
 * skipped whole, absent and nil keys NIL, a non-map or a truncated map
 * rejected, and no reading past the last key needed. */
static void test_map_find(void **state)
{
    (void)state;
    static const char *const keys[] = {"hub_ns", "volume", "gone", "nested"};
    struct hamd_mpr_val v[4];
    start();
    msgpack_pack_map(&w.pk, 5);
    hamd_mpw_str(&w, "nested");
    msgpack_pack_array(&w.pk, 2);
    hamd_mpw_str(&w, "hub_ns"); /* not a key of the top map */
    msgpack_pack_int(&w.pk, -1);
    hamd_mpw_str(&w, "volume");
    msgpack_pack_double(&w.pk, 12.5);
    hamd_mpw_str(&w, "gone");
    msgpack_pack_nil(&w.pk);
    hamd_mpw_str(&w, "hub_ns");
    msgpack_pack_uint64(&w.pk, 1795340636834139687ULL);
    hamd_mpw_str(&w, "volume"); /* a second one: the first counts */
    msgpack_pack_double(&w.pk, 99.0);
    size_t n = hamd_mpw_finish(&w);
    assert_true(hamd_mpr_map_find(buf, n, keys, v, 4));
    int64_t hub_ns = 0;
    assert_true(hamd_mpr_val_i64(&v[0], &hub_ns));
    assert_int_equal(hub_ns, 1795340636834139687LL);
    assert_int_equal(v[1].kind, HAMD_MPR_FLOAT);
    assert_true(v[1].v.f == 12.5);
    assert_int_equal(v[2].kind, HAMD_MPR_NIL);
    assert_int_equal(v[3].kind, HAMD_MPR_ARRAY);
    assert_int_equal(v[3].v.n, 2);
    assert_false(hamd_mpr_val_i64(&v[1], &hub_ns));

    /* Cut anywhere before the last key it needs: rejected, never read
     * past the end (ASan would tell). */
    for (size_t cut = 0; cut < n; cut++)
        assert_false(hamd_mpr_map_find(buf, cut, keys, v, 4));
    /* Cut before the second "volume" (7 + 9 bytes): with the first two
     * keys found, it stops there. */
    assert_true(hamd_mpr_map_find(buf, n - 16, keys, v, 2));
    assert_false(hamd_mpr_map_find(buf, n - 17, keys, v, 2));

    start();
    msgpack_pack_array(&w.pk, 1);
    msgpack_pack_int(&w.pk, 1);
    n = hamd_mpw_finish(&w);
    assert_false(hamd_mpr_map_find(buf, n, keys, v, 4));
    start();
    msgpack_pack_map(&w.pk, 1);
    msgpack_pack_int(&w.pk, 1); /* a key that is not a string */
    msgpack_pack_int(&w.pk, 2);
    n = hamd_mpw_finish(&w);
    assert_false(hamd_mpr_map_find(buf, n, keys, v, 4));
}

static void test_writer_overflow_sticks(void **state)
{
    (void)state;
    uint8_t small[4];
    struct hamd_mpw sw;
    hamd_mpw_init(&sw, small, sizeof small);
    assert_int_equal(hamd_mpw_str(&sw, "abc"), 0);  /* 4 bytes: fits */
    assert_int_equal(msgpack_pack_nil(&sw.pk), -1); /* 5th byte does not */
    assert_int_equal(hamd_mpw_finish(&sw), 0);
    assert_int_equal(hamd_mpw_raw(&sw, "", 0), -1); /* stays failed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_every_width),
        cmocka_unit_test(test_other_scalars),
        cmocka_unit_test(test_skip_nested),
        cmocka_unit_test(test_skip_rejects_every_prefix),
        cmocka_unit_test(test_hostile_lengths),
        cmocka_unit_test(test_read_i64_range),
        cmocka_unit_test(test_str_eq),
        cmocka_unit_test(test_map_find),
        cmocka_unit_test(test_writer_overflow_sticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
