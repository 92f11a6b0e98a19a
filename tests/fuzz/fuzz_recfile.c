/* Fuzz target: recording files as hamd-gw-replay reads them
 * (src/common/recfile_read.c, recfile.c; docs/recording.md).
 *
 * Input: the file's pieces, separated by FUZZ_SEP, each led by a mode
 * byte (mod 4): 0 a record framed with its length and CRC-32 around the
 * payload that follows, 1 raw bytes, 2 a framed record whose CRC is wrong,
 * 3 a framed record cut in the middle (torn). The file starts with a good
 * preamble unless its first piece is raw, which then starts it. The CRC
 * is the target's to compute, so the fuzzer reaches the payload decoder.
 *
 * Checks: every record read lies inside its frame in the file, at the
 * offset the frames say, its kind, topic and body where the payload has
 * them; at the end the pending bytes are exactly what is left of the file,
 * and asking again answers the same; an error says why. A file read to
 * its end is written again by the writer (header and every tick and map
 * record) and reads back the same. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/recfile.h"
#include "common/recfile_internal.h"
#include "fuzz.h"

#define REC_MODES 4           /* mode byte values, mod */
#define REC_MODE_FRAME 0      /* a good record */
#define REC_MODE_RAW 1        /* bytes as they are */
#define REC_MODE_BAD_CRC 2    /* a record whose CRC is wrong */
#define REC_FILE_MAX (1u << 20) /* bytes of the file built, at most */
#define REC_RECORDS_MAX 4096  /* records compared in the round trip */

static uint8_t file[REC_FILE_MAX]; /* the file built from the input */
static size_t file_len;            /* its bytes */

static void put(const void *p, size_t n)
{
    FUZZ_CHECK(file_len + n <= REC_FILE_MAX);
    memcpy(file + file_len, p, n);
    file_len += n;
}

static void put_u32(uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    put(b, sizeof b);
}

/* Appends one piece of the input to the file. */
static void rec_piece(const uint8_t *p, size_t len)
{
    unsigned mode = len > 0 ? p[0] % REC_MODES : REC_MODE_RAW;
    p += len > 0;
    len -= len > 0;
    if (mode == REC_MODE_RAW) {
        put(p, len);
        return;
    }
    uint32_t crc = hamd_recfile_crc32(p, len);
    put_u32((uint32_t)len);
    put_u32(mode == REC_MODE_BAD_CRC ? crc ^ 1u : crc);
    put(p, mode == REC_MODE_FRAME || mode == REC_MODE_BAD_CRC ? len : len / 2);
}

/* Builds the file from the input. */
static void rec_build(const uint8_t *data, size_t size)
{
    struct fuzz_parts it;
    const uint8_t *p;
    size_t len;
    file_len = 0;
    if (size == 0 || data[0] % REC_MODES != REC_MODE_RAW) {
        put(HAMD_RECFILE_MAGIC, HAMD_RECFILE_MAGIC_BYTES);
        put_u32(HAMD_RECFILE_VERSION);
        put_u32(0);
    }
    fuzz_parts_init(&it, data, size, FUZZ_SEP, FUZZ_SEP_LEN);
    while (fuzz_parts_next(&it, &p, &len))
        rec_piece(p, len);
}

/* rec lies where its frame at rec->offset in f says. */
static void rec_check(const uint8_t *f, size_t flen,
                      const struct hamd_recfile_record *rec)
{
    FUZZ_CHECK(rec->offset >= HAMD_RECFILE_PREAMBLE_BYTES &&
               (size_t)rec->offset + HAMD_RECFILE_FRAME_BYTES <= flen);
    const uint8_t *frame = f + rec->offset;
    size_t len = (size_t)frame[0] << 24 | (size_t)frame[1] << 16 |
                 (size_t)frame[2] << 8 | frame[3];
    FUZZ_CHECK(len >= 1 && len <= HAMD_RECFILE_PAYLOAD_MAX &&
               rec->offset + HAMD_RECFILE_FRAME_BYTES + len <= flen);
    const uint8_t *payload = frame + HAMD_RECFILE_FRAME_BYTES;
    FUZZ_CHECK(rec->body_len < len &&
               memcmp(rec->body, payload + len - rec->body_len,
                      rec->body_len) == 0);
    FUZZ_CHECK(rec->kind_len < len &&
               memmem(payload, len, rec->kind_name, rec->kind_len) != NULL);
    FUZZ_CHECK((rec->topic != NULL) == (rec->kind == HAMD_RECFILE_TICK));
    if (rec->topic != NULL) {
        size_t end = len - rec->body_len;
        FUZZ_CHECK(rec->topic_len < end &&
                   memcmp(rec->topic, payload + end - rec->topic_len,
                          rec->topic_len) == 0);
    }
    bool tick = rec->kind_len == 4 && memcmp(rec->kind_name, "tick", 4) == 0;
    bool header = rec->kind_len == 6 &&
                  memcmp(rec->kind_name, "header", 6) == 0;
    FUZZ_CHECK(tick == (rec->kind == HAMD_RECFILE_TICK) &&
               header == (rec->kind == HAMD_RECFILE_HEADER));
}

