/* Which stream a follower reads: see followmode.h. */
#include "core/followmode.h"

#include "common/clock.h"

void hamd_followmode_init(struct hamd_followmode *m)
{
    m->read = HAMD_FOLLOWMODE_WATERMARKS;
    m->hb_since_wm = 0;
    m->heard_hb = false;
    m->first_hb_ns = 0;
}

bool hamd_followmode_heartbeat(struct hamd_followmode *m, int64_t now_ns)
{
    if (!m->heard_hb) {
        m->heard_hb = true;
        m->first_hb_ns = now_ns;
    }
    if (m->hb_since_wm < HAMD_FOLLOWMODE_HB_WITHOUT_WM)
        m->hb_since_wm++;
    if (m->read == HAMD_FOLLOWMODE_TICKS ||
        m->hb_since_wm < HAMD_FOLLOWMODE_HB_WITHOUT_WM ||
        now_ns - m->first_hb_ns <
            (int64_t)HAMD_FOLLOWMODE_SWITCH_AFTER_MS * HAMD_NS_PER_MS)
        return false;
    m->read = HAMD_FOLLOWMODE_TICKS;
    return true;
}

void hamd_followmode_watermark(struct hamd_followmode *m)
{
    m->hb_since_wm = 0;
}
