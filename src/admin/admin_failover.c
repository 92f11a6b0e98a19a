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
#include <string.h>

#include "admin/admin_internal.h"

#define FAILOVER_PREFIXES_MAX 1024 /* prefixes in one request */

/* What a failover/failback request body says. */
struct fo_request {
    const char *to;                               /* failover target */
    const char *prefixes[FAILOVER_PREFIXES_MAX];  /* point into body */
    size_t n;                                     /* 0 = all contracts */
    bool all;                                     /* "all": true */
    bool force;                                   /* target need not be HEALTHY */
    bool dry_run;                                 /* plan only */
};

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

static void on_steer_done(void *ud, int status, json_t *body)
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
 * Body validation: strict, before anything happens
 * ------------------------------------------------------------------------ */

static bool parse_bool(struct admin_call *call, json_t *v, const char *key,
                       bool *out)
{
    if (!json_is_boolean(v)) {
        admin_reply_error(call->req, 400, key, "'%s' must be true or false", key);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

static bool parse_prefixes(struct admin_call *call, json_t *v,
                           struct fo_request *r)
{
    if (!json_is_array(v) || json_array_size(v) > FAILOVER_PREFIXES_MAX) {
        admin_reply_error(call->req, 400, "prefixes",
                          "'prefixes' must be an array of at most %d strings",
                          FAILOVER_PREFIXES_MAX);
        return false;
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        const char *s = json_string_value(item);
        if (!s || !s[0] || strlen(s) >= HAMD_VT_SYMBOL_MAX) {
            admin_reply_error(call->req, 400, "prefixes",
                              "prefix %zu must be a non-empty string shorter "
                              "than %d bytes", i, HAMD_VT_SYMBOL_MAX);
            return false;
        }
        r->prefixes[r->n++] = s;
    }
    return true;
}

/* Fills r from the body; allow_to: "to", "all" and "force" are accepted. */
static bool parse_request(struct admin_call *call, json_t *body, bool allow_to,
                          struct fo_request *r)
{
    memset(r, 0, sizeof *r);
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        bool ok;
        if (strcmp(key, "prefixes") == 0)
            ok = parse_prefixes(call, v, r);
        else if (strcmp(key, "dry_run") == 0)
            ok = parse_bool(call, v, key, &r->dry_run);
        else if (allow_to && strcmp(key, "all") == 0)
            ok = parse_bool(call, v, key, &r->all);
        else if (allow_to && strcmp(key, "force") == 0)
            ok = parse_bool(call, v, key, &r->force);
        else if (allow_to && strcmp(key, "to") == 0) {
            r->to = json_string_value(v);
            ok = r->to && hamd_account_id_valid(r->to);
            if (!ok)
                admin_reply_error(call->req, 400, "to",
                                  "'to' must be an account id");
        } else {
            admin_reply_error(call->req, 400, key, "unknown field '%s'", key);
            ok = false;
        }
        if (!ok)
            return false;
    }
    return true;
}

/* The body as an object; no body at all reads as {}. */
static json_t *body_object(struct admin_call *call)
{
    if (call->req->entity.len == 0)
        return json_object();
    json_t *body = admin_body_json(call);
    if (body && !json_is_object(body)) {
        json_decref(body);
        admin_reply_error(call->req, 400, NULL, "the body must be a JSON object");
        return NULL;
    }
    return body;
}

/* ------------------------------------------------------------------------
 * Handlers
 * ------------------------------------------------------------------------ */

static int failover_post(struct admin_call *call)
{
    json_t *body = body_object(call);
    if (!body)
        return 0;
    struct fo_request r;
    if (!parse_request(call, body, true, &r))
        goto out;
    if (!r.to) {
        admin_reply_error(call->req, 400, "to", "'to' (the target account) is required");
        goto out;
    }
    if (r.all == (r.n > 0)) {
        admin_reply_error(call->req, 400, "prefixes",
                          "give either 'prefixes' or \"all\": true");
        goto out;
    }
    if (!admin_is_leader(call)) {
        admin_forward(call);
        goto out;
    }
    struct admin_pending *p = pending_or_reply(call);
    if (p)
        call->deps->failover(call->deps->ud, r.to, r.prefixes, r.n, r.force,
                             r.dry_run, on_steer_done, p);
out:
    json_decref(body);
    return 0;
}

static int failback_post(struct admin_call *call)
{
    json_t *body = body_object(call);
    if (!body)
        return 0;
    struct fo_request r;
    if (parse_request(call, body, false, &r)) {
        if (!admin_is_leader(call)) {
            admin_forward(call);
        } else {
            struct admin_pending *p = pending_or_reply(call);
            if (p)
                call->deps->failback(call->deps->ud, r.prefixes, r.n,
                                     r.dry_run, on_steer_done, p);
        }
    }
    json_decref(body);
    return 0;
}

static int pause_set(struct admin_call *call, bool paused)
{
    if (!admin_is_leader(call))
        return admin_forward(call);
    struct admin_pending *p = pending_or_reply(call);
    if (p)
        call->deps->pause(call->deps->ud, paused, on_steer_done, p);
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
