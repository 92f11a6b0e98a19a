/* admin_http.c, the daemon's HTTP/1.1 client, against a tiny TCP server
 * in this process (127.0.0.1, port chosen by the kernel) on the same
 * libuv loop, answering canned bytes: whole answers, answers in pieces,
 * chunked answers, answers too large, garbage, a peer that closes early
 * or never answers, a refused connection, and what the request looks
 * like on the wire. Every test checks that done is called exactly once
 * and that the loop ends with no handle left (uv_loop_close succeeds), so
 * under ASan/LSan nothing leaks either. No test asserts a duration. */
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "admin/admin_http_parse.h"
#include "admin/admin_internal.h"

#define TEST_TIMEOUT_MS 5000          /* a request that should succeed */
#define TEST_SHORT_TIMEOUT_MS 200     /* a request meant to time out */
#define TEST_CONNECT_TIMEOUT_MS 2000  /* connecting to 127.0.0.1 */
#define TEST_WATCHDOG_MS 30000        /* a hung test fails, never hangs */
#define TEST_PIECE_GAP_MS 5           /* between the pieces of an answer */
#define TEST_SEEN_MAX 8192            /* bytes of requests the server keeps */
#define TEST_SMALL_REPLY_MAX 1024     /* answer cap of the size tests */
#define TEST_BIG_BODY 5000            /* bytes of a body over that cap */
#define TEST_BIG_HEAD (20u << 10)     /* bytes of a header over the limit */
#define TEST_PIECES_MAX 8             /* pieces of one canned answer */
#define TEST_CONNS_MAX 4              /* server connections at once */
#define TEST_REQS_MAX 2               /* client requests of one test */
#define TEST_URL_MAX 128              /* bytes of a test URL */
#define TEST_TEXT_MAX 256             /* bytes of a recorded body or error */
#define TEST_BACKLOG 8                /* listen(2) backlog of the server */

/* What the server does once it has a whole request. */
enum srv_mode {
    SRV_ANSWER, /* sends the pieces */
    SRV_CLOSE,  /* closes without a byte */
    SRV_SILENT, /* never answers */
};

struct fixture;

/* One accepted connection. */
struct srv_conn {
    uv_tcp_t tcp;           /* the connection */
    uv_timer_t gap;         /* pause between pieces */
    uv_write_t write;       /* the piece being sent */
    struct fixture *f;      /* the test */
    size_t next_piece;      /* index of the next piece to send */
    bool answering;         /* the first piece has gone */
    bool closing;           /* uv_close was called */
    unsigned open;          /* handles not yet closed */
    char req[TEST_SEEN_MAX]; /* request bytes received */
    size_t req_len;         /* their count */
};

/* What one request's done saw. */
struct result {
    struct fixture *f;            /* the test */
    unsigned calls;               /* done calls */
    int status;                   /* 0, or < 0: no answer (libuv error) */
    long http_status;             /* HTTP status, 0 without an answer */
    bool body_null;               /* body was NULL */
    size_t len;                   /* body length */
    char body[TEST_TEXT_MAX];     /* body (truncated copy) */
    bool has_error;               /* error was not NULL */
    char error[TEST_TEXT_MAX];    /* error text */
};

/* One test's world. */
struct fixture {
    uv_loop_t loop;                        /* shared by client and server */
    struct admin_http *http;               /* the client under test */
    uv_tcp_t listener;                     /* the server */
    bool listening;                        /* listener open */
    int port;                              /* its port */
    enum srv_mode mode;                    /* how it answers */
    const char *pieces[TEST_PIECES_MAX + 1]; /* NULL-ended answer pieces */
    bool keep_open;                        /* after the last piece */
    struct srv_conn *conns[TEST_CONNS_MAX]; /* open connections */
    char seen[TEST_SEEN_MAX];              /* last complete request */
    size_t seen_len;                       /* its bytes */
    uv_timer_t watchdog;                   /* ends a hung test */
    bool hung;                             /* the watchdog fired */
    unsigned expected;                     /* done calls that end the test */
    unsigned calls;                        /* done calls so far */
    struct result res[TEST_REQS_MAX];      /* per request */
};

