/* libhamd-client's public interface on misuse (docs/client.md, "C
 * reference"): bad options are refused with EINVAL (or ZeroMQ's errno for
 * an endpoint it refuses) at hamd_client_new, a NULL client (what
 * hamd_client_destroy leaves) is an error and no crash, and a second
 * start or a poll of a started client is refused. No hub is needed: the
 * endpoints are loopback ports nothing binds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hamd/client.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_bad_snapshot_endpoint),
        cmocka_unit_test(test_null_client),
        cmocka_unit_test(test_start_twice_and_poll_after_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
