/* Raft entry -> command: see cmd.h for the format. Every reader returns
 * false at the first surprise; hamd_cmd_decode turns that into an error
 * naming the part that failed. */
#include "raft/cmd_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/account_pack.h"
#include "raft/mpfield.h"

/* Allocates n zeroed elements for a decoded list (n already checked
 * against the bytes left, so it is bounded by the entry size). */
static void *cmd_alloc(uint32_t n, size_t elem)
{
    return calloc(n ? n : 1, elem);
}

static bool cmd_read_symbols(struct hamd_mpr *r, struct hamd_cmd *c)
{
    uint32_t n;
    if (!hamd_mpf_array(r, HAMD_CMD_SYMBOLS_MAX, &n))
        return false;
    c->symbols = cmd_alloc(n, sizeof *c->symbols);
    if (!c->symbols)
        return false;
    c->symbols_cap = n;
    for (; c->n_symbols < n; c->n_symbols++)
        if (!hamd_mpf_str(r, c->symbols[c->n_symbols],
                          sizeof c->symbols[0]))
            return false;
    return true;
}

static bool cmd_read_accounts(struct hamd_mpr *r, struct hamd_cmd *c,
                              uint32_t n)
{
    c->accounts = cmd_alloc(n, sizeof *c->accounts);
    if (!c->accounts)
        return false;
    c->accounts_cap = n;
    for (; c->n_accounts < n; c->n_accounts++)
        if (!hamd_acct_mp_unpack(r, &c->accounts[c->n_accounts]))
            return false;
    return true;
}

static bool cmd_read_seed(struct hamd_mpr *r, struct hamd_cmd *c)
{
    uint32_t n;
    return hamd_mpf_array(r, HAMD_CMD_ACCOUNTS_MAX, &n) &&
           cmd_read_accounts(r, c, n) && cmd_read_symbols(r, c);
}

static bool cmd_read_assigns(struct hamd_mpr *r, struct hamd_cmd *c)
{
    uint32_t n, pair;
    if (!hamd_mpf_array(r, HAMD_CMD_ASSIGNS_MAX, &n))
        return false;
    c->assigns = cmd_alloc(n, sizeof *c->assigns);
    if (!c->assigns)
        return false;
    c->assigns_cap = n;
    for (; c->n_assigns < n; c->n_assigns++) {
        struct hamd_assign *a = &c->assigns[c->n_assigns];
        if (!hamd_mpf_array(r, CMD_PAIR_ELEMS, &pair) ||
            pair != CMD_PAIR_ELEMS ||
            !hamd_mpf_str(r, a->vt_symbol, sizeof a->vt_symbol) ||
            !hamd_mpf_str(r, a->account, sizeof a->account))
            return false;
    }
    return true;
}

static bool cmd_read_u32(struct hamd_mpr *r, uint32_t *out)
{
    uint64_t v;
    if (!hamd_mpf_u64(r, &v) || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool cmd_read_event(struct hamd_mpr *r, struct hamd_cmd *c)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_STR ||
        v.v.s.len > HAMD_CMD_EVENT_MAX || memchr(v.v.s.ptr, 0, v.v.s.len))
        return false;
    c->event_json = malloc((size_t)v.v.s.len + 1);
    if (!c->event_json)
        return false;
    memcpy(c->event_json, v.v.s.ptr, v.v.s.len);
    c->event_json[v.v.s.len] = '\0';
    return true;
}

/* Reads the type-specific arguments. */
static bool cmd_read_args(struct hamd_mpr *r, struct hamd_cmd *c)
{
    switch (c->type) {
    case HAMD_CMD_SEED:
        return cmd_read_seed(r, c);
    case HAMD_CMD_ACCOUNT_PUT:
        return cmd_read_accounts(r, c, 1);
    case HAMD_CMD_ACCOUNT_DEL:
        return hamd_mpf_str(r, c->account_id, sizeof c->account_id);
    case HAMD_CMD_ACCOUNT_RUN:
        return hamd_mpf_str(r, c->account_id, sizeof c->account_id) &&
               hamd_mpf_bool(r, &c->flag);
    case HAMD_CMD_SUBS_ADD:
    case HAMD_CMD_SUBS_DEL:
        return cmd_read_symbols(r, c);
    case HAMD_CMD_ASSIGN:
        return cmd_read_assigns(r, c);
    case HAMD_CMD_QUARANTINE:
        return hamd_mpf_str(r, c->account_id, sizeof c->account_id) &&
               hamd_mpr_read_i64(r, &c->until_ms) && c->until_ms >= 0;
    case HAMD_CMD_PAUSE:
        return hamd_mpf_bool(r, &c->flag);
    case HAMD_CMD_FAILOVER_COUNT:
        return cmd_read_u32(r, &c->day) && cmd_read_u32(r, &c->count);
    case HAMD_CMD_EVENT:
        return cmd_read_event(r, c);
    case HAMD_CMD_PIN:
        return hamd_mpf_bool(r, &c->flag) && cmd_read_symbols(r, c);
    case HAMD_CMD_SOURCE_MOVED:
        return hamd_mpr_read_i64(r, &c->until_ms) && c->until_ms >= 0;
    }
    return false;
}

/* True when the bytes after the document are the encoder's padding:
 * fewer than HAMD_CMD_ALIGN_BYTES zeros. */
static bool cmd_padding_ok(const struct hamd_mpr *r)
{
    size_t left = (size_t)(r->end - r->p);
    if (left >= HAMD_CMD_ALIGN_BYTES)
        return false;
    for (size_t i = 0; i < left; i++)
        if (r->p[i] != 0)
            return false;
    return true;
}

/* Reads [version, type, ...]; returns NULL or what went wrong. */
static const char *cmd_read(struct hamd_mpr *r, struct hamd_cmd *c)
{
    uint32_t n;
    uint64_t version, type;
    if (!hamd_mpf_array(r, CMD_ARRAY_MAX, &n) || n < CMD_HEADER_ELEMS)
        return "not a command array";
    if (!hamd_mpf_u64(r, &version) || version != HAMD_CMD_VERSION)
        return "unsupported command version";
    if (!hamd_mpf_u64(r, &type) || type < HAMD_CMD_TYPE_FIRST ||
        type > HAMD_CMD_TYPE_LAST)
        return "unknown command type";
    c->type = (enum hamd_cmd_type)type;
    if (n != CMD_HEADER_ELEMS + cmd_nargs(c->type))
        return "wrong number of arguments";
    if (!cmd_read_args(r, c))
        return "malformed arguments";
    if (!cmd_padding_ok(r))
        return "trailing bytes after the command";
    return NULL;
}

int hamd_cmd_decode(const void *buf, size_t len, struct hamd_cmd *out,
                    char *err, size_t err_cap)
{
    const char *why = NULL;
    memset(out, 0, sizeof *out);
    if (!buf || len == 0)
        why = "empty entry";
    else if (len > HAMD_CMD_MAX_BYTES)
        why = "entry too large";
    else {
        struct hamd_mpr r;
        hamd_mpr_init(&r, buf, len);
        why = cmd_read(&r, out);
    }
    if (!why)
        return 0;
    if (err && err_cap)
        snprintf(err, err_cap, "%s (%s)", why,
                 hamd_cmd_type_name(out->type));
    hamd_cmd_free(out);
    return -1;
}
