/* A zero-copy, allocation-free msgpack reader over one byte buffer.
 *
 * Why not msgpack_unpack: it allocates every array and map up front from
 * the element count the bytes declare, so a 5-byte body (0xdf ffffffff)
 * asks for ~200 GB (a sanitizer build aborts, a normal one churns or
 * fails). Bodies come from untrusted gateways at 200k+ ticks/s, so the
 * decoders walk the bytes with this cursor instead: every length is checked
 * against the bytes that remain, nothing is allocated, and a value's exact
 * byte range is known (the tick's `extra` map is kept verbatim).
 */
#ifndef HAMD_MPREAD_H
#define HAMD_MPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kind of one msgpack value. */
enum hamd_mpr_kind {
    HAMD_MPR_NIL = 0,
    HAMD_MPR_BOOL,
    HAMD_MPR_UINT,   /* non-negative integer: read .u */
    HAMD_MPR_INT,    /* negative integer: read .i */
    HAMD_MPR_FLOAT,  /* float32 or float64, widened: read .f */
    HAMD_MPR_STR,
    HAMD_MPR_BIN,
    HAMD_MPR_EXT,
    HAMD_MPR_ARRAY,  /* header only: .n elements follow */
    HAMD_MPR_MAP,    /* header only: .n key/value pairs follow */
};

/* One decoded value header. Strings point into the read buffer. */
struct hamd_mpr_val {
    enum hamd_mpr_kind kind; /* which member below is meaningful */
    union {
        bool b;             /* HAMD_MPR_BOOL */
        uint64_t u;         /* HAMD_MPR_UINT */
        int64_t i;          /* HAMD_MPR_INT (always < 0) */
        double f;           /* HAMD_MPR_FLOAT */
        uint32_t n;         /* HAMD_MPR_ARRAY / HAMD_MPR_MAP element count */
        struct {
            const char *ptr; /* first byte, not NUL-terminated */
            uint32_t len;    /* bytes */
        } s;                /* HAMD_MPR_STR / HAMD_MPR_BIN / HAMD_MPR_EXT */
    } v;
};

/* Read cursor: [p, end) is what is left to read. */
struct hamd_mpr {
    const uint8_t *p;   /* next byte */
    const uint8_t *end; /* one past the last byte */
};

/* Starts a cursor over buf[0..len). */
static inline void hamd_mpr_init(struct hamd_mpr *r, const void *buf,
                                 size_t len)
{
    r->p = (const uint8_t *)buf;
    r->end = r->p + len;
}

/* True when every byte has been read. */
static inline bool hamd_mpr_done(const struct hamd_mpr *r)
{
    return r->p == r->end;
}

/* Reads one value header into *v and advances past it; for str, bin and
 * ext also past the payload. Returns false on truncated or reserved bytes
 * (the cursor is then unspecified). */
bool hamd_mpr_read(struct hamd_mpr *r, struct hamd_mpr_val *v);

/* Skips one complete value, containers included, without recursion.
 * Returns false when the bytes end early or are not msgpack. */
bool hamd_mpr_skip(struct hamd_mpr *r);

/* Reads an integer that fits int64_t (either sign). Returns false for any
 * other kind or out of range; the cursor is then unspecified. */
bool hamd_mpr_read_i64(struct hamd_mpr *r, int64_t *out);

/* The integer in v if it fits int64_t (either sign). Returns false for any
 * other kind or out of range. */
bool hamd_mpr_val_i64(const struct hamd_mpr_val *v, int64_t *out);

/* Looks up keys[0..n) in the msgpack map that buf[0..len) holds (top level
 * only): vals[i] gets the header of keys[i]'s value, kind NIL when absent
 * (str, bin and ext point into buf; a container gives only its header).
 * Reads no further than the last key it needs. Returns false when buf is
 * not a map with string keys, as far as it was read. */
bool hamd_mpr_map_find(const void *buf, size_t len, const char *const *keys,
                      struct hamd_mpr_val *vals, unsigned n);

/* True when v is a string equal to the NUL-terminated lit. */
bool hamd_mpr_str_eq(const struct hamd_mpr_val *v, const char *lit);

#endif /* HAMD_MPREAD_H */
