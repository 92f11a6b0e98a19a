/* Pure parts of the daemon's HTTP/1.1 client (admin_http.c): splitting a
 * URL, building the request bytes, and deciding from the answer bytes
 * read so far whether the answer is complete, still coming, or refused.
 * No I/O, no clock: the unit tests drive them with any bytes. */
#ifndef HAMD_ADMIN_HTTP_PARSE_H
#define HAMD_ADMIN_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define ADMIN_HTTP_HEAD_MAX (16u << 10) /* bytes of an answer's status line
                                           and headers (h2o sends a few
                                           hundred) */
#define ADMIN_HTTP_HOST_MAX 256         /* bytes of a host, NUL included */
#define ADMIN_HTTP_AUTHORITY_MAX (ADMIN_HTTP_HOST_MAX + 8) /* "[host]:port" */

/* One outgoing request. Strings are copied by admin_http_start. */
struct admin_http_req {
    const char *url;              /* http[s]://host:port/path?query */
    const char *method;           /* GET, POST, PUT, DELETE */
    const char *body;             /* request body or NULL */
    size_t body_len;              /* its length */
    const char *headers[4];       /* "Name: value" lines, NULL-ended */
    unsigned timeout_ms;          /* whole request; 0 =
                                     ADMIN_FORWARD_TIMEOUT_MS */
    unsigned connect_timeout_ms;  /* resolving and connecting; 0 =
                                     ADMIN_FORWARD_CONNECT_TIMEOUT_MS */
    size_t reply_max;             /* bytes of the answer body; 0 =
                                     ADMIN_FORWARD_REPLY_MAX */
};

/* The parts of a URL a request needs. */
struct admin_http_target {
    char authority[ADMIN_HTTP_AUTHORITY_MAX]; /* host:port as written */
    char host[ADMIN_HTTP_HOST_MAX];     /* host, without IPv6 brackets */
    unsigned port;                      /* TCP port */
    const char *path;                   /* path?query inside the URL */
    size_t path_len;                    /* its bytes (fragment excluded) */
    bool tls;                           /* https:// */
};

/* What scanning the answer bytes so far concluded. */
enum admin_http_scan {
    ADMIN_HTTP_SCAN_MORE,     /* incomplete: read on */
    ADMIN_HTTP_SCAN_COMPLETE, /* the whole answer is there */
    ADMIN_HTTP_SCAN_ERROR,    /* not an acceptable answer (why says why) */
};

/* An answer as far as it has been parsed; zero it before the first
 * scan. */
struct admin_http_answer {
    long status;            /* HTTP status, once the head is parsed */
    size_t head_len;        /* bytes of status line + headers + blank line;
                               0 until the head is complete */
    size_t scan_from;       /* where the search for the head's end resumes */
    bool chunked;           /* Transfer-Encoding: chunked */
    bool has_length;        /* a Content-Length came */
    size_t content_length;  /* its value */
    size_t body_len;        /* bytes of body, once complete */
};

/* Splits http://host:port/path?query (or https://: t->tls) into t
 * (t->path points into url). The port is required: admin addresses
 * always carry one. Returns 0, or -1 for anything else (other scheme,
 * user info, bad port, control bytes or spaces in the path). */
int admin_http_url_parse(const char *url, struct admin_http_target *t);

/* Builds the bytes of r for t into *out (malloc'd): "METHOD path
 * HTTP/1.1", Host, r's header lines, Content-Length when there is a body,
 * Connection: close, then the body. Returns 0, or -1 when the method is
 * not a token, a header line is not "Name: value" on one line, or memory
 * is short. */
int admin_http_request_build(const struct admin_http_target *t,
                             const struct admin_http_req *r, char **out,
                             size_t *out_len);

/* Looks at the len answer bytes at p (eof: the peer has closed) with the
 * state a kept between calls. Returns MORE while incomplete; COMPLETE
 * with the body at p + a->head_len, a->body_len bytes (a chunked body is
 * decoded in place, once the peer has closed); ERROR with *why when the
 * answer is refused: not HTTP/1.x, an interim 1xx, a malformed header, a
 * head over ADMIN_HTTP_HEAD_MAX, a body over reply_max, a Transfer-Encoding
 * other than chunked, or a connection closed too early. */
enum admin_http_scan admin_http_answer_scan(char *p, size_t len, bool eof,
                                            size_t reply_max,
                                            struct admin_http_answer *a,
                                            const char **why);

#endif /* HAMD_ADMIN_HTTP_PARSE_H */
