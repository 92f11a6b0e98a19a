/* libhamd-client's decisions with fake time: fencing, exactly once across
 * a term change, the snapshot merged with live ticks, gaps, liveness and
 * the snapshot round's retries. A contract's ticks are numbered n = 1, 2,
 * ... as a simulator would (exchange time n ms, volume n), whatever term
 * and seq the hub gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/client_core.h"

#define MS 1000000LL                  /* ns */
#define T0 (1000 * MS)                /* the fake clock's start */
#define HB_TIMEOUT (1000 * MS)
#define DT0 1795340636800000000LL     /* exchange time of n = 0 */
#define LOG_MAX 256

/* What the sink was told, in order. */
struct record {
    int n_ticks;
    char vt[LOG_MAX][HAMD_VT_SYMBOL_MAX]; /* contract of each tick */
    int n[LOG_MAX];                       /* its number */
    unsigned flags[LOG_MAX];              /* its flags */
    int n_gaps;
    uint64_t gap_expected, gap_got, gap_term; /* the last gap */
    int n_leaders;
    uint64_t leader_term;                 /* the last leader */
    uint32_t leader_node;
    int notices[HAMD_CLIENT_LATE_START + 1]; /* per kind */
    char notice_text[LOG_MAX];            /* the last one's */
};

static void rec_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    struct record *r = ud;
    if (r->n_ticks < LOG_MAX) { /* beyond, only counted */
        snprintf(r->vt[r->n_ticks], HAMD_VT_SYMBOL_MAX, "%s", t->vt_symbol);
        r->n[r->n_ticks] = (int)((t->datetime_ns - DT0) / MS);
        r->flags[r->n_ticks] = flags;
    }
    r->n_ticks++;
}

static void rec_gap(void *ud, const char *vt, uint64_t term, uint64_t expected,
                    uint64_t got)
{
    struct record *r = ud;
    (void)vt;
    r->n_gaps++;
    r->gap_term = term;
    r->gap_expected = expected;
    r->gap_got = got;
}

static void rec_leader(void *ud, uint64_t term, uint32_t node)
{
    struct record *r = ud;
    r->n_leaders++;
    r->leader_term = term;
    r->leader_node = node;
}

static void rec_notice(void *ud, enum hamd_client_notice what, const char *text)
{
    struct record *r = ud;
    assert_non_null(text);
    r->notices[what]++;
    snprintf(r->notice_text, sizeof r->notice_text, "%s", text);
}

/* A core of n_endpoints endpoints and n_prefixes prefixes. */
static struct ccore *core_new(struct record *r, unsigned n_endpoints,
                              unsigned n_prefixes, bool snapshots)
{
    memset(r, 0, sizeof *r);
    const struct ccore_opts o = {HB_TIMEOUT, n_endpoints, n_prefixes, snapshots};
    const struct ccore_sink s = {rec_tick, rec_gap, rec_leader, rec_notice, r};
    struct ccore *c = ccore_new(&o, &s, T0);
    assert_non_null(c);
    return c;
}

/* Tick number n of contract vt, published as (term, seq). */
static struct hamd_tick tick(const char *vt, int n, uint64_t term, uint64_t seq)
{
    struct hamd_tick t;
    memset(&t, 0, sizeof t);
    snprintf(t.vt_symbol, sizeof t.vt_symbol, "%s", vt);
    t.datetime_ns = DT0 + n * MS;
    t.volume = n;
    t.has_hub = true;
    t.term = term;
    t.seq = seq;
    t.node = (uint32_t)term;
    return t;
}

static void live(struct ccore *c, const char *vt, int n, uint64_t term,
                 uint64_t seq, int64_t now)
{
    struct hamd_tick t = tick(vt, n, term, seq);
    ccore_tick(c, 0, &t, now);
}

static unsigned due(struct ccore *c, int64_t now)
{
    unsigned acts;
    ccore_due(c, now, &acts);
    return acts;
}

/* Runs one snapshot round for a single prefix: the request is due and
 * sent, the answer is ticks[0..n) and END {term, n}. */
static void snapshot_round(struct ccore *c, const struct hamd_tick *ticks,
                           int n, uint64_t term, int64_t now)
{
    assert_true(due(c, now) & CCORE_DO_SNAPSHOT_SEND);
    ccore_snapshot_sent(c, true, now);
    for (int i = 0; i < n; i++)
        ccore_snapshot_tick(c, &ticks[i]);
    ccore_snapshot_end(c, true, term, (uint64_t)n, now);
}

