/* The admin API's request validators (src/admin/admin_validate.c): each
 * accepted shape, each refusal with its status, field and message (the
 * answers docs/api.md and the integration tests rely on), the limits at
 * and beyond their bound, and text that is not UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_validate.h"
#include "common/account_json.h"
#include "common/utf8.h"
#include "common/vault.h"

#define BIG_TEXT_MAX 8192 /* bytes of a generated body */

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

/* A body as the server parses it: an object or an array (without
 * JSON_DECODE_ANY jansson refuses any other value before a validator
 * sees it). */
static json_t *body(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    return j;
}

/* The refusal is exactly (status, field, msg), and an answer can be made
 * of it. */
static void refused_as(const struct admin_verdict *v, int status,
                       const char *field, const char *msg)
{
    assert_int_equal(v->status, status);
    if (field)
        assert_string_equal(v->field, field);
    else
        assert_null(v->field);
    assert_string_equal(v->msg, msg);
}

/* What admin_reply_error sends can be built: msg and field are UTF-8. */
static void answerable(const struct admin_verdict *v)
{
    json_t *o = json_pack("{s:s}", "error", v->msg);
    assert_non_null(o);
    if (v->field)
        assert_int_equal(json_object_set_new(o, "field",
                                             json_string(v->field)), 0);
    json_decref(o);
}

static void failover_refused(const char *text, bool failback, int status,
                             const char *field, const char *msg)
{
    json_t *j = body(text);
    struct admin_failover_req r;
    struct admin_verdict v;
    bool ok = failback ? admin_failback_validate(j, &r, &v)
                       : admin_failover_validate(j, &r, &v);
    if (ok)
        fail_msg("accepted: %s", text);
    refused_as(&v, status, field, msg);
    json_decref(j);
}

static void subs_refused(const char *text, const char *field, const char *msg)
{
    json_t *j = body(text);
    struct hamd_cmd cmd;
    struct admin_verdict v;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_ADD);
    if (admin_subs_body_validate(j, &cmd, &v))
        fail_msg("accepted: %s", text);
    refused_as(&v, 400, field, msg);
    hamd_cmd_free(&cmd);
    json_decref(j);
}

static void subs_query_refused(const char *q, const char *field,
                               const char *msg)
{
    struct hamd_cmd cmd;
    struct admin_verdict v;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_DEL);
    if (admin_subs_query_validate(q, strlen(q), &cmd, &v))
        fail_msg("accepted: %s", q);
    refused_as(&v, 400, field, msg);
    answerable(&v);
    hamd_cmd_free(&cmd);
}

static const char MEMBER_ID_MSG[] =
    "id must be an integer in 1..65535 (N of [peer.N])";

static void member_refused(const char *text, const char *field,
                           const char *msg)
{
    json_t *j = body(text);
    uint64_t id = 0;
    struct admin_verdict v;
    if (admin_member_body_validate(j, &id, &v))
        fail_msg("accepted: %s", text);
    refused_as(&v, 400, field, msg);
    json_decref(j);
}

/* Peers 1 and 2 vote, 3 is a witness; [gateways] knows "ctp". */
static struct hamd_config cfg;

static int cfg_setup(void **state)
{
    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.n_peers = 3;
    for (unsigned i = 0; i < cfg.n_peers; i++) {
        cfg.peers[i].id = i + 1;
        cfg.peers[i].role = i == 2 ? HAMD_ROLE_WITNESS : HAMD_ROLE_VOTER;
    }
    cfg.n_gw_execs = 1;
    snprintf(cfg.gw_execs[0].type, sizeof cfg.gw_execs[0].type, "ctp");
    snprintf(cfg.gw_execs[0].path, sizeof cfg.gw_execs[0].path, "/bin/true");
    return 0;
}

static void transfer_refused(const char *text, const char *field,
                             const char *msg)
{
    json_t *j = body(text);
    uint64_t id = 7;
    struct admin_verdict v;
    if (admin_transfer_validate(j, &cfg, &id, &v))
        fail_msg("accepted: %s", text);
    refused_as(&v, 400, field, msg);
    json_decref(j);
}

static void events_refused(const char *q, const char *field)
{
    struct admin_events_query eq;
    struct admin_verdict v;
    if (admin_events_query_validate(q, strlen(q), &eq, &v))
        fail_msg("accepted: %s", q);
    refused_as(&v, 400, field, "expected ?limit=1..1000 and/or ?since=SEQ");
}

/* ------------------------------------------------------------------------
 * POST /api/failover, POST /api/failback
 * ------------------------------------------------------------------------ */