/* ------------------------------------------------------------------ */
/* The server                                                          */
/* ------------------------------------------------------------------ */

static void on_conn_handle_closed(uv_handle_t *h)
{
    struct srv_conn *c = h->data;
    if (--c->open == 0)
        free(c);
}

static void conn_close(struct srv_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    for (unsigned i = 0; i < TEST_CONNS_MAX; i++)
        if (c->f->conns[i] == c)
            c->f->conns[i] = NULL;
    uv_close((uv_handle_t *)&c->gap, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
}

static void server_stop(struct fixture *f)
{
    if (f->listening) {
        f->listening = false;
        uv_close((uv_handle_t *)&f->listener, NULL);
    }
    for (unsigned i = 0; i < TEST_CONNS_MAX; i++)
        if (f->conns[i])
            conn_close(f->conns[i]);
}

static void send_piece(struct srv_conn *c);

static void on_gap(uv_timer_t *t)
{
    send_piece(t->data);
}

static void on_piece_written(uv_write_t *w, int status)
{
    struct srv_conn *c = w->data;
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    c->next_piece++;
    if (c->f->pieces[c->next_piece])
        uv_timer_start(&c->gap, on_gap, TEST_PIECE_GAP_MS, 0);
    else if (!c->f->keep_open)
        conn_close(c);
}

static void send_piece(struct srv_conn *c)
{
    const char *p = c->f->pieces[c->next_piece];
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)strlen(p));
    c->write.data = c;
    if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1,
                 on_piece_written) != 0)
        conn_close(c);
}

/* True once buf holds a head and the body its Content-Length announces. */
static bool request_complete(const char *buf, size_t len)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return false;
    size_t head = (size_t)(end - buf) + 4;
    const char *cl = strcasestr(buf, "\r\ncontent-length:");
    size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
    return len >= head + body;
}

static void on_srv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct srv_conn *c = h->data;
    *buf = uv_buf_init(c->req + c->req_len,
                       (unsigned)(sizeof c->req - 1 - c->req_len));
}

static void on_srv_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct srv_conn *c = s->data;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    c->req_len += (size_t)nread;
    c->req[c->req_len] = '\0';
    if (c->answering || !request_complete(c->req, c->req_len))
        return;
    struct fixture *f = c->f;
    memcpy(f->seen, c->req, c->req_len + 1);
    f->seen_len = c->req_len;
    c->answering = true;
    if (f->mode == SRV_CLOSE)
        conn_close(c);
    else if (f->mode == SRV_ANSWER && f->pieces[0])
        send_piece(c);
}

static void on_srv_accept(uv_stream_t *listener, int status)
{
    struct fixture *f = listener->data;
    assert_int_equal(status, 0);
    struct srv_conn *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->f = f;
    uv_tcp_init(&f->loop, &c->tcp);
    uv_timer_init(&f->loop, &c->gap);
    c->tcp.data = c->gap.data = c;
    c->open = 2;
    unsigned slot = 0;
    while (slot < TEST_CONNS_MAX && f->conns[slot])
        slot++;
    assert_true(slot < TEST_CONNS_MAX);
    f->conns[slot] = c;
    assert_int_equal(uv_accept(listener, (uv_stream_t *)&c->tcp), 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_srv_alloc, on_srv_read);
}

/* Listens on 127.0.0.1 on a port the kernel picks; answers with the
 * NULL-ended pieces (NULL: none). */