/* The numbers delivered so far, as text: "1 2 3s" (s: from a snapshot). */
static const char *delivered(const struct record *r)
{
    static char buf[LOG_MAX * 8];
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < r->n_ticks && i < LOG_MAX; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d%s",
                                i ? " " : "", r->n[i],
                                r->flags[i] & HAMD_CLIENT_TICK_SNAPSHOT ? "s" : "");
    return buf;
}

/* ------------------------------------------------------------------------
 * Fencing and exactly once
 * ------------------------------------------------------------------------ */

static void test_fencing_drops_older_terms(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    live(c, "rb.SHFE", 1, 3, 1, T0);
    live(c, "rb.SHFE", 2, 2, 900, T0); /* a deposed leader's straggler */
    live(c, "rb.SHFE", 3, 3, 2, T0);
    ccore_heartbeat(c, 0, 2, 2, T0);   /* its heartbeat: fenced too */
    assert_string_equal(delivered(&r), "1 3");
    assert_int_equal(ccore_stats(c)->fenced, 2);
    assert_int_equal(r.n_leaders, 1);
    assert_int_equal(r.leader_term, 3);
    ccore_destroy(&c);
    assert_null(c);
}

static void test_fenced_heartbeat_is_no_liveness(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    live(c, "rb.SHFE", 1, 3, 1, T0);
    ccore_heartbeat(c, 0, 2, 2, T0);
    assert_false(due(c, T0) & CCORE_DO_SNAPSHOT_SEND);
    ccore_heartbeat(c, 0, 3, 1, T0);
    assert_true(due(c, T0) & CCORE_DO_SNAPSHOT_SEND);
    ccore_destroy(&c);
}

/* The new leader re-sends the old one's last ticks under its own term:
 * each number is delivered once, in order, and that is no gap. */
static void test_dedup_across_term_change(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    for (int n = 1; n <= 5; n++)
        live(c, "rb.SHFE", n, 1, (uint64_t)n, T0);
    live(c, "rb.SHFE", 4, 2, 1, T0 + 900 * MS);
    live(c, "rb.SHFE", 5, 2, 2, T0 + 900 * MS);
    live(c, "rb.SHFE", 6, 2, 3, T0 + 900 * MS);
    live(c, "rb.SHFE", 3, 1, 3, T0 + 900 * MS); /* old term, late: fenced */
    assert_string_equal(delivered(&r), "1 2 3 4 5 6");
    const struct hamd_client_stats *st = ccore_stats(c);
    assert_int_equal(st->duplicates, 2);
    assert_int_equal(st->fenced, 1);
    assert_int_equal(st->gaps, 0);
    assert_int_equal(st->leader_changes, 1);
    assert_int_equal(r.n_leaders, 2);
    assert_int_equal(r.leader_term, 2);
    ccore_destroy(&c);
}

/* Contracts are independent: one's repeat is not another's. */
static void test_per_contract_order(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    live(c, "rb.SHFE", 5, 1, 1, T0);
    live(c, "cu.SHFE", 2, 1, 1, T0);
    live(c, "rb.SHFE", 4, 1, 2, T0); /* older than rb's last: dropped */
    live(c, "cu.SHFE", 3, 1, 2, T0);
    assert_string_equal(delivered(&r), "5 2 3");
    assert_string_equal(r.vt[2], "cu.SHFE");
    ccore_destroy(&c);
}

/* Same exchange time, more volume: newer (the hub's own rule). */
static void test_same_time_more_volume_is_newer(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    struct hamd_tick a = tick("rb.SHFE", 1, 1, 1), b = a;
    b.seq = 2;
    b.volume += 0.5;
    ccore_tick(c, 0, &a, T0);
    ccore_tick(c, 0, &b, T0);
    ccore_tick(c, 0, &a, T0);
    assert_int_equal(r.n_ticks, 2);
    ccore_destroy(&c);
}

/* ------------------------------------------------------------------------
 * Gaps
 * ------------------------------------------------------------------------ */

