/* Command codec: round trips of every type, 8-byte padding, rejection of
 * truncated, garbage, unknown, mistyped and oversize entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "raft/cmd.h"

#define GARBAGE_ROUNDS 2000  /* random buffers fed to the decoder */
#define GARBAGE_MAX_LEN 200  /* longest random buffer */

static struct hamd_account make_account(const char *id, int prio)
{
    struct hamd_account a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "%s", id);
    snprintf(a.name, sizeof a.name, "Account %s", id);
    snprintf(a.gateway_type, sizeof a.gateway_type, "sim");
    a.priority = prio;
    a.enabled = prio % 2 == 1;
    a.n_exchanges = 2;
    strcpy(a.exchanges[0], "SHFE");
    strcpy(a.exchanges[1], "DCE");
    snprintf(a.canary, sizeof a.canary, "rb2601.SHFE");
    snprintf(a.params, sizeof a.params, "{\"seed\": 42, \"password\": \"x\"}");
    return a;
}

static void assert_account_equal(const struct hamd_account *a,
                                 const struct hamd_account *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->gateway_type, b->gateway_type);
    assert_int_equal(a->priority, b->priority);
    assert_int_equal(a->enabled, b->enabled);
    assert_int_equal(a->n_exchanges, b->n_exchanges);
    for (unsigned i = 0; i < a->n_exchanges; i++)
        assert_string_equal(a->exchanges[i], b->exchanges[i]);
    assert_string_equal(a->canary, b->canary);
    assert_string_equal(a->params, b->params);
}

/* Encodes, checks the padding, decodes into out. */
static void round_trip(const struct hamd_cmd *in, struct hamd_cmd *out)
{
    struct raft_buffer buf;
    char err[HAMD_CMD_ERR_MAX];
    assert_int_equal(hamd_cmd_encode(in, &buf), 0);
    assert_true(buf.len > 0);
    assert_int_equal(buf.len % HAMD_CMD_ALIGN_BYTES, 0);
    assert_int_equal(hamd_cmd_decode(buf.base, buf.len, out, err, sizeof err),
                     0);
    assert_int_equal(out->type, in->type);
    raft_free(buf.base);
}

static void test_seed_round_trip(void **state)
{
    (void)state;
    struct hamd_cmd in, out;
    hamd_cmd_init(&in, HAMD_CMD_SEED);
    struct hamd_account a = make_account("sim_a", 1), b = make_account("sim_b", 2);
    assert_int_equal(hamd_cmd_add_account(&in, &a), 0);
    assert_int_equal(hamd_cmd_add_account(&in, &b), 0);
    for (int i = 0; i < 100; i++) {
        char sym[HAMD_VT_SYMBOL_MAX];
        snprintf(sym, sizeof sym, "rb26%02d.SHFE", i);
        assert_int_equal(hamd_cmd_add_symbol(&in, sym), 0);
    }
    round_trip(&in, &out);
    assert_int_equal(out.n_accounts, 2);
    assert_account_equal(&out.accounts[0], &a);
    assert_account_equal(&out.accounts[1], &b);
    assert_int_equal(out.n_symbols, 100);
    assert_string_equal(out.symbols[0], "rb2600.SHFE");
    assert_string_equal(out.symbols[99], "rb2699.SHFE");
    hamd_cmd_free(&in);
    hamd_cmd_free(&out);
}

static void test_empty_seed_round_trip(void **state)
{
    (void)state;
    struct hamd_cmd in, out;
    hamd_cmd_init(&in, HAMD_CMD_SEED);
    round_trip(&in, &out);
    assert_int_equal(out.n_accounts, 0);
    assert_int_equal(out.n_symbols, 0);
    hamd_cmd_free(&out);
}

