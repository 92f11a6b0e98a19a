/* Tick wire codec (docs/protocol.md). Decoding walks the bytes with the
 * allocation-free reader of mpread.h; encoding writes msgpack straight
 * into the caller's buffer. Both run once per tick on the hot path, so neither
 * allocates and a key costs one hash and one compare. */
#include "hamd/tick.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "common/mpread.h"
#include "common/mpwrite.h"
#include "common/utf8.h"

/* How a field's value is typed, checked and stored. */
enum tick_kind {
    TK_STR,   /* string into a char array of `size` bytes */
    TK_TIME,  /* int64 epoch ns; must be an integer */
    TK_NUM,   /* price or volume: finite, >= 0; ints accepted */
    TK_U64,   /* non-negative integer */
    TK_U32,   /* non-negative integer below 2^32 */
    TK_EXTRA, /* the extra map, kept as raw bytes */
};

/* One known key of the tick map. */
struct tick_field {
    const char *name;    /* wire key */
    size_t name_len;     /* strlen(name) */
    enum tick_kind kind; /* value type */
    bool hub;            /* hub field: encoded only with_hub */
    size_t offset;       /* where in struct hamd_tick */
    size_t size;         /* TK_STR: capacity incl. NUL */
};

/* Longest key encoding kept for the encoder: fixstr header + name. */
#define TICK_KEY_WIRE_MAX 16

/* KEY_FITS(name) is 0, and fails to compile (negative array size) when the
 * key would not fit TICK_KEY_WIRE_MAX. */
#define KEY_FITS(name) (0 * sizeof(char[sizeof(name) <= TICK_KEY_WIRE_MAX ? 1 : -1]))
#define TF(name, kind, hub, member, size) \
    {name, sizeof(name) - 1 + KEY_FITS(name), kind, hub, \
     offsetof(struct hamd_tick, member), size}
#define TF_STR(f) TF(#f, TK_STR, false, f, sizeof(((struct hamd_tick *)0)->f))
#define TF_NUM(f) TF(#f, TK_NUM, false, f, 0)
#define TF_LEVEL(arr, n) TF(#arr "_" #n, TK_NUM, false, arr[(n) - 1], 0)
#define TF_LEVELS(arr) TF_LEVEL(arr, 1), TF_LEVEL(arr, 2), TF_LEVEL(arr, 3), \
                       TF_LEVEL(arr, 4), TF_LEVEL(arr, 5)

/* Every known key, in encoding order. Order matters only for readability
 * of dumps; the field's index doubles as its bit in the `seen` mask. */
static const struct tick_field TICK_FIELDS[] = {
    TF_STR(symbol),
    TF_STR(exchange),
    TF_STR(vt_symbol),
    TF_STR(gateway_name),
    TF_STR(name),
    TF("datetime", TK_TIME, false, datetime_ns, 0),
    TF("localtime", TK_TIME, false, localtime_ns, 0),
    TF_NUM(volume),
    TF_NUM(turnover),
    TF_NUM(open_interest),
    TF_NUM(last_price),
    TF_NUM(last_volume),
    TF_NUM(limit_up),
    TF_NUM(limit_down),
    TF_NUM(open_price),
    TF_NUM(high_price),
    TF_NUM(low_price),
    TF_NUM(pre_close),
    TF_LEVELS(bid_price),
    TF_LEVELS(ask_price),
    TF_LEVELS(bid_volume),
    TF_LEVELS(ask_volume),
    TF("term", TK_U64, true, term, 0),
    TF("seq", TK_U64, true, seq, 0),
    TF("node", TK_U32, true, node, 0),
    TF("hub_ns", TK_TIME, true, hub_ns, 0),
    TF("extra", TK_EXTRA, false, extra, 0),
};

#define TICK_NFIELDS (sizeof TICK_FIELDS / sizeof TICK_FIELDS[0])

/* Indices used by the post-map checks. */
enum {
    TI_SYMBOL = 0,
    TI_EXCHANGE = 1,
    TI_VT_SYMBOL = 2,
    TI_DATETIME = 5,
};

/* Key -> field index: open addressing over a power-of-two table, filled
 * once. 128 slots for ~40 keys keeps probe chains short. */
