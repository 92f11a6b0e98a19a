/* The simulator's subscriptions: one feed generator and delivery cursor
 * per subscribed contract. Pure data structure, no I/O.
 *
 * Slots are contiguous so the emit loop walks them in cache order; a
 * parallel array of name hashes keeps (un)subscribing thousands of
 * contracts cheap without a full hash table.
 */
#ifndef GWSIM_SYMTAB_H
#define GWSIM_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

#include "gw-sim/feed.h"

/* One subscribed contract. */
struct gwsim_sub {
    struct simfeed_symbol feed; /* its tick generator */
    int64_t next_n;             /* next tick to deliver */
};

struct gwsim_symtab {
    struct gwsim_sub *subs; /* count used slots of cap */
    uint64_t *hashes;       /* simfeed_hash_str of each slot's vt_symbol */
    size_t count;           /* subscribed contracts */
    size_t cap;             /* allocated slots */
};

/* Returns a new empty table, or NULL when out of memory. */
struct gwsim_symtab *gwsim_symtab_new(void);

/* Frees the table and sets *self_p to NULL. */
void gwsim_symtab_destroy(struct gwsim_symtab **self_p);

/* Returns the subscription of vt_symbol, or NULL. */
struct gwsim_sub *gwsim_symtab_find(struct gwsim_symtab *self,
                                    const char *vt_symbol);

/* Adds a subscription (the caller checked it is not there yet). Returns
 * it, or NULL when out of memory. */
struct gwsim_sub *gwsim_symtab_add(struct gwsim_symtab *self,
                                   const struct simfeed_symbol *feed,
                                   int64_t next_n);

/* Removes vt_symbol. Returns 0, or -1 if it was not subscribed. The last
 * slot moves into the hole, so indexes change. */
int gwsim_symtab_remove(struct gwsim_symtab *self, const char *vt_symbol);

#endif /* GWSIM_SYMTAB_H */