/* What one record was, kept for the round trip. */
struct rec_kept {
    enum hamd_recfile_kind kind; /* its kind */
    int64_t ns;                  /* its time */
    char *kind_name;             /* kind, NUL-terminated (malloc'd) */
    char *topic;                 /* tick: topic (malloc'd, NUL added) */
    size_t topic_len;            /* its bytes */
    uint8_t *body;               /* body (malloc'd) */
    size_t body_len;             /* its bytes */
};

static struct rec_kept kept[REC_RECORDS_MAX];
static size_t n_kept;

/* True when rec goes through the writer: a tick, or another kind named
 * without NUL whose body is one map. */
static bool rec_writable(const struct hamd_recfile_record *rec)
{
    if (rec->kind == HAMD_RECFILE_TICK)
        return true;
    return rec->kind == HAMD_RECFILE_OTHER && rec->kind_len > 0 &&
           memchr(rec->kind_name, '\0', rec->kind_len) == NULL &&
           recfile_is_one_map(rec->body, rec->body_len);
}

static void rec_keep(const struct hamd_recfile_record *rec)
{
    if (n_kept == REC_RECORDS_MAX || !rec_writable(rec))
        return;
    struct rec_kept *k = &kept[n_kept++];
    k->kind = rec->kind;
    k->ns = rec->ns;
    k->kind_name = fuzz_strndup((const uint8_t *)rec->kind_name, rec->kind_len);
    k->topic = rec->topic ? fuzz_strndup((const uint8_t *)rec->topic,
                                         rec->topic_len)
                          : NULL;
    k->topic_len = rec->topic_len;
    k->body = (uint8_t *)fuzz_strndup(rec->body, rec->body_len);
    k->body_len = rec->body_len;
}

static void rec_forget(void)
{
    for (size_t i = 0; i < n_kept; i++) {
        free(kept[i].kind_name);
        free(kept[i].topic);
        free(kept[i].body);
    }
    n_kept = 0;
}

/* Reads every record of the reader, checking each against f; returns the
 * last answer. keep: remember them for the round trip. */
static enum hamd_recfile_rc rec_read_all(struct hamd_recfile_reader *rd,
                                         const uint8_t *f, size_t flen,
                                         bool keep)
{
    struct hamd_recfile_record rec;
    enum hamd_recfile_rc rc;
    int64_t at = hamd_recfile_reader_offset(rd);
    while ((rc = hamd_recfile_reader_next(rd, &rec)) == HAMD_RECFILE_OK) {
        FUZZ_CHECK(rec.offset == at);
        rec_check(f, flen, &rec);
        at = hamd_recfile_reader_offset(rd);
        FUZZ_CHECK(at > rec.offset && (size_t)at <= flen);
        if (keep)
            rec_keep(&rec);
    }
    if (rc == HAMD_RECFILE_END) {
        int64_t pending = hamd_recfile_reader_pending(rd);
        FUZZ_CHECK(at == hamd_recfile_reader_offset(rd) &&
                   (size_t)(at + pending) == flen);
        FUZZ_CHECK(hamd_recfile_reader_next(rd, &rec) == HAMD_RECFILE_END &&
                   hamd_recfile_reader_pending(rd) == pending);
    } else {
        FUZZ_CHECK(rc == HAMD_RECFILE_ERR &&
                   hamd_recfile_reader_error(rd)[0] != '\0');
    }
    return rc;
}

