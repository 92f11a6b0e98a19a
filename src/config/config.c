/* Loading of the node configuration. See config.h and
 * docs/configuration.md.
 *
 * Three passes over one loader (config_loader.h): the INI file, read here
 * through libinih with our own line reader, which counts lines and sees
 * section headers even when they hold no keys; then the HAMD_* environment
 * (config_env.c); then the rules that span keys (config_check.c).
 */
#include "config/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <ini.h>

#include "config/config_loader.h"
#include "config/config_value.h"
#include "core/sessions.h"

#define CFG_INI_SLACK 3 /* libinih wants room for '\r', '\n' and NUL */

static const char CFG_BOM[] = "\xEF\xBB\xBF"; /* UTF-8 byte order mark */

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

bool cfg_fail(struct cfg_loader *ld, unsigned line, const char *fmt, ...)
{
    if (ld->failed)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err, ld->err_cap, fmt, ap);
    va_end(ap);
    ld->failed = true;
    ld->err_line = line;
    return false;
}

bool cfg_fail_key(struct cfg_loader *ld, const struct cfg_section *sec,
                       const char *key, const struct cfg_origin *origin,
                       const char *why)
{
    const char *path = ld->cfg->path;
    unsigned line = origin != NULL && origin->line ? origin->line : sec->line;
    if (origin != NULL && origin->env[0] != '\0')
        return cfg_fail(ld, 0, "environment %s: %s", origin->env, why);
    if (line == 0)
        return cfg_fail(ld, 0, "%s: [%s] %s: %s", path, sec->name, key,
                             why);
    return cfg_fail(ld, line, "%s:%u: [%s] %s: %s", path, line, sec->name,
                         key, why);
}

/* Reports a bad key at the line being read. */
static bool cfg_fail_here(struct cfg_loader *ld, const struct cfg_section *sec,
                          const char *key, const char *why)
{
    struct cfg_origin here = {.line = ld->lineno};
    return cfg_fail_key(ld, sec, key, &here, why);
}

bool cfg_echo_ok(const char *key)
{
    return !hamd_param_is_secret(key);
}

/* ------------------------------------------------------------------------
 * Sections
 * ------------------------------------------------------------------------ */

/* The section of that name seen so far (or a global one), or NULL. */
static struct cfg_section *cfg_section_find(struct cfg_loader *ld,
                                            const char *name)
{
    for (unsigned i = 0; i < ld->n_sections; i++)
        if (strcmp(ld->sections[i].name, name) == 0)
            return &ld->sections[i];
    return NULL;
}

/* Appends a section; the caller checked the count. */
static struct cfg_section *cfg_section_add(struct cfg_loader *ld,
                                           const char *name,
                                           enum cfg_section_kind kind,
                                           const struct cfg_table *table,
                                           void *base)
{
    struct cfg_section *sec = &ld->sections[ld->n_sections++];
    snprintf(sec->name, sizeof sec->name, "%s", name);
    sec->kind = kind;
    sec->table = table;
    sec->base = base;
    sec->line = ld->lineno;
    char why[CFG_WHY_MAX];
    if (table != NULL && !cfg_defaults_set(base, table, why, sizeof why))
        cfg_fail_key(ld, sec, "(default)", NULL, why); /* a table bug */
    return sec;
}

/* Opens [peer.N]: N is decimal, 1..65535, without leading zeros. */
static struct cfg_section *cfg_peer_open(struct cfg_loader *ld,
                                         const char *name)
{
    const char *digits = name + strlen("peer.");
    struct hamd_config *cfg = ld->cfg;
    unsigned id;
    char why[CFG_WHY_MAX];
    if (digits[0] == '0' ||
        !cfgval_uint_parse(digits, 1, CFG_PEER_ID_MAX, true, &id, why,
                                sizeof why)) {
        cfg_fail(ld, ld->lineno,
                      "%s:%u: [%s]: expected [peer.N] with N in "
                      "1..%d",
                      cfg->path, ld->lineno, name, CFG_PEER_ID_MAX);
        return NULL;
    }
    if (cfg->n_peers == HAMD_MAX_PEERS) {
        cfg_fail(ld, ld->lineno,
                      "%s:%u: [%s]: more than %d [peer.N] "
                      "sections",
                      cfg->path, ld->lineno, name, HAMD_MAX_PEERS);
        return NULL;
    }
    struct hamd_peer *peer = &cfg->peers[cfg->n_peers++];
    peer->id = id;
    return cfg_section_add(ld, name, CFG_SEC_PEER, &cfg_peer, peer);
}

