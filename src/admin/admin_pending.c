/* Answers owed after an asynchronous step: see struct admin_pending.
 *
 * The guard is shared memory of the request's pool (h2o_mem_alloc_shared):
 * h2o calls its dispose callback when it disposes of the request, i.e.
 * when the response went out or the connection died. The callback cuts
 * the link both ways, so whichever side goes first, the other never
 * follows a dangling pointer. */
#include <stdlib.h>

#include "admin/admin_internal.h"

/* Lives in the request's memory pool. */
struct admin_guard {
    struct admin_pending *p; /* NULL once the pending answer is released */
};

static void guard_dispose(void *ptr)
{
    struct admin_guard *g = ptr;
    if (g->p) {
        g->p->req = NULL;
        g->p->guard = NULL;
    }
}

struct admin_pending *admin_pending_new(struct admin_call *call)
{
    struct admin_pending *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    struct admin_guard *g =
        h2o_mem_alloc_shared(&call->req->pool, sizeof *g, guard_dispose);
    g->p = p;
    p->admin = call->admin;
    p->req = call->req;
    p->guard = g;
    p->next = call->admin->pending;
    if (p->next)
        p->next->prev = p;
    call->admin->pending = p;
    return p;
}

void admin_pending_free(struct admin_pending *p)
{
    if (!p)
        return;
    if (p->guard)
        p->guard->p = NULL;
    if (p->prev)
        p->prev->next = p->next;
    else
        p->admin->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    free(p);
}

void admin_pending_free_all(struct hamd_admin *self)
{
    while (self->pending)
        admin_pending_free(self->pending);
}
