/* hactl tail: the tick stream as a client sees it, through libhamd-client
 * (docs/client.md): every publish endpoint known, a snapshot first, then
 * live ticks, each contract's exactly once and in order through a leader
 * change; gaps, term changes and events reported on stderr. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/mpjson.h"
#include "hactl/curve.h"
#include "hactl/hactl.h"
#include "hactl/stream.h"
#include "hactl/util.h"
#include "hamd/client.h"
#include "hamd/tick.h"

/* What the options of tail ask for. */
struct tail_opts {
    struct hactl_stream_limits stop; /* --count, --seconds */
    bool snapshot;                   /* print the cached ticks first */
    bool json;                       /* --json after the command */
    struct hactl_curve_opts curve;   /* --server-key, --client-key */
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

static void tick_cb(void *ud, const struct hamd_tick *t, unsigned flags)
{
    struct tail *tl = ud;
    if (tl->o.stop.max_count && tl->printed >= tl->o.stop.max_count)
        return; /* the rest of a batch after --count */
    tick_print(tl, t, flags & HAMD_CLIENT_TICK_SNAPSHOT);
}

static void gap_cb(void *ud, const char *vt, uint64_t term, uint64_t expected,
                   uint64_t got)
{
    (void)ud;
    fprintf(stderr, "hactl tail: gap on %s in term %llu: seq %llu -> %llu "
                    "(%llu missing)\n",
            vt, (unsigned long long)term, (unsigned long long)(expected - 1),
            (unsigned long long)got, (unsigned long long)(got - expected));
}

static void leader_cb(void *ud, uint64_t term, uint32_t node)
{
    struct tail *tl = ud;
    if (tl->term)
        fprintf(stderr, "hactl tail: publisher changed: term %llu -> %llu "
                        "(node %u)\n",
                (unsigned long long)tl->term, (unsigned long long)term, node);
    tl->term = term;
}

/* Events go to stderr as one JSON line, so stdout stays ticks only. */
static void event_cb(void *ud, const char *type, const void *body, size_t len)
{
    (void)ud;
    (void)type;
    json_t *ev = hamd_mpjson_decode(body, len);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    fprintf(stderr, "EVENT %s\n", text ? text : "(undecodable)");
    free(text);
    json_decref(ev);
}

static void notice_cb(void *ud, enum hamd_client_notice what, const char *text)
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
    fprintf(stderr, "Usage: hactl [-c CONFIG | -e EP [-s EP]] tail "
                    "[--count N] [--seconds S] [--no-snapshot] [--json]\n"
                    "             [--server-key KEY|FILE --client-key "
                    "SECRET_KEY_FILE] [PREFIX...]\n");
}

/* Parses the options of tail into *o. Returns -1 to go on, else the exit
 * code (after --help or a bad option). */
static int tail_opts_parse(int argc, char **argv, struct tail_opts *o)
{
    static const struct option longopts[] = {
        HACTL_STREAM_LIMIT_LONGOPTS,
        {"no-snapshot", no_argument, NULL, 'N'},
        {"json", no_argument, NULL, 'j'},
        HACTL_CURVE_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct tail_opts){.snapshot = true};
    int opt;
    while ((opt = getopt_long(argc, argv, HACTL_STREAM_LIMIT_OPTS "Nh",
                              longopts, NULL)) != -1) {
        int lim = hactl_stream_limit_opt(&o->stop, opt, optarg, "tail");
        if (lim < 0)
            return HACTL_USAGE;
        if (lim > 0 || hactl_curve_opt(&o->curve, opt, optarg))
            continue;
        switch (opt) {
        case 'N': o->snapshot = false; break;
        case 'j': o->json = true; break;
        case 'h': tail_usage(); return HACTL_OK;
        default: tail_usage(); return HACTL_USAGE;
        }
    }
    return -1;
}

/* After each poll: a reader of a pipe sees each batch at once. */
static int tail_each_cb(void *ud)
{
    (void)ud;
    fflush(stdout);
    return 0;
}

/* Receives until --count, --seconds or a signal. */
static void tail_run(struct tail *tl, hamd_client_t *c)
{
    hactl_stream_run(c, &tl->o.stop, &tl->printed, tail_each_cb, tl);
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
    /* --json after the command, as every command takes it (docs/hactl.md). */
    ctl->json = ctl->json || tl.o.json;
    struct hamd_client_opts co = {
        .on_tick = tick_cb, .on_gap = gap_cb, .on_leader = leader_cb,
        .on_event = event_cb, .on_notice = notice_cb, .ud = &tl,
    };
    hamd_client_t *c;
    rc = hactl_stream_subscribe(ctl, &tl.o.curve, tl.o.snapshot, argv + optind,
                                (size_t)(argc - optind), &co, "tail", &c);
    if (rc != HACTL_OK)
        return rc;
    hactl_stream_catch_signals();
    tail_run(&tl, c);
    hamd_client_destroy(&c);
    return HACTL_OK;
}
