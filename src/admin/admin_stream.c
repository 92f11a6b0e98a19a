/* GET /api/stream?level=: the live stream of the console (docs/console.md),
 * Server-Sent Events, one multiplexed stream per browser tab:
 *
 *   event: status   GET /api/cluster's document (this node's view and every
 *                   member's), at most once a second and only on change
 *   event: event    each event committed to the replicated history
 *   event: log      each log line at or above ?level= (default info)
 *   : ping          a comment every 15 s, so proxies keep the stream open
 *
 * Everything here runs on the control loop. The logger's sink, called on
 * whichever thread logs (the data-plane thread too), only copies the line
 * into the ring and, while a stream is open, wakes the loop with
 * uv_async_send, which coalesces: a burst of lines costs one wake-up.
 * With no stream open the hub's timer is stopped and the sink never wakes
 * anything.
 *
 * Bounds: at most [admin] max_streams streams (more get a JSON 503); a
 * client whose queue exceeds ADMIN_SSE_QUEUE_MAX_BYTES is dropped: its
 * connection is cut (shutdown(2) with a zero linger), so h2o's pending
 * write fails and h2o disposes of the request, which frees the client. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "admin/admin_internal.h"
#include "admin/admin_sse.h"

#define HUB_TICK_MS 250            /* the hub's timer: polls new events */
#define HUB_STATUS_TICKS 4         /* a status round every 4 ticks: 1 s */
#define HUB_PING_TICKS 60          /* a ping every 60 ticks: 15 s */
#define HUB_EVENTS_PER_TICK 100    /* events sent per tick at most */
#define HUB_CT_SSE "text/event-stream; charset=utf-8"
#define HUB_HELLO_MAX 64           /* bytes of the greeting comment */
/* A stream's kernel send buffer, fixed (Linux would otherwise grow it to
 * megabytes for a peer that does not read): with it, "behind" means the
 * queue's bytes plus at most this much (twice, with the kernel's
 * bookkeeping), so a stalled client is noticed at a bounded cost. */
#define HUB_SNDBUF_BYTES (64 << 10)

/* One open stream. */
struct stream_client {
    h2o_generator_t gen;           /* first: h2o passes it back */
    struct admin_hub *hub;         /* the hub */
    h2o_req_t *req;                /* the request being answered */
    struct admin_sse_queue q;      /* bytes to send */
    enum hamd_log_level level;     /* log lines at or above this */
    uint64_t log_seq;              /* log lines up to here are done */
    unsigned id;                   /* for the log: stream #id */
    bool cut;                      /* the connection was cut: await stop */
    struct stream_client *prev;    /* hub's list */
    struct stream_client *next;    /* hub's list */
};

struct admin_hub {
    struct hamd_admin *admin;      /* the server */
    uv_async_t wake;               /* log lines arrived (any thread) */
    uv_timer_t timer;              /* HUB_TICK_MS while streams are open */
    unsigned open_handles;         /* of wake and timer, not yet closed */
    bool closed;                   /* admin_hub_close was called */
    atomic_uint n_clients;         /* streams open; read by the sink */
    struct stream_client *clients; /* the streams (list head) */
    unsigned next_id;              /* id of the next stream */
    unsigned ticks;                /* timer ticks since the first stream */
    bool gathering;                /* a status round is in flight */
    char *status;                  /* the last status document sent */
    size_t status_len;             /* its length */
    uint64_t event_seq;            /* events up to here were sent */
    struct hamd_log_rate drop_log; /* "stream dropped": a few per window */
};

static void client_flush(struct stream_client *c);

/* ------------------------------------------------------------------------
 * Clients
 * ------------------------------------------------------------------------ */

static void client_unlink(struct stream_client *c)
{
    struct admin_hub *hub = c->hub;
    if (c->prev)
        c->prev->next = c->next;
    else
        hub->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    atomic_fetch_sub(&hub->n_clients, 1);
    if (!hub->clients && !hub->closed)
        uv_timer_stop(&hub->timer);
}

static void client_free(struct stream_client *c)
{
    client_unlink(c);
    admin_sse_queue_free(&c->q);
    free(c);
}

/* Ends the response cleanly (nothing may be in flight) and frees c. */
static void client_finish(struct stream_client *c)
{
    h2o_req_t *req = c->req;
    client_free(c);
    /* FINAL: h2o forgets the generator, so no callback reaches c. */
    h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
}

