/* The client's decisions (docs/client.md), pure: messages and a time value
 * in, decisions out. No socket, no clock read; client.c is the ZeroMQ
 * shell around it.
 *
 * Per contract it keeps the age (exchange time, volume) of the last tick
 * delivered, the (term, seq) last seen on the stream, and at most one
 * snapshot tick waiting for the live stream. It decides:
 *
 * - fencing: a tick or heartbeat of a term below the highest seen is
 *   dropped;
 * - delivery: a tick is delivered only if newer than the last delivered
 *   for its contract, so what a new leader re-sends is dropped;
 * - gaps: a seq jump inside one term, reported, and a snapshot asked for;
 * - the late joiner: until its first snapshot round is over, live ticks
 *   are held, then those the snapshot did not cover follow it, so each
 *   contract starts from its snapshot (docs/protocol.md §7);
 * - snapshot merge: a snapshot tick of a contract nothing was delivered
 *   for yet is delivered at once; one newer
 *   than what was delivered waits, because the live ticks before it may
 *   still be on their way (a new leader re-sends what it held only once
 *   clients are back): it goes out just before the first live tick newer
 *   than it, or after CCORE_SETTLE_MS if none comes, and a live copy of
 *   it replaces it;
 * - when to snapshot: on joining, after a gap, a term change, or a
 *   silence, once a heartbeat proves the subscription live; one prefix at
 *   a time, each answer complete (END with its count) and from a term not
 *   below the highest seen, else retried;
 * - liveness: no `_hb` for hb_timeout: silent (a snapshot follows when
 *   heartbeats are back);
 * - connections: client_conn.h (a primary per endpoint, fast probes
 *   beside a silent one).
 */
#ifndef HAMD_CLIENT_CORE_H
#define HAMD_CLIENT_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/client_conn.h"
#include "hamd/client.h"
#include "hamd/tick.h"

#define CCORE_SETTLE_MS 3000           /* a snapshot tick newer than what was
                                          delivered waits this long for the
                                          live ticks before it: a new leader
                                          re-sends what it held at most 2 s
                                          after binding (docs/protocol.md
                                          §5), plus 1 s of margin */
#define CCORE_SNAPSHOT_TIMEOUT_MS 2000 /* one attempt's answer, complete */
#define CCORE_SNAPSHOT_ATTEMPTS 3      /* per prefix, then given up */
#define CCORE_SNAPSHOT_RESEND_MS 20    /* a request no connection took yet
                                          (the new leader not connected)
                                          is tried again this often */
#define CCORE_SNAPSHOT_INTERVAL_MS 500 /* between two snapshot rounds at
                                          least: gaps of a slow consumer do
                                          not become a snapshot storm */
#define CCORE_SNAPSHOT_TICKS_MAX 1000000 /* ticks in one answer, at most */
#define CCORE_JOIN_HOLD_MAX 10000      /* live ticks held while joining, at
                                          most (~9 MB): beyond, they go out
                                          as they come and the snapshot
                                          merges behind them */
#define CCORE_SLOTS_MAX CCONN_SLOTS_MAX /* publish connections */

/* What the shell must do (bits of ccore_due's *acts). */
enum ccore_act {
    CCORE_DO_SNAPSHOT_SEND = 1u << 0,  /* send ["SNAPSHOT", prefix
                                          snap_prefix] (opening the DEALER
                                          if closed), then call
                                          ccore_snapshot_sent */
    CCORE_DO_SNAPSHOT_CLOSE = 1u << 1, /* close the DEALER (done or given
                                          up on); before any SEND */
    CCORE_DO_CLOSE = 1u << 2,          /* slots of ccore_take_close: read
                                          what they hold, then close them;
                                          before any OPEN */
    CCORE_DO_OPEN = 1u << 3,           /* slots of ccore_take_open: open
                                          probes to their endpoint */
    CCORE_DO_RECONNECT = 1u << 4,      /* slots of ccore_take_reconnect:
                                          read what they hold, then, if
                                          ccore_reconnect_ok, disconnect
                                          and connect them again */
};

