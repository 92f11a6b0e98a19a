/* bench_gw_flood: a gateway as cheap as the raw benchmark's publisher.
 *
 * hamd runs it like any gateway (docs/gateway-protocol.md: HAMD_GW_ENDPOINT, HAMD_ACCOUNT,
 * HAMD_GW_PARAMS). It says HELLO and logged_in, sends HB every second,
 * and for the contracts the hub SUBSCRIBEs sends valid ticks, one per
 * message, in one of two patterns:
 *
 *   flood   (no params) as fast as its DEALER takes them, round robin
 *   market  {"burst_ms": 500, "active_prefix": "a", "active_rate": 20,
 *            "burst_spread_ms": 0}:
 *           CTP's pattern, every contract in one burst every burst_ms,
 *           except those whose vt_symbol starts with active_prefix, which
 *           tick active_rate times a second each, spread evenly over time
 *           (round robin at their total rate, checked every millisecond,
 *           each pass stamped once). The burst:
 *             burst_spread_ms 0 (default): as fast as the DEALER takes
 *               it, every tick stamped with the burst's start (a gateway
 *               of zero cost, the worst case for the path);
 *             burst_spread_ms S (0 < S < burst_ms): its ticks sent evenly
 *               over S ms (the share due by each 1 ms pass), each tick
 *               stamped when it is sent, as a real gateway stamps its
 *               receipt (hamd-gw-vnpy takes ~210 ms for 5,000 contracts:
 *               docs/performance.md, "The burst as the real gateway
 *               sends it").
 *           bench_raw_pubsub --market sends the spread-0 pattern.
 *
 * The flood pattern takes {"batch": N} (1 - HAMD_GW_TICKS_PER_MSG_MAX,
 * default 1): N ticks a TICK message, as hamd-gw-sim and hamd-gw-vnpy
 * send what they have at hand (docs/gateway-protocol.md, "Several ticks
 * in one message"); tests/bench/callgrind_tick.sh, CALLGRIND_GW_BATCH.
 *
 * Either pattern takes {"base_ms": N}, the datetime of tick 0 (epoch ms;
 * default the gateway's start, rounded down to the ms): two gateways given
 * the same base_ms send the same stream, tick n of a contract with the
 * same datetime, volume and sim_seq from both, the copies a hot standby
 * delivers and the hub must drop (tests/bench/callgrind_tick.sh,
 * CALLGRIND_DEDUP). Started in different milliseconds without it, their
 * ticks of one n differ in datetime and are not duplicates.
 *
 * Each contract's tick body is
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
#include <jansson.h>
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
#define GWF_PREFIX_MAX 16         /* bytes of active_prefix, NUL included */
#define GWF_MARKET_POLL_MS 1      /* market: a pass every millisecond */
#define GWF_BASE_MS_MAX 4102444800000LL /* 2100-01-01: datetime in ns
                                           stays far from int64's end */

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

/* The market pattern (see the top of the file). */
struct gwf_market {
    int64_t burst_ns;                  /* burst period; 0 = flood instead */
    char active_prefix[GWF_PREFIX_MAX]; /* active contracts start so */
    double active_rate;                /* ticks/s of each active contract */
    size_t *active;                    /* indexes of the active contracts */
    size_t n_active;
    size_t next_active;                /* round-robin cursor over them */
    int64_t t0_ns;                     /* pattern start (monotonic), 0 =
                                          restart at the next pass */
    int64_t next_burst_ns;             /* monotonic */
    uint64_t active_sent;              /* active ticks since t0_ns */
    int64_t spread_ns;                 /* burst_spread_ms; 0 = at once */
    bool burst_on;                     /* a burst is under way */
    int64_t burst_at_ns;               /* its start, as scheduled (monotonic) */
    int64_t burst_stamp_ns;            /* its start (wall): spread-0 stamp */
    size_t burst_i;                    /* next contract index of it */
    size_t burst_a;                    /* next index of active to skip */
    size_t burst_sent;                 /* its ticks sent so far */
};

