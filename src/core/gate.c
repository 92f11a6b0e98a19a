/* The publish gate: see gate.h for the rules and why each exists. */
#include "core/gate.h"

#include <string.h>

#include "common/clock.h"

static int64_t ms_to_ns(unsigned ms)
{
    return (int64_t)ms * HAMD_NS_PER_MS;
}

void hamd_gate_params_init(struct hamd_gate_params *p,
                           const struct hamd_arb_limits *replay)
{
    memset(p, 0, sizeof *p);
    p->replay = *replay;
    p->takeover_wait_max_ms = HAMD_GATE_TAKEOVER_WAIT_MAX_MS;
    p->takeover_settle_ms = HAMD_GATE_TAKEOVER_SETTLE_MS;
    p->takeover_settle_all_ms = HAMD_GATE_TAKEOVER_SETTLE_ALL_MS;
    p->takeover_straggle_ms = HAMD_GATE_TAKEOVER_STRAGGLE_MS;
    p->takeover_margin_ms = HAMD_GATE_TAKEOVER_MARGIN_MS;
    p->silent_warn_ms = HAMD_GATE_SILENT_WARN_MS;
    p->bind_retry_ms = HAMD_GATE_BIND_RETRY_MS;
}

void hamd_gate_init(struct hamd_gate *g, const struct hamd_gate_params *p)
{
    memset(g, 0, sizeof *g);
    g->params = *p;
    g->lapse_limits = p->replay;
    g->lapse_limits.depth *= HAMD_GATE_HOLD_DEPTH_MULT;
    /* Held ticks wait for the takeover's clients too: with the replay
     * window alone a slow takeover let them go before (rule 4). */
    g->follow_limits = g->lapse_limits;
    g->follow_limits.window_ns += ms_to_ns(p->takeover_wait_max_ms);
    g->following = true; /* no publisher known yet: hold (rule 3) */
}

/* ------------------------------------------------------------------------
 * The loop: PUB against the lease
 * ------------------------------------------------------------------------ */

/* Someone else may publish now: PUB closes and the node holds like a
 * follower. What it held stays held: the next publisher's stream lets go
 * of what that one sends, and if the next publisher is this node again,
 * it sends them taking over. Its own sends count as the stream heard up
 * to now, and its own clients as the ones that publisher had, unless a
 * takeover was still waiting: then nothing of the new term was sent, and
 * the old stream's time and count stay. Without its own count, a node
 * whose lease lapsed past the election timeout and came back in the same
 * term waited for as many clients as the publisher before it had, terms
 * ago: fewer than it has, so the first ones back ended the wait and the
 * others missed what it had held (test_client, a loaded host). */
static void pub_close(struct hamd_gate *g, int64_t now_ns)
{
    g->pub_open = false;
    g->lapse = false;
    g->following = true;
    g->followers = 0; /* the next XPUB counts its own */
    if (!g->takeover_pending) {
        g->heard = true;
        g->heard_ns = now_ns;
        g->expected = g->clients;
        g->expected_by_kind = true;
    }
    g->takeover_pending = false;
}

struct hamd_gate_steps hamd_gate_reconcile(struct hamd_gate *g,
                                           const struct hamd_gate_lease *lease,
                                           int64_t now_ns)
{
    struct hamd_gate_steps s = {0, 0};
    bool want = now_ns < lease->until_ns;
    bool same_term = g->pub_open && g->pub_term == lease->term;
    if (same_term && want && g->lapse) {
        s.steps |= HAMD_GATE_LAPSE_ENDED;
        s.lapse_ms = (now_ns - g->lapse_since_ns) / HAMD_NS_PER_MS;
        g->lapse = false;
        /* A takeover still waiting for clients sends them itself. */
        if (!g->takeover_pending)
            s.steps |= HAMD_GATE_FLUSH_HELD;
    }
    /* An expired deadline (not a revocation, until 0) in the same term is
     * a lapse: hold ticks for at most the replay window. */
    if (same_term && !want && lease->until_ns != 0 && !g->lapse) {
        hamd_gate_lapse_begin(g, now_ns);
        s.steps |= HAMD_GATE_LAPSE_BEGAN;
    }
    bool lapse_over =
        g->lapse && now_ns - g->lapse_since_ns > g->params.replay.window_ns;
    if (g->pub_open &&
        (!same_term || (!want && (lease->until_ns == 0 || lapse_over)))) {
        pub_close(g, now_ns);
        s.steps |= HAMD_GATE_CLOSE_PUB;
    }
    if (want && !g->pub_open)
        s.steps |= HAMD_GATE_OPEN_PUB;
    return s;
}

