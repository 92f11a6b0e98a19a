/* The publish gate with fake time (core/gate.h): publishing under the
 * lease only, PUB closed at a revocation, a term change or a lapse longer
 * than the replay window, a failed bind retried, the first tick of a term
 * opening PUB, held ticks before live ones, a tick held when the lease
 * moved to another term before the loop closed PUB; and each case the
 * chaos suite found: a lapse and return in the same term, a re-election after a
 * lapse, a predecessor never heard, a stream silent for longer than the
 * hold, a slow takeover (2 hosts + witness), the wait for the first
 * client and for the 30 ms after it, a publisher back in its own term
 * waiting for its own clients, a client library counted once however
 * many connections and topics it has (its probes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/gate.h"

#define MS 1000000LL                /* ns per ms */
#define T0 (1000000 * MS)           /* an arbitrary monotonic start */
#define WINDOW_MS 3000              /* replay_window_ms, the default */
#define DEPTH 256                   /* replay_depth, the default */
#define FOLLOW_WINDOW_MS (WINDOW_MS + HAMD_GATE_TAKEOVER_WAIT_MAX_MS)
#define LEASE_MS 200                /* a lease's span */

static void gate_setup(struct hamd_gate *g)
{
    struct hamd_arb_limits replay = {WINDOW_MS * MS, DEPTH};
    struct hamd_gate_params p;
    hamd_gate_params_init(&p, &replay);
    hamd_gate_init(g, &p);
}

static struct hamd_gate_lease lease(uint64_t term, int64_t until_ns)
{
    struct hamd_gate_lease l = {term, until_ns};
    return l;
}

/* The loop's reconcile at now; returns its step bits. */
static unsigned reconcile(struct hamd_gate *g, struct hamd_gate_lease l,
                          int64_t now_ns)
{
    return hamd_gate_reconcile(g, &l, now_ns).steps;
}

static enum hamd_gate_tick tick(struct hamd_gate *g, struct hamd_gate_lease l,
                                int64_t now_ns)
{
    return hamd_gate_tick(g, &l, now_ns);
}

static bool may_publish(struct hamd_gate *g, struct hamd_gate_lease l,
                        int64_t now_ns)
{
    return hamd_gate_may_publish(g, &l, now_ns);
}

/* The loop opens PUB under l at now, and the bind succeeds. */
static void pub_open(struct hamd_gate *g, struct hamd_gate_lease l,
                     int64_t now_ns)
{
    assert_int_equal(reconcile(g, l, now_ns), HAMD_GATE_OPEN_PUB);
    hamd_gate_pub_opened(g, l.term, now_ns);
}

/* Asks for the takeover at now under a lease of PUB's term that runs
 * on; returns whether it was due, *t what the gate knew of the old
 * publisher. */
static bool takeover_due(struct hamd_gate *g, int64_t now_ns,
                         struct hamd_gate_takeover *t)
{
    struct hamd_gate_lease l = lease(hamd_gate_pub_term(g), INT64_MAX);
    return hamd_gate_takeover_due(g, &l, now_ns, t);
}

/* A node that publishes in term under l since now: PUB opened, a client
 * came back at once, the takeover done. Returns when it was done. */
static int64_t publisher(struct hamd_gate *g, struct hamd_gate_lease l,
                         int64_t now_ns)
{
    struct hamd_gate_takeover t;
    pub_open(g, l, now_ns);
    hamd_gate_subscriptions(g, 1, now_ns);
    int64_t done_ns = now_ns + HAMD_GATE_TAKEOVER_SETTLE_MS * MS;
    assert_true(takeover_due(g, done_ns, &t));
    assert_false(hamd_gate_holds(g));
    assert_int_equal(tick(g, l, done_ns), HAMD_GATE_TICK_SEND);
    return done_ns;
}

/* A follower connected to the old publisher's stream at T0 that heard it
 * last at last_ns, then stopped reading it (this node's PUB opens). */
static void stream_heard_until(struct hamd_gate *g, int64_t last_ns)
{
    hamd_gate_stream_opened(g, T0);
    hamd_gate_stream_heard(g, last_ns);
    hamd_gate_stream_closed(g);
}

/* ------------------------------------------------------------------------
 * Ordinary cases
 * ------------------------------------------------------------------------ */

static void test_defaults(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    assert_int_equal(hamd_gate_lapse_limits(&g)->window_ns, WINDOW_MS * MS);
    /* Held ticks: nothing else sends them, so deeper than a replay. */
    assert_int_equal(hamd_gate_lapse_limits(&g)->depth,
                     DEPTH * HAMD_GATE_HOLD_DEPTH_MULT);
    assert_int_equal(hamd_gate_follow_limits(&g)->window_ns,
                     FOLLOW_WINDOW_MS * MS);
    assert_int_equal(hamd_gate_follow_limits(&g)->depth,
                     DEPTH * HAMD_GATE_HOLD_DEPTH_MULT);
    assert_int_equal(hamd_gate_due_ns(&g), INT64_MAX);
    assert_int_equal(hamd_gate_pub_term(&g), 0);
}

/* From the start, with no lease, a node holds like a follower and
 * nothing reaches PUB. */
static void test_holds_from_start(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    assert_true(hamd_gate_holds(&g));
    assert_int_equal(tick(&g, lease(0, 0), T0), HAMD_GATE_TICK_HOLD_FOLLOW);
    assert_false(may_publish(&g, lease(0, 0), T0));
    assert_false(hamd_gate_opens_first(&g, &(struct hamd_gate_lease){0, 0}, T0));
    assert_int_equal(reconcile(&g, lease(0, 0), T0), 0);
}

/* Under the lease PUB opens; the first publisher since start sends what
 * it held once a client is back, then live ticks go out until the
 * deadline, which is exclusive. */
