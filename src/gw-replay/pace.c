/* Replay pacing: see pace.h. 128-bit intermediates: a position counted
 * from the Unix epoch at speed 1000 is ~1.7e21 ns, past int64. */
#include "gw-replay/pace.h"

typedef __int128 wide_t;

void replay_pace_at(const struct replay_pace *p, int64_t now_ns,
                    struct replay_pos *out)
{
    *out = (struct replay_pos){.rec_ns = p->first_ns};
    if (now_ns < p->anchor_ns) {
        out->before = true;
        return;
    }
    wide_t pos = (wide_t)(now_ns - p->anchor_ns) * p->speed_milli /
                 REPLAY_SPEED_UNIT;
    wide_t k = pos / p->loop_ns;
    if (!p->loop && k > 0) {
        out->ended = true;
        out->rec_ns = p->first_ns + p->loop_ns;
        return;
    }
    out->loop = (int64_t)k;
    out->rec_ns = p->first_ns + (int64_t)(pos % p->loop_ns);
}

int64_t replay_pace_restamp(const struct replay_pace *p, int64_t k, int64_t x)
{
    wide_t rec = (wide_t)k * p->loop_ns + (x - p->first_ns);
    if (p->speed_milli == 0)
        return p->anchor_ns + (int64_t)rec;
    wide_t wall = rec * REPLAY_SPEED_UNIT / p->speed_milli;
    /* round towards minus infinity, so a time before first_ns maps
     * monotonically too (C division truncates towards zero) */
    if (rec < 0 && wall * p->speed_milli != rec * REPLAY_SPEED_UNIT)
        wall--;
    return p->anchor_ns + (int64_t)wall;
}

bool replay_pace_due(const struct replay_pace *p, const struct replay_pos *pos,
                     int64_t k, int64_t t)
{
    if (p->speed_milli == 0)
        return true;
    if (pos->before)
        return false;
    if (pos->ended)
        return k == 0;
    return k < pos->loop || (k == pos->loop && t <= pos->rec_ns);
}

bool replay_pace_too_far_behind(const struct replay_pace *p,
                                const struct replay_pos *pos, int64_t k)
{
    return p->speed_milli > 0 && !pos->before && !pos->ended &&
           pos->loop - k >= 2;
}
