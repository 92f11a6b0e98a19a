/* Admin HTTP server core (docs/api.md): the listener on [peer.N] admin (or
 * [node] admin), HTTPS when [admin] tls_cert is set (the connections:
 * admin_conn.c), the h2o context on the control loop, and the dispatch of
 * every request through one routing table (method + path pattern ->
 * handler; the handlers live in admin_status.c, admin_accounts.c,
 * admin_subs.c, admin_cluster.c, admin_failover.c, admin_view.c,
 * admin_stream.c, admin_logs.c and admin_console.c). HTTP/1.1 only, one
 * request per connection.
 *
 * Shutdown without waiting on clients: hamd_admin_close stops accepting,
 * ends keep-alive after the responses in progress, closes idle
 * keep-alive connections at once, and unrefs the libuv handles of
 * the h2o context (its timers and its thread queue's async), so only
 * live connections and requests still being answered keep the loop
 * running. hamd_admin_destroy then releases the context after the loop
 * has stopped: h2o_context_dispose runs the loop once itself, which is
 * not allowed from inside a callback. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_internal.h"
#include "admin/admin_tls.h"
#include "common/log.h"

#define ADMIN_BODY_SLACK_FACTOR 2 /* h2o's own limit: twice max_body_bytes,
                                     so bodies a bit too big get our JSON 413 */
#define ADMIN_HOST_MAX 256        /* bytes of the host part of the address */
#define ADMIN_H2O_ANY_PORT 65535  /* h2o host entry matching any port */

/* The h2o handler of every path. */
struct admin_handler {
    h2o_handler_t super;       /* first: h2o calls req_cb with it */
    struct hamd_admin *admin;  /* the server */
};

/* ------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------ */

static int req_cb(h2o_handler_t *h, h2o_req_t *req)
{
    struct hamd_admin *self = ((struct admin_handler *)h)->admin;
    /* One request per connection: the next one's head is screened before
     * h2o parses it (admin_conn.c), so its refusals are JSON too. Every
     * request h2o parses comes here (path "/" takes every normalized
     * path) before anything answers it, the stream and the console
     * included: h2o then says Connection: close and closes after. */
    req->http1_is_persistent = 0;
    struct admin_call call = {.admin = self, .deps = &self->deps, .req = req};
    enum admin_route_result r = admin_route_find(
        self->routes, self->n_routes, req->method.base, req->method.len,
        req->path_normalized.base, req->path_normalized.len, &call.match);
    if (r == ADMIN_ROUTE_NO_PATH)
        return admin_reply_error(req, 404, NULL, "no such endpoint: %.*s",
                                 (int)req->path_normalized.len,
                                 req->path_normalized.base);
    if (r == ADMIN_ROUTE_NO_METHOD) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
                       h2o_strdup(&req->pool, call.match.allow, SIZE_MAX).base,
                       strlen(call.match.allow));
        return admin_reply_error(req, 405, NULL,
                                 "method %.*s not allowed here (allowed: %s)",
                                 (int)req->method.len, req->method.base,
                                 call.match.allow);
    }
    size_t qlen;
    const char *q = admin_query(req, &qlen);
    if (!admin_query_valid(q, qlen))
        return admin_reply_error(req, 400, "query",
                                 "malformed query string (a bad %%-escape or "
                                 "a control character)");
    if (call.match.route->mutation && !admin_authorized(&call))
        return 0;
    return call.match.route->handler(&call);
}

const struct admin_route *const ADMIN_ROUTE_TABLES[] = {
    /* rekey before accounts/{id}: the first match wins */
    ADMIN_STATUS_ROUTES, ADMIN_SECRETS_ROUTES, ADMIN_ACCOUNTS_ROUTES,
    ADMIN_SUBS_ROUTES,
    ADMIN_CLUSTER_ROUTES, ADMIN_FAILOVER_ROUTES, ADMIN_VIEW_ROUTES,
    ADMIN_STREAM_ROUTES, ADMIN_LOGS_ROUTES, ADMIN_CONSOLE_ROUTES, NULL,
};

static int routes_build(struct hamd_admin *self)
{
    for (size_t t = 0; ADMIN_ROUTE_TABLES[t]; t++)
        for (const struct admin_route *r = ADMIN_ROUTE_TABLES[t]; r->pattern;
             r++) {
            if (self->n_routes == ADMIN_ROUTES_MAX) {
                LOG_ERROR("admin: more than %d routes", ADMIN_ROUTES_MAX);
                return -1;
            }
            self->routes[self->n_routes++] = *r;
        }
    return 0;
}

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

