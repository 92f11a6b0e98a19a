/* Environment overrides of configuration keys: HAMD_<SECTION>_<KEY>.
 *
 * Rather than splitting variable names (account ids may contain '_'), the
 * loader builds the variable name of every key it knows, from the
 * normalised name of each section, and looks it up. A HAMD_* variable that
 * names no such key is therefore ignored, as it must be: the hub's
 * environment also carries variables meant for others (HAMD_ACCOUNT, ...).
 */
#include "config/config_loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_value.h"

#define CFG_ENV_PREFIX "HAMD_" /* of every variable that sets a key */
#define CFG_ENV_ACCOUNT CFG_ENV_PREFIX "ACCOUNT_" /* of an account's keys */

bool hamd_config_env_is_account(const char *entry)
{
    return strncmp(entry, CFG_ENV_ACCOUNT, strlen(CFG_ENV_ACCOUNT)) == 0;
}

/* Writes HAMD_<SECTION>_<KEY>: upper case, '.' and '-' as '_'. */
static void cfg_env_name(const char *section, const char *key, char *out,
                         size_t cap)
{
    snprintf(out, cap, CFG_ENV_PREFIX "%s_%s", section, key);
    for (char *p = out; *p != '\0'; p++) {
        if (*p == '.' || *p == '-')
            *p = '_';
        else if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    }
}

/* Fetches the override of one key, blanks trimmed, into buf: *value is
 * NULL when the variable is unset. False (error recorded) when too long. */
static bool cfg_env_get(struct cfg_loader *ld, const char *section,
                        const char *key, char *var, size_t var_cap,
                        char *buf, size_t buf_cap, const char **value)
{
    cfg_env_name(section, key, var, var_cap);
    const char *raw = getenv(var);
    *value = NULL;
    if (raw == NULL)
        return true;
    raw += strspn(raw, " \t");
    if (strlen(raw) >= buf_cap)
        return cfg_fail(ld, 0, "environment %s: longer than %zu bytes",
                             var, buf_cap - 1);
    strcpy(buf, raw);
    size_t len = strlen(buf);
    while (len > 0 && strchr(" \t\r\n", buf[len - 1]) != NULL)
        buf[--len] = '\0';
    *value = buf;
    return true;
}

/* Applies overrides of the fixed keys of one section. */
static bool cfg_env_fixed(struct cfg_loader *ld, struct cfg_section *sec,
                          char *buf, size_t buf_cap)
{
    char why[CFG_WHY_MAX];
    for (size_t k = 0; k < sec->table->n_keys; k++) {
        const struct cfg_key *key = &sec->table->keys[k];
        struct cfg_origin *origin = &sec->origin[k];
        char var[CFG_ENV_NAME_MAX];
        const char *value;
        if (!cfg_env_get(ld, sec->name, key->name, var, sizeof var, buf,
                         buf_cap, &value))
            return false;
        if (value == NULL)
            continue;
        snprintf(origin->env, sizeof origin->env, "%s", var);
        if (!cfg_value_set(sec->base, key, value,
                                cfg_echo_ok(key->name), why, sizeof why))
            return cfg_fail_key(ld, sec, key->name, origin, why);
    }
    return true;
}

/* Applies overrides of the gateway types the file names. */
static bool cfg_env_gw_execs(struct cfg_loader *ld, char *buf, size_t cap)
{
    struct hamd_config *cfg = ld->cfg;
    char why[CFG_WHY_MAX], var[CFG_ENV_NAME_MAX];
    for (unsigned i = 0; i < cfg->n_gw_execs; i++) {
        struct hamd_gw_exec *exec = &cfg->gw_execs[i];
        const char *value;
        if (!cfg_env_get(ld, "gateways", exec->type, var, sizeof var, buf,
                         cap, &value))
            return false;
        if (value != NULL && !cfg_text_copy(exec->path, sizeof exec->path,
                                                 value, 1, why, sizeof why))
            return cfg_fail(ld, 0, "environment %s: %s", var, why);
    }
    return true;
}

/* Applies overrides of the exchanges [sessions] names. */
static bool cfg_env_sessions(struct cfg_loader *ld, char *buf, size_t cap)
{
    struct hamd_config *cfg = ld->cfg;
    char why[CFG_WHY_MAX], var[CFG_ENV_NAME_MAX];
    for (unsigned i = 0; i < cfg->n_sessions; i++) {
        struct hamd_exchange_sessions *s = &cfg->sessions[i];
        const char *value;
        if (!cfg_env_get(ld, "sessions", s->exchange, var, sizeof var, buf,
                         cap, &value))
            return false;
        if (value != NULL &&
            !cfgval_windows_parse(
                value, s->windows, HAMD_MAX_SESSIONS, &s->n_windows,
                cfg_echo_ok(s->exchange), why, sizeof why))
            return cfg_fail(ld, 0, "environment %s: %s", var, why);
    }
    return true;
}

/* Applies overrides of the exchanges [arbitration] names. */
static bool cfg_env_arbitration(struct cfg_loader *ld, char *buf, size_t cap)
{
    struct hamd_config *cfg = ld->cfg;
    char var[CFG_ENV_NAME_MAX], got[CFGVAL_ECHO_MAX + 64];
    for (unsigned i = 0; i < cfg->n_arb_exchanges; i++) {
        struct hamd_arb_exchange *x = &cfg->arb_exchanges[i];
        const char *value;
        if (!cfg_env_get(ld, "arbitration", x->exchange, var, sizeof var, buf,
                         cap, &value))
            return false;
        if (value != NULL && !hamd_arb_mode_parse(value, &x->mode)) {
            cfgval_got(value, true, got, sizeof got);
            return cfg_fail(ld, 0, "environment %s: expected priority or "
                            "first, %s", var, got);
        }
    }
    return true;
}

/* HAMD_SUBSCRIPTIONS_SYMBOLS replaces every symbols line of the file. */
static bool cfg_env_subs(struct cfg_loader *ld, char *buf, size_t cap)
{
    char why[CFG_WHY_MAX], var[CFG_ENV_NAME_MAX];
    const char *value;
    if (!cfg_env_get(ld, "subscriptions", "symbols", var, sizeof var, buf,
                     cap, &value))
        return false;
    if (value == NULL)
        return true;
    ld->cfg->n_seed_subs = 0;
    if (!cfgval_list_walk(value, cfg_sub_item, ld, why, sizeof why))
        return cfg_fail(ld, 0, "environment %s: %s", var, why);
    return true;
}

/* Applies every HAMD_<SECTION>_<KEY> that names a key of a global section
 * or of a section in the file. Other HAMD_* variables are ignored: the
 * hub's own environment also reaches gateways (HAMD_ACCOUNT, ...). */
bool cfg_env_apply(struct cfg_loader *ld)
{
    size_t cap = HAMD_CONFIG_LINE_MAX;
    char *buf = malloc(cap);
    bool ok = buf != NULL;
    if (!ok)
        return cfg_fail(ld, 0, "out of memory");
    for (unsigned i = 0; ok && i < ld->n_sections; i++) {
        struct cfg_section *sec = &ld->sections[i];
        if (sec->table != NULL)
            ok = cfg_env_fixed(ld, sec, buf, cap);
        else if (sec->kind == CFG_SEC_ARBITRATION)
            ok = cfg_env_arbitration(ld, buf, cap);
        else if (sec->kind == CFG_SEC_SUBS)
            ok = cfg_env_subs(ld, buf, cap);
    }
    ok = ok && cfg_env_gw_execs(ld, buf, cap) &&
         cfg_env_sessions(ld, buf, cap);
    free(buf);
    return ok;
}

