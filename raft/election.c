/* When a node stands for election: see election.h. */
#include "raft/election.h"

unsigned hamd_election_tick_ms(unsigned heartbeat_ms)
{
    return heartbeat_ms < HAMD_ELECTION_TICK_MS ? heartbeat_ms
                                                : HAMD_ELECTION_TICK_MS;
}

unsigned hamd_election_stand_ms(unsigned timeout_ms, unsigned election_ms,
                                uint64_t timer_start_ms, uint64_t now_ms)
{
    if (now_ms < timer_start_ms)
        return timeout_ms; /* a clock that went back: keep libraft's draw */
    uint64_t silent_ms = now_ms - timer_start_ms;
    if (silent_ms < election_ms || silent_ms >= timeout_ms)
        return timeout_ms; /* the leader is recent, or the timer is due */
    return (unsigned)silent_ms;
}

unsigned hamd_election_retry_ms(unsigned timeout_ms, uint64_t timer_start_ms,
                                uint64_t now_ms)
{
    if (now_ms < timer_start_ms)
        return timeout_ms; /* a clock that went back: keep libraft's draw */
    uint64_t elapsed_ms = now_ms - timer_start_ms;
    if (elapsed_ms >= timeout_ms)
        return timeout_ms; /* due already */
    return elapsed_ms > 0 ? (unsigned)elapsed_ms : 1;
}
