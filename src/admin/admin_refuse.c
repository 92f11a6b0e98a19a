/* Every refusal of the admin API is JSON {"error": ...} (docs/api.md,
 * "Errors"), also those no handler of hamd writes:
 *
 *   - what the screening of a connection refuses before h2o sees it
 *     (admin_conn.c): a malformed head (400), a head too large (431), a
 *     body declared over [admin] max_body_bytes (413), plain HTTP on a
 *     TLS port (400). Those bytes are written whole on the socket.
 *   - what h2o answers by itself once it has the request (an unreadable
 *     chunked body or one over its own limit, an Expect it does not
 *     know): a filter on every path rewrites such an answer, which h2o
 *     makes text/plain, into JSON with the same status.
 */
#include <stdio.h>
#include <string.h>

#include "admin/admin_internal.h"

#define REFUSE_JSON "application/json"
#define REFUSE_MSG_MAX 256 /* bytes of a refusal's message */

/* The filter, registered on the host's paths. */
struct refuse_filter {
    h2o_filter_t super;        /* first: h2o calls it with this */
    struct hamd_admin *admin;  /* the server (its limits) */
};

/* The output stream that replaces h2o's text body with the JSON one. */
struct refuse_ostream {
    h2o_ostream_t super;  /* first: h2o calls it with this */
    h2o_iovec_t body;     /* the JSON, in the request's pool */
    bool sent;            /* body went out */
};

/* ------------------------------------------------------------------------
 * The bytes of a refusal
 * ------------------------------------------------------------------------ */

/* {"error": msg} and a newline, escaped by jansson, into out. */
static size_t refuse_json(const char *msg, char *out, size_t cap)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    size_t n = o ? json_dumpb(o, out, cap > 1 ? cap - 1 : 0, JSON_COMPACT) : 0;
    json_decref(o);
    if (n == 0 || n >= cap - 1)
        n = (size_t)snprintf(out, cap, "{\"error\":\"refused\"}");
    out[n++] = '\n';
    return n;
}

size_t admin_refuse_bytes(int status, const char *msg, char *out, size_t cap)
{
    char body[REFUSE_MSG_MAX + 32];
    size_t len = refuse_json(msg, body, sizeof body);
    int n = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\nContent-Type: " REFUSE_JSON "\r\n"
                     "Content-Length: %zu\r\nCache-Control: no-store\r\n"
                     "Connection: close\r\n\r\n%.*s",
                     status, admin_reason_phrase(status), len, (int)len, body);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ------------------------------------------------------------------------
 * h2o's own error answers
 * ------------------------------------------------------------------------ */

static void refuse_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs,
                        size_t bufcnt, h2o_send_state_t state)
{
    (void)bufs;
    (void)bufcnt;
    struct refuse_ostream *o = (struct refuse_ostream *)self;
    if (o->sent) {
        h2o_ostream_send_next(self, req, NULL, 0, state);
        return;
    }
    o->sent = true;
    h2o_ostream_send_next(self, req, &o->body, 1, state);
}

/* What an answer h2o made says, in words an operator can act on. */
static void refuse_message(const struct hamd_admin *admin, const h2o_req_t *req,
                           char *msg, size_t cap)
{
    int status = req->res.status;
    if (status == 413)
        snprintf(msg, cap, "request body larger than [admin] max_body_bytes "
                 "(%u)", admin->deps.cfg->max_body_bytes);
    else if (status == 417)
        snprintf(msg, cap, "unsupported Expect header");
    else
        snprintf(msg, cap, "%s%s%s", admin_reason_phrase(status),
                 req->res.reason ? ": " : "",
                 req->res.reason ? req->res.reason : "");
}

static bool answer_is_json(const h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    return i >= 0 && h2o_memis(req->res.headers.entries[i].value.base,
                               req->res.headers.entries[i].value.len,
                               H2O_STRLIT(REFUSE_JSON));
}

static void setup_ostream_cb(h2o_filter_t *self, h2o_req_t *req,
                             h2o_ostream_t **slot)
{
    struct hamd_admin *admin = ((struct refuse_filter *)self)->admin;
    if (req->res.status >= 400 && !answer_is_json(req)) {
        char msg[REFUSE_MSG_MAX];
        refuse_message(admin, req, msg, sizeof msg);
        struct refuse_ostream *o = (struct refuse_ostream *)h2o_add_ostream(
            req, sizeof *o, slot);
        o->super.do_send = refuse_send;
        o->sent = false;
        char *body = h2o_mem_alloc_pool(&req->pool, REFUSE_MSG_MAX + 32);
        o->body = h2o_iovec_init(body, refuse_json(msg, body,
                                                   REFUSE_MSG_MAX + 32));
        req->res.content_length = o->body.len;
        h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                       H2O_STRLIT(REFUSE_JSON), 1);
        slot = &o->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

void admin_refuse_filter_register(struct hamd_admin *self, h2o_pathconf_t *path)
{
    struct refuse_filter *f =
        (struct refuse_filter *)h2o_create_filter(path, sizeof *f);
    f->super.on_setup_ostream = setup_ostream_cb;
    f->admin = self;
}
