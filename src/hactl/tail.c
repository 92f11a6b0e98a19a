/* hactl tail: the tick stream as a client sees it, through libhamd-client
 * (docs/client.md): every publish endpoint known, a snapshot first, then
 * live ticks, each contract's exactly once and in order through a leader
 * change; gaps, term changes and events reported on stderr. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/mpjson.h"
#include "hactl/curve.h"
#include "hactl/hactl.h"
#include "hamd/client.h"
#include "hamd/tick.h"

#define TAIL_POLL_MS 100 /* wake up to check limits and signals */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* What the options of tail ask for. */
struct tail_opts {
    uint64_t max_count; /* stop after this many ticks, 0 = never */
    double seconds;     /* stop after this long, 0 = never */
    bool snapshot;      /* print the cached ticks first */
    const char *server_key; /* --server-key: CURVE, the hub's key */
    const char *client_key; /* --client-key: CURVE, our secret key file */
};

/* One tail run. */
struct tail {
    struct hactl *ctl;        /* global options and nodes */
    struct tail_opts o;       /* tail's own options */
    uint64_t printed;         /* ticks printed */
    uint64_t term;            /* the publisher's term, 0 before the first */
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
    if (hamd_client_tick_extra_int(t, "sim_seq", &sim_seq))
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
 * The client's callbacks
 * ------------------------------------------------------------------------ */

static void on_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    struct tail *tl = ud;
    if (tl->o.max_count && tl->printed >= tl->o.max_count)
        return; /* the rest of a batch after --count */
    tick_print(tl, t, flags & HAMD_CLIENT_TICK_SNAPSHOT);
}

static void on_gap(void *ud, const char *vt, uint64_t term, uint64_t expected,
                   uint64_t got)
{
    (void)ud;
    fprintf(stderr, "hactl tail: gap on %s in term %llu: seq %llu -> %llu "
                    "(%llu missing)\n",
            vt, (unsigned long long)term, (unsigned long long)(expected - 1),
            (unsigned long long)got, (unsigned long long)(got - expected));
}

static void on_leader(void *ud, uint64_t term, uint32_t node)
{
    struct tail *tl = ud;
    if (tl->term)
        fprintf(stderr, "hactl tail: publisher changed: term %llu -> %llu "
                        "(node %u)\n",
                (unsigned long long)tl->term, (unsigned long long)term, node);
    tl->term = term;
}

/* Events go to stderr as one JSON line, so stdout stays ticks only. */
static void on_event(void *ud, const char *type, const void *body, size_t len)
{
    (void)ud;
    (void)type;
    json_t *ev = hamd_mpjson_decode(body, len);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    fprintf(stderr, "EVENT %s\n", text ? text : "(undecodable)");
    free(text);
    json_decref(ev);
}

static void on_notice(void *ud, enum hamd_client_notice what, const char *text)
{
    (void)ud;
    (void)what;
    fprintf(stderr, "hactl tail: %s\n", text);
}

/* ------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------ */

static void tail_usage(void)
{
    fprintf(stderr, "Usage: hactl [-c CONFIG | -e EP [-s EP]] [--json] tail "
                    "[--count N] [--seconds S] [--no-snapshot]\n"
                    "             [--server-key KEY|FILE --client-key "
                    "SECRET_KEY_FILE] [PREFIX...]\n");
}

/* Parses the options of tail into *o. Returns -1 to go on, else the exit
 * code (after --help or a bad option). */
static int tail_opts_parse(int argc, char **argv, struct tail_opts *o)
{
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'n'},
        {"seconds", required_argument, NULL, 'S'},
        {"no-snapshot", no_argument, NULL, 'N'},
        {"server-key", required_argument, NULL, 'K'},
        {"client-key", required_argument, NULL, 'k'},
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
        case 'K': o->server_key = optarg; break;
        case 'k': o->client_key = optarg; break;
        case 'h': tail_usage(); return HACTL_OK;
        default: tail_usage(); return HACTL_USAGE;
        }
    }
    return -1;
}

/* Endpoints of the nodes: the non-empty publish (or snapshot) ones. */
static size_t endpoints_of(const struct hactl *ctl, bool snapshot,
                           const char **out)
{
    size_t n = 0;
    for (unsigned i = 0; i < ctl->n_nodes && n < HAMD_CLIENT_ENDPOINTS_MAX; i++) {
        const char *ep = snapshot ? ctl->nodes[i].snapshot : ctl->nodes[i].publish;
        if (ep[0])
            out[n++] = ep;
    }
    return n;
}

/* Receives until --count, --seconds or a signal. */
static void tail_run(struct tail *tl, hamd_client_t *c)
{
    int64_t deadline = tl->o.seconds > 0
                           ? hamd_mono_ns() +
                                 (int64_t)(tl->o.seconds * HAMD_NS_PER_S)
                           : 0;
    while (!g_stop && (tl->o.max_count == 0 || tl->printed < tl->o.max_count) &&
           (deadline == 0 || hamd_mono_ns() < deadline))
    {
        if (hamd_client_poll(c, TAIL_POLL_MS) < 0)
            break;
        fflush(stdout); /* a reader of a pipe sees each batch at once */
    }
    struct hamd_client_stats st;
    hamd_client_stats(c, &st);
    fprintf(stderr, "hactl tail: %llu ticks, %llu gaps (%llu missing), "
                    "%llu fenced, %llu repeats dropped\n",
            (unsigned long long)tl->printed, (unsigned long long)st.gaps,
            (unsigned long long)st.missing, (unsigned long long)st.fenced,
            (unsigned long long)st.duplicates);
}

int hactl_cmd_tail(struct hactl *ctl, int argc, char **argv)
{
    struct tail tl = {.ctl = ctl};
    int rc = tail_opts_parse(argc, argv, &tl.o);
    if (rc >= 0)
        return rc;
    const char *pubs[HAMD_CLIENT_ENDPOINTS_MAX], *snaps[HAMD_CLIENT_ENDPOINTS_MAX];
    struct hamd_client_opts co = {
        .endpoints = pubs,
        .n_endpoints = endpoints_of(ctl, false, pubs),
        .snapshot_endpoints = snaps,
        .n_snapshot_endpoints = tl.o.snapshot ? endpoints_of(ctl, true, snaps) : 0,
        .prefixes = (const char *const *)(argv + optind),
        .n_prefixes = (size_t)(argc - optind),
        .on_tick = on_tick, .on_gap = on_gap, .on_leader = on_leader,
        .on_event = on_event, .on_notice = on_notice, .ud = &tl,
    };
    if (co.n_endpoints == 0) {
        fprintf(stderr, "hactl tail: no publish endpoint (use -c CONFIG or -e EP)\n");
        return HACTL_USAGE;
    }
    struct hactl_curve keys;
    rc = hactl_curve_keys(ctl, tl.o.server_key, tl.o.client_key, &keys);
    if (rc != HACTL_OK)
        return rc;
    if (keys.on) {
        co.server_key = keys.server;
        co.client_public_key = keys.client_public;
        co.client_secret_key = keys.client_secret;
    }
    hamd_client_t *c = hamd_client_new(&co);
    explicit_bzero(&keys, sizeof keys);
    if (!c) {
        fprintf(stderr, "hactl tail: cannot subscribe: %s (an endpoint or a "
                        "prefix is not valid)\n", strerror(errno));
        return HACTL_USAGE;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    tail_run(&tl, c);
    hamd_client_destroy(&c);
    return HACTL_OK;
}
