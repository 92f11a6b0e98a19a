/* What the streaming commands of hactl share (tail, record, events -f):
 * stopping on SIGINT or SIGTERM, the --count and --seconds limits, and
 * the poll loop of a libhamd-client subscription. */
#ifndef HACTL_STREAM_H
#define HACTL_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "hamd/client.h"

/* The getopt letters of the limits, for a command's optstring. */
#define HACTL_STREAM_LIMIT_OPTS "n:S:"

/* Where a streaming command stops; 0 means never. */
struct hactl_stream_limits {
    uint64_t max_count; /* --count N: after this many ticks */
    double seconds;     /* --seconds S: after this long */
};

/* The getopt_long entries of --count and --seconds. */
#define HACTL_STREAM_LIMIT_LONGOPTS                                            \
    {"count", required_argument, NULL, 'n'},                                   \
        {"seconds", required_argument, NULL, 'S'}

/* Takes opt if it is a limit ('n' or 'S'): returns 1 when it was, 0 when
 * opt is another option, -1 after printing "hactl CMD: ..." for a value
 * that is not a number >= 0. */
int hactl_stream_limit_opt(struct hactl_stream_limits *l, int opt,
                           const char *arg, const char *cmd);

/* From now on SIGINT and SIGTERM only ask the command to stop. */
void hactl_stream_catch_signals(void);

/* True once SIGINT or SIGTERM arrived (after hactl_stream_catch_signals). */
bool hactl_stream_stopping(void);

/* Called after every poll of hactl_stream_run; a value < 0 stops it. */
typedef int (*hactl_stream_each_fn)(void *ud);

/* Polls c until the limits (*count ticks so far, the seconds since the
 * call), a signal, a failed poll or each returning < 0. */
void hactl_stream_run(hamd_client_t *c, const struct hactl_stream_limits *l,
                      const uint64_t *count, hactl_stream_each_fn each,
                      void *ud);

#endif /* HACTL_STREAM_H */
