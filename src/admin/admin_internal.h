/* Internals of the admin HTTP API (docs/api.md), shared by its files:
 *
 *   admin.c           server life cycle: listener, h2o context, dispatch
 *   admin_conn.c      connections: TLS, the head screened, then h2o
 *   admin_refuse.c    JSON refusals: the screening's, and h2o's own
 *   admin_head.c      pure: screening a request head
 *   admin_tls.c       TLS contexts; the client's memory-buffer session
 *   admin_route.c     pure: route matching, query strings, tokens
 *   admin_reply.c     JSON answers and errors, request bodies, the token
 *   admin_pending.c   answers that come later (client may have left)
 *   admin_write.c     the write path: Raft submit, or forward to leader
 *   admin_http.c      HTTP/1.1 client on the control loop (no threads)
 *   admin_http_parse.c pure: its URLs, request bytes, answer parsing
 *   admin_status.c    probes, /metrics, /api/status
 *   admin_accounts.c  accounts CRUD, start / stop / restart
 *   admin_secrets.c   secret params sealed before submit; rekey
 *   admin_subs.c      subscriptions
 *   admin_cluster.c   members, leader transfer, events
 *   admin_failover.c  manual failover, failback, pause, resume
 *   admin_validate.c  pure: request bodies, queries and path ids checked
 *   admin_view.c      GET /api/cluster: every member's status at once
 *   admin_stream.c    GET /api/stream: the live stream (SSE) and its hub
 *   admin_sse.c       pure: SSE framing, a client's bounded queue
 *   admin_logs.c      GET /api/logs from the log ring
 *   admin_logring.c   pure: the ring of recent log lines
 *   admin_console.c   the console and the API description, compiled in
 *
 * Everything runs on the node's control loop, and sees the node through
 * struct hamd_admin_deps (admin.h) only.
 */
#ifndef HAMD_ADMIN_INTERNAL_H
#define HAMD_ADMIN_INTERNAL_H

#include <h2o.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "admin/admin.h"
#include "admin/admin_head.h"
#include "admin/admin_http_parse.h"
#include "admin/admin_logring.h"
#include "admin/admin_route.h"
#include "admin/admin_validate.h"
#include "common/log.h"

#define ADMIN_TOKEN_MAX 256             /* bytes of a bearer token */
#define ADMIN_BACKLOG 128               /* listen(2) backlog */
#define ADMIN_REQ_TIMEOUT_MS 10000      /* reading a request; keep-alive idle */
#define ADMIN_FORWARD_TIMEOUT_MS 5000   /* whole forwarded request */
#define ADMIN_FORWARD_CONNECT_TIMEOUT_MS 1000 /* connecting to the leader */
#define ADMIN_FORWARD_REPLY_MAX (32u << 20)   /* bytes of a relayed answer */
#define ADMIN_H2O_HANDLES_MAX 16        /* libuv handles of the h2o context */
#define ADMIN_ROUTES_MAX 64             /* rows of the routing table */
#define ADMIN_ID_MAX 64                 /* bytes of a path id incl. NUL */

/* Request header that marks a request relayed by a follower, so it is
 * never relayed twice. */
#define ADMIN_HDR_FORWARDED "x-hamd-forwarded"

struct admin_http;
struct admin_guard;
struct admin_pending;
struct admin_hub;

/* ------------------------------------------------------------------------
 * The server and a request
 * ------------------------------------------------------------------------ */

/* The server. */
struct hamd_admin {
    struct hamd_admin_deps deps;       /* the node as the API sees it */
    uv_loop_t *loop;                   /* deps.loop */
    h2o_globalconf_t config;           /* h2o configuration */
    h2o_context_t ctx;                 /* h2o per-loop context */
    h2o_accept_ctx_t accept_ctx;       /* what h2o_accept needs */
    bool ctx_ready;                    /* ctx initialised */
    uv_tcp_t listener;                 /* the admin address */
    bool listener_open;                /* listener initialised, not closed */
    bool closing;                      /* hamd_admin_close was called */
    unsigned open_handles;             /* own handles not yet closed */
    unsigned n_conns;                  /* client connections open */
    uv_handle_t *h2o_handles[ADMIN_H2O_HANDLES_MAX]; /* unref'd at close */
    unsigned n_h2o_handles;            /* used entries of h2o_handles */
    char token[ADMIN_TOKEN_MAX];       /* bearer token, "" = no token */
    size_t token_len;                  /* its length */
    struct hamd_log_rate auth_log_rate; /* refused tokens: log a few */
    uint64_t auth_failures;            /* refused tokens, since start */
    uint64_t refused;                  /* requests refused before h2o
                                          (admin_conn.c), since start */
    struct hamd_log_rate refuse_log_rate; /* those refusals: log a few */
    struct admin_http *http;           /* forwards to the leader */
    SSL_CTX *tls_server;               /* [admin] tls_cert/tls_key; NULL:
                                          plain HTTP */
    SSL_CTX *tls_client;               /* verifies the members against
                                          tls_ca; NULL with tls_server */
    struct admin_pending *pending;     /* answers still owed (list head) */
    struct admin_route routes[ADMIN_ROUTES_MAX]; /* the routing table */
    size_t n_routes;                   /* used rows of routes */
    struct admin_logring *logring;     /* recent log lines */
    struct admin_hub *hub;             /* live streams */
};

