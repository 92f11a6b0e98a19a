/* Fixed-size items carved from large blocks: see slab.h. Fresh items are
 * taken from the newest block in order (a bump pointer), freed ones are
 * threaded into a list through their first bytes and reused first. */
#include "common/slab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SLAB_ALIGN 16 /* items aligned as malloc's are (max_align_t) */

/* A block's header; its items follow. */
struct slab_block {
    struct slab_block *next;           /* older block, NULL for the first */
    _Alignas(SLAB_ALIGN) char items[]; /* per_block items */
};

/* A freed item, threaded into the free list. */
struct slab_free {
    struct slab_free *next;            /* next free item, NULL = last */
};

struct hamd_slab {
    size_t item_bytes;                 /* rounded up to SLAB_ALIGN */
    size_t per_block;                  /* items in a block */
    struct slab_block *blocks;         /* newest first */
    size_t fresh;                      /* items of blocks' newest block
                                          never handed out yet: the last
                                          ones */
    struct slab_free *free;            /* freed items, last freed first */
    size_t used;                       /* items handed out, not freed */
    size_t n_blocks;                   /* blocks allocated */
};

struct hamd_slab *hamd_slab_new(size_t item_bytes)
{
    size_t room = HAMD_SLAB_BLOCK_BYTES - sizeof(struct slab_block);
    if (item_bytes == 0 || item_bytes > room)
        return NULL;
    /* A multiple of SLAB_ALIGN holds a free-list link (8 bytes). */
    size_t rounded = (item_bytes + SLAB_ALIGN - 1) & ~(size_t)(SLAB_ALIGN - 1);
    struct hamd_slab *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->item_bytes = rounded;
    s->per_block = room / rounded;
    return s;
}

void hamd_slab_destroy(struct hamd_slab **self)
{
    struct hamd_slab *s = *self;
    if (!s)
        return;
    *self = NULL;
    while (s->blocks) {
        struct slab_block *b = s->blocks;
        s->blocks = b->next;
        free(b);
    }
    free(s);
}

void *hamd_slab_alloc(struct hamd_slab *self)
{
    void *item;
    if (self->free) {
        item = self->free;
        self->free = self->free->next;
    } else {
        if (self->fresh == 0) {
            struct slab_block *b = malloc(HAMD_SLAB_BLOCK_BYTES);
            if (!b)
                return NULL;
            b->next = self->blocks;
            self->blocks = b;
            self->fresh = self->per_block;
            self->n_blocks++;
        }
        item = self->blocks->items +
               (self->per_block - self->fresh) * self->item_bytes;
        self->fresh--;
    }
    memset(item, 0, self->item_bytes);
    self->used++;
    return item;
}

void hamd_slab_free(struct hamd_slab *self, void *item)
{
    if (!item)
        return;
    struct slab_free *f = item;
    f->next = self->free;
    self->free = f;
    self->used--;
}

size_t hamd_slab_used(const struct hamd_slab *self)
{
    return self->used;
}

size_t hamd_slab_blocks(const struct hamd_slab *self)
{
    return self->n_blocks;
}

size_t hamd_slab_per_block(const struct hamd_slab *self)
{
    return self->per_block;
}

/* ------------------------------------------------------------------------
 * Slabs by size class
 * ------------------------------------------------------------------------ */

#define SLABS_CLASSES (HAMD_SLABS_MAX_BYTES / HAMD_SLABS_STEP_BYTES)

struct hamd_slabs {
    struct hamd_slab *by_class[SLABS_CLASSES]; /* class k: items of
                                                  (k + 1) * STEP bytes;
                                                  NULL until first used */
};

struct hamd_slabs *hamd_slabs_new(void)
{
    return calloc(1, sizeof(struct hamd_slabs));
}

void hamd_slabs_destroy(struct hamd_slabs **self)
{
    struct hamd_slabs *s = *self;
    if (!s)
        return;
    *self = NULL;
    for (size_t k = 0; k < SLABS_CLASSES; k++)
        hamd_slab_destroy(&s->by_class[k]);
    free(s);
}

void *hamd_slabs_alloc(struct hamd_slabs *self, size_t bytes, size_t *cap)
{
    if (bytes > HAMD_SLABS_MAX_BYTES) {
        *cap = bytes;
        return malloc(bytes);
    }
    size_t k = bytes ? (bytes - 1) / HAMD_SLABS_STEP_BYTES : 0;
    if (!self->by_class[k] &&
        !(self->by_class[k] = hamd_slab_new((k + 1) * HAMD_SLABS_STEP_BYTES)))
        return NULL;
    *cap = (k + 1) * HAMD_SLABS_STEP_BYTES;
    return hamd_slab_alloc(self->by_class[k]);
}

void hamd_slabs_free(struct hamd_slabs *self, void *item, size_t cap)
{
    if (!item)
        return;
    if (cap > HAMD_SLABS_MAX_BYTES) {
        free(item);
        return;
    }
    hamd_slab_free(self->by_class[(cap - 1) / HAMD_SLABS_STEP_BYTES], item);
}
