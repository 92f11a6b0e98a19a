/* Unit tests of the simulator's pure fault machine (upstream mode's link
 * input included), control parsing, params and malformed-message builders
 * (src/gw-sim). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "hamd/tick.h"

#include "gw-sim/badmsg.h"
#include "gw-sim/control.h"
#include "gw-sim/faults.h"
#include "gw-sim/feed.h"
#include "gw-sim/params.h"
#include "gw-sim/uplink.h"

static const struct gwsim_fault_cfg NO_LOGIN = {
    .login_ms = 0, .reconnect_ms = GWSIM_NEVER_MS,
    .initial = GWSIM_FAULT_NONE, .initial_arg_ms = GWSIM_NEVER_MS,
};

static const struct gwsim_fault_cfg UPSTREAM = {
    .login_ms = 0, .reconnect_ms = GWSIM_NEVER_MS,
    .initial = GWSIM_FAULT_NONE, .initial_arg_ms = GWSIM_NEVER_MS,
    .upstream = true,
};

static void assert_status(const struct gwsim_effects *fx, unsigned n, ...)
{
    va_list ap;
    assert_int_equal(fx->n_status, n);
    va_start(ap, n);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(fx->status[i], va_arg(ap, int));
    va_end(ap);
}

static void test_start_logs_in(void **state)
{
    (void)state;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    gwsim_faults_start(&f, &NO_LOGIN, 1000, &fx);
    assert_status(&fx, 3, HAMD_GW_CONNECTING, HAMD_GW_CONNECTED, HAMD_GW_LOGGED_IN);
    assert_true(gwsim_faults_ticks_flow(&f));
    assert_true(gwsim_faults_hb_flow(&f));
    assert_int_equal(gwsim_faults_next_due_ms(&f), INT64_MAX);
}

static void test_login_delay(void **state)
{
    (void)state;
    struct gwsim_fault_cfg cfg = NO_LOGIN;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    cfg.login_ms = 500;
    gwsim_faults_start(&f, &cfg, 1000, &fx);
    assert_status(&fx, 2, HAMD_GW_CONNECTING, HAMD_GW_CONNECTED);
    assert_false(gwsim_faults_ticks_flow(&f));
    assert_int_equal(gwsim_faults_next_due_ms(&f), 1500);
    memset(&fx, 0, sizeof fx);
    gwsim_faults_advance(&f, 1499, &fx);
    assert_int_equal(fx.n_status, 0);
    gwsim_faults_advance(&f, 1500, &fx);
    assert_status(&fx, 1, HAMD_GW_LOGGED_IN);
    assert_true(fx.resync);
    assert_true(gwsim_faults_ticks_flow(&f));
}

static void test_stall_resumes_with_resync(void **state)
{
    (void)state;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    gwsim_faults_start(&f, &NO_LOGIN, 0, &fx);
    gwsim_faults_set(&f, GWSIM_FAULT_STALL, GWSIM_NEVER_MS, 10, &fx);
    assert_int_equal(fx.n_status, 0);
    assert_false(gwsim_faults_ticks_flow(&f));
    assert_true(gwsim_faults_hb_flow(&f));
    gwsim_faults_set(&f, GWSIM_FAULT_NONE, GWSIM_NEVER_MS, 20, &fx);
    assert_true(fx.resync);
    assert_true(gwsim_faults_ticks_flow(&f));
}

static void test_disconnect_and_reconnect(void **state)
{
    (void)state;
    struct gwsim_fault_cfg cfg = NO_LOGIN;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    cfg.reconnect_ms = 300;
    gwsim_faults_start(&f, &cfg, 0, &fx);
    gwsim_faults_set(&f, GWSIM_FAULT_DISCONNECT, GWSIM_NEVER_MS, 100, &fx);
    assert_status(&fx, 1, HAMD_GW_DISCONNECTED);
    assert_false(gwsim_faults_hb_flow(&f));
    assert_false(gwsim_faults_ticks_flow(&f));
    assert_int_equal(gwsim_faults_next_due_ms(&f), 400);
    memset(&fx, 0, sizeof fx);
    gwsim_faults_advance(&f, 399, &fx);
    assert_int_equal(fx.n_status, 0);
    gwsim_faults_advance(&f, 400, &fx);
    assert_status(&fx, 3, HAMD_GW_CONNECTING, HAMD_GW_CONNECTED, HAMD_GW_LOGGED_IN);
    assert_true(fx.resync);
    assert_int_equal(f.fault, GWSIM_FAULT_NONE);
    /* ARG overrides reconnect_ms; without either it lasts until "none" */
    gwsim_faults_set(&f, GWSIM_FAULT_DISCONNECT, 50, 1000, &fx);
    assert_int_equal(gwsim_faults_next_due_ms(&f), 1050);
    cfg.reconnect_ms = GWSIM_NEVER_MS;
    gwsim_faults_start(&f, &cfg, 0, &fx);
    gwsim_faults_set(&f, GWSIM_FAULT_DISCONNECT, GWSIM_NEVER_MS, 0, &fx);
    assert_int_equal(gwsim_faults_next_due_ms(&f), INT64_MAX);
    gwsim_faults_set(&f, GWSIM_FAULT_STALL, GWSIM_NEVER_MS, 5, &fx);
    assert_status(&fx, 3, HAMD_GW_CONNECTING, HAMD_GW_CONNECTED, HAMD_GW_LOGGED_IN);
    assert_false(gwsim_faults_ticks_flow(&f));
}

