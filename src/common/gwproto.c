/* Gateway protocol codec (docs/gateway-protocol.md). Bodies come from untrusted gateway
 * processes, so decoders walk the bytes with the allocation-free reader of
 * mpread.h and reject anything malformed; encoders pack into the caller's
 * buffer. Unknown keys are ignored so either side can add fields. */
#include "hamd/gwproto.h"

#include <string.h>

#include "common/account.h"
#include "common/mpread.h"
#include "common/mpwrite.h"
#include "common/utf8.h"

/* Wire names, indexed by enum hamd_gw_type (UNKNOWN has none). */
static const char *const GW_TYPE_NAMES[] = {
    [HAMD_GW_UNKNOWN] = NULL,
    [HAMD_GW_HELLO] = "HELLO",
    [HAMD_GW_STATUS] = "STATUS",
    [HAMD_GW_TICK] = "TICK",
    [HAMD_GW_HB] = "HB",
    [HAMD_GW_SUBSCRIBE] = "SUBSCRIBE",
    [HAMD_GW_UNSUBSCRIBE] = "UNSUBSCRIBE",
    [HAMD_GW_STOP] = "STOP",
};
#define GW_NTYPES (sizeof GW_TYPE_NAMES / sizeof GW_TYPE_NAMES[0])

/* Wire names, indexed by enum hamd_gw_state. */
static const char *const GW_STATE_NAMES[] = {
    [HAMD_GW_CONNECTING] = "connecting",
    [HAMD_GW_CONNECTED] = "connected",
    [HAMD_GW_LOGGED_IN] = "logged_in",
    [HAMD_GW_DISCONNECTED] = "disconnected",
    [HAMD_GW_ERROR] = "error",
};
#define GW_NSTATES (sizeof GW_STATE_NAMES / sizeof GW_STATE_NAMES[0])

/* ------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------ */

enum hamd_gw_type hamd_gw_type_parse(const void *frame, size_t len)
{
    /* TICK first, in one compare: nearly every message a hub reads is
     * one, and this runs for each. */
    if (len == sizeof "TICK" - 1 &&
        memcmp(frame, GW_TYPE_NAMES[HAMD_GW_TICK], len) == 0)
        return HAMD_GW_TICK;
    for (size_t t = 1; t < GW_NTYPES; t++) {
        const char *name = GW_TYPE_NAMES[t];
        if (strlen(name) == len && memcmp(name, frame, len) == 0)
            return (enum hamd_gw_type)t;
    }
    return HAMD_GW_UNKNOWN;
}

const char *hamd_gw_type_name(enum hamd_gw_type type)
{
    if ((size_t)type >= GW_NTYPES)
        return NULL;
    return GW_TYPE_NAMES[type];
}

const char *hamd_gw_state_name(enum hamd_gw_state state)
{
    if ((size_t)state >= GW_NSTATES)
        return "unknown";
    return GW_STATE_NAMES[state];
}

/* ------------------------------------------------------------------------
 * Decoding helpers
 * ------------------------------------------------------------------------ */

/* Starts reading a body that must be one map and nothing else. */
static bool gw_map_begin(struct hamd_mpr *r, const void *buf, size_t len,
                         uint32_t *n)
{
    struct hamd_mpr whole;
    hamd_mpr_init(&whole, buf, len);
    if (!hamd_mpr_skip(&whole) || !hamd_mpr_done(&whole))
        return false; /* broken or trailing bytes */
    struct hamd_mpr_val v;
    hamd_mpr_init(r, buf, len);
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_MAP)
        return false;
    *n = v.v.n;
    return true;
}

/* Reads a map key, which must be a string. */
static bool gw_key(struct hamd_mpr *r, struct hamd_mpr_val *key)
{
    return hamd_mpr_read(r, key) && key->kind == HAMD_MPR_STR;
}

/* Copies a string value into dst (cap bytes incl. NUL); nil reads as ""
 * (Python None). Rejects other types, strings that do not fit, strings
 * holding a NUL and strings that are not UTF-8 (utf8.h). */
