/* GET /api/openapi.json against the router's table, both ways: every
 * route of the table is described (same path pattern, same method), every
 * operation described is a route; a route that needs the bearer token
 * says so (security, a 401 answer) and one that does not, does not; every
 * operation documents its answers, and every $ref resolves. The
 * description tested is the one compiled into the daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin_assets.h"
#include "admin/admin_internal.h"

#define METHOD_MAX 16 /* bytes of an HTTP method name */

static json_t *spec_load(void)
{
    const struct admin_asset *a = admin_asset_find("openapi.json");
    assert_non_null(a);
    json_error_t err;
    json_t *spec = json_loadb((const char *)a->data, a->len, 0, &err);
    if (!spec)
        fail_msg("openapi.json: %s at line %d", err.text, err.line);
    return spec;
}

static void lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

/* The operation of the spec for method + pattern, or NULL. */
static json_t *spec_op(json_t *spec, const char *method, const char *pattern)
{
    char m[METHOD_MAX];
    lower(method, m, sizeof m);
    return json_object_get(json_object_get(json_object_get(spec, "paths"),
                                           pattern),
                           m);
}

static const struct admin_route *route_of(const char *method,
                                          const char *pattern)
{
    for (size_t t = 0; ADMIN_ROUTE_TABLES[t]; t++)
        for (const struct admin_route *r = ADMIN_ROUTE_TABLES[t]; r->pattern;
             r++)
            if (strcasecmp(r->method, method) == 0 &&
                strcmp(r->pattern, pattern) == 0)
                return r;
    return NULL;
}

static void test_every_route_is_described(void **state)
{
    (void)state;
    json_t *spec = spec_load();
    size_t n = 0;
    for (size_t t = 0; ADMIN_ROUTE_TABLES[t]; t++)
        for (const struct admin_route *r = ADMIN_ROUTE_TABLES[t]; r->pattern;
             r++, n++)
            if (!spec_op(spec, r->method, r->pattern))
                fail_msg("route %s %s is not in openapi.json", r->method,
                         r->pattern);
    assert_true(n > 30);
    json_decref(spec);
}

static void test_every_operation_is_a_route(void **state)
{
    (void)state;
    json_t *spec = spec_load();
    const char *path, *method;
    json_t *item, *op;
    json_object_foreach(json_object_get(spec, "paths"), path, item) {
        json_object_foreach(item, method, op) {
            if (!route_of(method, path))
                fail_msg("openapi.json describes %s %s, which the router "
                         "does not serve", method, path);
        }
    }
    json_decref(spec);
}

static void test_tokens_and_answers(void **state)
{
    (void)state;
    json_t *spec = spec_load();
    for (size_t t = 0; ADMIN_ROUTE_TABLES[t]; t++)
        for (const struct admin_route *r = ADMIN_ROUTE_TABLES[t]; r->pattern;
             r++) {
            json_t *op = spec_op(spec, r->method, r->pattern);
            json_t *responses = json_object_get(op, "responses");
            if (json_object_size(responses) == 0)
                fail_msg("%s %s documents no answer", r->method, r->pattern);
            bool secured = json_object_get(op, "security") != NULL;
            bool has_401 = json_object_get(responses, "401") != NULL;
            if (secured != r->mutation || has_401 != r->mutation)
                fail_msg("%s %s: the router %s a token, the spec says "
                         "security %s, 401 %s", r->method, r->pattern,
                         r->mutation ? "needs" : "needs no",
                         secured ? "yes" : "no", has_401 ? "yes" : "no");
        }
    json_decref(spec);
}

/* Checks every "$ref" under v names a schema of the components. */
static void refs_resolve(json_t *spec, json_t *v)
{
    static const char prefix[] = "#/components/schemas/";
    const char *key;
    json_t *child;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, child) {
            if (strcmp(key, "$ref") == 0) {
                const char *ref = json_string_value(child);
                assert_non_null(ref);
                assert_int_equal(strncmp(ref, prefix, sizeof prefix - 1), 0);
                if (!json_object_get(json_object_get(json_object_get(
                                         spec, "components"), "schemas"),
                                     ref + sizeof prefix - 1))
                    fail_msg("$ref %s does not resolve", ref);
            } else {
                refs_resolve(spec, child);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child)
            refs_resolve(spec, child);
    }
}

static void test_refs_resolve(void **state)
{
    (void)state;
    json_t *spec = spec_load();
    assert_string_equal(json_string_value(json_object_get(spec, "openapi")),
                        "3.0.3");
    refs_resolve(spec, spec);
    json_decref(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_is_described),
        cmocka_unit_test(test_every_operation_is_a_route),
        cmocka_unit_test(test_tokens_and_answers),
        cmocka_unit_test(test_refs_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
