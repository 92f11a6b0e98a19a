/* lease_cell.h - the lease handed from the control thread to the data
 * thread: a term and its deadline, read as one pair.
 *
 * Why not two atomics: the control thread writes the term, then the
 * deadline. A reader between the two stores (or one that reads the term
 * before and the deadline after a write) pairs the old term with the new
 * term's deadline: a lapsed PUB of term 2 looks renewed by term 5's
 * lease, the data thread sends the ticks it held, numbers them in term
 * 5 and sends none of them on a PUB it then closes (the rings emptied,
 * the ticks lost with nothing for clients to see).
 *
 * A sequence lock with one writer: the writer makes the sequence odd,
 * stores both values, and makes it even again; a reader takes a pair
 * only when the sequence was even and unchanged around its two loads,
 * and otherwise reads again. The writer never waits; a reader waits at
 * most while the writer stores two words. The memory orders are those
 * of H.-J. Boehm, "Can seqlocks get along with programming language
 * memory models?" (MSPC 2012): the values are atomics loaded relaxed,
 * an acquire fence before the second read of the sequence, a release
 * fence after the writer's first store to it. */
#ifndef HAMD_COMMON_LEASE_CELL_H
#define HAMD_COMMON_LEASE_CELL_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* One lease, written by one thread and read by others. Zero-initialised:
 * term 0, revoked (until 0). */
struct hamd_lease_cell {
    _Atomic uint64_t seq;      /* odd while the writer is between stores */
    _Atomic uint64_t term;     /* term of the leadership the lease is of */
    _Atomic int64_t until_ns;  /* deadline (monotonic ns), 0 = revoked */
};

/* Publishes (term, until_ns). One writer only: the cell's control thread. */
static inline void hamd_lease_cell_store(struct hamd_lease_cell *c,
                                         uint64_t term, int64_t until_ns)
{
    uint64_t s = atomic_load_explicit(&c->seq, memory_order_relaxed);
    atomic_store_explicit(&c->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&c->term, term, memory_order_relaxed);
    atomic_store_explicit(&c->until_ns, until_ns, memory_order_relaxed);
    atomic_store_explicit(&c->seq, s + 2, memory_order_release);
}

/* One attempt at reading the pair: true and *term, *until_ns set when no
 * write overlapped the reads; false (outputs unspecified) when one did. */
static inline bool hamd_lease_cell_try_load(struct hamd_lease_cell *c,
                                            uint64_t *term, int64_t *until_ns)
{
    uint64_t before = atomic_load_explicit(&c->seq, memory_order_acquire);
    if (before & 1)
        return false;
    *term = atomic_load_explicit(&c->term, memory_order_relaxed);
    *until_ns = atomic_load_explicit(&c->until_ns, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&c->seq, memory_order_relaxed) == before;
}

/* Reads the pair as the writer last published it whole. */
static inline void hamd_lease_cell_load(struct hamd_lease_cell *c,
                                        uint64_t *term, int64_t *until_ns)
{
    while (!hamd_lease_cell_try_load(c, term, until_ns))
        sched_yield(); /* the writer is between two stores */
}

#endif