/* The connection's socket, or -1. */
static int client_fd(const struct stream_client *c)
{
    h2o_conn_t *conn = c->req->conn;
    h2o_socket_t *sock = conn->callbacks->get_socket
                             ? conn->callbacks->get_socket(conn) : NULL;
    return sock ? h2o_socket_get_fd(sock) : -1;
}

/* Cuts the connection under h2o: the write in flight fails, h2o closes
 * the connection and disposes of the request, and stop_cb frees c. A
 * zero linger sends a reset, so the kernel drops what the peer never
 * read instead of keeping it. */
static void client_cut(struct stream_client *c)
{
    int fd = client_fd(c);
    c->cut = true;
    if (fd >= 0) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        shutdown(fd, SHUT_RDWR);
    }
    if (!c->q.busy) /* nothing in flight to fail: end it here */
        client_finish(c);
}

/* The client is too far behind: drop it. */
static void client_drop(struct stream_client *c)
{
    hamd_log_rated(&c->hub->drop_log, HAMD_LOG_WARN,
                   "admin: live stream #%u dropped: more than %u KiB behind "
                   "(a client that stopped reading)", c->id,
                   ADMIN_SSE_QUEUE_MAX_BYTES >> 10);
    client_cut(c);
}

/* Hands the queued bytes to h2o when nothing is in flight. */
static void client_flush(struct stream_client *c)
{
    const char *p;
    size_t len;
    if (c->cut || !admin_sse_queue_take(&c->q, &p, &len))
        return;
    h2o_iovec_t buf = h2o_iovec_init(p, len);
    h2o_send(c->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

/* h2o wrote what it was given and wants more. */
static void proceed_cb(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    struct stream_client *c = (struct stream_client *)gen;
    admin_sse_queue_sent(&c->q);
    if (c->cut)
        client_finish(c);
    else
        client_flush(c);
}

/* h2o disposes of the request (the client left, or its connection was
 * cut): forget the client. */
static void stop_cb(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    client_free((struct stream_client *)gen);
}

/* Queues one event to c and sends it; a client too far behind is
 * dropped. */
static void client_send(struct stream_client *c, const char *name,
                        const char *data, size_t len)
{
    if (c->cut)
        return;
    if (admin_sse_queue_event(&c->q, name, data, len) < 0)
        client_drop(c);
    else
        client_flush(c);
}

/* Sends the event to every client. */
static void hub_broadcast(struct admin_hub *hub, const char *name,
                          const char *data, size_t len)
{
    struct stream_client *c = hub->clients, *next;
    for (; c; c = next) {
        next = c->next; /* c may be freed */
        client_send(c, name, data, len);
    }
}

/* ------------------------------------------------------------------------
 * Log lines
 * ------------------------------------------------------------------------ */

/* A read of the ring for one client. */
struct log_push {
    struct stream_client *c;  /* the client */
    bool full;                /* its queue refused a line */
};

static int log_push_one(void *ud, const struct admin_logline *line)
{
    struct log_push *lp = ud;
    json_t *o = admin_logline_json(line);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return 0; /* out of memory: skip the line */
    lp->full = admin_sse_queue_event(&lp->c->q, "log", text, strlen(text)) < 0;
    free(text);
    return lp->full ? -1 : 0;
}

/* Queues c's new log lines at or above its level. */
static void client_logs(struct stream_client *c)
{
    struct hamd_admin *admin = c->hub->admin;
    struct admin_logquery q = {
        .has_since = true, .since = c->log_seq, .min_level = c->level,
        .limit = admin->deps.cfg->log_lines,
    };
    struct log_push lp = {c, false};
    admin_logring_read(admin->logring, &q, log_push_one, &lp, &c->log_seq);
    if (lp.full)
        client_drop(c);
    else
        client_flush(c);
}

static void wake_cb(uv_async_t *wake)
{
    struct admin_hub *hub = wake->data;
    struct stream_client *c = hub->clients, *next;
    for (; c; c = next) {
        next = c->next;
        if (!c->cut)
            client_logs(c);
    }
}

/* The logger's sink: any thread, the logger's lock held. */
static void hub_log_sink(void *ud, int64_t wall_ns, enum hamd_log_level level,
                         const char *msg)
{
    struct admin_hub *hub = ud;
    admin_logring_push(hub->admin->logring, wall_ns, level, msg);
    if (atomic_load_explicit(&hub->n_clients, memory_order_relaxed) > 0)
        uv_async_send(&hub->wake);
}

/* ------------------------------------------------------------------------
 * Status and events
 * ------------------------------------------------------------------------ */

static void view_cb(void *ud, json_t *view)
{
    struct admin_hub *hub = ud;
    hub->gathering = false;
    char *text = view ? json_dumps(view, JSON_COMPACT) : NULL;
    json_decref(view);
    if (!text)
        return;
    size_t len = strlen(text);
    if (hub->closed || !hub->clients ||
        (hub->status && hub->status_len == len &&
         memcmp(hub->status, text, len) == 0)) {
        free(text);
        return;
    }
    free(hub->status);
    hub->status = text;
    hub->status_len = len;
    hub_broadcast(hub, "status", text, len);
}

static void hub_status_round(struct admin_hub *hub)
{
    if (hub->gathering)
        return;
    hub->gathering = true;
    if (admin_view_gather(hub->admin, view_cb, hub) < 0)
        hub->gathering = false;
}

static int event_send(void *ud, uint64_t seq, const char *text)
{
    struct admin_hub *hub = ud;
    hub->event_seq = seq;
    json_t *ev = json_loads(text, 0, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        ev = json_pack("{s:s}", "raw", text);
    }
    json_object_set_new(ev, "seq", json_integer((json_int_t)seq));
    char *out = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (out)
        hub_broadcast(hub, "event", out, strlen(out));
    free(out);
    return 0;
}

/* Sends the events committed since the last tick. */
static void hub_events(struct admin_hub *hub)
{
    struct hamd_store *store = hub->admin->deps.store;
    if (store && hamd_store_events_last_seq(store) > hub->event_seq)
        hamd_store_events_since(store, hub->event_seq, HUB_EVENTS_PER_TICK,
                                event_send, hub);
}

static void hub_ping(struct admin_hub *hub)
{
    struct stream_client *c = hub->clients, *next;
    for (; c; c = next) {
        next = c->next;
        if (c->cut)
            continue;
        if (admin_sse_queue_comment(&c->q, "ping") < 0)
            client_drop(c);
        else
            client_flush(c);
    }
}

static void tick_cb(uv_timer_t *t)
{
    struct admin_hub *hub = t->data;
    hub->ticks++;
    hub_events(hub);
    if (hub->ticks % HUB_STATUS_TICKS == 0)
        hub_status_round(hub);
    if (hub->ticks % HUB_PING_TICKS == 0)
        hub_ping(hub);
}

/* The first stream opened: events from now on, a status round now. */
static void hub_start(struct admin_hub *hub)
{
    struct hamd_store *store = hub->admin->deps.store;
    hub->event_seq = store ? hamd_store_events_last_seq(store) : 0;
    hub->ticks = 0;
    free(hub->status);
    hub->status = NULL;
    hub->status_len = 0;
    uv_timer_start(&hub->timer, tick_cb, HUB_TICK_MS, HUB_TICK_MS);
    hub_status_round(hub);
}

/* ------------------------------------------------------------------------
 * GET /api/stream
 * ------------------------------------------------------------------------ */

/* The status and headers of a stream's answer. */
static void stream_head(h2o_req_t *req)
{
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT(HUB_CT_SSE));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL,
                   NULL, H2O_STRLIT("no-store"));
    /* A reverse proxy in front (nginx) must not buffer the stream. */
    h2o_add_header_by_str(&req->pool, &req->res.headers,
                          H2O_STRLIT("x-accel-buffering"), 0, NULL,
                          H2O_STRLIT("no"));
}

