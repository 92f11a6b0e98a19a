/* Typed msgpack field reads and writes shared by the consensus layer's
 * encoders (command codec, account packing, store snapshot).
 *
 * Reads sit on the allocation-free cursor of common/mpread.h, because a
 * replicated entry or a snapshot is input we must survive: a count or a
 * length that does not fit the bytes left is rejected before anything is
 * allocated from it. Every read either succeeds completely or returns
 * false; the cursor is then unspecified and the caller gives up.
 */
#ifndef HAMD_RAFT_MPFIELD_H
#define HAMD_RAFT_MPFIELD_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/mpread.h"

/* Reads a string into dst (cap bytes including the NUL). Fails when the
 * value is not a string, does not fit, or holds a NUL byte. */
bool hamd_mpf_str(struct hamd_mpr *r, char *dst, size_t cap);

/* Reads a non-negative integer. */
bool hamd_mpf_u64(struct hamd_mpr *r, uint64_t *out);

/* Reads a boolean. */
bool hamd_mpf_bool(struct hamd_mpr *r, bool *out);

/* Reads an array header with at most max elements; also fails when the
 * count exceeds the bytes left (every element takes at least one byte). */
bool hamd_mpf_array(struct hamd_mpr *r, uint32_t max, uint32_t *n);

/* Reads a map header with at most max pairs (same byte check). */
bool hamd_mpf_map(struct hamd_mpr *r, uint32_t max, uint32_t *n);

/* Reads a bin (or str) value: *ptr points into the cursor's buffer. */
bool hamd_mpf_bytes(struct hamd_mpr *r, const char **ptr, uint32_t *len);

/* Packs a NUL-terminated string. Returns 0 or msgpack's non-zero. */
int hamd_mpf_pack_str(msgpack_packer *pk, const char *s);

#endif /* HAMD_RAFT_MPFIELD_H */
