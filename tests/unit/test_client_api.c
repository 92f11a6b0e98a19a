/* libhamd-client's public interface on misuse (docs/client.md, "C
 * reference"): bad options are refused with EINVAL (or ZeroMQ's errno for
 * an endpoint it refuses) at hamd_client_new, a NULL client (what
 * hamd_client_destroy leaves) is an error and no crash, a second start or
 * a poll of a started client is refused, and a slow on_tick is not taken
 * for a silent hub. No hub is needed: the endpoints are loopback ports
 * nothing binds, or a publisher played by the test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "hamd/client.h"
#include "unit_tick.h"

#define NOBODY_EP "tcp://127.0.0.1:1" /* nothing binds port 1 */

static const char *const nobody[] = {NOBODY_EP};

static void on_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    (void)ud;
    (void)t;
    (void)flags;
}

static struct hamd_client_opts good_opts(void)
{
    return (struct hamd_client_opts){.endpoints = nobody, .n_endpoints = 1,
                                     .on_tick = on_tick};
}

/* hamd_client_new(o) fails with errno want. */
static void refused(const struct hamd_client_opts *o, int want)
{
    errno = 0;
    hamd_client_t *c = hamd_client_new(o);
    assert_null(c);
    assert_int_equal(errno, want);
}

static void test_bad_options(void **state)
{
    (void)state;
    refused(NULL, EINVAL);
    struct hamd_client_opts o = good_opts();
    o.n_endpoints = 0;
    refused(&o, EINVAL);
    o = good_opts();
    o.on_tick = NULL;
    refused(&o, EINVAL);
    static const char *const empty[] = {""};
    o = good_opts();
    o.endpoints = empty;
    refused(&o, EINVAL);
    static const char *const no_port[] = {"tcp://127.0.0.1"};
    o = good_opts();
    o.endpoints = no_port;
    refused(&o, EINVAL);
    /* A transport ZeroMQ has but not for a SUB (or a DEALER): its own
     * errno ENOCOMPATPROTO was passed on, which strerror() calls
     * "Unknown error 156384764". */
    static const char *const udp[] = {"udp://127.0.0.1:5551"};
    o = good_opts();
    o.endpoints = udp;
    refused(&o, EPROTONOSUPPORT);
    o = good_opts();
    o.snapshot_endpoints = udp;
    o.n_snapshot_endpoints = 1;
    refused(&o, EPROTONOSUPPORT);
    static const char *const long_prefix[] = {
        "012345678901234567890123456789012345678901234567"}; /* 48 bytes */
    o = good_opts();
    o.prefixes = long_prefix;
    o.n_prefixes = 1;
    refused(&o, EINVAL);
}

/* A snapshot endpoint ZeroMQ refuses is refused at once, as a publish
 * endpoint is: found only when the first snapshot was due, it meant no
 * snapshot ever, without a word. */
static void test_bad_snapshot_endpoint(void **state)
{
    (void)state;
    static const char *const foo[] = {"foo"};
    struct hamd_client_opts o = good_opts();
    o.snapshot_endpoints = foo;
    o.n_snapshot_endpoints = 1;
    refused(&o, EINVAL);
    static const char *const http[] = {"http://127.0.0.1:5561"};
    o.snapshot_endpoints = http;
    refused(&o, EPROTONOSUPPORT);
    static const char *const good[] = {"tcp://127.0.0.1:2"};
    o.snapshot_endpoints = good;
    hamd_client_t *c = hamd_client_new(&o);
    assert_non_null(c);
    hamd_client_destroy(&c);
}

