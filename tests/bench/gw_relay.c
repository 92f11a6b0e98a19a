/* bench_gw_relay: the floor of the hub, placed exactly where the hub sits.
 *
 *   bench_gw_relay --gw ENDPOINT --pub ENDPOINT --symbols FILE [--hwm N]
 *                  [--validate]
 *
 * A relay that does nothing between the same gateway and the same
 * subscriber as the hub's benchmark phases (tests/bench/tick_path.sh):
 * it binds a ROUTER on --gw for gateways (bench_gw_flood, started with
 * HAMD_GW_ENDPOINT pointing here), answers each HELLO with SUBSCRIBE for
 * the contracts of FILE (one vt_symbol a line, in SUBSCRIBEs of at most
 * HAMD_GW_SYMBOLS_MAX), and publishes every body of every TICK on an XPUB
 * bound on --pub as [vt_symbol][the gateway's body], the message ZeroMQ
 * received handed on as it is (no copy). Both sockets get the hub's
 * options (src/dataplane: DP_GW_RCVHWM, ROUTER_HANDOVER, XPUB_VERBOSER,
 * the PUB high-water mark --hwm, as tick_path.sh gives the hub, and
 * DP_LINGER_MS), and the gateway is drained in batches of DP_BATCH_MAX
 * ticks like the hub's data thread.
 *
 * "Nothing": no launch token check, no decode, no validation, no cache,
 * no arbitration, no numbering, no hub fields. The one piece of work per
 * tick is finding the topic: a memmem for the key "vt_symbol" (a fixstr,
 * as every gateway on hamd's codec writes it) and reading the string
 * header after it. A body without it is dropped and counted. The bodies
 * keep the gateway's fields only; bench_tick_sub --no-hub measures them
 * (loss from extra.sim_seq, latency from localtime, the gateway's stamp,
 * as it does through the hub).
 *
 * --validate adds the one piece of the hub's work that no hub may skip:
 * every body is decoded and validated by the hub's own decoder
 * (hamd_tick_decode_splice, as dp_tick_decode calls it), and a body it
 * rejects is dropped and counted instead of relayed. Against the plain
 * relay in the same run, it measures what validation alone costs the
 * path (tick_path.sh, BENCH_REAL_VALIDATE; docs/performance.md).
 *
 * HELLO, STATUS and HB are not checked; UNSUBSCRIBE and STOP are never
 * sent (the benchmark stops the gateway itself). SIGTERM or SIGINT end it
 * (exit 0), after a line on stderr with what it relayed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/tick_splice.h"
#include "dataplane/dp_internal.h"
#include "hamd/gwproto.h"
#include "hamd/tick.h"

#define GWR_SYMBOLS_MAX 16384   /* contracts a FILE may list */
#define GWR_HWM_DEFAULT 100000  /* the hub's default [publish] hwm */
#define GWR_POLL_MS 100         /* poll slice: signals are seen this fast */
#define GWR_VT_KEY "\xa9vt_symbol" /* fixstr(9) "vt_symbol" */
#define GWR_SUB_BYTES_PER_SYMBOL (HAMD_VT_SYMBOL_MAX + 2) /* str8 header */
#define GWR_SUB_BYTES_EXTRA 32  /* map, key and array headers */

