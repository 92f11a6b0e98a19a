/* hamd-gw-replay's I/O shell: see replay.h.
 *
 * Start: HELLO, STATUS connecting, then the recording is scanned in
 * slices between heartbeats (timeline.h); a bad file ends the process
 * with STATUS error and exit code 2. Once scanned: STATUS connected and
 * logged_in, the cursor is placed where the wall clock says, and each
 * loop iteration sends what became due.
 */
#include "gw-replay/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "gw-replay/replay_internal.h"

/* The send queue, in messages of up to HAMD_GWOUT_TICKS_PER_MSG ticks:
 * a full queue only holds the replay back (nothing is lost). */
#define REPLAY_SNDHWM_MSGS 1024
#define REPLAY_LINGER_MS 100        /* flush time of the last STATUS */
#define REPLAY_LOOP_MAX_WAIT_MS 100 /* poll at least this often */
/* Records scanned per loop iteration at start: ~20 ms of work, so the
 * heartbeat keeps its second while a big file is read. */
#define REPLAY_SCAN_SLICE_RECORDS 20000
#define REPLAY_GATEWAY_TYPE "replay" /* gateway_type of its HELLO */
#define REPLAY_DETAIL_MAX 128        /* bytes of a STATUS detail */

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

static int64_t mono_ms(void) { return hamd_mono_ns() / HAMD_NS_PER_MS; }

struct replay *replay_new(const char *endpoint, const char *account,
                          const struct replay_params *params, char *err,
                          size_t errcap, int *exit_code)
{
    *exit_code = REPLAY_EXIT_ERROR;
    struct replay *self = calloc(1, sizeof *self);
    if (!self || !(self->zctx = zmq_ctx_new()) ||
        !(self->subs = hamd_strmap_new(0))) {
        snprintf(err, errcap, "out of memory");
        replay_destroy(&self);
        return NULL;
    }
    snprintf(self->account, sizeof self->account, "%s", account);
    self->params = params;
    self->launch_ns = hamd_wall_ns();
    self->dealer = hamd_gwout_dealer_open(self->zctx, endpoint, account,
                                          REPLAY_SNDHWM_MSGS, REPLAY_LINGER_MS);
    if (!self->dealer) {
        snprintf(err, errcap, "cannot connect to %s: %s", endpoint,
                 zmq_strerror(errno));
        *exit_code = REPLAY_EXIT_USAGE;
        replay_destroy(&self);
        return NULL;
    }
    hamd_gwout_init(&self->out, self->dealer);
    return self;
}

void replay_destroy(struct replay **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct replay *self = *self_p;
    if (self->dealer)
        zmq_close(self->dealer);
    if (self->zctx)
        zmq_ctx_term(self->zctx);
    replay_timeline_destroy(&self->tl);
    hamd_strmap_destroy(&self->subs);
    free(self);
    *self_p = NULL;
}

/* ------------------------------------------------------------------------
 * Start: the scan, then playing
 * ------------------------------------------------------------------------ */

/* Sends a STATUS and logs it. */
static void status(struct replay *self, enum hamd_gw_state state,
                   const char *detail)
{
    LOG_INFO("status %s (%s)", hamd_gw_state_name(state), detail);
    if (hamd_gwout_status(&self->out, state, detail) != 0)
        LOG_WARN("could not queue STATUS %s", hamd_gw_state_name(state));
}

/* A recording that cannot be played: said on stderr and to the hub. */
static int bad_recording(struct replay *self, const char *why)
{
    LOG_ERROR("%s", why);
    status(self, HAMD_GW_ERROR, why); /* cut to fit by the encoder */
    return REPLAY_EXIT_USAGE;
}

/* The pace of this replay, from the params and the scanned range. */
static void set_pace(struct replay *self)
{
    const struct replay_params *p = self->params;
    self->pace = (struct replay_pace){
        .anchor_ns = p->start == REPLAY_START_AT ? p->start_at_ns
                     : p->start == REPLAY_START_LAUNCH ? self->launch_ns : 0,
        .speed_milli = p->speed_milli,
        .first_ns = self->tl->first_ns,
        .loop_ns = replay_timeline_loop_ns(self->tl),
        .loop = p->loop,
    };
    if (p->speed_milli == 0 && p->start == REPLAY_START_ALIGNED)
        self->pace.anchor_ns = self->launch_ns; /* unpaced: from now */
}

