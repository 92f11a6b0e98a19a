/* Account <-> JSON with strict validation: see account_json.h. This runs
 * in the control plane on admin requests, so clarity beats speed. */
#include "common/account_json.h"
#include "common/vault.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Field validators
 * ------------------------------------------------------------------------ */

/* A field validator: applies v to *a, or writes a message and returns -1. */
typedef int (*acct_field_fn)(const json_t *v, struct hamd_account *a,
                             char *err, size_t cap);

/* Formats an error message (err may be NULL) and returns -1. */
__attribute__((format(printf, 3, 4)))
static int acct_fail(char *err, size_t cap, const char *fmt, ...)
{
    if (err != NULL && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The value of a string without embedded NUL (jansson can hold "\u0000"),
 * or NULL for anything else. */
static const char *acct_str(const json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != json_string_length(v))
        return NULL;
    return s;
}

/* Copies s (known to fit) and zero-fills the rest of dst, so an account
 * struct's bytes depend only on its values (it may be persisted or
 * compared whole). */
static void acct_copy(char *dst, size_t cap, const char *s)
{
    memset(dst, 0, cap);
    memcpy(dst, s, strlen(s));
}

static int acct_set_id(const json_t *v, struct hamd_account *a, char *err,
                       size_t cap)
{
    const char *s = acct_str(v);
    if (!hamd_account_id_valid(s))
        return acct_fail(err, cap, "id must be 1-%d characters of a-z 0-9 _ -,"
                         " starting with a letter or digit",
                         HAMD_ACCOUNT_SLUG_MAX);
    acct_copy(a->id, sizeof a->id, s);
    return 0;
}

static int acct_set_name(const json_t *v, struct hamd_account *a, char *err,
                         size_t cap)
{
    const char *s = acct_str(v);
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n >= sizeof a->name)
        return acct_fail(err, cap, "name must be a string of 1-%zu bytes",
                         sizeof a->name - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
            return acct_fail(err, cap, "name must not hold control characters");
    acct_copy(a->name, sizeof a->name, s);
    return 0;
}

static int acct_set_gateway_type(const json_t *v, struct hamd_account *a,
                                 char *err, size_t cap)
{
    const char *s = acct_str(v);
    /* A slug too: it is a key of the [gateways] config section. */
    if (!hamd_account_id_valid(s) ||
        strlen(s) >= sizeof a->gateway_type)
        return acct_fail(err, cap, "gateway_type must be 1-%zu characters of"
                         " a-z 0-9 _ -", sizeof a->gateway_type - 1);
    acct_copy(a->gateway_type, sizeof a->gateway_type, s);
    return 0;
}

static int acct_set_priority(const json_t *v, struct hamd_account *a,
                             char *err, size_t cap)
{
    json_int_t p = json_integer_value(v);
    if (!json_is_integer(v) || p < HAMD_PRIORITY_MIN || p > HAMD_PRIORITY_MAX)
        return acct_fail(err, cap, "priority must be an integer in %d..%d",
                         HAMD_PRIORITY_MIN, HAMD_PRIORITY_MAX);
    a->priority = (int)p;
    return 0;
}

static int acct_set_enabled(const json_t *v, struct hamd_account *a,
                            char *err, size_t cap)
{
    if (!json_is_boolean(v))
        return acct_fail(err, cap, "enabled must be true or false");
    a->enabled = json_is_true(v);
    return 0;
}

/* An exchange code: 1..15 of A-Z 0-9 _ - ("SHFE", "CZCE", "SMART"). */
static bool acct_exchange_valid(const char *s, size_t n)
{
    if (n == 0 || n >= HAMD_EXCHANGE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

static int acct_set_exchanges(const json_t *v, struct hamd_account *a,
                              char *err, size_t cap)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n == 0 || n > HAMD_ACCOUNT_EXCH_MAX)
        return acct_fail(err, cap, "exchanges must be an array of 1-%d"
                         " exchange codes", HAMD_ACCOUNT_EXCH_MAX);
    /* Zeroed for the same reason as acct_copy. */
    char codes[HAMD_ACCOUNT_EXCH_MAX][HAMD_EXCHANGE_MAX] = {{0}};
    for (size_t i = 0; i < n; i++) {
        const char *s = acct_str(json_array_get(v, i));
        if (s == NULL || !acct_exchange_valid(s, strlen(s)))
            return acct_fail(err, cap, "exchanges[%zu] must be 1-%d"
                             " characters of A-Z 0-9 _ -", i,
                             HAMD_EXCHANGE_MAX - 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(codes[j], s) == 0)
                return acct_fail(err, cap, "exchanges lists %s twice", s);
        strcpy(codes[i], s);
    }
    memcpy(a->exchanges, codes, sizeof codes);
    a->n_exchanges = (unsigned)n;
    return 0;
}

static int acct_set_canary(const json_t *v, struct hamd_account *a,
                           char *err, size_t cap)
{
    const char *s = acct_str(v);
    size_t n = s != NULL ? strlen(s) : 0;
    if (s == NULL || (n > 0 && !hamd_tick_vt_symbol_valid(s, n)))
        return acct_fail(err, cap, "canary must be \"\" or a vt_symbol"
                         " \"symbol.EXCHANGE\" of at most %d characters",
                         HAMD_VT_SYMBOL_MAX - 1);
    acct_copy(a->canary, sizeof a->canary, s);
    return 0;
}

/* A value sealed at rest (common/vault.h): masked like a secret, whatever
 * its key is called. */
static bool acct_sealed(const json_t *v)
{
    return json_is_string(v) && hamd_vault_is_sealed(json_string_value(v));
}

/* Puts back, at any depth, stored secrets that arrive as the mask. */
static void acct_unmask(json_t *incoming, const json_t *stored)
{
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(incoming, tmp, key, val) {
        const json_t *old = json_object_get(stored, key);
        if (old == NULL)
            continue;
        bool masked = json_is_string(val) &&
                      strcmp(json_string_value(val), HAMD_SECRET_MASK) == 0;
        if (masked && (hamd_param_is_secret(key) || acct_sealed(old)))
            json_object_set_new(incoming, key, json_deep_copy(old));
        else if (json_is_object(val) && json_is_object(old))
            acct_unmask(val, old);
    }
}

/* Serialises params compactly into a->params. With unmask, masked secrets
 * take their values from the params already stored in *a. */
static int acct_store_params(const json_t *v, struct hamd_account *a,
                             bool unmask, char *err, size_t cap)
{
    if (!json_is_object(v))
        return acct_fail(err, cap, "params must be a JSON object");
    json_t *copy = json_deep_copy(v);
    if (copy == NULL)
        return acct_fail(err, cap, "out of memory");
    if (unmask) {
        json_t *stored = json_loads(a->params, 0, NULL);
        if (stored != NULL)
            acct_unmask(copy, stored);
        json_decref(stored);
    }
    size_t n = json_dumpb(copy, a->params, sizeof a->params - 1, JSON_COMPACT);
    json_decref(copy);
    if (n == 0 || n >= sizeof a->params)
        return acct_fail(err, cap, "params must be at most %zu bytes of"
                         " compact JSON", sizeof a->params - 1);
    memset(a->params + n, 0, sizeof a->params - n);
    return 0;
}

static int acct_set_params(const json_t *v, struct hamd_account *a,
                           char *err, size_t cap)
{
    return acct_store_params(v, a, false, err, cap);
}

/* ------------------------------------------------------------------------
 * Reading an account
 * ------------------------------------------------------------------------ */

/* The fields of an account, in output order. */
static const struct acct_field {
    const char *name;  /* JSON key */
    acct_field_fn set; /* validator + setter */
    bool required;     /* must be present on create */
} ACCT_FIELDS[] = {
    {"id", acct_set_id, true},
    {"name", acct_set_name, false},
    {"gateway_type", acct_set_gateway_type, true},
    {"priority", acct_set_priority, true},
    {"enabled", acct_set_enabled, false},
    {"exchanges", acct_set_exchanges, true},
    {"canary", acct_set_canary, false},
    {"params", acct_set_params, false},
};
#define ACCT_NFIELDS (sizeof ACCT_FIELDS / sizeof ACCT_FIELDS[0])

/* Returns the first key of obj that is not an account field, or NULL. */
static const char *acct_unknown_key(const json_t *obj)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        bool known = false;
        for (size_t i = 0; i < ACCT_NFIELDS && !known; i++)
            known = strcmp(ACCT_FIELDS[i].name, key) == 0;
        if (!known)
            return key;
    }
    return NULL;
}

