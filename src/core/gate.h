/* The publish gate: whether this node hands a tick to its clients now,
 * holds it, or sends what it held (docs/architecture.md, "A lapse is not
 * a loss", "A takeover is not a hole").
 *
 * Pure: the data plane (dp_publish.c, dp_follow.c) passes in the lease as
 * the control plane set it, what became of its sockets, what it read of
 * the publisher's stream and of its own XPUB, and the time; the gate
 * answers with decisions and with what happened, which the data plane
 * carries out and logs. No clock reads, no I/O, no logging, no
 * allocation. Which held ticks of which contract go out stays with the
 * arbiter (arbiter.h, rules 4 and 5); the gate says whether, when, and
 * with which limits.
 *
 * The rules, each added for a failure the chaos suite or a loaded host
 * found:
 *  1. Under the lease only. A tick reaches PUB only while PUB is bound in
 *     the lease's term and now < its deadline. PUB is bound while the
 *     lease runs and closed on a term change, a revocation (deadline 0)
 *     or a lapse longer than the replay window, so clients reconnect to
 *     the next publisher. A tick finding no PUB under a running lease
 *     has it opened first, so the first tick of a term goes out; a bind
 *     that failed is retried from the tick path at most every
 *     bind_retry_ms (the loop's reconcile retries on each pass). A tick
 *     that finds PUB bound in another term than the lease's (the control
 *     plane moved the lease, the loop has not closed PUB yet) is held
 *     like a follower's: sent on, it was numbered in a term PUB never
 *     sends and moved the guard past every tick the lapse held, which
 *     the node's takeover, re-elected in a later term, then found stale:
 *     all lost, the new term's seq starting at 1, no gap for clients to
 *     see (test_dp_term_moved). The lease is checked once more just
 *     before the send (fencing), and only a tick that passes it is
 *     numbered, cached and moves the guard: one it stops is held like
 *     any other, and a replay (a lapse's end, a takeover, a switch),
 *     which goes out under one decision while the control plane may
 *     move the lease, stops at the first and keeps the rest of its
 *     rings for the next flush. Numbered unsent, they made the same
 *     hole (test_dp_term_moved).
 *  2. A lapse is not a loss. When the deadline passes in PUB's term (a
 *     renewal committed late on a loaded host) the node holds its live
 *     ticks within the replay limits and keeps PUB bound; if the lease
 *     comes back in the same term it sends them, in order, before any
 *     live tick. Whoever notices the lapse first starts it (a tick, a
 *     switch or the loop), and it lasts until the loop ends it, even if
 *     the lease came back meanwhile: a live tick sent before the held ones
 *     would make them stale, a hole (a brief freeze of the leader lost
 *     ticks 3 times in 10 on a loaded host).
 *  3. A node that does not publish holds like a follower: from start-up,
 *     and again from the moment PUB closes, within the follower's limits
 *     (the replay window plus takeover_wait_max_ms). Closing, it counts
 *     its own sends as the stream heard up to then, so if it is
 *     re-elected it sends what it held (a leader re-elected after a
 *     lapse, or one whose predecessor's stream it never heard, dropped
 *     38-60 ticks per contract).
 *  4. A takeover waits for clients. PUB opened while holding: the held
 *     ticks and the live ones stay held until the clients are back (a PUB
 *     drops what it sends before a SUB connects): when the old publisher
 *     said in its `_hb` how many clients it had, until as many are back,
 *     plus takeover_settle_all_ms; otherwise, or when some do not come
 *     back, takeover_straggle_ms after the first one, every later one
 *     making the wait last takeover_settle_ms more (a client library
 *     reconnecting in 25 ms ended a 30 ms wait before plain clients, on
 *     libzmq's 100 ms reconnect, were back: 13-17 ticks per contract lost
 *     for them); at most takeover_wait_max_ms, and no later
 *     than takeover_margin_ms before the oldest held tick would leave the
 *     follower's window, but never sooner than takeover_straggle_ms after
 *     PUB opened (bound just now, it has no client yet: sent sooner,
 *     the held ticks reach no one; after a 5.5 s election on a loaded
 *     host a client missed 547 a contract so); then they go out and the
 *     node stops holding. A
 *     slow takeover (2 hosts + witness, the stream silent ~3 s before PUB
 *     opened) therefore still waits for clients and keeps its ticks (it
 *     lost 63 per contract with the replay window alone). A lapse ending
 *     during that wait leaves the held ticks to the takeover (its flush
 *     sent them before clients were back).
 *     Clients are counted by kind (struct hamd_gate_subs): a client
 *     library is one client however many topics and connections it has
 *     (it names itself in a topic of its own, docs/protocol.md), a plain
 *     subscriber counts its subscriptions. Counted by subscriptions alone,
 *     a library's three topics and the probes it opens beside a silent
 *     endpoint made a fast library worth 9 subscriptions where the old
 *     publisher had counted 3: the wait ended 10-16 ms after PUB opened
 *     while the other library was not back, and it lost 45-180 ticks per
 *     contract (test_client on a loaded host, 2 runs in 16). A publisher
 *     of an older version says subscriptions only: then subscriptions
 *     are what the wait compares.
 *  5. When in doubt a takeover repeats rather than loses: if the old
 *     publisher's stream was never heard, or not within the follower's
 *     window, the arbiter has nothing to let go of and every held tick is
 *     sent; the gate says which case it was, for the log.
 *  6. A follower's stream silent for silent_warn_ms is reported once, and
 *     once more when it comes back.
 */