/* Opens [account.ID]: ID is an account slug. */
static struct cfg_section *cfg_account_open(struct cfg_loader *ld,
                                            const char *name)
{
    const char *id = name + strlen("account.");
    struct hamd_config *cfg = ld->cfg;
    if (!hamd_account_id_valid(id)) {
        cfg_fail(ld, ld->lineno,
                      "%s:%u: [%s]: expected [account.ID] with "
                      "ID of 1..31 of a-z 0-9 _ -, starting with a letter or "
                      "digit",
                      cfg->path, ld->lineno, name);
        return NULL;
    }
    if (cfg->n_seed_accounts == HAMD_MAX_SEED_ACCOUNTS) {
        cfg_fail(ld, ld->lineno,
                      "%s:%u: [%s]: more than %d [account.ID] "
                      "sections",
                      cfg->path, ld->lineno, name, HAMD_MAX_SEED_ACCOUNTS);
        return NULL;
    }
    struct hamd_account *acct = &cfg->seed_accounts[cfg->n_seed_accounts++];
    strcpy(acct->id, id);
    return cfg_section_add(ld, name, CFG_SEC_ACCOUNT, &cfg_account, acct);
}

/* Makes the section named in a header the current one. */
static void cfg_section_open(struct cfg_loader *ld, const char *name)
{
    struct cfg_section *sec = cfg_section_find(ld, name);
    ld->current = NULL;
    if (sec != NULL && sec->line != 0) {
        cfg_fail(ld, ld->lineno,
                      "%s:%u: [%s]: duplicate section (first at "
                      "line %u)",
                      ld->cfg->path, ld->lineno, name, sec->line);
        return;
    }
    if (sec != NULL) {
        sec->line = ld->lineno; /* a global section, present from the start */
    } else if (strncmp(name, "peer.", strlen("peer.")) == 0) {
        sec = cfg_peer_open(ld, name);
    } else if (strncmp(name, "account.", strlen("account.")) == 0) {
        sec = cfg_account_open(ld, name);
    } else if (strcmp(name, "arbitration") == 0) {
        sec = cfg_section_add(ld, name, CFG_SEC_ARBITRATION, NULL, NULL);
    } else if (strcmp(name, "subscriptions") == 0) {
        sec = cfg_section_add(ld, name, CFG_SEC_SUBS, NULL, NULL);
    } else {
        cfg_fail(
            ld, ld->lineno,
            "%s:%u: [%s]: unknown section (expected "
            "node, peer.N, raft, publish, gateways, health, sessions, "
            "failover, arbitration, cluster, admin, hooks, accounts, account.ID or "
            "subscriptions)",
            ld->cfg->path, ld->lineno, name);
    }
    ld->current = sec;
}

/* ------------------------------------------------------------------------
 * Free-form keys
 * ------------------------------------------------------------------------ */

/* Refuses a free-form key seen before (first_line: where, 0 = new) or one
 * beyond the max entries (n in use) of a table of `what`. Returns false
 * after recording the error. */
static bool cfg_free_key_new(struct cfg_loader *ld, struct cfg_section *sec,
                             const char *key, unsigned first_line, unsigned n,
                             unsigned max, const char *what)
{
    char why[CFG_WHY_MAX];
    if (first_line != 0) {
        snprintf(why, sizeof why, "duplicate key (first at line %u)",
                 first_line);
        return cfg_fail_here(ld, sec, key, why);
    }
    if (n == max) {
        snprintf(why, sizeof why, "more than %u %s", max, what);
        return cfg_fail_here(ld, sec, key, why);
    }
    return true;
}