static void server_start(struct fixture *f, enum srv_mode mode,
                         bool keep_open, const char *const *pieces)
{
    f->mode = mode;
    f->keep_open = keep_open;
    size_t n = 0;
    while (pieces && pieces[n]) {
        assert_true(n < TEST_PIECES_MAX);
        f->pieces[n] = pieces[n];
        n++;
    }
    f->pieces[n] = NULL;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    uv_tcp_init(&f->loop, &f->listener);
    f->listener.data = f;
    assert_int_equal(uv_tcp_bind(&f->listener, (struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&f->listener, TEST_BACKLOG,
                               on_srv_accept), 0);
    f->listening = true;
    struct sockaddr_storage bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&f->listener, (struct sockaddr *)&bound, &len);
    f->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

/* ------------------------------------------------------------------ */
/* The client side                                                     */
/* ------------------------------------------------------------------ */

static void on_done(void *ud, int status, long http_status, const char *body,
                    size_t len, const char *error)
{
    struct result *r = ud;
    struct fixture *f = r->f;
    r->calls++;
    r->status = status;
    r->http_status = http_status;
    r->body_null = body == NULL;
    r->len = len;
    if (body)
        snprintf(r->body, sizeof r->body, "%.*s", (int)len, body);
    r->has_error = error != NULL;
    if (error)
        snprintf(r->error, sizeof r->error, "%s", error);
    if (++f->calls == f->expected)
        server_stop(f);
}

static void on_watchdog(uv_timer_t *t)
{
    struct fixture *f = t->data;
    f->hung = true;
    server_stop(f);
    admin_http_destroy(&f->http);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->http = admin_http_new(&f->loop, NULL);
    assert_non_null(f->http);
    for (unsigned i = 0; i < TEST_REQS_MAX; i++)
        f->res[i].f = f;
    f->expected = 1;
    uv_timer_init(&f->loop, &f->watchdog);
    f->watchdog.data = f;
    uv_timer_start(&f->watchdog, on_watchdog, TEST_WATCHDOG_MS, 0);
    uv_unref((uv_handle_t *)&f->watchdog); /* does not keep the loop up */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    server_stop(f);
    admin_http_destroy(&f->http);
    assert_null(f->http);
    uv_close((uv_handle_t *)&f->watchdog, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0); /* no handle left */
    assert_false(f->hung);
    free(f);
    return 0;
}

/* A GET of path on the test server. */
static struct admin_http_req get_req(const struct fixture *f, char *url,
                                     const char *path)
{
    snprintf(url, TEST_URL_MAX, "http://127.0.0.1:%d%s", f->port, path);
    return (struct admin_http_req){
        .url = url, .method = "GET", .timeout_ms = TEST_TIMEOUT_MS,
        .connect_timeout_ms = TEST_CONNECT_TIMEOUT_MS,
    };
}

/* Starts r, checks done is not called from inside start, runs the loop
 * until everything has closed, and checks done ran exactly once. */
static struct result *run_one(struct fixture *f, const struct admin_http_req *r)
{
    assert_int_equal(admin_http_start(f->http, r, on_done, &f->res[0]), 0);
    assert_int_equal(f->res[0].calls, 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->res[0].calls, 1);
    return &f->res[0];
}

static void assert_ok(const struct result *r, long http_status,
                      const char *body)
{
    assert_false(r->has_error);
    assert_int_equal(r->status, 0);
    assert_int_equal(r->http_status, http_status);
    assert_false(r->body_null);
    assert_int_equal(r->len, strlen(body));
    assert_string_equal(r->body, body);
}

static void assert_failed(const struct result *r, const char *why)
{
    assert_true(r->status < 0);
    assert_int_equal(r->http_status, 0);
    assert_true(r->body_null);
    assert_int_equal(r->len, 0);
    assert_true(r->has_error);
    if (!strstr(r->error, why))
        fail_msg("error '%s' does not say '%s'", r->error, why);
}

/* Serves the pieces (keep_open: the server never closes) to one GET with
 * reply cap reply_max (0 = default). */
static struct result *get_with(struct fixture *f, bool keep_open,
                               size_t reply_max, const char *const *pieces)
{
    server_start(f, SRV_ANSWER, keep_open, pieces);
    char url[TEST_URL_MAX];
    struct admin_http_req r = get_req(f, url, "/api/status");
    r.reply_max = reply_max;
    return run_one(f, &r);
}

/* ------------------------------------------------------------------ */
/* Answers                                                             */
/* ------------------------------------------------------------------ */

static const char JSON[] = "{\"node_id\":2,\"leader\":true}";

/* The answer ends at Content-Length, although the server keeps the
 * connection open (so it is not EOF that ends it). */
static void test_content_length(void **state)
{
    struct fixture *f = *state;
    char head[TEST_TEXT_MAX];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nServer: h2o\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
             strlen(JSON));
    const char *pieces[] = {head, JSON, NULL};
    assert_ok(get_with(f, true, 0, pieces), 200, JSON);
}

