/* hactl tail: subscribe like a client would (docs/protocol.md).
 *
 * SUB to every known publish endpoint first, then ask for a snapshot
 * through a DEALER connected to every snapshot endpoint (only the
 * publisher binds one, and ZMQ_IMMEDIATE sends only to live peers), then
 * print live ticks, dropping those the snapshot already covered. Ticks of
 * an older term than one already seen are fenced off; a seq jump inside a
 * term is reported as a gap. */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/mpjson.h"
#include "common/strmap.h"
#include "hactl/hactl.h"
#include "hamd/tick.h"

#define TAIL_SNAPSHOT_TIMEOUT_MS 2000 /* give up on the snapshot after */
#define TAIL_POLL_MS 100              /* wake up to check limits/signals */
#define TAIL_ZMTP_HB_IVL_MS 1000      /* detect a dead publisher host */
#define TAIL_ZMTP_HB_TIMEOUT_MS 3000
#define TAIL_RECONNECT_IVL_MS 100
#define TAIL_SYMBOLS_INITIAL 256

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* Where the stream of one symbol stands. */
struct tail_pos {
    uint64_t term;            /* term of the last tick seen */
    uint64_t seq;             /* its seq */
};

/* One tail run. */
struct tail {
    struct hactl *ctl;        /* global options and nodes */
    void *zctx;               /* ZeroMQ context */
    void *sub;                /* SUB socket, connected to every node */
    struct hamd_strmap *pos;  /* vt_symbol -> struct tail_pos */
    uint64_t max_term;        /* highest term seen: older ones are fenced */
    uint64_t printed;         /* ticks printed */
    uint64_t gaps;            /* seq jumps seen */
    uint64_t missing;         /* ticks lost inside gaps */
    uint64_t fenced;          /* ticks of an older term dropped */
};

/* ------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------ */

static json_t *tick_to_json(const struct hamd_tick *t)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:f,s:f,s:f,s:f,s:f}",
                          "symbol", t->symbol, "exchange", t->exchange,
                          "vt_symbol", t->vt_symbol, "gateway_name",
                          t->gateway_name, "name", t->name, "datetime",
                          (json_int_t)t->datetime_ns, "localtime",
                          (json_int_t)t->localtime_ns, "volume", t->volume,
                          "turnover", t->turnover, "open_interest",
                          t->open_interest, "last_price", t->last_price,
                          "last_volume", t->last_volume);
    const struct { const char *k; double v; } scalars[] = {
        {"limit_up", t->limit_up}, {"limit_down", t->limit_down},
        {"open_price", t->open_price}, {"high_price", t->high_price},
        {"low_price", t->low_price}, {"pre_close", t->pre_close},
    };
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        json_object_set_new(o, scalars[i].k, json_real(scalars[i].v));
    char key[32];
    for (int i = 0; i < HAMD_TICK_DEPTH; i++) {
        snprintf(key, sizeof key, "bid_price_%d", i + 1);
        json_object_set_new(o, key, json_real(t->bid_price[i]));
        snprintf(key, sizeof key, "ask_price_%d", i + 1);
        json_object_set_new(o, key, json_real(t->ask_price[i]));
        snprintf(key, sizeof key, "bid_volume_%d", i + 1);
        json_object_set_new(o, key, json_real(t->bid_volume[i]));
        snprintf(key, sizeof key, "ask_volume_%d", i + 1);
        json_object_set_new(o, key, json_real(t->ask_volume[i]));
    }
    json_object_set_new(o, "term", json_integer((json_int_t)t->term));
    json_object_set_new(o, "seq", json_integer((json_int_t)t->seq));
    json_object_set_new(o, "node", json_integer(t->node));
    json_object_set_new(o, "hub_ns", json_integer(t->hub_ns));
    int64_t sim_seq;
    if (hamd_tick_extra_int(t, "sim_seq", &sim_seq))
        json_object_set_new(o, "extra", json_pack("{s:I}", "sim_seq",
                                                  (json_int_t)sim_seq));
    return o;
}

static void tick_print(struct tail *tl, const struct hamd_tick *t, bool snap)
{
    if (tl->ctl->json) {
        json_t *o = tick_to_json(t);
        if (snap)
            json_object_set_new(o, "snapshot", json_true());
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(o);
    } else {
        char when[40];
        hamd_format_iso_ms(t->datetime_ns, when, sizeof when);
        printf("%s %-16s last=%-10g bid=%g/%g ask=%g/%g vol=%-10.0f src=%s "
               "t%llu#%llu%s\n",
               when, t->vt_symbol, t->last_price, t->bid_price[0],
               t->bid_volume[0], t->ask_price[0], t->ask_volume[0], t->volume,
               t->gateway_name, (unsigned long long)t->term,
               (unsigned long long)t->seq, snap ? " (snapshot)" : "");
    }
    tl->printed++;
}

/* ------------------------------------------------------------------------
 * Sequencing: fencing by term, gap detection by seq
 * ------------------------------------------------------------------------ */

