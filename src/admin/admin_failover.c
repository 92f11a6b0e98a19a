/* Admin API: operator control of failover (docs/api.md).
 *
 *   POST /api/failover  {"to": ID, "prefixes": [...] | "all": true,
 *                        "force": false, "dry_run": false}
 *   POST /api/failback  {"prefixes": [...], "dry_run": false}  (none: all)
 *   POST /api/pause     {}      automatic moves off, health still watched
 *   POST /api/resume    {}
 *
 * The answer is the plan ({groups, rejects, contracts_moved, dry_run});
 * without dry_run it comes after every resulting ASSIGN committed. Like
 * every write, a follower forwards these to the leader. */
#include <errno.h>

#include "admin/admin_internal.h"

/* ------------------------------------------------------------------------
 * Answers arrive from the steer, maybe after the client left
 * ------------------------------------------------------------------------ */

/* The HTTP status of a failover shell's completion (admin.h). */
static int steer_http_status(int status)
{
    switch (status) {
    case 0: return 200;
    case -EINVAL: return 400;
    case -ENOENT: return 404;
    case -EPERM: return 409;
    default: return 503;
    }
}

static void steer_done_cb(void *ud, int status, json_t *body)
{
    struct admin_pending *p = ud;
    if (p->req)
        admin_reply_json(p->req, steer_http_status(status), body);
    else
        json_decref(body);
    admin_pending_free(p);
}

static struct admin_pending *pending_or_reply(struct admin_call *call)
{
    struct admin_pending *p = admin_pending_new(call);
    if (!p)
        admin_reply_error(call->req, 503, NULL, "out of memory");
    return p;
}

/* ------------------------------------------------------------------------
 * Bodies (checked by admin_validate.c, before anything happens)
 * ------------------------------------------------------------------------ */

/* The body; no body at all reads as {}. NULL after answering 400 / 413
 * (admin_body_json). */
static json_t *body_or_empty(struct admin_call *call)
{
    return call->req->entity.len == 0 ? json_object() : admin_body_json(call);
}

/* ------------------------------------------------------------------------
 * Handlers
 * ------------------------------------------------------------------------ */

/* Starts the move r asks for (failover when r->to, else failback). */
static void failover_start(struct admin_call *call,
                           const struct admin_failover_req *r)
{
    struct admin_pending *p = pending_or_reply(call);
    if (p && r->to)
        call->deps->failover(call->deps->ud, r->to, r->prefixes, r->n,
                             r->force, r->dry_run, steer_done_cb, p);
    else if (p)
        call->deps->failback(call->deps->ud, r->prefixes, r->n, r->dry_run,
                             steer_done_cb, p);
}

/* A follower forwards the validated request; the leader starts it. */
static int failover_any_post(struct admin_call *call, bool failback)
{
    json_t *body = body_or_empty(call);
    if (!body)
        return 0;
    struct admin_failover_req r;
    struct admin_verdict v;
    bool ok = failback ? admin_failback_validate(body, &r, &v)
                       : admin_failover_validate(body, &r, &v);
    if (!ok)
        admin_reply_verdict(call->req, &v);
    else if (!admin_is_leader(call))
        admin_forward(call);
    else
        failover_start(call, &r);
    json_decref(body); /* r points into it */
    return 0;
}

static int failover_post(struct admin_call *call)
{
    return failover_any_post(call, false);
}

static int failback_post(struct admin_call *call)
{
    return failover_any_post(call, true);
}

static int pause_set(struct admin_call *call, bool paused)
{
    if (!admin_is_leader(call))
        return admin_forward(call);
    struct admin_pending *p = pending_or_reply(call);
    if (p)
        call->deps->pause(call->deps->ud, paused, steer_done_cb, p);
    return 0;
}

static int pause_post(struct admin_call *call)
{
    return pause_set(call, true);
}

static int resume_post(struct admin_call *call)
{
    return pause_set(call, false);
}

const struct admin_route ADMIN_FAILOVER_ROUTES[] = {
    {"POST", "/api/failover", failover_post, true},
    {"POST", "/api/failback", failback_post, true},
    {"POST", "/api/pause", pause_post, true},
    {"POST", "/api/resume", resume_post, true},
    {NULL, NULL, NULL, false},
};