static bool gw_str(struct hamd_mpr *r, char *dst, size_t cap)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v))
        return false;
    if (v.kind == HAMD_MPR_NIL) {
        dst[0] = '\0';
        return true;
    }
    if (v.kind != HAMD_MPR_STR || v.v.s.len >= cap ||
        memchr(v.v.s.ptr, '\0', v.v.s.len) != NULL ||
        !hamd_utf8_valid(v.v.s.ptr, v.v.s.len))
        return false;
    memcpy(dst, v.v.s.ptr, v.v.s.len);
    dst[v.v.s.len] = '\0';
    return true;
}

/* Maps a state string to the enum. */
static bool gw_state_parse(const struct hamd_mpr_val *v,
                           enum hamd_gw_state *out)
{
    for (size_t s = 0; s < GW_NSTATES; s++) {
        if (hamd_mpr_str_eq(v, GW_STATE_NAMES[s])) {
            *out = (enum hamd_gw_state)s;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------------
 * Decoders
 * ------------------------------------------------------------------------ */

/* Applies one HELLO key; unknown keys are skipped. */
static bool gw_hello_field(struct hamd_mpr *r, const struct hamd_mpr_val *k,
                           struct hamd_gw_hello *out, unsigned *seen)
{
    if (hamd_mpr_str_eq(k, "account")) {
        *seen |= 1u;
        return gw_str(r, out->account, sizeof out->account);
    }
    if (hamd_mpr_str_eq(k, "proto")) {
        *seen |= 2u;
        return hamd_mpr_read_i64(r, &out->proto);
    }
    if (hamd_mpr_str_eq(k, "pid"))
        return hamd_mpr_read_i64(r, &out->pid) && out->pid >= 0;
    if (hamd_mpr_str_eq(k, "gateway_type"))
        return gw_str(r, out->gateway_type, sizeof out->gateway_type);
    if (hamd_mpr_str_eq(k, "token"))
        return gw_str(r, out->token, sizeof out->token);
    return hamd_mpr_skip(r);
}

bool hamd_gw_hello_decode(const void *buf, size_t len,
                          struct hamd_gw_hello *out)
{
    struct hamd_mpr r;
    uint32_t n;
    unsigned seen = 0;
    if (!gw_map_begin(&r, buf, len, &n))
        return false;
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < n; i++) {
        struct hamd_mpr_val k;
        if (!gw_key(&r, &k) || !gw_hello_field(&r, &k, out, &seen))
            return false;
    }
    return seen == 3u && hamd_account_id_valid(out->account);
}

bool hamd_gw_status_decode(const void *buf, size_t len,
                           struct hamd_gw_status *out)
{
    struct hamd_mpr r;
    uint32_t n;
    bool have_state = false;
    if (!gw_map_begin(&r, buf, len, &n))
        return false;
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < n; i++) {
        struct hamd_mpr_val k, v;
        if (!gw_key(&r, &k))
            return false;
        if (hamd_mpr_str_eq(&k, "state")) {
            if (!hamd_mpr_read(&r, &v) || !gw_state_parse(&v, &out->state))
                return false;
            have_state = true;
        } else if (hamd_mpr_str_eq(&k, "detail")) {
            if (!gw_str(&r, out->detail, sizeof out->detail))
                return false;
        } else if (!hamd_mpr_skip(&r)) {
            return false;
        }
    }
    return have_state;
}

bool hamd_gw_hb_decode(const void *buf, size_t len, int64_t *ts_ns)
{
    struct hamd_mpr r;
    uint32_t n;
    bool have_ts = false;
    if (!gw_map_begin(&r, buf, len, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        struct hamd_mpr_val k;
        if (!gw_key(&r, &k))
            return false;
        if (hamd_mpr_str_eq(&k, "ts_ns")) {
            if (!hamd_mpr_read_i64(&r, ts_ns))
                return false;
            have_ts = true;
        } else if (!hamd_mpr_skip(&r)) {
            return false;
        }
    }
    return have_ts;
}

/* Finds the `symbols` array: leaves r at its first element and sets *n.
 * Every element must be a valid vt_symbol string. */
static bool gw_symbols_find(struct hamd_mpr *r, const void *buf, size_t len,
                            uint32_t *count)
{
    uint32_t n;
    if (!gw_map_begin(r, buf, len, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        struct hamd_mpr_val k, v;
        if (!gw_key(r, &k))
            return false;
        if (!hamd_mpr_str_eq(&k, "symbols")) {
            if (!hamd_mpr_skip(r))
                return false;
            continue;
        }
        if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_ARRAY ||
            v.v.n > HAMD_GW_SYMBOLS_MAX)
            return false;
        *count = v.v.n;
        return true;
    }
    return false;
}

/* Reads one symbol of the array into a NUL-terminated buffer. */
static bool gw_symbol_next(struct hamd_mpr *r, char *dst)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_STR ||
        !hamd_tick_vt_symbol_valid(v.v.s.ptr, v.v.s.len))
        return false;
    memcpy(dst, v.v.s.ptr, v.v.s.len);
    dst[v.v.s.len] = '\0';
    return true;
}

