/* Fuzz target: the admin API's request validators
 * (src/admin/admin_validate.c), fed what the server feeds them.
 *
 * The input parsed as the server parses a body (json_loadb,
 * JSON_REJECT_DUPLICATES) goes to every body validator: failover,
 * failback, subscriptions, members, transfer (against peers 1 and 2, and
 * 3 a witness), an account created and an account updated, on a full node
 * and on a witness. The same bytes are also the query string of DELETE
 * /api/subscriptions, GET /api/events, /api/logs and /api/stream and
 * POST /api/accounts/{id}/restart, and, up to a NUL, the {id} of DELETE
 * /api/members/{id} and of /api/accounts/{id}.
 *
 * Checks: every refusal is a 400 whose message and field are non-empty
 * UTF-8 an answer can be made of; what is accepted is what the API
 * promises: failover has a target account and either prefixes or "all",
 * each prefix a non-empty string of the body shorter than a vt_symbol;
 * subscriptions name at least one contract, each valid, UTF-8 and given
 * once; member ids are 1..65535, the number given; a transfer target is
 * a peer that may lead, or none when the body names none; an events
 * limit is 1..1000, a logs limit within the ring, a node 1..65535, a
 * level one of the four; an accepted account has a valid id, an executable for
 * its gateway type unless on a witness, and no params key or value in the
 * sealed form. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin_validate.h"
#include "common/account_json.h"
#include "common/utf8.h"
#include "common/vault.h"
#include "fuzz.h"
#include "hamd/tick.h"

#define FV_PEERS 3          /* peers of the configuration: 1, 2, 3 */
#define FV_WITNESS_ID 3     /* the one that is a witness */
#define FV_ID_TEXT_MAX 24   /* bytes of a path id compared as text */
#define FV_LOG_LINES 2000   /* [admin] log_lines: the ring, largest ?limit */

/* The account an update applies to. */
#define FV_STORED                                                            \
    "{\"id\":\"ctp_main\",\"gateway_type\":\"ctp\",\"priority\":2,"          \
    "\"exchanges\":[\"SHFE\",\"DCE\"],\"canary\":\"rb2601.SHFE\","           \
    "\"params\":{\"password\":\"s3cret\",\"front\":{\"port\":1}}}"

static struct hamd_config fv_cfg;     /* peers and [gateways] */
static struct hamd_account fv_stored; /* FV_STORED */
static bool fv_ready;

static void fv_setup(void)
{
    fv_cfg.n_peers = FV_PEERS;
    for (unsigned i = 0; i < FV_PEERS; i++) {
        fv_cfg.peers[i].id = i + 1;
        fv_cfg.peers[i].role =
            i + 1 == FV_WITNESS_ID ? HAMD_ROLE_WITNESS : HAMD_ROLE_VOTER;
    }
    fv_cfg.n_gw_execs = 2;
    snprintf(fv_cfg.gw_execs[0].type, sizeof fv_cfg.gw_execs[0].type, "ctp");
    snprintf(fv_cfg.gw_execs[1].type, sizeof fv_cfg.gw_execs[1].type, "sim");
    json_t *obj = json_loads(FV_STORED, 0, NULL);
    FUZZ_CHECK(obj != NULL);
    FUZZ_CHECK(hamd_account_from_json(obj, &fv_stored, false, NULL, 0,
                                      NULL) == 0);
    json_decref(obj);
    fv_ready = true;
}

/* ------------------------------------------------------------------------
 * What every answer and accepted request must be
 * ------------------------------------------------------------------------ */

static bool fv_text_ok(const char *s)
{
    return s[0] != '\0' && hamd_utf8_valid(s, strlen(s));
}

/* A refusal: 400, and the JSON answer admin_reply_error makes of it. */
static void fv_refusal(const struct admin_verdict *v)
{
    FUZZ_CHECK(v->status == 400);
    FUZZ_CHECK(strlen(v->msg) < ADMIN_VERDICT_MSG_MAX && fv_text_ok(v->msg));
    FUZZ_CHECK(v->field == NULL || fv_text_ok(v->field));
    json_t *o = json_pack("{s:s}", "error", v->msg);
    FUZZ_CHECK(o != NULL);
    if (v->field)
        FUZZ_CHECK(json_object_set_new(o, "field", json_string(v->field)) == 0);
    json_decref(o);
}

