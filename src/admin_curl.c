/* libcurl's multi interface driven by the control loop: curl tells which
 * sockets to watch (uv_poll) and when to wake it (uv_timer), so a
 * forwarded request never blocks the loop and never occupies a libuv
 * thread-pool thread, which raft_uv needs for its disk work: a leader
 * that hangs must not stall this node's Raft. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin_internal.h"
#include "http_easy.h"

/* One request in flight. */
struct curl_xfer {
    struct admin_curl *owner;        /* the client */
    CURL *easy;                      /* libcurl handle */
    struct curl_slist *headers;      /* request headers */
    struct hamd_http_body answer;    /* up to ADMIN_FORWARD_REPLY_MAX */
    admin_curl_done_fn done;         /* completion */
    void *ud;                        /* its argument */
    char error[CURL_ERROR_SIZE];     /* libcurl's message */
    struct curl_xfer *prev;          /* owner's list of transfers */
    struct curl_xfer *next;          /* owner's list of transfers */
};

/* One socket curl asked us to watch. */
struct curl_sock {
    uv_poll_t poll;                  /* the watcher (first: close cb casts) */
    struct admin_curl *owner;        /* the client */
    curl_socket_t fd;                /* the socket */
};

struct admin_curl {
    uv_loop_t *loop;                 /* the control loop */
    CURLM *multi;                    /* all transfers */
    uv_timer_t timer;                /* curl's timeout */
    bool closing;                    /* no new requests */
    bool timer_closed;               /* uv_close was called on timer */
    bool timer_gone;                 /* and its close callback ran */
    bool freed;                      /* destroy was called */
    unsigned inflight;               /* transfers not yet completed */
    struct curl_xfer *xfers;         /* those transfers (list head) */
};

static void curl_timer_close(struct admin_curl *self);

/* ------------------------------------------------------------------------
 * Completion
 * ------------------------------------------------------------------------ */

static void xfer_link(struct curl_xfer *x)
{
    struct admin_curl *self = x->owner;
    x->next = self->xfers;
    if (x->next)
        x->next->prev = x;
    self->xfers = x;
    self->inflight++;
}

static void xfer_unlink(struct curl_xfer *x)
{
    struct admin_curl *self = x->owner;
    if (x->prev)
        x->prev->next = x->next;
    else
        self->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    self->inflight--;
}

static void xfer_free(struct curl_xfer *x)
{
    curl_slist_free_all(x->headers);
    curl_easy_cleanup(x->easy);
    free(x->answer.data);
    free(x);
}

static void xfer_finish(struct curl_xfer *x, CURLcode result)
{
    struct admin_curl *self = x->owner;
    long status = 0;
    if (result == CURLE_OK && x->answer.overflow)
        snprintf(x->error, sizeof x->error, "answer too large");
    else if (result == CURLE_OK)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    else if (!x->error[0])
        snprintf(x->error, sizeof x->error, "%s", curl_easy_strerror(result));
    curl_multi_remove_handle(self->multi, x->easy);
    xfer_unlink(x);
    x->done(x->ud, status, x->answer.data ? x->answer.data : "",
            x->answer.len, x->error);
    xfer_free(x);
    if (self->closing && self->inflight == 0)
        curl_timer_close(self);
}

static void check_done(struct admin_curl *self)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct curl_xfer *x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x)
            xfer_finish(x, msg->data.result);
    }
}

/* ------------------------------------------------------------------------
 * Sockets and timer, as curl asks
 * ------------------------------------------------------------------------ */

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct curl_sock *cs = (struct curl_sock *)h;
    struct admin_curl *self = cs->owner;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(self->multi, cs->fd, flags, &running);
    check_done(self);
}

