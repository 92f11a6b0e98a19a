/* Secret params encrypted at rest. See vault.h. */
#include "common/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define VAULT_KID_BYTES 4        /* bytes of BLAKE2b hash naming a key */
#define VAULT_PLAIN_MAX 4096     /* bytes of one value's JSON */
#define VAULT_BOX_MAX (crypto_secretbox_NONCEBYTES + \
                       crypto_secretbox_MACBYTES + VAULT_PLAIN_MAX)
#define VAULT_KID_CONTEXT "hamd-vault-key-id" /* hashed before the key */
#define VAULT_MODE_PRIVATE 0077  /* mode bits group and others must lack */

/* One key of the file. */
struct vault_key {
    unsigned char key[HAMD_VAULT_KEY_BYTES]; /* the secretbox key */
    char kid[HAMD_VAULT_KID_MAX];            /* its id, hex */
};

struct hamd_vault {
    char key_file[4096];                          /* "" = no key file */
    unsigned n_keys;                              /* keys loaded */
    struct vault_key keys[HAMD_VAULT_KEYS_MAX];   /* [0] seals */
    unsigned n_names;                             /* secret_keys */
    char names[HAMD_VAULT_NAMES_MAX][HAMD_VAULT_NAME_MAX]; /* their names */
};

static int vault_fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int vault_fail(char *err, size_t cap, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

bool hamd_vault_is_sealed(const char *s)
{
    return s && strncmp(s, HAMD_VAULT_PREFIX, strlen(HAMD_VAULT_PREFIX)) == 0;
}

/* ------------------------------------------------------------------------
 * The key file
 * ------------------------------------------------------------------------ */

static void vault_kid(const unsigned char *key, char *kid)
{
    unsigned char h[VAULT_KID_BYTES];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)VAULT_KID_CONTEXT,
                              strlen(VAULT_KID_CONTEXT));
    crypto_generichash_update(&st, key, HAMD_VAULT_KEY_BYTES);
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(kid, HAMD_VAULT_KID_MAX, h, sizeof h);
}

/* Reads the whole key file into buf after checking who may read it.
 * Returns its length or -1. */
static ssize_t key_file_read(const char *path, char *buf, size_t cap,
                             char *err, size_t errcap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return vault_fail(err, errcap, "cannot read [accounts] key_file %s: "
                          "%s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & VAULT_MODE_PRIVATE)) {
        close(fd);
        return vault_fail(err, errcap, "[accounts] key_file %s must be a "
                          "regular file only its owner may read (mode "
                          "%04o; chmod 600 it)", path,
                          (unsigned)(st.st_mode & 07777));
    }
    size_t used = 0;
    ssize_t n;
    while (used < cap && (n = read(fd, buf + used, cap - used)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return vault_fail(err, errcap, "[accounts] key_file %s: %s",
                              path, strerror(e));
        }
        used += (size_t)n;
    }
    close(fd);
    if (used == cap)
        return vault_fail(err, errcap, "[accounts] key_file %s: longer "
                          "than %d bytes", path, HAMD_VAULT_KEY_FILE_MAX - 1);
    buf[used] = '\0';
    return (ssize_t)used;
}

/* Parses one line (trimmed, not a comment) into a key. */
static int key_line_parse(const char *line, size_t len, struct vault_key *k)
{
    size_t bin_len = 0;
    if (sodium_base642bin(k->key, sizeof k->key, line, len, NULL, &bin_len,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bin_len != HAMD_VAULT_KEY_BYTES)
        return -1;
    vault_kid(k->key, k->kid);
    return 0;
}

/* Parses the file's lines into keys[]; returns how many, or -1. */
static int key_file_parse(const char *path, char *text,
                          struct vault_key *keys, char *err, size_t cap)
{
    int n = 0;
    unsigned lineno = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        while (*line == ' ' || *line == '\t')
            line++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
            len--;
        if (len == 0 || line[0] == '#')
            continue;
        if (n == HAMD_VAULT_KEYS_MAX)
            return vault_fail(err, cap, "[accounts] key_file %s: more than "
                              "%d keys", path, HAMD_VAULT_KEYS_MAX);
        if (key_line_parse(line, len, &keys[n]) < 0)
            return vault_fail(err, cap, "[accounts] key_file %s: key %d "
                              "is not 32 bytes in base64 (make one with "
                              "head -c 32 /dev/urandom | base64)", path,
                              n + 1);
        n++;
    }
    if (n == 0)
        return vault_fail(err, cap, "[accounts] key_file %s holds no key",
                          path);
    return n;
}

