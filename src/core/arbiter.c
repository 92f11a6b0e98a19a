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
 * Replay ring: slots
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

/* Bytes of a ring of cap slots and bytes_cap bytes of bodies. */
static uint64_t ring_bytes(unsigned cap, uint32_t bytes_cap)
{
    return sizeof(struct hamd_arb_ring) +
           sizeof(struct hamd_arb_slot) * (uint64_t)cap + bytes_cap;
}

/* Source s of c keeps `ticks` more ticks in `bytes` more memory (either
 * may be negative): its totals follow. Every change of a ring's len, cap
 * or bytes_cap goes through here. */
static void ring_counted(struct hamd_arb_contract *c, int s, int64_t ticks,
                         int64_t bytes)
{
    if (!c->totals)
        return;
    /* Unsigned wrap-around adds a negative change exactly. */
    c->totals->kept[s] += (uint64_t)ticks;
    c->totals->bytes += (uint64_t)bytes;
}

/* The tick at the view of a slot: its age and its body in place. */
static struct hamd_arb_tick slot_tick(const struct hamd_arb_ring *r,
                                      const struct hamd_arb_slot *slot)
{
    return (struct hamd_arb_tick){slot->datetime_ns, slot->volume,
                                  r->bytes + slot->off, slot->len};
}

static void ring_pop_oldest(struct hamd_arb_contract *c, int s)
{
    struct hamd_arb_ring *r = ring_of(c, s);
    r->bytes_used -= ring_at(r, 0)->len;
    r->head = (r->head + 1) & (r->cap - 1);
    r->len--;
    if (r->len == 0) {
        r->bytes_head = r->bytes_tail = 0;
        r->wrapped = false;
    } else {
        uint32_t next = ring_at(r, 0)->off;
        /* The oldest body now is the first one written after the wrap. */
        if (next < r->bytes_head)
            r->wrapped = false;
        r->bytes_head = next;
    }
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
    r->bytes_head = r->bytes_tail = r->bytes_used = 0;
    r->wrapped = false;
}

/* Lets the oldest tick of source s go to make room or because it aged
 * out: one a replay can no longer send if it is newer than the last
 * published (a hold or a switch's detection outlasted the window or the
 * depth), so it is counted (flush). */
static void ring_evict(struct hamd_arb_contract *c, int s)
{
    struct hamd_arb_ring *r = ring_of(c, s);
    const struct hamd_arb_slot *oldest = ring_at(r, 0);
    if (!hamd_arb_is_stale(c, oldest->datetime_ns, oldest->volume)) {
        r->lost++;
        r->lost_datetime_ns = oldest->datetime_ns;
        r->lost_volume = oldest->volume;
    }
    ring_pop_oldest(c, s);
}

static void ring_trim(struct hamd_arb_contract *c, int s,
                      const struct hamd_arb_limits *lim, int64_t now_ns)
{
    struct hamd_arb_ring *r = ring_of(c, s);
    while (r && r->len > 0 && now_ns - ring_at(r, 0)->rx_ns > lim->window_ns)
        ring_evict(c, s);
}

/* The largest capacity depth needs: the power of two at or above it. */
static unsigned cap_limit(const struct hamd_arb_limits *lim)
{
    unsigned cap = 1;
    while (cap < lim->depth)
        cap <<= 1;
    return cap;
}

/* A new empty ring of cap slots with its first bodies buffer, NULL when
 * out of memory. */
static struct hamd_arb_ring *ring_new(unsigned cap)
{
    struct hamd_arb_ring *r =
        calloc(1, sizeof *r + sizeof(struct hamd_arb_slot) * (size_t)cap);
    if (r && !(r->bytes = malloc(HAMD_ARB_BYTES_MIN))) {
        free(r);
        return NULL;
    }
    if (r) {
        r->cap = cap;
        r->bytes_cap = HAMD_ARB_BYTES_MIN;
    }
    return r;
}

/* Replaces source s's ring by one of new_cap slots holding the same
 * ticks (unwrapped), their bodies where they were; false when out of
 * memory (the ring is then unchanged). */
