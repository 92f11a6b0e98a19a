/* Tick wire codec: round trips of every field, and every kind of bad body
 * rejected with the right reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <msgpack.h>
#include <string.h>

#include "hamd/tick.h"
#include "unit_tick.h"

/* ---- a tiny body builder: a valid base tick with per-test overrides ---- */

enum val_type { V_OMIT, V_STR, V_INT, V_UINT, V_DBL, V_F32, V_NIL, V_ARR,
                V_MAP, V_BOOL, V_RAW };

struct kv {
    const char *key;    /* map key */
    enum val_type type; /* how to pack the value */
    const char *s;      /* V_STR; V_RAW: raw bytes */
    int64_t i;          /* V_INT; V_STR/V_RAW: length when s has NULs */
    uint64_t u;         /* V_UINT */
    double d;           /* V_DBL, V_F32 */
};

#define BASE_DT 1750000000123456789LL

static const struct kv BASE[] = {
    {"symbol", V_STR, "rb2601", 0, 0, 0},
    {"exchange", V_STR, "SHFE", 0, 0, 0},
    {"datetime", V_INT, NULL, BASE_DT, 0, 0},
    {"last_price", V_DBL, NULL, 0, 0, 3500.5},
    {"volume", V_DBL, NULL, 0, 0, 1200},
};
#define NBASE (sizeof BASE / sizeof BASE[0])

static void pack_val(msgpack_packer *pk, const struct kv *e)
{
    size_t n = e->s ? (e->i > 0 ? (size_t)e->i : strlen(e->s)) : 0;
    switch (e->type) {
    case V_STR: msgpack_pack_str_with_body(pk, e->s, n); break;
    case V_INT: msgpack_pack_int64(pk, e->i); break;
    case V_UINT: msgpack_pack_uint64(pk, e->u); break;
    case V_DBL: msgpack_pack_double(pk, e->d); break;
    case V_F32: msgpack_pack_float(pk, (float)e->d); break;
    case V_NIL: msgpack_pack_nil(pk); break;
    case V_ARR: msgpack_pack_array(pk, 1); msgpack_pack_int(pk, 1); break;
    case V_MAP: msgpack_pack_map(pk, 0); break;
    case V_BOOL: msgpack_pack_true(pk); break;
    case V_RAW: pk->callback(pk->data, e->s, n); break;
    case V_OMIT: break;
    }
}

static const struct kv *find_kv(const struct kv *kvs, size_t n, const char *k)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kvs[i].key, k) == 0)
            return &kvs[i];
    return NULL;
}

/* Packs BASE with ov applied (replaced, omitted or appended) into sb. */
static void build(msgpack_sbuffer *sb, const struct kv *ov, size_t nov)
{
    const struct kv *list[NBASE + 8];
    size_t n = 0;
    for (size_t i = 0; i < NBASE; i++) {
        const struct kv *o = find_kv(ov, nov, BASE[i].key);
        if (!o)
            list[n++] = &BASE[i];
        else if (o->type != V_OMIT)
            list[n++] = o;
    }
    for (size_t i = 0; i < nov; i++)
        if (!find_kv(BASE, NBASE, ov[i].key) && ov[i].type != V_OMIT)
            list[n++] = &ov[i];
    msgpack_sbuffer_init(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_str_with_body(&pk, list[i]->key, strlen(list[i]->key));
        pack_val(&pk, list[i]);
    }
}

/* Decodes BASE with one override applied. */
static enum hamd_tick_err decode_with(struct kv ov, struct hamd_tick *out)
{
    msgpack_sbuffer sb;
    build(&sb, &ov, 1);
    enum hamd_tick_err err = hamd_tick_decode(sb.data, sb.size, out);
    msgpack_sbuffer_destroy(&sb);
    return err;
}

static enum hamd_tick_err decode_raw(const char *bytes, size_t len)
{
    struct hamd_tick t;
    return hamd_tick_decode(bytes, len, &t);
}

