/* A small HTTP/1.1 client on the control loop, for the only requests the
 * daemon sends: a follower relaying a write to the leader's admin API
 * (admin_write.c) and the successor probe (admin_successor.c), both to
 * another node's h2o on the cluster network: plain HTTP, or HTTPS when
 * the members serve TLS ([admin] tls_cert): then the bytes of the same
 * stream go through a memory-buffer TLS session (admin_tls.h) that
 * verifies the peer's certificate against [admin] tls_ca.
 *
 * One request per connection (Connection: close), the answer read whole
 * into a buffer capped at reply_max, every step a libuv handle on this
 * loop: a leader that hangs costs a timer, never a blocked loop, and
 * never a thread-pool thread, which raft_uv needs for its disk work. Only
 * a host that is not a numeric address goes through uv_getaddrinfo (the
 * thread pool); cluster addresses are numeric in practice.
 *
 * Not libcurl: its TLS, SSH, LDAP ... libraries cost the daemon megabytes
 * of resident memory for a feature that only speaks plain HTTP/1.1. */
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_http_parse.h"
#include "admin/admin_internal.h"
#include "admin/admin_tls.h"

#define HTTP_READ_CHUNK (64u << 10)  /* bytes offered to one read */
#define HTTP_ERROR_MAX 192           /* bytes of an error message */
#define HTTP_PORT_TEXT_MAX 8         /* bytes of a port in decimal + NUL */
#define HTTP_TLS_READ_CHUNK (17u << 10) /* ciphertext offered to one read:
                                           a TLS record (16 KiB) and its
                                           overhead */

/* Where a request stands. */
enum http_phase {
    HTTP_CONNECTING,  /* resolving the host or connecting */
    HTTP_EXCHANGING,  /* connected: request sent or going, answer coming */
    HTTP_DONE,        /* done was called (or start failed); closing */
};

/* One request in flight. */
struct http_xfer {
    struct admin_http *owner;     /* the client; NULL once done was called */
    admin_http_cb done;           /* completion */
    void *ud;                     /* its argument */
    enum http_phase phase;        /* where it stands */
    unsigned refs;                /* libuv handles and requests still out */
    unsigned timeout_ms;          /* whole request */
    unsigned connect_timeout_ms;  /* resolving and connecting */
    uint64_t deadline_ms;         /* loop time the whole request ends */
    uv_timer_t timer;             /* connect deadline, then whole deadline */
    uv_getaddrinfo_t resolve;     /* resolving a host name */
    bool resolving;               /* resolve is in flight */
    struct addrinfo *addrs;       /* resolved addresses (uv_freeaddrinfo) */
    struct addrinfo *next_addr;   /* next one to try after a failure */
    bool reconnect;               /* tcp closes to try next_addr */
    uv_tcp_t tcp;                 /* the connection */
    bool tcp_open;                /* tcp initialised and not closing */
    uv_connect_t connect;         /* connecting */
    uv_write_t write;             /* sending out */
    int write_status;             /* < 0: sending failed (libuv error) */
    char *out;                    /* the request bytes; NULL once sent */
    size_t out_len;               /* their length */
    char *in;                     /* answer bytes so far (NUL-terminated) */
    size_t in_len;                /* their length */
    size_t in_cap;                /* bytes allocated for in */
    size_t reply_max;             /* most bytes of answer body */
    struct admin_http_answer ans; /* the answer parsed so far */
    struct admin_tls_pipe *tls;   /* the TLS session (https), else NULL */
    bool tls_ready;               /* its handshake is complete */
    char *tls_in;                 /* ciphertext read buffer (https) */
    char authority[ADMIN_HTTP_AUTHORITY_MAX]; /* host:port, for messages */
    char error[HTTP_ERROR_MAX];   /* why it failed */
    struct http_xfer *prev;       /* owner's list */
    struct http_xfer *next;       /* owner's list */
};

/* The client. */
struct admin_http {
    uv_loop_t *loop;              /* the control loop */
    SSL_CTX *tls;                 /* verifies https peers; NULL: http only */
    bool closing;                 /* no new requests */
    struct http_xfer *xfers;      /* requests in flight (list head) */
};

static void xfer_connect_next(struct http_xfer *x);

/* ------------------------------------------------------------------------
 * Completion and memory
 * ------------------------------------------------------------------------ */

