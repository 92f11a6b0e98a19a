/* Fuzz target: JSON request bodies of the admin API (docs/api.md),
 * parsed as the API parses them (json_loadb, JSON_REJECT_DUPLICATES),
 * then through the public decoders that take them.
 *
 * Reached: an account body, both as a create (POST /api/accounts) and as
 * an update of a stored account holding secrets (PUT), and the masking
 * of secrets in any JSON; the symbols of a subscription body as far as
 * the Raft command they become. The validators of the other write bodies
 * (failover, members, transfer) and of the account and subscription
 * bodies as the handlers apply them are fuzz_admin_validate.c's.
 *
 * Checks: an accepted account is valid, converts to JSON and back to the
 * same account, masked or not; an update keeps the id, and a secret sent
 * back as the mask "***" keeps its stored value; a symbol the API accepts
 * makes a command that encodes and decodes to the same symbols. */
#include <jansson.h>
#include <string.h>

#include "common/account_json.h"
#include "fuzz.h"
#include "raft/cmd.h"

/* The account an update applies to: its params hold secrets. */
#define ADMIN_STORED                                                         \
    "{\"id\":\"ctp_main\",\"gateway_type\":\"ctp\",\"priority\":2,"          \
    "\"exchanges\":[\"SHFE\",\"DCE\"],\"canary\":\"rb2601.SHFE\","           \
    "\"params\":{\"password\":\"s3cret\",\"front\":{\"auth_code\":\"c0de\"," \
    "\"port\":1}}}"

static struct hamd_account admin_stored;
static bool admin_stored_ready;

static bool admin_account_same(const struct hamd_account *a,
                               const struct hamd_account *b)
{
    if (a->n_exchanges != b->n_exchanges)
        return false;
    for (unsigned i = 0; i < a->n_exchanges; i++)
        if (strcmp(a->exchanges[i], b->exchanges[i]) != 0)
            return false;
    return strcmp(a->id, b->id) == 0 && strcmp(a->name, b->name) == 0 &&
           strcmp(a->gateway_type, b->gateway_type) == 0 &&
           a->priority == b->priority && a->enabled == b->enabled &&
           strcmp(a->canary, b->canary) == 0 &&
           strcmp(a->params, b->params) == 0;
}

/* What hamd_account_from_json promises of an account it accepted. */
static void admin_account_valid(const struct hamd_account *a)
{
    FUZZ_CHECK(hamd_account_id_valid(a->id) &&
               hamd_account_id_valid(a->gateway_type));
    FUZZ_CHECK(a->priority >= HAMD_PRIORITY_MIN &&
               a->priority <= HAMD_PRIORITY_MAX);
    FUZZ_CHECK(a->n_exchanges >= 1 && a->n_exchanges <= HAMD_ACCOUNT_EXCH_MAX);
    FUZZ_CHECK(a->name[0] != '\0');
    FUZZ_CHECK(a->canary[0] == '\0' || hamd_account_serves(a, a->canary));
    json_t *params = json_loads(a->params, 0, NULL);
    FUZZ_CHECK(json_is_object(params));
    json_decref(params);
}

/* The account goes to JSON (as GET answers) and back unchanged. */
static void admin_account_roundtrip(const struct hamd_account *a)
{
    struct hamd_account b;
    json_t *plain = hamd_account_to_json(a, false);
    json_t *masked = hamd_account_to_json(a, true);
    FUZZ_CHECK(plain != NULL && masked != NULL);
    FUZZ_CHECK(hamd_account_from_json(plain, &b, false, NULL, 0, NULL) == 0);
    FUZZ_CHECK(admin_account_same(a, &b));
    char *text = json_dumps(masked, JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    free(text);
    json_decref(plain);
    json_decref(masked);
}

/* No secret of old reads as the mask in new, at any depth. */
static void admin_unmasked_check(const json_t *new_params,
                                 const json_t *old_params)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)new_params, key, v) {
        const json_t *old = json_object_get(old_params, key);
        if (old == NULL)
            continue;
        if (hamd_param_is_secret(key) && json_is_string(v))
            FUZZ_CHECK(strcmp(json_string_value(v), HAMD_SECRET_MASK) != 0 ||
                       (json_is_string(old) &&
                        strcmp(json_string_value(old), HAMD_SECRET_MASK) == 0));
        else if (json_is_object(v) && json_is_object(old))
            admin_unmasked_check(v, old);
    }
}

static void admin_create_check(const json_t *body)
{
    struct hamd_account a;
    char err[HAMD_ACCOUNT_ERR_MAX] = "";
    if (hamd_account_from_json(body, &a, false, err, sizeof err, NULL) != 0) {
        FUZZ_CHECK(err[0] != '\0');
        return;
    }
    admin_account_valid(&a);
    admin_account_roundtrip(&a);
}

static void admin_update_check(const json_t *body)
{
    struct hamd_account a = admin_stored;
    char err[HAMD_ACCOUNT_ERR_MAX] = "";
    const char *field;
    if (hamd_account_from_json(body, &a, true, err, sizeof err, &field) != 0) {
        FUZZ_CHECK(err[0] != '\0');
        FUZZ_CHECK(admin_account_same(&a, &admin_stored));
        return;
    }
    FUZZ_CHECK(strcmp(a.id, admin_stored.id) == 0);
    admin_account_valid(&a);
    admin_account_roundtrip(&a);
    json_t *now = json_loads(a.params, 0, NULL);
    json_t *before = json_loads(admin_stored.params, 0, NULL);
    admin_unmasked_check(now, before);
    json_decref(now);
    json_decref(before);
}

/* The symbols of a subscription body the API would accept, as the SUBS_ADD
 * command they become. */
static void admin_symbols_check(const json_t *body)
{
    const json_t *arr = json_object_get(body, "symbols");
    struct hamd_cmd cmd, back;
    size_t i;
    json_t *v;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_ADD);
    json_array_foreach((json_t *)arr, i, v) {
        const char *s = json_string_value(v);
        if (s != NULL && hamd_tick_vt_symbol_valid(s, strlen(s)))
            FUZZ_CHECK(hamd_cmd_add_symbol(&cmd, s) == 0);
    }
    struct raft_buffer buf;
    FUZZ_CHECK(hamd_cmd_encode(&cmd, &buf) == 0);
    FUZZ_CHECK(hamd_cmd_decode(buf.base, buf.len, &back, NULL, 0) == 0);
    FUZZ_CHECK(back.n_symbols == cmd.n_symbols);
    for (unsigned k = 0; k < cmd.n_symbols; k++)
        FUZZ_CHECK(strcmp(back.symbols[k], cmd.symbols[k]) == 0);
    raft_free(buf.base);
    hamd_cmd_free(&back);
    hamd_cmd_free(&cmd);
}

static void admin_stored_load(void)
{
    json_t *obj = json_loads(ADMIN_STORED, 0, NULL);
    FUZZ_CHECK(obj != NULL);
    FUZZ_CHECK(hamd_account_from_json(obj, &admin_stored, false, NULL, 0,
                                      NULL) == 0);
    json_decref(obj);
    admin_stored_ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!admin_stored_ready)
        admin_stored_load();
    json_error_t jerr;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                              &jerr);
    if (body == NULL)
        return 0;
    admin_create_check(body);
    admin_update_check(body);
    admin_symbols_check(body);
    json_t *copy = json_deep_copy(body);
    hamd_account_mask_secrets(copy);
    json_decref(copy);
    json_decref(body);
    return 0;
}
