/* Pure screening of a request head. See admin_head.h. */
#include "admin/admin_head.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define HEAD_VERSION "HTTP/1."       /* then one digit */
#define HEAD_LENGTH_DIGITS_MAX 19    /* a Content-Length that fits uint64 */

/* ------------------------------------------------------------------------
 * Lines
 * ------------------------------------------------------------------------ */

/* One line of the head, its end of line stripped. */
struct head_line {
    const char *p; /* first byte */
    size_t len;    /* bytes, without CR LF */
};

/* RFC 9110 tchar: the bytes of a method or a header name. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A byte of a header value: visible, space, tab or obs-text. */
static bool is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Cuts the next line off [*p, end): false when no LF is left. */
static bool line_next(const char **p, const char *end, struct head_line *l)
{
    const char *lf = memchr(*p, '\n', (size_t)(end - *p));
    if (!lf)
        return false;
    l->p = *p;
    l->len = (size_t)(lf - *p);
    if (l->len > 0 && l->p[l->len - 1] == '\r')
        l->len--;
    *p = lf + 1;
    return true;
}

/* Where the head ends (after its empty line), or NULL while incomplete. */
static const char *head_end(const char *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (p[i] == '\n' &&
            (p[i + 1] == '\n' ||
             (p[i + 1] == '\r' && i + 2 < len && p[i + 2] == '\n')))
            return p + i + (p[i + 1] == '\n' ? 2 : 3);
    return NULL;
}

/* ------------------------------------------------------------------------
 * The request line and the header lines
 * ------------------------------------------------------------------------ */

/* METHOD SP TARGET SP HTTP/1.x */
static bool request_line_ok(const struct head_line *l)
{
    size_t i = 0;
    while (i < l->len && is_tchar((unsigned char)l->p[i]))
        i++;
    if (i == 0 || i >= l->len || l->p[i] != ' ')
        return false;
    size_t target = ++i;
    while (i < l->len && (unsigned char)l->p[i] > 0x20 && l->p[i] != 0x7f)
        i++;
    if (i == target || i >= l->len || l->p[i] != ' ')
        return false;
    i++;
    size_t vlen = strlen(HEAD_VERSION);
    return l->len - i == vlen + 1 && memcmp(l->p + i, HEAD_VERSION, vlen) == 0 &&
           l->p[i + vlen] >= '0' && l->p[i + vlen] <= '9';
}

/* What the header lines declare about the body. */
struct head_body {
    bool has_length;     /* a Content-Length came */
    uint64_t length;     /* its value */
    bool chunked;        /* a Transfer-Encoding came */
    bool expect_other;   /* an Expect other than 100-continue came */
};

/* Parses a Content-Length value; false when it is not digits. */
static bool length_parse(const char *p, size_t len, uint64_t *out,
                         bool *huge)
{
    *out = 0;
    *huge = false;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        if (i >= HEAD_LENGTH_DIGITS_MAX)
            *huge = true;
        else
            *out = *out * 10 + (uint64_t)(p[i] - '0');
    }
    return true;
}

/* One header line: NAME ":" OWS VALUE OWS. */
static enum admin_head_verdict field_check(const struct head_line *l,
                                           struct head_body *b,
                                           const char **why)
{
    size_t n = 0;
    while (n < l->len && is_tchar((unsigned char)l->p[n]))
        n++;
    if (n == 0 || n >= l->len || l->p[n] != ':') {
        *why = l->len && (l->p[0] == ' ' || l->p[0] == '\t')
                   ? "folded header lines are not accepted"
                   : "a header line is not NAME: VALUE";
        return ADMIN_HEAD_BAD;
    }
    const char *v = l->p + n + 1, *end = l->p + l->len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    for (const char *c = v; c < end; c++)
        if (!is_value_byte((unsigned char)*c)) {
            *why = "a control character in a header value";
            return ADMIN_HEAD_BAD;
        }
    if (n == strlen("transfer-encoding") &&
        strncasecmp(l->p, "transfer-encoding", n) == 0)
        b->chunked = true;
    if (n == strlen("expect") && strncasecmp(l->p, "expect", n) == 0 &&
        ((size_t)(end - v) != strlen("100-continue") ||
         strncasecmp(v, "100-continue", strlen("100-continue")) != 0))
        b->expect_other = true;
    if (n != strlen("content-length") ||
        strncasecmp(l->p, "content-length", n) != 0)
        return ADMIN_HEAD_OK;
    uint64_t len;
    bool huge;
    if (!length_parse(v, (size_t)(end - v), &len, &huge) ||
        (b->has_length && (huge || len != b->length))) {
        *why = "a bad or repeated Content-Length";
        return ADMIN_HEAD_BAD;
    }
    b->has_length = true;
    b->length = huge ? UINT64_MAX : len;
    return ADMIN_HEAD_OK;
}

/* ------------------------------------------------------------------------
 * The verdict
 * ------------------------------------------------------------------------ */

enum admin_head_verdict admin_head_check(const char *p, size_t len,
                                         size_t body_max, const char **why)
{
    static const char *ignored;
    if (!why)
        why = &ignored;
    *why = "";
    const char *start = p, *stop = p + len;
    /* One empty line before the request line is allowed (RFC 9112), as
     * h2o's parser allows it: one more, or a CR alone, h2o would refuse
     * in plain text. */
    if (len >= 1 && p[0] == '\n')
        start = p + 1;
    else if (len >= 2 && p[0] == '\r' && p[1] == '\n')
        start = p + 2;
    const char *end = head_end(start, (size_t)(stop - start));
    if ((end ? (size_t)(end - p) : len) > ADMIN_HEAD_MAX_BYTES) {
        *why = "the request head is too large";
        return ADMIN_HEAD_TOO_LARGE;
    }
    if (!end)
        return ADMIN_HEAD_MORE;
    struct head_line l;
    const char *cur = start;
    if (!line_next(&cur, end, &l) || !request_line_ok(&l)) {
        *why = "the request line is not METHOD TARGET HTTP/1.x";
        return ADMIN_HEAD_BAD;
    }
    struct head_body body = {0};
    unsigned fields = 0;
    while (line_next(&cur, end, &l) && l.len > 0) {
        if (++fields > ADMIN_HEAD_FIELDS_MAX) {
            *why = "too many header lines";
            return ADMIN_HEAD_TOO_LARGE;
        }
        enum admin_head_verdict v = field_check(&l, &body, why);
        if (v != ADMIN_HEAD_OK)
            return v;
    }
    if (body.has_length && body.chunked) {
        *why = "both Content-Length and Transfer-Encoding";
        return ADMIN_HEAD_BAD;
    }
    if (body.chunked) {
        *why = "a request body needs a Content-Length (no Transfer-Encoding)";
        return ADMIN_HEAD_LENGTH_REQUIRED;
    }
    if (body.expect_other) {
        *why = "the only expectation taken is Expect: 100-continue";
        return ADMIN_HEAD_EXPECTATION;
    }
    if (body.has_length && body.length > body_max) {
        *why = "the request body is larger than [admin] max_body_bytes";
        return ADMIN_HEAD_BODY_TOO_LARGE;
    }
    return ADMIN_HEAD_OK;
}

int admin_head_status(enum admin_head_verdict v)
{
    switch (v) {
    case ADMIN_HEAD_BAD: return 400;
    case ADMIN_HEAD_LENGTH_REQUIRED: return 411;
    case ADMIN_HEAD_EXPECTATION: return 417;
    case ADMIN_HEAD_BODY_TOO_LARGE: return 413;
    case ADMIN_HEAD_TOO_LARGE: return 431;
    default: return 0;
    }
}
