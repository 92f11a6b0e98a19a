/* Compact tick form: a tick kept compact encodes to the very bytes of the
 * original, for typical, empty and longest strings and extra maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/tick_compact.h"
#include "unit_tick.h"

/* compact -> expand -> encode gives the bytes of encode(t), and the
 * compact form is as long as hamd_tick_compact_size says. */
static void assert_same_encoding(const struct hamd_tick *t)
{
    uint8_t want[HAMD_TICK_WIRE_MAX], got[HAMD_TICK_WIRE_MAX];
    uint8_t compact[sizeof(struct hamd_tick) + 16];
    size_t n = hamd_tick_compact_size(t);
    assert_true(n <= sizeof compact - 16);
    memset(compact, 0xAA, sizeof compact);
    hamd_tick_compact(t, compact);
    for (size_t i = n; i < sizeof compact; i++)
        assert_int_equal(compact[i], 0xAA); /* wrote exactly n bytes */
    struct hamd_tick back;
    memset(&back, 0x55, sizeof back); /* expand must not rely on zeroes */
    hamd_tick_expand(compact, &back);
    for (int hub = 0; hub < 2; hub++) {
        size_t wn = hamd_tick_encode(t, hub, want, sizeof want);
        assert_true(wn > 0);
        assert_int_equal(hamd_tick_encode(&back, hub, got, sizeof got), wn);
        assert_memory_equal(got, want, wn);
    }
    assert_string_equal(back.vt_symbol, t->vt_symbol);
    assert_int_equal(back.has_hub, t->has_hub);
}

static void test_typical_tick(void **state)
{
    (void)state;
    struct hamd_tick t;
    unit_tick_fill(&t);
    assert_same_encoding(&t);
    /* the point of it: well under half of the struct */
    assert_true(hamd_tick_compact_size(&t) < sizeof t / 2);
}

static void test_empty_strings_and_no_extra(void **state)
{
    (void)state;
    struct hamd_tick t;
    unit_tick_fill(&t);
    t.name[0] = '\0';
    t.gateway_name[0] = '\0';
    t.extra_len = 0;
    assert_same_encoding(&t);
}

static void test_longest_strings_and_extra(void **state)
{
    (void)state;
    struct hamd_tick t;
    unit_tick_fill_largest(&t);
    assert_true(t.extra_len > 200);
    assert_same_encoding(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typical_tick),
        cmocka_unit_test(test_empty_strings_and_no_extra),
        cmocka_unit_test(test_longest_strings_and_extra),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