static void test_failover_accepts(void **state)
{
    (void)state;
    struct admin_failover_req r;
    struct admin_verdict v;
    json_t *j = body("{\"prefixes\": [\"rb\", \"i2601.DCE\"], \"to\": "
                     "\"sim_b\", \"force\": true, \"dry_run\": false}");
    assert_true(admin_failover_validate(j, &r, &v));
    assert_string_equal(r.to, "sim_b");
    assert_int_equal(r.n, 2);
    assert_string_equal(r.prefixes[0], "rb");
    assert_string_equal(r.prefixes[1], "i2601.DCE");
    assert_true(r.force);
    assert_false(r.dry_run);
    assert_false(r.all);
    json_decref(j);

    j = body("{\"to\": \"sim_b\", \"all\": true, \"dry_run\": true, "
             "\"prefixes\": []}");
    assert_true(admin_failover_validate(j, &r, &v));
    assert_true(r.all);
    assert_true(r.dry_run);
    assert_false(r.force);
    assert_int_equal(r.n, 0);
    json_decref(j);
}

static void test_failover_refuses(void **state)
{
    (void)state;
    const char *obj = "the body must be a JSON object";
    failover_refused("[1]", false, 400, NULL, obj);
    failover_refused("{}", false, 400, "to",
                     "'to' (the target account) is required");
    failover_refused("{\"all\": true}", false, 400, "to",
                     "'to' (the target account) is required");
    const char *either = "give either 'prefixes' or \"all\": true";
    failover_refused("{\"to\": \"sim_b\"}", false, 400, "prefixes", either);
    failover_refused("{\"to\": \"sim_b\", \"all\": false}", false, 400,
                     "prefixes", either);
    failover_refused("{\"to\": \"sim_b\", \"all\": true, \"prefixes\": "
                     "[\"rb\"]}", false, 400, "prefixes", either);
    failover_refused("{\"to\": \"Not An Id\"}", false, 400, "to",
                     "'to' must be an account id");
    failover_refused("{\"to\": 5}", false, 400, "to",
                     "'to' must be an account id");
    failover_refused("{\"to\": \"\"}", false, 400, "to",
                     "'to' must be an account id");
    failover_refused("{\"to\": \"sim_b\", \"force\": \"yes\"}", false, 400,
                     "force", "'force' must be true or false");
    failover_refused("{\"to\": \"sim_b\", \"all\": 1}", false, 400, "all",
                     "'all' must be true or false");
    failover_refused("{\"dry_run\": null}", false, 400, "dry_run",
                     "'dry_run' must be true or false");
    failover_refused("{\"to\": \"sim_b\", \"x\": 1}", false, 400, "x",
                     "unknown field 'x'");
    /* an empty key: no field (the answer leaves it out) */
    failover_refused("{\"\": 0}", false, 400, NULL, "unknown field ''");
    failover_refused("{\"prefixes\": \"rb\"}", false, 400, "prefixes",
                     "'prefixes' must be an array of at most 1024 strings");
    failover_refused("{\"prefixes\": [\"\"]}", false, 400, "prefixes",
                     "prefix 0 must be a non-empty string shorter than 48 "
                     "bytes");
    failover_refused("{\"prefixes\": [\"rb\", 7]}", false, 400, "prefixes",
                     "prefix 1 must be a non-empty string shorter than 48 "
                     "bytes");
}

static void test_failback(void **state)
{
    (void)state;
    struct admin_failover_req r;
    struct admin_verdict v;
    json_t *j = body("{}");
    assert_true(admin_failback_validate(j, &r, &v));
    assert_null(r.to);
    assert_int_equal(r.n, 0);
    json_decref(j);
    j = body("{\"prefixes\": [\"rb\"], \"dry_run\": true}");
    assert_true(admin_failback_validate(j, &r, &v));
    assert_int_equal(r.n, 1);
    assert_true(r.dry_run);
    json_decref(j);
    /* the failover-only fields are unknown here */
    failover_refused("{\"to\": \"sim_b\"}", true, 400, "to",
                     "unknown field 'to'");
    failover_refused("{\"all\": true}", true, 400, "all",
                     "unknown field 'all'");
    failover_refused("{\"force\": true}", true, 400, "force",
                     "unknown field 'force'");
    failover_refused("[]", true, 400, NULL, "the body must be a JSON object");
}

