/* libhamd-client's connections with fake time: probes beside a primary
 * silent for CCONN_PROBE_AFTER_MS, a probe that brings the stream bridges
 * while the primary is made again, a false alarm closes the probes, probes
 * in vain give up, and nothing closes before its grace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "client/client_conn.h"

#define MS 1000000LL
#define T0 (1000 * MS)
#define PROBE_AFTER (CCONN_PROBE_AFTER_MS * MS)
#define GRACE (CCONN_GRACE_MS * MS)

/* Endpoint #2 of two: its primary and probe slots. */
#define PRIMARY CCONN_SLOTS_PER_EP
#define PROBE1 (PRIMARY + 1)
#define PROBES (3ull << PROBE1)

static void heard(struct cconn *c, unsigned slot, int64_t now)
{
    int64_t silent;
    assert_false(cconn_heard(c, slot, now, &silent));
}

/* Fills c with two endpoints, the second one's primary silent since T0
 * and its probes just opened (at T0 + PROBE_AFTER). */
static void probing(struct cconn *c)
{
    cconn_init(c, 2, PROBE_AFTER);
    heard(c, PRIMARY, T0);
    assert_int_equal(cconn_due(c, T0 + 10 * MS), T0 + PROBE_AFTER);
    assert_int_equal(c->open | c->close | c->reconnect, 0);
    cconn_due(c, T0 + PROBE_AFTER);
    assert_int_equal(c->open, PROBES);
    c->open = 0;
}

static void test_slots(void **state)
{
    (void)state;
    assert_false(cconn_is_probe(0));
    assert_true(cconn_is_probe(PROBE1));
    assert_int_equal(cconn_endpoint(PROBE1 + 1), 1);
    struct cconn c;
    cconn_init(&c, 2, PROBE_AFTER);
    int64_t silent;
    assert_false(cconn_heard(&c, 2 * CCONN_SLOTS_PER_EP, T0, &silent));
    assert_int_equal(cconn_due(&c, T0), INT64_MAX); /* nothing heard yet */
}

/* A probe brings the stream: after the grace the primary is made again;
 * once it brings a message, the probes close after theirs. */
static void test_probe_bridges(void **state)
{
    (void)state;
    struct cconn c;
    probing(&c);
    int64_t t = T0 + PROBE_AFTER + 400 * MS, silent = 0;
    assert_true(cconn_heard(&c, PROBE1 + 1, t, &silent));
    assert_int_equal(silent, 700);
    assert_false(cconn_heard(&c, PROBE1, t, &silent)); /* once */
    assert_int_equal(cconn_due(&c, t), t + GRACE);
    assert_int_equal(c.reconnect, 0);
    cconn_due(&c, t + GRACE);
    assert_int_equal(c.reconnect, 1ull << PRIMARY);
    assert_true(cconn_reconnect_ok(&c, PRIMARY));
    c.reconnect = 0;
    assert_int_equal(cconn_due(&c, t + 2 * GRACE), INT64_MAX);
    int64_t back = t + 300 * MS;
    heard(&c, PRIMARY, back);
    assert_false(cconn_reconnect_ok(&c, PRIMARY));
    assert_int_equal(cconn_due(&c, back), back + GRACE);
    assert_int_equal(c.close, 0);
    cconn_due(&c, back + GRACE);
    assert_int_equal(c.close, PROBES);
    assert_int_equal(c.open | c.reconnect, 0);
}

/* The primary brings a message before any probe: they close, nothing is
 * made again. */
static void test_false_alarm(void **state)
{
    (void)state;
    struct cconn c;
    probing(&c);
    int64_t t = T0 + PROBE_AFTER + 5 * MS;
    heard(&c, PRIMARY, t);
    heard(&c, PROBE1, t); /* a probe's late message changes nothing */
    cconn_due(&c, t + GRACE);
    assert_int_equal(c.close, PROBES);
    assert_int_equal(c.reconnect, 0);
}

/* A message the primary still held when it was to be made again says it
 * lives: it is not cut. */
static void test_held_message_cancels_reconnect(void **state)
{
    (void)state;
    struct cconn c;
    probing(&c);
    int64_t t = T0 + PROBE_AFTER + 100 * MS, silent;
    assert_true(cconn_heard(&c, PROBE1, t, &silent));
    cconn_due(&c, t + GRACE);
    assert_int_equal(c.reconnect, 1ull << PRIMARY);
    heard(&c, PRIMARY, t + GRACE);
    assert_false(cconn_reconnect_ok(&c, PRIMARY));
}

/* Probes that bring nothing give up; new ones only after the primary
 * carried a message again. */
static void test_probes_in_vain(void **state)
{
    (void)state;
    struct cconn c;
    probing(&c);
    int64_t end = T0 + PROBE_AFTER + CCONN_PROBE_FOR_MS * MS;
    assert_int_equal(cconn_due(&c, end - MS), end);
    cconn_due(&c, end);
    assert_int_equal(c.close, PROBES);
    c.close = 0;
    assert_int_equal(cconn_due(&c, end + 10 * PROBE_AFTER), INT64_MAX);
    assert_int_equal(c.open, 0);
    heard(&c, PRIMARY, end + 20 * PROBE_AFTER);
    cconn_due(&c, end + 21 * PROBE_AFTER);
    assert_int_equal(c.open, PROBES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_probe_bridges),
        cmocka_unit_test(test_false_alarm),
        cmocka_unit_test(test_held_message_cancels_reconnect),
        cmocka_unit_test(test_probes_in_vain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
