/* The vault the vault target opens sealed values with, shared with
 * seeds.c so that the seeds hold values it opens: a key file of two keys
 * in the scratch directory, the first current, the second an older one
 * that only opens (a rotation half done). Test keys, never a real one. */
#ifndef HAMD_FUZZ_VAULT_H
#define HAMD_FUZZ_VAULT_H

#include "common/vault.h"
#include "fuzz.h"

#define FUZZ_VAULT_OLD_KEY "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n"
#define FUZZ_VAULT_KEYS \
    "# current\nZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\n" \
    FUZZ_VAULT_OLD_KEY
#define FUZZ_VAULT_NAMES "password, auth_code"

/* A vault of the given key file text (never NULL). */
static inline struct hamd_vault *fuzz_vault_with(const char *keys)
{
    char err[HAMD_VAULT_ERR_MAX];
    struct hamd_vault *v = hamd_vault_new(
        fuzz_scratch_file("keys", keys, strlen(keys)), FUZZ_VAULT_NAMES, err,
        sizeof err);
    FUZZ_CHECK(v != NULL);
    return v;
}

#endif /* HAMD_FUZZ_VAULT_H */
