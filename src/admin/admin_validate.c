/* Pure validation of the admin API's requests (admin_validate.h):
 * strict, before anything happens, every refusal a 400 with the field it
 * is about. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_route.h"
#include "admin/admin_validate.h"
#include "common/account_json.h"
#include "common/utf8.h"
#include "common/vault.h"
#include "hamd/tick.h"

#define SUBS_QUERY_NAME_MAX ADMIN_VERDICT_FIELD_MAX /* bytes of a name */
#define SUBS_QUERY_VALUE_MAX 128 /* bytes of a query parameter value */
#define SUBS_QUOTE_MAX 64        /* bytes of a bad symbol quoted back */
#define EVENTS_QUERY_NAME_MAX 32  /* bytes of a query parameter name */
#define EVENTS_QUERY_VALUE_MAX 32 /* bytes of a query parameter value */
#define UTF8_SEQ_MAX 4            /* bytes of one UTF-8 sequence */

/* ------------------------------------------------------------------------
 * Refusals
 * ------------------------------------------------------------------------ */

/* The length of the UTF-8 sequence led by byte c (1 for a byte that
 * leads none: it is then checked, and refused, alone). */
static size_t utf8_seq_len(unsigned char c)
{
    return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : UTF8_SEQ_MAX;
}

/* Replaces each byte of s that is not part of a well-formed UTF-8
 * sequence with '?': a query parameter is percent-decoded to any bytes,
 * and a quote or the 512-byte cut may split a character, and jansson
 * makes no JSON string of such text (the answer would be a 500). */
static void utf8_scrub(char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len((unsigned char)s[i]);
        if (n <= len - i && hamd_utf8_valid(s + i, n)) {
            i += n;
            continue;
        }
        s[i++] = '?';
    }
}

/* Refuses with status, naming field (NULL or "": none; an empty key or
 * query name, which the answer names no field for). Returns false. */