/* Applies one present field; updates keep their id and stored secrets. */
static int acct_apply(const struct acct_field *f, const json_t *v,
                      struct hamd_account *a, bool partial, char *err,
                      size_t cap)
{
    if (partial && f->set == acct_set_id) {
        if (!json_is_string(v) || strcmp(json_string_value(v), a->id) != 0)
            return acct_fail(err, cap, "id cannot be changed (is %s)", a->id);
        return 0;
    }
    if (partial && f->set == acct_set_params)
        return acct_store_params(v, a, true, err, cap);
    return f->set(v, a, err, cap);
}

/* The canary must be a contract of one of the account's exchanges. */
static int acct_check_canary(const struct hamd_account *a, char *err,
                             size_t cap)
{
    if (a->canary[0] == '\0' || hamd_account_serves(a, a->canary))
        return 0;
    return acct_fail(err, cap, "canary %s is not on any of the account's"
                     " exchanges", a->canary);
}

static void acct_defaults(struct hamd_account *a)
{
    memset(a, 0, sizeof *a);
    a->enabled = true;
    strcpy(a->params, "{}");
}

int hamd_account_from_json(const json_t *obj, struct hamd_account *out,
                           bool partial, char *err, size_t cap,
                           const char **field)
{
    const char *dummy;
    field = field != NULL ? field : &dummy;
    *field = NULL;
    if (!json_is_object(obj))
        return acct_fail(err, cap, "an account must be a JSON object");
    const char *unknown = acct_unknown_key(obj);
    if (unknown != NULL) {
        *field = unknown;
        return acct_fail(err, cap, "unknown field %s", unknown);
    }
    struct hamd_account a;
    if (partial)
        a = *out;
    else
        acct_defaults(&a);
    for (size_t i = 0; i < ACCT_NFIELDS; i++) {
        const struct acct_field *f = &ACCT_FIELDS[i];
        const json_t *v = json_object_get(obj, f->name);
        *field = f->name;
        if (v == NULL && f->required && !partial)
            return acct_fail(err, cap, "%s is required", f->name);
        if (v != NULL && acct_apply(f, v, &a, partial, err, cap) < 0)
            return -1;
    }
    *field = "canary";
    if (acct_check_canary(&a, err, cap) < 0)
        return -1;
    *field = NULL;
    if (a.name[0] == '\0')
        acct_copy(a.name, sizeof a.name, a.id);
    *out = a;
    return 0;
}

