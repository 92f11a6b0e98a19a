/* libhamd-client's ZeroMQ shell: a SUB per publish endpoint (and probes
 * beside a silent one, client_conn.h), a DEALER for snapshots while one
 * is asked for, and the poll step that reads them into the core and
 * carries out what the core says is due. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "client/client_msg.h"
#include "common/clock.h"

#define CLIENT_RECONNECT_IVL_MS 10   /* retry an endpoint this often: a new
                                        leader re-sends what it held once
                                        the old one's clients are back, at
                                        most 300 ms after the first
                                        (docs/protocol.md §8); libzmq adds
                                        up to as much again at random */
#define CLIENT_ZMTP_HB_IVL_MS 1000   /* ZMTP ping on every connection ... */
#define CLIENT_ZMTP_HB_TIMEOUT_MS 3000 /* ... dropped when silent this long */
#define CLIENT_CONNECT_TIMEOUT_MS 300 /* a SYN sent while a VIP moves goes to
                                         the old owner and gets no answer
                                         (TCP resends after 1 s): give up on
                                         it, by then the gratuitous ARP came */
#define CLIENT_HANDSHAKE_IVL_MS 500  /* a frozen hub's kernel accepts the
                                        connection, the ZMTP handshake never
                                        completes: drop it after this */
#define CLIENT_PROBE_CONNECT_TIMEOUT_MS 25 /* a probe gives up a SYN this
                                             soon and sends another (10-20
                                             ms later): it reaches a VIP's
                                             new owner within ~40 ms of its
                                             gratuitous ARP; on a LAN a SYN
                                             is answered in under 1 ms */
#define CLIENT_PROBE_HANDSHAKE_IVL_MS 100 /* ... and a ZMTP handshake a frozen
                                             hub never completes */
#define CLIENT_RCVHWM_MSGS 10000     /* messages a connection queues in this
                                        process, at most (~40 MB): beyond,
                                        the hub's queue for this client
                                        fills and the hub drops ticks for
                                        it, reported as a gap. Unbounded
                                        (0), a consumer slower than the
                                        stream grew without limit and never
                                        heard of a loss (docs/client.md,
                                        "The limits") */
#define CLIENT_BATCH_MAX 1000        /* messages read from one socket per
                                        poll step: the others get a turn */
#define CLIENT_SNAPSHOT_REQ "SNAPSHOT"

/* ------------------------------------------------------------------------
 * Sockets
 * ------------------------------------------------------------------------ */

static void set_int(void *sock, int opt, int value)
{
    zmq_setsockopt(sock, opt, &value, sizeof value);
}

/* Options every client socket gets (docs/protocol.md §8), and the CURVE
 * keys when given (docs/security.md). */
static void set_connection_opts(const struct client_conf *conf, void *sock)
{
    if (conf->curve) {
        zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, conf->server_key,
                       HAMD_CURVE_Z85_LEN);
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, conf->client_public,
                       HAMD_CURVE_Z85_LEN);
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, conf->client_secret,
                       HAMD_CURVE_Z85_LEN);
    }
    set_int(sock, ZMQ_LINGER, 0);
    set_int(sock, ZMQ_RCVHWM, CLIENT_RCVHWM_MSGS);
    set_int(sock, ZMQ_RECONNECT_IVL, CLIENT_RECONNECT_IVL_MS);
    set_int(sock, ZMQ_HEARTBEAT_IVL, CLIENT_ZMTP_HB_IVL_MS);
    set_int(sock, ZMQ_HEARTBEAT_TIMEOUT, CLIENT_ZMTP_HB_TIMEOUT_MS);
    set_int(sock, ZMQ_CONNECT_TIMEOUT, CLIENT_CONNECT_TIMEOUT_MS);
    set_int(sock, ZMQ_HANDSHAKE_IVL, CLIENT_HANDSHAKE_IVL_MS);
}

/* Opens slot's SUB (client_conn.h: a primary, or a probe that gives up
 * a connection attempt at LAN speed) and connects it to its endpoint.
 * Returns 0 or -1 with errno. */
