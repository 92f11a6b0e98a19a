/* The lease cell (common/lease_cell.h): a reader never pairs one write's
 * term with another write's deadline. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/lease_cell.h"

#define STRESS_WRITES 300000 /* writes the writer thread makes */
#define DEADLINE_OF(term) ((int64_t)(term) * 1000 + 7) /* each term's own */

static void test_store_then_load(void **state)
{
    (void)state;
    struct hamd_lease_cell c = {0};
    uint64_t term = 99;
    int64_t until = 99;
    hamd_lease_cell_load(&c, &term, &until);
    assert_int_equal(term, 0);
    assert_int_equal(until, 0); /* zeroed: revoked */
    hamd_lease_cell_store(&c, 5, 12345);
    hamd_lease_cell_load(&c, &term, &until);
    assert_int_equal(term, 5);
    assert_int_equal(until, 12345);
    hamd_lease_cell_store(&c, 5, 0); /* revoked in the same term */
    hamd_lease_cell_load(&c, &term, &until);
    assert_int_equal(term, 5);
    assert_int_equal(until, 0);
}

/* A writer between its stores: the new term is in, the deadline still
 * the old one. The reader must not take that pair. */
static void test_half_written_is_refused(void **state)
{
    (void)state;
    struct hamd_lease_cell c = {0};
    hamd_lease_cell_store(&c, 2, DEADLINE_OF(2));
    uint64_t s = atomic_load(&c.seq);
    atomic_store(&c.seq, s + 1);        /* the writer began ... */
    atomic_store(&c.term, 5);           /* ... stored the term only */
    uint64_t term;
    int64_t until;
    assert_false(hamd_lease_cell_try_load(&c, &term, &until));
    atomic_store(&c.until_ns, DEADLINE_OF(5));
    atomic_store(&c.seq, s + 2);        /* ... and finished */
    assert_true(hamd_lease_cell_try_load(&c, &term, &until));
    assert_int_equal(term, 5);
    assert_int_equal(until, DEADLINE_OF(5));
}

static void *writer_main(void *arg)
{
    struct hamd_lease_cell *c = arg;
    for (uint64_t term = 1; term <= STRESS_WRITES; term++)
        hamd_lease_cell_store(c, term, DEADLINE_OF(term));
    return NULL;
}

/* Two threads: every pair read is one the writer wrote, and the terms
 * read never go back. */
static void test_concurrent_reads_see_whole_pairs(void **state)
{
    (void)state;
    struct hamd_lease_cell c = {0};
    hamd_lease_cell_store(&c, 0, DEADLINE_OF(0));
    pthread_t writer;
    assert_int_equal(pthread_create(&writer, NULL, writer_main, &c), 0);
    uint64_t term = 0, last = 0, torn = 0, backwards = 0;
    int64_t until = 0;
    while (term < STRESS_WRITES) {
        hamd_lease_cell_load(&c, &term, &until);
        torn += until != DEADLINE_OF(term);
        backwards += term < last;
        last = term;
    }
    pthread_join(writer, NULL);
    assert_int_equal(torn, 0);
    assert_int_equal(backwards, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_then_load),
        cmocka_unit_test(test_half_written_is_refused),
        cmocka_unit_test(test_concurrent_reads_see_whole_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