static void assert_tick_equal(const struct hamd_tick *a,
                              const struct hamd_tick *b)
{
    assert_string_equal(a->symbol, b->symbol);
    assert_string_equal(a->exchange, b->exchange);
    assert_string_equal(a->vt_symbol, b->vt_symbol);
    assert_string_equal(a->gateway_name, b->gateway_name);
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->datetime_ns, b->datetime_ns);
    assert_int_equal(a->localtime_ns, b->localtime_ns);
    /* Every double compared bit-exactly: the codec must not round. */
    assert_memory_equal(&a->volume, &b->volume,
                        offsetof(struct hamd_tick, has_hub) -
                            offsetof(struct hamd_tick, volume));
    assert_int_equal(a->has_hub, b->has_hub);
    assert_int_equal(a->term, b->term);
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->node, b->node);
    assert_int_equal(a->hub_ns, b->hub_ns);
    assert_int_equal(a->extra_len, b->extra_len);
    assert_memory_equal(a->extra, b->extra, a->extra_len);
}

static void test_round_trip_every_field_with_hub(void **state)
{
    (void)state;
    struct hamd_tick in, out;
    uint8_t buf[HAMD_TICK_WIRE_MAX], again[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&in);
    size_t n = hamd_tick_encode(&in, true, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(hamd_tick_decode(buf, n, &out), HAMD_TICK_OK);
    assert_tick_equal(&in, &out);
    int64_t seq = 0;
    assert_true(hamd_tick_extra_int(&out, "sim_seq", &seq));
    assert_int_equal(seq, 987654321);
    /* Re-encoding the decoded tick gives the very same bytes. */
    assert_int_equal(hamd_tick_encode(&out, true, again, sizeof again), n);
    assert_memory_equal(buf, again, n);
}

static void test_round_trip_without_hub(void **state)
{
    (void)state;
    struct hamd_tick in, out;
    uint8_t buf[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&in);
    size_t n = hamd_tick_encode(&in, false, buf, sizeof buf);
    assert_int_equal(hamd_tick_decode(buf, n, &out), HAMD_TICK_OK);
    assert_false(out.has_hub);
    assert_int_equal(out.term, 0);
    assert_int_equal(out.seq, 0);
    assert_int_equal(out.node, 0);
    assert_int_equal(out.hub_ns, 0);
    in.has_hub = false;
    in.term = in.seq = 0;
    in.node = 0;
    in.hub_ns = 0;
    assert_tick_equal(&in, &out);
}

static void test_encode_omits_empty_extra(void **state)
{
    (void)state;
    struct hamd_tick in, out;
    uint8_t buf[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&in);
    in.extra_len = 0;
    size_t n = hamd_tick_encode(&in, false, buf, sizeof buf);
    assert_int_equal(hamd_tick_decode(buf, n, &out), HAMD_TICK_OK);
    assert_int_equal(out.extra_len, 0);
    int64_t v;
    assert_false(hamd_tick_extra_int(&out, "sim_seq", &v));
}

/* An extra map from another encoder (nested, mixed types) is kept
 * byte-for-byte and re-emitted unchanged. */
static void test_extra_carried_verbatim(void **state)
{
    (void)state;
    msgpack_sbuffer ex;
    msgpack_sbuffer_init(&ex);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &ex, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "note", 4);
    msgpack_pack_str_with_body(&pk, "x", 1);
    msgpack_pack_str_with_body(&pk, "nested", 6);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_int(&pk, 5);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_nil(&pk);
    msgpack_pack_double(&pk, 1.5);
    msgpack_pack_str_with_body(&pk, "sim_seq", 7);
    msgpack_pack_int64(&pk, -42);

    struct hamd_tick t;
    struct kv ov = {"extra", V_RAW, ex.data, (int64_t)ex.size, 0, 0};
    assert_int_equal(decode_with(ov, &t), HAMD_TICK_OK);
    assert_int_equal(t.extra_len, ex.size);
    assert_memory_equal(t.extra, ex.data, ex.size);
    int64_t v = 0;
    assert_true(hamd_tick_extra_int(&t, "sim_seq", &v));
    assert_int_equal(v, -42);
    assert_false(hamd_tick_extra_int(&t, "note", &v));   /* not an int */
    assert_false(hamd_tick_extra_int(&t, "absent", &v));

    uint8_t buf[HAMD_TICK_WIRE_MAX];
    size_t n = hamd_tick_encode(&t, false, buf, sizeof buf);
    assert_true(n > ex.size);
    assert_memory_equal(buf + n - ex.size, ex.data, ex.size);
    msgpack_sbuffer_destroy(&ex);
}

