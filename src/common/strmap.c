/* String -> pointer hash map: see strmap.h. Linear probing keeps a probe
 * sequence in consecutive cache lines (two slots per line); deletion
 * shifts later entries back instead of leaving tombstones, so lookups
 * never slow down with churn. */
#include "common/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STRMAP_MIN_SLOTS 8       /* smallest table */
#define STRMAP_LOAD_NUM 7        /* grow above 7/10 full */
#define STRMAP_LOAD_DEN 10

#define STRMAP_INLINE_BYTES (HAMD_STRMAP_INLINE_MAX + 1) /* slot's key room */
#define STRMAP_PTR_AT 4 /* offset in key of a long key's pointer: 8-byte
                           aligned, since key starts at byte 12 */

/* One slot of the table (32 bytes); empty when value is NULL. A key of up
 * to HAMD_STRMAP_INLINE_MAX bytes is held in key; a longer one is a heap
 * copy whose pointer sits at key + STRMAP_PTR_AT, behind key[0] = '\0'
 * (no key is empty, so that marks it). */
struct strmap_slot {
    void *value;                          /* NULL = empty slot */
    uint32_t hash;                        /* FNV-1a of key */
    char key[STRMAP_INLINE_BYTES];        /* NUL-terminated, or "" and a
                                             pointer to a long key */
};

_Static_assert(sizeof(struct strmap_slot) == 32, "a slot is 32 bytes");
_Static_assert(STRMAP_PTR_AT + sizeof(char *) <= STRMAP_INLINE_BYTES,
               "a long key's pointer fits in the slot");

struct hamd_strmap {
    struct strmap_slot *slots; /* power-of-two table */
    size_t mask;               /* slot count - 1 */
    size_t size;               /* occupied slots */
};

/* ------------------------------------------------------------------------
 * Hashing and sizing
 * ------------------------------------------------------------------------ */

/* FNV-1a over key, also measuring it into *len. Returns false when the
 * key is empty or longer than HAMD_STRMAP_KEY_MAX (then it stops reading
 * early). */
static bool strmap_hash(const char *key, uint32_t *hash, size_t *len)
{
    uint32_t h = 2166136261u;
    size_t n = 0;
    for (; key[n] != '\0'; n++) {
        if (n == HAMD_STRMAP_KEY_MAX)
            return false;
        h = (h ^ (uint8_t)key[n]) * 16777619u;
    }
    *hash = h;
    *len = n;
    return n > 0;
}

/* The key a slot holds: in the slot, or its heap copy. */
static const char *slot_key(const struct strmap_slot *s)
{
    if (s->key[0] != '\0')
        return s->key;
    const char *p;
    memcpy(&p, s->key + STRMAP_PTR_AT, sizeof p);
    return p;
}

/* Frees the heap copy of a slot's long key, if it has one. */
static void slot_key_free(struct strmap_slot *s)
{
    if (s->key[0] == '\0')
        free((char *)slot_key(s));
}

/* Stores key (len bytes) in a slot: in it, or as a heap copy. Returns
 * false when out of memory (the slot is unchanged). */