static void test_account_put_round_trip(void **state)
{
    (void)state;
    struct hamd_cmd in, out;
    hamd_cmd_init(&in, HAMD_CMD_ACCOUNT_PUT);
    struct hamd_account a = make_account("ctp_main", 7);
    a.n_exchanges = 0;
    a.canary[0] = '\0';
    assert_int_equal(hamd_cmd_add_account(&in, &a), 0);
    round_trip(&in, &out);
    assert_int_equal(out.n_accounts, 1);
    assert_account_equal(&out.accounts[0], &a);
    hamd_cmd_free(&in);
    hamd_cmd_free(&out);
}

static void test_scalar_commands_round_trip(void **state)
{
    (void)state;
    struct hamd_cmd in, out;

    hamd_cmd_init(&in, HAMD_CMD_ACCOUNT_DEL);
    strcpy(in.account_id, "ctp_backup1");
    round_trip(&in, &out);
    assert_string_equal(out.account_id, "ctp_backup1");
    hamd_cmd_free(&out);

    hamd_cmd_init(&in, HAMD_CMD_ACCOUNT_RUN);
    strcpy(in.account_id, "sim_b");
    in.flag = true;
    round_trip(&in, &out);
    assert_string_equal(out.account_id, "sim_b");
    assert_true(out.flag);
    hamd_cmd_free(&out);

    hamd_cmd_init(&in, HAMD_CMD_QUARANTINE);
    strcpy(in.account_id, "sim_a");
    in.until_ms = 1782291045123LL;
    round_trip(&in, &out);
    assert_string_equal(out.account_id, "sim_a");
    assert_int_equal(out.until_ms, 1782291045123LL);
    hamd_cmd_free(&out);

    hamd_cmd_init(&in, HAMD_CMD_PAUSE);
    in.flag = true;
    round_trip(&in, &out);
    assert_true(out.flag);
    hamd_cmd_free(&out);
    in.flag = false;
    round_trip(&in, &out);
    assert_false(out.flag);
    hamd_cmd_free(&out);

    hamd_cmd_init(&in, HAMD_CMD_FAILOVER_COUNT);
    in.day = 20260624;
    in.count = 17;
    round_trip(&in, &out);
    assert_int_equal(out.day, 20260624);
    assert_int_equal(out.count, 17);
    hamd_cmd_free(&out);

    hamd_cmd_init(&in, HAMD_CMD_SOURCE_MOVED);
    in.until_ms = 1782345678901;
    round_trip(&in, &out);
    assert_int_equal(out.until_ms, 1782345678901);
    assert_string_equal(hamd_cmd_type_name(out.type), "source_moved");
    hamd_cmd_free(&out);
}

static void test_lists_round_trip(void **state)
{
    (void)state;
    struct hamd_cmd in, out;
    for (int t = HAMD_CMD_SUBS_ADD; t <= HAMD_CMD_SUBS_DEL; t++) {
        hamd_cmd_init(&in, (enum hamd_cmd_type)t);
        assert_int_equal(hamd_cmd_add_symbol(&in, "rb2601.SHFE"), 0);
        assert_int_equal(hamd_cmd_add_symbol(&in, "IF2606.CFFEX"), 0);
        round_trip(&in, &out);
        assert_int_equal(out.n_symbols, 2);
        assert_string_equal(out.symbols[1], "IF2606.CFFEX");
        hamd_cmd_free(&in);
        hamd_cmd_free(&out);
    }
    hamd_cmd_init(&in, HAMD_CMD_ASSIGN);
    assert_int_equal(hamd_cmd_add_assign(&in, "rb2601.SHFE", "sim_b"), 0);
    assert_int_equal(hamd_cmd_add_assign(&in, "m2609.DCE", ""), 0);
    assert_int_equal(hamd_cmd_add_assign(&in, "i2601.DCE", "sim_b@node2"), 0);
    round_trip(&in, &out);
    assert_int_equal(out.n_assigns, 3);
    assert_string_equal(out.assigns[2].account, "sim_b@node2");
    assert_string_equal(out.assigns[0].vt_symbol, "rb2601.SHFE");
    assert_string_equal(out.assigns[0].account, "sim_b");
    assert_string_equal(out.assigns[1].vt_symbol, "m2609.DCE");
    assert_string_equal(out.assigns[1].account, "");
    hamd_cmd_free(&in);
    hamd_cmd_free(&out);
}

