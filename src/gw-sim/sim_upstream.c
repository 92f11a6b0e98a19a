/* hamd-gw-sim in upstream mode: the link to a front (frontproto.h).
 *
 * The gateway keeps a DEALER connected to the front, heartbeats it every
 * GWSIM_FRONT_HB_MS and watches the front's messages with the pure
 * watchdog (uplink.h). Ticks from the front are decoded, stamped with
 * this account and queued (tickq.h); each loop round forwards the due
 * ones to the hub as the fault dictates. When the front goes silent the
 * fault machine reports `disconnected` and this side drops the connection
 * and opens a new one: what was queued on the old one (ticks from before
 * the loss) is never delivered, and ZeroMQ retries the new one every
 * GWSIM_UPSTREAM_RECONNECT_MS until the front answers. A connection the
 * front closes (its process ended) is lost at once: a ZeroMQ socket
 * monitor reports it.
 */
#include "gw-sim/sim_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "gw-common/gwin.h"
#include "gw-sim/feed.h"

/* ZeroMQ retries a refused or failed connection this often, without
 * backing off: a front back from an outage is found within 0.1 s. */
#define GWSIM_UPSTREAM_RECONNECT_MS 100
/* A TCP connect unanswered this long is abandoned and retried. Without
 * it, SYNs dropped by a firewall are retried by the kernel only after 1,
 * 3, 7, 15 ... s, so a cut line would be noticed back seconds late. */
#define GWSIM_UPSTREAM_CONNECT_TIMEOUT_MS 500
/* Front messages read per loop round, so the hub and control sockets are
 * served in between. */
#define GWSIM_UPSTREAM_MSGS_PER_ROUND 256
/* Received ticks waiting for the hub (776 bytes each, 13 MB in all): the
 * slow fault at 2 s of delay holds 8,000 ticks/s; beyond, the oldest are
 * dropped. */
#define GWSIM_UPSTREAM_QUEUE_MAX_TICKS 16384
/* A SUBSCRIBE body of HAMD_GW_SYMBOLS_MAX symbols: each a msgpack str
 * header (at most 2 bytes for < 256 bytes) and the symbol, plus the map. */
#define GWSIM_UPSTREAM_SUB_BODY_MAX \
    (HAMD_GW_SYMBOLS_MAX * (HAMD_VT_SYMBOL_MAX + 2) + 32)
#define GWSIM_HB_BODY_MAX 32 /* bytes of an encoded HB body */
#define GWSIM_MONITOR_ADDR_MAX 64 /* bytes of a monitor's inproc address */
#define GWSIM_MONITOR_EVENT_BYTES 6 /* event frame: u16 event, u32 value */

/* ------------------------------------------------------------------------
 * The connection
 * ------------------------------------------------------------------------ */

/* Watches sock for a closed connection: a PAIR receiving the monitor's
 * events, at an inproc address no earlier socket used. */
static int monitor_front(struct gwsim *self, void *sock)
{
    char addr[GWSIM_MONITOR_ADDR_MAX];
    int linger = 0;
    snprintf(addr, sizeof addr, "inproc://gwsim-front-monitor-%llu",
             (unsigned long long)self->up.sockets);
    if (zmq_socket_monitor(sock, addr, ZMQ_EVENT_DISCONNECTED) != 0)
        return -1;
    self->up.monitor = zmq_socket(self->zctx, ZMQ_PAIR);
    if (!self->up.monitor ||
        zmq_setsockopt(self->up.monitor, ZMQ_LINGER, &linger,
                       sizeof linger) != 0)
        return -1;
    return zmq_connect(self->up.monitor, addr);
}

/* Closes the DEALER to the front and its monitor, if open. */
static void close_front(struct gwsim *self)
{
    if (self->up.dealer)
        zmq_socket_monitor(self->up.dealer, NULL, 0);
    if (self->up.monitor)
        zmq_close(self->up.monitor);
    if (self->up.dealer)
        zmq_close(self->up.dealer);
    self->up.monitor = NULL;
    self->up.dealer = NULL;
}

