/* Syntax of single configuration values: integers, booleans, addresses,
 * endpoints, session windows, symbols, JSON params, error quoting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config/config_value.h"

static char g_why[256];

static void test_uint(void **state)
{
    (void)state;
    unsigned v = 0;
    assert_true(cfgval_uint_parse("10", 10, 10000, true, &v, g_why,
                                       sizeof g_why));
    assert_int_equal(v, 10);
    assert_true(cfgval_uint_parse("0", 0, 5, true, &v, g_why,
                                       sizeof g_why));
    assert_int_equal(v, 0);
    static const char *const bad[] = {"", "9", "10001", " 10", "+10", "1e3",
                                      "0x10", "10ms", "4294967296000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 77;
        assert_false(cfgval_uint_parse(bad[i], 10, 10000, true, &v,
                                            g_why, sizeof g_why));
        assert_int_equal(v, 77);
        assert_non_null(strstr(g_why, "expected an integer in 10..10000"));
    }
}

static void test_bool(void **state)
{
    (void)state;
    static const char *const yes[] = {"true", "YES", "On", "1"};
    static const char *const no[] = {"false", "no", "OFF", "0"};
    bool v;
    for (size_t i = 0; i < 4; i++) {
        assert_true(cfgval_bool_parse(yes[i], true, &v, g_why,
                                           sizeof g_why));
        assert_true(v);
        assert_true(cfgval_bool_parse(no[i], true, &v, g_why,
                                           sizeof g_why));
        assert_false(v);
    }
    assert_false(cfgval_bool_parse("2", true, &v, g_why, sizeof g_why));
    assert_false(cfgval_bool_parse("", true, &v, g_why, sizeof g_why));
}

static void test_addresses(void **state)
{
    (void)state;
    assert_true(cfgval_ipv4_port_check("10.0.0.1:7001", true, g_why,
                                            sizeof g_why));
    static const char *const bad_raft[] = {
        "node1:7001", "10.0.0.1", "10.0.0.1:0", "10.0.0.1:65536",
        "10.0.0:7001", "[::1]:7001", "10.0.0.1:70a1", ":7001"};
    for (size_t i = 0; i < sizeof bad_raft / sizeof bad_raft[0]; i++)
        assert_false(cfgval_ipv4_port_check(bad_raft[i], true, g_why,
                                                 sizeof g_why));

    static const char *const good_http[] = {"127.0.0.1:8001", "node1:8001",
                                            "[::1]:8001", "0.0.0.0:1"};
    for (size_t i = 0; i < sizeof good_http / sizeof good_http[0]; i++)
        assert_true(cfgval_host_port_check(good_http[i], true, g_why,
                                                sizeof g_why));
    static const char *const bad_http[] = {"8001", "*:8001", "10.0.0.256:80",
                                           "[::g]:80", "a b:80", "host:"};
    for (size_t i = 0; i < sizeof bad_http / sizeof bad_http[0]; i++)
        assert_false(cfgval_host_port_check(bad_http[i], true, g_why,
                                                 sizeof g_why));
}

static void test_zmq_endpoints(void **state)
{
    (void)state;
    static const char *const good[] = {"tcp://127.0.0.1:5551", "tcp://*:5551",
                                       "tcp://eth0:5551", "tcp://[::1]:5551",
                                       "ipc:///var/lib/hamd/gw.sock",
                                       "ipc://run/gw.sock"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(cfgval_zmq_check(good[i], false, true, g_why,
                                          sizeof g_why));
    assert_true(cfgval_zmq_check("inproc://pub", true, true, g_why,
                                      sizeof g_why));
    assert_false(cfgval_zmq_check("inproc://pub", false, true, g_why,
                                       sizeof g_why));
    char long_ipc[160] = "ipc:///";
    memset(long_ipc + strlen(long_ipc), 'a', 110);
    static const char *const bad[] = {"tcp://127.0.0.1", "tcp://:5551",
                                      "udp://1.2.3.4:5", "ipc://", "inproc://",
                                      "127.0.0.1:5551", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(cfgval_zmq_check(bad[i], true, true, g_why,
                                           sizeof g_why));
    assert_false(cfgval_zmq_check(long_ipc, true, true, g_why,
                                       sizeof g_why));
}

static void test_windows(void **state)
{
    (void)state;
    struct hamd_session_window w[HAMD_MAX_SESSIONS];
    unsigned n = 0;
    assert_true(cfgval_windows_parse("00:00-23:59, 21:00-02:30", w,
                                          HAMD_MAX_SESSIONS, &n, true, g_why,
                                          sizeof g_why));
    assert_int_equal(n, 2);
    assert_int_equal(w[0].start_min, 0);
    assert_int_equal(w[0].end_min, 23 * 60 + 59);
    assert_int_equal(w[1].start_min, 21 * 60);
    assert_int_equal(w[1].end_min, 2 * 60 + 30); /* crosses midnight */

    assert_true(cfgval_windows_parse("21:00-24:00", w, 1, &n, true,
                                          g_why, sizeof g_why));
    assert_int_equal(w[0].end_min, 24 * 60);

    static const char *const bad[] = {"24:00-01:00", "09:60-10:00",
                                      "21:00-24:01", "21:00-25:00",
                                      "09:00-10:00,", "9:00-10:00",
                                      "09:00 - 10:00", "09:00-09:00",
                                      "09:00", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(cfgval_windows_parse(bad[i], w, HAMD_MAX_SESSIONS,
                                               &n, true, g_why,
                                               sizeof g_why));
    assert_false(cfgval_windows_parse("01:00-02:00,03:00-04:00", w, 1,
                                           &n, true, g_why, sizeof g_why));
    assert_non_null(strstr(g_why, "more than 1 windows"));
}

