/* Pure parts of the admin API: route matching and path captures, 404 vs
 * 405, query strings, bearer tokens, constant-time compare, host:port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin_route.h"
#include "common/ctequal.h"

static int h_list(struct admin_call *c) { (void)c; return 0; }
static int h_create(struct admin_call *c) { (void)c; return 1; }
static int h_get(struct admin_call *c) { (void)c; return 2; }
static int h_start(struct admin_call *c) { (void)c; return 3; }

static const struct admin_route ROUTES[] = {
    {"GET", "/api/accounts", h_list, false},
    {"POST", "/api/accounts", h_create, true},
    {"GET", "/api/accounts/{id}", h_get, false},
    {"PUT", "/api/accounts/{id}", h_get, true},
    {"POST", "/api/accounts/{id}/start", h_start, true},
};
#define N_ROUTES (sizeof ROUTES / sizeof ROUTES[0])

static enum admin_route_result find(const char *method, const char *path,
                                    struct admin_route_match *m)
{
    return admin_route_find(ROUTES, N_ROUTES, method, strlen(method), path,
                            strlen(path), m);
}

static void test_exact_and_trailing_slash(void **state)
{
    (void)state;
    struct admin_route_match m;
    assert_int_equal(find("GET", "/api/accounts", &m), ADMIN_ROUTE_FOUND);
    assert_ptr_equal(m.route, &ROUTES[0]);
    assert_int_equal(m.n_captures, 0);
    assert_int_equal(find("POST", "/api/accounts/", &m), ADMIN_ROUTE_FOUND);
    assert_ptr_equal(m.route, &ROUTES[1]);
    assert_int_equal(find("GET", "/api/account", &m), ADMIN_ROUTE_NO_PATH);
    assert_int_equal(find("GET", "/api/accountsx", &m), ADMIN_ROUTE_NO_PATH);
    assert_int_equal(find("GET", "/api", &m), ADMIN_ROUTE_NO_PATH);
    assert_int_equal(find("GET", "/", &m), ADMIN_ROUTE_NO_PATH);
    assert_int_equal(find("GET", "", &m), ADMIN_ROUTE_NO_PATH);
}

static void test_capture_extracts_the_id(void **state)
{
    (void)state;
    struct admin_route_match m;
    const char *path = "/api/accounts/sim_a/start";
    char id[32];
    assert_int_equal(find("POST", path, &m), ADMIN_ROUTE_FOUND);
    assert_ptr_equal(m.route, &ROUTES[4]);
    assert_int_equal(m.n_captures, 1);
    assert_true(admin_route_capture(&m, 0, path, id, sizeof id));
    assert_string_equal(id, "sim_a");
    assert_false(admin_route_capture(&m, 1, path, id, sizeof id));
    /* Too small a buffer is refused, not truncated. */
    assert_false(admin_route_capture(&m, 0, path, id, 5));

    path = "/api/accounts/ctp-main";
    assert_int_equal(find("GET", path, &m), ADMIN_ROUTE_FOUND);
    assert_ptr_equal(m.route, &ROUTES[2]);
    assert_true(admin_route_capture(&m, 0, path, id, sizeof id));
    assert_string_equal(id, "ctp-main");
}

static void test_capture_needs_one_nonempty_segment(void **state)
{
    (void)state;
    struct admin_route_match m;
    assert_int_equal(find("GET", "/api/accounts//start", &m), ADMIN_ROUTE_NO_PATH);
    assert_int_equal(find("GET", "/api/accounts/a/b", &m), ADMIN_ROUTE_NO_PATH);
    assert_int_equal(find("POST", "/api/accounts/a/b/start", &m),
                     ADMIN_ROUTE_NO_PATH);
}

