/* Connections of the admin API, from accept to h2o (docs/security.md):
 *
 *   1. With [admin] tls_cert, the first byte must open a TLS handshake;
 *      a client speaking plain HTTP gets a JSON 400 saying so (nothing
 *      else is served on that port), then the handshake runs.
 *   2. The request head is read and screened (admin_head.h) before h2o
 *      parses it: what h2o would answer in plain text, and a body declared
 *      over [admin] max_body_bytes, is refused with a JSON 400, 413 or 431
 *      (admin_refuse.c) without reading the body. Refusals are counted
 *      and logged at a limited rate, with the client's address.
 *   3. A good head goes to h2o with the connection (h2o_http1_accept),
 *      which serves this one request and closes: admin.c's req_cb, which
 *      every request h2o parses reaches first, marks it not persistent,
 *      so h2o's answer says Connection: close and h2o closes once it is
 *      out, without parsing what the client sent after; h2o's own error
 *      answers close anyway. A client's next request comes on a new
 *      connection, screened too (tests/integration/
 *      test_admin_refusals.py sends one after a keep-alive request).
 *
 * After a refusal the connection reads and drops what the client still
 * sends, until it closes or the request timeout passes, before closing
 * it: closing a socket with unread bytes makes the kernel send a reset,
 * which can destroy the answer before the client has read it (a client
 * sending a 20 MB body reads the 413 only once its body is out).
 *
 * Every step is bounded by the request timeout (ADMIN_REQ_TIMEOUT_MS,
 * h2o's own timeout list of the context), so hamd_admin_close ends them
 * at once too.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin/admin_internal.h"
#include "common/log.h"

#include <h2o/http1.h> /* after h2o.h, which it needs */

#define CONN_TLS_RECORD_HANDSHAKE 0x16 /* first byte of a TLS ClientHello */
#define CONN_REFUSAL_MAX 512           /* bytes of a refusal on the wire */

/* One accepted connection until h2o takes it (and its handle after). */
struct admin_conn {
    uv_tcp_t tcp;                 /* first: h2o's close callback passes it */
    struct hamd_admin *admin;     /* the server */
    h2o_socket_t *sock;           /* h2o's socket over tcp */
    h2o_timeout_entry_t timeout;  /* screening, then lingering, deadline */
    struct timeval connected_at;  /* when it was accepted (h2o's logs) */
    uv_shutdown_t shutdown;       /* ends our side after a refusal */
    char refusal[CONN_REFUSAL_MAX]; /* the refusal being written */
};

static void head_cb(h2o_socket_t *sock, const char *err);

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

static void conn_closed_cb(uv_handle_t *h)
{
    struct admin_conn *c = (struct admin_conn *)h;
    if (h2o_timeout_is_linked(&c->timeout))
        h2o_timeout_unlink(&c->timeout);
    c->admin->n_conns--;
    free(c);
}

static void conn_close(struct admin_conn *c)
{
    if (h2o_timeout_is_linked(&c->timeout))
        h2o_timeout_unlink(&c->timeout);
    h2o_socket_close(c->sock);
}

static void timeout_cb(h2o_timeout_entry_t *entry)
{
    conn_close(H2O_STRUCT_FROM_MEMBER(struct admin_conn, timeout, entry));
}

/* (Re)starts the deadline: the request timeout from now. */
static void deadline_reset(struct admin_conn *c)
{
    if (h2o_timeout_is_linked(&c->timeout))
        h2o_timeout_unlink(&c->timeout);
    h2o_timeout_link(c->admin->loop, &c->admin->ctx.http1.req_timeout,
                     &c->timeout);
}

/* ------------------------------------------------------------------------
 * Refusals
 * ------------------------------------------------------------------------ */

/* Drops what the client still sends after its refusal. */
static void linger_cb(h2o_socket_t *sock, const char *err)
{
    struct admin_conn *c = sock->data;
    if (err) {
        conn_close(c);
        return;
    }
    h2o_buffer_consume(&sock->input, sock->input->size);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    (void)req; /* closing is linger_cb's or the deadline's business */
    (void)status;
}

/* The refusal is out: our side ends (the client reading until EOF stops
 * at once) and what the client still sends is read and dropped. */
static void refusal_written_cb(h2o_socket_t *sock, const char *err)
{
    struct admin_conn *c = sock->data;
    if (err || uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp,
                           shutdown_cb) != 0) {
        conn_close(c);
        return;
    }
    deadline_reset(c);
    h2o_buffer_consume(&sock->input, sock->input->size);
    h2o_socket_read_start(sock, linger_cb);
}

