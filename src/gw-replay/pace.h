/* Replay pacing: where a replay stands at a wall time, when a recorded
 * tick is due, and how its times are re-stamped. PURE: the wall time is
 * an argument, so tests run it on a fake clock.
 *
 * The recording's range [first_ns, first_ns + loop_ns) of recorded time
 * (a tick's pacing time: the largest `datetime` up to it in file order)
 * is played from the wall time `anchor_ns` on, at `speed`, and again and
 * again when looping. The position is a pure function of the wall clock:
 *
 *   P(now)   = (now - anchor) * speed          recorded ns since the start
 *   loop     = floor(P / loop_ns)              pass number, 0, 1, 2, ...
 *   rec_ns   = first_ns + P mod loop_ns        recorded time reached
 *
 * so every replay of one file with the same params is at the same place
 * at the same time (a restarted one resumes where its twin is), like the
 * simulator's n = floor(time x rate). A recorded time x of pass k is
 * re-stamped to the wall clock by the inverse map
 *
 *   restamp(k, x) = anchor + (k * loop_ns + x - first_ns) / speed
 *
 * which at speed 1 is a pure shift: spacing kept to the nanosecond.
 * Speed 0 means as fast as possible: everything is due at once and the
 * re-stamp is the speed-1 shift from the anchor (datetimes run ahead of
 * the wall clock then).
 */
#ifndef REPLAY_PACE_H
#define REPLAY_PACE_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_SPEED_UNIT 1000 /* speed_milli of the recorded pace */

/* The constants of one replay. */
struct replay_pace {
    int64_t anchor_ns;    /* wall time at which first_ns of pass 0 plays */
    uint32_t speed_milli; /* 1000 = recorded pace, 0 = as fast as possible */
    int64_t first_ns;     /* recorded pacing time of the range's first tick */
    int64_t loop_ns;      /* recorded ns of one pass (> 0), gap included */
    bool loop;            /* play the range again and again */
};

/* Where a replay stands. */
struct replay_pos {
    int64_t loop;   /* pass number */
    int64_t rec_ns; /* recorded time reached in it */
    bool before;    /* the wall clock is before the anchor: nothing due */
    bool ended;     /* not looping and the one pass is over */
};

/* The position at wall time now_ns (speed > 0). */
void replay_pace_at(const struct replay_pace *p, int64_t now_ns,
                    struct replay_pos *out);

/* A recorded time x of pass k on the wall clock: when a tick whose pacing
 * time is x is due, and what a datetime or localtime x becomes. */
int64_t replay_pace_restamp(const struct replay_pace *p, int64_t k, int64_t x);

/* True when the tick of pass k with pacing time t is due at position pos. */
bool replay_pace_due(const struct replay_pace *p, const struct replay_pos *pos,
                     int64_t k, int64_t t);

/* True when a cursor at pass k has fallen so far behind pos (more than a
 * whole pass) that it should jump to pos rather than catch up: a replay
 * stopped for a long time would otherwise flood the hub with whole
 * passes whose times are long past. */
bool replay_pace_too_far_behind(const struct replay_pace *p,
                                const struct replay_pos *pos, int64_t k);

#endif /* REPLAY_PACE_H */
