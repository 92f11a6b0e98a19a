/* Fuzz target: what a strategy's process reads off the network through
 * libhamd-client: every message of its publish connections and of its
 * snapshot DEALER, read by the wire readers (src/client/client_wire.c)
 * into the decisions (src/client/client_core.c), as the ZeroMQ shell
 * hands them over (src/client/client_msg.c), with the shell's side of
 * ccore_due carried out between messages.
 *
 * Input: a setup part, then messages of two parts each, [ctl topic][body]
 * (parts separated by FUZZ_SEP). Setup: byte 0 the publish endpoints
 * (1..4), byte 1 the snapshot prefixes (1..3), byte 2 bit 0 whether
 * snapshot endpoints were given. ctl, the topic part's first byte: bit 7
 * the DEALER (else a SUB), bits 4..6 how far the clock moves before it
 * (CLIENT_STEPS_MS), bits 0..3 the SUB's slot; on the DEALER, bit 0 set
 * means the message did not have two frames, bit 1 that the shell's next
 * snapshot request finds no connection.
 *
 * Checks: each delivered tick is valid, named by a valid vt_symbol, and
 * strictly newer than the last delivered for its contract (so none goes
 * out twice); a live one is of a term no lower than any heartbeat or live
 * tick fed before it (fencing); a snapshot tick's flag is the only flag;
 * gaps are reported inside one term with expected < got; leaders come in
 * rising terms; the counters agree with what the callbacks saw; a good
 * `_event` has a NUL-terminated type; nothing leaks. */
#include <math.h>
#include <string.h>

#include "client/client_msg.h"
#include "common/strmap.h"
#include "fuzz.h"

#define CLIENT_T0_NS 1000000000LL  /* the fuzzed client's first clock value */
#define CLIENT_HB_TIMEOUT_NS 1500000000LL /* hamd_client's default */
#define CLIENT_SETUP_ENDPOINTS 4   /* publish endpoints, at most */
#define CLIENT_SETUP_PREFIXES 3    /* snapshot prefixes, at most */
#define CLIENT_NS_PER_MS 1000000LL
#define CLIENT_CTL_DEALER 0x80u    /* ctl: the snapshot DEALER's */
#define CLIENT_CTL_NOT_TWO 0x01u   /* ctl, DEALER: not two frames */
#define CLIENT_CTL_UNSENT 0x02u    /* ctl, DEALER: next request unsent */

/* Clock steps before a message (ctl bits 4..6), in ms: the same instant,
 * heartbeat intervals, the settle, snapshot timeout and silence times. */
static const int64_t CLIENT_STEPS_MS[8] = {0, 1, 20, 100, 600, 1600, 2100,
                                           3100};

/* What the target saw of one contract's deliveries. */
struct seen {
    int64_t dt_ns;  /* exchange time of the last delivered */
    double volume;  /* its volume */
};

/* The run's view of what the core decided. */
struct run {
    struct hamd_strmap *seen; /* vt_symbol -> struct seen */
    uint64_t fed_term;        /* highest term of a good `_hb` or live tick */
    uint64_t leader_term;     /* last leader callback's term */
    uint64_t delivered;       /* tick callbacks */
    uint64_t from_snapshot;   /* of which flagged SNAPSHOT */
    uint64_t gaps;            /* gap callbacks */
    uint64_t events;          /* good `_event` messages fed */
    bool unsent;              /* the next request finds no connection */
};

static void on_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    struct run *r = ud;
    FUZZ_CHECK((flags & ~HAMD_CLIENT_TICK_SNAPSHOT) == 0);
    FUZZ_CHECK(hamd_tick_vt_symbol_valid(t->vt_symbol, strlen(t->vt_symbol)));
    FUZZ_CHECK(t->has_hub && isfinite(t->volume) && t->volume >= 0);
    if (!(flags & HAMD_CLIENT_TICK_SNAPSHOT))
        FUZZ_CHECK(t->term >= r->fed_term && t->term >= 1 && t->seq >= 1);
    struct seen *s = hamd_strmap_get(r->seen, t->vt_symbol);
    if (s) {
        FUZZ_CHECK(hamd_tick_cmp_age(t->datetime_ns, t->volume, s->dt_ns,
                                     s->volume) > 0);
    } else {
        s = malloc(sizeof *s);
        FUZZ_CHECK(s && hamd_strmap_put(r->seen, t->vt_symbol, s) == NULL);
    }
    s->dt_ns = t->datetime_ns;
    s->volume = t->volume;
    r->delivered++;
    r->from_snapshot += (flags & HAMD_CLIENT_TICK_SNAPSHOT) != 0;
}

static void on_gap(void *ud, const char *vt_symbol, uint64_t term,
                   uint64_t expected, uint64_t got)
{
    struct run *r = ud;
    FUZZ_CHECK(hamd_tick_vt_symbol_valid(vt_symbol, strlen(vt_symbol)));
    FUZZ_CHECK(term >= 1 && expected < got);
    r->gaps++;
}

static void on_leader(void *ud, uint64_t term, uint32_t node)
{
    struct run *r = ud;
    (void)node;
    FUZZ_CHECK(term > r->leader_term);
    r->leader_term = term;
}