static int sub_open(struct hamd_client *self, unsigned slot)
{
    const struct client_conf *conf = &self->conf;
    void *sub = zmq_socket(self->zctx, ZMQ_SUB);
    if (!sub)
        return -1;
    self->subs[slot] = sub;
    set_connection_opts(conf, sub);
    if (cconn_is_probe(slot)) {
        set_int(sub, ZMQ_CONNECT_TIMEOUT, CLIENT_PROBE_CONNECT_TIMEOUT_MS);
        set_int(sub, ZMQ_HANDSHAKE_IVL, CLIENT_PROBE_HANDSHAKE_IVL_MS);
    }
    for (unsigned p = 0; p < conf->n_prefixes; p++)
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, conf->prefixes[p],
                       strlen(conf->prefixes[p]));
    /* Heartbeats and events whatever the prefixes; a message matching two
     * subscriptions still comes once. */
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, CCWIRE_HB_TOPIC, strlen(CCWIRE_HB_TOPIC));
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, CCWIRE_EVENT_TOPIC,
                   strlen(CCWIRE_EVENT_TOPIC));
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, self->name_topic,
                   strlen(self->name_topic));
    return zmq_connect(sub, conf->endpoints[cconn_endpoint(slot)]);
}

/* This client's name topic: a random name (the clock and pid when the
 * kernel gives no random bytes: it needs to differ from the other
 * clients', nothing more). */
static void name_topic_make(struct hamd_client *self)
{
    uint64_t name;
    if (getrandom(&name, sizeof name, GRND_NONBLOCK) != (ssize_t)sizeof name)
        name = (uint64_t)hamd_mono_ns() ^ ((uint64_t)getpid() << 32) ^
               (uint64_t)(uintptr_t)self;
    ccwire_name_topic(self->name_topic,
                      (const char *const *)self->conf.prefixes,
                      self->conf.n_prefixes, name);
}

static void dealer_close(struct hamd_client *self)
{
    if (self->dealer)
        zmq_close(self->dealer);
    self->dealer = NULL;
}

/* Opens the DEALER, connected to every snapshot endpoint. ZMQ_IMMEDIATE:
 * a request goes only to a completed connection, the publisher's (no
 * other node binds). Returns false (errno set) when ZeroMQ refused a
 * socket or an endpoint. */
static bool dealer_open(struct hamd_client *self)
{
    void *d = zmq_socket(self->zctx, ZMQ_DEALER);
    if (!d)
        return false;
    self->dealer = d;
    set_connection_opts(&self->conf, d);
    set_int(d, ZMQ_IMMEDIATE, 1);
    for (unsigned i = 0; i < self->conf.n_snapshots; i++)
        if (zmq_connect(d, self->conf.snapshots[i]) < 0) {
            int err = errno;
            dealer_close(self);
            errno = err;
            return false;
        }
    return true;
}

int client_io_open(struct hamd_client *self)
{
    name_topic_make(self);
    if (!(self->zctx = zmq_ctx_new()))
        return -1;
    for (unsigned i = 0; i < self->conf.n_endpoints; i++)
        if (sub_open(self, CCONN_SLOTS_PER_EP * i) < 0)
            return -1;
    /* A snapshot endpoint ZeroMQ refuses ("foo", no port) is the caller's
     * error, told now: the DEALER is opened only when a snapshot is due,
     * where the refusal would silently mean no snapshots ever. */
    if (self->conf.n_snapshots > 0) {
        if (!dealer_open(self))
            return -1;
        dealer_close(self);
    }
    return 0;
}

void client_io_close(struct hamd_client *self)
{
    dealer_close(self);
    for (unsigned i = 0; i < CCORE_SLOTS_MAX; i++) {
        if (self->subs[i])
            zmq_close(self->subs[i]);
        self->subs[i] = NULL;
    }
    if (self->zctx)
        zmq_ctx_term(self->zctx);
    self->zctx = NULL;
}

