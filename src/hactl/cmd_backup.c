/* hactl export | import: the replicated state an operator sets by hand
 * (accounts with their start / stop switch, subscriptions, the pause
 * flag, pins) as one JSON document,
 * and that document made true again on a cluster, a fresh one after a
 * loss of every host included (docs/operations.md, "Backup and restore").
 * Both go through the admin API like every other command. Secrets come
 * out masked, as every answer masks them, and a backup never holds one:
 * an account the cluster lacks whose secret is the mask is refused unless
 * the operator gives the value (--param-str, --secrets), since the node
 * would store "***" as the password. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/account.h"
#include "hactl/hactl.h"
#include "hactl/http.h"
#include "hactl/util.h"

#define BACKUP_FORMAT "hamd-export" /* "format" of the document */
#define BACKUP_VERSION 1            /* "version" this hactl writes and reads */
#define BACKUP_SUBS_PER_REQUEST 500 /* symbols per POST/DELETE: under 48
                                       bytes each, so < 25 KB, well inside
                                       [admin] max_body_bytes (64 KiB) */
#define BACKUP_PATH_MAX 160         /* bytes of an API path or a param path */
#define BACKUP_FIELDS_MAX 256       /* bytes of the list of changed fields */
#define BACKUP_FILE_MODE 0600       /* the export names brokers and users */
#define HTTP_UNAUTHORIZED 401       /* no or a wrong bearer token */

static const char EXPORT_USAGE[] = "export [--out FILE]";
static const char IMPORT_USAGE[] =
    "import FILE [--dry-run] [--prune] [--param-str ACCOUNT.KEY=VALUE]...\n"
    "                    [--secrets FILE]";

/* What a backup does not hold, written into it for whoever reads it. */
static const char NOT_EXPORTED[] =
    "secret values (masked \"***\"; give them to hactl import), "
    "quarantines, the event history, and "
    "the config files: [sessions] trading calendar, [accounts] key_file, "
    "[admin] token_file, TLS, peers, gateways";

/* ------------------------------------------------------------------------
 * Reading the cluster
 * ------------------------------------------------------------------------ */

/* GET path for the command cmd from the leader, which has applied every
 * committed change, into *r; a JSON answer or a failure. Returns an enum
 * hactl_exit. */
static int backup_read(struct hactl *ctl, const char *cmd, const char *path,
                       struct hactl_resp *r)
{
    char what[BACKUP_PATH_MAX];
    snprintf(what, sizeof what, "%s: GET %s", cmd, path);
    hactl_http_read_leader(ctl, path, r);
    int rc = hactl_http_check(what, r);
    if (rc == HACTL_OK && !r->json) {
        fprintf(stderr, "hactl: %s: the answer is not JSON\n", what);
        rc = HACTL_FAIL;
    }
    return rc;
}

/* The pinned contracts of a GET /api/contracts answer, with their
 * sources: [{"symbol": S, "source": A}]. */
static json_t *pins_of(const json_t *contracts)
{
    json_t *pins = json_array();
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(contracts, "contracts"), i, c)
        if (json_is_true(json_object_get(c, "pinned")))
            json_array_append_new(
                pins, json_pack("{s:s,s:s}", "symbol", hactl_jstr(c, "symbol", ""),
                                "source", hactl_jstr(c, "source", "")));
    return pins;
}

/* What the cluster holds, read once for export and import. */
struct backup_state {
    struct hactl_resp status;    /* GET /api/status */
    struct hactl_resp accounts;  /* GET /api/accounts */
    struct hactl_resp subs;      /* GET /api/subscriptions */
    struct hactl_resp contracts; /* GET /api/contracts */
};