static void xfer_link(struct http_xfer *x)
{
    struct admin_http *self = x->owner;
    x->next = self->xfers;
    if (x->next)
        x->next->prev = x;
    self->xfers = x;
}

static void xfer_unlink(struct http_xfer *x)
{
    struct admin_http *self = x->owner;
    if (!self)
        return;
    if (x->prev)
        x->prev->next = x->next;
    else
        self->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->owner = NULL;
    x->prev = x->next = NULL;
}

/* Drops one reference; the last one, once done, frees the request. */
static void xfer_unref(struct http_xfer *x)
{
    if (--x->refs > 0 || x->phase != HTTP_DONE)
        return;
    if (x->addrs)
        uv_freeaddrinfo(x->addrs);
    admin_tls_pipe_destroy(&x->tls);
    free(x->tls_in);
    free(x->out);
    free(x->in);
    free(x);
}

static void handle_closed_cb(uv_handle_t *h)
{
    xfer_unref(h->data);
}

static void tcp_closed_cb(uv_handle_t *h)
{
    struct http_xfer *x = h->data;
    if (x->reconnect && x->phase == HTTP_CONNECTING) {
        x->reconnect = false;
        xfer_connect_next(x);
    }
    xfer_unref(x);
}

/* Ends the request's I/O: closes its handles and cancels a resolve. The
 * memory goes once libuv has let go of all of them. */
static void xfer_release(struct http_xfer *x)
{
    x->phase = HTTP_DONE;
    if (!uv_is_closing((uv_handle_t *)&x->timer))
        uv_close((uv_handle_t *)&x->timer, handle_closed_cb);
    if (x->tcp_open) {
        x->tcp_open = false;
        uv_close((uv_handle_t *)&x->tcp, tcp_closed_cb);
    }
    if (x->resolving)
        uv_cancel((uv_req_t *)&x->resolve); /* its callback still runs */
}

/* Calls done once: with the answer (status 0) or with status < 0 and the
 * error. */
static void xfer_finish(struct http_xfer *x, int status, const char *error)
{
    if (x->phase == HTTP_DONE)
        return;
    xfer_unlink(x);
    xfer_release(x);
    if (status < 0)
        x->done(x->ud, status, 0, NULL, 0, error);
    else
        x->done(x->ud, 0, x->ans.status, x->in + x->ans.head_len,
                x->ans.body_len, NULL);
}

/* xfer_finish with status (a libuv error) and a formatted error naming
 * the peer. */
static void xfer_fail(struct http_xfer *x, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void xfer_fail(struct http_xfer *x, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(x->error, sizeof x->error, "%s: ", x->authority);
    if (n > 0 && (size_t)n < sizeof x->error)
        vsnprintf(x->error + n, sizeof x->error - (size_t)n, fmt, ap);
    va_end(ap);
    xfer_finish(x, status, x->error);
}

/* ------------------------------------------------------------------------
 * Reading the answer
 * ------------------------------------------------------------------------ */

/* Makes room in x->in for more of the answer (one byte past the limit,
 * so an answer too large is noticed, and one for the NUL that ends the
 * body). Returns the bytes free after x->in_len, 0 when out of memory. */
static size_t in_room(struct http_xfer *x)
{
    size_t limit = ADMIN_HTTP_HEAD_MAX + x->reply_max + 2;
    size_t want = x->in_len + HTTP_READ_CHUNK + 1;
    if (want > limit)
        want = limit;
    if (x->in_cap < want) {
        size_t cap = x->in_cap * 2 > want ? x->in_cap * 2 : want;
        cap = cap > limit ? limit : cap;
        char *grown = realloc(x->in, cap);
        if (!grown)
            return 0;
        x->in = grown;
        x->in_cap = cap;
    }
    return x->in_cap - 1 - x->in_len;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct http_xfer *x = h->data;
    if (x->tls) {
        *buf = uv_buf_init(x->tls_in, HTTP_TLS_READ_CHUNK);
        return;
    }
    size_t room = in_room(x);
    /* No room: read_cb gets UV_ENOBUFS. */
    *buf = room ? uv_buf_init(x->in + x->in_len, (unsigned)room)
                : uv_buf_init(NULL, 0);
}

static void xfer_scan(struct http_xfer *x, bool eof)
{
    const char *why;
    enum admin_http_scan s = admin_http_answer_scan(
        x->in, x->in_len, eof, x->reply_max, &x->ans, &why);
    if (s == ADMIN_HTTP_SCAN_MORE)
        return;
    if (s == ADMIN_HTTP_SCAN_ERROR && x->write_status < 0 && x->in_len == 0)
        xfer_fail(x, x->write_status, "sending the request: %s",
                  uv_strerror(x->write_status));
    else if (s == ADMIN_HTTP_SCAN_ERROR)
        xfer_fail(x, UV_EPROTO, "%s", why);
    else {
        x->in[x->ans.head_len + x->ans.body_len] = '\0';
        xfer_finish(x, 0, NULL);
    }
}

static void tls_read(struct http_xfer *x, const char *data, size_t len);

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct http_xfer *x = s->data;
    if (x->phase == HTTP_DONE || nread == 0)
        return;
    if (nread > 0 && x->tls) {
        tls_read(x, buf->base, (size_t)nread);
    } else if (nread > 0) {
        x->in_len += (size_t)nread;
        x->in[x->in_len] = '\0';
        xfer_scan(x, false);
    } else if (nread == UV_EOF) {
        xfer_scan(x, true);
    } else {
        xfer_fail(x, (int)nread, "reading the answer: %s",
                  uv_strerror((int)nread));
    }
}

