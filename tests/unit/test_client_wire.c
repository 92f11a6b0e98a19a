/* libhamd-client's readers of the wire: good bodies read, malformed ones
 * (bad msgpack, wrong types, missing keys, bytes after the map, a topic
 * that is not the tick's, a term of 0) refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "client/client_wire.h"
#include "unit_tick.h"

/* Packs {k1: v1, k2: v2} into buf (v < 0: a negative integer, v2_str:
 * a string instead of v2). Returns the length. */
static size_t pack_pair(uint8_t *buf, size_t cap, const char *k1, int64_t v1,
                        const char *k2, int64_t v2, const char *v2_str)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, k2 ? 2 : 1);
    msgpack_pack_str_with_body(&pk, k1, strlen(k1));
    msgpack_pack_int64(&pk, v1);
    if (k2) {
        msgpack_pack_str_with_body(&pk, k2, strlen(k2));
        if (v2_str)
            msgpack_pack_str_with_body(&pk, v2_str, strlen(v2_str));
        else
            msgpack_pack_int64(&pk, v2);
    }
    assert_true(sb.size <= cap);
    memcpy(buf, sb.data, sb.size);
    size_t len = sb.size;
    msgpack_sbuffer_destroy(&sb);
    return len;
}

static void test_heartbeat(void **state)
{
    (void)state;
    uint8_t b[64];
    uint64_t term;
    uint32_t node;
    size_t n = pack_pair(b, sizeof b, "term", 7, "node", 2, NULL);
    assert_true(ccwire_heartbeat(b, n, &term, &node));
    assert_int_equal(term, 7);
    assert_int_equal(node, 2);
    assert_false(ccwire_heartbeat(b, n - 1, &term, &node));      /* cut */
    b[n] = 0xc0;
    assert_false(ccwire_heartbeat(b, n + 1, &term, &node));      /* trailing */
    n = pack_pair(b, sizeof b, "term", -1, "node", 2, NULL);
    assert_false(ccwire_heartbeat(b, n, &term, &node));          /* backwards */
    n = pack_pair(b, sizeof b, "term", 0, "node", 2, NULL);
    assert_false(ccwire_heartbeat(b, n, &term, &node));          /* term 0 */
    n = pack_pair(b, sizeof b, "term", 3, "node", 0, "two");
    assert_false(ccwire_heartbeat(b, n, &term, &node));          /* type */
    n = pack_pair(b, sizeof b, "term", 3, "node", 1LL << 40, NULL);
    assert_false(ccwire_heartbeat(b, n, &term, &node));          /* range */
    n = pack_pair(b, sizeof b, "term", 3, NULL, 0, NULL);
    assert_false(ccwire_heartbeat(b, n, &term, &node));          /* missing */
    assert_false(ccwire_heartbeat("\x93\x01\x02\x03", 4, &term, &node));
    assert_false(ccwire_heartbeat("", 0, &term, &node));
}

static void test_end(void **state)
{
    (void)state;
    uint8_t b[64];
    uint64_t term, count;
    size_t n = pack_pair(b, sizeof b, "count", 12, "term", 3, NULL);
    assert_true(ccwire_end(b, n, &term, &count));
    assert_int_equal(term, 3);
    assert_int_equal(count, 12);
    n = pack_pair(b, sizeof b, "term", 3, NULL, 0, NULL);
    assert_false(ccwire_end(b, n, &term, &count));              /* no count */
    n = pack_pair(b, sizeof b, "term", 3, "count", 0, "many");
    assert_false(ccwire_end(b, n, &term, &count));
    /* a map that declares more pairs than there are bytes */
    assert_false(ccwire_end("\xdf\xff\xff\xff\xff", 5, &term, &count));
}

static void test_event(void **state)
{
    (void)state;
    char type[CCWIRE_EVENT_TYPE_MAX];
    const char ok[] = "\x82\xaa" "event_type" "\xb1" "failover_executed"
                      "\xa3" "seq" "\x05";
    assert_true(ccwire_event(ok, sizeof ok - 1, type));
    assert_string_equal(type, "failover_executed");
    assert_true(ccwire_event("\x81\xa3seq\x05", 6, type)); /* no type: "" */
    assert_string_equal(type, "");
    assert_false(ccwire_event("\x81\xaa" "event_type" "\x05", 13, type));
    assert_false(ccwire_event("\x05", 1, type));
    assert_false(ccwire_event("\xc1", 1, type));
}

static void test_tick(void **state)
{
    (void)state;
    struct hamd_tick t, out;
    uint8_t b[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&t);
    size_t n = hamd_tick_encode(&t, true, b, sizeof b);
    assert_null(ccwire_tick("rb2601.SHFE", 11, b, n, true, &out));
    assert_int_equal(out.seq, t.seq);
    assert_string_equal(ccwire_tick("rb2601.SHF", 10, b, n, true, &out),
                        "vt_symbol is not the topic");
    assert_non_null(ccwire_tick("rb2601.SHFE", 11, b, n - 1, true, &out));
    /* published without hub fields */
    n = hamd_tick_encode(&t, false, b, sizeof b);
    assert_string_equal(ccwire_tick("rb2601.SHFE", 11, b, n, true, &out),
                        "tick without hub fields");
    /* seq 0: a snapshot's may be, a live one not */
    t.seq = 0;
    n = hamd_tick_encode(&t, true, b, sizeof b);
    assert_non_null(ccwire_tick("rb2601.SHFE", 11, b, n, true, &out));
    assert_null(ccwire_tick("rb2601.SHFE", 11, b, n, false, &out));
    /* a price of the wrong type */
    uint8_t bad[64];
    size_t m = pack_pair(bad, sizeof bad, "datetime", 5, "last_price", 0, "x");
    assert_non_null(ccwire_tick("rb2601.SHFE", 11, bad, m, true, &out));
    assert_non_null(ccwire_tick("rb2601.SHFE", 11, "\xc1", 1, true, &out));
}

/* The name topic counts each other topic once, as a SUB sends them. */
static void test_name_topic(void **state)
{
    (void)state;
    char out[CCWIRE_NAME_TOPIC_MAX];
    static const char *const everything[] = {""};
    ccwire_name_topic(out, everything, 1, 0xab);
    assert_string_equal(out, "_client.3.00000000000000ab");
    static const char *const some[] = {"rb", "rb", "_hb", "cu"};
    ccwire_name_topic(out, some, 4, UINT64_MAX);
    assert_string_equal(out, "_client.4.ffffffffffffffff");
}

static void test_topic_is(void **state)
{
    (void)state;
    assert_true(ccwire_topic_is("_hb", 3, "_hb"));
    assert_false(ccwire_topic_is("_hbx", 4, "_hb"));
    assert_false(ccwire_topic_is("_h", 2, "_hb"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_end),
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_tick),
        cmocka_unit_test(test_name_topic),
        cmocka_unit_test(test_topic_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