/* Answers status {"error": why (the limit)} and closes the connection
 * after. */
static void conn_refuse(struct admin_conn *c, int status, const char *why)
{
    struct hamd_admin *self = c->admin;
    char msg[CONN_REFUSAL_MAX / 2];
    if (status == 413)
        snprintf(msg, sizeof msg, "%s (%u bytes)", why,
                 self->deps.cfg->max_body_bytes);
    else if (status == 431)
        snprintf(msg, sizeof msg, "%s (at most %u bytes and %u header "
                 "lines)", why, ADMIN_HEAD_MAX_BYTES, ADMIN_HEAD_FIELDS_MAX);
    else
        snprintf(msg, sizeof msg, "%s", why);
    why = msg;
    struct sockaddr_storage sa;
    char host[NI_MAXHOST] = "?";
    socklen_t len = h2o_socket_getpeername(c->sock, (struct sockaddr *)&sa);
    if (len)
        h2o_socket_getnumerichost((struct sockaddr *)&sa, len, host);
    self->refused++;
    hamd_log_rated(&self->refuse_log_rate, HAMD_LOG_WARN,
                   "admin: refused a request from %s: %s (%d; %llu so far)",
                   host, why, status, (unsigned long long)self->refused);
    h2o_socket_read_stop(c->sock);
    size_t n = admin_refuse_bytes(status, why, c->refusal, sizeof c->refusal);
    h2o_iovec_t buf = h2o_iovec_init(c->refusal, n);
    h2o_socket_write(c->sock, &buf, 1, refusal_written_cb);
}

/* ------------------------------------------------------------------------
 * TLS, then the head
 * ------------------------------------------------------------------------ */

static void handshake_cb(h2o_socket_t *sock, const char *err)
{
    struct admin_conn *c = sock->data;
    if (err) {
        /* A client that does not trust this certificate, a scanner:
         * nothing to answer, and h2o said nothing either. */
        LOG_DEBUG("admin: TLS handshake failed: %s", err);
        conn_close(c);
        return;
    }
    h2o_socket_read_start(sock, head_cb);
    if (sock->input->size != 0)
        head_cb(sock, NULL);
}

/* The first bytes on a TLS port: a handshake, or plain HTTP to refuse. */
static void first_bytes_cb(h2o_socket_t *sock, const char *err)
{
    struct admin_conn *c = sock->data;
    if (err) {
        conn_close(c);
        return;
    }
    if (sock->input->size == 0)
        return;
    if ((unsigned char)sock->input->bytes[0] != CONN_TLS_RECORD_HANDSHAKE) {
        conn_refuse(c, 400, "this port speaks HTTPS only: use https:// "
                            "(and hactl --cacert)");
        return;
    }
    h2o_socket_read_stop(sock);
    h2o_socket_ssl_handshake(sock, c->admin->tls_server, NULL, handshake_cb);
}

static void head_cb(h2o_socket_t *sock, const char *err)
{
    struct admin_conn *c = sock->data;
    if (err) {
        conn_close(c);
        return;
    }
    const char *why = "";
    enum admin_head_verdict v =
        admin_head_check(sock->input->bytes, sock->input->size,
                         c->admin->deps.cfg->max_body_bytes, &why);
    if (v == ADMIN_HEAD_MORE)
        return;
    if (v != ADMIN_HEAD_OK) {
        conn_refuse(c, admin_head_status(v), why);
        return;
    }
    /* h2o takes the connection and the bytes read so far; its close
     * callback is still conn_closed_cb. */
    h2o_socket_read_stop(sock);
    h2o_timeout_unlink(&c->timeout);
    h2o_http1_accept(&c->admin->accept_ctx, sock, c->connected_at);
}

void admin_conn_accept(struct hamd_admin *self, uv_stream_t *listener)
{
    struct admin_conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->admin = self;
    uv_tcp_init(self->loop, &c->tcp);
    self->n_conns++;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, conn_closed_cb);
        return;
    }
    c->sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, conn_closed_cb);
    c->sock->data = c;
    c->connected_at = *h2o_get_timestamp(&self->ctx, NULL, NULL);
    c->timeout.cb = timeout_cb;
    deadline_reset(c);
    h2o_socket_read_start(c->sock, self->tls_server ? first_bytes_cb : head_cb);
}
