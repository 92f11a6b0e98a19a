/* Private to hamd-gw-replay's I/O shell (replay.c, replay_cursor.c,
 * replay_hub.c): the replay object and what its parts share. */
#ifndef REPLAY_INTERNAL_H
#define REPLAY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <zmq.h>

#include "common/log.h"
#include "common/strmap.h"
#include "gw-common/gwout.h"
#include "gw-replay/pace.h"
#include "gw-replay/params.h"
#include "gw-replay/replay.h"
#include "gw-replay/timeline.h"
#include "hamd/tick.h"

/* Where the cursor is in the recording: the next tick to deliver. */
struct replay_cursor {
    int64_t loop;          /* its pass */
    int64_t seq;           /* its index among the range's ticks */
    int64_t t_run;         /* pacing time of the tick before it */
    bool has_next;         /* next holds it (read, not delivered yet) */
    struct hamd_tick next; /* the tick as recorded */
    int64_t next_t;        /* its pacing time */
    bool ended;            /* no loop, and the one pass is delivered */
};

struct replay {
    char account[HAMD_ACCOUNT_ID_MAX];   /* account id = routing identity */
    const struct replay_params *params;  /* settings (not owned) */
    void *zctx;                          /* ZMQ context */
    void *dealer;                        /* to the hub */
    struct hamd_gwout out;               /* outgoing messages, counters */
    struct replay_timeline *tl;          /* the recording, NULL before start */
    bool playing;                        /* the scan is done */
    struct replay_pace pace;             /* wall clock <-> recorded time */
    struct replay_cursor cur;            /* the next tick */
    struct hamd_strmap *subs;            /* subscribed vt_symbols */
    struct hamd_tick tick;               /* scratch: the tick as sent */
    int64_t launch_ns;                   /* wall time of the start */
    int64_t next_hb_ms;                  /* monotonic time of the next HB */
    int64_t wake_wall_ns;                /* next tick due, INT64_MAX: none */
    bool behind;                         /* due ticks were left for later */
    bool blocked;                        /* the send queue was full */
    bool stopping;                       /* STOP received */
    uint64_t hub_bad;                    /* malformed messages from the hub */
    struct hamd_log_rate hub_rate;       /* limits logs of bad hub messages */
    struct hamd_log_rate symbol_rate;    /* limits logs of refused symbols */
    struct hamd_log_rate file_rate;      /* limits logs of file trouble */
    char changed[HAMD_RECFILE_ERR_MAX];  /* why the file no longer reads as
                                            scanned, "" while it does */
};

/* Puts the cursor where the wall clock says (at the start, and after a
 * long stop). */
void replay_cursor_place(struct replay *self, int64_t wall_ns);

/* Sends the ticks due at wall_ns, within the loop's budget. */
void replay_emit_due(struct replay *self, int64_t wall_ns);

/* Reads and handles the hub's pending messages (replay_hub.c). */
void replay_hub_read(struct replay *self);

/* Warns when a subscribed contract never ticks in the recording. */
void replay_check_symbol(struct replay *self, const char *vt_symbol);

#endif /* REPLAY_INTERNAL_H */