static void written_cb(uv_write_t *w, int status)
{
    struct http_xfer *x = w->data;
    free(x->out);
    x->out = NULL;
    /* A peer may answer (413, say) and close before reading the whole
     * body: the answer decides, the error only explains a missing one. */
    if (status < 0)
        x->write_status = status;
}

/* ------------------------------------------------------------------------
 * HTTPS: the same bytes through the TLS session
 * ------------------------------------------------------------------------ */

/* One write of ciphertext in flight. */
struct tls_write {
    uv_write_t req;       /* libuv's request */
    struct http_xfer *x;  /* whose */
    char *data;           /* the bytes (malloc) */
};

static void tls_written_cb(uv_write_t *w, int status)
{
    struct tls_write *tw = w->data;
    if (status < 0)
        tw->x->write_status = status;
    struct http_xfer *x = tw->x;
    free(tw->data);
    free(tw);
    xfer_unref(x);
}

/* Sends what the session has for the network. Returns 0, or a libuv
 * error. */
static int tls_flush(struct http_xfer *x)
{
    char *data;
    size_t len;
    if (admin_tls_pipe_take(x->tls, &data, &len) < 0)
        return UV_ENOMEM;
    if (len == 0)
        return 0;
    struct tls_write *tw = malloc(sizeof *tw);
    if (!tw) {
        free(data);
        return UV_ENOMEM;
    }
    tw->x = x;
    tw->data = data;
    tw->req.data = tw;
    uv_buf_t b = uv_buf_init(data, (unsigned)len);
    int rc = uv_write(&tw->req, (uv_stream_t *)&x->tcp, &b, 1, tls_written_cb);
    if (rc != 0) {
        free(data);
        free(tw);
        return rc;
    }
    x->refs++;
    return 0;
}

/* Moves the plaintext the session has into the answer buffer. Returns
 * false after failing the request. */
static bool tls_drain(struct http_xfer *x, bool *closed)
{
    for (;;) {
        size_t room = in_room(x), n = 0;
        if (room == 0) {
            xfer_fail(x, UV_ENOBUFS, "the answer is too large");
            return false;
        }
        enum admin_tls_step st =
            admin_tls_pipe_read(x->tls, x->in + x->in_len, room, &n);
        if (st == ADMIN_TLS_OK) {
            x->in_len += n;
            x->in[x->in_len] = '\0';
            continue;
        }
        if (st == ADMIN_TLS_FAILED) {
            xfer_fail(x, UV_EPROTO, "TLS: %s", admin_tls_pipe_error(x->tls));
            return false;
        }
        *closed = st == ADMIN_TLS_CLOSED;
        return true;
    }
}

/* Ciphertext came: the handshake goes on (then the request goes), or the
 * answer's plaintext is read. */