/* Where the decisions go (the shell's callbacks). */
struct ccore_sink {
    void (*tick)(void *ud, const struct hamd_tick *t, unsigned flags);
    void (*gap)(void *ud, const char *vt_symbol, uint64_t term,
                uint64_t expected, uint64_t got);
    void (*leader)(void *ud, uint64_t term, uint32_t node);
    void (*notice)(void *ud, enum hamd_client_notice what, const char *text);
    void *ud; /* passed to each */
};

/* What the core is set up with. */
struct ccore_opts {
    int64_t hb_timeout_ns; /* no `_hb` this long: silent */
    unsigned n_endpoints;  /* publish endpoints */
    unsigned n_prefixes;   /* snapshot requests per round (>= 1) */
    bool snapshots;        /* snapshot endpoints were given */
};

struct ccore;

/* Creates the core at time now_ns. Returns NULL when out of memory or
 * opts are out of range. */
struct ccore *ccore_new(const struct ccore_opts *opts,
                        const struct ccore_sink *sink, int64_t now_ns);

/* Frees the core and sets *self_p to NULL. */
void ccore_destroy(struct ccore **self_p);

/* ---- Messages from the publish connections (slot: which) ---- */

/* A live tick, decoded and checked (it carries term and seq). */
void ccore_tick(struct ccore *self, unsigned slot, const struct hamd_tick *t,
                int64_t now_ns);

/* An `_hb` with its term and node. */
void ccore_heartbeat(struct ccore *self, unsigned slot, uint64_t term,
                     uint32_t node, int64_t now_ns);

/* An `_event` the shell passed on (counted): the connection lives. */
void ccore_event(struct ccore *self, unsigned slot, int64_t now_ns);

/* Any other message (a reserved topic not known): the connection lives. */
void ccore_other(struct ccore *self, unsigned slot, int64_t now_ns);

/* A message that could not be used (what: a short reason for the notice);
 * slot CCORE_SLOTS_MAX for the snapshot DEALER. */
void ccore_malformed(struct ccore *self, unsigned slot, const char *what,
                     int64_t now_ns);

/* ---- The snapshot (the answer to the request ccore_due asked for) ---- */

/* The request for prefix snap_prefix left (sent true) or no connection
 * took it yet (sent false: asked again after CCORE_SNAPSHOT_RESEND_MS). */
void ccore_snapshot_sent(struct ccore *self, bool sent, int64_t now_ns);

/* One [topic][body] of the answer: t decoded, or NULL when malformed
 * (it still counts against END's count). */
void ccore_snapshot_tick(struct ccore *self, const struct hamd_tick *t);

/* The END of the answer: ok false when its body was malformed (no term or
 * no count). Merges a complete answer. */
void ccore_snapshot_end(struct ccore *self, bool ok, uint64_t term,
                        uint64_t count, int64_t now_ns);

/* Index of the prefix to request (with CCORE_DO_SNAPSHOT_SEND). */
unsigned ccore_snapshot_prefix(const struct ccore *self);

/* True while a request is out (the shell reads its DEALER). */
bool ccore_snapshot_busy(const struct ccore *self);

/* ---- Time ---- */

/* What is due at now_ns: sets *acts (enum ccore_act bits) and returns the
 * time of the next thing due (INT64_MAX when nothing is). Delivers the
 * snapshot ticks whose settle time passed. */
int64_t ccore_due(struct ccore *self, int64_t now_ns, unsigned *acts);

/* The slots to open (bit s: slot s), with CCORE_DO_OPEN; cleared. */
uint64_t ccore_take_open(struct ccore *self);

/* The slots to close, with CCORE_DO_CLOSE; cleared. */
uint64_t ccore_take_close(struct ccore *self);

/* The primaries to make again, with CCORE_DO_RECONNECT; cleared. */
uint64_t ccore_take_reconnect(struct ccore *self);

/* Whether slot is still to be made again after the shell read what it
 * held (a message in it says it lives). */
bool ccore_reconnect_ok(const struct ccore *self, unsigned slot);

/* The counters. */
const struct hamd_client_stats *ccore_stats(const struct ccore *self);

#endif /* HAMD_CLIENT_CORE_H */