#ifndef HAMD_GATE_H
#define HAMD_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arbiter.h"

#define HAMD_GATE_TAKEOVER_WAIT_MAX_MS 2000 /* after PUB opens, the longest
                                               wait for clients before the
                                               held ticks go out (a VIP
                                               moved by keepalived arrives
                                               1-2 s after the election) */
#define HAMD_GATE_TAKEOVER_SETTLE_MS 30     /* after the last client's
                                               subscription, for the other
                                               clients' reconnects */
#define HAMD_GATE_TAKEOVER_SETTLE_ALL_MS 5  /* ... once as many are back as
                                               the old publisher had: only
                                               clients it did not have may
                                               still come (30 ms here was
                                               30 ms of every failover) */
#define HAMD_GATE_TAKEOVER_STRAGGLE_MS 300  /* after the first client's, the
                                               longest wait for the others
                                               the old publisher had: three
                                               of libzmq's 100 ms reconnect
                                               intervals */
#define HAMD_GATE_TAKEOVER_MARGIN_MS 100    /* the wait also ends this long
                                               before the oldest held tick
                                               would leave the follower's
                                               window */
#define HAMD_GATE_SILENT_WARN_MS 5000       /* a publisher sends _hb every
                                               100 ms: this long without a
                                               message means its stream
                                               does not reach us */
#define HAMD_GATE_HOLD_DEPTH_MULT 16        /* held ticks (a lapse, a
                                               follower) are kept up to
                                               16 x replay_depth per
                                               contract, not replay_depth:
                                               nothing else sends them, and
                                               at the defaults (256, a 5 s
                                               follower window) the depth
                                               ran out at 51 ticks/s of one
                                               contract (test_client's 100/s
                                               on a loaded host lost up to
                                               215 a contract); 4,096 is
                                               819/s. The window bounds
                                               them first at market rates */
#define HAMD_GATE_BIND_RETRY_MS 100         /* a failed PUB bind is retried
                                               from the tick path at most
                                               this often */

/* ------------------------------------------------------------------------
 * Parameters, inputs, state, decisions
 * ------------------------------------------------------------------------ */