/* Creates the DEALER and its monitor and connects it to the front. */
static int connect_front(struct gwsim *self)
{
    int linger = 0, ivl = GWSIM_UPSTREAM_RECONNECT_MS,
        timeout = GWSIM_UPSTREAM_CONNECT_TIMEOUT_MS, immediate = 0;
    void *sock = zmq_socket(self->zctx, ZMQ_DEALER);
    if (!sock)
        return -1;
    self->up.dealer = sock;
    self->up.sockets++;
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl) != 0 ||
        zmq_setsockopt(sock, ZMQ_CONNECT_TIMEOUT, &timeout,
                       sizeof timeout) != 0 ||
        zmq_setsockopt(sock, ZMQ_IMMEDIATE, &immediate,
                       sizeof immediate) != 0 ||
        monitor_front(self, sock) != 0 ||
        zmq_connect(sock, self->params->upstream) != 0) {
        int e = errno;
        close_front(self);
        errno = e;
        return -1;
    }
    return 0;
}

/* Opens the connection again. A failure (out of memory or descriptors)
 * is logged and retried at the next HB time. Returns 0 or -1. */
static int reconnect(struct gwsim *self)
{
    if (connect_front(self) == 0)
        return 0;
    LOG_ERROR("cannot connect to %s: %s", self->params->upstream,
              zmq_strerror(errno));
    return -1;
}

int gwsim_upstream_open(struct gwsim *self)
{
    self->up.queue = gwsim_tickq_new(GWSIM_UPSTREAM_QUEUE_MAX_TICKS);
    if (!self->up.queue) {
        errno = ENOMEM;
        return -1;
    }
    return connect_front(self);
}

void gwsim_upstream_close(struct gwsim *self)
{
    close_front(self);
    gwsim_tickq_destroy(&self->up.queue);
}

/* Sends [type][body] to the front without blocking; a full queue (the
 * front is not reading) drops it: the next HB or link-up resends. */