/* PIN sets and clears: the flag and the list both survive, in order. */
static void test_pin_round_trip(void **state)
{
    (void)state;
    struct hamd_cmd in, out;
    for (int pinned = 0; pinned <= 1; pinned++) {
        hamd_cmd_init(&in, HAMD_CMD_PIN);
        in.flag = pinned;
        assert_int_equal(hamd_cmd_add_symbol(&in, "rb2601.SHFE"), 0);
        assert_int_equal(hamd_cmd_add_symbol(&in, "IF2606.CFFEX"), 0);
        round_trip(&in, &out);
        assert_int_equal(out.flag, pinned);
        assert_int_equal(out.n_symbols, 2);
        assert_string_equal(out.symbols[0], "rb2601.SHFE");
        assert_string_equal(out.symbols[1], "IF2606.CFFEX");
        hamd_cmd_free(&in);
        hamd_cmd_free(&out);
    }
    hamd_cmd_init(&in, HAMD_CMD_PIN); /* an empty list is well formed */
    round_trip(&in, &out);
    assert_int_equal(out.n_symbols, 0);
    hamd_cmd_free(&out);
}

static void test_event_round_trip(void **state)
{
    (void)state;
    struct hamd_cmd in, out;
    const char *json = "{\"event_type\": \"failover_executed\", "
                       "\"affected_contracts\": [\"rb2601.SHFE\"]}";
    hamd_cmd_init(&in, HAMD_CMD_EVENT);
    assert_int_equal(hamd_cmd_set_event(&in, json), 0);
    round_trip(&in, &out);
    assert_string_equal(out.event_json, json);
    hamd_cmd_free(&in);
    hamd_cmd_free(&out);
}

/* Every encoded length is padded; try documents of many sizes. */
static void test_every_length_is_padded(void **state)
{
    (void)state;
    char json[64];
    for (int n = 1; n < 40; n++) {
        struct hamd_cmd in, out;
        struct raft_buffer buf;
        memset(json, 'x', (size_t)n);
        json[n] = '\0';
        hamd_cmd_init(&in, HAMD_CMD_EVENT);
        assert_int_equal(hamd_cmd_set_event(&in, json), 0);
        assert_int_equal(hamd_cmd_encode(&in, &buf), 0);
        assert_int_equal(buf.len % HAMD_CMD_ALIGN_BYTES, 0);
        assert_int_equal(hamd_cmd_decode(buf.base, buf.len, &out, NULL, 0), 0);
        assert_string_equal(out.event_json, json);
        raft_free(buf.base);
        hamd_cmd_free(&in);
        hamd_cmd_free(&out);
    }
}

static void test_truncated_entries_rejected(void **state)
{
    (void)state;
    struct hamd_cmd in, out;
    struct raft_buffer buf;
    hamd_cmd_init(&in, HAMD_CMD_SEED);
    struct hamd_account a = make_account("sim_a", 1);
    hamd_cmd_add_account(&in, &a);
    hamd_cmd_add_symbol(&in, "rb2601.SHFE");
    assert_int_equal(hamd_cmd_encode(&in, &buf), 0);
    /* The document is longer than len - ALIGN: every shorter prefix cuts
     * it. */
    for (size_t n = 0; n + HAMD_CMD_ALIGN_BYTES <= buf.len; n++) {
        char err[HAMD_CMD_ERR_MAX] = "";
        assert_int_equal(hamd_cmd_decode(buf.base, n, &out, err, sizeof err),
                         -1);
        assert_true(err[0] != '\0');
        assert_null(out.accounts);
    }
    raft_free(buf.base);
    hamd_cmd_free(&in);
}

static void test_garbage_rejected(void **state)
{
    (void)state;
    uint8_t buf[GARBAGE_MAX_LEN];
    unsigned seed = 12345;
    for (int round = 0; round < GARBAGE_ROUNDS; round++) {
        struct hamd_cmd out;
        size_t len = (size_t)(rand_r(&seed) % GARBAGE_MAX_LEN);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rand_r(&seed);
        assert_int_equal(hamd_cmd_decode(buf, len, &out, NULL, 0), -1);
    }
}