#define TICK_SLOTS 128
static int8_t tick_slot[TICK_SLOTS];
static uint64_t tick_hub_bits; /* `seen` bits of the hub fields */
static size_t tick_n_hub;      /* number of hub fields */

/* Each key's msgpack encoding (fixstr header + name), so the encoder
 * copies a key in one write. */
static uint8_t tick_key_wire[TICK_NFIELDS][TICK_KEY_WIRE_MAX];

/* The same as two little words and the masks of its length, so the fast
 * decoder compares a key in two loads (tick_key_at). */
static uint64_t tick_key_word[TICK_NFIELDS][2];
static uint64_t tick_key_mask[TICK_NFIELDS][2];
static pthread_once_t tick_tables_once = PTHREAD_ONCE_INIT;

_Static_assert(TICK_NFIELDS < 64, "the seen mask is a uint64_t");

/* ------------------------------------------------------------------------
 * Key lookup
 * ------------------------------------------------------------------------ */

/* Hash of a key from its length and three bytes (first, middle, last):
 * these tell all known keys apart well (bid_price_1 vs ask_volume_5), and
 * cost a few independent multiplies where a byte-serial hash over ~40
 * keys per tick was the decoder's main cost. Unknown keys that collide
 * only lengthen a probe; the final memcmp decides. */
static uint32_t tick_key_hash(const char *key, size_t len)
{
    if (len == 0)
        return 0;
    const uint8_t *k = (const uint8_t *)key;
    uint32_t h = ((uint32_t)len * 0x9E3779B1u) ^ (k[0] * 0x85EBCA6Bu) ^
                 (k[len - 1] * 0xC2B2AE35u) ^ (k[len / 2] * 0x27D4EB2Fu);
    return h ^ (h >> 15);
}

/* Fills the lookup tables from TICK_FIELDS (run once). */
static void tick_tables_build(void)
{
    memset(tick_slot, -1, sizeof tick_slot);
    for (size_t i = 0; i < TICK_NFIELDS; i++) {
        const struct tick_field *f = &TICK_FIELDS[i];
        if (f->hub) {
            tick_hub_bits |= 1ull << i;
            tick_n_hub++;
        }
        tick_key_wire[i][0] = (uint8_t)(0xa0 | f->name_len); /* fixstr */
        memcpy(&tick_key_wire[i][1], f->name, f->name_len);
        uint8_t mask[TICK_KEY_WIRE_MAX] = {0};
        memset(mask, 0xff, 1 + f->name_len);
        memcpy(tick_key_word[i], tick_key_wire[i], TICK_KEY_WIRE_MAX);
        memcpy(tick_key_mask[i], mask, TICK_KEY_WIRE_MAX);
        uint32_t s = tick_key_hash(f->name, f->name_len) & (TICK_SLOTS - 1);
        while (tick_slot[s] >= 0)
            s = (s + 1) & (TICK_SLOTS - 1);
        tick_slot[s] = (int8_t)i;
    }
}

/* Returns the field index of a key, or -1 when the key is unknown. */
static int tick_field_find(const char *key, size_t len)
{
    uint32_t s = tick_key_hash(key, len) & (TICK_SLOTS - 1);
    while (tick_slot[s] >= 0) {
        const struct tick_field *f = &TICK_FIELDS[tick_slot[s]];
        if (f->name_len == len && memcmp(f->name, key, len) == 0)
            return tick_slot[s];
        s = (s + 1) & (TICK_SLOTS - 1);
    }
    return -1;
}

/* ------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------ */

const char *hamd_tick_strerror(enum hamd_tick_err err)
{
    switch (err) {
    case HAMD_TICK_OK: return "ok";
    case HAMD_TICK_EMSGPACK: return "bad_msgpack";
    case HAMD_TICK_ENOTMAP: return "not_map";
    case HAMD_TICK_ETYPE: return "bad_type";
    case HAMD_TICK_EMISSING: return "missing_field";
    case HAMD_TICK_ETOOLONG: return "too_long";
    case HAMD_TICK_EPRICE: return "bad_price";
    case HAMD_TICK_EVTSYMBOL: return "bad_vt_symbol";
    }
    return "unknown";
}

