/* A slab of fixed-size items: many small records of one kind carved from
 * a few large blocks instead of one malloc each, for the data plane's
 * 5,000 contracts (docs/performance.md, "Memory, session 10"). A block
 * is HAMD_SLAB_BLOCK_BYTES, at glibc's mmap threshold (main.c), so it is
 * a mapping of its own: long-lived records no longer sit between the
 * short-lived messages of the data thread's arena, where each kept the
 * freed chunks around it from coalescing and going back to the system.
 *
 * A freed item goes on a free list and is the next one handed out; a
 * block is given back only by hamd_slab_destroy (subscriptions come and
 * go in small numbers; the peak stays reserved). A block's pages are
 * touched as its items are first handed out. Not thread-safe: one owner.
 */
#ifndef HAMD_SLAB_H
#define HAMD_SLAB_H

#include <stddef.h>

#define HAMD_SLAB_BLOCK_BYTES (128 * 1024) /* one block, header included */

struct hamd_slab;

/* Creates a slab of items of item_bytes (at most a block's room less its
 * header; rounded up to 16 for alignment). Returns NULL when out of
 * memory or item_bytes is 0 or too large. No block is allocated yet. */
struct hamd_slab *hamd_slab_new(size_t item_bytes);

/* Frees every block (items still in use included) and the slab; nulls
 * *self. */
void hamd_slab_destroy(struct hamd_slab **self);

/* Returns a zeroed item, or NULL when out of memory. */
void *hamd_slab_alloc(struct hamd_slab *self);

/* Gives item (from this slab's _alloc, or NULL: nothing) back. */
void hamd_slab_free(struct hamd_slab *self, void *item);

/* Returns the items in use. */
size_t hamd_slab_used(const struct hamd_slab *self);

/* Returns the blocks allocated. */
size_t hamd_slab_blocks(const struct hamd_slab *self);

/* Returns the items one block holds. */
size_t hamd_slab_per_block(const struct hamd_slab *self);

/* ------------------------------------------------------------------------
 * Slabs by size class
 * ------------------------------------------------------------------------ */

#define HAMD_SLABS_STEP_BYTES 32   /* size classes 32, 64, ... bytes: a
                                      rounded item wastes 16 bytes on
                                      average, what malloc's header and
                                      rounding cost */
#define HAMD_SLABS_MAX_BYTES 2048  /* larger items are malloc'd (a cached
                                      tick is ~350 bytes, the largest
                                      seen under 1 KB) */

/* Items of varying sizes (the data plane's cached ticks), each from the
 * slab of its size class, created on first use. */
struct hamd_slabs;

/* Creates an empty set. Returns NULL when out of memory. */
struct hamd_slabs *hamd_slabs_new(void);

/* Frees every slab (and nothing malloc'd through it: free those first
 * with hamd_slabs_free); nulls *self. */
void hamd_slabs_destroy(struct hamd_slabs **self);

/* Returns an item of at least bytes (> 0) and sets *cap to its size, the
 * size class's; NULL when out of memory. */
void *hamd_slabs_alloc(struct hamd_slabs *self, size_t bytes, size_t *cap);

/* Gives back item (NULL: nothing) of capacity cap, as _alloc set it. */
void hamd_slabs_free(struct hamd_slabs *self, void *item, size_t cap);

#endif /* HAMD_SLAB_H */
