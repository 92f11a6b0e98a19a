/* bench_tick_sub: a hub client that measures the tick path.
 *
 *   bench_tick_sub --connect EP [--snapshot EP] [--warmup-s S]
 *                  [--measure-s S] [--first-timeout-s S] [--rss-pid PID]
 *                  [--cpu NAME=PID]... [--trace-over-ms MS] [--no-hub]
 *
 * It subscribes to everything on the hub's PUB endpoint (RCVHWM 0, so the
 * client itself never drops) and, from the first tick on, checks every
 * tick: `seq` must grow by exactly 1 per (term, vt_symbol), and
 * `extra.sim_seq` by exactly 1 per vt_symbol (hamd-gw-sim numbers its ticks,
 * so a tick lost anywhere between the simulator and here shows up, also
 * when the hub's own seq is contiguous). After --warmup-s it measures for
 * --measure-s: ticks per second, and the latency of every tick
 *
 *   end to end   receive CLOCK_REALTIME - localtime (gateway send time)
 *   gw -> hub    hub_ns - localtime
 *   hub -> sub   receive CLOCK_REALTIME - hub_ns
 *
 * --no-hub reads ticks that carry the gateway's fields only, as
 * bench_gw_relay publishes them (the floor of the hub, between the same
 * gateway and this same client): a tick without term and seq is taken,
 * loss and duplicates come from extra.sim_seq alone, and only the end to
 * end latency is measured, from the same localtime stamp (gwhub and
 * hubsub print -1).
 *
 * plus the CPU use of the processes named with --cpu (whole process and
 * its busiest thread). Then it asks the snapshot endpoint for everything
 * (the END count = symbols cached by the hub) and reads the VmRSS of
 * --rss-pid. It prints one line of key=value and exits 0, or 1 when no
 * tick arrived within --first-timeout-s. --trace-over-ms also writes to
 * stderr, at most once per SUB_TRACE_BUCKET_MS, a tick of the window whose
 * end-to-end latency exceeds MS, with its split: to find stalls.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bench_util.h"
#include "common/clock.h"
#include "common/mpread.h"
#include "common/strmap.h"
#include "hamd/tick.h"

#define SUB_WARMUP_S_DEFAULT 2.0
#define SUB_MEASURE_S_DEFAULT 5.0
#define SUB_FIRST_TIMEOUT_S_DEFAULT 20.0
#define SUB_POLL_MS 100               /* poll slice */
#define SUB_SNAPSHOT_TIMEOUT_MS 5000  /* whole snapshot reply */
#define SUB_SYMBOLS_INITIAL 8192      /* symbol table capacity */
#define SUB_MAX_CPU 8                 /* --cpu options */
#define SUB_MAX_THREADS 64            /* threads looked at per process */
#define SUB_TRACE_BUCKET_MS 100       /* --trace-over-ms: one line per */

/* What the client remembers per vt_symbol. */
struct sub_symbol {
    uint64_t term;     /* term of the last tick */
    uint64_t seq;      /* seq of the last tick */
    int64_t sim_seq;   /* extra.sim_seq of the last tick, -1 none */
};

/* The fields of one tick the client looks at. */
struct sub_tick {
    struct hamd_mpr_val vt;   /* vt_symbol string (points into the body) */
    uint64_t term;
    uint64_t seq;
    int64_t localtime_ns;
    int64_t hub_ns;
    int64_t sim_seq;         /* -1 when absent */
};

/* CPU accounting of one process over the measurement window. */
struct sub_cpu {
    char name[16];                    /* label in the output */
    pid_t pid;
    long long start_ticks;            /* whole process at window start */
    double pct;                       /* whole process, % of one core */
    double cpu_s;                     /* whole process, CPU seconds */
    unsigned n_threads;
    pid_t tids[SUB_MAX_THREADS];
    long long thread_start[SUB_MAX_THREADS];
    double max_thread_pct;            /* busiest thread, % of one core */
};

