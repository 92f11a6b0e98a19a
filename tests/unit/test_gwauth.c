/* Gateway launch tokens (core/gwauth.h): only the connection whose HELLO
 * carried the current launch's token is believed; a new launch forgets
 * it; an intruder with the account's identity gets nothing in, before,
 * during or after a relaunch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "core/gwauth.h"

#define TOKEN_1 "6b1f0c2a9d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccdd"
#define TOKEN_2 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void test_nothing_before_a_launch(void **state)
{
    (void)state;
    struct hamd_gwauth a;
    memset(&a, 0, sizeof a);
    assert_int_equal(hamd_gwauth_message(&a, "gw-1"), HAMD_GWAUTH_NO_HELLO);
    /* No launch, no token: even an empty token proves nothing. */
    assert_int_equal(hamd_gwauth_hello(&a, "gw-1", ""), HAMD_GWAUTH_BAD_TOKEN);
    assert_int_equal(hamd_gwauth_message(&a, "gw-1"), HAMD_GWAUTH_NO_HELLO);
}

static void test_hello_with_token_proves(void **state)
{
    (void)state;
    struct hamd_gwauth a;
    hamd_gwauth_arm(&a, TOKEN_1);
    /* Anything before the HELLO is dropped. */
    assert_int_equal(hamd_gwauth_message(&a, "gw-1"), HAMD_GWAUTH_NO_HELLO);
    assert_int_equal(hamd_gwauth_hello(&a, "gw-1", TOKEN_1), HAMD_GWAUTH_PROVEN);
    assert_true(hamd_gwauth_taken(HAMD_GWAUTH_PROVEN));
    assert_int_equal(hamd_gwauth_message(&a, "gw-1"), HAMD_GWAUTH_PASS);
    /* Another connection with the same identity is not believed. */
    assert_int_equal(hamd_gwauth_message(&a, "gw-2"), HAMD_GWAUTH_NO_HELLO);
    assert_false(hamd_gwauth_taken(HAMD_GWAUTH_NO_HELLO));
}

static void test_wrong_tokens(void **state)
{
    (void)state;
    struct hamd_gwauth a;
    hamd_gwauth_arm(&a, TOKEN_1);
    assert_int_equal(hamd_gwauth_hello(&a, "gw-1", TOKEN_1), HAMD_GWAUTH_PROVEN);
    const char *bad[] = {"", NULL, TOKEN_2, "6b1f0c2a",
                         TOKEN_1 "00", /* a longer token with it as prefix */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hamd_gwauth_hello(&a, "gw-9", bad[i]),
                         HAMD_GWAUTH_BAD_TOKEN);
        /* The intruder's HELLO leaves the gateway believed, not itself. */
        assert_int_equal(hamd_gwauth_message(&a, "gw-1"), HAMD_GWAUTH_PASS);
        assert_int_equal(hamd_gwauth_message(&a, "gw-9"), HAMD_GWAUTH_NO_HELLO);
    }
    /* A connection without an id is never believed. */
    assert_int_equal(hamd_gwauth_hello(&a, "", TOKEN_1), HAMD_GWAUTH_BAD_TOKEN);
    assert_int_equal(hamd_gwauth_hello(&a, NULL, TOKEN_1), HAMD_GWAUTH_BAD_TOKEN);
    assert_int_equal(hamd_gwauth_message(&a, ""), HAMD_GWAUTH_NO_HELLO);
}

/* The intruder of the integration test, in miniature: the gateway dies,
 * an intruder connects with its identity and the old token, hamd
 * relaunches with a new token, the new gateway proves it. */
static void test_relaunch_forgets(void **state)
{
    (void)state;
    struct hamd_gwauth a;
    hamd_gwauth_arm(&a, TOKEN_1);
    assert_int_equal(hamd_gwauth_hello(&a, "gw-1", TOKEN_1), HAMD_GWAUTH_PROVEN);
    hamd_gwauth_arm(&a, TOKEN_2); /* relaunch */
    assert_int_equal(hamd_gwauth_message(&a, "gw-1"), HAMD_GWAUTH_NO_HELLO);
    assert_int_equal(hamd_gwauth_hello(&a, "gw-2", TOKEN_1),
                     HAMD_GWAUTH_BAD_TOKEN);
    assert_int_equal(hamd_gwauth_message(&a, "gw-2"), HAMD_GWAUTH_NO_HELLO);
    assert_int_equal(hamd_gwauth_hello(&a, "gw-3", TOKEN_2), HAMD_GWAUTH_PROVEN);
    assert_int_equal(hamd_gwauth_message(&a, "gw-3"), HAMD_GWAUTH_PASS);
    assert_int_equal(hamd_gwauth_message(&a, "gw-2"), HAMD_GWAUTH_NO_HELLO);
    /* The holder reconnecting (its DEALER does so by itself) proves it
     * again on the new connection. */
    assert_int_equal(hamd_gwauth_hello(&a, "gw-4", TOKEN_2), HAMD_GWAUTH_PROVEN);
    assert_int_equal(hamd_gwauth_message(&a, "gw-4"), HAMD_GWAUTH_PASS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_before_a_launch),
        cmocka_unit_test(test_hello_with_token_proves),
        cmocka_unit_test(test_wrong_tokens),
        cmocka_unit_test(test_relaunch_forgets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
