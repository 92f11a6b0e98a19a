/* When a node stands for election: rules hamd adds to libraft 0.15's
 * timing (docs/consensus.md §6). PURE: times come in as arguments (ms),
 * nothing here reads a clock, touches libraft or does I/O; cluster.c
 * applies them.
 *
 * What they shorten. A dead (or cut-off) leader is replaced once a
 * follower stands and the other grants it a pre-vote; libraft 0.15 refuses
 * a (pre-)vote while the receiver still knows a leader, and a follower
 * forgets its leader only when its own randomized timer fires, drawn from
 * [T, T + T x jitter] (T the election timeout). So the failover waited for
 * the *later* of the two followers' draws, and for the libraft tick after
 * it, which raft_uv runs once a heartbeat.
 *
 * And a leader whose last entry reached one follower only leaves a
 * follower that cannot win (the other refuses it: its log is behind) and
 * one that can but was refused first (the other still knew the leader),
 * which tried again only at its next draw, T or more later.
 *
 * Why the lease stays safe (raft/lease.h, step 3): it needs only that no
 * voter grants a vote within T of its last contact with the leader. The
 * rules fire a follower's timer earlier, never before T has passed since
 * that contact, and a candidate's, which no voter's refusal depends on. */
#ifndef HAMD_RAFT_ELECTION_H
#define HAMD_RAFT_ELECTION_H

#include <stdbool.h>
#include <stdint.h>

/* libraft's tick interval for a heartbeat of heartbeat_ms: at most every
 * HAMD_ELECTION_TICK_MS, never less often than a heartbeat. libraft looks
 * at its timers on a tick alone, so a timer fires up to a tick late. */
#define HAMD_ELECTION_TICK_MS 10
unsigned hamd_election_tick_ms(unsigned heartbeat_ms);

/* A follower that still knows a leader received another server's pre-vote
 * request (or, knowing none, refused one: cluster_refusal_sent). timeout_ms
 * is its drawn election timeout, counted from
 * timer_start_ms (its last contact with the leader), election_ms the
 * baseline T. Returns the timeout to use from now: the drawn one while
 * the leader was heard from within T (the request is refused, as libraft
 * refuses it); else the time already elapsed, so the follower stands at
 * its next tick. The candidate it refused, still a candidate, then grants
 * it a pre-vote: the failover waits for the *earlier* follower's draw. */
unsigned hamd_election_stand_ms(unsigned timeout_ms, unsigned election_ms,
                                uint64_t timer_start_ms, uint64_t now_ms);

/* A pre-candidate refused another's pre-vote. Knowing no leader itself, it
 * refuses only a server whose log (or term) is behind its own: that one
 * cannot win, and would leave this one to try again at its own draw, T
 * or more after it stood, while the other, campaigning, would grant it
 * now. timeout_ms is its drawn timeout counted from timer_start_ms (when
 * it stood). Returns the timeout to use from now: the time already
 * elapsed (at least 1 ms), so it tries again at its next tick; the draw
 * if that is due already. A candidate's retry is no part of the lease's
 * argument (voters still refuse while they know a leader). */
unsigned hamd_election_retry_ms(unsigned timeout_ms, uint64_t timer_start_ms,
                                uint64_t now_ms);

/* A witness (a voter whose election timeout is longer than the full
 * voters' election_ms, so that they, who can publish, win) that still
 * knows a leader received a pre-vote request. Under libraft's rule it
 * refuses until its own, longer timer fires: a full voter left alone
 * with it after the leader died could not win before that, and the
 * witness itself stood and won first, then handed over (~1 s in the
 * chaos lab's witness_kill_hosts, against ~0.3 s with three voters).
 * Returns true when it should forget the leader instead, so that libraft
 * grants the pre-vote (the log permitting): once election_ms has passed
 * since its last contact with the leader, the lease's own condition
 * (raft/lease.h, step 3, as for any voter). It does not stand itself. */
bool hamd_election_witness_forgets(unsigned election_ms,
                                   uint64_t timer_start_ms, uint64_t now_ms);

#endif /* HAMD_RAFT_ELECTION_H */
