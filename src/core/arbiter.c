/* Tick arbiter: routing, first arrival, newer-than-last guard, replay
 * window. See arbiter.h. */
#include "core/arbiter.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Modes
 * ------------------------------------------------------------------------ */

const char *hamd_arb_mode_name(enum hamd_arb_mode mode)
{
    switch (mode) {
    case HAMD_ARB_MODE_PRIORITY: return "priority";
    case HAMD_ARB_MODE_FIRST: return "first";
    }
    return "unknown";
}

bool hamd_arb_mode_parse(const char *text, enum hamd_arb_mode *out)
{
    if (text && strcmp(text, "priority") == 0)
        *out = HAMD_ARB_MODE_PRIORITY;
    else if (text && strcmp(text, "first") == 0)
        *out = HAMD_ARB_MODE_FIRST;
    else
        return false;
    return true;
}

/* ------------------------------------------------------------------------
 * Replay ring
 * ------------------------------------------------------------------------ */

static struct hamd_arb_slot *ring_at(struct hamd_arb_ring *r, unsigned i)
{
    return &r->slots[(r->head + i) & (r->cap - 1)];
}

/* Source s's ring of c, NULL when it keeps nothing. */
static struct hamd_arb_ring *ring_of(const struct hamd_arb_contract *c, int s)
{
    return c->rings ? c->rings->of[s] : NULL;
}

/* Bytes of a ring of cap slots. */
static uint64_t ring_bytes(unsigned cap)
{
    return sizeof(struct hamd_arb_ring) +
           sizeof(struct hamd_arb_slot) * (uint64_t)cap;
}

/* Source s of c keeps `ticks` more ticks in `bytes` more memory (either
 * may be negative): its totals follow. Every change of a ring's len or
 * cap goes through here. */
static void ring_counted(struct hamd_arb_contract *c, int s, int64_t ticks,
                         int64_t bytes)
{
    if (!c->totals)
        return;
    /* Unsigned wrap-around adds a negative change exactly. */
    c->totals->kept[s] += (uint64_t)ticks;
    c->totals->bytes += (uint64_t)bytes;
}

static void ring_pop_oldest(struct hamd_arb_contract *c, int s)
{
    struct hamd_arb_ring *r = ring_of(c, s);
    r->head = (r->head + 1) & (r->cap - 1);
    r->len--;
    ring_counted(c, s, -1, 0);
}

/* Empties source s's ring, keeping its memory. */
static void ring_clear(struct hamd_arb_contract *c, int s)
{
    struct hamd_arb_ring *r = ring_of(c, s);
    if (!r)
        return;
    ring_counted(c, s, -(int64_t)r->len, 0);
    r->len = 0;
}

static void ring_trim(struct hamd_arb_contract *c, int s,
                      const struct hamd_arb_limits *lim, int64_t now_ns)
{
    struct hamd_arb_ring *r = ring_of(c, s);
    while (r && r->len > 0 && now_ns - ring_at(r, 0)->rx_ns > lim->window_ns)
        ring_pop_oldest(c, s);
}

/* The largest capacity depth needs: the power of two at or above it. */
static unsigned cap_limit(const struct hamd_arb_limits *lim)
{
    unsigned cap = 1;
    while (cap < lim->depth)
        cap <<= 1;
    return cap;
}

/* Replaces source s's ring by one of new_cap slots holding the same
 * ticks (unwrapped); false when out of memory (the ring is then
 * unchanged). */
static bool ring_grow(struct hamd_arb_contract *c, int s, unsigned new_cap)
{
    struct hamd_arb_ring *old = ring_of(c, s);
    if (!c->rings && !(c->rings = calloc(1, sizeof *c->rings)))
        return false;
    struct hamd_arb_ring *r = malloc(ring_bytes(new_cap));
    if (!r) {
        if (c->rings->n == 0) {
            free(c->rings);
            c->rings = NULL;
        }
        return false;
    }
    r->cap = new_cap;
    r->head = 0;
    r->len = old ? old->len : 0;
    for (unsigned i = 0; i < r->len; i++)
        r->slots[i] = *ring_at(old, i);
    ring_counted(c, s, 0,
                 (int64_t)ring_bytes(new_cap) -
                     (old ? (int64_t)ring_bytes(old->cap) : 0));
    free(old);
    c->rings->n += old == NULL;
    c->rings->of[s] = r;
    return true;
}

static bool ring_push(struct hamd_arb_contract *c, int s,
                      const struct hamd_arb_limits *lim,
                      const struct hamd_tick *tick, int64_t now_ns)
{
    if (lim->depth == 0)
        return false;
    ring_trim(c, s, lim, now_ns);
    struct hamd_arb_ring *r = ring_of(c, s);
    unsigned cap = r ? r->cap : 0;
    if ((!r || r->len == cap) && cap < cap_limit(lim)) {
        unsigned first = HAMD_ARB_RING_MIN < cap_limit(lim) ? HAMD_ARB_RING_MIN
                                                            : cap_limit(lim);
        if (!ring_grow(c, s, cap ? cap * 2 : first))
            return false;
    }
    r = ring_of(c, s);
    /* Full at depth: the oldest tick makes room, the window slides. */
    while (r->len >= lim->depth || r->len == r->cap)
        ring_pop_oldest(c, s);
    struct hamd_arb_slot *slot = ring_at(r, r->len);
    slot->rx_ns = now_ns;
    slot->tick = *tick;
    r->len++;
    ring_counted(c, s, 1, 0);
    return true;
}

