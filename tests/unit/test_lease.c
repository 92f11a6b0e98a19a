/* The pure leader lease with fake time: granted only by a committed
 * barrier, valid until t0 + election - margin, one barrier at a time,
 * void at once on step-down or a new term, never moving backwards, and
 * never granted by a barrier of an older term. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "raft/lease.h"

#define ELECTION_MS 300
#define MARGIN_MS 100
#define MS 1000000LL                               /* ns per ms */
#define SPAN_NS ((ELECTION_MS - MARGIN_MS) * MS)   /* lease length */
#define T0 (1000 * MS)                             /* an arbitrary start */

static void test_no_lease_before_first_barrier_commits(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, ELECTION_MS, MARGIN_MS);
    assert_false(hamd_lease_valid(&l, T0));
    assert_true(hamd_lease_barrier_begin(&l, 5, T0));
    assert_true(hamd_lease_in_flight(&l));
    assert_false(hamd_lease_valid(&l, T0 + 1));
    assert_int_equal(hamd_lease_until_ns(&l), 0);
    assert_int_equal(hamd_lease_term(&l), 0);
    assert_true(hamd_lease_barrier_done(&l, 5, T0, 0));
    assert_false(hamd_lease_in_flight(&l));
    assert_true(hamd_lease_valid(&l, T0 + 10 * MS));
    assert_int_equal(hamd_lease_term(&l), 5);
}

/* Counted from when the barrier STARTED, not when it committed. */
static void test_lease_ends_at_t0_plus_span(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, ELECTION_MS, MARGIN_MS);
    hamd_lease_barrier_begin(&l, 1, T0);
    hamd_lease_barrier_done(&l, 1, T0, 0); /* commit reported later */
    assert_int_equal(hamd_lease_until_ns(&l), T0 + SPAN_NS);
    assert_true(hamd_lease_valid(&l, T0 + SPAN_NS - 1));
    assert_false(hamd_lease_valid(&l, T0 + SPAN_NS));
    assert_false(hamd_lease_valid(&l, T0 + ELECTION_MS * MS));
}

static void test_one_barrier_in_flight(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, ELECTION_MS, MARGIN_MS);
    assert_true(hamd_lease_barrier_begin(&l, 1, T0));
    assert_false(hamd_lease_barrier_begin(&l, 1, T0 + 50 * MS));
    assert_true(hamd_lease_barrier_done(&l, 1, T0, 0));
    assert_true(hamd_lease_barrier_begin(&l, 1, T0 + 50 * MS));
    assert_true(hamd_lease_barrier_done(&l, 1, T0 + 50 * MS, 0));
    assert_int_equal(hamd_lease_until_ns(&l), T0 + 50 * MS + SPAN_NS);
}

/* A barrier that commits with an older t0 never shortens the lease. */
static void test_lease_never_moves_backwards(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, ELECTION_MS, MARGIN_MS);
    hamd_lease_barrier_begin(&l, 1, T0 + 100 * MS);
    hamd_lease_barrier_done(&l, 1, T0 + 100 * MS, 0);
    hamd_lease_barrier_begin(&l, 1, T0);
    assert_false(hamd_lease_barrier_done(&l, 1, T0, 0));
    assert_int_equal(hamd_lease_until_ns(&l), T0 + 100 * MS + SPAN_NS);
}

static void test_step_down_voids_at_once(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, ELECTION_MS, MARGIN_MS);
    hamd_lease_barrier_begin(&l, 3, T0);
    hamd_lease_barrier_done(&l, 3, T0, 0);
    hamd_lease_barrier_begin(&l, 3, T0 + 50 * MS);
    hamd_lease_step_down(&l);
    assert_false(hamd_lease_valid(&l, T0 + 51 * MS));
    assert_int_equal(hamd_lease_until_ns(&l), 0);
    assert_false(hamd_lease_in_flight(&l));
    /* the barrier started before the step-down commits: ignored */
    assert_false(hamd_lease_barrier_done(&l, 3, T0 + 50 * MS, 0));
    assert_false(hamd_lease_valid(&l, T0 + 60 * MS));
}

