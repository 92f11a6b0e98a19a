/* Cluster lifecycle and getters: see cluster.h. Polling and the lease are
 * in cluster_poll.c, proposals and transfers in cluster_submit.c. */
#include "raft/cluster_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "raft/election.h"
#include "raft/fsutil.h"
#include "raft/heap.h"

#define CLUSTER_RAFT_SUBDIR "raft"   /* <data_dir>/raft: the Raft log */
#define CLUSTER_RAFT_DIR_MODE 0700   /* holds replicated secrets */
#define CLUSTER_PORT_MAX 65535
#define CLUSTER_LOOP_HANDLES 3       /* check, tick, kick */

/* ------------------------------------------------------------------------
 * Creation
 * ------------------------------------------------------------------------ */

/* True for "a.b.c.d:port": raft_uv_tcp accepts IPv4 literals only. */
static bool cluster_ipv4_addr_ok(const char *addr)
{
    char host[INET_ADDRSTRLEN];
    struct in_addr in;
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host)
        return false;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return inet_pton(AF_INET, host, &in) == 1 && colon[1] && !*end &&
           port > 0 && port <= CLUSTER_PORT_MAX;
}

/* Checks what start relies on; logs the first problem. */
static bool cluster_opts_ok(const struct hamd_cluster_opts *cfg,
                            const struct hamd_cluster_peer **self)
{
    *self = NULL;
    if (cfg->n_peers > HAMD_CLUSTER_PEERS_MAX) {
        LOG_ERROR("raft: %u peers, at most %d", cfg->n_peers,
                  HAMD_CLUSTER_PEERS_MAX);
        return false;
    }
    for (unsigned i = 0; i < cfg->n_peers; i++) {
        if (!cluster_ipv4_addr_ok(cfg->peers[i].raft)) {
            LOG_ERROR("raft: [peer.%u] raft = '%s' is not IPv4:port",
                      cfg->peers[i].id, cfg->peers[i].raft);
            return false;
        }
        if (cfg->peers[i].id == cfg->node_id)
            *self = &cfg->peers[i];
    }
    if (cfg->n_peers && !*self) {
        LOG_ERROR("raft: node id %u has no [peer.%u] section", cfg->node_id,
                  cfg->node_id);
        return false;
    }
    if (cfg->heartbeat_ms == 0 || cfg->heartbeat_ms >= cfg->election_timeout_ms ||
        cfg->heartbeat_ms >= cfg->witness_election_timeout_ms ||
        cfg->lease_margin_ms >= cfg->election_timeout_ms) {
        LOG_ERROR("raft: need 0 < heartbeat_ms (%u) < election timeouts "
                  "(%u, witness %u) and lease_margin_ms (%u) < "
                  "election_timeout_ms",
                  cfg->heartbeat_ms, cfg->election_timeout_ms,
                  cfg->witness_election_timeout_ms, cfg->lease_margin_ms);
        return false;
    }
    return true;
}

static void cluster_on_change(void *ud, enum hamd_cmd_type type)
{
    struct hamd_cluster *c = ud;
    if (c->hooks.on_change)
        c->hooks.on_change(c->hooks.ud, type);
}

/* Registers the loop handles now so close can always release them. */
static void cluster_handles_init(struct hamd_cluster *c)
{
    uv_check_init(c->loop, &c->check);
    uv_timer_init(c->loop, &c->tick);
    uv_timer_init(c->loop, &c->kick);
    c->check.data = c;
    c->tick.data = c;
    c->kick.data = c;
}