static void test_extra_set_int_too_long_key(void **state)
{
    (void)state;
    struct hamd_tick t;
    char key[HAMD_TICK_EXTRA_MAX + 1];
    memset(&t, 0, sizeof t);
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    assert_true(hamd_tick_extra_set_int(&t, "a", 1));
    assert_false(hamd_tick_extra_set_int(&t, key, 2));
    int64_t v = 0;
    assert_true(hamd_tick_extra_int(&t, "a", &v)); /* left unchanged */
    assert_int_equal(v, 1);
}

static void test_encode_tiny_buffer_returns_zero(void **state)
{
    (void)state;
    struct hamd_tick t;
    uint8_t buf[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&t);
    size_t n = hamd_tick_encode(&t, true, buf, sizeof buf);
    assert_true(n > 0);
    for (size_t cap = 0; cap < n; cap++)
        assert_int_equal(hamd_tick_encode(&t, true, buf, cap), 0);
    assert_int_equal(hamd_tick_encode(&t, true, buf, n), n);
}

/* Unpacks body with msgpack-c and packs the object again: the encoder
 * writes its own msgpack, and must write exactly what msgpack-c's packer
 * writes for the same values (smallest integer forms, str8, float64). */
static void assert_repacks_identically(const uint8_t *body, size_t len)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&u, (const char *)body, len, &off),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, len);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(msgpack_pack_object(&pk, u.data), 0);
    assert_int_equal(sb.size, len);
    assert_memory_equal(sb.data, body, len);
    msgpack_sbuffer_destroy(&sb);
    msgpack_unpacked_destroy(&u);
}

static void test_encoding_matches_msgpack_c(void **state)
{
    (void)state;
    /* Every boundary between integer forms, both signs. */
    static const int64_t ints[] = {
        INT64_MIN, -2147483649LL, INT32_MIN, -32769, INT16_MIN, -129,
        INT8_MIN, -33, -32, -1, 0, 1, 127, 128, 255, 256, 65535, 65536,
        4294967295LL, 4294967296LL, BASE_DT, INT64_MAX};
    static const size_t name_lens[] = {0, 1, 31, 32, HAMD_TICK_NAME_MAX - 1};
    struct hamd_tick t;
    uint8_t buf[HAMD_TICK_WIRE_MAX];
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        for (int hub = 0; hub < 2; hub++) {
            unit_tick_fill(&t);
            t.datetime_ns = ints[i];
            t.localtime_ns = -ints[i] - 1;
            t.hub_ns = ints[i];
            t.term = (uint64_t)ints[i];
            t.seq = (uint64_t)ints[i] >> 1;
            t.node = (uint32_t)ints[i];
            t.last_price = (double)ints[i] / 3;
            memset(t.name, 'n', sizeof t.name);
            t.name[name_lens[i % 5]] = '\0';
            if (i % 2)
                t.extra_len = 0;
            size_t n = hamd_tick_encode(&t, hub, buf, sizeof buf);
            assert_true(n > 0);
            assert_repacks_identically(buf, n);
        }
    }
}

