/* String -> pointer map: put/get/replace/remove, growth and iteration,
 * keys held in their slot and long ones held apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

#define MANY_KEYS 10000 /* well past several doublings of a small map */

/* Distinct non-NULL values without allocating: addresses in one array. */
static char values[MANY_KEYS];

static void key_of(int i, char *buf, size_t cap)
{
    snprintf(buf, cap, "sym%05d.EX%d", i, i % 7);
}

static void test_new_destroy_nulls_pointer(void **state)
{
    (void)state;
    struct hamd_strmap *m = hamd_strmap_new(0);
    assert_non_null(m);
    assert_int_equal(hamd_strmap_size(m), 0);
    assert_null(hamd_strmap_get(m, "x"));
    hamd_strmap_destroy(&m);
    assert_null(m);
    hamd_strmap_destroy(&m); /* twice is harmless */
}

static void test_put_get_replace_remove(void **state)
{
    (void)state;
    struct hamd_strmap *m = hamd_strmap_new(4);
    int a = 1, b = 2, c = 3;
    assert_null(hamd_strmap_put(m, "rb2601.SHFE", &a));
    assert_null(hamd_strmap_put(m, "IF2601.CFFEX", &b));
    assert_int_equal(hamd_strmap_size(m), 2);
    assert_ptr_equal(hamd_strmap_get(m, "rb2601.SHFE"), &a);
    assert_ptr_equal(hamd_strmap_get(m, "IF2601.CFFEX"), &b);
    assert_null(hamd_strmap_get(m, "rb2601.shfe"));
    assert_null(hamd_strmap_get(m, "rb2601"));

    assert_ptr_equal(hamd_strmap_put(m, "rb2601.SHFE", &c), &a);
    assert_int_equal(hamd_strmap_size(m), 2);
    assert_ptr_equal(hamd_strmap_get(m, "rb2601.SHFE"), &c);

    assert_ptr_equal(hamd_strmap_remove(m, "rb2601.SHFE"), &c);
    assert_null(hamd_strmap_remove(m, "rb2601.SHFE"));
    assert_null(hamd_strmap_get(m, "rb2601.SHFE"));
    assert_int_equal(hamd_strmap_size(m), 1);

    /* Putting NULL removes. */
    assert_ptr_equal(hamd_strmap_put(m, "IF2601.CFFEX", NULL), &b);
    assert_int_equal(hamd_strmap_size(m), 0);
    hamd_strmap_destroy(&m);
}

