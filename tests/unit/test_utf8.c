/* UTF-8 validation (common/utf8.h): the cases RFC 3629 rules out, and
 * agreement with jansson's json_stringn, which the admin API's JSON and
 * the account's params go through, on every sequence of up to two bytes,
 * every three-byte one and the four-byte ones around every boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "common/utf8.h"

#define VALID(lit) assert_true(hamd_utf8_valid(lit, sizeof(lit) - 1))
#define INVALID(lit) assert_false(hamd_utf8_valid(lit, sizeof(lit) - 1))

static void test_valid(void **state)
{
    (void)state;
    VALID("");
    VALID("rb2601.SHFE");
    VALID("a\0b");               /* NUL is the caller's business */
    VALID("caf\xc3\xa9");        /* U+00E9 */
    VALID("\xe8\x9e\xba\xe7\xba\xb9\xe9\x92\xa2"); /* three CJK, 3 bytes */
    VALID("\xf0\x9d\x84\x9e");   /* U+1D11E, 4 bytes */
    VALID("\xf4\x8f\xbf\xbf");   /* U+10FFFF */
    VALID("\xee\x80\x80");       /* U+E000, just past the surrogates */
}

static void test_invalid(void **state)
{
    (void)state;
    INVALID("caf\xe9");          /* Latin-1 */
    INVALID("\xc2");             /* cut short */
    INVALID("\xe2\x82");
    INVALID("\xf0\x9d\x84");
    INVALID("\x80");             /* a continuation byte leading */
    INVALID("\xe2\x28\xa1");     /* a bad continuation byte */
    INVALID("\xc0\x80");         /* overlong NUL */
    INVALID("\xc1\xbf");
    INVALID("\xe0\x80\xaf");     /* overlong '/' */
    INVALID("\xf0\x80\x80\xaf");
    INVALID("\xed\xa0\x80");     /* U+D800, a surrogate */
    INVALID("\xed\xbf\xbf");     /* U+DFFF */
    INVALID("\xf4\x90\x80\x80"); /* U+110000 */
    INVALID("\xf5\x80\x80\x80");
    INVALID("\xff");
    INVALID("\xb9\xfa\xd5\xae"); /* GBK, as a CTP front sends names */
}

/* hamd_utf8_valid agrees with jansson on buf[0..len). */
/* Every cut of text of 1- to 4-byte characters: what whole_len keeps
 * is valid and loses only the character cut short. */
static void test_whole_len(void **state)
{
    (void)state;
    static const char TEXT[] = "a\xc3\xa9\xe8\xa1\x8c\xf0\x9d\x84\x9e"
                               "b\xe6\x83\x85";
    static const size_t WHOLE[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11,
                                   11, 11, 14};
    for (size_t cut = 0; cut < sizeof WHOLE / sizeof *WHOLE; cut++) {
        size_t n = hamd_utf8_whole_len(TEXT, cut);
        assert_int_equal(n, WHOLE[cut]);
        assert_true(hamd_utf8_valid(TEXT, n));
    }
    /* stray continuation bytes are not a cut: left to the validator */
    assert_int_equal(hamd_utf8_whole_len("\x80\x80", 2), 2);
}

static void assert_agrees(const uint8_t *buf, size_t len)
{
    json_t *s = json_stringn((const char *)buf, len);
    bool jansson = s != NULL;
    json_decref(s);
    if (hamd_utf8_valid((const char *)buf, len) != jansson)
        fail_msg("disagree on %zu bytes %02x %02x %02x %02x", len, buf[0],
                 len > 1 ? buf[1] : 0, len > 2 ? buf[2] : 0,
                 len > 3 ? buf[3] : 0);
}

static void test_agrees_with_jansson(void **state)
{
    (void)state;
    /* Bytes that decide a four-byte sequence: the edges of each range. */
    static const uint8_t edges[] = {0x00, 0x7f, 0x80, 0x8f, 0x90,
                                    0xbf, 0xc0, 0xff};
    uint8_t b[4];
    for (unsigned x = 0; x < 0x10000; x++) {
        b[0] = (uint8_t)(x >> 8);
        b[1] = (uint8_t)x;
        assert_agrees(b, 1);
        assert_agrees(b, 2);
        for (unsigned c = 0; c < 0x100 && b[0] >= 0xe0 && b[0] <= 0xef; c++) {
            b[2] = (uint8_t)c;
            assert_agrees(b, 3);
        }
        for (size_t i = 0; i < sizeof edges && b[0] >= 0xf0; i++)
            for (size_t j = 0; j < sizeof edges; j++) {
                b[2] = edges[i];
                b[3] = edges[j];
                assert_agrees(b, 4);
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_whole_len),
        cmocka_unit_test(test_agrees_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
