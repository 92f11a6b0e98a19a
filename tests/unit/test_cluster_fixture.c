/* The consensus layer end to end.
 *
 * Part 1, libraft's in-memory raft_fixture (deterministic fake time) with
 * our FSM on one LMDB store per server: stores converge, a lagging server
 * catches up through a snapshot, and, driving the pure lease with the
 * fixture's clock, an old leader cut off by a partition stops being
 * allowed to publish no later than the moment its successor's first
 * barrier commits: two leases never overlap, even while libraft itself
 * has two servers in leader state.
 *
 * Part 2, hamd_cluster on a real libuv loop (raft_uv over loopback TCP,
 * several nodes in this one process): standalone mode, seeding, a full
 * restart that keeps every acknowledged write (with one node's LMDB
 * deleted, so its state must come back from the Raft log alone), and a
 * witness handing leadership away without ever publishing. Waiting loops
 * have generous deadlines; nothing asserts a duration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <raft.h>
#include <raft/fixture.h>
#include <uv.h>

#include "common/clock.h"
#include "common/log.h"
#include "raft/cluster.h"
#include "raft/cluster_internal.h"
#include "raft/election.h"
#include "raft/fsm.h"
#include "raft/lease.h"
#include "unit_util.h"

#define N_SERVERS 3
#define FIX_ELECTION_MS 1000   /* raft_fixture's election timeout */
#define FIX_MARGIN_MS 100      /* lease margin used with the fixture */
#define FIX_SLOW_STEPDOWN_MS 3000 /* old leader's own step-down timeout */
#define FIX_HEARTBEAT_MS 10    /* also the fixture's tick: timer precision */
#define FIX_STAGGER_MS 20      /* between the followers' timeouts (> tick,
                                  or both campaign on one tick and split) */
#define FIX_SNAPSHOT_THRESHOLD 32
#define FIX_SNAPSHOT_TRAILING 8
#define FIX_WAIT_MS 20000      /* fixture time allowed for a step_until */
#define EVENTS_MAX 1000
#define NS_PER_MS 1000000LL

/* ------------------------------------------------------------------ */
/* Part 1: raft_fixture                                                */
/* ------------------------------------------------------------------ */

/* One fixture server's state besides libraft's. */
struct fx_node {
    struct hamd_store *store;      /* its own LMDB */
    struct hamd_fsm *fsm;          /* FSM handed to the fixture */
    struct hamd_lease lease;       /* driven with fixture time */
    struct raft_barrier barrier;   /* the one barrier request */
    bool barrier_busy;             /* barrier submitted, no callback yet */
    uint64_t barrier_term;         /* term it was started in */
    int64_t barrier_t0_ns;         /* fixture time it was started */
    int restores;                  /* snapshot restores seen */
    raft_time first_grant_ms;      /* first lease grant in lease term */
    uint64_t grant_term;           /* term of first_grant_ms */
};

struct fx_world {
    struct raft_fixture f;         /* first: the hook casts back */
    char dir[64];                  /* temp dir of the stores */
    struct fx_node nodes[N_SERVERS];
    unsigned overlaps;             /* steps with two valid leases */
    bool drive_leases;             /* the hook runs barriers */
};

/* A raft_apply in flight and its outcome. */
struct fx_apply {
    struct raft_apply req;         /* libraft request */
    bool done;                     /* callback fired */
    int status;                    /* raft status */
    struct hamd_apply_result res;  /* FSM verdict copy */
};

static int64_t fx_now_ns(struct raft_fixture *f)
{
    return (int64_t)raft_fixture_time(f) * NS_PER_MS;
}

static void fx_on_change(void *ud, enum hamd_cmd_type type)
{
    struct fx_node *n = ud;
    if (type == HAMD_FSM_CHANGE_ALL)
        n->restores++;
}

static void fx_barrier_cb(struct raft_barrier *req, int status)
{
    struct fx_world *w = req->data;
    struct fx_node *n = NULL;
    for (unsigned i = 0; i < N_SERVERS; i++)
        if (&w->nodes[i].barrier == req)
            n = &w->nodes[i];
    n->barrier_busy = false;
    if (hamd_lease_barrier_done(&n->lease, n->barrier_term, n->barrier_t0_ns,
                                status) &&
        n->grant_term != n->barrier_term) {
        n->grant_term = n->barrier_term;
        n->first_grant_ms = raft_fixture_time(&w->f);
    }
}

/* Keeps one barrier in flight on every leader, voids leases elsewhere. */
static void fx_drive_lease(struct fx_world *w, unsigned i)
{
    struct fx_node *n = &w->nodes[i];
    struct raft *r = raft_fixture_get(&w->f, i);
    int64_t now = fx_now_ns(&w->f);
    if (raft_state(r) != RAFT_LEADER) {
        hamd_lease_step_down(&n->lease);
        return;
    }
    if (n->barrier_busy ||
        !hamd_lease_barrier_begin(&n->lease, r->current_term, now))
        return;
    n->barrier.data = w;
    n->barrier_term = r->current_term;
    n->barrier_t0_ns = now;
    int rc = raft_barrier(r, &n->barrier, fx_barrier_cb);
    if (rc == 0)
        n->barrier_busy = true;
    else
        hamd_lease_barrier_done(&n->lease, n->barrier_term, now, rc);
}

/* Runs after every fixture event: leases can only be granted at events
 * and only shrink in between, so checking here sees every overlap. */
static void fx_hook(struct raft_fixture *f, struct raft_fixture_event *ev)
{
    (void)ev;
    struct fx_world *w = (struct fx_world *)f;
    if (!w->drive_leases)
        return;
    unsigned valid = 0;
    for (unsigned i = 0; i < N_SERVERS; i++) {
        fx_drive_lease(w, i);
        valid += hamd_lease_valid(&w->nodes[i].lease, fx_now_ns(f));
    }
    if (valid > 1)
        w->overlaps++;
}

/* What hamd_cluster adds to libraft's timing (cluster.c, raft/election.h),
 * each on its own so a test can compare it with libraft alone. */
#define FX_TICK 1u  /* libraft ticks every hamd_election_tick_ms */
#define FX_STAND 2u /* a pre-vote request may make a follower stand */
#define FX_RETRY 4u /* a pre-candidate that refuses one tries again */

/* raft_fixture's raft_io.start and libraft's receive callback (the same
 * for every server), which the wrappers below call. */
static int (*fx_io_start)(struct raft_io *io, unsigned msecs,
                          raft_io_tick_cb tick_cb, raft_io_recv_cb recv_cb);
static raft_io_recv_cb fx_raft_recv;
static int (*fx_io_send)(struct raft_io *io, struct raft_io_send *req,
                         const struct raft_message *m, raft_io_send_cb cb);
static unsigned fx_rules; /* FX_* of the world being set up */
static unsigned fx_election_ms; /* its full voters' election timeout */

static void fx_recv_hamd(struct raft_io *io, struct raft_message *m)
{
    cluster_prevote_seen(io->data, m, fx_election_ms);
    fx_raft_recv(io, m);
}

static int fx_send_hamd(struct raft_io *io, struct raft_io_send *req,
                        const struct raft_message *m, raft_io_send_cb cb)
{
    cluster_refusal_sent(io->data, m, fx_election_ms);
    return fx_io_send(io, req, m, cb);
}

/* What hamd_cluster does to raft_uv's start (cluster_start_io), done to
 * the fixture's with the rules of fx_rules. */
static int fx_start_hamd(struct raft_io *io, unsigned msecs,
                         raft_io_tick_cb tick_cb, raft_io_recv_cb recv_cb)
{
    fx_raft_recv = recv_cb;
    return fx_io_start(io,
                       fx_rules & FX_TICK ? hamd_election_tick_ms(msecs) : msecs,
                       tick_cb, fx_rules & FX_STAND ? fx_recv_hamd : recv_cb);
}

/* Three servers with these timeouts, elected by none yet, with the FX_*
 * rules of hamd_cluster in `rules` (0: libraft's timing alone). */