int hamd_vault_reload(struct hamd_vault *self, char *err, size_t cap)
{
    if (!self->key_file[0])
        return 0;
    char *text = sodium_malloc(HAMD_VAULT_KEY_FILE_MAX);
    struct vault_key *keys = sodium_malloc(sizeof self->keys);
    int n = -1;
    if (!text || !keys)
        vault_fail(err, cap, "out of memory");
    else if (key_file_read(self->key_file, text, HAMD_VAULT_KEY_FILE_MAX,
                           err, cap) >= 0)
        n = key_file_parse(self->key_file, text, keys, err, cap);
    if (n > 0) {
        sodium_memzero(self->keys, sizeof self->keys);
        memcpy(self->keys, keys, (size_t)n * sizeof keys[0]);
        self->n_keys = (unsigned)n;
    }
    if (text)
        sodium_free(text); /* wipes */
    if (keys)
        sodium_free(keys);
    return n > 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * Life cycle and names
 * ------------------------------------------------------------------------ */

/* Parses "password, auth_code" into self->names. */
static int names_parse(struct hamd_vault *self, const char *list, char *err,
                       size_t cap)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        size_t end = len;
        while (end && (p[end - 1] == ' ' || p[end - 1] == '\t'))
            end--;
        if (end == 0) {
            p += len;
            continue;
        }
        if (self->n_names == HAMD_VAULT_NAMES_MAX || end >= HAMD_VAULT_NAME_MAX)
            return vault_fail(err, cap, "[accounts] secret_keys: at most %d "
                              "names of at most %d bytes",
                              HAMD_VAULT_NAMES_MAX, HAMD_VAULT_NAME_MAX - 1);
        memcpy(self->names[self->n_names], p, end);
        self->names[self->n_names++][end] = '\0';
        p += len;
    }
    return 0;
}

struct hamd_vault *hamd_vault_new(const char *key_file,
                                  const char *secret_keys, char *err,
                                  size_t cap)
{
    if (sodium_init() < 0) {
        vault_fail(err, cap, "libsodium cannot start");
        return NULL;
    }
    struct hamd_vault *self = sodium_malloc(sizeof *self);
    if (!self) {
        vault_fail(err, cap, "out of memory");
        return NULL;
    }
    memset(self, 0, sizeof *self);
    if (key_file && strlen(key_file) >= sizeof self->key_file) {
        vault_fail(err, cap, "[accounts] key_file: path too long");
        hamd_vault_destroy(&self);
        return NULL;
    }
    snprintf(self->key_file, sizeof self->key_file, "%s",
             key_file ? key_file : "");
    if (names_parse(self, secret_keys ? secret_keys : "", err, cap) < 0 ||
        hamd_vault_reload(self, err, cap) < 0)
        hamd_vault_destroy(&self);
    return self;
}

void hamd_vault_destroy(struct hamd_vault **selfp)
{
    if (*selfp)
        sodium_free(*selfp); /* wipes the keys */
    *selfp = NULL;
}

bool hamd_vault_can_seal(const struct hamd_vault *self)
{
    return self && self->n_keys > 0;
}

const char *hamd_vault_key_id(const struct hamd_vault *self)
{
    return hamd_vault_can_seal(self) ? self->keys[0].kid : "";
}

