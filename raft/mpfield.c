/* Typed msgpack field reads and writes: see mpfield.h. */
#include "raft/mpfield.h"

#include <string.h>

bool hamd_mpf_str(struct hamd_mpr *r, char *dst, size_t cap)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_STR)
        return false;
    if ((size_t)v.v.s.len >= cap || memchr(v.v.s.ptr, 0, v.v.s.len))
        return false;
    memcpy(dst, v.v.s.ptr, v.v.s.len);
    dst[v.v.s.len] = '\0';
    return true;
}

bool hamd_mpf_u64(struct hamd_mpr *r, uint64_t *out)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_UINT)
        return false;
    *out = v.v.u;
    return true;
}

bool hamd_mpf_bool(struct hamd_mpr *r, bool *out)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_BOOL)
        return false;
    *out = v.v.b;
    return true;
}

/* Shared by array and map headers: per = values per counted element. */
static bool mpf_container(struct hamd_mpr *r, enum hamd_mpr_kind kind,
                          uint32_t max, unsigned per, uint32_t *n)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != kind || v.v.n > max)
        return false;
    if ((uint64_t)v.v.n * per > (uint64_t)(r->end - r->p))
        return false;
    *n = v.v.n;
    return true;
}

bool hamd_mpf_array(struct hamd_mpr *r, uint32_t max, uint32_t *n)
{
    return mpf_container(r, HAMD_MPR_ARRAY, max, 1, n);
}

bool hamd_mpf_map(struct hamd_mpr *r, uint32_t max, uint32_t *n)
{
    return mpf_container(r, HAMD_MPR_MAP, max, 2, n);
}

bool hamd_mpf_bytes(struct hamd_mpr *r, const char **ptr, uint32_t *len)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) ||
        (v.kind != HAMD_MPR_BIN && v.kind != HAMD_MPR_STR))
        return false;
    *ptr = v.v.s.ptr;
    *len = v.v.s.len;
    return true;
}

int hamd_mpf_pack_str(msgpack_packer *pk, const char *s)
{
    return msgpack_pack_str_with_body(pk, s, strlen(s));
}