static void test_bad_keys_refused(void **state)
{
    (void)state;
    struct hamd_strmap *m = hamd_strmap_new(4);
    char longest[HAMD_STRMAP_KEY_MAX + 1], too_long[HAMD_STRMAP_KEY_MAX + 2];
    memset(longest, 'k', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    memset(too_long, 'k', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    int v = 1;
    assert_true(hamd_strmap_key_ok(longest));
    assert_false(hamd_strmap_key_ok(too_long));
    assert_false(hamd_strmap_key_ok(""));
    assert_false(hamd_strmap_key_ok(NULL));
    assert_null(hamd_strmap_put(m, too_long, &v));
    assert_null(hamd_strmap_put(m, "", &v));
    assert_int_equal(hamd_strmap_size(m), 0);
    assert_null(hamd_strmap_get(m, too_long));
    assert_null(hamd_strmap_put(m, longest, &v));
    assert_ptr_equal(hamd_strmap_get(m, longest), &v);
    hamd_strmap_destroy(&m);
}

/* 10,000 keys into a map created for 1: many doublings, all retrievable. */
static void test_grow_with_many_keys(void **state)
{
    (void)state;
    struct hamd_strmap *m = hamd_strmap_new(1);
    char key[32];
    for (int i = 0; i < MANY_KEYS; i++) {
        key_of(i, key, sizeof key);
        assert_null(hamd_strmap_put(m, key, &values[i]));
    }
    assert_int_equal(hamd_strmap_size(m), MANY_KEYS);
    for (int i = 0; i < MANY_KEYS; i++) {
        key_of(i, key, sizeof key);
        assert_ptr_equal(hamd_strmap_get(m, key), &values[i]);
    }
    assert_null(hamd_strmap_get(m, "sym10000.EX0"));
    hamd_strmap_destroy(&m);
}

/* Removing every other key keeps all the rest reachable: exercises the
 * backward shift across long probe runs and the table wrap-around. */
static void test_remove_half_keeps_rest(void **state)
{
    (void)state;
    struct hamd_strmap *m = hamd_strmap_new(MANY_KEYS);
    char key[32];
    for (int i = 0; i < MANY_KEYS; i++) {
        key_of(i, key, sizeof key);
        hamd_strmap_put(m, key, &values[i]);
    }
    for (int i = 0; i < MANY_KEYS; i += 2) {
        key_of(i, key, sizeof key);
        assert_ptr_equal(hamd_strmap_remove(m, key), &values[i]);
    }
    assert_int_equal(hamd_strmap_size(m), MANY_KEYS / 2);
    for (int i = 0; i < MANY_KEYS; i++) {
        key_of(i, key, sizeof key);
        if (i % 2)
            assert_ptr_equal(hamd_strmap_get(m, key), &values[i]);
        else
            assert_null(hamd_strmap_get(m, key));
    }
    /* Re-insert the removed half: sizes and values line up again. */
    for (int i = 0; i < MANY_KEYS; i += 2) {
        key_of(i, key, sizeof key);
        assert_null(hamd_strmap_put(m, key, &values[i]));
    }
    assert_int_equal(hamd_strmap_size(m), MANY_KEYS);
    hamd_strmap_destroy(&m);
}

/* Iteration visits every entry exactly once, with the right value. */
static void test_iterate_visits_each_once(void **state)
{
    (void)state;
    struct hamd_strmap *m = hamd_strmap_new(16);
    char key[32];
    for (int i = 0; i < MANY_KEYS; i++) {
        key_of(i, key, sizeof key);
        hamd_strmap_put(m, key, &values[i]);
    }
    unsigned char *seen = calloc(MANY_KEYS, 1);
    size_t cursor = 0, count = 0;
    const char *k;
    void *v;
    while (hamd_strmap_next(m, &cursor, &k, &v)) {
        int i = (int)((char *)v - values);
        assert_true(i >= 0 && i < MANY_KEYS);
        key_of(i, key, sizeof key);
        assert_string_equal(k, key);
        assert_int_equal(seen[i], 0);
        seen[i] = 1;
        count++;
    }
    assert_int_equal(count, MANY_KEYS);
    assert_false(hamd_strmap_next(m, &cursor, &k, &v)); /* stays at end */
    free(seen);
    hamd_strmap_destroy(&m);
}

/* Random puts, removes and gets over a key space of `space` keys (made by
 * key_fn) against a plain array as the model: any probe-chain bug in
 * replace, grow or backward-shift shows up as a mismatch. A small key
 * space keeps chains long and collisions frequent. */
static void random_ops_check(int space, uint32_t seed,
                             void (*key_fn)(int i, char *buf, size_t cap))
{
    enum { OPS = 200000 };
    void **model = calloc((size_t)space, sizeof *model);
    assert_non_null(model);
    size_t model_size = 0;
    struct hamd_strmap *m = hamd_strmap_new(0);
    uint32_t x = seed;
    char key[HAMD_STRMAP_KEY_MAX + 1];
    for (int op = 0; op < OPS; op++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        int i = (int)(x % (uint32_t)space);
        key_fn(i, key, sizeof key);
        void *want = model[i];
        if ((x >> 16) % 3 == 0) {
            assert_ptr_equal(hamd_strmap_remove(m, key), want);
            model_size -= want != NULL;
            model[i] = NULL;
        } else if ((x >> 16) % 3 == 1) {
            void *v = &values[(x >> 8) % MANY_KEYS];
            assert_ptr_equal(hamd_strmap_put(m, key, v), want);
            model_size += want == NULL;
            model[i] = v;
        } else {
            assert_ptr_equal(hamd_strmap_get(m, key), want);
        }
        assert_int_equal(hamd_strmap_size(m), model_size);
    }
    for (int i = 0; i < space; i++) {
        key_fn(i, key, sizeof key);
        assert_ptr_equal(hamd_strmap_get(m, key), model[i]);
    }
    hamd_strmap_destroy(&m); /* frees the long keys still held */
    free(model);
}

static void test_random_ops_match_model(void **state)
{
    (void)state;
    random_ops_check(600, 2463534242u, key_of);
}

/* A key of i's own length, from 1 to HAMD_STRMAP_KEY_MAX bytes: short ones
 * in the slot, long ones apart, both sides of HAMD_STRMAP_INLINE_MAX. */
static void key_of_len(int i, char *buf, size_t cap)
{
    size_t len = 1 + (size_t)i % HAMD_STRMAP_KEY_MAX;
    int n = snprintf(buf, cap, "%d.", i);
    for (size_t j = (size_t)n; j < len && j + 1 < cap; j++)
        buf[j] = (char)('a' + (i + (int)j) % 26);
    if (len > (size_t)n)
        buf[len] = '\0';
}

/* Keys at the inline limit and one byte past it, and the longest: stored,
 * found, told apart from each other and from their prefixes, replaced
 * and removed like short ones. */
static void test_keys_at_inline_limit(void **state)
{
    (void)state;
    struct hamd_strmap *m = hamd_strmap_new(0);
    char at[HAMD_STRMAP_INLINE_MAX + 1], past[HAMD_STRMAP_INLINE_MAX + 2];
    char longest[HAMD_STRMAP_KEY_MAX + 1];
    memset(at, 'x', sizeof at - 1);
    at[sizeof at - 1] = '\0';
    memset(past, 'x', sizeof past - 1);
    past[sizeof past - 1] = '\0';
    memset(longest, 'x', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    int a = 1, b = 2, c = 3, d = 4;
    assert_null(hamd_strmap_put(m, at, &a));
    assert_null(hamd_strmap_put(m, past, &b));
    assert_null(hamd_strmap_put(m, longest, &c));
    assert_int_equal(hamd_strmap_size(m), 3);
    assert_ptr_equal(hamd_strmap_get(m, at), &a);
    assert_ptr_equal(hamd_strmap_get(m, past), &b);
    assert_ptr_equal(hamd_strmap_get(m, longest), &c);
    assert_null(hamd_strmap_get(m, at + 1)); /* one byte shorter than at */
    assert_ptr_equal(hamd_strmap_put(m, past, &d), &b); /* keeps its key */
    assert_ptr_equal(hamd_strmap_get(m, past), &d);
    size_t cursor = 0, seen = 0;
    const char *k;
    void *v;
    while (hamd_strmap_next(m, &cursor, &k, &v)) {
        if (v == &a)
            assert_string_equal(k, at);
        else if (v == &d)
            assert_string_equal(k, past);
        else
            assert_string_equal(k, longest);
        seen++;
    }
    assert_int_equal(seen, 3);
    assert_ptr_equal(hamd_strmap_remove(m, past), &d);
    assert_null(hamd_strmap_get(m, past));
    assert_ptr_equal(hamd_strmap_get(m, at), &a);
    assert_ptr_equal(hamd_strmap_get(m, longest), &c);
    hamd_strmap_destroy(&m); /* frees the long key still held */
}

/* Keys with the same 32-bit hash (FNV-1a pairs; a common suffix keeps
 * them equal, which gives long ones): told apart by the key itself, in
 * the slot or apart, and removing one leaves the other. */
static void test_full_hash_collisions(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"costarring", "liquid"},
        {"declinate", "macallums"},
        {"costarring.with-a-long-suffix", "liquid.with-a-long-suffix"},
        {"altarages.and-more-than-nineteen", "zinkes.and-more-than-nineteen"},
    };
    struct hamd_strmap *m = hamd_strmap_new(0);
    int n = (int)(sizeof pairs / sizeof pairs[0]);
    for (int i = 0; i < n; i++) {
        assert_null(hamd_strmap_put(m, pairs[i][0], &values[2 * i]));
        assert_null(hamd_strmap_put(m, pairs[i][1], &values[2 * i + 1]));
    }
    assert_int_equal(hamd_strmap_size(m), 2 * (size_t)n);
    for (int i = 0; i < n; i++) {
        assert_ptr_equal(hamd_strmap_get(m, pairs[i][0]), &values[2 * i]);
        assert_ptr_equal(hamd_strmap_get(m, pairs[i][1]), &values[2 * i + 1]);
    }
    for (int i = 0; i < n; i++) {
        assert_ptr_equal(hamd_strmap_remove(m, pairs[i][0]), &values[2 * i]);
        assert_null(hamd_strmap_get(m, pairs[i][0]));
        assert_ptr_equal(hamd_strmap_get(m, pairs[i][1]), &values[2 * i + 1]);
    }
    hamd_strmap_destroy(&m);
}

/* Emptying a map of long keys through the key _next returns: that key is
 * the map's own copy, freed by the removal (ASan checks nothing reads it
 * afterwards). */
static void test_remove_long_keys_from_iteration(void **state)
{
    (void)state;
    struct hamd_strmap *m = hamd_strmap_new(0);
    char key[HAMD_STRMAP_KEY_MAX + 1];
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof key, "long-enough-to-be-apart-%04d.EXCH", i);
        assert_null(hamd_strmap_put(m, key, &values[i]));
    }
    size_t cursor = 0;
    const char *k;
    void *v;
    while (hamd_strmap_next(m, &cursor, &k, &v)) {
        assert_ptr_equal(hamd_strmap_remove(m, k), v);
        cursor = 0;
    }
    assert_int_equal(hamd_strmap_size(m), 0);
    hamd_strmap_destroy(&m);
}

