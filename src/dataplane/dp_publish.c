/* Data plane: the client-facing side (docs/protocol.md) — PUB and snapshot
 * endpoints that exist only under the lease, tick stamping, the last-value
 * cache, heartbeats, events, and the statistics handed to the control
 * plane. */
#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/mpwrite.h"
#include "common/tick_compact.h"
#include "dataplane/dp_internal.h"

#define DP_EVENT_TOPIC "_event"
#define DP_SNAPSHOT_REQ "SNAPSHOT"
#define DP_SNAPSHOT_END "END"
#define DP_SNAPSHOT_SNDHWM 0 /* unbounded: a snapshot is never truncated */
#define DP_SMALL_MAP_MAX 160 /* bytes of an _hb (~105) or END body */

/* ------------------------------------------------------------------------
 * Endpoints under the lease (the decisions: core/gate.c)
 * ------------------------------------------------------------------------ */

/* True while this node may hand ticks to PUB, checked against the lease
 * as it is now. */
static bool dp_may_publish(struct hamd_dataplane *dp, int64_t now_ns)
{
    struct hamd_gate_lease lease = dp_lease(dp);
    return hamd_gate_may_publish(&dp->gate, &lease, now_ns);
}

static void close_socket(void **sock)
{
    if (!*sock)
        return;
    int linger = DP_LINGER_MS;
    zmq_setsockopt(*sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(*sock);
    *sock = NULL;
}

void dp_endpoints_close(struct hamd_dataplane *dp)
{
    if (dp->pub)
        LOG_INFO("publishing stopped (term %llu): PUB and snapshot closed",
                 (unsigned long long)hamd_gate_pub_term(&dp->gate));
    close_socket(&dp->pub);
    close_socket(&dp->snap);
    dp_wm_reset(dp);
    dp_clients_reset(dp);
}

static int endpoints_open(struct hamd_dataplane *dp)
{
    int hwm = (int)dp->opts.pub_hwm, snap_hwm = DP_SNAPSHOT_SNDHWM;
    int linger = DP_LINGER_MS;
    /* An XPUB, which subscribers cannot tell from a PUB: it also reports
     * their subscriptions, so a takeover knows when clients are back. */
    dp->pub = zmq_socket(dp->zctx, ZMQ_XPUB);
    dp->snap = zmq_socket(dp->zctx, ZMQ_ROUTER);
    int verbose = 1; /* every subscriber's subscriptions and
                        unsubscriptions: its clients (dp_follow.c) */
    zmq_setsockopt(dp->pub, ZMQ_XPUB_VERBOSER, &verbose, sizeof verbose);
    zmq_setsockopt(dp->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(dp->pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(dp->snap, ZMQ_SNDHWM, &snap_hwm, sizeof snap_hwm);
    zmq_setsockopt(dp->snap, ZMQ_LINGER, &linger, sizeof linger);
    dp_curve_server(dp, dp->pub, DP_ZAP_DOMAIN_CLIENTS);
    dp_curve_server(dp, dp->snap, DP_ZAP_DOMAIN_CLIENTS);
    const char *failed = NULL;
    if (zmq_bind(dp->pub, dp->opts.publish) < 0)
        failed = dp->opts.publish;
    else if (zmq_bind(dp->snap, dp->opts.snapshot) < 0)
        failed = dp->opts.snapshot;
    if (failed) {
        hamd_log_rated(&dp->bind_rate, HAMD_LOG_ERROR,
                       "cannot bind %s: %s (retrying)", failed,
                       zmq_strerror(errno));
        close_socket(&dp->pub);
        close_socket(&dp->snap);
        /* After the bind, which may have taken a while (a name lookup). */
        hamd_gate_pub_failed(&dp->gate, hamd_mono_ns());
        return -1;
    }
    return 0;
}

void dp_contracts_each(struct hamd_dataplane *dp,
                       void (*fn)(struct hamd_dataplane *dp,
                                  struct dp_contract *c, int64_t now_ns),
                       int64_t now_ns)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(dp->contracts, &cursor, &key, &val))
        fn(dp, val, now_ns);
}

enum hamd_arb_emit dp_replay_emit(void *ud, int source,
                                  const struct hamd_arb_tick *kept)
{
    struct dp_replay *r = ud;
    struct dp_source *s = &r->dp->sources[source];
    struct hamd_tick tick;
    struct hamd_tick_splice wire;
    if (!dp_tick_decode(s, kept->body, kept->len, &tick, &wire))
        return HAMD_ARB_EMIT_UNFIT;
    /* Kept in this contract's ring on a peek at the same vt_symbol key,
     * which the decoder reads too: a mismatch would be a peek that read
     * another key, and the tick must not go out under this topic. */
    if (strcmp(tick.vt_symbol, r->c->vt_symbol) != 0) {
        dp_source_reject(s, "kept body names another contract");
        return HAMD_ARB_EMIT_UNFIT;
    }
    /* Stopped by the last check, the tick stays in its ring with the
     * rest of the replay: the next flush (a takeover, the lapse's end)
     * sends them. */
    return dp_publish_tick(r->dp, r->c, source, &tick,
                           wire.body ? &wire : NULL, NULL, r->now_ns)
               ? HAMD_ARB_EMIT_SENT
               : HAMD_ARB_EMIT_STOP;
}

/* Sends a contract's held ticks newer than the last published, in order
 * (in first-arrival mode every eligible source's, merged): the end of a
 * lease lapse. */
static void contract_flush(struct hamd_dataplane *dp, struct dp_contract *c,
                           int64_t now_ns)
{
    struct dp_replay r = {dp, c, now_ns};
    hamd_arb_flush(&c->arb, hamd_gate_lapse_limits(&dp->gate), now_ns,
                   dp_replay_emit, &r);
}

static void log_lapse_began(struct hamd_dataplane *dp)
{
    LOG_WARN("lease lapsed in term %llu: holding ticks",
             (unsigned long long)hamd_gate_pub_term(&dp->gate));
}

/* PUB is bound in term. A node that held takes over: it stops reading the
 * old publisher first, since what is left of its stream still moves the
 * guards, then the gate schedules the takeover (dp_follow_takeover_due). */
static void publishing_begin(struct hamd_dataplane *dp, uint64_t term,
                             int64_t now_ns)
{
    dp->next_hb_ns = now_ns;
    LOG_INFO("publishing as node %u in term %llu on %s (snapshot %s)",
             dp->opts.node_id, (unsigned long long)term, dp->opts.publish,
             dp->opts.snapshot);
    if (hamd_gate_holds(&dp->gate))
        dp_follow_set(dp, "");
    hamd_gate_pub_opened(&dp->gate, term, now_ns);
}

void dp_endpoints_reconcile(struct hamd_dataplane *dp, int64_t now_ns)
{
    struct hamd_gate_lease lease = dp_lease(dp);
    struct hamd_gate_steps s = hamd_gate_reconcile(&dp->gate, &lease, now_ns);
    if (s.steps & HAMD_GATE_LAPSE_ENDED)
        LOG_INFO("lease back in term %llu after %lld ms: sending held ticks",
                 (unsigned long long)hamd_gate_pub_term(&dp->gate),
                 (long long)s.lapse_ms);
    if (s.steps & HAMD_GATE_FLUSH_HELD)
        dp_contracts_each(dp, contract_flush, now_ns);
    if (s.steps & HAMD_GATE_LAPSE_BEGAN)
        log_lapse_began(dp);
    if (s.steps & HAMD_GATE_CLOSE_PUB)
        dp_endpoints_close(dp);
    if ((s.steps & HAMD_GATE_OPEN_PUB) && endpoints_open(dp) == 0)
        publishing_begin(dp, lease.term, now_ns);
}

enum hamd_gate_tick dp_gate_tick(struct hamd_dataplane *dp,
                                 const struct hamd_gate_lease *lease,
                                 int64_t now_ns)
{
    enum hamd_gate_tick v = hamd_gate_tick(&dp->gate, lease, now_ns);
    if (v == HAMD_GATE_TICK_LAPSE_BEGAN)
        log_lapse_began(dp);
    return v;
}

/* ------------------------------------------------------------------------
 * Ticks, cache, events
 * ------------------------------------------------------------------------ */

/* Keeps the published tick, with the hub fields of *hub, for SNAPSHOT in
 * compact form (~40 % of the encoded body): 5,000 cached contracts are
 * megabytes of resident memory, while a snapshot re-encodes them at a
 * fraction of a microsecond each. The bytes come from the slab of their
 * size class (common/slab.h), out of the data thread's arena. */
static void lvc_store(struct hamd_dataplane *dp, struct dp_contract *c,
                      const struct hamd_tick *tick,
                      const struct hamd_tick_hub *hub)
{
    size_t len = hamd_tick_compact_to(tick, hub, c->lvc, c->lvc_cap);
    if (len > c->lvc_cap) {
        size_t cap;
        uint8_t *grown = hamd_slabs_alloc(dp->lvc_slabs, len, &cap);
        if (!grown)
            return; /* keep the older cached value */
        hamd_slabs_free(dp->lvc_slabs, c->lvc, c->lvc_cap);
        c->lvc = grown;
        c->lvc_cap = (uint32_t)cap;
        len = hamd_tick_compact_to(tick, hub, c->lvc, cap);
    }
    /* Counted where it changes: the statistics visit no contract. */
    dp->cached += (uint64_t)(len > 0) - (uint64_t)(c->lvc_len > 0);
    c->lvc_len = (uint32_t)len;
}

static void send_two(struct hamd_dataplane *dp, const char *topic,
                     size_t topic_len, const void *body, size_t len)
{
    if (zmq_send(dp->pub, topic, topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(dp->pub, body, len, ZMQ_DONTWAIT) < 0)
        dp->pub_errors++;
}

static void note_switch_done(struct hamd_dataplane *dp, struct dp_contract *c,
                             int source, int64_t now_ns)
{
    struct hamd_dp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = HAMD_DP_EV_SWITCHED;
    ev.mono_ns = now_ns;
    snprintf(ev.account, sizeof ev.account, "%s", dp->sources[source].account);
    ev.u.switched.switch_id = c->switch_id;
    ev.u.switched.replayed = c->switch_replayed;
    snprintf(ev.u.switched.vt_symbol, sizeof ev.u.switched.vt_symbol, "%s",
             c->vt_symbol);
    c->switch_id = 0;
    dp_event_push(dp, &ev);
}

/* A follower (or a new publisher waiting for clients) keeps the tick for
 * a takeover, and the guard follows what the publisher sent (dp_follow.c).
 * The cache still gets it, unnumbered: the term and seq of the last tick
 * this node published for the contract (0 and 0 if none), so a snapshot
 * never claims a seq that was not sent. */
static void follow_hold(struct hamd_dataplane *dp, struct dp_contract *c,
                        int source, const struct hamd_tick *tick,
                        const struct dp_live *live, int64_t now_ns)
{
    hamd_arb_hold(&c->arb, hamd_gate_follow_limits(&dp->gate), source,
                  &live->kept, now_ns);
    struct hamd_tick_hub hub = {c->seq_term, c->seq, dp->opts.node_id,
                                hamd_wall_ns()};
    lvc_store(dp, c, tick, &hub);
}

/* Holds a live tick when the gate says so. Returns true when held. */
static bool dp_tick_held(struct hamd_dataplane *dp, struct dp_contract *c,
                         int source, const struct hamd_tick *tick,
                         const struct dp_live *live,
                         const struct hamd_gate_lease *lease, int64_t now_ns)
{
    switch (dp_gate_tick(dp, lease, now_ns)) {
    case HAMD_GATE_TICK_SEND:
        return false;
    case HAMD_GATE_TICK_HOLD_LAPSE:
    case HAMD_GATE_TICK_LAPSE_BEGAN:
        hamd_arb_hold(&c->arb, hamd_gate_lapse_limits(&dp->gate), source,
                      &live->kept, now_ns);
        return true;
    case HAMD_GATE_TICK_HOLD_FOLLOW:
        follow_hold(dp, c, source, tick, live, now_ns);
        return true;
    }
    return false;
}

/* Ticks of c a replay found let go unsent (a hold, or a source's stall,
 * outlasted the replay window or the depth): seq skipped them (see
 * tick_seq), so clients see the gap and take a snapshot where they would
 * have seen nothing. */
static void note_lost(struct hamd_dataplane *dp, struct dp_contract *c,
                      unsigned lost)
{
    dp->replay_lost += lost;
    hamd_log_rated(&dp->lost_rate, HAMD_LOG_WARN,
                   "%s: %u ticks let go before a replay could send them (a "
                   "hold or a stall outlasted replay_window_ms or the ring's "
                   "depth): clients see a gap in seq (%llu so far)",
                   c->vt_symbol, lost, (unsigned long long)dp->replay_lost);
}

/* Writes the tick to publish, with the hub fields of *hub, into
 * dp->encbuf: the gateway's own bytes with them spliced in when it can
 * (tick_splice.h), else encoded. Returns the length, 0 on failure. */
static size_t publish_body(struct hamd_dataplane *dp, int source,
                           const struct hamd_tick *tick,
                           const struct hamd_tick_hub *hub,
                           const struct hamd_tick_splice *wire)
{
    if (wire) {
        const struct dp_source *s = &dp->sources[source];
        size_t len = hamd_tick_splice(wire, s->account, s->account_len, hub,
                                      dp->encbuf, sizeof dp->encbuf);
        if (len > 0)
            return len;
    }
    return hamd_tick_encode_hub(tick, hub, dp->encbuf, sizeof dp->encbuf);
}

/* The seq the tick takes in term if it goes out: the next after the
 * contract's last in that term, past the ticks a replay let go. Nothing
 * is counted yet: a tick the last check stops takes no number. */
static uint64_t tick_seq(const struct dp_contract *c, uint64_t term)
{
    uint64_t last = c->seq_term == term ? c->seq : 0;
    return last + hamd_arb_lost(&c->arb) + 1;
}

/* A live tick the last check stopped: the lease moved or was revoked
 * after the tick path read it. Held as the gate holds a tick now (a
 * lapse, a follower); were the gate to say send, held for the next
 * takeover all the same, since this node may not send it now. */
static void hold_stopped(struct hamd_dataplane *dp, struct dp_contract *c,
                         int source, const struct hamd_tick *tick,
                         const struct dp_live *live, int64_t now_ns)
{
    struct hamd_gate_lease lease = dp_lease(dp);
    if (!dp_tick_held(dp, c, source, tick, live, &lease, now_ns))
        hamd_arb_hold(&c->arb, hamd_gate_follow_limits(&dp->gate), source,
                      &live->kept, now_ns);
}

/* The tick went out (or proved unencodable) numbered as hub says: the
 * guard moves past it, the seq is taken, the cache and the counts have
 * it. */
static void tick_numbered(struct hamd_dataplane *dp, struct dp_contract *c,
                          int source, const struct hamd_tick *tick,
                          const struct hamd_tick_hub *hub, bool encoded)
{
    hamd_arb_published(&c->arb, tick->datetime_ns, tick->volume);
    unsigned lost = hamd_arb_take_lost(&c->arb);
    if (lost)
        note_lost(dp, c, lost);
    c->seq_term = hub->term;
    c->seq = hub->seq;
    if (!encoded)
        return;
    lvc_store(dp, c, tick, hub);
    dp->sources[source].st.published++;
    if (c->first)
        dp->sources[source].st.first++;
}

bool dp_publish_tick(struct hamd_dataplane *dp, struct dp_contract *c,
                     int source, const struct hamd_tick *tick,
                     const struct hamd_tick_splice *wire,
                     const struct dp_live *live, int64_t now_ns)
{
    struct hamd_gate_lease lease = dp_lease(dp);
    /* A lease granted since the last poll opens PUB before this tick is
     * numbered in the new term, so the first tick of a term goes out. */
    if (hamd_gate_opens_first(&dp->gate, &lease, now_ns)) {
        dp_endpoints_reconcile(dp, now_ns);
        lease = dp_lease(dp);
    }
    if (live && dp_tick_held(dp, c, source, tick, live, &lease, now_ns))
        return true;
    /* Numbered in PUB's term: the check below sends it only while the
     * lease is in that term too. */
    uint64_t term = hamd_gate_pub_term(&dp->gate);
    struct hamd_tick_hub hub = {term, tick_seq(c, term), dp->opts.node_id,
                                live ? live->wall_ns : hamd_wall_ns()};
    size_t len = publish_body(dp, source, tick, &hub, wire);
    /* Only the lease holder hands the tick to ZeroMQ, checked last,
     * against the lease as it is now and the clock (fencing). A tick it
     * stops is held, not numbered: counted published unsent, it moved
     * the guard past what a later takeover of this node had to send. */
    if (!dp_may_publish(dp, now_ns)) {
        if (live)
            hold_stopped(dp, c, source, tick, live, now_ns);
        return false;
    }
    if (len == 0) {
        dp->pub_errors++; /* never sendable: its seq is the clients' gap */
        tick_numbered(dp, c, source, tick, &hub, false);
        return true;
    }
    send_two(dp, c->vt_symbol, c->vt_len, dp->encbuf, len);
    tick_numbered(dp, c, source, tick, &hub, true);
    dp_wm_note(dp, c, tick);
    dp->published++;
    if (c->switch_id)
        note_switch_done(dp, c, source, now_ns);
    return true;
}

void dp_publish_event(struct hamd_dataplane *dp, const void *body, size_t len)
{
    if (dp_may_publish(dp, hamd_mono_ns()))
        send_two(dp, DP_EVENT_TOPIC, strlen(DP_EVENT_TOPIC), body, len);
}

/* One entry of the small maps of _hb and END. */
struct dp_kv {
    const char *key; /* map key */
    uint64_t value;  /* every value is a non-negative integer */
};

/* Packs {key: value, ...} of kv[0..n) into buf[0..cap), without
 * allocating. Returns the length, 0 when it does not fit. */
static size_t pack_small_map(uint8_t *buf, size_t cap, const struct dp_kv *kv,
                             size_t n)
{
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_map(&w.pk, n);
    for (size_t i = 0; i < n; i++) {
        hamd_mpw_str(&w, kv[i].key);
        msgpack_pack_uint64(&w.pk, kv[i].value);
    }
    return hamd_mpw_finish(&w);
}

void dp_heartbeat_due(struct hamd_dataplane *dp, int64_t now_ns)
{
    if (!dp_may_publish(dp, now_ns) || now_ns < dp->next_hb_ns)
        return;
    dp->next_hb_ns = now_ns + (int64_t)dp->opts.heartbeat_ms * HAMD_NS_PER_MS;
    /* Wall time is after 1970: packed unsigned, its bytes are those of
     * msgpack_pack_int64. */
    const struct hamd_gate_subs *clients = hamd_gate_clients(&dp->gate);
    const struct dp_kv hb[] = {
        {"term", hamd_gate_pub_term(&dp->gate)},
        {"node", dp->opts.node_id},
        {"ts_ns", (uint64_t)hamd_wall_ns()},
        {"published", dp->published},
        /* For older nodes, which wait for subscriptions. */
        {"clients", (uint64_t)clients->subscriptions},
        {"libraries", (uint64_t)clients->libraries},
        {"plain", (uint64_t)clients->plain},
    };
    uint8_t body[DP_SMALL_MAP_MAX];
    size_t len = pack_small_map(body, sizeof body, hb, sizeof hb / sizeof hb[0]);
    send_two(dp, DP_HB_TOPIC, strlen(DP_HB_TOPIC), body, len);
}

/* ------------------------------------------------------------------------
 * Snapshot: ["SNAPSHOT", prefix] -> [topic][body]... ["END", {term, count}]
 * ------------------------------------------------------------------------ */

struct snap_peer {
    zmq_msg_t id;       /* requester's routing identity */
    bool delimited;     /* it sent an empty delimiter (REQ-style) */
};

static bool snap_send(struct hamd_dataplane *dp, struct snap_peer *p,
                      const void *topic, size_t tlen, const void *body,
                      size_t blen)
{
    if (zmq_send(dp->snap, zmq_msg_data(&p->id), zmq_msg_size(&p->id),
                 ZMQ_SNDMORE) < 0)
        return false;
    if (p->delimited && zmq_send(dp->snap, "", 0, ZMQ_SNDMORE) < 0)
        return false;
    return zmq_send(dp->snap, topic, tlen, ZMQ_SNDMORE) >= 0 &&
           zmq_send(dp->snap, body, blen, 0) >= 0;
}

static void snap_reply(struct hamd_dataplane *dp, struct snap_peer *p,
                       const char *prefix, size_t plen)
{
    uint64_t count = 0;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(dp->contracts, &cursor, &key, &val)) {
        struct dp_contract *c = val;
        if (c->lvc_len == 0 || strncmp(c->vt_symbol, prefix, plen) != 0)
            continue;
        struct hamd_tick tick;
        hamd_tick_expand(c->lvc, &tick);
        size_t len = hamd_tick_encode(&tick, true, dp->encbuf,
                                      sizeof dp->encbuf);
        if (len == 0)
            continue;
        if (!snap_send(dp, p, c->vt_symbol, strlen(c->vt_symbol), dp->encbuf,
                       len))
            return;
        count++;
    }
    const struct dp_kv end[] = {{"term", hamd_gate_pub_term(&dp->gate)},
                                {"count", count}};
    uint8_t body[DP_SMALL_MAP_MAX];
    size_t len = pack_small_map(body, sizeof body, end,
                                sizeof end / sizeof end[0]);
    snap_send(dp, p, DP_SNAPSHOT_END, strlen(DP_SNAPSHOT_END), body, len);
    dp->snapshots++;
}

void dp_snapshot_serve(struct hamd_dataplane *dp)
{
    struct snap_peer p;
    zmq_msg_t parts[3];
    zmq_msg_init(&p.id);
    for (int i = 0; i < 3; i++)
        zmq_msg_init(&parts[i]);
    if (zmq_msg_recv(&p.id, dp->snap, ZMQ_DONTWAIT) < 0)
        goto out;
    int n = 0;
    bool more = zmq_msg_more(&p.id);
    while (more) {
        zmq_msg_t *dst = &parts[n < 3 ? n : 2];
        if (zmq_msg_recv(dst, dp->snap, 0) < 0)
            goto out;
        more = zmq_msg_more(dst);
        n++;
    }
    p.delimited = n > 0 && zmq_msg_size(&parts[0]) == 0;
    int first = p.delimited ? 1 : 0;
    int args = n - first;
    if (args < 1 || args > 2 || n > 3)
        goto out; /* not a request we know: ignored */
    zmq_msg_t *cmd = &parts[first];
    if (zmq_msg_size(cmd) != strlen(DP_SNAPSHOT_REQ) ||
        memcmp(zmq_msg_data(cmd), DP_SNAPSHOT_REQ, zmq_msg_size(cmd)) != 0)
        goto out;
    char prefix[HAMD_VT_SYMBOL_MAX] = "";
    if (args == 2) {
        size_t plen = zmq_msg_size(&parts[first + 1]);
        if (plen >= sizeof prefix)
            goto out;
        memcpy(prefix, zmq_msg_data(&parts[first + 1]), plen);
        prefix[plen] = '\0';
    }
    snap_reply(dp, &p, prefix, strlen(prefix));
out:
    zmq_msg_close(&p.id);
    for (int i = 0; i < 3; i++)
        zmq_msg_close(&parts[i]);
}