static void test_symbols(void **state)
{
    (void)state;
    assert_true(cfgval_vt_symbol_valid("rb2601.SHFE"));
    assert_true(cfgval_vt_symbol_valid("IO2601-C-4000.CFFEX"));
    assert_true(cfgval_vt_symbol_valid("600000.SSE"));
    static const char *const bad[] = {"rb2601", ".SHFE", "rb2601.",
                                      "rb2601.shfe", "rb 2601.SHFE",
                                      "a.b.SHFE", "rb2601.SHFEXXXXXXXXXXXXXXX"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(cfgval_vt_symbol_valid(bad[i]));
    assert_true(cfgval_exchange_valid("CZCE"));
    assert_false(cfgval_exchange_valid("czce"));
    assert_false(cfgval_exchange_valid(""));
    assert_true(cfgval_gw_type_valid("ctp_v6-3"));
    assert_false(cfgval_gw_type_valid("_ctp"));
    assert_false(cfgval_gw_type_valid("CTP"));
    assert_true(cfgval_timezone_valid("Asia/Shanghai"));
    assert_true(cfgval_timezone_valid("Etc/GMT+8"));
    assert_false(cfgval_timezone_valid("/etc/localtime"));
    assert_false(cfgval_timezone_valid("../../etc/passwd"));
}

static void test_json_object(void **state)
{
    (void)state;
    char out[64];
    assert_true(cfgval_json_object_compact("{ \"b\" : [1, 2], \"a\": {} }",
                                                out, sizeof out, g_why,
                                                sizeof g_why));
    assert_string_equal(out, "{\"b\":[1,2],\"a\":{}}"); /* order kept */
    assert_false(cfgval_json_object_compact("{\"password\": s3cret}", out,
                                                 sizeof out, g_why,
                                                 sizeof g_why));
    assert_null(strstr(g_why, "s3cret"));
    assert_false(cfgval_json_object_compact("\"text\"", out, sizeof out,
                                                 g_why, sizeof g_why));
    assert_non_null(strstr(g_why, "got a string"));
    char big[128] = "{\"k\": \"";
    memset(big + strlen(big), 'v', 60);
    strcat(big, "\"}");
    assert_false(cfgval_json_object_compact(big, out, sizeof out, g_why,
                                                 sizeof g_why));
    assert_non_null(strstr(g_why, "longer than 63 bytes"));
}

static void test_got_quoting(void **state)
{
    (void)state;
    char buf[128];
    cfgval_got("abc", true, buf, sizeof buf);
    assert_string_equal(buf, "got 'abc'");
    cfgval_got("a\tb\x1b", true, buf, sizeof buf);
    assert_string_equal(buf, "got 'a?b?'");
    cfgval_got("hunter2", false, buf, sizeof buf);
    assert_null(strstr(buf, "hunter2"));
    char long_text[CFGVAL_ECHO_MAX + 20];
    memset(long_text, 'z', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    cfgval_got(long_text, true, buf, sizeof buf);
    assert_int_equal(strlen(buf), strlen("got ''...") + CFGVAL_ECHO_MAX);
}

/* Collects list items for test_list_walk. */
struct items {
    unsigned n;        /* items seen */
    char seen[4][16];  /* their text */
};

static bool collect(void *ud, const char *item, char *why, size_t cap)
{
    struct items *it = ud;
    if (strcmp(item, "stop") == 0) {
        snprintf(why, cap, "stopped");
        return false;
    }
    snprintf(it->seen[it->n++], sizeof it->seen[0], "%s", item);
    return true;
}

static void test_list_walk(void **state)
{
    (void)state;
    struct items it = {0};
    assert_true(cfgval_list_walk(" a ,b,\tc ", collect, &it, g_why,
                                      sizeof g_why));
    assert_int_equal(it.n, 3);
    assert_string_equal(it.seen[0], "a");
    assert_string_equal(it.seen[2], "c");
    memset(&it, 0, sizeof it);
    assert_false(cfgval_list_walk("a,stop,b", collect, &it, g_why,
                                       sizeof g_why));
    assert_int_equal(it.n, 1);
    assert_string_equal(g_why, "stopped");
    assert_false(cfgval_list_walk("a, ,b", collect, &it, g_why,
                                       sizeof g_why));
    assert_non_null(strstr(g_why, "item 2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_zmq_endpoints),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_symbols),
        cmocka_unit_test(test_json_object),
        cmocka_unit_test(test_got_quoting),
        cmocka_unit_test(test_list_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
