/* hamd-gw-replay: the cursor over the recording and the ticks it sends.
 *
 * One cursor walks the file in order for every contract at once (the
 * order the hub published in); a tick is sent when its pacing time is
 * due on the wall clock (pace.h) and its contract is subscribed. Every
 * tick of the range counts in replay_seq whether sent or not, so twins
 * with different subscriptions still agree on names.
 */
#include "gw-replay/replay_internal.h"

#include "gw-replay/extra.h"

/* Ticks sent per loop iteration: a burst (speed 0, a catch-up) is spread
 * over iterations, so hub messages and heartbeats are served between. */
#define REPLAY_LOOP_BUDGET_TICKS 5000

/* Back to the range's first tick, in pass `loop`. */
static void rewind_to(struct replay *self, int64_t loop)
{
    struct replay_cursor *c = &self->cur;
    hamd_recfile_reader_seek(self->tl->reader, self->tl->start_offset);
    c->loop = loop;
    c->seq = 0;
    c->t_run = self->tl->first_ns;
    c->has_next = false;
}

/* Reads the next tick of the range into cur.next. Returns false at the
 * end of the range (or when the file no longer reads: logged). */
static bool peek(struct replay *self)
{
    struct replay_cursor *c = &self->cur;
    struct hamd_recfile_reader *r = self->tl->reader;
    struct hamd_recfile_record rec;
    while (!c->has_next) {
        if (hamd_recfile_reader_offset(r) >= self->tl->end_offset)
            return false;
        enum hamd_recfile_rc rc = hamd_recfile_reader_next(r, &rec);
        if (rc != HAMD_RECFILE_OK) {
            /* cut or overwritten while playing: the index is wrong now,
             * and rewinding to a range that no longer reads would spin */
            snprintf(self->changed, sizeof self->changed,
                     "%.200s: changed since it was read (%.280s)",
                     self->params->file, rc == HAMD_RECFILE_ERR
                         ? hamd_recfile_reader_error(r) : "now shorter");
            return false;
        }
        if (rec.kind != HAMD_RECFILE_TICK)
            continue;
        enum hamd_tick_err e = hamd_tick_decode(rec.body, rec.body_len,
                                                &c->next);
        if (e != HAMD_TICK_OK) {
            /* the scan checked the datetime only: a tick the hub would
             * refuse is skipped here, still counted in replay_seq and in
             * the pacing time, as the scan did */
            int64_t dt;
            hamd_log_rated(&self->file_rate, HAMD_LOG_WARN,
                           "%s: offset %lld: not a tick (%s): skipped",
                           self->params->file, (long long)rec.offset,
                           hamd_tick_strerror(e));
            if (replay_tick_datetime(&rec, &dt) && dt > c->t_run)
                c->t_run = dt;
            c->seq++;
            continue;
        }
        c->next_t = c->next.datetime_ns > c->t_run ? c->next.datetime_ns
                                                   : c->t_run;
        c->has_next = true;
    }
    return true;
}

/* The peeked tick is done with (sent, or not subscribed). */
static void consume(struct replay_cursor *c)
{
    c->t_run = c->next_t;
    c->seq++;
    c->has_next = false;
}

void replay_cursor_place(struct replay *self, int64_t wall_ns)
{
    struct replay_pos pos;
    replay_pace_at(&self->pace, wall_ns, &pos);
    rewind_to(self, 0);
    self->cur.ended = pos.ended;
    if (self->pace.speed_milli == 0 || pos.before || pos.ended)
        return;
    const struct replay_mark *m = replay_timeline_find(self->tl, pos.rec_ns);
    hamd_recfile_reader_seek(self->tl->reader, m->offset);
    self->cur.loop = pos.loop;
    self->cur.seq = m->seq;
    self->cur.t_run = m->t_prev;
    /* what is due already went out from the twins: start after it */
    while (peek(self) && self->cur.next_t <= pos.rec_ns)
        consume(&self->cur);
}

/* Sends the peeked tick re-stamped for its pass. Returns 0, or -1 when
 * the queue is full (retry it later). */
static int send_next(struct replay *self)
{
    struct replay_cursor *c = &self->cur;
    struct hamd_tick *t = &self->tick;
    *t = c->next;
    t->datetime_ns = replay_pace_restamp(&self->pace, c->loop,
                                         c->next.datetime_ns);
    if (c->next.localtime_ns != 0)
        t->localtime_ns = replay_pace_restamp(&self->pace, c->loop,
                                              c->next.localtime_ns);
    struct replay_extra add = {
        .loop = c->loop, .seq = c->seq,
        .keep_recorded = self->params->keep_recorded_time,
        .recorded_ns = c->next.datetime_ns,
    };
    bool dropped;
    t->extra_len = replay_extra_build(c->next.extra, c->next.extra_len, &add,
                                      t->extra, sizeof t->extra, &dropped);
    if (dropped)
        hamd_log_rated(&self->file_rate, HAMD_LOG_WARN, "%s: a recorded "
                       "extra map too large to add replay keys to: left out",
                       t->vt_symbol);
    return hamd_gwout_tick(&self->out, t) < 0 ? -1 : 0;
}

/* The end of the range: the next pass, or the end of the replay. Returns
 * false when nothing more is to be sent. */
static bool end_of_pass(struct replay *self)
{
    if (!self->params->loop) {
        LOG_INFO("%s: played to the end of its range; idle until stopped",
                 self->params->file);
        self->cur.ended = true;
        return false;
    }
    LOG_DEBUG("pass %lld done", (long long)self->cur.loop);
    rewind_to(self, self->cur.loop + 1);
    return true;
}

/* Walks the due ticks, at most the budget. */
static void walk(struct replay *self, const struct replay_pos *pos)
{
    struct replay_cursor *c = &self->cur;
    unsigned budget = REPLAY_LOOP_BUDGET_TICKS;
    while (!c->ended) {
        if (!peek(self)) {
            if (self->changed[0] || !end_of_pass(self))
                return;
            continue;
        }
        if (!replay_pace_due(&self->pace, pos, c->loop, c->next_t)) {
            self->wake_wall_ns = replay_pace_restamp(&self->pace, c->loop,
                                                     c->next_t);
            return;
        }
        if (budget-- == 0) {
            self->behind = true;
            return;
        }
        if (hamd_strmap_get(self->subs, c->next.vt_symbol) &&
            send_next(self) != 0) {
            self->blocked = true;
            return;
        }
        consume(c);
    }
}

void replay_emit_due(struct replay *self, int64_t wall_ns)
{
    struct replay_pos pos = {0};
    self->behind = self->blocked = false;
    self->wake_wall_ns = INT64_MAX;
    if (self->pace.speed_milli > 0) {
        replay_pace_at(&self->pace, wall_ns, &pos);
        if (replay_pace_too_far_behind(&self->pace, &pos, self->cur.loop)) {
            LOG_WARN("fell behind by more than a pass (stopped?): jumping to "
                     "the current position");
            replay_cursor_place(self, wall_ns);
        }
    }
    walk(self, &pos);
    hamd_gwout_flush(&self->out);
}
