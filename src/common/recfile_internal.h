/* Private to the recording file module (recfile.c, recfile_read.c,
 * recfile_write.c): the codecs both sides share. */
#ifndef HAMD_RECFILE_INTERNAL_H
#define HAMD_RECFILE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/recfile.h"

/* Big-endian u32 at p. */
static inline uint32_t recfile_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

/* Writes v big-endian at p. */
static inline void recfile_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Writes the preamble (HAMD_RECFILE_PREAMBLE_BYTES) at p. */
void recfile_preamble_put(uint8_t *p);

/* Checks a preamble of len bytes. Returns NULL when good, else what is
 * wrong, with *at the offset of the bad field. */
const char *recfile_preamble_check(const uint8_t *p, size_t len, int64_t *at,
                                   uint32_t *version);

/* Frames payload[0..len) in place: payload sits at frame + FRAME_BYTES;
 * fills the length and the CRC before it. */
void recfile_frame_seal(uint8_t *frame, size_t payload_len);

/* Parses a payload into rec (all but rec->offset). Returns NULL, or why
 * it is no record. */
const char *recfile_payload_parse(const uint8_t *p, size_t len,
                                  struct hamd_recfile_record *rec);

/* Encodes the header record's payload into buf. Returns its length, or 0
 * when it does not fit or hdr->info is not one map. */
size_t recfile_header_encode(const struct hamd_recfile_header *hdr,
                             uint8_t *buf, size_t cap);

/* Fills *hdr from a parsed header record. Returns NULL or what is wrong. */
const char *recfile_header_decode(const struct hamd_recfile_record *rec,
                                  struct hamd_recfile_header *hdr);

/* True when buf[0..len) is exactly one msgpack map. */
bool recfile_is_one_map(const void *buf, size_t len);

#endif /* HAMD_RECFILE_INTERNAL_H */