bool hamd_tick_code_valid(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c <= ' ' || c == 0x7f || c == '.')
            return false;
    }
    return true;
}

bool hamd_tick_vt_symbol_valid(const char *s, size_t len)
{
    if (len >= HAMD_VT_SYMBOL_MAX)
        return false;
    const char *dot = memrchr(s, '.', len);
    if (dot == NULL)
        return false;
    size_t ls = (size_t)(dot - s), le = len - ls - 1;
    return ls < HAMD_SYMBOL_MAX && le < HAMD_EXCHANGE_MAX &&
           hamd_tick_code_valid(s, ls) && hamd_tick_code_valid(dot + 1, le);
}

/* ------------------------------------------------------------------------
 * Decoder
 * ------------------------------------------------------------------------ */

/* Stores a string value; it must fit with its NUL, hold no NUL and be
 * UTF-8 (utf8.h: what clients' msgpack decoders expect of a str). */
static enum hamd_tick_err tick_set_str(const struct tick_field *f,
                                       const struct hamd_mpr_val *v, char *dst)
{
    if (v->kind != HAMD_MPR_STR)
        return HAMD_TICK_ETYPE;
    if (v->v.s.len >= f->size)
        return HAMD_TICK_ETOOLONG;
    if (memchr(v->v.s.ptr, '\0', v->v.s.len) != NULL ||
        !hamd_utf8_valid(v->v.s.ptr, v->v.s.len))
        return HAMD_TICK_ETYPE;
    memcpy(dst, v->v.s.ptr, v->v.s.len);
    dst[v->v.s.len] = '\0';
    return HAMD_TICK_OK;
}

/* Stores a price or volume: any number, but finite and not negative. */
static enum hamd_tick_err tick_set_num(const struct hamd_mpr_val *v,
                                       double *dst)
{
    double x;
    if (v->kind == HAMD_MPR_FLOAT)
        x = v->v.f;
    else if (v->kind == HAMD_MPR_UINT)
        x = (double)v->v.u;
    else if (v->kind == HAMD_MPR_INT)
        return HAMD_TICK_EPRICE;
    else
        return HAMD_TICK_ETYPE;
    if (!isfinite(x) || x < 0)
        return HAMD_TICK_EPRICE;
    *dst = x;
    return HAMD_TICK_OK;
}

/* Stores a scalar (non-container) value into its field. */
static enum hamd_tick_err tick_set(const struct tick_field *f,
                                   const struct hamd_mpr_val *v,
                                   struct hamd_tick *out)
{
    char *dst = (char *)out + f->offset;
    switch (f->kind) {
    case TK_STR:
        return tick_set_str(f, v, dst);
    case TK_NUM:
        return tick_set_num(v, (double *)(void *)dst);
    case TK_TIME:
        if (v->kind == HAMD_MPR_INT)
            *(int64_t *)(void *)dst = v->v.i;
        else if (v->kind == HAMD_MPR_UINT && v->v.u <= (uint64_t)INT64_MAX)
            *(int64_t *)(void *)dst = (int64_t)v->v.u;
        else
            return HAMD_TICK_ETYPE;
        return HAMD_TICK_OK;
    case TK_U64:
        if (v->kind != HAMD_MPR_UINT)
            return HAMD_TICK_ETYPE;
        *(uint64_t *)(void *)dst = v->v.u;
        return HAMD_TICK_OK;
    case TK_U32:
        if (v->kind != HAMD_MPR_UINT || v->v.u > UINT32_MAX)
            return HAMD_TICK_ETYPE;
        *(uint32_t *)(void *)dst = (uint32_t)v->v.u;
        return HAMD_TICK_OK;
    case TK_EXTRA:
        break; /* a map is handled by the caller; anything else is wrong */
    }
    return HAMD_TICK_ETYPE;
}

/* Decodes the value of a known key at the cursor. Returns EMSGPACK only for
 * broken bytes (the caller stops); any other error leaves the cursor after
 * the value so the caller can keep checking the structure. */
