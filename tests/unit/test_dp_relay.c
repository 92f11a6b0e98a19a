/* The relay channel between two real data planes on loopback
 * (dataplane/dp_relay.c, dp_zap.c): a follower's coverage report reaches
 * the publisher; asked to relay a contract, the follower first sends the
 * ticks it held that the publisher never sent, then its live ticks, and
 * the publisher publishes all of them, in order, once each, as the source
 * ACCOUNT@node2; a relay connection from an address that is not a member
 * is refused; malformed and unsolicited relay messages are dropped and
 * counted. Waits are bounded; nothing here measures time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/mpread.h"
#include "common/relay_proto.h"
#include "dataplane/dataplane.h"
#include "hamd/gwproto.h"
#include "unit_dp.h"

#define VT "rb2601.SHFE"
#define WAIT_NS (10 * HAMD_NS_PER_S) /* longest wait for anything */
#define STEP_US 2000                 /* between two looks */
#define SETTLE_US 300000             /* for a SUB to be connected */
#define T0_NS 1700000000000000000LL  /* exchange time of tick 0 */
#define N_HELD 5                     /* ticks before the relay starts */
#define N_LIVE 5                     /* ticks after */
#define N_LAPSE 3                    /* ticks while the publisher's lease
                                        lapsed */
#define GW_TOKEN "launch-token-of-sim_a" /* what hamd would put in HAMD_GW_TOKEN */

