/* Fuzz target: the node's configuration (src/config/config.h): an INI
 * file and HAMD_* environment overrides, through hamd_config_load.
 *
 * Input: the file's text, optionally followed by a line "[[env]]" and
 * then lines NAME=VALUE, each set as the variable HAMD_NAME for this load
 * (at most CFG_FUZZ_ENV_MAX, unset afterwards). The file is written to the
 * scratch directory and loaded from there, as hamd and hactl load it.
 *
 * Checks: a refused configuration comes with a message; an accepted one
 * is within its bounds and answers every accessor the programs call, and
 * its seed accounts are accounts the admin API accepts. */
#include <string.h>

#include "common/account_json.h"
#include "config/config.h"
#include "fuzz.h"

#define CFG_FUZZ_ENV_MARK "\n[[env]]\n" /* starts the variables */
#define CFG_FUZZ_ENV_MAX 8              /* variables set per input */
#define CFG_FUZZ_VAR_MAX 160            /* bytes of a variable's name */
#define CFG_FUZZ_PREFIX "HAMD_"         /* of every variable set */

static char cfg_path[128]; /* the file, in the scratch directory */

/* The variables of one input, to unset afterwards. */
struct cfg_env {
    char names[CFG_FUZZ_ENV_MAX][CFG_FUZZ_VAR_MAX]; /* set */
    unsigned n;                                     /* names used */
};

/* Sets HAMD_NAME=VALUE for one line; lines without '=' are skipped. */
static void cfg_env_line(struct cfg_env *env, const char *line)
{
    const char *eq = strchr(line, '=');
    size_t n = eq ? (size_t)(eq - line) : 0;
    if (n == 0 || n + strlen(CFG_FUZZ_PREFIX) >= CFG_FUZZ_VAR_MAX ||
        env->n >= CFG_FUZZ_ENV_MAX)
        return;
    char *name = env->names[env->n];
    snprintf(name, CFG_FUZZ_VAR_MAX, CFG_FUZZ_PREFIX "%.*s", (int)n, line);
    if (setenv(name, eq + 1, 1) == 0)
        env->n++;
}

/* Sets the variables of text (NUL-terminated lines after the mark). */
static void cfg_env_set(struct cfg_env *env, char *text)
{
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        cfg_env_line(env, line);
}

static void cfg_env_unset(struct cfg_env *env)
{
    for (unsigned i = 0; i < env->n; i++)
        unsetenv(env->names[i]);
    env->n = 0;
}

static void cfg_file_write(const uint8_t *data, size_t size)
{
    FILE *f = fopen(cfg_path, "w");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, size, f) == size || size == 0);
    FUZZ_CHECK(fclose(f) == 0);
}

/* A seed account is one the admin API can show and take back: it goes
 * to JSON and back unchanged (the API's own rules). */
static void cfg_account_check(const struct hamd_account *a)
{
    struct hamd_account b;
    char err[HAMD_ACCOUNT_ERR_MAX] = "";
    json_t *obj = hamd_account_to_json(a, false);
    FUZZ_CHECK(obj != NULL);
    if (hamd_account_from_json(obj, &b, false, err, sizeof err, NULL) != 0) {
        fprintf(stderr, "seed account %s refused by the API: %s\n", a->id, err);
        FUZZ_CHECK(!"a seed account the API refuses");
    }
    json_decref(obj);
    FUZZ_CHECK(strcmp(a->name, b.name) == 0 && a->priority == b.priority &&
               a->n_exchanges == b.n_exchanges &&
               strcmp(a->canary, b.canary) == 0 &&
               strcmp(a->params, b.params) == 0);
}

/* What hamd and hactl read of a loaded configuration. */
static void cfg_use(const struct hamd_config *cfg)
{
    char ep[HAMD_ENDPOINT_MAX];
    FUZZ_CHECK(cfg->n_peers <= HAMD_MAX_PEERS &&
               cfg->n_seed_accounts <= HAMD_MAX_SEED_ACCOUNTS &&
               cfg->n_seed_subs <= HAMD_MAX_SEED_SUBS);
    FUZZ_CHECK(cfg->n_peers == 0 || hamd_config_self(cfg) != NULL);
    for (unsigned i = 0; i < cfg->n_peers; i++) {
        FUZZ_CHECK(hamd_config_peer(cfg, cfg->peers[i].id) == &cfg->peers[i]);
        const struct hamd_peer *peer = &cfg->peers[i];
        (void)hamd_peer_connect_endpoint(peer, peer->publish, ep, sizeof ep);
        (void)hamd_peer_connect_endpoint(peer, peer->relay, ep, sizeof ep);
    }
    for (unsigned i = 0; i < cfg->n_seed_accounts; i++) {
        const struct hamd_account *a = &cfg->seed_accounts[i];
        FUZZ_CHECK(hamd_account_id_valid(a->id));
        cfg_account_check(a);
        (void)hamd_config_gw_exec(cfg, a->gateway_type);
    }
    for (unsigned i = 0; i < cfg->n_seed_subs; i++)
        FUZZ_CHECK(hamd_tick_vt_symbol_valid(cfg->seed_subs[i],
                                             strlen(cfg->seed_subs[i])));
    FUZZ_CHECK(hamd_config_admin(cfg) != NULL &&
               hamd_config_publish(cfg) != NULL &&
               hamd_config_snapshot(cfg) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (cfg_path[0] == '\0')
        snprintf(cfg_path, sizeof cfg_path, "%s/node.ini", fuzz_scratch_dir());
    struct cfg_env env = {.n = 0};
    const uint8_t *mark = memmem(data, size, CFG_FUZZ_ENV_MARK,
                                 strlen(CFG_FUZZ_ENV_MARK));
    size_t file_len = mark ? (size_t)(mark - data) + 1 : size;
    if (mark) {
        const uint8_t *vars = mark + strlen(CFG_FUZZ_ENV_MARK);
        char *text = fuzz_strndup(vars, (size_t)(data + size - vars));
        cfg_env_set(&env, text);
        free(text);
    }
    cfg_file_write(data, file_len);

    char err[HAMD_CONFIG_ERR_MAX];
    struct hamd_config *cfg = hamd_config_load(cfg_path, err, sizeof err);
    cfg_env_unset(&env);
    if (cfg == NULL) {
        FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof err);
        return 0;
    }
    cfg_use(cfg);
    hamd_config_destroy(&cfg);
    FUZZ_CHECK(cfg == NULL);
    return 0;
}
