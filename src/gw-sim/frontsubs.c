/* A front's clients and subscriptions: see frontsubs.h. */
#include "gw-sim/frontsubs.h"

#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

#define CLIENT_SUBS_INITIAL_CAP 64 /* a client's map before it grows */
#define REFS_INITIAL_CAP 256       /* the union's map before it grows */

struct gwsim_frontsubs *gwsim_frontsubs_new(void)
{
    struct gwsim_frontsubs *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->refs = hamd_strmap_new(REFS_INITIAL_CAP);
    if (!self->refs)
        gwsim_frontsubs_destroy(&self);
    return self;
}

void gwsim_frontsubs_destroy(struct gwsim_frontsubs **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct gwsim_frontsubs *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        hamd_strmap_destroy(&self->clients[i].subs);
    hamd_strmap_destroy(&self->refs);
    free(self);
    *self_p = NULL;
}

long gwsim_frontsubs_touch(struct gwsim_frontsubs *self, const void *id,
                           size_t id_len, int64_t now_ms, bool *added)
{
    *added = false;
    if (id_len == 0 || id_len > GWSIM_FRONT_ID_MAX)
        return -1;
    for (size_t i = 0; i < self->count; i++) {
        struct gwsim_front_client *c = &self->clients[i];
        if (c->id_len == id_len && memcmp(c->id, id, id_len) == 0) {
            c->last_seen_ms = now_ms;
            return (long)i;
        }
    }
    if (self->count == GWSIM_FRONT_CLIENTS_MAX)
        return -1;
    struct gwsim_front_client *c = &self->clients[self->count];
    memset(c, 0, sizeof *c);
    if (!(c->subs = hamd_strmap_new(CLIENT_SUBS_INITIAL_CAP)))
        return -1;
    memcpy(c->id, id, id_len);
    c->id_len = id_len;
    c->last_seen_ms = now_ms;
    *added = true;
    return (long)self->count++;
}

/* Changes the union's count of vt_symbol by delta (+1 / -1). Returns 1
 * when the contract entered or left the union, 0 otherwise, -1 when out
 * of memory (nothing changed). */
static int ref(struct gwsim_frontsubs *self, const char *vt_symbol, int delta)
{
    uintptr_t n = (uintptr_t)hamd_strmap_get(self->refs, vt_symbol);
    if (delta < 0 && n == 0)
        return 0;
    uintptr_t next = delta > 0 ? n + 1 : n - 1;
    if (next == 0) {
        hamd_strmap_remove(self->refs, vt_symbol);
        return 1;
    }
    hamd_strmap_put(self->refs, vt_symbol, (void *)next);
    if ((uintptr_t)hamd_strmap_get(self->refs, vt_symbol) != next)
        return -1;
    return n == 0 ? 1 : 0;
}

int gwsim_frontsubs_add(struct gwsim_frontsubs *self, size_t client,
                        const char *vt_symbol)
{
    struct gwsim_front_client *c = &self->clients[client];
    if (!hamd_strmap_key_ok(vt_symbol))
        return -1;
    if (hamd_strmap_get(c->subs, vt_symbol))
        return 0;
    if (hamd_strmap_size(c->subs) >= GWSIM_FRONT_CLIENT_SYMBOLS_MAX)
        return -1;
    hamd_strmap_put(c->subs, vt_symbol, c);
    if (!hamd_strmap_get(c->subs, vt_symbol))
        return -1;
    int rc = ref(self, vt_symbol, +1);
    if (rc < 0)
        hamd_strmap_remove(c->subs, vt_symbol);
    return rc;
}

int gwsim_frontsubs_remove(struct gwsim_frontsubs *self, size_t client,
                           const char *vt_symbol)
{
    struct gwsim_front_client *c = &self->clients[client];
    if (!hamd_strmap_key_ok(vt_symbol) ||
        !hamd_strmap_remove(c->subs, vt_symbol))
        return 0;
    return ref(self, vt_symbol, -1);
}

bool gwsim_frontsubs_wants(const struct gwsim_frontsubs *self, size_t client,
                           const char *vt_symbol)
{
    return hamd_strmap_get(self->clients[client].subs, vt_symbol) != NULL;
}

void gwsim_frontsubs_forget(struct gwsim_frontsubs *self, size_t client)
{
    self->clients[client].forgotten = true;
}

/* Removes client i with its subscriptions; the last client moves into
 * its slot. */
static void drop(struct gwsim_frontsubs *self, size_t i,
                 gwsim_frontsubs_gone_fn gone, void *ud)
{
    struct gwsim_front_client *c = &self->clients[i];
    size_t cursor = 0;
    const char *vt;
    void *v;
    while (hamd_strmap_next(c->subs, &cursor, &vt, &v))
        if (ref(self, vt, -1) == 1 && gone)
            gone(ud, vt);
    hamd_strmap_destroy(&c->subs);
    self->count--;
    if (i != self->count)
        *c = self->clients[self->count];
}

size_t gwsim_frontsubs_expire(struct gwsim_frontsubs *self, int64_t now_ms,
                              int64_t timeout_ms, gwsim_frontsubs_gone_fn gone,
                              void *ud)
{
    size_t dropped = 0;
    for (size_t i = self->count; i-- > 0;) {
        const struct gwsim_front_client *c = &self->clients[i];
        if (c->forgotten || now_ms - c->last_seen_ms >= timeout_ms) {
            drop(self, i, gone, ud);
            dropped++;
        }
    }
    return dropped;
}

size_t gwsim_frontsubs_contracts(const struct gwsim_frontsubs *self)
{
    return hamd_strmap_size(self->refs);
}
