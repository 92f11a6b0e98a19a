/* hactl record: what the cluster publishes, into a recording file
 * (docs/recording.md) that hamd-gw-replay plays back.
 *
 * It receives through libhamd-client (docs/client.md), so the recording
 * holds every tick exactly once and in order per contract, across leader
 * changes, each re-encoded with its hub fields (term, seq, node, hub_ns)
 * as the hub published it. The writer buffers 100 ms of ticks per write
 * and makes the file durable every second: readable while it grows, and
 * after a crash the torn last record is skipped. Gaps the client reports
 * go into the file as "gap" records and to stderr. --rotate daily starts
 * a new file at local midnight: FILE's name gets the day before its
 * extension (ticks.hrec -> ticks-20261206.hrec). */
#include <errno.h>
#include <getopt.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/mpwrite.h"
#include "common/recfile.h"
#include "hactl/curve.h"
#include "hactl/hactl.h"
#include "hactl/stream.h"
#include "hactl/util.h"
#include "hamd/client.h"
#include "hamd/tick.h"

#define RECORD_FLUSH_MS 100         /* ticks buffered per write(2) */
#define RECORD_SYNC_MS 1000         /* fdatasync at most this often */
#define RECORD_GAP_BODY_MAX 256     /* bytes of a gap record's map */

/* What the options of record ask for. */
struct record_opts {
    const char *out;                 /* --out FILE */
    bool daily;                      /* --rotate daily */
    struct hactl_stream_limits stop; /* --count, --seconds */
    struct hactl_curve_opts curve;   /* --server-key, --client-key */
};

/* One recording run. */
struct record {
    struct record_opts o;               /* the options */
    struct hamd_recfile_writer *w;      /* the open file, NULL if none */
    char path[PATH_MAX];                /* its name */
    unsigned day;                       /* its day (yyyymmdd) when daily */
    uint64_t ticks;                     /* ticks written, every file */
    uint64_t gaps;                      /* gaps reported */
    bool failed;                        /* a write failed: stop */
    uint8_t body[HAMD_TICK_WIRE_MAX];   /* scratch for one encoded tick */
};

/* ------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------ */

static unsigned local_day(int64_t wall_ns)
{
    time_t t = (time_t)(wall_ns / HAMD_NS_PER_S);
    struct tm tm;
    localtime_r(&t, &tm);
    return (unsigned)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
                      tm.tm_mday);
}

/* The file of day: FILE itself, or FILE with -yyyymmdd before its
 * extension (after the last dot of its last path component). */
