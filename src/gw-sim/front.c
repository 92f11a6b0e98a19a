/* hamd-gw-sim --front: the simulated exchange front. See front.h. */
#include "gw-sim/front.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/log.h"
#include "gw-common/gwin.h"
#include "gw-common/gwout.h"
#include "gw-sim/emit.h"
#include "gw-sim/feed.h"
#include "gw-sim/frontin.h"
#include "gw-sim/frontproto.h"
#include "hamd/gwproto.h"

#define FRONT_LOOP_MAX_WAIT_MS 100   /* poll at least this often */
#define FRONT_MSGS_PER_ROUND 256     /* client messages read per iteration */
/* Messages queued per client. At 2,000 contracts x 100 ticks/s a client
 * gets ~3,000 batches/s; 10,000 is three seconds of them, then a client
 * that does not read (a host cut off) loses ticks, the front nothing. */
#define FRONT_SNDHWM_MSGS 10000
/* ZMTP heartbeats on every connection: a peer that vanished without a
 * goodbye (its host cut off) is closed after the timeout, which frees its
 * queue and lets sends to it fail at once. */
#define FRONT_ZMTP_HB_IVL_MS 1000
#define FRONT_ZMTP_HB_TIMEOUT_MS 3000
#define FRONT_HB_BODY_MAX 32 /* an HB body */

/* Encoded ticks of one round, sent to each client as one TICK message of
 * those it wants. */
struct front_batch {
    size_t n;                                  /* ticks in the batch */
    char vt[HAMD_GWOUT_TICKS_PER_MSG][HAMD_VT_SYMBOL_MAX]; /* contracts */
    size_t len[HAMD_GWOUT_TICKS_PER_MSG];      /* bytes of each body */
    uint8_t body[HAMD_GWOUT_TICKS_PER_MSG][HAMD_TICK_WIRE_MAX]; /* bodies */
};

/* What the front did, for its log. */
struct front_counters {
    uint64_t ticks;        /* ticks generated */
    uint64_t sent;         /* tick bodies sent, summed over clients */
    uint64_t send_full;    /* messages dropped: a client's queue was full */
};

struct gwsim_front {
    void *zctx;                        /* ZMQ context */
    void *router;                      /* the clients' connections */
    struct gwsim_frontin in;           /* the clients and their contracts */
    struct gwsim_emit emit;            /* their delivery state */
    struct front_batch batch;          /* ticks encoded, not yet sent */
    int64_t round_wall_ns;             /* wall time of the current round */
    int64_t next_hb_ms;                /* monotonic time of the next HBs */
    uint64_t skipped_logged;           /* emit.skipped already logged */
    struct front_counters counters;    /* totals since start */
};

/* ------------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------------ */

