/* Command -> padded Raft entry: see cmd.h for the format. */
#include "raft/cmd_internal.h"

#include <msgpack.h>
#include <string.h>

#include "raft/account_pack.h"
#include "raft/mpfield.h"

/* True when the fixed char array holds a NUL, i.e. is a C string. */
#define CMD_TERMINATED(arr) (memchr((arr), 0, sizeof(arr)) != NULL)

/* True when every string field of an account is terminated, so packing
 * it cannot read past the struct. */
static bool cmd_account_sane(const struct hamd_account *a)
{
    if (!CMD_TERMINATED(a->id) || !CMD_TERMINATED(a->name) ||
        !CMD_TERMINATED(a->gateway_type) || !CMD_TERMINATED(a->canary) ||
        !CMD_TERMINATED(a->params) || a->n_exchanges > HAMD_ACCOUNT_EXCH_MAX)
        return false;
    for (unsigned i = 0; i < a->n_exchanges; i++)
        if (!CMD_TERMINATED(a->exchanges[i]))
            return false;
    return true;
}

/* True when the lists and strings the type uses are well formed. */
static bool cmd_sane(const struct hamd_cmd *c)
{
    for (unsigned i = 0; i < c->n_accounts; i++)
        if (!cmd_account_sane(&c->accounts[i]))
            return false;
    for (unsigned i = 0; i < c->n_symbols; i++)
        if (!CMD_TERMINATED(c->symbols[i]))
            return false;
    for (unsigned i = 0; i < c->n_assigns; i++)
        if (!CMD_TERMINATED(c->assigns[i].vt_symbol) ||
            !CMD_TERMINATED(c->assigns[i].account))
            return false;
    if (!CMD_TERMINATED(c->account_id) ||
        c->n_accounts > HAMD_CMD_ACCOUNTS_MAX ||
        c->n_symbols > HAMD_CMD_SYMBOLS_MAX ||
        c->n_assigns > HAMD_CMD_ASSIGNS_MAX)
        return false;
    switch (c->type) {
    case HAMD_CMD_ACCOUNT_PUT:
        return c->n_accounts == 1;
    case HAMD_CMD_EVENT:
        return c->event_json && strlen(c->event_json) <= HAMD_CMD_EVENT_MAX;
    default:
        return c->type >= HAMD_CMD_TYPE_FIRST && c->type <= HAMD_CMD_TYPE_LAST;
    }
}

static int cmd_pack_symbols(msgpack_packer *pk, const struct hamd_cmd *c)
{
    int rc = msgpack_pack_array(pk, c->n_symbols);
    for (unsigned i = 0; i < c->n_symbols; i++)
        rc |= hamd_mpf_pack_str(pk, c->symbols[i]);
    return rc;
}

static int cmd_pack_flag(msgpack_packer *pk, const struct hamd_cmd *c)
{
    return c->flag ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
}

static int cmd_pack_seed(msgpack_packer *pk, const struct hamd_cmd *c)
{
    int rc = msgpack_pack_array(pk, c->n_accounts);
    for (unsigned i = 0; i < c->n_accounts; i++)
        rc |= hamd_acct_mp_pack(pk, &c->accounts[i]);
    return rc | cmd_pack_symbols(pk, c);
}

static int cmd_pack_assigns(msgpack_packer *pk, const struct hamd_cmd *c)
{
    int rc = msgpack_pack_array(pk, c->n_assigns);
    for (unsigned i = 0; i < c->n_assigns; i++) {
        rc |= msgpack_pack_array(pk, CMD_PAIR_ELEMS);
        rc |= hamd_mpf_pack_str(pk, c->assigns[i].vt_symbol);
        rc |= hamd_mpf_pack_str(pk, c->assigns[i].account);
    }
    return rc;
}

/* Packs the type-specific arguments; non-zero when packing failed. Two
 * packs join with ||, not |: only || fixes their order on the wire. */
static int cmd_pack_args(msgpack_packer *pk, const struct hamd_cmd *c)
{
    switch (c->type) {
    case HAMD_CMD_SEED:
        return cmd_pack_seed(pk, c);
    case HAMD_CMD_ACCOUNT_PUT:
        return hamd_acct_mp_pack(pk, &c->accounts[0]);
    case HAMD_CMD_ACCOUNT_DEL:
        return hamd_mpf_pack_str(pk, c->account_id);
    case HAMD_CMD_ACCOUNT_RUN:
        return hamd_mpf_pack_str(pk, c->account_id) || cmd_pack_flag(pk, c);
    case HAMD_CMD_SUBS_ADD:
    case HAMD_CMD_SUBS_DEL:
        return cmd_pack_symbols(pk, c);
    case HAMD_CMD_ASSIGN:
        return cmd_pack_assigns(pk, c);
    case HAMD_CMD_QUARANTINE:
        return hamd_mpf_pack_str(pk, c->account_id) ||
               msgpack_pack_int64(pk, c->until_ms);
    case HAMD_CMD_PAUSE:
        return cmd_pack_flag(pk, c);
    case HAMD_CMD_FAILOVER_COUNT:
        return msgpack_pack_uint32(pk, c->day) ||
               msgpack_pack_uint32(pk, c->count);
    case HAMD_CMD_EVENT:
        return hamd_mpf_pack_str(pk, c->event_json);
    case HAMD_CMD_PIN:
        return cmd_pack_flag(pk, c) || cmd_pack_symbols(pk, c);
    case HAMD_CMD_SOURCE_MOVED:
        return msgpack_pack_int64(pk, c->until_ms);
    }
    return -1;
}

/* Copies the packed bytes into a raft_malloc'd buffer padded with zeros
 * to the next multiple of HAMD_CMD_ALIGN_BYTES. */
static int cmd_pad_copy(const msgpack_sbuffer *sb, struct raft_buffer *out)
{
    size_t padded = (sb->size + HAMD_CMD_ALIGN_BYTES - 1) /
                    HAMD_CMD_ALIGN_BYTES * HAMD_CMD_ALIGN_BYTES;
    if (padded > HAMD_CMD_MAX_BYTES)
        return RAFT_TOOBIG;
    out->base = raft_malloc(padded);
    if (!out->base)
        return RAFT_NOMEM;
    memcpy(out->base, sb->data, sb->size);
    memset((char *)out->base + sb->size, 0, padded - sb->size);
    out->len = padded;
    return 0;
}

int hamd_cmd_encode(const struct hamd_cmd *cmd, struct raft_buffer *out)
{
    out->base = NULL;
    out->len = 0;
    if (!cmd_sane(cmd))
        return RAFT_INVALID;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_array(&pk, CMD_HEADER_ELEMS + cmd_nargs(cmd->type));
    rc |= msgpack_pack_uint8(&pk, HAMD_CMD_VERSION);
    rc |= msgpack_pack_uint8(&pk, (uint8_t)cmd->type);
    rc |= cmd_pack_args(&pk, cmd);
    rc = rc ? RAFT_NOMEM : cmd_pad_copy(&sb, out);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}