/* One request as a handler sees it. */
struct admin_call {
    struct hamd_admin *admin;          /* the server */
    const struct hamd_admin_deps *deps; /* &admin->deps */
    h2o_req_t *req;                    /* the h2o request */
    struct admin_route_match match;    /* route and path captures */
};

/* "https" when the members serve TLS, else "http": the scheme of every
 * URL of another member's admin API. */
const char *admin_scheme(const struct hamd_admin *self);

/* ------------------------------------------------------------------------
 * admin_conn.c: connections
 * ------------------------------------------------------------------------ */

/* Takes an accepted connection: the TLS handshake when the node serves
 * TLS (a client that speaks plain HTTP gets a JSON 400 instead), then its
 * request head screened (admin_head.h; a refusal is a JSON 400, 413 or
 * 431), then h2o. tcp is the first member of a struct admin_conn. */
void admin_conn_accept(struct hamd_admin *self, uv_stream_t *listener);

/* ------------------------------------------------------------------------
 * admin_refuse.c: JSON refusals
 * ------------------------------------------------------------------------ */

/* Makes every error answer h2o produces itself (an unreadable chunked
 * body, a body over its own limit, an unknown Expect) JSON {error}. Call
 * once on the host's paths before h2o_context_init. */
void admin_refuse_filter_register(struct hamd_admin *self,
                                  h2o_pathconf_t *path);

/* The bytes of a whole refusal, written on a socket h2o does not serve:
 * status, {"error": msg}, Connection: close. Returns its length (at most
 * cap; the answer is cut to fit). */
size_t admin_refuse_bytes(int status, const char *msg, char *out, size_t cap);

/* ------------------------------------------------------------------------
 * Routing tables of the handler files (NULL-pattern terminated)
 * ------------------------------------------------------------------------ */

extern const struct admin_route ADMIN_STATUS_ROUTES[];
extern const struct admin_route ADMIN_ACCOUNTS_ROUTES[];
extern const struct admin_route ADMIN_SUBS_ROUTES[];
extern const struct admin_route ADMIN_CLUSTER_ROUTES[];
extern const struct admin_route ADMIN_FAILOVER_ROUTES[]; /* admin_failover.c */
extern const struct admin_route ADMIN_SECRETS_ROUTES[];  /* admin_secrets.c */
extern const struct admin_route ADMIN_VIEW_ROUTES[];     /* admin_view.c */
extern const struct admin_route ADMIN_STREAM_ROUTES[];   /* admin_stream.c */
extern const struct admin_route ADMIN_LOGS_ROUTES[];     /* admin_logs.c */
extern const struct admin_route ADMIN_CONSOLE_ROUTES[];  /* admin_console.c */

/* Every table above, NULL-terminated, in the order requests are matched
 * (admin.c; tests/unit/test_admin_openapi.c compares it with the API
 * description). */
extern const struct admin_route *const ADMIN_ROUTE_TABLES[];

/* ------------------------------------------------------------------------
 * admin_reply.c: answers
 * ------------------------------------------------------------------------ */

/* The reason phrase of an HTTP status ("Not Found"). */
const char *admin_reason_phrase(int status);

/* Sends status with the JSON of body (stolen: the reference is
 * released). NULL body (out of memory) becomes a 500. Returns 0. */
int admin_reply_json(h2o_req_t *req, int status, json_t *body);

/* Sends {"error": msg, "field": field} (field omitted when NULL or "").
 * Returns 0. */
