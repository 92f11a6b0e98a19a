/* Reconciliation: the replicated store says what should run; this file
 * makes the supervisor and the data plane match it. Every node does it,
 * leader or not, which is what keeps followers warm (docs/consensus.md): same
 * gateways, same subscriptions, same routing as the leader. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/monitor.h"
#include "control/node_internal.h"
#include "control/steer.h"

#define RECONCILE_SYMBOLS_INITIAL 64 /* first capacity of a symbol list */

/* ------------------------------------------------------------------------
 * Symbol lists for SUBSCRIBE / UNSUBSCRIBE
 * ------------------------------------------------------------------------ */

/* A growing list of symbols (borrowed strings). */
struct symlist {
    const char **v;  /* the symbols */
    size_t n;        /* in use */
    size_t cap;      /* allocated */
};

static void symlist_add(struct symlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : RECONCILE_SYMBOLS_INITIAL;
        const char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
}

/* Sends SUBSCRIBE/UNSUBSCRIBE of the symbols of l that acct serves. */
static void send_symbols(struct hamd_node *node, const struct hamd_account *acct,
                         enum hamd_gw_type type, const struct symlist *l)
{
    struct symlist mine = {0};
    for (size_t i = 0; i < l->n; i++)
        if (hamd_account_serves(acct, l->v[i]))
            symlist_add(&mine, l->v[i]);
    /* A message carries at most HAMD_GW_SYMBOLS_MAX symbols: chunk it. */
    size_t cap = HAMD_GW_SYMBOLS_MAX * (HAMD_VT_SYMBOL_MAX + 8) + 64;
    void *buf = mine.n ? malloc(cap) : NULL;
    for (size_t at = 0; buf && at < mine.n; at += HAMD_GW_SYMBOLS_MAX) {
        size_t n = mine.n - at < HAMD_GW_SYMBOLS_MAX ? mine.n - at
                                                     : HAMD_GW_SYMBOLS_MAX;
        size_t len = hamd_gw_symbols_encode(mine.v + at, n, buf, cap);
        if (len > 0)
            hamd_dataplane_gw_send(node->dp, acct->id, type, buf, len);
    }
    free(buf);
    free(mine.v);
}

static void all_contracts(struct hamd_node *node, struct symlist *l)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(node->contracts, &cursor, &key, &val))
        symlist_add(l, ((struct node_contract *)val)->vt_symbol);
}

void node_gateway_subscribe_all(struct hamd_node *node, const char *account)
{
    struct node_gw *gw = hamd_strmap_get(node->gateways, account);
    if (!gw || !gw->running)
        return;
    struct symlist l = {0};
    all_contracts(node, &l);
    send_symbols(node, &gw->acct, HAMD_GW_SUBSCRIBE, &l);
    free(l.v);
}

/* ------------------------------------------------------------------------
 * Accounts -> gateway processes and data-plane sources
 * ------------------------------------------------------------------------ */

static void gateway_start(struct hamd_node *node, struct node_gw *gw)
{
    const struct hamd_account *a = &gw->acct;
    const char *exe = hamd_config_gw_exec(node->cfg, a->gateway_type);
    if (!exe) {
        LOG_ERROR("account %s: no executable for gateway_type '%s' in "
                  "[gateways]; not started", a->id, a->gateway_type);
        return;
    }
    const char *exch[HAMD_ACCOUNT_EXCH_MAX];
    for (unsigned i = 0; i < a->n_exchanges; i++)
        exch[i] = a->exchanges[i];
    hamd_dataplane_source_add(node->dp, a->id, exch, a->n_exchanges, a->canary);
    /* Secrets are opened only here, for the launch (docs/security.md). */
    char params[HAMD_PARAMS_MAX];
    if (node_secrets_open(node, a, params, sizeof params, !gw->secrets_wait,
                          gw->running) < 0) {
        /* Tried again until the key file has the key: no write of the
         * account may come to try it. */
        gw->secrets_wait = true;
        if (!uv_is_active((uv_handle_t *)&node->secrets_timer))
            uv_timer_start(&node->secrets_timer, node_secrets_retry_cb,
                           NODE_SECRETS_RETRY_MS, 0);
        return;
    }
    if (gw->secrets_wait)
        LOG_INFO("account %s: its secret params open now%s", a->id,
                 gw->running ? "" : ": starting its gateway");
    gw->secrets_wait = false;
    /* Running before the launch: the monitor hears of the launch at once. */
    gw->running = true;
    if (hamd_supervisor_run(node->sup, a->id, exe, params) != 0) {
        LOG_ERROR("account %s: cannot start its gateway", a->id);
        gw->running = false;
    }
    explicit_bzero(params, sizeof params);
}

