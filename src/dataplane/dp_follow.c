/* Data plane: following the publisher, so a takeover loses no tick.
 *
 * Every node's gateways receive the same ticks, but a follower cannot tell
 * which of them the publisher sent before it died: without more, the ticks
 * that reach the nodes while leadership moves (about an election timeout
 * when the leader dies) are never sent. So a follower subscribes to the
 * publishing node's PUB and moves each contract's newer-than-last guard
 * with what it reads there (hamd_arb_observed), while it holds its own
 * active sources' ticks instead of counting them as published (arbiter
 * rule 5). What it reads is the publisher's watermarks (`_wm`,
 * dp_watermark.c: per contract, the last tick sent), not the ticks: it
 * subscribes to the `_` topics only. A publisher of an older version
 * sends none; then it reads every tick (core/followmode.h). Taking over,
 * it sends the held ticks newer than the old publisher's last, in order,
 * then goes live: a tick the old publisher never sent goes out under the
 * new term, one it sent does not. It sends
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
#include "common/watermark.h"
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
#define DP_FOLLOW_HUB_TOPICS "_"     /* what a follower reads while the
                                        publisher sends watermarks: its
                                        `_` topics (_wm, _hb, _event) */
#define DP_FOLLOW_ALL_TOPICS ""      /* ... and once it sends none */

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
    /* The marker and one other topic: counted as no client (see
     * dp_clients.c). */
    zmq_setsockopt(dp->follow, ZMQ_SUBSCRIBE, DP_FOLLOW_MARKER,
                   strlen(DP_FOLLOW_MARKER));
    zmq_setsockopt(dp->follow, ZMQ_SUBSCRIBE, DP_FOLLOW_HUB_TOPICS,
                   strlen(DP_FOLLOW_HUB_TOPICS));
    hamd_followmode_init(&dp->follow_mode);
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

/* The publisher sends no watermarks (an older version): read every tick
 * from now on. Subscribing to everything before dropping the `_` topics
 * keeps one non-marker subscription throughout. */
static void follow_read_ticks(struct hamd_dataplane *dp)
{
    zmq_setsockopt(dp->follow, ZMQ_SUBSCRIBE, DP_FOLLOW_ALL_TOPICS,
                   strlen(DP_FOLLOW_ALL_TOPICS));
    zmq_setsockopt(dp->follow, ZMQ_UNSUBSCRIBE, DP_FOLLOW_HUB_TOPICS,
                   strlen(DP_FOLLOW_HUB_TOPICS));
    LOG_INFO("the publisher at %s sends no watermarks (an older hamd): "
             "reading its every tick", dp->follow_ep);
}

/* A heartbeat moves the publisher's clock and says how many clients it
 * has (by kind since this version: `libraries` and `plain`); a run of
 * them without a watermark means an older publisher. */
static void follow_heartbeat(struct hamd_dataplane *dp, zmq_msg_t *body)
{
    static const char *const keys[] = {"ts_ns", "clients", "libraries",
                                       "plain"};
    struct hamd_mpr_val v[4];
    int64_t ts_ns;
    struct hamd_gate_subs n;
    if (!hamd_mpr_map_find(zmq_msg_data(body), zmq_msg_size(body), keys, v,
                           4))
        return;
    if (hamd_mpr_val_i64(&v[0], &ts_ns))
        hamd_inflight_clock(dp->inflight, ts_ns);
    if (hamd_mpr_val_i64(&v[1], &n.subscriptions)) {
        bool by_kind = hamd_mpr_val_i64(&v[2], &n.libraries) &&
                       hamd_mpr_val_i64(&v[3], &n.plain);
        hamd_gate_stream_clients(&dp->gate, &n, by_kind);
    }
    if (hamd_followmode_heartbeat(&dp->follow_mode, hamd_mono_ns()))
        follow_read_ticks(dp);
}

/* Queues one observation; one the full queue let go early moves its
 * guard now. */
static void follow_push(struct hamd_dataplane *dp,
                        const struct hamd_inflight_obs *obs)
{
    struct hamd_inflight_obs early;
    if (hamd_inflight_push(dp->inflight, obs, &early))
        follow_observed(&early);
}

/* What one watermark entry is about: the data plane and the message's
 * stamp. */
struct follow_wm {
    struct hamd_dataplane *dp; /* the follower */
    int64_t ts_ns;             /* the watermark's publisher clock */
};