/* Schedules the takeover of a node that held: when the first client is
 * back (hamd_gate_subscriptions), at most takeover_wait_max_ms from now,
 * and before the oldest held tick (at most as old as the old stream's
 * silence) would leave the follower's window, but never sooner than
 * takeover_straggle_ms from now: PUB was just bound, so a takeover before
 * the clients reconnect sends the held ticks to no one. Once the stream's
 * silence outlasts the window (an election of 5.5 s on a loaded host),
 * waiting costs the oldest held ticks, which the arbiter counts and
 * clients see as a gap in seq, where sending at once lost them all
 * unseen (a client missed 547 ticks per contract: test_client). */
static void takeover_begin(struct hamd_gate *g, int64_t now_ns)
{
    g->takeover_pending = true;
    g->takeover_subs = 0;
    g->takeover_first_ns = 0;
    g->takeover_begin_ns = now_ns;
    int64_t max_ns = now_ns + ms_to_ns(g->params.takeover_wait_max_ms);
    int64_t floor_ns = now_ns + ms_to_ns(g->params.takeover_straggle_ms);
    int64_t window_end_ns = g->heard_ns + g->follow_limits.window_ns -
                            ms_to_ns(g->params.takeover_margin_ms);
    g->takeover_cap_ns = max_ns;
    if (g->heard && window_end_ns < max_ns)
        g->takeover_cap_ns = window_end_ns > floor_ns ? window_end_ns
                                                      : floor_ns;
    if (g->takeover_cap_ns > max_ns)
        g->takeover_cap_ns = max_ns;
    g->takeover_due_ns = g->takeover_cap_ns;
    /* The shell reads what is left of the stream after it read now_ns: a
     * message read then was heard 0 ms before, not never. */
    int64_t silent_ns = now_ns > g->heard_ns ? now_ns - g->heard_ns : 0;
    g->takeover_silent_ns = g->heard ? silent_ns : -1;
}

void hamd_gate_pub_opened(struct hamd_gate *g, uint64_t term, int64_t now_ns)
{
    g->pub_open = true;
    g->pub_term = term;
    memset(&g->clients, 0, sizeof g->clients);
    g->followers = 0;
    if (g->following)
        takeover_begin(g, now_ns);
}

void hamd_gate_pub_failed(struct hamd_gate *g, int64_t now_ns)
{
    g->bind_retry_ns = now_ns + ms_to_ns(g->params.bind_retry_ms);
}

bool hamd_gate_holds(const struct hamd_gate *g)
{
    return g->following;
}

const struct hamd_arb_limits *hamd_gate_lapse_limits(const struct hamd_gate *g)
{
    return &g->lapse_limits;
}

const struct hamd_arb_limits *hamd_gate_follow_limits(const struct hamd_gate *g)
{
    return &g->follow_limits;
}

/* ------------------------------------------------------------------------
 * The publisher's stream
 * ------------------------------------------------------------------------ */

void hamd_gate_stream_opened(struct hamd_gate *g, int64_t now_ns)
{
    g->stream_open = true;
    g->stream_opened_ns = now_ns;
    g->stream_silent = false;
    g->takeover_pending = false; /* another node publishes after all */
}

void hamd_gate_stream_closed(struct hamd_gate *g)
{
    g->stream_open = false;
}

void hamd_gate_stream_heard(struct hamd_gate *g, int64_t now_ns)
{
    g->heard = true;
    g->heard_ns = now_ns;
}

static int64_t not_negative(int64_t n)
{
    return n > 0 ? n : 0;
}

void hamd_gate_stream_clients(struct hamd_gate *g,
                              const struct hamd_gate_subs *n, bool by_kind)
{
    g->expected.subscriptions = not_negative(n->subscriptions);
    g->expected.libraries = by_kind ? not_negative(n->libraries) : 0;
    g->expected.plain = by_kind ? not_negative(n->plain) : 0;
    g->expected_by_kind = by_kind;
}

int64_t hamd_gate_stream_silence_ms(struct hamd_gate *g, int64_t now_ns,
                                    enum hamd_gate_stream *change)
{
    *change = HAMD_GATE_STREAM_SAME;
    if (!g->stream_open)
        return -1;
    int64_t since_ns = g->heard && g->heard_ns > g->stream_opened_ns
                           ? g->heard_ns
                           : g->stream_opened_ns;
    int64_t silence_ms = (now_ns - since_ns) / HAMD_NS_PER_MS;
    bool silent = silence_ms >= (int64_t)g->params.silent_warn_ms;
    if (silent && !g->stream_silent)
        *change = HAMD_GATE_STREAM_SILENT;
    else if (!silent && g->stream_silent)
        *change = HAMD_GATE_STREAM_BACK;
    g->stream_silent = silent;
    return silence_ms;
}

/* ------------------------------------------------------------------------
 * Taking over
 * ------------------------------------------------------------------------ */

/* How many clients the old publisher had, 0 = unknown. */
static int64_t expected_clients(const struct hamd_gate *g)
{
    const struct hamd_gate_subs *e = &g->expected;
    return g->expected_by_kind ? e->libraries + e->plain : e->subscriptions;
}

