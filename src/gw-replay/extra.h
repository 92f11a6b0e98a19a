/* The `extra` map of a replayed tick: PURE.
 *
 * The recorded tick's own extra entries (a simulator's sim_seq, say) are
 * kept, and the replay adds
 *
 *   replay_loop   the pass through the recording (0, 1, 2, ...)
 *   replay_seq    the tick's index among the range's ticks (0, 1, 2, ...)
 *   recorded_ns   its recorded datetime, with params.keep_recorded_time
 *
 * (a recorded entry of one of these names is replaced). Two replays of a
 * file give the same tick the same map, and (replay_loop, replay_seq)
 * names it, so a test proves exactly-once delivery as with sim_seq.
 */
#ifndef REPLAY_EXTRA_H
#define REPLAY_EXTRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPLAY_EXTRA_LOOP "replay_loop"
#define REPLAY_EXTRA_SEQ "replay_seq"
#define REPLAY_EXTRA_RECORDED "recorded_ns"

/* What the replay adds. */
struct replay_extra {
    int64_t loop;        /* replay_loop */
    int64_t seq;         /* replay_seq */
    bool keep_recorded;  /* add recorded_ns */
    int64_t recorded_ns; /* its value */
};

/* Writes the map into out (cap bytes): the entries of the recorded map
 * old[0..old_len) (0 = none; it must be one msgpack map), then ours. When
 * the whole does not fit, the recorded entries are left out. Returns the
 * length, or 0 when even ours do not fit. *dropped tells whether recorded
 * entries were left out. */
size_t replay_extra_build(const uint8_t *old, size_t old_len,
                          const struct replay_extra *add, uint8_t *out,
                          size_t cap, bool *dropped);

#endif /* REPLAY_EXTRA_H */
