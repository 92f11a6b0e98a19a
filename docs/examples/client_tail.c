/* client_tail: the C quick start of docs/client.md.
 *
 * Prints a hamd cluster's ticks, each contract's exactly once and in order
 * through any failover, with libhamd-client running in its own thread.
 *
 *   cc -o client_tail client_tail.c $(pkg-config --cflags --libs hamd-client)
 *   ./client_tail -e tcp://10.0.0.1:5551 -e tcp://10.0.0.2:5551 \
 *                 -s tcp://10.0.0.1:5561 -s tcp://10.0.0.2:5561 -n 100 rb
 *
 * One line per tick on stdout ("snapshot" at the end when it came from a
 * snapshot), gaps, leader changes and the client's notices (no heartbeat,
 * reconnects; not the snapshots merged) on stderr. Exit status 0 after -n
 * ticks (or Ctrl-C), 2 on a usage error.
 */
#include <hamd/client.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ENDPOINTS 16

static volatile sig_atomic_t stop;
static atomic_ulong printed; /* ticks printed (by the client's thread) */
static unsigned long count;  /* -n: stop after this many, 0 = never */

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Called from the client's thread, one tick at a time. */
static void on_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    (void)ud;
    if (count && atomic_load(&printed) >= count)
        return; /* main is about to stop the client */
    printf("%s term=%llu seq=%llu last=%g volume=%.0f src=%s%s\n", t->vt_symbol,
           (unsigned long long)t->term, (unsigned long long)t->seq,
           t->last_price, t->volume, t->gateway_name,
           flags & HAMD_CLIENT_TICK_SNAPSHOT ? " snapshot" : "");
    fflush(stdout);
    atomic_fetch_add(&printed, 1);
}

static void on_gap(void *ud, const char *vt, uint64_t term, uint64_t expected,
                   uint64_t got)
{
    (void)ud;
    fprintf(stderr, "gap on %s in term %llu: seq %llu expected, %llu came\n",
            vt, (unsigned long long)term, (unsigned long long)expected,
            (unsigned long long)got);
}

static void on_leader(void *ud, uint64_t term, uint32_t node)
{
    (void)ud;
    fprintf(stderr, "publisher: node %u, term %llu\n", node,
            (unsigned long long)term);
}

/* The client's own view: a typo in an endpoint shows up here as "no
 * heartbeat in 1000 ms since the start". */
static void on_notice(void *ud, enum hamd_client_notice what, const char *text)
{
    (void)ud;
    if (what != HAMD_CLIENT_SNAPSHOT)
        fprintf(stderr, "client: %s\n", text);
}

int main(int argc, char **argv)
{
    const char *pubs[MAX_ENDPOINTS], *snaps[MAX_ENDPOINTS];
    size_t n_pubs = 0, n_snaps = 0;
    int opt;
    while ((opt = getopt(argc, argv, "e:s:n:")) != -1) {
        if (opt == 'e' && n_pubs < MAX_ENDPOINTS)
            pubs[n_pubs++] = optarg;
        else if (opt == 's' && n_snaps < MAX_ENDPOINTS)
            snaps[n_snaps++] = optarg;
        else if (opt == 'n')
            count = strtoul(optarg, NULL, 10);
        else {
            fprintf(stderr, "usage: %s -e PUBLISH_EP... [-s SNAPSHOT_EP...] "
                            "[-n COUNT] [PREFIX...]\n", argv[0]);
            return 2;
        }
    }
    struct hamd_client_opts o = {
        .endpoints = pubs, .n_endpoints = n_pubs,
        .snapshot_endpoints = snaps, .n_snapshot_endpoints = n_snaps,
        .prefixes = (const char *const *)argv + optind,
        .n_prefixes = (size_t)(argc - optind),
        .on_tick = on_tick, .on_gap = on_gap, .on_leader = on_leader,
        .on_notice = on_notice,
    };
    hamd_client_t *client = hamd_client_new(&o);
    if (!client || hamd_client_start(client) < 0) {
        perror("hamd_client_new");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop && (count == 0 || atomic_load(&printed) < count))
        usleep(10000);
    struct hamd_client_stats st;
    hamd_client_stats(client, &st);
    fprintf(stderr, "%llu delivered, %llu repeats dropped, %llu gaps\n",
            (unsigned long long)st.delivered, (unsigned long long)st.duplicates,
            (unsigned long long)st.gaps);
    hamd_client_destroy(&client);
    return 0;
}