static void tls_read(struct http_xfer *x, const char *data, size_t len)
{
    if (admin_tls_pipe_feed(x->tls, data, len) < 0) {
        xfer_fail(x, UV_ENOMEM, "out of memory");
        return;
    }
    if (!x->tls_ready) {
        enum admin_tls_step st = admin_tls_pipe_handshake(x->tls);
        if (st == ADMIN_TLS_FAILED || st == ADMIN_TLS_CLOSED) {
            xfer_fail(x, UV_EPROTO, "TLS: %s", admin_tls_pipe_error(x->tls));
            return;
        }
        if (st == ADMIN_TLS_OK) {
            x->tls_ready = true;
            if (admin_tls_pipe_write(x->tls, x->out, x->out_len) < 0) {
                xfer_fail(x, UV_EPROTO, "TLS: cannot send the request");
                return;
            }
            free(x->out);
            x->out = NULL;
        }
        int rc = tls_flush(x);
        if (rc != 0) {
            xfer_fail(x, rc, "sending: %s", uv_strerror(rc));
            return;
        }
        if (!x->tls_ready)
            return;
    }
    bool closed = false;
    if (tls_drain(x, &closed))
        xfer_scan(x, closed);
}

/* Connected: the TLS handshake starts; the request follows it. */
static int tls_start(struct http_xfer *x)
{
    if (admin_tls_pipe_handshake(x->tls) == ADMIN_TLS_FAILED)
        return UV_EPROTO;
    int rc = tls_flush(x);
    return rc ? rc : uv_read_start((uv_stream_t *)&x->tcp, alloc_cb, read_cb);
}

/* ------------------------------------------------------------------------
 * Connecting
 * ------------------------------------------------------------------------ */

static void timer_cb(uv_timer_t *t)
{
    struct http_xfer *x = t->data;
    if (x->phase == HTTP_CONNECTING)
        xfer_fail(x, UV_ETIMEDOUT, "cannot connect within %u ms",
                  x->connect_timeout_ms);
    else
        xfer_fail(x, UV_ETIMEDOUT, "no answer within %u ms", x->timeout_ms);
}

/* Connected: the whole-request deadline takes over, the request goes. */
static void xfer_send(struct http_xfer *x)
{
    x->phase = HTTP_EXCHANGING;
    uint64_t now = uv_now(x->timer.loop);
    uv_timer_start(&x->timer, timer_cb,
                   x->deadline_ms > now ? x->deadline_ms - now : 0, 0);
    uv_tcp_nodelay(&x->tcp, 1);
    int rc;
    if (x->tls) {
        rc = tls_start(x);
    } else {
        uv_buf_t b = uv_buf_init(x->out, (unsigned)x->out_len);
        x->write.data = x;
        rc = uv_write(&x->write, (uv_stream_t *)&x->tcp, &b, 1, written_cb);
        if (rc == 0)
            rc = uv_read_start((uv_stream_t *)&x->tcp, alloc_cb, read_cb);
    }
    if (rc != 0)
        xfer_fail(x, rc, "sending the request: %s", uv_strerror(rc));
}

static void connected_cb(uv_connect_t *c, int status)
{
    struct http_xfer *x = c->data;
    if (x->phase != HTTP_CONNECTING || status == UV_ECANCELED)
        return;
    if (status == 0) {
        xfer_send(x);
    } else if (x->next_addr) {
        /* Another address of the name may answer: try it once the
         * handle is closed (tcp_closed_cb). */
        x->reconnect = true;
        x->tcp_open = false;
        uv_close((uv_handle_t *)&x->tcp, tcp_closed_cb);
    } else {
        xfer_fail(x, status, "cannot connect: %s", uv_strerror(status));
    }
}

/* Opens the connection to sa. Returns 0 or a libuv error. */
static int xfer_connect(struct http_xfer *x, const struct sockaddr *sa)
{
    int rc = uv_tcp_init(x->timer.loop, &x->tcp);
    if (rc != 0)
        return rc;
    x->tcp.data = x;
    x->tcp_open = true;
    x->refs++;
    x->connect.data = x;
    return uv_tcp_connect(&x->connect, &x->tcp, sa, connected_cb);
}

/* Tries the next resolved address. */
static void xfer_connect_next(struct http_xfer *x)
{
    while (x->next_addr && x->next_addr->ai_family != AF_INET &&
           x->next_addr->ai_family != AF_INET6)
        x->next_addr = x->next_addr->ai_next;
    struct addrinfo *ai = x->next_addr;
    if (!ai) {
        xfer_fail(x, UV_EADDRNOTAVAIL, "cannot connect: no usable address");
        return;
    }
    x->next_addr = ai->ai_next;
    int rc = xfer_connect(x, ai->ai_addr);
    if (rc != 0)
        xfer_fail(x, rc, "cannot connect: %s", uv_strerror(rc));
}