/* Sends the request the core asks for; tells the core whether it left. */
static void snapshot_send(struct hamd_client *self, int64_t now_ns)
{
    if (!self->dealer && !dealer_open(self)) {
        ccore_snapshot_sent(self->core, false, now_ns);
        return;
    }
    const char *prefix = self->conf.prefixes[ccore_snapshot_prefix(self->core)];
    bool sent = zmq_send(self->dealer, CLIENT_SNAPSHOT_REQ,
                         strlen(CLIENT_SNAPSHOT_REQ),
                         ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
                zmq_send(self->dealer, prefix, strlen(prefix), ZMQ_DONTWAIT) >= 0;
    ccore_snapshot_sent(self->core, sent, now_ns);
}

/* ------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------ */

/* Receives one message into self->topic and self->body. Returns 1 for
 * two frames, 0 for any other number (read and dropped), -1 when none is
 * waiting. */
static int recv_two(struct hamd_client *self, void *sock)
{
    if (zmq_msg_recv(&self->topic, sock, ZMQ_DONTWAIT) < 0)
        return -1;
    int frames = 1;
    bool more = zmq_msg_more(&self->topic);
    if (more) {
        if (zmq_msg_recv(&self->body, sock, 0) < 0)
            return 0;
        frames++;
        more = zmq_msg_more(&self->body);
    }
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        more = zmq_msg_recv(&extra, sock, 0) >= 0 && zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        frames++;
    }
    return frames == 2;
}

/* One message of the SUB of `slot`. */
static void sub_message(struct hamd_client *self, unsigned slot, int64_t now_ns)
{
    char type[CCWIRE_EVENT_TYPE_MAX];
    const void *body = zmq_msg_data(&self->body);
    size_t blen = zmq_msg_size(&self->body);
    if (cmsg_sub(self->core, slot, zmq_msg_data(&self->topic),
                 zmq_msg_size(&self->topic), body, blen, now_ns, type) &&
        self->conf.cb.on_event)
        self->conf.cb.on_event(self->conf.cb.ud, type, body, blen);
}

/* Reads up to max messages of the SUB of `slot`. Each is timed as it is
 * read: the callbacks it calls take what time they take, and a batch
 * timed from its start made the `_hb`s among 1.2 s of a slow on_tick's
 * ticks look 1.2 s old ('no heartbeat', a reconnect, probes). */
static void sub_drain(struct hamd_client *self, unsigned slot, int max)
{
    int rc;
    for (int n = 0; n < max && (rc = recv_two(self, self->subs[slot])) >= 0; n++) {
        int64_t now_ns = hamd_mono_ns();
        if (rc == 1)
            sub_message(self, slot, now_ns);
        else
            ccore_malformed(self->core, slot, "not two frames", now_ns);
    }
}

/* One message of the snapshot answer (rc: recv_two's). */
static void dealer_message(struct hamd_client *self, int rc, int64_t now_ns)
{
    cmsg_snapshot(self->core, rc == 1, zmq_msg_data(&self->topic),
                  zmq_msg_size(&self->topic), zmq_msg_data(&self->body),
                  zmq_msg_size(&self->body), now_ns);
}

static void dealer_drain(struct hamd_client *self, int64_t now_ns)
{
    int rc;
    for (int n = 0; n < CLIENT_BATCH_MAX && self->dealer &&
                    (rc = recv_two(self, self->dealer)) >= 0;
         n++)
        dealer_message(self, rc, now_ns);
}

/* ------------------------------------------------------------------------
 * The poll step
 * ------------------------------------------------------------------------ */

/* Reads everything slot's SUB holds (repeats are dropped by the core, a
 * tick only it brought is not lost). */
static void sub_drain_all(struct hamd_client *self, unsigned slot)
{
    if (self->subs[slot])
        sub_drain(self, slot, INT32_MAX);
}

/* Closes, opens and makes again the connections the core names. */
static void slots_run(struct hamd_client *self, unsigned acts)
{
    if (!(acts & (CCORE_DO_CLOSE | CCORE_DO_OPEN | CCORE_DO_RECONNECT)))
        return;
    uint64_t close = acts & CCORE_DO_CLOSE ? ccore_take_close(self->core) : 0;
    uint64_t open = acts & CCORE_DO_OPEN ? ccore_take_open(self->core) : 0;
    uint64_t again = acts & CCORE_DO_RECONNECT ? ccore_take_reconnect(self->core)
                                                : 0;
    for (unsigned s = 0; s < CCORE_SLOTS_MAX; s++) {
        uint64_t bit = 1ull << s;
        if ((close & bit) && self->subs[s]) {
            sub_drain_all(self, s);
            zmq_close(self->subs[s]);
            self->subs[s] = NULL;
        }
        if ((open & bit) && !self->subs[s])
            sub_open(self, s); /* the endpoint connected once: it will again */
        if ((again & bit) && self->subs[s]) {
            sub_drain_all(self, s);
            if (!ccore_reconnect_ok(self->core, s))
                continue;
            const char *ep = self->conf.endpoints[cconn_endpoint(s)];
            zmq_disconnect(self->subs[s], ep);
            zmq_connect(self->subs[s], ep);
        }
    }
}

