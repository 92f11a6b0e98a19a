/* Tick arbiter: which tick of which source may be published (docs/failover.md).
 *
 * Pure: the data plane hands in a contract's state, a tick, the source it
 * came from and the time; the arbiter answers and updates the state. No
 * I/O, no clock reads, no allocation except when a replay ring grows.
 *
 * The rules, per contract:
 *  1. Routing: only the active source's ticks are published; every other
 *     hot source's ticks are kept in its replay ring. In first-arrival
 *     mode (docs/failover.md, "Arbitration modes") the data plane names
 *     the contract's eligible sources (hamd_arb_set_eligible: the HEALTHY
 *     hot sources serving it): their ticks are published like the active
 *     source's, so the first copy of each tick goes out and the later
 *     copies are stale. A tick that is not newer than the last published
 *     is dropped whoever sent it.
 *  2. Newer-than-last guard: a tick is published only when it is newer than
 *     the last published one (exchange time, then volume). Duplicates from
 *     a second account on the same exchange and ticks going backwards
 *     across a switch are dropped.
 *  3. Replay on switch: when the contract moves to another source, that
 *     source's kept ticks newer than the last published go out first, in
 *     arrival order, then its live ticks. A stall detected seconds late
 *     therefore leaves no hole, as long as the window covers the
 *     detection time. In first-arrival mode the same happens when a
 *     source becomes eligible: what it kept while it was not goes out.
 *  4. Hold during a lease lapse: a publisher whose lease lapsed but may
 *     come back in the same term keeps the active source's ticks instead
 *     of publishing them (hamd_arb_hold), then sends them in order when
 *     the lease returns (hamd_arb_flush); when another node may publish,
 *     it goes on holding them as a follower (rule 5). A lapse then loses
 *     nothing. In first-arrival mode every eligible source's copies are
 *     held, each in its own ring, and the flush merges the rings in
 *     arrival order: what goes out is what the live path would have sent.
 *  5. Follow the publisher: a follower holds its active source's ticks the
 *     same way while the guard moves with what the publishing node sent
 *     (hamd_arb_observed). Taking over, it flushes: the ticks that reached
 *     it while leadership moved go out instead of being lost.
 *
 * Rings keep at most `depth` ticks and drop ticks older than `window_ns`;
 * they start small and grow by doubling, so a quiet contract costs little.
 */
#ifndef HAMD_ARBITER_H
#define HAMD_ARBITER_H

#include <stdbool.h>
#include <stdint.h>

#include "hamd/tick.h"

#define HAMD_ARB_MAX_SOURCES 16   /* hot sources per node */
#define HAMD_ARB_NO_SOURCE (-1)   /* contract has no active source */
#define HAMD_ARB_RING_MIN 4       /* first allocation of a ring, in ticks
                                     (less when depth allows less) */

/* How a contract's ticks are chosen ([failover] arbitration and the
 * [arbitration] overrides, docs/configuration.md). */
enum hamd_arb_mode {
    HAMD_ARB_MODE_PRIORITY = 0, /* "priority": the active source only */
    HAMD_ARB_MODE_FIRST,        /* "first": the first copy from any HEALTHY
                                   hot source */
};

#define HAMD_ARB_EXCH_MAX 16 /* exchanges with a mode of their own */

/* The mode of one exchange ([arbitration] EXCHANGE = MODE). */
struct hamd_arb_exchange {
    char exchange[HAMD_EXCHANGE_MAX]; /* "SHFE" */
    enum hamd_arb_mode mode;          /* its mode */
};

/* Returns "priority" or "first" ("unknown" when invalid). */
const char *hamd_arb_mode_name(enum hamd_arb_mode mode);

/* Parses "priority" or "first". Returns false when it is neither. */
bool hamd_arb_mode_parse(const char *text, enum hamd_arb_mode *out);

/* Replay window bounds, shared by every contract. */
struct hamd_arb_limits {
    int64_t window_ns; /* keep ticks received at most this long ago */
    unsigned depth;    /* keep at most this many ticks per source */
};