static struct fx_world *fx_world_new(unsigned heartbeat_ms,
                                     unsigned election_ms, unsigned rules)
{
    struct fx_world *w = calloc(1, sizeof *w);
    struct raft_configuration conf;
    strcpy(w->dir, "/tmp/hamd_test_fixture_XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    memset(&w->f, 0, sizeof w->f); /* docs/performance.md: required before init */
    assert_int_equal(raft_fixture_initialize(&w->f), 0);
    for (unsigned i = 0; i < N_SERVERS; i++) {
        struct fx_node *n = &w->nodes[i];
        char path[128];
        snprintf(path, sizeof path, "%s/store%u", w->dir, i + 1);
        n->store = hamd_store_new(path);
        assert_non_null(n->store);
        n->fsm = hamd_fsm_new(n->store, EVENTS_MAX);
        hamd_fsm_set_on_change(n->fsm, fx_on_change, n);
        hamd_lease_init(&n->lease, election_ms, FIX_MARGIN_MS);
        assert_int_equal(raft_fixture_grow(&w->f, hamd_fsm_raft(n->fsm)), 0);
        struct raft *r = raft_fixture_get(&w->f, i);
        hamd_fsm_set_index_source(n->fsm, hamd_fsm_raft_next_index, r);
        raft_set_pre_vote(r, true);
        raft_set_heartbeat_timeout(r, heartbeat_ms);
        raft_set_election_timeout(r, election_ms);
        raft_set_snapshot_threshold(r, FIX_SNAPSHOT_THRESHOLD);
        raft_set_snapshot_trailing(r, FIX_SNAPSHOT_TRAILING);
        if (rules) {
            fx_rules = rules;
            fx_election_ms = election_ms;
            fx_io_start = r->io->start;
            r->io->start = fx_start_hamd;
        }
        if (rules & FX_RETRY) {
            fx_io_send = r->io->send;
            r->io->send = fx_send_hamd;
        }
    }
    assert_int_equal(raft_fixture_configuration(&w->f, N_SERVERS, &conf), 0);
    assert_int_equal(raft_fixture_bootstrap(&w->f, &conf), 0);
    raft_configuration_close(&conf);
    assert_int_equal(raft_fixture_start(&w->f), 0);
    raft_fixture_hook(&w->f, fx_hook);
    return w;
}

static int fx_setup(void **state)
{
    *state = fx_world_new(FIX_HEARTBEAT_MS, FIX_ELECTION_MS, 0);
    return 0;
}

/* The same world with every rule hamd_cluster adds to libraft's timing. */
static int fx_setup_hamd(void **state)
{
    *state = fx_world_new(FIX_HEARTBEAT_MS, FIX_ELECTION_MS,
                          FX_TICK | FX_STAND | FX_RETRY);
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx_world *w = *state;
    w->drive_leases = false;
    raft_fixture_close(&w->f); /* fails pending barriers: nodes still live */
    for (unsigned i = 0; i < N_SERVERS; i++) {
        hamd_fsm_destroy(&w->nodes[i].fsm);
        hamd_store_destroy(&w->nodes[i].store);
    }
    unit_rm_tree(w->dir);
    free(w);
    return 0;
}

static void fx_apply_cb(struct raft_apply *req, int status, void *result)
{
    struct fx_apply *a = req->data;
    a->done = true;
    a->status = status;
    if (status == 0)
        a->res = *(const struct hamd_apply_result *)result;
}

/* Proposes cmd (freed) on server i. */
static void fx_submit(struct fx_world *w, unsigned i, struct hamd_cmd *cmd,
                      struct fx_apply *a)
{
    struct raft_buffer buf;
    memset(a, 0, sizeof *a);
    assert_int_equal(hamd_cmd_encode(cmd, &buf), 0);
    hamd_cmd_free(cmd);
    a->req.data = a;
    assert_int_equal(
        raft_apply(raft_fixture_get(&w->f, i), &a->req, &buf, 1, fx_apply_cb),
        0);
}

static bool fx_stop_applied(struct raft_fixture *f, void *arg)
{
    (void)f;
    return ((struct fx_apply *)arg)->done;
}

/* Proposes on the leader i and steps until it answered; returns status. */
static int fx_run(struct fx_world *w, unsigned i, struct hamd_cmd *cmd,
                  struct hamd_apply_result *res)
{
    struct fx_apply a;
    fx_submit(w, i, cmd, &a);
    assert_true(raft_fixture_step_until(&w->f, fx_stop_applied, &a,
                                        FIX_WAIT_MS));
    assert_int_equal(a.status, 0);
    if (res)
        *res = a.res;
    return a.res.status;
}

static struct hamd_account fx_account(const char *id, int prio)
{
    struct hamd_account a;
    memset(&a, 0, sizeof a);
    strcpy(a.id, id);
    strcpy(a.name, id);
    strcpy(a.gateway_type, "sim");
    a.priority = prio;
    a.enabled = true;
    strcpy(a.params, "{}");
    return a;
}

/* Every store's full snapshot is byte-identical to server 0's. */
static void fx_assert_converged(struct fx_world *w)
{
    void *ref, *other;
    size_t ref_len, other_len;
    assert_int_equal(hamd_store_snapshot(w->nodes[0].store, &ref, &ref_len), 0);
    for (unsigned i = 1; i < N_SERVERS; i++) {
        assert_int_equal(
            hamd_store_snapshot(w->nodes[i].store, &other, &other_len), 0);
        assert_int_equal(ref_len, other_len);
        assert_memory_equal(ref, other, ref_len);
        free(other);
    }
    free(ref);
}

/* Steps until every server applied the leader's last entry. */
static void fx_wait_all_applied(struct fx_world *w, unsigned leader)
{
    raft_index last = raft_last_index(raft_fixture_get(&w->f, leader));
    assert_true(raft_fixture_step_until_applied(&w->f, N_SERVERS, last,
                                                FIX_WAIT_MS));
}

static void fx_elect_first(struct fx_world *w)
{
    raft_fixture_elect(&w->f, 0);
    assert_int_equal(raft_state(raft_fixture_get(&w->f, 0)), RAFT_LEADER);
}

static void test_fixture_stores_converge(void **state)
{
    struct fx_world *w = *state;
    struct hamd_cmd c;
    struct hamd_apply_result res;
    fx_elect_first(w);

    hamd_cmd_init(&c, HAMD_CMD_SEED);
    struct hamd_account a = fx_account("sim_a", 1), b = fx_account("sim_b", 2);
    hamd_cmd_add_account(&c, &a);
    hamd_cmd_add_account(&c, &b);
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    hamd_cmd_add_symbol(&c, "m2609.DCE");
    assert_int_equal(fx_run(w, 0, &c, NULL), 0);
    hamd_cmd_init(&c, HAMD_CMD_ASSIGN);
    hamd_cmd_add_assign(&c, "rb2601.SHFE", "sim_b");
    assert_int_equal(fx_run(w, 0, &c, NULL), 0);
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_DEL);
    strcpy(c.account_id, "ghost");
    assert_int_equal(fx_run(w, 0, &c, &res), HAMD_APPLY_NOT_FOUND);
    assert_string_equal(res.field, "id");
    for (int i = 0; i < 3; i++) {
        unit_event_cmd(&c, i);
        assert_int_equal(fx_run(w, 0, &c, NULL), 0);
    }
    fx_wait_all_applied(w, 0);
    fx_assert_converged(w);
    for (unsigned i = 0; i < N_SERVERS; i++) {
        char id[HAMD_ACCOUNT_ID_MAX];
        assert_int_equal(hamd_store_assign_get(w->nodes[i].store,
                                               "rb2601.SHFE", id), 0);
        assert_string_equal(id, "sim_b");
        assert_int_equal(hamd_store_events_last_seq(w->nodes[i].store), 3);
    }
}

/* Server 2 misses enough entries that the leader compacts its log: it
 * must come back through InstallSnapshot + restore, and match. */
static void test_fixture_lagging_server_restores_snapshot(void **state)
{
    struct fx_world *w = *state;
    struct hamd_cmd c;
    fx_elect_first(w);
    raft_fixture_disconnect(&w->f, 0, 2);
    raft_fixture_disconnect(&w->f, 2, 0);
    for (int i = 0; i < 3 * FIX_SNAPSHOT_THRESHOLD; i++) {
        unit_event_cmd(&c, i);
        assert_int_equal(fx_run(w, 0, &c, NULL), 0);
    }
    raft_fixture_reconnect(&w->f, 0, 2);
    raft_fixture_reconnect(&w->f, 2, 0);
    fx_wait_all_applied(w, 0);
    assert_true(w->nodes[2].restores >= 1);
    fx_assert_converged(w);
    assert_int_equal(hamd_store_events_last_seq(w->nodes[2].store),
                     3 * FIX_SNAPSHOT_THRESHOLD);
}

static bool fx_stop_has_lease(struct raft_fixture *f, void *arg)
{
    struct fx_world *w = (struct fx_world *)f;
    unsigned i = *(unsigned *)arg;
    return hamd_lease_valid(&w->nodes[i].lease, fx_now_ns(f));
}

/* Any server other than `old` got its first lease in a newer term. */
static bool fx_stop_successor_lease(struct raft_fixture *f, void *arg)
{
    struct fx_world *w = (struct fx_world *)f;
    unsigned old = *(unsigned *)arg;
    for (unsigned i = 0; i < N_SERVERS; i++)
        if (i != old && w->nodes[i].grant_term > w->nodes[old].grant_term)
            return true;
    return false;
}