static int path_for(const struct record *r, unsigned day, char *out,
                    size_t cap)
{
    const char *out_path = r->o.out;
    if (!r->o.daily)
        return snprintf(out, cap, "%s", out_path) < (int)cap ? 0 : -1;
    const char *slash = strrchr(out_path, '/');
    const char *dot = strrchr(slash ? slash + 1 : out_path, '.');
    size_t stem = dot && dot != (slash ? slash + 1 : out_path)
                      ? (size_t)(dot - out_path)
                      : strlen(out_path);
    int n = snprintf(out, cap, "%.*s-%08u%s", (int)stem, out_path, day,
                     out_path + stem);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

/* Closes the current file (flushed and synced). */
static void file_close(struct record *r)
{
    char err[HAMD_RECFILE_ERR_MAX];
    if (r->w && hamd_recfile_writer_close(&r->w, err, sizeof err) != 0)
        fprintf(stderr, "hactl record: %s\n", err);
}

/* Opens the file of now's day (appending after a crash or a restart on
 * the same day). Returns 0 or -1 after saying why. */
static int file_open(struct record *r, int64_t wall_ns)
{
    unsigned day = local_day(wall_ns);
    if (path_for(r, day, r->path, sizeof r->path) < 0) {
        fprintf(stderr, "hactl record: file name too long: %s\n", r->o.out);
        return -1;
    }
    struct hamd_recfile_header hdr = {.start_ns = wall_ns, .pid = getpid()};
    snprintf(hdr.producer, sizeof hdr.producer, "hactl record %s",
             HAMD_VERSION);
    gethostname(hdr.host, sizeof hdr.host);
    struct hamd_recfile_wopts wo = {
        .append = access(r->path, F_OK) == 0, .flush_ms = RECORD_FLUSH_MS,
        .sync = HAMD_RECFILE_SYNC_INTERVAL, .sync_ms = RECORD_SYNC_MS,
    };
    char err[HAMD_RECFILE_ERR_MAX];
    r->w = hamd_recfile_writer_open(r->path, &hdr, &wo, err, sizeof err);
    if (!r->w) {
        fprintf(stderr, "hactl record: %s\n", err);
        return -1;
    }
    r->day = day;
    if (wo.append && hamd_recfile_writer_cut_bytes(r->w) > 0)
        fprintf(stderr, "hactl record: %s: cut a torn last record of %lld "
                        "bytes, appending\n",
                r->path, (long long)hamd_recfile_writer_cut_bytes(r->w));
    fprintf(stderr, "hactl record: writing %s\n", r->path);
    return 0;
}

/* A new day with --rotate daily: the next file. */
static int file_rotate_due(struct record *r, int64_t wall_ns)
{
    if (!r->o.daily || local_day(wall_ns) == r->day)
        return 0;
    file_close(r);
    return file_open(r, wall_ns);
}

/* ------------------------------------------------------------------------
 * The client's callbacks
 * ------------------------------------------------------------------------ */

static void note_write_failure(struct record *r)
{
    fprintf(stderr, "hactl record: %s: %s\n", r->path,
            hamd_recfile_writer_error(r->w));
    r->failed = true;
}

static void tick_cb(void *ud, const struct hamd_tick *t, unsigned flags)
{
    (void)flags; /* a snapshot tick is a tick the hub published */
    struct record *r = ud;
    if (r->failed || !r->w ||
        (r->o.stop.max_count && r->ticks >= r->o.stop.max_count))
        return;
    size_t len = hamd_tick_encode(t, true, r->body, sizeof r->body);
    if (len == 0)
        return; /* the client checked it: cannot happen */
    if (hamd_recfile_writer_tick(r->w, t->vt_symbol, strlen(t->vt_symbol),
                                 r->body, len, hamd_wall_ns()) != 0) {
        note_write_failure(r);
        return;
    }
    r->ticks++;
}

/* A gap the client saw goes into the file too: a replay of the file then
 * knows the recording itself has a hole there. */
static void gap_cb(void *ud, const char *vt, uint64_t term, uint64_t expected,
                   uint64_t got)
{
    struct record *r = ud;
    r->gaps++;
    fprintf(stderr, "hactl record: gap on %s in term %llu: seq %llu -> %llu "
                    "(%llu missing)\n",
            vt, (unsigned long long)term, (unsigned long long)(expected - 1),
            (unsigned long long)got, (unsigned long long)(got - expected));
    if (!r->w)
        return;
    uint8_t body[RECORD_GAP_BODY_MAX];
    struct hamd_mpw w;
    hamd_mpw_init(&w, body, sizeof body);
    msgpack_pack_map(&w.pk, 4);
    hamd_mpw_str(&w, "vt_symbol");
    hamd_mpw_str(&w, vt);
    hamd_mpw_str(&w, "term");
    msgpack_pack_uint64(&w.pk, term);
    hamd_mpw_str(&w, "expected_seq");
    msgpack_pack_uint64(&w.pk, expected);
    hamd_mpw_str(&w, "got_seq");
    msgpack_pack_uint64(&w.pk, got);
    size_t len = hamd_mpw_finish(&w);
    if (len && hamd_recfile_writer_record(r->w, "gap", hamd_wall_ns(), body,
                                          len) != 0)
        note_write_failure(r);
}

static void notice_cb(void *ud, enum hamd_client_notice what, const char *text)
{
    (void)ud;
    (void)what;
    fprintf(stderr, "hactl record: %s\n", text);
}

/* ------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------ */

static void record_usage(void)
{
    fprintf(stderr, "Usage: hactl [-c CONFIG | -e EP [-s EP]] record --out "
                    "FILE [--rotate daily] [--count N] [--seconds S]\n"
                    "             [--server-key KEY|FILE --client-key "
                    "SECRET_KEY_FILE] [PREFIX...]\n");
}

/* Parses the options of record into *o. Returns -1 to go on, else the
 * exit code (after --help or a bad option). */
static int record_opts_parse(int argc, char **argv, struct record_opts *o)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"rotate", required_argument, NULL, 'r'},
        HACTL_STREAM_LIMIT_LONGOPTS,
        HACTL_CURVE_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct record_opts){0};
    int opt;
    while ((opt = getopt_long(argc, argv, HACTL_STREAM_LIMIT_OPTS "o:r:h",
                              longopts, NULL)) != -1) {
        int lim = hactl_stream_limit_opt(&o->stop, opt, optarg, "record");
        if (lim < 0)
            return HACTL_USAGE;
        if (lim > 0 || hactl_curve_opt(&o->curve, opt, optarg))
            continue;
        switch (opt) {
        case 'o': o->out = optarg; break;
        case 'r':
            if (strcmp(optarg, "daily") != 0) {
                fprintf(stderr, "hactl record: --rotate takes 'daily'\n");
                return HACTL_USAGE;
            }
            o->daily = true;
            break;
        case 'h': record_usage(); return HACTL_OK;
        default: record_usage(); return HACTL_USAGE;
        }
    }
    if (!o->out || !o->out[0]) {
        record_usage();
        return HACTL_USAGE;
    }
    return -1;
}

/* After each poll: the next day's file, the buffered ticks out. */
static int record_each_cb(void *ud)
{
    struct record *r = ud;
    if (!r->failed && file_rotate_due(r, hamd_wall_ns()) < 0)
        r->failed = true; /* the next day's file cannot be opened */
    if (r->failed)
        return -1;
    if (hamd_recfile_writer_flush(r->w) != 0) {
        note_write_failure(r);
        return -1;
    }
    return 0;
}

int hactl_cmd_record(struct hactl *ctl, int argc, char **argv)
{
    struct record *r = calloc(1, sizeof *r);
    if (!r)
        return HACTL_FAIL;
    int rc = record_opts_parse(argc, argv, &r->o);
    if (rc >= 0) {
        free(r);
        return rc;
    }
    struct hamd_client_opts co = {
        .on_tick = tick_cb, .on_gap = gap_cb, .on_notice = notice_cb, .ud = r,
    };
    hamd_client_t *c;
    rc = hactl_stream_subscribe(ctl, &r->o.curve, true, argv + optind,
                                (size_t)(argc - optind), &co, "record", &c);
    if (rc == HACTL_OK && file_open(r, hamd_wall_ns()) != 0)
        rc = HACTL_USAGE;
    if (rc == HACTL_OK) {
        hactl_stream_catch_signals();
        hactl_stream_run(c, &r->o.stop, &r->ticks, record_each_cb, r);
        rc = r->failed ? HACTL_FAIL : HACTL_OK;
        fprintf(stderr, "hactl record: %llu ticks, %llu gaps\n",
                (unsigned long long)r->ticks, (unsigned long long)r->gaps);
    }
    file_close(r);
    hamd_client_destroy(&c);
    free(r);
    return rc;
}
