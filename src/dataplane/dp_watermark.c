/* Data plane: the publisher's watermark stream (common/watermark.h).
 *
 * A follower moves each contract's newer-than-last guard with what the
 * publisher sent (dp_follow.c). It used to read every published tick for
 * that, which cost it more CPU per tick than the publisher spent on the
 * tick itself (10.8 us against 5.7 - 6.5 us on a 3-node loopback cluster
 * at 10,000 ticks/s, docs/performance.md), and cost the publisher one more
 * full copy of every tick per follower. Now the publisher keeps the list
 * of contracts it sent a tick of since its last watermark, with the last
 * one's exchange time and volume, and every DP_WM_INTERVAL_MS sends the
 * list as `_wm` messages; followers subscribe to the `_` topics only.
 * A contract ticking 20 times in 5 ms is named once.
 *
 * A watermark names only ticks already handed to PUB, on the same
 * socket: every subscriber gets it after those ticks. It is stamped with
 * the publisher's clock when sent, after them, so the in-flight rule
 * (core/inflight.h) counts from a time no earlier than theirs: a follower
 * lets a tick go 20 ms after the watermark naming it at the earliest, and
 * re-sends it on taking over otherwise. A tick not named yet when the
 * publisher dies is re-sent too: a watermark late by DP_WM_INTERVAL_MS
 * costs repeats, never a loss. One goes out before every _hb, also
 * empty, so a follower can tell this publisher from an older one that
 * sends none (core/followmode.h). Nothing is kept while no follower is
 * connected: a standalone hub pays one branch per tick.
 */
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "dataplane/dp_internal.h"

/* Doubles the list. Returns false when out of memory. */
static bool wm_grow(struct hamd_dataplane *dp)
{
    uint32_t cap = dp->wm_cap ? dp->wm_cap * 2 : DP_WM_INITIAL;
    struct dp_wm_entry *grown = realloc(dp->wm, cap * sizeof *grown);
    if (!grown)
        return false;
    dp->wm = grown;
    dp->wm_cap = cap;
    return true;
}

void dp_wm_mark(struct hamd_dataplane *dp, struct dp_contract *c,
                int64_t datetime_ns, double volume)
{
    struct dp_wm_entry *e;
    if (c->wm_slot) {
        e = &dp->wm[c->wm_slot - 1];
    } else {
        /* Out of memory: the tick goes unnamed, and a takeover re-sends
         * it (a repeat, not a loss). */
        if (dp->wm_len == dp->wm_cap && !wm_grow(dp))
            return;
        e = &dp->wm[dp->wm_len++];
        e->c = c;
        c->wm_slot = dp->wm_len;
    }
    e->datetime_ns = datetime_ns;
    e->volume = volume;
}

void dp_wm_forget(struct hamd_dataplane *dp, struct dp_contract *c)
{
    if (c->wm_slot)
        dp->wm[c->wm_slot - 1].c = NULL;
    c->wm_slot = 0;
}

void dp_wm_reset(struct hamd_dataplane *dp)
{
    for (uint32_t i = 0; i < dp->wm_len; i++)
        if (dp->wm[i].c)
            dp->wm[i].c->wm_slot = 0;
    dp->wm_len = 0;
}

void dp_wm_free(struct hamd_dataplane *dp)
{
    free(dp->wm);
    dp->wm = NULL;
    dp->wm_len = dp->wm_cap = 0;
}

static void wm_send(struct hamd_dataplane *dp, size_t len)
{
    if (len == 0)
        return; /* cannot happen with HAMD_WM_BODY_MAX: see watermark.h */
    zmq_send(dp->pub, HAMD_WM_TOPIC, strlen(HAMD_WM_TOPIC),
             ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(dp->pub, dp->wmbuf, len, ZMQ_DONTWAIT);
    dp->wm_sent++;
}

/* Sends the list in messages of up to HAMD_WM_ENTRIES_MAX contracts (one
 * empty message when there is none), then empties it. */
static void wm_flush(struct hamd_dataplane *dp)
{
    struct hamd_wm_writer wr;
    int64_t ts_ns = hamd_wall_ns(); /* after every tick named */
    hamd_wm_begin(&wr, dp->wmbuf, sizeof dp->wmbuf, ts_ns);
    for (uint32_t i = 0; i < dp->wm_len; i++) {
        const struct dp_wm_entry *e = &dp->wm[i];
        if (!e->c)
            continue;
        if (!hamd_wm_add(&wr, e->c->vt_symbol, e->datetime_ns, e->volume)) {
            wm_send(dp, hamd_wm_finish(&wr));
            hamd_wm_begin(&wr, dp->wmbuf, sizeof dp->wmbuf, ts_ns);
            hamd_wm_add(&wr, e->c->vt_symbol, e->datetime_ns, e->volume);
        }
    }
    wm_send(dp, hamd_wm_finish(&wr));
    dp_wm_reset(dp);
}

int64_t dp_wm_due_ns(const struct hamd_dataplane *dp)
{
    return dp->wm_len > 0 ? dp->next_wm_ns : INT64_MAX;
}

void dp_wm_due(struct hamd_dataplane *dp, int64_t now_ns)
{
    bool hb_due = now_ns >= dp->next_hb_ns;
    if (!dp->pub || (!hb_due && now_ns < dp_wm_due_ns(dp)))
        return;
    if (hamd_gate_followers(&dp->gate) <= 0) {
        dp_wm_reset(dp); /* nobody to tell */
        return;
    }
    struct hamd_gate_lease lease = dp_lease(dp);
    if (!hamd_gate_may_publish(&dp->gate, &lease, now_ns))
        return; /* a lapse: sent once it ends */
    wm_flush(dp);
    dp->next_wm_ns = now_ns + (int64_t)DP_WM_INTERVAL_MS * HAMD_NS_PER_MS;
}