/* The adversarial case for the lease: followers time out exactly one
 * election timeout after their last AppendEntries (the earliest libraft
 * allows), not at the large values raft_fixture_elect left them with. */
static void fx_followers_campaign_early(struct fx_world *w, unsigned old)
{
    unsigned extra_ms = 0;
    for (unsigned i = 0; i < N_SERVERS; i++) {
        if (i == old)
            continue;
        struct raft *r = raft_fixture_get(&w->f, i);
        assert_int_equal(raft_state(r), RAFT_FOLLOWER);
        r->follower_state.randomized_election_timeout =
            FIX_ELECTION_MS + extra_ms;
        raft_fixture_set_randomized_election_timeout(&w->f, i,
                                                     FIX_ELECTION_MS + extra_ms);
        extra_ms += FIX_STAGGER_MS;
    }
}

/* A witness among the followers (fx_partitioned_lease): its own election
 * timeout is far longer than the full voters' FIX_ELECTION_MS, so only
 * hamd's witness rule (it grants once FIX_ELECTION_MS passed since its
 * last contact, raft/election.h) lets the full voter win before it. */
#define FIX_WITNESS_I 2u
#define FIX_WITNESS_ELECTION_MS 2500

/* Server 1 stands first; a witness keeps its own, longer draw. */
static void fx_campaign_early_witness(struct fx_world *w)
{
    struct raft *witness = raft_fixture_get(&w->f, FIX_WITNESS_I);
    struct raft *voter = raft_fixture_get(&w->f, 1);
    /* a stagger after the cut: the witness's last contact, which may
     * trail the voter's by a message, is then T ago too */
    voter->follower_state.randomized_election_timeout =
        FIX_ELECTION_MS + FIX_STAGGER_MS;
    raft_fixture_set_randomized_election_timeout(&w->f, 1,
                                                 FIX_ELECTION_MS + FIX_STAGGER_MS);
    witness->follower_state.randomized_election_timeout =
        FIX_WITNESS_ELECTION_MS;
    raft_fixture_set_randomized_election_timeout(&w->f, FIX_WITNESS_I,
                                                 FIX_WITNESS_ELECTION_MS);
}

/* The old leader is cut off and a successor takes over; with witness,
 * server FIX_WITNESS_I is one (hamd_cluster's witness rule decides). */
static void fx_partitioned_lease(struct fx_world *w, bool witness)
{
    struct hamd_cmd c;
    unsigned old = 0;
    if (witness)
        raft_set_election_timeout(raft_fixture_get(&w->f, FIX_WITNESS_I),
                                  FIX_WITNESS_ELECTION_MS);
    fx_elect_first(w);
    w->drive_leases = true;
    assert_true(raft_fixture_step_until(&w->f, fx_stop_has_lease, &old,
                                        FIX_WAIT_MS));
    unit_event_cmd(&c, 1);
    assert_int_equal(fx_run(w, old, &c, NULL), 0);
    /* Make libraft keep the cut-off leader in leader state far longer than
     * the followers wait: the 0.15 overlap, exaggerated. The lease (sized
     * by the followers' timeout) must not care. */
    raft_set_election_timeout(raft_fixture_get(&w->f, old),
                              FIX_SLOW_STEPDOWN_MS);
    if (witness)
        fx_campaign_early_witness(w);
    else
        fx_followers_campaign_early(w, old);
    raft_time cut_ms = raft_fixture_time(&w->f);
    for (unsigned i = 1; i < N_SERVERS; i++) {
        raft_fixture_disconnect(&w->f, old, i);
        raft_fixture_disconnect(&w->f, i, old);
    }
    assert_true(raft_fixture_step_until(&w->f, fx_stop_successor_lease, &old,
                                        FIX_WAIT_MS));
    unsigned next = N_SERVERS;
    for (unsigned i = 0; i < N_SERVERS; i++)
        if (i != old && w->nodes[i].grant_term > w->nodes[old].grant_term)
            next = i;
    raft_time granted_ms = w->nodes[next].first_grant_ms;
    assert_int_equal(raft_fixture_time(&w->f), granted_ms);
    if (witness) {
        /* the full voter won, the witness granting before its own timer */
        assert_int_equal(next, 1);
        assert_true(granted_ms < cut_ms + FIX_WITNESS_ELECTION_MS);
    }
    /* libraft alone would let both lead right now... */
    assert_int_equal(raft_state(raft_fixture_get(&w->f, old)), RAFT_LEADER);
    /* ...but the old leader's lease had already run out, */
    assert_false(hamd_lease_valid(&w->nodes[old].lease,
                                  (int64_t)granted_ms * NS_PER_MS));
    assert_true(hamd_lease_valid(&w->nodes[next].lease,
                                 (int64_t)granted_ms * NS_PER_MS));
    /* and at no step did two leases hold at once. */
    assert_int_equal(w->overlaps, 0);

    /* Heal: the old leader steps down; writes through the new one reach
     * every store, the old one's uncommitted barrier is discarded. */
    for (unsigned i = 1; i < N_SERVERS; i++) {
        raft_fixture_reconnect(&w->f, old, i);
        raft_fixture_reconnect(&w->f, i, old);
    }
    assert_true(raft_fixture_step_until_state_is(&w->f, old, RAFT_FOLLOWER,
                                                 FIX_WAIT_MS));
    unit_event_cmd(&c, 2);
    assert_int_equal(fx_run(w, next, &c, NULL), 0);
    fx_wait_all_applied(w, next);
    fx_assert_converged(w);
    assert_int_equal(w->overlaps, 0);
    assert_int_equal(hamd_store_events_last_seq(w->nodes[old].store), 2);
}

static void test_fixture_partitioned_leader_lease_never_overlaps(void **state)
{
    fx_partitioned_lease(*state, false);
}

/* The same with a witness (two full voters and a witness, hamd's rules):
 * its granting after the voters' timeout, not its own, must keep the
 * lease's step 3 (raft/lease.h). */
static void test_fixture_witness_lease_never_overlaps(void **state)
{
    fx_partitioned_lease(*state, true);
}

/* Failover timing with hamd's [raft] defaults: the leader dies; the first
 * follower's election timeout passes first, but the other, still knowing
 * the leader, refuses its pre-vote. With libraft alone the failover waits
 * for the second follower's own timeout (drawn here to pass 1 ms after a
 * heartbeat tick) and for the tick after it, as libraft looks at its
 * timers on a tick only, once a heartbeat. hamd_cluster ticks it finer
 * (FX_TICK), and a follower that refused a pre-vote after the election
 * timeout without its leader stands at once (FX_STAND). */
#define TICK_HEARTBEAT_MS 50    /* hamd's [raft] defaults */
#define TICK_ELECTION_MS 200
#define TICK_SETTLE_MS 500      /* heartbeats flowing before the kill */
#define TICK_EARLY_DRAW_MS 200  /* the first follower's timeout */
#define TICK_LATE_DRAW_MS 250   /* the second's, at least; then up to a
                                   heartbeat more, to pass 1 ms after a
                                   heartbeat tick */
#define TICK_RETRY_DRAW_MS 300  /* every later draw: the first follower
                                   tries no second time before the other */

/* One failover of fx_kill_leader, in fixture time (ms). */
struct fx_failover {
    raft_time killed;   /* the leader died */
    raft_time contact;  /* the second follower last heard from it */
    raft_time due;      /* that follower's own timeout passed */
    raft_time stood;    /* it stood (pre-vote) */
    raft_time elected;  /* it won */
};

/* Gives the two followers of a dead leader these draws, every later draw
 * TICK_RETRY_DRAW_MS, and steps until `watch` stands and then until a
 * leader, which must be `watch`: out->stood and out->elected. */
static void fx_draw_and_elect(struct fx_world *w, unsigned a, unsigned a_ms,
                              unsigned b, unsigned b_ms, unsigned watch,
                              struct fx_failover *out)
{
    raft_fixture_get(&w->f, a)->follower_state.randomized_election_timeout =
        a_ms;
    raft_fixture_get(&w->f, b)->follower_state.randomized_election_timeout =
        b_ms;
    raft_fixture_set_randomized_election_timeout(&w->f, a, TICK_RETRY_DRAW_MS);
    raft_fixture_set_randomized_election_timeout(&w->f, b, TICK_RETRY_DRAW_MS);
    assert_true(raft_fixture_step_until_state_is(&w->f, watch, RAFT_CANDIDATE,
                                                 FIX_WAIT_MS));
    out->stood = raft_fixture_time(&w->f);
    assert_true(raft_fixture_step_until_has_leader(&w->f, FIX_WAIT_MS));
    assert_int_equal(raft_fixture_leader_index(&w->f), watch);
    out->elected = raft_fixture_time(&w->f);
}