/* The symbols of an accepted subscription request. */
static void fv_symbols(const struct hamd_cmd *cmd)
{
    FUZZ_CHECK(cmd->n_symbols >= 1);
    for (unsigned k = 0; k < cmd->n_symbols; k++) {
        const char *s = cmd->symbols[k];
        FUZZ_CHECK(hamd_tick_vt_symbol_valid(s, strlen(s)));
        FUZZ_CHECK(hamd_utf8_valid(s, strlen(s)));
        for (unsigned m = 0; m < k; m++)
            FUZZ_CHECK(strcmp(cmd->symbols[m], s) != 0);
    }
}

/* True when json holds, at any depth, a key or string in sealed form. */
static bool fv_sealed(const json_t *json)
{
    if (json_is_string(json))
        return hamd_vault_is_sealed(json_string_value(json));
    size_t i;
    const char *key;
    json_t *val;
    json_array_foreach((json_t *)json, i, val)
        if (fv_sealed(val))
            return true;
    json_object_foreach((json_t *)json, key, val)
        if (hamd_vault_is_sealed(key) || fv_sealed(val))
            return true;
    return false;
}

/* ------------------------------------------------------------------------
 * Bodies
 * ------------------------------------------------------------------------ */

static void fv_failover(const json_t *body, bool failback)
{
    struct admin_failover_req r;
    struct admin_verdict v;
    bool ok = failback ? admin_failback_validate(body, &r, &v)
                       : admin_failover_validate(body, &r, &v);
    if (!ok) {
        fv_refusal(&v);
        return;
    }
    FUZZ_CHECK(json_is_object(body));
    if (failback)
        FUZZ_CHECK(r.to == NULL && !r.all && !r.force);
    else
        FUZZ_CHECK(r.to && hamd_account_id_valid(r.to) && r.all == (r.n == 0));
    const json_t *arr = json_object_get(body, "prefixes");
    FUZZ_CHECK(r.n <= ADMIN_FAILOVER_PREFIXES_MAX &&
               r.n == json_array_size(arr));
    for (size_t i = 0; i < r.n; i++) {
        FUZZ_CHECK(r.prefixes[i] == json_string_value(json_array_get(arr, i)));
        FUZZ_CHECK(r.prefixes[i][0] && strlen(r.prefixes[i]) < HAMD_VT_SYMBOL_MAX);
    }
}

static void fv_subs_body(const json_t *body)
{
    struct hamd_cmd cmd;
    struct admin_verdict v;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_ADD);
    if (admin_subs_body_validate(body, &cmd, &v)) {
        fv_symbols(&cmd);
        /* every symbol of the body is in the command */
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(body, "symbols"), i, s) {
            unsigned k = 0;
            while (k < cmd.n_symbols &&
                   strcmp(cmd.symbols[k], json_string_value(s)) != 0)
                k++;
            FUZZ_CHECK(k < cmd.n_symbols);
        }
    } else {
        fv_refusal(&v);
    }
    hamd_cmd_free(&cmd);
}

static void fv_member_body(const json_t *body)
{
    uint64_t id = 0;
    struct admin_verdict v;
    if (!admin_member_body_validate(body, &id, &v)) {
        fv_refusal(&v);
        return;
    }
    FUZZ_CHECK(id >= 1 && id <= ADMIN_MEMBER_ID_MAX);
    FUZZ_CHECK(json_object_size(body) == 1 &&
               (json_int_t)id == json_integer_value(json_object_get(body, "id")));
}

static void fv_transfer(const json_t *body)
{
    uint64_t id = 7;
    struct admin_verdict v;
    if (!admin_transfer_validate(body, &fv_cfg, &id, &v)) {
        fv_refusal(&v);
        return;
    }
    if (json_object_get(body, "node") == NULL) {
        FUZZ_CHECK(id == 0);
        return;
    }
    const struct hamd_peer *p = hamd_config_peer(&fv_cfg, id);
    FUZZ_CHECK(p != NULL && p->role != HAMD_ROLE_WITNESS);
}

/* As the handler does: `running` taken out (the stored switch: on
 * unless witness, to try both), then the account validated. */
