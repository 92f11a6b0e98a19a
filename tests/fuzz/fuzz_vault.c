/* Fuzz target: sealed secrets (src/common/vault.c): what a node opens of
 * a store entry, a snapshot or a Raft command to launch a gateway, and
 * what `hactl accounts rekey` rewrites; and the key file and secret_keys
 * list it is made with.
 *
 * Input: [text][key file][secret_keys], separated by FUZZ_SEP; the last
 * two optional. text is opened as one sealed value and as params, and
 * rekeyed, by a vault of two keys (fuzz_vault.h); a key file given is
 * loaded with the secret_keys given (else FUZZ_VAULT_NAMES).
 *
 * Checks: an opened value fits its buffer, NUL-terminated, and seals and
 * opens back the same; opened params are a JSON object with nothing
 * sealed left that seal and open back the same; rekeyed params open to
 * what the original opens to, and rekeying them again changes nothing; a
 * vault that loads seals and opens back, under a key id of 8 hex digits;
 * a refusal always says why. */
#include <string.h>

#include "fuzz_vault.h"

#define VAULT_PARAMS_MAX 8192 /* bytes of params text, as an account's */
#define VAULT_KID_DIGITS 8    /* hex digits of a key id */
#define VAULT_OPEN_MAX 4097   /* plaintext of one value, NUL included */

static struct hamd_vault *vault; /* the target's, made once */
static char err[HAMD_VAULT_ERR_MAX];

/* Seals plain[0..len) with v and opens it back to the same bytes. */
static void vault_round_trip(const struct hamd_vault *v, const char *plain,
                             size_t len)
{
    static char sealed[3 * VAULT_OPEN_MAX], back[VAULT_OPEN_MAX];
    size_t back_len;
    int n = hamd_vault_seal(v, plain, len, sealed, sizeof sealed);
    FUZZ_CHECK(n > 0 && (size_t)n == strlen(sealed) &&
               hamd_vault_is_sealed(sealed));
    FUZZ_CHECK(hamd_vault_open(v, sealed, back, sizeof back, &back_len, err,
                               sizeof err) == 0);
    FUZZ_CHECK(back_len == len && memcmp(back, plain, len) == 0 &&
               back[len] == '\0');
}

static void vault_value(const char *text)
{
    static char plain[VAULT_OPEN_MAX];
    size_t len = SIZE_MAX;
    err[0] = '\0';
    if (hamd_vault_open(vault, text, plain, sizeof plain, &len, err,
                        sizeof err) != 0) {
        FUZZ_CHECK(err[0] != '\0');
        return;
    }
    FUZZ_CHECK(hamd_vault_is_sealed(text) && len < sizeof plain &&
               plain[len] == '\0');
    vault_round_trip(vault, plain, len);
}

/* Opens params text into out; false (with a reason) when refused. */
static bool vault_open_params(const char *in, char *out)
{
    err[0] = '\0';
    if (hamd_vault_open_params(vault, in, out, VAULT_PARAMS_MAX, err,
                               sizeof err) == 0)
        return true;
    FUZZ_CHECK(err[0] != '\0');
    return false;
}

static void vault_params(const char *text)
{
    static char opened[VAULT_PARAMS_MAX], sealed[VAULT_PARAMS_MAX],
        again[VAULT_PARAMS_MAX], rekeyed[VAULT_PARAMS_MAX],
        twice[VAULT_PARAMS_MAX];
    bool ok = vault_open_params(text, opened);
    if (ok && !hamd_vault_params_sealed(opened)) {
        json_t *j = json_loads(opened, 0, NULL);
        FUZZ_CHECK(json_is_object(j));
        json_decref(j);
        if (hamd_vault_seal_params(vault, opened, sealed, sizeof sealed, err,
                                   sizeof err) == 0) {
            FUZZ_CHECK(vault_open_params(sealed, again));
            FUZZ_CHECK(strcmp(again, opened) == 0);
        }
    }
    bool changed;
    if (hamd_vault_rekey_params(vault, text, rekeyed, sizeof rekeyed,
                                &changed, err, sizeof err) != 0)
        return;
    FUZZ_CHECK(changed == (strcmp(text, rekeyed) != 0));
    if (ok) {
        FUZZ_CHECK(vault_open_params(rekeyed, again));
        FUZZ_CHECK(strcmp(again, opened) == 0);
    }
    FUZZ_CHECK(hamd_vault_rekey_params(vault, rekeyed, twice, sizeof twice,
                                       &changed, err, sizeof err) == 0);
    FUZZ_CHECK(!changed);
}

/* A vault of a fuzzed key file and secret_keys list. */
static void vault_load(const uint8_t *keys, size_t klen, const char *names)
{
    const char *path = fuzz_scratch_file("fuzzed", keys, klen);
    err[0] = '\0';
    struct hamd_vault *v = hamd_vault_new(path, names, err, sizeof err);
    if (v == NULL) {
        FUZZ_CHECK(err[0] != '\0');
        return;
    }
    FUZZ_CHECK(hamd_vault_can_seal(v));
    const char *kid = hamd_vault_key_id(v);
    FUZZ_CHECK(strlen(kid) == VAULT_KID_DIGITS &&
               strspn(kid, "0123456789abcdef") == VAULT_KID_DIGITS);
    vault_round_trip(v, "\"x\"", 3);
    hamd_vault_destroy(&v);
    FUZZ_CHECK(v == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (vault == NULL)
        vault = fuzz_vault_with(FUZZ_VAULT_KEYS);
    struct fuzz_parts it;
    const uint8_t *p, *keys = NULL;
    size_t len, klen = 0;
    fuzz_parts_init(&it, data, size, FUZZ_SEP, FUZZ_SEP_LEN);
    if (!fuzz_parts_next(&it, &p, &len))
        return 0;
    char *text = fuzz_strndup(p, len);
    vault_value(text);
    vault_params(text);
    free(text);
    if (fuzz_parts_next(&it, &keys, &klen)) {
        char *names = fuzz_parts_next(&it, &p, &len) ? fuzz_strndup(p, len)
                                                     : strdup(FUZZ_VAULT_NAMES);
        FUZZ_CHECK(names != NULL);
        vault_load(keys, klen, names);
        free(names);
    }
    return 0;
}
