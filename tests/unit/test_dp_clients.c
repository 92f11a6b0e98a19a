/* Who on the XPUB is a client (dataplane/dp_clients.c), through real
 * ZeroMQ sockets on inproc: a client library counts once however many
 * connections (probes) and topics it has, its topics are no plain
 * subscriptions, a follower is no client, a plain SUB counts its
 * subscriptions, a malformed name is a plain subscription, and leaving
 * counts everything down. Subscriptions reach the XPUB asynchronously:
 * each check reads until the counts match, for at most READ_TRIES_MAX
 * polls (a count that never comes fails the test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <zmq.h>

#include "unit_dp.h"

#define XPUB_EP "inproc://test-dp-clients"
#define READ_TRIES_MAX 200 /* polls of POLL_MS before a count is missing */
#define POLL_MS 10
#define SUBS_MAX 8         /* SUBs a test opens */

/* The library name topics used below: 3 other topics each. */
#define LIB_A "_client.3.00000000000000aa"
#define LIB_B "_client.3.00000000000000bb"

/* The data plane with an XPUB as its PUB, and the SUBs on it. */
struct fixture {
    struct hamd_dataplane *dp; /* the publisher */
    void *subs[SUBS_MAX];      /* open SUBs, NULL when closed */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dp = unit_dp_publisher(3000 * 1000000LL, 256);
    f->dp->pub = zmq_socket(f->dp->zctx, ZMQ_XPUB);
    int verbose = 1, linger = 0;
    zmq_setsockopt(f->dp->pub, ZMQ_XPUB_VERBOSER, &verbose, sizeof verbose);
    zmq_setsockopt(f->dp->pub, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_bind(f->dp->pub, XPUB_EP), 0);
    /* The gate counts from a PUB opened while publishing. */
    hamd_gate_pub_opened(&f->dp->gate, 1, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < SUBS_MAX; i++)
        if (f->subs[i])
            zmq_close(f->subs[i]);
    zmq_close(f->dp->pub);
    f->dp->pub = NULL;
    void *dp = f->dp;
    free(f);
    return unit_dp_teardown(&dp);
}

/* Opens SUB i subscribed to topics (NULL-terminated) and connects it. */
static void sub_open(struct fixture *f, int i, const char *const *topics)
{
    void *s = zmq_socket(f->dp->zctx, ZMQ_SUB);
    assert_non_null(s);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    for (; *topics; topics++)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, *topics, strlen(*topics));
    assert_int_equal(zmq_connect(s, XPUB_EP), 0);
    f->subs[i] = s;
}

static void sub_close(struct fixture *f, int i)
{
    zmq_close(f->subs[i]);
    f->subs[i] = NULL;
}

/* Reads the XPUB until its clients are as given (and followers), or
 * fails. */
static void expect(struct fixture *f, int64_t subscriptions,
                   int64_t libraries, int64_t plain, int64_t followers)
{
    const struct hamd_gate_subs *c = hamd_gate_clients(&f->dp->gate);
    for (int i = 0; i < READ_TRIES_MAX; i++) {
        if (c->subscriptions == subscriptions && c->libraries == libraries &&
            c->plain == plain && hamd_gate_followers(&f->dp->gate) == followers)
            return;
        zmq_pollitem_t item = {f->dp->pub, 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, POLL_MS);
        dp_clients_read(f->dp, 0);
    }
    print_error("clients: %lld subscriptions, %lld libraries, %lld plain, "
                "%lld followers\n", (long long)c->subscriptions,
                (long long)c->libraries, (long long)c->plain,
                (long long)hamd_gate_followers(&f->dp->gate));
    fail();
}

static const char *const library_a[] = {"", "_hb", "_event", LIB_A, NULL};
static const char *const library_b[] = {"rb", "_hb", "_event", LIB_B, NULL};
static const char *const plain[] = {"rb", "cu", NULL};
static const char *const follower[] = {DP_FOLLOW_MARKER, "_", NULL};

/* Two libraries, one with two probes beside its primary, a plain SUB of
 * two topics and a follower: 2 libraries, 2 plain subscriptions, whatever
 * the 14 subscriptions of the libraries. */
static void test_a_library_counts_once(void **state)
{
    struct fixture *f = *state;
    sub_open(f, 0, library_a);
    expect(f, 4, 1, 0, 0);
    sub_open(f, 1, library_a); /* its probes */
    sub_open(f, 2, library_a);
    expect(f, 12, 1, 0, 0);
    sub_open(f, 3, plain);
    sub_open(f, 4, follower);
    expect(f, 14, 1, 2, 1);
    sub_open(f, 5, library_b);
    expect(f, 18, 2, 2, 1);
    /* The probes close: the library is still there. */
    sub_close(f, 1);
    sub_close(f, 2);
    expect(f, 10, 2, 2, 1);
    sub_close(f, 0);
    expect(f, 6, 1, 2, 1);
    sub_close(f, 4);
    sub_close(f, 3);
    sub_close(f, 5);
    expect(f, 0, 0, 0, 0);
}

/* Names not of the form `_client.<k>.<name>` (k at most 66, the name
 * [0-9A-Za-z-]) are plain subscriptions: none makes a subscriber count
 * as less. */
static void test_malformed_names_are_plain(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {
        "_client.", "_client.3", "_client.3.", "_client.x.ab",
        "_client.67.ab", "_client.1000.ab", "_client.3.a b", "_client.-1.ab",
        NULL};
    sub_open(f, 0, bad);
    expect(f, 8, 0, 8, 0);
    sub_close(f, 0);
    expect(f, 0, 0, 0, 0);
}

/* A Python client's subscribe(): a new prefix, its name again with one
 * topic more, the old name unsubscribed; still one library and no plain
 * subscription. */
static void test_a_new_prefix_renames(void **state)
{
    struct fixture *f = *state;
    sub_open(f, 0, library_a);
    expect(f, 4, 1, 0, 0);
    static const char *const renamed = "_client.4.00000000000000aa";
    zmq_setsockopt(f->subs[0], ZMQ_SUBSCRIBE, "cu", 2);
    zmq_setsockopt(f->subs[0], ZMQ_SUBSCRIBE, renamed, strlen(renamed));
    zmq_setsockopt(f->subs[0], ZMQ_UNSUBSCRIBE, LIB_A, strlen(LIB_A));
    expect(f, 5, 1, 0, 0);
    sub_close(f, 0);
    expect(f, 0, 0, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_library_counts_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_names_are_plain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_new_prefix_renames, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