struct gwf {
    char account[HAMD_ACCOUNT_ID_MAX]; /* identity and gateway_name */
    void *ctx;                         /* ZeroMQ context */
    void *dealer;                      /* to the hub */
    struct gwf_symbol *syms;           /* subscribed contracts */
    size_t n_syms;
    size_t next;                       /* round-robin cursor */
    struct gwf_market market;          /* the market pattern's state */
    int64_t base_ns;                   /* datetime of tick 0 */
    int batch;                         /* flood: ticks a TICK message */
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
    struct gwf_market *m = &g->market;
    if (m->burst_ns && m->active_prefix[0] &&
        strncmp(vt, m->active_prefix, strlen(m->active_prefix)) == 0)
        m->active[m->n_active++] = g->n_syms;
    m->t0_ns = 0; /* the rates count from the new set */
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

/* Patches the next tick of s, stamped `stamp` (wall ns). */
static void tick_next(struct gwf *g, struct gwf_symbol *s, int64_t stamp)
{
    int64_t n = s->n + 1;
    double volume = (double)(n - GWF_SEQ_BASE);
    uint64_t vbits;
    memcpy(&vbits, &volume, sizeof vbits);
    put_be64(s->body + s->off_datetime,
             (uint64_t)(g->base_ns + (n - GWF_SEQ_BASE) * GWF_TICK_STEP_NS));
    put_be64(s->body + s->off_localtime, (uint64_t)stamp);
    put_be64(s->body + s->off_volume, vbits);
    put_be64(s->body + s->off_seq, (uint64_t)n);
}

/* Patches the next tick of s, stamped `stamp` (wall ns), and sends it,
 * waiting while the queue is full (the market pattern). Returns 0, or -1
 * when ZeroMQ refused it (errno set). */
static int send_tick(struct gwf *g, struct gwf_symbol *s, int64_t stamp)
{
    tick_next(g, s, stamp);
    if (send_msg(g, HAMD_GW_TICK, s->body, s->len, 0) != 0)
        return -1;
    s->n++;
    g->sent++;
    return 0;
}

/* Sends the next g->batch ticks of the round robin (1 by default) as one
 * TICK message, without waiting. Once its first frame is taken ZeroMQ
 * takes the rest (a message is atomic), so only that one can be refused.
 * Returns 0, or -1 (errno). */
static int send_multi(struct gwf *g, int64_t stamp)
{
    const char *name = hamd_gw_type_name(HAMD_GW_TICK);
    if (zmq_send(g->dealer, name, strlen(name), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    for (int i = 0; i < g->batch; i++) {
        struct gwf_symbol *s = &g->syms[g->next];
        tick_next(g, s, stamp); /* zmq_send copies: patched in place again */
        zmq_send(g->dealer, s->body, s->len, i + 1 < g->batch ? ZMQ_SNDMORE : 0);
        s->n++;
        g->sent++;
        g->next = (g->next + 1) % g->n_syms;
    }
    return 0;
}

/* Sends up to GWF_BATCH_TICKS ticks; stops early when the queue is full. */
static void send_batch(struct gwf *g)
{
    int64_t stamp = hamd_wall_ns();
    for (int i = 0; i < GWF_BATCH_TICKS && g->n_syms > 0; i += g->batch) {
        if (send_multi(g, stamp) != 0) {
            g->blocked = errno == EAGAIN;
            return;
        }
    }
    g->blocked = false;
}

/* Sends what is due by `now` of the burst under way: all of it with no
 * spread, else its share of the spread elapsed (at least one tick).
 * Returns -1 when a send failed (the tick is sent again next pass). */
static int burst_continue(struct gwf *g, int64_t now)
{
    struct gwf_market *m = &g->market;
    size_t quiet = g->n_syms - m->n_active, due = quiet;
    int64_t elapsed = now - m->burst_at_ns;
    if (m->spread_ns && elapsed < m->spread_ns) {
        due = (size_t)((double)elapsed / (double)m->spread_ns * (double)quiet) + 1;
        due = due < quiet ? due : quiet;
    }
    for (; m->burst_sent < due && m->burst_i < g->n_syms; m->burst_i++) {
        /* active holds increasing indexes: skip them in step */
        if (m->burst_a < m->n_active && m->active[m->burst_a] == m->burst_i) {
            m->burst_a++;
            continue;
        }
        int64_t stamp = m->spread_ns ? hamd_wall_ns() : m->burst_stamp_ns;
        if (send_tick(g, &g->syms[m->burst_i], stamp) != 0)
            return -1;
        m->burst_sent++;
    }
    m->burst_on = m->burst_sent < quiet;
    return 0;
}

/* One pass of the market pattern: the active ticks due by now (the pass
 * stamped once), then the burst's share due by now. Sends block (a full
 * queue delays the pattern, it skips nothing). */
static void market_pass(struct gwf *g)
{
    struct gwf_market *m = &g->market;
    int64_t now = hamd_mono_ns(), stamp = hamd_wall_ns();
    if (!m->t0_ns) {
        m->t0_ns = now;
        m->next_burst_ns = now;
        m->active_sent = 0;
        m->burst_on = false; /* a new set of contracts: a new burst now */
    }
    uint64_t due = (uint64_t)((double)(now - m->t0_ns) / HAMD_NS_PER_S *
                              m->active_rate * (double)m->n_active);
    for (; m->active_sent < due && m->n_active; m->active_sent++) {
        if (send_tick(g, &g->syms[m->active[m->next_active]], stamp) != 0)
            return;
        m->next_active = (m->next_active + 1) % m->n_active;
    }
    if (m->burst_on && burst_continue(g, now) != 0)
        return;
    if (m->burst_on || now < m->next_burst_ns)
        return; /* the next burst waits for the last one to be out */
    m->burst_on = true;
    m->burst_at_ns = m->next_burst_ns;
    m->burst_stamp_ns = stamp;
    m->burst_i = m->burst_a = m->burst_sent = 0;
    m->next_burst_ns += m->burst_ns;
    burst_continue(g, now);
}

/* Reads the params, if any: the market pattern's and base_ms (g->base_ns
 * already holds the default). Returns false on a bad value. */
static bool read_params(struct gwf *g, const char *text)
{
    struct gwf_market *m = &g->market;
    if (!text || !*text)
        return true;
    json_t *o = json_loads(text, 0, NULL);
    json_t *burst = json_object_get(o, "burst_ms");
    json_t *prefix = json_object_get(o, "active_prefix");
    json_t *rate = json_object_get(o, "active_rate");
    json_t *spread = json_object_get(o, "burst_spread_ms");
    json_t *base = json_object_get(o, "base_ms");
    json_t *batch = json_object_get(o, "batch");
    bool ok = json_is_object(o) && (!burst || json_is_integer(burst)) &&
              (!prefix || (json_is_string(prefix) &&
                           strlen(json_string_value(prefix)) < GWF_PREFIX_MAX)) &&
              (!rate || json_is_number(rate)) &&
              (!spread || json_is_integer(spread)) &&
              (!base || (json_is_integer(base) && json_integer_value(base) > 0 &&
                         json_integer_value(base) < GWF_BASE_MS_MAX)) &&
              (!batch || (json_is_integer(batch) && json_integer_value(batch) >= 1 &&
                          json_integer_value(batch) <= HAMD_GW_TICKS_PER_MSG_MAX));
    if (ok && batch)
        g->batch = (int)json_integer_value(batch);
    if (ok && base)
        g->base_ns = json_integer_value(base) * HAMD_NS_PER_MS;
    if (ok && burst && json_integer_value(burst) > 0) {
        m->burst_ns = json_integer_value(burst) * HAMD_NS_PER_MS;
        snprintf(m->active_prefix, sizeof m->active_prefix, "%s",
                 prefix ? json_string_value(prefix) : "");
        m->active_rate = rate ? json_number_value(rate) : 0;
        m->spread_ns = spread ? json_integer_value(spread) * HAMD_NS_PER_MS : 0;
        /* a burst must be out before the next one is due */
        ok = m->active_rate >= 0 && m->spread_ns >= 0 && m->spread_ns < m->burst_ns;
    }
    json_decref(o);
    return ok;
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

/* Waits for the hub (at most until the next pass is due) and serves it;
 * returns false when the poll failed. */
static bool serve_hub(struct gwf *g, long timeout_ms, short events)
{
    zmq_pollitem_t it = {g->dealer, 0, events, 0};
    if (zmq_poll(&it, 1, timeout_ms) < 0 && errno != EINTR)
        return false;
    if (it.revents & ZMQ_POLLIN)
        read_hub(g);
    return true;
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
        if (g->market.burst_ns) {
            if (!serve_hub(g, idle ? GWF_IDLE_POLL_MS : GWF_MARKET_POLL_MS,
                           ZMQ_POLLIN))
                return 1;
            if (!idle)
                market_pass(g);
            continue;
        }
        short events = ZMQ_POLLIN | (g->blocked ? ZMQ_POLLOUT : 0);
        zmq_pollitem_t it = {g->dealer, 0, events, 0};
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
    if (!g || !(g->syms = calloc(GWF_MAX_SYMBOLS, sizeof *g->syms)) ||
        !(g->market.active = calloc(GWF_MAX_SYMBOLS, sizeof *g->market.active))) {
        if (g)
            free(g->syms);
        free(g);
        return 1;
    }
    g->base_ns = hamd_wall_ns() / HAMD_NS_PER_MS * HAMD_NS_PER_MS;
    g->batch = 1;
    if (!read_params(g, getenv(HAMD_GW_ENV_PARAMS))) {
        fprintf(stderr, "bench_gw_flood: bad %s (burst_ms, active_prefix, "
                        "active_rate, burst_spread_ms < burst_ms, base_ms, batch)\n",
                HAMD_GW_ENV_PARAMS);
        free(g->market.active);
        free(g->syms);
        free(g);
        return 2;
    }
    snprintf(g->account, sizeof g->account, "%s", account);
    g->ctx = zmq_ctx_new();
    int rc = run(g, endpoint);
    if (g->dealer)
        zmq_close(g->dealer);
    zmq_ctx_term(g->ctx);
    free(g->market.active);
    free(g->syms);
    free(g);
    return rc;
}
