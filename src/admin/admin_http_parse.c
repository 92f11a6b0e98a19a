/* Pure parts of the HTTP/1.1 client: see admin_http_parse.h. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/admin_http_parse.h"
#include "admin/admin_route.h"

#define HTTP_METHOD_MAX 16           /* bytes of a method, NUL included */
#define HTTP_PREFIX "http://"        /* plain HTTP */
#define HTTPS_PREFIX "https://"      /* HTTP over TLS (admin_tls.h) */

/* ------------------------------------------------------------------------
 * URLs
 * ------------------------------------------------------------------------ */

int admin_http_url_parse(const char *url, struct admin_http_target *t)
{
    t->tls = strncasecmp(url, HTTPS_PREFIX, strlen(HTTPS_PREFIX)) == 0;
    if (!t->tls && strncasecmp(url, HTTP_PREFIX, strlen(HTTP_PREFIX)) != 0)
        return -1;
    const char *auth = url + strlen(t->tls ? HTTPS_PREFIX : HTTP_PREFIX);
    size_t alen = strcspn(auth, "/?#");
    if (alen == 0 || alen >= sizeof t->authority ||
        memchr(auth, '@', alen))
        return -1;
    memcpy(t->authority, auth, alen);
    t->authority[alen] = '\0';
    if (!admin_hostport_split(t->authority, t->host, sizeof t->host, &t->port))
        return -1;
    t->path = auth + alen;
    t->path_len = strcspn(t->path, "#");
    for (size_t i = 0; i < t->path_len; i++)
        if ((unsigned char)t->path[i] <= ' ' || t->path[i] == 0x7f)
            return -1;
    return 0;
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

/* True when the n bytes at s are a non-empty token (RFC 9110 5.6.2). */
static bool http_is_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("!#$%&'*+-.^_`|~", s[i]) &&
            !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
    return true;
}

/* True when line is "Name: value" with a token name and no CR or LF, so
 * it cannot smuggle another header into the request. */
static bool http_header_ok(const char *line)
{
    const char *colon = strchr(line, ':');
    return colon && !strpbrk(line, "\r\n") &&
           http_is_token(line, (size_t)(colon - line));
}

/* snprintf at offset at of buf (cap bytes); returns the bytes it needs,
 * writing only what fits, so one function both measures and formats. */