static void gateway_halt(struct hamd_node *node, struct node_gw *gw)
{
    if (!gw->running)
        return;
    hamd_supervisor_stop(node->sup, gw->acct.id);
    hamd_dataplane_source_remove(node->dp, gw->acct.id);
    gw->running = false;
}

/* Whether account a's gateway should run on this node. */
static bool gateway_wanted(struct hamd_node *node, const struct hamd_account *a)
{
    return a->enabled && !node->witness &&
           hamd_store_account_running(node->store, a->id);
}

void node_secrets_retry_cb(uv_timer_t *t)
{
    struct hamd_node *node = t->data;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(node->gateways, &cursor, &key, &val)) {
        struct node_gw *gw = val;
        if (!gw->secrets_wait || !gateway_wanted(node, &gw->acct))
            continue;
        gateway_start(node, gw);
        if (!gw->secrets_wait)
            node_gateway_subscribe_all(node, gw->acct.id);
    }
}

static int reconcile_one_account(void *ud, const struct hamd_account *a)
{
    struct hamd_node *node = ud;
    struct node_gw *gw = hamd_strmap_get(node->gateways, a->id);
    bool changed = true;
    if (gw) {
        changed = memcmp(&gw->acct, a, sizeof *a) != 0;
    } else {
        gw = calloc(1, sizeof *gw);
        if (!gw)
            return 0;
        hamd_strmap_put(node->gateways, a->id, gw);
    }
    /* Watched before a launch: the monitor hears of it at once. */
    if (hamd_monitor_watch(node->monitor, a) < 0)
        LOG_ERROR("account %s: out of memory for its health machine", a->id);
    gw->acct = *a;
    gw->seen = true;
    bool want = gateway_wanted(node, a);
    if (!want) {
        gateway_halt(node, gw);
        gw->secrets_wait = false;
    }
    else if (!gw->running || changed)
        gateway_start(node, gw);
    /* A changed account may serve other exchanges: resend its symbols. */
    if (want && changed && gw->running)
        node_gateway_subscribe_all(node, a->id);
    return 0;
}

void node_reconcile_accounts(struct hamd_node *node)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(node->gateways, &cursor, &key, &val))
        ((struct node_gw *)val)->seen = false;
    if (hamd_store_accounts_foreach(node->store, reconcile_one_account, node) < 0)
        LOG_ERROR("reconcile: cannot read accounts from the store");
    /* Accounts deleted from the store. */
    cursor = 0;
    while (hamd_strmap_next(node->gateways, &cursor, &key, &val)) {
        struct node_gw *gw = val;
        if (gw->seen)
            continue;
        gateway_halt(node, gw);
        hamd_monitor_forget(node->monitor, gw->acct.id);
        hamd_strmap_remove(node->gateways, gw->acct.id);
        free(gw);
        cursor = 0; /* the map changed under the iterator */
    }
}

/* ------------------------------------------------------------------------
 * Subscriptions -> data-plane contracts and gateway SUBSCRIBEs
 * ------------------------------------------------------------------------ */

/* What reconcile_one_sub needs while walking the subscriptions. */
struct subs_ctx {
    struct hamd_node *node;  /* the node */
    struct symlist added;    /* contracts new to the data plane */
};

