/* Recording file writer: see recfile.h.
 *
 * Records are framed in a memory buffer and leave it with pwrite(2) at the
 * end of the last whole record, so the file only ever grows by whole
 * records plus, at worst, a prefix of one (a crash inside the write). A
 * failed write (disk full) is cut back off with ftruncate(2) and the
 * records stay buffered for the next flush. An exclusive flock(2) keeps a
 * second writer off the same file.
 */
#include "common/recfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/mpwrite.h"
#include "common/recfile_internal.h"

/* The buffer holds at least one largest record; ~500 ticks of 500 bytes
 * go out in one write when the caller lets them wait (flush_ms). */
#define RECFILE_WRITE_BUFFER_BYTES (4 * (HAMD_RECFILE_PAYLOAD_MAX + \
                                         HAMD_RECFILE_FRAME_BYTES))
#define RECFILE_FILE_MODE 0644 /* market data, not secrets */

struct hamd_recfile_writer {
    char *path;                     /* for error messages */
    int fd;                         /* the file, write-only, flock'ed */
    struct hamd_recfile_wopts opts; /* flush and sync policy */
    uint8_t *buf;                   /* framed records not written yet */
    size_t len;                     /* bytes used in buf */
    int64_t file_size;              /* bytes in the file: whole records */
    int64_t oldest_ns;              /* monotonic time the oldest buffered
                                       record was appended */
    int64_t synced_ns;              /* monotonic time of the last sync */
    uint64_t records;               /* records appended since open */
    int64_t cut_bytes;              /* torn tail cut off at open */
    char err[HAMD_RECFILE_ERR_MAX]; /* last error */
};

/* ------------------------------------------------------------------------
 * Writing and syncing
 * ------------------------------------------------------------------------ */

