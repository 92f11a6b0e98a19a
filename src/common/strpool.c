/* Interned strings: see strpool.h. A string map from each string to its
 * one heap copy. */
#include "common/strpool.h"

#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

#define STRPOOL_INITIAL 16 /* strings before the first growth */

struct hamd_strpool {
    struct hamd_strmap *map; /* string -> its copy (char *) */
};

struct hamd_strpool *hamd_strpool_new(void)
{
    struct hamd_strpool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->map = hamd_strmap_new(STRPOOL_INITIAL);
    if (!p->map) {
        free(p);
        return NULL;
    }
    return p;
}

void hamd_strpool_destroy(struct hamd_strpool **self)
{
    struct hamd_strpool *p = *self;
    if (!p)
        return;
    *self = NULL;
    size_t cursor = 0;
    const char *key;
    void *copy;
    while (hamd_strmap_next(p->map, &cursor, &key, &copy))
        free(copy);
    hamd_strmap_destroy(&p->map);
    free(p);
}

const char *hamd_strpool_intern(struct hamd_strpool *self, const char *s)
{
    if (s[0] == '\0')
        return ""; /* no key of the map is empty */
    if (!hamd_strmap_key_ok(s))
        return NULL;
    char *copy = hamd_strmap_get(self->map, s);
    if (copy)
        return copy;
    copy = strdup(s);
    if (!copy)
        return NULL;
    hamd_strmap_put(self->map, copy, copy); /* new: answers NULL */
    if (hamd_strmap_get(self->map, copy) != copy) {
        free(copy); /* the map could not grow */
        return NULL;
    }
    return copy;
}

size_t hamd_strpool_size(const struct hamd_strpool *self)
{
    return hamd_strmap_size(self->map);
}