static bool refuse(struct admin_verdict *v, int status, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static bool refuse(struct admin_verdict *v, int status, const char *field,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
    utf8_scrub(v->msg);
    v->status = status;
    v->field = field && field[0] ? field : NULL;
    return false;
}

/* Names a query parameter (decoded: any bytes but NUL) as the field. */
static const char *query_field(struct admin_verdict *v, const char *name)
{
    snprintf(v->field_buf, sizeof v->field_buf, "%s", name);
    utf8_scrub(v->field_buf);
    return v->field_buf;
}

/* ------------------------------------------------------------------------
 * Query strings of one parameter at a time
 * ------------------------------------------------------------------------ */

bool admin_query_check(const char *q, size_t len, admin_query_fn fn, void *ud,
                       const char *expected, struct admin_verdict *v)
{
    char name[ADMIN_QUERY_NAME_MAX], value[ADMIN_QUERY_VALUE_MAX];
    size_t pos = 0;
    bool bad = false, refused = false;
    while (!refused && admin_query_next(q, len, &pos, name, sizeof name,
                                        value, sizeof value, &bad))
        refused = !fn(ud, name, value);
    if (!bad && !refused)
        return true;
    /* A parameter that did not decode has no name to quote. */
    return refuse(v, 400, refused ? query_field(v, name) : "query",
                  "bad query string: %s", expected);
}

bool admin_restart_param(void *ud, const char *name, const char *value)
{
    uint64_t v;
    if (strcmp(name, "node") != 0 ||
        !admin_parse_u64(value, ADMIN_MEMBER_ID_MAX, &v) || v == 0)
        return false;
    *(unsigned *)ud = (unsigned)v;
    return true;
}

bool admin_logs_param(void *ud, const char *name, const char *value)
{
    struct admin_logs_args *a = ud;
    uint64_t v;
    if (strcmp(name, "node") == 0 &&
        admin_parse_u64(value, ADMIN_MEMBER_ID_MAX, &v) && v > 0) {
        a->node = (unsigned)v;
        return true;
    }
    if (strcmp(name, "level") == 0) {
        int level = hamd_log_level_parse(value);
        a->q.min_level = (enum hamd_log_level)level;
        return level >= 0;
    }
    if (strcmp(name, "since") == 0 && admin_parse_u64(value, UINT64_MAX, &v)) {
        a->q.has_since = true;
        a->q.since = v;
        return true;
    }
    if (strcmp(name, "limit") == 0 &&
        admin_parse_u64(value, a->limit_max, &v) && v > 0) {
        a->q.limit = (size_t)v;
        return true;
    }
    return false;
}

bool admin_stream_param(void *ud, const char *name, const char *value)
{
    int level = hamd_log_level_parse(value);
    if (strcmp(name, "level") != 0 || level < 0)
        return false;
    *(enum hamd_log_level *)ud = (enum hamd_log_level)level;
    return true;
}

/* ------------------------------------------------------------------------
 * POST /api/failover, POST /api/failback
 * ------------------------------------------------------------------------ */

static bool fo_bool(const json_t *j, const char *key, bool *out,
                    struct admin_verdict *v)
{
    if (!json_is_boolean(j))
        return refuse(v, 400, key, "'%s' must be true or false", key);
    *out = json_is_true(j);
    return true;
}

static bool fo_prefixes(const json_t *j, struct admin_failover_req *r,
                        struct admin_verdict *v)
{
    if (!json_is_array(j) || json_array_size(j) > ADMIN_FAILOVER_PREFIXES_MAX)
        return refuse(v, 400, "prefixes",
                      "'prefixes' must be an array of at most %d strings",
                      ADMIN_FAILOVER_PREFIXES_MAX);
    size_t i;
    json_t *item;
    json_array_foreach(j, i, item) {
        const char *s = json_string_value(item);
        if (!s || !s[0] || strlen(s) >= HAMD_VT_SYMBOL_MAX)
            return refuse(v, 400, "prefixes",
                          "prefix %zu must be a non-empty string shorter "
                          "than %d bytes", i, HAMD_VT_SYMBOL_MAX);
        r->prefixes[r->n++] = s;
    }
    return true;
}

static bool fo_to(const json_t *j, struct admin_failover_req *r,
                  struct admin_verdict *v)
{
    r->to = json_string_value(j);
    if (r->to && hamd_account_id_valid(r->to))
        return true;
    return refuse(v, 400, "to", "'to' must be an account id");
}

/* Fills r from the body; allow_to: "to", "all" and "force" are accepted. */
static bool fo_fields(const json_t *body, bool allow_to,
                      struct admin_failover_req *r, struct admin_verdict *v)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(body))
        return refuse(v, 400, NULL, "the body must be a JSON object");
    const char *key;
    json_t *j;
    json_object_foreach((json_t *)body, key, j) {
        bool ok;
        if (strcmp(key, "prefixes") == 0)
            ok = fo_prefixes(j, r, v);
        else if (strcmp(key, "dry_run") == 0)
            ok = fo_bool(j, key, &r->dry_run, v);
        else if (allow_to && strcmp(key, "all") == 0)
            ok = fo_bool(j, key, &r->all, v);
        else if (allow_to && strcmp(key, "force") == 0)
            ok = fo_bool(j, key, &r->force, v);
        else if (allow_to && strcmp(key, "to") == 0)
            ok = fo_to(j, r, v);
        else
            ok = refuse(v, 400, key, "unknown field '%s'", key);
        if (!ok)
            return false;
    }
    return true;
}

bool admin_failover_validate(const json_t *body, struct admin_failover_req *r,
                             struct admin_verdict *v)
{
    if (!fo_fields(body, true, r, v))
        return false;
    if (!r->to)
        return refuse(v, 400, "to", "'to' (the target account) is required");
    if (r->all == (r->n > 0))
        return refuse(v, 400, "prefixes",
                      "give either 'prefixes' or \"all\": true");
    return true;
}