/* Kills leader 0 of a world with these rules and steps to its successor. */
static void fx_kill_leader(unsigned rules, struct fx_failover *out)
{
    struct fx_world *w =
        fx_world_new(TICK_HEARTBEAT_MS, TICK_ELECTION_MS, rules);
    struct hamd_cmd cmd;
    fx_elect_first(w);
    raft_fixture_step_until_elapsed(&w->f, TICK_SETTLE_MS);
    /* Its last message goes to both followers at once, as hamd's lease
     * barriers do (one every heartbeat): they hear from it last together. */
    unit_event_cmd(&cmd, 1);
    assert_int_equal(fx_run(w, 0, &cmd, NULL), 0);
    raft_fixture_kill(&w->f, 0);
    out->killed = raft_fixture_time(&w->f);
    const unsigned early_i = 1, late_i = 2;
    struct raft *early = raft_fixture_get(&w->f, early_i);
    struct raft *late = raft_fixture_get(&w->f, late_i);
    assert_int_equal(early->election_timer_start, late->election_timer_start);
    /* Every server started at fixture time 0, so ticks fall on multiples
     * of the tick interval. */
    out->contact = late->election_timer_start;
    raft_time draw = TICK_LATE_DRAW_MS +
                     (TICK_HEARTBEAT_MS + 1 -
                      (out->contact + TICK_LATE_DRAW_MS) % TICK_HEARTBEAT_MS) %
                         TICK_HEARTBEAT_MS;
    out->due = out->contact + draw;
    fx_draw_and_elect(w, early_i, TICK_EARLY_DRAW_MS, late_i, (unsigned)draw,
                      late_i, out);
    void *st = w;
    fx_teardown(&st);
}

static void fx_failover_print(const char *what, const struct fx_failover *f)
{
    printf("# %s: the winner stood %lld ms after its own timeout, "
           "%llu ms after its last contact; elected %llu ms after the kill\n",
           what, (long long)f->stood - (long long)f->due,
           (unsigned long long)(f->stood - f->contact),
           (unsigned long long)(f->elected - f->killed));
}

static void test_fixture_fine_tick_stands_on_time(void **state)
{
    (void)state;
    struct fx_failover own, fine;
    fx_kill_leader(0, &own);
    fx_kill_leader(FX_TICK, &fine);
    fx_failover_print("libraft's tick", &own);
    fx_failover_print("hamd's tick", &fine);
    unsigned tick_ms = hamd_election_tick_ms(TICK_HEARTBEAT_MS);
    assert_true(tick_ms < TICK_HEARTBEAT_MS);
    /* libraft's own tick: a heartbeat late, less the 1 ms drawn. */
    assert_int_equal(own.stood - own.due, TICK_HEARTBEAT_MS - 1);
    /* hamd's: within one of its ticks, and the new leader sooner. */
    assert_true(fine.stood >= fine.due && fine.stood - fine.due < tick_ms);
    assert_true(fine.elected - fine.killed < own.elected - own.killed);
}

static void test_fixture_refused_prevote_makes_follower_stand(void **state)
{
    (void)state;
    struct fx_failover fine, stand;
    fx_kill_leader(FX_TICK, &fine);
    fx_kill_leader(FX_TICK | FX_STAND, &stand);
    fx_failover_print("hamd's tick", &fine);
    fx_failover_print("and the stand rule", &stand);
    /* It stood on the first follower's pre-vote, before its own timeout, */
    assert_true(stand.stood < stand.due);
    /* never within the election timeout of its leader (raft/lease.h), */
    assert_true(stand.stood - stand.contact >= TICK_ELECTION_MS);
    /* and the new leader came sooner. */
    assert_true(stand.elected - stand.killed < fine.elected - fine.killed);
}

/* A leader whose last entry reached one follower only, as when a cut
 * separates the followers from it one after the other: the follower
 * ahead stands first and is refused (the other still knows the leader);
 * the one behind stands next and is refused (its log is behind), so it
 * cannot win. With FX_RETRY the one ahead tries again at its next tick;
 * without, only at its next draw. */
static void fx_kill_leader_split(unsigned rules, struct fx_failover *out)
{
    const unsigned ahead_i = 1, behind_i = 2;
    struct fx_world *w =
        fx_world_new(TICK_HEARTBEAT_MS, TICK_ELECTION_MS, rules);
    struct hamd_cmd cmd;
    fx_elect_first(w);
    raft_fixture_step_until_elapsed(&w->f, TICK_SETTLE_MS);
    raft_fixture_disconnect(&w->f, 0, behind_i);
    unit_event_cmd(&cmd, 1); /* committed by the leader and `ahead` */
    assert_int_equal(fx_run(w, 0, &cmd, NULL), 0);
    raft_fixture_kill(&w->f, 0);
    out->killed = raft_fixture_time(&w->f);
    struct raft *ahead = raft_fixture_get(&w->f, ahead_i);
    struct raft *behind = raft_fixture_get(&w->f, behind_i);
    assert_true(raft_last_index(ahead) > raft_last_index(behind));
    out->contact = ahead->election_timer_start;
    out->due = out->contact + TICK_EARLY_DRAW_MS;
    /* `ahead` stands first: `behind`, silent longer, drew the most. */
    assert_true(behind->election_timer_start + TICK_RETRY_DRAW_MS > out->due);
    fx_draw_and_elect(w, ahead_i, TICK_EARLY_DRAW_MS, behind_i,
                      TICK_RETRY_DRAW_MS, ahead_i, out);
    /* The entry only `ahead` had was committed: it is kept. */
    unit_event_cmd(&cmd, 2);
    assert_int_equal(fx_run(w, ahead_i, &cmd, NULL), 0);
    assert_int_equal(hamd_store_events_last_seq(w->nodes[ahead_i].store), 2);
    void *st = w;
    fx_teardown(&st);
}

static void test_fixture_refusing_candidate_retries(void **state)
{
    (void)state;
    struct fx_failover stand, retry;
    fx_kill_leader_split(FX_TICK | FX_STAND, &stand);
    fx_kill_leader_split(FX_TICK | FX_STAND | FX_RETRY, &retry);
    fx_failover_print("logs differ, the stand rule", &stand);
    fx_failover_print("and the retry rule", &retry);
    /* Without the retry the one ahead waits a whole draw more; with it,
     * it wins within the election timeout of standing. */
    assert_true(stand.elected - stand.stood >= TICK_RETRY_DRAW_MS);
    assert_true(retry.elected - retry.stood < TICK_ELECTION_MS);
}

/* Two full voters and a witness, whose election timeout is
 * TICK_WITNESS_ELECTION_MS (hamd's default witness_election_timeout_ms);
 * full voter 0 leads and dies. The other full voter's pre-vote needs the
 * witness, which under libraft's rule refuses it while it still knows
 * the leader: until its own, longer timer fires. out->contact is the
 * witness's last contact with the leader; *winner the new leader. */
#define TICK_WITNESS_ELECTION_MS 1000
#define TICK_WITNESS_I 2u

/* raft_fixture_step_until's stop: a server other than the dead leader 0
 * leads (the fixture still counts the dead one as leader). */
static bool fx_stop_new_leader(struct raft_fixture *f, void *arg)
{
    (void)arg;
    for (unsigned i = 1; i < N_SERVERS; i++)
        if (raft_state(raft_fixture_get(f, i)) == RAFT_LEADER)
            return true;
    return false;
}

static void fx_kill_leader_witness(unsigned rules, bool ahead,
                                   struct fx_failover *out, unsigned *winner,
                                   unsigned *rounds)
{
    struct fx_world *w =
        fx_world_new(TICK_HEARTBEAT_MS, TICK_ELECTION_MS, rules);
    struct raft *witness = raft_fixture_get(&w->f, TICK_WITNESS_I);
    struct raft *voter = raft_fixture_get(&w->f, 1);
    raft_set_election_timeout(witness, TICK_WITNESS_ELECTION_MS);
    fx_elect_first(w);
    /* heartbeats redraw the witness's timer from its own timeout */
    raft_fixture_step_until_elapsed(&w->f, TICK_SETTLE_MS);
    if (ahead) {
        struct hamd_cmd cmd;
        raft_fixture_disconnect(&w->f, 0, 1);
        unit_event_cmd(&cmd, 1); /* committed by the leader and the witness */
        assert_int_equal(fx_run(w, 0, &cmd, NULL), 0);
    }
    raft_term term0 = raft_fixture_get(&w->f, 0)->current_term;
    raft_fixture_kill(&w->f, 0);
    out->killed = raft_fixture_time(&w->f);
    out->contact = witness->election_timer_start;
    if (ahead)
        assert_true(raft_last_index(witness) > raft_last_index(voter));
    else /* the full voter stands at TICK_EARLY_DRAW_MS, as early as it may */
        voter->follower_state.randomized_election_timeout = TICK_EARLY_DRAW_MS;
    raft_fixture_set_randomized_election_timeout(&w->f, 1, TICK_RETRY_DRAW_MS);
    assert_true(raft_fixture_step_until(&w->f, fx_stop_new_leader, NULL,
                                        FIX_WAIT_MS));
    *winner = raft_state(voter) == RAFT_LEADER ? 1 : TICK_WITNESS_I;
    out->elected = raft_fixture_time(&w->f);
    *rounds = (unsigned)(raft_fixture_get(&w->f, *winner)->current_term - term0);
    void *st = w;
    fx_teardown(&st);
}

