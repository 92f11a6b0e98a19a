/* bench_raw_pubsub: the raw ZeroMQ baseline of the tick-path benchmark.
 *
 * Two processes on loopback, no hub in between: a publisher sends
 * two-frame [topic][msgpack body] messages like the hub's, a subscriber
 * receives them, reads the body and measures. Run by tests/bench/
 * tick_path.sh, which compares the hub against these numbers.
 *
 *   bench_raw_pubsub pub ENDPOINT --flood N [--size BYTES]
 *   bench_raw_pubsub pub ENDPOINT --paced RATE SECONDS [--size BYTES]
 *   bench_raw_pubsub pub ENDPOINT --market BURST_N BURST_MS ACTIVE_N
 *                        ACTIVE_RATE SECONDS [--size BYTES]
 *   bench_raw_pubsub sub ENDPOINT [--skip-s S] [--timeout-s S]
 *   bench_raw_pubsub relay IN_ENDPOINT OUT_ENDPOINT
 *
 * The publisher binds an XPUB with XPUB_NODROP: it waits until the
 * subscription arrives (no slow-joiner loss) and, when the subscriber
 * falls behind, waits instead of dropping, so --flood measures the
 * sustainable rate. --paced sends RATE messages/s in bursts every
 * RAW_BURST_PERIOD_NS, every message of a burst stamped with the burst's
 * start (CLOCK_REALTIME ns): the pattern and the stamping of hamd-gw-sim,
 * whose loop stamps `localtime` once per iteration, so the two latency
 * figures compare like with like. --market sends bench_gw_flood's market
 * pattern (CTP's): BURST_N messages at once every BURST_MS, plus ACTIVE_N
 * active contracts at ACTIVE_RATE messages/s each, spread evenly (their
 * total rate, checked every RAW_BURST_PERIOD_NS), each pass stamped once.
 * The last message is topic `_end` with {sent: N}.
 *
 * The subscriber prints one line of key=value: msgs, tps (first to last
 * message), lost (sent - received), p50/p99/p999/max latency in us
 * (receive CLOCK_REALTIME - stamp) over messages received after --skip-s.
 * Exit 0 when it saw `_end`, 1 otherwise.
 *
 * The relay is the floor of any hub: a process that forwards every
 * message between two ZeroMQ hops and does nothing else (zmq_proxy, an
 * XSUB connected to the publisher, an XPUB bound for the subscriber, so
 * subscriptions flow upstream and nothing is dropped). It runs until it
 * is killed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

#include "bench_util.h"
#include "common/clock.h"
#include "common/mpread.h"
#include "common/mpwrite.h"

#define RAW_SIZE_DEFAULT 200          /* body bytes, msgpack */
#define RAW_TOPICS 100                /* distinct topics cycled through */
#define RAW_SNDHWM_MSGS 100000        /* queue before the publisher waits */
#define RAW_LINGER_MS 5000            /* flush time on exit */
#define RAW_SUB_WAIT_MS 10000         /* how long to wait for a subscriber */
#define RAW_POLL_MS 100               /* poll slice of every wait */
#define RAW_BURST_PERIOD_NS 1000000LL /* paced mode: one burst per ms */
#define RAW_SKIP_S_DEFAULT 0.5        /* latency warm-up skipped */
#define RAW_TIMEOUT_S_DEFAULT 10.0    /* silence that ends the subscriber */
#define RAW_END_TOPIC "_end"
#define RAW_BODY_MAX 4096

/* CPU seconds used so far by this process, all threads. */
static double self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ------------------------------------------------------------------------
 * Publisher
 * ------------------------------------------------------------------------ */

struct raw_pub {
    void *ctx;                  /* ZeroMQ context */
    void *sock;                 /* XPUB */
    size_t size;                /* target body size, bytes */
    uint64_t sent;              /* messages sent */
    char topics[RAW_TOPICS][24];/* "raw007.BENCH" ... */
    uint8_t body[RAW_BODY_MAX]; /* encode buffer */
    uint8_t pad[RAW_BODY_MAX];  /* zeros: the padding's content */
};

/* Encodes message seq stamped ts_ns, padded with a bin so the body is
 * pub->size bytes. Returns the body length, 0 on overflow. */
