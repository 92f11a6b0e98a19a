/* bench_client_cpu: the programs of tests/bench/client.sh, which measures
 * the CPU per tick of libhamd-client against a raw SUB that only receives,
 * in the same run, on the same publisher.
 *
 *   bench_client_cpu pub PUB_EP SNAP_EP --rate R --seconds S --contracts N
 *                        --subscribers K
 *   bench_client_cpu raw PUB_EP --expect T
 *   bench_client_cpu lib PUB_EP SNAP_EP --expect T
 *
 * pub plays the hub (docs/protocol.md): an XPUB and a snapshot ROUTER
 * (every request answered with an empty snapshot, END {term 1, count 0}),
 * `_hb` every 100 ms in term 1. Once K subscribers subscribed and 0.5 s of
 * heartbeats went out, it sends T = R * S ticks, real hub ticks (every
 * field, term 1, seq per contract, extra.sim_seq) over N contracts in
 * 1 ms bursts, then heartbeats for another second.
 *
 * raw only receives (two frames a message, nothing decoded); lib receives
 * through libhamd-client (hamd_client_poll), every tick decoded, checked,
 * sequenced, and checks each contract's numbering: +1 each time. Both stop
 * after T ticks or BENCH_IDLE_S without one, and print one line:
 *
 *   ticks=... cpu_s=... cpu_us_per_tick=... lost=... dup=...
 *
 * CPU is the whole process's (the ZeroMQ I/O thread included), from the
 * first tick to the last. Exit 0 when it measured.
 */
#include <errno.h>
#include <getopt.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zmq.h>

#include "bench_util.h"
#include "common/clock.h"
#include "common/mpwrite.h"
#include "hamd/client.h"
#include "hamd/tick.h"

#define BENCH_HB_MS 100              /* `_hb` period, as the hub's default */
#define BENCH_BURST_NS 1000000LL     /* ticks go out in 1 ms bursts */
#define BENCH_WARM_S 0.5             /* heartbeats before the first tick */
#define BENCH_TAIL_S 1.0             /* heartbeats after the last tick */
#define BENCH_SUB_WAIT_S 30.0        /* subscribers must come within */
#define BENCH_IDLE_S 5.0             /* a receiver gives up after this */
#define BENCH_POLL_MS 100            /* receive poll slice */
#define BENCH_CONTRACTS_MAX 10000
#define BENCH_SIM_BASE 1000000       /* first extra.sim_seq */
#define BENCH_DT0_NS 1795340636800000000LL /* first exchange time */

/* ------------------------------------------------------------------------
 * The publisher
 * ------------------------------------------------------------------------ */

/* What pub is asked to do. */
struct bench_pub {
    void *ctx;             /* ZeroMQ context */
    void *pub;             /* XPUB */
    void *snap;            /* ROUTER */
    double rate;           /* ticks per second, all contracts */
    double seconds;        /* how long */
    unsigned contracts;    /* how many */
    unsigned subscribers;  /* wait for this many */
    int64_t next_hb_ns;    /* when `_hb` is due */
    struct hamd_tick tick; /* the tick being sent, rewritten each time */
    uint8_t body[HAMD_TICK_WIRE_MAX]; /* its encoding */
};

static void pub_send(struct bench_pub *p, const char *topic, const void *body,
                     size_t len)
{
    zmq_send(p->pub, topic, strlen(topic), ZMQ_SNDMORE);
    zmq_send(p->pub, body, len, 0);
}

/* Packs {k1: v1, k2: v2} of non-negative integers. Returns its length. */
static size_t pack_pair(uint8_t *buf, size_t cap, const char *k1, uint64_t v1,
                        const char *k2, uint64_t v2)
{
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_map(&w.pk, 2);
    hamd_mpw_str(&w, k1);
    msgpack_pack_uint64(&w.pk, v1);
    hamd_mpw_str(&w, k2);
    msgpack_pack_uint64(&w.pk, v2);
    return hamd_mpw_finish(&w);
}