static void test_split_answer(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {
        "HT", "TP/1.1 201 Cre", "ated\r\nContent-Le", "ngth: 10\r\n\r",
        "\n{\"a\":", "true}", NULL,
    };
    assert_ok(get_with(f, false, 0, pieces), 201, "{\"a\":true}");
}

static void test_body_until_close(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.0 404 Not Found\r\n\r\n", "{\"error\":",
                            "\"no\"}", NULL};
    assert_ok(get_with(f, false, 0, pieces), 404, "{\"error\":\"no\"}");
}

static void test_no_content(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 204 No Content\r\n\r\n", NULL};
    assert_ok(get_with(f, true, 0, pieces), 204, "");
}

static void test_chunked(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "4\r\nWiki\r\n5;ext=1\r\npe", "dia\r\n0\r\nX-Trailer: 1\r\n\r\n",
        NULL,
    };
    assert_ok(get_with(f, false, 0, pieces), 200, "Wikipedia");
}

static void test_chunked_truncated(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "4\r\nWiki\r\n9\r\npe", NULL,
    };
    assert_failed(get_with(f, false, 0, pieces), "chunked");
}

static void test_chunked_garbage(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "zz\r\nWiki\r\n0\r\n\r\n", NULL,
    };
    assert_failed(get_with(f, false, 0, pieces), "chunked");
}

static void test_other_transfer_encoding(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", NULL,
    };
    assert_failed(get_with(f, true, 0, pieces), "Transfer-Encoding");
}

/* ------------------------------------------------------------------ */
/* Answers refused                                                     */
/* ------------------------------------------------------------------ */

/* Refused from the header alone: the body never has to come. */
static void test_declared_over_cap(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n{", NULL,
    };
    assert_failed(get_with(f, true, TEST_SMALL_REPLY_MAX, pieces),
                  "too large");
}

static void test_streamed_over_cap(void **state)
{
    struct fixture *f = *state;
    static char big[TEST_BIG_BODY + 1];
    memset(big, 'x', TEST_BIG_BODY);
    const char *pieces[] = {"HTTP/1.1 200 OK\r\n\r\n", big, NULL};
    assert_failed(get_with(f, true, TEST_SMALL_REPLY_MAX, pieces),
                  "too large");
}

static void test_default_cap(void **state)
{
    struct fixture *f = *state;
    char head[TEST_TEXT_MAX];
    snprintf(head, sizeof head,
             "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
             (size_t)ADMIN_FORWARD_REPLY_MAX + 1);
    const char *pieces[] = {head, NULL};
    assert_failed(get_with(f, true, 0, pieces), "too large");
}

/* A body exactly at the cap is fine. */
static void test_at_cap(void **state)
{
    struct fixture *f = *state;
    static char body[TEST_SMALL_REPLY_MAX + 1];
    memset(body, 'y', TEST_SMALL_REPLY_MAX);
    const char *pieces[] = {"HTTP/1.1 200 OK\r\n\r\n", body, NULL};
    struct result *r = get_with(f, false, TEST_SMALL_REPLY_MAX, pieces);
    assert_false(r->has_error);
    assert_int_equal(r->status, 0);
    assert_int_equal(r->http_status, 200);
    assert_int_equal(r->len, TEST_SMALL_REPLY_MAX);
}

