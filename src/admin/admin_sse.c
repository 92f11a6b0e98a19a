/* Server-Sent Events framing and the output queue: see admin_sse.h. */
#include "admin/admin_sse.h"

#include <stdlib.h>
#include <string.h>

#define SSE_BUF_MIN_BYTES 4096 /* first allocation of a buffer */

static const char SSE_EVENT[] = "event: ";
static const char SSE_DATA[] = "data: ";
static const char SSE_COMMENT[] = ": ";

/* ------------------------------------------------------------------------
 * Buffers
 * ------------------------------------------------------------------------ */

/* Makes room for more bytes. Returns -1 when out of memory. */
static int buf_reserve(struct admin_sse_buf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return 0;
    size_t cap = b->cap ? b->cap : SSE_BUF_MIN_BYTES;
    while (cap - b->len < more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Appends n bytes; room was reserved. */
static void buf_put(struct admin_sse_buf *b, const char *s, size_t n)
{
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void admin_sse_buf_free(struct admin_sse_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------------
 * Framing
 * ------------------------------------------------------------------------ */

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= ADMIN_SSE_EVENT_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Length of the line at data[i..len) up to (not including) its break. */
static size_t line_len(const char *data, size_t i, size_t len)
{
    size_t j = i;
    while (j < len && data[j] != '\n' && data[j] != '\r')
        j++;
    return j - i;
}

/* Where the next line starts after a line ending at data[j]. */
static size_t line_next(const char *data, size_t j, size_t len)
{
    if (j < len && data[j] == '\r' && j + 1 < len && data[j + 1] == '\n')
        return j + 2;
    return j + 1;
}

/* Bytes of the data lines of data[0..len) (a final line break ends the
 * last line, it starts no empty one). */
static size_t data_size(const char *data, size_t len)
{
    size_t total = 0, i = 0;
    do {
        size_t n = line_len(data, i, len);
        total += sizeof SSE_DATA - 1 + n + 1;
        i = line_next(data, i + n, len);
    } while (i < len);
    return total;
}

int admin_sse_frame(struct admin_sse_buf *b, const char *name,
                    const char *data, size_t len)
{
    if (!name_ok(name))
        return -1;
    size_t nlen = strlen(name);
    size_t need = sizeof SSE_EVENT - 1 + nlen + 1 + data_size(data, len) + 1;
    if (buf_reserve(b, need) < 0)
        return -1;
    buf_put(b, SSE_EVENT, sizeof SSE_EVENT - 1);
    buf_put(b, name, nlen);
    buf_put(b, "\n", 1);
    size_t i = 0;
    do {
        size_t n = line_len(data, i, len);
        buf_put(b, SSE_DATA, sizeof SSE_DATA - 1);
        buf_put(b, data + i, n);
        buf_put(b, "\n", 1);
        i = line_next(data, i + n, len);
    } while (i < len);
    buf_put(b, "\n", 1);
    return 0;
}

int admin_sse_comment(struct admin_sse_buf *b, const char *text)
{
    size_t n = strlen(text);
    if (memchr(text, '\n', n) || memchr(text, '\r', n) ||
        buf_reserve(b, sizeof SSE_COMMENT - 1 + n + 2) < 0)
        return -1;
    buf_put(b, SSE_COMMENT, sizeof SSE_COMMENT - 1);
    buf_put(b, text, n);
    buf_put(b, "\n\n", 2);
    return 0;
}

/* ------------------------------------------------------------------------
 * The queue
 * ------------------------------------------------------------------------ */

/* Undoes an append to pending that took the queue over its limit. */
static int queue_check(struct admin_sse_queue *q, size_t before, int rc)
{
    if (rc == 0 && admin_sse_queue_bytes(q) <= q->limit)
        return 0;
    q->pending.len = before;
    return -1;
}

int admin_sse_queue_event(struct admin_sse_queue *q, const char *name,
                          const char *data, size_t len)
{
    size_t before = q->pending.len;
    return queue_check(q, before, admin_sse_frame(&q->pending, name, data, len));
}

int admin_sse_queue_comment(struct admin_sse_queue *q, const char *text)
{
    size_t before = q->pending.len;
    return queue_check(q, before, admin_sse_comment(&q->pending, text));
}

bool admin_sse_queue_take(struct admin_sse_queue *q, const char **p,
                          size_t *len)
{
    if (q->busy || q->pending.len == 0)
        return false;
    /* Swap, so both buffers keep their memory for the next rounds. */
    struct admin_sse_buf t = q->sending;
    q->sending = q->pending;
    q->pending = t;
    q->pending.len = 0;
    q->busy = true;
    *p = q->sending.p;
    *len = q->sending.len;
    return true;
}

void admin_sse_queue_sent(struct admin_sse_queue *q)
{
    q->busy = false;
    q->sending.len = 0;
}

size_t admin_sse_queue_bytes(const struct admin_sse_queue *q)
{
    return q->pending.len + (q->busy ? q->sending.len : 0);
}

void admin_sse_queue_free(struct admin_sse_queue *q)
{
    admin_sse_buf_free(&q->pending);
    admin_sse_buf_free(&q->sending);
    q->busy = false;
}