static void ring_release(struct hamd_arb_contract *c, int s)
{
    struct hamd_arb_ring *r = ring_of(c, s);
    if (!r)
        return;
    ring_counted(c, s, -(int64_t)r->len, -(int64_t)ring_bytes(r->cap));
    free(r);
    c->rings->of[s] = NULL;
    if (--c->rings->n == 0) {
        free(c->rings);
        c->rings = NULL;
    }
}

/* ------------------------------------------------------------------------
 * Contract
 * ------------------------------------------------------------------------ */

void hamd_arb_contract_init(struct hamd_arb_contract *c)
{
    memset(c, 0, sizeof *c);
    c->active = HAMD_ARB_NO_SOURCE;
}

void hamd_arb_contract_count(struct hamd_arb_contract *c,
                             struct hamd_arb_totals *totals)
{
    c->totals = totals;
}

void hamd_arb_contract_release(struct hamd_arb_contract *c)
{
    for (int i = 0; i < HAMD_ARB_MAX_SOURCES; i++)
        ring_release(c, i);
}

bool hamd_arb_is_stale(const struct hamd_arb_contract *c, int64_t datetime_ns,
                       double volume)
{
    return c->has_last && hamd_tick_cmp_age(datetime_ns, volume,
                                            c->last_datetime_ns,
                                            c->last_volume) <= 0;
}

static bool newer_than_last(const struct hamd_arb_contract *c,
                            const struct hamd_tick *tick)
{
    return !hamd_arb_is_stale(c, tick->datetime_ns, tick->volume);
}

static bool source_valid(int source)
{
    return source >= 0 && source < HAMD_ARB_MAX_SOURCES;
}

enum hamd_arb_verdict hamd_arb_offer(struct hamd_arb_contract *c,
                                     const struct hamd_arb_limits *lim,
                                     int source, const struct hamd_tick *tick,
                                     int64_t now_ns)
{
    if (!source_valid(source))
        return HAMD_ARB_DROPPED;
    /* The active source, or in first-arrival mode any eligible one: the
     * first copy of a tick goes out, later copies are not newer. */
    if (hamd_arb_supplies(c, source))
        return newer_than_last(c, tick) ? HAMD_ARB_PUBLISH : HAMD_ARB_STALE;
    /* A kept tick that is already not newer can never be replayed. */
    if (!newer_than_last(c, tick))
        return HAMD_ARB_STALE;
    /* Never published and not routed yet (a new subscription): its first
     * subscriber wants the current state, not a burst of history. */
    if (c->active == HAMD_ARB_NO_SOURCE && !c->has_last && lim->depth > 0) {
        static const struct hamd_arb_limits newest_only = {INT64_MAX, 1};
        ring_clear(c, source);
        lim = &newest_only;
    }
    return ring_push(c, source, lim, tick, now_ns) ? HAMD_ARB_KEPT
                                                            : HAMD_ARB_DROPPED;
}

void hamd_arb_published(struct hamd_arb_contract *c, const struct hamd_tick *tick)
{
    c->has_last = true;
    c->last_datetime_ns = tick->datetime_ns;
    c->last_volume = tick->volume;
}

/* The sources whose kept ticks a flush sends and the guard lets go of:
 * the active one and, in first-arrival mode, every eligible one. */
static uint32_t supplying(const struct hamd_arb_contract *c)
{
    uint32_t set = c->eligible;
    if (source_valid(c->active))
        set |= 1u << c->active;
    return set;
}

/* The source in set whose next kept tick (at pos) arrived first, the
 * active source on a tie; HAMD_ARB_NO_SOURCE when all are exhausted. */
static int earliest(struct hamd_arb_contract *c, uint32_t set,
                    const unsigned pos[HAMD_ARB_MAX_SOURCES])
{
    int best = HAMD_ARB_NO_SOURCE;
    int64_t best_rx = 0;
    for (int s = 0; s < HAMD_ARB_MAX_SOURCES; s++) {
        struct hamd_arb_ring *r = ring_of(c, s);
        if (!((set >> s) & 1u) || !r || pos[s] >= r->len)
            continue;
        int64_t rx = ring_at(r, pos[s])->rx_ns;
        if (best == HAMD_ARB_NO_SOURCE || rx < best_rx ||
            (rx == best_rx && s == c->active)) {
            best = s;
            best_rx = rx;
        }
    }
    return best;
}