static void on_notice(void *ud, enum hamd_client_notice what, const char *text)
{
    (void)ud;
    (void)what;
    FUZZ_CHECK(text != NULL && strlen(text) > 0);
}

/* The shell's side of ccore_due: sockets opened, closed, made again, the
 * snapshot request sent (or found no connection). */
static void client_due(struct ccore *core, struct run *r, int64_t now_ns)
{
    unsigned acts;
    ccore_due(core, now_ns, &acts);
    if (acts & CCORE_DO_CLOSE)
        ccore_take_close(core);
    if (acts & CCORE_DO_OPEN)
        ccore_take_open(core);
    if (acts & CCORE_DO_RECONNECT) {
        uint64_t again = ccore_take_reconnect(core);
        for (unsigned s = 0; s < CCORE_SLOTS_MAX; s++)
            if (again & (1ull << s))
                (void)ccore_reconnect_ok(core, s);
    }
    if (acts & CCORE_DO_SNAPSHOT_SEND) {
        ccore_snapshot_sent(core, !r->unsent, now_ns);
        r->unsent = false;
    }
}

/* Feeds one SUB message; tracks the terms fed and the good events. */
static void client_sub(struct ccore *core, struct run *r, unsigned slot,
                       const uint8_t *topic, size_t tlen, const uint8_t *body,
                       size_t blen, int64_t now_ns)
{
    struct hamd_tick t;
    uint64_t term;
    uint32_t node;
    char type[CCWIRE_EVENT_TYPE_MAX];
    if (ccwire_topic_is(topic, tlen, CCWIRE_HB_TOPIC) &&
        ccwire_heartbeat(body, blen, &term, &node) && term > r->fed_term)
        r->fed_term = term;
    if ((tlen == 0 || topic[0] != '_') &&
        ccwire_tick(topic, tlen, body, blen, true, &t) == NULL) {
        FUZZ_CHECK(t.term >= 1 && t.seq >= 1 &&
                   strlen(t.vt_symbol) == tlen);
        if (t.term > r->fed_term)
            r->fed_term = t.term;
    }
    memset(type, 0xaa, sizeof type);
    if (cmsg_sub(core, slot, topic, tlen, body, blen, now_ns, type)) {
        FUZZ_CHECK(memchr(type, '\0', sizeof type) != NULL);
        r->events++;
    }
}

/* Reads the setup part into opts. */
static void client_setup(const uint8_t *p, size_t len,
                         struct ccore_opts *opts)
{
    opts->hb_timeout_ns = CLIENT_HB_TIMEOUT_NS;
    opts->n_endpoints = 1 + (len > 0 ? p[0] % CLIENT_SETUP_ENDPOINTS : 0);
    opts->n_prefixes = 1 + (len > 1 ? p[1] % CLIENT_SETUP_PREFIXES : 0);
    opts->snapshots = len > 2 ? (p[2] & 1) != 0 : true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts it;
    const uint8_t *part, *topic, *body;
    size_t len, tlen, blen;
    fuzz_parts_init(&it, data, size, FUZZ_SEP, FUZZ_SEP_LEN);
    if (!fuzz_parts_next(&it, &part, &len))
        return 0;
    struct ccore_opts opts;
    client_setup(part, len, &opts);
    struct run r = {.seen = hamd_strmap_new(16)};
    FUZZ_CHECK(r.seen != NULL);
    struct ccore_sink sink = {on_tick, on_gap, on_leader, on_notice, &r};
    int64_t now = CLIENT_T0_NS;
    struct ccore *core = ccore_new(&opts, &sink, now);
    FUZZ_CHECK(core != NULL);
    unsigned n_slots = CCONN_SLOTS_PER_EP * opts.n_endpoints;
    while (fuzz_parts_next(&it, &topic, &tlen)) {
        if (!fuzz_parts_next(&it, &body, &blen))
            body = topic + tlen, blen = 0;
        uint8_t ctl = tlen > 0 ? topic[0] : 0;
        topic += tlen > 0;
        tlen -= tlen > 0;
        now += CLIENT_STEPS_MS[(ctl >> 4) & 7] * CLIENT_NS_PER_MS;
        client_due(core, &r, now);
        if (ctl & CLIENT_CTL_DEALER) {
            r.unsent = (ctl & CLIENT_CTL_UNSENT) != 0;
            cmsg_snapshot(core, !(ctl & CLIENT_CTL_NOT_TWO), topic, tlen,
                          body, blen, now);
        } else {
            client_sub(core, &r, (ctl & 0x0f) % n_slots, topic, tlen, body,
                       blen, now);
        }
    }
    client_due(core, &r, now + CCORE_SETTLE_MS * CLIENT_NS_PER_MS);
    const struct hamd_client_stats *st = ccore_stats(core);
    FUZZ_CHECK(st->delivered == r.delivered &&
               st->from_snapshot == r.from_snapshot && st->gaps == r.gaps &&
               st->events == r.events);
    ccore_destroy(&core);
    FUZZ_CHECK(core == NULL);
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(r.seen, &cursor, &key, &val))
        free(val);
    hamd_strmap_destroy(&r.seen);
    return 0;
}