static void test_gap_reported_and_snapshot_asked(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    ccore_heartbeat(c, 0, 4, 2, T0);
    snapshot_round(c, NULL, 0, 4, T0); /* the join */
    assert_int_equal(due(c, T0), CCORE_DO_SNAPSHOT_CLOSE);
    live(c, "rb.SHFE", 1, 4, 1, T0);
    live(c, "rb.SHFE", 2, 4, 2, T0);
    live(c, "rb.SHFE", 5, 4, 5, T0 + 10 * MS);
    assert_int_equal(r.n_gaps, 1);
    assert_int_equal(r.gap_term, 4);
    assert_int_equal(r.gap_expected, 3);
    assert_int_equal(r.gap_got, 5);
    assert_int_equal(ccore_stats(c)->missing, 2);
    assert_string_equal(delivered(&r), "1 2 5");
    /* Recovery: a snapshot, but not sooner than the round interval. */
    assert_false(due(c, T0 + 10 * MS) & CCORE_DO_SNAPSHOT_SEND);
    int64_t later = T0 + CCORE_SNAPSHOT_INTERVAL_MS * MS;
    struct hamd_tick s = tick("rb.SHFE", 6, 4, 6);
    snapshot_round(c, &s, 1, 4, later);
    live(c, "rb.SHFE", 6, 4, 6, later); /* the live copy: no repeat */
    live(c, "rb.SHFE", 7, 4, 7, later);
    assert_string_equal(delivered(&r), "1 2 5 6 7");
    assert_int_equal(r.n_gaps, 1);
    ccore_destroy(&c);
}

/* A new term's first tick above seq 1 is not a gap (the ticks before it
 * may be repeats), but it is noticed. */
static void test_late_start_is_no_gap(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    live(c, "rb.SHFE", 1, 1, 1, T0);
    live(c, "rb.SHFE", 4, 2, 3, T0);
    assert_int_equal(r.n_gaps, 0);
    assert_int_equal(ccore_stats(c)->late_starts, 1);
    assert_int_equal(r.notices[HAMD_CLIENT_LATE_START], 1);
    ccore_destroy(&c);
}

/* ------------------------------------------------------------------------
 * Snapshot merge
 * ------------------------------------------------------------------------ */

/* The late joiner: the snapshot's tick first, then live from the next
 * one; live ticks it covers are dropped. */
static void test_late_joiner_starts_from_snapshot(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    assert_false(due(c, T0) & CCORE_DO_SNAPSHOT_SEND); /* not live yet */
    ccore_heartbeat(c, 0, 3, 1, T0);
    struct hamd_tick s = tick("rb.SHFE", 10, 3, 10);
    snapshot_round(c, &s, 1, 3, T0);
    live(c, "rb.SHFE", 9, 3, 9, T0);   /* queued before the answer */
    live(c, "rb.SHFE", 10, 3, 10, T0);
    live(c, "rb.SHFE", 11, 3, 11, T0);
    assert_string_equal(delivered(&r), "10s 11");
    assert_int_equal(r.n_gaps, 0);
    assert_int_equal(ccore_stats(c)->from_snapshot, 1);
    assert_int_equal(ccore_stats(c)->snapshots, 1);
    assert_int_equal(due(c, T0), CCORE_DO_SNAPSHOT_CLOSE);
    ccore_destroy(&c);
}

/* Joining, live ticks that come before the snapshot's answer is merged
 * wait for it: each contract starts from its snapshot tick, then what the
 * snapshot did not cover follows, in order. */
static void test_join_holds_live_ticks_until_snapshot(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    live(c, "rb.SHFE", 8, 3, 8, T0);   /* before the first heartbeat */
    ccore_heartbeat(c, 0, 3, 1, T0);
    live(c, "rb.SHFE", 9, 3, 9, T0);
    live(c, "rb.SHFE", 10, 3, 10, T0);
    live(c, "rb.SHFE", 11, 3, 11, T0);
    assert_int_equal(r.n_ticks, 0);
    struct hamd_tick s = tick("rb.SHFE", 10, 3, 10);
    snapshot_round(c, &s, 1, 3, T0);
    assert_string_equal(delivered(&r), "10s 11");
    live(c, "rb.SHFE", 12, 3, 12, T0);
    assert_string_equal(delivered(&r), "10s 11 12");
    assert_int_equal(r.n_gaps, 0);
    ccore_destroy(&c);
}

/* A join that takes too long holds no more than CCORE_JOIN_HOLD_MAX
 * ticks: then they go out as they come, nothing lost. */
