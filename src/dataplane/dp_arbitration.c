/* Data plane: first-arrival arbitration (docs/failover.md, "Arbitration
 * modes").
 *
 * In a contract of a `first` exchange every eligible source may supply it:
 * a hot source that serves the exchange and that this node's health
 * monitor judges HEALTHY (hamd_dataplane_source_eligible). The arbiter
 * publishes the first copy of each tick from any of them and drops the
 * later copies (core/arbiter.c, rule 1). The tick path pays one bit test
 * for it: the set is kept per contract and recomputed here only when a
 * source comes, goes, or changes health.
 *
 * Holding (a lapse, a follower) is unchanged: every eligible source's
 * copies are held like the active source's, and the flush that ends the
 * hold merges them in arrival order. A source that becomes eligible while
 * the node sends live has its kept ticks sent at once: during a stall of
 * the active source they are the ticks the contract lacks. */
#include <string.h>

#include "common/clock.h"
#include "dataplane/dp_internal.h"

void dp_arb_contract_mode(struct hamd_dataplane *dp, struct dp_contract *c)
{
    const char *dot = strrchr(c->vt_symbol, '.');
    enum hamd_arb_mode mode = dp->opts.arbitration;
    for (unsigned i = 0; dot && i < dp->opts.n_arb_exchanges; i++)
        if (strcmp(dp->opts.arb_exchanges[i].exchange, dot + 1) == 0)
            mode = dp->opts.arb_exchanges[i].mode;
    c->first = mode == HAMD_ARB_MODE_FIRST;
}

void dp_arb_contract_eligible(struct hamd_dataplane *dp, struct dp_contract *c,
                              int64_t now_ns)
{
    uint32_t eligible = c->first ? c->served & dp->eligible : 0;
    if (eligible == c->arb.eligible)
        return;
    /* While the gate holds (a lapse, a follower) what a newcomer kept
     * waits for the flush that ends the hold. */
    struct hamd_gate_lease lease = dp_lease(dp);
    bool holding = dp_gate_tick(dp, &lease, now_ns) != HAMD_GATE_TICK_SEND;
    struct dp_replay r = {dp, c, now_ns};
    hamd_arb_set_eligible(&c->arb, &dp->opts.limits, eligible, now_ns,
                          holding ? NULL : dp_replay_emit, &r);
}

void dp_arb_refresh(struct hamd_dataplane *dp, int64_t now_ns)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(dp->contracts, &cursor, &key, &val))
        dp_arb_contract_eligible(dp, val, now_ns);
}

void dp_arb_source_eligible(struct hamd_dataplane *dp, const char *account,
                            bool eligible)
{
    struct dp_source *s = hamd_strmap_get(dp->by_account, account);
    if (!s)
        return; /* gone already: its slot was cleared */
    uint32_t bit = 1u << (s - dp->sources);
    uint32_t now = eligible ? dp->eligible | bit : dp->eligible & ~bit;
    if (now == dp->eligible)
        return;
    dp->eligible = now;
    LOG_DEBUG("arbitration: %s %s supply first-arrival contracts", account,
              eligible ? "may" : "may no longer");
    dp_arb_refresh(dp, hamd_mono_ns());
}
