/* Which of the publisher's streams a follower reads (docs/architecture.md,
 * "A takeover is not a hole").
 *
 * A follower needs, per contract, the last tick the publisher sent. A
 * publisher of this version says so in `_wm` messages
 * (common/watermark.h), far cheaper than the ticks themselves, and sends
 * one before each `_hb` while followers are connected. An older publisher
 * sends none: its followers must read every tick. So a follower
 * subscribes to the hub's `_` topics only (watermarks, heartbeats,
 * events), and to everything once heartbeats keep arriving without a
 * watermark, for the rest of that stream.
 *
 * Both subscription sets count as no client on either version's
 * publisher (the follower marker cancels the one other topic), but the
 * switch sends a subscription and an unsubscription, which a publisher
 * waiting for its clients after taking over could see apart and take for
 * a client coming back. So the switch also waits until the stream's
 * first heartbeat is HAMD_FOLLOWMODE_SWITCH_AFTER_MS old: a publisher
 * sends its first heartbeat when it binds, and waits for clients at most
 * HAMD_GATE_TAKEOVER_WAIT_MAX_MS after that.
 *
 * Pure: the shell (dp_follow.c) reports what it read, with the time, and
 * changes its subscriptions when told.
 */
#ifndef HAMD_FOLLOWMODE_H
#define HAMD_FOLLOWMODE_H

#include <stdbool.h>
#include <stdint.h>

#define HAMD_FOLLOWMODE_HB_WITHOUT_WM 3 /* heartbeats in a row without a
                                           watermark that mean an older
                                           publisher: one alone may come
                                           before the follower's marker
                                           was counted (a publisher sends
                                           watermarks only while it
                                           counts followers) */
#define HAMD_FOLLOWMODE_SWITCH_AFTER_MS 2500 /* ... and not before the
                                                first heartbeat is this
                                                old: past the publisher's
                                                longest wait for clients
                                                (2000 ms) */

/* What the follower reads. */
enum hamd_followmode_read {
    HAMD_FOLLOWMODE_WATERMARKS = 0, /* `_` topics: watermarks and _hb */
    HAMD_FOLLOWMODE_TICKS,          /* everything: every tick is read */
};

/* A follower's choice for one stream. */
struct hamd_followmode {
    enum hamd_followmode_read read; /* what it reads now */
    unsigned hb_since_wm;           /* heartbeats since the last watermark
                                       (or since the stream opened) */
    bool heard_hb;                  /* first_hb_ns is set */
    int64_t first_hb_ns;            /* the stream's first heartbeat,
                                       monotonic */
};

/* A new stream: watermarks first. */
void hamd_followmode_init(struct hamd_followmode *m);

/* A heartbeat arrived at now_ns (monotonic). Returns true when the
 * follower must read every tick from now on (HAMD_FOLLOWMODE_TICKS): the
 * publisher sends no watermarks. */
bool hamd_followmode_heartbeat(struct hamd_followmode *m, int64_t now_ns);

/* A watermark arrived: the publisher sends them. */
void hamd_followmode_watermark(struct hamd_followmode *m);

#endif /* HAMD_FOLLOWMODE_H */