static void test_join_hold_is_bounded(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    for (int n = 1; n <= CCORE_JOIN_HOLD_MAX + 1; n++)
        live(c, "rb.SHFE", n, 1, (uint64_t)n, T0);
    assert_int_equal(r.n_ticks, CCORE_JOIN_HOLD_MAX + 1);
    assert_int_equal(r.n[0], 1);
    assert_int_equal(r.n[LOG_MAX - 1], LOG_MAX);
    assert_int_equal(ccore_stats(c)->gaps, 0);
    ccore_destroy(&c);
}

/* After a term change the snapshot can be ahead of the re-sent ticks
 * still on their way: it waits, and their live copies go out in order. */
static void test_snapshot_waits_for_live_ticks_before_it(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    ccore_heartbeat(c, 0, 1, 1, T0);
    snapshot_round(c, NULL, 0, 1, T0);
    for (int n = 1; n <= 5; n++)
        live(c, "rb.SHFE", n, 1, (uint64_t)n, T0);
    int64_t t1 = T0 + 2000 * MS;
    ccore_heartbeat(c, 0, 2, 3, t1); /* the new leader */
    assert_int_equal(r.leader_term, 2);
    assert_int_equal(r.leader_node, 3);
    struct hamd_tick s = tick("rb.SHFE", 8, 2, 3);
    snapshot_round(c, &s, 1, 2, t1);
    assert_string_equal(delivered(&r), "1 2 3 4 5");
    live(c, "rb.SHFE", 5, 2, 1, t1); /* re-sent: a repeat */
    live(c, "rb.SHFE", 6, 2, 2, t1);
    live(c, "rb.SHFE", 7, 2, 3, t1);
    live(c, "rb.SHFE", 8, 2, 4, t1);
    live(c, "rb.SHFE", 9, 2, 5, t1);
    assert_string_equal(delivered(&r), "1 2 3 4 5 6 7 8 9");
    /* nothing left to settle */
    due(c, t1 + CCORE_SETTLE_MS * MS);
    assert_int_equal(r.n_ticks, 9);
    ccore_destroy(&c);
}

/* A waiting snapshot tick goes out just before the first live tick newer
 * than it: the live stream never brought it. */
static void test_pending_goes_before_newer_live(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    ccore_heartbeat(c, 0, 1, 1, T0);
    snapshot_round(c, NULL, 0, 1, T0);
    live(c, "rb.SHFE", 5, 1, 5, T0);
    ccore_heartbeat(c, 0, 2, 2, T0 + 1000 * MS);
    struct hamd_tick s = tick("rb.SHFE", 8, 2, 3);
    snapshot_round(c, &s, 1, 2, T0 + 1000 * MS);
    live(c, "rb.SHFE", 9, 2, 4, T0 + 1000 * MS);
    assert_string_equal(delivered(&r), "5 8s 9");
    ccore_destroy(&c);
}

/* A quiet contract's snapshot tick goes out after the settle time. */
static void test_pending_settles(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    ccore_heartbeat(c, 0, 1, 1, T0);
    snapshot_round(c, NULL, 0, 1, T0);
    live(c, "rb.SHFE", 5, 1, 5, T0);
    struct hamd_tick s = tick("rb.SHFE", 6, 1, 6);
    int64_t t1 = T0 + CCORE_SNAPSHOT_INTERVAL_MS * MS;
    ccore_heartbeat(c, 0, 2, 2, t1);
    s.term = 2;
    s.seq = 1;
    snapshot_round(c, &s, 1, 2, t1);
    unsigned acts;
    int64_t next = ccore_due(c, t1 + MS, &acts);
    assert_true(next <= t1 + CCORE_SETTLE_MS * MS);
    assert_string_equal(delivered(&r), "5");
    for (int64_t now = t1; now < t1 + CCORE_SETTLE_MS * MS; now += 100 * MS)
        ccore_heartbeat(c, 0, 2, 2, now); /* stays live meanwhile */
    due(c, t1 + CCORE_SETTLE_MS * MS);
    assert_string_equal(delivered(&r), "5 6s");
    ccore_destroy(&c);
}

/* A snapshot tick not newer than what was delivered is dropped; one
 * whose term is above its END's is malformed. */
