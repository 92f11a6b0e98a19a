/* Account helpers and the account JSON codec: slugs, serving, secret
 * detection, strict validation naming the bad field, updates, masking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "common/account.h"
#include "common/account_json.h"

static const char *GOOD =
    "{\"id\": \"ctp_main\", \"name\": \"CTP main\", \"gateway_type\": \"ctp\","
    " \"priority\": 2, \"enabled\": false, \"exchanges\": [\"SHFE\", \"DCE\"],"
    " \"canary\": \"rb2601.SHFE\","
    " \"params\": {\"userid\": \"u1\", \"password\": \"hunter2\","
    "  \"td\": {\"auth_code\": \"AC\", \"address\": \"tcp://x:1\"},"
    "  \"fronts\": [{\"token\": \"T\", \"host\": \"h\"}]}}";

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (j == NULL)
        fail_msg("bad test JSON: %s", e.text);
    return j;
}

/* ---- account.c ---- */

static void test_id_slugs(void **state)
{
    (void)state;
    assert_true(hamd_account_id_valid("ctp_main"));
    assert_true(hamd_account_id_valid("a"));
    assert_true(hamd_account_id_valid("9-x_y"));
    assert_true(hamd_account_id_valid("a234567890123456789012345678901"));
    assert_false(hamd_account_id_valid("a2345678901234567890123456789012"));
    assert_false(hamd_account_id_valid(""));
    assert_false(hamd_account_id_valid(NULL));
    assert_false(hamd_account_id_valid("_x"));
    assert_false(hamd_account_id_valid("-x"));
    assert_false(hamd_account_id_valid("Ctp"));
    assert_false(hamd_account_id_valid("a b"));
    assert_false(hamd_account_id_valid("a.b"));
    assert_false(hamd_account_id_valid("caf\xc3\xa9"));
}