/* Does what the core says is due; returns when the next thing is. */
static int64_t due_run(struct hamd_client *self, int64_t now_ns)
{
    unsigned acts;
    int64_t next = ccore_due(self->core, now_ns, &acts);
    slots_run(self, acts); /* reads (and times) what they held */
    if (acts & CCORE_DO_SNAPSHOT_CLOSE)
        dealer_close(self);
    if (acts & CCORE_DO_SNAPSHOT_SEND)
        snapshot_send(self, hamd_mono_ns());
    return next;
}

/* Milliseconds until next_ns, at most timeout_ms (< 0: no limit). */
static long wait_ms(int64_t now_ns, int64_t next_ns, int timeout_ms)
{
    long wait = timeout_ms;
    if (next_ns != INT64_MAX) {
        int64_t until = next_ns - now_ns;
        long due = until <= 0 ? 0 : (long)((until + HAMD_NS_PER_MS - 1) /
                                           HAMD_NS_PER_MS);
        if (wait < 0 || due < wait)
            wait = due;
    }
    return wait;
}

/* The open sockets to poll: the SUBs (slot_of: item -> slot), then the
 * DEALER when open. */
struct poll_set {
    zmq_pollitem_t items[CCORE_SLOTS_MAX + 1];
    unsigned slot_of[CCORE_SLOTS_MAX];
    unsigned n_subs; /* SUB items */
    unsigned n;      /* items, the DEALER's included */
};

static void poll_set_fill(struct hamd_client *self, struct poll_set *ps)
{
    ps->n = 0;
    for (unsigned s = 0; s < CCORE_SLOTS_MAX; s++)
        if (self->subs[s]) {
            ps->slot_of[ps->n] = s;
            ps->items[ps->n++] = (zmq_pollitem_t){self->subs[s], 0, ZMQ_POLLIN, 0};
        }
    ps->n_subs = ps->n;
    if (self->dealer)
        ps->items[ps->n++] = (zmq_pollitem_t){self->dealer, 0, ZMQ_POLLIN, 0};
}

/* Reads the sockets zmq_poll found readable. */
static void poll_set_read(struct hamd_client *self, const struct poll_set *ps)
{
    for (unsigned i = 0; i < ps->n_subs; i++)
        if (ps->items[i].revents & ZMQ_POLLIN)
            sub_drain(self, ps->slot_of[i], CLIENT_BATCH_MAX);
    if (ps->n > ps->n_subs && (ps->items[ps->n_subs].revents & ZMQ_POLLIN))
        dealer_drain(self, hamd_mono_ns());
}

int client_io_poll(struct hamd_client *self, int timeout_ms)
{
    self->delivered = 0;
    struct poll_set ps;
    poll_set_fill(self, &ps);
    /* What came while the caller was away (its work on the last ticks, or
     * the process stopped) is read before anything is judged due: judged
     * first, the connection still holding the hub's heartbeats looked
     * silent ('no heartbeat', a snapshot, probes beside it). */
    int rc = zmq_poll(ps.items, (int)ps.n, 0);
    if (rc == 0) {
        int64_t now_ns = hamd_mono_ns();
        int64_t next = due_run(self, now_ns);
        poll_set_fill(self, &ps); /* due_run opens and closes sockets */
        rc = zmq_poll(ps.items, (int)ps.n, wait_ms(now_ns, next, timeout_ms));
    }
    if (rc < 0 && zmq_errno() != EINTR)
        return -1;
    if (rc > 0)
        poll_set_read(self, &ps);
    due_run(self, hamd_mono_ns());
    client_stats_publish(self);
    return self->delivered;
}