/* Longest strings and a full extra map still fit HAMD_TICK_WIRE_MAX. */
static void test_largest_tick_fits_wire_max(void **state)
{
    (void)state;
    struct hamd_tick t, out;
    uint8_t buf[HAMD_TICK_WIRE_MAX];
    unit_tick_fill_largest(&t);
    size_t n = hamd_tick_encode(&t, true, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(hamd_tick_decode(buf, n, &out), HAMD_TICK_OK);
    assert_int_equal(strlen(out.vt_symbol), HAMD_VT_SYMBOL_MAX - 1);
}

static void test_minimal_tick_and_derived_vt_symbol(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    struct hamd_tick t;
    build(&sb, NULL, 0);
    assert_int_equal(hamd_tick_decode(sb.data, sb.size, &t), HAMD_TICK_OK);
    msgpack_sbuffer_destroy(&sb);
    assert_string_equal(t.vt_symbol, "rb2601.SHFE");
    assert_int_equal(t.datetime_ns, BASE_DT);
    assert_true(t.last_price == 3500.5);
    assert_true(t.bid_price[0] == 0);
    assert_false(t.has_hub);
    assert_int_equal(t.extra_len, 0);
}

static void test_matching_vt_symbol_accepted(void **state)
{
    (void)state;
    struct hamd_tick t;
    struct kv ov = {"vt_symbol", V_STR, "rb2601.SHFE", 0, 0, 0};
    assert_int_equal(decode_with(ov, &t), HAMD_TICK_OK);
}

static void test_ints_accepted_for_floats(void **state)
{
    (void)state;
    struct hamd_tick t;
    struct kv ov[] = {
        {"last_price", V_UINT, NULL, 0, 3500, 0},
        {"bid_volume_3", V_UINT, NULL, 0, 1ull << 53, 0},
        {"ask_price_5", V_F32, NULL, 0, 0, 0.25},
    };
    msgpack_sbuffer sb;
    build(&sb, ov, 3);
    assert_int_equal(hamd_tick_decode(sb.data, sb.size, &t), HAMD_TICK_OK);
    msgpack_sbuffer_destroy(&sb);
    assert_true(t.last_price == 3500.0);
    assert_true(t.bid_volume[2] == 9007199254740992.0);
    assert_true(t.ask_price[4] == 0.25);
}

static void test_unknown_keys_ignored(void **state)
{
    (void)state;
    struct hamd_tick t;
    struct kv ov[] = {
        {"future_field", V_ARR, NULL, 0, 0, 0},
        {"another", V_STR, "whatever", 0, 0, 0},
        {"bid_price_6", V_BOOL, NULL, 0, 0, 0},
    };
    msgpack_sbuffer sb;
    build(&sb, ov, 3);
    assert_int_equal(hamd_tick_decode(sb.data, sb.size, &t), HAMD_TICK_OK);
    msgpack_sbuffer_destroy(&sb);
    assert_string_equal(t.symbol, "rb2601");
}

static void test_nil_reads_as_absent(void **state)
{
    (void)state;
    struct hamd_tick t;
    struct kv lt = {"localtime", V_NIL, NULL, 0, 0, 0};
    assert_int_equal(decode_with(lt, &t), HAMD_TICK_OK);
    assert_int_equal(t.localtime_ns, 0);
    struct kv sym = {"symbol", V_NIL, NULL, 0, 0, 0};
    assert_int_equal(decode_with(sym, &t), HAMD_TICK_EMISSING);
}

/* ---- rejections ---- */

static void test_reject_bad_msgpack(void **state)
{
    (void)state;
    assert_int_equal(decode_raw("", 0), HAMD_TICK_EMSGPACK);
    assert_int_equal(decode_raw("\xc1", 1), HAMD_TICK_EMSGPACK); /* reserved */
    assert_int_equal(decode_raw("\x81\xa6symbol\xc1", 9), HAMD_TICK_EMSGPACK);
    /* Containers claiming 2^32 - 1 elements fail fast, allocating nothing. */
    assert_int_equal(decode_raw("\xdf\xff\xff\xff\xff", 5), HAMD_TICK_EMSGPACK);
    assert_int_equal(decode_raw("\x81\xa5" "extra\xdf\xff\xff\xff\xff", 12),
                     HAMD_TICK_EMSGPACK);
    assert_int_equal(decode_raw("\xdd\xff\xff\xff\xff", 5), HAMD_TICK_EMSGPACK);
}

/* Every strict prefix of a valid body is an incomplete document. */
static void test_reject_truncated_everywhere(void **state)
{
    (void)state;
    struct hamd_tick t;
    uint8_t buf[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&t);
    size_t n = hamd_tick_encode(&t, true, buf, sizeof buf);
    for (size_t len = 0; len < n; len++)
        assert_int_equal(hamd_tick_decode(buf, len, &t), HAMD_TICK_EMSGPACK);
}

static void test_reject_trailing_garbage(void **state)
{
    (void)state;
    struct hamd_tick t;
    uint8_t buf[HAMD_TICK_WIRE_MAX + 1];
    unit_tick_fill(&t);
    size_t n = hamd_tick_encode(&t, false, buf, HAMD_TICK_WIRE_MAX);
    buf[n] = 0x00; /* a complete second value: still trailing bytes */
    assert_int_equal(hamd_tick_decode(buf, n + 1, &t), HAMD_TICK_EMSGPACK);
}

static void test_reject_not_a_map(void **state)
{
    (void)state;
    assert_int_equal(decode_raw("\x92\x01\x02", 3), HAMD_TICK_ENOTMAP);
    assert_int_equal(decode_raw("\xa3" "abc", 4), HAMD_TICK_ENOTMAP);
    assert_int_equal(decode_raw("\x92\x01", 2), HAMD_TICK_EMSGPACK);
    /* An integer key: not a map with string keys. */
    msgpack_sbuffer sb;
    build(&sb, NULL, 0);
    char buf[256];
    memcpy(buf, sb.data, sb.size);
    buf[0]++;                 /* fixmap: one more pair */
    buf[sb.size] = 0x07;      /* key 7 */
    buf[sb.size + 1] = 0x01;  /* value 1 */
    assert_int_equal(decode_raw(buf, sb.size + 2), HAMD_TICK_ENOTMAP);
    msgpack_sbuffer_destroy(&sb);
}

struct reject_case {
    struct kv ov;              /* the one override */
    enum hamd_tick_err expect; /* the verdict */
};

static void test_reject_field_errors(void **state)
{
    (void)state;
    char longsym[HAMD_SYMBOL_MAX + 1];
    char longname[HAMD_TICK_NAME_MAX + 1];
    memset(longsym, 'a', HAMD_SYMBOL_MAX);       /* 32 chars: one too many */
    longsym[HAMD_SYMBOL_MAX] = '\0';
    memset(longname, 'n', HAMD_TICK_NAME_MAX);
    longname[HAMD_TICK_NAME_MAX] = '\0';
    const struct reject_case cases[] = {
        {{"symbol", V_INT, NULL, 5, 0, 0}, HAMD_TICK_ETYPE},
        {{"exchange", V_ARR, NULL, 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"last_price", V_STR, "3500", 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"ask_volume_5", V_BOOL, NULL, 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"datetime", V_DBL, NULL, 0, 0, 1.75e18}, HAMD_TICK_ETYPE},
        {{"datetime", V_STR, "2026-06-24", 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"datetime", V_UINT, NULL, 0, UINT64_MAX, 0}, HAMD_TICK_ETYPE},
        {{"term", V_INT, NULL, -1, 0, 0}, HAMD_TICK_ETYPE},
        {{"node", V_UINT, NULL, 0, 1ull << 32, 0}, HAMD_TICK_ETYPE},
        {{"extra", V_ARR, NULL, 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"extra", V_STR, "x", 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"name", V_STR, "a\0b", 3, 0, 0}, HAMD_TICK_ETYPE},
        {{"name", V_STR, "\xb9\xfa\xd5\xae", 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"symbol", V_STR, "rb\xe9" "2601", 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"symbol", V_STR, "rb.2601", 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"symbol", V_STR, "rb 2601", 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"exchange", V_STR, "SH\tFE", 0, 0, 0}, HAMD_TICK_ETYPE},
        {{"symbol", V_OMIT, NULL, 0, 0, 0}, HAMD_TICK_EMISSING},
        {{"exchange", V_OMIT, NULL, 0, 0, 0}, HAMD_TICK_EMISSING},
        {{"datetime", V_OMIT, NULL, 0, 0, 0}, HAMD_TICK_EMISSING},
        {{"symbol", V_STR, "", 0, 0, 0}, HAMD_TICK_EMISSING},
        {{"exchange", V_STR, "", 0, 0, 0}, HAMD_TICK_EMISSING},
        {{"symbol", V_STR, longsym, 0, 0, 0}, HAMD_TICK_ETOOLONG},
        {{"name", V_STR, longname, 0, 0, 0}, HAMD_TICK_ETOOLONG},
        {{"exchange", V_STR, "ABCDEFGHIJKLMNOP", 0, 0, 0}, HAMD_TICK_ETOOLONG},
        {{"last_price", V_DBL, NULL, 0, 0, NAN}, HAMD_TICK_EPRICE},
        {{"bid_price_1", V_DBL, NULL, 0, 0, INFINITY}, HAMD_TICK_EPRICE},
        {{"turnover", V_DBL, NULL, 0, 0, -INFINITY}, HAMD_TICK_EPRICE},
        {{"volume", V_DBL, NULL, 0, 0, -1.0}, HAMD_TICK_EPRICE},
        {{"ask_volume_2", V_INT, NULL, -3, 0, 0}, HAMD_TICK_EPRICE},
        {{"pre_close", V_F32, NULL, 0, 0, NAN}, HAMD_TICK_EPRICE},
        {{"vt_symbol", V_STR, "rb2601.DCE", 0, 0, 0}, HAMD_TICK_EVTSYMBOL},
        {{"vt_symbol", V_STR, "rb2601", 0, 0, 0}, HAMD_TICK_EVTSYMBOL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hamd_tick t;
        enum hamd_tick_err got = decode_with(cases[i].ov, &t);
        if (got != cases[i].expect)
            fail_msg("case %zu (%s): got %s, want %s", i, cases[i].ov.key,
                     hamd_tick_strerror(got),
                     hamd_tick_strerror(cases[i].expect));
    }
}

static void test_reject_extra_too_long(void **state)
{
    (void)state;
    char big[HAMD_TICK_EXTRA_MAX + 8];
    size_t slen = HAMD_TICK_EXTRA_MAX; /* str8 of 256 bytes, in a map */
    big[0] = (char)0x81;
    big[1] = (char)0xa1;
    big[2] = 'k';
    big[3] = (char)0xda; /* str16 */
    big[4] = (char)(slen >> 8);
    big[5] = (char)(slen & 0xff);
    memset(big + 6, 'v', slen);
    struct hamd_tick t;
    struct kv ov = {"extra", V_RAW, big, (int64_t)(6 + slen), 0, 0};
    assert_int_equal(decode_with(ov, &t), HAMD_TICK_ETOOLONG);
}

/* Broken bytes after a bad field still report the broken bytes. */
static void test_broken_bytes_win_over_field_errors(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    struct kv ov = {"volume", V_DBL, NULL, 0, 0, -5};
    build(&sb, &ov, 1);
    assert_int_equal(decode_raw(sb.data, sb.size), HAMD_TICK_EPRICE);
    assert_int_equal(decode_raw(sb.data, sb.size - 1), HAMD_TICK_EMSGPACK);
    msgpack_sbuffer_destroy(&sb);
}

/* Random corruption of a valid body never crashes (run under ASan). */
static void test_corrupted_bodies_do_not_crash(void **state)
{
    (void)state;
    struct hamd_tick t;
    uint8_t good[HAMD_TICK_WIRE_MAX], buf[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&t);
    size_t n = hamd_tick_encode(&t, true, good, sizeof good);
    uint32_t x = 12345;
    unsigned ok = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, good, n);
        for (int k = 0; k < 3; k++) {
            x = x * 1103515245u + 12345u;
            buf[(x >> 8) % n] = (uint8_t)(x >> 20);
        }
        if (hamd_tick_decode(buf, n, &t) == HAMD_TICK_OK)
            ok++;
    }
    assert_true(ok < 20000); /* some corruption must have been caught */
}

