/* The node's secret params (docs/security.md, "Secrets at rest"): the
 * vault of [accounts] key_file, the start-up check that every sealed
 * value the store holds opens, the seed accounts sealed before the first
 * leader submits them, and the opening of an account's params right
 * before its gateway is launched. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/vault.h"
#include "control/node_internal.h"

/* Without [accounts] key_file secrets are stored as given: say so, once
 * per account at start, so that it is a choice and not an oversight. */
static void warn_clear(const struct hamd_node *node,
                       const struct hamd_account *a, const char *where)
{
    if (hamd_vault_params_clear(node->vault, a->params))
        LOG_WARN("account %s: its secret params are stored in clear in %s: "
                 "set [accounts] key_file to seal them (docs/security.md)",
                 a->id, where);
}

/* What check_one needs while walking the store's accounts. */
struct secrets_check {
    struct hamd_node *node; /* the node */
    int failed;             /* accounts whose secrets do not open */
};

static int check_one(void *ud, const struct hamd_account *a)
{
    struct secrets_check *c = ud;
    char err[HAMD_VAULT_ERR_MAX];
    if (!hamd_vault_can_seal(c->node->vault))
        warn_clear(c->node, a, "the store, the Raft log and snapshots");
    if (!hamd_vault_params_sealed(a->params))
        return 0;
    char *plain = malloc(HAMD_PARAMS_MAX);
    int rc = plain ? hamd_vault_open_params(c->node->vault, a->params, plain,
                                            HAMD_PARAMS_MAX, err, sizeof err)
                   : -1;
    if (plain) {
        explicit_bzero(plain, HAMD_PARAMS_MAX);
        free(plain);
    }
    if (rc < 0) {
        c->failed++;
        LOG_ERROR("account %s: its secret params cannot be opened: %s",
                  a->id, plain ? err : "out of memory");
    }
    return 0;
}

/* Every sealed value the store holds opens with this node's keys: a node
 * that could not launch the gateways it must run refuses to start. The
 * same walk names the accounts stored in clear when there is no key. */
static int secrets_check_store(struct hamd_node *node)
{
    struct secrets_check c = {.node = node};
    if (hamd_store_accounts_foreach(node->store, check_one, &c) < 0) {
        LOG_ERROR("cannot read the accounts of the store");
        return -1;
    }
    if (c.failed == 0)
        return 0;
    LOG_ERROR("refusing to start: the store holds secrets sealed with a key "
              "this node lacks. Give it the cluster's [accounts] key_file "
              "(every node uses the same keys; docs/security.md)");
    return -1;
}

/* The seed accounts' clear secrets; the store's are named by the walk
 * of secrets_check_store. */
static void secrets_warn_clear_seeds(struct hamd_node *node)
{
    const struct hamd_config *cfg = node->cfg;
    for (unsigned i = 0; i < cfg->n_seed_accounts; i++)
        warn_clear(node, &cfg->seed_accounts[i], "the config file and store");
}

int node_secrets_start(struct hamd_node *node)
{
    const struct hamd_config *cfg = node->cfg;
    char err[HAMD_VAULT_ERR_MAX];
    node->vault = hamd_vault_new(cfg->key_file, cfg->secret_keys, err,
                                 sizeof err);
    if (!node->vault) {
        LOG_ERROR("refusing to start: %s", err);
        return -1;
    }
    if (hamd_vault_can_seal(node->vault))
        LOG_INFO("secret params (%s) are sealed with key %s",
                 cfg->secret_keys, hamd_vault_key_id(node->vault));
    else
        secrets_warn_clear_seeds(node);
    return secrets_check_store(node);
}

int node_secrets_seeds(struct hamd_node *node,
                       const struct hamd_account **seeds)
{
    const struct hamd_config *cfg = node->cfg;
    *seeds = cfg->seed_accounts;
    if (!hamd_vault_can_seal(node->vault) || cfg->n_seed_accounts == 0)
        return 0;
    node->seeds = calloc(cfg->n_seed_accounts, sizeof *node->seeds);
    if (!node->seeds)
        return -1;
    for (unsigned i = 0; i < cfg->n_seed_accounts; i++) {
        char err[HAMD_VAULT_ERR_MAX];
        node->seeds[i] = cfg->seed_accounts[i];
        if (hamd_vault_seal_params(node->vault, cfg->seed_accounts[i].params,
                                   node->seeds[i].params,
                                   sizeof node->seeds[i].params, err,
                                   sizeof err) < 0) {
            LOG_ERROR("[account.%s] params: %s", cfg->seed_accounts[i].id,
                      err);
            return -1;
        }
    }
    *seeds = node->seeds;
    return 0;
}

int node_secrets_open(struct hamd_node *node, const struct hamd_account *a,
                      char *out, size_t cap, bool say, bool running)
{
    char err[HAMD_VAULT_ERR_MAX];
    if (hamd_vault_open_params(node->vault, a->params, out, cap, err,
                               sizeof err) == 0)
        return 0;
    /* A key rotation may have put a new key in the file since start. */
    char why[HAMD_VAULT_ERR_MAX];
    if (hamd_vault_reload(node->vault, why, sizeof why) == 0 &&
        hamd_vault_open_params(node->vault, a->params, out, cap, err,
                               sizeof err) == 0)
        return 0;
    if (say)
        LOG_ERROR("account %s: its secret params cannot be opened: %s; its "
                  "gateway %s until the key file holds the key, read again "
                  "every %d s (docs/security.md)", a->id, err,
                  running ? "goes on with the params it was launched with"
                          : "does not run here",
                  NODE_SECRETS_RETRY_MS / 1000);
    return -1;
}

void node_secrets_free(struct hamd_node *node)
{
    if (node->seeds) {
        explicit_bzero(node->seeds,
                       node->cfg->n_seed_accounts * sizeof *node->seeds);
        free(node->seeds);
        node->seeds = NULL;
    }
    hamd_vault_destroy(&node->vault);
}
