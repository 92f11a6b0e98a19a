/* What the streaming commands of hactl share: see stream.h. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/clock.h"
#include "hactl/stream.h"

#define STREAM_POLL_MS 100 /* wake up this often to check limits, signals */

static volatile sig_atomic_t g_stop;

static void stream_signal_cb(int sig)
{
    (void)sig;
    g_stop = 1;
}

void hactl_stream_catch_signals(void)
{
    signal(SIGINT, stream_signal_cb);
    signal(SIGTERM, stream_signal_cb);
}

bool hactl_stream_stopping(void)
{
    return g_stop != 0;
}

int hactl_stream_limit_opt(struct hactl_stream_limits *l, int opt,
                           const char *arg, const char *cmd)
{
    if (opt != 'n' && opt != 'S')
        return 0;
    char *end = NULL;
    errno = 0;
    if (opt == 'n') {
        unsigned long long n = strtoull(arg, &end, 10);
        if (errno == 0 && end != arg && *end == '\0' && arg[0] != '-') {
            l->max_count = n;
            return 1;
        }
    } else {
        double s = strtod(arg, &end);
        if (errno == 0 && end != arg && *end == '\0' && isfinite(s) && s >= 0) {
            l->seconds = s;
            return 1;
        }
    }
    fprintf(stderr, "hactl %s: --%s takes a number >= 0, not '%s'\n", cmd,
            opt == 'n' ? "count" : "seconds", arg);
    return -1;
}

void hactl_stream_run(hamd_client_t *c, const struct hactl_stream_limits *l,
                      const uint64_t *count, hactl_stream_each_fn each,
                      void *ud)
{
    int64_t deadline_ns =
        l->seconds > 0
            ? hamd_mono_ns() + (int64_t)(l->seconds * HAMD_NS_PER_S)
            : 0;
    while (!g_stop && (l->max_count == 0 || *count < l->max_count) &&
           (deadline_ns == 0 || hamd_mono_ns() < deadline_ns)) {
        if (hamd_client_poll(c, STREAM_POLL_MS) < 0)
            break;
        if (each && each(ud) < 0)
            break;
    }
}
