/* Account <-> msgpack: see account_pack.h. */
#include "raft/account_pack.h"

#include <string.h>

#include "raft/mpfield.h"

#define ACCT_MAP_KEYS 8      /* keys the encoder writes */
#define ACCT_MAP_KEYS_MAX 64 /* keys a reader accepts (unknown ones skipped) */

/* Bit of each required key in the "seen" mask. */
enum acct_key {
    K_ID = 1u << 0,
    K_NAME = 1u << 1,
    K_GW_TYPE = 1u << 2,
    K_PRIORITY = 1u << 3,
    K_ENABLED = 1u << 4,
    K_EXCHANGES = 1u << 5,
    K_CANARY = 1u << 6,
    K_PARAMS = 1u << 7,
    K_ALL = (1u << 8) - 1,
};

int hamd_acct_mp_pack(msgpack_packer *pk, const struct hamd_account *a)
{
    int rc = msgpack_pack_map(pk, ACCT_MAP_KEYS);
    rc |= hamd_mpf_pack_str(pk, "id") | hamd_mpf_pack_str(pk, a->id);
    rc |= hamd_mpf_pack_str(pk, "name") | hamd_mpf_pack_str(pk, a->name);
    rc |= hamd_mpf_pack_str(pk, "gateway_type") |
          hamd_mpf_pack_str(pk, a->gateway_type);
    rc |= hamd_mpf_pack_str(pk, "priority") |
          msgpack_pack_int64(pk, a->priority);
    rc |= hamd_mpf_pack_str(pk, "enabled");
    rc |= a->enabled ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    rc |= hamd_mpf_pack_str(pk, "exchanges") |
          msgpack_pack_array(pk, a->n_exchanges);
    for (unsigned i = 0; i < a->n_exchanges; i++)
        rc |= hamd_mpf_pack_str(pk, a->exchanges[i]);
    rc |= hamd_mpf_pack_str(pk, "canary") | hamd_mpf_pack_str(pk, a->canary);
    rc |= hamd_mpf_pack_str(pk, "params") | hamd_mpf_pack_str(pk, a->params);
    return rc;
}

/* Reads the exchanges array. */
static bool acct_read_exchanges(struct hamd_mpr *r, struct hamd_account *a)
{
    uint32_t n;
    if (!hamd_mpf_array(r, HAMD_ACCOUNT_EXCH_MAX, &n))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!hamd_mpf_str(r, a->exchanges[i], sizeof a->exchanges[i]))
            return false;
    a->n_exchanges = n;
    return true;
}

/* Reads a priority that fits an int. */
static bool acct_read_priority(struct hamd_mpr *r, struct hamd_account *a)
{
    int64_t p;
    if (!hamd_mpr_read_i64(r, &p) || p < INT32_MIN || p > INT32_MAX)
        return false;
    a->priority = (int)p;
    return true;
}

/* Reads the value of one key; returns its bit, 0 for a skipped unknown
 * key, or -1 on error. */
static int acct_read_field(struct hamd_mpr *r, const struct hamd_mpr_val *k,
                           struct hamd_account *a)
{
    if (hamd_mpr_str_eq(k, "id"))
        return hamd_mpf_str(r, a->id, sizeof a->id) ? K_ID : -1;
    if (hamd_mpr_str_eq(k, "name"))
        return hamd_mpf_str(r, a->name, sizeof a->name) ? K_NAME : -1;
    if (hamd_mpr_str_eq(k, "gateway_type"))
        return hamd_mpf_str(r, a->gateway_type, sizeof a->gateway_type)
                   ? K_GW_TYPE : -1;
    if (hamd_mpr_str_eq(k, "priority"))
        return acct_read_priority(r, a) ? K_PRIORITY : -1;
    if (hamd_mpr_str_eq(k, "enabled"))
        return hamd_mpf_bool(r, &a->enabled) ? K_ENABLED : -1;
    if (hamd_mpr_str_eq(k, "exchanges"))
        return acct_read_exchanges(r, a) ? K_EXCHANGES : -1;
    if (hamd_mpr_str_eq(k, "canary"))
        return hamd_mpf_str(r, a->canary, sizeof a->canary) ? K_CANARY : -1;
    if (hamd_mpr_str_eq(k, "params"))
        return hamd_mpf_str(r, a->params, sizeof a->params) ? K_PARAMS : -1;
    if (k->kind != HAMD_MPR_STR)
        return -1;
    return hamd_mpr_skip(r) ? 0 : -1;
}

bool hamd_acct_mp_unpack(struct hamd_mpr *r, struct hamd_account *a)
{
    uint32_t n;
    unsigned seen = 0;
    memset(a, 0, sizeof *a);
    if (!hamd_mpf_map(r, ACCT_MAP_KEYS_MAX, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        struct hamd_mpr_val k;
        if (!hamd_mpr_read(r, &k))
            return false;
        int bit = acct_read_field(r, &k, a);
        if (bit < 0 || (seen & (unsigned)bit))
            return false;
        seen |= (unsigned)bit;
    }
    return seen == K_ALL;
}