static void on_sock_closed(uv_handle_t *h)
{
    free(h);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                          void *socketp)
{
    (void)easy;
    struct admin_curl *self = userp;
    struct curl_sock *cs = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (cs) {
            curl_multi_assign(self->multi, fd, NULL);
            uv_poll_stop(&cs->poll);
            uv_close((uv_handle_t *)&cs->poll, on_sock_closed);
        }
        return 0;
    }
    if (!cs) {
        cs = calloc(1, sizeof *cs);
        if (!cs || uv_poll_init_socket(self->loop, &cs->poll, fd) != 0) {
            free(cs);
            return -1;
        }
        cs->owner = self;
        cs->fd = fd;
        curl_multi_assign(self->multi, fd, cs);
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&cs->poll, events, on_poll);
    return 0;
}

static void on_timer(uv_timer_t *t)
{
    struct admin_curl *self = t->data;
    int running;
    curl_multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(self);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct admin_curl *self = userp;
    if (self->timer_closed)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&self->timer);
    else /* 0 too: curl must not be re-entered from this callback */
        uv_timer_start(&self->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct admin_curl *self = h->data;
    self->timer_gone = true;
    if (self->freed)
        free(self);
}

static void curl_timer_close(struct admin_curl *self)
{
    if (self->timer_closed)
        return;
    self->timer_closed = true;
    uv_close((uv_handle_t *)&self->timer, on_timer_closed);
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

static int xfer_setup(struct curl_xfer *x, const struct admin_curl_req *r)
{
    for (unsigned i = 0; i < sizeof r->headers / sizeof r->headers[0] &&
                         r->headers[i]; i++)
        x->headers = curl_slist_append(x->headers, r->headers[i]);
    /* No "Expect: 100-continue" round trip for a small JSON body. */
    x->headers = curl_slist_append(x->headers, "Expect:");
    if (!x->headers)
        return -1;
    const struct hamd_http_req req = {
        .url = r->url,
        .method = r->method,
        .headers = x->headers,
        .body = r->body && r->body_len ? r->body : NULL,
        .body_len = r->body_len,
        .timeout_ms = r->timeout_ms,
        .connect_timeout_ms = r->connect_timeout_ms,
    };
    x->answer.max = ADMIN_FORWARD_REPLY_MAX;
    return hamd_http_easy_setup(x->easy, &req, &x->answer, x->error, x);
}

int admin_curl_start(struct admin_curl *self, const struct admin_curl_req *r,
                     admin_curl_done_fn done, void *ud)
{
    if (self->closing)
        return -1;
    struct curl_xfer *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->owner = self;
    x->done = done;
    x->ud = ud;
    x->easy = curl_easy_init();
    if (!x->easy || xfer_setup(x, r) < 0 ||
        curl_multi_add_handle(self->multi, x->easy) != CURLM_OK) {
        xfer_free(x);
        return -1;
    }
    xfer_link(x);
    return 0;
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

struct admin_curl *admin_curl_new(uv_loop_t *loop)
{
    struct admin_curl *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->multi = curl_multi_init();
    if (!self->multi) {
        free(self);
        return NULL;
    }
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERDATA, self);
    return self;
}

void admin_curl_close(struct admin_curl *self)
{
    if (!self || self->closing)
        return;
    self->closing = true;
    if (self->inflight == 0)
        curl_timer_close(self);
}

void admin_curl_destroy(struct admin_curl **selfp)
{
    struct admin_curl *self = *selfp;
    if (!self)
        return;
    *selfp = NULL;
    self->closing = true;
    /* Transfers are left only after an aborted loop: fail them. */
    while (self->xfers) {
        struct curl_xfer *x = self->xfers;
        snprintf(x->error, sizeof x->error, "shutting down");
        curl_multi_remove_handle(self->multi, x->easy);
        xfer_unlink(x);
        x->done(x->ud, 0, "", 0, x->error);
        xfer_free(x);
    }
    curl_multi_cleanup(self->multi);
    self->freed = true;
    if (self->timer_gone)
        free(self);
    else
        curl_timer_close(self); /* its close callback frees */
}