/* What the gate is told once, at init. */
struct hamd_gate_params {
    struct hamd_arb_limits replay;  /* the replay window and depth: a
                                       lapse's held ticks */
    unsigned takeover_wait_max_ms;  /* HAMD_GATE_TAKEOVER_WAIT_MAX_MS */
    unsigned takeover_settle_ms;    /* HAMD_GATE_TAKEOVER_SETTLE_MS */
    unsigned takeover_settle_all_ms; /* HAMD_GATE_TAKEOVER_SETTLE_ALL_MS */
    unsigned takeover_straggle_ms;  /* HAMD_GATE_TAKEOVER_STRAGGLE_MS */
    unsigned takeover_margin_ms;    /* HAMD_GATE_TAKEOVER_MARGIN_MS */
    unsigned silent_warn_ms;        /* HAMD_GATE_SILENT_WARN_MS */
    unsigned bind_retry_ms;         /* HAMD_GATE_BIND_RETRY_MS */
};

/* The lease as the control plane last set it (raft/lease.h). */
struct hamd_gate_lease {
    uint64_t term;    /* term of the leadership it belongs to */
    int64_t until_ns; /* publishing allowed while now < until_ns
                         (monotonic); 0 = revoked */
};

/* Clients on an XPUB, or what a batch of its subscription messages
 * changed (docs/protocol.md, "Who is a client"). Follower markers and
 * whatever a follower subscribes to are in none of them. */
struct hamd_gate_subs {
    int64_t subscriptions; /* client subscriptions, every topic of every
                              client (a library's own topic too): what
                              `_hb` clients says, for older nodes */
    int64_t libraries;     /* client library instances: the distinct names
                              in `_client.` topics, whatever their
                              connections (probes) and topics */
    int64_t plain;         /* subscriptions of subscribers that name no
                              library (plain SUBs, older libraries) */
};

/* The gate's state. Set up with hamd_gate_init; the fields are the
 * gate's, read them through the functions below. */
struct hamd_gate {
    struct hamd_gate_params params;       /* copied at init */
    struct hamd_arb_limits lapse_limits;  /* a lapse's held ticks: the
                                             replay window, the depth
                                             times
                                             HAMD_GATE_HOLD_DEPTH_MULT */
    struct hamd_arb_limits follow_limits; /* a follower's held ticks: the
                                             same, the window plus the
                                             takeover's longest wait */

    bool pub_open;            /* PUB and snapshot bound */
    uint64_t pub_term;        /* the term they were bound in */
    int64_t bind_retry_ns;    /* no bind from the tick path before this */
    bool lapse;               /* PUB's deadline passed in its term: live
                                 ticks are held (rule 2) */
    int64_t lapse_since_ns;   /* when that was noticed */

    bool following;           /* live ticks are held for a takeover
                                 (rule 3): from start, whenever PUB is
                                 closed, until a takeover sends them */
    bool stream_open;         /* the publisher's stream is connected */
    int64_t stream_opened_ns; /* when it was last connected; 0 = never
                                 since start */
    bool heard;               /* heard_ns is known */
    int64_t heard_ns;         /* last message read from the stream, or
                                 when this node stopped publishing */
    bool stream_silent;       /* its silence was reported */

    bool takeover_pending;    /* PUB open, held ticks not sent yet */
    int64_t takeover_due_ns;  /* send them then */
    int64_t takeover_cap_ns;  /* ... at the latest */
    int64_t takeover_subs;    /* client subscriptions that arrived since
                                 PUB opened (unsubscriptions left out) */
    int64_t takeover_first_ns; /* the first client's subscription, 0 =
                                  none yet */
    int64_t takeover_begin_ns; /* when PUB opened for it */
    struct hamd_gate_subs expected; /* the clients the publisher of the
                                       stream said it had (`_hb`), or this
                                       node had when its PUB closed; all 0
                                       = unknown */
    bool expected_by_kind;    /* expected.libraries and .plain are known
                                 (a publisher of this version), else only
                                 .subscriptions */
    struct hamd_gate_subs clients; /* clients on this node's PUB now, for
                                      its `_hb` */
    int64_t followers;        /* follower markers on this node's PUB now:
                                 the watermark stream goes out while > 0 */
    int64_t takeover_silent_ns; /* the stream's silence when PUB opened,
                                   -1 = never heard */
};

