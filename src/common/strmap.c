/* String -> pointer hash map: see strmap.h. Linear probing keeps a probe
 * sequence in consecutive cache lines; deletion shifts later entries back
 * instead of leaving tombstones, so lookups never slow down with churn. */
#include "common/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STRMAP_MIN_SLOTS 8       /* smallest table */
#define STRMAP_LOAD_NUM 7        /* grow above 7/10 full */
#define STRMAP_LOAD_DEN 10

/* One slot of the table; empty when value is NULL. */
struct strmap_slot {
    uint32_t hash;                        /* FNV-1a of key */
    void *value;                          /* NULL = empty slot */
    char key[HAMD_STRMAP_KEY_MAX + 1];    /* NUL-terminated */
};

struct hamd_strmap {
    struct strmap_slot *slots; /* power-of-two table */
    size_t mask;               /* slot count - 1 */
    size_t size;               /* occupied slots */
};

/* ------------------------------------------------------------------------
 * Hashing and sizing
 * ------------------------------------------------------------------------ */

/* FNV-1a over key, also measuring it. Returns false when the key is empty
 * or longer than HAMD_STRMAP_KEY_MAX (then it stops reading early). */
static bool strmap_hash(const char *key, uint32_t *hash)
{
    uint32_t h = 2166136261u;
    size_t n = 0;
    for (; key[n] != '\0'; n++) {
        if (n == HAMD_STRMAP_KEY_MAX)
            return false;
        h = (h ^ (uint8_t)key[n]) * 16777619u;
    }
    *hash = h;
    return n > 0;
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
    free((*self_p)->slots);
    free(*self_p);
    *self_p = NULL;
}

bool hamd_strmap_key_ok(const char *key)
{
    uint32_t h;
    return key != NULL && strmap_hash(key, &h);
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
        if (s->hash == hash && strcmp(s->key, key) == 0)
            return s;
        i = (i + 1) & self->mask;
    }
    return &self->slots[i];
}

void *hamd_strmap_get(const struct hamd_strmap *self, const char *key)
{
    uint32_t hash;
    if (!strmap_hash(key, &hash))
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
            *strmap_find(&bigger, s->key, s->hash) = *s;
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
    if (!strmap_hash(key, &hash))
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
    s->hash = hash;
    s->value = value;
    strcpy(s->key, key);
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
    if (!strmap_hash(key, &hash))
        return NULL;
    struct strmap_slot *s = strmap_find(self, key, hash);
    void *prev = s->value;
    if (prev == NULL)
        return NULL;
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
            *key = self->slots[i].key;
            *value = self->slots[i].value;
            *cursor = i + 1;
            return true;
        }
    }
    *cursor = self->mask + 1;
    return false;
}