bool admin_failback_validate(const json_t *body, struct admin_failover_req *r,
                             struct admin_verdict *v)
{
    return fo_fields(body, false, r, v);
}

/* ------------------------------------------------------------------------
 * POST and DELETE /api/subscriptions
 * ------------------------------------------------------------------------ */

/* Orders two entries of a symbol list by text, then by place: the first
 * of equal symbols sorts first. */
static int subs_order(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int c = strcmp(x, y);
    return c ? c : (x > y) - (x < y);
}

/* Drops the repeats from cmd's symbols, keeping each symbol's first
 * place. A sort, O(n log n): a scan of the list for every symbol was
 * quadratic, and 65,536 symbols (a 16 MB body, [admin] max_body_bytes'
 * ceiling) would take 2 * 10^9 compares, seconds of the control loop
 * that also keeps Raft's 200 ms election timeout. */
static bool subs_dedupe(struct hamd_cmd *cmd, struct admin_verdict *v)
{
    unsigned n = cmd->n_symbols, kept = 0;
    const char **by_text = malloc(n * sizeof *by_text);
    bool *repeat = calloc(n, sizeof *repeat);
    if (n && (!by_text || !repeat)) {
        free(by_text);
        free(repeat);
        return refuse(v, 503, NULL, "out of memory, try again");
    }
    for (unsigned k = 0; k < n; k++)
        by_text[k] = cmd->symbols[k];
    qsort(by_text, n, sizeof *by_text, subs_order);
    for (unsigned k = 1; k < n; k++)
        if (strcmp(by_text[k - 1], by_text[k]) == 0)
            repeat[(by_text[k] - cmd->symbols[0]) / HAMD_VT_SYMBOL_MAX] = true;
    for (unsigned k = 0; k < n; k++)
        if (!repeat[k] && kept++ != k)
            memcpy(cmd->symbols[kept - 1], cmd->symbols[k], HAMD_VT_SYMBOL_MAX);
    cmd->n_symbols = kept;
    free(by_text);
    free(repeat);
    return true;
}

/* Adds symbol i to cmd (repeats count toward HAMD_CMD_SYMBOLS_MAX and are
 * dropped once the list is complete, subs_dedupe); it must be
 * "symbol.EXCHANGE", and UTF-8 (a query's %-escapes make any bytes, and a
 * contract that is not could never be listed in JSON). */
static bool subs_symbol(const char *s, size_t i, struct hamd_cmd *cmd,
                        struct admin_verdict *v)
{
    size_t len = strlen(s);
    if (!hamd_tick_vt_symbol_valid(s, len) || !hamd_utf8_valid(s, len))
        return refuse(v, 400, "symbols",
                      "symbols[%zu]: '%.*s' is not SYMBOL.EXCHANGE", i,
                      SUBS_QUOTE_MAX, s);
    if (hamd_cmd_add_symbol(cmd, s) < 0)
        return refuse(v, 400, "symbols",
                      "too many symbols in one request (at most %d)",
                      HAMD_CMD_SYMBOLS_MAX);
    return true;
}

bool admin_subs_body_validate(const json_t *body, struct hamd_cmd *cmd,
                              struct admin_verdict *v)
{
    const char *key;
    json_t *j;
    if (!json_is_object(body))
        return refuse(v, 400, NULL, "expected an object {\"symbols\": [...]}");
    json_object_foreach((json_t *)body, key, j)
        if (strcmp(key, "symbols") != 0)
            return refuse(v, 400, key, "unknown field %.*s", SUBS_QUOTE_MAX,
                          key);
    const json_t *arr = json_object_get(body, "symbols");
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return refuse(v, 400, "symbols",
                      "symbols must be a non-empty array of strings");
    size_t i;
    json_array_foreach(arr, i, j) {
        if (!json_is_string(j))
            return refuse(v, 400, "symbols", "symbols[%zu] must be a string",
                          i);
        if (!subs_symbol(json_string_value(j), i, cmd, v))
            return false;
    }
    return subs_dedupe(cmd, v);
}