/* The random model again with keys of every length, short and long mixed
 * in one table: growth, backward shifts and replacement move long keys'
 * pointers with their slots, and collisions compare both kinds. */
static void test_random_ops_mixed_lengths(void **state)
{
    (void)state;
    random_ops_check(800, 88172645u, key_of_len);
}

static void test_iterate_empty(void **state)
{
    (void)state;
    struct hamd_strmap *m = hamd_strmap_new(0);
    size_t cursor = 0;
    const char *k;
    void *v;
    assert_false(hamd_strmap_next(m, &cursor, &k, &v));
    hamd_strmap_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_destroy_nulls_pointer),
        cmocka_unit_test(test_put_get_replace_remove),
        cmocka_unit_test(test_bad_keys_refused),
        cmocka_unit_test(test_grow_with_many_keys),
        cmocka_unit_test(test_remove_half_keeps_rest),
        cmocka_unit_test(test_iterate_visits_each_once),
        cmocka_unit_test(test_random_ops_match_model),
        cmocka_unit_test(test_iterate_empty),
        cmocka_unit_test(test_keys_at_inline_limit),
        cmocka_unit_test(test_full_hash_collisions),
        cmocka_unit_test(test_remove_long_keys_from_iteration),
        cmocka_unit_test(test_random_ops_mixed_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
