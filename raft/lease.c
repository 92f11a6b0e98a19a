/* The leader lease: see lease.h for the rule and its safety argument. */
#include "raft/lease.h"

#include <string.h>

#define LEASE_NS_PER_MS 1000000LL /* pure: no common/clock.h here */

void hamd_lease_init(struct hamd_lease *l, unsigned election_ms,
                     unsigned margin_ms)
{
    memset(l, 0, sizeof *l);
    if (election_ms > margin_ms)
        l->span_ns = (int64_t)(election_ms - margin_ms) * LEASE_NS_PER_MS;
}

/* Voids the grant only; the term is kept so older barriers stay stale. */
static void lease_void(struct hamd_lease *l)
{
    l->granted = false;
    l->until_ns = 0;
}

bool hamd_lease_barrier_begin(struct hamd_lease *l, uint64_t term,
                              int64_t now_ns)
{
    if (term == 0 || term < l->term)
        return false;
    if (term > l->term) {
        hamd_lease_step_down(l);
        l->term = term;
    }
    if (l->in_flight)
        return false;
    l->in_flight = true;
    l->flight_term = term;
    l->flight_t0_ns = now_ns;
    return true;
}

bool hamd_lease_barrier_done(struct hamd_lease *l, uint64_t term,
                             int64_t t0_ns, int status)
{
    if (!l->in_flight || term != l->flight_term || t0_ns != l->flight_t0_ns ||
        term != l->term)
        return false;
    l->in_flight = false;
    if (status != 0) {
        lease_void(l);
        return false;
    }
    if (l->span_ns <= 0)
        return false;
    int64_t until = t0_ns + l->span_ns;
    if (l->granted && until <= l->until_ns)
        return false;
    l->granted = true;
    l->until_ns = until;
    return true;
}

void hamd_lease_step_down(struct hamd_lease *l)
{
    lease_void(l);
    l->in_flight = false;
}

bool hamd_lease_valid(const struct hamd_lease *l, int64_t now_ns)
{
    return l->granted && now_ns < l->until_ns;
}

int64_t hamd_lease_until_ns(const struct hamd_lease *l)
{
    return l->granted ? l->until_ns : 0;
}

uint64_t hamd_lease_term(const struct hamd_lease *l)
{
    return l->granted ? l->term : 0;
}

bool hamd_lease_in_flight(const struct hamd_lease *l)
{
    return l->in_flight;
}
