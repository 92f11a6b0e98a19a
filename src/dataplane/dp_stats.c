/* Data plane: the statistics handed to the control plane every
 * stats_interval_ms (health inputs, /api/status, /metrics).
 *
 * They are running totals kept where the values change (ticks and replay
 * rings counted by the arbiter, core/arbiter.h; cached contracts by the
 * cache), not sums over the contracts: a walk of 5,200 contracts every
 * 50 ms cost ~7 contract visits per tick at a market's 14,000 ticks/s,
 * ~10 % of the hub's work (docs/performance.md). The one value that is a
 * maximum, how far a source lags behind another on any contract, is
 * found by a walk of only the contracts two sources or more can touch
 * (the "multi" list): on the others it is 0. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "dataplane/dp_internal.h"

/* The bits of a source mask that name a source slot. */
#define DP_SOURCE_BITS ((uint32_t)((1ull << HAMD_ARB_MAX_SOURCES) - 1))

/* ------------------------------------------------------------------------
 * Contracts two sources can touch
 * ------------------------------------------------------------------------ */

/* True when a source can lag behind another on c: two sources serve it
 * or delivered it. A source that went away leaves its bit in rx_from,
 * since its last receipt stays c's freshest. */
static bool contract_multi(const struct dp_contract *c)
{
    uint32_t touch = c->served | c->rx_from;
    return (touch & (touch - 1)) != 0;
}

/* Takes c off the list. */
static void multi_remove(struct hamd_dataplane *dp, struct dp_contract *c)
{
    if (!c->multi_slot)
        return;
    struct dp_contract *last = dp->multi[--dp->multi_len];
    dp->multi[c->multi_slot - 1] = last;
    last->multi_slot = c->multi_slot;
    c->multi_slot = 0;
}

/* Puts c on the list; false when out of memory. */
static bool multi_add(struct hamd_dataplane *dp, struct dp_contract *c)
{
    if (dp->multi_len == dp->multi_cap) {
        uint32_t cap = dp->multi_cap ? dp->multi_cap * 2 : DP_MULTI_INITIAL;
        struct dp_contract **grown = realloc(dp->multi, cap * sizeof *grown);
        if (!grown)
            return false;
        dp->multi = grown;
        dp->multi_cap = cap;
    }
    dp->multi[dp->multi_len++] = c;
    c->multi_slot = dp->multi_len;
    return true;
}

/* Gives c its per-source receive times, once. Until now one source at
 * most delivered it, and freshest_rx_ns is that source's last receipt.
 * False when out of memory. */
static bool rx_times_ensure(struct dp_contract *c)
{
    if (c->last_rx_ns)
        return true;
    c->last_rx_ns = calloc(HAMD_ARB_MAX_SOURCES, sizeof *c->last_rx_ns);
    if (!c->last_rx_ns)
        return false;
    for (int s = 0; s < HAMD_ARB_MAX_SOURCES; s++)
        if (c->rx_from & (1u << s))
            c->last_rx_ns[s] = c->freshest_rx_ns;
    return true;
}

void dp_stats_contract_touched(struct hamd_dataplane *dp, struct dp_contract *c)
{
    bool multi = contract_multi(c);
    if (multi && !c->multi_slot && !(rx_times_ensure(c) && multi_add(dp, c)))
        LOG_ERROR("data plane: out of memory: the staleness of %s is not "
                  "watched",
                  c->vt_symbol);
    else if (!multi)
        multi_remove(dp, c);
}

void dp_stats_contract_forget(struct hamd_dataplane *dp, struct dp_contract *c)
{
    multi_remove(dp, c);
    free(c->last_rx_ns);
    c->last_rx_ns = NULL;
}

void dp_stats_free(struct hamd_dataplane *dp)
{
    free(dp->multi);
    dp->multi = NULL;
    dp->multi_len = dp->multi_cap = 0;
}

/* ------------------------------------------------------------------------
 * The refresh
 * ------------------------------------------------------------------------ */

/* How long source s, which serves contract c, has been silent on it while
 * another source delivered it (0 when s is the freshest or has not said
 * HELLO). c is on the multi list, so it has its per-source receive times
 * (rx_times_ensure comes before multi_add). */
static int64_t contract_lag_ns(const struct dp_contract *c,
                               const struct dp_source *src, int s)
{
    if (src->st.hello_ns == 0)
        return 0;
    int64_t since = c->last_rx_ns[s] > src->st.hello_ns ? c->last_rx_ns[s]
                                                        : src->st.hello_ns;
    return c->freshest_rx_ns > since ? c->freshest_rx_ns - since : 0;
}

