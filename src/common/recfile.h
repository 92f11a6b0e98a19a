/* Recording files (docs/recording.md): the published tick stream on disk,
 * written by `hactl record`, read by `hamd-gw-replay` and by anyone with a
 * msgpack library.
 *
 *   file     = preamble record...
 *   preamble = "HAMDREC\0" (8 bytes), version (u32 BE, 1), flags (u32 BE, 0)
 *   record   = length (u32 BE, 1..HAMD_RECFILE_PAYLOAD_MAX)
 *              crc    (u32 BE, CRC-32 of the payload, as zlib.crc32)
 *              payload (length bytes: one msgpack array, nothing after it)
 *   payload  = ["header", start_ns, {producer, host, pid, info}]  first, once
 *              ["tick", recv_ns, topic, body]   body: the map as published
 *              [kind, ns, ...]                  any other kind: skipped
 *
 * Why this framing: a record is written with one write(2) and appended
 * only, so a reader sees either a whole record or a prefix of the last
 * one; the length says where a record ends, and the CRC tells a record
 * torn by a power loss (the file's last block may hold zeros or old
 * bytes) from a good one. A torn record is only ever the last one: a bad
 * record followed by good ones is corruption, reported with its offset.
 *
 * The writer is driven from a tick callback: one hamd_recfile_writer_tick
 * per published message, with its topic and raw body, no decoding. The
 * reader iterates and sees the file grow: at the end it answers
 * HAMD_RECFILE_END and the next call looks again.
 */
#ifndef HAMD_RECFILE_H
#define HAMD_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAMD_RECFILE_MAGIC "HAMDREC"        /* + NUL: the first 8 bytes */
#define HAMD_RECFILE_MAGIC_BYTES 8          /* magic incl. its NUL */
#define HAMD_RECFILE_VERSION 1              /* written and read here */
#define HAMD_RECFILE_PREAMBLE_BYTES 16      /* magic + version + flags */
#define HAMD_RECFILE_FRAME_BYTES 8          /* length + crc before a payload */
#define HAMD_RECFILE_PAYLOAD_MAX 65536      /* bytes of one payload: a tick
                                               body is at most 2 KiB */
#define HAMD_RECFILE_TEXT_MAX 64            /* producer / host incl. NUL */
#define HAMD_RECFILE_INFO_MAX 4096          /* bytes of the header's info map */
#define HAMD_RECFILE_ERR_MAX 512            /* size of an error buffer */

#define HAMD_RECFILE_KIND_HEADER "header"
#define HAMD_RECFILE_KIND_TICK "tick"

/* The header record: who wrote the file and when. */
struct hamd_recfile_header {
    int64_t start_ns;                      /* recording began, epoch ns UTC */
    char producer[HAMD_RECFILE_TEXT_MAX];  /* e.g. "hactl record 0.1.0" */
    char host[HAMD_RECFILE_TEXT_MAX];      /* host name of the writer */
    int64_t pid;                           /* writer's process id */
    size_t info_len;                       /* bytes in info, 0 = none */
    uint8_t info[HAMD_RECFILE_INFO_MAX];   /* a msgpack map of the caller's
                                              (prefixes, endpoints...) */
};

/* Kind of a record, from its first element. */
enum hamd_recfile_kind {
    HAMD_RECFILE_HEADER = 0, /* the header record */
    HAMD_RECFILE_TICK,       /* a published tick */
    HAMD_RECFILE_OTHER,      /* another kind (readers skip it) */
};

/* One record as the reader returns it. Pointers point into the reader's
 * buffer and stay valid until its next call. */
struct hamd_recfile_record {
    int64_t offset;                  /* file offset of its frame */
    enum hamd_recfile_kind kind;     /* what it is */
    const char *kind_name;           /* its kind string (not NUL-terminated) */
    size_t kind_len;                 /* bytes of kind_name */
    int64_t ns;                      /* tick: receive time; header: start */
    const char *topic;               /* tick: the topic (vt_symbol), else NULL */
    size_t topic_len;                /* bytes of topic */
    const uint8_t *body;             /* tick: the published msgpack map;
                                        other: the elements after ns */
    size_t body_len;                 /* bytes of body */
};

/* Answer of hamd_recfile_reader_next. */
enum hamd_recfile_rc {
    HAMD_RECFILE_ERR = -1, /* corrupt: hamd_recfile_reader_error says where */
    HAMD_RECFILE_OK = 0,   /* *rec holds the next record */
    HAMD_RECFILE_END = 1,  /* no complete record yet: the end, or a record
                              still being written / torn (see _pending) */
};

/* When the writer makes data durable (fdatasync). */
enum hamd_recfile_sync {
    HAMD_RECFILE_SYNC_NONE = 0, /* the kernel decides (a crash of the writer
                                   loses nothing, a power loss may) */
    HAMD_RECFILE_SYNC_INTERVAL, /* at most every sync_ms, at a flush */
    HAMD_RECFILE_SYNC_ALWAYS,   /* at every flush */
};

/* How a writer opens and flushes. Zero-initialised: create a new file,
 * write every record at once, never fdatasync. */
