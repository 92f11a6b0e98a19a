/* The JSON form of an account (docs/api.md), as the admin API reads and
 * writes it:
 *
 *   {"id": "ctp_main", "name": "CTP main", "gateway_type": "ctp",
 *    "priority": 1, "enabled": true, "exchanges": ["SHFE", "DCE"],
 *    "canary": "rb2601.SHFE", "params": {"password": "..."}}
 *
 * Required on create: id, gateway_type, priority, exchanges. Defaults:
 * name = id, enabled = true, canary = "" (none), params = {}.
 */
#ifndef HAMD_ACCOUNT_JSON_H
#define HAMD_ACCOUNT_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/account.h"

#define HAMD_ACCOUNT_ERR_MAX 256 /* a big enough error buffer */

/* Validates an account object and applies it to *out.
 *
 * partial = false (create, POST): *out is overwritten with the defaults
 * plus obj. partial = true (update, PUT): *out holds the stored account and
 * only the fields present in obj replace it; an `id` present must equal the
 * stored one. In an update, a secret params value sent back as the mask
 * "***" (what GET returned) keeps the stored value (a secret key, or a
 * value sealed at rest), so GET-edit-PUT does not overwrite passwords
 * with "***".
 *
 * Checks: unknown fields, types, id and gateway_type slugs, name 1..63
 * printable bytes, priority in HAMD_PRIORITY_MIN..MAX, exchanges 1..16
 * distinct codes of A-Z 0-9 _ -, canary "" or "symbol.EXCHANGE" on one of
 * the exchanges, params an object of at most HAMD_PARAMS_MAX - 1 bytes of
 * compact JSON.
 *
 * Returns 0 on success. Returns -1 with *out untouched, a message in err
 * (cap bytes) and *field set to the offending field name (NULL when the
 * whole body is wrong); *field may point into obj, so it lives as long as
 * obj. err and field may be NULL. */
int hamd_account_from_json(const json_t *obj, struct hamd_account *out,
                           bool partial, char *err, size_t cap,
                           const char **field);

/* Builds the JSON object of an account (a new reference, NULL when out of
 * memory). With mask_secrets every params key for which
 * hamd_param_is_secret() holds, at any depth, reads HAMD_SECRET_MASK. */
json_t *hamd_account_to_json(const struct hamd_account *a, bool mask_secrets);

/* Replaces in place, at any depth of objects and arrays, the value of every
 * key that hamd_param_is_secret() flags, and every value sealed at rest
 * (common/vault.h), by HAMD_SECRET_MASK. For logging
 * params or any other JSON that may carry credentials. */
void hamd_account_mask_secrets(json_t *json);

#endif /* HAMD_ACCOUNT_JSON_H */