static void test_initial_fault_after_delay(void **state)
{
    (void)state;
    struct gwsim_fault_cfg cfg = NO_LOGIN;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    cfg.initial = GWSIM_FAULT_CRASH;
    cfg.initial_after_ms = 2000;
    gwsim_faults_start(&f, &cfg, 100, &fx);
    assert_false(fx.crash);
    assert_int_equal(gwsim_faults_next_due_ms(&f), 2100);
    memset(&fx, 0, sizeof fx);
    gwsim_faults_advance(&f, 2100, &fx);
    assert_true(fx.crash);
    /* a manual switch disarms it */
    gwsim_faults_start(&f, &cfg, 100, &fx);
    gwsim_faults_set(&f, GWSIM_FAULT_NONE, GWSIM_NEVER_MS, 200, &fx);
    gwsim_faults_advance(&f, 5000, &fx);
    assert_false(fx.crash);
}

static void test_slow_delay(void **state)
{
    (void)state;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    gwsim_faults_start(&f, &NO_LOGIN, 0, &fx);
    gwsim_faults_set(&f, GWSIM_FAULT_SLOW, GWSIM_NEVER_MS, 0, &fx);
    assert_int_equal(gwsim_faults_delay_ms(&f), GWSIM_SLOW_DEFAULT_MS);
    gwsim_faults_set(&f, GWSIM_FAULT_SLOW, 700, 0, &fx);
    assert_int_equal(gwsim_faults_delay_ms(&f), 700);
    assert_true(gwsim_faults_ticks_flow(&f));
    gwsim_faults_set(&f, GWSIM_FAULT_NONE, GWSIM_NEVER_MS, 0, &fx);
    assert_int_equal(gwsim_faults_delay_ms(&f), 0);
}

/* jitter: each round's delay is a fresh draw in 0..ARG ms; the slow and
 * normal delays do not touch the generator. */