static void test_snapshot_covered_and_bad_term(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    ccore_heartbeat(c, 0, 2, 1, T0);
    snapshot_round(c, NULL, 0, 2, T0);
    live(c, "rb.SHFE", 7, 2, 7, T0);
    struct hamd_tick s[2] = {tick("rb.SHFE", 6, 2, 6), tick("cu.SHFE", 1, 3, 1)};
    int64_t t1 = T0 + CCORE_SNAPSHOT_INTERVAL_MS * MS;
    ccore_heartbeat(c, 0, 2, 1, t1);
    ccore_heartbeat(c, 0, 3, 1, t1); /* a term change: a snapshot round */
    s[0].term = 3;
    s[1].term = 4; /* above its END's term */
    live(c, "rb.SHFE", 8, 3, 1, t1);
    snapshot_round(c, s, 2, 3, t1);
    assert_string_equal(delivered(&r), "7 8");
    assert_int_equal(ccore_stats(c)->malformed, 1);
    assert_int_equal(r.notices[HAMD_CLIENT_BAD_MESSAGE], 1);
    ccore_destroy(&c);
}

/* ------------------------------------------------------------------------
 * The snapshot round
 * ------------------------------------------------------------------------ */

/* A bad END, an END whose count the answer does not match, an answer of
 * a deposed publisher: each is a failed attempt, a new DEALER; after
 * CCORE_SNAPSHOT_ATTEMPTS the prefix is given up and nothing delivered. */
static void test_bad_answers_retried_then_given_up(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    ccore_heartbeat(c, 0, 5, 1, T0);
    struct hamd_tick s = tick("rb.SHFE", 3, 5, 3);
    assert_true(due(c, T0) & CCORE_DO_SNAPSHOT_SEND);
    ccore_snapshot_sent(c, true, T0);
    ccore_snapshot_tick(c, &s);
    ccore_snapshot_end(c, false, 0, 0, T0);          /* END without count */
    assert_int_equal(due(c, T0), CCORE_DO_SNAPSHOT_CLOSE | CCORE_DO_SNAPSHOT_SEND);
    ccore_snapshot_sent(c, true, T0);
    ccore_snapshot_tick(c, &s);
    ccore_snapshot_end(c, true, 5, 2, T0);           /* count says 2 */
    assert_int_equal(due(c, T0), CCORE_DO_SNAPSHOT_CLOSE | CCORE_DO_SNAPSHOT_SEND);
    ccore_snapshot_sent(c, true, T0);
    ccore_snapshot_tick(c, &s);
    ccore_snapshot_end(c, true, 4, 1, T0);           /* a deposed publisher */
    assert_int_equal(due(c, T0), CCORE_DO_SNAPSHOT_CLOSE);
    assert_false(ccore_snapshot_busy(c));
    assert_int_equal(r.n_ticks, 0);
    const struct hamd_client_stats *st = ccore_stats(c);
    assert_int_equal(st->snapshot_failures, 1);
    assert_int_equal(st->malformed, 2);
    assert_int_equal(st->snapshots, 0);
    assert_int_equal(r.notices[HAMD_CLIENT_SNAPSHOT_FAILED], 1);
    /* a stray END after the round changes nothing */
    ccore_snapshot_end(c, true, 5, 0, T0);
    assert_int_equal(st->snapshots, 0);
    ccore_destroy(&c);
}

/* A malformed message inside an answer counts against END's count: the
 * rest of the answer is merged. */
static void test_malformed_snapshot_tick_counted(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    ccore_heartbeat(c, 0, 1, 1, T0);
    struct hamd_tick s = tick("rb.SHFE", 3, 1, 3);
    assert_true(due(c, T0) & CCORE_DO_SNAPSHOT_SEND);
    ccore_snapshot_sent(c, true, T0);
    ccore_snapshot_tick(c, NULL);
    ccore_snapshot_tick(c, &s);
    ccore_snapshot_end(c, true, 1, 2, T0);
    assert_string_equal(delivered(&r), "3s");
    ccore_destroy(&c);
}

/* No connection took the request (the new leader's endpoint not connected
 * yet): sent again every CCORE_SNAPSHOT_RESEND_MS; no answer in time: a
 * new attempt. */