/* Prefixes: 1024 of them and 47 bytes pass, one more of either does not. */
static void test_failover_limits(void **state)
{
    (void)state;
    char *text = malloc(BIG_TEXT_MAX);
    assert_non_null(text);
    size_t at = (size_t)snprintf(text, BIG_TEXT_MAX, "{\"prefixes\": [");
    for (int i = 0; i < ADMIN_FAILOVER_PREFIXES_MAX; i++)
        at += (size_t)snprintf(text + at, BIG_TEXT_MAX - at, "%s\"p\"",
                               i ? "," : "");
    snprintf(text + at, BIG_TEXT_MAX - at, "]}");
    struct admin_failover_req r;
    struct admin_verdict v;
    json_t *j = body(text);
    assert_true(admin_failback_validate(j, &r, &v));
    assert_int_equal(r.n, ADMIN_FAILOVER_PREFIXES_MAX);
    json_decref(j);
    snprintf(text + at, BIG_TEXT_MAX - at, ",\"p\"]}");
    failover_refused(text, true, 400, "prefixes",
                     "'prefixes' must be an array of at most 1024 strings");

    char p47[HAMD_VT_SYMBOL_MAX];
    memset(p47, 'a', sizeof p47 - 1);
    p47[sizeof p47 - 1] = '\0';
    snprintf(text, BIG_TEXT_MAX, "{\"prefixes\": [\"%s\"]}", p47);
    j = body(text);
    assert_true(admin_failback_validate(j, &r, &v));
    assert_int_equal(strlen(r.prefixes[0]), HAMD_VT_SYMBOL_MAX - 1);
    json_decref(j);
    snprintf(text, BIG_TEXT_MAX, "{\"prefixes\": [\"%sa\"]}", p47);
    failover_refused(text, true, 400, "prefixes",
                     "prefix 0 must be a non-empty string shorter than 48 "
                     "bytes");
    free(text);
}

/* An unknown key of any length is named whole as the field; the message
 * is cut at 511 bytes, and a character the cut splits becomes '?' so the
 * answer is still JSON (jansson refuses to make a string of it). */
static void test_long_key_cut_on_a_character(void **state)
{
    (void)state;
    /* "unknown field 'a" is 16 bytes; 247 "é" end at byte 510, and the
     * 248th starts at 510 with its second byte at 511, past the cut. */
    char text[BIG_TEXT_MAX];
    size_t at = (size_t)snprintf(text, sizeof text, "{\"a");
    for (int i = 0; i < 300; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, "\xc3\xa9");
    snprintf(text + at, sizeof text - at, "\": 1}");
    json_t *j = body(text);
    struct admin_failover_req r;
    struct admin_verdict v;
    assert_false(admin_failback_validate(j, &r, &v));
    assert_int_equal(v.status, 400);
    assert_int_equal(strlen(v.field), 1 + 600);
    assert_int_equal(strlen(v.msg), ADMIN_VERDICT_MSG_MAX - 1);
    assert_int_equal(v.msg[ADMIN_VERDICT_MSG_MAX - 2], '?');
    assert_memory_equal(v.msg, "unknown field 'a\xc3\xa9", 18);
    assert_true(hamd_utf8_valid(v.msg, strlen(v.msg)));
    answerable(&v);
    json_decref(j);
}

/* ------------------------------------------------------------------------
 * Subscriptions
 * ------------------------------------------------------------------------ */

static void test_subs_body(void **state)
{
    (void)state;
    json_t *j = body("{\"symbols\": [\"rb2601.SHFE\", \"i2601.DCE\", "
                     "\"rb2601.SHFE\"]}");
    struct hamd_cmd cmd;
    struct admin_verdict v;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_ADD);
    assert_true(admin_subs_body_validate(j, &cmd, &v));
    assert_int_equal(cmd.n_symbols, 2); /* the repeat counted once */
    assert_string_equal(cmd.symbols[0], "rb2601.SHFE");
    assert_string_equal(cmd.symbols[1], "i2601.DCE");
    hamd_cmd_free(&cmd);
    json_decref(j);

    const char *shape = "expected an object {\"symbols\": [...]}";
    subs_refused("[\"rb2601.SHFE\"]", NULL, shape);
    const char *arr = "symbols must be a non-empty array of strings";
    subs_refused("{}", "symbols", arr);
    subs_refused("{\"symbols\": []}", "symbols", arr);
    subs_refused("{\"symbols\": \"rb2601.SHFE\"}", "symbols", arr);
    subs_refused("{\"symbols\": [\"a.B\"], \"x\": 1}", "x", "unknown field x");
    subs_refused("{\"symbols\": [\"a.B\", 7]}", "symbols",
                 "symbols[1] must be a string");
    subs_refused("{\"symbols\": [\"nodot\"]}", "symbols",
                 "symbols[0]: 'nodot' is not SYMBOL.EXCHANGE");
    subs_refused("{\"symbols\": [\"rb 01.SHFE\"]}", "symbols",
                 "symbols[0]: 'rb 01.SHFE' is not SYMBOL.EXCHANGE");
    subs_refused("{\"symbols\": [\"rb2601.\"]}", "symbols",
                 "symbols[0]: 'rb2601.' is not SYMBOL.EXCHANGE");
}