/* A tick as the arbiter sees it: its age, which the guard compares, and
 * its body, which the arbiter keeps as it came and never reads. The data
 * plane decodes a kept body only if it goes out: a hot standby's copy
 * that arrives before the active source's is kept on a peek at three of
 * its keys (common/tick_peek.h), not its ~1,950-instruction decode. A
 * body in hamd's layout takes about what a decoded tick did (~760 bytes
 * with float64 numbers against 768), so the rings' memory is unchanged. */
struct hamd_arb_tick {
    int64_t datetime_ns; /* exchange time, epoch ns UTC */
    double volume;       /* traded today, cumulative */
    const void *body;    /* the body to keep; copied when kept */
    size_t len;          /* its bytes, at most HAMD_ARB_BODY_MAX */
};

#define HAMD_ARB_BODY_MAX (64u * 1024u) /* bytes of a kept body: a gateway
                                            body is far less (a tick in
                                            hamd's layout is < 2 KiB),
                                            and a ring's offsets are
                                            32-bit */
#define HAMD_ARB_BYTES_MIN 4096u        /* first allocation of a ring's
                                            bodies: its first
                                            HAMD_ARB_RING_MIN ticks of
                                            ~760 bytes, as the 768-byte
                                            decoded slots took */

/* One kept tick: when it arrived, its age, and where its body is. */
struct hamd_arb_slot {
    int64_t rx_ns;       /* receive time, monotonic */
    int64_t datetime_ns; /* its exchange time */
    double volume;       /* its volume */
    uint32_t off;        /* its body: the ring's bytes[off, off + len) */
    uint32_t len;        /* ... */
};

/* A source's recent ticks for one contract: the slots in one allocation,
 * grown by doubling, and their bodies in another, a circular buffer in
 * arrival order (a body that does not fit before the buffer's end starts
 * over at its start), grown by doubling when full. Both are freed as
 * soon as the ring is empty for good (replayed, forgotten), so a
 * contract pays for rings only while a backup keeps ticks. */
struct hamd_arb_ring {
    unsigned cap;                 /* slots, a power of two <= depth */
    unsigned head;                /* index of the oldest kept tick */
    unsigned len;                 /* kept ticks */
    uint8_t *bytes;               /* the kept bodies */
    uint32_t bytes_cap;           /* size of bytes */
    uint32_t bytes_head;          /* the oldest body's offset (0 empty) */
    uint32_t bytes_tail;          /* where the next body goes */
    uint32_t bytes_used;          /* sum of the kept bodies' lengths */
    bool wrapped;                 /* the newest bodies start over at the
                                     buffer's start, before bytes_head */
    uint32_t lost;                /* ticks let go by the window or the
                                     depth while newer than the last
                                     published: a replay of this ring
                                     cannot send them */
    int64_t lost_datetime_ns;     /* the newest of them: its exchange
                                     time ... */
    double lost_volume;           /* ... and volume */
    struct hamd_arb_slot slots[]; /* cap of them */
};

/* Kept ticks and ring memory summed over many contracts, kept up to date
 * by every change of their rings (hamd_arb_contract_count): the data
 * plane reports them every statistics period without visiting each
 * contract (5,000 contracts every 50 ms were ~10 % of its work). */
struct hamd_arb_totals {
    uint64_t bytes;                       /* memory held by the rings */
    uint64_t kept[HAMD_ARB_MAX_SOURCES];  /* ticks kept, per source */
};

/* A contract's rings, allocated with the first and freed with the last:
 * most contracts keep nothing (one source, or every source sending
 * live), and a table of HAMD_ARB_MAX_SOURCES pointers in each of 5,000
 * contracts was 0.6 MB. */
struct hamd_arb_rings {
    unsigned n;                                    /* rings allocated */
    struct hamd_arb_ring *of[HAMD_ARB_MAX_SOURCES]; /* per source, NULL =
                                                      nothing kept */
};

/* Arbitration state of one contract. Zero it, then call _init. */
struct hamd_arb_contract {
    int active;                 /* source index or HAMD_ARB_NO_SOURCE */
    uint32_t eligible;          /* bit s: source s may supply the contract
                                   besides the active one (first-arrival
                                   mode); 0 = priority mode */
    bool has_last;              /* something was published already */
    int64_t last_datetime_ns;   /* exchange time of the last published */
    double last_volume;         /* volume of the last published */
    struct hamd_arb_rings *rings; /* NULL = nothing kept for any source */
    struct hamd_arb_totals *totals; /* where its rings are counted, NULL =
                                       nowhere (hamd_arb_contract_count) */
    uint32_t lost;              /* ticks a replay found let go unsent
                                   (hamd_arb_take_lost) */
};

enum hamd_arb_verdict {
    HAMD_ARB_PUBLISH = 0, /* active or eligible source, newer than last:
                             publish it */
    HAMD_ARB_KEPT,        /* another source: kept for replay */
    HAMD_ARB_STALE,       /* not newer than the last published: dropped */
    HAMD_ARB_DROPPED,     /* not active and not kept (ring full / no mem) */
};

/* Prepares an empty contract with no active source. */
void hamd_arb_contract_init(struct hamd_arb_contract *c);

/* Counts the contract's kept ticks and ring memory into *totals from now
 * on (shared by many contracts; NULL stops counting). Call it while the
 * contract keeps nothing, right after _init: what it held before would
 * be taken out of *totals later without having been added. */
void hamd_arb_contract_count(struct hamd_arb_contract *c,
                             struct hamd_arb_totals *totals);

/* Frees the rings of a contract (and takes them out of its totals). */
void hamd_arb_contract_release(struct hamd_arb_contract *c);

/* True when hamd_arb_offer would call a tick of this exchange time and
 * volume HAMD_ARB_STALE whatever its source: it is not newer than the
 * last published. What a hot standby's copy needs to be dropped unread
 * (common/tick_peek.h). */
bool hamd_arb_is_stale(const struct hamd_arb_contract *c, int64_t datetime_ns,
                       double volume);

/* Judges one tick from `source` received at now_ns. On HAMD_ARB_PUBLISH
 * the caller publishes and must then call hamd_arb_published; on
 * HAMD_ARB_KEPT its body was copied. */
enum hamd_arb_verdict hamd_arb_offer(struct hamd_arb_contract *c,
                                     const struct hamd_arb_limits *lim,
                                     int source,
                                     const struct hamd_arb_tick *tick,
                                     int64_t now_ns);

/* Records that a tick of this exchange time and volume was published
 * (advances the guard). */
void hamd_arb_published(struct hamd_arb_contract *c, int64_t datetime_ns,
                        double volume);

/* What an emit callback did with a replayed tick. */
enum hamd_arb_emit {
    HAMD_ARB_EMIT_UNFIT = 0, /* its body is unfit to go out (kept unread,
                                it proves malformed): the guard stays, a
                                later copy may go out instead; the replay
                                goes on */
    HAMD_ARB_EMIT_SENT,      /* published and recorded with
                                hamd_arb_published */
    HAMD_ARB_EMIT_STOP,      /* it may not go out now (the lease moved
                                since the replay was decided): the replay
                                stops, and this tick and the rest stay
                                kept for a later one */
};

/* Callback receiving each replayed tick of `source`, oldest first; its
 * body lives in the ring and must not outlive the call. */
typedef enum hamd_arb_emit (*hamd_arb_emit_fn)(void *ud, int source,
                                               const struct hamd_arb_tick *tick);

/* Makes `source` the active source (HAMD_ARB_NO_SOURCE to unroute) and
 * replays its kept ticks newer than the last published and younger than
 * the window through emit (see hamd_arb_flush). With emit NULL nothing is
 * replayed now: the ring stays for a later hamd_arb_flush (a switch during
 * a lease lapse). Returns the number of replayed ticks. */
unsigned hamd_arb_switch(struct hamd_arb_contract *c,
                         const struct hamd_arb_limits *lim, int source,
                         int64_t now_ns, hamd_arb_emit_fn emit, void *ud);

/* Keeps a tick of the active source that may not be published now (lease
 * lapse). Returns HAMD_ARB_KEPT, or HAMD_ARB_STALE / HAMD_ARB_DROPPED. */
enum hamd_arb_verdict hamd_arb_hold(struct hamd_arb_contract *c,
                                    const struct hamd_arb_limits *lim,
                                    int source,
                                    const struct hamd_arb_tick *tick,
                                    int64_t now_ns);

/* Replays the kept ticks of the active source and of every eligible one
 * that are newer than the last published, through emit, and empties
 * their rings. Ticks those rings let go (the window or the depth) while
 * they were newer than the last published, and still are, are counted
 * first for hamd_arb_take_lost: nothing sent them. The rings are merged in arrival order, and a copy no newer
 * than the one emitted before it is skipped: the ticks go out as the live
 * path would have sent them. An emit that says HAMD_ARB_EMIT_STOP ends
 * the replay there: what went out (or was skipped) before it leaves the
 * rings, the rest stays in them, in order, for the next flush. Returns
 * how many went out (emit said so). */
unsigned hamd_arb_flush(struct hamd_arb_contract *c,
                        const struct hamd_arb_limits *lim, int64_t now_ns,
                        hamd_arb_emit_fn emit, void *ud);

/* Passes `source`'s kept ticks newer than the last published (or, on a
 * follower, the last observed) and younger than the window to fn, oldest
 * first, and keeps them: a follower starting to relay a contract sends
 * what the publisher has not, then its live ticks. Stops at the first
 * HAMD_ARB_EMIT_STOP. Returns how many fn sent. */
unsigned hamd_arb_each_newer(struct hamd_arb_contract *c,
                             const struct hamd_arb_limits *lim, int source,
                             int64_t now_ns, hamd_arb_emit_fn fn, void *ud);

/* Sets the sources that may supply the contract besides the active one
 * (bit s = source s; 0: priority mode). Sources that become eligible may
 * have kept ticks the contract lacks (a stall of the active source): with
 * emit, they go out now as in hamd_arb_flush; with emit NULL (a lapse, a
 * follower) they wait for the flush. Returns how many went out. */
unsigned hamd_arb_set_eligible(struct hamd_arb_contract *c,
                               const struct hamd_arb_limits *lim,
                               uint32_t eligible, int64_t now_ns,
                               hamd_arb_emit_fn emit, void *ud);

/* True when `source` may supply the contract: the active source, or an
 * eligible one in first-arrival mode. */
static inline bool hamd_arb_supplies(const struct hamd_arb_contract *c,
                                     int source)
{
    return source == c->active ||
           (source >= 0 && source < HAMD_ARB_MAX_SOURCES &&
            (c->eligible >> source) & 1u);
}

/* Records that the publishing node sent a tick of this contract with
 * exchange time datetime_ns and volume: the guard moves there if that is
 * newer, and the kept ticks of the active and eligible sources that are
 * not newer than the guard are let go (their slots are reused; the rings
 * stay allocated, since a follower holds the next ticks at once). */
void hamd_arb_observed(struct hamd_arb_contract *c, int64_t datetime_ns,
                       double volume);

/* Returns the ticks replays found let go unsent since the last call, and
 * starts counting again: the data plane shows them to clients as a gap
 * in seq before the next tick it publishes. */
unsigned hamd_arb_take_lost(struct hamd_arb_contract *c);

/* The ticks hamd_arb_take_lost would return, left counted: the number
 * the next tick would take if it goes out. */
static inline unsigned hamd_arb_lost(const struct hamd_arb_contract *c)
{
    return c->lost;
}

/* Forgets everything kept for `source` (it left or restarted). */
void hamd_arb_forget_source(struct hamd_arb_contract *c, int source);

/* Ticks kept for `source` (0 for an invalid source). */
unsigned hamd_arb_kept(const struct hamd_arb_contract *c, int source);

/* Bytes held by the rings of a contract (for memory reporting). */
uint64_t hamd_arb_contract_bytes(const struct hamd_arb_contract *c);

#endif /* HAMD_ARBITER_H */
