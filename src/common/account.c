/* Account helpers: id slugs, which contracts an account serves, and which
 * params keys hold secrets. */
#include "common/account.h"

#include <stdio.h>
#include <string.h>

/* Case-insensitive fragments that mark a params key as secret. Matching
 * fragments rather than exact names over-masks ("keyboard", "passive")
 * on purpose: a masked harmless value costs nothing, a leaked password
 * costs a lot. Covers CTP-style params (password, auth_code), API keys
 * (api_key, apiKey, private_key), bearer tokens and the like, and the
 * Chinese names vnpy's gateways give them in their `setting` (vnpy_ctp's
 * 密码 and 授权编码), which an operator may put in params as they are.
 * Matched as UTF-8 bytes: strcasestr folds ASCII only, and a fragment of
 * whole characters cannot match across a character boundary. */
static const char *const SECRET_FRAGMENTS[] = {
    "pass",       /* password, passwd, passphrase */
    "pwd",
    "secret",     /* secret, client_secret */
    "token",      /* token, access_token */
    "key",        /* api_key, apikey, private_key */
    "auth",       /* auth_code, authorization */
    "credential",
    "private",
    "cookie",
    "\u5bc6\u7801", /* 密码, password: 密码, 交易密码, 资金密码 */
    "\u53e3\u4ee4", /* 口令, password, passphrase */
    "\u5bc6\u94a5", /* 密钥, secret key */
    "\u6388\u6743", /* 授权, authorisation: 授权编码 (auth code) */
};

/* "pin" is a fragment of too many words (shipping, spinner) to match
 * anywhere, so it counts only as a whole word (see param_has_word). */
#define SECRET_WORD "pin"

/* ASCII only: the locale must not change what a slug is. */
static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool hamd_account_id_valid(const char *id)
{
    if (id == NULL || !is_lower_alnum(id[0]))
        return false;
    size_t n = 0;
    for (; id[n] != '\0'; n++) {
        if (n >= HAMD_ACCOUNT_SLUG_MAX)
            return false;
        if (!is_lower_alnum(id[n]) && id[n] != '_' && id[n] != '-')
            return false;
    }
    return true;
}

bool hamd_source_id_parse(const char *id, char *account, unsigned *node)
{
    if (id == NULL)
        return false;
    const char *sep = strstr(id, HAMD_SOURCE_NODE_SEP);
    size_t alen = sep ? (size_t)(sep - id) : strlen(id);
    if (alen > HAMD_ACCOUNT_SLUG_MAX)
        return false;
    char acc[HAMD_ACCOUNT_ID_MAX];
    memcpy(acc, id, alen);
    acc[alen] = '\0';
    if (!hamd_account_id_valid(acc))
        return false;
    unsigned long n = 0;
    if (sep) {
        const char *d = sep + strlen(HAMD_SOURCE_NODE_SEP);
        if (*d < '1' || *d > '9')
            return false; /* empty, or a leading zero */
        for (; *d; d++) {
            if (*d < '0' || *d > '9')
                return false;
            n = n * 10 + (unsigned long)(*d - '0');
            if (n > HAMD_SOURCE_NODE_MAX)
                return false;
        }
    }
    if (account)
        memcpy(account, acc, alen + 1);
    if (node)
        *node = (unsigned)n;
    return true;
}

bool hamd_source_id_valid(const char *id)
{
    return hamd_source_id_parse(id, NULL, NULL);
}

int hamd_source_id_format(char *out, size_t cap, const char *account,
                          unsigned node)
{
    if (!hamd_account_id_valid(account) || node > HAMD_SOURCE_NODE_MAX)
        return -1;
    int n = node ? snprintf(out, cap, "%s" HAMD_SOURCE_NODE_SEP "%u", account,
                            node)
                 : snprintf(out, cap, "%s", account);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

bool hamd_account_serves(const struct hamd_account *acct,
                         const char *vt_symbol)
{
    const char *dot = strrchr(vt_symbol, '.');
    if (dot == NULL || dot[1] == '\0')
        return false;
    unsigned n = acct->n_exchanges;
    if (n > HAMD_ACCOUNT_EXCH_MAX)
        n = HAMD_ACCOUNT_EXCH_MAX;
    for (unsigned i = 0; i < n; i++)
        if (strcmp(acct->exchanges[i], dot + 1) == 0)
            return true;
    return false;
}

/* True when key contains word as a whole word: not touching a letter of
 * the same word on either side, where a camelCase hump also separates
 * ("tradePin", "pin_code", "PIN", "pin2" match; "spinner" does not). */
static bool param_has_word(const char *key, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = strcasestr(key, word); p != NULL;
         p = strcasestr(p + 1, word)) {
        char before = p > key ? p[-1] : '\0';
        char after = p[wl];
        bool hump_before = before >= 'a' && before <= 'z' &&
                           p[0] >= 'A' && p[0] <= 'Z';
        bool hump_after = after >= 'A' && after <= 'Z' &&
                          p[wl - 1] >= 'a' && p[wl - 1] <= 'z';
        if ((!is_alpha(before) || hump_before) &&
            (!is_alpha(after) || hump_after))
            return true;
    }
    return false;
}

bool hamd_param_is_secret(const char *key)
{
    size_t n = sizeof SECRET_FRAGMENTS / sizeof SECRET_FRAGMENTS[0];
    for (size_t i = 0; i < n; i++)
        if (strcasestr(key, SECRET_FRAGMENTS[i]) != NULL)
            return true;
    return param_has_word(key, SECRET_WORD);
}
