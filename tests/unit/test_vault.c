/* Secret params sealed at rest (common/vault.h): secretbox round trip,
 * tamper detection, keys by id across a rotation, sealing at any depth of
 * params (a secret holding a sealed value too), and the key file's
 * checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/vault.h"

#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" /* bytes 0..31 */
#define KEY_B "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=" /* 32..63 */
#define NAMES "password, auth_code"
#define OUT_MAX 4096 /* bytes of a result buffer */

/* A key file in a temp dir with the given text and mode. */
struct key_file {
    char dir[64];   /* mkdtemp */
    char path[128]; /* dir/key */
};

static void key_file_write(struct key_file *kf, const char *text, mode_t mode)
{
    if (!kf->dir[0]) {
        strcpy(kf->dir, "/tmp/hamd-vault-XXXXXX");
        assert_non_null(mkdtemp(kf->dir));
        snprintf(kf->path, sizeof kf->path, "%s/key", kf->dir);
    }
    FILE *f = fopen(kf->path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(kf->path, mode), 0);
}

static void key_file_remove(struct key_file *kf)
{
    unlink(kf->path);
    rmdir(kf->dir);
}

static struct hamd_vault *vault_with(struct key_file *kf, const char *text)
{
    key_file_write(kf, text, 0600);
    char err[HAMD_VAULT_ERR_MAX];
    struct hamd_vault *v = hamd_vault_new(kf->path, NAMES, err, sizeof err);
    if (!v)
        fail_msg("vault: %s", err);
    return v;
}

static void test_round_trip(void **state)
{
    (void)state;
    struct key_file kf = {0};
    struct hamd_vault *v = vault_with(&kf, KEY_A "\n");
    char sealed[OUT_MAX], plain[OUT_MAX], err[HAMD_VAULT_ERR_MAX];
    size_t len;
    const char secret[] = "hunter2 \xe5\xaf\x86\xe7\xa0\x81";
    assert_true(hamd_vault_seal(v, secret, strlen(secret), sealed,
                                sizeof sealed) > 0);
    assert_true(hamd_vault_is_sealed(sealed));
    assert_null(strstr(sealed, "hunter2"));
    assert_int_equal(hamd_vault_open(v, sealed, plain, sizeof plain, &len,
                                     err, sizeof err), 0);
    assert_int_equal(len, strlen(secret));
    assert_string_equal(plain, secret);
    /* A fresh nonce each time: the same secret never seals the same. */
    char again[OUT_MAX];
    hamd_vault_seal(v, secret, strlen(secret), again, sizeof again);
    assert_string_not_equal(sealed, again);
    hamd_vault_destroy(&v);
    assert_null(v);
    key_file_remove(&kf);
}

static void test_tamper_detected(void **state)
{
    (void)state;
    struct key_file kf = {0};
    struct hamd_vault *v = vault_with(&kf, KEY_A "\n");
    char sealed[OUT_MAX], plain[OUT_MAX], err[HAMD_VAULT_ERR_MAX];
    size_t len;
    hamd_vault_seal(v, "secret", 6, sealed, sizeof sealed);
    /* Flip one base64 character of the box, anywhere after the key id. */
    size_t head = strlen(HAMD_VAULT_PREFIX) + 9;
    for (size_t i = head; i < strlen(sealed) - 2; i += 7) {
        char forged[OUT_MAX];
        strcpy(forged, sealed);
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        assert_int_equal(hamd_vault_open(v, forged, plain, sizeof plain,
                                         &len, err, sizeof err), -1);
    }
    /* Truncated, not base64, not sealed at all. */
    char cut[OUT_MAX];
    snprintf(cut, sizeof cut, "%.*s", (int)head + 10, sealed);
    assert_int_equal(hamd_vault_open(v, cut, plain, sizeof plain, &len, err,
                                     sizeof err), -1);
    assert_int_equal(hamd_vault_open(v, "enc:v1:nokey", plain, sizeof plain,
                                     &len, err, sizeof err), -1);
    assert_int_equal(hamd_vault_open(v, "secret", plain, sizeof plain, &len,
                                     err, sizeof err), -1);
    hamd_vault_destroy(&v);
    key_file_remove(&kf);
}

