/* The recording as a replay sees it: see timeline.h. */
#include "gw-replay/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpread.h"
#include "hamd/tick.h"

#define MARKS_INITIAL 64 /* first allocation of the index */

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

struct replay_timeline *replay_timeline_new(const struct replay_params *params,
                                            char *err, size_t errcap)
{
    struct replay_timeline *self = calloc(1, sizeof *self);
    if (!self || !(self->symbols = hamd_strmap_new(0))) {
        snprintf(err, errcap, "out of memory");
        replay_timeline_destroy(&self);
        return NULL;
    }
    self->params = params;
    self->start_offset = -1;
    self->t_run = INT64_MIN;
    self->reader = hamd_recfile_reader_open(params->file, err, errcap);
    if (!self->reader)
        replay_timeline_destroy(&self);
    return self;
}

void replay_timeline_destroy(struct replay_timeline **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct replay_timeline *self = *self_p;
    hamd_recfile_reader_destroy(&self->reader);
    hamd_strmap_destroy(&self->symbols);
    free(self->marks);
    free(self);
    *self_p = NULL;
}

/* ------------------------------------------------------------------------
 * The scan
 * ------------------------------------------------------------------------ */

/* Adds an index mark. */
static int add_mark(struct replay_timeline *self, const struct replay_mark *m)
{
    if (self->n_marks == self->cap_marks) {
        size_t cap = self->cap_marks ? 2 * self->cap_marks : MARKS_INITIAL;
        struct replay_mark *marks = realloc(self->marks, cap * sizeof *marks);
        if (!marks)
            return -1;
        self->marks = marks;
        self->cap_marks = cap;
    }
    self->marks[self->n_marks++] = *m;
    return 0;
}

/* What the scan needs of a tick: its contract and exchange time. */
struct scan_tick {
    char vt_symbol[HAMD_VT_SYMBOL_MAX]; /* the record's topic */
    int64_t datetime_ns;                /* the body's datetime */
};

/* Reads the topic and the datetime without decoding the whole body: the
 * scan reads every record of a day, so it stays at a few us per tick;
 * each tick is checked in full when it is played. */
static const char *scan_read(const struct hamd_recfile_record *rec,
                             struct scan_tick *out)
{
    if (!hamd_tick_vt_symbol_valid(rec->topic, rec->topic_len))
        return "its topic is not a symbol.EXCHANGE";
    memcpy(out->vt_symbol, rec->topic, rec->topic_len);
    out->vt_symbol[rec->topic_len] = '\0';
    if (!replay_tick_datetime(rec, &out->datetime_ns))
        return "a tick without an integer datetime";
    return NULL;
}

bool replay_tick_datetime(const struct hamd_recfile_record *rec, int64_t *out)
{
    static const char *const KEYS[] = {"datetime"};
    struct hamd_mpr_val v;
    return hamd_mpr_map_find(rec->body, rec->body_len, KEYS, &v, 1) &&
           hamd_mpr_val_i64(&v, out);
}

/* Takes one tick of the range into the counts, the index and the set of
 * contracts. */
static int take_tick(struct replay_timeline *self, int64_t offset, int64_t t,
                     int64_t t_prev, const struct scan_tick *tick)
{
    if (self->start_offset < 0) {
        self->start_offset = offset;
        self->first_ns = t;
        self->dt_min = self->dt_max = tick->datetime_ns;
        t_prev = t;
    }
    if (self->ticks % REPLAY_MARK_EVERY_TICKS == 0) {
        struct replay_mark m = {offset, self->ticks, t_prev, t};
        if (add_mark(self, &m) != 0)
            return -1;
    }
    if (!hamd_strmap_get(self->symbols, tick->vt_symbol)) {
        hamd_strmap_put(self->symbols, tick->vt_symbol, self);
        if (!hamd_strmap_get(self->symbols, tick->vt_symbol))
            return -1; /* no memory to grow */
    }
    if (tick->datetime_ns < self->dt_min)
        self->dt_min = tick->datetime_ns;
    if (tick->datetime_ns > self->dt_max)
        self->dt_max = tick->datetime_ns;
    self->ticks++;
    self->last_ns = t;
    return 0;
}

/* One tick record of the scan. Returns 0, 1 when the range ended before
 * it, -1 with err. */
static int scan_tick(struct replay_timeline *self,
                     const struct hamd_recfile_record *rec, char *err,
                     size_t errcap)
{
    struct scan_tick tick;
    const char *why = scan_read(rec, &tick);
    if (why) {
        snprintf(err, errcap, "%.300s: offset %lld: %s", self->params->file,
                 (long long)rec->offset, why);
        return -1;
    }
    int64_t t_prev = self->t_run;
    if (tick.datetime_ns > self->t_run)
        self->t_run = tick.datetime_ns;
    const struct replay_params *p = self->params;
    if (p->has_from && self->t_run < p->from_ns)
        return 0;
    if (p->has_to && self->t_run >= p->to_ns)
        return 1;
    if (take_tick(self, rec->offset, self->t_run, t_prev, &tick) != 0) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    self->end_offset = hamd_recfile_reader_offset(self->reader);
    return 0;
}

/* The scan reached the end of the range: checks there is something. */
static int finish(struct replay_timeline *self, char *err, size_t errcap)
{
    self->done = true;
    if (self->ticks > 0)
        return 1;
    snprintf(err, errcap, "%.300s: no tick %s", self->params->file,
             self->params->has_from || self->params->has_to
                 ? "between params.from and params.to" : "in the recording");
    return -1;
}

int replay_timeline_scan(struct replay_timeline *self, unsigned budget,
                         char *err, size_t errcap)
{
    struct hamd_recfile_record rec;
    for (unsigned i = 0; i < budget; i++) {
        enum hamd_recfile_rc rc = hamd_recfile_reader_next(self->reader, &rec);
        if (rc == HAMD_RECFILE_ERR) {
            snprintf(err, errcap, "%s", hamd_recfile_reader_error(self->reader));
            return -1;
        }
        if (rc == HAMD_RECFILE_END) {
            self->torn_bytes = hamd_recfile_reader_pending(self->reader);
            return finish(self, err, errcap);
        }
        if (rec.kind != HAMD_RECFILE_TICK)
            continue;
        int r = scan_tick(self, &rec, err, errcap);
        if (r != 0)
            return r < 0 ? -1 : finish(self, err, errcap);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * What the scan found
 * ------------------------------------------------------------------------ */

int64_t replay_timeline_loop_ns(const struct replay_timeline *self)
{
    int64_t span = self->last_ns - self->first_ns;
    if (self->dt_max - self->dt_min > span)
        span = self->dt_max - self->dt_min;
    return span + REPLAY_LOOP_GAP_NS;
}

const struct replay_mark *replay_timeline_find(const struct replay_timeline *self,
                                               int64_t rec_ns)
{
    size_t lo = 0, hi = self->n_marks; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->marks[mid].t <= rec_ns)
            lo = mid;
        else
            hi = mid;
    }
    return &self->marks[lo];
}