static void test_fixture_witness_grants_after_the_voters_timeout(void **state)
{
    (void)state;
    struct fx_failover own, hamd;
    unsigned own_winner, hamd_winner, own_rounds, hamd_rounds;
    fx_kill_leader_witness(FX_TICK, false, &own, &own_winner, &own_rounds);
    fx_kill_leader_witness(FX_TICK | FX_STAND | FX_RETRY, false, &hamd,
                           &hamd_winner, &hamd_rounds);
    printf("# a witness, libraft's rule: node %u elected %llu ms after the "
           "kill (%llu after the witness's last contact), %u election(s); "
           "hamd's: node %u after %llu ms (%llu), %u\n", own_winner,
           (unsigned long long)(own.elected - own.killed),
           (unsigned long long)(own.elected - own.contact), own_rounds,
           hamd_winner, (unsigned long long)(hamd.elected - hamd.killed),
           (unsigned long long)(hamd.elected - hamd.contact), hamd_rounds);
    /* libraft alone: nothing before the witness's own timeout. */
    assert_true(own.elected - own.contact >= TICK_WITNESS_ELECTION_MS);
    /* hamd: the full voter wins its first election, on its first
     * pre-vote (a refused one would try again a draw later), */
    assert_int_equal(hamd_winner, 1);
    assert_int_equal(hamd_rounds, 1);
    assert_true(hamd.elected - hamd.contact <
                TICK_EARLY_DRAW_MS + TICK_RETRY_DRAW_MS);
    /* never before the witness went a voter's timeout without the leader
     * (raft/lease.h, step 3). */
    assert_true(hamd.elected - hamd.contact >= TICK_ELECTION_MS);
}

/* The same, but the leader's last entry reached the witness only (the
 * full voter was cut off from it first, fx_kill_leader_witness's
 * `ahead`): the full voter cannot win, so the witness must lead
 * (hamd_cluster then hands over, cluster_poll.c). Under libraft's rule
 * the witness refuses the full voter's pre-votes until its own timer
 * fires and only then stands; with hamd's it forgets the dead leader
 * after the voters' timeout, refuses on the log, and stands at its next
 * tick. */
static void test_fixture_witness_ahead_stands(void **state)
{
    (void)state;
    struct fx_failover own, hamd;
    unsigned own_winner, hamd_winner, rounds;
    fx_kill_leader_witness(FX_TICK, true, &own, &own_winner, &rounds);
    fx_kill_leader_witness(FX_TICK | FX_STAND | FX_RETRY, true, &hamd,
                           &hamd_winner, &rounds);
    printf("# the witness ahead, libraft's rule: node %u elected %llu ms "
           "after the witness's last contact; hamd's: node %u after %llu "
           "ms\n", own_winner, (unsigned long long)(own.elected - own.contact),
           hamd_winner, (unsigned long long)(hamd.elected - hamd.contact));
    assert_int_equal(own_winner, TICK_WITNESS_I);
    assert_true(own.elected - own.contact >= TICK_WITNESS_ELECTION_MS);
    /* hamd: the witness, the only one that can win, stands on the full
     * voter's first pre-vote after the voters' timeout, not at its own. */
    assert_int_equal(hamd_winner, TICK_WITNESS_I);
    assert_true(hamd.elected - hamd.contact < TICK_WITNESS_ELECTION_MS);
}

/* ------------------------------------------------------------------ */
/* Part 2: hamd_cluster on raft_uv                                     */
/* ------------------------------------------------------------------ */

#define UV_ELECTION_MS 300
#define UV_HEARTBEAT_MS 50
#define UV_WITNESS_ELECTION_MS 1000
#define UV_MARGIN_MS 100
#define UV_SNAPSHOT_THRESHOLD 64
#define UV_SNAPSHOT_TRAILING 16
#define UV_WAIT_NS (30 * HAMD_NS_PER_S) /* deadline of one wait */
#define UV_WRITE_TRIES_MAX 10  /* sends of one write whose leader was lost */
#define UV_TRANSFER_TRIES_MAX 5 /* transfers to the witness before giving up */

/* One node of the real cluster and what its hooks saw. */
struct uv_node {
    struct uv_opts *cfg;           /* heap: the struct is large */
    struct hamd_store *store;      /* <data_dir>/store */
    struct hamd_cluster *cluster;  /* the unit under test */
    bool publishing;               /* last on_lease */
    unsigned lease_grants;         /* on_lease(true) calls */
    bool ever_published;           /* on_lease(true) ever */
    enum hamd_cluster_role role;   /* last on_role */
    bool ever_led;                 /* on_role(LEADER) ever */
    unsigned changes;              /* on_change calls */
    bool closed;                   /* close callback fired */
};

/* A submit waiting for its answer. */
struct uv_submit {
    bool done;                     /* callback fired */
    int status;                    /* 0 or -RAFT_* (cluster.h) */
    struct hamd_apply_result res;  /* FSM verdict copy */
};

/* A leadership transfer waiting for its answer. */
struct uv_transfer {
    bool done;                     /* callback fired */
    int status;                    /* its status */
    uint64_t leader;               /* its leader id */
};

/* The requests in flight live here, not on a test's stack: a test that
 * fails returns through cmocka's longjmp, and the teardown's close then
 * answers whatever was still pending (RAFT_SHUTDOWN) into this memory,
 * which is still valid, instead of into a stack frame that is gone. For
 * the same reason the hooks record what is wrong instead of asserting: an
 * assertion inside a libuv callback would longjmp out of uv_run midway
 * through an iteration (libuv keeps the check handles it is walking on
 * that frame) and out of libraft midway through its own bookkeeping. */
struct uv_world {
    uv_loop_t loop;                /* one loop for every node */
    char dir[64];                  /* temp root */
    unsigned n;                    /* nodes in use */
    struct uv_node nodes[N_SERVERS];
    unsigned overlaps;             /* hook saw two publishers at once */
    unsigned hook_errors;          /* hook calls with impossible values */
    struct uv_submit submit;       /* the one submit of uv_run_cmd */
    struct uv_transfer transfer;   /* the one transfer of the witness test */
};

static struct uv_world *g_uv; /* hooks find the world through it */

static unsigned uv_publishers(void)
{
    unsigned count = 0;
    int64_t now = hamd_mono_ns();
    for (unsigned i = 0; i < g_uv->n; i++)
        if (g_uv->nodes[i].cluster &&
            hamd_cluster_publishing(g_uv->nodes[i].cluster, now))
            count++;
    return count;
}

static void uv_on_role(void *ud, enum hamd_cluster_role role, uint64_t term,
                       uint64_t leader)
{
    (void)term;
    (void)leader;
    struct uv_node *n = ud;
    n->role = role;
    if (role == HAMD_CLUSTER_LEADER)
        n->ever_led = true;
}

static void uv_on_lease(void *ud, bool publishing, uint64_t term,
                        int64_t until)
{
    struct uv_node *n = ud;
    /* a lease belongs to a term; a granted one has an end, a lost one
     * none (when the end falls is the lease's business, tested with fake
     * time in test_lease.c: a loaded host may run this after it) */
    if (term == 0 || (publishing ? until <= 0 : until != 0))
        g_uv->hook_errors++;
    n->publishing = publishing;
    if (publishing) {
        n->lease_grants++;
        n->ever_published = true;
        if (uv_publishers() > 1)
            g_uv->overlaps++;
    }
}

static void uv_on_change(void *ud, enum hamd_cmd_type type)
{
    (void)type;
    ((struct uv_node *)ud)->changes++;
}

static uint16_t uv_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* The cluster options of one node with the seeds they point into. */
struct uv_opts {
    struct hamd_cluster_opts o;                /* given to hamd_cluster_new */
    struct hamd_account accounts[2];           /* o.seed_accounts */
    char subs[2][HAMD_VT_SYMBOL_MAX];          /* o.seed_subs */
};