bool hamd_vault_secret_name(const struct hamd_vault *self, const char *key)
{
    for (unsigned i = 0; self && i < self->n_names; i++)
        if (strcasecmp(self->names[i], key) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------------
 * One value
 * ------------------------------------------------------------------------ */

int hamd_vault_seal(const struct hamd_vault *self, const void *plain,
                    size_t len, char *out, size_t cap)
{
    if (!hamd_vault_can_seal(self) || len > VAULT_PLAIN_MAX)
        return -1;
    unsigned char box[VAULT_BOX_MAX];
    size_t box_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                     len;
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len, box,
                          self->keys[0].key);
    int head = snprintf(out, cap, "%s%s:", HAMD_VAULT_PREFIX,
                        self->keys[0].kid);
    size_t b64 = sodium_base64_ENCODED_LEN(box_len,
                                           sodium_base64_VARIANT_ORIGINAL);
    if (head < 0 || (size_t)head + b64 > cap)
        return -1;
    sodium_bin2base64(out + head, cap - (size_t)head, box, box_len,
                      sodium_base64_VARIANT_ORIGINAL);
    return (int)strlen(out);
}

static const struct vault_key *key_find(const struct hamd_vault *self,
                                        const char *kid, size_t kid_len)
{
    for (unsigned i = 0; self && i < self->n_keys; i++)
        if (kid_len == strlen(self->keys[i].kid) &&
            memcmp(self->keys[i].kid, kid, kid_len) == 0)
            return &self->keys[i];
    return NULL;
}

int hamd_vault_open(const struct hamd_vault *self, const char *sealed,
                    char *out, size_t cap, size_t *len, char *err,
                    size_t errcap)
{
    if (!hamd_vault_is_sealed(sealed))
        return vault_fail(err, errcap, "not a sealed value");
    const char *kid = sealed + strlen(HAMD_VAULT_PREFIX);
    const char *colon = strchr(kid, ':');
    if (!colon)
        return vault_fail(err, errcap, "a sealed value without a key id");
    const struct vault_key *k = key_find(self, kid, (size_t)(colon - kid));
    if (!k)
        return vault_fail(err, errcap, "sealed with key %.*s, which "
                          "[accounts] key_file does not hold%s",
                          (int)(colon - kid < 16 ? colon - kid : 16), kid,
                          hamd_vault_can_seal(self) ? "" : " (no key_file)");
    unsigned char box[VAULT_BOX_MAX];
    size_t box_len = 0;
    if (sodium_base642bin(box, sizeof box, colon + 1, strlen(colon + 1), NULL,
                          &box_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        box_len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return vault_fail(err, errcap, "a sealed value that is not base64");
    size_t plain_len = box_len - crypto_secretbox_NONCEBYTES -
                       crypto_secretbox_MACBYTES;
    if (plain_len >= cap)
        return vault_fail(err, errcap, "a sealed value too long");
    if (crypto_secretbox_open_easy((unsigned char *)out,
                                   box + crypto_secretbox_NONCEBYTES,
                                   box_len - crypto_secretbox_NONCEBYTES, box,
                                   k->key) != 0)
        return vault_fail(err, errcap, "a sealed value that does not "
                          "authenticate under key %s (damaged or forged)",
                          k->kid);
    out[plain_len] = '\0';
    *len = plain_len;
    return 0;
}

/* ------------------------------------------------------------------------
 * Params objects
 * ------------------------------------------------------------------------ */

/* Seals one value (its compact JSON). Returns a new string or NULL. */
static json_t *seal_value(const struct hamd_vault *self, const json_t *v)
{
    char *plain = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!plain)
        return NULL;
    char out[VAULT_PLAIN_MAX * 2];
    int n = hamd_vault_seal(self, plain, strlen(plain), out, sizeof out);
    sodium_memzero(plain, strlen(plain));
    free(plain);
    return n < 0 ? NULL : json_string(out);
}

/* Opens one sealed string back into the JSON value it was. */
static json_t *open_value(const struct hamd_vault *self, const char *sealed,
                          char *err, size_t cap)
{
    char plain[VAULT_PLAIN_MAX + 1];
    size_t len;
    if (hamd_vault_open(self, sealed, plain, sizeof plain, &len, err, cap) < 0)
        return NULL;
    json_t *v = json_loadb(plain, len, JSON_DECODE_ANY, NULL);
    sodium_memzero(plain, sizeof plain);
    if (!v)
        vault_fail(err, cap, "a sealed value that is not JSON");
    return v;
}

/* What walk does at each value. */
enum walk_op {
    WALK_SEAL,  /* seal secret names not sealed yet */
    WALK_OPEN,  /* open sealed values */
    WALK_REKEY, /* open what another key sealed, seal it and the secret
                   names not sealed yet under the current key */
    WALK_FIND,  /* only look for a sealed value */
    WALK_CLEAR, /* only look for a secret name's value in clear */
};

/* The key id of a sealed value is the current key's. */
static bool sealed_current(const struct hamd_vault *self, const char *s)
{
    const char *kid = s + strlen(HAMD_VAULT_PREFIX);
    size_t n = strlen(hamd_vault_key_id(self));
    return n && strncmp(kid, hamd_vault_key_id(self), n) == 0 && kid[n] == ':';
}

static int walk(const struct hamd_vault *self, json_t *json, enum walk_op op,
                char *err, size_t cap);

/* What op makes of the value val of key: a new value (set in its place),
 * or NULL with *rc 0 (leave it; *descend when it may hold more) or -1
 * (err says why). */
static json_t *walk_value(const struct hamd_vault *self, const char *key,
                          json_t *val, enum walk_op op, bool *descend,
                          int *rc, char *err, size_t cap)
{
    const char *s = json_is_string(val) ? json_string_value(val) : NULL;
    bool sealed = hamd_vault_is_sealed(s);
    *rc = 0;
    *descend = !sealed;
    json_t *plain = NULL, *out = NULL;
    char why[HAMD_VAULT_ERR_MAX] = "";
    if (sealed && op == WALK_FIND) {
        *rc = 1;
    } else if (op == WALK_CLEAR) {
        /* An empty string is no secret (a form left blank). */
        *rc = !sealed && !(s && !s[0]) && hamd_vault_secret_name(self, key);
        return NULL;
    } else if (sealed && (op == WALK_OPEN ||
                          (op == WALK_REKEY && !sealed_current(self, s)))) {
        plain = open_value(self, s, why, sizeof why);
        out = !plain || op == WALK_OPEN ? plain : seal_value(self, plain);
        if (op == WALK_REKEY)
            json_decref(plain);
    } else if (!sealed && (op == WALK_SEAL || op == WALK_REKEY) &&
               hamd_vault_secret_name(self, key)) {
        /* Sealed whole, as plain text: a value sealed inside it would
         * come back still sealed when the whole is opened, and out of
         * reach of a later rekey (the fuzz target vault's
         * nested_sealed_secret). */
        *descend = false;
        if (walk(self, val, WALK_OPEN, why, sizeof why) < 0)
            out = NULL;
        else if (!(out = seal_value(self, val)))
            snprintf(why, sizeof why, "cannot seal its value");
    } else {
        return NULL;
    }
    if (!out && *rc == 0)
        *rc = vault_fail(err, cap, "params key '%.60s': %s", key,
                         why[0] ? why : "cannot seal its value");
    return out;
}

/* Applies op at any depth of json. Returns 1 when op is WALK_FIND and a
 * sealed value was found, 0 when done, -1 on failure (err says why). */
static int walk(const struct hamd_vault *self, json_t *json, enum walk_op op,
                char *err, size_t cap)
{
    if (json_is_array(json)) {
        for (size_t i = 0; i < json_array_size(json); i++) {
            json_t *v = json_array_get(json, i);
            if (op == WALK_FIND && json_is_string(v) &&
                hamd_vault_is_sealed(json_string_value(v)))
                return 1;
            int rc = walk(self, v, op, err, cap);
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(json, tmp, key, val) {
        bool descend;
        int rc;
        json_t *repl = walk_value(self, key, val, op, &descend, &rc, err, cap);
        if (rc != 0)
            return rc;
        if (repl && json_object_set_new(json, key, repl) < 0)
            return vault_fail(err, cap, "out of memory");
        if (!repl && descend && (rc = walk(self, val, op, err, cap)) != 0)
            return rc;
    }
    return 0;
}

int hamd_vault_seal_json(const struct hamd_vault *self, json_t *params,
                         char *err, size_t cap)
{
    if (!hamd_vault_can_seal(self))
        return 0;
    return walk(self, params, WALK_SEAL, err, cap) < 0 ? -1 : 0;
}

int hamd_vault_open_json(const struct hamd_vault *self, json_t *params,
                         char *err, size_t cap)
{
    return walk(self, params, WALK_OPEN, err, cap) < 0 ? -1 : 0;
}

/* Parses params text, applies the ops, writes the compact result. */
static int params_apply(const struct hamd_vault *self, const char *in,
                        char *out, size_t cap, enum walk_op op, char *err,
                        size_t errcap)
{
    json_t *p = json_loads(in, 0, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        return vault_fail(err, errcap, "params are not a JSON object");
    }
    int rc = op == WALK_SEAL && !hamd_vault_can_seal(self)
                 ? 0
                 : walk(self, p, op, err, errcap);
    size_t n = rc == 0 ? json_dumpb(p, out, cap, JSON_COMPACT) : 0;
    json_decref(p);
    if (rc == 0 && (n == 0 || n >= cap))
        rc = vault_fail(err, errcap, "params would be longer than %zu bytes "
                        "with their secrets sealed", cap - 1);
    if (rc == 0)
        out[n] = '\0';
    return rc;
}

int hamd_vault_seal_params(const struct hamd_vault *self, const char *in,
                           char *out, size_t cap, char *err, size_t errcap)
{
    return params_apply(self, in, out, cap, WALK_SEAL, err, errcap);
}

int hamd_vault_open_params(const struct hamd_vault *self, const char *in,
                           char *out, size_t cap, char *err, size_t errcap)
{
    return params_apply(self, in, out, cap, WALK_OPEN, err, errcap);
}

int hamd_vault_rekey_params(const struct hamd_vault *self, const char *in,
                            char *out, size_t cap, bool *changed, char *err,
                            size_t errcap)
{
    if (!hamd_vault_can_seal(self))
        return vault_fail(err, errcap, "no [accounts] key_file to seal with");
    int rc = params_apply(self, in, out, cap, WALK_REKEY, err, errcap);
    *changed = rc == 0 && strcmp(in, out) != 0;
    return rc;
}

bool hamd_vault_params_clear(const struct hamd_vault *self,
                             const char *params)
{
    json_t *p = params ? json_loads(params, 0, NULL) : NULL;
    bool found = p && walk(self, p, WALK_CLEAR, NULL, 0) == 1;
    json_decref(p);
    return found;
}

bool hamd_vault_params_sealed(const char *params)
{
    if (!params || !strstr(params, HAMD_VAULT_PREFIX))
        return false; /* the common case, without parsing */
    json_t *p = json_loads(params, 0, NULL);
    bool found = p && walk(NULL, p, WALK_FIND, NULL, 0) == 1;
    json_decref(p);
    return found;
}
