/* A hash map from short strings (vt_symbols, account ids) to pointers,
 * for the data plane's per-contract lookups: open addressing with linear
 * probing, one FNV-1a hash per call, nothing allocated by _get. It grows
 * when 70% full. A slot is 32 bytes: keys of up to HAMD_STRMAP_INLINE_MAX
 * bytes (every vt_symbol of the Chinese futures exchanges, "rb2601.SHFE",
 * and most options, "m2601-C-3000.DCE") are held in it, longer ones in
 * one allocation of their own. With 5,000 contracts a map is 256 KB
 * (8,192 slots) where 80-byte slots with 64-byte keys took 640 KB.
 *
 * The map does not own the values. A value is never NULL: NULL is what
 * _get answers for an absent key, and _put of NULL removes the key. Not
 * thread-safe: one owner.
 */
#ifndef HAMD_STRMAP_H
#define HAMD_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

#define HAMD_STRMAP_KEY_MAX 63    /* longest key, in bytes (NUL excluded) */
#define HAMD_STRMAP_INLINE_MAX 19 /* longest key held in its slot; longer
                                     ones are allocated apart */

struct hamd_strmap;

/* Creates an empty map sized for initial_cap entries without growing.
 * Returns NULL when out of memory. */
struct hamd_strmap *hamd_strmap_new(size_t initial_cap);

/* Frees the map (not the values) and sets *self_p to NULL. */
void hamd_strmap_destroy(struct hamd_strmap **self_p);

/* True when key can be stored: 1..HAMD_STRMAP_KEY_MAX bytes. */
bool hamd_strmap_key_ok(const char *key);

/* Returns the value of key, or NULL when absent. */
void *hamd_strmap_get(const struct hamd_strmap *self, const char *key);

/* Inserts key or replaces its value. Returns the previous value, or NULL
 * when the key is new. value NULL removes the key (see _remove). A key that
 * fails hamd_strmap_key_ok, or no memory (to grow a full map, to copy a
 * long key), leaves the map unchanged and returns NULL: check the key
 * first when it is untrusted. */
void *hamd_strmap_put(struct hamd_strmap *self, const char *key, void *value);

/* Removes key. Returns its value, or NULL when it was absent. key may
 * point into the map itself (the key _next returned). */
void *hamd_strmap_remove(struct hamd_strmap *self, const char *key);

/* Returns the number of keys. */
size_t hamd_strmap_size(const struct hamd_strmap *self);

/* Iterates: start with *cursor = 0; each call sets *key and *value to the
 * next entry and returns true, or returns false at the end. The order is
 * unspecified. The map must not change during an iteration: after a
 * _put of a new key or a _remove, start again from *cursor = 0 (removing
 * shifts later entries back, so a resumed walk could skip one). */
bool hamd_strmap_next(const struct hamd_strmap *self, size_t *cursor,
                      const char **key, void **value);

#endif /* HAMD_STRMAP_H */
