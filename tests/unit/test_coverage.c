/* Coverage and the leadership judge (core/coverage.c) with fake time:
 * what a node covers, how two nodes compare, and when the leader hands
 * over (hysteresis, cooldown, pause, witnesses, stale reports, ties). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "core/coverage.h"

#define MS HAMD_NS_PER_MS
#define T0 (1000 * HAMD_NS_PER_S)         /* fake monotonic start */
#define EPOCH0 (1800000000 * HAMD_NS_PER_S) /* fake UTC start */
#define N_ACC 3
#define N_CON 4

/* sim_a (SHFE+DCE, prio 1), sim_b (SHFE+DCE, prio 2), sim_c (DCE, prio 3);
 * two SHFE and two DCE contracts. */
static struct hamd_account acc[N_ACC];
static const char *const con[N_CON] = {"rb2601.SHFE", "m2609.DCE",
                                       "cu2601.SHFE", "i2601.DCE"};

static void account(int i, const char *id, int prio, const char *ex1,
                    const char *ex2)
{
    memset(&acc[i], 0, sizeof acc[i]);
    strcpy(acc[i].id, id);
    acc[i].priority = prio;
    acc[i].enabled = true;
    strcpy(acc[i].exchanges[acc[i].n_exchanges++], ex1);
    if (ex2)
        strcpy(acc[i].exchanges[acc[i].n_exchanges++], ex2);
}

static int setup(void **state)
{
    (void)state;
    account(0, "sim_a", 1, "SHFE", "DCE");
    account(1, "sim_b", 2, "SHFE", "DCE");
    account(2, "sim_c", 3, "DCE", NULL);
    return 0;
}

/* The subscriptions of con[0..n) by exchange, in *ex (cap entries). */
static size_t by_exchange(const char *const *con_list, size_t n,
                          struct hamd_coverage_exchange *ex, size_t cap)
{
    size_t n_ex = 0;
    for (size_t c = 0; c < n; c++)
        assert_true(hamd_coverage_exchange_add(ex, &n_ex, cap, con_list[c]));
    return n_ex;
}

/* A node's coverage of con (SHFE then DCE) with its own storage. */
struct node_cov {
    int best[N_CON];
    int source[N_CON];
    struct hamd_coverage cov;
};

#define SHFE 0 /* con's exchanges in the order of their first contract */
#define DCE 1

static void cover(struct node_cov *n, enum hamd_health_state a,
                  enum hamd_health_state b, enum hamd_health_state c)
{
    enum hamd_health_state st[N_ACC] = {a, b, c};
    struct hamd_coverage_exchange ex[N_CON];
    size_t n_ex = by_exchange(con, N_CON, ex, N_CON);
    n->cov.best = n->best;
    n->cov.source = n->source;
    hamd_coverage_compute(acc, st, NULL, N_ACC, ex, n_ex, &n->cov);
}

#define H HAMD_HEALTH_HEALTHY
#define U HAMD_HEALTH_UNHEALTHY
#define D HAMD_HEALTH_DISCONNECTED

/* ------------------------------------------------------------------------
 * Coverage of one node
 * ------------------------------------------------------------------------ */

/* Contracts are counted by their exchange, the text after the last '.';
 * one without an exchange goes to the entry "". */
static void test_subscriptions_by_exchange(void **state)
{
    (void)state;
    struct hamd_coverage_exchange ex[3];
    size_t n = 0;
    const char *const subs[] = {"rb2601.SHFE", "m2609.DCE", "cu2601.SHFE",
                                "IO2601-C-4000.CFFEX", "noexchange", "x."};
    assert_true(hamd_coverage_exchange_add(ex, &n, 3, subs[0]));
    assert_true(hamd_coverage_exchange_add(ex, &n, 3, subs[1]));
    assert_true(hamd_coverage_exchange_add(ex, &n, 3, subs[2]));
    assert_int_equal(n, 2);
    assert_string_equal(ex[0].name, "SHFE");
    assert_int_equal(ex[0].contracts, 2);
    assert_string_equal(ex[1].name, "DCE");
    assert_int_equal(ex[1].contracts, 1);
    assert_true(hamd_coverage_exchange_add(ex, &n, 3, subs[3]));
    assert_string_equal(ex[2].name, "CFFEX");
    /* Full: a new exchange is refused and nothing changes; a known one is
     * still counted. */
    assert_false(hamd_coverage_exchange_add(ex, &n, 3, subs[4]));
    assert_int_equal(n, 3);
    assert_true(hamd_coverage_exchange_add(ex, &n, 3, "al2601.SHFE"));
    assert_int_equal(ex[0].contracts, 3);
    struct hamd_coverage_exchange ex2[2];
    n = 0;
    assert_true(hamd_coverage_exchange_add(ex2, &n, 2, subs[4]));
    assert_true(hamd_coverage_exchange_add(ex2, &n, 2, subs[5]));
    assert_int_equal(n, 1);
    assert_string_equal(ex2[0].name, "");
    assert_int_equal(ex2[0].contracts, 2);
}