static void send_front(struct gwsim *self, const char *type,
                       const void *body, size_t len)
{
    if (!self->up.dealer ||
        zmq_send(self->up.dealer, type, strlen(type),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    zmq_send(self->up.dealer, body, len, ZMQ_DONTWAIT);
}

/* ------------------------------------------------------------------------
 * Subscriptions
 * ------------------------------------------------------------------------ */

/* Sends one SUBSCRIBE of the symbols [from, to) of the table. */
static void subscribe_range(struct gwsim *self, const char **names,
                            size_t from, size_t to, uint8_t *body)
{
    for (size_t i = from; i < to; i++)
        names[i - from] = self->subs->subs[i].feed.tmpl.vt_symbol;
    size_t len = hamd_gw_symbols_encode(names, to - from, body,
                                        GWSIM_UPSTREAM_SUB_BODY_MAX);
    if (len > 0)
        send_front(self, "SUBSCRIBE", body, len);
    else
        LOG_ERROR("cannot encode a SUBSCRIBE of %zu symbols", to - from);
}

void gwsim_upstream_subscribe_all(struct gwsim *self)
{
    size_t count = self->subs->count;
    if (!self->up.dealer || count == 0)
        return;
    const char **names = malloc(HAMD_GW_SYMBOLS_MAX * sizeof *names);
    uint8_t *body = malloc(GWSIM_UPSTREAM_SUB_BODY_MAX);
    if (names && body) {
        for (size_t i = 0; i < count; i += HAMD_GW_SYMBOLS_MAX)
            subscribe_range(self, names, i,
                            count - i < HAMD_GW_SYMBOLS_MAX
                                ? count : i + HAMD_GW_SYMBOLS_MAX,
                            body);
        LOG_DEBUG("subscribed %zu contracts at the front", count);
    } else {
        LOG_ERROR("out of memory: SUBSCRIBE not sent to the front");
    }
    free(names);
    free(body);
}

void gwsim_upstream_unsubscribe(struct gwsim *self, const void *body,
                                size_t len)
{
    if (gwsim_upstream_mode(self))
        send_front(self, "UNSUBSCRIBE", body, len);
}

/* ------------------------------------------------------------------------
 * The link: up, down, heartbeats
 * ------------------------------------------------------------------------ */

void gwsim_upstream_start(struct gwsim *self, int64_t now_ms)
{
    gwsim_uplink_start(&self->up.link, self->params->link_timeout_ms, now_ms);
    self->up.next_hb_ms = now_ms;
}

bool gwsim_upstream_loss_detail(const struct gwsim *self, char *buf,
                                size_t cap)
{
    const struct gwsim_uplink *link = &self->up.link;
    if (!gwsim_upstream_mode(self) || link->up || link->losses == 0 ||
        self->faults.fault == GWSIM_FAULT_DISCONNECT)
        return false;
    if (link->closed)
        snprintf(buf, cap, "front %.80s closed the connection",
                 self->params->upstream);
    else
        snprintf(buf, cap, "front %.80s silent for %lld ms",
                 self->params->upstream,
                 (long long)(link->changed_ms - link->last_rx_ms));
    return true;
}

/* The front answered: connected (then logged in), and subscribe again,
 * as a CTP gateway does after every OnRspUserLogin. */
static void link_up(struct gwsim *self, int64_t now_ms)
{
    struct gwsim_effects fx;
    LOG_INFO("front %s answered: link up", self->params->upstream);
    gwsim_faults_upstream(&self->faults, true, now_ms, &fx);
    gwsim_apply_effects(self, &fx);
    gwsim_upstream_subscribe_all(self);
}

/* The link was lost (the watchdog or the monitor said so at now_ms):
 * disconnected, and a fresh connection. */
static void link_down(struct gwsim *self, int64_t now_ms)
{
    struct gwsim_effects fx;
    char detail[HAMD_GW_DETAIL_MAX];
    gwsim_upstream_loss_detail(self, detail, sizeof detail);
    LOG_WARN("%s: link lost, reconnecting", detail);
    gwsim_faults_upstream(&self->faults, false, now_ms, &fx);
    gwsim_apply_effects(self, &fx);
    gwsim_tickq_clear(self->up.queue);
    close_front(self);
    self->up.reconnects++;
    reconnect(self);
}

void gwsim_upstream_advance(struct gwsim *self, int64_t now_ms)
{
    if (gwsim_uplink_advance(&self->up.link, now_ms) == GWSIM_UPLINK_DOWN)
        link_down(self, now_ms);
    if (now_ms < self->up.next_hb_ms)
        return;
    self->up.next_hb_ms = now_ms + GWSIM_FRONT_HB_MS;
    if (!self->up.dealer && reconnect(self) != 0)
        return;
    uint8_t body[GWSIM_HB_BODY_MAX];
    size_t len = hamd_gw_hb_encode(hamd_wall_ns(), body, sizeof body);
    if (len > 0)
        send_front(self, "HB", body, len);
}

int64_t gwsim_upstream_next_due_ms(const struct gwsim *self)
{
    if (!gwsim_upstream_mode(self))
        return INT64_MAX;
    int64_t due = gwsim_uplink_next_due_ms(&self->up.link);
    return self->up.next_hb_ms < due ? self->up.next_hb_ms : due;
}

void gwsim_upstream_monitor_read(struct gwsim *self)
{
    struct hamd_gwin_msg ev; /* [event][endpoint] */
    bool closed = false;
    while (self->up.monitor && hamd_gwin_recv(self->up.monitor, &ev)) {
        uint16_t id = 0;
        if (zmq_msg_size(&ev.type) == GWSIM_MONITOR_EVENT_BYTES)
            memcpy(&id, zmq_msg_data(&ev.type), sizeof id);
        closed = closed || id == ZMQ_EVENT_DISCONNECTED;
        hamd_gwin_close(&ev);
    }
    int64_t now_ms = gwsim_mono_ms();
    if (closed &&
        gwsim_uplink_closed(&self->up.link, now_ms) == GWSIM_UPLINK_DOWN)
        link_down(self, now_ms);
}

/* ------------------------------------------------------------------------
 * Messages from the front, ticks to the hub
 * ------------------------------------------------------------------------ */

/* Counts and logs a malformed message from the front. */
static void front_bad(struct gwsim *self, const char *what)
{
    self->up.bad++;
    hamd_log_rated(&self->up.bad_rate, HAMD_LOG_WARN,
                   "malformed message from the front: %s", what);
}

/* One tick body from the front: queued for the hub when ticks flow and
 * the contract is subscribed here. */
static void front_tick_cb(struct gwsim *self, zmq_msg_t *body)
{
    struct hamd_tick t;
    if (!gwsim_faults_ticks_flow(&self->faults)) {
        self->up.discarded++;
        return;
    }
    enum hamd_tick_err err =
        hamd_tick_decode(zmq_msg_data(body), zmq_msg_size(body), &t);
    if (err != HAMD_TICK_OK) {
        front_bad(self, hamd_tick_strerror(err));
        return;
    }
    if (!gwsim_symtab_find(self->subs, t.vt_symbol)) {
        self->up.unsubscribed++;
        return;
    }
    int64_t n = 0;
    hamd_tick_extra_int(&t, SIMFEED_EXTRA_SEQ_KEY, &n);
    snprintf(t.gateway_name, sizeof t.gateway_name, "%s", self->account);
    if (gwsim_tickq_push(self->up.queue, &t, n, hamd_wall_ns()) >= 0)
        self->up.received++;
}

/* Reads the frames after a type frame: each body of a TICK, or the one
 * body of an HB. */
static void front_message_cb(struct gwsim *self, zmq_msg_t *type)
{
    enum hamd_gw_type t = hamd_gw_type_parse(zmq_msg_data(type),
                                             zmq_msg_size(type));
    bool more = zmq_msg_more(type);
    int bodies = 0;
    while (more) {
        zmq_msg_t body;
        zmq_msg_init(&body);
        if (zmq_msg_recv(&body, self->up.dealer, 0) < 0) {
            zmq_msg_close(&body);
            break;
        }
        more = zmq_msg_more(&body);
        bodies++;
        if (t == HAMD_GW_TICK)
            front_tick_cb(self, &body);
        zmq_msg_close(&body);
    }
    if ((t != HAMD_GW_TICK && t != HAMD_GW_HB) || bodies == 0)
        front_bad(self, "unexpected type or no body");
}

void gwsim_upstream_read(struct gwsim *self)
{
    for (int i = 0; i < GWSIM_UPSTREAM_MSGS_PER_ROUND && self->up.dealer;
         i++) {
        zmq_msg_t type;
        zmq_msg_init(&type);
        if (zmq_msg_recv(&type, self->up.dealer, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&type);
            return;
        }
        int64_t now_ms = gwsim_mono_ms();
        if (gwsim_uplink_rx(&self->up.link, now_ms) == GWSIM_UPLINK_UP)
            link_up(self, now_ms);
        front_message_cb(self, &type);
        zmq_msg_close(&type);
    }
}

void gwsim_upstream_forward(struct gwsim *self, int64_t wall_ns)
{
    struct gwsim_emit *e = &self->emit;
    gwsim_emit_idle(e);
    if (!gwsim_faults_ticks_flow(&self->faults))
        return;
    int64_t delay_ns = gwsim_faults_round_delay_ns(&self->faults,
                                                   &self->jitter_rng);
    size_t budget = GWSIM_EMIT_BUDGET_TICKS;
    struct gwsim_tickq_item *it;
    while ((it = gwsim_tickq_peek(self->up.queue))) {
        if (it->recv_ns + delay_ns > wall_ns) {
            e->next_due_ns = it->recv_ns + delay_ns;
            return;
        }
        if (budget-- == 0) {
            e->behind = true;
            return;
        }
        it->tick.localtime_ns = wall_ns;
        if (gwsim_out_tick(&self->out, &it->tick, it->n,
                           self->faults.fault) != 0) {
            e->blocked = true;
            e->behind = true;
            return;
        }
        gwsim_tickq_pop(self->up.queue);
    }
}
