/* The command line of a front: see frontcli.h. */
#include "gw-sim/frontcli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* Params keys a front has no use for: they drive a gateway. */
static const char *const GATEWAY_ONLY_KEYS[] = {
    "login_ms", "fault", "fault_after_ms", "reconnect_ms", "control",
    "upstream", "link_timeout_ms", "tap",
};

/* Sets key to the JSON number in text. Returns 0 or -1. */
static int set_number(json_t *obj, const char *key, const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!json_is_number(v)) {
        json_decref(v);
        return -1;
    }
    return json_object_set_new(obj, key, v);
}

/* Sets `exchanges` to the comma-separated list. Returns 0 or -1. */
static int set_exchanges(json_t *obj, const char *list)
{
    json_t *arr = json_array();
    const char *p = list;
    while (arr && *p) {
        size_t n = strcspn(p, ",");
        json_array_append_new(arr, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    return arr ? json_object_set_new(obj, "exchanges", arr) : -1;
}

/* Replaces obj with the object in text. Returns 0 or -1. */
static int load_params(json_t **obj, const char *text)
{
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        return -1;
    }
    json_object_update(v, *obj);
    json_decref(*obj);
    *obj = v;
    return 0;
}

/* Applies one option with its value. Returns 0, or -1 (message in err). */
static int apply(json_t **obj, const char *opt, const char *val, char *err,
                 size_t errcap)
{
    int rc = -1;
    if (strcmp(opt, "--seed") == 0 || strcmp(opt, "--rate") == 0)
        rc = set_number(*obj, opt + 2, val);
    else if (strcmp(opt, "--exchanges") == 0)
        rc = set_exchanges(*obj, val);
    else if (strcmp(opt, "--log-level") == 0)
        rc = json_object_set_new(*obj, "log_level", json_string(val));
    else if (strcmp(opt, "--params") == 0)
        rc = load_params(obj, val);
    else
        snprintf(err, errcap, "unknown option '%.40s'", opt);
    if (rc != 0 && !err[0])
        snprintf(err, errcap, "%s: bad value (see --help)", opt);
    return rc;
}

/* Logs the params keys a front ignores. */
static void warn_gateway_keys(json_t *obj)
{
    size_t n = sizeof GATEWAY_ONLY_KEYS / sizeof *GATEWAY_ONLY_KEYS;
    for (size_t i = 0; i < n; i++)
        if (json_object_get(obj, GATEWAY_ONLY_KEYS[i]))
            LOG_WARN("params: '%s' is for gateways; a front ignores it",
                     GATEWAY_ONLY_KEYS[i]);
}

char *gwsim_frontcli_parse(int argc, char **argv, const char **endpoint,
                           char *err, size_t errcap)
{
    err[0] = '\0';
    if (argc < 3 || argv[2][0] == '\0' || argv[2][0] == '-') {
        snprintf(err, errcap, "%s needs an endpoint, e.g. tcp://*:6101",
                 GWSIM_FRONT_OPTION);
        return NULL;
    }
    *endpoint = argv[2];
    json_t *obj = json_object();
    /* --params first, so the other options override its keys */
    for (int i = 3; obj && i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--params") == 0 &&
            apply(&obj, argv[i], argv[i + 1], err, errcap) != 0)
            goto fail;
    for (int i = 3; obj && i < argc; i += 2) {
        if (i + 1 == argc) {
            snprintf(err, errcap, "%.40s needs a value", argv[i]);
            goto fail;
        }
        if (strcmp(argv[i], "--params") != 0 &&
            apply(&obj, argv[i], argv[i + 1], err, errcap) != 0)
            goto fail;
    }
    if (!obj)
        goto fail;
    warn_gateway_keys(obj);
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return text;
fail:
    if (!err[0])
        snprintf(err, errcap, "out of memory");
    json_decref(obj);
    return NULL;
}