struct hamd_cluster *hamd_cluster_new(uv_loop_t *loop,
                                      const struct hamd_cluster_opts *cfg,
                                      struct hamd_store *store,
                                      const struct hamd_cluster_hooks *hooks)
{
    const struct hamd_cluster_peer *self;
    if (!cluster_opts_ok(cfg, &self))
        return NULL;
    struct hamd_cluster *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fsm = hamd_fsm_new(store, cfg->event_history);
    if (!c->fsm) {
        free(c);
        return NULL;
    }
    c->loop = loop;
    c->opts = *cfg;
    c->store = store;
    if (hooks)
        c->hooks = *hooks;
    c->self = self ? &c->opts.peers[self - cfg->peers] : NULL;
    c->standalone = cfg->n_peers == 0;
    c->joining = self && self->join;
    c->heartbeat_ns = (int64_t)cfg->heartbeat_ms * HAMD_NS_PER_MS;
    c->election_ns = (int64_t)cfg->election_timeout_ms * HAMD_NS_PER_MS;
    hamd_lease_init(&c->lease, cfg->election_timeout_ms, cfg->lease_margin_ms);
    hamd_fsm_set_on_change(c->fsm, cluster_on_change, c);
    cluster_handles_init(c);
    return c;
}

/* ------------------------------------------------------------------------
 * Start
 * ------------------------------------------------------------------------ */

/* Bootstraps the [peer.N] without join = true, all as voters: witnesses
 * vote, they only never lead for long. Identical on every node that
 * bootstraps, as libraft requires. Returns 0 or a libraft error; *fresh
 * tells whether the Raft directory was empty. */
static int cluster_bootstrap(struct hamd_cluster *c, bool *fresh)
{
    struct raft_configuration conf;
    int rc = 0;
    *fresh = false;
    raft_configuration_init(&conf);
    for (unsigned i = 0; rc == 0 && i < c->opts.n_peers; i++)
        if (!c->opts.peers[i].join)
            rc = raft_configuration_add(&conf, c->opts.peers[i].id,
                                        c->opts.peers[i].raft, RAFT_VOTER);
    if (rc == 0)
        rc = raft_bootstrap(&c->raft, &conf);
    raft_configuration_close(&conf);
    if (rc == RAFT_CANTBOOTSTRAP)
        return 0; /* restart: the log already holds the configuration */
    if (rc == 0) {
        *fresh = true;
        LOG_INFO("raft: bootstrapped a new cluster log in %s", c->raft_dir);
    }
    return rc;
}

/* A brand-new Raft log replays from index 1, so a store left from an
 * older incarnation of this node would skip those indexes: drop it, and
 * have the node reconcile with the empty store from the loop. */
static int cluster_store_reset(struct hamd_cluster *c)
{
    if (hamd_store_wipe(c->store))
        return RAFT_IOERR;
    c->store_wiped = true;
    return 0;
}

/* raft_io.random, which libraft uses for one thing only: drawing each
 * election timeout from [T, 2T]. A leader's death is noticed only when
 * the *second* follower's timer fires (libraft refuses a (pre-)vote while
 * it still knows a leader, raft/lease.h), so a failover waits for the
 * later of two draws: with T = 300 ms about 512 ms (median) after the
 * last heartbeat. Drawn from [T, T + T x election_jitter_pct / 100]
 * instead, the wait shrinks with the range while no timeout gets shorter
 * than T, which the lease's safety needs. A narrower range makes two
 * candidates at once (a split vote, one more timeout) likelier; pre-vote
 * keeps that rare (docs/configuration.md). */
static int cluster_random(struct raft_io *io, int min, int max)
{
    struct raft *r = io->data;
    const struct hamd_cluster *c = r->data;
    unsigned pct = c->opts.election_jitter_pct ? c->opts.election_jitter_pct
                                               : 100; /* 0: libraft's */
    int span = (int)((long)(max - min) * pct / 100);
    return span > 0 ? c->io_random(io, min, min + span) : min;
}

/* raft_io.send, refusing a message addressed to no server. libraft 0.15
 * (Debian bookworm's) answers the leader it knew when a follower's disk
 * append or snapshot install completes, even when its term changed
 * meanwhile and it knows no leader any more (id 0, address NULL):
 * raft_uv then reads the NULL address and the node dies (SIGSEGV in
 * strlen, seen in test_cluster_fixture on a stalled host; fixed upstream
 * in canonical/raft v0.17.1, "Don't respond to AppendEntries if
 * role/term has changed"). The answer is dropped, as that fix drops it:
 * refused with RAFT_NOCONNECTION, which libraft handles as any send that
 * fails at once (it frees the request; the leader of the new term
 * retries what it needs). A message whose write fails is sent once more
 * (resend.h). */
