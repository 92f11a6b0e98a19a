/* Zero-copy msgpack reader: see mpread.h for why it exists. The format is
 * the msgpack specification; every multi-byte number is big-endian. */
#include "common/mpread.h"

#include <string.h>

/* Big-endian wire to host order. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MPR_BE16(x) __builtin_bswap16(x)
#define MPR_BE32(x) __builtin_bswap32(x)
#define MPR_BE64(x) __builtin_bswap64(x)
#else
#define MPR_BE16(x) (x)
#define MPR_BE32(x) (x)
#define MPR_BE64(x) (x)
#endif

/* ------------------------------------------------------------------------
 * Encodings
 * ------------------------------------------------------------------------ */

/* Reads an n-byte big-endian unsigned number (n = 1, 2, 4 or 8) and
 * advances. Runs for every number of every tick, hence the byte swaps. */
static bool mpr_be(struct hamd_mpr *r, unsigned n, uint64_t *out)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    switch (n) {
    case 1:
        *out = r->p[0];
        break;
    case 2: {
        uint16_t x;
        memcpy(&x, r->p, 2);
        *out = MPR_BE16(x);
        break;
    }
    case 4: {
        uint32_t x;
        memcpy(&x, r->p, 4);
        *out = MPR_BE32(x);
        break;
    }
    default: {
        uint64_t x;
        memcpy(&x, r->p, 8);
        *out = MPR_BE64(x);
        break;
    }
    }
    r->p += n;
    return true;
}

/* Takes a payload of len bytes (str, bin, ext) and advances past it. */
static bool mpr_payload(struct hamd_mpr *r, uint64_t len,
                        enum hamd_mpr_kind kind, struct hamd_mpr_val *v)
{
    if ((uint64_t)(r->end - r->p) < len)
        return false;
    v->kind = kind;
    v->v.s.ptr = (const char *)r->p;
    v->v.s.len = (uint32_t)len;
    r->p += len;
    return true;
}

/* Reads a length prefix of n bytes, then the payload. */
static bool mpr_sized(struct hamd_mpr *r, unsigned n, enum hamd_mpr_kind kind,
                      struct hamd_mpr_val *v)
{
    uint64_t len;
    return mpr_be(r, n, &len) && mpr_payload(r, len, kind, v);
}

/* ext8/16/32: length, a type byte (dropped), then the payload. */
static bool mpr_ext(struct hamd_mpr *r, unsigned n, struct hamd_mpr_val *v)
{
    uint64_t len, type;
    return mpr_be(r, n, &len) && mpr_be(r, 1, &type) &&
           mpr_payload(r, len, HAMD_MPR_EXT, v);
}

/* fixext: a type byte (dropped), then exactly len bytes. */
static bool mpr_fixext(struct hamd_mpr *r, unsigned len,
                       struct hamd_mpr_val *v)
{
    uint64_t type;
    return mpr_be(r, 1, &type) && mpr_payload(r, len, HAMD_MPR_EXT, v);
}

/* Array or map header with an n-byte count. */
static bool mpr_count(struct hamd_mpr *r, unsigned n, enum hamd_mpr_kind kind,
                      struct hamd_mpr_val *v)
{
    uint64_t count;
    if (!mpr_be(r, n, &count))
        return false;
    v->kind = kind;
    v->v.n = (uint32_t)count;
    return true;
}

/* Unsigned integer of n bytes. */
static bool mpr_uint(struct hamd_mpr *r, unsigned n, struct hamd_mpr_val *v)
{
    v->kind = HAMD_MPR_UINT;
    return mpr_be(r, n, &v->v.u);
}

/* Signed integer of n bytes; non-negative values are reported as UINT so
 * callers see one kind per sign whatever encoder produced them. */
static bool mpr_int(struct hamd_mpr *r, unsigned n, struct hamd_mpr_val *v)
{
    uint64_t raw;
    if (!mpr_be(r, n, &raw))
        return false;
    unsigned shift = 64 - 8 * n;
    int64_t x = (int64_t)(raw << shift) >> shift; /* sign-extend */
    if (x >= 0) {
        v->kind = HAMD_MPR_UINT;
        v->v.u = (uint64_t)x;
    } else {
        v->kind = HAMD_MPR_INT;
        v->v.i = x;
    }
    return true;
}

/* float32 (n = 4) or float64 (n = 8), widened to double. */
static bool mpr_float(struct hamd_mpr *r, unsigned n, struct hamd_mpr_val *v)
{
    uint64_t raw;
    if (!mpr_be(r, n, &raw))
        return false;
    v->kind = HAMD_MPR_FLOAT;
    if (n == 4) {
        uint32_t bits = (uint32_t)raw;
        float f;
        memcpy(&f, &bits, sizeof f);
        v->v.f = f;
    } else {
        memcpy(&v->v.f, &raw, sizeof v->v.f);
    }
    return true;
}