/* A bad symbol is quoted to 64 bytes, never cutting a character in two;
 * an unknown key to 64 bytes too (the field is the whole key). */
static void test_subs_quotes(void **state)
{
    (void)state;
    char sym[200] = "x", text[BIG_TEXT_MAX], want[200];
    for (int i = 0; i < 40; i++)
        strcat(sym, "\xc3\xa9");
    snprintf(text, sizeof text, "{\"symbols\": [\"%s\"]}", sym);
    /* 'x' and 31 "é" are 63 bytes; the 32nd is cut after its first. */
    snprintf(want, sizeof want, "symbols[0]: '%.63s?' is not SYMBOL.EXCHANGE",
             sym);
    subs_refused(text, "symbols", want);

    char key[100];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    snprintf(text, sizeof text, "{\"%s\": 1}", key);
    snprintf(want, sizeof want, "unknown field %.64s", key);
    subs_refused(text, key, want);
}

/* 47 bytes is the longest contract: a 31-byte symbol and a 15-byte
 * exchange; one byte more of either is refused. */
static void test_subs_symbol_length(void **state)
{
    (void)state;
    char sym[HAMD_VT_SYMBOL_MAX + 1], text[200], want[200];
    memset(sym, 'a', HAMD_SYMBOL_MAX - 1);
    sym[HAMD_SYMBOL_MAX - 1] = '.';
    memset(sym + HAMD_SYMBOL_MAX, 'E', HAMD_EXCHANGE_MAX - 1);
    sym[HAMD_SYMBOL_MAX + HAMD_EXCHANGE_MAX - 1] = '\0';
    assert_int_equal(strlen(sym), HAMD_VT_SYMBOL_MAX - 1);
    snprintf(text, sizeof text, "{\"symbols\": [\"%s\"]}", sym);
    json_t *j = body(text);
    struct hamd_cmd cmd;
    struct admin_verdict v;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_ADD);
    assert_true(admin_subs_body_validate(j, &cmd, &v));
    assert_string_equal(cmd.symbols[0], sym);
    hamd_cmd_free(&cmd);
    json_decref(j);
    static const char *const longer[] = {"%sE", "a%s"};
    for (size_t i = 0; i < 2; i++) {
        char s2[HAMD_VT_SYMBOL_MAX + 2];
        snprintf(s2, sizeof s2, longer[i], sym);
        snprintf(text, sizeof text, "{\"symbols\": [\"%s\"]}", s2);
        snprintf(want, sizeof want, "symbols[0]: '%s' is not SYMBOL.EXCHANGE",
                 s2);
        subs_refused(text, "symbols", want);
    }
}

/* The longest list a request may carry, half of it repeats interleaved
 * (c0 c(H-1) c1 c(H-2) ...): each symbol kept once, in the order of its
 * first place; one entry more is refused (repeats count). The repeats
 * are dropped by a sort (a scan per symbol would be 10^9 compares). */
static void test_subs_many(void **state)
{
    (void)state;
    const int half = HAMD_CMD_SYMBOLS_MAX / 2;
    json_t *arr = json_array();
    char vt[32];
    for (int k = 0; k < half; k++)
        for (int pass = 0; pass < 2; pass++) {
            snprintf(vt, sizeof vt, "c%d.SHFE", pass ? half - 1 - k : k);
            json_array_append_new(arr, json_string(vt));
        }
    json_t *j = json_pack("{s:o}", "symbols", arr);
    struct hamd_cmd cmd;
    struct admin_verdict v;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_ADD);
    assert_true(admin_subs_body_validate(j, &cmd, &v));
    assert_int_equal(cmd.n_symbols, half);
    /* first places: c0 c(H-1) c1 c(H-2) ... up to the middle */
    for (int k = 0; k < half; k += 1021) {
        int n = (k % 2) ? half - 1 - k / 2 : k / 2;
        snprintf(vt, sizeof vt, "c%d.SHFE", n);
        assert_string_equal(cmd.symbols[k], vt);
    }
    hamd_cmd_free(&cmd);

    json_array_append_new(json_object_get(j, "symbols"),
                          json_string("c0.SHFE"));
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_ADD);
    assert_false(admin_subs_body_validate(j, &cmd, &v));
    assert_int_equal(v.status, 400);
    assert_string_equal(v.field, "symbols");
    assert_non_null(strstr(v.msg, "too many symbols"));
    hamd_cmd_free(&cmd);
    json_decref(j);
}

