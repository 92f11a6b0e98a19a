/* Data plane: messages from gateways (docs/gateway-protocol.md).
 *
 * The DEALER identity names the source, and only the connection whose
 * HELLO carried the launch token speaks for it (dp_gwauth.c); anything a
 * gateway says about itself in a body is advisory. A bad message is dropped, counted against
 * its source and logged at a limited rate: it never stops other sources.
 * The bodies of a multi-body TICK are judged one by one, so one bad body
 * costs only itself. */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/tick_peek.h"
#include "dataplane/dp_internal.h"

/* The source a DEALER identity names: the used slot whose account has the
 * identity's length and bytes. An identity holding a NUL names none, as no
 * account holds one: "sim_a\0x" is another ZeroMQ peer than "sim_a", which
 * the hub's SUBSCRIBE and STOP never reach, so its ticks must not pass as
 * sim_a's. A scan of the HAMD_ARB_MAX_SOURCES slots, the length compared
 * first, instead of dp->by_account: no key to copy and hash, ~130
 * instructions less a message (callgrind, docs/performance.md, "Hot
 * standby in instructions"). */
static struct dp_source *source_of(struct hamd_dataplane *dp, const void *id,
                                   size_t len)
{
    if (!id || len == 0)
        return NULL;
    for (int i = 0; i < HAMD_ARB_MAX_SOURCES; i++) {
        struct dp_source *s = &dp->sources[i];
        if (s->used && s->account_len == len &&
            memcmp(s->account, id, len) == 0)
            return s;
    }
    return NULL;
}

void dp_source_reject(struct dp_source *s, const char *what)
{
    s->st.malformed++;
    hamd_log_rated(&s->bad_rate, HAMD_LOG_WARN,
                   "gateway %s: dropped malformed message: %s (%llu so far)",
                   s->account, what, (unsigned long long)s->st.malformed);
}

/* Updates freshness bookkeeping used for staleness and canary checks.
 * A first tick from this slot comes before the receive times: c may get
 * its per-source times now, from freshest_rx_ns as the earlier source
 * left it (dp_stats_contract_touched). */
static void note_receipt(struct hamd_dataplane *dp, struct dp_source *s,
                         int idx, struct dp_contract *c, int64_t datetime_ns,
                         int64_t now_ns, int64_t wall_ns)
{
    s->st.ticks++;
    s->st.last_tick_ns = now_ns;
    if (!(c->rx_from & (1u << idx))) { /* its first tick from this slot */
        c->rx_from |= 1u << idx;
        dp_stats_contract_touched(dp, c);
    }
    if (c->last_rx_ns)
        c->last_rx_ns[idx] = now_ns;
    if (now_ns > c->freshest_rx_ns)
        c->freshest_rx_ns = now_ns;
    if (s->canary[0] && strcmp(s->canary, c->vt_symbol) == 0)
        s->st.canary_ns = now_ns;
    int64_t lat_ms = (wall_ns - datetime_ns) / HAMD_NS_PER_MS;
    s->latency_sum_ms += lat_ms > 0 ? lat_ms : 0;
    s->latency_n++;
}

/* Another source's copy went out first (or this one repeated). */
static void count_stale(struct dp_source *s, const struct dp_contract *c,
                        int idx)
{
    s->st.stale++;
    if (c->first && hamd_arb_supplies(&c->arb, idx))
        s->st.lost_race++;
}

/* What every tick received does before it is judged: the receipt noted
 * and, where this node relays the source to the publisher, the body
 * passed on as it came. Called once a body whichever way it goes, so
 * tests/bench/callgrind_costs.py counts bodies by its calls. */
static void receive_tick(struct hamd_dataplane *dp, struct dp_source *s,
                         int idx, struct dp_contract *c, int64_t datetime_ns,
                         const void *body, size_t len, int64_t now_ns,
                         int64_t wall_ns)
{
    note_receipt(dp, s, idx, c, datetime_ns, now_ns, wall_ns);
    /* The publisher asked this node for the contract from this account. */
    if (c->relay_src == idx)
        dp_relay_tick(dp, s, body, len);
}

/* Counts a body of s that needed no decode (stale, or kept for a replay)
 * or did and, at the end of each window of DP_PEEK_WINDOW, decides
 * whether peeking at its next bodies pays: a source whose copies all go
 * out (the active one in priority mode, the usual winner in first mode)
 * would pay the peek on every body for nothing, ~310 instructions a tick
 * where one source serves alone. Its bodies are still judged in full, so
 * the count goes on and peeking resumes once they stop going out (a
 * standby, a source that lost the lead). */
static void peek_count(struct dp_source *s, bool spared)
{
    s->peek_spared += spared;
    if (++s->peek_bodies < DP_PEEK_WINDOW)
        return;
    s->peek_off = s->peek_spared * DP_PEEK_SPARED_DIV < s->peek_bodies;
    s->peek_bodies = 0;
    s->peek_spared = 0;
}