bool admin_subs_query_validate(const char *q, size_t len, struct hamd_cmd *cmd,
                               struct admin_verdict *v)
{
    char name[SUBS_QUERY_NAME_MAX] = "", value[SUBS_QUERY_VALUE_MAX] = "";
    size_t pos = 0, i = 0;
    bool bad = false;
    while (admin_query_next(q, len, &pos, name, sizeof name, value,
                            sizeof value, &bad)) {
        if (strcmp(name, "symbol") != 0)
            return refuse(v, 400, query_field(v, name),
                          "unknown query parameter %s (use symbol=)", name);
        if (!subs_symbol(value, i++, cmd, v))
            return false;
    }
    if (bad)
        return refuse(v, 400, "symbol", "malformed query string");
    if (cmd->n_symbols == 0)
        return refuse(v, 400, "symbol", "give ?symbol=SYMBOL.EXCHANGE");
    return subs_dedupe(cmd, v);
}

/* ------------------------------------------------------------------------
 * POST /api/members, DELETE /api/members/{id}, POST /api/transfer
 * ------------------------------------------------------------------------ */

/* Checks that body is an object with no field but `field` (which may be
 * absent); refuses with `expected` when it is not an object. */
static bool only_field(const json_t *body, const char *field,
                       const char *expected, struct admin_verdict *v)
{
    const char *key;
    json_t *j;
    if (!json_is_object(body))
        return refuse(v, 400, NULL, "%s", expected);
    json_object_foreach((json_t *)body, key, j)
        if (strcmp(key, field) != 0)
            return refuse(v, 400, key, "unknown field %s", key);
    return true;
}

static bool member_id_refused(struct admin_verdict *v)
{
    return refuse(v, 400, "id",
                  "id must be an integer in 1..%d (N of [peer.N])",
                  ADMIN_MEMBER_ID_MAX);
}

bool admin_member_body_validate(const json_t *body, uint64_t *id,
                                struct admin_verdict *v)
{
    if (!only_field(body, "id", "expected {\"id\": N}", v))
        return false;
    const json_t *jid = json_object_get(body, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) < 1 ||
        json_integer_value(jid) > ADMIN_MEMBER_ID_MAX)
        return member_id_refused(v);
    *id = (uint64_t)json_integer_value(jid);
    return true;
}

bool admin_member_path_validate(const char *text, uint64_t *id,
                                struct admin_verdict *v)
{
    if (admin_parse_u64(text, ADMIN_MEMBER_ID_MAX, id) && *id > 0)
        return true;
    return member_id_refused(v);
}

bool admin_transfer_validate(const json_t *body, const struct hamd_config *cfg,
                             uint64_t *id, struct admin_verdict *v)
{
    *id = 0;
    if (!only_field(body, "node", "expected {\"node\": ID} or no body", v))
        return false;
    const json_t *node = json_object_get(body, "node");
    if (!node)
        return true;
    /* A negative N is no peer's id: (uint64_t) makes it one above any. */
    const struct hamd_peer *p =
        json_is_integer(node)
            ? hamd_config_peer(cfg, (uint64_t)json_integer_value(node))
            : NULL;
    if (!p)
        return refuse(v, 400, "node", "node must be the id of a member");
    if (p->role == HAMD_ROLE_WITNESS)
        return refuse(v, 400, "node", "node %u is a witness: it cannot lead",
                      p->id);
    *id = p->id;
    return true;
}

/* ------------------------------------------------------------------------
 * GET /api/events
 * ------------------------------------------------------------------------ */