/* Options for node id of n_peers (0 = standalone) with two seeds. */
static struct uv_opts *uv_config(struct uv_world *w, unsigned id,
                                     unsigned n_peers, const uint16_t *ports,
                                     unsigned witness_id)
{
    struct uv_opts *u = calloc(1, sizeof *u);
    struct hamd_cluster_opts *cfg = &u->o;
    cfg->node_id = id;
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s/node%u", w->dir, id);
    cfg->n_peers = n_peers;
    for (unsigned i = 0; i < n_peers; i++) {
        cfg->peers[i].id = i + 1;
        snprintf(cfg->peers[i].raft, sizeof cfg->peers[i].raft,
                 "127.0.0.1:%u", ports[i]);
        cfg->peers[i].witness = i + 1 == witness_id;
    }
    cfg->election_timeout_ms = UV_ELECTION_MS;
    cfg->heartbeat_ms = UV_HEARTBEAT_MS;
    cfg->witness_election_timeout_ms = UV_WITNESS_ELECTION_MS;
    cfg->lease_margin_ms = UV_MARGIN_MS;
    cfg->snapshot_threshold = UV_SNAPSHOT_THRESHOLD;
    cfg->snapshot_trailing = UV_SNAPSHOT_TRAILING;
    cfg->event_history = EVENTS_MAX;
    u->accounts[0] = fx_account("sim_a", 1);
    u->accounts[1] = fx_account("sim_b", 2);
    cfg->n_seed_accounts = 2;
    cfg->seed_accounts = u->accounts;
    strcpy(u->subs[0], "rb2601.SHFE");
    strcpy(u->subs[1], "m2609.DCE");
    cfg->n_seed_subs = 2;
    cfg->seed_subs = (const char (*)[HAMD_VT_SYMBOL_MAX])u->subs;
    return u;
}

/* Opens the store and starts the cluster of node i. */
static void uv_node_start(struct uv_world *w, unsigned i)
{
    struct uv_node *n = &w->nodes[i];
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/store", n->cfg->o.data_dir);
    n->store = hamd_store_new(path);
    assert_non_null(n->store);
    struct hamd_cluster_hooks hooks = {.ud = n, .on_role = uv_on_role,
                                       .on_lease = uv_on_lease,
                                       .on_change = uv_on_change};
    n->cluster = hamd_cluster_new(&w->loop, &n->cfg->o, n->store, &hooks);
    assert_non_null(n->cluster);
    n->closed = false;
    n->publishing = false;
    assert_int_equal(hamd_cluster_start(n->cluster), 0);
}

static void uv_on_closed(void *ud, int status)
{
    if (status != 0)
        g_uv->hook_errors++;
    ((struct uv_node *)ud)->closed = true;
}

/* Runs the loop until pred(w, arg) or the deadline; returns pred. */
static bool uv_wait(struct uv_world *w, bool (*pred)(struct uv_world *, void *),
                    void *arg)
{
    int64_t deadline = hamd_mono_ns() + UV_WAIT_NS;
    while (!pred(w, arg) && hamd_mono_ns() < deadline)
        uv_run(&w->loop, UV_RUN_ONCE);
    return pred(w, arg);
}

static bool uv_all_closed(struct uv_world *w, void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < w->n; i++)
        if (w->nodes[i].cluster && !w->nodes[i].closed)
            return false;
    return true;
}

/* Closes every node's cluster and store (data stays on disk). */
static void uv_stop_all(struct uv_world *w)
{
    for (unsigned i = 0; i < w->n; i++)
        if (w->nodes[i].cluster)
            hamd_cluster_close(w->nodes[i].cluster, uv_on_closed,
                               &w->nodes[i]);
    assert_true(uv_wait(w, uv_all_closed, NULL));
    for (unsigned i = 0; i < w->n; i++) {
        hamd_cluster_destroy(&w->nodes[i].cluster);
        hamd_store_destroy(&w->nodes[i].store);
    }
    assert_int_equal(w->hook_errors, 0);
}

static int uv_setup(void **state)
{
    struct uv_world *w = calloc(1, sizeof *w);
    strcpy(w->dir, "/tmp/hamd_test_cluster_XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    assert_int_equal(uv_loop_init(&w->loop), 0);
    g_uv = w;
    *state = w;
    return 0;
}

static int uv_teardown(void **state)
{
    struct uv_world *w = *state;
    uv_stop_all(w);
    for (unsigned i = 0; i < w->n; i++)
        free(w->nodes[i].cfg);
    uv_run(&w->loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&w->loop), 0);
    unit_rm_tree(w->dir);
    free(w);
    g_uv = NULL;
    return 0;
}

static void uv_submit_cb(void *ud, int status,
                         const struct hamd_apply_result *res)
{
    struct uv_submit *s = ud;
    s->done = true;
    s->status = status;
    if (status == 0)
        s->res = *res;
}

static bool uv_submit_done(struct uv_world *w, void *arg)
{
    (void)w;
    return ((struct uv_submit *)arg)->done;
}

/* Submits cmd (freed) on node i and waits for the answer (w->submit). */
static int uv_run_cmd(struct uv_world *w, unsigned i, struct hamd_cmd *cmd)
{
    struct uv_submit *s = &w->submit;
    memset(s, 0, sizeof *s);
    int rc = hamd_cluster_submit(w->nodes[i].cluster, cmd, uv_submit_cb, s);
    hamd_cmd_free(cmd);
    if (rc)
        return rc;
    assert_true(uv_wait(w, uv_submit_done, s));
    return s->status;
}

static bool uv_has_publisher(struct uv_world *w, void *arg)
{
    unsigned *who = arg;
    for (unsigned i = 0; i < w->n; i++)
        if (w->nodes[i].publishing && w->nodes[i].cluster &&
            hamd_cluster_publishing(w->nodes[i].cluster, hamd_mono_ns())) {
            *who = i;
            return true;
        }
    return false;
}

static bool uv_all_seeded(struct uv_world *w, void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < w->n; i++)
        if (!hamd_store_seeded(w->nodes[i].store))
            return false;
    return true;
}

/* Every store holds `seq` events and the same data as node 0. */
static bool uv_converged(struct uv_world *w, void *arg)
{
    uint64_t seq = *(uint64_t *)arg;
    void *ref, *other;
    size_t ref_len, other_len;
    bool same = true;
    for (unsigned i = 0; i < w->n; i++)
        if (hamd_store_events_last_seq(w->nodes[i].store) != seq)
            return false;
    if (hamd_store_snapshot(w->nodes[0].store, &ref, &ref_len))
        return false;
    for (unsigned i = 1; same && i < w->n; i++) {
        if (hamd_store_snapshot(w->nodes[i].store, &other, &other_len))
            return false;
        same = other_len == ref_len && memcmp(ref, other, ref_len) == 0;
        free(other);
    }
    free(ref);
    return same;
}

static void test_uv_standalone(void **state)
{
    struct uv_world *w = *state;
    const struct uv_submit *s = &w->submit;
    struct hamd_cmd c;
    unsigned who;
    w->n = 1;
    w->nodes[0].cfg = uv_config(w, 1, 0, NULL, 0);
    uv_node_start(w, 0);
    struct hamd_cluster *cl = w->nodes[0].cluster;
    /* nothing is reported from inside start */
    assert_int_equal(w->nodes[0].role, HAMD_CLUSTER_UNAVAILABLE);
    assert_true(uv_wait(w, uv_has_publisher, &who));
    assert_int_equal(w->nodes[0].role, HAMD_CLUSTER_STANDALONE);
    assert_true(hamd_cluster_is_leader(cl));
    assert_int_equal(hamd_cluster_term(cl), 1);
    assert_int_equal(hamd_cluster_lease_until_ns(cl), INT64_MAX);
    assert_true(uv_wait(w, uv_all_seeded, NULL));

    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_DEL);
    strcpy(c.account_id, "ghost");
    assert_int_equal(uv_run_cmd(w, 0, &c), 0);
    assert_int_equal(s->res.status, HAMD_APPLY_NOT_FOUND);
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_RUN);
    strcpy(c.account_id, "sim_b");
    c.flag = false;
    assert_int_equal(uv_run_cmd(w, 0, &c), 0);
    assert_int_equal(s->res.status, HAMD_APPLY_OK);
    assert_false(hamd_store_account_running(w->nodes[0].store, "sim_b"));
    assert_int_equal(hamd_cluster_transfer(cl, 0, NULL, NULL), -RAFT_NOTFOUND);
    assert_int_equal(hamd_cluster_applied_index(cl), 3); /* seed, del, run */

    /* restart: data kept, no second seed overwrites it */
    uv_stop_all(w);
    uv_node_start(w, 0);
    assert_true(uv_wait(w, uv_has_publisher, &who));
    hamd_cmd_init(&c, HAMD_CMD_PAUSE);
    c.flag = true;
    assert_int_equal(uv_run_cmd(w, 0, &c), 0);
    assert_false(hamd_store_account_running(w->nodes[0].store, "sim_b"));
    assert_int_equal(hamd_cluster_applied_index(w->nodes[0].cluster), 4);
}