static size_t raw_encode(struct raw_pub *pub, uint64_t seq, int64_t ts_ns,
                         size_t pad)
{
    struct hamd_mpw w;
    hamd_mpw_init(&w, pub->body, sizeof pub->body);
    msgpack_pack_map(&w.pk, 5);
    hamd_mpw_str(&w, "vt_symbol");
    hamd_mpw_str(&w, pub->topics[seq % RAW_TOPICS]);
    hamd_mpw_str(&w, "seq");
    msgpack_pack_uint64(&w.pk, seq);
    hamd_mpw_str(&w, "ts_ns");
    msgpack_pack_int64(&w.pk, ts_ns);
    hamd_mpw_str(&w, "last_price");
    msgpack_pack_double(&w.pk, 3500.0 + (double)(seq % 17));
    hamd_mpw_str(&w, "pad");
    msgpack_pack_bin(&w.pk, pad);
    msgpack_pack_bin_body(&w.pk, pub->pad, pad);
    return hamd_mpw_finish(&w);
}

/* Pad length that makes a body exactly pub->size bytes (as near as the
 * msgpack headers allow). */
static size_t raw_pad_for(struct raw_pub *pub)
{
    size_t base = raw_encode(pub, UINT32_MAX + 1ULL, INT64_MAX / 2, 0);
    return pub->size > base ? pub->size - base : 0;
}

/* Sends one frame, waiting while XPUB_NODROP reports a full queue. */
static int raw_send_frame(void *sock, const void *buf, size_t len, int flags)
{
    for (;;) {
        if (zmq_send(sock, buf, len, flags | ZMQ_DONTWAIT) >= 0)
            return 0;
        if (errno != EAGAIN)
            return -1;
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLOUT, 0};
        zmq_poll(&it, 1, RAW_POLL_MS);
    }
}

static int raw_send(struct raw_pub *pub, uint64_t seq, int64_t ts_ns, size_t pad)
{
    size_t len = raw_encode(pub, seq, ts_ns, pad);
    const char *topic = pub->topics[seq % RAW_TOPICS];
    if (len == 0 || raw_send_frame(pub->sock, topic, strlen(topic), ZMQ_SNDMORE) ||
        raw_send_frame(pub->sock, pub->body, len, 0))
        return -1;
    pub->sent++;
    return 0;
}

/* Waits for the first subscription message on the XPUB. */
static int raw_wait_subscriber(struct raw_pub *pub)
{
    zmq_pollitem_t it = {pub->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, RAW_SUB_WAIT_MS) <= 0)
        return -1;
    char sub[256];
    return zmq_recv(pub->sock, sub, sizeof sub, 0) >= 1 && sub[0] == 1 ? 0 : -1;
}

static int raw_flood(struct raw_pub *pub, uint64_t count, size_t pad)
{
    for (uint64_t seq = 1; seq <= count; seq++)
        if (raw_send(pub, seq, hamd_wall_ns(), pad) != 0)
            return -1;
    return 0;
}