/* The hub's own layout takes the decoder's fast path; at a value it does
 * not expect it falls back, and the answer is the generic decoder's. */
static void test_hub_layout_values_as_generic(void **state)
{
    (void)state;
    struct hamd_tick t, out;
    uint8_t buf[HAMD_TICK_WIRE_MAX];
    unit_tick_fill(&t);
    memset(t.name, 'n', 40); /* str8, not a fixstr */
    t.name[40] = '\0';
    size_t len = hamd_tick_encode(&t, true, buf, sizeof buf);
    assert_int_equal(hamd_tick_decode(buf, len, &out), HAMD_TICK_OK);
    assert_string_equal(out.name, t.name);
    assert_true(out.ask_price[4] == t.ask_price[4] && out.seq == t.seq);
    t.last_price = -1;
    len = hamd_tick_encode(&t, true, buf, sizeof buf);
    assert_int_equal(hamd_tick_decode(buf, len, &out), HAMD_TICK_EPRICE);
    unit_tick_fill(&t);
    t.bid_volume[2] = NAN;
    len = hamd_tick_encode(&t, true, buf, sizeof buf);
    assert_int_equal(hamd_tick_decode(buf, len, &out), HAMD_TICK_EPRICE);
    /* integers in every form the encoder writes, a negative time too */
    const int64_t times[] = {0, 5, 200, 70000, 5000000000LL, -3, -100,
                             -40000, -3000000000LL, INT64_MIN};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        unit_tick_fill(&t);
        t.localtime_ns = times[i];
        t.seq = (uint64_t)i * 1000003u;
        t.node = (uint32_t)(i * 70000);
        len = hamd_tick_encode(&t, true, buf, sizeof buf);
        assert_int_equal(hamd_tick_decode(buf, len, &out), HAMD_TICK_OK);
        assert_true(out.localtime_ns == times[i] && out.seq == t.seq &&
                    out.node == t.node);
    }
    unit_tick_fill(&t);
    strcpy(t.symbol, "rb 2601"); /* a space: not a code */
    len = hamd_tick_encode(&t, true, buf, sizeof buf);
    assert_int_equal(hamd_tick_decode(buf, len, &out), HAMD_TICK_ETYPE);
}

