/* A msgpack-c packer that writes into a caller's fixed buffer: no heap
 * allocation, and overflow is reported instead of growing. Every
 * msgpack_pack_* call fails (non-zero) once the buffer is full, so an
 * encoder can pack a whole message and check the result once at the end.
 */
#ifndef HAMD_MPWRITE_H
#define HAMD_MPWRITE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fixed buffer behind a packer. */
struct hamd_mpw {
    uint8_t *buf;      /* destination */
    size_t cap;        /* bytes available in buf */
    size_t len;        /* bytes written so far */
    bool overflow;     /* a write did not fit; len stops growing */
    msgpack_packer pk; /* packer whose callback appends to buf */
};

/* Prepares w to pack into buf[0..cap). The packer points back at w, so w
 * must not be copied or moved while in use. */
void hamd_mpw_init(struct hamd_mpw *w, void *buf, size_t cap);

/* Appends raw bytes (an already encoded msgpack value). Returns 0, or -1
 * and marks overflow when they do not fit. */
int hamd_mpw_raw(struct hamd_mpw *w, const void *bytes, size_t len);

/* Packs a NUL-terminated string. Returns 0 or -1 like msgpack_pack_*. */
int hamd_mpw_str(struct hamd_mpw *w, const char *s);

/* Returns the encoded length, or 0 if anything overflowed. */
size_t hamd_mpw_finish(const struct hamd_mpw *w);

#endif /* HAMD_MPWRITE_H */