static void uv_start_three(struct uv_world *w, const uint16_t *ports,
                           unsigned witness_id)
{
    w->n = N_SERVERS;
    for (unsigned i = 0; i < N_SERVERS; i++) {
        if (!w->nodes[i].cfg)
            w->nodes[i].cfg = uv_config(w, i + 1, N_SERVERS, ports,
                                        witness_id);
        uv_node_start(w, i);
    }
}

/* A leader and a follower that knows it, as node indexes. */
struct uv_pair {
    unsigned leader;   /* publishing */
    unsigned follower; /* follower whose leader id is leader + 1 */
};

/* Someone publishes and another node follows it knowingly: right after a
 * stall of the host the followers may not know the leader yet. */
static bool uv_follower_knows_leader(struct uv_world *w, void *arg)
{
    struct uv_pair *p = arg;
    if (!uv_has_publisher(w, &p->leader))
        return false;
    for (unsigned i = 0; i < w->n; i++)
        if (i != p->leader && w->nodes[i].role == HAMD_CLUSTER_FOLLOWER &&
            hamd_cluster_leader_id(w->nodes[i].cluster) == p->leader + 1) {
            p->follower = i;
            return true;
        }
    return false;
}

/* A publisher whose term is newer than `term`; who is set on success. */
struct uv_newer {
    uint64_t term; /* the term a write was refused in */
    unsigned who;  /* the publisher found */
};

static bool uv_publisher_after(struct uv_world *w, void *arg)
{
    struct uv_newer *n = arg;
    return uv_has_publisher(w, &n->who) &&
           hamd_cluster_term(w->nodes[n->who].cluster) > n->term;
}

/* What raft answers a write when the node it went to stopped leading
 * (an overloaded host misses heartbeats and the cluster elects again). */
static bool uv_leadership_refusal(int status)
{
    return status == -RAFT_NOTLEADER || status == -RAFT_LEADERSHIPLOST;
}

/* Builds the command of a write; landed tells from a store whether it was
 * applied there. */
typedef void (*uv_make_fn)(struct hamd_cmd *c, int arg);
typedef bool (*uv_landed_fn)(struct hamd_store *s, int arg);

/* Writes through the publisher as a client does, until the write is
 * acknowledged or found applied. A write refused for leadership may still
 * commit (LEADERSHIPLOST: it can be in the next leader's log), so it is
 * not simply sent again: once a publisher of a newer term exists, its
 * lease's first barrier has committed, and with it everything of older
 * terms that will ever commit, and that publisher's store says whether
 * the write landed. Only a write that did not land is sent again, so the
 * history holds it once. Never more than UV_WRITE_TRIES_MAX sends. */
static void uv_client_write(struct uv_world *w, uv_make_fn make,
                            uv_landed_fn landed, int arg)
{
    struct uv_newer after = {.term = 0};
    for (unsigned tries = 0; tries < UV_WRITE_TRIES_MAX; tries++) {
        struct hamd_cmd c;
        assert_true(uv_wait(w, uv_publisher_after, &after));
        if (tries > 0 && landed(w->nodes[after.who].store, arg))
            return;
        after.term = hamd_cluster_term(w->nodes[after.who].cluster);
        make(&c, arg);
        int rc = uv_run_cmd(w, after.who, &c);
        if (rc == 0) {
            assert_int_equal(w->submit.res.status, HAMD_APPLY_OK);
            return;
        }
        assert_true(uv_leadership_refusal(rc));
    }
    fail_msg("a write refused %d times for leadership", UV_WRITE_TRIES_MAX);
}

/* The EVENT {"n": n}: events are written in order 1, 2, ..., so event n
 * landed when the history holds n of them. */
static bool uv_event_landed(struct hamd_store *s, int n)
{
    return hamd_store_events_last_seq(s) >= (uint64_t)n;
}

/* ASSIGN rb2601.SHFE to sim_b (arg unused). */
static void uv_assign_cmd(struct hamd_cmd *c, int arg)
{
    (void)arg;
    hamd_cmd_init(c, HAMD_CMD_ASSIGN);
    hamd_cmd_add_assign(c, "rb2601.SHFE", "sim_b");
}

static bool uv_assign_landed(struct hamd_store *s, int arg)
{
    (void)arg;
    char id[HAMD_ACCOUNT_ID_MAX];
    return hamd_store_assign_get(s, "rb2601.SHFE", id) == 0 &&
           strcmp(id, "sim_b") == 0;
}

/* The most on_change calls any node saw (one that caught up through a
 * snapshot sees one change for all it missed). */
static unsigned uv_most_changes(const struct uv_world *w)
{
    unsigned most = 0;
    for (unsigned i = 0; i < w->n; i++)
        if (w->nodes[i].changes > most)
            most = w->nodes[i].changes;
    return most;
}

/* Acknowledged writes survive stopping every node; node 3 even loses its
 * LMDB and rebuilds it from the Raft log (entries padded to 8 bytes, or
 * libraft 0.15 would drop them here). Seeds are not applied twice. Writes
 * go through uv_client_write, so a leader change midway (a loaded host) is
 * handled as a client handles it, not mistaken for a lost write. */
static void test_uv_cluster_restart_keeps_acked_writes(void **state)
{
    struct uv_world *w = *state;
    struct hamd_cmd c;
    uint16_t ports[N_SERVERS];
    struct uv_pair p;
    for (unsigned i = 0; i < N_SERVERS; i++)
        ports[i] = uv_free_port();
    uv_start_three(w, ports, 0);
    assert_true(uv_wait(w, uv_all_seeded, NULL));

    /* the loop does not run between the wait and the submit: p.follower
     * is still a follower, which refuses at once */
    assert_true(uv_wait(w, uv_follower_knows_leader, &p));
    hamd_cmd_init(&c, HAMD_CMD_PAUSE);
    assert_int_equal(uv_run_cmd(w, p.follower, &c), -RAFT_NOTLEADER);

    const int n_events = 2 * UV_SNAPSHOT_THRESHOLD; /* forces snapshots */
    for (int i = 1; i <= n_events; i++)
        uv_client_write(w, unit_event_cmd, uv_event_landed, i);
    uv_client_write(w, uv_assign_cmd, uv_assign_landed, 0);
    uint64_t seq = (uint64_t)n_events;
    assert_true(uv_wait(w, uv_converged, &seq));
    assert_true(uv_most_changes(w) >= (unsigned)n_events);

    uv_stop_all(w);
    char store3[PATH_MAX + 16];
    snprintf(store3, sizeof store3, "%s/store", w->nodes[2].cfg->o.data_dir);
    unit_rm_tree(store3);
    uv_start_three(w, ports, 0);
    uv_client_write(w, unit_event_cmd, uv_event_landed, n_events + 1);
    seq = (uint64_t)n_events + 1;
    assert_true(uv_wait(w, uv_converged, &seq));
    for (unsigned i = 0; i < N_SERVERS; i++) {
        char id[HAMD_ACCOUNT_ID_MAX];
        assert_int_equal(hamd_store_assign_get(w->nodes[i].store,
                                               "rb2601.SHFE", id), 0);
        assert_string_equal(id, "sim_b");
        assert_true(hamd_store_seeded(w->nodes[i].store));
    }
    assert_int_equal(w->overlaps, 0);
}

static bool uv_witness_led_and_left(struct uv_world *w, void *arg)
{
    unsigned *who = arg;
    return w->nodes[2].role == HAMD_CLUSTER_FOLLOWER &&
           hamd_cluster_leader_id(w->nodes[2].cluster) != 3 &&
           uv_has_publisher(w, who);
}

static void uv_transfer_cb(void *ud, int status, uint64_t leader)
{
    struct uv_transfer *t = ud;
    t->done = true;
    t->status = status;
    t->leader = leader;
}

static bool uv_transfer_done(struct uv_world *w, void *arg)
{
    (void)w;
    return ((struct uv_transfer *)arg)->done;
}

/* Hands leadership from the publisher to the witness (node 3) once and
 * waits until the witness passed it on. Returns false when that try did
 * not get leadership to the witness for a reason of load, not of the
 * code: the leader lost leadership before the call (NOTLEADER), the
 * witness did not win within libraft's election timeout (CANCELED), or
 * another node won the election the transfer started. */