static enum hamd_tick_err tick_field_decode(struct hamd_mpr *r, int idx,
                                            struct hamd_tick *out,
                                            uint64_t *seen)
{
    const struct tick_field *f = &TICK_FIELDS[idx];
    const uint8_t *start = r->p;
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v))
        return HAMD_TICK_EMSGPACK;
    if (v.kind == HAMD_MPR_NIL)
        return HAMD_TICK_OK; /* nil reads as absent (Python None) */
    if (v.kind == HAMD_MPR_ARRAY || v.kind == HAMD_MPR_MAP) {
        r->p = start;
        if (!hamd_mpr_skip(r))
            return HAMD_TICK_EMSGPACK;
        if (f->kind != TK_EXTRA || v.kind != HAMD_MPR_MAP)
            return HAMD_TICK_ETYPE;
        size_t n = (size_t)(r->p - start);
        if (n > HAMD_TICK_EXTRA_MAX)
            return HAMD_TICK_ETOOLONG;
        memcpy(out->extra, start, n);
        out->extra_len = n;
        *seen |= 1ull << idx;
        return HAMD_TICK_OK;
    }
    enum hamd_tick_err err = tick_set(f, &v, out);
    if (err == HAMD_TICK_OK)
        *seen |= 1ull << idx;
    return err;
}

/* Decodes one key/value pair. Returns EMSGPACK for broken bytes, else the
 * pair's own verdict (unknown keys are fine and skipped). */
static enum hamd_tick_err tick_pair_decode(struct hamd_mpr *r,
                                           struct hamd_tick *out,
                                           uint64_t *seen)
{
    const uint8_t *start = r->p;
    struct hamd_mpr_val key;
    if (!hamd_mpr_read(r, &key))
        return HAMD_TICK_EMSGPACK;
    if (key.kind != HAMD_MPR_STR) {
        r->p = start;
        if (!hamd_mpr_skip(r) || !hamd_mpr_skip(r))
            return HAMD_TICK_EMSGPACK;
        return HAMD_TICK_ENOTMAP;
    }
    int idx = tick_field_find(key.v.s.ptr, key.v.s.len);
    if (idx < 0)
        return hamd_mpr_skip(r) ? HAMD_TICK_OK : HAMD_TICK_EMSGPACK;
    return tick_field_decode(r, idx, out, seen);
}

/* Cross-field checks once the whole map is read. */
static enum hamd_tick_err tick_check(struct hamd_tick *t, uint64_t seen)
{
    size_t ls = strlen(t->symbol), le = strlen(t->exchange);
    if (ls == 0 || le == 0 || !(seen & (1ull << TI_DATETIME)))
        return HAMD_TICK_EMISSING;
    if (!hamd_tick_code_valid(t->symbol, ls) ||
        !hamd_tick_code_valid(t->exchange, le))
        return HAMD_TICK_ETYPE;
    char vt[HAMD_VT_SYMBOL_MAX];
    memcpy(vt, t->symbol, ls);
    vt[ls] = '.';
    memcpy(vt + ls + 1, t->exchange, le + 1);
    if (seen & (1ull << TI_VT_SYMBOL))
        return strcmp(vt, t->vt_symbol) == 0 ? HAMD_TICK_OK
                                             : HAMD_TICK_EVTSYMBOL;
    memcpy(t->vt_symbol, vt, ls + le + 2);
    return HAMD_TICK_OK;
}

/* Classifies a body whose top level is not a map. */
static enum hamd_tick_err tick_not_map(const void *buf, size_t len)
{
    struct hamd_mpr r;
    hamd_mpr_init(&r, buf, len);
    if (!hamd_mpr_skip(&r) || !hamd_mpr_done(&r))
        return HAMD_TICK_EMSGPACK;
    return HAMD_TICK_ENOTMAP;
}

/* ------------------------------------------------------------------------
 * Decoder, fast path: the hub's own encoding
 *
 * A client (libhamd-client) and a follower read only what
 * hamd_tick_encode wrote: every key in TICK_FIELDS order, pre-encoded,
 * prices and volumes as float64. This path walks that layout with two
 * word compares per key instead of a hash and a memcmp, and reads a price
 * in one load: about twice as fast as the generic decoder on a hub tick,
 * the client library's main cost (tests/bench/client.sh). At the first
 * thing it does not expect (another order, an unknown key, an int for a
 * price, any error) it gives up and the generic decoder reads the body
 * from the start, so every answer and error stays the generic one.
 * ------------------------------------------------------------------------ */