static void test_failed_barrier_voids(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, ELECTION_MS, MARGIN_MS);
    hamd_lease_barrier_begin(&l, 2, T0);
    hamd_lease_barrier_done(&l, 2, T0, 0);
    hamd_lease_barrier_begin(&l, 2, T0 + 50 * MS);
    assert_false(hamd_lease_barrier_done(&l, 2, T0 + 50 * MS, 8));
    assert_false(hamd_lease_valid(&l, T0 + 60 * MS));
    assert_false(hamd_lease_in_flight(&l));
}

/* Leadership in a new term starts from nothing, and a barrier from the
 * old term cannot grant it. */
static void test_new_term_voids_and_old_barrier_is_stale(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, ELECTION_MS, MARGIN_MS);
    hamd_lease_barrier_begin(&l, 4, T0);
    hamd_lease_barrier_done(&l, 4, T0, 0);
    hamd_lease_barrier_begin(&l, 4, T0 + 50 * MS); /* still pending */
    assert_true(hamd_lease_barrier_begin(&l, 6, T0 + 60 * MS));
    assert_false(hamd_lease_valid(&l, T0 + 61 * MS));
    assert_false(hamd_lease_barrier_done(&l, 4, T0 + 50 * MS, 0));
    assert_false(hamd_lease_valid(&l, T0 + 62 * MS));
    assert_true(hamd_lease_barrier_done(&l, 6, T0 + 60 * MS, 0));
    assert_true(hamd_lease_valid(&l, T0 + 62 * MS));
    assert_int_equal(hamd_lease_term(&l), 6);
    /* asking for an older term is refused */
    assert_false(hamd_lease_barrier_begin(&l, 5, T0 + 70 * MS));
    assert_false(hamd_lease_barrier_begin(&l, 0, T0 + 70 * MS));
}

static void test_mismatched_report_is_ignored(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, ELECTION_MS, MARGIN_MS);
    hamd_lease_barrier_begin(&l, 1, T0);
    assert_false(hamd_lease_barrier_done(&l, 1, T0 + 1, 0)); /* other t0 */
    assert_false(hamd_lease_barrier_done(&l, 2, T0, 0));     /* other term */
    assert_true(hamd_lease_in_flight(&l));
    assert_false(hamd_lease_valid(&l, T0));
    assert_true(hamd_lease_barrier_done(&l, 1, T0, 0));
    assert_false(hamd_lease_barrier_done(&l, 1, T0, 0)); /* reported twice */
}

/* A margin that eats the whole election timeout never grants. */
static void test_margin_too_large_never_valid(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, 100, 100);
    hamd_lease_barrier_begin(&l, 1, T0);
    assert_false(hamd_lease_barrier_done(&l, 1, T0, 0));
    assert_false(hamd_lease_valid(&l, T0));
    hamd_lease_init(&l, 100, 250);
    hamd_lease_barrier_begin(&l, 1, T0);
    hamd_lease_barrier_done(&l, 1, T0, 0);
    assert_false(hamd_lease_valid(&l, T0));
}

/* After a step-down (e.g. a failed transfer) the same term may earn a
 * new lease with a new barrier. */
static void test_same_term_regains_after_step_down(void **state)
{
    (void)state;
    struct hamd_lease l;
    hamd_lease_init(&l, ELECTION_MS, MARGIN_MS);
    hamd_lease_barrier_begin(&l, 7, T0);
    hamd_lease_barrier_done(&l, 7, T0, 0);
    hamd_lease_step_down(&l);
    assert_true(hamd_lease_barrier_begin(&l, 7, T0 + 400 * MS));
    assert_true(hamd_lease_barrier_done(&l, 7, T0 + 400 * MS, 0));
    assert_true(hamd_lease_valid(&l, T0 + 401 * MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_lease_before_first_barrier_commits),
        cmocka_unit_test(test_lease_ends_at_t0_plus_span),
        cmocka_unit_test(test_one_barrier_in_flight),
        cmocka_unit_test(test_lease_never_moves_backwards),
        cmocka_unit_test(test_step_down_voids_at_once),
        cmocka_unit_test(test_failed_barrier_voids),
        cmocka_unit_test(test_new_term_voids_and_old_barrier_is_stale),
        cmocka_unit_test(test_mismatched_report_is_ignored),
        cmocka_unit_test(test_margin_too_large_never_valid),
        cmocka_unit_test(test_same_term_regains_after_step_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
