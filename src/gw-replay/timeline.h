/* The recording as a replay sees it: one scan of the file finds the range
 * of ticks to play (params from/to), checks every tick, and keeps a sparse
 * index from recorded time to file offset, so a replay can start (and
 * resume) at the position the wall clock gives without reading from the
 * top. The scan runs in slices between the gateway's heartbeats.
 *
 * A tick's pacing time is the largest `datetime` of the ticks up to it in
 * file order: the file keeps the order the hub published in, and ticks of
 * different contracts are not sorted by exchange time.
 */
#ifndef REPLAY_TIMELINE_H
#define REPLAY_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/recfile.h"
#include "common/strmap.h"
#include "gw-replay/params.h"

#define REPLAY_MARK_EVERY_TICKS 1024 /* ticks between two index marks */
/* Recorded time between a pass's last tick and the next pass's first: a
 * pass then ends before the next begins, and every re-stamped datetime of
 * a contract is later than the previous pass's. */
#define REPLAY_LOOP_GAP_NS 1000000000LL

/* One index mark: a tick of the range and where it is. */
struct replay_mark {
    int64_t offset; /* file offset of its record */
    int64_t seq;    /* its index among the range's ticks */
    int64_t t_prev; /* pacing time of the tick before it (first_ns at 0) */
    int64_t t;      /* its own pacing time */
};

struct replay_timeline {
    struct hamd_recfile_reader *reader; /* the file (owned) */
    const struct replay_params *params; /* from / to (not owned) */
    int64_t start_offset;      /* first tick of the range, -1 = none yet */
    int64_t end_offset;        /* offset after the range's last tick */
    int64_t ticks;             /* ticks in the range */
    int64_t first_ns;          /* pacing time of the first */
    int64_t last_ns;           /* pacing time of the last */
    int64_t dt_min, dt_max;    /* smallest and largest datetime in range */
    int64_t t_run;             /* scan: pacing time so far */
    int64_t torn_bytes;        /* a torn last record skipped (bytes) */
    bool done;                 /* scan finished */
    struct replay_mark *marks; /* the index, by seq */
    size_t n_marks, cap_marks; /* used and allocated marks */
    struct hamd_strmap *symbols; /* vt_symbols that tick in the range */
};

/* Opens the recording for a scan. NULL with the reason (naming the file
 * and an offset) in err. */
struct replay_timeline *replay_timeline_new(const struct replay_params *params,
                                            char *err, size_t errcap);

/* Frees it and sets *self_p to NULL. */
void replay_timeline_destroy(struct replay_timeline **self_p);

/* Scans up to budget records. Returns 1 when the scan is complete, 0 when
 * more remains, -1 with the reason in err (a corrupt record or tick, no
 * tick in the range). */
int replay_timeline_scan(struct replay_timeline *self, unsigned budget,
                         char *err, size_t errcap);

/* Recorded ns of one pass (the range, the gap included). */
int64_t replay_timeline_loop_ns(const struct replay_timeline *self);

/* Reads the datetime of a tick record's body without decoding the rest.
 * Returns false when it has no integer datetime. */
bool replay_tick_datetime(const struct hamd_recfile_record *rec, int64_t *out);

/* The last mark whose tick's pacing time is at most rec_ns (the first
 * mark when none is). */
const struct replay_mark *replay_timeline_find(const struct replay_timeline *self,
                                               int64_t rec_ns);

#endif /* REPLAY_TIMELINE_H */