static void sleep_until_mono(int64_t deadline_ns)
{
    struct timespec ts = {deadline_ns / HAMD_NS_PER_S, deadline_ns % HAMD_NS_PER_S};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int raw_paced(struct raw_pub *pub, double rate, double seconds, size_t pad)
{
    int64_t t0 = hamd_mono_ns();
    int64_t end = t0 + (int64_t)(seconds * HAMD_NS_PER_S);
    uint64_t seq = 0;
    for (int64_t k = 1;; k++) {
        int64_t due_ns = t0 + k * RAW_BURST_PERIOD_NS;
        if (due_ns > end)
            return 0;
        sleep_until_mono(due_ns);
        uint64_t target = (uint64_t)(rate * (double)(due_ns - t0) / HAMD_NS_PER_S);
        int64_t stamp = hamd_wall_ns();
        while (seq < target)
            if (raw_send(pub, ++seq, stamp, pad) != 0)
                return -1;
    }
}

/* The market pattern's shape (--market). */
struct raw_market {
    uint64_t burst_n;    /* messages of each burst */
    int64_t burst_ns;    /* burst period */
    uint64_t active_n;   /* active contracts */
    double active_rate;  /* messages/s of each */
};

static int raw_market(struct raw_pub *pub, const struct raw_market *mk,
                      double seconds, size_t pad)
{
    int64_t t0 = hamd_mono_ns(), next_burst = t0;
    int64_t end = t0 + (int64_t)(seconds * HAMD_NS_PER_S);
    uint64_t seq = 0, active_sent = 0;
    for (int64_t k = 1;; k++) {
        int64_t due_ns = t0 + k * RAW_BURST_PERIOD_NS;
        if (due_ns > end)
            return 0;
        sleep_until_mono(due_ns);
        int64_t now = hamd_mono_ns(), stamp = hamd_wall_ns();
        uint64_t due = (uint64_t)((double)(now - t0) / HAMD_NS_PER_S *
                                  mk->active_rate * (double)mk->active_n);
        for (; active_sent < due; active_sent++)
            if (raw_send(pub, ++seq, stamp, pad) != 0)
                return -1;
        if (now < next_burst)
            continue;
        next_burst += mk->burst_ns;
        for (uint64_t i = 0; i < mk->burst_n; i++)
            if (raw_send(pub, ++seq, stamp, pad) != 0)
                return -1;
    }
}

static int raw_send_end(struct raw_pub *pub)
{
    struct hamd_mpw w;
    hamd_mpw_init(&w, pub->body, sizeof pub->body);
    msgpack_pack_map(&w.pk, 2);
    hamd_mpw_str(&w, "sent");
    msgpack_pack_uint64(&w.pk, pub->sent);
    /* The publisher's CPU so far (its sending is done): the subscriber
     * reports both sides' cost per message. */
    hamd_mpw_str(&w, "cpu_us");
    msgpack_pack_int64(&w.pk, (int64_t)(self_cpu_s() * 1e6));
    size_t len = hamd_mpw_finish(&w);
    return raw_send_frame(pub->sock, RAW_END_TOPIC, strlen(RAW_END_TOPIC),
                          ZMQ_SNDMORE) ||
           raw_send_frame(pub->sock, pub->body, len, 0);
}

static int run_pub(const char *endpoint, uint64_t flood, double rate,
                   const struct raw_market *mk, double seconds, size_t size)
{
    struct raw_pub *pub = calloc(1, sizeof *pub);
    if (!pub)
        return 1;
    pub->size = size;
    for (int i = 0; i < RAW_TOPICS; i++)
        snprintf(pub->topics[i], sizeof pub->topics[i], "raw%03d.BENCH", i);
    pub->ctx = zmq_ctx_new();
    pub->sock = zmq_socket(pub->ctx, ZMQ_XPUB);
    int hwm = RAW_SNDHWM_MSGS, one = 1, linger = RAW_LINGER_MS;
    zmq_setsockopt(pub->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(pub->sock, ZMQ_XPUB_NODROP, &one, sizeof one);
    zmq_setsockopt(pub->sock, ZMQ_LINGER, &linger, sizeof linger);
    int rc = 1;
    if (zmq_bind(pub->sock, endpoint) != 0) {
        fprintf(stderr, "raw pub: bind %s: %s\n", endpoint, zmq_strerror(errno));
    } else if (raw_wait_subscriber(pub) != 0) {
        fprintf(stderr, "raw pub: no subscriber within %d ms\n", RAW_SUB_WAIT_MS);
    } else {
        size_t pad = raw_pad_for(pub);
        int r = flood ? raw_flood(pub, flood, pad)
                : mk->burst_ns ? raw_market(pub, mk, seconds, pad)
                               : raw_paced(pub, rate, seconds, pad);
        if (r == 0 && raw_send_end(pub) == 0)
            rc = 0;
        else
            fprintf(stderr, "raw pub: send: %s\n", zmq_strerror(errno));
    }
    zmq_close(pub->sock);
    zmq_ctx_term(pub->ctx);
    free(pub);
    return rc;
}

/* ------------------------------------------------------------------------
 * Subscriber
 * ------------------------------------------------------------------------ */

struct raw_sub {
    uint64_t msgs;              /* data messages received */
    uint64_t last_seq;          /* for gap counting */
    uint64_t gaps;              /* messages missing between seqs */
    uint64_t sent;              /* from `_end`; 0 until then */
    int64_t pub_cpu_us;         /* from `_end`: the publisher's CPU */
    bool ended;                 /* `_end` seen */
    int64_t first_mono_ns;      /* first data message */
    int64_t last_mono_ns;       /* last data message */
    size_t body_bytes;          /* size of the last body */
    long long host_busy0, host_total0; /* host CPU at the first message */
    double host_pct;            /* host CPU, first to last message */
    struct bench_samples lat;   /* receive - stamp, ns */
};

/* Reads seq and ts_ns from a body (sent and cpu_us from the `_end`
 * body). Returns false when seq / sent is missing. */
static bool raw_scan(const void *buf, size_t len, uint64_t *seq, int64_t *ts)
{
    /* a message carries seq and ts_ns; the end marker sent and cpu_us */
    static const char *const keys[] = {"seq", "sent", "ts_ns", "cpu_us"};
    struct hamd_mpr_val v[4];
    int64_t x;
    if (!hamd_mpr_map_find(buf, len, keys, v, 4))
        return false;
    const struct hamd_mpr_val *count = v[0].kind != HAMD_MPR_NIL ? &v[0] : &v[1];
    const struct hamd_mpr_val *time = v[2].kind != HAMD_MPR_NIL ? &v[2] : &v[3];
    if (time->kind != HAMD_MPR_NIL && !hamd_mpr_val_i64(time, ts))
        return false;
    if (!hamd_mpr_val_i64(count, &x))
        return false;
    *seq = (uint64_t)x;
    return true;
}

static void raw_sub_take(struct raw_sub *s, zmq_msg_t *topic, zmq_msg_t *body,
                         double skip_s)
{
    int64_t now = hamd_mono_ns(), wall = hamd_wall_ns();
    uint64_t seq = 0;
    int64_t ts = 0;
    bool ok = raw_scan(zmq_msg_data(body), zmq_msg_size(body), &seq, &ts);
    if (zmq_msg_size(topic) == strlen(RAW_END_TOPIC) &&
        memcmp(zmq_msg_data(topic), RAW_END_TOPIC, strlen(RAW_END_TOPIC)) == 0) {
        long long busy, total;
        s->host_pct = s->host_total0 >= 0 && bench_host_ticks(&busy, &total)
                          ? bench_host_pct(s->host_busy0, s->host_total0, busy, total)
                          : -1;
        s->ended = true;
        s->sent = ok ? seq : 0;
        s->pub_cpu_us = ok ? ts : -1;
        return;
    }
    if (!ok)
        return;
    if (s->msgs == 0) {
        s->first_mono_ns = now;
        if (!bench_host_ticks(&s->host_busy0, &s->host_total0))
            s->host_total0 = -1;
    }
    s->last_mono_ns = now;
    s->msgs++;
    s->body_bytes = zmq_msg_size(body);
    if (seq > s->last_seq + 1)
        s->gaps += seq - s->last_seq - 1;
    s->last_seq = seq;
    if ((double)(now - s->first_mono_ns) >= skip_s * HAMD_NS_PER_S)
        bench_samples_add(&s->lat, wall - ts);
}

/* Receives one [topic][body] message; false when nothing came in time. */
static bool raw_recv(void *sock, zmq_msg_t *topic, zmq_msg_t *body)
{
    if (zmq_msg_recv(topic, sock, ZMQ_DONTWAIT) < 0) {
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, RAW_POLL_MS) <= 0 ||
            zmq_msg_recv(topic, sock, ZMQ_DONTWAIT) < 0)
            return false;
    }
    if (!zmq_msg_more(topic))
        return false; /* not ours: ignored */
    return zmq_msg_recv(body, sock, 0) >= 0;
}