/* Valid entries with random bytes changed: the decoder must never crash,
 * and whatever it accepts must be a command the encoder accepts too (the
 * FSM relies on decoded commands being well formed). */
static void test_mutated_entries_are_safe(void **state)
{
    (void)state;
    struct hamd_cmd in;
    struct raft_buffer buf;
    unsigned seed = 777;
    hamd_cmd_init(&in, HAMD_CMD_SEED);
    struct hamd_account a = make_account("sim_a", 1);
    hamd_cmd_add_account(&in, &a);
    hamd_cmd_add_symbol(&in, "rb2601.SHFE");
    hamd_cmd_add_symbol(&in, "m2609.DCE");
    assert_int_equal(hamd_cmd_encode(&in, &buf), 0);
    uint8_t *copy = malloc(buf.len);
    unsigned accepted = 0;
    for (int round = 0; round < GARBAGE_ROUNDS; round++) {
        struct hamd_cmd out;
        struct raft_buffer again;
        memcpy(copy, buf.base, buf.len);
        for (int flips = 1 + rand_r(&seed) % 3; flips > 0; flips--)
            copy[rand_r(&seed) % buf.len] = (uint8_t)rand_r(&seed);
        if (hamd_cmd_decode(copy, buf.len, &out, NULL, 0) != 0)
            continue;
        accepted++;
        assert_int_equal(hamd_cmd_encode(&out, &again), 0);
        raft_free(again.base);
        hamd_cmd_free(&out);
    }
    /* Some mutations only touch string bytes: both paths were taken. */
    assert_true(accepted > 0 && accepted < GARBAGE_ROUNDS);
    free(copy);
    raft_free(buf.base);
    hamd_cmd_free(&in);
}

/* Packs a hand-made document into a zero-padded buffer of padded_len. */
static size_t pack_raw(msgpack_sbuffer *sb, uint8_t *dst, size_t cap)
{
    size_t padded = (sb->size + 7) / 8 * 8;
    assert_true(padded <= cap);
    memset(dst, 0, padded);
    memcpy(dst, sb->data, sb->size);
    return padded;
}

/* Starts [version, type, ...] with n elements. */
static void start_doc(msgpack_sbuffer *sb, msgpack_packer *pk, unsigned n,
                      unsigned version, unsigned type)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(pk, n);
    msgpack_pack_uint32(pk, version);
    msgpack_pack_uint32(pk, type);
}

static int decode_doc(msgpack_sbuffer *sb, const char *want_err)
{
    uint8_t buf[256];
    char err[HAMD_CMD_ERR_MAX] = "";
    struct hamd_cmd out;
    size_t len = pack_raw(sb, buf, sizeof buf);
    int rc = hamd_cmd_decode(buf, len, &out, err, sizeof err);
    if (rc == 0)
        hamd_cmd_free(&out);
    else if (want_err)
        assert_non_null(strstr(err, want_err));
    msgpack_sbuffer_destroy(sb);
    return rc;
}

static void test_unknown_type_and_version_rejected(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, 99);
    msgpack_pack_true(&pk);
    assert_int_equal(decode_doc(&sb, "unknown command type"), -1);

    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, 0);
    msgpack_pack_true(&pk);
    assert_int_equal(decode_doc(&sb, "unknown command type"), -1);

    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION + 1, HAMD_CMD_PAUSE);
    msgpack_pack_true(&pk);
    assert_int_equal(decode_doc(&sb, "version"), -1);

    /* The same document with the right version decodes: the tests above
     * fail for the reason they name. */
    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, HAMD_CMD_PAUSE);
    msgpack_pack_true(&pk);
    assert_int_equal(decode_doc(&sb, NULL), 0);
}