/* [gateways] TYPE = executable. */
static bool cfg_gw_exec_set(struct cfg_loader *ld, struct cfg_section *sec,
                            const char *type, const char *path)
{
    struct hamd_config *cfg = ld->cfg;
    char why[CFG_WHY_MAX];
    if (!cfgval_gw_type_valid(type))
        return cfg_fail_here(ld, sec, type, "unknown key (expected endpoint, "
                             "restart_backoff_min_ms, restart_backoff_max_ms, "
                             "stop_grace_ms, or a gateway type of a-z 0-9 _ "
                             "- naming an executable)");
    unsigned first_line = 0;
    for (unsigned i = 0; i < cfg->n_gw_execs; i++)
        if (strcmp(cfg->gw_execs[i].type, type) == 0)
            first_line = ld->gw_exec_line[i];
    if (!cfg_free_key_new(ld, sec, type, first_line, cfg->n_gw_execs,
                          HAMD_MAX_GW_TYPES, "gateway types"))
        return false;
    struct hamd_gw_exec *exec = &cfg->gw_execs[cfg->n_gw_execs];
    if (!cfg_text_copy(exec->path, sizeof exec->path, path, 1, why,
                            sizeof why))
        return cfg_fail_here(ld, sec, type, why);
    strcpy(exec->type, type);
    ld->gw_exec_line[cfg->n_gw_execs++] = ld->lineno;
    return true;
}

/* [sessions] EXCHANGE = HH:MM-HH:MM,... */
static bool cfg_session_set(struct cfg_loader *ld, struct cfg_section *sec,
                            const char *exchange, const char *windows)
{
    struct hamd_config *cfg = ld->cfg;
    char why[CFG_WHY_MAX];
    if (!cfgval_exchange_valid(exchange))
        return cfg_fail_here(ld, sec, exchange, "unknown key (expected "
                             "holidays, closed_restart_after_s, or an "
                             "exchange code such as SHFE: 1..15 of A-Z 0-9 _)");
    const struct hamd_exchange_sessions *dup =
        hamd_sessions_find(cfg->sessions, cfg->n_sessions, exchange);
    if (!cfg_free_key_new(ld, sec, exchange,
                          dup ? ld->session_line[dup - cfg->sessions] : 0,
                          cfg->n_sessions, HAMD_MAX_SESSION_EXCH, "exchanges"))
        return false;
    struct hamd_exchange_sessions *s = &cfg->sessions[cfg->n_sessions];
    if (!cfgval_windows_parse(windows, s->windows, HAMD_MAX_SESSIONS,
                                   &s->n_windows, cfg_echo_ok(exchange),
                                   why, sizeof why))
        return cfg_fail_here(ld, sec, exchange, why);
    strcpy(s->exchange, exchange);
    ld->session_line[cfg->n_sessions++] = ld->lineno;
    return true;
}

/* [arbitration] EXCHANGE = priority | first */
static bool cfg_arbitration_set(struct cfg_loader *ld, struct cfg_section *sec,
                                const char *exchange, const char *mode)
{
    struct hamd_config *cfg = ld->cfg;
    char why[CFG_WHY_MAX], got[CFGVAL_ECHO_MAX + 64];
    if (!cfgval_exchange_valid(exchange))
        return cfg_fail_here(ld, sec, exchange, "unknown key (expected an "
                             "exchange code such as SHFE: 1..15 of A-Z 0-9 _)");
    unsigned first_line = 0;
    for (unsigned i = 0; i < cfg->n_arb_exchanges; i++)
        if (strcmp(cfg->arb_exchanges[i].exchange, exchange) == 0)
            first_line = ld->arb_line[i];
    if (!cfg_free_key_new(ld, sec, exchange, first_line, cfg->n_arb_exchanges,
                          HAMD_ARB_EXCH_MAX, "exchanges"))
        return false;
    struct hamd_arb_exchange *x = &cfg->arb_exchanges[cfg->n_arb_exchanges];
    if (!hamd_arb_mode_parse(mode, &x->mode)) {
        cfgval_got(mode, true, got, sizeof got);
        snprintf(why, sizeof why, "expected priority or first, %s", got);
        return cfg_fail_here(ld, sec, exchange, why);
    }
    strcpy(x->exchange, exchange);
    ld->arb_line[cfg->n_arb_exchanges++] = ld->lineno;
    return true;
}

