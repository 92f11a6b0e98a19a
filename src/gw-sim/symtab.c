/* Subscription table: see symtab.h. */
#include "gw-sim/symtab.h"

#include <stdlib.h>
#include <string.h>

#define SYMTAB_INITIAL_CAP 64 /* slots of a new table; doubles when full */

struct gwsim_symtab *gwsim_symtab_new(void)
{
    struct gwsim_symtab *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->subs = calloc(SYMTAB_INITIAL_CAP, sizeof *self->subs);
    self->hashes = calloc(SYMTAB_INITIAL_CAP, sizeof *self->hashes);
    self->cap = SYMTAB_INITIAL_CAP;
    if (!self->subs || !self->hashes)
        gwsim_symtab_destroy(&self);
    return self;
}

void gwsim_symtab_destroy(struct gwsim_symtab **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->subs);
    free((*self_p)->hashes);
    free(*self_p);
    *self_p = NULL;
}

/* Index of vt_symbol, or -1. */
static long find_index(const struct gwsim_symtab *self, const char *vt_symbol)
{
    uint64_t h = simfeed_hash_str(vt_symbol);
    for (size_t i = 0; i < self->count; i++)
        if (self->hashes[i] == h &&
            strcmp(self->subs[i].feed.tmpl.vt_symbol, vt_symbol) == 0)
            return (long)i;
    return -1;
}

struct gwsim_sub *gwsim_symtab_find(struct gwsim_symtab *self,
                                    const char *vt_symbol)
{
    long i = find_index(self, vt_symbol);
    return i < 0 ? NULL : &self->subs[i];
}

/* Doubles the capacity. Returns 0 or -1 when out of memory. */
static int grow(struct gwsim_symtab *self)
{
    size_t cap = self->cap * 2;
    struct gwsim_sub *subs = realloc(self->subs, cap * sizeof *subs);
    if (!subs)
        return -1;
    self->subs = subs;
    uint64_t *hashes = realloc(self->hashes, cap * sizeof *hashes);
    if (!hashes)
        return -1;
    self->hashes = hashes;
    self->cap = cap;
    return 0;
}

struct gwsim_sub *gwsim_symtab_add(struct gwsim_symtab *self,
                                   const struct simfeed_symbol *feed,
                                   int64_t next_n)
{
    if (self->count == self->cap && grow(self) != 0)
        return NULL;
    struct gwsim_sub *sub = &self->subs[self->count];
    sub->feed = *feed;
    sub->next_n = next_n;
    self->hashes[self->count] = simfeed_hash_str(feed->tmpl.vt_symbol);
    self->count++;
    return sub;
}

int gwsim_symtab_remove(struct gwsim_symtab *self, const char *vt_symbol)
{
    long i = find_index(self, vt_symbol);
    if (i < 0)
        return -1;
    self->count--;
    self->subs[i] = self->subs[self->count];
    self->hashes[i] = self->hashes[self->count];
    return 0;
}