struct sub {
    struct hamd_strmap *symbols;      /* vt_symbol -> sub_symbol */
    struct sub_symbol *pool;          /* storage of the map's values */
    size_t pool_len, pool_cap;
    uint64_t ticks;                   /* ticks received in total */
    uint64_t lost_seq;                /* seq numbers skipped */
    uint64_t dup_seq;                 /* seq not above the previous */
    uint64_t lost_sim;                /* sim_seq numbers skipped */
    uint64_t dup_sim;                 /* sim_seq not above the previous */
    uint64_t term_changes;            /* a symbol's term moved */
    uint64_t bad;                     /* bodies we could not read */
    uint64_t heartbeats;              /* `_hb` messages */
    size_t body_bytes;                /* size of the last tick body */
    bool no_hub;                      /* --no-hub: ticks without hub fields */
    bool measuring;                   /* inside the measurement window */
    int64_t window_start_ns;          /* monotonic start of the window */
    int64_t trace_over_ns;            /* 0: no stall trace */
    int64_t trace_last_bucket;        /* last bucket traced, -1 none */
    uint64_t measured;                /* ticks inside the window */
    struct bench_samples e2e, gw_hub, hub_sub; /* latencies, ns */
    unsigned n_cpu;
    struct sub_cpu cpu[SUB_MAX_CPU];
    long long host_busy0, host_total0;  /* host CPU at window start */
    double host_pct;                    /* host CPU over the window */
};

/* ------------------------------------------------------------------------
 * Reading a tick
 * ------------------------------------------------------------------------ */

static bool read_extra_sim_seq(struct hamd_mpr *r, int64_t *out)
{
    struct hamd_mpr_val m, k;
    if (!hamd_mpr_read(r, &m) || m.kind != HAMD_MPR_MAP)
        return false;
    for (uint32_t i = 0; i < m.v.n; i++) {
        if (!hamd_mpr_read(r, &k))
            return false;
        if (k.kind == HAMD_MPR_STR && hamd_mpr_str_eq(&k, "sim_seq")) {
            if (!hamd_mpr_read_i64(r, out))
                return false;
        } else if (!hamd_mpr_skip(r)) {
            return false;
        }
    }
    return true;
}

/* Reads one field of interest at the cursor; skips the others. */
static bool read_field(struct hamd_mpr *r, const struct hamd_mpr_val *k,
                       struct sub_tick *t)
{
    int64_t x;
    if (hamd_mpr_str_eq(k, "vt_symbol"))
        return hamd_mpr_read(r, &t->vt) && t->vt.kind == HAMD_MPR_STR;
    if (hamd_mpr_str_eq(k, "localtime"))
        return hamd_mpr_read_i64(r, &t->localtime_ns);
    if (hamd_mpr_str_eq(k, "hub_ns"))
        return hamd_mpr_read_i64(r, &t->hub_ns);
    if (hamd_mpr_str_eq(k, "seq")) {
        if (!hamd_mpr_read_i64(r, &x))
            return false;
        t->seq = (uint64_t)x;
        return true;
    }
    if (hamd_mpr_str_eq(k, "term")) {
        if (!hamd_mpr_read_i64(r, &x))
            return false;
        t->term = (uint64_t)x;
        return true;
    }
    if (hamd_mpr_str_eq(k, "extra"))
        return read_extra_sim_seq(r, &t->sim_seq);
    return hamd_mpr_skip(r);
}

/* Reads the fields of interest; a tick needs a vt_symbol, and a seq
 * unless no_hub. */
static bool read_tick(const void *buf, size_t len, bool no_hub,
                      struct sub_tick *t)
{
    struct hamd_mpr r;
    struct hamd_mpr_val m, k;
    memset(t, 0, sizeof *t);
    t->sim_seq = -1;
    hamd_mpr_init(&r, buf, len);
    if (!hamd_mpr_read(&r, &m) || m.kind != HAMD_MPR_MAP)
        return false;
    for (uint32_t i = 0; i < m.v.n; i++)
        if (!hamd_mpr_read(&r, &k) || k.kind != HAMD_MPR_STR ||
            !read_field(&r, &k, t))
            return false;
    return t->vt.kind == HAMD_MPR_STR && t->vt.v.s.len < HAMD_VT_SYMBOL_MAX &&
           (t->seq > 0 || no_hub);
}

/* ------------------------------------------------------------------------
 * Checking and measuring
 * ------------------------------------------------------------------------ */