/* Each source's worst lag over the contracts it can lag on. It runs on
 * the data thread every stats_interval_ms over every contract two sources
 * serve (all 5,000 with a hot standby), so it visits only the sources
 * that serve each one, usually two, not all HAMD_ARB_MAX_SOURCES slots: a
 * source that does not serve c has no lag on it. */
static void lag_scan(struct hamd_dataplane *dp,
                     int64_t worst_lag_ns[HAMD_ARB_MAX_SOURCES])
{
    for (uint32_t i = 0; i < dp->multi_len; i++) {
        const struct dp_contract *c = dp->multi[i];
        for (uint32_t m = c->served & DP_SOURCE_BITS; m; m &= m - 1) {
            int s = __builtin_ctz(m);
            if (!dp->sources[s].used)
                continue;
            int64_t lag = contract_lag_ns(c, &dp->sources[s], s);
            if (lag > worst_lag_ns[s])
                worst_lag_ns[s] = lag;
        }
    }
}

/* Gives freed heap pages back to the system after bursts (the start-up
 * replay, a backlog, a big snapshot) left much memory free between live
 * allocations, which glibc would otherwise keep for good. Rarely and only
 * then: malloc_trim walks the whole heap with its arenas locked, a stall
 * of milliseconds on the tick path (measured: 6 - 12 ms at 46 MB). */
static void heap_trim_due(struct hamd_dataplane *dp, int64_t now_ns)
{
    if (now_ns < dp->next_trim_ns)
        return;
    dp->next_trim_ns = now_ns + (int64_t)DP_TRIM_INTERVAL_MS * HAMD_NS_PER_MS;
    if (mallinfo2().fordblks >= DP_TRIM_FREE_MIN_BYTES)
        malloc_trim(0);
}

/* The per-source part: staleness, mean latency of the period, kept
 * ticks. */
static void stats_sources(struct hamd_dataplane *dp, struct hamd_dp_stats *st)
{
    int64_t worst_lag_ns[HAMD_ARB_MAX_SOURCES] = {0};
    lag_scan(dp, worst_lag_ns);
    for (int s = 0; s < HAMD_ARB_MAX_SOURCES; s++) {
        struct dp_source *src = &dp->sources[s];
        if (!src->used)
            continue;
        src->st.staleness_ms = worst_lag_ns[s] / HAMD_NS_PER_MS;
        if (src->latency_n > 0)
            src->st.latency_ms = src->latency_sum_ms / (int64_t)src->latency_n;
        src->latency_sum_ms = 0;
        src->latency_n = 0;
        src->st.replay_ticks = dp->arb_totals.kept[s];
        st->sources[st->n_sources++] = src->st;
    }
}

void dp_stats_refresh(struct hamd_dataplane *dp, int64_t now_ns)
{
    heap_trim_due(dp, now_ns);
    dp->next_stats_ns = now_ns + (int64_t)dp->opts.stats_interval_ms * HAMD_NS_PER_MS;
    struct hamd_dp_stats st;
    memset(&st, 0, sizeof st);
    stats_sources(dp, &st);
    st.cached = dp->cached;
    st.replay_bytes = dp->arb_totals.bytes;
    st.contracts = hamd_strmap_size(dp->contracts);
    st.published = dp->published;
    st.pub_errors = dp->pub_errors;
    st.unknown_source = dp->unknown_source;
    st.unsubscribed = dp->unsubscribed;
    st.snapshots = dp->snapshots;
    struct hamd_gate_lease lease = dp_lease(dp);
    st.publishing = hamd_gate_may_publish(&dp->gate, &lease, now_ns);
    st.follow_msgs = dp->follow_msgs;
    st.follow_age_ms = dp_follow_silence_ms(dp, now_ns);
    st.follow_ticks = dp->follow && dp->follow_mode.read == HAMD_FOLLOWMODE_TICKS;
    st.wm_sent = dp->wm_sent;
    st.takeover_replayed = dp->takeover_replayed;
    st.replay_lost = dp->replay_lost;
    st.relaying = dp->relaying;
    st.relay_ticks_out = dp->relay_ticks_out;
    st.relay_ticks_in = dp->relay_ticks_in;
    st.relay_unsolicited = dp->relay_unsolicited;
    st.relay_bad = dp->relay_bad;
    st.relay_refused = dp->relay_refused;
    st.clients_refused = dp->clients_refused;
    pthread_mutex_lock(&dp->lock);
    dp->stats = st;
    pthread_mutex_unlock(&dp->lock);
}