static bool slot_key_set(struct strmap_slot *s, const char *key, size_t len)
{
    if (len <= HAMD_STRMAP_INLINE_MAX) {
        memcpy(s->key, key, len + 1);
        return true;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return false;
    memcpy(copy, key, len + 1);
    s->key[0] = '\0';
    memcpy(s->key + STRMAP_PTR_AT, &copy, sizeof copy);
    return true;
}

/* Slot count that holds want entries within the load limit (capped so
 * that an absurd request fails in calloc instead of overflowing). */
static size_t strmap_slots_for(size_t want)
{
    size_t slots = STRMAP_MIN_SLOTS;
    size_t limit = SIZE_MAX / STRMAP_LOAD_DEN / sizeof(struct strmap_slot);
    while (slots * STRMAP_LOAD_NUM < want * STRMAP_LOAD_DEN && slots < limit)
        slots *= 2;
    return slots;
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

struct hamd_strmap *hamd_strmap_new(size_t initial_cap)
{
    struct hamd_strmap *self = calloc(1, sizeof *self);
    if (self == NULL)
        return NULL;
    size_t slots = strmap_slots_for(initial_cap);
    self->slots = calloc(slots, sizeof *self->slots);
    if (self->slots == NULL) {
        free(self);
        return NULL;
    }
    self->mask = slots - 1;
    return self;
}

void hamd_strmap_destroy(struct hamd_strmap **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    struct hamd_strmap *self = *self_p;
    for (size_t i = 0; i <= self->mask; i++)
        if (self->slots[i].value != NULL)
            slot_key_free(&self->slots[i]);
    free((*self_p)->slots);
    free(*self_p);
    *self_p = NULL;
}

bool hamd_strmap_key_ok(const char *key)
{
    uint32_t h;
    size_t len;
    return key != NULL && strmap_hash(key, &h, &len);
}

/* ------------------------------------------------------------------------
 * Lookup, insertion, removal
 * ------------------------------------------------------------------------ */

/* Returns the slot holding key, or the empty slot where it would go. */
static struct strmap_slot *strmap_find(const struct hamd_strmap *self,
                                       const char *key, uint32_t hash)
{
    size_t i = hash & self->mask;
    while (self->slots[i].value != NULL) {
        struct strmap_slot *s = &self->slots[i];
        if (s->hash == hash && strcmp(slot_key(s), key) == 0)
            return s;
        i = (i + 1) & self->mask;
    }
    return &self->slots[i];
}

void *hamd_strmap_get(const struct hamd_strmap *self, const char *key)
{
    uint32_t hash;
    size_t len;
    if (!strmap_hash(key, &hash, &len))
        return NULL;
    return strmap_find(self, key, hash)->value;
}

/* Doubles the table, reusing the stored hashes. Returns false when out of
 * memory (the map is unchanged). */
static bool strmap_grow(struct hamd_strmap *self)
{
    size_t slots = (self->mask + 1) * 2;
    if (slots > SIZE_MAX / sizeof(struct strmap_slot))
        return false;
    struct strmap_slot *fresh = calloc(slots, sizeof *fresh);
    if (fresh == NULL)
        return false;
    struct hamd_strmap bigger = {fresh, slots - 1, self->size};
    for (size_t i = 0; i <= self->mask; i++) {
        const struct strmap_slot *s = &self->slots[i];
        if (s->value != NULL)
            *strmap_find(&bigger, slot_key(s), s->hash) = *s;
    }
    free(self->slots);
    *self = bigger;
    return true;
}

void *hamd_strmap_put(struct hamd_strmap *self, const char *key, void *value)
{
    if (value == NULL)
        return hamd_strmap_remove(self, key);
    uint32_t hash;
    size_t len;
    if (!strmap_hash(key, &hash, &len))
        return NULL;
    struct strmap_slot *s = strmap_find(self, key, hash);
    if (s->value != NULL) {
        void *prev = s->value;
        s->value = value;
        return prev;
    }
    size_t slots = self->mask + 1;
    if ((self->size + 1) * STRMAP_LOAD_DEN > slots * STRMAP_LOAD_NUM) {
        /* Failing to grow is fine while one slot stays empty: probes
         * end at an empty slot. */
        if (strmap_grow(self))
            s = strmap_find(self, key, hash);
        else if (self->size + 2 > slots)
            return NULL;
    }
    if (!slot_key_set(s, key, len))
        return NULL;
    s->hash = hash;
    s->value = value;
    self->size++;
    return NULL;
}

/* True when home position h lies cyclically in (hole, j]: the entry at j
 * may then not move back into the hole. */
static bool strmap_between(size_t hole, size_t h, size_t j)
{
    if (hole <= j)
        return hole < h && h <= j;
    return hole < h || h <= j;
}

void *hamd_strmap_remove(struct hamd_strmap *self, const char *key)
{
    uint32_t hash;
    size_t len;
    if (!strmap_hash(key, &hash, &len))
        return NULL;
    struct strmap_slot *s = strmap_find(self, key, hash);
    void *prev = s->value;
    if (prev == NULL)
        return NULL;
    /* key may be this slot's own heap copy: freed now, not used after. */
    slot_key_free(s);
    /* Backward-shift deletion: pull later entries of the run into the
     * hole unless that would put them before their home slot. */
    size_t hole = (size_t)(s - self->slots);
    for (size_t j = (hole + 1) & self->mask; self->slots[j].value != NULL;
         j = (j + 1) & self->mask) {
        size_t home = self->slots[j].hash & self->mask;
        if (strmap_between(hole, home, j))
            continue;
        self->slots[hole] = self->slots[j];
        hole = j;
    }
    self->slots[hole].value = NULL;
    self->size--;
    return prev;
}

/* ------------------------------------------------------------------------
 * Size and iteration
 * ------------------------------------------------------------------------ */

size_t hamd_strmap_size(const struct hamd_strmap *self)
{
    return self->size;
}

bool hamd_strmap_next(const struct hamd_strmap *self, size_t *cursor,
                      const char **key, void **value)
{
    for (size_t i = *cursor; i <= self->mask; i++) {
        if (self->slots[i].value != NULL) {
            *key = slot_key(&self->slots[i]);
            *value = self->slots[i].value;
            *cursor = i + 1;
            return true;
        }
    }
    *cursor = self->mask + 1;
    return false;
}