static struct sub_symbol *symbol_of(struct sub *s, const struct sub_tick *t)
{
    char vt[HAMD_VT_SYMBOL_MAX];
    memcpy(vt, t->vt.v.s.ptr, t->vt.v.s.len);
    vt[t->vt.v.s.len] = '\0';
    struct sub_symbol *sym = hamd_strmap_get(s->symbols, vt);
    if (sym || !hamd_strmap_key_ok(vt))
        return sym;
    if (s->pool_len == s->pool_cap)
        return NULL; /* more symbols than the pool: counted as bad */
    sym = &s->pool[s->pool_len++];
    sym->term = 0;
    sym->seq = 0;
    sym->sim_seq = -1;
    hamd_strmap_put(s->symbols, vt, sym);
    return sym;
}

static void check_order(struct sub *s, struct sub_symbol *sym,
                        const struct sub_tick *t)
{
    if (sym->seq != 0 && sym->term != t->term)
        s->term_changes++;
    else if (sym->seq != 0 && t->seq > sym->seq + 1)
        s->lost_seq += t->seq - sym->seq - 1;
    else if (sym->seq != 0 && t->seq <= sym->seq)
        s->dup_seq++;
    sym->term = t->term;
    sym->seq = t->seq;
    if (t->sim_seq < 0)
        return;
    if (sym->sim_seq >= 0 && t->sim_seq > sym->sim_seq + 1)
        s->lost_sim += (uint64_t)(t->sim_seq - sym->sim_seq - 1);
    else if (sym->sim_seq >= 0 && t->sim_seq <= sym->sim_seq)
        s->dup_sim++;
    sym->sim_seq = t->sim_seq;
}

/* Reports a late tick: when in the window, and the split of its delay. */
static void trace_stall(struct sub *s, const struct sub_tick *t, int64_t rx_wall)
{
    int64_t at_ms = (hamd_mono_ns() - s->window_start_ns) / HAMD_NS_PER_MS;
    if (at_ms / SUB_TRACE_BUCKET_MS == s->trace_last_bucket)
        return;
    s->trace_last_bucket = at_ms / SUB_TRACE_BUCKET_MS;
    if (s->no_hub) { /* no hub_ns: no split */
        fprintf(stderr, "late tick at +%lld ms: e2e %.1f ms\n", (long long)at_ms,
                (double)(rx_wall - t->localtime_ns) / 1e6);
        return;
    }
    fprintf(stderr, "late tick at +%lld ms: e2e %.1f ms = gw->hub %.1f + hub->sub %.1f\n",
            (long long)at_ms, (double)(rx_wall - t->localtime_ns) / 1e6,
            (double)(t->hub_ns - t->localtime_ns) / 1e6,
            (double)(rx_wall - t->hub_ns) / 1e6);
}

static void take_tick(struct sub *s, const void *body, size_t len)
{
    int64_t rx_wall = hamd_wall_ns();
    struct sub_tick t;
    struct sub_symbol *sym;
    if (!read_tick(body, len, s->no_hub, &t) || !(sym = symbol_of(s, &t))) {
        s->bad++;
        return;
    }
    s->ticks++;
    s->body_bytes = len;
    check_order(s, sym, &t);
    if (!s->measuring)
        return;
    s->measured++;
    bench_samples_add(&s->e2e, rx_wall - t.localtime_ns);
    if (!s->no_hub) {
        bench_samples_add(&s->gw_hub, t.hub_ns - t.localtime_ns);
        bench_samples_add(&s->hub_sub, rx_wall - t.hub_ns);
    }
    if (s->trace_over_ns && rx_wall - t.localtime_ns > s->trace_over_ns)
        trace_stall(s, &t, rx_wall);
}

/* ------------------------------------------------------------------------
 * CPU of other processes over the window
 * ------------------------------------------------------------------------ */

static void cpu_start(struct sub *s)
{
    if (!bench_host_ticks(&s->host_busy0, &s->host_total0))
        s->host_total0 = -1;
    for (unsigned i = 0; i < s->n_cpu; i++) {
        struct sub_cpu *c = &s->cpu[i];
        c->start_ticks = bench_proc_cpu_ticks(c->pid);
        c->n_threads = bench_thread_cpu_ticks(c->pid, c->tids, c->thread_start,
                                              SUB_MAX_THREADS);
    }
}