/* Creates the ROUTER and binds it. */
static int bind_router(struct gwsim_front *self, const char *endpoint)
{
    int linger = 0, mandatory = 1, hwm = FRONT_SNDHWM_MSGS,
        hb_ivl = FRONT_ZMTP_HB_IVL_MS, hb_timeout = FRONT_ZMTP_HB_TIMEOUT_MS;
    self->router = zmq_socket(self->zctx, ZMQ_ROUTER);
    if (!self->router ||
        zmq_setsockopt(self->router, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(self->router, ZMQ_ROUTER_MANDATORY, &mandatory,
                       sizeof mandatory) ||
        zmq_setsockopt(self->router, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(self->router, ZMQ_HEARTBEAT_IVL, &hb_ivl,
                       sizeof hb_ivl) ||
        zmq_setsockopt(self->router, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout,
                       sizeof hb_timeout))
        return -1;
    return zmq_bind(self->router, endpoint);
}

struct gwsim_front *gwsim_front_new(const char *endpoint,
                                    const struct gwsim_params *params,
                                    char *err, size_t errcap)
{
    struct gwsim_front *self = calloc(1, sizeof *self);
    if (!self || !(self->zctx = zmq_ctx_new()) ||
        gwsim_frontin_init(&self->in, params) != 0) {
        snprintf(err, errcap, "out of memory");
        gwsim_front_destroy(&self);
        return NULL;
    }
    gwsim_emit_init(&self->emit, GWSIM_FRONT_LAG_MAX_MS * HAMD_NS_PER_MS);
    if (bind_router(self, endpoint) != 0) {
        snprintf(err, errcap, "cannot bind %s: %s", endpoint,
                 zmq_strerror(errno));
        gwsim_front_destroy(&self);
        return NULL;
    }
    return self;
}

void gwsim_front_destroy(struct gwsim_front **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct gwsim_front *self = *self_p;
    if (self->router)
        zmq_close(self->router);
    if (self->zctx)
        zmq_ctx_term(self->zctx);
    gwsim_frontin_free(&self->in);
    free(self);
    *self_p = NULL;
}

/* Returns the monotonic clock in ms. */
static int64_t mono_ms(void) { return hamd_mono_ns() / HAMD_NS_PER_MS; }

/* ------------------------------------------------------------------------
 * Sending to clients
 * ------------------------------------------------------------------------ */

/* Opens a message to client c with its routing id. Returns 0, or -1 when
 * nothing was queued: its queue is full (counted), or its connection is
 * gone (the client is forgotten). */
static int send_id(struct gwsim_front *self, size_t c)
{
    const struct gwsim_front_client *cl = &self->in.clients->clients[c];
    if (zmq_send(self->router, cl->id, cl->id_len,
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        return 0;
    if (errno == EAGAIN)
        self->counters.send_full++;
    else
        gwsim_frontsubs_forget(self->in.clients, c);
    return -1;
}

/* Sends client c the batch's ticks it subscribed, as one TICK message. */
static void send_batch_to(struct gwsim_front *self, size_t c)
{
    const struct front_batch *b = &self->batch;
    bool want[HAMD_GWOUT_TICKS_PER_MSG];
    size_t last = 0, n = 0;
    for (size_t k = 0; k < b->n; k++) {
        want[k] = gwsim_frontsubs_wants(self->in.clients, c, b->vt[k]);
        if (want[k]) {
            last = k;
            n++;
        }
    }
    if (n == 0 || send_id(self, c) != 0)
        return;
    zmq_send(self->router, "TICK", 4, ZMQ_SNDMORE);
    for (size_t k = 0; k <= last; k++)
        if (want[k])
            zmq_send(self->router, b->body[k], b->len[k],
                     k == last ? 0 : ZMQ_SNDMORE);
    self->counters.sent += n;
}

/* Sends the batch to every client and empties it. */
static void batch_flush(struct gwsim_front *self)
{
    for (size_t c = 0; c < self->in.clients->count && self->batch.n > 0; c++)
        send_batch_to(self, c);
    self->batch.n = 0;
}

/* gwsim_emit_sink: encodes the tick once into the batch. */
static int front_sink(void *ud, struct hamd_tick *tick, int64_t n)
{
    struct gwsim_front *self = ud;
    struct front_batch *b = &self->batch;
    tick->localtime_ns = self->round_wall_ns;
    size_t len = hamd_tick_encode(tick, false, b->body[b->n],
                                  HAMD_TICK_WIRE_MAX);
    if (len == 0) {
        LOG_ERROR("cannot encode tick %s #%lld", tick->vt_symbol,
                  (long long)n);
        return 0;
    }
    snprintf(b->vt[b->n], sizeof b->vt[b->n], "%s", tick->vt_symbol);
    b->len[b->n++] = len;
    self->counters.ticks++;
    if (b->n == HAMD_GWOUT_TICKS_PER_MSG)
        batch_flush(self);
    return 0;
}

/* Sends HB to every client when due. */
static void send_hbs_if_due(struct gwsim_front *self, int64_t now_ms)
{
    if (now_ms < self->next_hb_ms)
        return;
    uint8_t body[FRONT_HB_BODY_MAX];
    size_t len = hamd_gw_hb_encode(hamd_wall_ns(), body, sizeof body);
    for (size_t c = 0; c < self->in.clients->count && len > 0; c++) {
        if (send_id(self, c) != 0)
            continue;
        zmq_send(self->router, "HB", 2, ZMQ_SNDMORE);
        zmq_send(self->router, body, len, 0);
    }
    self->next_hb_ms = now_ms + GWSIM_FRONT_HB_MS;
}

/* ------------------------------------------------------------------------
 * Client messages
 * ------------------------------------------------------------------------ */

/* Drops the clients silent too long or whose connection is gone. */
static void expire_clients(struct gwsim_front *self, int64_t now_ms)
{
    size_t n = gwsim_frontin_expire(&self->in, now_ms);
    if (n > 0)
        LOG_INFO("%zu client(s) gone; %zu left, %zu contracts", n,
                 self->in.clients->count, self->in.feeds->count);
}

/* Reads and handles the pending client messages: [id][type][body]. */
static void read_clients(struct gwsim_front *self)
{
    for (int i = 0; i < FRONT_MSGS_PER_ROUND; i++) {
        zmq_msg_t id;
        struct hamd_gwin_msg m;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, self->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            return;
        }
        bool got = zmq_msg_more(&id) && hamd_gwin_recv(self->router, &m);
        gwsim_frontin_message(&self->in, zmq_msg_data(&id), zmq_msg_size(&id),
                              got ? &m : NULL, mono_ms(), hamd_wall_ns());
        if (got)
            hamd_gwin_close(&m);
        zmq_msg_close(&id);
    }
}

/* ------------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------------ */

/* Generates and sends the due ticks, then logs a skip, if any. */
static void emit_due_ticks(struct gwsim_front *self, int64_t wall_ns)
{
    self->round_wall_ns = wall_ns;
    gwsim_emit_round(&self->emit, self->in.feeds, wall_ns, 0, front_sink, self);
    batch_flush(self);
    if (self->emit.skipped > self->skipped_logged) {
        LOG_WARN("fell more than %d ms behind (stopped?): skipped %llu "
                 "ticks, as a front does not replay", GWSIM_FRONT_LAG_MAX_MS,
                 (unsigned long long)(self->emit.skipped -
                                      self->skipped_logged));
        self->skipped_logged = self->emit.skipped;
    }
}

/* How long the next poll may wait, in ms. */
static long loop_timeout_ms(const struct gwsim_front *self, int64_t now_ms,
                            int64_t wall_ns)
{
    if (self->emit.behind)
        return 0;
    int64_t wait = FRONT_LOOP_MAX_WAIT_MS;
    if (self->next_hb_ms - now_ms < wait)
        wait = self->next_hb_ms - now_ms;
    if (self->emit.next_due_ns != INT64_MAX) {
        int64_t tick_wait = (self->emit.next_due_ns - wall_ns +
                             HAMD_NS_PER_MS - 1) / HAMD_NS_PER_MS;
        if (tick_wait < wait)
            wait = tick_wait;
    }
    return wait < 0 ? 0 : (long)wait;
}

int gwsim_front_run(struct gwsim_front *self,
                    const volatile sig_atomic_t *stop)
{
    while (!*stop) {
        int64_t now_ms = mono_ms();
        expire_clients(self, now_ms);
        send_hbs_if_due(self, now_ms);
        int64_t wall_ns = hamd_wall_ns();
        emit_due_ticks(self, wall_ns);
        zmq_pollitem_t item = {self->router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, loop_timeout_ms(self, now_ms, wall_ns)) < 0) {
            if (errno == EINTR)
                continue;
            LOG_ERROR("zmq_poll: %s", zmq_strerror(errno));
            return 1;
        }
        if (item.revents & ZMQ_POLLIN)
            read_clients(self);
    }
    const struct front_counters *c = &self->counters;
    LOG_INFO("stopping: %llu ticks generated, %llu sent to %llu clients, "
             "%llu dropped (queue full), %llu bad messages",
             (unsigned long long)c->ticks, (unsigned long long)c->sent,
             (unsigned long long)self->in.clients_seen,
             (unsigned long long)c->send_full,
             (unsigned long long)self->in.bad);
    return 0;
}
