/* Pure: the screening of a request head before h2o parses it
 * (admin_conn.c). h2o answers some refusals itself in plain text (a
 * malformed request line, a head over its own limit); so hamd reads the
 * head first, refuses what h2o would refuse, and more (a body declared
 * over [admin] max_body_bytes), with a JSON answer of its own, and hands
 * h2o only heads it will take. No I/O: tests/unit/test_admin_head.c
 * feeds it bytes.
 *
 * Stricter than h2o's parser on purpose: a request line is METHOD SP
 * TARGET SP HTTP/1.x; header names are tokens; values hold no control
 * byte but tab; no line folding; one Content-Length at most and not with
 * Transfer-Encoding (the ingredients of request smuggling). A body must
 * come with a Content-Length (411 for Transfer-Encoding: every client of
 * the API sends one), so that its size is known before it is read, and
 * the only expectation is 100-continue (417): h2o would otherwise answer
 * those itself, closing on a body it has not read. */
#ifndef HAMD_ADMIN_HEAD_H
#define HAMD_ADMIN_HEAD_H

#include <stdbool.h>
#include <stddef.h>

#define ADMIN_HEAD_MAX_BYTES (32u << 10) /* status line and headers: a few
                                            hundred bytes from hactl, a few
                                            KiB from a browser */
#define ADMIN_HEAD_FIELDS_MAX 100        /* header lines (h2o's own cap) */

/* What the bytes of a head say so far. */
enum admin_head_verdict {
    ADMIN_HEAD_MORE,      /* incomplete: read on */
    ADMIN_HEAD_OK,        /* complete and acceptable: hand it to h2o */
    ADMIN_HEAD_BAD,       /* malformed: 400 */
    ADMIN_HEAD_TOO_LARGE, /* over ADMIN_HEAD_MAX_BYTES or too many header
                             lines: 431 */
    ADMIN_HEAD_BODY_TOO_LARGE, /* Content-Length over body_max: 413 */
    ADMIN_HEAD_LENGTH_REQUIRED, /* Transfer-Encoding: 411 */
    ADMIN_HEAD_EXPECTATION,    /* an Expect other than 100-continue: 417 */
};

/* Looks at the len bytes at p, the start of a connection's input.
 * body_max: the largest Content-Length taken. *why gets a short reason
 * for any refusal (a constant string; it never quotes the request). */
enum admin_head_verdict admin_head_check(const char *p, size_t len,
                                         size_t body_max, const char **why);

/* The HTTP status of a refusal (400, 411, 413, 417, 431), 0 for MORE and
 * OK. */
int admin_head_status(enum admin_head_verdict v);

#endif /* HAMD_ADMIN_HEAD_H */