static int cluster_send(struct raft_io *io, struct raft_io_send *req,
                        const struct raft_message *message,
                        raft_io_send_cb cb)
{
    struct raft *r = io->data;
    struct hamd_cluster *c = r->data;
    if (message->server_id == 0 || message->server_address == NULL) {
        c->sends_to_no_one++;
        LOG_DEBUG("raft: dropped a message (type %u) to no server: the term "
                  "changed while it was prepared",
                  (unsigned)message->type);
        return RAFT_NOCONNECTION;
    }
    cluster_refusal_sent(r, message, c->opts.election_timeout_ms);
    return hamd_resend_send(&c->resend, io, req, message, cb);
}

/* hamd_resend_ops.may_retry: raft_uv takes no send once closing. */
static bool cluster_may_resend(void *ud)
{
    const struct hamd_cluster *c = ud;
    return !c->closing;
}

/* A pre-vote request reached this server: a follower that has not heard
 * from its leader for the election timeout stands at its next tick
 * instead of at its own draw (election.h). libraft refuses the request
 * itself (this follower still knows a leader); the candidate, refused,
 * then grants this one's. Only the follower's timer is touched.
 *
 * A witness (its election timeout longer than the voters' election_ms)
 * forgets its leader instead, and libraft grants the request: it clears
 * the id alone, as libraft's own conversions start with (the address
 * stays allocated for libraft to free or replace; a send to id 0 is
 * dropped by cluster_send). The next AppendEntries of a live leader
 * sets it again. */
void cluster_prevote_seen(struct raft *r, const struct raft_message *m,
                          unsigned election_ms)
{
    if (m->type != RAFT_IO_REQUEST_VOTE || !m->request_vote.pre_vote ||
        r->state != RAFT_FOLLOWER ||
        r->follower_state.current_leader.id == 0)
        return; /* libraft grants or refuses it on its own */
    uint64_t now_ms = r->io->time(r->io);
    if (r->election_timeout > election_ms) {
        if (hamd_election_witness_forgets(election_ms, r->election_timer_start,
                                          now_ms))
            r->follower_state.current_leader.id = 0;
        return;
    }
    unsigned *timeout_ms = &r->follower_state.randomized_election_timeout;
    *timeout_ms = hamd_election_stand_ms(*timeout_ms, r->election_timeout,
                                         r->election_timer_start, now_ms);
}

/* This server answers a pre-vote: a pre-candidate that refuses one (the
 * other's log is behind its own) tries again at its next tick instead of
 * at its draw (election.h): the other, campaigning, grants it now. Only
 * this candidate's timer is touched, and only in its pre-vote phase: a
 * real candidate waits for its votes.
 *
 * A follower that knows no leader refuses a pre-vote for the same reason
 * only. Silent for the voters' election_ms (no leader, no vote granted:
 * either restarts its timer), it stands at its next tick (the stand
 * rule's timing): a witness that forgot its dead leader
 * (cluster_prevote_seen) and holds the leader's last entry, which the
 * full voter missed, is then the only server that can win; it leads and
 * hands over (cluster_poll.c) instead of leaving the cluster leaderless
 * until its own, longer timer fires. */
void cluster_refusal_sent(struct raft *r, const struct raft_message *m,
                          unsigned election_ms)
{
    if (m->type != RAFT_IO_REQUEST_VOTE_RESULT ||
        m->request_vote_result.pre_vote != raft_tribool_true ||
        m->request_vote_result.vote_granted)
        return;
    uint64_t now_ms = r->io->time(r->io);
    if (r->state == RAFT_CANDIDATE && r->candidate_state.in_pre_vote) {
        unsigned *timeout_ms = &r->candidate_state.randomized_election_timeout;
        *timeout_ms = hamd_election_retry_ms(*timeout_ms,
                                             r->election_timer_start, now_ms);
    } else if (r->state == RAFT_FOLLOWER &&
               r->follower_state.current_leader.id == 0) {
        unsigned *timeout_ms = &r->follower_state.randomized_election_timeout;
        *timeout_ms = hamd_election_stand_ms(*timeout_ms, election_ms,
                                             r->election_timer_start, now_ms);
    }
}