/* Returns true when the tick is new for this client (and records it). */
static bool tail_accept(struct tail *tl, const struct hamd_tick *t)
{
    if (t->term < tl->max_term) {
        tl->fenced++;
        return false;
    }
    if (t->term > tl->max_term) {
        if (tl->max_term)
            fprintf(stderr, "hactl tail: publisher changed: term %llu -> %llu "
                            "(node %u)\n",
                    (unsigned long long)tl->max_term,
                    (unsigned long long)t->term, t->node);
        tl->max_term = t->term;
    }
    struct tail_pos *p = hamd_strmap_get(tl->pos, t->vt_symbol);
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p)
            return true;
        hamd_strmap_put(tl->pos, t->vt_symbol, p);
    }
    if (p->term == t->term && t->seq <= p->seq)
        return false; /* already covered (snapshot or duplicate) */
    if (p->term == t->term && t->seq > p->seq + 1) {
        uint64_t lost = t->seq - p->seq - 1;
        tl->gaps++;
        tl->missing += lost;
        fprintf(stderr, "hactl tail: gap on %s in term %llu: seq %llu -> %llu "
                        "(%llu missing)\n",
                t->vt_symbol, (unsigned long long)t->term,
                (unsigned long long)p->seq, (unsigned long long)t->seq,
                (unsigned long long)lost);
    }
    p->term = t->term;
    p->seq = t->seq;
    return true;
}

/* ------------------------------------------------------------------------
 * Sockets
 * ------------------------------------------------------------------------ */

static void set_client_opts(void *sock)
{
    int ivl = TAIL_ZMTP_HB_IVL_MS, tmo = TAIL_ZMTP_HB_TIMEOUT_MS;
    int rc = TAIL_RECONNECT_IVL_MS, linger = 0;
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo);
    zmq_setsockopt(sock, ZMQ_RECONNECT_IVL, &rc, sizeof rc);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
}