/* Heartbeats when due; answers snapshot requests; counts subscriptions. */
static void pub_service(struct bench_pub *p, unsigned *subs)
{
    int64_t now = hamd_mono_ns();
    uint8_t buf[64];
    if (now >= p->next_hb_ns) {
        p->next_hb_ns = now + BENCH_HB_MS * HAMD_NS_PER_MS;
        pub_send(p, "_hb", buf, pack_pair(buf, sizeof buf, "term", 1, "node", 1));
    }
    uint8_t sub[64];
    int len;
    /* A raw SUB subscribes to "" only; a library client to "" too. */
    while ((len = zmq_recv(p->pub, sub, sizeof sub, ZMQ_DONTWAIT)) >= 0)
        if (len == 1 && sub[0] == 1)
            (*subs)++;
    zmq_msg_t id, part;
    zmq_msg_init(&id);
    while (zmq_msg_recv(&id, p->snap, ZMQ_DONTWAIT) >= 0) {
        bool more = zmq_msg_more(&id);
        while (more) { /* the request's frames: any request gets an answer */
            zmq_msg_init(&part);
            zmq_msg_recv(&part, p->snap, 0);
            more = zmq_msg_more(&part);
            zmq_msg_close(&part);
        }
        zmq_send(p->snap, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
        zmq_send(p->snap, "END", 3, ZMQ_SNDMORE);
        zmq_send(p->snap, buf, pack_pair(buf, sizeof buf, "term", 1, "count", 0), 0);
    }
    zmq_msg_close(&id);
}

/* Services for `seconds`, sleeping in 1 ms steps. */
static void pub_idle(struct bench_pub *p, double seconds, unsigned *subs)
{
    int64_t end = hamd_mono_ns() + (int64_t)(seconds * HAMD_NS_PER_S);
    while (hamd_mono_ns() < end) {
        pub_service(p, subs);
        zmq_poll(NULL, 0, 1);
    }
}

/* Sends tick number n (0-based) of the run: contract n % contracts. */
static void pub_tick(struct bench_pub *p, uint64_t n)
{
    struct hamd_tick *t = &p->tick;
    unsigned c = (unsigned)(n % p->contracts);
    uint64_t round = n / p->contracts; /* the contract's own count */
    snprintf(t->symbol, sizeof t->symbol, "c%04u", c);
    snprintf(t->vt_symbol, sizeof t->vt_symbol, "c%04u.BENCH", c);
    t->datetime_ns = BENCH_DT0_NS + (int64_t)round * HAMD_NS_PER_MS;
    t->localtime_ns = t->datetime_ns + 500000;
    t->volume = (double)round;
    t->last_price = 3000.0 + (double)(round % 17);
    t->seq = round + 1;
    t->hub_ns = hamd_wall_ns();
    hamd_tick_extra_set_int(t, "sim_seq", (int64_t)(BENCH_SIM_BASE + round));
    size_t len = hamd_tick_encode(t, true, p->body, sizeof p->body);
    pub_send(p, t->vt_symbol, p->body, len);
}

static void pub_tick_init(struct hamd_tick *t)
{
    memset(t, 0, sizeof *t);
    strcpy(t->exchange, "BENCH");
    strcpy(t->gateway_name, "bench");
    t->turnover = 1e9;
    t->open_interest = 12345;
    t->last_volume = 1;
    t->limit_up = 3300;
    t->limit_down = 2700;
    t->open_price = 3000;
    t->high_price = 3020;
    t->low_price = 2990;
    t->pre_close = 3001;
    for (int i = 0; i < HAMD_TICK_DEPTH; i++) {
        t->bid_price[i] = 2999 - i;
        t->ask_price[i] = 3001 + i;
        t->bid_volume[i] = 10 + i;
        t->ask_volume[i] = 20 + i;
    }
    t->has_hub = true;
    t->term = 1;
    t->node = 1;
}

static int run_pub(struct bench_pub *p, const char *pub_ep, const char *snap_ep)
{
    p->ctx = zmq_ctx_new();
    p->pub = zmq_socket(p->ctx, ZMQ_XPUB);
    p->snap = zmq_socket(p->ctx, ZMQ_ROUTER);
    int verbose = 1, hwm = 0;
    zmq_setsockopt(p->pub, ZMQ_XPUB_VERBOSE, &verbose, sizeof verbose);
    zmq_setsockopt(p->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind(p->pub, pub_ep) < 0 || zmq_bind(p->snap, snap_ep) < 0) {
        fprintf(stderr, "bench pub: bind: %s\n", zmq_strerror(errno));
        return 1;
    }
    pub_tick_init(&p->tick);
    unsigned subs = 0;
    int64_t give_up = hamd_mono_ns() + (int64_t)(BENCH_SUB_WAIT_S * HAMD_NS_PER_S);
    while (subs < p->subscribers && hamd_mono_ns() < give_up)
        pub_idle(p, 0.01, &subs);
    if (subs < p->subscribers) {
        fprintf(stderr, "bench pub: %u of %u subscribers\n", subs, p->subscribers);
        return 1;
    }
    pub_idle(p, BENCH_WARM_S, &subs);
    uint64_t total = (uint64_t)(p->rate * p->seconds), sent = 0;
    int64_t start = hamd_mono_ns();
    while (sent < total) {
        int64_t now = hamd_mono_ns();
        uint64_t due = (uint64_t)((double)(now - start) / HAMD_NS_PER_S * p->rate);
        while (sent < due && sent < total)
            pub_tick(p, sent++);
        pub_service(p, &subs);
        zmq_poll(NULL, 0, 1); /* one burst per ms */
    }
    pub_idle(p, BENCH_TAIL_S, &subs);
    printf("sent=%llu\n", (unsigned long long)sent);
    zmq_close(p->pub);
    zmq_close(p->snap);
    zmq_ctx_term(p->ctx);
    return 0;
}

/* ------------------------------------------------------------------------
 * The receivers
 * ------------------------------------------------------------------------ */

/* What a receiver counted. */
struct bench_rx {
    uint64_t expect;        /* ticks the publisher sends */
    uint64_t ticks;         /* ticks received (raw) or delivered (lib) */
    uint64_t dup;           /* sim_seq not above the contract's last */
    double cpu0, cpu1;      /* process CPU at the first and last tick */
    int64_t last_tick_ns;   /* when the last one came */
    int64_t last_sim[BENCH_CONTRACTS_MAX]; /* per contract, 0: none */
    int64_t first_sim[BENCH_CONTRACTS_MAX];
    uint64_t count[BENCH_CONTRACTS_MAX];   /* per contract */
};

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void rx_count(struct bench_rx *rx)
{
    if (rx->ticks == 0)
        rx->cpu0 = self_cpu_s();
    rx->ticks++;
    rx->last_tick_ns = hamd_mono_ns();
    if (rx->ticks == rx->expect)
        rx->cpu1 = self_cpu_s();
}

static bool rx_done(const struct bench_rx *rx)
{
    return rx->ticks >= rx->expect ||
           (rx->ticks > 0 && hamd_mono_ns() - rx->last_tick_ns >
                                 (int64_t)(BENCH_IDLE_S * HAMD_NS_PER_S));
}

/* Prints the result line; lost: sim_seq missing inside each contract's
 * run, and whatever never came. */
static void rx_report(struct bench_rx *rx)
{
    if (rx->cpu1 == 0)
        rx->cpu1 = self_cpu_s();
    uint64_t seen = 0, holes = 0;
    for (unsigned c = 0; c < BENCH_CONTRACTS_MAX; c++) {
        if (!rx->count[c])
            continue;
        uint64_t span = (uint64_t)(rx->last_sim[c] - rx->first_sim[c] + 1);
        seen += rx->count[c];
        holes += span > rx->count[c] ? span - rx->count[c] : 0;
    }
    uint64_t missing = rx->expect > rx->ticks ? rx->expect - rx->ticks : 0;
    double cpu = rx->cpu1 - rx->cpu0;
    printf("ticks=%llu cpu_s=%.3f cpu_us_per_tick=%.3f lost=%llu dup=%llu\n",
           (unsigned long long)rx->ticks, cpu,
           rx->ticks ? cpu * 1e6 / (double)rx->ticks : 0.0,
           (unsigned long long)(seen ? (holes > missing ? holes : missing) : missing),
           (unsigned long long)rx->dup);
}

static int run_raw(struct bench_rx *rx, const char *ep)
{
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 0, linger = 0;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(sub, ep);
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    while (!rx_done(rx)) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, BENCH_POLL_MS) <= 0)
            continue;
        while (zmq_msg_recv(&topic, sub, ZMQ_DONTWAIT) >= 0 &&
               zmq_msg_recv(&body, sub, 0) >= 0)
            if (((const char *)zmq_msg_data(&topic))[0] != '_')
                rx_count(rx);
    }
    rx_report(rx);
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return 0;
}