static void accept_cb(uv_stream_t *listener, int status)
{
    struct hamd_admin *self = listener->data;
    if (status != 0 || self->closing)
        return;
    admin_conn_accept(self, listener);
}

static void listener_closed_cb(uv_handle_t *h)
{
    struct hamd_admin *self = h->data;
    self->open_handles--;
}

static void listener_close(struct hamd_admin *self)
{
    if (!self->listener_open)
        return;
    self->listener_open = false;
    uv_close((uv_handle_t *)&self->listener, listener_closed_cb);
}

/* Resolves host:port (IPv4, IPv6 in brackets, or a name) for bind. */
static int admin_address(const char *hostport, struct sockaddr_storage *out)
{
    char host[ADMIN_HOST_MAX], port_s[8];
    unsigned port;
    if (!admin_hostport_split(hostport, host, sizeof host, &port))
        return -1;
    snprintf(port_s, sizeof port_s, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port_s, &hints, &res) != 0 || !res)
        return -1;
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

static int listener_open(struct hamd_admin *self)
{
    const char *addr = hamd_config_admin(self->deps.cfg);
    struct sockaddr_storage sa;
    if (admin_address(addr, &sa) < 0) {
        LOG_ERROR("admin: bad admin address '%s' (expected host:port)", addr);
        return -1;
    }
    uv_tcp_init(self->loop, &self->listener);
    self->listener.data = self;
    self->listener_open = true;
    self->open_handles++;
    int rc = uv_tcp_bind(&self->listener, (struct sockaddr *)&sa, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&self->listener, ADMIN_BACKLOG, accept_cb);
    if (rc != 0) {
        LOG_ERROR("admin: cannot listen on %s: %s", addr, uv_strerror(rc));
        return -1;
    }
    LOG_INFO("admin: listening on %s://%s%s", admin_scheme(self), addr,
             self->token_len ? " (token required for changes)" : "");
    return 0;
}

/* ------------------------------------------------------------------------
 * h2o context
 * ------------------------------------------------------------------------ */

/* uv_walk scratch: the handles that existed before h2o_context_init. */
struct handle_set {
    uv_handle_t **v;  /* the handles */
    size_t n;         /* used */
    size_t cap;       /* allocated */
    bool oom;         /* an append failed */
};

static void collect_handle(uv_handle_t *h, void *arg)
{
    struct handle_set *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        uv_handle_t **v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            s->oom = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = h;
}

/* Records the handles h2o_context_init added, to unref them at close. */
static void record_new_handles(struct hamd_admin *self,
                               const struct handle_set *before)
{
    struct handle_set after = {0};
    uv_walk(self->loop, collect_handle, &after);
    for (size_t i = 0; i < after.n; i++) {
        bool old = false;
        for (size_t j = 0; j < before->n && !old; j++)
            old = before->v[j] == after.v[i];
        if (!old && self->n_h2o_handles < ADMIN_H2O_HANDLES_MAX)
            self->h2o_handles[self->n_h2o_handles++] = after.v[i];
    }
    free(after.v);
}

static int h2o_setup(struct hamd_admin *self)
{
    const struct hamd_config *cfg = self->deps.cfg;
    h2o_config_init(&self->config);
    self->config.server_name = h2o_iovec_init(H2O_STRLIT("hamd"));
    self->config.max_request_entity_size =
        (size_t)cfg->max_body_bytes * ADMIN_BODY_SLACK_FACTOR;
    self->config.http1.req_timeout = ADMIN_REQ_TIMEOUT_MS;
    self->config.http1.upgrade_to_http2 = 0;
    h2o_hostconf_t *host = h2o_config_register_host(
        &self->config, h2o_iovec_init(H2O_STRLIT("default")), ADMIN_H2O_ANY_PORT);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    struct admin_handler *h =
        (struct admin_handler *)h2o_create_handler(path, sizeof *h);
    h->super.on_req = req_cb;
    h->admin = self;
    /* The answers h2o makes itself are JSON too: on the path, and on the
     * host's fallback, which h2o uses before a request has a path. */
    admin_refuse_filter_register(self, path);
    admin_refuse_filter_register(self, &host->fallback_path);
    struct handle_set before = {0};
    uv_walk(self->loop, collect_handle, &before);
    h2o_context_init(&self->ctx, self->loop, &self->config);
    self->ctx_ready = true;
    if (!before.oom)
        record_new_handles(self, &before);
    free(before.v);
    self->accept_ctx.ctx = &self->ctx;
    self->accept_ctx.hosts = self->config.hosts;
    return 0;
}