static void test_wrong_types_rejected(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;

    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, HAMD_CMD_PAUSE);
    msgpack_pack_str_with_body(&pk, "yes", 3);
    assert_int_equal(decode_doc(&sb, "malformed"), -1);

    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, HAMD_CMD_ACCOUNT_DEL);
    msgpack_pack_int(&pk, 5);
    assert_int_equal(decode_doc(&sb, "malformed"), -1);

    start_doc(&sb, &pk, 4, HAMD_CMD_VERSION, HAMD_CMD_QUARANTINE);
    msgpack_pack_str_with_body(&pk, "a", 1);
    msgpack_pack_int(&pk, -5); /* negative until */
    assert_int_equal(decode_doc(&sb, "malformed"), -1);

    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, HAMD_CMD_SUBS_ADD);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int(&pk, 1); /* symbol must be a string */
    assert_int_equal(decode_doc(&sb, "malformed"), -1);

    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, HAMD_CMD_ASSIGN);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 3); /* pairs have two elements */
    msgpack_pack_str_with_body(&pk, "a.B", 3);
    msgpack_pack_str_with_body(&pk, "x", 1);
    msgpack_pack_str_with_body(&pk, "y", 1);
    assert_int_equal(decode_doc(&sb, "malformed"), -1);

    start_doc(&sb, &pk, 4, HAMD_CMD_VERSION, HAMD_CMD_PIN);
    msgpack_pack_str_with_body(&pk, "yes", 3); /* pinned must be a bool */
    msgpack_pack_array(&pk, 0);
    assert_int_equal(decode_doc(&sb, "malformed"), -1);

    start_doc(&sb, &pk, 4, HAMD_CMD_VERSION, HAMD_CMD_PIN);
    msgpack_pack_true(&pk);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int(&pk, 1); /* symbol must be a string */
    assert_int_equal(decode_doc(&sb, "malformed"), -1);

    start_doc(&sb, &pk, 4, HAMD_CMD_VERSION, HAMD_CMD_PIN);
    msgpack_pack_array(&pk, 0); /* arguments swapped */
    msgpack_pack_true(&pk);
    assert_int_equal(decode_doc(&sb, "malformed"), -1);

    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, HAMD_CMD_PIN); /* no flag */
    msgpack_pack_array(&pk, 0);
    assert_int_equal(decode_doc(&sb, "arguments"), -1);

    start_doc(&sb, &pk, 2, HAMD_CMD_VERSION, HAMD_CMD_PAUSE); /* no arg */
    assert_int_equal(decode_doc(&sb, "arguments"), -1);

    start_doc(&sb, &pk, 4, HAMD_CMD_VERSION, HAMD_CMD_PAUSE); /* extra arg */
    msgpack_pack_true(&pk);
    msgpack_pack_true(&pk);
    assert_int_equal(decode_doc(&sb, "arguments"), -1);
}

static void test_bad_account_rejected(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    /* priority as a string */
    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, HAMD_CMD_ACCOUNT_PUT);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "priority", 8);
    msgpack_pack_str_with_body(&pk, "1", 1);
    assert_int_equal(decode_doc(&sb, "malformed"), -1);
    /* a map missing required keys */
    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, HAMD_CMD_ACCOUNT_PUT);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_str_with_body(&pk, "a", 1);
    assert_int_equal(decode_doc(&sb, "malformed"), -1);
}

/* An id longer than the struct holds is refused, not truncated. */
static void test_oversize_strings_rejected(void **state)
{
    (void)state;
    char long_id[HAMD_ACCOUNT_ID_MAX + 8];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    msgpack_sbuffer sb;
    msgpack_packer pk;
    start_doc(&sb, &pk, 3, HAMD_CMD_VERSION, HAMD_CMD_ACCOUNT_DEL);
    msgpack_pack_str_with_body(&pk, long_id, strlen(long_id));
    assert_int_equal(decode_doc(&sb, "malformed"), -1);

    struct hamd_cmd cmd;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_ADD);
    char long_sym[HAMD_VT_SYMBOL_MAX + 1];
    memset(long_sym, 'x', sizeof long_sym - 1);
    long_sym[sizeof long_sym - 1] = '\0';
    assert_int_equal(hamd_cmd_add_symbol(&cmd, long_sym), -1);
    char *big_event = malloc(HAMD_CMD_EVENT_MAX + 2);
    memset(big_event, '{', HAMD_CMD_EVENT_MAX + 1);
    big_event[HAMD_CMD_EVENT_MAX + 1] = '\0';
    assert_int_equal(hamd_cmd_set_event(&cmd, big_event), -1);
    free(big_event);
    hamd_cmd_free(&cmd);
}