static void raw_sub_report(struct raw_sub *s)
{
    double span_s = (double)(s->last_mono_ns - s->first_mono_ns) / HAMD_NS_PER_S;
    double tps = span_s > 0 ? (double)(s->msgs - 1) / span_s : 0;
    uint64_t lost = s->sent > s->msgs ? s->sent - s->msgs : s->gaps;
    double per_msg = s->msgs ? 1e6 / (double)s->msgs : 0;
    printf("msgs=%llu sent=%llu tps=%.0f lost=%llu body_bytes=%zu "
           "pub_cpu_us_per_msg=%.2f sub_cpu_us_per_msg=%.2f p50_us=%.1f "
           "p99_us=%.1f p999_us=%.1f max_us=%.1f samples=%zu host_cpu_pct=%.0f "
           "ended=%d\n",
           (unsigned long long)s->msgs, (unsigned long long)s->sent, tps,
           (unsigned long long)lost, s->body_bytes,
           (double)s->pub_cpu_us / 1e6 * per_msg, self_cpu_s() * per_msg,
           bench_samples_pct_us(&s->lat, 50), bench_samples_pct_us(&s->lat, 99),
           bench_samples_pct_us(&s->lat, 99.9), bench_samples_pct_us(&s->lat, 100),
           s->lat.len, s->host_pct, s->ended ? 1 : 0);
    fflush(stdout);
}