/* Garbage is refused as soon as it shows, not at the timeout. */
static void test_garbage_status_line(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"SSH-2.0-OpenSSH_9.2\r\n", NULL};
    struct result *r = get_with(f, true, 0, pieces);
    assert_failed(r, "not an HTTP/1.x answer");
    assert_int_equal(r->status, UV_EPROTO);
}

static void test_bad_status_code(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
                            NULL};
    assert_failed(get_with(f, true, 0, pieces), "not an HTTP/1.x answer");
}

static void test_interim_answer(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 100 Continue\r\n\r\n", NULL};
    assert_failed(get_with(f, true, 0, pieces), "interim");
}

static void test_bad_content_length(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n1x",
                            NULL};
    assert_failed(get_with(f, true, 0, pieces), "Content-Length");
}

static void test_conflicting_content_length(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                            "Content-Length: 3\r\n\r\nabc", NULL};
    assert_failed(get_with(f, true, 0, pieces), "Content-Length");
}

static void test_malformed_header(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", NULL};
    assert_failed(get_with(f, true, 0, pieces), "header line");
}

static void test_huge_header(void **state)
{
    struct fixture *f = *state;
    static char pad[TEST_BIG_HEAD + 1];
    for (size_t i = 0; i < TEST_BIG_HEAD; i++)
        pad[i] = i % 64 == 62 ? '\r' : i % 64 == 63 ? '\n' : 'h';
    memcpy(pad, "X-Pad: ", 7);
    const char *pieces[] = {"HTTP/1.1 200 OK\r\n", pad, NULL};
    assert_failed(get_with(f, true, 0, pieces), "header too large");
}

static void test_closed_without_answer(void **state)
{
    struct fixture *f = *state;
    server_start(f, SRV_CLOSE, false, NULL);
    char url[TEST_URL_MAX];
    struct admin_http_req r = get_req(f, url, "/");
    assert_failed(run_one(f, &r), "without an answer");
}

static void test_closed_in_header(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nContent-", NULL};
    assert_failed(get_with(f, false, 0, pieces), "in the answer header");
}

static void test_closed_in_body(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
                            "only ten..", NULL};
    assert_failed(get_with(f, false, 0, pieces), "before the whole answer");
}

static void test_never_answers(void **state)
{
    struct fixture *f = *state;
    server_start(f, SRV_SILENT, true, NULL);
    char url[TEST_URL_MAX];
    struct admin_http_req r = get_req(f, url, "/");
    r.timeout_ms = TEST_SHORT_TIMEOUT_MS;
    struct result *res = run_one(f, &r);
    assert_failed(res, "no answer within 200 ms");
    assert_int_equal(res->status, UV_ETIMEDOUT);
    assert_true(f->seen_len > 0); /* it was connected and sent */
}

static void test_connection_refused(void **state)
{
    struct fixture *f = *state;
    /* A port that was just free: bound, read, closed. */
    server_start(f, SRV_SILENT, true, NULL);
    server_stop(f);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    char url[TEST_URL_MAX];
    struct admin_http_req r = get_req(f, url, "/");
    struct result *res = run_one(f, &r);
    assert_failed(res, "cannot connect");
    assert_int_equal(res->status, UV_ECONNREFUSED);
    assert_non_null(strstr(res->error, "127.0.0.1:"));
}

/* ------------------------------------------------------------------ */
/* The request                                                         */
/* ------------------------------------------------------------------ */

static void test_request_bytes(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
                            NULL};
    server_start(f, SRV_ANSWER, false, pieces);
    char url[TEST_URL_MAX];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/accounts?dry=1#frag",
             f->port);
    const char body[] = "{\"id\":\"acme\"}";
    struct admin_http_req r = {
        .url = url, .method = "POST", .body = body, .body_len = strlen(body),
        .headers = {"X-Hamd-Forwarded: 3", "Authorization: Bearer t0k", NULL},
        .timeout_ms = TEST_TIMEOUT_MS,
    };
    assert_ok(run_one(f, &r), 200, "{}");
    char expect[TEST_SEEN_MAX];
    snprintf(expect, sizeof expect,
             "POST /api/accounts?dry=1 HTTP/1.1\r\n"
             "Host: 127.0.0.1:%d\r\n"
             "X-Hamd-Forwarded: 3\r\n"
             "Authorization: Bearer t0k\r\n"
             "Content-Length: %zu\r\n"
             "Connection: close\r\n"
             "\r\n%s", f->port, strlen(body), body);
    assert_string_equal(f->seen, expect);
}