/* What to do with a live tick of a contract's active source. */
enum hamd_gate_tick {
    HAMD_GATE_TICK_SEND = 0,      /* send it if hamd_gate_may_publish
                                     still says so just before the send,
                                     then number and cache it; else hold
                                     it (rule 1) */
    HAMD_GATE_TICK_HOLD_LAPSE,    /* hold it within hamd_gate_lapse_limits */
    HAMD_GATE_TICK_LAPSE_BEGAN,   /* the same, and this tick noticed the
                                     lapse (log it) */
    HAMD_GATE_TICK_HOLD_FOLLOW,   /* hold it within hamd_gate_follow_limits
                                     for a takeover */
};

/* Steps of a reconcile (bits), carried out in this order. */
enum {
    HAMD_GATE_LAPSE_ENDED = 1u << 0, /* the lease is back in PUB's term
                                        after lapse_ms (log it) */
    HAMD_GATE_FLUSH_HELD = 1u << 1,  /* send the held ticks now, within
                                        hamd_gate_lapse_limits */
    HAMD_GATE_LAPSE_BEGAN = 1u << 2, /* PUB's deadline passed: ticks are
                                        held from now (log it) */
    HAMD_GATE_CLOSE_PUB = 1u << 3,   /* close PUB and snapshot (the term
                                        was hamd_gate_pub_term); the node
                                        holds like a follower */
    HAMD_GATE_OPEN_PUB = 1u << 4,    /* bind PUB and snapshot for the
                                        lease's term, then report with
                                        hamd_gate_pub_opened or
                                        hamd_gate_pub_failed */
};

/* What a reconcile decided. */
struct hamd_gate_steps {
    unsigned steps;   /* HAMD_GATE_* step bits */
    int64_t lapse_ms; /* HAMD_GATE_LAPSE_ENDED: how long the lapse lasted */
};

/* A change of the publisher's stream to report. */
enum hamd_gate_stream {
    HAMD_GATE_STREAM_SAME = 0, /* nothing to report */
    HAMD_GATE_STREAM_SILENT,   /* silent for silent_warn_ms (WARN) */
    HAMD_GATE_STREAM_BACK,     /* heard again after that (INFO) */
};

/* What the node knew of the old publisher when it took over (rule 5). */
enum hamd_gate_takeover_case {
    HAMD_GATE_TAKEOVER_HEARD,       /* its stream ended silent_ms before
                                       PUB opened: the held ticks it had
                                       not sent go out */
    HAMD_GATE_TAKEOVER_SILENT,      /* last heard longer ago than the
                                       follower's window: all held ticks go
                                       out, some twice; older ones were
                                       lost */
    HAMD_GATE_TAKEOVER_NEVER_HEARD, /* a stream was connected but never
                                       heard: all held ticks go out, some
                                       may be repeats */
    HAMD_GATE_TAKEOVER_FIRST,       /* no publisher since start: what the
                                       gateways sent before goes out */
};

/* A takeover that is due. */
struct hamd_gate_takeover {
    enum hamd_gate_takeover_case why; /* for the log */
    int64_t silent_ms; /* the stream's silence when PUB opened */
    int64_t waited_ms; /* from PUB opened to the held ticks sent */
    int64_t first_ms;  /* from PUB opened to the first client back; -1:
                          none came back */
    struct hamd_gate_subs back;     /* the clients on PUB when sent */
    struct hamd_gate_subs expected; /* those the old publisher had */
    bool by_kind;      /* expected counts libraries and plain apart */
    bool counted;      /* the old publisher's clients were known (its
                          `_hb`, or this node's own when PUB closed) */
    bool all_back;     /* as many back as expected: the wait ended for
                          that, not at a limit */
};