static void cpu_stop(struct sub *s, double window_s)
{
    double per_pct = 100.0 / bench_clk_tck() / window_s;
    long long busy, total;
    s->host_pct = s->host_total0 >= 0 && bench_host_ticks(&busy, &total)
                      ? bench_host_pct(s->host_busy0, s->host_total0, busy, total)
                      : -1;
    for (unsigned i = 0; i < s->n_cpu; i++) {
        struct sub_cpu *c = &s->cpu[i];
        long long end = bench_proc_cpu_ticks(c->pid);
        c->pct = end >= 0 && c->start_ticks >= 0
                     ? (double)(end - c->start_ticks) * per_pct : -1;
        c->cpu_s = c->pct * window_s / 100.0;
        pid_t tids[SUB_MAX_THREADS];
        long long now[SUB_MAX_THREADS];
        unsigned n = bench_thread_cpu_ticks(c->pid, tids, now, SUB_MAX_THREADS);
        for (unsigned a = 0; a < n; a++)
            for (unsigned b = 0; b < c->n_threads; b++)
                if (tids[a] == c->tids[b] &&
                    (double)(now[a] - c->thread_start[b]) * per_pct > c->max_thread_pct)
                    c->max_thread_pct = (double)(now[a] - c->thread_start[b]) * per_pct;
    }
}

/* ------------------------------------------------------------------------
 * Sockets
 * ------------------------------------------------------------------------ */

/* Receives and handles what is queued, waiting at most SUB_POLL_MS for
 * the first message. Returns the number of messages handled. */
static unsigned pump(struct sub *s, void *sock, zmq_msg_t *topic, zmq_msg_t *body)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, SUB_POLL_MS) <= 0)
        return 0;
    unsigned n = 0;
    while (zmq_msg_recv(topic, sock, ZMQ_DONTWAIT) >= 0) {
        n++;
        if (!zmq_msg_more(topic) || zmq_msg_recv(body, sock, 0) < 0)
            continue;
        while (zmq_msg_more(body)) /* extra frames: not ours, drained */
            zmq_msg_recv(body, sock, 0);
        const char *tp = zmq_msg_data(topic);
        size_t tl = zmq_msg_size(topic);
        if (tl > 0 && tp[0] == '_') {
            s->heartbeats += tl == 3 && memcmp(tp, "_hb", 3) == 0;
            continue;
        }
        take_tick(s, zmq_msg_data(body), zmq_msg_size(body));
        if (n >= 4096)
            break; /* let the caller look at the clock */
    }
    return n;
}

/* Reads the END count of a full snapshot; -1 when none came. */
static long long snapshot_count(void *ctx, const char *endpoint)
{
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_RCVHWM, &zero, sizeof zero);
    long long count = -1;
    if (zmq_connect(d, endpoint) != 0 || zmq_send(d, "SNAPSHOT", 8, ZMQ_SNDMORE) < 0 ||
        zmq_send(d, "", 0, 0) < 0)
        goto out;
    int64_t deadline = hamd_mono_ns() + SUB_SNAPSHOT_TIMEOUT_MS * HAMD_NS_PER_MS;
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    while (hamd_mono_ns() < deadline) {
        zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, SUB_POLL_MS) <= 0)
            continue;
        if (zmq_msg_recv(&topic, d, 0) < 0 || !zmq_msg_more(&topic) ||
            zmq_msg_recv(&body, d, 0) < 0)
            break;
        if (zmq_msg_size(&topic) == 3 && memcmp(zmq_msg_data(&topic), "END", 3) == 0) {
            struct hamd_mpr r;
            struct hamd_mpr_val m, k;
            hamd_mpr_init(&r, zmq_msg_data(&body), zmq_msg_size(&body));
            if (hamd_mpr_read(&r, &m) && m.kind == HAMD_MPR_MAP)
                for (uint32_t i = 0; i < m.v.n && hamd_mpr_read(&r, &k); i++) {
                    int64_t v;
                    if (hamd_mpr_str_eq(&k, "count") && hamd_mpr_read_i64(&r, &v))
                        count = v;
                    else if (!hamd_mpr_str_eq(&k, "count") && !hamd_mpr_skip(&r))
                        break;
                }
            break;
        }
    }
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
out:
    zmq_close(d);
    return count;
}

