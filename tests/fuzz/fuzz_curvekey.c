/* Fuzz target: ZeroMQ CURVE key files (src/common/curvekey.c): what hamd
 * reads as [publish] curve_secret_file and from curve_clients_dir, and
 * what hactl and the client libraries' users hand over.
 *
 * Input: [label][file], separated by FUZZ_SEP (no separator: the whole
 * input is the file, label "secret-key"). The file is written 0600 and
 * read as a private and as a public file, with the label.
 *
 * Checks: both reads answer the same, unless the file says it holds one
 * half of a pair and the other read refuses it as such; a key read is 40
 * characters of Z85 that the file holds; a refusal says why and quotes no
 * key of the file. */
#include <string.h>

#include "common/curvekey.h"
#include "fuzz.h"

#define CURVE_LABEL_DEFAULT "secret-key"

/* True when text holds a run of 40 characters that is a key. */
static bool holds_key_of(const char *text, const char *file, size_t flen)
{
    char key[HAMD_CURVE_Z85_LEN + 1];
    for (size_t i = 0; i + HAMD_CURVE_Z85_LEN <= flen; i++) {
        memcpy(key, file + i, HAMD_CURVE_Z85_LEN);
        key[HAMD_CURVE_Z85_LEN] = '\0';
        if (hamd_curve_key_valid(key) && strstr(text, key) != NULL)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts it;
    const uint8_t *p, *file = data;
    size_t len, flen = size;
    char *label = strdup(CURVE_LABEL_DEFAULT);
    fuzz_parts_init(&it, data, size, FUZZ_SEP, FUZZ_SEP_LEN);
    if (fuzz_parts_next(&it, &p, &len) && fuzz_parts_next(&it, &file, &flen)) {
        free(label);
        label = fuzz_strndup(p, len);
    }
    FUZZ_CHECK(label != NULL);
    const char *path = fuzz_scratch_file("curve.key", file, flen);
    char z1[HAMD_CURVE_Z85_LEN + 1], z2[HAMD_CURVE_Z85_LEN + 1];
    char err1[256] = "", err2[256] = "";
    int rc1 = hamd_curve_key_read(path, true, label, z1, err1, sizeof err1);
    int rc2 = hamd_curve_key_read(path, false, label, z2, err2, sizeof err2);
    char *text = fuzz_strndup(file, flen);
    if (rc1 != rc2) /* one half of a pair, refused as the other */
        FUZZ_CHECK(strstr(rc1 < 0 ? err1 : err2,
                          rc1 < 0 ? "holds a public key, not a secret key"
                                  : "holds a secret key, not a public key"));
    if (rc1 == 0 || rc2 == 0) {
        const char *z = rc1 == 0 ? z1 : z2;
        FUZZ_CHECK(rc1 != 0 || rc2 != 0 || strcmp(z1, z2) == 0);
        FUZZ_CHECK(hamd_curve_key_valid(z));
        FUZZ_CHECK(memmem(file, flen, z, HAMD_CURVE_Z85_LEN) != NULL);
    } else {
        FUZZ_CHECK(err1[0] != '\0' && strcmp(err1, err2) == 0);
    }
    FUZZ_CHECK(rc1 == 0 || !holds_key_of(err1, text, flen));
    FUZZ_CHECK(rc2 == 0 || !holds_key_of(err2, text, flen));
    free(text);
    free(label);
    return 0;
}
