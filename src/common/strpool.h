/* A pool of interned strings: one copy of each distinct string, for
 * fields that many records share. The control plane's 5,000 contract
 * records each named their assigned and routed source in two 42-byte
 * arrays, where a cluster has a few dozen source ids at most; each now
 * points at the pool's copy (docs/performance.md, "Memory, session 10").
 *
 * A pooled string lives as long as the pool: nothing is freed before
 * hamd_strpool_destroy, so the pool grows with the distinct strings ever
 * interned (for source ids: accounts ever assigned, times the nodes
 * relaying them). Not thread-safe: one owner.
 */
#ifndef HAMD_STRPOOL_H
#define HAMD_STRPOOL_H

#include <stddef.h>

struct hamd_strpool;

/* Creates an empty pool. Returns NULL when out of memory. */
struct hamd_strpool *hamd_strpool_new(void);

/* Frees the pool and every string it holds; nulls *self. */
void hamd_strpool_destroy(struct hamd_strpool **self);

/* Returns the pool's copy of s, the same pointer for equal strings, or
 * NULL when s is longer than HAMD_STRMAP_KEY_MAX (63) bytes or memory
 * ran out. The empty string is a static "" (never held). */
const char *hamd_strpool_intern(struct hamd_strpool *self, const char *s);

/* Returns the number of strings held. */
size_t hamd_strpool_size(const struct hamd_strpool *self);

#endif /* HAMD_STRPOOL_H */