static void test_unsent_and_timed_out_requests(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    ccore_heartbeat(c, 0, 1, 1, T0);
    assert_true(due(c, T0) & CCORE_DO_SNAPSHOT_SEND);
    ccore_snapshot_sent(c, false, T0);
    assert_false(due(c, T0 + MS) & CCORE_DO_SNAPSHOT_SEND);
    int64_t t = T0 + CCORE_SNAPSHOT_RESEND_MS * MS;
    assert_true(due(c, t) & CCORE_DO_SNAPSHOT_SEND);
    ccore_snapshot_sent(c, true, t);
    ccore_heartbeat(c, 0, 1, 1, T0 + CCORE_SNAPSHOT_TIMEOUT_MS * MS - MS);
    unsigned acts;
    int64_t next = ccore_due(c, T0 + MS * 100, &acts);
    assert_int_equal(acts, 0);
    assert_true(next <= T0 + CCORE_SNAPSHOT_TIMEOUT_MS * MS);
    assert_int_equal(due(c, T0 + CCORE_SNAPSHOT_TIMEOUT_MS * MS),
                     CCORE_DO_SNAPSHOT_CLOSE | CCORE_DO_SNAPSHOT_SEND);
    ccore_destroy(&c);
}

/* One request per prefix, one after the other, on the same DEALER. */
static void test_one_request_per_prefix(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 2, true);
    ccore_heartbeat(c, 0, 1, 1, T0);
    struct hamd_tick a = tick("rb.SHFE", 1, 1, 1), b = tick("cu.SHFE", 2, 1, 2);
    snapshot_round(c, &a, 1, 1, T0);
    assert_int_equal(ccore_snapshot_prefix(c), 1);
    assert_int_equal(due(c, T0), CCORE_DO_SNAPSHOT_SEND);
    ccore_snapshot_sent(c, true, T0);
    ccore_snapshot_tick(c, &b);
    ccore_snapshot_end(c, true, 1, 1, T0);
    assert_int_equal(due(c, T0), CCORE_DO_SNAPSHOT_CLOSE);
    assert_string_equal(delivered(&r), "1s 2s");
    assert_int_equal(ccore_stats(c)->snapshots, 2);
    ccore_destroy(&c);
}

static void test_no_snapshot_endpoints_no_round(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    ccore_heartbeat(c, 0, 1, 1, T0);
    assert_int_equal(due(c, T0), 0);
    ccore_destroy(&c);
}

/* ------------------------------------------------------------------------
 * Liveness
 * ------------------------------------------------------------------------ */

/* No heartbeat since the start for hb_timeout (endpoints where nothing
 * publishes, a CURVE key the hub refuses): said once, then back when one
 * comes, and the joiner's snapshot follows. It said nothing at all. */
static void test_silent_since_the_start(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, true);
    assert_int_equal(due(c, T0 + HB_TIMEOUT - MS), 0);
    assert_int_equal(r.notices[HAMD_CLIENT_SILENT], 0);
    due(c, T0 + HB_TIMEOUT);
    assert_int_equal(r.notices[HAMD_CLIENT_SILENT], 1);
    assert_int_equal(ccore_stats(c)->silences, 1);
    due(c, T0 + 10 * HB_TIMEOUT);
    assert_int_equal(r.notices[HAMD_CLIENT_SILENT], 1);
    int64_t t1 = T0 + 11 * HB_TIMEOUT;
    ccore_heartbeat(c, 0, 1, 1, t1);
    assert_int_equal(r.notices[HAMD_CLIENT_BACK], 1);
    assert_int_equal(due(c, t1), CCORE_DO_SNAPSHOT_SEND);
    ccore_destroy(&c);
}

/* No heartbeat for hb_timeout: silent, a snapshot round once heartbeats
 * are back. A probe that brings the stream back counts as a reconnect
 * (client_conn.c decides the rest; test_client_conn.c). */
