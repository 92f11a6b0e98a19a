/* The replay gateway's params: the HAMD_GW_PARAMS JSON object (jansson).
 *
 *   file                string        the recording (required; absolute:
 *                                     hamd runs gateways in its own cwd)
 *   speed               number        1 = recorded pace (default), 2 =
 *                                     twice as fast, 0 = as fast as possible
 *   loop                bool          play the range again and again (true)
 *   from, to            time          the range of recorded time to play
 *                                     (default: the whole file)
 *   start_at            time|"launch" wall time the range starts playing:
 *                                     default, when looping, the Unix epoch
 *                                     (every replay of the file aligned);
 *                                     required without loop
 *   keep_recorded_time  bool          add extra.recorded_ns (false)
 *   log_level           string        debug | info | warn | error (info)
 *
 * A time is an integer of ns since the epoch, or an ISO 8601 string with
 * its zone: "2025-01-02T09:00:00+08:00", "2025-01-02T01:00:00.5Z".
 * Unknown keys are logged and ignored. A key of the wrong type or out of
 * range is an error naming the key.
 */
#ifndef REPLAY_PARAMS_H
#define REPLAY_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPLAY_PATH_MAX 1024      /* bytes of `file` incl. NUL */
#define REPLAY_PARAMS_ERR_MAX 256 /* size of an error buffer */
#define REPLAY_SPEED_MAX 1000     /* fastest paced speed */

/* Where the range's start lies on the wall clock. */
enum replay_start {
    REPLAY_START_ALIGNED = 0, /* the Unix epoch: aligned with every twin */
    REPLAY_START_LAUNCH,      /* when this process started */
    REPLAY_START_AT,          /* start_at_ns */
};

struct replay_params {
    char file[REPLAY_PATH_MAX]; /* the recording */
    uint32_t speed_milli;       /* 1000 = recorded pace, 0 = unpaced */
    bool loop;                  /* play again and again */
    bool has_from;              /* from_ns given */
    int64_t from_ns;            /* range start, recorded time */
    bool has_to;                /* to_ns given */
    int64_t to_ns;              /* range end (excluded), recorded time */
    enum replay_start start;    /* how the anchor is chosen */
    int64_t start_at_ns;        /* REPLAY_START_AT: the anchor */
    bool keep_recorded_time;    /* add extra.recorded_ns */
    int log_level;              /* enum hamd_log_level, -1 = not given */
};

/* Parses the params JSON text. Returns 0, or -1 with a message naming the
 * key in err. */
int replay_params_parse(const char *json_text, struct replay_params *out,
                        char *err, size_t errcap);

/* Parses an ISO 8601 time with its zone ("2025-01-02T09:00:00.250+08:00",
 * "...Z") into epoch ns. Returns 0, or -1 when malformed or zoneless. */
int replay_time_parse(const char *text, int64_t *out_ns);

#endif /* REPLAY_PARAMS_H */