/* libraft's receive callback, seen first by cluster_prevote_seen. */
static void cluster_recv_cb(struct raft_io *io, struct raft_message *m)
{
    struct raft *r = io->data;
    struct hamd_cluster *c = r->data;
    cluster_prevote_seen(r, m, c->opts.election_timeout_ms);
    c->raft_recv_cb(io, m);
}

/* raft_io.start, ticking libraft every hamd_election_tick_ms instead of
 * every heartbeat, and seeing each message first (cluster_recv_cb).
 * libraft 0.15 looks at its timers only on a tick: a follower whose
 * election timeout passed campaigns at the next one, and a leader whose
 * first AppendEntries a follower refused (its log differs: the old
 * leader's last entry reached one follower only) retries at the first
 * tick a heartbeat after the refused send. With 50 ms ticks each adds up
 * to 50 ms to a failover (up to 100 ms before the new leader's first
 * barrier, and so its lease, commits: seen in the chaos lab's
 * partition_leader). A tick only checks, so a finer one sends nothing
 * more: heartbeats still go once a heartbeat and every timeout stays what
 * it was. */
static int cluster_start_io(struct raft_io *io, unsigned msecs,
                            raft_io_tick_cb tick_cb, raft_io_recv_cb recv_cb)
{
    struct raft *r = io->data;
    struct hamd_cluster *c = r->data;
    c->raft_tick_ms = hamd_election_tick_ms(msecs);
    c->raft_recv_cb = recv_cb;
    return c->io_start(io, c->raft_tick_ms, tick_cb, cluster_recv_cb);
}

/* Applies the [raft] settings; witnesses wait longer before campaigning. */
static void cluster_tune(struct hamd_cluster *c)
{
    const struct hamd_cluster_opts *cfg = &c->opts;
    bool witness = c->self->witness;
    raft_set_election_timeout(&c->raft, witness
                                            ? cfg->witness_election_timeout_ms
                                            : cfg->election_timeout_ms);
    raft_set_heartbeat_timeout(&c->raft, cfg->heartbeat_ms);
    raft_set_pre_vote(&c->raft, true);
    if (cfg->snapshot_threshold)
        raft_set_snapshot_threshold(&c->raft, cfg->snapshot_threshold);
    if (cfg->snapshot_trailing)
        raft_set_snapshot_trailing(&c->raft, cfg->snapshot_trailing);
}

/* raft_uv transport, I/O and instance; flags say what close must undo. */
static int cluster_raft_init(struct hamd_cluster *c)
{
    int rc = snprintf(c->raft_dir, sizeof c->raft_dir, "%s/%s",
                      c->opts.data_dir, CLUSTER_RAFT_SUBDIR);
    if (rc < 0 || (size_t)rc >= sizeof c->raft_dir)
        return -ENAMETOOLONG;
    rc = hamd_raft_mkdir_p(c->raft_dir, CLUSTER_RAFT_DIR_MODE);
    if (rc)
        return rc;
    hamd_raft_heap_install(); /* before libraft allocates anything */
    if ((rc = raft_uv_tcp_init(&c->transport, c->loop)) != 0)
        return rc;
    c->transport_inited = true;
    if ((rc = raft_uv_init(&c->io, c->loop, c->raft_dir, &c->transport)) != 0)
        return rc;
    c->io_inited = true;
    rc = raft_init(&c->raft, &c->io, hamd_fsm_raft(c->fsm), c->self->id,
                   c->self->raft);
    if (rc)
        return rc;
    c->raft_inited = true;
    c->raft.data = c;
    hamd_fsm_set_index_source(c->fsm, hamd_fsm_raft_next_index, &c->raft);
    c->io_random = c->io.random;
    c->io.random = cluster_random;
    c->io_send = c->io.send;
    c->resend = (struct hamd_resend_ops){c->io_send, cluster_may_resend, c, 0};
    c->io.send = cluster_send;
    c->io_start = c->io.start;
    c->io.start = cluster_start_io;
    cluster_tune(c);
    return 0;
}