static void test_wrong_method_is_405_with_allow(void **state)
{
    (void)state;
    struct admin_route_match m;
    assert_int_equal(find("DELETE", "/api/accounts", &m), ADMIN_ROUTE_NO_METHOD);
    assert_null(m.route);
    assert_string_equal(m.allow, "GET, HEAD, POST");
    assert_int_equal(find("GET", "/api/accounts/x/start", &m),
                     ADMIN_ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "POST");
    assert_int_equal(find("POST", "/api/accounts/x", &m), ADMIN_ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "GET, HEAD, PUT");
    /* A method is compared in full, not as a prefix. */
    assert_int_equal(find("GE", "/api/accounts", &m), ADMIN_ROUTE_NO_METHOD);
    assert_int_equal(find("GETX", "/api/accounts", &m), ADMIN_ROUTE_NO_METHOD);
}

/* HEAD is answered wherever GET is (RFC 9110), by the GET route; a path
 * without GET refuses it like any other method. */
static void test_head_takes_the_get_route(void **state)
{
    (void)state;
    struct admin_route_match m;
    char id[32];
    assert_int_equal(find("HEAD", "/api/accounts", &m), ADMIN_ROUTE_FOUND);
    assert_ptr_equal(m.route, &ROUTES[0]);
    const char *path = "/api/accounts/sim_a";
    assert_int_equal(find("HEAD", path, &m), ADMIN_ROUTE_FOUND);
    assert_ptr_equal(m.route, &ROUTES[2]);
    assert_true(admin_route_capture(&m, 0, path, id, sizeof id));
    assert_string_equal(id, "sim_a");
    assert_int_equal(find("HEAD", "/api/accounts/x/start", &m),
                     ADMIN_ROUTE_NO_METHOD);
    assert_null(m.route);
    assert_string_equal(m.allow, "POST");
    /* Compared in full: no other method reaches a GET route. */
    assert_int_equal(find("HEA", "/api/accounts", &m), ADMIN_ROUTE_NO_METHOD);
    assert_int_equal(find("HEADX", "/api/accounts", &m), ADMIN_ROUTE_NO_METHOD);
}

static void test_query_iteration_and_decoding(void **state)
{
    (void)state;
    const char *q = "symbol=rb2601.SHFE&&limit=10&symbol=a%2Eb+c&flag";
    char name[16], value[32];
    size_t pos = 0;
    bool bad = false;
    assert_true(admin_query_next(q, strlen(q), &pos, name, sizeof name, value,
                                 sizeof value, &bad));
    assert_string_equal(name, "symbol");
    assert_string_equal(value, "rb2601.SHFE");
    assert_true(admin_query_next(q, strlen(q), &pos, name, sizeof name, value,
                                 sizeof value, &bad));
    assert_string_equal(name, "limit");
    assert_string_equal(value, "10");
    assert_true(admin_query_next(q, strlen(q), &pos, name, sizeof name, value,
                                 sizeof value, &bad));
    assert_string_equal(value, "a.b c");
    assert_true(admin_query_next(q, strlen(q), &pos, name, sizeof name, value,
                                 sizeof value, &bad));
    assert_string_equal(name, "flag");
    assert_string_equal(value, "");
    assert_false(admin_query_next(q, strlen(q), &pos, name, sizeof name, value,
                                  sizeof value, &bad));
    assert_false(bad);
}

static void test_query_rejects_bad_escapes_and_overflow(void **state)
{
    (void)state;
    const char *bad_inputs[] = {"a=%4", "a=%zz", "a=%00", "a=%", "n=12345678"};
    char name[16], value[8];
    for (size_t i = 0; i < sizeof bad_inputs / sizeof bad_inputs[0]; i++) {
        size_t pos = 0;
        bool bad = false;
        assert_false(admin_query_next(bad_inputs[i], strlen(bad_inputs[i]),
                                      &pos, name, sizeof name, value,
                                      sizeof value, &bad));
        assert_true(bad);
    }
}

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(admin_parse_u64("0", 10, &v));
    assert_int_equal(v, 0);
    assert_true(admin_parse_u64("1000", 1000, &v));
    assert_int_equal(v, 1000);
    assert_false(admin_parse_u64("1001", 1000, &v));
    assert_true(admin_parse_u64("18446744073709551615", UINT64_MAX, &v));
    assert_true(v == UINT64_MAX);
    assert_false(admin_parse_u64("18446744073709551616", UINT64_MAX, &v));
    assert_false(admin_parse_u64("", 10, &v));
    assert_false(admin_parse_u64("-1", 10, &v));
    assert_false(admin_parse_u64(" 1", 10, &v));
    assert_false(admin_parse_u64("1x", 10, &v));
}