/* Reads it all for cmd ("export", "import"). */
static int state_read(struct hactl *ctl, const char *cmd, struct backup_state *s)
{
    memset(s, 0, sizeof *s);
    int rc = backup_read(ctl, cmd, "/api/status", &s->status);
    if (rc == HACTL_OK)
        rc = backup_read(ctl, cmd, "/api/accounts", &s->accounts);
    if (rc == HACTL_OK)
        rc = backup_read(ctl, cmd, "/api/subscriptions", &s->subs);
    if (rc == HACTL_OK)
        rc = backup_read(ctl, cmd, "/api/contracts", &s->contracts);
    return rc;
}

static void state_free(struct backup_state *s)
{
    hactl_resp_free(&s->status);
    hactl_resp_free(&s->accounts);
    hactl_resp_free(&s->subs);
    hactl_resp_free(&s->contracts);
}

/* ------------------------------------------------------------------------
 * export
 * ------------------------------------------------------------------------ */

/* The export document of what s holds, or NULL after saying what answer
 * was not what the API documents (a newer or broken node). */
static json_t *export_doc(const struct backup_state *s)
{
    static const char *const status_keys[] = {"node", "leader", "term"};
    const json_t *st = s->status.json;
    const json_t *symbols = json_object_get(s->subs.json, "symbols");
    if (!json_is_array(s->accounts.json) || !json_is_array(symbols)) {
        fprintf(stderr, "hactl export: /api/accounts or /api/subscriptions "
                        "answered something else than a list\n");
        return NULL;
    }
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    json_t *doc = json_pack("{s:s,s:i,s:s}", "format", BACKUP_FORMAT, "version",
                            BACKUP_VERSION, "exported_at", when);
    for (size_t i = 0; i < sizeof status_keys / sizeof status_keys[0]; i++) {
        json_t *v = json_object_get(st, status_keys[i]);
        json_object_set_new(doc, status_keys[i], v ? json_incref(v) : json_null());
    }
    json_object_set(doc, "accounts", s->accounts.json);
    json_object_set(doc, "subscriptions", (json_t *)symbols);
    json_object_set_new(doc, "paused",
                        json_boolean(json_is_true(json_object_get(st, "paused"))));
    json_object_set_new(doc, "pins", pins_of(s->contracts.json));
    json_object_set_new(doc, "not_exported", json_string(NOT_EXPORTED));
    return doc;
}

/* Writes doc to path through path.tmp and a rename, so a crash or a full
 * disk never leaves half a backup under the name a restore would use.
 * Returns 0, or -1 after saying why. */
static int export_write(const json_t *doc, const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        fprintf(stderr, "hactl export: %s: path too long\n", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, BACKUP_FILE_MODE);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int rc = f ? json_dumpf(doc, f, JSON_INDENT(1)) : -1;
    if (f && (fputc('\n', f) == EOF || fflush(f) != 0 || fsync(fd) != 0))
        rc = -1;
    if (f ? fclose(f) != 0 : (fd >= 0 && close(fd) != 0))
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        fprintf(stderr, "hactl export: cannot write %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
    }
    return rc;
}