static void cluster_on_check(uv_check_t *h)
{
    cluster_poll(h->data);
}

static void cluster_on_tick(uv_timer_t *h)
{
    cluster_poll(h->data);
}

static void cluster_on_kick(uv_timer_t *h)
{
    struct hamd_cluster *c = h->data;
    if (c->store_wiped && !c->closing) {
        c->store_wiped = false;
        cluster_on_change(c, HAMD_FSM_CHANGE_ALL);
    }
    if (c->standalone) {
        cluster_standalone_report(c);
        cluster_deliver_done(c);
    } else {
        cluster_poll(c);
    }
}

/* The most specific libraft diagnostic available after a failure. */
static const char *cluster_errmsg(struct hamd_cluster *c)
{
    if (c->raft_inited && raft_errmsg(&c->raft)[0])
        return raft_errmsg(&c->raft);
    if (c->io_inited && c->io.errmsg[0])
        return c->io.errmsg;
    if (c->transport_inited && c->transport.errmsg[0])
        return c->transport.errmsg;
    return "no detail";
}

/* A joining node's log is empty until the leader adds it: with no
 * configuration libraft keeps it a follower that never campaigns. */
static int cluster_join_start(struct hamd_cluster *c)
{
    int rc = raft_start(&c->raft);
    if (rc || c->raft.configuration.n > 0)
        return rc; /* failed, or a restart of a node added before */
    LOG_INFO("raft: node %llu starts in join mode ([peer.%llu] join = "
             "true): no bootstrap; add it with `hactl members add %llu`",
             (unsigned long long)c->self->id, (unsigned long long)c->self->id,
             (unsigned long long)c->self->id);
    return cluster_store_reset(c);
}

/* Bootstraps (first run only), then starts. */
static int cluster_bootstrap_start(struct hamd_cluster *c)
{
    bool fresh;
    int rc = cluster_bootstrap(c, &fresh);
    if (rc == 0 && fresh)
        rc = cluster_store_reset(c);
    return rc ? rc : raft_start(&c->raft);
}

/* Raft mode: init, bootstrap or join, start, begin polling. */
static int cluster_start_raft(struct hamd_cluster *c)
{
    int rc = cluster_raft_init(c);
    if (rc == 0)
        rc = c->joining ? cluster_join_start(c) : cluster_bootstrap_start(c);
    if (rc) {
        LOG_ERROR("raft: start in %s at %s failed: %s (%s)", c->raft_dir,
                  c->self->raft, rc < 0 ? strerror(-rc) : raft_strerror(rc),
                  cluster_errmsg(c));
        return rc;
    }
    LOG_INFO("raft: node %llu started at %s (%u peers)",
             (unsigned long long)c->self->id, c->self->raft, c->opts.n_peers);
    uv_check_start(&c->check, cluster_on_check);
    uv_timer_start(&c->tick, cluster_on_tick, (uint64_t)c->opts.heartbeat_ms,
                   (uint64_t)c->opts.heartbeat_ms);
    return 0;
}

void cluster_kick(struct hamd_cluster *c)
{
    uv_timer_start(&c->kick, cluster_on_kick, 0, 0);
}

int hamd_cluster_start(struct hamd_cluster *c)
{
    if (c->started || c->closing)
        return RAFT_BUSY;
    c->started = true;
    int rc = c->standalone ? 0 : cluster_start_raft(c);
    if (rc == 0)
        cluster_kick(c);
    return rc;
}

/* ------------------------------------------------------------------------
 * Close
 * ------------------------------------------------------------------------ */

/* One handle or the raft instance finished closing. */
static void cluster_close_step(struct hamd_cluster *c)
{
    if (--c->close_pending == 0 && c->close_cb)
        c->close_cb(c->close_ud, 0);
}

static void cluster_on_handle_closed(uv_handle_t *h)
{
    cluster_close_step(h->data);
}