/* True when the key at p (16 readable bytes) is field idx's. */
static bool tick_key_at(const uint8_t *p, size_t idx)
{
    uint64_t w[2];
    memcpy(w, p, sizeof w);
    return (w[0] & tick_key_mask[idx][0]) == tick_key_word[idx][0] &&
           (w[1] & tick_key_mask[idx][1]) == tick_key_word[idx][1];
}

/* A float64 price or volume at r: finite and not negative. */
static bool tick_fast_num(struct hamd_mpr *r, double *dst)
{
    if (r->end - r->p < 9 || r->p[0] != 0xcb)
        return false;
    uint64_t bits;
    memcpy(&bits, r->p + 1, sizeof bits);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    bits = __builtin_bswap64(bits); /* msgpack is big-endian */
#endif
    double x;
    memcpy(&x, &bits, sizeof x);
    if (!isfinite(x) || x < 0)
        return false;
    *dst = x;
    r->p += 9;
    return true;
}

/* A string of fewer than 32 bytes (fixstr, as the encoder writes every
 * string of a tick but a long name) into field f: it fits, holds no NUL. */
static bool tick_fast_str(struct hamd_mpr *r, const struct tick_field *f,
                          char *dst)
{
    if (r->p == r->end || (r->p[0] & 0xe0) != 0xa0)
        return false;
    size_t n = r->p[0] & 0x1f;
    if (n >= f->size || (size_t)(r->end - r->p) < 1 + n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (r->p[1 + i] == '\0')
            return false;
        dst[i] = (char)r->p[1 + i];
    }
    dst[n] = '\0';
    r->p += 1 + n;
    return true;
}

/* An integer field (a time, term, seq, node) as the encoder writes it:
 * fixint or 0xcc-0xcf, 0xd0-0xd3 for a negative time. False for any other
 * form or a value the field does not take. */
static bool tick_fast_int(struct hamd_mpr *r, const struct tick_field *f,
                          char *dst)
{
    if (r->p == r->end)
        return false;
    uint8_t b = r->p[0];
    size_t n = b < 0x80 ? 0 : b >= 0xcc && b <= 0xcf ? (size_t)1 << (b - 0xcc)
                          : b >= 0xd0 && b <= 0xd3 ? (size_t)1 << (b - 0xd0)
                          : b >= 0xe0 ? 0 : SIZE_MAX;
    if (n == SIZE_MAX || (size_t)(r->end - r->p) < 1 + n)
        return false;
    uint64_t u = n == 0 ? (b < 0x80 ? b : (uint64_t)(int64_t)(int8_t)b) : 0;
    for (size_t i = 1; i <= n; i++)
        u = u << 8 | r->p[i];
    bool is_signed = b >= 0xe0 || (b >= 0xd0 && b <= 0xd3);
    if (is_signed && n > 0 && n < 8 && (u >> (8 * n - 1)) & 1)
        u |= ~(uint64_t)0 << (8 * n); /* sign-extend a 1, 2 or 4 byte int */
    bool negative = is_signed && (int64_t)u < 0;
    if (is_signed && !negative)
        return false; /* the encoder writes non-negatives unsigned */
    switch (f->kind) {
    case TK_TIME:
        if (!negative && u > (uint64_t)INT64_MAX)
            return false;
        *(int64_t *)(void *)dst = (int64_t)u;
        break;
    case TK_U64:
        if (negative)
            return false;
        *(uint64_t *)(void *)dst = u;
        break;
    case TK_U32:
        if (negative || u > UINT32_MAX)
            return false;
        *(uint32_t *)(void *)dst = (uint32_t)u;
        break;
    default:
        return false;
    }
    r->p += 1 + n;
    return true;
}

/* Decodes a body laid out as hamd_tick_encode writes it, whose map header
 * (n pairs) r has read. Returns false at anything else. */