/* Writes the header and kept records with the writer at path. */
static void rec_rewrite(const char *path, const struct hamd_recfile_header *h)
{
    char err[HAMD_RECFILE_ERR_MAX];
    struct hamd_recfile_wopts opts = {0};
    unlink(path);
    struct hamd_recfile_writer *w =
        hamd_recfile_writer_open(path, h, &opts, err, sizeof err);
    FUZZ_CHECK(w != NULL);
    for (size_t i = 0; i < n_kept; i++) {
        const struct rec_kept *k = &kept[i];
        int rc = k->kind == HAMD_RECFILE_TICK
                     ? hamd_recfile_writer_tick(w, k->topic, k->topic_len,
                                                k->body, k->body_len, k->ns)
                     : hamd_recfile_writer_record(w, k->kind_name, k->ns,
                                                  k->body, k->body_len);
        FUZZ_CHECK(rc == 0);
    }
    FUZZ_CHECK(hamd_recfile_writer_close(&w, err, sizeof err) == 0);
}

static bool rec_header_same(const struct hamd_recfile_header *a,
                            const struct hamd_recfile_header *b)
{
    return a->start_ns == b->start_ns && strcmp(a->producer, b->producer) == 0 &&
           strcmp(a->host, b->host) == 0 && a->pid == b->pid &&
           a->info_len == b->info_len &&
           memcmp(a->info, b->info, a->info_len) == 0;
}

/* The rewritten file reads back as the header and kept records. */
static void rec_reread(const char *path, const struct hamd_recfile_header *h)
{
    char err[HAMD_RECFILE_ERR_MAX];
    struct hamd_recfile_reader *rd = hamd_recfile_reader_open(path, err,
                                                              sizeof err);
    FUZZ_CHECK(rd != NULL);
    FUZZ_CHECK(rec_header_same(h, hamd_recfile_reader_header(rd)));
    struct hamd_recfile_record rec;
    for (size_t i = 0; i < n_kept; i++) {
        const struct rec_kept *k = &kept[i];
        FUZZ_CHECK(hamd_recfile_reader_next(rd, &rec) == HAMD_RECFILE_OK);
        FUZZ_CHECK(rec.kind == k->kind && rec.ns == k->ns &&
                   rec.kind_len == strlen(k->kind_name) &&
                   memcmp(rec.kind_name, k->kind_name, rec.kind_len) == 0 &&
                   rec.topic_len == k->topic_len &&
                   (k->topic == NULL ||
                    memcmp(rec.topic, k->topic, k->topic_len) == 0) &&
                   rec.body_len == k->body_len &&
                   memcmp(rec.body, k->body, k->body_len) == 0);
    }
    FUZZ_CHECK(hamd_recfile_reader_next(rd, &rec) == HAMD_RECFILE_END &&
               hamd_recfile_reader_pending(rd) == 0);
    hamd_recfile_reader_destroy(&rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char in_path[FUZZ_PATH_MAX], out_path[FUZZ_PATH_MAX];
    rec_build(data, size);
    snprintf(in_path, sizeof in_path, "%s",
             fuzz_scratch_file("in.hamdrec", file, file_len));
    if (out_path[0] == '\0')
        snprintf(out_path, sizeof out_path, "%s/out.hamdrec",
                 fuzz_scratch_dir());
    char err[HAMD_RECFILE_ERR_MAX];
    err[0] = '\0';
    struct hamd_recfile_reader *rd = hamd_recfile_reader_open(in_path, err,
                                                              sizeof err);
    if (rd == NULL) {
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    static struct hamd_recfile_header h;
    h = *hamd_recfile_reader_header(rd);
    FUZZ_CHECK(h.info_len <= HAMD_RECFILE_INFO_MAX &&
               memchr(h.producer, '\0', sizeof h.producer) != NULL &&
               memchr(h.host, '\0', sizeof h.host) != NULL);
    enum hamd_recfile_rc rc = rec_read_all(rd, file, file_len, true);
    hamd_recfile_reader_destroy(&rd);
    FUZZ_CHECK(rd == NULL);
    if (rc == HAMD_RECFILE_END) {
        rec_rewrite(out_path, &h);
        rec_reread(out_path, &h);
    }
    rec_forget();
    return 0;
}
