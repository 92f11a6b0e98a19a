/* Fuzz target: the answer parser of the node-to-node HTTP client
 * (src/admin/admin_http_parse.h), which reads what another node, or
 * whatever listens at its address, sends back to a forwarded request.
 *
 * Input: byte 0 sets the size of each read (0: everything in one read),
 * byte 1 the body limit (reply_max, byte x 64), the rest is the answer.
 * The bytes arrive read by read as admin_http.c receives them: each read
 * scanned with eof false, then once more with eof true, in a buffer of
 * exactly what was read plus the NUL admin_http.c keeps after it, capped
 * where admin_http.c stops reading.
 *
 * Checks: a complete answer has a status of 200..599, a head and body
 * inside what was read and a body within the limit; a refused one says
 * why; and reading in pieces concludes exactly what reading everything at
 * once does. */
#include <string.h>

#include "admin/admin_http_parse.h"
#include "fuzz.h"

#define HTTP_LIMIT_UNIT_BYTES 64 /* reply_max step of byte 1 */

/* What a scan concluded, to compare two ways of reading. */
struct http_outcome {
    enum admin_http_scan scan; /* COMPLETE or ERROR (MORE: never ended) */
    long status;               /* COMPLETE: the status */
    const char *body;          /* COMPLETE: the body */
    size_t body_len;           /* its bytes */
};

/* Scans buf[0..len) read pieces of `step` bytes at a time (0: one read),
 * then the end of the stream. */
static void http_scan(char *buf, size_t len, size_t step, size_t reply_max,
                      struct http_outcome *out)
{
    struct admin_http_answer a;
    const char *why = NULL;
    size_t have = 0;
    memset(&a, 0, sizeof a);
    out->scan = ADMIN_HTTP_SCAN_MORE;
    while (out->scan == ADMIN_HTTP_SCAN_MORE && have < len) {
        have += step == 0 || step > len - have ? len - have : step;
        out->scan = admin_http_answer_scan(buf, have, false, reply_max, &a,
                                           &why);
    }
    if (out->scan == ADMIN_HTTP_SCAN_MORE)
        out->scan = admin_http_answer_scan(buf, have, true, reply_max, &a,
                                           &why);
    FUZZ_CHECK(out->scan != ADMIN_HTTP_SCAN_MORE);
    if (out->scan == ADMIN_HTTP_SCAN_ERROR) {
        FUZZ_CHECK(why != NULL && why[0] != '\0');
        return;
    }
    FUZZ_CHECK(a.status >= 200 && a.status <= 599);
    FUZZ_CHECK(a.head_len >= 4 && a.head_len <= have &&
               a.body_len <= have - a.head_len);
    FUZZ_CHECK(a.body_len <= reply_max);
    buf[a.head_len + a.body_len] = '\0'; /* as admin_http.c does */
    out->status = a.status;
    out->body = buf + a.head_len;
    out->body_len = a.body_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = data[0];
    size_t reply_max = (size_t)data[1] * HTTP_LIMIT_UNIT_BYTES;
    /* admin_http.c reads no more than this (alloc_cb). */
    size_t limit = ADMIN_HTTP_HEAD_MAX + reply_max + 1;
    size_t len = size - 2 < limit ? size - 2 : limit;
    char *pieces = fuzz_strndup(data + 2, len);
    char *whole = fuzz_strndup(data + 2, len);
    struct http_outcome a, b;
    http_scan(pieces, len, step, reply_max, &a);
    http_scan(whole, len, 0, reply_max, &b);
    FUZZ_CHECK(a.scan == b.scan);
    if (a.scan == ADMIN_HTTP_SCAN_COMPLETE)
        FUZZ_CHECK(a.status == b.status && a.body_len == b.body_len &&
                   memcmp(a.body, b.body, a.body_len) == 0);
    free(pieces);
    free(whole);
    return 0;
}
