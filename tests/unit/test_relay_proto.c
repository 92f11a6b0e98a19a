/* The relay channel's bodies (common/relay_proto.c): round trips, and
 * every malformed, oversized or hostile body refused whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "common/relay_proto.h"

static struct hamd_relay_cover two_accounts(void)
{
    struct hamd_relay_cover c;
    memset(&c, 0, sizeof c);
    c.node = 2;
    c.n_accounts = 2;
    strcpy(c.accounts[0].id, "sim_a");
    c.accounts[0].state = 1;
    c.accounts[0].healthy_ms = 12345;
    strcpy(c.accounts[1].id, "sim_b");
    c.accounts[1].state = 3;
    return c;
}

static void test_cover_round_trip(void **state)
{
    (void)state;
    struct hamd_relay_cover in = two_accounts(), out;
    uint8_t buf[HAMD_RELAY_COVER_BODY_MAX];
    size_t len = hamd_relay_cover_encode(&in, buf, sizeof buf);
    assert_true(len > 0);
    assert_true(hamd_relay_cover_decode(buf, len, &out));
    assert_int_equal(out.node, 2);
    assert_int_equal(out.n_accounts, 2);
    assert_string_equal(out.accounts[0].id, "sim_a");
    assert_int_equal(out.accounts[0].state, 1);
    assert_int_equal(out.accounts[0].healthy_ms, 12345);
    assert_int_equal(out.accounts[1].state, 3);
    /* Every strict prefix is refused. */
    for (size_t n = 0; n < len; n++)
        assert_false(hamd_relay_cover_decode(buf, n, &out));
    /* So is anything after the document. */
    buf[len] = 0xc0;
    assert_false(hamd_relay_cover_decode(buf, len + 1, &out));
}

static void test_cover_largest_fits_the_body_max(void **state)
{
    (void)state;
    struct hamd_relay_cover in, out;
    memset(&in, 0, sizeof in);
    in.node = 65535;
    in.n_accounts = HAMD_RELAY_COVER_ACCOUNTS_MAX;
    for (unsigned i = 0; i < in.n_accounts; i++) {
        snprintf(in.accounts[i].id, sizeof in.accounts[i].id,
                 "a234567890123456789012345678%03u", i);
        in.accounts[i].state = 5;
        in.accounts[i].healthy_ms = INT64_MAX;
    }
    uint8_t buf[HAMD_RELAY_COVER_BODY_MAX];
    size_t len = hamd_relay_cover_encode(&in, buf, sizeof buf);
    assert_true(len > 0);
    assert_true(hamd_relay_cover_decode(buf, len, &out));
    assert_int_equal(out.n_accounts, HAMD_RELAY_COVER_ACCOUNTS_MAX);
    /* One too many is refused by both sides. */
    in.n_accounts++;
    assert_int_equal(hamd_relay_cover_encode(&in, buf, sizeof buf), 0);
}

/* Packs a document with msgpack-c (the hostile sender's view). */
static size_t pack(uint8_t *out, size_t cap,
                   void (*fn)(msgpack_packer *pk))
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fn(&pk);
    size_t n = sb.size < cap ? sb.size : 0;
    memcpy(out, sb.data, n);
    msgpack_sbuffer_destroy(&sb);
    return n;
}

static void str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void acct(msgpack_packer *pk, const char *id, int state, int64_t ms)
{
    msgpack_pack_array(pk, 3);
    str(pk, id);
    msgpack_pack_int64(pk, state);
    msgpack_pack_int64(pk, ms);
}

static void bad_node0(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint32(pk, 0);
    msgpack_pack_array(pk, 0);
}
static void bad_state(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint32(pk, 1);
    msgpack_pack_array(pk, 1);
    acct(pk, "sim_a", 6, 0);
}
static void bad_id(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint32(pk, 1);
    msgpack_pack_array(pk, 1);
    acct(pk, "Sim A", 1, 0);
}
static void bad_ms(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint32(pk, 1);
    msgpack_pack_array(pk, 1);
    acct(pk, "sim_a", 1, -1);
}
static void bad_count(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint32(pk, 1);
    msgpack_pack_array(pk, 0xffffffffu); /* declares 4 billion accounts */
}
static void bad_shape(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    str(pk, "node");
    msgpack_pack_uint32(pk, 1);
}