bool admin_events_query_validate(const char *q, size_t len,
                                 struct admin_events_query *out,
                                 struct admin_verdict *v)
{
    char name[EVENTS_QUERY_NAME_MAX] = "", value[EVENTS_QUERY_VALUE_MAX] = "";
    size_t pos = 0;
    bool bad = false;
    *out = (struct admin_events_query){.limit = ADMIN_EVENTS_LIMIT_DEFAULT};
    while (admin_query_next(q, len, &pos, name, sizeof name, value,
                            sizeof value, &bad)) {
        if (strcmp(name, "limit") == 0 &&
            admin_parse_u64(value, ADMIN_EVENTS_LIMIT_MAX, &out->limit) &&
            out->limit > 0)
            continue;
        if (strcmp(name, "since") == 0 &&
            admin_parse_u64(value, UINT64_MAX, &out->since)) {
            out->has_since = true;
            continue;
        }
        bad = true;
        break;
    }
    if (!bad)
        return true;
    return refuse(v, 400, strcmp(name, "since") == 0 ? "since" : "limit",
                  "expected ?limit=1..%d and/or ?since=SEQ",
                  ADMIN_EVENTS_LIMIT_MAX);
}

/* ------------------------------------------------------------------------
 * Accounts
 * ------------------------------------------------------------------------ */

bool admin_account_id_validate(const char *id, struct admin_verdict *v)
{
    if (hamd_account_id_valid(id))
        return true;
    return refuse(v, 400, "id",
                  "invalid account id (1-31 characters of a-z 0-9 _ -, "
                  "starting with a letter or digit)");
}

/* True when json holds, at any depth (jansson parses at most 2048
 * levels), a key or string that looks sealed. */
static bool json_has_sealed(const json_t *json)
{
    if (json_is_string(json))
        return hamd_vault_is_sealed(json_string_value(json));
    if (json_is_array(json)) {
        for (size_t i = 0; i < json_array_size(json); i++)
            if (json_has_sealed(json_array_get(json, i)))
                return true;
        return false;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)json, key, val)
        if (hamd_vault_is_sealed(key) || json_has_sealed(val))
            return true;
    return false;
}

bool admin_account_running_take(json_t *body, const char *id, bool running,
                                struct admin_verdict *v)
{
    const json_t *j = json_is_object(body) ? json_object_get(body, "running") : NULL;
    if (!j)
        return true;
    if (!json_is_boolean(j))
        return refuse(v, 400, "running", "'running' must be true or false");
    if (json_is_true(j) != running) {
        if (!id)
            return refuse(v, 400, "running",
                          "a new account runs: create it, then stop it "
                          "(POST /api/accounts/{id}/stop, hactl stop ID)");
        const char *verb = running ? "stop" : "start";
        return refuse(v, 400, "running",
                      "'running' is the operator's switch, now %s: POST "
                      "/api/accounts/%s/%s changes it (hactl %s %s), not a "
                      "write of the account", running ? "true" : "false", id,
                      verb, verb, id);
    }
    json_object_del(body, "running");
    return true;
}

bool admin_account_validate(const json_t *body, struct hamd_account *a,
                            bool update, const struct hamd_config *cfg,
                            bool witness, struct admin_verdict *v)
{
    const json_t *params =
        json_is_object(body) ? json_object_get(body, "params") : NULL;
    if (params && json_has_sealed(params))
        return refuse(v, 400, "params",
                      "params values may not start with \"%s\": hamd "
                      "keeps that form for the secrets it seals",
                      HAMD_VAULT_PREFIX);
    char err[HAMD_ACCOUNT_ERR_MAX];
    const char *field = NULL;
    if (hamd_account_from_json(body, a, update, err, sizeof err, &field) < 0)
        return refuse(v, 400, field, "%s", err);
    if (!witness && !hamd_config_gw_exec(cfg, a->gateway_type))
        return refuse(v, 400, "gateway_type",
                      "no executable for gateway_type '%s' in [gateways]",
                      a->gateway_type);
    return true;
}