int hactl_cmd_export(struct hactl *ctl, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    int opt, rc = hactl_need_nodes(ctl, "export");
    while (rc == HACTL_OK && (opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1)
        if (opt == 'o')
            out = optarg;
        else
            rc = HACTL_USAGE;
    if (rc == HACTL_OK && optind != argc)
        rc = HACTL_USAGE;
    if (rc == HACTL_USAGE)
        fprintf(stderr, "usage: hactl %s\n", EXPORT_USAGE);
    if (rc != HACTL_OK)
        return rc;
    struct backup_state s;
    rc = state_read(ctl, "export", &s);
    json_t *doc = rc == HACTL_OK ? export_doc(&s) : NULL;
    if (rc == HACTL_OK && !doc) {
        rc = HACTL_FAIL;
    } else if (doc && !out) {
        if (json_dumpf(doc, stdout, JSON_INDENT(1)) != 0 || putchar('\n') == EOF ||
            fflush(stdout) != 0) {
            fprintf(stderr, "hactl export: cannot write to stdout: %s\n",
                    strerror(errno));
            rc = HACTL_FAIL;
        }
    } else if (doc && export_write(doc, out) != 0) {
        rc = HACTL_FAIL;
    } else if (doc) {
        printf("exported %zu accounts, %zu subscriptions, %zu pins, paused %s "
               "to %s (leader %lld, term %lld)\n",
               json_array_size(json_object_get(doc, "accounts")),
               json_array_size(json_object_get(doc, "subscriptions")),
               json_array_size(json_object_get(doc, "pins")),
               json_is_true(json_object_get(doc, "paused")) ? "yes" : "no", out,
               hactl_jint(doc, "leader"), hactl_jint(doc, "term"));
    }
    json_decref(doc);
    state_free(&s);
    return rc;
}

/* ------------------------------------------------------------------------
 * import: the file and the secrets
 * ------------------------------------------------------------------------ */

/* Says what is wrong with the file in err. Returns -1. */
static int doc_fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int doc_fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* Checks that doc is an export this hactl reads. Returns 0, or -1 with
 * what is wrong in err. */
static int doc_check(const json_t *doc, char *err, size_t cap)
{
    const json_t *accounts = json_object_get(doc, "accounts");
    const json_t *subs = json_object_get(doc, "subscriptions");
    const json_t *paused = json_object_get(doc, "paused");
    const json_t *pins = json_object_get(doc, "pins");
    size_t i;
    const json_t *v;
    if (!json_is_object(doc) || strcmp(hactl_jstr(doc, "format", ""), BACKUP_FORMAT))
        return doc_fail(err, cap, "not a hactl export (no \"format\": \"%s\")",
                        BACKUP_FORMAT);
    if (hactl_jint(doc, "version") != BACKUP_VERSION)
        return doc_fail(err, cap, "\"version\" must be %d (this hactl's)",
                        BACKUP_VERSION);
    if (!json_is_array(accounts) || !json_is_array(subs))
        return doc_fail(err, cap, "\"accounts\" and \"subscriptions\" must be "
                        "arrays");
    json_array_foreach(accounts, i, v) {
        const char *id = hactl_jstr(v, "id", NULL);
        for (size_t k = 0; id && k < i; k++)
            if (strcmp(id, hactl_jstr(json_array_get(accounts, k), "id", "")) == 0)
                return doc_fail(err, cap, "accounts[%zu]: id '%s' twice", i, id);
        if (!id)
            return doc_fail(err, cap, "accounts[%zu]: no \"id\"", i);
        if (json_object_get(v, "params") && !json_is_object(json_object_get(v, "params")))
            return doc_fail(err, cap, "accounts[%zu]: \"params\" is not an object", i);
    }
    json_array_foreach(subs, i, v)
        if (!json_is_string(v))
            return doc_fail(err, cap, "subscriptions[%zu]: not a string", i);
    if (paused && !json_is_boolean(paused))
        return doc_fail(err, cap, "\"paused\" must be true or false");
    if (pins && !json_is_array(pins))
        return doc_fail(err, cap, "\"pins\" must be an array");
    json_array_foreach(pins, i, v)
        if (!hactl_jstr(v, "symbol", NULL) || !hactl_jstr(v, "source", NULL))
            return doc_fail(err, cap, "pins[%zu]: no \"symbol\" or \"source\"", i);
    return 0;
}

/* The account of doc with that id, or NULL. */
static json_t *account_in(const json_t *accounts, const char *id)
{
    size_t i;
    json_t *a;
    json_array_foreach(accounts, i, a)
        if (strcmp(hactl_jstr(a, "id", ""), id) == 0)
            return a;
    return NULL;
}

/* Says why path is not JSON: jansson's message names the file when it
 * could not open it; the line only when there is one. */
static void import_json_error(const char *path, const json_error_t *err)
{
    if (err->line > 0)
        fprintf(stderr, "hactl import: %s: %s (line %d)\n", path, err->text,
                err->line);
    else
        fprintf(stderr, "hactl import: %s: %s\n", path, err->text);
}

/* --param-str ACCOUNT.KEY=VALUE into secrets[ACCOUNT][KEY]. */
static int secret_add(json_t *secrets, const char *arg)
{
    const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
    if (!dot || !eq || dot == arg || eq < dot + 2) {
        /* Up to the '=' only: what follows may be a password. */
        fprintf(stderr, "hactl import: --param-str wants ACCOUNT.KEY=VALUE, "
                        "not '%.*s%s'\n", (int)(eq ? eq - arg : (long)strlen(arg)),
                arg, eq ? "=..." : "");
        return HACTL_USAGE;
    }
    char *account = strndup(arg, (size_t)(dot - arg));
    char *key = strndup(dot + 1, (size_t)(eq - dot - 1));
    json_t *params = json_object_get(secrets, account);
    if (!params)
        json_object_set_new(secrets, account, params = json_object());
    json_object_set_new(params, key, json_string(eq + 1));
    free(account);
    free(key);
    return HACTL_OK;
}

/* --secrets FILE: {"ACCOUNT": {"KEY": VALUE, ...}, ...} into secrets. */
static int secrets_load(json_t *secrets, const char *path)
{
    json_error_t err;
    struct stat st;
    json_t *doc = json_load_file(path, 0, &err);
    const char *account;
    json_t *params;
    int rc = doc ? HACTL_OK : HACTL_USAGE;
    if (!doc)
        import_json_error(path, &err);
    else if (stat(path, &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "hactl import: warning: others may read %s (chmod 600)\n", path);
    json_object_foreach(doc, account, params) {
        if (!json_is_object(params)) {
            fprintf(stderr, "hactl import: %s: \"%s\" must map to an object of "
                            "params\n", path, account);
            rc = HACTL_USAGE;
            break;
        }
        json_t *mine = json_object_get(secrets, account);
        if (!mine)
            json_object_set_new(secrets, account, mine = json_object());
        json_object_update(mine, params);
    }
    if (doc && !json_is_object(doc)) {
        fprintf(stderr, "hactl import: %s: not a JSON object\n", path);
        rc = HACTL_USAGE;
    }
    json_decref(doc);
    return rc;
}

/* ------------------------------------------------------------------------
 * import: the plan
 * ------------------------------------------------------------------------ */

/* One import run. */
struct import {
    struct hactl *ctl;      /* the nodes */
    const char *file;       /* the export read */
    bool dry_run;           /* --dry-run: print, change nothing */
    bool prune;             /* --prune: remove what the file lacks */
    json_t *doc;            /* the file's document */
    json_t *secrets;        /* {ACCOUNT: {KEY: VALUE}} given by the operator */
    struct backup_state have; /* the cluster before the import */
    unsigned created, updated, unchanged, refused; /* accounts */
    unsigned acct_failed;   /* accounts whose write failed or was not tried */
    unsigned removed;       /* accounts deleted (--prune) */
    unsigned switched_off;  /* accounts stopped as the file has them */
    unsigned left_stopped;  /* stopped here, running in the file: kept */
    unsigned subs_added, subs_removed, subs_unchanged; /* subscriptions */
    unsigned failed;        /* writes the cluster refused or failed */
    int rc;                 /* the first failed write's enum hactl_exit */
    bool stopped;           /* a write met no leader, no node or no token:
                               no more */
};

/* Sends one write unless this is a dry run. A failure is counted; one
 * that is not a refusal of this item (no node, no leader, 5xx, a missing
 * or wrong token: 401) stops the import, since the next write would meet
 * it too. Returns true when the write was done (or would be). */
static bool import_write(struct import *im, const char *what, const char *method,
                         const char *path, const json_t *body)
{
    if (im->dry_run)
        return true;
    if (im->stopped)
        return false;
    struct hactl_resp r;
    int rc = hactl_http_write_json(im->ctl, what, method, path, body, &r);
    if (rc != HACTL_OK) {
        im->failed++;
        if (im->rc == HACTL_OK)
            im->rc = rc;
        im->stopped = rc == HACTL_FAIL || rc == HACTL_UNREACHABLE ||
                      r.status == HTTP_UNAUTHORIZED;
        if (im->stopped)
            fprintf(stderr, "hactl import: stopped: the rest was not tried "
                            "(it is safe to run the import again)\n");
    }
    hactl_resp_free(&r);
    return rc == HACTL_OK;
}

/* POSTs an empty object to path, as a switch of the API takes it (stop,
 * pause); import_write's rules. */
static bool import_post(struct import *im, const char *what, const char *path)
{
    json_t *none = json_object();
    bool done = import_write(im, what, "POST", path, none);
    json_decref(none);
    return done;
}

/* Writes into path (starting "params") where want holds the mask that
 * have (the stored params; NULL: none) cannot fill: the node would store
 * "***" itself. Returns true when there is one. */
static bool mask_unfilled(const json_t *want, const json_t *have, char *path,
                          size_t cap)
{
    const char *key;
    json_t *v;
    size_t used = strlen(path);
    json_object_foreach((json_t *)want, key, v) {
        const json_t *old = json_object_get(have, key);
        snprintf(path + used, cap - used, ".%s", key);
        if (json_is_string(v) && !old &&
            strcmp(json_string_value(v), HAMD_SECRET_MASK) == 0)
            return true;
        if (json_is_object(v) && mask_unfilled(v, old, path, cap))
            return true;
    }
    path[used] = '\0';
    return false;
}

/* The account as the cluster should hold it: the file's, with the params
 * the operator gave over it. */
static json_t *account_wanted(const struct import *im, const json_t *a)
{
    json_t *want = json_deep_copy(a);
    const json_t *given = json_object_get(im->secrets, hactl_jstr(a, "id", ""));
    if (given) {
        json_t *params = json_object_get(want, "params");
        if (!json_is_object(params))
            json_object_set_new(want, "params", params = json_object());
        json_object_update(params, (json_t *)given);
    }
    return want;
}

/* The fields of want that differ from have, comma-separated into out.
 * Params the operator gave always count: the cluster shows them masked. */
static void account_diff(const struct import *im, const json_t *want,
                         const json_t *have, char *out, size_t cap)
{
    const char *key;
    json_t *v;
    bool given = json_object_get(im->secrets, hactl_jstr(want, "id", "")) != NULL;
    out[0] = '\0';
    json_object_foreach((json_t *)want, key, v) {
        bool differs = !json_equal(v, json_object_get(have, key)) ||
                       (given && strcmp(key, "params") == 0);
        size_t used = strlen(out);
        if (differs && used < cap)
            snprintf(out + used, cap - used, "%s%s", used ? ", " : "", key);
    }
}

static void import_refuse(struct import *im, const char *id, const char *path)
{
    const char *key = strchr(path, '.') ? strchr(path, '.') + 1 : path;
    im->refused++;
    fprintf(stderr, "hactl import: refused account %s: %s is masked (\"%s\") in "
                    "%s and the cluster does not hold it; give its value: "
                    "--param-str %s.%.*s=VALUE or --secrets FILE\n",
            id, path, HAMD_SECRET_MASK, im->file, id, (int)strcspn(key, "."), key);
}

/* The operator's switch of an account written as the file has it
 * (`running`, absent from exports of an older hamd: left alone). An
 * account stopped there is stopped here; one stopped here is never
 * started (an operator stopped it, as with pause), only said. have:
 * the cluster's account, NULL for one just created (it runs). */
static void import_switch(struct import *im, const char *id, int file_running,
                          const json_t *have)
{
    const json_t *r = json_object_get(have, "running");
    bool running = !json_is_boolean(r) || json_is_true(r);
    char path[BACKUP_PATH_MAX];
    if (file_running == 0 && running) {
        snprintf(path, sizeof path, "/api/accounts/%s/stop", id);
        if (import_post(im, "import: stop", path)) {
            im->switched_off++;
            printf("%sstop account %s (stopped in %s)\n",
                   im->dry_run ? "would " : "", id, im->file);
        }
    } else if (file_running == 1 && !running) {
        im->left_stopped++;
        printf("left stopped: account %s (it runs in %s: hactl start %s to "
               "undo)\n", id, im->file, id);
    }
}

/* Creates or updates one account of the file, or refuses it; then sets
 * its switch. */
static void import_account(struct import *im, const json_t *a)
{
    const char *id = hactl_jstr(a, "id", "");
    const json_t *have = account_in(im->have.accounts.json, id);
    json_t *want = account_wanted(im, a);
    /* Written apart: an account write takes `running` only unchanged. */
    const json_t *r = json_object_get(want, "running");
    int file_running = json_is_boolean(r) ? json_is_true(r) : -1;
    json_object_del(want, "running");
    char path[BACKUP_PATH_MAX] = "params", fields[BACKUP_FIELDS_MAX] = "";
    const char *would = im->dry_run ? "would " : "";
    bool masked = mask_unfilled(json_object_get(want, "params"),
                                json_object_get(have, "params"), path, sizeof path);
    if (!masked && have)
        account_diff(im, want, have, fields, sizeof fields);
    bool written = false;
    if (masked) {
        import_refuse(im, id, path);
    } else if (!have) {
        written = import_write(im, "import: accounts add", "POST", "/api/accounts", want);
        if (written) {
            im->created++;
            printf("%screate account %s\n", would, id);
        }
    } else if (fields[0]) {
        snprintf(path, sizeof path, "/api/accounts/%s", id);
        written = import_write(im, "import: accounts update", "PUT", path, want);
        if (written) {
            im->updated++;
            printf("%supdate account %s (%s)\n", would, id, fields);
        }
    } else {
        im->unchanged++;
        written = true;
    }
    if (!masked && !written)
        im->acct_failed++;
    if (written)
        import_switch(im, id, file_running, have);
    json_decref(want);
}

/* The strings of arr that set (an array of strings) lacks. */
static json_t *missing_from(const json_t *arr, const json_t *set)
{
    json_t *index = json_object(), *out = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(set, i, s)
        json_object_set_new(index, json_string_value(s), json_true());
    json_array_foreach(arr, i, s)
        if (!json_object_get(index, json_string_value(s)))
            json_array_append(out, (json_t *)s);
    json_decref(index);
    return out;
}

/* POST (add) or DELETE symbols, BACKUP_SUBS_PER_REQUEST at a time.
 * Returns how many went. */
static unsigned import_subs(struct import *im, const json_t *symbols, bool add)
{
    unsigned done = 0;
    size_t n = json_array_size(symbols);
    for (size_t i = 0; i < n; i += BACKUP_SUBS_PER_REQUEST) {
        json_t *part = json_array();
        for (size_t k = i; k < n && k < i + BACKUP_SUBS_PER_REQUEST; k++)
            json_array_append(part, json_array_get(symbols, k));
        json_t *body = json_pack("{s:o}", "symbols", part);
        if (import_write(im, add ? "import: subs add" : "import: subs rm",
                         add ? "POST" : "DELETE", "/api/subscriptions", body))
            done += (unsigned)json_array_size(part);
        json_decref(body);
    }
    if (done)
        printf("%s%s %u subscription%s\n", im->dry_run ? "would " : "",
               add ? "add" : "remove", done, done == 1 ? "" : "s");
    return done;
}

/* The ids of the cluster's accounts the file lacks. */
static json_t *accounts_to_prune(const struct import *im)
{
    json_t *ids = json_array();
    size_t i;
    const json_t *a;
    json_array_foreach(im->have.accounts.json, i, a)
        if (!account_in(json_object_get(im->doc, "accounts"), hactl_jstr(a, "id", "")))
            json_array_append_new(ids, json_string(hactl_jstr(a, "id", "")));
    return ids;
}

/* Prints a list of strings after a title, on one line. */
static void print_list(const char *title, const json_t *items)
{
    size_t i;
    const json_t *s;
    printf("%s (%zu):", title, json_array_size(items));
    json_array_foreach(items, i, s)
        printf(" %s", json_string_value(s));
    printf("\n");
}

/* ------------------------------------------------------------------------
 * import: the run
 * ------------------------------------------------------------------------ */

/* The pins of the file the cluster lacks: printed with the command that
 * sets each, since a pin needs its source HEALTHY (docs/failover.md). */
static void import_pins(const struct import *im)
{
    json_t *have = pins_of(im->have.contracts.json);
    size_t i, k;
    const json_t *p, *h;
    json_array_foreach(json_object_get(im->doc, "pins"), i, p) {
        bool held = false;
        json_array_foreach(have, k, h)
            held = held || json_equal(p, h);
        if (!held)
            printf("not restored: pin of %s on %s (once %s is HEALTHY: hactl "
                   "failover --to %s %s)\n", hactl_jstr(p, "symbol", "?"),
                   hactl_jstr(p, "source", "?"), hactl_jstr(p, "source", "?"),
                   hactl_jstr(p, "source", "?"), hactl_jstr(p, "symbol", "?"));
    }
    json_decref(have);
}

/* The pause flag: set when the file says paused and the cluster is not;
 * a paused cluster is never resumed (an operator paused it, and resuming
 * starts failovers). */
static const char *import_pause(struct import *im)
{
    bool want = json_is_true(json_object_get(im->doc, "paused"));
    bool have = json_is_true(json_object_get(im->have.status.json, "paused"));
    if (want && !have) {
        bool done = import_post(im, "import: pause", "/api/pause");
        if (done)
            printf("%spause automatic failover\n", im->dry_run ? "would " : "");
        return done ? "pause set" : "pause not set (failed)";
    }
    if (!want && have)
        return "pause left on (the file's is off: hactl resume to undo)";
    return want ? "pause on, unchanged" : "pause off, unchanged";
}

static void import_prune(struct import *im, const json_t *ids, const json_t *symbols)
{
    size_t i;
    const json_t *id;
    char path[BACKUP_PATH_MAX];
    im->subs_removed = json_array_size(symbols) ? import_subs(im, symbols, false) : 0;
    json_array_foreach(ids, i, id) {
        snprintf(path, sizeof path, "/api/accounts/%s", json_string_value(id));
        if (import_write(im, "import: accounts rm", "DELETE", path, NULL)) {
            im->removed++;
            printf("%sdelete account %s\n", im->dry_run ? "would " : "",
                   json_string_value(id));
        }
    }
}

static void import_run(struct import *im)
{
    const json_t *file_subs = json_object_get(im->doc, "subscriptions");
    const json_t *have_subs = json_object_get(im->have.subs.json, "symbols");
    json_t *add = missing_from(file_subs, have_subs);
    json_t *extra = missing_from(have_subs, file_subs);
    json_t *prune_ids = accounts_to_prune(im);
    if (im->prune && (json_array_size(prune_ids) || json_array_size(extra))) {
        printf("--prune: %s what %s lacks:\n", im->dry_run ? "would remove" : "removes",
               im->file);
        print_list("  accounts", prune_ids);
        print_list("  subscriptions", extra);
    }
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(im->doc, "accounts"), i, a)
        import_account(im, a);
    im->subs_added = json_array_size(add) ? import_subs(im, add, true) : 0;
    im->subs_unchanged = (unsigned)(json_array_size(file_subs) - json_array_size(add));
    if (im->prune)
        import_prune(im, prune_ids, extra);
    const char *paused = import_pause(im);
    import_pins(im);
    if (im->dry_run)
        printf("dry run: nothing was changed; the import would do this:\n");
    printf("%s: accounts %u created, %u updated, %u unchanged, %u refused, "
           "%u failed, %u deleted, %u stopped", im->file, im->created,
           im->updated, im->unchanged, im->refused, im->acct_failed,
           im->removed, im->switched_off);
    if (im->left_stopped)
        printf(" (%u left stopped)", im->left_stopped);
    printf("; subscriptions %u added, %u removed, %u unchanged; %s",
           im->subs_added, im->subs_removed, im->subs_unchanged, paused);
    if (!im->prune && (json_array_size(prune_ids) || json_array_size(extra)))
        printf("; kept %zu accounts and %zu subscriptions the file lacks "
               "(--prune removes them)", json_array_size(prune_ids),
               json_array_size(extra));
    printf("%s\n", im->failed ? "; some writes FAILED (see above)" : "");
    json_decref(add);
    json_decref(extra);
    json_decref(prune_ids);
}

/* Every account the operator gave a param for must be in the file: a
 * typo would otherwise leave a refusal unexplained. */
static int secrets_check(const struct import *im)
{
    const char *id;
    json_t *v;
    json_object_foreach(im->secrets, id, v)
        if (!account_in(json_object_get(im->doc, "accounts"), id)) {
            fprintf(stderr, "hactl import: a param was given for account '%s', "
                            "which %s does not hold\n", id, im->file);
            return HACTL_USAGE;
        }
    return HACTL_OK;
}

static int import_opts(struct import *im, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"prune", no_argument, NULL, 'p'},
        {"param-str", required_argument, NULL, 'S'},
        {"secrets", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    int opt, rc = HACTL_OK;
    while (rc == HACTL_OK && (opt = getopt_long(argc, argv, "n", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n': im->dry_run = true; break;
        case 'p': im->prune = true; break;
        case 'S': rc = secret_add(im->secrets, optarg); break;
        case 's': rc = secrets_load(im->secrets, optarg); break;
        default: rc = HACTL_USAGE; break;
        }
    }
    if (rc == HACTL_OK && optind != argc - 1) {
        fprintf(stderr, "usage: hactl %s\n", IMPORT_USAGE);
        rc = HACTL_USAGE;
    }
    return rc;
}

/* Reads and checks the file. Returns an enum hactl_exit. */
static int import_load(struct import *im)
{
    json_error_t err;
    char why[BACKUP_FIELDS_MAX];
    im->doc = json_load_file(im->file, 0, &err);
    if (!im->doc) {
        import_json_error(im->file, &err);
        return HACTL_USAGE;
    }
    if (doc_check(im->doc, why, sizeof why) != 0) {
        fprintf(stderr, "hactl import: %s: %s\n", im->file, why);
        return HACTL_USAGE;
    }
    return secrets_check(im);
}

int hactl_cmd_import(struct hactl *ctl, int argc, char **argv)
{
    struct import im = {.ctl = ctl, .secrets = json_object()};
    int rc = hactl_need_nodes(ctl, "import");
    if (rc == HACTL_OK)
        rc = import_opts(&im, argc, argv);
    if (rc == HACTL_OK) {
        im.file = argv[optind];
        rc = import_load(&im);
    }
    if (rc == HACTL_OK)
        rc = state_read(ctl, "import", &im.have);
    if (rc == HACTL_OK) {
        import_run(&im);
        rc = im.rc != HACTL_OK ? im.rc : im.refused ? HACTL_FAIL : HACTL_OK;
    }
    state_free(&im.have);
    json_decref(im.doc);
    json_decref(im.secrets);
    return rc;
}