static size_t http_put(char *buf, size_t cap, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t http_put(char *buf, size_t cap, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(at < cap ? buf + at : NULL, at < cap ? cap - at : 0,
                      fmt, ap);
    va_end(ap);
    return n > 0 ? (size_t)n : 0;
}

/* Formats the request head into buf (cap bytes, may be 0 to measure).
 * Returns its length without the NUL. */
static size_t http_head_format(char *buf, size_t cap,
                               const struct admin_http_target *t,
                               const struct admin_http_req *r)
{
    bool query_only = t->path_len == 0 || t->path[0] != '/';
    size_t n = http_put(buf, cap, 0, "%s %s%.*s HTTP/1.1\r\nHost: %s\r\n",
                        r->method, query_only ? "/" : "", (int)t->path_len,
                        t->path, t->authority);
    for (size_t i = 0; i < sizeof r->headers / sizeof r->headers[0] &&
                       r->headers[i]; i++)
        n += http_put(buf, cap, n, "%s\r\n", r->headers[i]);
    if (r->body && r->body_len)
        n += http_put(buf, cap, n, "Content-Length: %zu\r\n", r->body_len);
    n += http_put(buf, cap, n, "Connection: close\r\n\r\n");
    return n;
}

int admin_http_request_build(const struct admin_http_target *t,
                              const struct admin_http_req *r, char **out,
                              size_t *out_len)
{
    size_t mlen = strlen(r->method);
    if (mlen >= HTTP_METHOD_MAX || !http_is_token(r->method, mlen))
        return -1;
    for (size_t i = 0; i < sizeof r->headers / sizeof r->headers[0] &&
                       r->headers[i]; i++)
        if (!http_header_ok(r->headers[i]))
            return -1;
    size_t body_len = r->body ? r->body_len : 0;
    size_t head = http_head_format(NULL, 0, t, r);
    char *buf = malloc(head + 1 + body_len);
    if (!buf)
        return -1;
    http_head_format(buf, head + 1, t, r);
    if (body_len)
        memcpy(buf + head, r->body, body_len);
    *out = buf;
    *out_len = head + body_len;
    return 0;
}

/* ------------------------------------------------------------------------
 * Answers
 * ------------------------------------------------------------------------ */

/* Parses "HTTP/1.x DDD[ reason]" (n bytes, no CRLF). Returns the status
 * (100..599) or -1. */
static long http_status_parse(const char *line, size_t n)
{
    if (n < 12 || memcmp(line, "HTTP/1.", 7) != 0 ||
        (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
        (n > 12 && line[12] != ' '))
        return -1;
    long status = 0;
    for (size_t i = 9; i < 12; i++) {
        if (line[i] < '0' || line[i] > '9')
            return -1;
        status = status * 10 + (line[i] - '0');
    }
    return status >= 100 && status <= 599 ? status : -1;
}

/* Parses a Content-Length value (n bytes, trimmed). Returns false when it
 * is not a plain decimal number that fits. */
static bool http_length_parse(const char *v, size_t n, size_t *out)
{
    if (n == 0)
        return false;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9' || len > (SIZE_MAX - 9) / 10)
            return false;
        len = len * 10 + (size_t)(v[i] - '0');
    }
    *out = len;
    return true;
}

/* True when the n bytes at s equal name, ignoring case. */
static bool http_name_is(const char *s, size_t n, const char *name)
{
    return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

/* Reads one header line (n bytes, no CRLF) into a. Returns NULL, or why
 * the line is refused. */
static const char *http_header_parse(const char *line, size_t n,
                                     struct admin_http_answer *a)
{
    const char *colon = memchr(line, ':', n);
    if (n && (line[0] == ' ' || line[0] == '\t'))
        return "folded header line in the answer";
    if (!colon || colon == line || memchr(line, ' ', (size_t)(colon - line)))
        return "malformed header line in the answer";
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    if (http_name_is(line, name_len, "content-length")) {
        size_t len;
        if (!http_length_parse(v, vlen, &len) ||
            (a->has_length && len != a->content_length))
            return "bad Content-Length in the answer";
        a->has_length = true;
        a->content_length = len;
    } else if (http_name_is(line, name_len, "transfer-encoding")) {
        if (!http_name_is(v, vlen, "chunked"))
            return "unsupported Transfer-Encoding in the answer";
        a->chunked = true;
    }
    return NULL;
}

/* Parses the complete head (len bytes up to, without, the blank line).
 * Returns NULL, or why it is refused. */
static const char *http_head_parse(const char *p, size_t len,
                                   struct admin_http_answer *a,
                                   size_t reply_max)
{
    const char *eol = memmem(p, len, "\r\n", 2);
    size_t n = eol ? (size_t)(eol - p) : len;
    a->status = http_status_parse(p, n);
    if (a->status < 0)
        return "not an HTTP/1.x answer";
    if (a->status < 200)
        return "unexpected interim (1xx) answer";
    size_t at = eol ? n + 2 : len;
    while (at < len) {
        const char *next = memmem(p + at, len - at, "\r\n", 2);
        size_t line = next ? (size_t)(next - (p + at)) : len - at;
        const char *why = http_header_parse(p + at, line, a);
        if (why)
            return why;
        at += line + 2;
    }
    if (a->chunked)
        a->has_length = false; /* RFC 9112 6.3: chunked wins */
    if (a->has_length && a->content_length > reply_max)
        return "answer too large";
    return NULL;
}

/* Decodes a chunked body in place (n bytes). Returns the decoded length,
 * or -1 when it is malformed or cut short. */
static long long http_chunked_decode(char *p, size_t n)
{
    size_t r = 0, w = 0;
    for (;;) {
        size_t size = 0, digits = 0;
        for (; r < n && strchr("0123456789abcdefABCDEF", p[r]) && p[r];
             r++, digits++) {
            if (size > (SIZE_MAX >> 4))
                return -1;
            char c = p[r];
            size = size * 16 + (size_t)(c <= '9' ? c - '0'
                                        : (c | 0x20) - 'a' + 10);
        }
        const char *eol = r < n ? memmem(p + r, n - r, "\r\n", 2) : NULL;
        if (digits == 0 || !eol || (p[r] != ';' && p + r != eol))
            return -1; /* a chunk extension may follow ';' */
        r = (size_t)(eol - p) + 2;
        if (size == 0)
            break;
        if (size > n - r || n - r - size < 2 || memcmp(p + r + size, "\r\n", 2))
            return -1;
        memmove(p + w, p + r, size);
        w += size;
        r += size + 2;
    }
    /* Trailer lines, then the blank line that ends the message. */
    for (;;) {
        const char *eol = r < n ? memmem(p + r, n - r, "\r\n", 2) : NULL;
        if (!eol)
            return -1;
        if (p + r == eol)
            return (long long)w;
        r = (size_t)(eol - p) + 2;
    }
}

/* Looks for the end of the head; on finding it, parses it. Returns MORE
 * while it is incomplete, ERROR (with *why) when it is refused. */
static enum admin_http_scan http_head_scan(char *p, size_t len, bool eof,
                                           size_t reply_max,
                                           struct admin_http_answer *a,
                                           const char **why)
{
    if (len == 0) {
        *why = eof ? "connection closed without an answer" : NULL;
        return eof ? ADMIN_HTTP_SCAN_ERROR : ADMIN_HTTP_SCAN_MORE;
    }
    if (memcmp(p, "HTTP/", len < 5 ? len : 5) != 0) {
        *why = "not an HTTP/1.x answer";
        return ADMIN_HTTP_SCAN_ERROR;
    }
    const char *end = memmem(p + a->scan_from, len - a->scan_from,
                             "\r\n\r\n", 4);
    if (!end) {
        a->scan_from = len > 3 ? len - 3 : 0;
        *why = len > ADMIN_HTTP_HEAD_MAX ? "answer header too large"
             : eof ? "connection closed in the answer header" : NULL;
        return *why ? ADMIN_HTTP_SCAN_ERROR : ADMIN_HTTP_SCAN_MORE;
    }
    size_t head = (size_t)(end - p);
    if (head + 4 > ADMIN_HTTP_HEAD_MAX) {
        *why = "answer header too large";
        return ADMIN_HTTP_SCAN_ERROR;
    }
    *why = http_head_parse(p, head, a, reply_max);
    if (*why)
        return ADMIN_HTTP_SCAN_ERROR;
    a->head_len = head + 4;
    return ADMIN_HTTP_SCAN_COMPLETE;
}

enum admin_http_scan admin_http_answer_scan(char *p, size_t len, bool eof,
                                            size_t reply_max,
                                            struct admin_http_answer *a,
                                            const char **why)
{
    *why = NULL;
    if (!a->head_len) {
        enum admin_http_scan s =
            http_head_scan(p, len, eof, reply_max, a, why);
        if (s != ADMIN_HTTP_SCAN_COMPLETE)
            return s;
    }
    size_t body = len - a->head_len;
    if (a->status == 204 || a->status == 304) {
        a->body_len = 0;
        return ADMIN_HTTP_SCAN_COMPLETE;
    }
    if (a->has_length && body >= a->content_length) {
        a->body_len = a->content_length;
        return ADMIN_HTTP_SCAN_COMPLETE;
    }
    if (!a->has_length && body > reply_max)
        *why = "answer too large";
    else if (!eof)
        return ADMIN_HTTP_SCAN_MORE;
    else if (a->has_length)
        *why = "connection closed before the whole answer body";
    else if (a->chunked) {
        long long n = http_chunked_decode(p + a->head_len, body);
        if (n < 0)
            *why = "malformed or truncated chunked answer";
        else
            a->body_len = (size_t)n;
    } else
        a->body_len = body;
    return *why ? ADMIN_HTTP_SCAN_ERROR : ADMIN_HTTP_SCAN_COMPLETE;
}