static int reconcile_one_sub(void *ud, const char *vt_symbol)
{
    struct subs_ctx *ctx = ud;
    struct node_contract *c = hamd_strmap_get(ctx->node->contracts, vt_symbol);
    if (!c) {
        size_t len = strnlen(vt_symbol, HAMD_VT_SYMBOL_MAX - 1);
        c = malloc(sizeof *c + len + 1);
        if (!c)
            return 0;
        c->assigned = "";
        c->routed = "";
        memcpy(c->vt_symbol, vt_symbol, len);
        c->vt_symbol[len] = '\0';
        hamd_strmap_put(ctx->node->contracts, c->vt_symbol, c);
        hamd_dataplane_contract_add(ctx->node->dp, c->vt_symbol);
        symlist_add(&ctx->added, c->vt_symbol);
    }
    c->desired = true;
    return 0;
}

static void send_to_all_gateways(struct hamd_node *node, enum hamd_gw_type type,
                                 const struct symlist *l)
{
    if (l->n == 0)
        return;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(node->gateways, &cursor, &key, &val)) {
        struct node_gw *gw = val;
        if (gw->running)
            send_symbols(node, &gw->acct, type, l);
    }
}

void node_reconcile_subscriptions(struct hamd_node *node)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(node->contracts, &cursor, &key, &val))
        ((struct node_contract *)val)->desired = false;
    hamd_dataplane_batch_begin(node->dp); /* one door message, not 5,000 */
    struct subs_ctx ctx = {node, {0}};
    if (hamd_store_subs_foreach(node->store, reconcile_one_sub, &ctx) < 0)
        LOG_ERROR("reconcile: cannot read subscriptions from the store");
    send_to_all_gateways(node, HAMD_GW_SUBSCRIBE, &ctx.added);
    free(ctx.added.v);

    /* Removed subscriptions: collect first, the map changes after. */
    struct symlist gone = {0};
    cursor = 0;
    while (hamd_strmap_next(node->contracts, &cursor, &key, &val))
        if (!((struct node_contract *)val)->desired)
            symlist_add(&gone, ((struct node_contract *)val)->vt_symbol);
    send_to_all_gateways(node, HAMD_GW_UNSUBSCRIBE, &gone);
    for (size_t i = 0; i < gone.n; i++) {
        struct node_contract *c = hamd_strmap_remove(node->contracts, gone.v[i]);
        hamd_dataplane_contract_remove(node->dp, c->vt_symbol);
        free(c);
    }
    free(gone.v);
    hamd_dataplane_batch_end(node->dp);
}

/* ------------------------------------------------------------------------
 * Assignments -> data-plane routing
 * ------------------------------------------------------------------------ */

/* Registers the relayed source id (ACCOUNT@nodeN) with the data plane,
 * serving its account's exchanges. Returns false when the account is not
 * known here (yet). */
static bool relay_register(struct hamd_node *node, const char *id,
                           const char *account)
{
    if (hamd_strmap_get(node->relays, id))
        return true;
    const struct node_gw *gw = hamd_strmap_get(node->gateways, account);
    if (!gw)
        return false;
    const char *exch[HAMD_ACCOUNT_EXCH_MAX];
    for (unsigned i = 0; i < gw->acct.n_exchanges; i++)
        exch[i] = gw->acct.exchanges[i];
    if (hamd_dataplane_source_add(node->dp, id, exch, gw->acct.n_exchanges,
                                  "") < 0)
        return false;
    hamd_strmap_put(node->relays, id, node->relays);
    LOG_INFO("relay: %s registered; its node sends the ticks", id);
    return true;
}

/* The data plane's route of an assigned source: a relayed source
 * ACCOUNT@nodeN is a source of its own only on the publisher, for a node
 * other than itself; everywhere else the contract runs on the node's own
 * ACCOUNT, which a follower holds for a takeover and relays when asked. */