static void test_best_healthy_account_per_contract(void **state)
{
    (void)state;
    struct node_cov n;
    cover(&n, H, H, H);
    assert_int_equal(n.cov.n_exchanges, 2);
    assert_int_equal(n.cov.covered, 4);
    for (int e = SHFE; e <= DCE; e++) {
        assert_int_equal(n.best[e], 1);
        assert_int_equal(n.source[e], 0);
    }
    assert_int_equal(n.cov.priority_sum, 4);
    cover(&n, D, H, H); /* sim_a lost: sim_b everywhere */
    assert_int_equal(n.cov.covered, 4);
    assert_int_equal(n.best[SHFE], 2);
    assert_int_equal(n.source[DCE], 1);
    cover(&n, D, U, H); /* only sim_c: DCE only */
    assert_int_equal(n.cov.covered, 2);
    assert_int_equal(n.best[SHFE], HAMD_COVERAGE_NONE);
    assert_int_equal(n.source[SHFE], -1);
    assert_int_equal(n.best[DCE], 3);
    assert_int_equal(n.cov.priority_sum, 6); /* two DCE contracts at 3 */
}

static void test_disabled_stopped_and_unknown_exchanges_cover_nothing(void **state)
{
    (void)state;
    enum hamd_health_state st[N_ACC] = {H, H, H};
    bool stopped[N_ACC] = {true, false, false};
    acc[1].enabled = false;
    const char *const five[] = {"rb2601.SHFE", "m2609.DCE", "cu2601.SHFE",
                                "x.CZCE", "noexchange"};
    struct hamd_coverage_exchange ex[5];
    size_t n_ex = by_exchange(five, 5, ex, 5);
    assert_int_equal(n_ex, 4); /* SHFE, DCE, CZCE, "" */
    int best[5], source[5];
    struct hamd_coverage cov = {.best = best, .source = source};
    hamd_coverage_compute(acc, st, stopped, N_ACC, ex, n_ex, &cov);
    assert_int_equal(cov.covered, 1); /* m2609.DCE by sim_c only */
    assert_int_equal(best[1], 3);
    assert_int_equal(source[1], 2);
    assert_int_equal(best[0], HAMD_COVERAGE_NONE);
    assert_int_equal(best[2], HAMD_COVERAGE_NONE);
    assert_int_equal(best[3], HAMD_COVERAGE_NONE);
    assert_int_equal(source[3], -1);
}

static void test_no_states_covers_nothing(void **state)
{
    (void)state;
    struct hamd_coverage_exchange ex[N_CON];
    size_t n_ex = by_exchange(con, N_CON, ex, N_CON);
    int best[N_CON], source[N_CON];
    struct hamd_coverage cov = {.best = best, .source = source};
    hamd_coverage_compute(acc, NULL, NULL, N_ACC, ex, n_ex, &cov);
    assert_int_equal(cov.covered, 0);
    assert_int_equal(cov.priority_sum, 0);
    assert_int_equal(cov.n_exchanges, 2);
}

/* Equal priorities: the first account in the caller's order wins, so
 * every node names the same one. */
static void test_ties_go_to_the_first_account(void **state)
{
    (void)state;
    acc[1].priority = 1;
    struct node_cov n;
    cover(&n, H, H, H);
    assert_int_equal(n.source[SHFE], 0);
    cover(&n, D, H, H);
    assert_int_equal(n.source[SHFE], 1);
}

/* ------------------------------------------------------------------------
 * Comparing two nodes
 * ------------------------------------------------------------------------ */