/* A query with no path gets "/"; a GET without a body no Content-Length. */
static void test_request_query_only(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                            NULL};
    server_start(f, SRV_ANSWER, false, pieces);
    char url[TEST_URL_MAX];
    snprintf(url, sizeof url, "http://127.0.0.1:%d?x=1", f->port);
    struct admin_http_req r = {.url = url, .method = "DELETE"};
    assert_ok(run_one(f, &r), 200, "");
    char expect[TEST_SEEN_MAX];
    snprintf(expect, sizeof expect,
             "DELETE /?x=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
             "Connection: close\r\n\r\n", f->port);
    assert_string_equal(f->seen, expect);
}

/* A name goes through uv_getaddrinfo. */
static void test_host_name(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                            NULL};
    server_start(f, SRV_ANSWER, false, pieces);
    char url[TEST_URL_MAX];
    snprintf(url, sizeof url, "http://localhost:%d/readyz", f->port);
    struct admin_http_req r = {.url = url, .method = "GET"};
    assert_ok(run_one(f, &r), 200, "ok");
    assert_non_null(strstr(f->seen, "Host: localhost:"));
}

static void test_unresolvable_name(void **state)
{
    struct fixture *f = *state;
    struct admin_http_req r = {.url = "http://no-such-host.invalid:8001/",
                               .method = "GET"};
    struct result *res = run_one(f, &r);
    /* A resolver that cannot be reached runs into the connect timeout. */
    assert_failed(res, strstr(res->error, "within") ? "cannot connect within"
                                                    : "cannot resolve");
}

/* Nothing that cannot be sent as plain HTTP/1.1 starts, and done is
 * never called for it. */
static void test_refused_at_start(void **state)
{
    struct fixture *f = *state;
    static const char *const urls[] = {
        "https://127.0.0.1:8001/", "ftp://127.0.0.1:21/", "127.0.0.1:8001/",
        "http://127.0.0.1/", "http://127.0.0.1:0/", "http://127.0.0.1:70000/",
        "http://user@127.0.0.1:8001/", "http://:8001/", "http:///x",
        "http://127.0.0.1:8001/a b", "http://127.0.0.1:8001/a\r\nX: y",
        "http://::1:8001/",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        struct admin_http_req r = {.url = urls[i], .method = "GET"};
        if (admin_http_start(f->http, &r, on_done, &f->res[0]) != -1)
            fail_msg("URL %s was accepted", urls[i]);
    }
    static const char *const methods[] = {"", "GE T", "GET\r\n", "G:ET"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        struct admin_http_req r = {.url = "http://127.0.0.1:8001/",
                                   .method = methods[i]};
        assert_int_equal(admin_http_start(f->http, &r, on_done, &f->res[0]),
                         -1);
    }
    static const char *const headers[] = {
        "X-A: 1\r\nX-B: 2", "no colon", ": empty name", "Bad Name: 1",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        struct admin_http_req r = {.url = "http://127.0.0.1:8001/",
                                   .method = "GET", .headers = {headers[i]}};
        assert_int_equal(admin_http_start(f->http, &r, on_done, &f->res[0]),
                         -1);
    }
    assert_int_equal(admin_http_start(f->http, NULL, on_done, &f->res[0]), -1);
    assert_int_equal(admin_http_start(NULL, NULL, on_done, &f->res[0]), -1);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->res[0].calls, 0);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

