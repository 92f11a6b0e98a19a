/* GET /api/logs?level=&since=&limit=: the node's recent log lines from the
 * ring (admin_logring.h), oldest first, as {seq, ts, level, tag, msg};
 * with ?node=N node N's (the request is relayed there, so a console page
 * shows any member's lines).
 * Log lines never hold a secret (the API never logs a request body or a
 * token), so they are shown as logged. */
#include <stdio.h>

#include "admin/admin_internal.h"
#include "common/clock.h"

#define LOGS_LIMIT_DEFAULT 200   /* lines per answer without ?limit */
#define LOGS_TS_MAX 40           /* bytes of an ISO 8601 timestamp */
#define LOGS_EXPECTED_MAX 160    /* bytes of the 400's explanation */

json_t *admin_logline_json(const struct admin_logline *l)
{
    char ts[LOGS_TS_MAX];
    hamd_format_iso_ms(l->wall_ns, ts, sizeof ts);
    return json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)l->seq, "ts",
                     ts, "level", hamd_log_level_name(l->level), "tag", l->tag,
                     "msg", l->msg);
}

static int line_add(void *ud, const struct admin_logline *line)
{
    json_array_append_new(ud, admin_logline_json(line));
    return 0;
}

static int logs_get(struct admin_call *call)
{
    struct hamd_admin *admin = call->admin;
    unsigned max = call->deps->cfg->log_lines;
    struct admin_logs_args a = {
        .q = {.min_level = HAMD_LOG_DEBUG,
              .limit = LOGS_LIMIT_DEFAULT < max ? LOGS_LIMIT_DEFAULT : max},
        .limit_max = max,
    };
    char expected[LOGS_EXPECTED_MAX];
    snprintf(expected, sizeof expected,
             "expected ?level=debug|info|warn|error, ?since=SEQ, "
             "?limit=1..%u and/or ?node=ID", max);
    if (!admin_query_each(call, admin_logs_param, &a, expected))
        return 0;
    if (a.node && a.node != call->deps->cfg->node_id)
        return admin_forward_to(call, a.node);
    json_t *lines = json_array();
    admin_logring_read(admin->logring, &a.q, line_add, lines, NULL);
    return admin_reply_json(
        call->req, 200,
        json_pack("{s:o,s:I}", "lines", lines, "last_seq",
                  (json_int_t)admin_logring_last_seq(admin->logring)));
}

const struct admin_route ADMIN_LOGS_ROUTES[] = {
    {"GET", "/api/logs", logs_get, false},
    {NULL, NULL, NULL, false},
};