static void test_subs_query(void **state)
{
    (void)state;
    struct hamd_cmd cmd;
    struct admin_verdict v;
    const char *q = "symbol=rb2601.SHFE&symbol=i2601.DCE&symbol=rb2601.SHFE";
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_DEL);
    assert_true(admin_subs_query_validate(q, strlen(q), &cmd, &v));
    assert_int_equal(cmd.n_symbols, 2);
    assert_string_equal(cmd.symbols[1], "i2601.DCE");
    hamd_cmd_free(&cmd);

    subs_query_refused("", "symbol", "give ?symbol=SYMBOL.EXCHANGE");
    subs_query_refused("&&", "symbol", "give ?symbol=SYMBOL.EXCHANGE");
    subs_query_refused("sym=rb2601.SHFE", "sym",
                       "unknown query parameter sym (use symbol=)");
    subs_query_refused("symbol=rb2601.SHFE&x", "x",
                       "unknown query parameter x (use symbol=)");
    /* an empty name: no field (the answer leaves it out) */
    subs_query_refused("=x", NULL, "unknown query parameter  (use symbol=)");
    subs_query_refused("symbol=bad", "symbols",
                       "symbols[0]: 'bad' is not SYMBOL.EXCHANGE");
    subs_query_refused("symbol=a.B&symbol=bad", "symbols",
                       "symbols[1]: 'bad' is not SYMBOL.EXCHANGE");
    subs_query_refused("symbol=%zz", "symbol", "malformed query string");
    subs_query_refused("symbol=a%00.B", "symbol", "malformed query string");
    /* a name of 31 bytes fits, 32 does not */
    subs_query_refused("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                       "unknown query parameter aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaa (use symbol=)");
    subs_query_refused("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1", "symbol",
                       "malformed query string");
    /* a value of 128 bytes does not fit */
    char big[200] = "symbol=";
    memset(big + 7, 'a', 128);
    big[7 + 128] = '\0';
    subs_query_refused(big, "symbol", "malformed query string");
}

/* %-escapes decode to any bytes: a name or symbol that is not UTF-8 is
 * refused with an answer that is (it was a 500: jansson made no string
 * of the error), and is never taken as a contract. */
static void test_subs_query_not_utf8(void **state)
{
    (void)state;
    subs_query_refused("%e9=1", "?", "unknown query parameter ? (use symbol=)");
    subs_query_refused("symbol=%e9.SHFE", "symbols",
                       "symbols[0]: '?.SHFE' is not SYMBOL.EXCHANGE");
    subs_query_refused("symbol=%c3.SHFE", "symbols",
                       "symbols[0]: '?.SHFE' is not SYMBOL.EXCHANGE");
    subs_query_refused("symbol=%ed%a0%80.SHFE", "symbols", /* surrogate */
                       "symbols[0]: '???.SHFE' is not SYMBOL.EXCHANGE");
    /* UTF-8 is a contract like any other */
    struct hamd_cmd cmd;
    struct admin_verdict v;
    const char *q = "symbol=%c3%a9.SHFE";
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_DEL);
    assert_true(admin_subs_query_validate(q, strlen(q), &cmd, &v));
    assert_string_equal(cmd.symbols[0], "\xc3\xa9.SHFE");
    hamd_cmd_free(&cmd);
}

/* ------------------------------------------------------------------------
 * Members, transfer
 * ------------------------------------------------------------------------ */

static void test_member_body(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t id;
    } good[] = {{"{\"id\": 1}", 1}, {"{\"id\": 2}", 2},
                {"{\"id\": 65535}", 65535}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_t *j = body(good[i].text);
        uint64_t id = 0;
        struct admin_verdict v;
        assert_true(admin_member_body_validate(j, &id, &v));
        assert_int_equal(id, good[i].id);
        json_decref(j);
    }
    static const char *const bad_id[] = {
        "{}", "{\"id\": 0}", "{\"id\": 65536}", "{\"id\": -1}",
        "{\"id\": \"3\"}", "{\"id\": 2.0}", "{\"id\": null}",
        "{\"id\": 9223372036854775807}",
    };
    for (size_t i = 0; i < sizeof bad_id / sizeof bad_id[0]; i++)
        member_refused(bad_id[i], "id", MEMBER_ID_MSG);
    member_refused("{\"node\": 3}", "node", "unknown field node");
    member_refused("{\"id\": 3, \"x\": 1}", "x", "unknown field x");
    member_refused("[3]", NULL, "expected {\"id\": N}");
}

