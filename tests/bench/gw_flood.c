/* bench_gw_flood: a gateway as cheap as the raw benchmark's publisher.
 *
 * hamd runs it like any gateway (docs/gateway-protocol.md: HAMD_GW_ENDPOINT, HAMD_ACCOUNT;
 * HAMD_GW_PARAMS is ignored). It says HELLO and logged_in, sends HB every
 * second, and for the contracts the hub SUBSCRIBEs sends valid ticks as
 * fast as its DEALER takes them, round robin. Each contract's tick body is
 * encoded once; per tick only datetime, localtime, volume and
 * extra.sim_seq are patched in place (fixed-width fields), so the gateway
 * costs about what bench_raw_pubsub's publisher costs per message and the
 * hub's own throughput shows (hamd-gw-sim generates every tick, which on
 * a 2-core host takes as much CPU as the hub). Tick n of a contract has
 * sim_seq n, datetime BASE + n ms and volume n: every tick is newer than
 * the previous one, and a client checks loss exactly as with the sim.
 * STOP, SIGTERM or SIGINT end it (exit 0).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "common/clock.h"
#include "hamd/gwproto.h"
#include "hamd/tick.h"

#define GWF_SNDHWM_MSGS 10000     /* a short queue: backlog stays cache-warm */
#define GWF_LINGER_MS 100         /* flush time on exit */
#define GWF_MAX_SYMBOLS 16384     /* contracts it can carry */
#define GWF_BATCH_TICKS 1000      /* ticks between two looks at the socket */
#define GWF_IDLE_POLL_MS 100      /* poll when there is nothing to send */
#define GWF_SEQ_BASE (1LL << 33)  /* forces 9-byte integers: patchable */
#define GWF_TICK_STEP_NS 1000000LL /* datetime grows 1 ms per tick */
#define GWF_KEY_MAX 16            /* fixstr header + longest patched key */

/* One contract: its encoded tick and where the moving fields are. */
struct gwf_symbol {
    char vt[HAMD_VT_SYMBOL_MAX];      /* vt_symbol */
    uint8_t body[HAMD_TICK_WIRE_MAX]; /* encoded TICK body */
    size_t len;                       /* bytes of body */
    size_t off_datetime;              /* offset of the 8 value bytes */
    size_t off_localtime;
    size_t off_volume;
    size_t off_seq;                   /* extra.sim_seq */
    int64_t n;                        /* last tick number sent */
};

struct gwf {
    char account[HAMD_ACCOUNT_ID_MAX]; /* identity and gateway_name */
    void *ctx;                         /* ZeroMQ context */
    void *dealer;                      /* to the hub */
    struct gwf_symbol *syms;           /* subscribed contracts */
    size_t n_syms;
    size_t next;                       /* round-robin cursor */
    int64_t base_ns;                   /* datetime of tick 0 */
    int64_t next_hb_ns;                /* monotonic */
    bool blocked;                      /* DEALER refused the last tick */
    bool stopping;                     /* STOP received */
    uint64_t sent;                     /* ticks sent */
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(p, &v, sizeof v);
}

/* Offset of the 8 value bytes after key (a fixstr) whose value starts with
 * type byte `type`, or 0 when not found. */
static size_t find_value(const uint8_t *body, size_t len, const char *key,
                         uint8_t type)
{
    uint8_t pat[GWF_KEY_MAX + 1];
    size_t klen = strlen(key);
    pat[0] = (uint8_t)(0xa0 | klen);
    memcpy(pat + 1, key, klen);
    pat[klen + 1] = type;
    const uint8_t *p = memmem(body, len, pat, klen + 2);
    if (!p || (size_t)(p - body) + klen + 2 + 8 > len)
        return 0;
    return (size_t)(p - body) + klen + 2;
}

/* Encodes a contract's tick template. Returns false for a symbol it
 * cannot carry. */