static void test_silence_and_probe_takeover(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 2, 1, true);
    unsigned ep1 = CCONN_SLOTS_PER_EP, probe = ep1 + 1;
    ccore_heartbeat(c, ep1, 1, 1, T0);
    snapshot_round(c, NULL, 0, 1, T0);
    due(c, T0);
    int64_t t1 = T0 + CCONN_PROBE_AFTER_MS * MS;
    assert_int_equal(due(c, t1), CCORE_DO_OPEN);
    assert_int_equal(ccore_take_open(c), 3ull << probe);
    assert_int_equal(r.notices[HAMD_CLIENT_SILENT], 0);
    int64_t t2 = T0 + HB_TIMEOUT;
    assert_int_equal(due(c, t2), 0);
    assert_int_equal(r.notices[HAMD_CLIENT_SILENT], 1);
    assert_int_equal(ccore_stats(c)->silences, 1);
    int64_t t3 = t2 + 200 * MS;
    ccore_heartbeat(c, probe, 2, 2, t3);
    assert_int_equal(r.notices[HAMD_CLIENT_BACK], 1);
    assert_int_equal(r.notices[HAMD_CLIENT_RECONNECT], 1);
    assert_int_equal(ccore_stats(c)->reconnects, 1);
    assert_int_equal(due(c, t3), CCORE_DO_SNAPSHOT_SEND);
    int64_t t4 = t3 + CCONN_GRACE_MS * MS;
    assert_int_equal(due(c, t4), CCORE_DO_RECONNECT | CCORE_DO_SNAPSHOT_SEND);
    assert_int_equal(ccore_take_reconnect(c), 1ull << ep1);
    assert_true(ccore_reconnect_ok(c, ep1));
    ccore_other(c, 0, t4);
    ccore_event(c, 0, t4);
    assert_int_equal(ccore_stats(c)->events, 1);
    ccore_destroy(&c);
}

/* The client itself was away (a SIGSTOP, a debugger, a caller that polls
 * too seldom) for longer than hb_timeout: the silence notice says how
 * long, and how long no heartbeat was read. It said
 * "no heartbeat for 1000 ms: publisher gone or failing over" after a
 * 20 s stop of the client while the hub was fine. */
static void test_silence_while_the_client_was_away(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    ccore_heartbeat(c, 0, 1, 1, T0);
    due(c, T0 + 100 * MS);
    due(c, T0 + 20100 * MS);
    assert_int_equal(r.notices[HAMD_CLIENT_SILENT], 1);
    assert_string_equal(r.notice_text, "no heartbeat read for 20100 ms, but "
                        "this client was away for the last 20000 ms of it "
                        "(process stopped, callbacks slow, or polled too "
                        "seldom): what the hub sent meanwhile may still "
                        "come");
    ccore_destroy(&c);
}

/* Contract rb's tick n as (term 1, seq n) on slot. */
static void on_slot(struct ccore *c, unsigned slot, int n, int64_t now)
{
    struct hamd_tick t = tick("rb.SHFE", n, 1, (uint64_t)n);
    ccore_tick(c, slot, &t, now);
}

/* A primary silent past CCONN_PROBE_AFTER_MS (a publisher's lease
 * lapse): probes are opened; returns the time they are. */
static int64_t silent_primary(struct ccore *c, struct record *r)
{
    for (int n = 1; n <= 3; n++)
        on_slot(c, 0, n, T0);
    int64_t t = T0 + CCONN_PROBE_AFTER_MS * MS;
    assert_int_equal(due(c, t), CCORE_DO_OPEN);
    assert_int_equal(ccore_take_open(c), 6ull); /* slots 1 and 2 */
    assert_string_equal(delivered(r), "1 2 3");
    return t;
}

/* The publisher comes back and re-sends what it held (4 - 8) to the
 * primary alone, then 9 to both: the probe's 9 read first waits for the
 * primary's 4 - 9, and no gap is reported. */
static void test_probe_ahead_of_the_primary_waits(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    int64_t t = silent_primary(c, &r) + 10 * MS;
    on_slot(c, 1, 9, t);
    assert_string_equal(delivered(&r), "1 2 3");
    for (int n = 4; n <= 9; n++)
        on_slot(c, 0, n, t + MS);
    on_slot(c, 1, 10, t + 2 * MS); /* the probes are closing: in turn */
    on_slot(c, 0, 10, t + 2 * MS);
    assert_string_equal(delivered(&r), "1 2 3 4 5 6 7 8 9 10");
    assert_int_equal(r.n_gaps, 0);
    ccore_destroy(&c);
}

/* The primary speaks again first, far behind (what the hub queued while
 * this process was stopped): the probes close after the grace, and what
 * they still hold when the shell reads them before closing is ahead of
 * the primary too: left to it. Taken, the probe's last tick was a gap
 * over everything the primary still held, and those ticks were then
 * repeats: 1,428 ticks per contract lost after a 20 s SIGSTOP of a
 * client. */