/* Starts the response and queues the greeting: a comment naming the node
 * and, when there is one, the last status, so a page has it at once. */
static void client_start(struct stream_client *c)
{
    struct admin_hub *hub = c->hub;
    h2o_req_t *req = c->req;
    stream_head(req);
    int fd = client_fd(c), sndbuf = HUB_SNDBUF_BYTES;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    h2o_start_response(req, &c->gen);
    char hello[HUB_HELLO_MAX];
    snprintf(hello, sizeof hello, "hamd node %u, stream #%u",
             hub->admin->deps.cfg->node_id, c->id);
    admin_sse_queue_comment(&c->q, hello);
    if (hub->status)
        admin_sse_queue_event(&c->q, "status", hub->status, hub->status_len);
    client_flush(c);
}

static int stream_get(struct admin_call *call)
{
    struct admin_hub *hub = call->admin->hub;
    enum hamd_log_level level = HAMD_LOG_INFO;
    if (!admin_query_each(call, admin_stream_param, &level,
                          "expected ?level=debug|info|warn|error"))
        return 0;
    unsigned max = call->deps->cfg->max_streams;
    if (!hub || hub->closed)
        return admin_reply_error(call->req, 503, NULL,
                                 "the node is shutting down");
    if (atomic_load(&hub->n_clients) >= max)
        return admin_reply_error(call->req, 503, NULL,
                                 "too many live streams: %u open, [admin] "
                                 "max_streams = %u", max, max);
    if (h2o_memis(call->req->method.base, call->req->method.len,
                  H2O_STRLIT("HEAD"))) {
        /* What a GET would start with, and the end: a HEAD opens no
         * stream (it would never end, its body being endless). */
        stream_head(call->req);
        h2o_send_inline(call->req, "", 0);
        return 0;
    }
    struct stream_client *c = calloc(1, sizeof *c);
    if (!c)
        return admin_reply_error(call->req, 503, NULL, "out of memory");
    c->gen.proceed = proceed_cb;
    c->gen.stop = stop_cb;
    c->hub = hub;
    c->req = call->req;
    c->level = level;
    c->q.limit = ADMIN_SSE_QUEUE_MAX_BYTES;
    c->log_seq = admin_logring_last_seq(call->admin->logring);
    c->id = ++hub->next_id;
    c->next = hub->clients;
    if (c->next)
        c->next->prev = c;
    hub->clients = c;
    bool first = atomic_fetch_add(&hub->n_clients, 1) == 0;
    client_start(c);
    /* After the response started: a standalone node's status round
     * completes at once and sends to c. */
    if (first)
        hub_start(hub);
    return 0;
}