/* A free TCP port of 127.0.0.1 (bound, then released). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

struct node {
    struct hamd_dataplane *dp;
    struct hamd_dataplane_opts o;
};

static char g_dir[64];

static void node_start(struct node *n, unsigned id, const char *member)
{
    memset(&n->o, 0, sizeof n->o);
    n->o.node_id = id;
    snprintf(n->o.gw_endpoint, sizeof n->o.gw_endpoint, "ipc://%s/gw%u.sock",
             g_dir, id);
    snprintf(n->o.publish, sizeof n->o.publish, "tcp://127.0.0.1:%u",
             free_port());
    snprintf(n->o.snapshot, sizeof n->o.snapshot, "tcp://127.0.0.1:%u",
             free_port());
    snprintf(n->o.relay, sizeof n->o.relay, "tcp://127.0.0.1:%u", free_port());
    n->o.pub_hwm = 1000;
    n->o.heartbeat_ms = 100;
    n->o.stats_interval_ms = 10;
    n->o.limits.window_ns = 5 * HAMD_NS_PER_S;
    n->o.limits.depth = 64;
    n->o.n_members = 1;
    snprintf(n->o.members[0], sizeof n->o.members[0], "%s", member);
    n->dp = hamd_dataplane_new(&n->o, NULL, NULL);
    assert_non_null(n->dp);
    char err[256];
    assert_int_equal(hamd_dataplane_start(n->dp, err, sizeof err), 0);
}

struct world {
    void *zctx;
    struct node pub, fol;
    void *gw;  /* fake gateway sim_a on the follower */
    void *sub; /* a client of the publisher */
    void *intruder; /* a peer a test plays on a relay endpoint: closed by
                       teardown, also after a failed assertion (an open
                       socket would hold zmq_ctx_term for ever) */
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    snprintf(g_dir, sizeof g_dir, "/tmp/hamd-dprelay-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    w->zctx = zmq_ctx_new();
    node_start(&w->pub, 1, "127.0.0.1");
    node_start(&w->fol, 2, "127.0.0.1");
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    int zero = 0;
    void *socks[] = {w->gw, w->sub, w->intruder};
    for (size_t i = 0; i < sizeof socks / sizeof *socks; i++)
        if (socks[i]) {
            zmq_setsockopt(socks[i], ZMQ_LINGER, &zero, sizeof zero);
            zmq_close(socks[i]);
        }
    hamd_dataplane_destroy(&w->pub.dp);
    hamd_dataplane_destroy(&w->fol.dp);
    zmq_ctx_term(w->zctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    assert_int_equal(system(cmd), 0);
    free(w);
    return 0;
}

/* The fake gateway's HELLO with its launch token: without it the
 * follower drops its ticks. */
static void gw_hello(struct world *w)
{
    struct hamd_gw_hello h = {.proto = HAMD_GW_PROTO_VERSION};
    strcpy(h.account, "sim_a");
    strcpy(h.token, GW_TOKEN);
    uint8_t body[HAMD_TICK_WIRE_MAX];
    size_t len = hamd_gw_hello_encode(&h, body, sizeof body);
    assert_true(len > 0);
    assert_true(zmq_send(w->gw, "HELLO", 5, ZMQ_SNDMORE) == 5);
    assert_true(zmq_send(w->gw, body, len, 0) == (int)len);
}

/* Sends tick k of VT from the fake gateway. */
static void gw_tick(struct world *w, unsigned k)
{
    uint8_t body[HAMD_TICK_WIRE_MAX];
    size_t len = unit_dp_tick(k, T0_NS, HAMD_NS_PER_MS, body);
    assert_true(zmq_send(w->gw, "TICK", 4, ZMQ_SNDMORE) == 4);
    assert_true(zmq_send(w->gw, body, len, 0) == (int)len);
}

/* Waits until pred(w) or the deadline; returns pred's last answer. */
static bool wait_for(struct world *w, bool (*pred)(struct world *w))
{
    int64_t end = hamd_mono_ns() + WAIT_NS;
    while (!pred(w) && hamd_mono_ns() < end)
        usleep(STEP_US);
    return pred(w);
}

static bool publisher_heard_node2(struct world *w)
{
    struct hamd_dp_cover c[HAMD_DP_COVERS_MAX];
    unsigned n = hamd_dataplane_covers(w->pub.dp, c, HAMD_DP_COVERS_MAX);
    return n == 1 && c[0].cover.node == 2 && c[0].cover.n_accounts == 1 &&
           strcmp(c[0].cover.accounts[0].id, "sim_a") == 0;
}

static bool follower_holds_all(struct world *w)
{
    struct hamd_dp_stats st;
    hamd_dataplane_stats(w->fol.dp, &st);
    return st.n_sources == 1 && st.sources[0].ticks == N_HELD;
}

/* Reads one tick from the client: its k and gateway_name. */
static bool sub_read(struct world *w, unsigned *k, char *gw, size_t cap)
{
    char topic[64];
    uint8_t body[HAMD_TICK_WIRE_MAX];
    int timeout_ms = (int)(WAIT_NS / HAMD_NS_PER_MS);
    zmq_setsockopt(w->sub, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    if (zmq_recv(w->sub, topic, sizeof topic, 0) < 0)
        return false;
    int n = zmq_recv(w->sub, body, sizeof body, 0);
    if (n < 0)
        return false;
    struct hamd_tick t;
    if (hamd_tick_decode(body, (size_t)n, &t) != HAMD_TICK_OK)
        return false;
    *k = (unsigned)((t.datetime_ns - T0_NS) / HAMD_NS_PER_MS);
    snprintf(gw, cap, "%s", t.gateway_name);
    return true;
}

static bool follower_relays_one(struct world *w)
{
    struct hamd_dp_stats st;
    hamd_dataplane_stats(w->fol.dp, &st);
    return st.relaying == 1 && st.relay_ticks_out == N_HELD + N_LIVE + 1;
}

/* The publisher asks node 2 to relay VT from sim_a (with_vt) or nothing,
 * as its control plane does (control/cover.c). */
static void relay_ask(struct world *w, bool with_vt)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(hamd_relay_set_pack_begin(&pk, with_vt ? 1 : 0), 0);
    if (with_vt)
        assert_int_equal(hamd_relay_set_pack_pair(&pk, VT, "sim_a"), 0);
    hamd_dataplane_relay_set(w->pub.dp, 2, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* Reads ticks from..to-1 of VT from the client, in order, each once, as
 * relayed from node 2. */
static void sub_expect(struct world *w, unsigned from, unsigned to)
{
    unsigned k;
    char gw[HAMD_ACCOUNT_ID_MAX];
    for (unsigned want = from; want < to; want++) {
        assert_true(sub_read(w, &k, gw, sizeof gw));
        assert_int_equal(k, want);
        assert_string_equal(gw, "sim_a@node2");
    }
}

/* The publisher's side of the relayed source, as its control plane sets
 * it up while it publishes (control/reconcile.c). */
static void publisher_relays(struct world *w)
{
    const char *shfe[] = {"SHFE"};
    hamd_dataplane_set_lease(w->pub.dp, 1, INT64_MAX);
    hamd_dataplane_source_add(w->pub.dp, "sim_a@node2", shfe, 1, "");
    hamd_dataplane_assign(w->pub.dp, VT, "sim_a@node2", 0);
}

/* The follower asked to relay a contract sends first what it held, then
 * its live ticks; the publisher publishes each once, in order. */
static void test_relay_starts_where_the_publisher_stopped(void **state)
{
    struct world *w = *state;
    const char *shfe[] = {"SHFE"};
    /* The publisher: PUB under an endless lease, VT on the relayed
     * source. */
    hamd_dataplane_contract_add(w->pub.dp, VT);
    publisher_relays(w);
    /* The follower: sim_a on VT, relaying to the publisher. */
    hamd_dataplane_source_add(w->fol.dp, "sim_a", shfe, 1, "");
    hamd_dataplane_source_token(w->fol.dp, "sim_a", GW_TOKEN);
    hamd_dataplane_contract_add(w->fol.dp, VT);
    hamd_dataplane_assign(w->fol.dp, VT, "sim_a", 0);
    hamd_dataplane_relay_target(w->fol.dp, w->pub.o.relay);
    struct hamd_relay_cover cov = {.node = 2, .n_accounts = 1};
    strcpy(cov.accounts[0].id, "sim_a");
    cov.accounts[0].state = 1;
    uint8_t body[HAMD_RELAY_COVER_BODY_MAX];
    size_t len = hamd_relay_cover_encode(&cov, body, sizeof body);
    assert_true(len > 0);
    hamd_dataplane_cover_send(w->fol.dp, body, len);
    assert_true(wait_for(w, publisher_heard_node2));

    w->sub = zmq_socket(w->zctx, ZMQ_SUB);
    assert_int_equal(zmq_connect(w->sub, w->pub.o.publish), 0);
    zmq_setsockopt(w->sub, ZMQ_SUBSCRIBE, "rb2601", 6);
    w->gw = zmq_socket(w->zctx, ZMQ_DEALER);
    zmq_setsockopt(w->gw, ZMQ_ROUTING_ID, "sim_a", 5);
    assert_int_equal(zmq_connect(w->gw, w->fol.o.gw_endpoint), 0);
    gw_hello(w);
    usleep(SETTLE_US);
    for (unsigned k = 0; k < N_HELD; k++)
        gw_tick(w, k);
    assert_true(wait_for(w, follower_holds_all)); /* held, not relayed */

    relay_ask(w, true);
    sub_expect(w, 0, N_HELD);
    for (unsigned i = 0; i < N_LIVE; i++)
        gw_tick(w, N_HELD + i);
    sub_expect(w, N_HELD, N_HELD + N_LIVE);
    /* A second RELAY with the same set sends nothing again. */
    relay_ask(w, true);
    gw_tick(w, N_HELD + N_LIVE);
    sub_expect(w, N_HELD + N_LIVE, N_HELD + N_LIVE + 1);
    assert_true(wait_for(w, follower_relays_one));
}

static bool follower_took_the_lapse(struct world *w)
{
    struct hamd_dp_stats st;
    hamd_dataplane_stats(w->fol.dp, &st);
    return st.n_sources == 1 &&
           st.sources[0].ticks == N_HELD + N_LIVE + 1 + N_LAPSE &&
           st.relaying == 0;
}

/* The publisher's lease lapses past the election timeout while a
 * follower relays: its control plane unregisters the relayed source
 * (what the follower sends meanwhile is dropped) and, since session 16,
 * asks the follower to relay nothing (control/cover.c, relay_stop_all).
 * When the lease is back and the whole set asked again, the follower
 * first sends what the publisher never published: the stream has no
 * hole (test_data_follows saw one of 4 ticks before). */
static void test_relay_after_a_lapse_sends_what_was_not_published(void **state)
{
    struct world *w = *state;
    test_relay_starts_where_the_publisher_stopped(state); /* 0 .. 10 out */
    unsigned next = N_HELD + N_LIVE + 1;
    hamd_dataplane_set_lease(w->pub.dp, 1, 0);           /* the lapse */
    hamd_dataplane_source_remove(w->pub.dp, "sim_a@node2");
    relay_ask(w, false);
    for (unsigned i = 0; i < N_LAPSE; i++)
        gw_tick(w, next + i);
    assert_true(wait_for(w, follower_took_the_lapse));
    publisher_relays(w);                                  /* the lease back */
    relay_ask(w, true);
    sub_expect(w, next, next + N_LAPSE);
    gw_tick(w, next + N_LAPSE);
    sub_expect(w, next + N_LAPSE, next + N_LAPSE + 1);
}

static bool refused_one(struct world *w)
{
    struct hamd_dp_stats st;
    hamd_dataplane_stats(w->pub.dp, &st);
    return st.relay_refused > 0;
}

static bool counted_bad_and_unsolicited(struct world *w)
{
    struct hamd_dp_stats st;
    hamd_dataplane_stats(w->pub.dp, &st);
    return st.relay_bad >= 2 && st.relay_unsolicited >= 2;
}

/* Sends [frames...] from a DEALER of identity id to endpoint. */
static void *intruder(struct world *w, const char *id, const char *endpoint)
{
    void *s = zmq_socket(w->zctx, ZMQ_DEALER);
    w->intruder = s;
    zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id));
    assert_int_equal(zmq_connect(s, endpoint), 0);
    return s;
}

static void send_frames(void *s, const char *const *frames, size_t n)
{
    for (size_t i = 0; i < n; i++)
        zmq_send(s, frames[i], strlen(frames[i]), i + 1 < n ? ZMQ_SNDMORE : 0);
}

/* Malformed reports, a report claiming another node, and ticks of a
 * source the publisher never asked for are dropped and counted. */
static void test_bad_relay_messages_are_counted(void **state)
{
    struct world *w = *state;
    void *s = intruder(w, "node-2", w->pub.o.relay);
    const char *garbage[] = {HAMD_RELAY_COVER, "\xc1\xc1"};
    const char *unknown[] = {"HELLO", "x"};
    const char *unsolicited[] = {HAMD_RELAY_TICK, "sim_z", "\x80"};
    const char *shfe[] = {"SHFE"};
    hamd_dataplane_source_add(w->pub.dp, "sim_a@node2", shfe, 1, "");
    send_frames(s, garbage, 2);
    send_frames(s, unknown, 2);
    send_frames(s, unsolicited, 3);
    /* An account with a NUL inside is no account, not sim_a's. */
    zmq_send(s, HAMD_RELAY_TICK, strlen(HAMD_RELAY_TICK), ZMQ_SNDMORE);
    zmq_send(s, "sim_a\0x", 7, ZMQ_SNDMORE);
    zmq_send(s, "\x80", 1, 0);
    assert_true(wait_for(w, counted_bad_and_unsolicited));
    struct hamd_dp_stats st;
    hamd_dataplane_stats(w->pub.dp, &st);
    assert_int_equal(st.relay_ticks_in, 0);
    struct hamd_dp_cover c[HAMD_DP_COVERS_MAX];
    assert_int_equal(hamd_dataplane_covers(w->pub.dp, c, HAMD_DP_COVERS_MAX), 0);
}

/* A publisher whose members do not include 127.0.0.1 refuses the
 * connection: the report never arrives. */
static void test_non_members_are_refused(void **state)
{
    struct world *w = *state;
    hamd_dataplane_destroy(&w->pub.dp);
    node_start(&w->pub, 1, "10.255.255.1");
    void *s = intruder(w, "node-2", w->pub.o.relay);
    struct hamd_relay_cover cov = {.node = 2, .n_accounts = 0};
    uint8_t body[HAMD_RELAY_COVER_BODY_MAX];
    size_t len = hamd_relay_cover_encode(&cov, body, sizeof body);
    zmq_send(s, HAMD_RELAY_COVER, strlen(HAMD_RELAY_COVER), ZMQ_SNDMORE);
    zmq_send(s, body, len, 0);
    assert_true(wait_for(w, refused_one));
    struct hamd_dp_cover c[HAMD_DP_COVERS_MAX];
    assert_int_equal(hamd_dataplane_covers(w->pub.dp, c, HAMD_DP_COVERS_MAX), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_relay_starts_where_the_publisher_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_relay_after_a_lapse_sends_what_was_not_published, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_bad_relay_messages_are_counted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_members_are_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