static bool symbol_init(struct gwf *g, struct gwf_symbol *s, const char *vt)
{
    struct hamd_tick t;
    memset(&t, 0, sizeof t);
    const char *dot = strrchr(vt, '.');
    if (!dot || (size_t)(dot - vt) >= sizeof t.symbol ||
        strlen(dot + 1) >= sizeof t.exchange)
        return false;
    memcpy(t.symbol, vt, (size_t)(dot - vt));
    snprintf(t.exchange, sizeof t.exchange, "%s", dot + 1);
    snprintf(t.gateway_name, sizeof t.gateway_name, "%s", g->account);
    snprintf(t.name, sizeof t.name, "flood %s", t.symbol);
    t.datetime_ns = g->base_ns;
    t.localtime_ns = g->base_ns;
    t.volume = 1;
    t.turnover = 1e9;
    t.open_interest = 1e5;
    t.last_price = 3500;
    t.pre_close = t.open_price = 3490;
    t.high_price = 3600;
    t.low_price = 3400;
    t.limit_up = 3800;
    t.limit_down = 3200;
    for (int i = 0; i < HAMD_TICK_DEPTH; i++) {
        t.bid_price[i] = 3500 - i;
        t.ask_price[i] = 3501 + i;
        t.bid_volume[i] = t.ask_volume[i] = 10 + i;
    }
    if (!hamd_tick_extra_set_int(&t, "sim_seq", GWF_SEQ_BASE))
        return false;
    s->len = hamd_tick_encode(&t, false, s->body, sizeof s->body);
    s->off_datetime = find_value(s->body, s->len, "datetime", 0xcf);
    s->off_localtime = find_value(s->body, s->len, "localtime", 0xcf);
    s->off_volume = find_value(s->body, s->len, "volume", 0xcb);
    s->off_seq = find_value(s->body, s->len, "sim_seq", 0xcf);
    s->n = GWF_SEQ_BASE;
    snprintf(s->vt, sizeof s->vt, "%s", vt);
    return s->len && s->off_datetime && s->off_localtime && s->off_volume &&
           s->off_seq;
}

static void on_subscribe(void *ud, const char *vt)
{
    struct gwf *g = ud;
    for (size_t i = 0; i < g->n_syms; i++)
        if (strcmp(g->syms[i].vt, vt) == 0)
            return;
    if (g->n_syms == GWF_MAX_SYMBOLS || !symbol_init(g, &g->syms[g->n_syms], vt)) {
        fprintf(stderr, "bench_gw_flood: %s not carried\n", vt);
        return;
    }
    g->n_syms++;
}

static int send_msg(struct gwf *g, enum hamd_gw_type type, const void *body,
                    size_t len, int flags)
{
    const char *name = hamd_gw_type_name(type);
    if (zmq_send(g->dealer, name, strlen(name), ZMQ_SNDMORE | flags) < 0)
        return -1;
    return zmq_send(g->dealer, body, len, flags) < 0 ? -1 : 0;
}

static void send_hello(struct gwf *g)
{
    uint8_t buf[256];
    struct hamd_gw_hello h;
    memset(&h, 0, sizeof h);
    snprintf(h.account, sizeof h.account, "%s", g->account);
    h.pid = getpid();
    h.proto = HAMD_GW_PROTO_VERSION;
    snprintf(h.gateway_type, sizeof h.gateway_type, "flood");
    const char *token = getenv(HAMD_GW_ENV_TOKEN); /* hamd's launch token */
    snprintf(h.token, sizeof h.token, "%s", token ? token : "");
    size_t len = hamd_gw_hello_encode(&h, buf, sizeof buf);
    send_msg(g, HAMD_GW_HELLO, buf, len, 0);
    enum hamd_gw_state states[] = {HAMD_GW_CONNECTING, HAMD_GW_CONNECTED,
                                   HAMD_GW_LOGGED_IN};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        struct hamd_gw_status st = {states[i], "bench flood"};
        len = hamd_gw_status_encode(&st, buf, sizeof buf);
        send_msg(g, HAMD_GW_STATUS, buf, len, 0);
    }
}

/* Reads what the hub sent: SUBSCRIBE and STOP matter, the rest is
 * ignored (UNSUBSCRIBE too: the benchmark never unsubscribes). */
static void read_hub(struct gwf *g)
{
    zmq_msg_t type, body;
    zmq_msg_init(&type);
    zmq_msg_init(&body);
    while (zmq_msg_recv(&type, g->dealer, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more(&type) || zmq_msg_recv(&body, g->dealer, 0) < 0)
            continue;
        switch (hamd_gw_type_parse(zmq_msg_data(&type), zmq_msg_size(&type))) {
        case HAMD_GW_SUBSCRIBE:
            if (!hamd_gw_symbols_decode(zmq_msg_data(&body), zmq_msg_size(&body),
                                        on_subscribe, g))
                fprintf(stderr, "bench_gw_flood: bad SUBSCRIBE\n");
            break;
        case HAMD_GW_STOP:
            g->stopping = true;
            break;
        default:
            break;
        }
    }
    zmq_msg_close(&type);
    zmq_msg_close(&body);
}

