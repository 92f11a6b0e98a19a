/* The data-source account (docs/api.md): one gateway process per enabled
 * account on every node that runs gateways.
 *
 * JSON form: {id, name, gateway_type, priority, enabled, exchanges: [...],
 *             canary: "vt_symbol", params: {...}}
 * `params` is an arbitrary JSON object handed to the gateway verbatim in
 * HAMD_GW_PARAMS; keys that look secret are masked in every API answer and
 * log line (hamd_account_to_json with mask_secrets).
 */
#ifndef HAMD_ACCOUNT_H
#define HAMD_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "hamd/gwproto.h"
#include "hamd/tick.h"

#define HAMD_ACCOUNT_NAME_MAX 64   /* display name incl. NUL */
#define HAMD_ACCOUNT_EXCH_MAX 16   /* exchanges served by one account */
#define HAMD_PRIORITY_MIN 1        /* best priority */
#define HAMD_PRIORITY_MAX 1000     /* worst accepted priority */
#define HAMD_PARAMS_MAX 4096       /* bytes of params JSON text */
#define HAMD_SECRET_MASK "***"     /* what a secret value reads as */

struct hamd_account {
    char id[HAMD_ACCOUNT_ID_MAX];        /* slug: [a-z0-9_-], starts alnum */
    char name[HAMD_ACCOUNT_NAME_MAX];   /* free text, defaults to id */
    char gateway_type[HAMD_GW_TYPE_MAX];/* key into [gateways] executables */
    int priority;                       /* 1 = best */
    bool enabled;                       /* disabled: no process, never active */
    unsigned n_exchanges;               /* exchanges in use */
    char exchanges[HAMD_ACCOUNT_EXCH_MAX][HAMD_EXCHANGE_MAX]; /* served */
    char canary[HAMD_VT_SYMBOL_MAX];    /* "" = no canary contract */
    char params[HAMD_PARAMS_MAX];       /* JSON object text, "{}" if none */
};

/* True when id is a valid slug (1..31 chars of [a-z0-9_-], starts alnum). */
bool hamd_account_id_valid(const char *id);

/* A source is an account as one node runs it. Plain, it is this node's
 * own gateway; "ACCOUNT@nodeN" names the account's gateway on node N,
 * whose ticks N relays to the publisher (docs/failover.md, "Relayed
 * sources"). N is 1..HAMD_SOURCE_NODE_MAX, without leading zeros. */
#define HAMD_SOURCE_NODE_SEP "@node"  /* between the account and N */
#define HAMD_SOURCE_NODE_MAX 65535    /* largest node id ([peer.N]) */

/* True when id is an account id or ACCOUNT@nodeN. */
bool hamd_source_id_valid(const char *id);

/* Writes "account@nodeN" (node 0: just account) into out[0..cap).
 * Returns 0, or -1 when it does not fit or an argument is invalid. */
int hamd_source_id_format(char *out, size_t cap, const char *account,
                          unsigned node);

/* Splits a source id into its account (account[HAMD_ACCOUNT_ID_MAX]) and
 * node (0 for a plain account id). Returns false when id is not valid. */
bool hamd_source_id_parse(const char *id, char *account, unsigned *node);

/* True when the account serves the exchange of vt_symbol ("x.SHFE"). */
bool hamd_account_serves(const struct hamd_account *acct,
                         const char *vt_symbol);

/* True when a params key names a secret: it contains, ignoring case, one
 * of pass, pwd, secret, token, key, auth, credential, private, cookie, or
 * the whole word "pin" (pin, trade_pin, tradePin; not "shipping"). Errs on
 * the side of masking. */
bool hamd_param_is_secret(const char *key);

#endif /* HAMD_ACCOUNT_H */