static void test_compare(void **state)
{
    (void)state;
    struct node_cov all1, all2, dce, none;
    cover(&all1, H, H, H);
    cover(&all2, D, H, H);
    cover(&dce, D, D, H);
    cover(&none, D, D, D);
    assert_int_equal(hamd_coverage_compare(&all1.cov, &none.cov),
                     HAMD_COVERAGE_MORE);
    assert_int_equal(hamd_coverage_compare(&dce.cov, &none.cov),
                     HAMD_COVERAGE_MORE);
    assert_int_equal(hamd_coverage_compare(&all2.cov, &dce.cov),
                     HAMD_COVERAGE_MORE);
    assert_int_equal(hamd_coverage_compare(&none.cov, &dce.cov),
                     HAMD_COVERAGE_NOT_BETTER);
    /* As many, at better priorities. */
    assert_int_equal(hamd_coverage_compare(&all1.cov, &all2.cov),
                     HAMD_COVERAGE_BETTER);
    assert_int_equal(hamd_coverage_compare(&all2.cov, &all1.cov),
                     HAMD_COVERAGE_NOT_BETTER);
    /* The same is not better. */
    assert_int_equal(hamd_coverage_compare(&all1.cov, &all1.cov),
                     HAMD_COVERAGE_NOT_BETTER);
}

/* Contracts count, not exchanges: a node covering the exchange of three
 * contracts covers more than one covering two exchanges of one each, and
 * the sums weigh each priority by its contracts. */
static void test_exchanges_weigh_their_contracts(void **state)
{
    (void)state;
    const char *const subs[] = {"rb2601.SHFE", "cu2601.SHFE", "al2601.SHFE",
                                "m2609.DCE", "IF2601.CFFEX"};
    struct hamd_coverage_exchange ex[5];
    size_t n_ex = by_exchange(subs, 5, ex, 5);
    assert_int_equal(n_ex, 3);
    account(2, "sim_c", 3, "DCE", "CFFEX");
    enum hamd_health_state shfe_only[N_ACC] = {D, H, D};  /* sim_b */
    enum hamd_health_state dce_cffex[N_ACC] = {D, D, H};  /* sim_c */
    int b1[3], s1[3], b2[3], s2[3];
    struct hamd_coverage f = {.best = b1, .source = s1};
    struct hamd_coverage l = {.best = b2, .source = s2};
    acc[1].n_exchanges = 1; /* sim_b: SHFE only */
    hamd_coverage_compute(acc, shfe_only, NULL, N_ACC, ex, n_ex, &f);
    hamd_coverage_compute(acc, dce_cffex, NULL, N_ACC, ex, n_ex, &l);
    assert_int_equal(f.covered, 3);
    assert_int_equal(f.priority_sum, 6);  /* 3 contracts at 2 */
    assert_int_equal(l.covered, 2);
    assert_int_equal(l.priority_sum, 6);  /* 2 contracts at 3 */
    assert_int_equal(hamd_coverage_compare(&f, &l), HAMD_COVERAGE_MORE);
    assert_int_equal(hamd_coverage_compare(&l, &f), HAMD_COVERAGE_NOT_BETTER);
}

/* As many contracts, one better and one worse: no transfer, whatever
 * the sums say. */
static void test_compare_is_pareto(void **state)
{
    (void)state;
    struct node_cov a, b;
    cover(&a, H, H, H);
    cover(&b, H, H, H);
    a.best[SHFE] = 1, a.best[DCE] = 3; /* sum 8 */
    b.best[SHFE] = 2, b.best[DCE] = 1; /* sum 6: better sum, worse SHFE */
    assert_int_equal(hamd_coverage_compare(&b.cov, &a.cov),
                     HAMD_COVERAGE_NOT_BETTER);
    assert_int_equal(hamd_coverage_compare(&a.cov, &b.cov),
                     HAMD_COVERAGE_NOT_BETTER);
    /* As many, different contracts: neither dominates. */
    cover(&a, H, H, H);
    cover(&b, H, H, H);
    a.best[SHFE] = HAMD_COVERAGE_NONE, a.cov.covered = 2;
    b.best[DCE] = HAMD_COVERAGE_NONE, b.cov.covered = 2;
    assert_int_equal(hamd_coverage_compare(&b.cov, &a.cov),
                     HAMD_COVERAGE_NOT_BETTER);
    assert_string_equal(hamd_coverage_verdict_name(HAMD_COVERAGE_BETTER),
                        "better_priorities");
}

/* ------------------------------------------------------------------------
 * The leadership judge
 * ------------------------------------------------------------------------ */