static void test_rotation(void **state)
{
    (void)state;
    struct key_file kf = {0};
    struct hamd_vault *v = vault_with(&kf, KEY_A "\n");
    char old_id[HAMD_VAULT_KID_MAX];
    strcpy(old_id, hamd_vault_key_id(v));
    char sealed[OUT_MAX], plain[OUT_MAX], err[HAMD_VAULT_ERR_MAX];
    size_t len;
    /* Params values are sealed as their JSON: "pw" with its quotes. */
    hamd_vault_seal(v, "\"pw\"", 4, sealed, sizeof sealed);
    /* New key first, old one kept: the old value still opens. */
    key_file_write(&kf, "# rotated\n" KEY_B "\n" KEY_A "\n", 0600);
    assert_int_equal(hamd_vault_reload(v, err, sizeof err), 0);
    assert_string_not_equal(hamd_vault_key_id(v), old_id);
    assert_int_equal(hamd_vault_open(v, sealed, plain, sizeof plain, &len,
                                     err, sizeof err), 0);
    assert_string_equal(plain, "\"pw\"");
    /* The rekey seals again what the old key sealed, and only that. */
    char params[OUT_MAX + 64], out[OUT_MAX];
    snprintf(params, sizeof params, "{\"password\":\"%s\",\"user\":\"u\"}",
             sealed);
    bool changed = false;
    assert_int_equal(hamd_vault_rekey_params(v, params, out, sizeof out,
                                             &changed, err, sizeof err), 0);
    assert_true(changed);
    assert_non_null(strstr(out, hamd_vault_key_id(v)));
    char again[OUT_MAX];
    assert_int_equal(hamd_vault_rekey_params(v, out, again, sizeof again,
                                             &changed, err, sizeof err), 0);
    assert_false(changed);
    /* Old key gone: what it sealed no longer opens, and says why. */
    key_file_write(&kf, KEY_B "\n", 0600);
    assert_int_equal(hamd_vault_reload(v, err, sizeof err), 0);
    assert_int_equal(hamd_vault_open(v, sealed, plain, sizeof plain, &len,
                                     err, sizeof err), -1);
    assert_non_null(strstr(err, old_id));
    assert_int_equal(hamd_vault_open_params(v, out, again, sizeof again, err,
                                            sizeof err), 0);
    assert_string_equal(again, "{\"password\":\"pw\",\"user\":\"u\"}");
    hamd_vault_destroy(&v);
    key_file_remove(&kf);
}

static void test_params_at_any_depth(void **state)
{
    (void)state;
    struct key_file kf = {0};
    struct hamd_vault *v = vault_with(&kf, KEY_A "\n");
    /* Secrets long enough that random ciphertext cannot contain them. */
    const char *in = "{\"user\":\"u\",\"password\":\"pw-of-the-main-account\","
                     "\"setting\":{\"Auth_Code\":\"auth-code-of-ctp\",\"n\":"
                     "[{\"password\":3}]},\"pin\":\"9\"}";
    char out[OUT_MAX], back[OUT_MAX], err[HAMD_VAULT_ERR_MAX];
    assert_int_equal(hamd_vault_seal_params(v, in, out, sizeof out, err,
                                            sizeof err), 0);
    assert_null(strstr(out, "pw-of-the-main-account"));
    assert_null(strstr(out, "auth-code-of-ctp"));
    assert_non_null(strstr(out, "\"user\":\"u\""));
    assert_non_null(strstr(out, "\"pin\":\"9\"")); /* not a secret_key */
    assert_true(hamd_vault_params_sealed(out));
    assert_false(hamd_vault_params_sealed(in));
    /* Sealing again leaves sealed values alone. */
    char twice[OUT_MAX];
    hamd_vault_seal_params(v, out, twice, sizeof twice, err, sizeof err);
    assert_string_equal(twice, out);
    /* Opening gives the values back with their types. */
    assert_int_equal(hamd_vault_open_params(v, out, back, sizeof back, err,
                                            sizeof err), 0);
    assert_string_equal(back, in);
    /* Too little room for the sealed form is an error, not a cut. */
    assert_int_equal(hamd_vault_seal_params(v, in, out, 64, err, sizeof err),
                     -1);
    hamd_vault_destroy(&v);
    key_file_remove(&kf);
}

/* A secret whose value holds a value sealed already (under an older key
 * here) is sealed whole as plain text: opened, it reads as the original
 * opened, and a rotation that drops the older key loses nothing. */
static void test_sealed_inside_a_secret(void **state)
{
    (void)state;
    struct key_file kf = {0};
    struct hamd_vault *v = vault_with(&kf, KEY_A "\n");
    char inner[OUT_MAX], err[HAMD_VAULT_ERR_MAX];
    hamd_vault_seal(v, "1.5", 3, inner, sizeof inner);
    key_file_write(&kf, KEY_B "\n" KEY_A "\n", 0600);
    assert_int_equal(hamd_vault_reload(v, err, sizeof err), 0);
    char in[OUT_MAX + 64], opened[OUT_MAX], rekeyed[OUT_MAX], back[OUT_MAX];
    snprintf(in, sizeof in, "{\"password\":[{\"password\":\"%s\"}]}",
             inner);
    assert_int_equal(hamd_vault_open_params(v, in, opened, sizeof opened,
                                            err, sizeof err), 0);
    assert_string_equal(opened, "{\"password\":[{\"password\":1.5}]}");
    bool changed;
    assert_int_equal(hamd_vault_rekey_params(v, in, rekeyed, sizeof rekeyed,
                                             &changed, err, sizeof err), 0);
    assert_null(strstr(rekeyed, inner));
    key_file_write(&kf, KEY_B "\n", 0600);
    assert_int_equal(hamd_vault_reload(v, err, sizeof err), 0);
    assert_int_equal(hamd_vault_open_params(v, rekeyed, back, sizeof back,
                                            err, sizeof err), 0);
    assert_string_equal(back, opened);
    hamd_vault_destroy(&v);
    key_file_remove(&kf);
}