static void test_member_path(void **state)
{
    (void)state;
    uint64_t id;
    struct admin_verdict v;
    assert_true(admin_member_path_validate("3", &id, &v));
    assert_int_equal(id, 3);
    assert_true(admin_member_path_validate("65535", &id, &v));
    assert_int_equal(id, 65535);
    assert_true(admin_member_path_validate("007", &id, &v));
    assert_int_equal(id, 7);
    static const char *const bad[] = {"0", "65536", "abc", "", "-1", "+1",
                                      " 1", "1 ", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v.status = 0;
        assert_false(admin_member_path_validate(bad[i], &id, &v));
        refused_as(&v, 400, "id", MEMBER_ID_MSG);
    }
}

static void test_transfer(void **state)
{
    (void)state;
    uint64_t id = 7;
    struct admin_verdict v;
    json_t *j = body("{}");
    assert_true(admin_transfer_validate(j, &cfg, &id, &v));
    assert_int_equal(id, 0); /* any voter */
    json_decref(j);
    j = body("{\"node\": 2}");
    assert_true(admin_transfer_validate(j, &cfg, &id, &v));
    assert_int_equal(id, 2);
    json_decref(j);

    transfer_refused("{\"node\": 3}", "node",
                     "node 3 is a witness: it cannot lead");
    const char *member = "node must be the id of a member";
    transfer_refused("{\"node\": 99}", "node", member);
    transfer_refused("{\"node\": 0}", "node", member);
    transfer_refused("{\"node\": -1}", "node", member);
    transfer_refused("{\"node\": -9223372036854775807}", "node", member);
    transfer_refused("{\"node\": \"2\"}", "node", member);
    transfer_refused("{\"node\": 2.0}", "node", member);
    transfer_refused("{\"node\": null}", "node", member);
    transfer_refused("{\"to\": 1}", "to", "unknown field to");
    transfer_refused("[]", NULL, "expected {\"node\": ID} or no body");
}

/* ------------------------------------------------------------------------
 * GET /api/events
 * ------------------------------------------------------------------------ */

static void test_events_query(void **state)
{
    (void)state;
    struct admin_events_query eq;
    struct admin_verdict v;
    assert_true(admin_events_query_validate("", 0, &eq, &v));
    assert_int_equal(eq.limit, ADMIN_EVENTS_LIMIT_DEFAULT);
    assert_false(eq.has_since);
    const char *q = "limit=1000&since=18446744073709551615";
    assert_true(admin_events_query_validate(q, strlen(q), &eq, &v));
    assert_int_equal(eq.limit, 1000);
    assert_true(eq.has_since);
    assert_true(eq.since == UINT64_MAX);
    q = "since=0&limit=1";
    assert_true(admin_events_query_validate(q, strlen(q), &eq, &v));
    assert_int_equal(eq.limit, 1);
    assert_int_equal(eq.since, 0);
    assert_true(eq.has_since);

    events_refused("limit=0", "limit");
    events_refused("limit=1001", "limit");
    events_refused("limit=abc", "limit");
    events_refused("limit=", "limit");
    events_refused("limit=5&x=1", "limit");
    events_refused("since=-1", "since");
    events_refused("since=18446744073709551616", "since");
    events_refused("since=%zz", "since");
    events_refused("since=1&limit=-1", "limit");
}

/* ------------------------------------------------------------------------
 * Queries read one parameter at a time: restart, logs, stream
 * ------------------------------------------------------------------------ */

static void query_refused(const char *q, admin_query_fn fn, void *ud,
                          const char *field)
{
    struct admin_verdict v;
    if (admin_query_check(q, strlen(q), fn, ud, "expected X", &v))
        fail_msg("accepted: %s", q);
    refused_as(&v, 400, field, "bad query string: expected X");
    answerable(&v);
}

static void test_restart_query(void **state)
{
    (void)state;
    struct admin_verdict v;
    unsigned node = 0;
    assert_true(admin_query_check("", 0, admin_restart_param, &node, "x", &v));
    assert_int_equal(node, 0);
    assert_true(admin_query_check("node=65535", 10, admin_restart_param, &node,
                                  "x", &v));
    assert_int_equal(node, 65535);
    query_refused("node=0", admin_restart_param, &node, "node");
    query_refused("node=65536", admin_restart_param, &node, "node");
    query_refused("node=", admin_restart_param, &node, "node");
    query_refused("node=2&x=1", admin_restart_param, &node, "x");
    query_refused("node=%zz", admin_restart_param, &node, "query");
    query_refused("%e9=1", admin_restart_param, &node, "?");
    query_refused("=1", admin_restart_param, &node, NULL);
}