static int sub_open(struct tail *tl, char **prefixes, int n_prefixes)
{
    tl->sub = zmq_socket(tl->zctx, ZMQ_SUB);
    set_client_opts(tl->sub);
    int hwm = 0; /* a tail must not be the one that loses ticks */
    zmq_setsockopt(tl->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    unsigned connected = 0;
    for (unsigned i = 0; i < tl->ctl->n_nodes; i++) {
        const char *ep = tl->ctl->nodes[i].publish;
        if (!ep[0])
            continue;
        if (zmq_connect(tl->sub, ep) < 0) {
            fprintf(stderr, "hactl tail: bad endpoint %s: %s\n", ep,
                    zmq_strerror(zmq_errno()));
            return -1;
        }
        connected++;
    }
    if (connected == 0) {
        fprintf(stderr, "hactl tail: no publish endpoint (use -c CONFIG or -e EP)\n");
        return -1;
    }
    for (int i = 0; i < n_prefixes; i++)
        zmq_setsockopt(tl->sub, ZMQ_SUBSCRIBE, prefixes[i], strlen(prefixes[i]));
    if (n_prefixes == 0)
        zmq_setsockopt(tl->sub, ZMQ_SUBSCRIBE, "", 0);
    /* Events are always of interest; `_hb` only says the stream is alive. */
    zmq_setsockopt(tl->sub, ZMQ_SUBSCRIBE, "_event", 6);
    return 0;
}

/* Receives a two-frame message; returns the body length or -1. */
static int recv_two(void *sock, char *topic, size_t tcap, uint8_t *body,
                    size_t bcap, int flags)
{
    int tl = zmq_recv(sock, topic, tcap - 1, flags);
    if (tl < 0)
        return -1;
    topic[(size_t)tl < tcap - 1 ? (size_t)tl : tcap - 1] = '\0';
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
    if (!more)
        return -1;
    int bl = zmq_recv(sock, body, bcap, 0);
    return bl > (int)bcap ? -1 : bl;
}

static void snapshot_fetch(struct tail *tl, const char *prefix)
{
    void *dealer = zmq_socket(tl->zctx, ZMQ_DEALER);
    set_client_opts(dealer);
    int one = 1, tmo = TAIL_SNAPSHOT_TIMEOUT_MS;
    zmq_setsockopt(dealer, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    zmq_setsockopt(dealer, ZMQ_SNDTIMEO, &tmo, sizeof tmo);
    unsigned n = 0;
    for (unsigned i = 0; i < tl->ctl->n_nodes; i++)
        if (tl->ctl->nodes[i].snapshot[0] &&
            zmq_connect(dealer, tl->ctl->nodes[i].snapshot) == 0)
            n++;
    if (n == 0 || zmq_send(dealer, "SNAPSHOT", 8, ZMQ_SNDMORE) < 0 ||
        zmq_send(dealer, prefix, strlen(prefix), 0) < 0) {
        if (n > 0)
            fprintf(stderr, "hactl tail: no publisher answered the snapshot "
                            "request; live ticks only\n");
        zmq_close(dealer);
        return;
    }
    char topic[HAMD_VT_SYMBOL_MAX + 8];
    uint8_t body[HAMD_TICK_WIRE_MAX];
    for (;;) {
        int len = recv_two(dealer, topic, sizeof topic, body, sizeof body, 0);
        if (len < 0) {
            fprintf(stderr, "hactl tail: snapshot incomplete; live ticks only\n");
            break;
        }
        if (strcmp(topic, "END") == 0)
            break;
        struct hamd_tick t;
        if (hamd_tick_decode(body, (size_t)len, &t) == HAMD_TICK_OK &&
            tail_accept(tl, &t))
            tick_print(tl, &t, true);
    }
    zmq_close(dealer);
}

/* Events go to stderr as one JSON line, so stdout stays ticks only. */
static void print_event(const uint8_t *body, int len)
{
    json_t *ev = hamd_mpjson_decode(body, (size_t)len);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    fprintf(stderr, "EVENT %s\n", text ? text : "(undecodable)");
    free(text);
    json_decref(ev);
}

static void live_loop(struct tail *tl, uint64_t max_count, int64_t deadline_ns)
{
    char topic[HAMD_VT_SYMBOL_MAX + 8];
    uint8_t body[HAMD_TICK_WIRE_MAX];
    while (!g_stop && (max_count == 0 || tl->printed < max_count) &&
           (deadline_ns == 0 || hamd_mono_ns() < deadline_ns)) {
        zmq_pollitem_t item = {tl->sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, TAIL_POLL_MS) <= 0)
            continue;
        int len = recv_two(tl->sub, topic, sizeof topic, body, sizeof body,
                           ZMQ_DONTWAIT);
        if (len < 0 || topic[0] == '_') {
            if (len >= 0 && strcmp(topic, "_event") == 0)
                print_event(body, len);
            continue;
        }
        struct hamd_tick t;
        if (hamd_tick_decode(body, (size_t)len, &t) != HAMD_TICK_OK) {
            fprintf(stderr, "hactl tail: undecodable tick on %s\n", topic);
            continue;
        }
        if (tail_accept(tl, &t))
            tick_print(tl, &t, false);
    }
}

static void tail_usage(void)
{
    fprintf(stderr, "Usage: hactl [-c CONFIG | -e EP [-s EP]] [--json] tail "
                    "[--count N] [--seconds S] [--no-snapshot] [PREFIX...]\n");
}

/* What the options of tail ask for. */
struct tail_opts {
    uint64_t max_count; /* stop after this many ticks, 0 = never */
    double seconds;     /* stop after this long, 0 = never */
    bool snapshot;      /* print the cached ticks first */
};

/* Parses the options of tail into *o. Returns -1 to go on, else the exit
 * code (after --help or a bad option). */
static int tail_opts_parse(int argc, char **argv, struct tail_opts *o)
{
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'n'},
        {"seconds", required_argument, NULL, 'S'},
        {"no-snapshot", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct tail_opts){.snapshot = true};
    int opt;
    while ((opt = getopt_long(argc, argv, "n:S:Nh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n': o->max_count = strtoull(optarg, NULL, 10); break;
        case 'S': o->seconds = strtod(optarg, NULL); break;
        case 'N': o->snapshot = false; break;
        case 'h': tail_usage(); return HACTL_OK;
        default: tail_usage(); return HACTL_USAGE;
        }
    }
    return -1;
}

/* Releases what a tail run holds. */
static void tail_close(struct tail *tl)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    while (tl->pos && hamd_strmap_next(tl->pos, &cursor, &key, &val))
        free(val);
    hamd_strmap_destroy(&tl->pos);
    if (tl->sub)
        zmq_close(tl->sub);
    zmq_ctx_term(tl->zctx);
}

int hactl_cmd_tail(struct hactl *ctl, int argc, char **argv)
{
    struct tail_opts o;
    int rc = tail_opts_parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct tail tl;
    memset(&tl, 0, sizeof tl);
    tl.ctl = ctl;
    tl.zctx = zmq_ctx_new();
    tl.pos = hamd_strmap_new(TAIL_SYMBOLS_INITIAL);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    char **prefixes = argv + optind;
    int n_prefixes = argc - optind;
    rc = HACTL_USAGE;
    if (sub_open(&tl, prefixes, n_prefixes) == 0) {
        if (o.snapshot)
            for (int i = 0; i < (n_prefixes ? n_prefixes : 1); i++)
                snapshot_fetch(&tl, n_prefixes ? prefixes[i] : "");
        int64_t deadline = o.seconds > 0
                               ? hamd_mono_ns() +
                                     (int64_t)(o.seconds * HAMD_NS_PER_S)
                               : 0;
        live_loop(&tl, o.max_count, deadline);
        fprintf(stderr, "hactl tail: %llu ticks, %llu gaps (%llu missing), "
                        "%llu fenced\n",
                (unsigned long long)tl.printed, (unsigned long long)tl.gaps,
                (unsigned long long)tl.missing, (unsigned long long)tl.fenced);
        rc = HACTL_OK;
    }
    tail_close(&tl);
    return rc;
}