/* Decodes [1, type, (true,) [n x "a.B"]] for a symbol-list type; on
 * success checks that every symbol arrived. Returns the decoder's rc. */
static int decode_symbol_list(enum hamd_cmd_type type, uint32_t n)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    bool pin = type == HAMD_CMD_PIN;
    start_doc(&sb, &pk, pin ? 4 : 3, HAMD_CMD_VERSION, type);
    if (pin)
        msgpack_pack_true(&pk);
    msgpack_pack_array(&pk, n);
    for (uint32_t i = 0; i < n; i++)
        msgpack_pack_str_with_body(&pk, "a.B", 3);
    size_t len = (sb.size + HAMD_CMD_ALIGN_BYTES - 1) / HAMD_CMD_ALIGN_BYTES *
                 HAMD_CMD_ALIGN_BYTES;
    uint8_t *buf = calloc(1, len);
    assert_non_null(buf);
    memcpy(buf, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    struct hamd_cmd out;
    int rc = hamd_cmd_decode(buf, len, &out, NULL, 0);
    if (rc == 0) {
        assert_int_equal(out.n_symbols, n);
        hamd_cmd_free(&out);
    }
    free(buf);
    return rc;
}

/* PIN's list has SUBS_ADD's limit: the largest list decodes, one more
 * symbol is refused. */
static void test_oversize_symbol_lists_rejected(void **state)
{
    (void)state;
    const enum hamd_cmd_type types[] = {HAMD_CMD_SUBS_ADD, HAMD_CMD_PIN};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        assert_int_equal(decode_symbol_list(types[t], HAMD_CMD_SYMBOLS_MAX), 0);
        assert_int_equal(decode_symbol_list(types[t], HAMD_CMD_SYMBOLS_MAX + 1),
                         -1);
    }
}

static void test_oversize_entry_rejected(void **state)
{
    (void)state;
    size_t len = HAMD_CMD_MAX_BYTES + HAMD_CMD_ALIGN_BYTES;
    uint8_t *buf = calloc(1, len);
    struct hamd_cmd out;
    buf[0] = 0x93; /* looks like a command array */
    assert_int_equal(hamd_cmd_decode(buf, len, &out, NULL, 0), -1);
    free(buf);
}

/* A count far beyond the bytes present must fail before any allocation
 * (a sanitizer build would abort on a ~100 GB request). */
static void test_huge_declared_count_rejected(void **state)
{
    (void)state;
    uint8_t buf[16] = {0x93, 0x01, HAMD_CMD_SUBS_ADD, 0xdd,
                       0xff, 0xff, 0xff, 0xff};
    struct hamd_cmd out;
    assert_int_equal(hamd_cmd_decode(buf, sizeof buf, &out, NULL, 0), -1);
    uint8_t seed[16] = {0x94, 0x01, HAMD_CMD_SEED, 0xdd,
                        0x00, 0x00, 0xff, 0xff, 0x90};
    assert_int_equal(hamd_cmd_decode(seed, sizeof seed, &out, NULL, 0), -1);
    uint8_t pin[16] = {0x94, 0x01, HAMD_CMD_PIN, 0xc3, 0xdd,
                       0xff, 0xff, 0xff, 0xff};
    assert_int_equal(hamd_cmd_decode(pin, sizeof pin, &out, NULL, 0), -1);
}