static int run_sub(const char *endpoint, double skip_s, double timeout_s)
{
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(sock, endpoint) != 0) {
        fprintf(stderr, "raw sub: connect %s: %s\n", endpoint, zmq_strerror(errno));
        return 1;
    }
    struct raw_sub s;
    memset(&s, 0, sizeof s);
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    int64_t last_rx = hamd_mono_ns();
    while (!s.ended) {
        if (raw_recv(sock, &topic, &body)) {
            raw_sub_take(&s, &topic, &body, skip_s);
            last_rx = hamd_mono_ns();
        } else if ((double)(hamd_mono_ns() - last_rx) > timeout_s * HAMD_NS_PER_S) {
            fprintf(stderr, "raw sub: nothing for %.1f s, giving up\n", timeout_s);
            break;
        }
    }
    raw_sub_report(&s);
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    bench_samples_free(&s.lat);
    return s.ended ? 0 : 1;
}

/* ------------------------------------------------------------------------
 * Relay
 * ------------------------------------------------------------------------ */

static int run_relay(const char *in, const char *out)
{
    void *ctx = zmq_ctx_new();
    void *front = zmq_socket(ctx, ZMQ_XSUB), *back = zmq_socket(ctx, ZMQ_XPUB);
    int unbounded = 0, one = 1;
    zmq_setsockopt(front, ZMQ_RCVHWM, &unbounded, sizeof unbounded);
    zmq_setsockopt(back, ZMQ_SNDHWM, &unbounded, sizeof unbounded);
    zmq_setsockopt(back, ZMQ_XPUB_NODROP, &one, sizeof one);
    if (zmq_connect(front, in) != 0 || zmq_bind(back, out) != 0) {
        fprintf(stderr, "raw relay: %s -> %s: %s\n", in, out, zmq_strerror(errno));
        return 1;
    }
    zmq_proxy(front, back, NULL); /* returns only when the context ends */
    fprintf(stderr, "raw relay: %s\n", zmq_strerror(errno));
    return 1;
}

/* ------------------------------------------------------------------------
 * Command line
 * ------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_raw_pubsub pub ENDPOINT (--flood N | --paced RATE SECONDS |\n"
            "           --market BURST_N BURST_MS ACTIVE_N ACTIVE_RATE SECONDS)"
            " [--size BYTES]\n"
            "       bench_raw_pubsub sub ENDPOINT [--skip-s S] [--timeout-s S]\n"
            "       bench_raw_pubsub relay IN_ENDPOINT OUT_ENDPOINT\n");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    const char *role = argv[1], *endpoint = argv[2];
    if (strcmp(role, "relay") == 0) {
        if (argc != 4) {
            usage();
            return 2;
        }
        return run_relay(endpoint, argv[3]);
    }
    uint64_t flood = 0;
    struct raw_market mk = {0, 0, 0, 0};
    double rate = 0, seconds = 0, skip_s = RAW_SKIP_S_DEFAULT;
    double timeout_s = RAW_TIMEOUT_S_DEFAULT;
    size_t size = RAW_SIZE_DEFAULT;
    for (int i = 3; i < argc; i++) {
        bool has1 = i + 1 < argc, has2 = i + 2 < argc, has5 = i + 5 < argc;
        if (strcmp(argv[i], "--flood") == 0 && has1)
            flood = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--paced") == 0 && has2) {
            rate = atof(argv[++i]);
            seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--market") == 0 && has5) {
            mk.burst_n = strtoull(argv[++i], NULL, 10);
            mk.burst_ns = atoll(argv[++i]) * HAMD_NS_PER_MS;
            mk.active_n = strtoull(argv[++i], NULL, 10);
            mk.active_rate = atof(argv[++i]);
            seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--size") == 0 && has1)
            size = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--skip-s") == 0 && has1)
            skip_s = atof(argv[++i]);
        else if (strcmp(argv[i], "--timeout-s") == 0 && has1)
            timeout_s = atof(argv[++i]);
        else {
            usage();
            return 2;
        }
    }
    if (strcmp(role, "sub") == 0)
        return run_sub(endpoint, skip_s, timeout_s);
    bool market = mk.burst_ns > 0 && mk.active_rate >= 0;
    if (strcmp(role, "pub") != 0 ||
        (!flood && ((!market && rate <= 0) || seconds <= 0)) ||
        size > RAW_BODY_MAX / 2) {
        usage();
        return 2;
    }
    return run_pub(endpoint, flood, rate, &mk, seconds, size);
}