const struct admin_route ADMIN_STREAM_ROUTES[] = {
    {"GET", "/api/stream", stream_get, false},
    {NULL, NULL, NULL, false},
};

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

static void hub_handle_closed_cb(uv_handle_t *h)
{
    struct admin_hub *hub = h->data;
    hub->open_handles--;
    hub->admin->open_handles--;
}

struct admin_hub *admin_hub_new(struct hamd_admin *admin)
{
    struct admin_hub *hub = calloc(1, sizeof *hub);
    if (!hub)
        return NULL;
    hub->admin = admin;
    atomic_init(&hub->n_clients, 0);
    uv_async_init(admin->loop, &hub->wake, wake_cb);
    uv_timer_init(admin->loop, &hub->timer);
    hub->wake.data = hub;
    hub->timer.data = hub;
    hub->open_handles = 2;
    admin->open_handles += 2;
    /* The async handle would keep the loop alive on its own. */
    uv_unref((uv_handle_t *)&hub->wake);
    hamd_log_set_sink(hub_log_sink, hub);
    return hub;
}

void admin_hub_close(struct admin_hub *hub)
{
    if (!hub || hub->closed)
        return;
    /* Once this returns no thread is inside the sink any more, so the
     * async handle may close. */
    hamd_log_set_sink(NULL, NULL);
    hub->closed = true;
    struct stream_client *c = hub->clients, *next;
    for (; c; c = next) {
        next = c->next;
        if (!c->cut && c->q.busy)
            client_cut(c);
        else if (!c->cut)
            client_finish(c);
    }
    uv_close((uv_handle_t *)&hub->wake, hub_handle_closed_cb);
    uv_close((uv_handle_t *)&hub->timer, hub_handle_closed_cb);
}

void admin_hub_destroy(struct admin_hub **hubp)
{
    struct admin_hub *hub = *hubp;
    if (!hub)
        return;
    *hubp = NULL;
    admin_hub_close(hub);
    free(hub->status);
    hub->status = NULL;
    if (hub->open_handles == 0 && !hub->clients)
        free(hub);
}
