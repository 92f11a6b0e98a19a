/* Recording file reader: see recfile.h.
 *
 * The reader keeps a window of the file in memory and reads it with
 * pread(2) from the next record's offset whenever the record it needs is
 * not wholly inside the window, so a file that grows is seen at the next
 * call. A record that does not check out is judged by what follows it: a
 * power loss leaves zeros (or nothing) after the last good record, so a
 * bad record with only zeros after it is a torn end, and one with data
 * after it is corruption.
 */
#include "common/recfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/recfile_internal.h"

/* The window: a whole largest record and then some, so that small records
 * are read with one pread per ~4000 of them. */
#define RECFILE_READ_WINDOW_BYTES (4 * (HAMD_RECFILE_PAYLOAD_MAX + \
                                        HAMD_RECFILE_FRAME_BYTES))
/* Zeros after a bad record are a torn end only up to this many bytes: a
 * power loss leaves at most a few file-system blocks unwritten. */
#define RECFILE_TORN_SCAN_MAX_BYTES (1024 * 1024)

struct hamd_recfile_reader {
    char *path;                        /* for error messages */
    int fd;                            /* the file, read-only */
    struct hamd_recfile_header header; /* the header record */
    int64_t offset;                    /* next record's offset */
    int64_t pending;                   /* bytes after offset at END */
    uint8_t *buf;                      /* the window */
    int64_t buf_off;                   /* file offset of buf[0] */
    size_t buf_len;                    /* valid bytes in buf */
    char err[HAMD_RECFILE_ERR_MAX];    /* last error */
};

/* ------------------------------------------------------------------------
 * Reading the file
 * ------------------------------------------------------------------------ */