/* After close no request starts, but the one in flight completes. */
static void test_close_lets_in_flight_finish(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
                            "ok", NULL};
    server_start(f, SRV_ANSWER, false, pieces);
    char url[TEST_URL_MAX];
    struct admin_http_req r = get_req(f, url, "/");
    assert_int_equal(admin_http_start(f->http, &r, on_done, &f->res[0]), 0);
    admin_http_close(f->http);
    assert_int_equal(admin_http_start(f->http, &r, on_done, &f->res[1]), -1);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->res[0].calls, 1);
    assert_ok(&f->res[0], 200, "ok");
    assert_int_equal(f->res[1].calls, 0);
}

/* destroy fails what is in flight, once; the loop then frees it. */
static void test_destroy_in_flight(void **state)
{
    struct fixture *f = *state;
    server_start(f, SRV_SILENT, true, NULL);
    char url[TEST_URL_MAX];
    struct admin_http_req r = get_req(f, url, "/");
    assert_int_equal(admin_http_start(f->http, &r, on_done, &f->res[0]), 0);
    while (f->seen_len == 0 && !f->hung)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(f->res[0].calls, 0);
    admin_http_destroy(&f->http);
    assert_null(f->http);
    assert_int_equal(f->res[0].calls, 1);
    assert_failed(&f->res[0], "shutting down");
    assert_int_equal(f->res[0].status, UV_ECANCELED);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->res[0].calls, 1);
}

/* destroy while the name is still being resolved. */
static void test_destroy_while_resolving(void **state)
{
    struct fixture *f = *state;
    struct admin_http_req r = {.url = "http://localhost:9/", .method = "GET"};
    assert_int_equal(admin_http_start(f->http, &r, on_done, &f->res[0]), 0);
    admin_http_destroy(&f->http);
    assert_failed(&f->res[0], "shutting down");
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->res[0].calls, 1);
}

static void test_two_at_once(void **state)
{
    struct fixture *f = *state;
    const char *pieces[] = {"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n",
                            "both", NULL};
    server_start(f, SRV_ANSWER, false, pieces);
    f->expected = 2;
    char url[TEST_URL_MAX];
    struct admin_http_req r = get_req(f, url, "/");
    for (unsigned i = 0; i < 2; i++)
        assert_int_equal(admin_http_start(f->http, &r, on_done, &f->res[i]), 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(f->res[i].calls, 1);
        assert_ok(&f->res[i], 200, "both");
    }
}


/* ------------------------------------------------------------------ */
/* The pure parser alone                                               */
/* ------------------------------------------------------------------ */

/* Scans the whole of text at once (eof: the peer closed after it). */
static enum admin_http_scan scan_text(const char *text, bool eof,
                                      struct admin_http_answer *a,
                                      const char **why, char *buf)
{
    size_t len = strlen(text);
    memcpy(buf, text, len + 1);
    memset(a, 0, sizeof *a);
    return admin_http_answer_scan(buf, len, eof, TEST_SMALL_REPLY_MAX, a, why);
}

/* Fed one byte more at a time, the answer is incomplete up to its last
 * byte, then complete. */
static void test_parse_byte_by_byte(void **state)
{
    (void)state;
    char buf[TEST_TEXT_MAX];
    const char *text = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    size_t n = strlen(text);
    struct admin_http_answer a = {0};
    const char *why;
    memcpy(buf, text, n);
    for (size_t len = 0; len < n; len++)
        assert_int_equal(admin_http_answer_scan(buf, len, false, 8, &a, &why),
                         ADMIN_HTTP_SCAN_MORE);
    assert_int_equal(admin_http_answer_scan(buf, n, false, 8, &a, &why),
                     ADMIN_HTTP_SCAN_COMPLETE);
    assert_int_equal(a.status, 200);
    assert_int_equal(a.body_len, 3);
    assert_memory_equal(buf + a.head_len, "abc", 3);
}

