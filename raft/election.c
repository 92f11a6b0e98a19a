/* When a node stands for election: see election.h. */
#include "raft/election.h"

unsigned hamd_election_tick_ms(unsigned heartbeat_ms)
{
    return heartbeat_ms < HAMD_ELECTION_TICK_MS ? heartbeat_ms
                                                : HAMD_ELECTION_TICK_MS;
}

/* The timeout that makes a timer started at timer_start_ms and drawn as
 * timeout_ms fire at its next tick: the time elapsed (at least 1 ms,
 * libraft fires at elapsed >= timeout); the draw itself when it is due
 * already, or when the clock went back. */
static unsigned due_now_ms(unsigned timeout_ms, uint64_t timer_start_ms,
                           uint64_t now_ms)
{
    if (now_ms < timer_start_ms)
        return timeout_ms;
    uint64_t elapsed_ms = now_ms - timer_start_ms;
    if (elapsed_ms >= timeout_ms)
        return timeout_ms;
    return elapsed_ms > 0 ? (unsigned)elapsed_ms : 1;
}

unsigned hamd_election_stand_ms(unsigned timeout_ms, unsigned election_ms,
                                uint64_t timer_start_ms, uint64_t now_ms)
{
    if (now_ms >= timer_start_ms && now_ms - timer_start_ms < election_ms)
        return timeout_ms; /* the leader is recent: libraft's refusal holds */
    return due_now_ms(timeout_ms, timer_start_ms, now_ms);
}

unsigned hamd_election_retry_ms(unsigned timeout_ms, uint64_t timer_start_ms,
                                uint64_t now_ms)
{
    return due_now_ms(timeout_ms, timer_start_ms, now_ms);
}

bool hamd_election_witness_forgets(unsigned election_ms,
                                   uint64_t timer_start_ms, uint64_t now_ms)
{
    /* a clock that went back proves nothing: keep the leader */
    return now_ms >= timer_start_ms && now_ms - timer_start_ms >= election_ms;
}
