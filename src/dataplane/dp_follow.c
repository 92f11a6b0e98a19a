/* Data plane: following the publisher, so a takeover loses no tick.
 *
 * Every node's gateways receive the same ticks, but a follower cannot tell
 * which of them the publisher sent before it died: without more, the ticks
 * that reach the nodes while leadership moves (about an election timeout
 * when the leader dies) are never sent. So a follower subscribes to the
 * publishing node's PUB and moves each contract's newer-than-last guard
 * with what it reads there (hamd_arb_observed), while it holds its own
 * active sources' ticks instead of counting them as published (arbiter
 * rule 5). Taking over, it sends the held ticks newer than the old
 * publisher's last, in order, then goes live: a tick the old publisher
 * never sent goes out under the new term, one it sent does not. It sends
 * them once clients are back: a PUB drops what it sends before a SUB has
 * connected, and clients reconnect tens of milliseconds after the new
 * publisher binds. PUB is an XPUB, so the first client's subscription
 * tells when (followers subscribe too, and say so with a marker topic);
 * until then, or at most HAMD_GATE_TAKEOVER_WAIT_MAX_MS (less when the
 * held ticks would leave the window), live ticks are held too. When to
 * hold and when to send is the publish gate's (core/gate.c); this file
 * reads the stream and the XPUB for it and carries out what it decides.
 *
 * A tick read here moves the guard only once the publisher is seen to have
 * lived DP_FOLLOW_INFLIGHT_MS past it (inflight.h): its last ticks may have
 * reached this node and not a client. Those go out again on taking over,
 * so a client may get the last few twice, never miss one. Held ticks are
 * kept for the replay window plus the longest wait for clients
 * (hamd_gate_follow_limits). A node holds from start-up and again from
 * the moment it stops publishing. If it cannot tell what the old
 * publisher sent (its stream never reached this node, or not within the
 * hold), it sends every tick it holds: when in doubt, a takeover repeats
 * rather than loses.
 */
#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/mpread.h"
#include "dataplane/dp_internal.h"

#define DP_FOLLOW_RCVHWM 100000   /* messages queued from the publisher:
                                     beyond it the publisher drops for us,
                                     and a takeover may re-send a little */