static void fv_account(const json_t *body, bool update, bool witness)
{
    struct hamd_account a = fv_stored;
    struct admin_verdict v;
    json_t *copy = json_deep_copy(body);
    bool taken = admin_account_running_take(copy, update ? fv_stored.id : NULL,
                                            !witness, &v);
    FUZZ_CHECK(!taken || !json_is_object(copy) || !json_object_get(copy, "running"));
    if (!taken || !admin_account_validate(copy, &a, update, &fv_cfg, witness, &v)) {
        fv_refusal(&v); /* v may point into copy */
        json_decref(copy);
        return;
    }
    json_decref(copy);
    FUZZ_CHECK(hamd_account_id_valid(a.id));
    FUZZ_CHECK(!update || strcmp(a.id, fv_stored.id) == 0);
    FUZZ_CHECK(witness || hamd_config_gw_exec(&fv_cfg, a.gateway_type));
    json_t *params = json_loads(a.params, 0, NULL);
    FUZZ_CHECK(json_is_object(params) && !fv_sealed(params));
    json_decref(params);
}

/* ------------------------------------------------------------------------
 * Query strings and path ids
 * ------------------------------------------------------------------------ */

static void fv_subs_query(const char *q, size_t len)
{
    struct hamd_cmd cmd;
    struct admin_verdict v;
    hamd_cmd_init(&cmd, HAMD_CMD_SUBS_DEL);
    if (admin_subs_query_validate(q, len, &cmd, &v))
        fv_symbols(&cmd);
    else
        fv_refusal(&v);
    hamd_cmd_free(&cmd);
}

static void fv_events_query(const char *q, size_t len)
{
    struct admin_events_query eq;
    struct admin_verdict v;
    if (!admin_events_query_validate(q, len, &eq, &v)) {
        fv_refusal(&v);
        return;
    }
    FUZZ_CHECK(eq.limit >= 1 && eq.limit <= ADMIN_EVENTS_LIMIT_MAX);
    FUZZ_CHECK(eq.has_since || eq.since == 0);
}

/* The queries read one parameter at a time (admin_query_check). */
static void fv_param_queries(const char *q, size_t len)
{
    struct admin_verdict v;
    unsigned node = 0;
    if (admin_query_check(q, len, admin_restart_param, &node,
                          "expected ?node=ID", &v))
        FUZZ_CHECK(node <= ADMIN_MEMBER_ID_MAX);
    else
        fv_refusal(&v);
    struct admin_logs_args a = {
        .q = {.min_level = HAMD_LOG_DEBUG, .limit = 1},
        .limit_max = FV_LOG_LINES,
    };
    if (admin_query_check(q, len, admin_logs_param, &a, "expected ...", &v))
        FUZZ_CHECK(a.q.limit >= 1 && a.q.limit <= FV_LOG_LINES &&
                   a.node <= ADMIN_MEMBER_ID_MAX &&
                   a.q.min_level <= HAMD_LOG_ERROR &&
                   (a.q.has_since || a.q.since == 0));
    else
        fv_refusal(&v);
    enum hamd_log_level level = HAMD_LOG_INFO;
    if (admin_query_check(q, len, admin_stream_param, &level, "expected ...",
                          &v))
        FUZZ_CHECK(level <= HAMD_LOG_ERROR);
    else
        fv_refusal(&v);
}

/* text: the input up to its first NUL, as a path capture holds it. */
static void fv_path_ids(const char *text)
{
    uint64_t id = 0;
    struct admin_verdict v;
    if (admin_member_path_validate(text, &id, &v)) {
        FUZZ_CHECK(id >= 1 && id <= ADMIN_MEMBER_ID_MAX);
        /* the decimal digits of id, after leading zeros */
        char back[FV_ID_TEXT_MAX];
        snprintf(back, sizeof back, "%llu", (unsigned long long)id);
        size_t skip = strspn(text, "0");
        FUZZ_CHECK(strcmp(text + skip, back) == 0);
    } else {
        fv_refusal(&v);
    }
    if (admin_account_id_validate(text, &v))
        FUZZ_CHECK(hamd_account_id_valid(text) && strlen(text) < HAMD_ACCOUNT_ID_MAX);
    else
        fv_refusal(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fv_ready)
        fv_setup();
    json_error_t jerr;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                              &jerr);
    if (body != NULL) {
        fv_failover(body, false);
        fv_failover(body, true);
        fv_subs_body(body);
        fv_member_body(body);
        fv_transfer(body);
        for (int m = 0; m < 4; m++)
            fv_account(body, m & 1, m & 2);
        json_decref(body);
    }
    fv_subs_query((const char *)data, size);
    fv_events_query((const char *)data, size);
    fv_param_queries((const char *)data, size);
    char *text = fuzz_strndup(data, size);
    fv_path_ids(text);
    free(text);
    return 0;
}
