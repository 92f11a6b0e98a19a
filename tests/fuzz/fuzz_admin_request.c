/* Fuzz target: the parts of an admin API request the server parses itself
 * before any handler runs (src/admin/admin_route.h): routing the method and
 * path, the "{id}" captures, the query string, the bearer token of the
 * Authorization header, and a Host-like "host:port".
 *
 * Input: three lines, "METHOD PATH[?QUERY]", the Authorization value, a
 * host:port. The routes are the API's patterns (docs/api.md); the
 * handlers never run.
 *
 * Checks: a found route has the method asked and captures that are
 * non-empty segments inside the path; a path refused for its method lists
 * methods in Allow; query parameters come out NUL-terminated, within
 * their buffers, and the walk ends; a bearer token lies inside the header
 * and compares equal to itself and to nothing else; a split host:port has
 * a port of 1..65535. */
#include <string.h>

#include "admin/admin_route.h"
#include "common/ctequal.h"
#include "fuzz.h"

#define REQ_NAME_MAX 64    /* query parameter name buffer, as handlers use */
#define REQ_VALUE_MAX 256  /* query parameter value buffer */
#define REQ_PARAMS_MAX 512 /* parameters walked at most */
#define REQ_HOST_MAX 256   /* host buffer */
#define REQ_PORT_MAX 65535 /* largest TCP port */

static int req_handler(struct admin_call *call)
{
    (void)call;
    return 0;
}

#define GET(p) {"GET", p, req_handler, false}
#define MUT(m, p) {m, p, req_handler, true}

/* The API's routes (src/admin/admin_*.c), handlers aside. */
static const struct admin_route REQ_ROUTES[] = {
    GET("/livez"), GET("/readyz"), GET("/healthz"), GET("/metrics"),
    GET("/api/status"), GET("/api/accounts"), GET("/api/accounts/{id}"),
    MUT("POST", "/api/accounts"), MUT("PUT", "/api/accounts/{id}"),
    MUT("DELETE", "/api/accounts/{id}"),
    MUT("POST", "/api/accounts/{id}/start"),
    MUT("POST", "/api/accounts/{id}/stop"),
    MUT("POST", "/api/accounts/{id}/restart"), GET("/api/subscriptions"),
    MUT("POST", "/api/subscriptions"), MUT("DELETE", "/api/subscriptions"),
    GET("/api/members"), MUT("POST", "/api/members"),
    MUT("DELETE", "/api/members/{id}"), GET("/api/events"),
    MUT("POST", "/api/transfer"), MUT("POST", "/api/failover"),
    MUT("POST", "/api/failback"), MUT("POST", "/api/pause"),
    MUT("POST", "/api/resume"),
};
#define REQ_N_ROUTES (sizeof REQ_ROUTES / sizeof REQ_ROUTES[0])

/* The next line of the input (without its '\n'). */
static void req_line(const uint8_t **p, const uint8_t *end,
                     const char **line, size_t *len)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    *line = (const char *)*p;
    *len = (size_t)((nl ? nl : end) - *p);
    *p = nl ? nl + 1 : end;
}

static void req_route_check(const char *method, size_t mlen,
                            const char *path, size_t plen)
{
    struct admin_route_match m;
    char id[REQ_VALUE_MAX];
    memset(&m, 0, sizeof m);
    enum admin_route_result r = admin_route_find(REQ_ROUTES, REQ_N_ROUTES,
                                                 method, mlen, path, plen, &m);
    if (r == ADMIN_ROUTE_NO_METHOD)
        FUZZ_CHECK(m.allow[0] != '\0' &&
                   strlen(m.allow) < sizeof m.allow);
    if (r != ADMIN_ROUTE_FOUND)
        return;
    /* The route has the method asked, or GET for a HEAD (answered like
     * GET without the body, docs/api.md). */
    bool head = mlen == 4 && memcmp(method, "HEAD", 4) == 0;
    FUZZ_CHECK(head ? strcmp(m.route->method, "GET") == 0
                    : strlen(m.route->method) == mlen &&
                          memcmp(m.route->method, method, mlen) == 0);
    FUZZ_CHECK(m.n_captures <= ADMIN_ROUTE_CAPTURES_MAX);
    for (unsigned i = 0; i < m.n_captures; i++) {
        const struct admin_capture *c = &m.captures[i];
        FUZZ_CHECK(c->len > 0 && c->off <= plen && c->len <= plen - c->off);
        FUZZ_CHECK(memchr(path + c->off, '/', c->len) == NULL);
        if (admin_route_capture(&m, i, path, id, sizeof id))
            FUZZ_CHECK(strlen(id) <= c->len);
    }
}

static void req_query_check(const char *q, size_t len)
{
    char name[REQ_NAME_MAX], value[REQ_VALUE_MAX];
    size_t pos = 0, last = 0;
    bool bad = false;
    uint64_t n;
    for (unsigned i = 0; i < REQ_PARAMS_MAX &&
                         admin_query_next(q, len, &pos, name, sizeof name,
                                          value, sizeof value, &bad);
         i++) {
        FUZZ_CHECK(pos > last && pos <= len);
        last = pos;
        FUZZ_CHECK(strlen(name) < sizeof name && strlen(value) < sizeof value);
        (void)admin_parse_u64(value, UINT64_MAX, &n);
    }
}

static void req_token_check(const char *value, size_t len)
{
    const char *tok;
    size_t tlen;
    if (!admin_bearer_token(value, len, &tok, &tlen))
        return;
    FUZZ_CHECK(tok >= value && tlen <= len && tok + tlen <= value + len);
    FUZZ_CHECK(hamd_ct_equal(tok, tlen, tok, tlen));
    FUZZ_CHECK(!hamd_ct_equal(tok, tlen, "s3cret-token", 12) ||
               (tlen == 12 && memcmp(tok, "s3cret-token", 12) == 0));
}

static void req_hostport_check(const char *s, size_t len)
{
    char text[REQ_VALUE_MAX], host[REQ_HOST_MAX];
    unsigned port;
    if (len >= sizeof text || memchr(s, '\0', len))
        return;
    memcpy(text, s, len);
    text[len] = '\0';
    if (admin_hostport_split(text, host, sizeof host, &port))
        FUZZ_CHECK(port >= 1 && port <= REQ_PORT_MAX &&
                   strlen(host) < sizeof host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    const char *line, *auth, *hostport;
    size_t len, auth_len, hp_len;
    req_line(&p, end, &line, &len);
    req_line(&p, end, &auth, &auth_len);
    req_line(&p, end, &hostport, &hp_len);

    const char *sp = memchr(line, ' ', len);
    size_t mlen = sp ? (size_t)(sp - line) : len;
    const char *target = sp ? sp + 1 : line + len;
    size_t tlen = (size_t)(line + len - target);
    const char *qmark = memchr(target, '?', tlen);
    size_t plen = qmark ? (size_t)(qmark - target) : tlen;

    req_route_check(line, mlen, target, plen);
    if (qmark)
        req_query_check(qmark + 1, tlen - plen - 1);
    req_token_check(auth, auth_len);
    req_hostport_check(hostport, hp_len);
    return 0;
}