static void local_route(struct hamd_node *node, const char *assigned,
                        char *out, size_t cap)
{
    char account[HAMD_ACCOUNT_ID_MAX];
    unsigned from;
    if (!hamd_source_id_parse(assigned, account, &from) || from == 0) {
        snprintf(out, cap, "%s", assigned);
        return;
    }
    bool relayed = node->publishing && from != node->cfg->node_id &&
                   relay_register(node, assigned, account);
    snprintf(out, cap, "%s", relayed ? assigned : account);
}

static void route(struct hamd_node *node, struct node_contract *c,
                  const char *assigned)
{
    char routed[HAMD_ACCOUNT_ID_MAX];
    local_route(node, assigned, routed, sizeof routed);
    const char *a = hamd_strpool_intern(node->source_ids, assigned);
    const char *r = hamd_strpool_intern(node->source_ids, routed);
    if (!a || !r) {
        LOG_ERROR("route %s: out of memory for source id %s", c->vt_symbol,
                  assigned);
        return;
    }
    c->assigned = a;
    if (strcmp(c->routed, r) == 0)
        return;
    uint64_t switch_id = hamd_steer_switch_id(node->steer, c->vt_symbol,
                                              assigned);
    hamd_dataplane_assign(node->dp, c->vt_symbol, routed, switch_id);
    LOG_DEBUG("route %s: %s -> %s", c->vt_symbol, c->routed[0] ? c->routed : "-",
              routed[0] ? routed : "-");
    c->routed = r;
}

static int reconcile_one_assign(void *ud, const char *vt_symbol,
                                const char *account)
{
    struct hamd_node *node = ud;
    struct node_contract *c = hamd_strmap_get(node->contracts, vt_symbol);
    if (c) {
        route(node, c, account);
        c->desired = true;
    }
    return 0;
}

/* Unregisters the relayed sources no contract is routed to any more (the
 * contract moved, or this node stopped publishing). */
static void relays_prune(struct hamd_node *node)
{
    size_t cursor = 0;
    const char *id;
    void *val;
    while (hamd_strmap_next(node->relays, &cursor, &id, &val)) {
        size_t c2 = 0;
        const char *key;
        void *cv;
        bool used = false;
        while (!used && hamd_strmap_next(node->contracts, &c2, &key, &cv))
            used = strcmp(((struct node_contract *)cv)->routed, id) == 0;
        if (used)
            continue;
        hamd_dataplane_source_remove(node->dp, id);
        LOG_INFO("relay: %s no longer used", id);
        hamd_strmap_remove(node->relays, id);
        cursor = 0; /* the map changed under the iterator */
    }
}

void node_reconcile_routing(struct hamd_node *node)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(node->contracts, &cursor, &key, &val))
        ((struct node_contract *)val)->desired = false;
    hamd_dataplane_batch_begin(node->dp);
    if (hamd_store_assign_foreach(node->store, reconcile_one_assign, node) < 0)
        LOG_ERROR("reconcile: cannot read assignments from the store");
    cursor = 0;
    while (hamd_strmap_next(node->contracts, &cursor, &key, &val)) {
        struct node_contract *c = val;
        if (!c->desired)
            route(node, c, "");
        c->desired = true;
    }
    relays_prune(node);
    hamd_dataplane_batch_end(node->dp);
}

void node_reconcile_all(struct hamd_node *node)
{
    node_reconcile_accounts(node);
    node_reconcile_subscriptions(node);
    node_reconcile_routing(node);
}

void node_maps_free(struct hamd_node *node)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    while (node->gateways && hamd_strmap_next(node->gateways, &cursor, &key, &val))
        free(val);
    cursor = 0;
    while (node->contracts && hamd_strmap_next(node->contracts, &cursor, &key, &val))
        free(val);
    hamd_strmap_destroy(&node->gateways);
    hamd_strmap_destroy(&node->contracts);
    hamd_strmap_destroy(&node->relays);
    hamd_strpool_destroy(&node->source_ids);
}
