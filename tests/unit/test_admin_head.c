/* Screening of request heads before h2o (admin/admin_head.h): complete
 * and good heads pass, incomplete ones wait, and what h2o would answer in
 * plain text (and more) is refused with the status hamd answers in JSON:
 * 400 malformed, 431 too large, 413 a body declared too large, 411 a
 * body without a Content-Length, 417 an expectation other than
 * 100-continue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_head.h"

#define BODY_MAX 65536

static enum admin_head_verdict check_str(const char *s)
{
    const char *why = NULL;
    enum admin_head_verdict v = admin_head_check(s, strlen(s), BODY_MAX, &why);
    assert_non_null(why);
    return v;
}

static void test_good_heads(void **state)
{
    (void)state;
    const char *good[] = {
        "GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        ("POST /api/accounts HTTP/1.1\r\nContent-Length: 65536\r\n"
         "Content-Type: application/json\r\nAuthorization: Bearer a.b_c\r\n\r\n"),
        "PUT /api/accounts/a?x=%2F HTTP/1.1\nHost: y\n\n", /* bare LF */
        "\r\nGET / HTTP/1.1\r\n\r\n",            /* a leading empty line */
        "\nGET / HTTP/1.1\n\n",                  /* one, bare LF */
        "GET / HTTP/1.1\r\nX-Empty:\r\nX-Tab: a\tb\r\n\r\n",
        "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
        "GET /\xe6\x96\x87 HTTP/1.1\r\nX: \xe6\x96\x87\r\n\r\n", /* obs-text */
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(check_str(good[i]), ADMIN_HEAD_OK);
}

static void test_incomplete_waits(void **state)
{
    (void)state;
    const char *full = "POST /api/accounts HTTP/1.1\r\nContent-Length: 2\r\n\r\n";
    for (size_t n = 0; n < strlen(full); n++)
        assert_int_equal(admin_head_check(full, n, BODY_MAX, NULL),
                         ADMIN_HEAD_MORE);
    assert_int_equal(admin_head_check(full, strlen(full), BODY_MAX, NULL),
                     ADMIN_HEAD_OK);
}

static void test_malformed_is_400(void **state)
{
    (void)state;
    const char *bad[] = {
        "garbage\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.1 extra\r\n\r\n",
        "GET /a\x01 HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\001b\r\n\r\n", /* octal: \x01b is one byte */
        "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
        "\r\n\r\nGET / HTTP/1.1\r\n\r\n", /* h2o skips one empty line */
        "\n\nGET / HTTP/1.1\r\n\r\n",
        "\rGET / HTTP/1.1\r\n\r\n",       /* a CR alone */
        "GET / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum admin_head_verdict v = check_str(bad[i]);
        if (v != ADMIN_HEAD_BAD)
            fail_msg("head %zu: verdict %d", i, v);
        assert_int_equal(admin_head_status(v), 400);
    }
}

static void test_body_too_large_is_413(void **state)
{
    (void)state;
    assert_int_equal(check_str("POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n"),
                     ADMIN_HEAD_BODY_TOO_LARGE);
    assert_int_equal(check_str("POST / HTTP/1.1\r\nContent-Length: 20971520\r\n\r\n"),
                     ADMIN_HEAD_BODY_TOO_LARGE);
    /* Longer than any integer: too large, not a wrap-around. */
    assert_int_equal(check_str("POST / HTTP/1.1\r\nContent-Length: "
                               "99999999999999999999999999\r\n\r\n"),
                     ADMIN_HEAD_BODY_TOO_LARGE);
    assert_int_equal(admin_head_status(ADMIN_HEAD_BODY_TOO_LARGE), 413);
}

static void test_no_chunked_bodies_no_odd_expectations(void **state)
{
    (void)state;
    enum admin_head_verdict v = check_str(
        "DELETE /api/subscriptions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_int_equal(v, ADMIN_HEAD_LENGTH_REQUIRED);
    assert_int_equal(admin_head_status(v), 411);
    v = check_str("POST / HTTP/1.1\r\nExpect: magic\r\nContent-Length: 2\r\n\r\n");
    assert_int_equal(v, ADMIN_HEAD_EXPECTATION);
    assert_int_equal(admin_head_status(v), 417);
}

static void test_too_large_is_431(void **state)
{
    (void)state;
    /* One long header, complete or not. */
    size_t n = ADMIN_HEAD_MAX_BYTES + 64;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'a', n);
    memcpy(big, "GET / HTTP/1.1\r\nX-Big: ", 23);
    memcpy(big + n - 4, "\r\n\r\n", 4);
    big[n] = '\0';
    assert_int_equal(admin_head_check(big, n, BODY_MAX, NULL),
                     ADMIN_HEAD_TOO_LARGE);
    assert_int_equal(admin_head_check(big, n - 4, BODY_MAX, NULL),
                     ADMIN_HEAD_TOO_LARGE);
    free(big);
    /* Too many header lines. */
    char many[4096] = "GET / HTTP/1.1\r\n";
    for (int i = 0; i <= ADMIN_HEAD_FIELDS_MAX; i++)
        strcat(many, "X: 1\r\n");
    strcat(many, "\r\n");
    assert_int_equal(check_str(many), ADMIN_HEAD_TOO_LARGE);
    assert_int_equal(admin_head_status(ADMIN_HEAD_TOO_LARGE), 431);
    assert_int_equal(admin_head_status(ADMIN_HEAD_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_heads),
        cmocka_unit_test(test_incomplete_waits),
        cmocka_unit_test(test_malformed_is_400),
        cmocka_unit_test(test_body_too_large_is_413),
        cmocka_unit_test(test_no_chunked_bodies_no_odd_expectations),
        cmocka_unit_test(test_too_large_is_431),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