int admin_reply_error(h2o_req_t *req, int status, const char *field,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sends the refusal of a validator (admin_validate.h): its status and
 * {"error": msg, "field": field}. Returns 0. */
int admin_reply_verdict(h2o_req_t *req, const struct admin_verdict *v);

/* Sends a body of the given content type as is. Returns 0. */
int admin_reply_raw(h2o_req_t *req, int status, const char *content_type,
                    const char *body, size_t len);

/* Parses the request body as one JSON value. Returns it (a new
 * reference), or NULL after answering 400 (not JSON, empty) or 413 (over
 * [admin] max_body_bytes). The error never quotes the body. */
json_t *admin_body_json(struct admin_call *call);

/* Copies capture i of the path (an id) into out. Returns false after
 * answering 400 when it is missing or too long. */
bool admin_path_id(struct admin_call *call, unsigned i, char *out,
                   size_t cap);

/* The raw query string (after '?') of the request and its length. */
const char *admin_query(const h2o_req_t *req, size_t *len);

/* Finds a request header by lower-case name. Returns its value or NULL. */
const h2o_iovec_t *admin_header(const h2o_req_t *req, const char *name);

/* Reads [admin] token_file into the server. Returns -1 (and logs why,
 * naming the file, never the token) when it is unreadable, empty, too
 * long or readable by others. */
int admin_token_load(struct hamd_admin *self, const char *path);

/* True when the call may mutate: no token is configured, or the request
 * carries the right bearer token. Otherwise answers 401. */
bool admin_authorized(struct admin_call *call);

/* Reads the query string of the call: each parameter is passed to fn,
 * which returns false to refuse it. Returns false after answering 400
 * (naming the field and saying `expected`, admin_query_check) for a
 * refused or malformed parameter. */
bool admin_query_each(struct admin_call *call, admin_query_fn fn, void *ud,
                      const char *expected);

/* ------------------------------------------------------------------------
 * admin_status.c, admin_view.c, admin_logs.c: what the console reads
 * ------------------------------------------------------------------------ */

/* This node's GET /api/status document, or NULL when out of memory. */
json_t *admin_status_json(const struct hamd_admin *admin);

/* Completion of admin_view_gather: view is the GET /api/cluster document
 * (the callee owns it), NULL when out of memory. */
typedef void (*admin_view_cb)(void *ud, json_t *view);

/* Asks every other member's /api/status at once (briefly), adds this
 * node's own, and calls done once every member answered or timed out (a
 * standalone node: from inside this call). Returns 0, or -1 (done is not
 * called) when out of memory. */
int admin_view_gather(struct hamd_admin *admin, admin_view_cb done, void *ud);

/* A log line as GET /api/logs and the stream show it:
 * {seq, ts, level, tag, msg}. */
json_t *admin_logline_json(const struct admin_logline *line);

/* ------------------------------------------------------------------------
 * admin_stream.c: the hub of the live streams
 * ------------------------------------------------------------------------ */

/* Creates the hub and makes it the logger's sink (lines go to
 * admin->logring). Returns NULL when out of memory. */
struct admin_hub *admin_hub_new(struct hamd_admin *admin);

/* Shutdown: the logger's sink is removed, every stream ends (a clean end
 * when nothing is in flight, else the connection is cut) and the hub's
 * handles close. Idempotent. */
void admin_hub_close(struct admin_hub *hub);

/* Frees the hub once its handles are closed (else leaves it: the process
 * is exiting after an aborted loop). Nulls *hub. */
void admin_hub_destroy(struct admin_hub **hub);

/* ------------------------------------------------------------------------
 * admin_secrets.c: secret params on the write path
 * ------------------------------------------------------------------------ */

/* Seals the secret params of *a with the cluster key (nothing without a
 * key_file). Returns false after answering 400 (they no longer fit). */
bool admin_secrets_seal(struct admin_call *call, struct hamd_account *a);

/* ------------------------------------------------------------------------
 * admin_pending.c: answers owed after an asynchronous step
 * ------------------------------------------------------------------------ */

/* How a committed write is answered: reads the store and replies on req
 * about key. Returns 0. */
typedef int (*admin_commit_fn)(struct hamd_admin *admin, h2o_req_t *req,
                               const char *key);

/* An answer owed after an asynchronous step (Raft commit, forward,
 * transfer). The client may leave meanwhile: a guard allocated in the
 * request's memory pool clears req when h2o disposes of the request, so a
 * late completion finds req == NULL and never touches freed memory. */
struct admin_pending {
    struct hamd_admin *admin;          /* the server */
    h2o_req_t *req;                    /* NULL once the request is gone */
    struct admin_guard *guard;         /* in req's pool; NULL once gone */
    admin_commit_fn done;              /* answers a committed write */
    char key[ADMIN_ID_MAX];            /* what the answer is about */
    uint64_t target;                   /* node id (transfer, forward) */
    struct admin_pending *prev;        /* admin->pending list */
    struct admin_pending *next;        /* admin->pending list */
};

/* Creates a pending answer for call's request. Returns NULL when out of
 * memory. */
struct admin_pending *admin_pending_new(struct admin_call *call);

/* Releases a pending answer (after answering, or when the request is
 * gone). */
void admin_pending_free(struct admin_pending *p);

/* Frees every pending answer left (destroy after an aborted loop). */
void admin_pending_free_all(struct hamd_admin *self);

/* ------------------------------------------------------------------------
 * admin_write.c: the write path
 * ------------------------------------------------------------------------ */

/* True when this node may take writes itself (leader or standalone). */
bool admin_is_leader(const struct admin_call *call);

/* Submits cmd through Raft (the call keeps no reference to cmd). On
 * commit with no business error, done answers; a business error of the
 * FSM is answered with its status, message and field; a Raft error with
 * 503. A node that turns out not to lead forwards instead. Returns 0. */
int admin_write_submit(struct admin_call *call, const struct hamd_cmd *cmd,
                       admin_commit_fn done, const char *key);

/* Relays the request to the leader's admin API and relays its answer;
 * 503 {"error": "no leader"} when no leader is known, when this request
 * was already forwarded once, or when the leader cannot be reached.
 * Returns 0. */
int admin_forward(struct admin_call *call);

/* Relays the request to node node_id's admin API (a request meant for
 * that node, e.g. restarting its gateway) and relays its answer, with an
 * extra X-Hamd-Node header; 404 (field node) when the node is not a
 * [peer.N], 503 when it cannot be reached, 409 when this request was
 * already forwarded once. Returns 0. */
int admin_forward_to(struct admin_call *call, unsigned node_id);

/* Answers 503 (413 for too big) for a failed status of raft/cluster.h,
 * a negated libraft code (-RAFT_NOTLEADER, -RAFT_LEADERSHIPLOST,
 * -RAFT_SHUTDOWN ...). Returns 0. */
int admin_reply_raft_error(h2o_req_t *req, int status);

/* ------------------------------------------------------------------------
 * admin_http.c: HTTP/1.1 requests from the control loop
 * ------------------------------------------------------------------------ */

/* Completion of admin_http_start: status 0 when an answer came, with its
 * HTTP status, its body (NUL-terminated, valid only during the call) and
 * error NULL; status < 0 when none came, a libuv error code
 * (UV_ECONNREFUSED, UV_ETIMEDOUT, UV_EPROTO for an answer refused,
 * UV_ECANCELED at shutdown ...), with http_status 0, body NULL and error
 * saying why. */
typedef void (*admin_http_cb)(void *ud, int status, long http_status,
                              const char *body, size_t len,
                              const char *error);

/* Creates the client on loop; it holds no libuv handle until a request
 * starts. tls (not owned; NULL: none) verifies https:// peers. Returns
 * NULL when out of memory. */
struct admin_http *admin_http_new(uv_loop_t *loop, SSL_CTX *tls);

/* Starts a request; done is called exactly once, from the loop, never
 * from inside this call. Returns 0, or -1 (done is never called) when it
 * cannot start: the client is closing, the URL is not http[s]://host:port/...
 * (https:// without a TLS context), a method or header line is malformed,
 * or out of memory. */
int admin_http_start(struct admin_http *self, const struct admin_http_req *r,
                     admin_http_cb done, void *ud);

/* No new requests; those in flight run to completion (each bounded by its
 * timeout), so the loop ends once they are done. */
void admin_http_close(struct admin_http *self);

/* Fails what is left (done is called with UV_ECANCELED, "shutting
 * down") and frees the
 * client; the memory of those requests is released by the loop's close
 * callbacks. Nulls *self. */
void admin_http_destroy(struct admin_http **self);

#endif /* HAMD_ADMIN_INTERNAL_H */