static void test_without_key(void **state)
{
    (void)state;
    char err[HAMD_VAULT_ERR_MAX];
    struct hamd_vault *v = hamd_vault_new("", NAMES, err, sizeof err);
    assert_non_null(v);
    assert_false(hamd_vault_can_seal(v));
    char out[OUT_MAX];
    const char *in = "{\"password\":\"p\"}";
    assert_int_equal(hamd_vault_seal_params(v, in, out, sizeof out, err,
                                            sizeof err), 0);
    assert_string_equal(out, in); /* stored as is: no key_file */
    const char *sealed = "{\"password\":\"enc:v1:0badc0de:AAAA\"}";
    assert_int_equal(hamd_vault_open_params(v, sealed, out, sizeof out, err,
                                            sizeof err), -1);
    assert_non_null(strstr(err, "password"));
    hamd_vault_destroy(&v);
}

/* What a cluster without key_file would store in clear: a secret name's
 * value at any depth, whatever its case and type, but not an empty string,
 * a sealed value, or a key that is not a secret name. */
static void test_clear_secrets_found(void **state)
{
    (void)state;
    char err[HAMD_VAULT_ERR_MAX];
    struct hamd_vault *v = hamd_vault_new("", NAMES, err, sizeof err);
    assert_non_null(v);
    assert_true(hamd_vault_params_clear(v, "{\"password\":\"p\"}"));
    assert_true(hamd_vault_params_clear(v, "{\"s\":{\"AUTH_CODE\":7}}"));
    assert_true(hamd_vault_params_clear(v, "{\"a\":[{\"password\":\"p\"}]}"));
    assert_false(hamd_vault_params_clear(v, "{\"password\":\"\"}"));
    assert_false(hamd_vault_params_clear(v, "{\"pin\":\"9\",\"user\":\"u\"}"));
    assert_false(hamd_vault_params_clear(
        v, "{\"password\":\"enc:v1:0badc0de:AAAA\"}"));
    assert_false(hamd_vault_params_clear(v, "not json"));
    assert_false(hamd_vault_params_clear(v, NULL));
    hamd_vault_destroy(&v);
    /* Sealed with a key, nothing is left in clear. */
    struct key_file kf = {0};
    v = vault_with(&kf, KEY_A "\n");
    char out[OUT_MAX];
    const char *in = "{\"password\":\"p\",\"s\":{\"auth_code\":\"a\"}}";
    assert_true(hamd_vault_params_clear(v, in));
    assert_int_equal(hamd_vault_seal_params(v, in, out, sizeof out, err,
                                            sizeof err), 0);
    assert_false(hamd_vault_params_clear(v, out));
    hamd_vault_destroy(&v);
    key_file_remove(&kf);
}

static void test_key_file_refused(void **state)
{
    (void)state;
    struct key_file kf = {0};
    char err[HAMD_VAULT_ERR_MAX];
    const struct {
        const char *text;
        mode_t mode;
        const char *why;
    } bad[] = {
        {KEY_A "\n", 0640, "chmod 600"},
        {KEY_A "\n", 0604, "chmod 600"},
        {"# only a comment\n", 0600, "no key"},
        {"c2hvcnQ=\n", 0600, "32 bytes"},
        {KEY_A "\n" KEY_B "\n" KEY_A "\n" KEY_B "\n" KEY_A "\n", 0600,
         "more than"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        key_file_write(&kf, bad[i].text, bad[i].mode);
        err[0] = '\0';
        assert_null(hamd_vault_new(kf.path, NAMES, err, sizeof err));
        assert_non_null(strstr(err, bad[i].why));
        assert_null(strstr(err, KEY_A)); /* never quotes a key */
    }
    assert_null(hamd_vault_new("/nonexistent/key", NAMES, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/key"));
    key_file_remove(&kf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tamper_detected),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_params_at_any_depth),
        cmocka_unit_test(test_sealed_inside_a_secret),
        cmocka_unit_test(test_without_key),
        cmocka_unit_test(test_clear_secrets_found),
        cmocka_unit_test(test_key_file_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