static void test_parse_overflows(void **state)
{
    (void)state;
    char buf[TEST_TEXT_MAX];
    struct admin_http_answer a;
    const char *why;
    assert_int_equal(scan_text("HTTP/1.1 200 OK\r\nContent-Length: "
                               "99999999999999999999999\r\n\r\n", false,
                               &a, &why, buf), ADMIN_HTTP_SCAN_ERROR);
    assert_non_null(strstr(why, "Content-Length"));
    assert_int_equal(scan_text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                               "\r\n\r\nfffffffffffffffffffff\r\nx\r\n0\r\n\r\n",
                               true, &a, &why, buf), ADMIN_HTTP_SCAN_ERROR);
    assert_non_null(strstr(why, "chunked"));
    /* A chunk that claims more than is there. */
    assert_int_equal(scan_text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                               "\r\n\r\nff\r\nxy\r\n0\r\n\r\n", true, &a, &why,
                               buf), ADMIN_HTTP_SCAN_ERROR);
    /* Last chunk without the blank line that ends the message. */
    assert_int_equal(scan_text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                               "\r\n\r\n2\r\nxy\r\n0\r\n", true, &a, &why,
                               buf), ADMIN_HTTP_SCAN_ERROR);
}

/* Transfer-Encoding wins over Content-Length (RFC 9112 6.3). */
static void test_parse_chunked_wins(void **state)
{
    (void)state;
    char buf[TEST_TEXT_MAX];
    struct admin_http_answer a;
    const char *why;
    assert_int_equal(scan_text("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
                               "Transfer-Encoding: Chunked\r\n\r\n"
                               "2\r\nxy\r\n0\r\n\r\n", false, &a, &why, buf),
                     ADMIN_HTTP_SCAN_MORE);
    assert_int_equal(scan_text("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
                               "Transfer-Encoding: Chunked\r\n\r\n"
                               "2\r\nxy\r\n0\r\n\r\n", true, &a, &why, buf),
                     ADMIN_HTTP_SCAN_COMPLETE);
    assert_int_equal(a.body_len, 2);
}

/* A body pointer without a length, or a length without a body, sends no
 * body and no Content-Length. */
static void test_build_without_body(void **state)
{
    (void)state;
    struct admin_http_target t;
    assert_int_equal(admin_http_url_parse("http://[::1]:8001/a?b#c", &t), 0);
    assert_string_equal(t.host, "::1");
    assert_int_equal(t.port, 8001);
    struct admin_http_req r = {.method = "PUT", .body = NULL, .body_len = 4};
    char *out;
    size_t len;
    assert_int_equal(admin_http_request_build(&t, &r, &out, &len), 0);
    const char *expect = "PUT /a?b HTTP/1.1\r\nHost: [::1]:8001\r\n"
                         "Connection: close\r\n\r\n";
    assert_int_equal(len, strlen(expect));
    assert_memory_equal(out, expect, len);
    free(out);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_content_length),
        T(test_split_answer),
        T(test_body_until_close),
        T(test_no_content),
        T(test_chunked),
        T(test_chunked_truncated),
        T(test_chunked_garbage),
        T(test_other_transfer_encoding),
        T(test_declared_over_cap),
        T(test_streamed_over_cap),
        T(test_default_cap),
        T(test_at_cap),
        T(test_garbage_status_line),
        T(test_bad_status_code),
        T(test_interim_answer),
        T(test_bad_content_length),
        T(test_conflicting_content_length),
        T(test_malformed_header),
        T(test_huge_header),
        T(test_closed_without_answer),
        T(test_closed_in_header),
        T(test_closed_in_body),
        T(test_never_answers),
        T(test_connection_refused),
        T(test_request_bytes),
        T(test_request_query_only),
        T(test_host_name),
        T(test_unresolvable_name),
        T(test_refused_at_start),
        T(test_close_lets_in_flight_finish),
        T(test_destroy_in_flight),
        T(test_destroy_while_resolving),
        T(test_two_at_once),
        cmocka_unit_test(test_parse_byte_by_byte),
        cmocka_unit_test(test_parse_overflows),
        cmocka_unit_test(test_parse_chunked_wins),
        cmocka_unit_test(test_build_without_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