static void test_publishes_under_the_lease(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    pub_open(&g, l, T0);
    assert_int_equal(hamd_gate_pub_term(&g), 1);
    assert_true(may_publish(&g, l, T0));
    assert_int_equal(tick(&g, l, T0), HAMD_GATE_TICK_HOLD_FOLLOW);
    hamd_gate_subscriptions(&g, 1, T0 + 5 * MS);
    assert_true(takeover_due(&g, T0 + 35 * MS, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_FIRST);
    assert_int_equal(tick(&g, l, T0 + 36 * MS), HAMD_GATE_TICK_SEND);
    assert_true(may_publish(&g, l, T0 + LEASE_MS * MS - 1));
    assert_false(may_publish(&g, l, T0 + LEASE_MS * MS));
    assert_false(may_publish(&g, lease(2, T0 + LEASE_MS * MS), T0));
    /* Renewed: the reconcile has nothing to do. */
    l.until_ns += 100 * MS;
    assert_int_equal(reconcile(&g, l, T0 + 150 * MS), 0);
}

/* A revocation (deadline 0, a handover or a deposed leader) closes PUB at
 * the next reconcile, no lapse: someone else may publish now. */
static void test_revocation_closes_at_once(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    int64_t now = publisher(&g, lease(1, T0 + LEASE_MS * MS), T0);
    assert_int_equal(reconcile(&g, lease(1, 0), now), HAMD_GATE_CLOSE_PUB);
    assert_false(may_publish(&g, lease(1, 0), now));
    assert_true(hamd_gate_holds(&g));
    assert_int_equal(tick(&g, lease(1, 0), now), HAMD_GATE_TICK_HOLD_FOLLOW);
}

/* A tick that sees the revocation before the loop does holds, as in a
 * lapse; the reconcile then closes PUB without sending it. */
static void test_revocation_seen_by_a_tick_first(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    int64_t now = publisher(&g, lease(1, T0 + LEASE_MS * MS), T0);
    assert_int_equal(tick(&g, lease(1, 0), now), HAMD_GATE_TICK_LAPSE_BEGAN);
    assert_int_equal(reconcile(&g, lease(1, 0), now + MS),
                     HAMD_GATE_CLOSE_PUB);
    assert_int_equal(tick(&g, lease(1, 0), now + MS),
                     HAMD_GATE_TICK_HOLD_FOLLOW);
}

/* A new term closes the old term's PUB and, under a lease, opens the new
 * one in the same pass; nothing reaches the old PUB meanwhile. */
static void test_term_change_closes(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    int64_t now = publisher(&g, lease(1, T0 + LEASE_MS * MS), T0);
    struct hamd_gate_lease l2 = lease(2, now + LEASE_MS * MS);
    assert_false(may_publish(&g, l2, now));
    assert_int_equal(reconcile(&g, l2, now),
                     HAMD_GATE_CLOSE_PUB | HAMD_GATE_OPEN_PUB);
    assert_int_equal(hamd_gate_pub_term(&g), 1); /* until the bind */
    hamd_gate_pub_opened(&g, 2, now);
    assert_int_equal(hamd_gate_pub_term(&g), 2);
    assert_true(may_publish(&g, l2, now));
    /* Without a lease in the new term, it only closes. */
    assert_int_equal(reconcile(&g, lease(3, 0), now + MS),
                     HAMD_GATE_CLOSE_PUB);
}

/* A tick between the lease's move to another term and the loop's
 * reconcile is held like a follower's, whether the node was deposed or
 * elected again: PUB still belongs to the old term (rule 1). Sent on, it
 * was numbered in a term nothing sent and moved the guard past what a
 * lapse held, which a re-election then lost unseen. */
static void test_tick_after_term_moved_is_held(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    int64_t now = publisher(&g, lease(1, T0 + LEASE_MS * MS), T0);
    assert_int_equal(tick(&g, lease(2, 0), now), HAMD_GATE_TICK_HOLD_FOLLOW);
    assert_int_equal(tick(&g, lease(3, now + LEASE_MS * MS), now),
                     HAMD_GATE_TICK_HOLD_FOLLOW);
    /* So during a lapse, which the new term ends. */
    int64_t lapse = now + LEASE_MS * MS;
    assert_int_equal(tick(&g, lease(1, lapse), lapse),
                     HAMD_GATE_TICK_LAPSE_BEGAN);
    assert_int_equal(tick(&g, lease(2, 0), lapse + MS),
                     HAMD_GATE_TICK_HOLD_FOLLOW);
    assert_int_equal(reconcile(&g, lease(2, 0), lapse + MS), HAMD_GATE_CLOSE_PUB);
    assert_int_equal(tick(&g, lease(2, 0), lapse + MS),
                     HAMD_GATE_TICK_HOLD_FOLLOW);
}

/* A failed bind: the loop retries on each pass, a tick only every
 * bind_retry_ms. */
static void test_bind_failure_retries_after_interval(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    assert_int_equal(reconcile(&g, l, T0), HAMD_GATE_OPEN_PUB);
    hamd_gate_pub_failed(&g, T0);
    assert_false(may_publish(&g, l, T0));
    assert_false(hamd_gate_opens_first(&g, &l, T0 + 1 * MS));
    assert_false(hamd_gate_opens_first(
        &g, &l, T0 + HAMD_GATE_BIND_RETRY_MS * MS - 1));
    assert_true(hamd_gate_opens_first(&g, &l, T0 + HAMD_GATE_BIND_RETRY_MS * MS));
    assert_int_equal(reconcile(&g, l, T0 + 1 * MS), HAMD_GATE_OPEN_PUB);
}

/* A lease granted since the loop's last pass: the tick opens PUB before
 * it is numbered, so the first tick of a term goes out. */
static void test_tick_before_reconcile_opens_pub(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    assert_true(hamd_gate_opens_first(&g, &l, T0));
    assert_false(hamd_gate_opens_first(&g, &l, T0 + LEASE_MS * MS));
    pub_open(&g, l, T0);
    assert_false(hamd_gate_opens_first(&g, &l, T0));
}

/* The lease comes back before the loop noticed: a live tick is still
 * held until the reconcile sent the held ones (a live tick first would
 * make them stale, a hole). */
static void test_held_tick_never_sent_before_flush(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    publisher(&g, l, T0);
    int64_t lapse = l.until_ns;
    assert_int_equal(tick(&g, l, lapse), HAMD_GATE_TICK_LAPSE_BEGAN);
    assert_false(may_publish(&g, l, lapse));
    l.until_ns = lapse + LEASE_MS * MS; /* renewed */
    assert_true(may_publish(&g, l, lapse + MS));
    assert_int_equal(tick(&g, l, lapse + MS), HAMD_GATE_TICK_HOLD_LAPSE);
    assert_int_equal(tick(&g, l, lapse + 2 * MS), HAMD_GATE_TICK_HOLD_LAPSE);
    struct hamd_gate_steps s = hamd_gate_reconcile(&g, &l, lapse + 3 * MS);
    assert_int_equal(s.steps, HAMD_GATE_LAPSE_ENDED | HAMD_GATE_FLUSH_HELD);
    assert_int_equal(s.lapse_ms, 3);
    assert_int_equal(tick(&g, l, lapse + 3 * MS), HAMD_GATE_TICK_SEND);
}

/* A lapse longer than the replay window: PUB closes, and the node holds
 * like a follower, its own sends counting as the stream heard then. */
static void test_lapse_longer_than_window_closes(void **state)
{
    (void)state;
    struct hamd_gate g;
    enum hamd_gate_stream change;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    publisher(&g, l, T0);
    int64_t lapse = l.until_ns;
    assert_int_equal(reconcile(&g, l, lapse), HAMD_GATE_LAPSE_BEGAN);
    assert_int_equal(tick(&g, l, lapse + MS), HAMD_GATE_TICK_HOLD_LAPSE);
    assert_int_equal(reconcile(&g, l, lapse + WINDOW_MS * MS), 0);
    int64_t over = lapse + WINDOW_MS * MS + 1;
    assert_int_equal(reconcile(&g, l, over), HAMD_GATE_CLOSE_PUB);
    assert_true(hamd_gate_holds(&g));
    assert_int_equal(tick(&g, l, over), HAMD_GATE_TICK_HOLD_FOLLOW);
    /* Following the next publisher, nothing heard from it yet: its
     * silence counts from the connect. */
    hamd_gate_stream_opened(&g, over + 10 * MS);
    assert_int_equal(hamd_gate_stream_silence_ms(&g, over + 60 * MS, &change),
                     50);
}

/* ------------------------------------------------------------------------
 * The cases the chaos suite found
 * ------------------------------------------------------------------------ */

/* A renewal committed late on a loaded host: the loop sees the lapse,
 * holds within the replay limits, keeps PUB, and sends what it held when
 * the lease is back in the same term. */
static void test_lapse_and_return_in_same_term(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    publisher(&g, l, T0);
    int64_t lapse = l.until_ns + 2 * MS;
    assert_int_equal(reconcile(&g, l, lapse), HAMD_GATE_LAPSE_BEGAN);
    assert_int_equal(reconcile(&g, l, lapse + 5 * MS), 0); /* only once */
    assert_int_equal(tick(&g, l, lapse + 10 * MS), HAMD_GATE_TICK_HOLD_LAPSE);
    assert_false(may_publish(&g, l, lapse + 10 * MS));
    l.until_ns = lapse + 250 * MS + LEASE_MS * MS;
    struct hamd_gate_steps s = hamd_gate_reconcile(&g, &l, lapse + 250 * MS);
    assert_int_equal(s.steps, HAMD_GATE_LAPSE_ENDED | HAMD_GATE_FLUSH_HELD);
    assert_int_equal(s.lapse_ms, 250);
    assert_true(may_publish(&g, l, lapse + 250 * MS));
    assert_int_equal(tick(&g, l, lapse + 251 * MS), HAMD_GATE_TICK_SEND);
}

/* Re-elected after a lapse that outlasted the window: PUB closed, the
 * node held like a follower, and taking over in the new term it sends
 * what it held (a re-elected leader dropped 38-60 ticks per contract):
 * its own last sends are what it heard last. */
static void test_reelection_after_lapse(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    publisher(&g, l, T0);
    int64_t lapse = l.until_ns;
    assert_int_equal(reconcile(&g, l, lapse), HAMD_GATE_LAPSE_BEGAN);
    int64_t closed = lapse + WINDOW_MS * MS + MS;
    assert_int_equal(reconcile(&g, lease(2, 0), closed), HAMD_GATE_CLOSE_PUB);
    assert_int_equal(tick(&g, lease(2, 0), closed), HAMD_GATE_TICK_HOLD_FOLLOW);
    int64_t elected = closed + 400 * MS;
    struct hamd_gate_lease l2 = lease(2, elected + LEASE_MS * MS);
    pub_open(&g, l2, elected);
    assert_int_equal(tick(&g, l2, elected), HAMD_GATE_TICK_HOLD_FOLLOW);
    /* Its one client is back: 5 ms more for clients it did not have. */
    hamd_gate_subscriptions(&g, 1, elected + 20 * MS);
    int64_t due = elected + (20 + HAMD_GATE_TAKEOVER_SETTLE_ALL_MS) * MS;
    assert_false(takeover_due(&g, due - 1, &t));
    assert_true(takeover_due(&g, due, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_HEARD);
    assert_int_equal(t.silent_ms, 400);
    assert_int_equal(tick(&g, l2, due), HAMD_GATE_TICK_SEND);
}

/* A lapse while a takeover waits for clients: the lease's return leaves
 * the held ticks to the takeover (a flush then sent them before clients
 * were back). */
static void test_lapse_during_takeover_wait(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    pub_open(&g, l, T0);
    int64_t lapse = l.until_ns;
    assert_int_equal(reconcile(&g, l, lapse), HAMD_GATE_LAPSE_BEGAN);
    l.until_ns = lapse + 100 * MS + LEASE_MS * MS;
    struct hamd_gate_steps s = hamd_gate_reconcile(&g, &l, lapse + 100 * MS);
    assert_int_equal(s.steps, HAMD_GATE_LAPSE_ENDED);
    assert_true(hamd_gate_holds(&g));
    assert_int_equal(tick(&g, l, lapse + 100 * MS), HAMD_GATE_TICK_HOLD_FOLLOW);
    hamd_gate_subscriptions(&g, 1, lapse + 110 * MS);
    assert_true(takeover_due(&g, lapse + 140 * MS, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_FIRST);
}

/* A gate whose PUB opened at T0 under l while it held, its one client
 * back 5 ms later. Returns when the takeover's wait ends. */
static int64_t one_client_back(struct hamd_gate *g, struct hamd_gate_lease l)
{
    gate_setup(g);
    pub_open(g, l, T0);
    hamd_gate_subscriptions(g, 1, T0 + 5 * MS);
    return T0 + 5 * MS + HAMD_GATE_TAKEOVER_SETTLE_MS * MS;
}

/* The wait for clients ends inside a lapse: the held ticks would be
 * numbered and not sent, so the takeover waits until the lease is back,
 * then sends them. */
static void test_takeover_due_inside_a_lapse_waits(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    struct hamd_gate_lease l = lease(1, T0 + 20 * MS);
    int64_t due = one_client_back(&g, l);
    assert_int_equal(reconcile(&g, l, l.until_ns), HAMD_GATE_LAPSE_BEGAN);
    assert_false(takeover_due(&g, due, &t));
    assert_false(takeover_due(&g, due + 100 * MS, &t));
    assert_true(hamd_gate_holds(&g));
    l.until_ns = due + 200 * MS + LEASE_MS * MS;
    assert_int_equal(reconcile(&g, l, due + 200 * MS), HAMD_GATE_LAPSE_ENDED);
    assert_true(takeover_due(&g, due + 200 * MS, &t));
    assert_false(hamd_gate_holds(&g));
    assert_int_equal(tick(&g, l, due + 200 * MS), HAMD_GATE_TICK_SEND);
}

/* The takeover's wait ends after the lease's deadline, before the loop's
 * reconcile noticed the lapse: not due (its held ticks would be numbered
 * and not sent, a gap for every client); due once the lease is back. */
static void test_takeover_not_due_past_the_deadline(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    struct hamd_gate_lease l = lease(3, T0 + 20 * MS);
    int64_t due = one_client_back(&g, l);
    assert_true(due > l.until_ns);
    assert_false(hamd_gate_takeover_due(&g, &l, due, &t));
    assert_true(hamd_gate_holds(&g));
    struct hamd_gate_lease other = lease(4, due + LEASE_MS * MS);
    assert_false(hamd_gate_takeover_due(&g, &other, due, &t));
    assert_int_equal(reconcile(&g, l, due + 1 * MS), HAMD_GATE_LAPSE_BEGAN);
    assert_int_equal(hamd_gate_due_ns(&g), INT64_MAX); /* no busy loop */
    l.until_ns = due + 40 * MS + LEASE_MS * MS;
    assert_int_equal(reconcile(&g, l, due + 40 * MS), HAMD_GATE_LAPSE_ENDED);
    assert_int_equal(hamd_gate_due_ns(&g), due);
    assert_true(hamd_gate_takeover_due(&g, &l, due + 40 * MS, &t));
    assert_int_equal(tick(&g, l, due + 40 * MS), HAMD_GATE_TICK_SEND);
}

/* The predecessor's stream was connected but never heard (its publish
 * port unreachable from here, or a leader shorter than the connect): the
 * gate cannot bound the held ticks' age, so the wait is the full cap,
 * and the takeover says it sends them all. */
static void test_predecessor_never_heard(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    enum hamd_gate_stream change;
    gate_setup(&g);
    hamd_gate_stream_opened(&g, T0);
    assert_int_equal(hamd_gate_stream_silence_ms(&g, T0 + 700 * MS, &change),
                     700);
    hamd_gate_stream_closed(&g);
    assert_int_equal(hamd_gate_stream_silence_ms(&g, T0 + 800 * MS, &change),
                     -1);
    int64_t opened = T0 + 10000 * MS;
    pub_open(&g, lease(2, opened + LEASE_MS * MS), opened);
    assert_int_equal(hamd_gate_due_ns(&g),
                     opened + HAMD_GATE_TAKEOVER_WAIT_MAX_MS * MS);
    int64_t due = hamd_gate_due_ns(&g);
    assert_false(takeover_due(&g, due - 1, &t));
    assert_true(takeover_due(&g, due, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_NEVER_HEARD);
    assert_false(hamd_gate_holds(&g));
}

/* The stream went silent (the publisher unreachable, then gone) for
 * longer than the follower keeps held ticks: reported once when the
 * silence passes 5 s, once when it ends; taking over after a longer
 * silence sends at once what is left, and says what was lost. */
static void test_silent_stream_longer_than_hold(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    enum hamd_gate_stream change;
    gate_setup(&g);
    hamd_gate_stream_opened(&g, T0);
    int64_t heard = T0 + 100 * MS;
    hamd_gate_stream_heard(&g, heard);
    int64_t warn = heard + HAMD_GATE_SILENT_WARN_MS * MS;
    hamd_gate_stream_silence_ms(&g, warn - MS, &change);
    assert_int_equal(change, HAMD_GATE_STREAM_SAME);
    assert_int_equal(hamd_gate_stream_silence_ms(&g, warn, &change),
                     HAMD_GATE_SILENT_WARN_MS);
    assert_int_equal(change, HAMD_GATE_STREAM_SILENT);
    hamd_gate_stream_silence_ms(&g, warn + 1000 * MS, &change);
    assert_int_equal(change, HAMD_GATE_STREAM_SAME);
    hamd_gate_stream_heard(&g, warn + 1100 * MS);
    assert_int_equal(hamd_gate_stream_silence_ms(&g, warn + 1100 * MS, &change),
                     0);
    assert_int_equal(change, HAMD_GATE_STREAM_BACK);
    hamd_gate_stream_silence_ms(&g, warn + 1200 * MS, &change);
    assert_int_equal(change, HAMD_GATE_STREAM_SAME);

    int64_t last = warn + 1100 * MS;
    hamd_gate_stream_closed(&g);
    int64_t opened = last + (FOLLOW_WINDOW_MS + 1000) * MS;
    pub_open(&g, lease(2, opened + LEASE_MS * MS), opened);
    /* The window passed already: the held ticks wait for clients all the
     * same, as long as stragglers get, since PUB was just bound and a
     * takeover now would send them to no one. */
    int64_t due = opened + HAMD_GATE_TAKEOVER_STRAGGLE_MS * MS;
    assert_int_equal(hamd_gate_due_ns(&g), due);
    assert_false(takeover_due(&g, due - MS, &t));
    assert_true(takeover_due(&g, due, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_SILENT);
    assert_int_equal(t.silent_ms, FOLLOW_WINDOW_MS + 1000);
}

/* The window ends a moment after PUB opens: the takeover still waits for
 * clients as long as stragglers get, not only until the window's end. */
static void test_window_ending_soon_still_waits_for_clients(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    hamd_gate_stream_opened(&g, T0);
    hamd_gate_stream_heard(&g, T0);
    hamd_gate_stream_closed(&g);
    int64_t window_end = T0 + (FOLLOW_WINDOW_MS -
                               HAMD_GATE_TAKEOVER_MARGIN_MS) * MS;
    int64_t opened = window_end - 50 * MS;
    pub_open(&g, lease(2, opened + LEASE_MS * MS), opened);
    int64_t due = opened + HAMD_GATE_TAKEOVER_STRAGGLE_MS * MS;
    assert_int_equal(hamd_gate_due_ns(&g), due);
    assert_false(takeover_due(&g, window_end, &t));
    assert_true(takeover_due(&g, due, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_HEARD);
}

/* A handover: the old publisher's last message arrives just before this
 * node's PUB opens and is read as the stream closes, after the reconcile
 * read the clock. It was heard, not never (a spurious WARN on hactl
 * transfer). */
static void test_stream_read_at_close_is_heard(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    int64_t opened = T0 + 1000 * MS;
    stream_heard_until(&g, opened + 200000); /* 0.2 ms after now */
    pub_open(&g, lease(2, opened + LEASE_MS * MS), opened);
    hamd_gate_subscriptions(&g, 1, opened);
    assert_true(takeover_due(&g, opened + 30 * MS, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_HEARD);
    assert_int_equal(t.silent_ms, 0);
}

/* Two hosts and a witness: the stream ended ~2.9 s before this node's
 * PUB opened. With the replay window alone the takeover was due at once,
 * before clients were back, and the oldest ticks were gone (63 lost per
 * contract); the follower's window keeps them and the wait for clients
 * stands. */
static void test_slow_takeover_two_hosts_and_witness(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    int64_t last = T0 + 60000 * MS;
    stream_heard_until(&g, last);
    int64_t opened = last + 2900 * MS;
    pub_open(&g, lease(5, opened + LEASE_MS * MS), opened);
    /* Due no later than the margin before the oldest held tick leaves. */
    int64_t cap = last + (FOLLOW_WINDOW_MS - HAMD_GATE_TAKEOVER_MARGIN_MS) * MS;
    assert_int_equal(hamd_gate_due_ns(&g), cap);
    assert_false(takeover_due(&g, opened, &t));
    assert_false(takeover_due(&g, opened + 500 * MS, &t));
    hamd_gate_subscriptions(&g, 1, opened + 600 * MS);
    assert_int_equal(hamd_gate_due_ns(&g), opened + 630 * MS);
    assert_true(takeover_due(&g, opened + 630 * MS, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_HEARD);
    assert_int_equal(t.silent_ms, 2900);
    /* The oldest held tick, from just after `last`, is still inside. */
    assert_true(opened + 630 * MS - last <
                hamd_gate_follow_limits(&g)->window_ns);
}

/* A new publisher that does not know how many clients its predecessor
 * had waits for the first client (followers' subscriptions, which come
 * with a marker, do not count), then 30 ms after the last one for the
 * others; at most 2 s without any. */
static void test_waits_for_first_client_and_30ms(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    int64_t last = T0 + 1000 * MS;
    stream_heard_until(&g, last);
    int64_t opened = last + 500 * MS;
    pub_open(&g, lease(3, opened + LEASE_MS * MS), opened);
    int64_t cap = opened + HAMD_GATE_TAKEOVER_WAIT_MAX_MS * MS;
    assert_int_equal(hamd_gate_due_ns(&g), cap);
    hamd_gate_subscriptions(&g, -1 + 1, opened + 20 * MS); /* a follower */
    assert_int_equal(hamd_gate_due_ns(&g), cap);
    assert_false(takeover_due(&g, opened + 400 * MS, &t));
    hamd_gate_subscriptions(&g, 1, opened + 400 * MS); /* the first client */
    assert_int_equal(hamd_gate_due_ns(&g), opened + 430 * MS);
    hamd_gate_subscriptions(&g, 1, opened + 420 * MS); /* 30 ms more */
    assert_int_equal(hamd_gate_due_ns(&g), opened + 450 * MS);
    assert_false(takeover_due(&g, opened + 449 * MS, &t));
    assert_true(hamd_gate_holds(&g));
    assert_true(takeover_due(&g, opened + 450 * MS, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_HEARD);
    assert_int_equal(t.silent_ms, 500);
    assert_false(takeover_due(&g, opened + 451 * MS, &t)); /* once */
    assert_int_equal(hamd_gate_due_ns(&g), INT64_MAX);
}

/* An older publisher's _hb: n client subscriptions, no kinds. */
static void older_publisher_said(struct hamd_gate *g, int64_t n)
{
    struct hamd_gate_subs said = {n, 0, 0};
    hamd_gate_stream_clients(g, &said, false);
}

/* A follower that heard the old publisher (an older version) last at
 * last_ns, and read in its _hb that it had `clients` client
 * subscriptions, opens PUB in term 300 ms later. Returns when it
 * opened. */
static int64_t take_over_from(struct hamd_gate *g, int64_t last_ns,
                              int64_t clients, uint64_t term)
{
    stream_heard_until(g, last_ns);
    older_publisher_said(g, clients);
    int64_t opened = last_ns + 300 * MS;
    pub_open(g, lease(term, opened + LEASE_MS * MS), opened);
    return opened;
}

/* The old publisher said in its _hb it had three client subscriptions: a
 * fast client alone does not end the wait, the three do (5 ms later). */
static void test_waits_for_the_clients_the_old_publisher_had(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    int64_t opened = take_over_from(&g, T0 + 1000 * MS, 3, 3);
    hamd_gate_subscriptions(&g, 1, opened + 25 * MS); /* a client library */
    assert_int_equal(hamd_gate_due_ns(&g),
                     opened + (25 + HAMD_GATE_TAKEOVER_STRAGGLE_MS) * MS);
    assert_false(takeover_due(&g, opened + 100 * MS, &t));
    hamd_gate_subscriptions(&g, 1, opened + 110 * MS); /* plain clients on */
    assert_int_equal(hamd_gate_due_ns(&g),
                     opened + (25 + HAMD_GATE_TAKEOVER_STRAGGLE_MS) * MS);
    hamd_gate_subscriptions(&g, 1, opened + 120 * MS); /* libzmq's 100 ms */
    int64_t due = opened + (120 + HAMD_GATE_TAKEOVER_SETTLE_ALL_MS) * MS;
    assert_int_equal(hamd_gate_due_ns(&g), due);
    assert_false(takeover_due(&g, due - 1, &t));
    assert_true(takeover_due(&g, due, &t));
}

/* One of them never comes back: the others wait for it no longer than
 * the stragglers' limit after the first. */
static void test_stragglers_have_a_limit(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    stream_heard_until(&g, T0 + 1000 * MS);
    older_publisher_said(&g, 2);
    int64_t opened = T0 + 1100 * MS;
    pub_open(&g, lease(3, opened + LEASE_MS * MS), opened);
    hamd_gate_subscriptions(&g, 1, opened + 40 * MS);
    int64_t limit = opened + (40 + HAMD_GATE_TAKEOVER_STRAGGLE_MS) * MS;
    assert_false(takeover_due(&g, limit - 1, &t));
    assert_true(takeover_due(&g, limit, &t));
}

/* A publisher counts its clients' subscriptions for its _hb: followers'
 * markers and unsubscriptions taken into account, never below 0; a new
 * PUB starts from 0. */
static void test_publisher_counts_its_clients(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    publisher(&g, l, T0); /* one client came back */
    assert_int_equal(hamd_gate_clients(&g)->subscriptions, 1);
    hamd_gate_subscriptions(&g, 2, T0 + 100 * MS);
    hamd_gate_subscriptions(&g, 0, T0 + 110 * MS); /* a follower */
    hamd_gate_subscriptions(&g, -1, T0 + 120 * MS); /* a client left */
    assert_int_equal(hamd_gate_clients(&g)->subscriptions, 2);
    hamd_gate_subscriptions(&g, -5, T0 + 130 * MS);
    assert_int_equal(hamd_gate_clients(&g)->subscriptions, 0);
}

/* A publisher counts its followers (their markers) for the watermark
 * stream: never below 0, 0 again once PUB closes, a new PUB counts its
 * own. */
static void test_publisher_counts_its_followers(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    publisher(&g, l, T0);
    assert_int_equal(hamd_gate_followers(&g), 0);
    hamd_gate_followers_changed(&g, 2);
    hamd_gate_followers_changed(&g, -1);
    assert_int_equal(hamd_gate_followers(&g), 1);
    hamd_gate_followers_changed(&g, -3);
    assert_int_equal(hamd_gate_followers(&g), 0);
    hamd_gate_followers_changed(&g, 2);
    /* The lease is revoked: PUB closes, and nobody follows it any more. */
    assert_true(reconcile(&g, lease(1, 0), T0 + 50 * MS) & HAMD_GATE_CLOSE_PUB);
    assert_int_equal(hamd_gate_followers(&g), 0);
    /* Open again in a new term: it counts from 0 again. */
    hamd_gate_followers_changed(&g, 1);
    pub_open(&g, lease(2, T0 + 500 * MS), T0 + 300 * MS);
    assert_int_equal(hamd_gate_followers(&g), 0);
}

/* No client at all: the held ticks go out at the cap. */
static void test_takeover_cap_without_clients(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    pub_open(&g, lease(1, T0 + LEASE_MS * MS), T0);
    int64_t cap = T0 + HAMD_GATE_TAKEOVER_WAIT_MAX_MS * MS;
    assert_false(takeover_due(&g, cap - 1, &t));
    assert_true(takeover_due(&g, cap, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_FIRST);
}

/* Another node publishes after all while the takeover waits: it is off,
 * the node goes on holding. */
static void test_following_another_publisher_cancels_takeover(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    pub_open(&g, lease(1, T0 + LEASE_MS * MS), T0);
    hamd_gate_stream_opened(&g, T0 + 10 * MS);
    assert_int_equal(hamd_gate_due_ns(&g), INT64_MAX);
    assert_false(takeover_due(&g, T0 + 5000 * MS, &t));
    assert_true(hamd_gate_holds(&g));
}

/* PUB closing while the takeover waits: the takeover is off and the old
 * stream's time stays what the node heard last (nothing of the new term
 * was sent). */
static void test_close_during_takeover_wait_keeps_old_stream(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    int64_t last = T0 + 100 * MS;
    stream_heard_until(&g, last);
    int64_t opened = last + 300 * MS;
    pub_open(&g, lease(2, opened + LEASE_MS * MS), opened);
    assert_int_equal(reconcile(&g, lease(2, 0), opened + 50 * MS),
                     HAMD_GATE_CLOSE_PUB);
    assert_int_equal(hamd_gate_due_ns(&g), INT64_MAX);
    int64_t again = opened + 1000 * MS;
    pub_open(&g, lease(3, again + LEASE_MS * MS), again);
    hamd_gate_subscriptions(&g, 1, again);
    assert_true(takeover_due(&g, again + 30 * MS, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_HEARD);
    assert_int_equal(t.silent_ms, 1300);
}

/* A publisher whose lease lapsed past the election timeout and came back
 * in the same term (a barrier committed seconds late on a loaded host)
 * opens PUB again: it waits for its own clients, 7 subscriptions, not the
 * 3 the publisher before it had said in its _hb terms ago. With that old
 * count, the first 3 back ended the wait 5 ms later and the others
 * missed the held ticks (test_client: hactl tail, a gap of 177 ticks per
 * contract, after a 1.5 s lapse). */
static void test_reopening_waits_for_its_own_clients(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    int64_t opened = take_over_from(&g, T0 + 100 * MS, 3, 5);
    hamd_gate_subscriptions(&g, 3, opened + 20 * MS);
    assert_true(takeover_due(&g, opened + 25 * MS, &t));
    hamd_gate_subscriptions(&g, 4, opened + 900 * MS); /* clients joined */
    assert_int_equal(hamd_gate_clients(&g)->subscriptions, 7);
    /* The lease lapses and is revoked: PUB closes; it comes back in the
     * same term 1.5 s later. */
    int64_t lost = opened + 5000 * MS;
    assert_true(reconcile(&g, lease(5, 0), lost) & HAMD_GATE_CLOSE_PUB);
    int64_t again = lost + 1500 * MS;
    pub_open(&g, lease(5, again + LEASE_MS * MS), again);
    hamd_gate_subscriptions(&g, 3, again + 2 * MS); /* the fastest */
    int64_t straggle = again + (2 + HAMD_GATE_TAKEOVER_STRAGGLE_MS) * MS;
    assert_int_equal(hamd_gate_due_ns(&g), straggle);
    assert_false(takeover_due(&g, again + 7 * MS, &t));
    hamd_gate_subscriptions(&g, 4, again + 40 * MS); /* all 7 back */
    int64_t due = again + (40 + HAMD_GATE_TAKEOVER_SETTLE_ALL_MS) * MS;
    assert_int_equal(hamd_gate_due_ns(&g), due);
    assert_true(takeover_due(&g, due, &t));
    assert_int_equal(t.why, HAMD_GATE_TAKEOVER_HEARD);
    assert_int_equal(t.silent_ms, 1500);
}

/* ------------------------------------------------------------------------
 * Clients by kind: a library is one client, whatever its connections
 * ------------------------------------------------------------------------ */

/* One connection of a client library with k topics besides its name
 * subscribed at now: the first of its name (a new library) or another
 * (a probe beside a silent endpoint), as dp_clients.c reports it. */
static void library_connection(struct hamd_gate *g, bool first, int64_t k,
                               int64_t now_ns)
{
    struct hamd_gate_subs d = {k + 1, first ? 1 : 0, 0};
    hamd_gate_subscribed(g, &d, now_ns);
}

/* A follower that heard the old publisher (this version) last 300 ms
 * before it opens PUB in term 5, and read in its _hb that it had said
 * (by kind). Returns when it opened. */
static int64_t take_over_by_kind(struct hamd_gate *g,
                                 struct hamd_gate_subs said)
{
    stream_heard_until(g, T0 + 1000 * MS);
    hamd_gate_stream_clients(g, &said, true);
    int64_t opened = T0 + 1300 * MS;
    pub_open(g, lease(5, opened + LEASE_MS * MS), opened);
    return opened;
}

/* The takeover is due at due_ns, not a nanosecond before. Returns what
 * the gate knew of the old publisher. */
static struct hamd_gate_takeover takeover_due_at(struct hamd_gate *g,
                                                 int64_t due_ns)
{
    struct hamd_gate_takeover t;
    assert_int_equal(hamd_gate_due_ns(g), due_ns);
    assert_false(takeover_due(g, due_ns - 1, &t));
    assert_true(takeover_due(g, due_ns, &t));
    return t;
}

/* The old publisher (this version) said in its _hb it had 2 libraries
 * and 1 plain subscription (and 8 subscriptions, for older nodes). A
 * fast library with its primary and two probes, 12 subscriptions, does
 * not end the wait, nor does the plain subscriber with it; the slow
 * library does, 5 ms later. Counted by subscriptions, the fast one alone
 * ended it (test_client on a loaded host: the Python library lost 149
 * ticks per contract). */
static void test_waits_for_every_library_not_its_connections(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    struct hamd_gate_subs said = {8, 2, 1};
    int64_t opened = take_over_by_kind(&g, said);
    library_connection(&g, true, 3, opened + 10 * MS);  /* C: primary */
    library_connection(&g, false, 3, opened + 10 * MS); /* its probes */
    library_connection(&g, false, 3, opened + 11 * MS);
    hamd_gate_subscriptions(&g, 1, opened + 12 * MS);   /* plain */
    assert_int_equal(hamd_gate_clients(&g)->subscriptions, 13);
    assert_int_equal(hamd_gate_clients(&g)->libraries, 1);
    assert_int_equal(hamd_gate_clients(&g)->plain, 1);
    int64_t straggle = opened + (10 + HAMD_GATE_TAKEOVER_STRAGGLE_MS) * MS;
    assert_int_equal(hamd_gate_due_ns(&g), straggle);
    assert_false(takeover_due(&g, opened + 60 * MS, &t));
    library_connection(&g, true, 3, opened + 70 * MS);  /* Python */
    t = takeover_due_at(&g, opened + (70 + HAMD_GATE_TAKEOVER_SETTLE_ALL_MS) * MS);
    /* What the log says of the wait: its length, the first back, who. */
    assert_int_equal(t.waited_ms, 70 + HAMD_GATE_TAKEOVER_SETTLE_ALL_MS);
    assert_int_equal(t.first_ms, 10);
    assert_true(t.all_back && t.by_kind);
    assert_int_equal(t.back.libraries, 2);
    assert_int_equal(t.back.plain, 1);
    assert_int_equal(t.expected.libraries, 2);
    assert_int_equal(t.expected.plain, 1);
}

/* As many libraries back, plain subscriptions not yet: the wait goes on
 * for them (up to the stragglers' limit). */
static void test_waits_for_plain_subscriptions_too(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    struct hamd_gate_subs said = {6, 1, 2};
    int64_t opened = take_over_by_kind(&g, said);
    library_connection(&g, true, 3, opened + 10 * MS);
    hamd_gate_subscriptions(&g, 1, opened + 20 * MS);
    assert_int_equal(hamd_gate_due_ns(&g),
                     opened + (10 + HAMD_GATE_TAKEOVER_STRAGGLE_MS) * MS);
    assert_false(takeover_due(&g, opened + 100 * MS, &t));
    hamd_gate_subscriptions(&g, 1, opened + 110 * MS);
    takeover_due_at(&g, opened + (110 + HAMD_GATE_TAKEOVER_SETTLE_ALL_MS) * MS);
}

/* A library the old publisher had does not come back: the stragglers'
 * limit ends the wait, and the takeover says so (not all back), with
 * who did come back and when the first did. */
static void test_wait_ended_by_a_limit_says_so(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    struct hamd_gate_subs said = {4, 1, 1};
    int64_t opened = take_over_by_kind(&g, said);
    hamd_gate_subscriptions(&g, 1, opened + 25 * MS); /* the plain one */
    struct hamd_gate_takeover t = takeover_due_at(
        &g, opened + (25 + HAMD_GATE_TAKEOVER_STRAGGLE_MS) * MS);
    assert_false(t.all_back);
    assert_int_equal(t.first_ms, 25);
    assert_int_equal(t.waited_ms, 25 + HAMD_GATE_TAKEOVER_STRAGGLE_MS);
    assert_int_equal(t.back.libraries, 0);
    assert_int_equal(t.back.plain, 1);
    assert_int_equal(t.expected.libraries, 1);
}

/* A publisher back in its own term waits for its own clients by kind: 2
 * libraries and 1 plain subscription when its PUB closed. After a 1.3 s
 * silence the libraries come back with their probes (opened 300 ms into
 * it): the fast one's 3 connections end nothing, the slow one does. */
static void test_reopening_waits_for_its_own_libraries(void **state)
{
    (void)state;
    struct hamd_gate g;
    struct hamd_gate_takeover t;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(5, T0 + LEASE_MS * MS);
    publisher(&g, l, T0); /* a plain subscription came back */
    library_connection(&g, true, 3, T0 + 100 * MS);
    library_connection(&g, true, 3, T0 + 120 * MS);
    int64_t lost = T0 + 2000 * MS;
    assert_true(reconcile(&g, lease(5, 0), lost) & HAMD_GATE_CLOSE_PUB);
    int64_t again = lost + 1300 * MS;
    pub_open(&g, lease(5, again + LEASE_MS * MS), again);
    library_connection(&g, true, 3, again + 2 * MS);
    library_connection(&g, false, 3, again + 3 * MS);
    library_connection(&g, false, 3, again + 3 * MS);
    hamd_gate_subscriptions(&g, 1, again + 4 * MS);
    assert_false(takeover_due(&g, again + 30 * MS, &t));
    library_connection(&g, true, 3, again + 40 * MS);
    t = takeover_due_at(&g, again + (40 + HAMD_GATE_TAKEOVER_SETTLE_ALL_MS) * MS);
    assert_int_equal(t.silent_ms, 1300);
}

/* Libraries leaving count down, never below 0; an older publisher's _hb
 * (subscriptions only) is waited for by subscriptions again. */
static void test_libraries_counted_down_and_older_publisher(void **state)
{
    (void)state;
    struct hamd_gate g;
    gate_setup(&g);
    struct hamd_gate_lease l = lease(1, T0 + LEASE_MS * MS);
    publisher(&g, l, T0);
    library_connection(&g, true, 2, T0 + 100 * MS);
    struct hamd_gate_subs gone = {-3, -1, 0}, more = {-9, -3, -4};
    hamd_gate_subscribed(&g, &gone, T0 + 200 * MS);
    assert_int_equal(hamd_gate_clients(&g)->libraries, 0);
    hamd_gate_subscribed(&g, &more, T0 + 300 * MS);
    assert_int_equal(hamd_gate_clients(&g)->libraries, 0);
    assert_int_equal(hamd_gate_clients(&g)->plain, 0);
    assert_int_equal(hamd_gate_clients(&g)->subscriptions, 0);
    /* Another node (an older version) publishes in term 2, then this one
     * takes over in term 3: 4 subscriptions, whoever sends them. */
    assert_true(reconcile(&g, lease(2, 0), T0 + 400 * MS) &
                HAMD_GATE_CLOSE_PUB);
    int64_t opened = take_over_from(&g, T0 + 1000 * MS, 4, 3);
    library_connection(&g, true, 3, opened + 10 * MS);
    takeover_due_at(&g, opened + (10 + HAMD_GATE_TAKEOVER_SETTLE_ALL_MS) * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_holds_from_start),
        cmocka_unit_test(test_publishes_under_the_lease),
        cmocka_unit_test(test_revocation_closes_at_once),
        cmocka_unit_test(test_revocation_seen_by_a_tick_first),
        cmocka_unit_test(test_term_change_closes),
        cmocka_unit_test(test_tick_after_term_moved_is_held),
        cmocka_unit_test(test_bind_failure_retries_after_interval),
        cmocka_unit_test(test_tick_before_reconcile_opens_pub),
        cmocka_unit_test(test_held_tick_never_sent_before_flush),
        cmocka_unit_test(test_lapse_longer_than_window_closes),
        cmocka_unit_test(test_lapse_and_return_in_same_term),
        cmocka_unit_test(test_reelection_after_lapse),
        cmocka_unit_test(test_lapse_during_takeover_wait),
        cmocka_unit_test(test_takeover_due_inside_a_lapse_waits),
        cmocka_unit_test(test_takeover_not_due_past_the_deadline),
        cmocka_unit_test(test_predecessor_never_heard),
        cmocka_unit_test(test_silent_stream_longer_than_hold),
        cmocka_unit_test(test_window_ending_soon_still_waits_for_clients),
        cmocka_unit_test(test_stream_read_at_close_is_heard),
        cmocka_unit_test(test_slow_takeover_two_hosts_and_witness),
        cmocka_unit_test(test_waits_for_first_client_and_30ms),
        cmocka_unit_test(test_takeover_cap_without_clients),
        cmocka_unit_test(test_waits_for_the_clients_the_old_publisher_had),
        cmocka_unit_test(test_stragglers_have_a_limit),
        cmocka_unit_test(test_publisher_counts_its_clients),
        cmocka_unit_test(test_publisher_counts_its_followers),
        cmocka_unit_test(test_following_another_publisher_cancels_takeover),
        cmocka_unit_test(test_close_during_takeover_wait_keeps_old_stream),
        cmocka_unit_test(test_reopening_waits_for_its_own_clients),
        cmocka_unit_test(test_waits_for_every_library_not_its_connections),
        cmocka_unit_test(test_waits_for_plain_subscriptions_too),
        cmocka_unit_test(test_wait_ended_by_a_limit_says_so),
        cmocka_unit_test(test_reopening_waits_for_its_own_libraries),
        cmocka_unit_test(test_libraries_counted_down_and_older_publisher),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
