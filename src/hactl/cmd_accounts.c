/* hactl accounts list|add|update|rm|enable|disable: the data-source
 * accounts through /api/accounts. Writes go to any node that answers (a
 * follower forwards them to the leader); the node validates, hactl only
 * builds the JSON. Passwords come back masked as "***"; an update that
 * changes some params sends the others back masked, which the node reads
 * as "keep the stored value". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hactl/hactl.h"
#include "hactl/http.h"
#include "hactl/util.h"

#define ACCT_PATH_MAX 128             /* bytes of an /api/accounts/ID path */
#define ACCT_BODY_FILE_MAX (1u << 20) /* bytes of a --json-body file */

static const char ACCOUNTS_USAGE[] =
    "accounts list [--json]\n"
    "       hactl accounts add --id ID --type TYPE --priority N --exchanges A,B\n"
    "                          [--name NAME] [--canary VT] [--param K=V]...\n"
    "                          [--param-str K=V]... [--disabled] [--json-body FILE|-]\n"
    "       hactl accounts update ID [the options of add]\n"
    "       hactl accounts rm|enable|disable ID\n"
    "       hactl accounts rekey [--json]";

/* The fields given on the command line. */
struct acct_opts {
    json_t *obj;        /* the account object being built */
    json_t *params;     /* --param / --param-str values, or NULL */
    const char *id;     /* --id or the operand */
    bool json;          /* --json: print the raw answer */
};

/* ------------------------------------------------------------------------
 * Building the body
 * ------------------------------------------------------------------------ */

/* A number when s is one, else the string (the node checks types). */
static json_t *int_or_string(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    return s[0] && *end == '\0' ? json_integer(v) : json_string(s);
}

static json_t *split_list(const char *csv)
{
    json_t *arr = json_array();
    char *copy = strdup(csv);
    char *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
         t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (*t)
            json_array_append_new(arr, json_string(t));
    }
    free(copy);
    return arr;
}

/* --param K=V: V as JSON when it is valid JSON (7, true, "x", {...}),
 * else as a string; --param-str K=V: always a string. */
static int add_param(struct acct_opts *o, const char *kv, bool as_string)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "hactl accounts: --param wants KEY=VALUE, got '%.*s'\n",
                (int)(eq ? eq - kv : (long)strlen(kv)), kv);
        return HACTL_USAGE;
    }
    json_t *v = as_string ? NULL : json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    if (!v)
        v = json_string(eq + 1);
    if (!o->params)
        o->params = json_object();
    char *key = strndup(kv, (size_t)(eq - kv));
    json_object_set_new(o->params, key, v);
    free(key);
    return HACTL_OK;
}