/* The relay's state. */
struct gwr {
    void *ctx;                /* ZeroMQ context */
    void *gw;                 /* ROUTER the gateways connect to */
    void *pub;                /* XPUB the subscriber connects to */
    char **symbols;           /* the contracts to SUBSCRIBE */
    size_t n_symbols;         /* how many */
    uint8_t *subbuf;          /* one encoded SUBSCRIBE */
    size_t subcap;            /* its capacity */
    uint64_t relayed;         /* tick bodies published */
    uint64_t no_topic;        /* bodies without a vt_symbol: dropped */
    uint64_t pub_errors;      /* sends ZeroMQ refused */
    bool validate;            /* --validate: decode every body first */
    uint64_t invalid;         /* bodies the decoder rejected: dropped */
    struct hamd_tick tick;    /* --validate: the decoder's output */
    struct hamd_tick_splice wire; /* --validate: its splice points */
    uint64_t hellos;          /* HELLOs answered */
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* ------------------------------------------------------------------------
 * The one piece of work per tick
 * ------------------------------------------------------------------------ */

/* Finds the vt_symbol string of a tick body: its bytes at *vt, length
 * returned; 0 when there is none (or it is not a fixstr or str8). */
static size_t find_vt_symbol(const uint8_t *body, size_t len, const uint8_t **vt)
{
    size_t klen = sizeof GWR_VT_KEY - 1;
    const uint8_t *k = memmem(body, len, GWR_VT_KEY, klen);
    if (!k)
        return 0;
    const uint8_t *p = k + klen, *end = body + len;
    size_t n;
    if (p < end && (*p & 0xe0) == 0xa0) {
        n = *p & 0x1f;
        p += 1;
    } else if (p + 1 < end && *p == 0xd9) {
        n = p[1];
        p += 2;
    } else {
        return 0;
    }
    if (n == 0 || n >= HAMD_VT_SYMBOL_MAX || (size_t)(end - p) < n)
        return 0;
    *vt = p;
    return n;
}

/* Publishes one tick body: [vt_symbol][body], the body's message handed
 * to ZeroMQ as received. Not inlined: callgrind_costs.py counts its calls
 * as the relay's ticks. */
__attribute__((noinline)) static void gwr_relay_tick(struct gwr *r,
                                                     zmq_msg_t *body)
{
    const uint8_t *vt;
    if (r->validate &&
        hamd_tick_decode_splice(zmq_msg_data(body), zmq_msg_size(body),
                                &r->tick, &r->wire) != HAMD_TICK_OK) {
        r->invalid++;
        return;
    }
    size_t n = find_vt_symbol(zmq_msg_data(body), zmq_msg_size(body), &vt);
    if (n == 0) {
        r->no_topic++;
        return;
    }
    /* Like the hub's send_two: never waits, a refusal is counted. */
    if (zmq_send(r->pub, vt, n, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(body, r->pub, ZMQ_DONTWAIT) < 0) {
        r->pub_errors++;
        return;
    }
    r->relayed++;
}

/* ------------------------------------------------------------------------
 * The gateway side
 * ------------------------------------------------------------------------ */

/* Answers a HELLO: SUBSCRIBE for every contract, HAMD_GW_SYMBOLS_MAX at a
 * time, to the identity id. */
static void gwr_subscribe(struct gwr *r, zmq_msg_t *id)
{
    const char *type = hamd_gw_type_name(HAMD_GW_SUBSCRIBE);
    for (size_t at = 0; at < r->n_symbols; at += HAMD_GW_SYMBOLS_MAX) {
        size_t n = r->n_symbols - at;
        if (n > HAMD_GW_SYMBOLS_MAX)
            n = HAMD_GW_SYMBOLS_MAX;
        size_t len = hamd_gw_symbols_encode((const char *const *)r->symbols + at,
                                            n, r->subbuf, r->subcap);
        if (len == 0 ||
            zmq_send(r->gw, zmq_msg_data(id), zmq_msg_size(id), ZMQ_SNDMORE) < 0 ||
            zmq_send(r->gw, type, strlen(type), ZMQ_SNDMORE) < 0 ||
            zmq_send(r->gw, r->subbuf, len, 0) < 0)
            fprintf(stderr, "bench_gw_relay: SUBSCRIBE not sent: %s\n",
                    len ? zmq_strerror(errno) : "cannot encode");
    }
    r->hellos++;
}

/* Handles one gateway message, its identity read. Returns the tick bodies
 * it carried (at least 1: a message counts as one in the batch). */
static unsigned gwr_message(struct gwr *r, zmq_msg_t *id, zmq_msg_t *frame)
{
    if (!zmq_msg_more(id) || zmq_msg_recv(frame, r->gw, 0) < 0)
        return 1;
    enum hamd_gw_type type =
        hamd_gw_type_parse(zmq_msg_data(frame), zmq_msg_size(frame));
    unsigned bodies = 0;
    /* Read before each send: a sent message is empty, its flag gone. */
    bool more = zmq_msg_more(frame);
    while (more && zmq_msg_recv(frame, r->gw, 0) >= 0) {
        more = zmq_msg_more(frame);
        bodies++;
        if (type == HAMD_GW_TICK)
            gwr_relay_tick(r, frame);
    }
    if (type == HAMD_GW_HELLO)
        gwr_subscribe(r, id);
    return bodies > 1 ? bodies : 1;
}

/* Receives gateway messages without blocking until about DP_BATCH_MAX
 * ticks were handled, as the hub's gw_drain does. */
static void gwr_drain(struct gwr *r)
{
    zmq_msg_t id, frame;
    zmq_msg_init(&id);
    zmq_msg_init(&frame);
    for (unsigned handled = 0; handled < DP_BATCH_MAX;) {
        if (zmq_msg_recv(&id, r->gw, ZMQ_DONTWAIT) < 0)
            break;
        handled += gwr_message(r, &id, &frame);
    }
    zmq_msg_close(&id);
    zmq_msg_close(&frame);
}

/* Reads and drops the subscriber's (un)subscriptions, which the XPUB
 * reports: the hub reads them too (dp_follow.c). */
static void gwr_drain_subscriptions(struct gwr *r)
{
    char buf[HAMD_VT_SYMBOL_MAX + 1];
    while (zmq_recv(r->pub, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
        continue;
}

/* ------------------------------------------------------------------------
 * Main
 * ------------------------------------------------------------------------ */

/* Reads FILE: one vt_symbol a line, blank lines ignored. */
static bool gwr_read_symbols(struct gwr *r, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[HAMD_VT_SYMBOL_MAX + 2];
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        ok = r->n_symbols < GWR_SYMBOLS_MAX &&
             hamd_tick_vt_symbol_valid(line, strlen(line)) &&
             (r->symbols[r->n_symbols] = strdup(line)) != NULL;
        r->n_symbols += ok;
    }
    fclose(f);
    return ok && r->n_symbols > 0;
}

/* Opens both sockets with the hub's options. */
static bool gwr_open(struct gwr *r, const char *gw_ep, const char *pub_ep,
                     int pub_hwm)
{
    int gw_hwm = DP_GW_RCVHWM, linger = DP_LINGER_MS, one = 1;
    r->gw = zmq_socket(r->ctx, ZMQ_ROUTER);
    zmq_setsockopt(r->gw, ZMQ_RCVHWM, &gw_hwm, sizeof gw_hwm);
    zmq_setsockopt(r->gw, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(r->gw, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
    r->pub = zmq_socket(r->ctx, ZMQ_XPUB);
    zmq_setsockopt(r->pub, ZMQ_XPUB_VERBOSER, &one, sizeof one);
    zmq_setsockopt(r->pub, ZMQ_SNDHWM, &pub_hwm, sizeof pub_hwm);
    zmq_setsockopt(r->pub, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(r->gw, gw_ep) != 0 || zmq_bind(r->pub, pub_ep) != 0) {
        fprintf(stderr, "bench_gw_relay: bind %s / %s: %s\n", gw_ep, pub_ep,
                zmq_strerror(errno));
        return false;
    }
    return true;
}

static int gwr_run(struct gwr *r)
{
    while (!g_stop) {
        zmq_pollitem_t it[2] = {{r->gw, 0, ZMQ_POLLIN, 0},
                                {r->pub, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(it, 2, GWR_POLL_MS) < 0 && errno != EINTR)
            return 1;
        if (it[0].revents & ZMQ_POLLIN)
            gwr_drain(r);
        if (it[1].revents & ZMQ_POLLIN)
            gwr_drain_subscriptions(r);
    }
    fprintf(stderr, "bench_gw_relay: %llu ticks relayed, %llu without "
                    "vt_symbol, %llu invalid, %llu refused by ZeroMQ, "
                    "%llu HELLOs\n",
            (unsigned long long)r->relayed, (unsigned long long)r->no_topic,
            (unsigned long long)r->invalid, (unsigned long long)r->pub_errors,
            (unsigned long long)r->hellos);
    return 0;
}

static void gwr_free(struct gwr *r)
{
    if (r->gw)
        zmq_close(r->gw);
    if (r->pub)
        zmq_close(r->pub);
    if (r->ctx)
        zmq_ctx_term(r->ctx);
    for (size_t i = 0; i < r->n_symbols; i++)
        free(r->symbols[i]);
    free(r->symbols);
    free(r->subbuf);
    free(r);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"gw", required_argument, NULL, 'g'},
        {"pub", required_argument, NULL, 'p'},
        {"symbols", required_argument, NULL, 's'},
        {"hwm", required_argument, NULL, 'h'},
        {"validate", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    const char *gw_ep = NULL, *pub_ep = NULL, *sym_path = NULL;
    int hwm = GWR_HWM_DEFAULT, opt;
    bool validate = false;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'g': gw_ep = optarg; break;
        case 'p': pub_ep = optarg; break;
        case 's': sym_path = optarg; break;
        case 'h': hwm = atoi(optarg); break;
        case 'v': validate = true; break;
        default: gw_ep = NULL; optind = argc; break;
        }
    }
    if (!gw_ep || !pub_ep || !sym_path || hwm < 0) {
        fprintf(stderr, "usage: bench_gw_relay --gw ENDPOINT --pub ENDPOINT "
                        "--symbols FILE [--hwm N] [--validate]\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    struct gwr *r = calloc(1, sizeof *r);
    if (!r)
        return 1;
    r->validate = validate;
    r->symbols = calloc(GWR_SYMBOLS_MAX, sizeof *r->symbols);
    r->subcap = HAMD_GW_SYMBOLS_MAX * GWR_SUB_BYTES_PER_SYMBOL + GWR_SUB_BYTES_EXTRA;
    r->subbuf = malloc(r->subcap);
    if (!r->symbols || !r->subbuf || !gwr_read_symbols(r, sym_path)) {
        fprintf(stderr, "bench_gw_relay: cannot read contracts from %s "
                        "(one vt_symbol a line, at most %d)\n", sym_path,
                GWR_SYMBOLS_MAX);
        gwr_free(r);
        return 2;
    }
    r->ctx = zmq_ctx_new();
    int rc = r->ctx && gwr_open(r, gw_ep, pub_ep, hwm) ? gwr_run(r) : 1;
    gwr_free(r);
    return rc;
}