bool cfg_sub_item(void *ud, const char *item, char *why, size_t cap)
{
    struct cfg_loader *ld = ud;
    struct hamd_config *cfg = ld->cfg;
    char got[CFGVAL_ECHO_MAX + 64];
    if (!cfgval_vt_symbol_valid(item)) {
        cfgval_got(item, true, got, sizeof got);
        snprintf(why, cap, "expected SYMBOL.EXCHANGE such as rb2601.SHFE, %s",
                 got);
        return false;
    }
    if (cfg->n_seed_subs == HAMD_MAX_SEED_SUBS) {
        snprintf(why, cap, "more than %d symbols", HAMD_MAX_SEED_SUBS);
        return false;
    }
    if (cfg->n_seed_subs == ld->subs_cap) {
        size_t cap_new = ld->subs_cap ? ld->subs_cap * 2 : 64;
        void *grown = realloc(cfg->seed_subs, cap_new * sizeof *cfg->seed_subs);
        if (grown == NULL) {
            snprintf(why, cap, "out of memory");
            return false;
        }
        cfg->seed_subs = grown;
        ld->subs_cap = cap_new;
    }
    strcpy(cfg->seed_subs[cfg->n_seed_subs++], item);
    return true;
}

/* [subscriptions] symbols = a, b, c (the key may repeat). */
static bool cfg_subs_add(struct cfg_loader *ld, struct cfg_section *sec,
                         const char *key, const char *symbols)
{
    char why[CFG_WHY_MAX];
    if (strcmp(key, "symbols") != 0)
        return cfg_fail_here(ld, sec, key, "unknown key (expected symbols)");
    if (!cfgval_list_walk(symbols, cfg_sub_item, ld, why, sizeof why))
        return cfg_fail_here(ld, sec, key, why);
    return true;
}

/* ------------------------------------------------------------------------
 * The file
 * ------------------------------------------------------------------------ */

/* Explains an unknown fixed key, listing the known ones. */
static bool cfg_unknown_key(struct cfg_loader *ld, struct cfg_section *sec,
                            const char *key)
{
    char why[CFG_WHY_MAX] = "unknown key (expected ";
    for (size_t k = 0; k < sec->table->n_keys; k++) {
        size_t len = strlen(why);
        snprintf(why + len, sizeof why - len, "%s%s", k ? ", " : "",
                 sec->table->keys[k].name);
    }
    size_t len = strlen(why);
    snprintf(why + len, sizeof why - len, ")");
    return cfg_fail_here(ld, sec, key, why);
}

/* Sets a fixed key from the line being read. */
static bool cfg_file_key_set(struct cfg_loader *ld, struct cfg_section *sec,
                             const char *key, const char *value)
{
    char why[CFG_WHY_MAX];
    int k = cfg_key_find(sec->table, key);
    if (k < 0 && sec == &ld->sections[CFG_G_GATEWAYS])
        return cfg_gw_exec_set(ld, sec, key, value);
    if (k < 0 && sec == &ld->sections[CFG_G_SESSIONS])
        return cfg_session_set(ld, sec, key, value);
    if (k < 0)
        return cfg_unknown_key(ld, sec, key);
    if (sec->origin[k].line != 0) {
        snprintf(why, sizeof why, "duplicate key (first at line %u)",
                 sec->origin[k].line);
        return cfg_fail_here(ld, sec, key, why);
    }
    if (!cfg_value_set(sec->base, &sec->table->keys[k], value,
                            cfg_echo_ok(key), why, sizeof why))
        return cfg_fail_here(ld, sec, key, why);
    sec->origin[k].line = ld->lineno;
    return true;
}