/* Fills p with the defaults above and the data plane's replay limits. */
void hamd_gate_params_init(struct hamd_gate_params *p,
                           const struct hamd_arb_limits *replay);

/* Sets up a gate with PUB closed, following no stream: it holds live
 * ticks from the start (rule 3). */
void hamd_gate_init(struct hamd_gate *g, const struct hamd_gate_params *p);

/* ------------------------------------------------------------------------
 * The tick path
 * ------------------------------------------------------------------------ */

/* Inline, a few branches each: they run for every tick, and out of line
 * their calls cost ~40 instructions per tick of the ~5,150 the publish
 * path takes (tests/bench/callgrind_tick.sh). */

/* True when a tick finds no PUB while the lease runs (granted since the
 * loop's last reconcile) and no bind failed in the last bind_retry_ms:
 * reconcile first, so the first tick of a term goes out. */
static inline bool hamd_gate_opens_first(const struct hamd_gate *g,
                                         const struct hamd_gate_lease *lease,
                                         int64_t now_ns)
{
    return !g->pub_open && now_ns < lease->until_ns &&
           now_ns >= g->bind_retry_ns;
}

/* Starts a lapse (rule 2): the gate's own, for hamd_gate_tick and
 * hamd_gate_reconcile alike. */
static inline void hamd_gate_lapse_begin(struct hamd_gate *g, int64_t now_ns)
{
    g->lapse = true;
    g->lapse_since_ns = now_ns;
}

/* What to do with a live tick (or a switch's replay) at now_ns. May start
 * a lapse (rule 2): once started, it lasts until the reconcile ends it,
 * even if the lease came back meanwhile. A lease of another term than
 * PUB's, which the loop has not reconciled yet, holds it like a follower
 * (rule 1). */
static inline enum hamd_gate_tick
hamd_gate_tick(struct hamd_gate *g, const struct hamd_gate_lease *lease,
               int64_t now_ns)
{
    if (g->pub_open) {
        if (g->pub_term != lease->term)
            return HAMD_GATE_TICK_HOLD_FOLLOW;
        if (g->lapse)
            return HAMD_GATE_TICK_HOLD_LAPSE;
        if (now_ns >= lease->until_ns) {
            hamd_gate_lapse_begin(g, now_ns);
            return HAMD_GATE_TICK_LAPSE_BEGAN;
        }
    }
    return g->following ? HAMD_GATE_TICK_HOLD_FOLLOW : HAMD_GATE_TICK_SEND;
}

/* True while a tick may be handed to PUB: bound, in the lease's term,
 * before its deadline. */
static inline bool hamd_gate_may_publish(const struct hamd_gate *g,
                                         const struct hamd_gate_lease *lease,
                                         int64_t now_ns)
{
    return g->pub_open && now_ns < lease->until_ns &&
           g->pub_term == lease->term;
}

/* ------------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------------ */

/* Matches PUB to the lease: ends or begins a lapse, closes or opens PUB
 * (rules 1-3). Returns the steps for the caller to carry out. */
struct hamd_gate_steps hamd_gate_reconcile(struct hamd_gate *g,
                                           const struct hamd_gate_lease *lease,
                                           int64_t now_ns);

/* PUB and snapshot are bound in term (HAMD_GATE_OPEN_PUB done). A node
 * that held begins a takeover (rule 4): stop reading the old stream
 * before, since what is left of it still moves the guards. */
void hamd_gate_pub_opened(struct hamd_gate *g, uint64_t term, int64_t now_ns);

/* Binding PUB failed at now_ns: the tick path retries bind_retry_ms
 * later. */
void hamd_gate_pub_failed(struct hamd_gate *g, int64_t now_ns);