bool hamd_gw_symbols_decode(const void *buf, size_t len,
                            void (*fn)(void *ud, const char *vt_symbol),
                            void *ud)
{
    struct hamd_mpr r;
    uint32_t n;
    char sym[HAMD_VT_SYMBOL_MAX];
    /* First pass validates everything, so a bad body triggers no call. */
    if (!gw_symbols_find(&r, buf, len, &n))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!gw_symbol_next(&r, sym))
            return false;
    gw_symbols_find(&r, buf, len, &n);
    for (uint32_t i = 0; i < n; i++) {
        gw_symbol_next(&r, sym);
        fn(ud, sym);
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Encoders
 * ------------------------------------------------------------------------ */

size_t hamd_gw_hello_encode(const struct hamd_gw_hello *hello, void *buf,
                            size_t cap)
{
    if (!hamd_account_id_valid(hello->account))
        return 0;
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    bool token = hello->token[0] != '\0';
    msgpack_pack_map(&w.pk, token ? 5 : 4);
    hamd_mpw_str(&w, "account");
    hamd_mpw_str(&w, hello->account);
    hamd_mpw_str(&w, "pid");
    msgpack_pack_int64(&w.pk, hello->pid);
    hamd_mpw_str(&w, "proto");
    msgpack_pack_int64(&w.pk, hello->proto);
    hamd_mpw_str(&w, "gateway_type");
    hamd_mpw_str(&w, hello->gateway_type);
    if (token) {
        hamd_mpw_str(&w, "token");
        hamd_mpw_str(&w, hello->token);
    }
    return hamd_mpw_finish(&w);
}

size_t hamd_gw_status_encode(const struct hamd_gw_status *status, void *buf,
                             size_t cap)
{
    if ((size_t)status->state >= GW_NSTATES)
        return 0;
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_map(&w.pk, 2);
    hamd_mpw_str(&w, "state");
    hamd_mpw_str(&w, GW_STATE_NAMES[status->state]);
    hamd_mpw_str(&w, "detail");
    hamd_mpw_str(&w, status->detail);
    return hamd_mpw_finish(&w);
}

size_t hamd_gw_hb_encode(int64_t ts_ns, void *buf, size_t cap)
{
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_map(&w.pk, 1);
    hamd_mpw_str(&w, "ts_ns");
    msgpack_pack_int64(&w.pk, ts_ns);
    return hamd_mpw_finish(&w);
}

size_t hamd_gw_symbols_encode(const char *const *symbols, size_t n,
                              void *buf, size_t cap)
{
    if (n > HAMD_GW_SYMBOLS_MAX)
        return 0;
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_map(&w.pk, 1);
    hamd_mpw_str(&w, "symbols");
    msgpack_pack_array(&w.pk, n);
    for (size_t i = 0; i < n && !w.overflow; i++) {
        if (!hamd_tick_vt_symbol_valid(symbols[i], strlen(symbols[i])))
            return 0;
        hamd_mpw_str(&w, symbols[i]);
    }
    return hamd_mpw_finish(&w);
}

size_t hamd_gw_stop_encode(void *buf, size_t cap)
{
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_map(&w.pk, 0);
    return hamd_mpw_finish(&w);
}