/* libinih handler: one key = value of the file. Returns 0 on error. */
static int cfg_on_key(void *user, const char *section, const char *key,
                      const char *value)
{
    struct cfg_loader *ld = user;
    struct cfg_section *sec = ld->current;
    if (ld->failed)
        return 1; /* the first error is kept; libinih need not know more */
    if (section[0] == '\0')
        return cfg_fail(ld, ld->lineno,
                             "%s:%u: %s: key outside of any "
                             "section",
                             ld->cfg->path, ld->lineno, key);
    if (sec == NULL || strcmp(section, sec->name) != 0)
        return cfg_fail(ld, ld->lineno,
                             "%s:%u: [%s]: malformed section "
                             "header",
                             ld->cfg->path, ld->lineno, section);
    if (sec->kind == CFG_SEC_ARBITRATION)
        return cfg_arbitration_set(ld, sec, key, value);
    if (sec->kind == CFG_SEC_SUBS)
        return cfg_subs_add(ld, sec, key, value);
    return cfg_file_key_set(ld, sec, key, value);
}

/* Finds "[name]" in a line (leading blanks already skipped). */
static void cfg_header_scan(struct cfg_loader *ld, const char *line)
{
    const char *end = strchr(line, ']');
    char name[CFG_SECTION_NAME_MAX];
    size_t len = end != NULL ? (size_t)(end - line - 1) : 0;
    if (end == NULL)
        return; /* libinih reports the syntax error */
    if (len >= sizeof name) {
        cfg_fail(ld, ld->lineno,
                      "%s:%u: section name longer than %zu bytes",
                      ld->cfg->path, ld->lineno, sizeof name - 1);
        return;
    }
    memcpy(name, line + 1, len);
    name[len] = '\0';
    cfg_section_open(ld, name);
}

/* libinih reader: one line per call, so the loader's count is libinih's
 * line number; it also spots section headers and over-long lines. */
static char *cfg_read_line(char *str, int num, void *stream)
{
    struct cfg_loader *ld = stream;
    ssize_t len = getline(&ld->line, &ld->line_cap, ld->file);
    if (len < 0)
        return NULL;
    ld->lineno++;
    char *line = ld->line;
    if (ld->lineno == 1 && strncmp(line, CFG_BOM, strlen(CFG_BOM)) == 0)
        line += strlen(CFG_BOM);
    /* Blanks go so an indented key is never a libinih continuation. */
    line += strspn(line, " \t");
    if (strlen(ld->line) != (size_t)len) {
        cfg_fail(ld, ld->lineno, "%s:%u: NUL byte in line", ld->cfg->path,
                      ld->lineno);
        line = "";
    } else if (strlen(line) + CFG_INI_SLACK > (size_t)num) {
        cfg_fail(ld, ld->lineno, "%s:%u: line longer than %d bytes",
                      ld->cfg->path, ld->lineno, num - CFG_INI_SLACK);
        line = "";
    }
    if (line[0] == '[' && !ld->failed)
        cfg_header_scan(ld, line);
    snprintf(str, (size_t)num, "%s", line);
    return str;
}

/* Parses the file; false with the first error recorded. */
static bool cfg_file_parse(struct cfg_loader *ld)
{
    const char *path = ld->cfg->path;
    ld->file = fopen(path, "r");
    if (ld->file == NULL)
        return cfg_fail(ld, 0, "%s: cannot open: %s", path,
                             strerror(errno));
    int saved_max_line = ini_max_line;
    ini_max_line = HAMD_CONFIG_LINE_MAX;
    int bad_line = ini_parse_stream(cfg_read_line, ld, cfg_on_key, ld);
    ini_max_line = saved_max_line;
    fclose(ld->file);
    ld->file = NULL;
    if (bad_line > 0 && (!ld->failed || (unsigned)bad_line < ld->err_line)) {
        ld->failed = false; /* a syntax error comes first */
        return cfg_fail(ld, (unsigned)bad_line,
                             "%s:%d: syntax error "
                             "(expected [section], key = value or a comment)",
                             path, bad_line);
    }
    if (bad_line < 0 && !ld->failed)
        return cfg_fail(ld, 0, "%s: cannot read the file", path);
    return !ld->failed;
}

/* ------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------ */