/* What hamd_client_destroy leaves (NULL) may be handed to any function. */
static void test_null_client(void **state)
{
    (void)state;
    hamd_client_t *c = hamd_client_new(&(struct hamd_client_opts){
        .endpoints = nobody, .n_endpoints = 1, .on_tick = on_tick});
    assert_non_null(c);
    hamd_client_destroy(&c);
    assert_null(c);
    hamd_client_destroy(&c);
    hamd_client_destroy(NULL);
    errno = 0;
    assert_int_equal(hamd_client_poll(c, 0), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(hamd_client_start(c), -1);
    assert_int_equal(errno, EINVAL);
    struct hamd_client_stats st;
    memset(&st, 0xff, sizeof st);
    hamd_client_stats(c, &st);
    assert_int_equal(st.delivered, 0);
    assert_int_equal(st.reconnects, 0);
    hamd_client_stats(c, NULL);
    int64_t v = 7;
    assert_false(hamd_client_tick_extra_int(NULL, "sim_seq", &v));
    assert_int_equal(v, 7);
}

static void test_start_twice_and_poll_after_start(void **state)
{
    (void)state;
    struct hamd_client_opts o = good_opts();
    hamd_client_t *c = hamd_client_new(&o);
    assert_non_null(c);
    assert_int_equal(hamd_client_poll(c, 0), 0);
    assert_int_equal(hamd_client_start(c), 0);
    errno = 0;
    assert_int_equal(hamd_client_start(c), -1);
    assert_int_equal(errno, EALREADY);
    errno = 0;
    assert_int_equal(hamd_client_poll(c, 0), -1);
    assert_int_equal(errno, EBUSY);
    hamd_client_destroy(&c);
    assert_null(c);
}

/* ------------------------------------------------------------------------
 * A slow consumer
 * ------------------------------------------------------------------------ */

#define SLOW_HB_TIMEOUT_MS 300 /* the client's */
#define SLOW_BURST 120         /* ticks sent at once ... */
#define SLOW_HB_EVERY 10       /* ... an `_hb` among every this many */
#define SLOW_WORK_US 10000     /* on_tick's work: the burst takes 1.2 s,
                                  four times SLOW_HB_TIMEOUT_MS */
#define SLOW_HB_PERIOD_US 50000 /* the hub's heartbeats meanwhile */
#define SLOW_GUARD_S 60        /* a broken client fails the test, not hangs */

static atomic_int slow_delivered;
static atomic_int slow_silences;

static void slow_on_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    (void)ud;
    (void)t;
    (void)flags;
    usleep(SLOW_WORK_US);
    atomic_fetch_add(&slow_delivered, 1);
}

static void slow_on_notice(void *ud, enum hamd_client_notice what,
                           const char *text)
{
    (void)ud;
    (void)text;
    if (what == HAMD_CLIENT_SILENT)
        atomic_fetch_add(&slow_silences, 1);
}

static void pub_hb(void *pub)
{
    /* {"term": 1, "node": 1} */
    static const unsigned char hb[] = {0x82, 0xa4, 't', 'e', 'r', 'm', 0x01,
                                       0xa4, 'n', 'o', 'd', 'e', 0x01};
    assert_int_equal(zmq_send(pub, "_hb", 3, ZMQ_SNDMORE), 3);
    assert_int_equal(zmq_send(pub, hb, sizeof hb, 0), (int)sizeof hb);
}

/* Publishes tick n; flags: zmq_send's. Returns false when it could not
 * go at once (ZMQ_DONTWAIT, the subscriber full under ZMQ_XPUB_NODROP). */
static bool pub_tick_send(void *pub, uint64_t n, int flags)
{
    struct hamd_tick t;
    unsigned char buf[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&t);
    t.term = 1;
    t.seq = n;
    t.datetime_ns = UNIT_TICK_DT + (int64_t)n * 1000000;
    t.volume = (double)n;
    size_t len = hamd_tick_encode(&t, true, buf, sizeof buf);
    assert_true(len > 0);
    int vt_len = (int)strlen(t.vt_symbol);
    if (zmq_send(pub, t.vt_symbol, (size_t)vt_len, ZMQ_SNDMORE | flags) != vt_len)
        return false;
    assert_int_equal(zmq_send(pub, buf, len, 0), (int)len);
    return true;
}

static void pub_tick(void *pub, uint64_t n)
{
    assert_true(pub_tick_send(pub, n, 0));
}

