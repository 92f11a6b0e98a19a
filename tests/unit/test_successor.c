/* Successor choice for a graceful handover. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/successor.h"

static void test_most_healthy_gateways_wins(void **state)
{
    (void)state;
    const struct hamd_successor_candidate c[] = {
        {.id = 2, .reachable = true, .healthy = 1, .applied_index = 900},
        {.id = 3, .reachable = true, .healthy = 3, .applied_index = 100},
    };
    assert_int_equal(hamd_successor_pick(c, 2), 3);
}

static void test_ties_go_to_the_most_applied_then_lowest_id(void **state)
{
    (void)state;
    struct hamd_successor_candidate c[] = {
        {.id = 4, .reachable = true, .healthy = 2, .applied_index = 50},
        {.id = 3, .reachable = true, .healthy = 2, .applied_index = 51},
        {.id = 2, .reachable = true, .healthy = 2, .applied_index = 50},
    };
    assert_int_equal(hamd_successor_pick(c, 3), 3);
    c[1].applied_index = 50;
    assert_int_equal(hamd_successor_pick(c, 3), 2);
}

static void test_unreachable_and_witness_never_chosen(void **state)
{
    (void)state;
    const struct hamd_successor_candidate c[] = {
        {.id = 2, .reachable = false, .healthy = 9, .applied_index = 99},
        {.id = 3, .reachable = true, .witness = true, .healthy = 9},
    };
    assert_int_equal(hamd_successor_pick(c, 2), 0);
    assert_int_equal(hamd_successor_pick(c, 0), 0);
    const struct hamd_successor_candidate one[] = {
        {.id = 5, .reachable = true, .healthy = 0, .applied_index = 1},
    };
    assert_int_equal(hamd_successor_pick(one, 1), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_most_healthy_gateways_wins),
        cmocka_unit_test(test_ties_go_to_the_most_applied_then_lowest_id),
        cmocka_unit_test(test_unreachable_and_witness_never_chosen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