static void resolved_cb(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res)
{
    struct http_xfer *x = req->data;
    x->resolving = false;
    x->addrs = res; /* freed with the request, whatever happens */
    if (x->phase == HTTP_CONNECTING && status != 0)
        xfer_fail(x, status, "cannot resolve the host: %s",
                  uv_strerror(status));
    else if (x->phase == HTTP_CONNECTING) {
        x->next_addr = res;
        xfer_connect_next(x);
    }
    xfer_unref(x);
}

/* Starts connecting to t: at once for a numeric address, else after
 * uv_getaddrinfo. Returns 0 or a libuv error. */
static int xfer_open(struct http_xfer *x, const struct admin_http_target *t)
{
    struct sockaddr_storage sa;
    if (uv_ip4_addr(t->host, (int)t->port, (struct sockaddr_in *)&sa) == 0 ||
        uv_ip6_addr(t->host, (int)t->port, (struct sockaddr_in6 *)&sa) == 0)
        return xfer_connect(x, (struct sockaddr *)&sa);
    char port[HTTP_PORT_TEXT_MAX];
    snprintf(port, sizeof port, "%u", t->port);
    const struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
        .ai_protocol = IPPROTO_TCP, .ai_flags = AI_NUMERICSERV,
    };
    x->resolve.data = x;
    int rc = uv_getaddrinfo(x->timer.loop, &x->resolve, resolved_cb, t->host,
                            port, &hints);
    if (rc == 0) {
        x->resolving = true;
        x->refs++;
    }
    return rc;
}

/* ------------------------------------------------------------------------
 * Requests and life cycle
 * ------------------------------------------------------------------------ */

int admin_http_start(struct admin_http *self, const struct admin_http_req *r,
                     admin_http_cb done, void *ud)
{
    struct admin_http_target t;
    if (!self || self->closing || !r || !r->url || !r->method || !done ||
        admin_http_url_parse(r->url, &t) < 0)
        return -1;
    if (t.tls && !self->tls)
        return -1; /* https, but this node serves no TLS */
    struct http_xfer *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    if (admin_http_request_build(&t, r, &x->out, &x->out_len) < 0 ||
        (t.tls && (!(x->tls = admin_tls_pipe_new(self->tls, t.host)) ||
                   !(x->tls_in = malloc(HTTP_TLS_READ_CHUNK))))) {
        admin_tls_pipe_destroy(&x->tls);
        free(x->tls_in);
        free(x->out);
        free(x);
        return -1;
    }
    x->done = done;
    x->ud = ud;
    x->timeout_ms = r->timeout_ms ? r->timeout_ms : ADMIN_FORWARD_TIMEOUT_MS;
    x->connect_timeout_ms = r->connect_timeout_ms
                                ? r->connect_timeout_ms
                                : ADMIN_FORWARD_CONNECT_TIMEOUT_MS;
    if (x->connect_timeout_ms > x->timeout_ms)
        x->connect_timeout_ms = x->timeout_ms;
    x->reply_max = r->reply_max ? r->reply_max : ADMIN_FORWARD_REPLY_MAX;
    snprintf(x->authority, sizeof x->authority, "%s", t.authority);
    uv_timer_init(self->loop, &x->timer);
    x->timer.data = x;
    x->refs = 1;
    x->deadline_ms = uv_now(self->loop) + x->timeout_ms;
    if (xfer_open(x, &t) != 0) {
        xfer_release(x); /* done is never called: start fails */
        return -1;
    }
    uv_timer_start(&x->timer, timer_cb, x->connect_timeout_ms, 0);
    x->owner = self;
    xfer_link(x);
    return 0;
}

struct admin_http *admin_http_new(uv_loop_t *loop, SSL_CTX *tls)
{
    struct admin_http *self = calloc(1, sizeof *self);
    if (self) {
        self->loop = loop;
        self->tls = tls;
    }
    return self;
}

void admin_http_close(struct admin_http *self)
{
    if (self)
        self->closing = true;
}

void admin_http_destroy(struct admin_http **selfp)
{
    struct admin_http *self = *selfp;
    if (!self)
        return;
    *selfp = NULL;
    self->closing = true;
    /* Requests are left only after an aborted loop: fail them. */
    while (self->xfers) {
        struct http_xfer *x = self->xfers;
        snprintf(x->error, sizeof x->error, "shutting down");
        xfer_finish(x, UV_ECANCELED, x->error);
    }
    free(self);
}