static json_t *read_body_file(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    json_error_t err;
    json_t *v = f ? json_loadf(f, 0, &err) : NULL;
    if (!f)
        fprintf(stderr, "hactl accounts: cannot read %s\n", path);
    else if (!json_is_object(v))
        fprintf(stderr, "hactl accounts: %s: not a JSON object (line %d)\n",
                path, err.line);
    if (f && f != stdin)
        fclose(f);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

static int parse_opts(struct acct_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"id", required_argument, NULL, 'i'},
        {"name", required_argument, NULL, 'n'},
        {"type", required_argument, NULL, 't'},
        {"priority", required_argument, NULL, 'p'},
        {"exchanges", required_argument, NULL, 'x'},
        {"canary", required_argument, NULL, 'C'},
        {"param", required_argument, NULL, 'P'},
        {"param-str", required_argument, NULL, 'S'},
        {"disabled", no_argument, NULL, 'd'},
        {"enabled", no_argument, NULL, 'e'},
        {"json-body", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int opt, rc = HACTL_OK;
    json_t *file = NULL;
    while (rc == HACTL_OK &&
           (opt = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i': o->id = optarg; json_object_set_new(o->obj, "id", json_string(optarg)); break;
        case 'n': json_object_set_new(o->obj, "name", json_string(optarg)); break;
        case 't': json_object_set_new(o->obj, "gateway_type", json_string(optarg)); break;
        case 'p': json_object_set_new(o->obj, "priority", int_or_string(optarg)); break;
        case 'x': json_object_set_new(o->obj, "exchanges", split_list(optarg)); break;
        case 'C': json_object_set_new(o->obj, "canary", json_string(optarg)); break;
        case 'P': rc = add_param(o, optarg, false); break;
        case 'S': rc = add_param(o, optarg, true); break;
        case 'd': json_object_set_new(o->obj, "enabled", json_false()); break;
        case 'e': json_object_set_new(o->obj, "enabled", json_true()); break;
        case 'b':
            json_decref(file);
            if (!(file = read_body_file(optarg)))
                rc = HACTL_USAGE;
            break;
        case 'j': o->json = true; break;
        default: rc = HACTL_USAGE; break;
        }
    }
    if (file && rc == HACTL_OK) {
        /* Options given next to the file override its fields. */
        json_object_update(file, o->obj);
        json_decref(o->obj);
        o->obj = json_incref(file);
        if (!o->id)
            o->id = json_string_value(json_object_get(file, "id"));
    }
    json_decref(file);
    return rc;
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

static void print_account_row(const json_t *a)
{
    char exch[128] = "";
    size_t i, used = 0;
    const json_t *e;
    json_array_foreach(json_object_get(a, "exchanges"), i, e) {
        if (used >= sizeof exch)
            break;
        int n = snprintf(exch + used, sizeof exch - used, "%s%s", i ? "," : "",
                         json_string_value(e));
        used += n > 0 ? (size_t)n : 0;
    }
    const json_t *running = json_object_get(a, "running"); /* absent: older node */
    printf("%-16s %-20s %-10s %4lld  %-7s %-7s %-20s %s\n", hactl_jstr(a, "id", "?"),
           hactl_jstr(a, "name", "-"), hactl_jstr(a, "gateway_type", "?"),
           hactl_jint(a, "priority"),
           json_is_true(json_object_get(a, "enabled")) ? "yes" : "no",
           !running ? "-" : json_is_true(running) ? "yes" : "STOPPED", exch,
           hactl_jstr(a, "canary", "-"));
}

static int accounts_list(struct hactl *ctl, int argc, char **argv)
{
    int rc = hactl_read_no_operands(ctl, argc, argv, "accounts list [--json]");
    if (rc != HACTL_OK)
        return rc;
    struct hactl_resp r;
    hactl_http_read(ctl, "/api/accounts", &r);
    rc = hactl_http_check("accounts list", &r);
    if (rc == HACTL_OK && ctl->json) {
        hactl_print_raw(&r);
    } else if (rc == HACTL_OK) {
        printf("%-16s %-20s %-10s %4s  %-7s %-7s %-20s %s\n", "ID", "NAME", "TYPE",
               "PRIO", "ENABLED", "RUNNING", "EXCHANGES", "CANARY");
        size_t i;
        const json_t *a;
        json_array_foreach(r.json, i, a)
            print_account_row(a);
    }
    hactl_resp_free(&r);
    return rc;
}

/* Sends a write and reports it: the raw answer with --json, else msg. */
static int send_write(struct hactl *ctl, const char *what, const char *method,
                      const char *path, const json_t *body, bool json,
                      const char *msg)
{
    struct hactl_resp r;
    int rc = hactl_http_write_json(ctl, what, method, path, body, &r);
    if (rc == HACTL_OK && (json || ctl->json))
        hactl_print_raw(&r);
    else if (rc == HACTL_OK)
        printf("%s\n", msg);
    hactl_resp_free(&r);
    return rc;
}

/* For update: the stored params (masked) with the given ones applied,
 * read from the leader, which has applied every committed change. */
static int merge_params(struct hactl *ctl, const char *path, json_t *given,
                        json_t **out)
{
    struct hactl_resp r;
    hactl_http_read_leader(ctl, path, &r);
    int rc = hactl_http_check("accounts update", &r);
    if (rc == HACTL_OK) {
        json_t *stored = json_object_get(r.json, "params");
        *out = json_is_object(stored) ? json_deep_copy(stored) : json_object();
        json_object_update(*out, given);
    }
    hactl_resp_free(&r);
    return rc;
}

/* add / update (argv[0]). */
static int accounts_add_update(struct hactl *ctl, int argc, char **argv)
{
    bool update = strcmp(argv[0], "update") == 0;
    struct acct_opts o = {.obj = json_object()};
    int rc = parse_opts(&o, argc, argv);
    if (rc == HACTL_OK && update && optind < argc) {
        /* update ID: the ID given, whatever --id or a --json-body file
         * (its "id", the one add took) say, as long as they agree. */
        const char *id = argv[optind++];
        if (o.id && strcmp(o.id, id) != 0) {
            fprintf(stderr, "hactl: accounts update %s: the account says "
                            "id '%s'\n", id, o.id);
            rc = HACTL_USAGE;
        }
        o.id = id;
    }
    if (rc == HACTL_OK && (optind < argc || (update && !o.id))) {
        fprintf(stderr, "usage: hactl %s\n", ACCOUNTS_USAGE);
        rc = HACTL_USAGE;
    }
    char path[ACCT_PATH_MAX], msg[ACCT_PATH_MAX];
    json_t *params = NULL;
    if (rc == HACTL_OK && update) {
        snprintf(path, sizeof path, "/api/accounts/%s", o.id);
        if (o.params)
            rc = merge_params(ctl, path, o.params, &params);
    } else if (rc == HACTL_OK) {
        snprintf(path, sizeof path, "/api/accounts");
        params = json_incref(o.params);
    }
    if (rc == HACTL_OK) {
        if (params)
            json_object_set(o.obj, "params", params);
        snprintf(msg, sizeof msg, "account %s %s", o.id ? o.id : "",
                 update ? "updated" : "created");
        rc = send_write(ctl, update ? "accounts update" : "accounts add",
                        update ? "PUT" : "POST", path, o.obj, o.json, msg);
    }
    json_decref(params);
    json_decref(o.params);
    json_decref(o.obj);
    return rc;
}

/* rm, enable, disable (argv[0]): one operand, the account id. */
static int accounts_one(struct hactl *ctl, int argc, char **argv)
{
    const char *verb = argv[0];
    int rc = hactl_read_opts(ctl, argc, argv, ACCOUNTS_USAGE);
    if (rc != HACTL_OK)
        return rc;
    if (optind != argc - 1) {
        fprintf(stderr, "usage: hactl accounts %s ID\n", verb);
        return HACTL_USAGE;
    }
    const char *id = argv[optind];
    char path[ACCT_PATH_MAX], what[64], msg[ACCT_PATH_MAX];
    snprintf(path, sizeof path, "/api/accounts/%s", id);
    snprintf(what, sizeof what, "accounts %s", verb);
    if (strcmp(verb, "rm") == 0) {
        snprintf(msg, sizeof msg, "account %s deleted", id);
        return send_write(ctl, what, "DELETE", path, NULL, false, msg);
    }
    bool enable = strcmp(verb, "enable") == 0;
    json_t *body = json_pack("{s:b}", "enabled", enable);
    snprintf(msg, sizeof msg, "account %s %s", id, enable ? "enabled" : "disabled");
    rc = send_write(ctl, what, "PUT", path, body, false, msg);
    json_decref(body);
    return rc;
}

/* rekey: every secret sealed again under the current key of the
 * leader's [accounts] key_file (docs/security.md, key rotation). */
static int accounts_rekey(struct hactl *ctl, int argc, char **argv)
{
    int rc = hactl_read_no_operands(ctl, argc, argv, "accounts rekey [--json]");
    if (rc != HACTL_OK)
        return rc;
    struct hactl_resp r;
    hactl_http_write(ctl, "POST", "/api/accounts/rekey", NULL, &r);
    rc = hactl_http_check("accounts rekey", &r);
    if (rc == HACTL_OK && ctl->json)
        hactl_print_raw(&r);
    else if (rc == HACTL_OK)
        printf("%lld of %lld accounts sealed again; every secret is now "
               "sealed with key %s\n",
               (long long)json_integer_value(json_object_get(r.json, "rekeyed")),
               (long long)json_integer_value(json_object_get(r.json, "accounts")),
               json_is_string(json_object_get(r.json, "key"))
                   ? json_string_value(json_object_get(r.json, "key"))
                   : "?");
    hactl_resp_free(&r);
    return rc;
}

int hactl_cmd_accounts(struct hactl *ctl, int argc, char **argv)
{
    static const struct hactl_verb verbs[] = {
        {"list", accounts_list},
        {"add", accounts_add_update},
        {"update", accounts_add_update},
        {"rm", accounts_one},
        {"enable", accounts_one},
        {"disable", accounts_one},
        {"rekey", accounts_rekey},
        {NULL, NULL},
    };
    return hactl_verb_run(ctl, argc, argv, verbs, ACCOUNTS_USAGE);
}