/* Creates the loader with the global sections and their defaults. */
static struct cfg_loader *cfg_loader_new(const char *path, char *err,
                                         size_t err_cap)
{
    struct cfg_loader *ld = calloc(1, sizeof *ld);
    struct hamd_config *cfg = calloc(1, sizeof *cfg);
    if (ld == NULL || cfg == NULL) {
        free(ld);
        free(cfg);
        snprintf(err, err_cap, "%s: out of memory", path);
        return NULL;
    }
    ld->cfg = cfg;
    ld->err = err;
    ld->err_cap = err_cap;
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    /* Before the first line: each global section starts absent (line 0). */
    for (int g = 0; g < CFG_G_COUNT; g++)
        cfg_section_add(ld, cfg_globals[g].name, CFG_SEC_GLOBAL,
                        &cfg_globals[g], cfg);
    return ld;
}

struct hamd_config *hamd_config_load(const char *path, char *err,
                                     size_t err_cap)
{
    if (err_cap > 0)
        err[0] = '\0';
    struct cfg_loader *ld = cfg_loader_new(path, err, err_cap);
    if (ld == NULL)
        return NULL;
    struct hamd_config *cfg = ld->cfg;
    bool ok = !ld->failed && cfg_file_parse(ld) && cfg_env_apply(ld) &&
              cfg_check(ld);
    free(ld->line);
    free(ld);
    if (!ok)
        hamd_config_destroy(&cfg);
    return cfg;
}

void hamd_config_destroy(struct hamd_config **self)
{
    if (self == NULL || *self == NULL)
        return;
    free((*self)->seed_subs);
    free(*self);
    *self = NULL;
}

/* ------------------------------------------------------------------------
 * Lookups
 * ------------------------------------------------------------------------ */

const struct hamd_peer *hamd_config_peer(const struct hamd_config *cfg,
                                         uint64_t id)
{
    for (unsigned i = 0; id && i < cfg->n_peers; i++)
        if (cfg->peers[i].id == id)
            return &cfg->peers[i];
    return NULL;
}

const struct hamd_peer *hamd_config_self(const struct hamd_config *cfg)
{
    return hamd_config_peer(cfg, cfg->node_id);
}

/* True if host (up to len) names every address: not one to connect to. */
static bool host_is_wildcard(const char *host, size_t len)
{
    return (len == 1 && host[0] == '*') ||
           (len == 7 && strncmp(host, "0.0.0.0", 7) == 0) || len == 0;
}

int hamd_peer_connect_endpoint(const struct hamd_peer *peer,
                               const char *endpoint, char *out, size_t cap)
{
    static const char tcp[] = "tcp://";
    const char *host = endpoint + strlen(tcp);
    const char *colon = strrchr(endpoint, ':');
    int len;
    if (!endpoint[0])
        return -1;
    if (strncmp(endpoint, tcp, strlen(tcp)) != 0 || !colon || colon < host ||
        !host_is_wildcard(host, (size_t)(colon - host))) {
        len = snprintf(out, cap, "%s", endpoint);
        return len > 0 && (size_t)len < cap ? 0 : -1;
    }
    const char *addrs[] = {peer->admin, peer->raft};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        const char *port = strrchr(addrs[i], ':');
        size_t host_len = port ? (size_t)(port - addrs[i]) : 0;
        if (host_is_wildcard(addrs[i], host_len))
            continue;
        len = snprintf(out, cap, "%s%.*s%s", tcp, (int)host_len, addrs[i], colon);
        return len > 0 && (size_t)len < cap ? 0 : -1;
    }
    return -1;
}

const char *hamd_config_gw_exec(const struct hamd_config *cfg,
                                const char *gateway_type)
{
    for (unsigned i = 0; i < cfg->n_gw_execs; i++)
        if (strcmp(cfg->gw_execs[i].type, gateway_type) == 0)
            return cfg->gw_execs[i].path;
    return NULL;
}

const char *hamd_config_admin(const struct hamd_config *cfg)
{
    const struct hamd_peer *self = hamd_config_self(cfg);
    return self != NULL ? self->admin : cfg->admin;
}

const char *hamd_config_publish(const struct hamd_config *cfg)
{
    const struct hamd_peer *self = hamd_config_self(cfg);
    return self != NULL ? self->publish : cfg->publish;
}

const char *hamd_config_snapshot(const struct hamd_config *cfg)
{
    const struct hamd_peer *self = hamd_config_self(cfg);
    return self != NULL ? self->snapshot : cfg->snapshot;
}

