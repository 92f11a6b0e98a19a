/* The client's decisions: fencing, delivery, gaps, snapshot merge,
 * liveness (client_core.h says what and why). Pure: every time is an
 * argument, every decision a call into the sink or a bit of ccore_due. */
#include "client/client_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

#define CCORE_CONTRACTS_INITIAL 256 /* map slots before it first grows */
#define CCORE_NOTICE_TEXT_MAX 256   /* bytes of one notice line */
#define CCORE_BAD_NOTICE_MS 1000    /* malformed messages: one notice per
                                       this long, the rest counted in it */
#define NS_PER_MS 1000000LL

/* Where one contract's stream stands. */
struct ccore_contract {
    bool delivered;            /* a tick of it reached the user */
    int64_t last_dt_ns;        /* exchange time of the last delivered */
    double last_volume;        /* and its volume: the age of it */
    uint64_t seen_term;        /* (term, seq) of the last tick seen live, */
    uint64_t seen_seq;         /*   or of a snapshot of a newer term */
    struct hamd_tick *pending; /* snapshot tick waiting for the live
                                  stream, or NULL */
    int64_t pending_due_ns;    /* when it goes out anyway */
};

/* The snapshot round: one request per prefix, one after the other. */
struct ccore_snap {
    bool wanted;           /* a round is due (join, gap, term, silence) */
    bool busy;             /* a round runs */
    bool sent;             /* the current request left */
    bool close_due;        /* the shell is to close its DEALER */
    unsigned prefix;       /* index of the prefix asked for */
    unsigned attempt;      /* failed attempts for this prefix */
    int64_t resend_ns;     /* when to (re)send while !sent */
    int64_t attempt_end_ns; /* the answer must be complete by then */
    int64_t not_before_ns; /* the next round starts no sooner */
    struct hamd_tick *buf; /* good ticks of the answer so far */
    size_t n;              /* ticks in buf */
    size_t cap;            /* ticks buf holds */
    uint64_t got;          /* messages of the answer, malformed included */
    bool overflow;         /* more than CCORE_SNAPSHOT_TICKS_MAX came */
};

