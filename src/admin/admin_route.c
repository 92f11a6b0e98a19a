/* Pure helpers of the admin HTTP API: see admin_route.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin/admin_route.h"

#define ADMIN_PORT_MAX 65535 /* highest TCP port */

/* ------------------------------------------------------------------------
 * Routes
 * ------------------------------------------------------------------------ */

/* Length of the segment starting at s (up to '/' or end). */
static size_t segment_len(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    return slash ? (size_t)(slash - s) : len;
}

bool admin_route_match_path(const char *pattern, const char *path,
                            size_t len, struct admin_route_match *m)
{
    if (len > 1 && path[len - 1] == '/')
        len--;
    m->n_captures = 0;
    size_t pi = 0, plen = strlen(pattern);
    size_t si = 0;
    /* Both start with '/': walk segment by segment. */
    while (pi < plen && si < len) {
        if (pattern[pi] != '/' || path[si] != '/')
            return false;
        pi++;
        si++;
        size_t pseg = segment_len(pattern + pi, plen - pi);
        size_t sseg = segment_len(path + si, len - si);
        if (pseg >= 2 && pattern[pi] == '{' && pattern[pi + pseg - 1] == '}') {
            if (sseg == 0 || m->n_captures == ADMIN_ROUTE_CAPTURES_MAX)
                return false;
            m->captures[m->n_captures].off = si;
            m->captures[m->n_captures].len = sseg;
            m->n_captures++;
        } else if (pseg != sseg || memcmp(pattern + pi, path + si, sseg) != 0) {
            return false;
        }
        pi += pseg;
        si += sseg;
    }
    return pi == plen && si == len;
}

static void allow_add(char *allow, const char *method)
{
    size_t used = strlen(allow);
    if (strstr(allow, method))
        return;
    snprintf(allow + used, ADMIN_ROUTE_ALLOW_MAX - used, "%s%s",
             used ? ", " : "", method);
    if (strcmp(method, "GET") == 0)
        allow_add(allow, "HEAD");
}

/* True when route r answers method: its own, or HEAD for a GET route
 * (RFC 9110: HEAD wherever GET is; load balancers probe with it). The
 * GET handler runs and h2o leaves the body out, keeping the status and
 * the headers, Content-Length included. */
static bool route_takes(const struct admin_route *r, const char *method,
                        size_t method_len)
{
    size_t n = strlen(r->method);
    if (n == method_len && memcmp(r->method, method, method_len) == 0)
        return true;
    return method_len == strlen("HEAD") &&
           memcmp(method, "HEAD", method_len) == 0 &&
           strcmp(r->method, "GET") == 0;
}

enum admin_route_result admin_route_find(const struct admin_route *routes,
                                         size_t n, const char *method,
                                         size_t method_len, const char *path,
                                         size_t path_len,
                                         struct admin_route_match *m)
{
    struct admin_route_match probe;
    bool path_known = false;
    m->route = NULL;
    m->n_captures = 0;
    m->allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!admin_route_match_path(routes[i].pattern, path, path_len, &probe))
            continue;
        path_known = true;
        if (route_takes(&routes[i], method, method_len)) {
            *m = probe;
            m->route = &routes[i];
            m->allow[0] = '\0';
            return ADMIN_ROUTE_FOUND;
        }
        allow_add(m->allow, routes[i].method);
    }
    return path_known ? ADMIN_ROUTE_NO_METHOD : ADMIN_ROUTE_NO_PATH;
}

bool admin_route_capture(const struct admin_route_match *m, unsigned i,
                         const char *path, char *out, size_t cap)
{
    if (i >= m->n_captures || m->captures[i].len >= cap)
        return false;
    memcpy(out, path + m->captures[i].off, m->captures[i].len);
    out[m->captures[i].len] = '\0';
    return true;
}

/* ------------------------------------------------------------------------
 * Query strings
 * ------------------------------------------------------------------------ */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) into out (cap bytes with the NUL). */
static bool query_decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len)
                return false;
            int h = hex_value(s[i + 1]), l = hex_value(s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0))
                return false;
            c = (char)(h * 16 + l);
            i += 2;
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

bool admin_query_next(const char *q, size_t len, size_t *pos, char *name,
                      size_t name_cap, char *value, size_t value_cap,
                      bool *bad)
{
    while (*pos < len && q[*pos] == '&')
        (*pos)++;
    if (*pos >= len)
        return false;
    const char *start = q + *pos;
    const char *amp = memchr(start, '&', len - *pos);
    size_t plen = amp ? (size_t)(amp - start) : len - *pos;
    *pos += plen;
    const char *eq = memchr(start, '=', plen);
    size_t nlen = eq ? (size_t)(eq - start) : plen;
    const char *v = eq ? eq + 1 : start + plen;
    size_t vlen = eq ? plen - nlen - 1 : 0;
    if (!query_decode(start, nlen, name, name_cap) ||
        !query_decode(v, vlen, value, value_cap)) {
        *bad = true;
        return false;
    }
    return true;
}

bool admin_query_valid(const char *q, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)q[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c != '%')
            continue;
        if (i + 2 >= len)
            return false;
        int h = hex_value(q[i + 1]), l = hex_value(q[i + 2]);
        if (h < 0 || l < 0 || (h == 0 && l == 0))
            return false;
        i += 2;
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Numbers, tokens, addresses
 * ------------------------------------------------------------------------ */

bool admin_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s[0])
        return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool admin_bearer_token(const char *value, size_t len, const char **token,
                        size_t *token_len)
{
    static const char scheme[] = "bearer";
    const size_t slen = sizeof scheme - 1;
    if (len <= slen || strncasecmp(value, scheme, slen) != 0 ||
        (value[slen] != ' ' && value[slen] != '\t'))
        return false;
    size_t i = slen;
    while (i < len && (value[i] == ' ' || value[i] == '\t'))
        i++;
    size_t end = len;
    while (end > i && (value[end - 1] == ' ' || value[end - 1] == '\t'))
        end--;
    if (end == i)
        return false;
    *token = value + i;
    *token_len = end - i;
    return true;
}

bool admin_hostport_split(const char *s, char *host, size_t cap,
                          unsigned *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return false;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return false;
        hlen = (size_t)(colon - s);
    }
    uint64_t p;
    if (hlen == 0 || hlen >= cap || !admin_parse_u64(colon + 1, ADMIN_PORT_MAX, &p) ||
        p == 0)
        return false;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (unsigned)p;
    return true;
}