/* Formats an error naming the file and the offset. */
__attribute__((format(printf, 3, 4)))
static void fail(struct hamd_recfile_reader *self, int64_t at,
                 const char *fmt, ...)
{
    char why[HAMD_RECFILE_ERR_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(self->err, sizeof self->err, "%.200s: offset %lld: %s", self->path,
             (long long)at, why);
}

/* Makes the window hold up to `need` bytes from self->offset, reading the
 * file again when it does not. Returns the bytes available there (fewer
 * than need at the end of the file), or -1 when pread fails. */
static ssize_t window(struct hamd_recfile_reader *self, size_t need)
{
    int64_t skip = self->offset - self->buf_off;
    if (skip >= 0 && (size_t)skip <= self->buf_len &&
        self->buf_len - (size_t)skip >= need)
        return (ssize_t)(self->buf_len - (size_t)skip);
    size_t got = 0;
    while (got < RECFILE_READ_WINDOW_BYTES) {
        ssize_t n = pread(self->fd, self->buf + got,
                          RECFILE_READ_WINDOW_BYTES - got,
                          self->offset + (int64_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fail(self, self->offset, "read failed: %s", strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    self->buf_off = self->offset;
    self->buf_len = got;
    return (ssize_t)got;
}

/* True when the file holds only zero bytes from `from` to its end (or
 * ends there), at most RECFILE_TORN_SCAN_MAX_BYTES of them. */
static bool zeros_to_end(struct hamd_recfile_reader *self, int64_t from)
{
    uint8_t chunk[4096];
    for (int64_t at = from; at - from < RECFILE_TORN_SCAN_MAX_BYTES;) {
        ssize_t n = pread(self->fd, chunk, sizeof chunk, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            return true;
        for (ssize_t i = 0; i < n; i++)
            if (chunk[i] != 0)
                return false;
        at += n;
    }
    return false;
}

/* A bad record at self->offset: a torn end when only zeros follow
 * `after`, else corruption. */
static enum hamd_recfile_rc bad_record(struct hamd_recfile_reader *self,
                                       int64_t after, ssize_t avail,
                                       const char *why)
{
    if (zeros_to_end(self, after)) {
        self->pending = avail;
        return HAMD_RECFILE_END;
    }
    fail(self, self->offset, "%s, and data follows it: the file is corrupt",
         why);
    return HAMD_RECFILE_ERR;
}

/* ------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------ */

enum hamd_recfile_rc hamd_recfile_reader_next(struct hamd_recfile_reader *self,
                                              struct hamd_recfile_record *rec)
{
    self->pending = 0;
    ssize_t avail = window(self, HAMD_RECFILE_FRAME_BYTES);
    if (avail < 0)
        return HAMD_RECFILE_ERR;
    if (avail < HAMD_RECFILE_FRAME_BYTES) {
        self->pending = avail;
        return HAMD_RECFILE_END;
    }
    const uint8_t *frame = self->buf + (self->offset - self->buf_off);
    uint32_t len = recfile_get_u32(frame);
    if (len == 0 || len > HAMD_RECFILE_PAYLOAD_MAX)
        return bad_record(self, self->offset, avail, "bad record length");
    size_t whole = HAMD_RECFILE_FRAME_BYTES + (size_t)len;
    if ((size_t)avail < whole) {
        avail = window(self, whole);
        if (avail < 0)
            return HAMD_RECFILE_ERR;
        if ((size_t)avail < whole) {
            self->pending = avail;
            return HAMD_RECFILE_END;
        }
        frame = self->buf + (self->offset - self->buf_off);
    }
    const uint8_t *payload = frame + HAMD_RECFILE_FRAME_BYTES;
    if (hamd_recfile_crc32(payload, len) != recfile_get_u32(frame + 4))
        return bad_record(self, self->offset + (int64_t)whole, avail,
                          "CRC mismatch");
    const char *why = recfile_payload_parse(payload, len, rec);
    if (why) {
        fail(self, self->offset, "%s", why);
        return HAMD_RECFILE_ERR;
    }
    rec->offset = self->offset;
    self->offset += (int64_t)whole;
    return HAMD_RECFILE_OK;
}

/* ------------------------------------------------------------------------
 * Opening, accessors
 * ------------------------------------------------------------------------ */

/* Reads and checks the preamble and the header record. */
static int read_start(struct hamd_recfile_reader *self)
{
    uint8_t pre[HAMD_RECFILE_PREAMBLE_BYTES];
    ssize_t n = pread(self->fd, pre, sizeof pre, 0);
    if (n < 0) {
        fail(self, 0, "read failed: %s", strerror(errno));
        return -1;
    }
    int64_t at;
    uint32_t version = 0;
    const char *why = recfile_preamble_check(pre, (size_t)n, &at, &version);
    if (why && version != 0 && version != HAMD_RECFILE_VERSION) {
        fail(self, at, "%s %u (this program reads version %d)", why, version,
             HAMD_RECFILE_VERSION);
        return -1;
    }
    if (why) {
        fail(self, at, "%s", why);
        return -1;
    }
    self->offset = HAMD_RECFILE_PREAMBLE_BYTES;
    struct hamd_recfile_record rec;
    enum hamd_recfile_rc rc = hamd_recfile_reader_next(self, &rec);
    if (rc == HAMD_RECFILE_END)
        fail(self, HAMD_RECFILE_PREAMBLE_BYTES, "truncated: no whole header "
             "record (%lld bytes of one)", (long long)self->pending);
    if (rc != HAMD_RECFILE_OK)
        return -1;
    why = recfile_header_decode(&rec, &self->header);
    if (why) {
        fail(self, rec.offset, "%s", why);
        return -1;
    }
    return 0;
}

struct hamd_recfile_reader *hamd_recfile_reader_open(const char *path,
                                                     char *err, size_t errcap)
{
    struct hamd_recfile_reader *self = calloc(1, sizeof *self);
    if (self)
        self->fd = -1;
    if (!self || !(self->path = strdup(path)) ||
        !(self->buf = malloc(RECFILE_READ_WINDOW_BYTES))) {
        snprintf(err, errcap, "%s: out of memory", path);
        hamd_recfile_reader_destroy(&self);
        return NULL;
    }
    self->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (self->fd < 0) {
        snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
        hamd_recfile_reader_destroy(&self);
        return NULL;
    }
    if (read_start(self) != 0) {
        snprintf(err, errcap, "%s", self->err);
        hamd_recfile_reader_destroy(&self);
        return NULL;
    }
    return self;
}

const struct hamd_recfile_header *
hamd_recfile_reader_header(const struct hamd_recfile_reader *self)
{
    return &self->header;
}

int64_t hamd_recfile_reader_offset(const struct hamd_recfile_reader *self)
{
    return self->offset;
}

int64_t hamd_recfile_reader_pending(const struct hamd_recfile_reader *self)
{
    return self->pending;
}

int hamd_recfile_reader_seek(struct hamd_recfile_reader *self, int64_t offset)
{
    if (offset < HAMD_RECFILE_PREAMBLE_BYTES)
        return -1;
    self->offset = offset;
    self->pending = 0;
    return 0;
}

const char *hamd_recfile_reader_error(const struct hamd_recfile_reader *self)
{
    return self->err;
}

void hamd_recfile_reader_destroy(struct hamd_recfile_reader **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct hamd_recfile_reader *self = *self_p;
    if (self->fd >= 0)
        close(self->fd);
    free(self->buf);
    free(self->path);
    free(self);
    *self_p = NULL;
}