/* hamd_wm_fn: a contract's last sent tick waits to be confirmed, stamped
 * with the watermark's time (no earlier than the tick's own). */
static void follow_wm_entry(void *ud, const char *vt_symbol,
                            int64_t datetime_ns, double volume)
{
    struct follow_wm *w = ud;
    struct hamd_inflight_obs obs = {
        hamd_strmap_get(w->dp->contracts, vt_symbol), datetime_ns, volume,
        w->ts_ns};
    if (obs.key)
        follow_push(w->dp, &obs);
}

/* A watermark: its entries wait to be confirmed, its stamp moves the
 * publisher's clock. The decoder stores the stamp before it reports the
 * entries, and reports none of a malformed body (the guards then do not
 * move, and a takeover repeats rather than loses). */
static void follow_watermark(struct hamd_dataplane *dp, zmq_msg_t *body)
{
    struct follow_wm w = {dp, 0};
    if (!hamd_wm_decode(zmq_msg_data(body), zmq_msg_size(body), &w.ts_ns,
                        follow_wm_entry, &w))
        return;
    hamd_inflight_clock(dp->inflight, w.ts_ns);
    hamd_followmode_watermark(&dp->follow_mode);
}

static bool topic_is(const char *t, size_t tlen, const char *lit)
{
    return tlen == strlen(lit) && memcmp(t, lit, tlen) == 0;
}

/* Takes one [topic][body] message of the publisher: a watermark's or a
 * tick's observations wait to be confirmed, a heartbeat moves the
 * publisher's clock. */
static void follow_take(struct hamd_dataplane *dp, zmq_msg_t *topic,
                        zmq_msg_t *body)
{
    char vt_symbol[HAMD_VT_SYMBOL_MAX];
    size_t tlen = zmq_msg_size(topic);
    const char *t = zmq_msg_data(topic);
    if (topic_is(t, tlen, HAMD_WM_TOPIC)) {
        follow_watermark(dp, body);
        return;
    }
    if (topic_is(t, tlen, DP_HB_TOPIC)) {
        follow_heartbeat(dp, body);
        return;
    }
    if (tlen == 0 || tlen >= sizeof vt_symbol || *t == DP_FOLLOW_TICK_PREFIX)
        return;
    memcpy(vt_symbol, t, tlen);
    vt_symbol[tlen] = '\0';
    struct hamd_inflight_obs obs;
    obs.key = hamd_strmap_get(dp->contracts, vt_symbol);
    if (!obs.key || !tick_scan(zmq_msg_data(body), zmq_msg_size(body), &obs))
        return;
    follow_push(dp, &obs);
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

/* Says how long the held ticks waited for the clients and why the wait
 * ended (core/gate.h, rule 4): a takeover slower than its election is
 * this wait, and the line says whether every client the old publisher
 * had came back or a limit ended it. */
static void log_takeover_wait(const struct hamd_gate_takeover *t)
{
    const struct hamd_gate_subs *b = &t->back, *e = &t->expected;
    const char *end = t->all_back ? "all back"
                      : !t->counted ? "the previous publisher's clients not "
                                   "known: a limit ended it"
                      : t->first_ms < 0 ? "none back: a limit ended it"
                                        : "not all back: a limit ended it";
    if (t->by_kind)
        LOG_INFO("held ticks waited %lld ms for clients (first back after "
                 "%lld ms): %lld libraries and %lld plain subscriptions back "
                 "of %lld and %lld; %s", (long long)t->waited_ms,
                 (long long)t->first_ms, (long long)b->libraries,
                 (long long)b->plain, (long long)e->libraries,
                 (long long)e->plain, end);
    else
        LOG_INFO("held ticks waited %lld ms for clients (first back after "
                 "%lld ms): %lld subscriptions back of %lld; %s",
                 (long long)t->waited_ms, (long long)t->first_ms,
                 (long long)b->subscriptions, (long long)e->subscriptions, end);
}

void dp_follow_takeover_due(struct hamd_dataplane *dp, int64_t now_ns)
{
    struct hamd_gate_takeover t;
    struct hamd_gate_lease lease = dp_lease(dp);
    if (!hamd_gate_takeover_due(&dp->gate, &lease, now_ns, &t))
        return;
    uint64_t before = dp->takeover_replayed;
    log_takeover_wait(&t);
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
