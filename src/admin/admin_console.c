/* The operator console (docs/console.md) and the API description, served
 * from the files compiled into the binary (admin_assets.h):
 *
 *   GET /                  the console's page
 *   GET /console/{file}    its scripts, style sheet, icon
 *   GET /api/docs          the API reference page (rendered by docs.js)
 *   GET /api/openapi.json  the OpenAPI 3.0 description of every route
 *
 * Each answer carries an ETag (a SHA-256 prefix of the file, computed at
 * build time) and Cache-Control: no-cache, so a browser asks again every
 * time and gets a 304 without a body while the binary is the same. A
 * strict Content-Security-Policy allows nothing but this node: no inline
 * script, no other origin, no frame: the console works air-gapped and an
 * injected string cannot run. */
#include <string.h>

#include "admin/admin_assets.h"
#include "admin/admin_internal.h"

#define CONSOLE_FILE_MAX 64 /* bytes of a file name in the path */

/* What every console answer says about where its parts may come from. */
#define CONSOLE_CSP                                                          \
    "default-src 'self'; script-src 'self'; style-src 'self'; "              \
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "          \
    "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

/* File name ending -> Content-Type. */
struct content_type {
    const char *ext;   /* ".js" */
    const char *type;  /* its Content-Type */
};

static const struct content_type CONTENT_TYPES[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
};

const struct admin_asset *admin_asset_find(const char *name)
{
    for (const struct admin_asset *a = ADMIN_ASSETS; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

static const char *content_type_of(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof CONTENT_TYPES / sizeof CONTENT_TYPES[0]; i++) {
        size_t e = strlen(CONTENT_TYPES[i].ext);
        if (n > e && strcmp(name + n - e, CONTENT_TYPES[i].ext) == 0)
            return CONTENT_TYPES[i].type;
    }
    return "application/octet-stream";
}

static void add_header(h2o_req_t *req, const h2o_token_t *token,
                       const char *value)
{
    h2o_add_header(&req->pool, &req->res.headers, token, NULL, value,
                   strlen(value));
}

static void add_header_by_name(h2o_req_t *req, const char *name,
                               const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name),
                          0, NULL, value, strlen(value));
}

/* True when the request's If-None-Match names etag (or is "*"). */
static bool etag_matches(const h2o_req_t *req, const char *etag)
{
    const h2o_iovec_t *v = admin_header(req, "if-none-match");
    if (!v)
        return false;
    size_t n = strlen(etag);
    for (size_t i = 0; i + n <= v->len; i++)
        if (memcmp(v->base + i, etag, n) == 0)
            return true;
    return v->len == 1 && v->base[0] == '*';
}

/* Sends the file: 200 with it, or 304 when the browser has it. */
static int asset_send(h2o_req_t *req, const struct admin_asset *a)
{
    add_header(req, H2O_TOKEN_ETAG, a->etag);
    add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-cache");
    add_header_by_name(req, "x-content-type-options", "nosniff");
    add_header_by_name(req, "content-security-policy", CONSOLE_CSP);
    add_header_by_name(req, "referrer-policy", "no-referrer");
    if (etag_matches(req, a->etag)) {
        req->res.status = 304;
        req->res.reason = "Not Modified";
        h2o_send_inline(req, "", 0);
        return 0;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = a->len;
    add_header(req, H2O_TOKEN_CONTENT_TYPE, content_type_of(a->name));
    h2o_send_inline(req, (const char *)a->data, a->len);
    return 0;
}

/* Answers with the compiled-in file name; 500 when the build lacks it. */
static int asset_reply(struct admin_call *call, const char *name)
{
    const struct admin_asset *a = admin_asset_find(name);
    if (!a)
        return admin_reply_error(call->req, 500, NULL,
                                 "%s is missing from this build", name);
    return asset_send(call->req, a);
}

static int console_index(struct admin_call *call)
{
    return asset_reply(call, "index.html");
}

static int console_file(struct admin_call *call)
{
    char name[CONSOLE_FILE_MAX];
    const struct admin_asset *a = NULL;
    if (admin_route_capture(&call->match, 0, call->req->path_normalized.base,
                            name, sizeof name))
        a = admin_asset_find(name);
    if (!a)
        return admin_reply_error(call->req, 404, NULL, "no such file: %.*s",
                                 (int)call->req->path_normalized.len,
                                 call->req->path_normalized.base);
    return asset_send(call->req, a);
}

static int api_docs(struct admin_call *call)
{
    return asset_reply(call, "docs.html");
}

static int api_openapi(struct admin_call *call)
{
    return asset_reply(call, "openapi.json");
}

const struct admin_route ADMIN_CONSOLE_ROUTES[] = {
    {"GET", "/", console_index, false},
    {"GET", "/console/{file}", console_file, false},
    {"GET", "/api/docs", api_docs, false},
    {"GET", "/api/openapi.json", api_openapi, false},
    {NULL, NULL, NULL, false},
};
