/* String -> pointer map: put/get/replace/remove, growth and iteration. */
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

/* Random puts, removes and gets against a plain array as the model: any
 * probe-chain bug in replace, grow or backward-shift shows up as a
 * mismatch. A small key space keeps chains long and collisions frequent. */
static void test_random_ops_match_model(void **state)
{
    (void)state;
    enum { SPACE = 600, OPS = 200000 };
    void *model[SPACE] = {0};
    size_t model_size = 0;
    struct hamd_strmap *m = hamd_strmap_new(0);
    uint32_t x = 2463534242u;
    char key[32];
    for (int op = 0; op < OPS; op++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        int i = (int)(x % SPACE);
        key_of(i, key, sizeof key);
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
    for (int i = 0; i < SPACE; i++) {
        key_of(i, key, sizeof key);
        assert_ptr_equal(hamd_strmap_get(m, key), model[i]);
    }
    hamd_strmap_destroy(&m);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