/* A copy judged on a peek at three of its keys (common/tick_peek.h),
 * without its decode, when it cannot go out now: a copy of a tick
 * already published is dropped (a hot standby's second copy of every
 * tick), and a newer one of a source that does not supply the contract
 * is kept for a replay as it came (a standby's copy that arrives
 * first), to be decoded only if it ever goes out (dp_replay_emit). The
 * decode costs ~1,950 instructions, the peek ~310 on every body
 * (docs/performance.md, "Hot standby: the losing copy"), so only where
 * some contract has two sources (dp->multi): a node with one source
 * never peeks; nor does a source whose copies mostly go out
 * (peek_count). Every DP_UNREAD_CHECK_EVERY-th such copy of a source is
 * decoded in full all the same. A copy judged here is still received
 * (its receipt, the relay of its bytes: the publisher judges what it is
 * relayed). Returns the contract peeked (NULL when the peek failed or
 * found none) for the full path to reuse, and sets *done when the copy
 * is done with. */
static struct dp_contract *judge_unread(struct hamd_dataplane *dp,
                                        struct dp_source *s, int idx,
                                        const void *body, size_t len,
                                        int64_t now_ns, bool *done)
{
    struct hamd_tick_age age;
    *done = false;
    if (dp->multi_len == 0 || s->peek_off || len > HAMD_TICK_WIRE_MAX ||
        !hamd_tick_peek_age(body, len, &age))
        return NULL;
    struct dp_contract *c = hamd_strmap_get(dp->contracts, age.vt_symbol);
    if (!c)
        return NULL;
    bool stale = hamd_arb_is_stale(&c->arb, age.datetime_ns, age.volume);
    /* A newer copy of a source that supplies the contract goes out (or
     * is held as it would go out): decoded. */
    if (!stale && hamd_arb_supplies(&c->arb, idx))
        return c;
    if (++s->unread_unchecked >= DP_UNREAD_CHECK_EVERY) {
        s->unread_unchecked = 0;
        return c;
    }
    receive_tick(dp, s, idx, c, age.datetime_ns, body, len, now_ns,
                 hamd_wall_ns());
    if (stale) {
        count_stale(s, c, idx);
    } else {
        struct hamd_arb_tick kept = {age.datetime_ns, age.volume, body, len};
        hamd_arb_offer(&c->arb, &dp->opts.limits, idx, &kept, now_ns);
    }
    peek_count(s, true);
    *done = true;
    return c;
}

bool dp_tick_decode(struct dp_source *s, const void *body, size_t len,
                    struct hamd_tick *tick, struct hamd_tick_splice *wire)
{
    enum hamd_tick_err err = hamd_tick_decode_splice(body, len, tick, wire);
    if (err != HAMD_TICK_OK) {
        dp_source_reject(s, hamd_tick_strerror(err));
        return false;
    }
    /* The source is who sent it, whatever the body claims. */
    memcpy(tick->gateway_name, s->account, s->account_len + 1);
    return true;
}

/* The body of a decoded tick as a ring keeps it: as it came, or encoded
 * again when it came longer than any tick hamd encodes (unknown keys; a
 * ring keeps at most HAMD_TICK_WIRE_MAX-sized bodies from here). */
static struct hamd_arb_tick kept_body(struct hamd_dataplane *dp,
                                      const struct hamd_tick *tick,
                                      const void *body, size_t len)
{
    struct hamd_arb_tick kept = {tick->datetime_ns, tick->volume, body, len};
    if (len > HAMD_TICK_WIRE_MAX) {
        kept.body = dp->keepbuf;
        kept.len = hamd_tick_encode(tick, false, dp->keepbuf,
                                    sizeof dp->keepbuf);
    }
    return kept;
}

static void ingest_tick(struct hamd_dataplane *dp, struct dp_source *s,
                        const void *body, size_t len, int64_t now_ns)
{
    int idx = (int)(s - dp->sources);
    bool done;
    struct dp_contract *c = judge_unread(dp, s, idx, body, len, now_ns, &done);
    if (done)
        return;
    struct hamd_tick tick;
    struct hamd_tick_splice wire;
    if (!dp_tick_decode(s, body, len, &tick, &wire))
        return;
    /* The peek's contract when the decode names the same (it read the
     * same bytes, unless the body only looked like the encoder's). */
    if (!c || strcmp(c->vt_symbol, tick.vt_symbol) != 0)
        c = hamd_strmap_get(dp->contracts, tick.vt_symbol);
    if (!c) {
        dp->unsubscribed++;
        return;
    }
    /* One wall clock read (~60 ns on the development VM) per tick: the
     * latency seen and, when it goes out, its hub_ns. */
    struct dp_live live = {kept_body(dp, &tick, body, len), hamd_wall_ns()};
    receive_tick(dp, s, idx, c, tick.datetime_ns, body, len, now_ns,
                 live.wall_ns);
    enum hamd_arb_verdict v =
        hamd_arb_offer(&c->arb, &dp->opts.limits, idx, &live.kept, now_ns);
    peek_count(s, v != HAMD_ARB_PUBLISH);
    switch (v) {
    case HAMD_ARB_PUBLISH:
        dp_publish_tick(dp, c, idx, &tick, wire.body ? &wire : NULL, &live,
                        now_ns);
        break;
    case HAMD_ARB_STALE:
        count_stale(s, c, idx);
        break;
    case HAMD_ARB_KEPT:
    case HAMD_ARB_DROPPED:
        break;
    }
}