static void test_cover_rejects(void **state)
{
    (void)state;
    void (*bad[])(msgpack_packer *) = {bad_node0, bad_state, bad_id, bad_ms,
                                       bad_count, bad_shape};
    uint8_t buf[256];
    struct hamd_relay_cover out;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = pack(buf, sizeof buf, bad[i]);
        assert_true(n > 0);
        assert_false(hamd_relay_cover_decode(buf, n, &out));
    }
    struct hamd_relay_cover in = two_accounts();
    in.accounts[1].state = HAMD_RELAY_COVER_STATES;
    assert_int_equal(hamd_relay_cover_encode(&in, buf, sizeof buf), 0);
    in = two_accounts();
    assert_int_equal(hamd_relay_cover_encode(&in, buf, 8), 0); /* too small */
}

/* Collects the pairs of a RELAY as "sym=acct,". */
static void collect(void *ud, const char *sym, const char *acct)
{
    char *out = ud;
    strcat(out, sym);
    strcat(out, "=");
    strcat(out, acct);
    strcat(out, ",");
}

static size_t relay_body(uint8_t *buf, size_t cap, const char *const *pairs,
                         size_t n)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(hamd_relay_set_pack_begin(&pk, n), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hamd_relay_set_pack_pair(&pk, pairs[2 * i],
                                                  pairs[2 * i + 1]), 0);
    assert_true(sb.size <= cap);
    memcpy(buf, sb.data, sb.size);
    size_t len = sb.size;
    msgpack_sbuffer_destroy(&sb);
    return len;
}

static void test_relay_set(void **state)
{
    (void)state;
    uint8_t buf[512];
    char out[256] = "";
    const char *pairs[] = {"rb2601.SHFE", "sim_a", "cu2601.SHFE", "sim_b"};
    size_t len = relay_body(buf, sizeof buf, pairs, 2);
    assert_true(hamd_relay_set_decode(buf, len, collect, out));
    assert_string_equal(out, "rb2601.SHFE=sim_a,cu2601.SHFE=sim_b,");
    assert_true(hamd_relay_set_decode(buf, len, NULL, NULL));
    /* Empty: relay nothing. */
    len = relay_body(buf, sizeof buf, pairs, 0);
    out[0] = '\0';
    assert_true(hamd_relay_set_decode(buf, len, collect, out));
    assert_string_equal(out, "");
    /* One bad pair refuses the whole set: fn is never called. */
    const char *bad[] = {"rb2601.SHFE", "sim_a", "nodot", "sim_b"};
    len = relay_body(buf, sizeof buf, bad, 2);
    assert_false(hamd_relay_set_decode(buf, len, collect, out));
    assert_string_equal(out, "");
    const char *bad_acct[] = {"rb2601.SHFE", "sim a"};
    len = relay_body(buf, sizeof buf, bad_acct, 1);
    assert_false(hamd_relay_set_decode(buf, len, collect, out));
    for (size_t n = 0; n + 1 < len; n++)
        assert_false(hamd_relay_set_decode(buf, n, collect, out));
    assert_string_equal(out, "");
}

static void test_relay_ids(void **state)
{
    (void)state;
    char id[HAMD_RELAY_ID_MAX];
    assert_int_equal(hamd_relay_id_format(id, sizeof id, 65535), 0);
    assert_string_equal(id, "node-65535");
    assert_int_equal(hamd_relay_id_parse(id, strlen(id)), 65535);
    assert_int_equal(hamd_relay_id_parse("node-2", 6), 2);
    assert_int_equal(hamd_relay_id_format(id, sizeof id, 0), -1);
    assert_int_equal(hamd_relay_id_format(id, 6, 2), -1);
    const char *bad[] = {"node-", "node-0", "node-02", "node-65536",
                         "node-2x", "nod-2", "node-123456", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hamd_relay_id_parse(bad[i], strlen(bad[i])), 0);
    assert_int_equal(hamd_relay_id_parse(NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cover_round_trip),
        cmocka_unit_test(test_cover_largest_fits_the_body_max),
        cmocka_unit_test(test_cover_rejects),
        cmocka_unit_test(test_relay_set),
        cmocka_unit_test(test_relay_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
