/* Answers of the admin API: JSON bodies, JSON errors, request bodies and
 * the bearer token. An error never quotes a request body (it may hold a
 * password) and the token is never logged. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin_internal.h"
#include "common/ctequal.h"
#include "common/log.h"

#define ADMIN_ERROR_MAX 512 /* bytes of an error message */
#define ADMIN_CT_JSON "application/json"

/* ------------------------------------------------------------------------
 * Answers
 * ------------------------------------------------------------------------ */

const char *admin_reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : "Error";
    }
}

/* An audit line per change request: method, path and outcome, never the
 * body. Refused tokens are logged, rate-limited, by admin_authorized. */
static void log_change(const h2o_req_t *req, int status)
{
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
        h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")) ||
        status == 401)
        return;
    LOG_INFO("admin: %.*s %.*s%s -> %d", (int)req->method.len, req->method.base,
             (int)req->path.len, req->path.base,
             admin_header(req, ADMIN_HDR_FORWARDED) ? " (forwarded)" : "", status);
}

int admin_reply_raw(h2o_req_t *req, int status, const char *content_type,
                    const char *body, size_t len)
{
    log_change(req, status);
    req->res.status = status;
    req->res.reason = admin_reason_phrase(status);
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   content_type, strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_send_inline(req, body, len);
    return 0;
}

int admin_reply_json(h2o_req_t *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\"}\n";
        return admin_reply_raw(req, 500, ADMIN_CT_JSON, oom, sizeof oom - 1);
    }
    size_t len = strlen(text);
    /* A final newline keeps curl output readable in a terminal. */
    char *line = realloc(text, len + 2);
    if (line) {
        text = line;
        text[len++] = '\n';
        text[len] = '\0';
    }
    admin_reply_raw(req, status, ADMIN_CT_JSON, text, len);
    free(text);
    return 0;
}

int admin_reply_error(h2o_req_t *req, int status, const char *field,
                      const char *fmt, ...)
{
    char msg[ADMIN_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *body = json_pack("{s:s}", "error", msg);
    if (body && field && field[0])
        json_object_set_new(body, "field", json_string(field));
    return admin_reply_json(req, status, body);
}

int admin_reply_verdict(h2o_req_t *req, const struct admin_verdict *v)
{
    return admin_reply_error(req, v->status, v->field, "%s", v->msg);
}

/* ------------------------------------------------------------------------
 * What the request carries
 * ------------------------------------------------------------------------ */

const char *admin_query(const h2o_req_t *req, size_t *len)
{
    if (req->query_at == SIZE_MAX || req->query_at >= req->path.len) {
        *len = 0;
        return "";
    }
    *len = req->path.len - req->query_at - 1;
    return req->path.base + req->query_at + 1;
}

const h2o_iovec_t *admin_header(const h2o_req_t *req, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    return i < 0 ? NULL : &req->headers.entries[i].value;
}

bool admin_query_each(struct admin_call *call, admin_query_fn fn, void *ud,
                      const char *expected)
{
    size_t qlen;
    const char *q = admin_query(call->req, &qlen);
    struct admin_verdict v;
    if (admin_query_check(q, qlen, fn, ud, expected, &v))
        return true;
    admin_reply_verdict(call->req, &v);
    return false;
}

json_t *admin_body_json(struct admin_call *call)
{
    h2o_req_t *req = call->req;
    size_t max = call->deps->cfg->max_body_bytes;
    if (req->entity.base == NULL || req->entity.len == 0) {
        admin_reply_error(req, 400, NULL, "a JSON request body is required");
        return NULL;
    }
    if (req->entity.len > max) {
        admin_reply_error(req, 413, NULL,
                          "request body of %zu bytes exceeds [admin] "
                          "max_body_bytes (%zu)", req->entity.len, max);
        return NULL;
    }
    json_error_t jerr;
    json_t *v = json_loadb(req->entity.base, req->entity.len,
                           JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        /* jansson's text may quote the input: give the position only. */
        admin_reply_error(req, 400, NULL, "invalid JSON at line %d, column %d",
                          jerr.line, jerr.column);
    return v;
}

bool admin_path_id(struct admin_call *call, unsigned i, char *out, size_t cap)
{
    if (admin_route_capture(&call->match, i, call->req->path_normalized.base,
                            out, cap))
        return true;
    admin_reply_error(call->req, 400, "id", "id is missing or too long");
    return false;
}

/* ------------------------------------------------------------------------
 * Bearer token
 * ------------------------------------------------------------------------ */

/* Reads the whole (small) file into buf; returns its length or -1. */
static ssize_t token_read(int fd, char *buf, size_t cap)
{
    size_t used = 0;
    while (used < cap) {
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        used += (size_t)n;
    }
    return (ssize_t)used;
}

static bool token_chars_ok(const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f)
            return false;
    return true;
}

int admin_token_load(struct hamd_admin *self, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        LOG_ERROR("admin: cannot read [admin] token_file %s: %s", path,
                  strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & S_IROTH)) {
        LOG_ERROR("admin: [admin] token_file %s must be a regular file not "
                  "readable by others (mode %04o; chmod 600 it)", path,
                  (unsigned)(st.st_mode & 07777));
        close(fd);
        return -1;
    }
    char buf[ADMIN_TOKEN_MAX + 1];
    ssize_t n = token_read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0 || (size_t)n > ADMIN_TOKEN_MAX) {
        LOG_ERROR("admin: [admin] token_file %s: %s", path,
                  n < 0 ? strerror(errno) : "token longer than 255 bytes");
        return -1;
    }
    size_t len = (size_t)n;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
                       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= ADMIN_TOKEN_MAX || !token_chars_ok(buf, len)) {
        LOG_ERROR("admin: [admin] token_file %s: %s", path,
                  len == 0                 ? "empty"
                  : len >= ADMIN_TOKEN_MAX ? "token longer than 255 bytes"
                                           : "the token must be one line "
                                             "without spaces or control "
                                             "characters");
        return -1;
    }
    memcpy(self->token, buf, len);
    self->token[len] = '\0';
    self->token_len = len;
    explicit_bzero(buf, sizeof buf);
    return 0;
}

bool admin_authorized(struct admin_call *call)
{
    struct hamd_admin *self = call->admin;
    h2o_req_t *req = call->req;
    if (self->token_len == 0)
        return true;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    const char *tok;
    size_t tok_len;
    if (i >= 0 &&
        admin_bearer_token(req->headers.entries[i].value.base,
                           req->headers.entries[i].value.len, &tok, &tok_len) &&
        hamd_ct_equal(tok, tok_len, self->token, self->token_len))
        return true;
    self->auth_failures++;
    hamd_log_rated(&self->auth_log_rate, HAMD_LOG_WARN,
                   "admin: %.*s %.*s refused: %s bearer token",
                   (int)req->method.len, req->method.base,
                   (int)req->path_normalized.len, req->path_normalized.base,
                   i >= 0 ? "wrong" : "no");
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE,
                   NULL, H2O_STRLIT("Bearer"));
    /* Told apart: an operator who gave a token looks for the right one,
     * not for the option that sends it. */
    admin_reply_error(req, 401, NULL, "%s",
                      i >= 0 ? "the bearer token is wrong: changes need "
                               "Authorization: Bearer TOKEN, TOKEN the first "
                               "line of [admin] token_file"
                             : "a bearer token is required for changes "
                               "(Authorization: Bearer TOKEN of [admin] "
                               "token_file)");
    return false;
}