/* ------------------------------------------------------------------------
 * Main
 * ------------------------------------------------------------------------ */

struct sub_opts {
    const char *connect;      /* PUB endpoint */
    const char *snapshot;     /* snapshot endpoint or NULL */
    double warmup_s;          /* from the first tick to the window */
    double measure_s;         /* window length */
    double first_timeout_s;   /* wait for the first tick */
    pid_t rss_pid;            /* 0: none */
};

static void report(struct sub *s, double window_s, long long snap,
                   double rss_mb, double peak_mb)
{
    printf("ticks=%llu measured=%llu tps=%.0f lost_seq=%llu dup_seq=%llu "
           "lost_sim=%llu dup_sim=%llu term_changes=%llu bad=%llu hb=%llu "
           "symbols=%zu snapshot_count=%lld rss_mb=%.1f rss_peak_mb=%.1f "
           "body_bytes=%zu",
           (unsigned long long)s->ticks, (unsigned long long)s->measured,
           window_s > 0 ? (double)s->measured / window_s : 0,
           (unsigned long long)s->lost_seq, (unsigned long long)s->dup_seq,
           (unsigned long long)s->lost_sim, (unsigned long long)s->dup_sim,
           (unsigned long long)s->term_changes, (unsigned long long)s->bad,
           (unsigned long long)s->heartbeats, hamd_strmap_size(s->symbols), snap,
           rss_mb, peak_mb, s->body_bytes);
    struct { const char *name; struct bench_samples *v; } lat[] = {
        {"e2e", &s->e2e}, {"gwhub", &s->gw_hub}, {"hubsub", &s->hub_sub}};
    for (unsigned i = 0; i < 3; i++)
        printf(" %s_p50_us=%.1f %s_p99_us=%.1f %s_p999_us=%.1f %s_max_us=%.1f",
               lat[i].name, bench_samples_pct_us(lat[i].v, 50), lat[i].name,
               bench_samples_pct_us(lat[i].v, 99), lat[i].name,
               bench_samples_pct_us(lat[i].v, 99.9), lat[i].name,
               bench_samples_pct_us(lat[i].v, 100));
    double per_tick = s->measured ? 1e6 / (double)s->measured : 0;
    double ours = 0;
    for (unsigned i = 0; i < s->n_cpu; i++)
        ours += s->cpu[i].pct > 0 ? s->cpu[i].pct : 0;
    /* Busy CPU of the host that none of the measured processes used:
     * other work competing with the benchmark (% of one core). */
    printf(" host_cpu_pct=%.0f other_cpu_pct=%.0f", s->host_pct,
           s->host_pct >= 0 ? s->host_pct - ours : -1);
    for (unsigned i = 0; i < s->n_cpu; i++)
        printf(" cpu_%s=%.0f cpu_%s_thread=%.0f cpu_%s_us_per_tick=%.2f",
               s->cpu[i].name, s->cpu[i].pct, s->cpu[i].name,
               s->cpu[i].max_thread_pct, s->cpu[i].name, s->cpu[i].cpu_s * per_tick);
    printf(" samples_oom=%d\n", s->e2e.oom ? 1 : 0);
    fflush(stdout);
}