/* Source ids: an account, or ACCOUNT@nodeN for its relayed form. */
static void test_source_ids(void **state)
{
    (void)state;
    char acc[HAMD_ACCOUNT_ID_MAX], out[HAMD_ACCOUNT_ID_MAX];
    unsigned node = 99;
    assert_true(hamd_source_id_parse("sim_a", acc, &node));
    assert_string_equal(acc, "sim_a");
    assert_int_equal(node, 0);
    assert_true(hamd_source_id_parse("sim_a@node2", acc, &node));
    assert_string_equal(acc, "sim_a");
    assert_int_equal(node, 2);
    /* The longest account from the largest node still fits. */
    const char *longest = "a234567890123456789012345678901@node65535";
    assert_int_equal(strlen(longest) + 1, HAMD_ACCOUNT_ID_MAX);
    assert_true(hamd_source_id_valid(longest));
    assert_int_equal(hamd_source_id_format(out, sizeof out,
                                           "a234567890123456789012345678901",
                                           65535), 0);
    assert_string_equal(out, longest);
    assert_int_equal(hamd_source_id_format(out, sizeof out, "sim_b", 3), 0);
    assert_string_equal(out, "sim_b@node3");
    assert_int_equal(hamd_source_id_format(out, sizeof out, "sim_b", 0), 0);
    assert_string_equal(out, "sim_b");
    assert_int_equal(hamd_source_id_format(out, 8, "sim_b", 3), -1);
    assert_int_equal(hamd_source_id_format(out, sizeof out, "Bad", 3), -1);
    assert_int_equal(hamd_source_id_format(out, sizeof out, "a", 65536), -1);
    const char *bad[] = {"sim_a@node", "sim_a@node0", "sim_a@node02",
                         "sim_a@node65536", "sim_a@node2x", "@node2",
                         "sim_a@nod2", "Sim@node2", "sim_a@node2@node3",
                         "a2345678901234567890123456789012@node1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(hamd_source_id_valid(bad[i]));
    assert_false(hamd_source_id_valid(NULL));
}

static void test_serves_by_last_dot(void **state)
{
    (void)state;
    struct hamd_account a;
    memset(&a, 0, sizeof a);
    a.n_exchanges = 2;
    strcpy(a.exchanges[0], "SHFE");
    strcpy(a.exchanges[1], "DCE");
    assert_true(hamd_account_serves(&a, "rb2601.SHFE"));
    assert_true(hamd_account_serves(&a, "m2605.DCE"));
    assert_true(hamd_account_serves(&a, "odd.name.DCE"));
    assert_false(hamd_account_serves(&a, "IF2601.CFFEX"));
    assert_false(hamd_account_serves(&a, "SHFE.rb2601"));
    assert_false(hamd_account_serves(&a, "rb2601.shfe"));
    assert_false(hamd_account_serves(&a, "rb2601.SHFEX"));
    assert_false(hamd_account_serves(&a, "rb2601."));
    assert_false(hamd_account_serves(&a, "SHFE"));
}

static void test_secret_keys(void **state)
{
    (void)state;
    const char *secret[] = {"password", "PassWord", "passwd", "pwd",
                            "client_secret", "access_token", "api_key",
                            "apiKey", "private_key", "auth_code",
                            "Authorization", "credentials", "cookie",
                            "pin", "PIN", "trade_pin", "tradePin", "pin2",
                            /* vnpy's setting keys (vnpy_ctp and others) */
                            "密码", "交易密码", "授权编码", "口令", "密钥"};
    const char *plain[] = {"userid", "brokerid", "td_address", "appid",
                           "product_info", "shipping", "spinner", "host",
                           "seed", "rate",
                           "用户名", "经纪商代码", "交易服务器", "行情服务器",
                           "产品名称", "产品信息"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        if (!hamd_param_is_secret(secret[i]))
            fail_msg("%s should be secret", secret[i]);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (hamd_param_is_secret(plain[i]))
            fail_msg("%s should not be secret", plain[i]);
}

/* ---- from_json: create ---- */

static void test_create_full(void **state)
{
    (void)state;
    json_t *j = parse(GOOD);
    struct hamd_account a;
    char err[HAMD_ACCOUNT_ERR_MAX];
    const char *field = "x";
    assert_int_equal(hamd_account_from_json(j, &a, false, err, sizeof err,
                                            &field), 0);
    assert_null(field);
    assert_string_equal(a.id, "ctp_main");
    assert_string_equal(a.name, "CTP main");
    assert_string_equal(a.gateway_type, "ctp");
    assert_int_equal(a.priority, 2);
    assert_false(a.enabled);
    assert_int_equal(a.n_exchanges, 2);
    assert_string_equal(a.exchanges[1], "DCE");
    assert_string_equal(a.canary, "rb2601.SHFE");
    /* params are stored compactly, in the order given. */
    assert_non_null(strstr(a.params, "{\"userid\":\"u1\",\"password\":"
                                     "\"hunter2\",\"td\":{"));
    json_decref(j);
}

static void test_create_defaults(void **state)
{
    (void)state;
    json_t *j = parse("{\"id\": \"sim_a\", \"gateway_type\": \"sim\","
                      " \"priority\": 1, \"exchanges\": [\"SHFE\"]}");
    struct hamd_account a;
    assert_int_equal(hamd_account_from_json(j, &a, false, NULL, 0, NULL), 0);
    assert_string_equal(a.name, "sim_a");
    assert_true(a.enabled);
    assert_string_equal(a.params, "{}");
    assert_string_equal(a.canary, "");
    json_decref(j);
}

struct bad_case {
    const char *json;  /* the body */
    const char *field; /* expected offending field, NULL for the body */
};

static void test_create_rejections_name_the_field(void **state)
{
    (void)state;
#define BASE_OK "\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1," \
                " \"exchanges\": [\"SHFE\"]"
    const struct bad_case cases[] = {
        {"[]", NULL},
        {"\"account\"", NULL},
        {"{" BASE_OK ", \"colour\": \"red\"}", "colour"},
        {"{\"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": [\"SHFE\"]}", "id"},
        {"{\"id\": \"a\", \"priority\": 1, \"exchanges\": [\"SHFE\"]}",
         "gateway_type"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"exchanges\": [\"X\"]}",
         "priority"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1}",
         "exchanges"},
        {"{\"id\": \"Bad Id\", \"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": [\"SHFE\"]}", "id"},
        {"{\"id\": 7, \"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": [\"SHFE\"]}", "id"},
        {"{" BASE_OK ", \"name\": \"\"}", "name"},
        {"{" BASE_OK ", \"name\": 3}", "name"},
        {"{" BASE_OK ", \"name\": \"a\\nb\"}", "name"},
        {"{" BASE_OK ", \"name\": \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
         "nnnnnnnnnnnnnnnnnnnnnnn\"}", "name"},
        {"{\"id\": \"a\", \"gateway_type\": \"S I M\", \"priority\": 1,"
         " \"exchanges\": [\"SHFE\"]}", "gateway_type"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 0,"
         " \"exchanges\": [\"SHFE\"]}", "priority"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1001,"
         " \"exchanges\": [\"SHFE\"]}", "priority"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1.5,"
         " \"exchanges\": [\"SHFE\"]}", "priority"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": \"1\","
         " \"exchanges\": [\"SHFE\"]}", "priority"},
        {"{" BASE_OK ", \"enabled\": 1}", "enabled"},
        {"{" BASE_OK ", \"enabled\": \"true\"}", "enabled"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": []}", "exchanges"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": \"SHFE\"}", "exchanges"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": [\"\"]}", "exchanges"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": [\"shfe\"]}", "exchanges"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": [\"SHFE\", \"SHFE\"]}", "exchanges"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": [\"ABCDEFGHIJKLMNOP\"]}", "exchanges"},
        {"{\"id\": \"a\", \"gateway_type\": \"sim\", \"priority\": 1,"
         " \"exchanges\": [\"A\",\"B\",\"C\",\"D\",\"E\",\"F\",\"G\",\"H\","
         "\"I\",\"J\",\"K\",\"L\",\"M\",\"N\",\"O\",\"P\",\"Q\"]}",
         "exchanges"},
        {"{" BASE_OK ", \"canary\": \"rb2601\"}", "canary"},
        {"{" BASE_OK ", \"canary\": \"rb2601.\"}", "canary"},
        {"{" BASE_OK ", \"canary\": 5}", "canary"},
        {"{" BASE_OK ", \"canary\": \"rb2601.DCE\"}", "canary"},
        {"{" BASE_OK ", \"params\": []}", "params"},
        {"{" BASE_OK ", \"params\": \"{}\"}", "params"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = parse(cases[i].json);
        struct hamd_account a;
        memset(&a, 0x5a, sizeof a);
        struct hamd_account before = a;
        char err[HAMD_ACCOUNT_ERR_MAX] = "";
        const char *field = "unset";
        int rc = hamd_account_from_json(j, &a, false, err, sizeof err, &field);
        if (rc != -1)
            fail_msg("case %zu accepted: %s", i, cases[i].json);
        if (cases[i].field == NULL ? field != NULL
                                   : field == NULL ||
                                         strcmp(field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, want %s (%s)", i,
                     field ? field : "NULL",
                     cases[i].field ? cases[i].field : "NULL", err);
        assert_true(strlen(err) > 0);
        assert_memory_equal(&a, &before, sizeof a); /* untouched */
        json_decref(j);
    }
#undef BASE_OK
}

static void test_params_too_large(void **state)
{
    (void)state;
    json_t *j = parse("{\"id\": \"a\", \"gateway_type\": \"sim\","
                      " \"priority\": 1, \"exchanges\": [\"SHFE\"]}");
    json_t *params = json_object();
    char big[HAMD_PARAMS_MAX];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_object_set_new(params, "blob", json_string(big));
    json_object_set_new(j, "params", params);
    struct hamd_account a;
    char err[HAMD_ACCOUNT_ERR_MAX];
    const char *field = NULL;
    assert_int_equal(hamd_account_from_json(j, &a, false, err, sizeof err,
                                            &field), -1);
    assert_string_equal(field, "params");
    /* Just under the limit fits: {"blob":"x..."} is 11 bytes of framing. */
    big[HAMD_PARAMS_MAX - 1 - 11] = '\0';
    json_object_set_new(params, "blob", json_string(big));
    assert_int_equal(hamd_account_from_json(j, &a, false, err, sizeof err,
                                            &field), 0);
    assert_int_equal(strlen(a.params), HAMD_PARAMS_MAX - 1);
    json_decref(j);
}

/* ---- from_json: update ---- */

static void load_good(struct hamd_account *a)
{
    json_t *j = parse(GOOD);
    assert_int_equal(hamd_account_from_json(j, a, false, NULL, 0, NULL), 0);
    json_decref(j);
}

static void test_update_applies_only_present_fields(void **state)
{
    (void)state;
    struct hamd_account a;
    load_good(&a);
    json_t *patch = parse("{\"priority\": 5, \"enabled\": true}");
    assert_int_equal(hamd_account_from_json(patch, &a, true, NULL, 0, NULL), 0);
    assert_int_equal(a.priority, 5);
    assert_true(a.enabled);
    assert_string_equal(a.name, "CTP main");
    assert_string_equal(a.canary, "rb2601.SHFE");
    assert_int_equal(a.n_exchanges, 2);
    assert_non_null(strstr(a.params, "hunter2"));
    json_decref(patch);

    patch = parse("{\"id\": \"ctp_main\", \"canary\": \"\"}");
    assert_int_equal(hamd_account_from_json(patch, &a, true, NULL, 0, NULL), 0);
    assert_string_equal(a.canary, "");
    json_decref(patch);
}

static void test_update_rejections(void **state)
{
    (void)state;
    struct hamd_account a, before;
    load_good(&a);
    before = a;
    const struct bad_case cases[] = {
        {"{\"id\": \"other\"}", "id"},
        {"{\"priority\": -1}", "priority"},
        {"{\"exchanges\": [\"DCE\"]}", "canary"}, /* canary on SHFE */
        {"{\"bogus\": 1}", "bogus"},
        {"{\"name\": null}", "name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = parse(cases[i].json);
        char err[HAMD_ACCOUNT_ERR_MAX];
        const char *field = NULL;
        assert_int_equal(hamd_account_from_json(j, &a, true, err, sizeof err,
                                                &field), -1);
        assert_non_null(field);
        if (strcmp(field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, want %s", i, field, cases[i].field);
        assert_memory_equal(&a, &before, sizeof a);
        json_decref(j);
    }
}

/* GET (masked) then PUT of the same params keeps the stored secrets,
 * while a new value for a secret replaces it. */
static void test_update_masked_secrets_keep_stored_values(void **state)
{
    (void)state;
    struct hamd_account a;
    load_good(&a);
    json_t *shown = hamd_account_to_json(&a, true);
    json_t *params = json_object_get(shown, "params");
    json_object_set_new(params, "userid", json_string("u2"));
    json_t *patch = json_pack("{s:O}", "params", params);
    assert_int_equal(hamd_account_from_json(patch, &a, true, NULL, 0, NULL), 0);
    json_t *stored = json_loads(a.params, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(stored, "userid")),
                        "u2");
    assert_string_equal(json_string_value(json_object_get(stored, "password")),
                        "hunter2");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(stored, "td"), "auth_code")),
                        "AC");
    json_decref(stored);
    json_decref(patch);
    json_decref(shown);

    patch = parse("{\"params\": {\"password\": \"new\"}}");
    assert_int_equal(hamd_account_from_json(patch, &a, true, NULL, 0, NULL), 0);
    assert_string_equal(a.params, "{\"password\":\"new\"}");
    json_decref(patch);
}

/* ---- to_json ---- */

static void test_to_json_round_trip(void **state)
{
    (void)state;
    struct hamd_account a, b;
    load_good(&a);
    json_t *j = hamd_account_to_json(&a, false);
    assert_non_null(j);
    assert_int_equal(hamd_account_from_json(j, &b, false, NULL, 0, NULL), 0);
    assert_string_equal(a.id, b.id);
    assert_string_equal(a.name, b.name);
    assert_string_equal(a.gateway_type, b.gateway_type);
    assert_int_equal(a.priority, b.priority);
    assert_int_equal(a.enabled, b.enabled);
    assert_int_equal(a.n_exchanges, b.n_exchanges);
    assert_memory_equal(a.exchanges, b.exchanges, sizeof a.exchanges);
    assert_string_equal(a.canary, b.canary);
    assert_string_equal(a.params, b.params);
    json_decref(j);
}

static void test_to_json_masks_secrets_nested(void **state)
{
    (void)state;
    struct hamd_account a;
    load_good(&a);
    json_t *j = hamd_account_to_json(&a, true);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_null(strstr(text, "hunter2"));
    assert_null(strstr(text, "\"AC\""));
    assert_null(strstr(text, "\"T\""));
    free(text);
    json_t *p = json_object_get(j, "params");
    assert_string_equal(json_string_value(json_object_get(p, "password")),
                        HAMD_SECRET_MASK);
    assert_string_equal(json_string_value(json_object_get(p, "userid")), "u1");
    json_t *td = json_object_get(p, "td");
    assert_string_equal(json_string_value(json_object_get(td, "auth_code")),
                        HAMD_SECRET_MASK);
    assert_string_equal(json_string_value(json_object_get(td, "address")),
                        "tcp://x:1");
    json_t *front = json_array_get(json_object_get(p, "fronts"), 0);
    assert_string_equal(json_string_value(json_object_get(front, "token")),
                        HAMD_SECRET_MASK);
    assert_string_equal(json_string_value(json_object_get(front, "host")), "h");
    json_decref(j);
    /* The account itself still holds the secret. */
    assert_non_null(strstr(a.params, "hunter2"));
}

/* A secret whose value is an object is masked whole. */
static void test_mask_whole_secret_object(void **state)
{
    (void)state;
    json_t *j = parse("{\"credentials\": {\"user\": \"u\", \"pw\": \"p\"},"
                      " \"n\": 1}");
    hamd_account_mask_secrets(j);
    assert_string_equal(json_string_value(json_object_get(j, "credentials")),
                        HAMD_SECRET_MASK);
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 1);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_slugs),
        cmocka_unit_test(test_source_ids),
        cmocka_unit_test(test_serves_by_last_dot),
        cmocka_unit_test(test_secret_keys),
        cmocka_unit_test(test_create_full),
        cmocka_unit_test(test_create_defaults),
        cmocka_unit_test(test_create_rejections_name_the_field),
        cmocka_unit_test(test_params_too_large),
        cmocka_unit_test(test_update_applies_only_present_fields),
        cmocka_unit_test(test_update_rejections),
        cmocka_unit_test(test_update_masked_secrets_keep_stored_values),
        cmocka_unit_test(test_to_json_round_trip),
        cmocka_unit_test(test_to_json_masks_secrets_nested),
        cmocka_unit_test(test_mask_whole_secret_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