struct judge {
    struct hamd_leadership st;
    struct hamd_leadership_params p;
    struct node_cov leader, f2, f3;
    struct hamd_leadership_peer peers[2];
    bool paused;
    int64_t last_epoch;     /* replicated last source transfer, 0 = never */
    int64_t now;            /* fake monotonic clock */
};

static void judge_init(struct judge *j)
{
    memset(j, 0, sizeof *j);
    hamd_leadership_params_default(&j->p);
    j->now = T0;
    cover(&j->leader, H, H, H);
    cover(&j->f2, H, H, H);
    cover(&j->f3, H, H, H);
    j->peers[0] = (struct hamd_leadership_peer){2, false, T0, &j->f2.cov};
    j->peers[1] = (struct hamd_leadership_peer){3, false, T0, &j->f3.cov};
}

/* Advances the clock by ms, both followers reporting just now. */
static struct hamd_leadership_decision step(struct judge *j, int64_t ms)
{
    j->now += ms * MS;
    j->peers[0].report_ns = j->now;
    j->peers[1].report_ns = j->now;
    return hamd_leadership_step(&j->st, &j->p, &j->leader.cov, j->peers, 2,
                                j->paused, j->last_epoch, j->now,
                                EPOCH0 + (j->now - T0));
}

static void test_nobody_beats_a_healthy_leader(void **state)
{
    (void)state;
    struct judge j;
    judge_init(&j);
    for (int i = 0; i < 50; i++) {
        struct hamd_leadership_decision d = step(&j, 100);
        assert_int_equal(d.hold, HAMD_LEADERSHIP_NOBODY);
        assert_int_equal(d.transfer_to, 0);
    }
}

/* The leader loses every source: after transfer_after, not before, to
 * the follower that covers most. */
static void test_transfer_after_the_hysteresis(void **state)
{
    (void)state;
    struct judge j;
    judge_init(&j);
    cover(&j.leader, D, D, D);
    cover(&j.f3, D, H, H); /* covers all at worse priorities than node 2 */
    struct hamd_leadership_decision d = step(&j, 0);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_WAITING);
    assert_int_equal(d.best, 2);
    assert_int_equal(d.verdict, HAMD_COVERAGE_MORE);
    d = step(&j, 1499);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_WAITING);
    d = step(&j, 1);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_GO);
    assert_int_equal(d.transfer_to, 2);
    /* The watch starts over. */
    d = step(&j, 1);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_WAITING);
}

/* A blip shorter than the hysteresis moves nothing, and the watch
 * restarts from the next loss. */
static void test_a_blip_resets_the_watch(void **state)
{
    (void)state;
    struct judge j;
    judge_init(&j);
    cover(&j.leader, D, D, D);
    step(&j, 0);
    step(&j, 1000);
    cover(&j.leader, H, H, H); /* back */
    assert_int_equal(step(&j, 100).hold, HAMD_LEADERSHIP_NOBODY);
    cover(&j.leader, D, D, D);
    assert_int_equal(step(&j, 100).hold, HAMD_LEADERSHIP_WAITING);
    assert_int_equal(step(&j, 1000).hold, HAMD_LEADERSHIP_WAITING);
    assert_int_equal(step(&j, 500).hold, HAMD_LEADERSHIP_GO);
}

/* Same number of contracts at strictly better priorities is enough. */
static void test_better_priorities_move_it(void **state)
{
    (void)state;
    struct judge j;
    judge_init(&j);
    cover(&j.leader, D, H, H);
    cover(&j.f3, D, H, H);
    struct hamd_leadership_decision d = step(&j, 0);
    assert_int_equal(d.verdict, HAMD_COVERAGE_BETTER);
    assert_int_equal(d.best, 2);
    assert_int_equal(step(&j, 1500).transfer_to, 2);
}

static void test_paused_holds_and_resume_goes(void **state)
{
    (void)state;
    struct judge j;
    judge_init(&j);
    cover(&j.leader, D, D, D);
    j.paused = true;
    step(&j, 0);
    struct hamd_leadership_decision d = step(&j, 5000);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_PAUSED);
    assert_int_equal(d.transfer_to, 0);
    assert_int_equal(d.best, 2);
    j.paused = false;
    d = step(&j, 100);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_GO);
}

/* A source-driven transfer within the cooldown (a replicated time, set by
 * the previous leader) holds the next one until the cooldown ends. */