static bool ring_grow(struct hamd_arb_contract *c, int s, unsigned new_cap)
{
    struct hamd_arb_ring *old = ring_of(c, s);
    if (!c->rings && !(c->rings = calloc(1, sizeof *c->rings)))
        return false;
    struct hamd_arb_ring *r =
        old ? malloc(sizeof *r + sizeof(struct hamd_arb_slot) * (size_t)new_cap)
            : ring_new(new_cap);
    if (!r) {
        if (c->rings->n == 0) {
            free(c->rings);
            c->rings = NULL;
        }
        return false;
    }
    if (old) {
        *r = *old; /* its bodies, which stay where they are */
        for (unsigned i = 0; i < r->len; i++)
            r->slots[i] = *ring_at(old, i);
        r->cap = new_cap;
        r->head = 0;
    }
    ring_counted(c, s, 0,
                 (int64_t)ring_bytes(new_cap, r->bytes_cap) -
                     (old ? (int64_t)ring_bytes(old->cap, old->bytes_cap)
                          : 0));
    free(old);
    c->rings->n += old == NULL;
    c->rings->of[s] = r;
    return true;
}

/* ------------------------------------------------------------------------
 * Replay ring: bodies
 * ------------------------------------------------------------------------ */

/* Where a body of len bytes fits in r's buffer without moving the kept
 * ones: after the newest, or else at the buffer's start, before the
 * oldest (*wraps then). False when it fits nowhere. */
static bool bytes_room(const struct hamd_arb_ring *r, uint32_t len,
                       uint32_t *off, bool *wraps)
{
    *off = r->bytes_tail;
    *wraps = false;
    if (r->wrapped)
        return r->bytes_head - r->bytes_tail >= len;
    if (r->bytes_cap - r->bytes_tail >= len)
        return true;
    *off = 0;
    *wraps = true;
    return r->bytes_head >= len;
}

/* Moves r's bodies into a new buffer of new_cap bytes, oldest first from
 * its start; false when out of memory (r is then unchanged). */
static bool bytes_grow(struct hamd_arb_contract *c, int s,
                       struct hamd_arb_ring *r, uint32_t new_cap)
{
    uint8_t *bytes = malloc(new_cap);
    if (!bytes)
        return false;
    uint32_t at = 0;
    for (unsigned i = 0; i < r->len; i++) {
        struct hamd_arb_slot *slot = ring_at(r, i);
        memcpy(bytes + at, r->bytes + slot->off, slot->len);
        slot->off = at;
        at += slot->len;
    }
    ring_counted(c, s, 0, (int64_t)new_cap - r->bytes_cap);
    free(r->bytes);
    r->bytes = bytes;
    r->bytes_cap = new_cap;
    r->bytes_head = 0;
    r->bytes_tail = at;
    r->wrapped = false;
    return true;
}

/* Finds room for a body of len bytes (see bytes_room), growing the
 * buffer by doubling when the kept bodies leave none. The buffer stops
 * growing once it holds twice the kept bodies and the largest new one:
 * there is then room at one of the two ends. */
static bool bytes_reserve(struct hamd_arb_contract *c, int s,
                          struct hamd_arb_ring *r, uint32_t len,
                          uint32_t *off, bool *wraps)
{
    if (bytes_room(r, len, off, wraps))
        return true;
    uint32_t cap = r->bytes_cap * 2;
    while (cap < r->bytes_used + len)
        cap *= 2;
    if (!bytes_grow(c, s, r, cap))
        return false;
    *off = r->bytes_tail;
    *wraps = false;
    return true;
}

/* ------------------------------------------------------------------------
 * Replay ring: keeping and letting go
 * ------------------------------------------------------------------------ */

static bool ring_push(struct hamd_arb_contract *c, int s,
                      const struct hamd_arb_limits *lim,
                      const struct hamd_arb_tick *tick, int64_t now_ns)
{
    if (lim->depth == 0 || tick->len > HAMD_ARB_BODY_MAX)
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
        ring_evict(c, s);
    uint32_t len = (uint32_t)tick->len, off;
    bool wraps;
    if (!bytes_reserve(c, s, r, len, &off, &wraps))
        return false;
    r->wrapped |= wraps;
    if (len > 0)
        memcpy(r->bytes + off, tick->body, len);
    r->bytes_tail = off + len;
    r->bytes_used += len;
    struct hamd_arb_slot *slot = ring_at(r, r->len);
    *slot = (struct hamd_arb_slot){now_ns, tick->datetime_ns, tick->volume,
                                   off, len};
    r->len++;
    ring_counted(c, s, 1, 0);
    return true;
}

static void ring_release(struct hamd_arb_contract *c, int s)
{
    struct hamd_arb_ring *r = ring_of(c, s);
    if (!r)
        return;
    ring_counted(c, s, -(int64_t)r->len,
                 -(int64_t)ring_bytes(r->cap, r->bytes_cap));
    free(r->bytes);
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
                            int64_t datetime_ns, double volume)
{
    return !hamd_arb_is_stale(c, datetime_ns, volume);
}

