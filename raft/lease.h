/* The leader lease: when a Raft leader may publish (docs/consensus.md). PURE: time
 * comes in as an argument (monotonic ns), nothing here reads a clock or
 * does I/O.
 *
 * Why leadership alone is not enough: a libraft 0.15 leader that is cut
 * off keeps believing it leads until its own election timeout passes
 * without a majority answering (Ongaro 2014, §6.2), while the rest of the
 * cluster may already have elected a successor: measured overlaps reach
 * ~200 ms. Two publishers at once would hand clients two tick streams.
 *
 * The rule: the leader starts a barrier (an empty log entry) at t0 and, if
 * it commits, may publish while now < t0 + election_timeout - margin. It
 * renews continuously by keeping one barrier in flight at a time.
 *
 * Safety argument (the "leader lease" of Ongaro 2014, §6.4.1, with
 * pre-vote, §9.6):
 *  1. The barrier commits only once a majority M of voters has stored it
 *     in the leader's term T. Every follower F in M received it at some
 *     t_F >= t0 (the entry did not exist before t0) and, receiving an
 *     AppendEntries from its current leader, restarted its election timer
 *     at t_F.
 *  2. Any new leader needs the votes (and, with pre-vote, first the
 *     pre-votes) of a majority, which shares at least one server with M.
 *  3. libraft 0.15 refuses a (pre-)vote while the receiver knows a current
 *     leader (§4.2.3 "disruptive servers"; recv_request_vote.c), and a
 *     follower forgets its leader only when its randomized election timer
 *     fires, at the earliest election_timeout after t_F (hamd fires it
 *     earlier on a pre-vote request, raft/election.h, but never before
 *     election_timeout has passed since the follower's last contact,
 *     which is t_F or later; a witness forgets its leader on a pre-vote
 *     request by the same bound, hamd_election_witness_forgets, not by its
 *     own longer timeout). The old leader,
 *     itself in M, votes for nobody while it leads and steps down no
 *     earlier than election_timeout after the last majority contact,
 *     which also happened after t0.
 *  4. Hence no server of M votes for a newer term before t0 +
 *     election_timeout, so no other leader exists before that instant,
 *     as long as every voter's election timeout is >= the one used here
 *     (a witness's is longer, but it grants from the voters' one on).
 * The margin absorbs clock-rate differences between hosts and the delay
 * between this decision and the data plane acting on it. Two exceptions
 * the caller must handle: a leadership transfer (TimeoutNow makes the
 * target campaign with disrupt_leader, bypassing step 3) — so void the
 * lease (hamd_lease_step_down) BEFORE calling raft_transfer and start no
 * barrier until it ends; and a barrier of an older term must never grant a
 * lease in a newer one (handled here).
 *
 * The lease never moves backwards: a barrier that commits late cannot
 * shorten it. On leadership loss or a term change it is void at once.
 */
#ifndef HAMD_RAFT_LEASE_H
#define HAMD_RAFT_LEASE_H

#include <stdbool.h>
#include <stdint.h>

/* Lease state of one node. Zero-initialise through hamd_lease_init. */
struct hamd_lease {
    int64_t span_ns;         /* election_timeout - margin */
    uint64_t term;           /* term of the leadership the lease belongs to */
    bool in_flight;          /* a barrier is pending */
    uint64_t flight_term;    /* term the pending barrier was started in */
    int64_t flight_t0_ns;    /* when the pending barrier was started */
    bool granted;            /* a barrier of `term` has committed */
    int64_t until_ns;        /* publishing allowed while now < until_ns */
};

/* Sets up a void lease; span = election_ms - margin_ms (0 if negative,
 * i.e. never valid). */
void hamd_lease_init(struct hamd_lease *l, unsigned election_ms,
                     unsigned margin_ms);

/* Asks to start a barrier now as leader of term. Returns true when the
 * caller must start one (and later report it with hamd_lease_barrier_done
 * passing the same term and now_ns as t0); false when one is already in
 * flight or the term is older than the lease's. A newer term voids the
 * lease first. */
bool hamd_lease_barrier_begin(struct hamd_lease *l, uint64_t term,
                              int64_t now_ns);

/* Reports the outcome of the barrier started at t0_ns in term. status 0 =
 * committed: extends the lease to t0 + span (never backwards) and returns
 * true. Non-zero status voids the lease. A report that does not match the
 * barrier in flight (stale term or t0, or after a step-down) is ignored.
 * Returns true only when the lease was extended. */
bool hamd_lease_barrier_done(struct hamd_lease *l, uint64_t term,
                             int64_t t0_ns, int status);

/* Voids the lease and forgets the barrier in flight: leadership lost, a
 * term change, or a transfer about to start. */
void hamd_lease_step_down(struct hamd_lease *l);

/* True while publishing is allowed at now_ns. */
bool hamd_lease_valid(const struct hamd_lease *l, int64_t now_ns);

/* End of the lease (monotonic ns, exclusive), or 0 when void. */
int64_t hamd_lease_until_ns(const struct hamd_lease *l);

/* Term of the current lease (the fencing token ticks carry), 0 if none. */
uint64_t hamd_lease_term(const struct hamd_lease *l);

/* True while a barrier is pending. */
bool hamd_lease_in_flight(const struct hamd_lease *l);

#endif /* HAMD_RAFT_LEASE_H */