/* ------------------------------------------------------------------------
 * Writing an account
 * ------------------------------------------------------------------------ */

void hamd_account_mask_secrets(json_t *json)
{
    if (json_is_array(json)) {
        for (size_t i = 0; i < json_array_size(json); i++)
            hamd_account_mask_secrets(json_array_get(json, i));
        return;
    }
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(json, tmp, key, val) {
        if (hamd_param_is_secret(key) || acct_sealed(val))
            json_object_set_new(json, key, json_string(HAMD_SECRET_MASK));
        else
            hamd_account_mask_secrets(val);
    }
}

/* The exchanges as a JSON array. */
static json_t *acct_exchanges_json(const struct hamd_account *a)
{
    json_t *arr = json_array();
    unsigned n = a->n_exchanges;
    if (n > HAMD_ACCOUNT_EXCH_MAX)
        n = HAMD_ACCOUNT_EXCH_MAX;
    for (unsigned i = 0; i < n && arr != NULL; i++)
        json_array_append_new(arr, json_string(a->exchanges[i]));
    return arr;
}

json_t *hamd_account_to_json(const struct hamd_account *a, bool mask_secrets)
{
    /* params is only ever set from a validated object; an unreadable one
     * (a corrupted store) reads as empty rather than failing the API. */
    json_t *params = json_loads(a->params, 0, NULL);
    if (!json_is_object(params)) {
        json_decref(params);
        params = json_object();
    }
    if (mask_secrets)
        hamd_account_mask_secrets(params);
    json_t *o = json_object();
    if (o == NULL) {
        json_decref(params);
        return NULL;
    }
    int rc = json_object_set_new(o, "id", json_string(a->id));
    rc |= json_object_set_new(o, "name", json_string(a->name));
    rc |= json_object_set_new(o, "gateway_type", json_string(a->gateway_type));
    rc |= json_object_set_new(o, "priority", json_integer(a->priority));
    rc |= json_object_set_new(o, "enabled", json_boolean(a->enabled));
    rc |= json_object_set_new(o, "exchanges", acct_exchanges_json(a));
    rc |= json_object_set_new(o, "canary", json_string(a->canary));
    rc |= json_object_set_new(o, "params", params);
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}