/* The one-byte encodings: fixint, fixmap, fixarray, fixstr, nil, bools. */
static bool mpr_fixed(struct hamd_mpr *r, uint8_t b, struct hamd_mpr_val *v)
{
    if (b <= 0x7f) {
        v->kind = HAMD_MPR_UINT;
        v->v.u = b;
    } else if (b <= 0x8f) {
        v->kind = HAMD_MPR_MAP;
        v->v.n = b & 0x0f;
    } else if (b <= 0x9f) {
        v->kind = HAMD_MPR_ARRAY;
        v->v.n = b & 0x0f;
    } else if (b <= 0xbf) {
        return mpr_payload(r, b & 0x1f, HAMD_MPR_STR, v);
    } else if (b >= 0xe0) {
        v->kind = HAMD_MPR_INT;
        v->v.i = (int8_t)b;
    } else if (b == 0xc0) {
        v->kind = HAMD_MPR_NIL;
    } else if (b == 0xc2 || b == 0xc3) {
        v->kind = HAMD_MPR_BOOL;
        v->v.b = (b == 0xc3);
    } else {
        return false; /* 0xc1 is reserved */
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Reading values
 * ------------------------------------------------------------------------ */

bool hamd_mpr_read(struct hamd_mpr *r, struct hamd_mpr_val *v)
{
    if (r->p >= r->end)
        return false;
    uint8_t b = *r->p++;
    switch (b) {
    case 0xc4: return mpr_sized(r, 1, HAMD_MPR_BIN, v);
    case 0xc5: return mpr_sized(r, 2, HAMD_MPR_BIN, v);
    case 0xc6: return mpr_sized(r, 4, HAMD_MPR_BIN, v);
    case 0xc7: return mpr_ext(r, 1, v);
    case 0xc8: return mpr_ext(r, 2, v);
    case 0xc9: return mpr_ext(r, 4, v);
    case 0xca: return mpr_float(r, 4, v);
    case 0xcb: return mpr_float(r, 8, v);
    case 0xcc: return mpr_uint(r, 1, v);
    case 0xcd: return mpr_uint(r, 2, v);
    case 0xce: return mpr_uint(r, 4, v);
    case 0xcf: return mpr_uint(r, 8, v);
    case 0xd0: return mpr_int(r, 1, v);
    case 0xd1: return mpr_int(r, 2, v);
    case 0xd2: return mpr_int(r, 4, v);
    case 0xd3: return mpr_int(r, 8, v);
    case 0xd4: return mpr_fixext(r, 1, v);
    case 0xd5: return mpr_fixext(r, 2, v);
    case 0xd6: return mpr_fixext(r, 4, v);
    case 0xd7: return mpr_fixext(r, 8, v);
    case 0xd8: return mpr_fixext(r, 16, v);
    case 0xd9: return mpr_sized(r, 1, HAMD_MPR_STR, v);
    case 0xda: return mpr_sized(r, 2, HAMD_MPR_STR, v);
    case 0xdb: return mpr_sized(r, 4, HAMD_MPR_STR, v);
    case 0xdc: return mpr_count(r, 2, HAMD_MPR_ARRAY, v);
    case 0xdd: return mpr_count(r, 4, HAMD_MPR_ARRAY, v);
    case 0xde: return mpr_count(r, 2, HAMD_MPR_MAP, v);
    case 0xdf: return mpr_count(r, 4, HAMD_MPR_MAP, v);
    default: return mpr_fixed(r, b, v);
    }
}

bool hamd_mpr_skip(struct hamd_mpr *r)
{
    /* Values still to read; every value takes at least one byte, so a
     * count larger than what is left fails at once instead of looping. */
    uint64_t pending = 1;
    while (pending > 0) {
        struct hamd_mpr_val v;
        if (!hamd_mpr_read(r, &v))
            return false;
        pending--;
        if (v.kind == HAMD_MPR_ARRAY)
            pending += v.v.n;
        else if (v.kind == HAMD_MPR_MAP)
            pending += 2 * (uint64_t)v.v.n;
        if (pending > (uint64_t)(r->end - r->p))
            return false;
    }
    return true;
}

bool hamd_mpr_val_i64(const struct hamd_mpr_val *v, int64_t *out)
{
    if (v->kind == HAMD_MPR_INT) {
        *out = v->v.i;
        return true;
    }
    if (v->kind == HAMD_MPR_UINT && v->v.u <= (uint64_t)INT64_MAX) {
        *out = (int64_t)v->v.u;
        return true;
    }
    return false;
}

bool hamd_mpr_read_i64(struct hamd_mpr *r, int64_t *out)
{
    struct hamd_mpr_val v;
    return hamd_mpr_read(r, &v) && hamd_mpr_val_i64(&v, out);
}

/* ------------------------------------------------------------------------
 * Maps and strings
 * ------------------------------------------------------------------------ */

/* Index of the key k names among keys[0..n), or n. */
static unsigned map_key_index(const struct hamd_mpr_val *k,
                              const char *const *keys, unsigned n)
{
    unsigned i = 0;
    while (i < n && !hamd_mpr_str_eq(k, keys[i]))
        i++;
    return i;
}

bool hamd_mpr_map_find(const void *buf, size_t len, const char *const *keys,
                      struct hamd_mpr_val *vals, unsigned n)
{
    struct hamd_mpr r;
    struct hamd_mpr_val map, k;
    hamd_mpr_init(&r, buf, len);
    if (!hamd_mpr_read(&r, &map) || map.kind != HAMD_MPR_MAP)
        return false;
    for (unsigned i = 0; i < n; i++)
        vals[i].kind = HAMD_MPR_NIL;
    unsigned missing = n;
    for (uint32_t i = 0; i < map.v.n && missing > 0; i++) {
        if (!hamd_mpr_read(&r, &k) || k.kind != HAMD_MPR_STR)
            return false;
        unsigned at = map_key_index(&k, keys, n);
        if (at < n && vals[at].kind == HAMD_MPR_NIL) {
            struct hamd_mpr header = r; /* r itself skips the whole value */
            if (!hamd_mpr_read(&header, &vals[at]))
                return false;
            missing -= vals[at].kind != HAMD_MPR_NIL;
        }
        if (!hamd_mpr_skip(&r))
            return false;
    }
    return true;
}

bool hamd_mpr_str_eq(const struct hamd_mpr_val *v, const char *lit)
{
    size_t n = strlen(lit);
    return v->kind == HAMD_MPR_STR && v->v.s.len == n &&
           memcmp(v->v.s.ptr, lit, n) == 0;
}