static int run(struct sub *s, const struct sub_opts *o)
{
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(sock, o->connect) != 0) {
        fprintf(stderr, "tick_sub: connect %s: %s\n", o->connect, zmq_strerror(errno));
        return 1;
    }
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    int64_t t0 = hamd_mono_ns(), first = 0, win_start = 0, win_end = 0;
    while (win_end == 0 || hamd_mono_ns() < win_end) {
        pump(s, sock, &topic, &body);
        int64_t now = hamd_mono_ns();
        if (first == 0 && s->ticks > 0) {
            first = now;
            win_start = first + (int64_t)(o->warmup_s * HAMD_NS_PER_S);
        }
        if (first == 0 && now - t0 > (int64_t)(o->first_timeout_s * HAMD_NS_PER_S)) {
            fprintf(stderr, "tick_sub: no tick within %.0f s\n", o->first_timeout_s);
            return 1;
        }
        if (!s->measuring && win_start && now >= win_start) {
            s->measuring = true;
            s->window_start_ns = now;
            win_end = now + (int64_t)(o->measure_s * HAMD_NS_PER_S);
            win_start = now;
            cpu_start(s);
        }
    }
    s->measuring = false;
    double window_s = (double)(hamd_mono_ns() - win_start) / HAMD_NS_PER_S;
    cpu_stop(s, window_s);
    double rss = o->rss_pid ? bench_proc_mem_mb(o->rss_pid, "VmRSS") : -1;
    double peak = o->rss_pid ? bench_proc_mem_mb(o->rss_pid, "VmHWM") : -1;
    long long snap = o->snapshot ? snapshot_count(ctx, o->snapshot) : -1;
    report(s, window_s, snap, rss, peak);
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}

static int parse_cpu(struct sub *s, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || s->n_cpu == SUB_MAX_CPU || (size_t)(eq - arg) >= sizeof s->cpu[0].name)
        return -1;
    struct sub_cpu *c = &s->cpu[s->n_cpu++];
    memcpy(c->name, arg, (size_t)(eq - arg));
    c->pid = (pid_t)atoi(eq + 1);
    return c->pid > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"connect", required_argument, NULL, 'c'},
        {"snapshot", required_argument, NULL, 's'},
        {"warmup-s", required_argument, NULL, 'w'},
        {"measure-s", required_argument, NULL, 'm'},
        {"first-timeout-s", required_argument, NULL, 't'},
        {"rss-pid", required_argument, NULL, 'r'},
        {"cpu", required_argument, NULL, 'p'},
        {"trace-over-ms", required_argument, NULL, 'x'},
        {"no-hub", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    struct sub_opts o = {NULL, NULL, SUB_WARMUP_S_DEFAULT, SUB_MEASURE_S_DEFAULT,
                         SUB_FIRST_TIMEOUT_S_DEFAULT, 0};
    struct sub *s = calloc(1, sizeof *s);
    int opt;
    while (s && (opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': o.connect = optarg; break;
        case 's': o.snapshot = optarg; break;
        case 'w': o.warmup_s = atof(optarg); break;
        case 'm': o.measure_s = atof(optarg); break;
        case 't': o.first_timeout_s = atof(optarg); break;
        case 'r': o.rss_pid = (pid_t)atoi(optarg); break;
        case 'x': s->trace_over_ns = atoll(optarg) * HAMD_NS_PER_MS; break;
        case 'n': s->no_hub = true; break;
        case 'p':
            if (parse_cpu(s, optarg) == 0)
                break;
            /* fall through */
        default:
            fprintf(stderr, "usage: bench_tick_sub --connect EP [--snapshot EP] "
                            "[--warmup-s S] [--measure-s S] [--first-timeout-s S] "
                            "[--rss-pid PID] [--cpu NAME=PID]... "
                            "[--trace-over-ms MS] [--no-hub]\n");
            free(s);
            return 2;
        }
    }
    if (!s || !o.connect || o.measure_s <= 0) {
        fprintf(stderr, "tick_sub: --connect and a positive --measure-s are needed\n");
        free(s);
        return 2;
    }
    if (s->n_cpu < SUB_MAX_CPU) { /* the client's own cost, for comparison */
        struct sub_cpu *self = &s->cpu[s->n_cpu++];
        snprintf(self->name, sizeof self->name, "sub");
        self->pid = getpid();
    }
    s->trace_last_bucket = -1;
    s->symbols = hamd_strmap_new(SUB_SYMBOLS_INITIAL);
    s->pool_cap = SUB_SYMBOLS_INITIAL * 4;
    s->pool = calloc(s->pool_cap, sizeof *s->pool);
    int rc = s->symbols && s->pool ? run(s, &o) : 1;
    hamd_strmap_destroy(&s->symbols);
    free(s->pool);
    bench_samples_free(&s->e2e);
    bench_samples_free(&s->gw_hub);
    bench_samples_free(&s->hub_sub);
    free(s);
    return rc;
}
