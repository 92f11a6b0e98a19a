/* One message into the core: see client_msg.h. */
#include "client/client_msg.h"

bool cmsg_sub(struct ccore *core, unsigned slot, const void *topic,
              size_t tlen, const void *body, size_t blen, int64_t now_ns,
              char type[CCWIRE_EVENT_TYPE_MAX])
{
    if (tlen > 0 && ((const char *)topic)[0] == '_') {
        uint64_t term;
        uint32_t node;
        bool hb = ccwire_topic_is(topic, tlen, CCWIRE_HB_TOPIC);
        bool event = ccwire_topic_is(topic, tlen, CCWIRE_EVENT_TOPIC);
        if (!hb && !event) {
            ccore_other(core, slot, now_ns); /* reserved: ignored */
        } else if (hb && ccwire_heartbeat(body, blen, &term, &node)) {
            ccore_heartbeat(core, slot, term, node, now_ns);
        } else if (event && ccwire_event(body, blen, type)) {
            ccore_event(core, slot, now_ns);
            return true;
        } else {
            ccore_malformed(core, slot, hb ? "bad _hb body" : "bad _event body",
                            now_ns);
        }
        return false;
    }
    struct hamd_tick t;
    const char *bad = ccwire_tick(topic, tlen, body, blen, true, &t);
    if (bad)
        ccore_malformed(core, slot, bad, now_ns);
    else
        ccore_tick(core, slot, &t, now_ns);
    return false;
}

void cmsg_snapshot(struct ccore *core, bool two_frames, const void *topic,
                   size_t tlen, const void *body, size_t blen, int64_t now_ns)
{
    const char *bad = "not two frames";
    if (two_frames && ccwire_topic_is(topic, tlen, CCWIRE_END_TOPIC)) {
        uint64_t term = 0, count = 0;
        bool ok = ccwire_end(body, blen, &term, &count);
        ccore_snapshot_end(core, ok, term, count, now_ns);
        return;
    }
    struct hamd_tick t;
    if (two_frames && !(bad = ccwire_tick(topic, tlen, body, blen, false, &t))) {
        ccore_snapshot_tick(core, &t);
        return;
    }
    ccore_malformed(core, CCORE_SLOTS_MAX, bad, now_ns);
    ccore_snapshot_tick(core, NULL);
}