static void test_closing_probe_ahead_of_the_primary_waits(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    int64_t t = silent_primary(c, &r) + 10 * MS;
    on_slot(c, 0, 4, t);              /* the primary's backlog begins */
    on_slot(c, 1, 50, t + MS);        /* a probe's live tick */
    int64_t closing = t + CCONN_GRACE_MS * MS;
    assert_int_equal(due(c, closing), CCORE_DO_CLOSE);
    assert_int_equal(ccore_take_close(c), 6ull);
    on_slot(c, 2, 51, closing);       /* read before the probe closes */
    for (int n = 5; n <= 51; n++)
        on_slot(c, 0, n, closing + MS);
    assert_int_equal(r.n_gaps, 0);
    assert_int_equal(ccore_stats(c)->delivered, 51);
    ccore_destroy(&c);
}

/* A primary that brings nothing within the grace is made again; the
 * probe carries the stream from then, and what neither brought is a gap. */
static void test_probe_carries_once_the_primary_is_made_again(void **state)
{
    (void)state;
    struct record r;
    struct ccore *c = core_new(&r, 1, 1, false);
    int64_t t = silent_primary(c, &r) + 10 * MS;
    on_slot(c, 1, 9, t);
    int64_t after = t + CCONN_GRACE_MS * MS;
    assert_int_equal(due(c, after), CCORE_DO_RECONNECT);
    assert_int_equal(ccore_take_reconnect(c), 1ull);
    on_slot(c, 1, 10, after + MS);
    assert_string_equal(delivered(&r), "1 2 3 10");
    assert_int_equal(r.n_gaps, 1);
    assert_int_equal(r.gap_expected, 4);
    assert_int_equal(r.gap_got, 10);
    ccore_destroy(&c);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct record r;
    memset(&r, 0, sizeof r);
    const struct ccore_sink s = {rec_tick, NULL, NULL, NULL, &r};
    struct ccore_opts o = {HB_TIMEOUT, 0, 1, false};
    assert_null(ccore_new(&o, &s, T0));
    o.n_endpoints = CCONN_ENDPOINTS_MAX + 1;
    assert_null(ccore_new(&o, &s, T0));
    o.n_endpoints = 1;
    o.n_prefixes = 0;
    assert_null(ccore_new(&o, &s, T0));
    o.n_prefixes = 1;
    o.hb_timeout_ns = 0;
    assert_null(ccore_new(&o, &s, T0));
    /* a core without optional callbacks works */
    o.hb_timeout_ns = HB_TIMEOUT;
    struct ccore *c = ccore_new(&o, &s, T0);
    assert_non_null(c);
    live(c, "rb.SHFE", 1, 1, 1, T0);
    live(c, "rb.SHFE", 3, 1, 3, T0);
    ccore_malformed(c, 0, "x", T0);
    assert_string_equal(delivered(&r), "1 3");
    ccore_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fencing_drops_older_terms),
        cmocka_unit_test(test_probe_ahead_of_the_primary_waits),
        cmocka_unit_test(test_closing_probe_ahead_of_the_primary_waits),
        cmocka_unit_test(test_silence_while_the_client_was_away),
        cmocka_unit_test(test_probe_carries_once_the_primary_is_made_again),
        cmocka_unit_test(test_fenced_heartbeat_is_no_liveness),
        cmocka_unit_test(test_dedup_across_term_change),
        cmocka_unit_test(test_per_contract_order),
        cmocka_unit_test(test_same_time_more_volume_is_newer),
        cmocka_unit_test(test_gap_reported_and_snapshot_asked),
        cmocka_unit_test(test_late_start_is_no_gap),
        cmocka_unit_test(test_late_joiner_starts_from_snapshot),
        cmocka_unit_test(test_join_holds_live_ticks_until_snapshot),
        cmocka_unit_test(test_join_hold_is_bounded),
        cmocka_unit_test(test_snapshot_waits_for_live_ticks_before_it),
        cmocka_unit_test(test_pending_goes_before_newer_live),
        cmocka_unit_test(test_pending_settles),
        cmocka_unit_test(test_snapshot_covered_and_bad_term),
        cmocka_unit_test(test_bad_answers_retried_then_given_up),
        cmocka_unit_test(test_malformed_snapshot_tick_counted),
        cmocka_unit_test(test_unsent_and_timed_out_requests),
        cmocka_unit_test(test_one_request_per_prefix),
        cmocka_unit_test(test_no_snapshot_endpoints_no_round),
        cmocka_unit_test(test_silent_since_the_start),
        cmocka_unit_test(test_silence_and_probe_takeover),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