__attribute__((format(printf, 2, 3)))
static void fail(struct hamd_recfile_writer *self, const char *fmt, ...)
{
    char why[HAMD_RECFILE_ERR_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(self->err, sizeof self->err, "%.200s: %s", self->path, why);
}

/* fdatasync now. */
static int sync_now(struct hamd_recfile_writer *self)
{
    if (fdatasync(self->fd) != 0) {
        fail(self, "fdatasync: %s", strerror(errno));
        return -1;
    }
    self->synced_ns = hamd_mono_ns();
    return 0;
}

/* Writes the buffer after the last whole record. */
static int write_buffer(struct hamd_recfile_writer *self)
{
    size_t done = 0;
    while (done < self->len) {
        ssize_t n = pwrite(self->fd, self->buf + done, self->len - done,
                           self->file_size + (int64_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(self, "write at offset %lld: %s",
                 (long long)(self->file_size + (int64_t)done),
                 n < 0 ? strerror(errno) : "nothing written");
            /* Keep the file at whole records; the buffer keeps them all. */
            if (ftruncate(self->fd, self->file_size) != 0)
                fail(self, "write failed and cutting back to offset %lld "
                     "failed: %s", (long long)self->file_size, strerror(errno));
            return -1;
        }
        done += (size_t)n;
    }
    self->file_size += (int64_t)self->len;
    self->len = 0;
    return 0;
}

int hamd_recfile_writer_flush(struct hamd_recfile_writer *self)
{
    if (self->len > 0 && write_buffer(self) != 0)
        return -1;
    int64_t now = hamd_mono_ns();
    bool due = self->opts.sync == HAMD_RECFILE_SYNC_ALWAYS ||
               (self->opts.sync == HAMD_RECFILE_SYNC_INTERVAL &&
                now - self->synced_ns >= self->opts.sync_ms * HAMD_NS_PER_MS);
    return due ? sync_now(self) : 0;
}

int hamd_recfile_writer_sync(struct hamd_recfile_writer *self)
{
    if (self->len > 0 && write_buffer(self) != 0)
        return -1;
    return sync_now(self);
}

/* ------------------------------------------------------------------------
 * Appending records
 * ------------------------------------------------------------------------ */

/* Frames the payload packed in w (which writes at buf + len + FRAME) and
 * keeps it; writes the buffer out when the policy says so. */
static int commit(struct hamd_recfile_writer *self, struct hamd_mpw *w)
{
    size_t plen = hamd_mpw_finish(w);
    if (plen == 0) {
        fail(self, "record larger than %d bytes", HAMD_RECFILE_PAYLOAD_MAX);
        return -1;
    }
    recfile_frame_seal(self->buf + self->len, plen);
    if (self->len == 0)
        self->oldest_ns = hamd_mono_ns();
    self->len += HAMD_RECFILE_FRAME_BYTES + plen;
    self->records++;
    if (self->opts.flush_ms > 0 &&
        hamd_mono_ns() - self->oldest_ns < self->opts.flush_ms * HAMD_NS_PER_MS)
        return 0;
    /* The record is in the buffer either way: a failed write keeps it. */
    hamd_recfile_writer_flush(self);
    return 0;
}

/* Starts a payload packer after the buffered records, making room for a
 * largest record first. Returns 0, or -1 when the buffer cannot drain. */
static int begin(struct hamd_recfile_writer *self, struct hamd_mpw *w)
{
    size_t room = HAMD_RECFILE_FRAME_BYTES + HAMD_RECFILE_PAYLOAD_MAX;
    if (RECFILE_WRITE_BUFFER_BYTES - self->len < room &&
        write_buffer(self) != 0)
        return -1;
    hamd_mpw_init(w, self->buf + self->len + HAMD_RECFILE_FRAME_BYTES,
                  HAMD_RECFILE_PAYLOAD_MAX);
    return 0;
}

int hamd_recfile_writer_tick(struct hamd_recfile_writer *self,
                             const char *topic, size_t topic_len,
                             const void *body, size_t body_len,
                             int64_t recv_ns)
{
    if (!recfile_is_one_map(body, body_len)) {
        fail(self, "tick body on topic '%.*s' is not one msgpack map",
             (int)(topic_len < 48 ? topic_len : 48), topic);
        return -1;
    }
    struct hamd_mpw w;
    if (begin(self, &w) != 0)
        return -1;
    msgpack_pack_array(&w.pk, 4);
    hamd_mpw_str(&w, HAMD_RECFILE_KIND_TICK);
    msgpack_pack_int64(&w.pk, recv_ns);
    msgpack_pack_str(&w.pk, topic_len);
    msgpack_pack_str_body(&w.pk, topic, topic_len);
    hamd_mpw_raw(&w, body, body_len);
    return commit(self, &w);
}

int hamd_recfile_writer_record(struct hamd_recfile_writer *self,
                               const char *kind, int64_t ns, const void *map,
                               size_t map_len)
{
    if (strcmp(kind, HAMD_RECFILE_KIND_HEADER) == 0 || !*kind ||
        !recfile_is_one_map(map, map_len)) {
        fail(self, "record '%.32s': not a kind of its own or not one map",
             kind);
        return -1;
    }
    struct hamd_mpw w;
    if (begin(self, &w) != 0)
        return -1;
    msgpack_pack_array(&w.pk, 3);
    hamd_mpw_str(&w, kind);
    msgpack_pack_int64(&w.pk, ns);
    hamd_mpw_raw(&w, map, map_len);
    return commit(self, &w);
}

/* ------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------ */

/* A new file: preamble and header record in one write. */
static int start_new(struct hamd_recfile_writer *self,
                     const struct hamd_recfile_header *hdr)
{
    recfile_preamble_put(self->buf);
    uint8_t *frame = self->buf + HAMD_RECFILE_PREAMBLE_BYTES;
    size_t plen = hdr ? recfile_header_encode(
                            hdr, frame + HAMD_RECFILE_FRAME_BYTES,
                            HAMD_RECFILE_PAYLOAD_MAX) : 0;
    if (plen == 0) {
        fail(self, "bad header (its info must be one msgpack map)");
        return -1;
    }
    recfile_frame_seal(frame, plen);
    self->len = HAMD_RECFILE_PREAMBLE_BYTES + HAMD_RECFILE_FRAME_BYTES + plen;
    return write_buffer(self) == 0 && sync_now(self) == 0 ? 0 : -1;
}

/* An existing file: finds the end of its last whole record and cuts off a
 * torn one after it. */
static int continue_old(struct hamd_recfile_writer *self)
{
    char err[HAMD_RECFILE_ERR_MAX];
    struct hamd_recfile_reader *r = hamd_recfile_reader_open(self->path, err,
                                                             sizeof err);
    if (!r) {
        snprintf(self->err, sizeof self->err, "cannot append: %.480s", err);
        return -1;
    }
    struct hamd_recfile_record rec;
    enum hamd_recfile_rc rc;
    while ((rc = hamd_recfile_reader_next(r, &rec)) == HAMD_RECFILE_OK)
        ;
    if (rc == HAMD_RECFILE_ERR)
        snprintf(self->err, sizeof self->err, "cannot append: %.480s",
                 hamd_recfile_reader_error(r));
    self->file_size = hamd_recfile_reader_offset(r);
    self->cut_bytes = hamd_recfile_reader_pending(r);
    hamd_recfile_reader_destroy(&r);
    if (rc == HAMD_RECFILE_ERR)
        return -1;
    if (self->cut_bytes > 0 && ftruncate(self->fd, self->file_size) != 0) {
        fail(self, "cutting a torn record at offset %lld: %s",
             (long long)self->file_size, strerror(errno));
        return -1;
    }
    return 0;
}

/* Opens the file: a new one, or with opts->append an existing one. */
static int open_file(struct hamd_recfile_writer *self,
                     const struct hamd_recfile_header *hdr)
{
    int flags = O_WRONLY | O_CLOEXEC | O_CREAT;
    self->fd = open(self->path, flags | O_EXCL, RECFILE_FILE_MODE);
    bool created = self->fd >= 0;
    if (!created && errno == EEXIST && self->opts.append)
        self->fd = open(self->path, O_WRONLY | O_CLOEXEC);
    if (self->fd < 0) {
        fail(self, "cannot create: %s%s", strerror(errno),
             errno == EEXIST ? " (append to continue it)" : "");
        return -1;
    }
    if (flock(self->fd, LOCK_EX | LOCK_NB) != 0) {
        fail(self, "another writer has it open (%s)", strerror(errno));
        return -1;
    }
    /* An empty file was created and its first write lost (a crash between
     * the two, a power loss before the data reached the disk, a `touch`):
     * nothing to continue, so it is started, not refused for ever. */
    struct stat st;
    bool empty = !created && fstat(self->fd, &st) == 0 && st.st_size == 0;
    if (!created && !empty)
        return continue_old(self);
    if (start_new(self, hdr) == 0)
        return 0;
    unlink(self->path); /* no half-made recording to trip over later */
    return -1;
}

struct hamd_recfile_writer *
hamd_recfile_writer_open(const char *path, const struct hamd_recfile_header *hdr,
                         const struct hamd_recfile_wopts *opts, char *err,
                         size_t errcap)
{
    struct hamd_recfile_writer *self = calloc(1, sizeof *self);
    if (self)
        self->fd = -1;
    if (!self || !(self->path = strdup(path)) ||
        !(self->buf = malloc(RECFILE_WRITE_BUFFER_BYTES))) {
        snprintf(err, errcap, "%s: out of memory", path);
    } else {
        if (opts)
            self->opts = *opts;
        if (open_file(self, hdr) == 0)
            return self;
        snprintf(err, errcap, "%s", self->err);
    }
    if (self) {
        self->len = 0; /* nothing of a failed open is to be written */
        hamd_recfile_writer_close(&self, NULL, 0);
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Accessors and close
 * ------------------------------------------------------------------------ */

uint64_t hamd_recfile_writer_records(const struct hamd_recfile_writer *self)
{
    return self->records;
}

int64_t hamd_recfile_writer_size(const struct hamd_recfile_writer *self)
{
    return self->file_size + (int64_t)self->len;
}

int64_t hamd_recfile_writer_cut_bytes(const struct hamd_recfile_writer *self)
{
    return self->cut_bytes;
}

const char *hamd_recfile_writer_error(const struct hamd_recfile_writer *self)
{
    return self->err;
}

int hamd_recfile_writer_close(struct hamd_recfile_writer **self_p, char *err,
                              size_t errcap)
{
    if (!self_p || !*self_p)
        return 0;
    struct hamd_recfile_writer *self = *self_p;
    int rc = 0;
    if (self->fd >= 0 && self->len > 0)
        rc = hamd_recfile_writer_sync(self);
    else if (self->fd >= 0 && self->records > 0)
        rc = sync_now(self);
    if (rc != 0 && err)
        snprintf(err, errcap, "%s", self->err);
    if (self->fd >= 0)
        close(self->fd);
    free(self->buf);
    free(self->path);
    free(self);
    *self_p = NULL;
    return rc;
}