static void test_logs_and_stream_query(void **state)
{
    (void)state;
    struct admin_verdict v;
    struct admin_logs_args a = {.q = {.limit = 1}, .limit_max = 2000};
    const char *q = "level=warn&since=17&limit=2000&node=2";
    assert_true(admin_query_check(q, strlen(q), admin_logs_param, &a, "x", &v));
    assert_int_equal(a.q.min_level, HAMD_LOG_WARN);
    assert_true(a.q.has_since);
    assert_int_equal(a.q.since, 17);
    assert_int_equal(a.q.limit, 2000);
    assert_int_equal(a.node, 2);
    query_refused("limit=0", admin_logs_param, &a, "limit");
    query_refused("limit=2001", admin_logs_param, &a, "limit");
    query_refused("level=loud", admin_logs_param, &a, "level");
    query_refused("since=-1", admin_logs_param, &a, "since");
    query_refused("node=0", admin_logs_param, &a, "node");
    query_refused("tail=1", admin_logs_param, &a, "tail");

    enum hamd_log_level level = HAMD_LOG_INFO;
    assert_true(admin_query_check("level=error", 11, admin_stream_param, &level,
                                  "x", &v));
    assert_int_equal(level, HAMD_LOG_ERROR);
    query_refused("level=x", admin_stream_param, &level, "level");
    query_refused("since=1", admin_stream_param, &level, "since");
}

/* ------------------------------------------------------------------------
 * Accounts
 * ------------------------------------------------------------------------ */

#define ACCOUNT_BODY                                                         \
    "{\"id\": \"ctp_main\", \"name\": \"CTP main\", \"gateway_type\": "      \
    "\"ctp\", \"priority\": 1, \"exchanges\": [\"SHFE\"], \"params\": "      \
    "{\"password\": \"x\", \"list\": [\"y\"]}}"

static void account_refused(const char *text, bool update,
                            struct hamd_account *a, bool witness,
                            const char *field, const char *msg)
{
    json_t *j = body(text);
    struct admin_verdict v;
    if (admin_account_validate(j, a, update, &cfg, witness, &v))
        fail_msg("accepted: %s", text);
    refused_as(&v, 400, field, msg);
    json_decref(j);
}

static void test_account_id(void **state)
{
    (void)state;
    struct admin_verdict v;
    assert_true(admin_account_id_validate("ctp_main", &v));
    assert_true(admin_account_id_validate("0-a", &v));
    static const char *const bad[] = {"", "Ctp", "-a", "a b", "a.b",
                                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(admin_account_id_validate(bad[i], &v));
        refused_as(&v, 400, "id",
                   "invalid account id (1-31 characters of a-z 0-9 _ -, "
                   "starting with a letter or digit)");
    }
}

static void test_account_create(void **state)
{
    (void)state;
    struct hamd_account a;
    struct admin_verdict v;
    json_t *j = body(ACCOUNT_BODY);
    assert_true(admin_account_validate(j, &a, false, &cfg, false, &v));
    assert_string_equal(a.id, "ctp_main");
    assert_string_equal(a.gateway_type, "ctp");
    json_decref(j);

    /* no executable for its type: refused, unless this is a witness */
    const char *other = "{\"id\": \"x1\", \"name\": \"X\", \"gateway_type\": "
                        "\"xtp\", \"priority\": 1, \"exchanges\": [\"SSE\"]}";
    account_refused(other, false, &a, false, "gateway_type",
                    "no executable for gateway_type 'xtp' in [gateways]");
    j = body(other);
    assert_true(admin_account_validate(j, &a, false, &cfg, true, &v));
    json_decref(j);

    /* what hamd_account_from_json says, passed on as it is */
    j = body("{\"id\": \"Bad\"}");
    char err[HAMD_ACCOUNT_ERR_MAX];
    const char *field = NULL;
    assert_int_equal(hamd_account_from_json(j, &a, false, err, sizeof err,
                                            &field), -1);
    account_refused("{\"id\": \"Bad\"}", false, &a, false, field, err);
    json_decref(j);
    account_refused("[]", false, &a, false, NULL,
                    "an account must be a JSON object");
}

/* A params value, key or list item in the sealed form is refused at any
 * depth; the prefix elsewhere in the body is not a secret's. */