static void test_cooldown_between_transfers(void **state)
{
    (void)state;
    struct judge j;
    judge_init(&j);
    cover(&j.leader, D, D, D);
    j.last_epoch = EPOCH0; /* the previous leader moved at T0 */
    step(&j, 0);
    struct hamd_leadership_decision d = step(&j, 30000);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_COOLDOWN);
    d = step(&j, 29999);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_COOLDOWN);
    d = step(&j, 1);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_GO);
    assert_int_equal(d.transfer_to, 2);
}

/* Flapping sources: losses longer than the hysteresis, one after the
 * other, cause one transfer per cooldown. */
static void test_flapping_moves_once_per_cooldown(void **state)
{
    (void)state;
    struct judge j;
    judge_init(&j);
    int transfers = 0;
    for (int s = 0; s < 120; s++) { /* two minutes, 2 s on, 2 s off */
        if (s % 4 == 0)
            cover(&j.leader, D, D, D);
        if (s % 4 == 2)
            cover(&j.leader, H, H, H);
        for (int t = 0; t < 10; t++) {
            struct hamd_leadership_decision d = step(&j, 100);
            if (d.hold == HAMD_LEADERSHIP_GO) {
                transfers++;
                j.last_epoch = EPOCH0 + (j.now - T0);
            }
        }
    }
    assert_int_equal(transfers, 2); /* at ~2 s and after the 60 s cooldown */
}

static void test_witness_and_stale_reports_are_never_chosen(void **state)
{
    (void)state;
    struct judge j;
    judge_init(&j);
    cover(&j.leader, D, D, D);
    j.peers[0].witness = true;
    step(&j, 0);
    struct hamd_leadership_decision d = step(&j, 2000);
    assert_int_equal(d.transfer_to, 3);
    /* Node 3's report is too old: it covers nothing. */
    judge_init(&j);
    cover(&j.leader, D, D, D);
    j.peers[0].witness = true;
    j.now += 3000 * MS;
    j.peers[1].report_ns = j.now - 2001 * MS;
    d = hamd_leadership_step(&j.st, &j.p, &j.leader.cov, j.peers, 2, false, 0,
                             j.now, EPOCH0);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_NOBODY);
    /* Never reported, or no coverage at all. */
    j.peers[1].report_ns = 0;
    d = hamd_leadership_step(&j.st, &j.p, &j.leader.cov, j.peers, 2, false, 0,
                             j.now, EPOCH0);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_NOBODY);
    j.peers[1].report_ns = j.now;
    j.peers[1].cov = NULL;
    d = hamd_leadership_step(&j.st, &j.p, &j.leader.cov, j.peers, 2, false, 0,
                             j.now, EPOCH0);
    assert_int_equal(d.hold, HAMD_LEADERSHIP_NOBODY);
}

/* Two followers as good: the lower priority sum, then the lower id. */
static void test_ties_between_followers(void **state)
{
    (void)state;
    struct judge j;
    judge_init(&j);
    cover(&j.leader, D, D, D);
    assert_int_equal(step(&j, 0).best, 2); /* same coverage: lower id */
    cover(&j.f2, D, H, H);                 /* node 3 now has better prios */
    assert_int_equal(step(&j, 100).best, 3);
    /* The watch did not restart when the best follower changed: someone
     * has beaten the leader all along. */
    assert_int_equal(step(&j, 1400).transfer_to, 3);
    assert_string_equal(hamd_leadership_hold_name(HAMD_LEADERSHIP_COOLDOWN),
                        "cooldown");
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_subscriptions_by_exchange),
        T(test_best_healthy_account_per_contract),
        T(test_disabled_stopped_and_unknown_exchanges_cover_nothing),
        T(test_no_states_covers_nothing),
        T(test_ties_go_to_the_first_account),
        T(test_compare),
        T(test_exchanges_weigh_their_contracts),
        T(test_compare_is_pareto),
        T(test_nobody_beats_a_healthy_leader),
        T(test_transfer_after_the_hysteresis),
        T(test_a_blip_resets_the_watch),
        T(test_better_priorities_move_it),
        T(test_paused_holds_and_resume_goes),
        T(test_cooldown_between_transfers),
        T(test_flapping_moves_once_per_cooldown),
        T(test_witness_and_stale_reports_are_never_chosen),
        T(test_ties_between_followers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
