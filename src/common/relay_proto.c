/* The relay channel's bodies. See relay_proto.h. */
#include "common/relay_proto.h"

#include <stdio.h>
#include <string.h>

#include "common/account.h"
#include "common/mpread.h"
#include "common/mpwrite.h"

#define RELAY_NODE_MAX 65535 /* largest node id ([peer.N]) */

/* ------------------------------------------------------------------------
 * COVER
 * ------------------------------------------------------------------------ */

size_t hamd_relay_cover_encode(const struct hamd_relay_cover *c, void *buf, size_t cap)
{
    if (c->node == 0 || c->node > RELAY_NODE_MAX ||
        c->n_accounts > HAMD_RELAY_COVER_ACCOUNTS_MAX)
        return 0;
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_array(&w.pk, 2);
    msgpack_pack_uint32(&w.pk, c->node);
    msgpack_pack_array(&w.pk, c->n_accounts);
    for (unsigned i = 0; i < c->n_accounts; i++) {
        const struct hamd_relay_cover_account *a = &c->accounts[i];
        if (!hamd_account_id_valid(a->id) || a->state >= HAMD_RELAY_COVER_STATES ||
            a->healthy_ms < 0)
            return 0;
        msgpack_pack_array(&w.pk, 3);
        hamd_mpw_str(&w, a->id);
        msgpack_pack_uint8(&w.pk, a->state);
        msgpack_pack_int64(&w.pk, a->healthy_ms);
    }
    return hamd_mpw_finish(&w);
}

/* Reads an array header of exactly n elements (n 0: any count, stored). */
static bool read_array(struct hamd_mpr *r, uint32_t *n)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_ARRAY)
        return false;
    *n = v.v.n;
    return true;
}

/* Reads a string of 1..cap-1 bytes into out, NUL-terminated. */
static bool read_str(struct hamd_mpr *r, char *out, size_t cap)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_STR || v.v.s.len == 0 ||
        v.v.s.len >= cap || memchr(v.v.s.ptr, '\0', v.v.s.len))
        return false;
    memcpy(out, v.v.s.ptr, v.v.s.len);
    out[v.v.s.len] = '\0';
    return true;
}

static bool read_uint(struct hamd_mpr *r, uint64_t max, uint64_t *out)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_UINT || v.v.u > max)
        return false;
    *out = v.v.u;
    return true;
}

static bool read_cover_account(struct hamd_mpr *r,
                               struct hamd_relay_cover_account *a)
{
    uint32_t n;
    uint64_t state;
    if (!read_array(r, &n) || n != 3 || !read_str(r, a->id, sizeof a->id) ||
        !hamd_account_id_valid(a->id) ||
        !read_uint(r, HAMD_RELAY_COVER_STATES - 1, &state))
        return false;
    a->state = (uint8_t)state;
    return hamd_mpr_read_i64(r, &a->healthy_ms) && a->healthy_ms >= 0;
}

bool hamd_relay_cover_decode(const void *buf, size_t len, struct hamd_relay_cover *out)
{
    struct hamd_mpr r;
    uint32_t n;
    uint64_t node;
    hamd_mpr_init(&r, buf, len);
    if (!read_array(&r, &n) || n != 2 || !read_uint(&r, RELAY_NODE_MAX, &node) ||
        node == 0 || !read_array(&r, &n) || n > HAMD_RELAY_COVER_ACCOUNTS_MAX)
        return false;
    out->node = (unsigned)node;
    out->n_accounts = n;
    for (uint32_t i = 0; i < n; i++)
        if (!read_cover_account(&r, &out->accounts[i]))
            return false;
    return hamd_mpr_done(&r);
}

/* ------------------------------------------------------------------------
 * RELAY
 * ------------------------------------------------------------------------ */

/* One pass over the pairs; calls fn only when it is not NULL. */
static bool relay_set_walk(const void *buf, size_t len, hamd_relay_set_fn fn,
                           void *ud)
{
    struct hamd_mpr r;
    uint32_t n;
    hamd_mpr_init(&r, buf, len);
    if (!read_array(&r, &n) || n > HAMD_RELAY_SET_MAX)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        char sym[HAMD_VT_SYMBOL_MAX], acct[HAMD_ACCOUNT_ID_MAX];
        uint32_t k;
        if (!read_array(&r, &k) || k != 2 || !read_str(&r, sym, sizeof sym) ||
            !hamd_tick_vt_symbol_valid(sym, strlen(sym)) ||
            !read_str(&r, acct, sizeof acct) || !hamd_account_id_valid(acct))
            return false;
        if (fn)
            fn(ud, sym, acct);
    }
    return hamd_mpr_done(&r);
}

bool hamd_relay_set_decode(const void *buf, size_t len, hamd_relay_set_fn fn,
                           void *ud)
{
    return relay_set_walk(buf, len, NULL, NULL) &&
           (!fn || relay_set_walk(buf, len, fn, ud));
}

int hamd_relay_set_pack_begin(msgpack_packer *pk, size_t n)
{
    return n > HAMD_RELAY_SET_MAX ? -1 : msgpack_pack_array(pk, n);
}

int hamd_relay_set_pack_pair(msgpack_packer *pk, const char *vt_symbol,
                             const char *account)
{
    return msgpack_pack_array(pk, 2) ||
           msgpack_pack_str_with_body(pk, vt_symbol, strlen(vt_symbol)) ||
           msgpack_pack_str_with_body(pk, account, strlen(account));
}

/* ------------------------------------------------------------------------
 * Identities
 * ------------------------------------------------------------------------ */

int hamd_relay_id_format(char *out, size_t cap, unsigned node)
{
    if (node == 0 || node > RELAY_NODE_MAX)
        return -1;
    int n = snprintf(out, cap, HAMD_RELAY_ID_PREFIX "%u", node);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

unsigned hamd_relay_id_parse(const void *id, size_t len)
{
    size_t plen = strlen(HAMD_RELAY_ID_PREFIX);
    const char *s = id;
    if (!id || len <= plen || len > plen + 5 ||
        memcmp(s, HAMD_RELAY_ID_PREFIX, plen) != 0 || s[plen] == '0')
        return 0;
    unsigned long n = 0;
    for (size_t i = plen; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        n = n * 10 + (unsigned long)(s[i] - '0');
    }
    return n <= RELAY_NODE_MAX ? (unsigned)n : 0;
}
