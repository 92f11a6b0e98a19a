/* What a follower read on the publisher's stream, until the publisher is
 * seen to have outlived it.
 *
 * A follower moves each contract's newer-than-last guard with the ticks
 * the publisher sent (arbiter rule 5), and a takeover re-sends only held
 * ticks newer than the guard. But a publisher writes each message to each
 * subscriber in turn: when it dies, its last message may have reached this
 * follower and not a client. A takeover would then skip a tick no client
 * got (the chaos suite lost one so, a host powered off in the middle of a
 * batch). So an observation moves the guard only once a later message of
 * the same stream is at least `inflight_ns` newer on the publisher's own
 * clock (a tick's hub_ns, a heartbeat's ts_ns): the publisher lived on
 * past it, and had written it to every subscriber. The observations still
 * waiting when the stream ends are dropped (hamd_inflight_clear): their
 * ticks go out again from the new publisher, so a client that had them
 * gets them twice (docs/protocol.md §5) rather than never.
 *
 * Pure: no clock reads, no I/O; the caller applies what pops out.
 */
#ifndef HAMD_INFLIGHT_H
#define HAMD_INFLIGHT_H

#include <stdbool.h>
#include <stdint.h>

/* One tick seen on the stream. */
struct hamd_inflight_obs {
    void *key;           /* the caller's contract; NULL once forgotten */
    int64_t datetime_ns; /* the tick's exchange time */
    double volume;       /* its cumulative volume */
    int64_t hub_ns;      /* when the publisher sent it, its clock */
};

struct hamd_inflight;

/* A queue that confirms an observation once the publisher's clock is
 * inflight_ns past it, and keeps at most cap_max waiting (beyond, the
 * oldest is confirmed early). Returns NULL when out of memory. */
struct hamd_inflight *hamd_inflight_new(int64_t inflight_ns, unsigned cap_max);

/* Frees the queue and NULLs *self; NULL is fine. */
void hamd_inflight_destroy(struct hamd_inflight **self);

/* Queues an observation; the publisher's clock moves to its hub_ns if that
 * is later. Returns true when the queue was full and the oldest waiting one
 * was confirmed early into *early (apply it first). */
bool hamd_inflight_push(struct hamd_inflight *self,
                        const struct hamd_inflight_obs *obs,
                        struct hamd_inflight_obs *early);

/* Moves the publisher's clock to ts_ns if that is later (a heartbeat). */
void hamd_inflight_clock(struct hamd_inflight *self, int64_t ts_ns);

/* Takes the oldest observation the publisher outlived into *out (its key
 * may be NULL: forgotten). Returns false when there is none. */
bool hamd_inflight_pop(struct hamd_inflight *self,
                       struct hamd_inflight_obs *out);

/* Drops every waiting observation and the publisher's clock: its stream
 * ended (a takeover, another publisher). Returns how many were dropped. */
unsigned hamd_inflight_clear(struct hamd_inflight *self);

/* Forgets the observations of key (the contract is going away). */
void hamd_inflight_forget(struct hamd_inflight *self, const void *key);

/* Observations waiting, and how many were confirmed early since new. */
unsigned hamd_inflight_waiting(const struct hamd_inflight *self);
uint64_t hamd_inflight_early(const struct hamd_inflight *self);

#endif /* HAMD_INFLIGHT_H */