/* Waits until the client's `_hb` subscription reached the XPUB. */
static void pub_wait_subscribed(void *pub)
{
    char msg[256];
    int timeout_ms = SLOW_GUARD_S * 1000;
    zmq_setsockopt(pub, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    for (;;) {
        int n = zmq_recv(pub, msg, sizeof msg, 0);
        assert_true(n > 0);
        if (n == 4 && !memcmp(msg, "\x01_hb", 4))
            return;
    }
}

/* A publisher played by the test: an XPUB on a loopback port, as the
 * hub's. */
struct test_pub {
    void *ctx;
    void *pub;
    char ep[128]; /* where it is bound */
};

/* Binds it; hwm > 0: its queue per subscriber (ZMQ_SNDHWM); nodrop: it
 * says when a subscriber is full rather than dropping (ZMQ_XPUB_NODROP). */
static void test_pub_open(struct test_pub *tp, int hwm, bool nodrop)
{
    tp->ctx = zmq_ctx_new();
    tp->pub = zmq_socket(tp->ctx, ZMQ_XPUB);
    int on = nodrop;
    if (hwm > 0)
        zmq_setsockopt(tp->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(tp->pub, ZMQ_XPUB_NODROP, &on, sizeof on);
    assert_int_equal(zmq_bind(tp->pub, "tcp://127.0.0.1:*"), 0);
    size_t ep_len = sizeof tp->ep;
    assert_int_equal(zmq_getsockopt(tp->pub, ZMQ_LAST_ENDPOINT, tp->ep,
                                    &ep_len), 0);
}

static void test_pub_close(struct test_pub *tp)
{
    zmq_close(tp->pub);
    zmq_ctx_term(tp->ctx);
}

/* A client of tp (hb_timeout_ms 0: the default). */
static hamd_client_t *test_pub_client(const struct test_pub *tp,
                                      unsigned hb_timeout_ms,
                                      void (*tick_cb)(void *, const struct hamd_tick *,
                                                      unsigned),
                                      void (*notice_cb)(void *, enum hamd_client_notice,
                                                        const char *))
{
    const char *const eps[] = {tp->ep};
    struct hamd_client_opts o = {
        .endpoints = eps, .n_endpoints = 1, .hb_timeout_ms = hb_timeout_ms,
        .on_tick = tick_cb, .on_notice = notice_cb,
    };
    hamd_client_t *c = hamd_client_new(&o);
    assert_non_null(c);
    return c;
}

/* on_tick taking 10 ms at a time over a burst while the hub's heartbeats
 * keep coming: the client times each message as it reads it. It stamped
 * a whole batch with the time the batch began, so after 1.2 s of on_tick
 * it judged the last `_hb` 1.2 s old: 'no heartbeat', a reconnect, probes
 * (the drill's strategy at 2.5 ms a tick, 350 ticks/s, kept up and still
 * saw three silences in 20 s). */
static void test_slow_on_tick_is_no_silence(void **state)
{
    (void)state;
    struct test_pub tp;
    test_pub_open(&tp, 0, false);
    void *pub = tp.pub;
    hamd_client_t *c = test_pub_client(&tp, SLOW_HB_TIMEOUT_MS, slow_on_tick,
                                       slow_on_notice);
    assert_int_equal(hamd_client_start(c), 0);
    pub_wait_subscribed(pub);
    pub_hb(pub);
    for (uint64_t n = 1; n <= SLOW_BURST; n++) {
        if (n % SLOW_HB_EVERY == 0)
            pub_hb(pub);
        pub_tick(pub, n);
    }
    time_t guard = time(NULL) + SLOW_GUARD_S;
    while (atomic_load(&slow_delivered) < SLOW_BURST) {
        assert_true(time(NULL) < guard);
        usleep(SLOW_HB_PERIOD_US);
        pub_hb(pub);
    }
    for (int i = 0; i < 4; i++) { /* the client's turns after the burst */
        usleep(SLOW_HB_PERIOD_US);
        pub_hb(pub);
    }
    struct hamd_client_stats st;
    hamd_client_stats(c, &st);
    hamd_client_destroy(&c);
    test_pub_close(&tp);
    assert_int_equal(st.delivered, SLOW_BURST);
    assert_int_equal(st.gaps, 0);
    assert_int_equal(atomic_load(&slow_silences), 0);
    assert_int_equal(st.silences, 0);
    assert_int_equal(st.reconnects, 0);
}

/* ------------------------------------------------------------------------
 * A consumer that stops
 * ------------------------------------------------------------------------ */

#define STUCK_PUB_HWM 1000    /* the test publisher's queue per subscriber */
#define STUCK_SEND_MAX 100000 /* ticks a stuck consumer's client may take in
                                 (its queue, the kernel's buffers, the
                                 publisher's): beyond, its memory grows
                                 without bound */
#define STUCK_FULL_MS 500     /* no room for this long: the client takes no
                                 more (shorter than the ZMTP heartbeat
                                 timeout, 3 s, after which the client drops
                                 the connection it does not read and the
                                 publisher's queue for it goes) */
#define STUCK_RETRY_US 1000   /* a full subscriber is tried again so often */
#define STUCK_DROPPED 50      /* ticks the publisher then drops, as the
                                 hub does for a subscriber that is full */

static atomic_bool stuck_hold;  /* on_tick waits while set */
static atomic_int stuck_delivered;
static atomic_uint_fast64_t stuck_last_seq;

static void stuck_on_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    (void)ud;
    (void)flags;
    while (atomic_load(&stuck_hold))
        usleep(SLOW_HB_PERIOD_US);
    atomic_store(&stuck_last_seq, t->seq);
    atomic_fetch_add(&stuck_delivered, 1);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends tick n unless the subscriber has no room for STUCK_FULL_MS
 * (ZMQ_XPUB_NODROP: the XPUB says so rather than dropping). Returns
 * whether it went. */
static bool stuck_send(void *pub, uint64_t n)
{
    int64_t give_up_ms = mono_ms() + STUCK_FULL_MS;
    while (!pub_tick_send(pub, n, ZMQ_DONTWAIT)) {
        assert_int_equal(errno, EAGAIN);
        if (mono_ms() >= give_up_ms)
            return false;
        usleep(STUCK_RETRY_US);
    }
    return true;
}

/* on_tick stops and the hub goes on publishing: the client's queue is
 * bounded, so the hub's queue for it fills and the hub drops ticks for it,
 * which the client reports as a gap once on_tick goes on. Its queue was
 * unbounded (ZMQ_RCVHWM 0): its memory grew by the stream's rate for as
 * long as on_tick lagged (280 MB in 25 s at 4,000 ticks/s a quarter
 * served), nothing was ever reported lost, and it fell further behind for
 * good. */
static void test_stuck_consumer_is_bounded(void **state)
{
    (void)state;
    struct test_pub tp;
    test_pub_open(&tp, STUCK_PUB_HWM, true);
    void *pub = tp.pub;
    atomic_store(&stuck_hold, true);
    hamd_client_t *c = test_pub_client(&tp, 0, stuck_on_tick, NULL);
    assert_int_equal(hamd_client_start(c), 0);
    pub_wait_subscribed(pub);
    pub_hb(pub);
    uint64_t n = 1;
    while (stuck_send(pub, n)) {
        assert_true(n < STUCK_SEND_MAX);
        n++;
    }
    n += STUCK_DROPPED; /* not published to this client: the hub's drop */
    atomic_store(&stuck_hold, false);
    pub_tick(pub, n); /* waits until the client makes room */
    time_t guard = time(NULL) + SLOW_GUARD_S;
    while (atomic_load(&stuck_last_seq) != n) {
        assert_true(time(NULL) < guard);
        usleep(SLOW_HB_PERIOD_US);
    }
    struct hamd_client_stats st;
    hamd_client_stats(c, &st);
    hamd_client_destroy(&c);
    test_pub_close(&tp);
    /* STUCK_DROPPED, or more if the client dropped its connection (its
     * ZMTP heartbeat) before it read again */
    assert_true(st.gaps >= 1);
    assert_true(st.missing >= STUCK_DROPPED);
    assert_int_equal(st.delivered + st.missing, n);
}

/* ------------------------------------------------------------------------
 * A caller away longer than hb_timeout_ms
 * ------------------------------------------------------------------------ */

#define AWAY_HB_TIMEOUT_MS 300 /* the client's */
#define AWAY_HBS 12            /* heartbeats sent while the caller is away,
                                  one every SLOW_HB_PERIOD_US: 600 ms, twice
                                  hb_timeout_ms */

/* The caller of hamd_client_poll is away (its own work, or the process
 * stopped: SIGSTOP, a debugger) for longer than hb_timeout_ms while the
 * hub's heartbeats keep coming: the next poll reads them before it judges
 * the hub silent. It judged first: 'no heartbeat ... publisher gone or
 * failing over', a snapshot, and probes beside a connection that was only
 * behind (the Python client read first). */
static void test_away_caller_reads_before_judging(void **state)
{
    (void)state;
    struct test_pub tp;
    test_pub_open(&tp, 0, false);
    void *pub = tp.pub;
    atomic_store(&slow_silences, 0);
    hamd_client_t *c = test_pub_client(&tp, AWAY_HB_TIMEOUT_MS, on_tick,
                                       slow_on_notice);
    assert_int_equal(hamd_client_poll(c, 0), 0);
    pub_wait_subscribed(pub);
    pub_hb(pub);
    pub_tick(pub, 1);
    time_t guard = time(NULL) + SLOW_GUARD_S;
    while (hamd_client_poll(c, SLOW_HB_PERIOD_US / 1000) == 0)
        assert_true(time(NULL) < guard);
    for (int i = 0; i < AWAY_HBS; i++) { /* the caller is away */
        usleep(SLOW_HB_PERIOD_US);
        pub_hb(pub);
    }
    usleep(SLOW_HB_PERIOD_US); /* the last one reaches the client's queue */
    assert_true(hamd_client_poll(c, 0) >= 0);
    struct hamd_client_stats st;
    hamd_client_stats(c, &st);
    hamd_client_destroy(&c);
    test_pub_close(&tp);
    assert_int_equal(atomic_load(&slow_silences), 0);
    assert_int_equal(st.silences, 0);
    assert_int_equal(st.reconnects, 0);
}

/* ------------------------------------------------------------------------
 * The client used from its own callback
 * ------------------------------------------------------------------------ */

/* What on_tick got when it called the client's functions. */
struct misuse {
    hamd_client_t *c;   /* the client, as the caller keeps it */
    bool threaded;      /* its own thread calls on_tick */
    atomic_int ticks;   /* on_tick calls */
    int poll_rc, poll_errno, start_rc, start_errno, destroy_errno;
    bool destroy_kept;  /* c was left as it was */
};

static void misuse_on_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    struct misuse *m = ud;
    (void)t;
    (void)flags;
    if (atomic_load(&m->ticks) > 0)
        return;
    errno = 0;
    m->poll_rc = hamd_client_poll(m->c, 0);
    m->poll_errno = errno;
    errno = 0;
    m->start_rc = m->threaded ? -1 : hamd_client_start(m->c);
    m->start_errno = m->threaded ? EDEADLK : errno;
    hamd_client_t *c = m->c;
    errno = 0;
    hamd_client_destroy(&c);
    m->destroy_errno = errno;
    m->destroy_kept = c == m->c;
    atomic_fetch_add(&m->ticks, 1);
}

/* A tick reaches on_tick, which calls poll, start (not threaded) and
 * destroy on its own client: each is refused with EDEADLK, the client
 * left as it was. Destroyed there, the client was freed under the poll
 * step that called on_tick (heap-use-after-free); started there, a second
 * thread polled beside the first; polled there, the step ran inside
 * itself. */
static void misuse_run(bool threaded)
{
    struct test_pub tp;
    test_pub_open(&tp, 0, false);
    struct misuse m = {.threaded = threaded};
    const char *const eps[] = {tp.ep};
    struct hamd_client_opts o = {.endpoints = eps, .n_endpoints = 1,
                                 .on_tick = misuse_on_tick, .ud = &m};
    m.c = hamd_client_new(&o);
    assert_non_null(m.c);
    if (threaded)
        assert_int_equal(hamd_client_start(m.c), 0);
    else
        assert_int_equal(hamd_client_poll(m.c, 0), 0);
    pub_wait_subscribed(tp.pub);
    pub_hb(tp.pub);
    pub_tick(tp.pub, 1);
    time_t guard = time(NULL) + SLOW_GUARD_S;
    while (atomic_load(&m.ticks) == 0) {
        assert_true(time(NULL) < guard);
        if (threaded)
            usleep(SLOW_HB_PERIOD_US);
        else
            assert_true(hamd_client_poll(m.c, SLOW_HB_PERIOD_US / 1000) >= 0);
    }
    assert_int_equal(m.poll_rc, -1);
    assert_int_equal(m.poll_errno, threaded ? EBUSY : EDEADLK);
    assert_int_equal(m.start_rc, -1);
    assert_int_equal(m.start_errno, EDEADLK);
    assert_true(m.destroy_kept);
    assert_int_equal(m.destroy_errno, EDEADLK);
    hamd_client_destroy(&m.c);
    assert_null(m.c);
    test_pub_close(&tp);
}

static void test_client_from_its_callback_refused(void **state)
{
    (void)state;
    misuse_run(false);
    misuse_run(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_bad_snapshot_endpoint),
        cmocka_unit_test(test_null_client),
        cmocka_unit_test(test_start_twice_and_poll_after_start),
        cmocka_unit_test(test_slow_on_tick_is_no_silence),
        cmocka_unit_test(test_stuck_consumer_is_bounded),
        cmocka_unit_test(test_away_caller_reads_before_judging),
        cmocka_unit_test(test_client_from_its_callback_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