unsigned hamd_arb_flush(struct hamd_arb_contract *c,
                        const struct hamd_arb_limits *lim, int64_t now_ns,
                        hamd_arb_emit_fn emit, void *ud)
{
    uint32_t set = supplying(c);
    unsigned pos[HAMD_ARB_MAX_SOURCES] = {0};
    for (int s = 0; s < HAMD_ARB_MAX_SOURCES; s++)
        if ((set >> s) & 1u)
            ring_trim(c, s, lim, now_ns);
    /* One ring in priority mode; in first-arrival mode a merge of a few,
     * by arrival: each emitted tick moves the guard, so a later copy of
     * it is skipped as it would have been live. */
    unsigned replayed = 0;
    int s;
    while ((s = earliest(c, set, pos)) != HAMD_ARB_NO_SOURCE) {
        const struct hamd_tick *t = &ring_at(ring_of(c, s), pos[s]++)->tick;
        if (!newer_than_last(c, t))
            continue;
        emit(ud, s, t);
        replayed++;
    }
    /* These sources' ticks are published live: their rings are not kept,
     * and the memory goes back until one is a backup again. */
    for (s = 0; s < HAMD_ARB_MAX_SOURCES; s++)
        if ((set >> s) & 1u)
            ring_release(c, s);
    return replayed;
}

unsigned hamd_arb_set_eligible(struct hamd_arb_contract *c,
                               const struct hamd_arb_limits *lim,
                               uint32_t eligible, int64_t now_ns,
                               hamd_arb_emit_fn emit, void *ud)
{
    uint32_t added = eligible & ~c->eligible;
    c->eligible = eligible;
    /* Only a newcomer can hold what was not sent: the active and eligible
     * sources' rings are empty while the node sends live. */
    if (!emit || !added)
        return 0;
    return hamd_arb_flush(c, lim, now_ns, emit, ud);
}

unsigned hamd_arb_each_newer(struct hamd_arb_contract *c,
                             const struct hamd_arb_limits *lim, int source,
                             int64_t now_ns, hamd_arb_emit_fn fn, void *ud)
{
    if (!source_valid(source))
        return 0;
    ring_trim(c, source, lim, now_ns);
    struct hamd_arb_ring *r = ring_of(c, source);
    unsigned n = 0;
    for (unsigned i = 0; r && i < r->len; i++) {
        const struct hamd_tick *t = &ring_at(r, i)->tick;
        if (newer_than_last(c, t)) {
            fn(ud, source, t);
            n++;
        }
    }
    return n;
}

unsigned hamd_arb_switch(struct hamd_arb_contract *c,
                         const struct hamd_arb_limits *lim, int source,
                         int64_t now_ns, hamd_arb_emit_fn emit, void *ud)
{
    if (!source_valid(source)) {
        c->active = HAMD_ARB_NO_SOURCE;
        return 0;
    }
    if (source == c->active)
        return 0;
    c->active = source;
    return emit ? hamd_arb_flush(c, lim, now_ns, emit, ud) : 0;
}

enum hamd_arb_verdict hamd_arb_hold(struct hamd_arb_contract *c,
                                    const struct hamd_arb_limits *lim,
                                    int source, const struct hamd_tick *tick,
                                    int64_t now_ns)
{
    if (!source_valid(source))
        return HAMD_ARB_DROPPED;
    if (!newer_than_last(c, tick))
        return HAMD_ARB_STALE;
    return ring_push(c, source, lim, tick, now_ns) ? HAMD_ARB_KEPT
                                                    : HAMD_ARB_DROPPED;
}

void hamd_arb_observed(struct hamd_arb_contract *c, int64_t datetime_ns,
                       double volume)
{
    if (!c->has_last || hamd_tick_cmp_age(datetime_ns, volume,
                                          c->last_datetime_ns,
                                          c->last_volume) > 0) {
        c->has_last = true;
        c->last_datetime_ns = datetime_ns;
        c->last_volume = volume;
    }
    uint32_t set = supplying(c);
    for (int s = 0; set && s < HAMD_ARB_MAX_SOURCES; s++) {
        struct hamd_arb_ring *r = (set >> s) & 1u ? ring_of(c, s) : NULL;
        while (r && r->len > 0 && !newer_than_last(c, &ring_at(r, 0)->tick))
            ring_pop_oldest(c, s);
    }
}

void hamd_arb_forget_source(struct hamd_arb_contract *c, int source)
{
    if (source_valid(source))
        ring_release(c, source);
}

unsigned hamd_arb_kept(const struct hamd_arb_contract *c, int source)
{
    struct hamd_arb_ring *r = source_valid(source) ? ring_of(c, source) : NULL;
    return r ? r->len : 0;
}

uint64_t hamd_arb_contract_bytes(const struct hamd_arb_contract *c)
{
    uint64_t bytes = 0;
    for (int i = 0; i < HAMD_ARB_MAX_SOURCES; i++) {
        const struct hamd_arb_ring *r = ring_of(c, i);
        if (r)
            bytes += ring_bytes(r->cap);
    }
    return bytes;
}