/* The scan is done: says what will play, and starts. */
static void start_playing(struct replay *self)
{
    const struct replay_timeline *tl = self->tl;
    char from[32], to[32], detail[REPLAY_DETAIL_MAX];
    hamd_format_iso_ms(tl->first_ns, from, sizeof from);
    hamd_format_iso_ms(tl->last_ns, to, sizeof to);
    if (tl->torn_bytes > 0)
        LOG_WARN("%s: a torn last record (%lld bytes) skipped",
                 self->params->file, (long long)tl->torn_bytes);
    set_pace(self);
    LOG_INFO("%s: %lld ticks of %zu contracts recorded %s .. %s; a pass "
             "takes %.3f s of recorded time; speed %.3f, %s",
             self->params->file, (long long)tl->ticks,
             hamd_strmap_size(tl->symbols), from, to,
             self->pace.loop_ns / 1e9, self->params->speed_milli / 1000.0,
             self->params->loop ? "looping" : "one pass");
    self->playing = true;
    size_t cursor = 0;
    const char *key;
    void *value;
    while (hamd_strmap_next(self->subs, &cursor, &key, &value))
        replay_check_symbol(self, key);
    snprintf(detail, sizeof detail, "replay %.100s", self->params->file);
    status(self, HAMD_GW_CONNECTED, detail);
    status(self, HAMD_GW_LOGGED_IN, detail);
    replay_cursor_place(self, hamd_wall_ns());
}

/* One slice of the scan. Returns 0, or an exit code on a bad file. */
static int scan_slice(struct replay *self)
{
    char err[HAMD_RECFILE_ERR_MAX];
    int rc = replay_timeline_scan(self->tl, REPLAY_SCAN_SLICE_RECORDS, err,
                                  sizeof err);
    if (rc < 0)
        return bad_recording(self, err);
    if (rc > 0)
        start_playing(self);
    return 0;
}

/* ------------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------------ */

/* Sends a heartbeat when one is due. */
static void send_hb_if_due(struct replay *self, int64_t now_ms)
{
    if (now_ms < self->next_hb_ms)
        return;
    hamd_gwout_hb(&self->out, hamd_wall_ns());
    self->next_hb_ms = now_ms + HAMD_GW_HB_INTERVAL_MS;
}

/* How long the next poll may wait, in ms. */
static long loop_timeout_ms(const struct replay *self, int64_t now_ms,
                            int64_t wall_ns)
{
    if (!self->playing || (self->behind && !self->blocked))
        return 0;
    int64_t wait = REPLAY_LOOP_MAX_WAIT_MS;
    if (self->next_hb_ms - now_ms < wait)
        wait = self->next_hb_ms - now_ms;
    if (self->wake_wall_ns != INT64_MAX && !self->blocked) {
        int64_t tick_wait = (self->wake_wall_ns - wall_ns + HAMD_NS_PER_MS - 1) /
                            HAMD_NS_PER_MS;
        if (tick_wait < wait)
            wait = tick_wait;
    }
    return wait < 0 ? 0 : (long)wait;
}

/* Waits for the hub or the next timer. Returns 0, or -1 when polling
 * fails for another reason than a signal. */
static int poll_once(struct replay *self, long timeout_ms)
{
    zmq_pollitem_t item = {
        self->dealer, 0, ZMQ_POLLIN | (self->blocked ? ZMQ_POLLOUT : 0), 0};
    if (zmq_poll(&item, 1, timeout_ms) < 0)
        return errno == EINTR ? 0 : -1;
    if (item.revents & ZMQ_POLLIN)
        replay_hub_read(self);
    return 0;
}

/* HELLO, STATUS connecting and the recording opened. Returns 0 or an
 * exit code. */
static int start(struct replay *self)
{
    char err[HAMD_RECFILE_ERR_MAX], detail[REPLAY_DETAIL_MAX];
    if (hamd_gwout_hello(&self->out, self->account, (int64_t)getpid(),
                         REPLAY_GATEWAY_TYPE) != 0)
        LOG_WARN("could not queue HELLO");
    self->next_hb_ms = mono_ms();
    snprintf(detail, sizeof detail, "reading %.100s", self->params->file);
    status(self, HAMD_GW_CONNECTING, detail);
    self->tl = replay_timeline_new(self->params, err, sizeof err);
    return self->tl ? 0 : bad_recording(self, err);
}

int replay_run(struct replay *self, const volatile sig_atomic_t *stop)
{
    int rc = start(self);
    while (rc == 0 && !*stop && !self->stopping) {
        int64_t now_ms = mono_ms();
        send_hb_if_due(self, now_ms);
        int64_t wall_ns = hamd_wall_ns();
        if (!self->playing)
            rc = scan_slice(self);
        else
            replay_emit_due(self, wall_ns);
        if (self->changed[0]) /* hamd relaunches it on the file as it is */
            rc = bad_recording(self, self->changed);
        if (rc == 0 && poll_once(self, loop_timeout_ms(self, now_ms,
                                                        wall_ns)) != 0) {
            LOG_ERROR("zmq_poll: %s", zmq_strerror(errno));
            return REPLAY_EXIT_ERROR;
        }
    }
    if (rc == 0)
        LOG_INFO("stopping (%s); %llu ticks sent",
                 self->stopping ? "STOP" : "signal",
                 (unsigned long long)self->out.counters.ticks);
    return rc;
}