struct hamd_recfile_wopts {
    bool append;                 /* continue an existing recording (its own
                                    header is kept, a torn last record is
                                    cut off); false: the file must not exist */
    int64_t flush_ms;            /* records wait in memory at most this long
                                    before write(2); 0 = written at once.
                                    Checked at each append: an idle caller
                                    calls hamd_recfile_writer_flush */
    enum hamd_recfile_sync sync; /* durability policy */
    int64_t sync_ms;             /* SYNC_INTERVAL: the interval */
};

struct hamd_recfile_writer;
struct hamd_recfile_reader;

/* ------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

/* Opens path for recording and writes the preamble and header record (a
 * new file), or checks and continues an existing one (opts->append). NULL
 * with a message naming the file (and the offset of any damage) in err. */
struct hamd_recfile_writer *
hamd_recfile_writer_open(const char *path, const struct hamd_recfile_header *hdr,
                         const struct hamd_recfile_wopts *opts, char *err,
                         size_t errcap);

/* Appends one published message: its topic and its raw msgpack body (one
 * map), as received, and when it was received (epoch ns). Returns 0 when
 * the record is taken (written, or buffered: a write that failed keeps it
 * for the next flush, whose -1 reports the failure), or -1 when it is not
 * (the body is not one map, or the buffer is full and cannot be written:
 * hamd_recfile_writer_error says why). */
int hamd_recfile_writer_tick(struct hamd_recfile_writer *self,
                             const char *topic, size_t topic_len,
                             const void *body, size_t body_len,
                             int64_t recv_ns);

/* Appends a record of another kind: [kind, ns, map] with map one msgpack
 * map (e.g. a recorder's gap report). Returns 0 or -1 like _tick. */
int hamd_recfile_writer_record(struct hamd_recfile_writer *self,
                               const char *kind, int64_t ns, const void *map,
                               size_t map_len);

/* Writes the buffered records, then syncs if the policy says so. Returns
 * 0, or -1: the file is cut back to its last whole record and the records
 * stay buffered, so a later flush may still write them. */
int hamd_recfile_writer_flush(struct hamd_recfile_writer *self);

/* Flushes and fdatasyncs now, whatever the policy. Returns 0 or -1. */
int hamd_recfile_writer_sync(struct hamd_recfile_writer *self);

/* Records appended since open (the header not counted). */
uint64_t hamd_recfile_writer_records(const struct hamd_recfile_writer *self);

/* Size of the file once the buffer is written, in bytes. */
int64_t hamd_recfile_writer_size(const struct hamd_recfile_writer *self);

/* Bytes of a torn last record that opening for append cut off (0: none). */
int64_t hamd_recfile_writer_cut_bytes(const struct hamd_recfile_writer *self);

/* The last error, naming the file, or "". */
const char *hamd_recfile_writer_error(const struct hamd_recfile_writer *self);

/* Flushes, fdatasyncs, closes and frees; sets *self_p to NULL. Returns 0,
 * or -1 with the reason in err (the file then ends at a whole record). */
int hamd_recfile_writer_close(struct hamd_recfile_writer **self_p, char *err,
                              size_t errcap);

/* ------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

/* Opens a recording: checks the magic, the version and the header record.
 * NULL with a message naming the file and the offset in err: not a
 * recording, another version, truncated before its header ends. */
struct hamd_recfile_reader *hamd_recfile_reader_open(const char *path,
                                                     char *err, size_t errcap);

/* The header record. */
const struct hamd_recfile_header *
hamd_recfile_reader_header(const struct hamd_recfile_reader *self);

/* Reads the next record into *rec. HAMD_RECFILE_END when no complete one
 * follows: call again later to see the file grow. A torn last record is
 * not returned (see _pending). HAMD_RECFILE_ERR when the bytes at the
 * offset are no record and good records follow, or a read fails. */
enum hamd_recfile_rc hamd_recfile_reader_next(struct hamd_recfile_reader *self,
                                              struct hamd_recfile_record *rec);

/* Offset of the next record. */
int64_t hamd_recfile_reader_offset(const struct hamd_recfile_reader *self);

/* After HAMD_RECFILE_END: the bytes after the offset that are not a whole
 * record: a record being written, or, in a file no one writes any more, a
 * torn one to skip. 0: the file ends at a record boundary. */
int64_t hamd_recfile_reader_pending(const struct hamd_recfile_reader *self);

/* Continues reading at offset (one that _offset or a record's offset
 * gave). Returns 0, or -1 when it lies outside the records. */
int hamd_recfile_reader_seek(struct hamd_recfile_reader *self, int64_t offset);

/* The last error, naming the file and the offset, or "". */
const char *hamd_recfile_reader_error(const struct hamd_recfile_reader *self);

/* Closes and frees; sets *self_p to NULL. */
void hamd_recfile_reader_destroy(struct hamd_recfile_reader **self_p);

/* ------------------------------------------------------------------------
 * Shared by both sides
 * ------------------------------------------------------------------------ */

/* CRC-32 (IEEE 802.3, reflected, as zlib.crc32 and Python's) of buf. */
uint32_t hamd_recfile_crc32(const void *buf, size_t len);

#endif /* HAMD_RECFILE_H */
