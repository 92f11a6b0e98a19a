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

#endif /* HAMD_SLAB_H */