static bool tick_decode_fast(struct hamd_mpr *r, uint32_t n,
                             struct hamd_tick *out, uint64_t *seen)
{
    uint32_t pairs = 0;
    for (size_t i = 0; i < TICK_NFIELDS && pairs < n; i++) {
        const struct tick_field *f = &TICK_FIELDS[i];
        if (r->end - r->p < TICK_KEY_WIRE_MAX)
            return false;
        if (!tick_key_at(r->p, i)) {
            if (f->hub || f->kind == TK_EXTRA)
                continue; /* optional: absent */
            return false;
        }
        r->p += 1 + f->name_len;
        pairs++;
        char *dst = (char *)out + f->offset;
        if (f->kind == TK_NUM) {
            if (!tick_fast_num(r, (double *)(void *)dst))
                return false;
            *seen |= 1ull << i;
        } else if ((f->kind == TK_STR && tick_fast_str(r, f, dst)) ||
                   ((f->kind == TK_TIME || f->kind == TK_U64 ||
                     f->kind == TK_U32) && tick_fast_int(r, f, dst))) {
            *seen |= 1ull << i;
        } else if (tick_field_decode(r, (int)i, out, seen) != HAMD_TICK_OK) {
            return false;
        }
    }
    return pairs == n && hamd_mpr_done(r);
}

/* ------------------------------------------------------------------------
 * Decoder, entry
 * ------------------------------------------------------------------------ */

enum hamd_tick_err hamd_tick_decode(const void *buf, size_t len,
                                    struct hamd_tick *out)
{
    pthread_once(&tick_tables_once, tick_tables_build);
    struct hamd_mpr r;
    struct hamd_mpr_val top;
    hamd_mpr_init(&r, buf, len);
    if (!hamd_mpr_read(&r, &top))
        return HAMD_TICK_EMSGPACK;
    if (top.kind != HAMD_MPR_MAP)
        return tick_not_map(buf, len);
    memset(out, 0, sizeof *out);
    uint64_t seen = 0;
    struct hamd_mpr fast = r;
    if (tick_decode_fast(&fast, top.v.n, out, &seen)) {
        out->has_hub = (seen & tick_hub_bits) != 0;
        return tick_check(out, seen);
    }
    memset(out, 0, sizeof *out);
    seen = 0;
    /* The first field error is reported, but only once the whole body is
     * known to be well-formed msgpack: broken bytes take precedence. */
    enum hamd_tick_err first = HAMD_TICK_OK;
    for (uint32_t i = 0; i < top.v.n; i++) {
        enum hamd_tick_err err = tick_pair_decode(&r, out, &seen);
        if (err == HAMD_TICK_EMSGPACK)
            return err;
        if (first == HAMD_TICK_OK)
            first = err;
    }
    if (!hamd_mpr_done(&r))
        return HAMD_TICK_EMSGPACK;
    if (first != HAMD_TICK_OK)
        return first;
    out->has_hub = (seen & tick_hub_bits) != 0;
    return tick_check(out, seen);
}

/* ------------------------------------------------------------------------
 * Encoder
 *
 * The encoder runs once per published tick, so it writes msgpack itself:
 * keys are copied pre-encoded and every value is a header byte plus a
 * big-endian store, with no per-write callback or bounds check. The bytes
 * are those msgpack-c's packer writes for the same calls (smallest integer
 * form, str8 from 32 bytes, float64 always); test_tick compares them.
 * ------------------------------------------------------------------------ */

/* Bytes an encoding can take at most, whatever the values: map16 header,
 * every key, the widest header of each value, string capacities and the
 * extra map. Encoding into a buffer this large needs no checks. */
#define TICK_VALUE_MAX 9 /* 0xcb/0xcf/0xd3 + 8 bytes */
#define TICK_STR_HEAD_MAX 2 /* str8: strings here are < 256 bytes */
#define TICK_ENCODE_BOUND \
    (3 + TICK_NFIELDS * (TICK_KEY_WIRE_MAX + TICK_VALUE_MAX + \
                         TICK_STR_HEAD_MAX) + \
     HAMD_SYMBOL_MAX + HAMD_EXCHANGE_MAX + HAMD_VT_SYMBOL_MAX + \
     HAMD_ACCOUNT_ID_MAX + HAMD_TICK_NAME_MAX + HAMD_TICK_EXTRA_MAX)

