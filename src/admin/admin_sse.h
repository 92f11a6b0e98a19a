/* The pure parts of the live stream (GET /api/stream, docs/console.md):
 * Server-Sent Events framing and the bounded output queue of one client.
 * No I/O, no h2o: admin_stream.c hands the queue's bytes to h2o, and
 * tests/unit/test_admin_sse.c checks framing and limits directly.
 *
 * A queue holds two buffers: `sending`, the bytes handed to the HTTP
 * layer and not yet written (they must stay put until then), and
 * `pending`, what was queued meanwhile. A client that stops reading
 * keeps `sending` in flight, so `pending` grows; once both together would
 * exceed the limit the caller drops the client. */
#ifndef HAMD_ADMIN_SSE_H
#define HAMD_ADMIN_SSE_H

#include <stdbool.h>
#include <stddef.h>

#define ADMIN_SSE_QUEUE_MAX_BYTES (256u << 10) /* a client further behind
                                                  is dropped */
#define ADMIN_SSE_EVENT_MAX 32                 /* bytes of an event name */

/* A growable byte buffer. */
struct admin_sse_buf {
    char *p;       /* the bytes (malloc'd), NULL when empty */
    size_t len;    /* used */
    size_t cap;    /* allocated */
};

/* The output queue of one stream client; zero it, then set limit. */
struct admin_sse_queue {
    struct admin_sse_buf pending; /* queued, not yet handed over */
    struct admin_sse_buf sending; /* handed over, write not complete */
    bool busy;                    /* sending is in flight */
    size_t limit;                 /* most bytes in both together */
};

/* Appends the frame of one event to b: "event: NAME\n", one "data: "
 * line per line of data (split at \n, \r\n or \r, so no line break ever
 * leaks out of a field), then a blank line. name must be a token of
 * letters, digits, '_' or '-' shorter than ADMIN_SSE_EVENT_MAX. Returns
 * 0, or -1 (b unchanged) for a bad name or when out of memory. */
int admin_sse_frame(struct admin_sse_buf *b, const char *name,
                    const char *data, size_t len);

/* Appends a comment line (": text\n\n"), which clients ignore: the ping
 * that keeps proxies from closing an idle stream. text must hold no line
 * break. Returns 0, or -1 (b unchanged). */
int admin_sse_comment(struct admin_sse_buf *b, const char *text);

/* Frees the buffer's bytes and empties it. */
void admin_sse_buf_free(struct admin_sse_buf *b);

/* Queues one event frame (admin_sse_frame). Returns 0, or -1 (nothing
 * queued) when the queue would then hold more than q->limit bytes (the
 * client is too far behind: drop it) or memory is short. */
int admin_sse_queue_event(struct admin_sse_queue *q, const char *name,
                          const char *data, size_t len);

/* Queues a comment (admin_sse_comment), under the same limit. */
int admin_sse_queue_comment(struct admin_sse_queue *q, const char *text);

/* When nothing is in flight and something is pending: makes the pending
 * bytes the ones in flight, marks the queue busy and returns true with
 * them in *p, *len (valid until admin_sse_queue_sent). Otherwise false. */
bool admin_sse_queue_take(struct admin_sse_queue *q, const char **p,
                          size_t *len);

/* The bytes in flight were written: the queue is no longer busy. */
void admin_sse_queue_sent(struct admin_sse_queue *q);

/* Bytes queued and in flight together. */
size_t admin_sse_queue_bytes(const struct admin_sse_queue *q);

/* Frees both buffers. */
void admin_sse_queue_free(struct admin_sse_queue *q);

#endif /* HAMD_ADMIN_SSE_H */
