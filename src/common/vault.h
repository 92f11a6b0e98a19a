/* Secret params encrypted at rest (docs/security.md, "Secrets at rest").
 *
 * The values of the params keys named in [accounts] secret_keys (default
 * password, auth_code; at any depth of an account's params) are sealed
 * with libsodium's secretbox (XSalsa20-Poly1305) under the cluster key of
 * [accounts] key_file before they enter the Raft log, so the log, LMDB
 * and snapshots only ever hold
 *
 *     "enc:v1:KID:BASE64(nonce | MAC | ciphertext)"
 *
 * where KID names the key (8 hex digits of a BLAKE2b hash of it) and the
 * plaintext is the value's compact JSON (a number stays a number). A node
 * opens them only to launch a gateway.
 *
 * The key file holds one key per line (32 bytes, base64), the first
 * being the current one (it seals); the others only open, which is what a
 * rolling key rotation needs (`hactl accounts rekey`). It must be a
 * regular file that neither group nor others may read or write (0600). */
#ifndef HAMD_VAULT_H
#define HAMD_VAULT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define HAMD_VAULT_KEY_BYTES 32      /* crypto_secretbox_KEYBYTES */
#define HAMD_VAULT_KEYS_MAX 4        /* current + previous keys in a file */
#define HAMD_VAULT_KEY_FILE_MAX 4096 /* bytes of a key file */
#define HAMD_VAULT_NAMES_MAX 16      /* names in [accounts] secret_keys */
#define HAMD_VAULT_NAME_MAX 64       /* bytes of one name, NUL included */
#define HAMD_VAULT_KID_MAX 9         /* 8 hex digits of a key id + NUL */
#define HAMD_VAULT_ERR_MAX 256       /* a big enough error buffer */
#define HAMD_VAULT_PREFIX "enc:v1:"  /* what every sealed value starts with */

struct hamd_vault;

/* True when s is a sealed value (starts with HAMD_VAULT_PREFIX). */
bool hamd_vault_is_sealed(const char *s);

/* Creates a vault: secret_keys is the comma-separated list of names,
 * key_file the path of the key file, "" for none (then nothing is sealed
 * and a sealed value cannot be opened). Returns NULL with the reason in
 * err (naming the file, never a key) when the list or the file is bad:
 * unreadable, readable or writable by group or others, no key, a line
 * that is not 32 bytes of base64, more than HAMD_VAULT_KEYS_MAX keys. */
struct hamd_vault *hamd_vault_new(const char *key_file,
                                  const char *secret_keys, char *err,
                                  size_t cap);

/* Reads the key file again (the keys changed: a rotation). Returns 0, or
 * -1 with the reason in err, keeping the keys it had. */
int hamd_vault_reload(struct hamd_vault *self, char *err, size_t cap);

/* True when the vault has a key, so it seals. */
bool hamd_vault_can_seal(const struct hamd_vault *self);

/* The id of the current key ("" without one). */
const char *hamd_vault_key_id(const struct hamd_vault *self);

/* True when key is one of the secret_keys (ignoring ASCII case). */
bool hamd_vault_secret_name(const struct hamd_vault *self, const char *key);

/* Seals len bytes of plain under the current key into out (cap bytes,
 * NUL-terminated). Returns the length written, or -1 (no key, no room). */
int hamd_vault_seal(const struct hamd_vault *self, const void *plain,
                    size_t len, char *out, size_t cap);

/* Opens a sealed value into out (cap bytes; *len set, NUL-terminated).
 * Returns 0, or -1 with the reason in err: not a sealed value, a key the
 * file does not hold, or a value that does not authenticate (forged,
 * damaged, another key with the same id). */
int hamd_vault_open(const struct hamd_vault *self, const char *sealed,
                    char *out, size_t cap, size_t *len, char *err,
                    size_t errcap);

/* Seals, in place at any depth of a params object, every value of a
 * secret name that is not sealed yet. Without a key it changes nothing.
 * Returns 0, or -1 with the reason in err. */
int hamd_vault_seal_json(const struct hamd_vault *self, json_t *params,
                         char *err, size_t cap);

/* Opens, in place at any depth, every sealed value. Returns 0, or -1
 * with the reason in err (naming the params key, never a value). */
int hamd_vault_open_json(const struct hamd_vault *self, json_t *params,
                         char *err, size_t cap);

/* The same on params text (compact JSON object, as an account stores
 * it): out gets the result (cap bytes). The rekey opens every sealed
 * value and seals every secret name under the current key; *changed says
 * whether the text differs. Return 0, or -1 with the reason in err (also
 * when the result does not fit in cap). */
int hamd_vault_seal_params(const struct hamd_vault *self, const char *in,
                           char *out, size_t cap, char *err, size_t errcap);
int hamd_vault_open_params(const struct hamd_vault *self, const char *in,
                           char *out, size_t cap, char *err, size_t errcap);
int hamd_vault_rekey_params(const struct hamd_vault *self, const char *in,
                            char *out, size_t cap, bool *changed, char *err,
                            size_t errcap);

/* True when the params text holds, anywhere, a value of a secret name
 * (secret_keys) that is not sealed and not an empty string: what a
 * cluster without a key_file stores in clear. */
bool hamd_vault_params_clear(const struct hamd_vault *self,
                             const char *params);

/* True when the params text holds a sealed value anywhere. */
bool hamd_vault_params_sealed(const char *params);

/* Wipes the keys and frees the vault; nulls *self. */
void hamd_vault_destroy(struct hamd_vault **self);

#endif /* HAMD_VAULT_H */