static void test_jitter_delay(void **state)
{
    (void)state;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    uint64_t rng = 12345;
    gwsim_faults_start(&f, &NO_LOGIN, 0, &fx);
    assert_int_equal(gwsim_faults_round_delay_ns(&f, &rng), 0);
    assert_int_equal(rng, 12345);
    gwsim_faults_set(&f, GWSIM_FAULT_SLOW, 700, 0, &fx);
    assert_int_equal(gwsim_faults_round_delay_ns(&f, &rng), 700000000LL);
    gwsim_faults_set(&f, GWSIM_FAULT_JITTER, GWSIM_NEVER_MS, 0, &fx);
    assert_int_equal(f.arg_ms, GWSIM_JITTER_DEFAULT_MS);
    assert_int_equal(gwsim_faults_delay_ms(&f), 0);
    assert_true(gwsim_faults_ticks_flow(&f));
    gwsim_faults_set(&f, GWSIM_FAULT_JITTER, 3, 0, &fx);
    int64_t lo = INT64_MAX, hi = -1;
    for (int i = 0; i < 1000; i++) {
        int64_t d = gwsim_faults_round_delay_ns(&f, &rng);
        assert_true(d >= 0 && d <= 3000000);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* spread over the range, not one value */
    assert_true(lo < 1000000 && hi > 2000000);
    assert_true(rng != 0);
    gwsim_faults_set(&f, GWSIM_FAULT_JITTER, 0, 0, &fx);
    assert_int_equal(gwsim_faults_round_delay_ns(&f, &rng), 0);
}

static void test_faults_upstream_waits_for_front(void **state)
{
    (void)state;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    gwsim_faults_start(&f, &UPSTREAM, 0, &fx);
    assert_status(&fx, 1, HAMD_GW_CONNECTING);
    assert_false(gwsim_faults_ticks_flow(&f));
    assert_true(gwsim_faults_hb_flow(&f));
    gwsim_faults_upstream(&f, true, 50, &fx);
    assert_status(&fx, 2, HAMD_GW_CONNECTED, HAMD_GW_LOGGED_IN);
    assert_true(fx.resync);
    assert_true(gwsim_faults_ticks_flow(&f));
    /* the same news twice changes nothing */
    gwsim_faults_upstream(&f, true, 60, &fx);
    assert_int_equal(fx.n_status, 0);
}

static void test_faults_upstream_loss_and_login_delay(void **state)
{
    (void)state;
    struct gwsim_fault_cfg cfg = UPSTREAM;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    cfg.login_ms = 300;
    gwsim_faults_start(&f, &cfg, 0, &fx);
    gwsim_faults_upstream(&f, true, 100, &fx);
    assert_status(&fx, 1, HAMD_GW_CONNECTED);
    assert_int_equal(gwsim_faults_next_due_ms(&f), 400);
    /* lost before the login completes: the login is cancelled */
    gwsim_faults_upstream(&f, false, 200, &fx);
    assert_status(&fx, 1, HAMD_GW_DISCONNECTED);
    assert_int_equal(gwsim_faults_next_due_ms(&f), INT64_MAX);
    assert_false(gwsim_faults_ticks_flow(&f));
    /* HBs go on: the gateway process is alive, only its front is gone */
    assert_true(gwsim_faults_hb_flow(&f));
    memset(&fx, 0, sizeof fx);
    gwsim_faults_advance(&f, 1000, &fx);
    assert_int_equal(fx.n_status, 0);
    gwsim_faults_upstream(&f, true, 2000, &fx);
    assert_status(&fx, 1, HAMD_GW_CONNECTED);
    memset(&fx, 0, sizeof fx);
    gwsim_faults_advance(&f, 2300, &fx);
    assert_status(&fx, 1, HAMD_GW_LOGGED_IN);
    assert_true(fx.resync);
    assert_true(gwsim_faults_ticks_flow(&f));
}

static void test_faults_upstream_under_disconnect_fault(void **state)
{
    (void)state;
    struct gwsim_faults f;
    struct gwsim_effects fx;
    gwsim_faults_start(&f, &UPSTREAM, 0, &fx);
    gwsim_faults_upstream(&f, true, 10, &fx);
    gwsim_faults_set(&f, GWSIM_FAULT_DISCONNECT, GWSIM_NEVER_MS, 20, &fx);
    assert_status(&fx, 1, HAMD_GW_DISCONNECTED);
    assert_false(gwsim_faults_hb_flow(&f));
    /* the front's news is noted, not reported, while the fault lasts */
    gwsim_faults_upstream(&f, false, 30, &fx);
    assert_int_equal(fx.n_status, 0);
    /* leaving the fault with the front away: connecting, nothing more */
    gwsim_faults_set(&f, GWSIM_FAULT_NONE, GWSIM_NEVER_MS, 40, &fx);
    assert_status(&fx, 1, HAMD_GW_CONNECTING);
    assert_false(gwsim_faults_ticks_flow(&f));
    gwsim_faults_upstream(&f, true, 50, &fx);
    assert_status(&fx, 2, HAMD_GW_CONNECTED, HAMD_GW_LOGGED_IN);
    /* leaving the fault with the front there: back at once */
    gwsim_faults_set(&f, GWSIM_FAULT_DISCONNECT, GWSIM_NEVER_MS, 60, &fx);
    gwsim_faults_set(&f, GWSIM_FAULT_STALL, GWSIM_NEVER_MS, 70, &fx);
    assert_status(&fx, 3, HAMD_GW_CONNECTING, HAMD_GW_CONNECTED,
                  HAMD_GW_LOGGED_IN);
    assert_false(gwsim_faults_ticks_flow(&f)); /* stalled */
}


static void test_params_upstream(void **state)
{
    (void)state;
    char err[GWSIM_PARAMS_ERR_MAX];
    struct gwsim_params *p = gwsim_params_new("{}", err, sizeof err);
    assert_string_equal(p->upstream, "");
    assert_int_equal(p->link_timeout_ms, GWSIM_LINK_TIMEOUT_DEFAULT_MS);
    struct gwsim_fault_cfg cfg;
    gwsim_params_fault_cfg(p, &cfg);
    assert_false(cfg.upstream);
    gwsim_params_destroy(&p);
    p = gwsim_params_new("{\"upstream\":\"tcp://10.77.0.60:6101\","
                         "\"link_timeout_ms\":2500,\"tap\":\"ipc:///t-{pid}\"}",
                         err, sizeof err);
    assert_non_null(p);
    assert_string_equal(p->upstream, "tcp://10.77.0.60:6101");
    assert_int_equal(p->link_timeout_ms, 2500);
    assert_string_equal(p->tap, "ipc:///t-{pid}");
    gwsim_params_fault_cfg(p, &cfg);
    assert_true(cfg.upstream);
    gwsim_params_destroy(&p);
    const char *bad[] = {"{\"upstream\":\"\"}", "{\"upstream\":5}",
                         "{\"link_timeout_ms\":100}",
                         "{\"link_timeout_ms\":\"1000\"}", "{\"tap\":[]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_null(gwsim_params_new(bad[i], err, sizeof err));
        assert_non_null(strstr(err, bad[i][2] == 'u' ? "upstream"
                                    : bad[i][2] == 'l' ? "link_timeout_ms"
                                                       : "tap"));
    }
}

static void test_command_parse(void **state)
{
    (void)state;
    struct gwsim_command c;
    char err[128];
    assert_int_equal(gwsim_command_parse("status", 6, &c, err, sizeof err), 0);
    assert_int_equal(c.kind, GWSIM_CMD_STATUS);
    assert_int_equal(gwsim_command_parse("fault slow 250", 14, &c, err, sizeof err), 0);
    assert_int_equal(c.kind, GWSIM_CMD_FAULT);
    assert_int_equal(c.fault, GWSIM_FAULT_SLOW);
    assert_int_equal(c.arg_ms, 250);
    assert_int_equal(gwsim_command_parse("fault none", 10, &c, err, sizeof err), 0);
    assert_int_equal(c.arg_ms, GWSIM_NEVER_MS);
    assert_int_equal(gwsim_command_parse("fault jitter 4", 14, &c, err, sizeof err), 0);
    assert_int_equal(c.fault, GWSIM_FAULT_JITTER);
    assert_int_equal(c.arg_ms, 4);
    const char *bad[] = {"fault", "fault bogus", "fault stall 5", "fault slow -1",
                         "fault slow 99999999999", "fault slow 5 6", "statusx", "", "reboot"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(gwsim_command_parse(bad[i], strlen(bad[i]), &c, err, sizeof err), -1);
    assert_int_equal(gwsim_command_parse("st\0tus", 6, &c, err, sizeof err), -1);
}

static void test_params(void **state)
{
    (void)state;
    char err[GWSIM_PARAMS_ERR_MAX];
    struct gwsim_params *p = gwsim_params_new(NULL, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(p->seed, 1);
    assert_int_equal(p->rate_milli, 2000);
    assert_int_equal(p->reconnect_ms, GWSIM_NEVER_MS);
    assert_true(gwsim_params_serves(p, "ANY"));
    gwsim_params_destroy(&p);
    assert_null(p);
    p = gwsim_params_new("{\"seed\":9,\"rate\":0.5,\"rates\":{\"a.X\":100,\"b.Y\":3},"
                         "\"exchanges\":[\"X\"],\"fault\":\"slow 300\",\"fault_after_ms\":5,"
                         "\"reconnect_ms\":null,\"control\":\"ipc:///tmp/c\",\"note\":1}",
                         err, sizeof err);
    assert_non_null(p);
    assert_int_equal(p->rate_milli, 500);
    assert_int_equal(gwsim_params_rate(p, "a.X"), 100000);
    assert_int_equal(gwsim_params_rate(p, "b.Y"), 3000);
    assert_int_equal(gwsim_params_rate(p, "c.Z"), 500);
    assert_true(gwsim_params_serves(p, "X"));
    assert_false(gwsim_params_serves(p, "Y"));
    assert_int_equal(p->fault, GWSIM_FAULT_SLOW);
    assert_int_equal(p->fault_arg_ms, 300);
    assert_string_equal(p->control, "ipc:///tmp/c");
    gwsim_params_destroy(&p);
    const char *bad[] = {"[]", "{", "{\"seed\":-1}", "{\"rate\":0}", "{\"rate\":1001}",
                         "{\"rate\":\"2\"}", "{\"rates\":{\"nodot\":1}}", "{\"exchanges\":[]}",
                         "{\"exchanges\":[1]}", "{\"fault\":\"melt\"}", "{\"login_ms\":-5}",
                         "{\"control\":\"\"}", "{\"log_level\":\"loud\"}", "{\"seed\":1,\"seed\":2}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_null(gwsim_params_new(bad[i], err, sizeof err));
        assert_true(err[0] != '\0');
    }
}

static void test_bad_messages_are_refused(void **state)
{
    (void)state;
    struct simfeed_symbol f;
    struct hamd_tick t, out;
    uint8_t buf[HAMD_TICK_WIRE_MAX];
    assert_int_equal(simfeed_symbol_init(&f, 1, "rb2601.SHFE", 2000, "g"), 0);
    for (int64_t n = 100; n < 140; n++) {
        simfeed_tick(&f, n, &t);
        enum gwsim_bad g = gwsim_bad_garbage_kind(n), w = gwsim_bad_wrong_kind(n);
        size_t len = gwsim_bad_encode(g, &t, n, buf, sizeof buf);
        if (g == GWSIM_BAD_SINGLE_FRAME) {
            assert_int_equal(gwsim_bad_frames(g), 1);
        } else if (g == GWSIM_BAD_TYPE) {
            assert_string_equal(gwsim_bad_type_frame(g), GWSIM_BAD_TYPE_FRAME);
        } else {
            assert_true(len > 0);
            assert_int_not_equal(hamd_tick_decode(buf, len, &out), HAMD_TICK_OK);
        }
        len = gwsim_bad_encode(w, &t, n, buf, sizeof buf);
        assert_true(len > 0);
        assert_int_not_equal(hamd_tick_decode(buf, len, &out), HAMD_TICK_OK);
    }
    /* a buffer too small is reported, not overrun */
    simfeed_tick(&f, 7, &t);
    t.localtime_ns = t.datetime_ns;
    assert_int_equal(gwsim_bad_encode(GWSIM_BAD_NAN, &t, 7, buf, 10), 0);
}

static void test_endpoint_pid_expansion(void **state)
{
    (void)state;
    char out[64];
    assert_true(gwsim_endpoint_expand("ipc:///tmp/ctl-{pid}.sock", 4242, out,
                                      sizeof out));
    assert_string_equal(out, "ipc:///tmp/ctl-4242.sock");
    assert_true(gwsim_endpoint_expand("tcp://127.0.0.1:7", 1, out, sizeof out));
    assert_string_equal(out, "tcp://127.0.0.1:7");
    assert_true(gwsim_endpoint_expand("{pid}{pid}", 12, out, sizeof out));
    assert_string_equal(out, "1212");
    /* Too long for the buffer: refused, never truncated. */
    assert_false(gwsim_endpoint_expand("ipc:///tmp/{pid}", 123456, out, 14));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint_pid_expansion),
        cmocka_unit_test(test_start_logs_in),
        cmocka_unit_test(test_login_delay),
        cmocka_unit_test(test_stall_resumes_with_resync),
        cmocka_unit_test(test_disconnect_and_reconnect),
        cmocka_unit_test(test_initial_fault_after_delay),
        cmocka_unit_test(test_slow_delay),
        cmocka_unit_test(test_jitter_delay),
        cmocka_unit_test(test_faults_upstream_waits_for_front),
        cmocka_unit_test(test_faults_upstream_loss_and_login_delay),
        cmocka_unit_test(test_faults_upstream_under_disconnect_fault),
        cmocka_unit_test(test_params_upstream),
        cmocka_unit_test(test_command_parse),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_bad_messages_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