static void test_account_sealed(void **state)
{
    (void)state;
    struct hamd_account a;
    const char *msg = "params values may not start with \"" HAMD_VAULT_PREFIX
                      "\": hamd keeps that form for the secrets it seals";
    static const char *const sealed[] = {
        "{\"params\": {\"password\": \"" HAMD_VAULT_PREFIX "abc\"}}",
        "{\"params\": {\"a\": {\"b\": [1, \"" HAMD_VAULT_PREFIX "\"]}}}",
        "{\"params\": {\"" HAMD_VAULT_PREFIX "k\": 1}}",
    };
    for (size_t i = 0; i < sizeof sealed / sizeof sealed[0]; i++) {
        account_refused(sealed[i], false, &a, false, "params", msg);
        account_refused(sealed[i], true, &a, false, "params", msg);
    }
    json_t *j = body("{\"id\": \"ctp_main\", \"name\": \"" HAMD_VAULT_PREFIX
                     "\", \"gateway_type\": \"ctp\", \"priority\": 1, "
                     "\"exchanges\": [\"SHFE\"], \"params\": {\"p\": "
                     "\"enc:v2:\"}}");
    struct admin_verdict v;
    if (!admin_account_validate(j, &a, false, &cfg, false, &v))
        fail_msg("refused: %s", v.msg);
    json_decref(j);
}

static void test_account_update(void **state)
{
    (void)state;
    struct hamd_account stored, a;
    struct admin_verdict v;
    json_t *j = body(ACCOUNT_BODY);
    assert_true(admin_account_validate(j, &stored, false, &cfg, false, &v));
    json_decref(j);
    a = stored;
    j = body("{\"priority\": 3}");
    assert_true(admin_account_validate(j, &a, true, &cfg, false, &v));
    assert_int_equal(a.priority, 3);
    assert_string_equal(a.id, "ctp_main");
    json_decref(j);
    /* moving it to a type without an executable */
    a = stored;
    account_refused("{\"gateway_type\": \"xtp\"}", true, &a, false,
                    "gateway_type",
                    "no executable for gateway_type 'xtp' in [gateways]");
}

/* `running` in an account body: taken out when it repeats the switch
 * (or is absent), refused when it is not a boolean or would change it. */
static void test_account_running(void **state)
{
    (void)state;
    struct admin_verdict v;
    struct hamd_account a;
    json_t *j = body("{\"priority\": 2, \"running\": false}");
    assert_true(admin_account_running_take(j, "ctp_main", false, &v));
    assert_null(json_object_get(j, "running")); /* the account alone is left */
    json_decref(j);
    j = body(ACCOUNT_BODY);
    assert_true(admin_account_running_take(j, NULL, true, &v));
    assert_true(admin_account_validate(j, &a, false, &cfg, false, &v));
    json_decref(j);
    j = body("[]"); /* not an object: left to the account's validation */
    assert_true(admin_account_running_take(j, NULL, true, &v));
    json_decref(j);

    static const struct {
        const char *text, *id;
        bool running;
        const char *msg;
    } bad[] = {
        {"{\"running\": \"no\"}", "ctp_main", true,
         "'running' must be true or false"},
        {"{\"running\": null}", NULL, true, "'running' must be true or false"},
        {"{\"running\": true}", "ctp_main", false,
         "'running' is the operator's switch, now false: POST "
         "/api/accounts/ctp_main/start changes it (hactl start ctp_main), not "
         "a write of the account"},
        {"{\"running\": false}", "ctp_main", true,
         "'running' is the operator's switch, now true: POST "
         "/api/accounts/ctp_main/stop changes it (hactl stop ctp_main), not "
         "a write of the account"},
        {"{\"id\": \"x\", \"running\": false}", NULL, true,
         "a new account runs: create it, then stop it (POST "
         "/api/accounts/{id}/stop, hactl stop ID)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = body(bad[i].text);
        assert_false(admin_account_running_take(j, bad[i].id, bad[i].running, &v));
        refused_as(&v, 400, "running", bad[i].msg);
        assert_non_null(json_object_get(j, "running"));
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover_accepts),
        cmocka_unit_test(test_failover_refuses),
        cmocka_unit_test(test_failback),
        cmocka_unit_test(test_failover_limits),
        cmocka_unit_test(test_long_key_cut_on_a_character),
        cmocka_unit_test(test_subs_body),
        cmocka_unit_test(test_subs_quotes),
        cmocka_unit_test(test_subs_symbol_length),
        cmocka_unit_test(test_subs_many),
        cmocka_unit_test(test_subs_query),
        cmocka_unit_test(test_subs_query_not_utf8),
        cmocka_unit_test(test_member_body),
        cmocka_unit_test(test_member_path),
        cmocka_unit_test(test_transfer),
        cmocka_unit_test(test_events_query),
        cmocka_unit_test(test_restart_query),
        cmocka_unit_test(test_logs_and_stream_query),
        cmocka_unit_test(test_account_id),
        cmocka_unit_test(test_account_create),
        cmocka_unit_test(test_account_sealed),
        cmocka_unit_test(test_account_update),
        cmocka_unit_test(test_account_running),
    };
    return cmocka_run_group_tests(tests, cfg_setup, NULL);
}