/* The contract index of "c0042.BENCH" (4 digits, as pub names them). */
static unsigned contract_of(const char *symbol)
{
    unsigned c = 0;
    for (int i = 1; i <= 4 && symbol[i] >= '0' && symbol[i] <= '9'; i++)
        c = c * 10 + (unsigned)(symbol[i] - '0');
    return c;
}

/* libhamd-client's on_tick: counts and checks the contract's numbering.
 * pub numbers each contract's ticks seq 1, 2, ... in one term, and
 * extra.sim_seq the same plus BENCH_SIM_BASE: with no failover here, seq
 * says what sim_seq would, for a tenth of the work. */
static void lib_on_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    struct bench_rx *rx = ud;
    (void)flags;
    unsigned c = contract_of(t->symbol);
    int64_t sim = (int64_t)t->seq;
    if (c >= BENCH_CONTRACTS_MAX)
        return;
    if (rx->count[c] && sim <= rx->last_sim[c])
        rx->dup++;
    if (!rx->count[c])
        rx->first_sim[c] = sim;
    rx->last_sim[c] = sim;
    rx->count[c]++;
    rx_count(rx);
}

static int run_lib(struct bench_rx *rx, const char *ep, const char *snap_ep)
{
    const char *eps[1] = {ep}, *snaps[1] = {snap_ep};
    struct hamd_client_opts o = {
        .endpoints = eps, .n_endpoints = 1,
        .snapshot_endpoints = snaps, .n_snapshot_endpoints = 1,
        .on_tick = lib_on_tick, .ud = rx,
    };
    hamd_client_t *c = hamd_client_new(&o);
    if (!c) {
        fprintf(stderr, "bench lib: hamd_client_new: %s\n", strerror(errno));
        return 1;
    }
    while (!rx_done(rx))
        hamd_client_poll(c, BENCH_POLL_MS);
    rx_report(rx);
    hamd_client_destroy(&c);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rate", required_argument, NULL, 'r'},
        {"seconds", required_argument, NULL, 's'},
        {"contracts", required_argument, NULL, 'c'},
        {"subscribers", required_argument, NULL, 'k'},
        {"expect", required_argument, NULL, 'e'},
        {NULL, 0, NULL, 0},
    };
    static struct bench_pub p = {.rate = 10000, .seconds = 5, .contracts = 100,
                                 .subscribers = 1};
    static struct bench_rx rx;
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'r': p.rate = strtod(optarg, NULL); break;
        case 's': p.seconds = strtod(optarg, NULL); break;
        case 'c': p.contracts = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'k': p.subscribers = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'e': rx.expect = strtoull(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    const char *mode = optind < argc ? argv[optind] : "";
    const char *ep = optind + 1 < argc ? argv[optind + 1] : NULL;
    const char *snap = optind + 2 < argc ? argv[optind + 2] : NULL;
    if (!ep || p.contracts == 0 || p.contracts > BENCH_CONTRACTS_MAX) {
        fprintf(stderr, "usage: bench_client_cpu pub|raw|lib PUB_EP [SNAP_EP] ...\n");
        return 2;
    }
    if (strcmp(mode, "pub") == 0 && snap)
        return run_pub(&p, ep, snap);
    if (strcmp(mode, "raw") == 0 && rx.expect)
        return run_raw(&rx, ep);
    if (strcmp(mode, "lib") == 0 && snap && rx.expect)
        return run_lib(&rx, ep, snap);
    fprintf(stderr, "bench_client_cpu: bad mode or arguments\n");
    return 2;
}
