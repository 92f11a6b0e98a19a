/* The pure parts of the admin HTTP API: route matching, path captures,
 * query strings, bearer tokens and host:port parsing. No I/O, no h2o: the
 * server (admin.c) feeds them bytes and acts on the answers, and
 * tests/unit/test_admin_route.c checks them directly. */
#ifndef HAMD_ADMIN_ROUTE_H
#define HAMD_ADMIN_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADMIN_ROUTE_CAPTURES_MAX 2  /* "{x}" segments in one pattern */
#define ADMIN_ROUTE_ALLOW_MAX 96    /* bytes of an Allow header value */

struct admin_call;

/* A handler: answers the call (now or later). Returns 0. */
typedef int (*admin_handler_fn)(struct admin_call *call);

/* One row of the routing table. A pattern is an absolute path whose
 * segments are literals or "{name}", which captures one non-empty
 * segment. */
struct admin_route {
    const char *method;       /* "GET", "POST", ... */
    const char *pattern;      /* e.g. "/api/accounts/{id}/start" */
    admin_handler_fn handler; /* what answers it */
    bool mutation;            /* changes state: needs the bearer token */
};

/* A path segment captured by "{name}": offset and length in the path. */
struct admin_capture {
    size_t off; /* first byte in the path */
    size_t len; /* bytes, > 0 */
};

/* Outcome of admin_route_find. */
enum admin_route_result {
    ADMIN_ROUTE_FOUND = 0,    /* *route and the captures are set */
    ADMIN_ROUTE_NO_PATH,      /* no pattern matches the path: 404 */
    ADMIN_ROUTE_NO_METHOD,    /* the path exists for other methods: 405 */
};

/* What admin_route_find found. */
struct admin_route_match {
    const struct admin_route *route;                     /* FOUND only */
    unsigned n_captures;                                 /* "{x}" filled */
    struct admin_capture captures[ADMIN_ROUTE_CAPTURES_MAX]; /* in order */
    char allow[ADMIN_ROUTE_ALLOW_MAX]; /* NO_METHOD: "GET, POST" */
};

/* True when path[0..len) matches pattern, filling the captures of *m (one
 * trailing '/' of the path is ignored, so "/api/accounts/" matches
 * "/api/accounts"). */
bool admin_route_match_path(const char *pattern, const char *path,
                            size_t len, struct admin_route_match *m);

/* Looks method + path up in routes[0..n). Returns FOUND with m->route
 * and the captures set, NO_METHOD with the methods the path accepts in
 * m->allow ("GET, HEAD, POST"), or NO_PATH. HEAD finds a path's GET
 * route (its handler answers, h2o sends no body); a path without GET
 * refuses it. */
enum admin_route_result admin_route_find(const struct admin_route *routes,
                                         size_t n, const char *method,
                                         size_t method_len, const char *path,
                                         size_t path_len,
                                         struct admin_route_match *m);

/* Copies capture i of path into out (cap bytes with the NUL). Returns
 * false when there is no such capture or it does not fit. */
bool admin_route_capture(const struct admin_route_match *m, unsigned i,
                         const char *path, char *out, size_t cap);

/* Iterates the parameters of a query string q[0..len) ("a=1&b=x%2Fy",
 * without the '?'): start with *pos = 0; each call decodes the next
 * parameter into name and value (percent-decoding, '+' as space, NUL
 * terminated, value "" when there is no '=') and returns true, or returns
 * false at the end. A parameter that does not fit the buffers, holds a
 * NUL or a bad %-escape makes it return false and set *bad. */
bool admin_query_next(const char *q, size_t len, size_t *pos, char *name,
                      size_t name_cap, char *value, size_t value_cap,
                      bool *bad);

/* True when q[0..len) is a well-formed query string: every '%' starts an
 * escape of two hex digits other than %00, and no byte is a control
 * character. Says nothing of the parameters' names or values. */
bool admin_query_valid(const char *q, size_t len);

/* Parses a decimal unsigned integer of the whole string s, at most max.
 * Returns false for anything else (sign, spaces, overflow, empty). */
bool admin_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Finds the token of an Authorization header value ("Bearer TOKEN", the
 * scheme case-insensitive). Returns false when it is not a bearer
 * credential. */
bool admin_bearer_token(const char *value, size_t len, const char **token,
                        size_t *token_len);

/* Splits "host:port" or "[v6]:port" into host (cap bytes) and port.
 * Returns false when the form is wrong or the port is not 1..65535. */
bool admin_hostport_split(const char *s, char *host, size_t cap,
                          unsigned *port);

#endif /* HAMD_ADMIN_ROUTE_H */