static void test_cmp_age(void **state)
{
    (void)state;
    assert_true(hamd_tick_cmp_age(1, 100, 2, 0) < 0);
    assert_true(hamd_tick_cmp_age(2, 0, 1, 100) > 0);
    assert_true(hamd_tick_cmp_age(5, 10, 5, 11) < 0);
    assert_true(hamd_tick_cmp_age(5, 12, 5, 11) > 0);
    assert_int_equal(hamd_tick_cmp_age(5, 11, 5, 11), 0);
}

/* BASE and then the pair (key, v) once more. */
static enum hamd_tick_err decode_with_repeat(const struct kv *again)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, NBASE + 1);
    for (size_t i = 0; i < NBASE; i++) {
        msgpack_pack_str_with_body(&pk, BASE[i].key, strlen(BASE[i].key));
        pack_val(&pk, &BASE[i]);
    }
    msgpack_pack_str_with_body(&pk, again->key, strlen(again->key));
    pack_val(&pk, again);
    struct hamd_tick t;
    enum hamd_tick_err err = hamd_tick_decode(sb.data, sb.size, &t);
    msgpack_sbuffer_destroy(&sb);
    return err;
}

/* A known key twice is refused, whatever the second value; an unknown
 * key twice is ignored twice. */
static void test_reject_repeated_key(void **state)
{
    (void)state;
    static const struct kv again[] = {
        {"datetime", V_INT, NULL, BASE_DT + 1, 0, 0},
        {"datetime", V_INT, NULL, BASE_DT, 0, 0}, /* even the same value */
        {"volume", V_NIL, NULL, 0, 0, 0},
        {"symbol", V_STR, "rb2605", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof again / sizeof again[0]; i++)
        assert_int_equal(decode_with_repeat(&again[i]), HAMD_TICK_EREPEATED);
    struct kv unknown = {"comment", V_STR, "x", 0, 0, 0};
    struct kv twice[] = {unknown, unknown};
    msgpack_sbuffer sb;
    build(&sb, twice, 2);
    struct hamd_tick t;
    assert_int_equal(hamd_tick_decode(sb.data, sb.size, &t), HAMD_TICK_OK);
    msgpack_sbuffer_destroy(&sb);
}

static void test_strerror_names(void **state)
{
    (void)state;
    assert_string_equal(hamd_tick_strerror(HAMD_TICK_OK), "ok");
    for (int a = HAMD_TICK_OK; a <= HAMD_TICK_EREPEATED; a++)
        for (int b = a + 1; b <= HAMD_TICK_EREPEATED; b++)
            assert_string_not_equal(hamd_tick_strerror(a),
                                    hamd_tick_strerror(b));
}

static void test_code_valid(void **state)
{
    (void)state;
    assert_true(hamd_tick_code_valid("rb2601", 6));
    assert_true(hamd_tick_code_valid("IF-2601_C", 9));
    assert_false(hamd_tick_code_valid("", 0));
    assert_false(hamd_tick_code_valid("a.b", 3));
    assert_false(hamd_tick_code_valid("a b", 3));
    assert_false(hamd_tick_code_valid("a\x7f", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_field_with_hub),
        cmocka_unit_test(test_round_trip_without_hub),
        cmocka_unit_test(test_encode_omits_empty_extra),
        cmocka_unit_test(test_extra_carried_verbatim),
        cmocka_unit_test(test_extra_set_int_too_long_key),
        cmocka_unit_test(test_encode_tiny_buffer_returns_zero),
        cmocka_unit_test(test_largest_tick_fits_wire_max),
        cmocka_unit_test(test_minimal_tick_and_derived_vt_symbol),
        cmocka_unit_test(test_matching_vt_symbol_accepted),
        cmocka_unit_test(test_ints_accepted_for_floats),
        cmocka_unit_test(test_unknown_keys_ignored),
        cmocka_unit_test(test_nil_reads_as_absent),
        cmocka_unit_test(test_reject_bad_msgpack),
        cmocka_unit_test(test_reject_truncated_everywhere),
        cmocka_unit_test(test_reject_trailing_garbage),
        cmocka_unit_test(test_reject_not_a_map),
        cmocka_unit_test(test_reject_field_errors),
        cmocka_unit_test(test_reject_extra_too_long),
        cmocka_unit_test(test_broken_bytes_win_over_field_errors),
        cmocka_unit_test(test_corrupted_bodies_do_not_crash),
        cmocka_unit_test(test_hub_layout_values_as_generic),
        cmocka_unit_test(test_cmp_age),
        cmocka_unit_test(test_reject_repeated_key),
        cmocka_unit_test(test_strerror_names),
        cmocka_unit_test(test_code_valid),
        cmocka_unit_test(test_encoding_matches_msgpack_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
