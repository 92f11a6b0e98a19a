/* msgpack <-> JSON conversion of events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <msgpack.h>

#include "common/mpjson.h"

static void test_round_trip_of_an_event(void **state)
{
    (void)state;
    json_t *ev = json_pack("{s:s,s:i,s:f,s:b,s:n,s:[s,s],s:{s:i}}", "event_type",
                           "failover_executed", "failover_duration_ms", 3,
                           "ratio", 0.5, "ok", 1, "none", "affected_contracts",
                           "rb2601.SHFE", "i2601.DCE", "metadata",
                           "backup_priority", 2);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    hamd_mpjson_encode(&pk, ev);
    json_t *back = hamd_mpjson_decode(sb.data, sb.size);
    assert_non_null(back);
    assert_true(json_equal(ev, back));
    /* Every strict prefix is rejected, never half-converted. */
    for (size_t n = 0; n < sb.size; n++)
        assert_null(hamd_mpjson_decode(sb.data, n));
    msgpack_sbuffer_destroy(&sb);
    json_decref(back);
    json_decref(ev);
}

static void test_rejects_bad_documents(void **state)
{
    (void)state;
    /* map32 claiming 4 billion pairs in 5 bytes */
    const uint8_t huge[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
    assert_null(hamd_mpjson_decode(huge, sizeof huge));
    /* integer key */
    const uint8_t int_key[] = {0x81, 0x01, 0x02};
    assert_null(hamd_mpjson_decode(int_key, sizeof int_key));
    /* trailing byte after a complete document */
    const uint8_t trailing[] = {0x01, 0x02};
    assert_null(hamd_mpjson_decode(trailing, sizeof trailing));
    /* a key with a NUL inside: it would come back as "a" */
    const uint8_t nul_key[] = {0x81, 0xa3, 'a', 0x00, 'b', 0x01};
    assert_null(hamd_mpjson_decode(nul_key, sizeof nul_key));
    /* invalid UTF-8 in a string */
    const uint8_t bad_utf8[] = {0xa2, 0xc3, 0x28};
    assert_null(hamd_mpjson_decode(bad_utf8, sizeof bad_utf8));
    /* nesting deeper than the limit */
    uint8_t deep[HAMD_MPJSON_DEPTH_MAX + 3];
    memset(deep, 0x91, sizeof deep); /* fixarray of 1, nested */
    deep[sizeof deep - 1] = 0x01;
    assert_null(hamd_mpjson_decode(deep, sizeof deep));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_of_an_event),
        cmocka_unit_test(test_rejects_bad_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
