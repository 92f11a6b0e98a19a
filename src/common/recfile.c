/* Recording files: the codecs the reader and the writer share (see
 * recfile.h and docs/recording.md). */
#include "common/recfile.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/mpread.h"
#include "common/mpwrite.h"
#include "common/recfile_internal.h"

/* ------------------------------------------------------------------------
 * CRC-32
 * ------------------------------------------------------------------------ */

#define CRC32_POLY_REFLECTED 0xEDB88320u /* IEEE 802.3, bit-reversed */
/* Slicing by 8: eight tables, eight bytes per step. The CRC was half of a
 * replay's start-up scan byte by byte (~1.2 us of a 830-byte tick). */
#define CRC32_SLICES 8

static uint32_t g_crc_table[CRC32_SLICES][256];
static pthread_once_t g_crc_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? CRC32_POLY_REFLECTED ^ (c >> 1) : c >> 1;
        g_crc_table[0][i] = c;
    }
    for (int s = 1; s < CRC32_SLICES; s++)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t prev = g_crc_table[s - 1][i];
            g_crc_table[s][i] = (prev >> 8) ^ g_crc_table[0][prev & 0xFF];
        }
}

/* Little-endian u32 at p, whatever the host's byte order. */
static inline uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

uint32_t hamd_recfile_crc32(const void *buf, size_t len)
{
    pthread_once(&g_crc_once, crc_table_init);
    const uint32_t(*t)[256] = (const uint32_t(*)[256])g_crc_table;
    const uint8_t *p = buf;
    uint32_t c = 0xFFFFFFFFu;
    for (; len >= 8; len -= 8, p += 8) {
        uint32_t lo = get_le32(p) ^ c, hi = get_le32(p + 4);
        c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^
            t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
            t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^
            t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    }
    for (; len > 0; len--, p++)
        c = t[0][(c ^ *p) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ------------------------------------------------------------------------
 * Preamble and frame
 * ------------------------------------------------------------------------ */

void recfile_preamble_put(uint8_t *p)
{
    memcpy(p, HAMD_RECFILE_MAGIC, HAMD_RECFILE_MAGIC_BYTES); /* NUL incl. */
    recfile_put_u32(p + HAMD_RECFILE_MAGIC_BYTES, HAMD_RECFILE_VERSION);
    recfile_put_u32(p + HAMD_RECFILE_MAGIC_BYTES + 4, 0);
}

const char *recfile_preamble_check(const uint8_t *p, size_t len, int64_t *at,
                                   uint32_t *version)
{
    size_t magic = len < HAMD_RECFILE_MAGIC_BYTES ? len : HAMD_RECFILE_MAGIC_BYTES;
    *at = 0;
    if (memcmp(p, HAMD_RECFILE_MAGIC, magic) != 0)
        return "not a hamd recording (no HAMDREC magic)";
    if (len < HAMD_RECFILE_PREAMBLE_BYTES) {
        *at = (int64_t)len;
        return "truncated: the file ends inside its 16-byte preamble";
    }
    *version = recfile_get_u32(p + HAMD_RECFILE_MAGIC_BYTES);
    *at = HAMD_RECFILE_MAGIC_BYTES;
    if (*version != HAMD_RECFILE_VERSION)
        return "unsupported recording version";
    *at = HAMD_RECFILE_MAGIC_BYTES + 4;
    if (recfile_get_u32(p + HAMD_RECFILE_MAGIC_BYTES + 4) != 0)
        return "unknown flags in the preamble";
    return NULL;
}

void recfile_frame_seal(uint8_t *frame, size_t payload_len)
{
    const uint8_t *payload = frame + HAMD_RECFILE_FRAME_BYTES;
    recfile_put_u32(frame, (uint32_t)payload_len);
    recfile_put_u32(frame + 4, hamd_recfile_crc32(payload, payload_len));
}

bool recfile_is_one_map(const void *buf, size_t len)
{
    struct hamd_mpr r, peek;
    struct hamd_mpr_val v;
    hamd_mpr_init(&r, buf, len);
    peek = r;
    return hamd_mpr_read(&peek, &v) && v.kind == HAMD_MPR_MAP &&
           hamd_mpr_skip(&r) && hamd_mpr_done(&r);
}

/* ------------------------------------------------------------------------
 * Payloads
 * ------------------------------------------------------------------------ */

/* Reads a string value. */
static bool read_str(struct hamd_mpr *r, const char **ptr, size_t *len)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_STR)
        return false;
    *ptr = v.v.s.ptr;
    *len = v.v.s.len;
    return true;
}

/* Skips n values; true when they end exactly at the end of the bytes. */
static bool skip_to_end(struct hamd_mpr *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!hamd_mpr_skip(r))
            return false;
    return hamd_mpr_done(r);
}

/* Classifies the kind string. */
static enum hamd_recfile_kind kind_of(const char *s, size_t len)
{
    if (len == strlen(HAMD_RECFILE_KIND_TICK) &&
        memcmp(s, HAMD_RECFILE_KIND_TICK, len) == 0)
        return HAMD_RECFILE_TICK;
    if (len == strlen(HAMD_RECFILE_KIND_HEADER) &&
        memcmp(s, HAMD_RECFILE_KIND_HEADER, len) == 0)
        return HAMD_RECFILE_HEADER;
    return HAMD_RECFILE_OTHER;
}