struct ccore {
    struct ccore_opts opts;        /* as given */
    struct ccore_sink sink;        /* where decisions go */
    struct hamd_strmap *contracts; /* vt_symbol -> struct ccore_contract */
    uint64_t max_term;             /* highest term seen: fences the rest */
    uint64_t leader_term;          /* term of the last publisher reported */
    bool live;                     /* an `_hb` since start or last silence */
    bool ever_live;                /* there was one at all */
    bool join_silent;              /* none since the start for hb_timeout:
                                      said once */
    int64_t last_hb_ns;            /* when the last `_hb` came */
    int64_t last_due_ns;           /* when ccore_due last ran: a longer
                                      pause is the client's own */
    size_t n_pending;              /* contracts with a pending tick */
    int64_t settle_ns;             /* earliest pending_due_ns */
    struct cconn conn;             /* the publish connections */
    struct ccore_snap snap;        /* the snapshot round */
    bool holding;                  /* joining: live ticks are held */
    struct hamd_tick *held;        /* those ticks, in arrival order */
    unsigned *held_slot;           /* the connection each came from */
    size_t n_held;                 /* ticks held */
    size_t cap_held;               /* ticks the arrays take */
    int64_t bad_notice_ns;         /* when malformed input was last noticed */
    struct hamd_client_stats st;   /* counters */
};

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static void notice(struct ccore *self, enum hamd_client_notice what,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void notice(struct ccore *self, enum hamd_client_notice what,
                   const char *fmt, ...)
{
    if (!self->sink.notice)
        return;
    char text[CCORE_NOTICE_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    self->sink.notice(self->sink.ud, what, text);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* The contract's state, created on first sight; NULL when out of memory. */
static struct ccore_contract *contract_get(struct ccore *self, const char *vt)
{
    struct ccore_contract *c = hamd_strmap_get(self->contracts, vt);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (hamd_strmap_put(self->contracts, vt, c) == NULL &&
        hamd_strmap_get(self->contracts, vt) != c) {
        free(c);
        return NULL;
    }
    return c;
}

/* True when t is newer than the last tick delivered for c. */
static bool newer_than_delivered(const struct ccore_contract *c,
                                 const struct hamd_tick *t)
{
    return !c->delivered ||
           hamd_tick_cmp_age(t->datetime_ns, t->volume, c->last_dt_ns,
                             c->last_volume) > 0;
}

/* Hands t to the user if newer than the last delivered, else counts it. */
static void deliver(struct ccore *self, struct ccore_contract *c,
                    const struct hamd_tick *t, unsigned flags)
{
    if (!newer_than_delivered(c, t)) {
        self->st.duplicates++;
        return;
    }
    c->delivered = true;
    c->last_dt_ns = t->datetime_ns;
    c->last_volume = t->volume;
    self->st.delivered++;
    if (flags & HAMD_CLIENT_TICK_SNAPSHOT)
        self->st.from_snapshot++;
    self->sink.tick(self->sink.ud, t, flags);
}

/* Delivers c's pending snapshot tick (if still newer) and forgets it. */
static void pending_flush(struct ccore *self, struct ccore_contract *c)
{
    struct hamd_tick *t = c->pending;
    c->pending = NULL;
    self->n_pending--;
    deliver(self, c, t, HAMD_CLIENT_TICK_SNAPSHOT);
    free(t);
}

/* Forgets c's pending tick: the live stream brought the same one. */
static void pending_drop(struct ccore *self, struct ccore_contract *c)
{
    free(c->pending);
    c->pending = NULL;
    self->n_pending--;
}

/* Makes t c's pending tick, unless the one waiting is at least as new. */
static void pending_set(struct ccore *self, struct ccore_contract *c,
                        const struct hamd_tick *t, int64_t due_ns)
{
    if (c->pending) {
        if (hamd_tick_cmp_age(t->datetime_ns, t->volume, c->pending->datetime_ns,
                              c->pending->volume) <= 0)
            return; /* the one waiting is at least as new */
        *c->pending = *t;
    } else {
        c->pending = malloc(sizeof *c->pending);
        if (!c->pending)
            return;
        *c->pending = *t;
        self->n_pending++;
    }
    c->pending_due_ns = due_ns;
    self->settle_ns = min64(self->settle_ns, due_ns);
}

/* Delivers the pending ticks whose time came; recomputes settle_ns. */
static void settle_due(struct ccore *self, int64_t now_ns)
{
    self->settle_ns = INT64_MAX;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (self->n_pending > 0 &&
           hamd_strmap_next(self->contracts, &cursor, &key, &val)) {
        struct ccore_contract *c = val;
        if (!c->pending)
            continue;
        if (now_ns >= c->pending_due_ns)
            pending_flush(self, c);
        else
            self->settle_ns = min64(self->settle_ns, c->pending_due_ns);
    }
}

/* A message came on slot. */
static void slot_heard(struct ccore *self, unsigned slot, int64_t now_ns)
{
    int64_t silent_ms;
    if (!cconn_heard(&self->conn, slot, now_ns, &silent_ms))
        return;
    self->st.reconnects++;
    notice(self, HAMD_CLIENT_RECONNECT, "endpoint #%u silent for %lld ms: a new "
           "connection brings the stream, the old one is made again",
           cconn_endpoint(slot) + 1, (long long)silent_ms);
}

/* A publisher of a newer term than any reported. */
static void leader_new(struct ccore *self, uint64_t term, uint32_t node)
{
    if (self->leader_term != 0)
        self->st.leader_changes++;
    self->leader_term = term;
    self->snap.wanted = true;
    if (self->sink.leader)
        self->sink.leader(self->sink.ud, term, node);
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

struct ccore *ccore_new(const struct ccore_opts *opts,
                        const struct ccore_sink *sink, int64_t now_ns)
{
    if (opts->n_endpoints == 0 || opts->n_endpoints > CCONN_ENDPOINTS_MAX ||
        opts->n_prefixes == 0 || opts->hb_timeout_ns <= 0 || !sink->tick)
        return NULL;
    struct ccore *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->contracts = hamd_strmap_new(CCORE_CONTRACTS_INITIAL);
    if (!self->contracts) {
        free(self);
        return NULL;
    }
    self->opts = *opts;
    self->sink = *sink;
    self->settle_ns = INT64_MAX;
    self->last_hb_ns = now_ns;
    self->last_due_ns = now_ns;
    self->snap.wanted = true; /* the late joiner's snapshot */
    self->holding = opts->snapshots;
    cconn_init(&self->conn, opts->n_endpoints,
               min64(CCONN_PROBE_AFTER_MS * NS_PER_MS, opts->hb_timeout_ns));
    return self;
}

void ccore_destroy(struct ccore **self_p)
{
    struct ccore *self = *self_p;
    if (!self)
        return;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(self->contracts, &cursor, &key, &val)) {
        struct ccore_contract *c = val;
        free(c->pending);
        free(c);
    }
    hamd_strmap_destroy(&self->contracts);
    free(self->snap.buf);
    free(self->held);
    free(self->held_slot);
    free(self);
    *self_p = NULL;
}

const struct hamd_client_stats *ccore_stats(const struct ccore *self)
{
    return &self->st;
}

/* ------------------------------------------------------------------------
 * The live stream
 * ------------------------------------------------------------------------ */

/* Gap detection: where c's stream stands by (term, seq). */
static void seq_track(struct ccore *self, struct ccore_contract *c,
                      const struct hamd_tick *t)
{
    if (t->term == c->seen_term) {
        if (t->seq > c->seen_seq + 1) {
            uint64_t expected = c->seen_seq + 1;
            self->st.gaps++;
            self->st.missing += t->seq - expected;
            self->snap.wanted = true;
            if (self->sink.gap)
                self->sink.gap(self->sink.ud, t->vt_symbol, t->term, expected,
                               t->seq);
        }
        if (t->seq > c->seen_seq)
            c->seen_seq = t->seq;
    } else if (t->term > c->seen_term) {
        /* A term's first tick above 1: the new leader sent the ones
         * before it while this client was not connected to it yet. */
        if (c->seen_term != 0 && t->seq > 1) {
            self->st.late_starts++;
            notice(self, HAMD_CLIENT_LATE_START,
                   "%s: first tick of term %llu has seq %llu",
                   t->vt_symbol, (unsigned long long)t->term,
                   (unsigned long long)t->seq);
        }
        c->seen_term = t->term;
        c->seen_seq = t->seq;
    }
}

/* True when t came on a probe ahead of ticks its endpoint's primary still
 * brings. A probe subscribes later than the primary: after a publisher's
 * silence (a lease lapse) the held ticks it re-sends go to the primary
 * alone, the next live one to both, and the probe's copy may be read
 * first. Taken, it opened a gap and the primary's held ticks were then
 * repeats: 30 ticks on each of 3 contracts, in one of nine loaded runs of
 * test_client. Left, the primary brings it in its turn. A primary that
 * never does is made again after CCONN_GRACE_MS, and what it missed is a
 * gap then, the probe's ticks of the grace among it. */
static bool probe_ahead(const struct ccore *self, unsigned slot,
                        const struct ccore_contract *c,
                        const struct hamd_tick *t, int64_t now_ns)
{
    return t->term == c->seen_term && t->seq > c->seen_seq + 1 &&
           cconn_primary_carries(&self->conn, slot, now_ns);
}

/* Keeps a live tick while joining; false when it cannot (too many). */
static bool hold(struct ccore *self, unsigned slot, const struct hamd_tick *t)
{
    if (self->n_held == self->cap_held) {
        size_t cap = self->cap_held ? 2 * self->cap_held : 64;
        if (cap > CCORE_JOIN_HOLD_MAX)
            return false;
        struct hamd_tick *held = realloc(self->held, cap * sizeof *held);
        if (held)
            self->held = held;
        unsigned *slots = realloc(self->held_slot, cap * sizeof *slots);
        if (slots)
            self->held_slot = slots;
        if (!held || !slots)
            return false;
        self->cap_held = cap;
    }
    self->held[self->n_held] = *t;
    self->held_slot[self->n_held++] = slot;
    return true;
}

/* The join is over: the held ticks go through the live rules, in order. */
static void hold_release(struct ccore *self, int64_t now_ns)
{
    if (!self->holding)
        return;
    self->holding = false;
    for (size_t i = 0; i < self->n_held; i++)
        ccore_tick(self, self->held_slot[i], &self->held[i], now_ns);
    free(self->held);
    free(self->held_slot);
    self->held = NULL;
    self->held_slot = NULL;
    self->n_held = self->cap_held = 0;
}

void ccore_tick(struct ccore *self, unsigned slot, const struct hamd_tick *t,
                int64_t now_ns)
{
    slot_heard(self, slot, now_ns);
    if (t->term < self->max_term) {
        self->st.fenced++;
        return;
    }
    self->max_term = t->term;
    if (t->term > self->leader_term)
        leader_new(self, t->term, t->node);
    if (self->holding) {
        if (hold(self, slot, t))
            return;
        hold_release(self, now_ns); /* too many: go on without */
    }
    struct ccore_contract *c = contract_get(self, t->vt_symbol);
    if (!c)
        return;
    if (probe_ahead(self, slot, c, t, now_ns)) {
        self->st.duplicates++; /* the primary brings it, after the others */
        return;
    }
    seq_track(self, c, t);
    if (c->pending) {
        int age = hamd_tick_cmp_age(t->datetime_ns, t->volume,
                                    c->pending->datetime_ns,
                                    c->pending->volume);
        if (age > 0)
            pending_flush(self, c); /* the live stream never brought it */
        else if (age == 0)
            pending_drop(self, c);  /* this is it, live */
    }
    deliver(self, c, t, 0);
}

void ccore_heartbeat(struct ccore *self, unsigned slot, uint64_t term,
                     uint32_t node, int64_t now_ns)
{
    slot_heard(self, slot, now_ns);
    if (term < self->max_term) {
        self->st.fenced++; /* a deposed publisher's */
        return;
    }
    self->max_term = term;
    if (term > self->leader_term)
        leader_new(self, term, node);
    self->last_hb_ns = now_ns;
    if (self->live)
        return;
    self->live = true;
    if (self->ever_live || self->join_silent)
        notice(self, HAMD_CLIENT_BACK, "heartbeats back: node %u, term %llu",
               node, (unsigned long long)term);
    self->ever_live = true;
}

void ccore_event(struct ccore *self, unsigned slot, int64_t now_ns)
{
    slot_heard(self, slot, now_ns);
    self->st.events++;
}

void ccore_other(struct ccore *self, unsigned slot, int64_t now_ns)
{
    slot_heard(self, slot, now_ns);
}

void ccore_malformed(struct ccore *self, unsigned slot, const char *what,
                     int64_t now_ns)
{
    slot_heard(self, slot, now_ns);
    self->st.malformed++;
    if (self->bad_notice_ns != 0 &&
        now_ns - self->bad_notice_ns < CCORE_BAD_NOTICE_MS * NS_PER_MS)
        return;
    notice(self, HAMD_CLIENT_BAD_MESSAGE,
           "dropped a malformed message (%s); %llu malformed in all", what,
           (unsigned long long)self->st.malformed);
    self->bad_notice_ns = now_ns;
}

/* ------------------------------------------------------------------------
 * The snapshot round
 * ------------------------------------------------------------------------ */

/* Starts asking for prefix number `prefix` (attempt 0). */
static void snap_ask(struct ccore *self, unsigned prefix, int64_t now_ns)
{
    struct ccore_snap *s = &self->snap;
    s->prefix = prefix;
    s->attempt = 0;
    s->sent = false;
    s->resend_ns = now_ns;
    s->attempt_end_ns = now_ns + CCORE_SNAPSHOT_TIMEOUT_MS * NS_PER_MS;
    s->n = 0;
    s->got = 0;
    s->overflow = false;
}

/* This prefix is done (merged or given up): the next, or the round ends
 * and the DEALER closes. */
static void snap_next(struct ccore *self, int64_t now_ns)
{
    struct ccore_snap *s = &self->snap;
    if (s->prefix + 1 < self->opts.n_prefixes) {
        snap_ask(self, s->prefix + 1, now_ns);
        return;
    }
    s->busy = false;
    s->close_due = true;
    s->n = 0;
    hold_release(self, now_ns);
}

/* The current attempt failed (why: for the notice): a new DEALER and
 * another attempt, or the prefix is given up. */
static void snap_fail(struct ccore *self, const char *why, int64_t now_ns)
{
    struct ccore_snap *s = &self->snap;
    s->close_due = true;
    s->n = 0;
    s->got = 0;
    s->overflow = false;
    if (++s->attempt < CCORE_SNAPSHOT_ATTEMPTS) {
        s->sent = false;
        s->resend_ns = now_ns;
        s->attempt_end_ns = now_ns + CCORE_SNAPSHOT_TIMEOUT_MS * NS_PER_MS;
        return;
    }
    self->st.snapshot_failures++;
    notice(self, HAMD_CLIENT_SNAPSHOT_FAILED,
           "snapshot of prefix #%u given up after %d attempts: %s; live "
           "ticks only", s->prefix + 1, CCORE_SNAPSHOT_ATTEMPTS, why);
    snap_next(self, now_ns);
}

/* Works out what the round needs at now_ns. */
static void snap_due(struct ccore *self, int64_t now_ns, unsigned *acts,
                     int64_t *next)
{
    struct ccore_snap *s = &self->snap;
    if (!self->opts.snapshots) {
        s->wanted = false;
        return;
    }
    if (!s->busy && s->wanted && self->live) {
        if (now_ns >= s->not_before_ns) {
            s->busy = true;
            s->wanted = false;
            s->not_before_ns = now_ns + CCORE_SNAPSHOT_INTERVAL_MS * NS_PER_MS;
            snap_ask(self, 0, now_ns);
        } else {
            *next = min64(*next, s->not_before_ns);
        }
    }
    if (s->busy && now_ns >= s->attempt_end_ns)
        snap_fail(self, s->sent ? "no complete answer in time"
                                : "no publisher's snapshot endpoint connected",
                  now_ns);
    if (s->close_due) {
        *acts |= CCORE_DO_SNAPSHOT_CLOSE;
        s->close_due = false;
    }
    if (!s->busy)
        return;
    if (!s->sent && now_ns >= s->resend_ns)
        *acts |= CCORE_DO_SNAPSHOT_SEND;
    *next = min64(*next, s->attempt_end_ns);
    if (!s->sent)
        *next = min64(*next, s->resend_ns);
}

void ccore_snapshot_sent(struct ccore *self, bool sent, int64_t now_ns)
{
    struct ccore_snap *s = &self->snap;
    if (!s->busy)
        return;
    s->sent = sent;
    if (!sent)
        s->resend_ns = now_ns + CCORE_SNAPSHOT_RESEND_MS * NS_PER_MS;
}

unsigned ccore_snapshot_prefix(const struct ccore *self)
{
    return self->snap.prefix;
}

bool ccore_snapshot_busy(const struct ccore *self)
{
    return self->snap.busy;
}

void ccore_snapshot_tick(struct ccore *self, const struct hamd_tick *t)
{
    struct ccore_snap *s = &self->snap;
    if (!s->busy || !s->sent)
        return;
    s->got++;
    if (!t)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        struct hamd_tick *grown = s->n >= CCORE_SNAPSHOT_TICKS_MAX
                                      ? NULL
                                      : realloc(s->buf, cap * sizeof *grown);
        if (!grown) {
            s->overflow = true;
            return;
        }
        s->buf = grown;
        s->cap = cap;
    }
    s->buf[s->n++] = *t;
}

/* One good snapshot tick of the answer of `term`. */
static void snap_merge_one(struct ccore *self, const struct hamd_tick *t,
                           uint64_t term, int64_t now_ns)
{
    if (t->term > term) {
        ccore_malformed(self, CCORE_SLOTS_MAX, "snapshot tick of a term "
                        "above its END", now_ns);
        return;
    }
    struct ccore_contract *c = contract_get(self, t->vt_symbol);
    if (!c)
        return;
    /* A newer term than the stream showed: its ticks up to this seq went
     * out before this point, so the next one expected is seq + 1. */
    if (t->term > c->seen_term) {
        c->seen_term = t->term;
        c->seen_seq = t->seq;
    }
    if (!c->delivered)
        deliver(self, c, t, HAMD_CLIENT_TICK_SNAPSHOT);
    else if (!newer_than_delivered(c, t))
        self->st.duplicates++;
    else
        pending_set(self, c, t, now_ns + CCORE_SETTLE_MS * NS_PER_MS);
}

void ccore_snapshot_end(struct ccore *self, bool ok, uint64_t term,
                        uint64_t count, int64_t now_ns)
{
    struct ccore_snap *s = &self->snap;
    if (!s->busy || !s->sent)
        return;
    if (!ok) {
        ccore_malformed(self, CCORE_SLOTS_MAX, "snapshot END without term "
                        "or count", now_ns);
        snap_fail(self, "malformed END", now_ns);
        return;
    }
    if (count != s->got || s->overflow) {
        ccore_malformed(self, CCORE_SLOTS_MAX, "snapshot END count does "
                        "not match the answer", now_ns);
        snap_fail(self, "incomplete answer", now_ns);
        return;
    }
    if (term < self->max_term) {
        snap_fail(self, "answered by a deposed publisher", now_ns);
        return;
    }
    self->max_term = term;
    for (size_t i = 0; i < s->n; i++)
        snap_merge_one(self, &s->buf[i], term, now_ns);
    self->st.snapshots++;
    notice(self, HAMD_CLIENT_SNAPSHOT, "snapshot of prefix #%u merged: %llu "
           "ticks, term %llu", s->prefix + 1, (unsigned long long)count,
           (unsigned long long)term);
    snap_next(self, now_ns);
}

/* ------------------------------------------------------------------------
 * Time
 * ------------------------------------------------------------------------ */

/* Says that no `_hb` came for hb_timeout, and whether this client itself
 * was away for longer than that (ccore_due not called: a SIGSTOP, a
 * debugger, slow callbacks, a caller that polls too seldom). Then the hub
 * is likely fine and its heartbeats still on their way: "publisher gone"
 * sent people looking at a healthy hub. */
static void silent_notice(struct ccore *self, int64_t now_ns)
{
    int64_t away_ns = now_ns - self->last_due_ns;
    if (away_ns <= self->opts.hb_timeout_ns) {
        notice(self, HAMD_CLIENT_SILENT, "no heartbeat for %lld ms: "
               "publisher gone or failing over",
               (long long)(self->opts.hb_timeout_ns / NS_PER_MS));
        return;
    }
    notice(self, HAMD_CLIENT_SILENT, "no heartbeat read for %lld ms, but "
           "this client was away for the last %lld ms of it (process "
           "stopped, callbacks slow, or polled too seldom): what the hub "
           "sent meanwhile may still come",
           (long long)((now_ns - self->last_hb_ns) / NS_PER_MS),
           (long long)(away_ns / NS_PER_MS));
}

/* Silence: no `_hb` for hb_timeout while live, or since the start (said
 * once: a client pointed at no publisher, or one its CURVE key does not
 * open, said nothing at all, for ever). */
static void live_due(struct ccore *self, int64_t now_ns, int64_t *next)
{
    if (!self->live && (self->ever_live || self->join_silent))
        return;
    int64_t deadline = self->last_hb_ns + self->opts.hb_timeout_ns;
    if (now_ns < deadline) {
        *next = min64(*next, deadline);
        return;
    }
    if (!self->live) {
        self->join_silent = true;
        self->st.silences++;
        notice(self, HAMD_CLIENT_SILENT, "no heartbeat in %lld ms since the "
               "start: no publisher on the endpoints yet, or none that "
               "lets this client in (CURVE keys)",
               (long long)(self->opts.hb_timeout_ns / NS_PER_MS));
        return;
    }
    self->live = false;
    self->st.silences++;
    self->snap.wanted = true;
    silent_notice(self, now_ns);
}

/* The connections' work. */
static void conn_due(struct ccore *self, int64_t now_ns, unsigned *acts,
                     int64_t *next)
{
    *next = min64(*next, cconn_due(&self->conn, now_ns));
    if (self->conn.close)
        *acts |= CCORE_DO_CLOSE;
    if (self->conn.open)
        *acts |= CCORE_DO_OPEN;
    if (self->conn.reconnect)
        *acts |= CCORE_DO_RECONNECT;
}

int64_t ccore_due(struct ccore *self, int64_t now_ns, unsigned *acts)
{
    int64_t next = INT64_MAX;
    *acts = 0;
    live_due(self, now_ns, &next);
    conn_due(self, now_ns, acts, &next);
    if (self->n_pending > 0 && now_ns >= self->settle_ns)
        settle_due(self, now_ns);
    if (self->n_pending > 0)
        next = min64(next, self->settle_ns);
    snap_due(self, now_ns, acts, &next);
    self->last_due_ns = now_ns;
    return next;
}

/* Returns *mask and clears it. */
static uint64_t take(uint64_t *mask)
{
    uint64_t m = *mask;
    *mask = 0;
    return m;
}

uint64_t ccore_take_open(struct ccore *self)
{
    return take(&self->conn.open);
}

uint64_t ccore_take_close(struct ccore *self)
{
    return take(&self->conn.close);
}

uint64_t ccore_take_reconnect(struct ccore *self)
{
    return take(&self->conn.reconnect);
}

bool ccore_reconnect_ok(const struct ccore *self, unsigned slot)
{
    return cconn_reconnect_ok(&self->conn, slot);
}