/* raft_close completed: only now may the I/O objects be released. */
static void cluster_on_raft_closed(struct raft *r)
{
    struct hamd_cluster *c = r->data;
    raft_uv_close(&c->io);
    raft_uv_tcp_close(&c->transport);
    cluster_close_step(c);
}

void hamd_cluster_close(struct hamd_cluster *c, hamd_cluster_close_cb cb,
                        void *ud)
{
    if (c->closing)
        return;
    c->closing = true;
    c->close_cb = cb;
    c->close_ud = ud;
    cluster_lease_lost(c);
    cluster_deliver_done(c);
    cluster_member_abort(c);
    c->close_pending = CLUSTER_LOOP_HANDLES;
    uv_close((uv_handle_t *)&c->check, cluster_on_handle_closed);
    uv_close((uv_handle_t *)&c->tick, cluster_on_handle_closed);
    uv_close((uv_handle_t *)&c->kick, cluster_on_handle_closed);
    if (c->raft_inited) {
        c->close_pending++;
        raft_close(&c->raft, cluster_on_raft_closed); /* fails pending reqs */
        return;
    }
    if (c->io_inited)
        raft_uv_close(&c->io);
    if (c->transport_inited)
        raft_uv_tcp_close(&c->transport);
}

void hamd_cluster_destroy(struct hamd_cluster **self)
{
    if (!self || !*self)
        return;
    hamd_fsm_destroy(&(*self)->fsm);
    free(*self);
    *self = NULL;
}

/* ------------------------------------------------------------------------
 * Getters
 * ------------------------------------------------------------------------ */

enum hamd_cluster_role hamd_cluster_role(const struct hamd_cluster *c)
{
    return c->role;
}

const char *hamd_cluster_role_name(enum hamd_cluster_role role)
{
    switch (role) {
    case HAMD_CLUSTER_FOLLOWER: return "follower";
    case HAMD_CLUSTER_CANDIDATE: return "candidate";
    case HAMD_CLUSTER_LEADER: return "leader";
    case HAMD_CLUSTER_STANDALONE: return "standalone";
    default: return "unavailable";
    }
}

bool hamd_cluster_is_leader(const struct hamd_cluster *c)
{
    return c->role == HAMD_CLUSTER_LEADER || c->role == HAMD_CLUSTER_STANDALONE;
}

uint64_t hamd_cluster_term(const struct hamd_cluster *c)
{
    return c->term;
}

uint64_t hamd_cluster_leader_id(const struct hamd_cluster *c)
{
    return c->leader_id;
}

bool hamd_cluster_is_witness(const struct hamd_cluster *c)
{
    return c->self && c->self->witness;
}

uint64_t hamd_cluster_commit_index(const struct hamd_cluster *c)
{
    if (c->raft_inited)
        return c->raft.commit_index;
    return hamd_store_applied_index(c->store);
}

uint64_t hamd_cluster_sends_retried(const struct hamd_cluster *c)
{
    return c->resend.retried;
}

uint64_t hamd_cluster_applied_index(const struct hamd_cluster *c)
{
    if (c->raft_inited)
        return raft_last_applied((struct raft *)&c->raft);
    return hamd_store_applied_index(c->store);
}

int64_t hamd_cluster_lease_until_ns(const struct hamd_cluster *c)
{
    if (c->standalone)
        return c->publishing ? CLUSTER_LEASE_FOREVER_NS : 0;
    return hamd_lease_until_ns(&c->lease);
}

bool hamd_cluster_publishing(const struct hamd_cluster *c, int64_t now_ns)
{
    if (c->standalone)
        return c->publishing;
    return !cluster_must_not_publish(c) && hamd_lease_valid(&c->lease, now_ns);
}

bool hamd_cluster_store_failed(const struct hamd_cluster *c)
{
    return hamd_fsm_failed(c->fsm);
}

bool cluster_must_not_publish(const struct hamd_cluster *c)
{
    return hamd_cluster_is_witness(c) || hamd_fsm_failed(c->fsm);
}
