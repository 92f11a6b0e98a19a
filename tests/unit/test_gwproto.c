/* Gateway protocol codec: type frames, round trips, and rejection of
 * malformed bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <msgpack.h>
#include <string.h>

#include "hamd/gwproto.h"

#define BUF_MAX 65536 /* enough for HAMD_GW_SYMBOLS_MAX short symbols */

static uint8_t buf[BUF_MAX];

/* ---- a packer into an sbuffer for hand-made bodies ---- */

struct body {
    msgpack_sbuffer sb; /* the bytes */
    msgpack_packer pk;  /* packs into sb */
};

static void body_init(struct body *b)
{
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void body_str(struct body *b, const char *s)
{
    msgpack_pack_str_with_body(&b->pk, s, strlen(s));
}

/* ---- type frames ---- */

static void test_type_frames(void **state)
{
    (void)state;
    for (int t = HAMD_GW_HELLO; t <= HAMD_GW_STOP; t++) {
        const char *name = hamd_gw_type_name((enum hamd_gw_type)t);
        assert_non_null(name);
        assert_int_equal(hamd_gw_type_parse(name, strlen(name)), t);
    }
    assert_string_equal(hamd_gw_type_name(HAMD_GW_UNSUBSCRIBE), "UNSUBSCRIBE");
    assert_null(hamd_gw_type_name(HAMD_GW_UNKNOWN));
    assert_int_equal(hamd_gw_type_parse("tick", 4), HAMD_GW_UNKNOWN);
    assert_int_equal(hamd_gw_type_parse("TICKS", 5), HAMD_GW_UNKNOWN);
    assert_int_equal(hamd_gw_type_parse("TIC", 3), HAMD_GW_UNKNOWN);
    assert_int_equal(hamd_gw_type_parse("TICK\0", 5), HAMD_GW_UNKNOWN);
    assert_int_equal(hamd_gw_type_parse("", 0), HAMD_GW_UNKNOWN);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(hamd_gw_state_name(HAMD_GW_CONNECTING), "connecting");
    assert_string_equal(hamd_gw_state_name(HAMD_GW_CONNECTED), "connected");
    assert_string_equal(hamd_gw_state_name(HAMD_GW_LOGGED_IN), "logged_in");
    assert_string_equal(hamd_gw_state_name(HAMD_GW_DISCONNECTED),
                        "disconnected");
    assert_string_equal(hamd_gw_state_name(HAMD_GW_ERROR), "error");
    assert_string_equal(hamd_gw_state_name((enum hamd_gw_state)42), "unknown");
}

/* ---- HELLO ---- */

static void test_hello_round_trip(void **state)
{
    (void)state;
    struct hamd_gw_hello in = {"ctp_main", 12345, HAMD_GW_PROTO_VERSION,
                               "ctp", "a1b2c3"}, out;
    size_t n = hamd_gw_hello_encode(&in, buf, sizeof buf);
    assert_true(n > 0);
    assert_true(hamd_gw_hello_decode(buf, n, &out));
    assert_string_equal(out.account, "ctp_main");
    assert_int_equal(out.pid, 12345);
    assert_int_equal(out.proto, 1);
    assert_string_equal(out.gateway_type, "ctp");
    assert_string_equal(out.token, "a1b2c3");
    for (size_t cap = 0; cap < n; cap++)
        assert_int_equal(hamd_gw_hello_encode(&in, buf, cap), 0);
    /* Without a token, none goes out and none comes back. */
    in.token[0] = '\0';
    n = hamd_gw_hello_encode(&in, buf, sizeof buf);
    assert_true(hamd_gw_hello_decode(buf, n, &out));
    assert_string_equal(out.token, "");
    /* A token too long for the hub makes the HELLO malformed. */
    struct body b;
    body_init(&b);
    msgpack_pack_map(&b.pk, 3);
    body_str(&b, "account");
    body_str(&b, "ctp_main");
    body_str(&b, "proto");
    msgpack_pack_int(&b.pk, 1);
    body_str(&b, "token");
    char long_token[HAMD_GW_TOKEN_MAX + 1];
    memset(long_token, 'a', sizeof long_token - 1);
    long_token[sizeof long_token - 1] = '\0';
    body_str(&b, long_token);
    assert_false(hamd_gw_hello_decode(b.sb.data, b.sb.size, &out));
    msgpack_sbuffer_destroy(&b.sb);
}

static void test_hello_encode_refuses_bad_account(void **state)
{
    (void)state;
    struct hamd_gw_hello in = {"Bad Id", 1, 1, "sim", ""};
    assert_int_equal(hamd_gw_hello_encode(&in, buf, sizeof buf), 0);
}

/* A HELLO map of the given pairs: account, proto, extra key/value. */
static bool hello_decode_with(const char *account, bool with_proto,
                              bool proto_is_str, const char *gw_type)
{
    struct body b;
    body_init(&b);
    msgpack_pack_map(&b.pk, (account ? 1 : 0) + (with_proto ? 1 : 0) +
                                (gw_type ? 1 : 0) + 1);
    if (account) {
        body_str(&b, "account");
        body_str(&b, account);
    }
    if (with_proto) {
        body_str(&b, "proto");
        if (proto_is_str)
            body_str(&b, "1");
        else
            msgpack_pack_int(&b.pk, 1);
    }
    if (gw_type) {
        body_str(&b, "gateway_type");
        body_str(&b, gw_type);
    }
    body_str(&b, "future_key"); /* unknown keys are ignored */
    msgpack_pack_array(&b.pk, 0);
    struct hamd_gw_hello out;
    bool ok = hamd_gw_hello_decode(b.sb.data, b.sb.size, &out);
    msgpack_sbuffer_destroy(&b.sb);
    return ok;
}

static void test_hello_rejections(void **state)
{
    (void)state;
    char long_type[HAMD_GW_TYPE_MAX + 1];
    memset(long_type, 't', HAMD_GW_TYPE_MAX);
    long_type[HAMD_GW_TYPE_MAX] = '\0';
    assert_true(hello_decode_with("sim_a", true, false, "sim"));
    assert_true(hello_decode_with("sim_a", true, false, NULL)); /* optional */
    assert_false(hello_decode_with(NULL, true, false, "sim"));
    assert_false(hello_decode_with("sim_a", false, false, "sim"));
    assert_false(hello_decode_with("sim_a", true, true, "sim"));
    assert_false(hello_decode_with("Sim A", true, false, "sim"));
    assert_false(hello_decode_with("", true, false, "sim"));
    assert_false(hello_decode_with("a234567890123456789012345678901b", true,
                                   false, "sim")); /* 32 chars */
    assert_false(hello_decode_with("sim_a", true, false, long_type));
}

static void test_hello_wrong_pid_type(void **state)
{
    (void)state;
    struct body b;
    body_init(&b);
    msgpack_pack_map(&b.pk, 3);
    body_str(&b, "account");
    body_str(&b, "sim_a");
    body_str(&b, "proto");
    msgpack_pack_int(&b.pk, 1);
    body_str(&b, "pid");
    msgpack_pack_double(&b.pk, 1.0);
    struct hamd_gw_hello out;
    assert_false(hamd_gw_hello_decode(b.sb.data, b.sb.size, &out));
    msgpack_sbuffer_destroy(&b.sb);
}

/* ---- STATUS ---- */

static void test_status_round_trip_every_state(void **state)
{
    (void)state;
    for (int s = HAMD_GW_CONNECTING; s <= HAMD_GW_ERROR; s++) {
        struct hamd_gw_status in = {(enum hamd_gw_state)s, "front 1 down"};
        struct hamd_gw_status out;
        size_t n = hamd_gw_status_encode(&in, buf, sizeof buf);
        assert_true(n > 0);
        assert_true(hamd_gw_status_decode(buf, n, &out));
        assert_int_equal(out.state, s);
        assert_string_equal(out.detail, "front 1 down");
    }
    struct hamd_gw_status bad = {(enum hamd_gw_state)99, ""};
    assert_int_equal(hamd_gw_status_encode(&bad, buf, sizeof buf), 0);
}

static bool status_decode_pairs(const char *state_val, const char *detail,
                                bool detail_int)
{
    struct body b;
    body_init(&b);
    msgpack_pack_map(&b.pk, (state_val ? 1 : 0) + (detail || detail_int));
    if (state_val) {
        body_str(&b, "state");
        body_str(&b, state_val);
    }
    if (detail_int) {
        body_str(&b, "detail");
        msgpack_pack_int(&b.pk, 5);
    } else if (detail) {
        body_str(&b, "detail");
        body_str(&b, detail);
    }
    struct hamd_gw_status out;
    bool ok = hamd_gw_status_decode(b.sb.data, b.sb.size, &out);
    msgpack_sbuffer_destroy(&b.sb);
    return ok;
}

static void test_status_rejections(void **state)
{
    (void)state;
    char long_detail[HAMD_GW_DETAIL_MAX + 1];
    memset(long_detail, 'd', HAMD_GW_DETAIL_MAX);
    long_detail[HAMD_GW_DETAIL_MAX] = '\0';
    assert_true(status_decode_pairs("logged_in", NULL, false)); /* optional */
    assert_false(status_decode_pairs(NULL, "x", false));
    assert_false(status_decode_pairs("LOGGED_IN", NULL, false));
    assert_false(status_decode_pairs("sleeping", NULL, false));
    assert_false(status_decode_pairs("error", NULL, true));
    assert_false(status_decode_pairs("error", long_detail, false));
    assert_false(status_decode_pairs("error", "\xb9\xfa\xd5\xae", false));
    assert_true(status_decode_pairs("error", "\xe5\x89\x8d\xe7\xbd\xae",
                                    false)); /* UTF-8 text is fine */
    long_detail[HAMD_GW_DETAIL_MAX - 1] = '\0'; /* 127: fits */
    assert_true(status_decode_pairs("error", long_detail, false));
}

/* ---- HB ---- */

static void test_hb_round_trip_and_rejections(void **state)
{
    (void)state;
    int64_t ts = 0;
    size_t n = hamd_gw_hb_encode(1750000000123456789LL, buf, sizeof buf);
    assert_true(hamd_gw_hb_decode(buf, n, &ts));
    assert_int_equal(ts, 1750000000123456789LL);
    assert_int_equal(hamd_gw_hb_encode(1, buf, 3), 0);
    /* Wrong type, missing key, not a map, trailing byte, truncated. */
    assert_false(hamd_gw_hb_decode("\x81\xa5ts_ns\xa1x", 9, &ts));
    assert_false(hamd_gw_hb_decode("\x80", 1, &ts));
    assert_false(hamd_gw_hb_decode("\x91\x01", 2, &ts));
    memcpy(buf + n, "\xc0", 1);
    assert_false(hamd_gw_hb_decode(buf, n + 1, &ts));
    assert_false(hamd_gw_hb_decode(buf, n - 1, &ts));
    assert_false(hamd_gw_hb_decode("\x81\x01\x01", 3, &ts)); /* int key */
}

/* ---- SUBSCRIBE / UNSUBSCRIBE ---- */

struct collected {
    int calls;       /* fn calls */
    char last[64];   /* last symbol seen */
};

static void collect(void *ud, const char *sym)
{
    struct collected *c = ud;
    c->calls++;
    strcpy(c->last, sym);
}

static void test_symbols_round_trip(void **state)
{
    (void)state;
    const char *syms[] = {"rb2601.SHFE", "IF2601.CFFEX", "m2605-C-3000.DCE"};
    size_t n = hamd_gw_symbols_encode(syms, 3, buf, sizeof buf);
    assert_true(n > 0);
    struct collected c = {0, ""};
    assert_true(hamd_gw_symbols_decode(buf, n, collect, &c));
    assert_int_equal(c.calls, 3);
    assert_string_equal(c.last, "m2605-C-3000.DCE");
    /* Empty list is fine. */
    n = hamd_gw_symbols_encode(syms, 0, buf, sizeof buf);
    c.calls = 0;
    assert_true(hamd_gw_symbols_decode(buf, n, collect, &c));
    assert_int_equal(c.calls, 0);
}

static void test_symbols_max_count(void **state)
{
    (void)state;
    static const char *syms[HAMD_GW_SYMBOLS_MAX + 1];
    for (size_t i = 0; i <= HAMD_GW_SYMBOLS_MAX; i++)
        syms[i] = "rb2601.SHFE";
    size_t n = hamd_gw_symbols_encode(syms, HAMD_GW_SYMBOLS_MAX, buf,
                                      sizeof buf);
    assert_true(n > 0);
    struct collected c = {0, ""};
    assert_true(hamd_gw_symbols_decode(buf, n, collect, &c));
    assert_int_equal(c.calls, HAMD_GW_SYMBOLS_MAX);
    assert_int_equal(hamd_gw_symbols_encode(syms, HAMD_GW_SYMBOLS_MAX + 1,
                                            buf, sizeof buf), 0);
}

/* A symbols body whose second element is bad: no callback at all. */
static void test_symbols_rejections(void **state)
{
    (void)state;
    const char *bad_second[] = {"no_dot", "rb2601.", ".SHFE", "rb 2601.SHFE", "a.b.DCE",
                                "a23456789012345678901234567890123.SHFE"};
    for (size_t i = 0; i < sizeof bad_second / sizeof bad_second[0]; i++) {
        struct body b;
        body_init(&b);
        msgpack_pack_map(&b.pk, 1);
        body_str(&b, "symbols");
        msgpack_pack_array(&b.pk, 2);
        body_str(&b, "rb2601.SHFE");
        body_str(&b, bad_second[i]);
        struct collected c = {0, ""};
        assert_false(hamd_gw_symbols_decode(b.sb.data, b.sb.size, collect, &c));
        assert_int_equal(c.calls, 0);
        msgpack_sbuffer_destroy(&b.sb);
    }
    const char *bad_syms[] = {"nodot"};
    assert_int_equal(hamd_gw_symbols_encode(bad_syms, 1, buf, sizeof buf), 0);
    struct collected c = {0, ""};
    /* Not an array, missing key, element not a string, huge count. */
    assert_false(hamd_gw_symbols_decode("\x81\xa7symbols\xa1x", 10, collect, &c));
    assert_false(hamd_gw_symbols_decode("\x80", 1, collect, &c));
    assert_false(hamd_gw_symbols_decode("\x81\xa7symbols\x91\x01", 10,
                                        collect, &c));
    assert_false(hamd_gw_symbols_decode("\x81\xa7symbols\xdd\xff\xff\xff\xff",
                                        13, collect, &c));
    assert_int_equal(c.calls, 0);
}

/* ---- STOP and generic garbage ---- */

static void test_stop_encode(void **state)
{
    (void)state;
    assert_int_equal(hamd_gw_stop_encode(buf, sizeof buf), 1);
    assert_int_equal(buf[0], 0x80);
    assert_int_equal(hamd_gw_stop_encode(buf, 0), 0);
}

static void test_garbage_bodies_rejected(void **state)
{
    (void)state;
    const char *garbage[] = {"", "\xc1", "\xdf\xff\xff\xff\xff", "\x81",
                             "\xa4" "abcd", "\x92\x01\x02"};
    size_t lens[] = {0, 1, 5, 1, 5, 3};
    struct hamd_gw_hello h;
    struct hamd_gw_status s;
    int64_t ts;
    struct collected c = {0, ""};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        assert_false(hamd_gw_hello_decode(garbage[i], lens[i], &h));
        assert_false(hamd_gw_status_decode(garbage[i], lens[i], &s));
        assert_false(hamd_gw_hb_decode(garbage[i], lens[i], &ts));
        assert_false(hamd_gw_symbols_decode(garbage[i], lens[i], collect, &c));
    }
    assert_int_equal(c.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_frames),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_hello_round_trip),
        cmocka_unit_test(test_hello_encode_refuses_bad_account),
        cmocka_unit_test(test_hello_rejections),
        cmocka_unit_test(test_hello_wrong_pid_type),
        cmocka_unit_test(test_status_round_trip_every_state),
        cmocka_unit_test(test_status_rejections),
        cmocka_unit_test(test_hb_round_trip_and_rejections),
        cmocka_unit_test(test_symbols_round_trip),
        cmocka_unit_test(test_symbols_max_count),
        cmocka_unit_test(test_symbols_rejections),
        cmocka_unit_test(test_stop_encode),
        cmocka_unit_test(test_garbage_bodies_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