/* Sends up to GWF_BATCH_TICKS ticks; stops early when the queue is full. */
static void send_batch(struct gwf *g)
{
    int64_t stamp = hamd_wall_ns();
    for (int i = 0; i < GWF_BATCH_TICKS && g->n_syms > 0; i++) {
        struct gwf_symbol *s = &g->syms[g->next];
        int64_t n = s->n + 1;
        double volume = (double)(n - GWF_SEQ_BASE);
        uint64_t vbits;
        memcpy(&vbits, &volume, sizeof vbits);
        put_be64(s->body + s->off_datetime,
                 (uint64_t)(g->base_ns + (n - GWF_SEQ_BASE) * GWF_TICK_STEP_NS));
        put_be64(s->body + s->off_localtime, (uint64_t)stamp);
        put_be64(s->body + s->off_volume, vbits);
        put_be64(s->body + s->off_seq, (uint64_t)n);
        if (send_msg(g, HAMD_GW_TICK, s->body, s->len, ZMQ_DONTWAIT) != 0) {
            g->blocked = errno == EAGAIN;
            return;
        }
        s->n = n;
        g->sent++;
        g->next = (g->next + 1) % g->n_syms;
    }
    g->blocked = false;
}

static void heartbeat_due(struct gwf *g)
{
    int64_t now = hamd_mono_ns();
    if (now < g->next_hb_ns)
        return;
    uint8_t buf[64];
    size_t len = hamd_gw_hb_encode(hamd_wall_ns(), buf, sizeof buf);
    send_msg(g, HAMD_GW_HB, buf, len, ZMQ_DONTWAIT);
    g->next_hb_ns = now + HAMD_GW_HB_INTERVAL_MS * HAMD_NS_PER_MS;
}

static int run(struct gwf *g, const char *endpoint)
{
    int hwm = GWF_SNDHWM_MSGS, linger = GWF_LINGER_MS;
    g->dealer = zmq_socket(g->ctx, ZMQ_DEALER);
    zmq_setsockopt(g->dealer, ZMQ_ROUTING_ID, g->account, strlen(g->account));
    zmq_setsockopt(g->dealer, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(g->dealer, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(g->dealer, endpoint) != 0) {
        fprintf(stderr, "bench_gw_flood: connect %s: %s\n", endpoint,
                zmq_strerror(errno));
        return 2;
    }
    send_hello(g);
    while (!g_stop && !g->stopping) {
        heartbeat_due(g);
        bool idle = g->n_syms == 0;
        zmq_pollitem_t it = {g->dealer, 0, ZMQ_POLLIN | (g->blocked ? ZMQ_POLLOUT : 0), 0};
        long timeout = idle || g->blocked ? GWF_IDLE_POLL_MS : 0;
        if (zmq_poll(&it, 1, timeout) < 0 && errno != EINTR)
            return 1;
        if (it.revents & ZMQ_POLLIN)
            read_hub(g);
        if (!idle && (!g->blocked || (it.revents & ZMQ_POLLOUT)))
            send_batch(g);
    }
    fprintf(stderr, "bench_gw_flood: %s stopping, %llu ticks sent\n", g->account,
            (unsigned long long)g->sent);
    return 0;
}

int main(void)
{
    const char *endpoint = getenv(HAMD_GW_ENV_ENDPOINT);
    const char *account = getenv(HAMD_GW_ENV_ACCOUNT);
    if (!endpoint || !account || !*account ||
        strlen(account) >= HAMD_ACCOUNT_ID_MAX) {
        fprintf(stderr, "bench_gw_flood: needs %s and %s\n", HAMD_GW_ENV_ENDPOINT,
                HAMD_GW_ENV_ACCOUNT);
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    struct gwf *g = calloc(1, sizeof *g);
    if (!g || !(g->syms = calloc(GWF_MAX_SYMBOLS, sizeof *g->syms))) {
        free(g);
        return 1;
    }
    snprintf(g->account, sizeof g->account, "%s", account);
    g->base_ns = hamd_wall_ns() / HAMD_NS_PER_MS * HAMD_NS_PER_MS;
    g->ctx = zmq_ctx_new();
    int rc = run(g, endpoint);
    if (g->dealer)
        zmq_close(g->dealer);
    zmq_ctx_term(g->ctx);
    free(g->syms);
    free(g);
    return rc;
}