/* ------------------------------------------------------------------------
 * TLS ([admin] tls_cert, tls_key, tls_ca)
 * ------------------------------------------------------------------------ */

const char *admin_scheme(const struct hamd_admin *self)
{
    return self->tls_server ? "https" : "http";
}

/* The server's context and the client's that verifies the members. */
static int tls_setup(struct hamd_admin *self)
{
    const struct hamd_config *cfg = self->deps.cfg;
    char err[ADMIN_TLS_ERR_MAX];
    if (!cfg->tls_cert[0])
        return 0;
    self->tls_server = admin_tls_server_new(cfg->tls_cert, cfg->tls_key, err,
                                            sizeof err);
    if (self->tls_server)
        self->tls_client = admin_tls_client_new(cfg->tls_ca, err, sizeof err);
    if (!self->tls_client) {
        LOG_ERROR("admin: %s", err);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

struct hamd_admin *hamd_admin_new(const struct hamd_admin_deps *deps)
{
    struct hamd_admin *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->deps = *deps;
    self->loop = deps->loop;
    const struct hamd_config *cfg = deps->cfg;
    if (routes_build(self) < 0 ||
        (cfg->token_file[0] && admin_token_load(self, cfg->token_file) < 0) ||
        !(self->logring = admin_logring_new(cfg->log_lines)) ||
        !(self->hub = admin_hub_new(self)) ||
        tls_setup(self) < 0 || h2o_setup(self) < 0 ||
        listener_open(self) < 0 ||
        !(self->http = admin_http_new(self->loop, self->tls_client))) {
        hamd_admin_destroy(&self);
        return NULL;
    }
    return self;
}

void hamd_admin_close(struct hamd_admin *self)
{
    if (!self || self->closing)
        return;
    self->closing = true;
    listener_close(self);
    admin_hub_close(self->hub);
    admin_http_close(self->http);
    if (!self->ctx_ready)
        return;
    /* No keep-alive after the responses in progress. This is what
     * h2o_context_request_shutdown does for HTTP/1, without arming the
     * HTTP/2 graceful-shutdown timer, which would outlive the loop. */
    self->ctx.shutdown_requested = 1;
    /* Idle keep-alive connections wait on the request timeout: make it
     * zero and run it now, so they close at once, not seconds later. */
    self->ctx.http1.req_timeout.timeout = 0;
    h2o_timeout_run(self->loop, &self->ctx.http1.req_timeout,
                    h2o_now(self->loop));
    for (unsigned i = 0; i < self->n_h2o_handles; i++)
        if (!uv_is_closing(self->h2o_handles[i]))
            uv_unref(self->h2o_handles[i]);
}

void hamd_admin_destroy(struct hamd_admin **selfp)
{
    struct hamd_admin *self = *selfp;
    if (!self)
        return;
    *selfp = NULL;
    listener_close(self);
    admin_hub_close(self->hub); /* the logger lets go of the ring */
    admin_http_destroy(&self->http);
    admin_pending_free_all(self);
    bool disposed = false;
    if (self->ctx_ready) {
        /* h2o asserts that no connection is left; one is left only when
         * the loop was stopped early, and the process is exiting then. */
        if (self->n_conns == 0) {
            h2o_context_dispose(&self->ctx); /* also runs pending closes */
            h2o_config_dispose(&self->config);
            disposed = true;
        } else {
            LOG_WARN("admin: %u connections still open at exit",
                     self->n_conns);
        }
    }
    admin_hub_destroy(&self->hub);
    admin_logring_destroy(&self->logring);
    explicit_bzero(self->token, sizeof self->token);
    if (self->open_handles == 0 && (disposed || !self->ctx_ready)) {
        SSL_CTX_free(self->tls_server);
        SSL_CTX_free(self->tls_client);
        free(self);
    }
}
