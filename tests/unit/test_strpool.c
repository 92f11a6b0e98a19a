/* Interned strings (common/strpool.c): one copy per distinct string, the
 * same pointer every time, through the map's growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/strpool.h"

#define MANY_STRINGS 1000 /* several doublings of the pool's map */

static void test_equal_strings_share_one_copy(void **state)
{
    (void)state;
    struct hamd_strpool *p = hamd_strpool_new();
    assert_non_null(p);
    char a[] = "sim_a", b[] = "sim_a";
    const char *ia = hamd_strpool_intern(p, a);
    assert_non_null(ia);
    assert_string_equal(ia, "sim_a");
    assert_ptr_not_equal(ia, a); /* a copy, not the caller's buffer */
    assert_ptr_equal(hamd_strpool_intern(p, b), ia);
    a[0] = 'x'; /* the caller's buffer changes; the copy does not */
    assert_string_equal(ia, "sim_a");
    const char *ib = hamd_strpool_intern(p, "sim_a@node2");
    assert_ptr_not_equal(ib, ia);
    assert_string_equal(ib, "sim_a@node2");
    assert_int_equal(hamd_strpool_size(p), 2);
    hamd_strpool_destroy(&p);
    assert_null(p);
    hamd_strpool_destroy(&p); /* twice is harmless */
}

static void test_empty_and_too_long(void **state)
{
    (void)state;
    struct hamd_strpool *p = hamd_strpool_new();
    const char *e = hamd_strpool_intern(p, "");
    assert_non_null(e);
    assert_string_equal(e, "");
    assert_int_equal(hamd_strpool_size(p), 0); /* not held */
    char long_id[80];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_null(hamd_strpool_intern(p, long_id));
    long_id[63] = '\0'; /* 63 bytes: the longest a pool holds */
    assert_non_null(hamd_strpool_intern(p, long_id));
    assert_int_equal(hamd_strpool_size(p), 1);
    hamd_strpool_destroy(&p);
}

/* Pointers handed out stay valid and unique while the pool grows. */
static void test_pointers_survive_growth(void **state)
{
    (void)state;
    struct hamd_strpool *p = hamd_strpool_new();
    static const char *first[MANY_STRINGS];
    char buf[32];
    for (int i = 0; i < MANY_STRINGS; i++) {
        snprintf(buf, sizeof buf, "acct%04d@node%d", i, i % 9);
        first[i] = hamd_strpool_intern(p, buf);
        assert_non_null(first[i]);
    }
    assert_int_equal(hamd_strpool_size(p), MANY_STRINGS);
    for (int i = 0; i < MANY_STRINGS; i++) {
        snprintf(buf, sizeof buf, "acct%04d@node%d", i, i % 9);
        assert_ptr_equal(hamd_strpool_intern(p, buf), first[i]);
        assert_string_equal(first[i], buf);
    }
    assert_int_equal(hamd_strpool_size(p), MANY_STRINGS);
    hamd_strpool_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_strings_share_one_copy),
        cmocka_unit_test(test_empty_and_too_long),
        cmocka_unit_test(test_pointers_survive_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