_Static_assert(TICK_ENCODE_BOUND <= HAMD_TICK_WIRE_MAX,
               "HAMD_TICK_WIRE_MAX must hold any encoded tick");

static uint8_t *put_be16(uint8_t *p, uint8_t head, uint16_t v)
{
    p[0] = head;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
    return p + 3;
}

static uint8_t *put_be32(uint8_t *p, uint8_t head, uint32_t v)
{
    p[0] = head;
    for (int i = 0; i < 4; i++)
        p[1 + i] = (uint8_t)(v >> (24 - 8 * i));
    return p + 5;
}

static uint8_t *put_be64(uint8_t *p, uint8_t head, uint64_t v)
{
    p[0] = head;
    for (int i = 0; i < 8; i++)
        p[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    return p + 9;
}

static uint8_t *put_uint(uint8_t *p, uint64_t v)
{
    if (v < 0x80) {
        *p = (uint8_t)v; /* positive fixint */
        return p + 1;
    }
    if (v <= UINT8_MAX) {
        p[0] = 0xcc;
        p[1] = (uint8_t)v;
        return p + 2;
    }
    if (v <= UINT16_MAX)
        return put_be16(p, 0xcd, (uint16_t)v);
    if (v <= UINT32_MAX)
        return put_be32(p, 0xce, (uint32_t)v);
    return put_be64(p, 0xcf, v);
}

static uint8_t *put_int(uint8_t *p, int64_t v)
{
    if (v >= 0) /* the unsigned forms, as msgpack-c */
        return put_uint(p, (uint64_t)v);
    if (v >= -32) {
        *p = (uint8_t)(int8_t)v; /* negative fixint */
        return p + 1;
    }
    if (v >= INT8_MIN) {
        p[0] = 0xd0;
        p[1] = (uint8_t)(int8_t)v;
        return p + 2;
    }
    if (v >= INT16_MIN)
        return put_be16(p, 0xd1, (uint16_t)(int16_t)v);
    if (v >= INT32_MIN)
        return put_be32(p, 0xd2, (uint32_t)(int32_t)v);
    return put_be64(p, 0xd3, (uint64_t)v);
}

static uint8_t *put_double(uint8_t *p, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return put_be64(p, 0xcb, bits);
}

/* A string header for n < 256 bytes (every string of a tick). */
static uint8_t *put_str_head(uint8_t *p, size_t n)
{
    if (n < 32) {
        *p = (uint8_t)(0xa0 | n); /* fixstr */
        return p + 1;
    }
    p[0] = 0xd9; /* str8 */
    p[1] = (uint8_t)n;
    return p + 2;
}

static uint8_t *put_bytes(uint8_t *p, const void *bytes, size_t n)
{
    memcpy(p, bytes, n);
    return p + n;
}

/* Writes one field's key and value at p; returns the end. */
static uint8_t *tick_field_put(uint8_t *p, size_t idx, const struct hamd_tick *t)
{
    const struct tick_field *f = &TICK_FIELDS[idx];
    const char *src = (const char *)t + f->offset;
    p = put_bytes(p, tick_key_wire[idx], 1 + f->name_len);
    switch (f->kind) {
    case TK_STR: {
        size_t n = strnlen(src, f->size);
        return put_bytes(put_str_head(p, n), src, n);
    }
    case TK_NUM:
        return put_double(p, *(const double *)(const void *)src);
    case TK_TIME:
        return put_int(p, *(const int64_t *)(const void *)src);
    case TK_U64:
        return put_uint(p, *(const uint64_t *)(const void *)src);
    case TK_U32:
        return put_uint(p, *(const uint32_t *)(const void *)src);
    case TK_EXTRA:
        return put_bytes(p, t->extra, t->extra_len);
    }
    return p;
}

/* Writes vt_symbol as symbol "." exchange, whatever t->vt_symbol holds. */
static uint8_t *tick_vt_put(uint8_t *p, const struct hamd_tick *t)
{
    size_t ls = strnlen(t->symbol, sizeof t->symbol);
    size_t le = strnlen(t->exchange, sizeof t->exchange);
    p = put_bytes(p, tick_key_wire[TI_VT_SYMBOL],
                  1 + TICK_FIELDS[TI_VT_SYMBOL].name_len);
    p = put_str_head(p, ls + 1 + le);
    p = put_bytes(p, t->symbol, ls);
    *p++ = '.';
    return put_bytes(p, t->exchange, le);
}

/* Encodes into out, which holds TICK_ENCODE_BOUND bytes. */
static size_t tick_put(const struct hamd_tick *tick, bool with_hub,
                       uint8_t *out)
{
    bool with_extra = tick->extra_len > 0;
    size_t n = TICK_NFIELDS - tick_n_hub - 1;
    n += (with_hub ? tick_n_hub : 0) + (with_extra ? 1 : 0);
    uint8_t *p = n < 16 ? (*out = (uint8_t)(0x80 | n), out + 1)
                        : put_be16(out, 0xde, (uint16_t)n);
    for (size_t i = 0; i < TICK_NFIELDS; i++) {
        const struct tick_field *f = &TICK_FIELDS[i];
        if ((f->hub && !with_hub) || (f->kind == TK_EXTRA && !with_extra))
            continue;
        p = i == TI_VT_SYMBOL ? tick_vt_put(p, tick) : tick_field_put(p, i, tick);
    }
    return (size_t)(p - out);
}

size_t hamd_tick_encode(const struct hamd_tick *tick, bool with_hub,
                        void *buf, size_t cap)
{
    if (tick->extra_len > sizeof tick->extra)
        return 0;
    pthread_once(&tick_tables_once, tick_tables_build);
    if (cap >= TICK_ENCODE_BOUND)
        return tick_put(tick, with_hub, buf);
    /* A small buffer: encode aside, keep the exact-fit contract. */
    uint8_t tmp[TICK_ENCODE_BOUND];
    size_t len = tick_put(tick, with_hub, tmp);
    if (len > cap)
        return 0;
    memcpy(buf, tmp, len);
    return len;
}

/* ------------------------------------------------------------------------
 * Extra keys and ordering
 * ------------------------------------------------------------------------ */

bool hamd_tick_extra_int(const struct hamd_tick *tick, const char *key,
                         int64_t *out)
{
    struct hamd_mpr r;
    struct hamd_mpr_val v;
    if (tick->extra_len > sizeof tick->extra)
        return false;
    hamd_mpr_init(&r, tick->extra, tick->extra_len);
    if (!hamd_mpr_read(&r, &v) || v.kind != HAMD_MPR_MAP)
        return false;
    for (uint32_t i = 0; i < v.v.n; i++) {
        const uint8_t *start = r.p;
        struct hamd_mpr_val k;
        if (!hamd_mpr_read(&r, &k))
            return false;
        if (hamd_mpr_str_eq(&k, key))
            return hamd_mpr_read_i64(&r, out);
        r.p = start;
        if (!hamd_mpr_skip(&r) || !hamd_mpr_skip(&r))
            return false;
    }
    return false;
}

bool hamd_tick_extra_set_int(struct hamd_tick *tick, const char *key,
                             int64_t value)
{
    uint8_t tmp[HAMD_TICK_EXTRA_MAX];
    struct hamd_mpw w;
    hamd_mpw_init(&w, tmp, sizeof tmp);
    msgpack_pack_map(&w.pk, 1);
    hamd_mpw_str(&w, key);
    msgpack_pack_int64(&w.pk, value);
    size_t n = hamd_mpw_finish(&w);
    if (n == 0)
        return false;
    memcpy(tick->extra, tmp, n);
    tick->extra_len = n;
    return true;
}

int hamd_tick_cmp_age(int64_t a_datetime_ns, double a_volume,
                      int64_t b_datetime_ns, double b_volume)
{
    if (a_datetime_ns != b_datetime_ns)
        return a_datetime_ns < b_datetime_ns ? -1 : 1;
    if (a_volume != b_volume)
        return a_volume < b_volume ? -1 : 1;
    return 0;
}