/* A kept tick newer than the last published. */
static bool slot_newer(const struct hamd_arb_contract *c,
                       const struct hamd_arb_slot *slot)
{
    return newer_than_last(c, slot->datetime_ns, slot->volume);
}

static bool source_valid(int source)
{
    return source >= 0 && source < HAMD_ARB_MAX_SOURCES;
}

enum hamd_arb_verdict hamd_arb_offer(struct hamd_arb_contract *c,
                                     const struct hamd_arb_limits *lim,
                                     int source,
                                     const struct hamd_arb_tick *tick,
                                     int64_t now_ns)
{
    if (!source_valid(source))
        return HAMD_ARB_DROPPED;
    bool newer = newer_than_last(c, tick->datetime_ns, tick->volume);
    /* The active source, or in first-arrival mode any eligible one: the
     * first copy of a tick goes out, later copies are not newer. */
    if (hamd_arb_supplies(c, source))
        return newer ? HAMD_ARB_PUBLISH : HAMD_ARB_STALE;
    /* A kept tick that is already not newer can never be replayed. */
    if (!newer)
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

void hamd_arb_published(struct hamd_arb_contract *c, int64_t datetime_ns,
                        double volume)
{
    c->has_last = true;
    c->last_datetime_ns = datetime_ns;
    c->last_volume = volume;
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

/* Adds to c->lost what the rings of the sources in set let go unsent:
 * counted as they went, when newer than the last published then, and
 * only if the newest of them still is (what went out since covered them
 * otherwise). In first-arrival mode a tick lost from one ring may have
 * been kept in another: counted all the same, a gap shown for nothing
 * rather than one hidden. */
static void count_lost(struct hamd_arb_contract *c, uint32_t set)
{
    for (int s = 0; s < HAMD_ARB_MAX_SOURCES; s++) {
        struct hamd_arb_ring *r = (set >> s) & 1u ? ring_of(c, s) : NULL;
        if (!r || !r->lost)
            continue;
        if (!hamd_arb_is_stale(c, r->lost_datetime_ns, r->lost_volume))
            c->lost += r->lost;
        r->lost = 0;
    }
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

/* A replay stopped: lets go of the first pos[s] ticks of each ring in
 * set, the ones it sent or skipped, and keeps the rest for the next. */
static void rings_consumed(struct hamd_arb_contract *c, uint32_t set,
                           const unsigned pos[HAMD_ARB_MAX_SOURCES])
{
    for (int s = 0; s < HAMD_ARB_MAX_SOURCES; s++) {
        if (!((set >> s) & 1u))
            continue;
        for (unsigned i = 0; i < pos[s]; i++)
            ring_pop_oldest(c, s);
    }
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
    count_lost(c, set);
    /* One ring in priority mode; in first-arrival mode a merge of a few,
     * by arrival: each emitted tick moves the guard, so a later copy of
     * it is skipped as it would have been live. */
    unsigned replayed = 0;
    int s;
    while ((s = earliest(c, set, pos)) != HAMD_ARB_NO_SOURCE) {
        struct hamd_arb_ring *r = ring_of(c, s);
        const struct hamd_arb_slot *slot = ring_at(r, pos[s]);
        if (!slot_newer(c, slot)) {
            pos[s]++;
            continue;
        }
        struct hamd_arb_tick t = slot_tick(r, slot);
        enum hamd_arb_emit e = emit(ud, s, &t);
        if (e == HAMD_ARB_EMIT_STOP) {
            rings_consumed(c, set, pos);
            return replayed;
        }
        pos[s]++;
        replayed += e == HAMD_ARB_EMIT_SENT;
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
        const struct hamd_arb_slot *slot = ring_at(r, i);
        if (!slot_newer(c, slot))
            continue;
        struct hamd_arb_tick t = slot_tick(r, slot);
        enum hamd_arb_emit e = fn(ud, source, &t);
        if (e == HAMD_ARB_EMIT_STOP)
            break;
        n += e == HAMD_ARB_EMIT_SENT;
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
                                    int source,
                                    const struct hamd_arb_tick *tick,
                                    int64_t now_ns)
{
    if (!source_valid(source))
        return HAMD_ARB_DROPPED;
    if (!newer_than_last(c, tick->datetime_ns, tick->volume))
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
        while (r && r->len > 0 && !slot_newer(c, ring_at(r, 0)))
            ring_pop_oldest(c, s);
    }
}

unsigned hamd_arb_take_lost(struct hamd_arb_contract *c)
{
    unsigned lost = c->lost;
    c->lost = 0;
    return lost;
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
            bytes += ring_bytes(r->cap, r->bytes_cap);
    }
    return bytes;
}