/* True once as many clients are back as the old publisher had: as many
 * libraries and plain subscriptions when it said both, else as many
 * subscriptions (an older publisher). */
static bool all_back(const struct hamd_gate *g)
{
    const struct hamd_gate_subs *e = &g->expected, *now = &g->clients;
    if (expected_clients(g) <= 0)
        return false;
    if (!g->expected_by_kind)
        return g->takeover_subs >= e->subscriptions;
    return now->libraries >= e->libraries && now->plain >= e->plain;
}

void hamd_gate_subscribed(struct hamd_gate *g, const struct hamd_gate_subs *d,
                          int64_t now_ns)
{
    g->clients.subscriptions = not_negative(g->clients.subscriptions +
                                            d->subscriptions);
    g->clients.libraries = not_negative(g->clients.libraries + d->libraries);
    g->clients.plain = not_negative(g->clients.plain + d->plain);
    if (!g->takeover_pending || d->subscriptions <= 0)
        return;
    g->takeover_subs += d->subscriptions;
    if (!g->takeover_first_ns)
        g->takeover_first_ns = now_ns;
    /* A moment after this one for the others (a shorter one once as many
     * are back as the old publisher had); while fewer are back, up to the
     * stragglers' limit after the first. Never past the cap. */
    bool back = all_back(g);
    unsigned settle_ms = back ? g->params.takeover_settle_all_ms
                              : g->params.takeover_settle_ms;
    int64_t due_ns = now_ns + ms_to_ns(settle_ms);
    int64_t straggle_ns =
        g->takeover_first_ns + ms_to_ns(g->params.takeover_straggle_ms);
    if (!back && expected_clients(g) > 0 && straggle_ns > due_ns)
        due_ns = straggle_ns;
    g->takeover_due_ns = due_ns < g->takeover_cap_ns ? due_ns
                                                     : g->takeover_cap_ns;
}

void hamd_gate_subscriptions(struct hamd_gate *g, int64_t delta,
                             int64_t now_ns)
{
    struct hamd_gate_subs d = {delta, 0, delta};
    hamd_gate_subscribed(g, &d, now_ns);
}

const struct hamd_gate_subs *hamd_gate_clients(const struct hamd_gate *g)
{
    return &g->clients;
}

void hamd_gate_followers_changed(struct hamd_gate *g, int64_t delta)
{
    g->followers += delta;
    if (g->followers < 0)
        g->followers = 0;
}

bool hamd_gate_takeover_due(struct hamd_gate *g,
                            const struct hamd_gate_lease *lease,
                            int64_t now_ns, struct hamd_gate_takeover *t)
{
    /* Inside a lapse the held ticks would be numbered and not sent: the
     * takeover waits for the lease to come back (or PUB to close, when the
     * node goes on holding as a follower). So it does past the deadline
     * before anything noticed the lapse: the loop's reconcile comes after
     * (a takeover 35 ms after its lease ran out numbered 70 held ticks
     * per contract and sent none, a gap for every client: test_client on
     * a loaded host). */
    if (!g->takeover_pending || now_ns < g->takeover_due_ns || g->lapse ||
        !hamd_gate_may_publish(g, lease, now_ns))
        return false;
    g->takeover_pending = false;
    g->following = false;
    int64_t silent_ns = g->takeover_silent_ns;
    t->silent_ms = silent_ns / HAMD_NS_PER_MS;
    t->waited_ms = (now_ns - g->takeover_begin_ns) / HAMD_NS_PER_MS;
    t->first_ms = g->takeover_first_ns
                      ? (g->takeover_first_ns - g->takeover_begin_ns) / HAMD_NS_PER_MS
                      : -1;
    t->back = g->clients;
    t->expected = g->expected;
    t->by_kind = g->expected_by_kind;
    t->counted = expected_clients(g) > 0;
    t->all_back = all_back(g);
    if (silent_ns > g->follow_limits.window_ns)
        t->why = HAMD_GATE_TAKEOVER_SILENT;
    else if (silent_ns >= 0)
        t->why = HAMD_GATE_TAKEOVER_HEARD;
    else if (g->stream_opened_ns)
        t->why = HAMD_GATE_TAKEOVER_NEVER_HEARD;
    else
        t->why = HAMD_GATE_TAKEOVER_FIRST;
    return true;
}

int64_t hamd_gate_due_ns(const struct hamd_gate *g)
{
    /* Not during a lapse, when the takeover waits for the lease: a due
     * time passed meanwhile would make the loop poll without sleeping
     * until the lease came back (the loop's reconcile ends the lapse, at
     * most DP_POLL_MAX_MS after it does). */
    return g->takeover_pending && !g->lapse ? g->takeover_due_ns : INT64_MAX;
}