static void test_trailing_bytes_rejected(void **state)
{
    (void)state;
    struct hamd_cmd in, out;
    struct raft_buffer buf;
    hamd_cmd_init(&in, HAMD_CMD_PAUSE);
    in.flag = true;
    assert_int_equal(hamd_cmd_encode(&in, &buf), 0);
    uint8_t big[64];
    memset(big, 0, sizeof big);
    memcpy(big, buf.base, buf.len);
    /* 8 more zero bytes: more than any padding */
    assert_int_equal(hamd_cmd_decode(big, buf.len + 8, &out, NULL, 0), -1);
    /* a non-zero byte in the padding */
    big[buf.len - 1] = 0x01;
    assert_int_equal(hamd_cmd_decode(big, buf.len, &out, NULL, 0), -1);
    big[buf.len - 1] = 0x00;
    assert_int_equal(hamd_cmd_decode(big, buf.len, &out, NULL, 0), 0);
    hamd_cmd_free(&out);
    raft_free(buf.base);
}

static void test_encoder_rejects_invalid_commands(void **state)
{
    (void)state;
    struct hamd_cmd cmd;
    struct raft_buffer buf;
    hamd_cmd_init(&cmd, HAMD_CMD_ACCOUNT_PUT); /* no account */
    assert_int_equal(hamd_cmd_encode(&cmd, &buf), RAFT_INVALID);
    assert_null(buf.base);
    hamd_cmd_init(&cmd, HAMD_CMD_EVENT); /* no JSON */
    assert_int_equal(hamd_cmd_encode(&cmd, &buf), RAFT_INVALID);
    hamd_cmd_init(&cmd, (enum hamd_cmd_type)0);
    assert_int_equal(hamd_cmd_encode(&cmd, &buf), RAFT_INVALID);
    hamd_cmd_init(&cmd, HAMD_CMD_ACCOUNT_DEL);
    memset(cmd.account_id, 'a', sizeof cmd.account_id); /* unterminated */
    assert_int_equal(hamd_cmd_encode(&cmd, &buf), RAFT_INVALID);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(hamd_cmd_type_name(HAMD_CMD_SEED), "seed");
    assert_string_equal(hamd_cmd_type_name(HAMD_CMD_EVENT), "event");
    assert_string_equal(hamd_cmd_type_name(HAMD_CMD_PIN), "pin");
    /* Wire values are in the Raft log for good: never renumbered. */
    assert_int_equal(HAMD_CMD_EVENT, 11);
    assert_int_equal(HAMD_CMD_PIN, 12);
    assert_int_equal(HAMD_CMD_SOURCE_MOVED, 13);
    assert_int_equal(HAMD_CMD_TYPE_LAST, HAMD_CMD_SOURCE_MOVED);
    assert_string_equal(hamd_cmd_type_name((enum hamd_cmd_type)42),
                        "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_round_trip),
        cmocka_unit_test(test_empty_seed_round_trip),
        cmocka_unit_test(test_account_put_round_trip),
        cmocka_unit_test(test_scalar_commands_round_trip),
        cmocka_unit_test(test_lists_round_trip),
        cmocka_unit_test(test_pin_round_trip),
        cmocka_unit_test(test_event_round_trip),
        cmocka_unit_test(test_every_length_is_padded),
        cmocka_unit_test(test_truncated_entries_rejected),
        cmocka_unit_test(test_garbage_rejected),
        cmocka_unit_test(test_mutated_entries_are_safe),
        cmocka_unit_test(test_unknown_type_and_version_rejected),
        cmocka_unit_test(test_wrong_types_rejected),
        cmocka_unit_test(test_bad_account_rejected),
        cmocka_unit_test(test_oversize_strings_rejected),
        cmocka_unit_test(test_oversize_symbol_lists_rejected),
        cmocka_unit_test(test_oversize_entry_rejected),
        cmocka_unit_test(test_huge_declared_count_rejected),
        cmocka_unit_test(test_trailing_bytes_rejected),
        cmocka_unit_test(test_encoder_rejects_invalid_commands),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