const char *recfile_payload_parse(const uint8_t *p, size_t len,
                                  struct hamd_recfile_record *rec)
{
    struct hamd_mpr r;
    struct hamd_mpr_val v;
    hamd_mpr_init(&r, p, len);
    if (!hamd_mpr_read(&r, &v) || v.kind != HAMD_MPR_ARRAY || v.v.n < 2 ||
        !read_str(&r, &rec->kind_name, &rec->kind_len) ||
        !hamd_mpr_read_i64(&r, &rec->ns))
        return "payload is not a msgpack array [kind, ns, ...]";
    uint32_t rest = v.v.n - 2;
    rec->kind = kind_of(rec->kind_name, rec->kind_len);
    rec->topic = NULL;
    rec->topic_len = 0;
    if (rec->kind == HAMD_RECFILE_TICK &&
        (rest != 2 || !read_str(&r, &rec->topic, &rec->topic_len)))
        return "tick record is not [\"tick\", ns, topic, body]";
    if (rec->kind == HAMD_RECFILE_HEADER && rest != 1)
        return "header record is not [\"header\", start_ns, map]";
    rec->body = r.p;
    rec->body_len = (size_t)(r.end - r.p);
    if (rec->kind != HAMD_RECFILE_OTHER)
        return recfile_is_one_map(rec->body, rec->body_len)
                   ? NULL : "record body is not one msgpack map";
    return skip_to_end(&r, rest) ? NULL : "payload has bytes after its array";
}

/* ------------------------------------------------------------------------
 * The header record
 * ------------------------------------------------------------------------ */

size_t recfile_header_encode(const struct hamd_recfile_header *hdr,
                             uint8_t *buf, size_t cap)
{
    if (hdr->info_len > 0 && !recfile_is_one_map(hdr->info, hdr->info_len))
        return 0;
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_array(&w.pk, 3);
    hamd_mpw_str(&w, HAMD_RECFILE_KIND_HEADER);
    msgpack_pack_int64(&w.pk, hdr->start_ns);
    msgpack_pack_map(&w.pk, hdr->info_len > 0 ? 4 : 3);
    hamd_mpw_str(&w, "producer");
    hamd_mpw_str(&w, hdr->producer);
    hamd_mpw_str(&w, "host");
    hamd_mpw_str(&w, hdr->host);
    hamd_mpw_str(&w, "pid");
    msgpack_pack_int64(&w.pk, hdr->pid);
    if (hdr->info_len > 0) {
        hamd_mpw_str(&w, "info");
        hamd_mpw_raw(&w, hdr->info, hdr->info_len);
    }
    return hamd_mpw_finish(&w);
}

/* Copies a string value into a char array, cut to fit. */
static void copy_text(char *dst, size_t cap, const struct hamd_mpr_val *v)
{
    size_t n = v->v.s.len < cap - 1 ? v->v.s.len : cap - 1;
    memcpy(dst, v->v.s.ptr, n);
    dst[n] = '\0';
}

/* Reads one key of the header map into hdr; unknown keys are skipped. */
static bool header_field(struct hamd_mpr *r, struct hamd_recfile_header *hdr)
{
    const char *key;
    size_t key_len;
    if (!read_str(r, &key, &key_len))
        return false;
    const uint8_t *start = r->p;
    struct hamd_mpr peek = *r;
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(&peek, &v) || !hamd_mpr_skip(r))
        return false;
    size_t raw_len = (size_t)(r->p - start);
    if (key_len == 8 && memcmp(key, "producer", 8) == 0 && v.kind == HAMD_MPR_STR)
        copy_text(hdr->producer, sizeof hdr->producer, &v);
    else if (key_len == 4 && memcmp(key, "host", 4) == 0 && v.kind == HAMD_MPR_STR)
        copy_text(hdr->host, sizeof hdr->host, &v);
    else if (key_len == 3 && memcmp(key, "pid", 3) == 0)
        hamd_mpr_val_i64(&v, &hdr->pid);
    else if (key_len == 4 && memcmp(key, "info", 4) == 0 &&
             v.kind == HAMD_MPR_MAP && raw_len <= sizeof hdr->info) {
        memcpy(hdr->info, start, raw_len);
        hdr->info_len = raw_len;
    }
    return true;
}

const char *recfile_header_decode(const struct hamd_recfile_record *rec,
                                  struct hamd_recfile_header *hdr)
{
    memset(hdr, 0, sizeof *hdr);
    if (rec->kind != HAMD_RECFILE_HEADER)
        return "the first record is not the header record";
    hdr->start_ns = rec->ns;
    struct hamd_mpr r;
    struct hamd_mpr_val v;
    hamd_mpr_init(&r, rec->body, rec->body_len);
    if (!hamd_mpr_read(&r, &v) || v.kind != HAMD_MPR_MAP)
        return "header record has no map";
    for (uint32_t i = 0; i < v.v.n; i++)
        if (!header_field(&r, hdr))
            return "header map has a key that is not a string";
    return NULL;
}