/* True while live ticks are held for a takeover (rule 3). */
bool hamd_gate_holds(const struct hamd_gate *g);

/* The term PUB was bound in last (0 before the first). Inline: the tick
 * path numbers every tick in it. */
static inline uint64_t hamd_gate_pub_term(const struct hamd_gate *g)
{
    return g->pub_term;
}

/* The limits of a lapse's held ticks (the replay window, the depth times
 * HAMD_GATE_HOLD_DEPTH_MULT). */
const struct hamd_arb_limits *hamd_gate_lapse_limits(const struct hamd_gate *g);

/* The limits of a follower's held ticks and of a takeover's flush. */
const struct hamd_arb_limits *hamd_gate_follow_limits(const struct hamd_gate *g);

/* ------------------------------------------------------------------------
 * The publisher's stream (a follower's SUB)
 * ------------------------------------------------------------------------ */

/* The stream was connected at now_ns. Another node publishes: a takeover
 * still waiting for clients is off. */
void hamd_gate_stream_opened(struct hamd_gate *g, int64_t now_ns);

/* The stream was closed (what was left of it read first). */
void hamd_gate_stream_closed(struct hamd_gate *g);

/* Messages were read from the stream at now_ns. */
void hamd_gate_stream_heard(struct hamd_gate *g, int64_t now_ns);

/* The publisher of the stream said (its `_hb`) it had n clients: a
 * takeover waits for as many. by_kind: n->libraries and n->plain are
 * known (its `libraries` and `plain`), else n->subscriptions alone (an
 * older publisher). */
void hamd_gate_stream_clients(struct hamd_gate *g,
                              const struct hamd_gate_subs *n, bool by_kind);

/* How long the stream has been silent (since it was connected if nothing
 * came since), ms; -1 when none is connected. *change says whether the
 * silence just passed silent_warn_ms or just ended (rule 6). */
int64_t hamd_gate_stream_silence_ms(struct hamd_gate *g, int64_t now_ns,
                                    enum hamd_gate_stream *change);

/* ------------------------------------------------------------------------
 * Taking over
 * ------------------------------------------------------------------------ */

/* Subscription messages read from the XPUB at now_ns changed its clients
 * by d (follower markers and their other topic left out): see rule 4 for
 * when they end a takeover's wait. */
void hamd_gate_subscribed(struct hamd_gate *g, const struct hamd_gate_subs *d,
                          int64_t now_ns);

/* The same for a plain subscriber's delta subscriptions (a library's name
 * in none of them). */
void hamd_gate_subscriptions(struct hamd_gate *g, int64_t delta,
                             int64_t now_ns);

/* Clients on this node's PUB now, for its `_hb`. */
const struct hamd_gate_subs *hamd_gate_clients(const struct hamd_gate *g);

/* delta follower markers arrived on the XPUB (+1 a follower subscribed,
 * -1 one left). */
void hamd_gate_followers_changed(struct hamd_gate *g, int64_t delta);

/* Followers on this node's PUB now (0 when it is closed): the publisher
 * tells them what it sent (dp_watermark.c) only while there are some.
 * Inline: asked for every tick sent. */
static inline int64_t hamd_gate_followers(const struct hamd_gate *g)
{
    return g->followers;
}

/* True when the takeover is due now and the lease lets ticks out
 * (hamd_gate_may_publish): *t says what the node knew of the old
 * publisher. The caller then flushes every contract's held ticks within
 * hamd_gate_follow_limits; the node no longer holds. */
bool hamd_gate_takeover_due(struct hamd_gate *g,
                            const struct hamd_gate_lease *lease,
                            int64_t now_ns, struct hamd_gate_takeover *t);

/* When the gate next has something to decide without an input (a
 * takeover's end of wait, not during a lapse), monotonic ns; INT64_MAX
 * for never. */
int64_t hamd_gate_due_ns(const struct hamd_gate *g);

#endif /* HAMD_GATE_H */