static void test_bearer_token(void **state)
{
    (void)state;
    const char *tok;
    size_t len;
    const char *h = "Bearer s3cr3t";
    assert_true(admin_bearer_token(h, strlen(h), &tok, &len));
    assert_int_equal(len, 6);
    assert_memory_equal(tok, "s3cr3t", 6);
    h = "bearer \t abc  ";
    assert_true(admin_bearer_token(h, strlen(h), &tok, &len));
    assert_int_equal(len, 3);
    assert_memory_equal(tok, "abc", 3);
    const char *bad[] = {"Basic abc", "Bearer", "Bearer ", "Bearerabc", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(admin_bearer_token(bad[i], strlen(bad[i]), &tok, &len));
}

static void test_token_equal(void **state)
{
    (void)state;
    assert_true(hamd_ct_equal("abc", 3, "abc", 3));
    assert_false(hamd_ct_equal("abd", 3, "abc", 3));
    assert_false(hamd_ct_equal("ab", 2, "abc", 3));
    assert_false(hamd_ct_equal("abcd", 4, "abc", 3));
    assert_false(hamd_ct_equal("", 0, "abc", 3));
    /* A prefix padded with NULs is still wrong. */
    assert_false(hamd_ct_equal("ab\0", 3, "abc", 3));
    /* Bytes above 0x7f and an empty expected secret. */
    assert_true(hamd_ct_equal("\xff\x80", 2, "\xff\x80", 2));
    assert_false(hamd_ct_equal("\xff\x81", 2, "\xff\x80", 2));
    assert_true(hamd_ct_equal("", 0, "", 0));
    assert_false(hamd_ct_equal("a", 1, "", 0));
}

static void test_hostport_split(void **state)
{
    (void)state;
    char host[64];
    unsigned port;
    assert_true(admin_hostport_split("127.0.0.1:8001", host, sizeof host, &port));
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8001);
    assert_true(admin_hostport_split("[::1]:80", host, sizeof host, &port));
    assert_string_equal(host, "::1");
    assert_int_equal(port, 80);
    assert_true(admin_hostport_split("localhost:65535", host, sizeof host, &port));
    assert_string_equal(host, "localhost");
    const char *bad[] = {"127.0.0.1", "127.0.0.1:", ":80", "h:0", "h:65536",
                         "h:8x", "::1:80", "[::1]80", "[::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(admin_hostport_split(bad[i], host, sizeof host, &port));
    assert_false(admin_hostport_split("abcdef:1", host, 4, &port));
}

static void test_query_valid(void **state)
{
    (void)state;
    static const char *const good[] = {
        "", "a=1", "a=1&b=x%2Fy", "level=info", "symbol=rb2601.SHFE&symbol=x",
        "a", "a=%41%7e", "a=b+c",
    };
    static const char *const bad[] = {
        "a=%", "a=%4", "a=%zz", "a=%00", "a=%4g", "%", "a=\x01", "a=\x7f",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(admin_query_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(admin_query_valid(bad[i], strlen(bad[i])));
    /* only len bytes are looked at: a cut escape is malformed */
    assert_false(admin_query_valid("a=%41", 4));
    assert_true(admin_query_valid("a=%41", 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_valid),
        cmocka_unit_test(test_exact_and_trailing_slash),
        cmocka_unit_test(test_capture_extracts_the_id),
        cmocka_unit_test(test_capture_needs_one_nonempty_segment),
        cmocka_unit_test(test_wrong_method_is_405_with_allow),
        cmocka_unit_test(test_head_takes_the_get_route),
        cmocka_unit_test(test_query_iteration_and_decoding),
        cmocka_unit_test(test_query_rejects_bad_escapes_and_overflow),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_bearer_token),
        cmocka_unit_test(test_token_equal),
        cmocka_unit_test(test_hostport_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