static bool uv_witness_try(struct uv_world *w, unsigned *leader)
{
    struct uv_transfer *t = &w->transfer;
    assert_true(uv_wait(w, uv_has_publisher, leader));
    assert_true(*leader != 2);
    unsigned from = *leader;
    w->nodes[2].ever_led = false; /* only this transfer's election counts */
    memset(t, 0, sizeof *t);
    int rc = hamd_cluster_transfer(w->nodes[from].cluster, 3, uv_transfer_cb,
                                   t);
    if (rc == -RAFT_NOTLEADER)
        return false;
    assert_int_equal(rc, 0);
    /* the lease is given up before the transfer goes out */
    assert_false(w->nodes[from].publishing);
    assert_true(uv_wait(w, uv_transfer_done, t));
    if (t->status == -RAFT_CANCELED)
        return false;
    assert_int_equal(t->status, 0);
    /* The witness may already have passed leadership on when the old
     * leader's callback runs: it reports 3 or the witness's successor. */
    assert_true(t->leader != from + 1);
    assert_true(uv_wait(w, uv_witness_led_and_left, leader));
    return w->nodes[2].ever_led;
}

/* Node 3 is a witness: handed the leadership, it passes it on at once
 * and never reports publishing. */
static void test_uv_witness_never_publishes(void **state)
{
    struct uv_world *w = *state;
    uint16_t ports[N_SERVERS];
    unsigned leader = 0; /* set by uv_wait */
    unsigned tries = 0;
    for (unsigned i = 0; i < N_SERVERS; i++)
        ports[i] = uv_free_port();
    uv_start_three(w, ports, 3);
    assert_true(hamd_cluster_is_witness(w->nodes[2].cluster));
    while (!uv_witness_try(w, &leader))
        assert_true(++tries < UV_TRANSFER_TRIES_MAX);
    assert_true(w->nodes[2].ever_led);
    assert_true(leader != 2);
    assert_false(w->nodes[2].ever_published);
    assert_int_equal(w->overlaps, 0);
}

/* Starts three nodes on free ports; returns the publisher's index. */
static unsigned uv_start_three_publishing(struct uv_world *w)
{
    uint16_t ports[N_SERVERS];
    unsigned leader = 0; /* set by uv_wait */
    for (unsigned i = 0; i < N_SERVERS; i++)
        ports[i] = uv_free_port();
    uv_start_three(w, ports, 0);
    assert_true(uv_wait(w, uv_has_publisher, &leader));
    return leader;
}

/* libraft 0.15 may answer a leader it no longer knows (id 0, address
 * NULL) when a follower's disk append completes after its term changed:
 * raft_uv's send read the NULL address and the node died (SIGSEGV, this
 * fixture on a stalled host). The cluster's send refuses such a message
 * and the cluster goes on. */
static void test_uv_send_to_no_one_refused(void **state)
{
    struct uv_world *w = *state;
    unsigned leader = uv_start_three_publishing(w);
    struct hamd_cluster *c = w->nodes[(leader + 1) % N_SERVERS].cluster;
    struct raft_io_send req;
    struct raft_message m;
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_APPEND_ENTRIES_RESULT;
    assert_int_equal(c->io.send(&c->io, &req, &m, NULL), RAFT_NOCONNECTION);
    m.server_id = leader + 1; /* an id without its address */
    assert_int_equal(c->io.send(&c->io, &req, &m, NULL), RAFT_NOCONNECTION);
    assert_int_equal(c->sends_to_no_one, 2);
    uv_client_write(w, unit_event_cmd, uv_event_landed, 1);
}

/* raft_uv ticks libraft as often as the fixture test above shows pays
 * (test_fixture_fine_tick_stands_on_time), and the cluster sees each
 * message first (test_fixture_refused_prevote_makes_follower_stand): the
 * cluster wraps its start. */
static void test_uv_raft_ticks_finer_than_heartbeat(void **state)
{
    struct uv_world *w = *state;
    uv_start_three_publishing(w); /* libraft started on every node */
    for (unsigned i = 0; i < N_SERVERS; i++) {
        unsigned tick_ms = w->nodes[i].cluster->raft_tick_ms;
        assert_int_equal(tick_ms, hamd_election_tick_ms(UV_HEARTBEAT_MS));
        assert_true(tick_ms > 0 && tick_ms < UV_HEARTBEAT_MS);
        /* and each message passes cluster_prevote_seen first */
        assert_non_null(w->nodes[i].cluster->raft_recv_cb);
    }
}

/* A start that fails (raft port taken) reports the error; close and
 * destroy still release everything. */
static void test_uv_start_failure_closes_cleanly(void **state)
{
    struct uv_world *w = *state;
    uint16_t ports[1] = {uv_free_port()};
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(ports[0])};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 1), 0);
    w->n = 1;
    w->nodes[0].cfg = uv_config(w, 1, 1, ports, 0);
    struct uv_node *n = &w->nodes[0];
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/store", n->cfg->o.data_dir);
    n->store = hamd_store_new(path);
    struct hamd_cluster_hooks hooks = {.ud = n, .on_lease = uv_on_lease};
    n->cluster = hamd_cluster_new(&w->loop, &n->cfg->o, n->store, &hooks);
    assert_non_null(n->cluster);
    assert_int_not_equal(hamd_cluster_start(n->cluster), 0);
    struct hamd_cmd c;
    hamd_cmd_init(&c, HAMD_CMD_PAUSE);
    assert_int_equal(hamd_cluster_submit(n->cluster, &c, NULL, NULL),
                     -RAFT_NOTLEADER);
    close(fd);
    /* uv_teardown closes and destroys it */
}

/* Bad configurations are refused by hamd_cluster_new. */
static void test_uv_bad_config_refused(void **state)
{
    struct uv_world *w = *state;
    uint16_t ports[2] = {7001, 7002};
    struct hamd_store *s;
    char path[PATH_MAX + 16];
    w->n = 1;
    w->nodes[0].cfg = uv_config(w, 1, 2, ports, 0);
    struct hamd_cluster_opts *cfg = &w->nodes[0].cfg->o;
    snprintf(path, sizeof path, "%s/store", cfg->data_dir);
    s = hamd_store_new(path);
    strcpy(cfg->peers[1].raft, "node2.example:7002"); /* not IPv4 */
    assert_null(hamd_cluster_new(&w->loop, cfg, s, NULL));
    strcpy(cfg->peers[1].raft, "127.0.0.1:70000");
    assert_null(hamd_cluster_new(&w->loop, cfg, s, NULL));
    strcpy(cfg->peers[1].raft, "127.0.0.1:7002");
    cfg->node_id = 5; /* no [peer.5] */
    assert_null(hamd_cluster_new(&w->loop, cfg, s, NULL));
    cfg->node_id = 1;
    cfg->lease_margin_ms = cfg->election_timeout_ms;
    assert_null(hamd_cluster_new(&w->loop, cfg, s, NULL));
    cfg->lease_margin_ms = UV_MARGIN_MS;
    cfg->heartbeat_ms = cfg->election_timeout_ms;
    assert_null(hamd_cluster_new(&w->loop, cfg, s, NULL));
    hamd_store_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fixture_stores_converge,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_fixture_lagging_server_restores_snapshot, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_fixture_partitioned_leader_lease_never_overlaps, fx_setup,
            fx_teardown),
        cmocka_unit_test(test_fixture_fine_tick_stands_on_time),
        cmocka_unit_test(test_fixture_refused_prevote_makes_follower_stand),
        cmocka_unit_test(test_fixture_refusing_candidate_retries),
        cmocka_unit_test(test_fixture_witness_grants_after_the_voters_timeout),
        cmocka_unit_test(test_fixture_witness_ahead_stands),
        cmocka_unit_test_setup_teardown(
            test_fixture_partitioned_leader_lease_never_overlaps,
            fx_setup_hamd, fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_fixture_witness_lease_never_overlaps, fx_setup_hamd,
            fx_teardown),
        cmocka_unit_test_setup_teardown(test_uv_standalone, uv_setup,
                                        uv_teardown),
        cmocka_unit_test_setup_teardown(
            test_uv_cluster_restart_keeps_acked_writes, uv_setup, uv_teardown),
        cmocka_unit_test_setup_teardown(test_uv_witness_never_publishes,
                                        uv_setup, uv_teardown),
        cmocka_unit_test_setup_teardown(test_uv_send_to_no_one_refused,
                                        uv_setup, uv_teardown),
        cmocka_unit_test_setup_teardown(test_uv_raft_ticks_finer_than_heartbeat,
                                        uv_setup, uv_teardown),
        cmocka_unit_test_setup_teardown(test_uv_start_failure_closes_cleanly,
                                        uv_setup, uv_teardown),
        cmocka_unit_test_setup_teardown(test_uv_bad_config_refused, uv_setup,
                                        uv_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