#define DP_FOLLOW_BATCH_MAX 10000 /* messages read per drain, at most */
#define DP_FOLLOW_RECONNECT_MS 10 /* retry a publisher not bound yet this
                                     often (libzmq's default 100 ms): a
                                     follower learns of a new leader before
                                     its PUB is open, and a stream it never
                                     heard tells a takeover nothing */
#define DP_FOLLOW_TICK_PREFIX '_' /* topics starting so are not ticks */
#define DP_FOLLOW_MARKER "_follower" /* a follower also subscribes to this
                                        topic (never published): it tells
                                        a new publisher's XPUB that a
                                        subscriber is a node, not a client */
#define DP_SUB_MSG_MAX 64           /* bytes of a subscription read */

/* ------------------------------------------------------------------------
 * The stream
 * ------------------------------------------------------------------------ */

static void follow_drain(struct hamd_dataplane *dp, int64_t now_ns);

/* Closes the stream, after reading what is left of it: what the old
 * publisher sent last still moves the guards. */
static void follow_close(struct hamd_dataplane *dp)
{
    if (!dp->follow)
        return;
    follow_drain(dp, hamd_mono_ns());
    /* What the publisher did not outlive may not have reached its clients:
     * the guards stay before it, and a takeover sends it again. */
    unsigned unconfirmed = hamd_inflight_clear(dp->inflight);
    if (unconfirmed)
        LOG_DEBUG("the publisher's stream ended with %u ticks not known to "
                  "have reached its clients", unconfirmed);
    int linger = DP_LINGER_MS;
    zmq_setsockopt(dp->follow, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(dp->follow);
    dp->follow = NULL;
    hamd_gate_stream_closed(&dp->gate);
}

static int follow_open(struct hamd_dataplane *dp, const char *endpoint)
{
    int hwm = DP_FOLLOW_RCVHWM, linger = DP_LINGER_MS;
    int reconnect_ms = DP_FOLLOW_RECONNECT_MS;
    dp->follow = zmq_socket(dp->zctx, ZMQ_SUB);
    if (!dp->follow)
        return -1;
    zmq_setsockopt(dp->follow, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(dp->follow, ZMQ_RECONNECT_IVL, &reconnect_ms,
                   sizeof reconnect_ms);
    zmq_setsockopt(dp->follow, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(dp->follow, ZMQ_SUBSCRIBE, DP_FOLLOW_MARKER,
                   strlen(DP_FOLLOW_MARKER));
    zmq_setsockopt(dp->follow, ZMQ_SUBSCRIBE, "", 0);
    dp_curve_client(dp, dp->follow);
    if (zmq_connect(dp->follow, endpoint) < 0) {
        int err = errno;
        follow_close(dp);
        errno = err; /* for the caller's message */
        return -1;
    }
    return 0;
}

void dp_follow_set(struct hamd_dataplane *dp, const char *endpoint)
{
    if (strcmp(endpoint, dp->follow_ep) == 0)
        return;
    follow_close(dp);
    snprintf(dp->follow_ep, sizeof dp->follow_ep, "%s", endpoint);
    if (!endpoint[0])
        return; /* still holding: a takeover may come */
    if (follow_open(dp, endpoint) < 0) {
        LOG_WARN("cannot follow the publisher at %s: %s; a takeover by this "
                 "node will re-send every held tick", endpoint,
                 zmq_strerror(errno));
        return;
    }
    hamd_gate_stream_opened(&dp->gate, hamd_mono_ns());
    LOG_INFO("following the publisher at %s", endpoint);
}

int64_t dp_follow_silence_ms(struct hamd_dataplane *dp, int64_t now_ns)
{
    enum hamd_gate_stream change;
    int64_t silence_ms = hamd_gate_stream_silence_ms(&dp->gate, now_ns, &change);
    if (change == HAMD_GATE_STREAM_SILENT)
        LOG_WARN("nothing from the publisher's stream at %s for %lld ms: a "
                 "takeover by this node would re-send every tick it holds, "
                 "some twice (is it down, or its publish port not reachable "
                 "from here?)",
                 dp->follow_ep, (long long)silence_ms);
    else if (change == HAMD_GATE_STREAM_BACK)
        LOG_INFO("the publisher's stream at %s reaches this node again",
                 dp->follow_ep);
    return silence_ms;
}

/* Reads what a follower needs of a published tick body: its exchange time
 * and volume (the guard) and when the publisher sent it (its clock). */
static bool tick_scan(const void *buf, size_t len,
                      struct hamd_inflight_obs *obs)
{
    static const char *const keys[] = {"datetime", "volume", "hub_ns"};
    struct hamd_mpr_val v[3];
    if (!hamd_mpr_map_find(buf, len, keys, v, 3) || v[1].kind != HAMD_MPR_FLOAT)
        return false;
    obs->volume = v[1].v.f;
    return hamd_mpr_val_i64(&v[0], &obs->datetime_ns) &&
           hamd_mpr_val_i64(&v[2], &obs->hub_ns);
}

/* Moves a contract's guard by a tick the publisher sent to everyone. */
static void follow_observed(const struct hamd_inflight_obs *obs)
{
    struct dp_contract *c = obs->key; /* NULL: it went away */
    if (c)
        hamd_arb_observed(&c->arb, obs->datetime_ns, obs->volume);
}

/* Moves the guards by what the publisher outlived (inflight.h). */
static void follow_confirm(struct hamd_dataplane *dp)
{
    struct hamd_inflight_obs obs;
    while (hamd_inflight_pop(dp->inflight, &obs))
        follow_observed(&obs);
}

/* Takes one [topic][body] message of the publisher: a tick waits to be
 * confirmed, a heartbeat moves the publisher's clock. */
static void follow_take(struct hamd_dataplane *dp, zmq_msg_t *topic,
                        zmq_msg_t *body)
{
    char vt_symbol[HAMD_VT_SYMBOL_MAX];
    size_t tlen = zmq_msg_size(topic);
    const char *t = zmq_msg_data(topic);
    if (tlen == sizeof DP_HB_TOPIC - 1 &&
        memcmp(t, DP_HB_TOPIC, tlen) == 0) {
        static const char *const keys[] = {"ts_ns", "clients"};
        struct hamd_mpr_val v[2];
        int64_t ts_ns, clients;
        if (!hamd_mpr_map_find(zmq_msg_data(body), zmq_msg_size(body), keys,
                               v, 2))
            return;
        if (hamd_mpr_val_i64(&v[0], &ts_ns))
            hamd_inflight_clock(dp->inflight, ts_ns);
        if (hamd_mpr_val_i64(&v[1], &clients))
            hamd_gate_stream_clients(&dp->gate, clients);
        return;
    }
    if (tlen == 0 || tlen >= sizeof vt_symbol || *t == DP_FOLLOW_TICK_PREFIX)
        return;
    memcpy(vt_symbol, t, tlen);
    vt_symbol[tlen] = '\0';
    struct hamd_inflight_obs obs, early;
    obs.key = hamd_strmap_get(dp->contracts, vt_symbol);
    if (!obs.key || !tick_scan(zmq_msg_data(body), zmq_msg_size(body), &obs))
        return;
    if (hamd_inflight_push(dp->inflight, &obs, &early))
        follow_observed(&early);
}

static void follow_drain(struct hamd_dataplane *dp, int64_t now_ns)
{
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    unsigned n = 0;
    for (; n < DP_FOLLOW_BATCH_MAX; n++) {
        if (zmq_msg_recv(&topic, dp->follow, ZMQ_DONTWAIT) < 0)
            break;
        dp->follow_msgs++;
        /* Any message is a sign of life; only [topic][body] ones are
         * ticks or heartbeats. */
        if (!zmq_msg_more(&topic) || zmq_msg_recv(&body, dp->follow, 0) < 0)
            continue;
        bool two_frames = !zmq_msg_more(&body);
        while (zmq_msg_more(&body) && zmq_msg_recv(&body, dp->follow, 0) >= 0)
            continue;
        if (two_frames)
            follow_take(dp, &topic, &body);
    }
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    if (n > 0)
        hamd_gate_stream_heard(&dp->gate, now_ns);
    follow_confirm(dp);
}

/* Read in batches on a timer, not polled: waking the data thread for
 * each of the publisher's messages doubled a follower's CPU per tick
 * (wake-ups are what costs on a virtual machine). The guard then trails
 * by up to DP_FOLLOW_DRAIN_MS, so held rings keep that much more. */
void dp_follow_drain_due(struct hamd_dataplane *dp, int64_t now_ns)
{
    if (!dp->follow || now_ns < dp->next_follow_drain_ns)
        return;
    dp->next_follow_drain_ns = now_ns + (int64_t)DP_FOLLOW_DRAIN_MS * HAMD_NS_PER_MS;
    follow_drain(dp, now_ns);
}

/* ------------------------------------------------------------------------
 * Taking over
 * ------------------------------------------------------------------------ */

/* A follower sends two subscriptions, the marker and "", in one write
 * when it connects, and they arrive together (and two unsubscriptions
 * when it leaves): a client is back once more subscriptions than markers
 * arrived, and the publisher's client count is what is left. */
void dp_follow_subscriptions(struct hamd_dataplane *dp, int64_t now_ns)
{
    uint8_t sub[DP_SUB_MSG_MAX];
    size_t marker_len = strlen(DP_FOLLOW_MARKER);
    int64_t clients = 0;
    int len;
    /* [1][topic] subscribes, [0][topic] unsubscribes (XPUB_VERBOSER
     * passes every one, not only a topic's first and last). A topic
     * longer than the buffer is cut, never a marker. */
    while ((len = zmq_recv(dp->pub, sub, sizeof sub, ZMQ_DONTWAIT)) >= 0) {
        if (len < 1 || sub[0] > 1)
            continue;
        bool marker = (size_t)len == 1 + marker_len &&
                      memcmp(sub + 1, DP_FOLLOW_MARKER, marker_len) == 0;
        int64_t one = sub[0] == 1 ? 1 : -1;
        clients += marker ? -one : one;
    }
    hamd_gate_subscriptions(&dp->gate, clients, now_ns);
}

/* Counts what the flush of one contract sends. */
static void contract_takeover(struct hamd_dataplane *dp, struct dp_contract *c,
                              int64_t now_ns)
{
    uint64_t before = dp->published;
    struct dp_replay r = {dp, c, now_ns};
    hamd_arb_flush(&c->arb, hamd_gate_follow_limits(&dp->gate), now_ns,
                   dp_replay_emit, &r);
    dp->takeover_replayed += dp->published - before;
}

void dp_follow_takeover_due(struct hamd_dataplane *dp, int64_t now_ns)
{
    struct hamd_gate_takeover t;
    if (!hamd_gate_takeover_due(&dp->gate, now_ns, &t))
        return;
    uint64_t before = dp->takeover_replayed;
    dp_contracts_each(dp, contract_takeover, now_ns);
    unsigned long long sent = dp->takeover_replayed - before;
    long long silent_ms = t.silent_ms;
    switch (t.why) {
    case HAMD_GATE_TAKEOVER_SILENT:
        LOG_WARN("taking over: sent %llu held ticks; the previous publisher "
                 "was last heard %lld ms before this node's PUB opened, so "
                 "clients may get some twice and lost what left the window",
                 sent, silent_ms);
        break;
    case HAMD_GATE_TAKEOVER_HEARD:
        LOG_INFO("taking over: sent %llu held ticks the previous publisher "
                 "had not (its stream ended %lld ms before this node's PUB "
                 "opened)", sent, silent_ms);
        break;
    case HAMD_GATE_TAKEOVER_NEVER_HEARD:
        LOG_WARN("taking over: sent %llu held ticks; the previous "
                 "publisher's stream never reached this node, so clients "
                 "may get some twice", sent);
        break;
    case HAMD_GATE_TAKEOVER_FIRST:
        LOG_INFO("first publisher since start: sent %llu held ticks", sent);
        break;
    }
}