static void push_event(struct hamd_dataplane *dp, struct dp_source *s,
                       struct hamd_dp_event *ev, int64_t now_ns)
{
    snprintf(ev->account, sizeof ev->account, "%s", s->account);
    ev->mono_ns = now_ns;
    dp_event_push(dp, ev);
}

static void ingest_control(struct hamd_dataplane *dp, struct dp_source *s,
                           enum hamd_gw_type type, const void *body, size_t len,
                           const char *conn, int64_t now_ns)
{
    struct hamd_dp_event ev;
    memset(&ev, 0, sizeof ev);
    int64_t ts_ns;
    switch (type) {
    case HAMD_GW_HELLO:
        if (!hamd_gw_hello_decode(body, len, &ev.u.hello))
            return dp_source_reject(s, "bad HELLO");
        if (!dp_gwauth_hello(s, conn, ev.u.hello.token))
            return;
        explicit_bzero(ev.u.hello.token, sizeof ev.u.hello.token);
        s->st.hello_ns = now_ns;
        s->st.last_hb_ns = now_ns;
        ev.type = HAMD_DP_EV_HELLO;
        return push_event(dp, s, &ev, now_ns);
    case HAMD_GW_STATUS:
        if (!hamd_gw_status_decode(body, len, &ev.u.status))
            return dp_source_reject(s, "bad STATUS");
        ev.type = HAMD_DP_EV_STATUS;
        return push_event(dp, s, &ev, now_ns);
    case HAMD_GW_HB:
        if (!hamd_gw_hb_decode(body, len, &ts_ns))
            return dp_source_reject(s, "bad HB");
        s->st.last_hb_ns = now_ns;
        return;
    default:
        return dp_source_reject(s, "message type not sent by gateways");
    }
}

/* The frames of one message after its identity, pulled on demand so a
 * TICK's bodies are ingested as they arrive, never collected first. */
struct dp_frames {
    bool (*next)(void *ud, const void **frame, size_t *len,
                 bool *more); /* the caller's reader */
    void *ud;                 /* its argument */
    bool more;                /* frames remain to be pulled */
    const void *data;         /* the frame pulled last */
    size_t len;               /* its size */
};

/* Pulls the next frame into f->data. Returns false at the message's end. */
static bool frames_pull(struct dp_frames *f)
{
    if (!f->more || !f->next(f->ud, &f->data, &f->len, &f->more)) {
        f->more = false;
        return false;
    }
    return true;
}

/* Ingests the bodies of a TICK, the first one already pulled: each on its
 * own, so a bad body costs only itself. */
static void ingest_ticks(struct hamd_dataplane *dp, struct dp_source *s,
                         struct dp_frames *f, int64_t now_ns)
{
    unsigned n = 0;
    do {
        if (n++ < HAMD_GW_TICKS_PER_MSG_MAX)
            ingest_tick(dp, s, f->data, f->len, now_ns);
        else
            dp_source_reject(s, "more tick bodies than one TICK may carry");
    } while (frames_pull(f));
}

void dp_ingest_relayed(struct hamd_dataplane *dp, struct dp_source *s,
                       bool (*next)(void *ud, const void **frame, size_t *len,
                                    bool *more),
                       void *ud, int64_t now_ns)
{
    struct dp_frames f = {.next = next, .ud = ud, .more = true};
    if (!frames_pull(&f))
        return dp_source_reject(s, "relayed ticks without a body");
    ingest_ticks(dp, s, &f, now_ns);
}

void dp_ingest_message(struct hamd_dataplane *dp, const void *id,
                       size_t id_len, const char *const *conn,
                       bool (*next)(void *ud, const void **frame, size_t *len,
                                    bool *more),
                       void *ud, int64_t now_ns)
{
    struct dp_source *s = source_of(dp, id, id_len);
    if (!s) {
        dp->unknown_source++;
        hamd_log_rated(&dp->unknown_rate, HAMD_LOG_WARN,
                       "gateway endpoint: message from an identity that is "
                       "not a running account (%llu so far)",
                       (unsigned long long)dp->unknown_source);
        return;
    }
    struct dp_frames f = {.next = next, .ud = ud, .more = true};
    if (!frames_pull(&f))
        return dp_source_reject(s, "expected [type][body]");
    /* Parsed now: the type frame is gone once the body is pulled. */
    enum hamd_gw_type type = hamd_gw_type_parse(f.data, f.len);
    /* Only the connection that proved the launch token is believed. */
    if (type != HAMD_GW_HELLO && !dp_gwauth_message(s, *conn))
        return;
    if (!frames_pull(&f))
        return dp_source_reject(s, "expected [type][body]");
    if (type == HAMD_GW_TICK)
        return ingest_ticks(dp, s, &f, now_ns);
    if (type == HAMD_GW_UNKNOWN)
        return dp_source_reject(s, "unknown message type");
    if (f.more)
        return dp_source_reject(s, "expected [type][body]");
    ingest_control(dp, s, type, f.data, f.len, *conn, now_ns);
}
