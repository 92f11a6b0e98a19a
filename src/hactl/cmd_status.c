/* hactl status: every node's GET /api/status, asked all at once, so an
 * unreachable node shows as such after one timeout instead of hanging.
 *
 * Exit: 0 when a node publishes, 1 when nodes answered but none
 * publishes, 3 when no node answered. */
#include <stdio.h>
#include <string.h>

#include "hactl/hactl.h"
#include "hactl/http.h"
#include "hactl/util.h"

#define STATUS_MS_PER_S 1000       /* for ages */
#define STATUS_AGE_MS_SHOWN 10000  /* ages below this print in ms */
#define STATUS_PINS_SHOWN 8        /* pinned contracts listed by name */

/* "12 ms", "34 s" or "-" for a null age. */
static void fmt_age(const json_t *v, char *buf, size_t cap)
{
    if (!json_is_integer(v)) {
        snprintf(buf, cap, "-");
        return;
    }
    long long ms = (long long)json_integer_value(v);
    if (ms < STATUS_AGE_MS_SHOWN)
        snprintf(buf, cap, "%lld ms", ms);
    else
        snprintf(buf, cap, "%lld s", ms / STATUS_MS_PER_S);
}

/* "4/4", "2/4 +2 relayed": contracts the node covers from its own
 * healthy sources, of those subscribed, and those relayed (a publisher:
 * served by a follower; a follower: sent to the publisher). "-" for a
 * witness. */
static void fmt_coverage(const json_t *c, char *buf, size_t cap)
{
    long long relayed = hactl_jint(c, "relayed");
    if (!json_is_object(c) || hactl_jint(c, "subscribed") == 0)
        snprintf(buf, cap, "-");
    else if (relayed)
        snprintf(buf, cap, "%lld/%lld +%lld relayed", hactl_jint(c, "covered"),
                 hactl_jint(c, "subscribed"), relayed);
    else
        snprintf(buf, cap, "%lld/%lld", hactl_jint(c, "covered"),
                 hactl_jint(c, "subscribed"));
}

static void print_node_row(const struct hactl_node *n, const struct hactl_resp *r)
{
    const json_t *s = r->json;
    if (r->status != 200 || !json_is_object(s)) {
        char id[16] = "-";
        if (n->id)
            snprintf(id, sizeof id, "%u", n->id);
        printf("%-4s %-21s unreachable (%s)\n", id, n->admin,
               r->status ? "bad answer" : r->error);
        return;
    }
    const json_t *leader = json_object_get(s, "leader");
    char leader_s[16] = "-";
    if (json_is_integer(leader))
        snprintf(leader_s, sizeof leader_s, "%lld", (long long)json_integer_value(leader));
    /* A follower also says how fresh its copy of the leader's stream is:
     * what a takeover by it re-sends depends on it. */
    char publishing[48] = "yes", age[16];
    const json_t *follow = json_object_get(s, "follow_age_ms");
    if (!json_is_true(json_object_get(s, "publishing"))) {
        fmt_age(follow, age, sizeof age);
        if (json_is_integer(follow))
            snprintf(publishing, sizeof publishing, "no (stream %s ago)", age);
        else
            snprintf(publishing, sizeof publishing, "no");
    }
    char covers[32];
    fmt_coverage(json_object_get(s, "coverage"), covers, sizeof covers);
    printf("%-4lld %-21s %-11s %5lld %6s %8lld %8lld %-14s %s\n",
           hactl_jint(s, "node"), n->admin, hactl_jstr(s, "role", "?"),
           hactl_jint(s, "term"), leader_s, hactl_jint(s, "commit_index"),
           hactl_jint(s, "applied_index"), covers, publishing);
}

static void print_gateways(const json_t *s)
{
    const json_t *gws = json_object_get(s, "gateways");
    if (json_array_size(gws) == 0)
        return;
    printf("\ngateways on node %lld:\n", hactl_jint(s, "node"));
    printf("  %-16s %-13s %7s %8s %10s %6s  %s\n", "ACCOUNT", "STATE", "PID",
           "RESTARTS", "LAST TICK", "ACTIVE", "STATUS");
    size_t i;
    const json_t *g;
    json_array_foreach(gws, i, g) {
        char age[24];
        fmt_age(json_object_get(g, "last_tick_age_ms"), age, sizeof age);
        printf("  %-16s %-13s %7lld %8lld %10s %6lld  %s%s%s\n",
               hactl_jstr(g, "account", "?"), hactl_jstr(g, "state", "-"), hactl_jint(g, "pid"),
               hactl_jint(g, "restarts"), age, hactl_jint(g, "active_contracts"),
               hactl_jstr(g, "status", "-"), hactl_jstr(g, "detail", "")[0] ? " " : "",
               hactl_jstr(g, "detail", ""));
        /* Said under its row: a held gateway waits for the operator. */
        const char *held = hactl_jstr(g, "held", "");
        if (held[0])
            printf("  %-16s held: %s\n", "", held);
    }
}

static void print_json(const struct hactl *ctl, const struct hactl_resp *r)
{
    json_t *nodes = json_array();
    for (unsigned i = 0; i < ctl->n_nodes; i++) {
        json_t *o = json_pack("{s:s,s:b}", "admin", ctl->nodes[i].admin,
                              "reachable", r[i].status == 200 && r[i].json);
        if (r[i].status == 200 && r[i].json)
            json_object_set(o, "status", r[i].json);
        else
            json_object_set_new(o, "error", json_string(r[i].status ? "bad answer"
                                                                    : r[i].error));
        json_array_append_new(nodes, o);
    }
    json_t *doc = json_pack("{s:o}", "nodes", nodes);
    hactl_print_json(doc);
    json_decref(doc);
}

/* The leader's verdict when a follower covers more than it: leadership
 * follows the data after [cluster] source_transfer_after_ms, unless paused
 * or within the cooldown of the last such move. */
static void print_judge(const json_t *c)
{
    const char *judge = hactl_jstr(c, "judge", "");
    long long best = hactl_jint(c, "beaten_by");
    if (!best || !judge[0] || strcmp(judge, "nobody") == 0)
        return;
    const char *what = strcmp(judge, "waiting") == 0 ? "moving there soon"
                       : strcmp(judge, "paused") == 0
                           ? "staying: failover PAUSED (hactl resume)"
                       : strcmp(judge, "cooldown") == 0
                           ? "staying: a source-driven move was recent"
                           : "moving there now";
    printf("leader:   node %lld covers more contracts, %s\n", best, what);
}

/* "arbitration: first (SHFE priority)": how copies of a tick from several
 * sources are chosen, when it is not the default priority everywhere. */
static void print_arbitration(const json_t *a)
{
    const char *mode = hactl_jstr(a, "mode", "priority");
    json_t *ex = json_object_get(a, "exchanges");
    if (strcmp(mode, "priority") == 0 && json_object_size(ex) == 0)
        return;
    printf("arbitration: %s", mode);
    const char *k;
    const json_t *v;
    const char *sep = " (";
    json_object_foreach(ex, k, v) {
        printf("%s%s %s", sep, k, json_is_string(v) ? json_string_value(v) : "?");
        sep = ", ";
    }
    printf("%s\n", strcmp(sep, ", ") == 0 ? ")" : "");
}

/* "sessions: SHFE closed (opens 2026-12-07T01:00:00Z), DCE open": the
 * trading calendar as the node sees it (docs/operations.md). */
static void print_sessions(const json_t *ss)
{
    if (json_array_size(ss) == 0)
        return;
    printf("sessions:");
    size_t i;
    const json_t *s;
    json_array_foreach(ss, i, s) {
        const char *next = hactl_jstr(s, "next_open", "");
        printf("%s %s %s", i ? "," : "", hactl_jstr(s, "exchange", "?"),
               hactl_jstr(s, "state", "?"));
        if (next[0] && strcmp(hactl_jstr(s, "state", ""), "closed") == 0)
            printf(" (opens %s)", next);
    }
    printf("\n");
}

/* The replicated failover state (pause flag, pins) as the publishing node
 * knows it, else as the first node that answered: what an operator must
 * not forget after maintenance. */
static void print_failover(const struct hactl *ctl, const struct hactl_resp *r)
{
    const json_t *s = NULL;
    for (unsigned i = 0; i < ctl->n_nodes; i++) {
        if (r[i].status != 200 || !json_is_object(r[i].json))
            continue;
        if (!s || json_is_true(json_object_get(r[i].json, "publishing")))
            s = r[i].json;
    }
    if (!s)
        return;
    printf("\nfailover: %s\n", json_is_true(json_object_get(s, "paused"))
                                   ? "PAUSED, no automatic moves "
                                     "(hactl resume)"
                                   : "automatic");
    print_judge(json_object_get(s, "coverage"));
    print_arbitration(json_object_get(s, "arbitration"));
    print_sessions(json_object_get(s, "sessions"));
    const json_t *pins = json_object_get(s, "pinned");
    size_t n = json_array_size(pins);
    if (n == 0)
        return;
    printf("pinned:   %zu contract%s, no automatic failback (hactl failback):",
           n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < STATUS_PINS_SHOWN; i++) {
        const char *vt = json_string_value(json_array_get(pins, i));
        printf(" %s", vt ? vt : "?");
    }
    if (n > STATUS_PINS_SHOWN)
        printf(" ... (%zu more: hactl status --json)", n - STATUS_PINS_SHOWN);
    printf("\n");
}

static void print_table(const struct hactl *ctl, const struct hactl_resp *r)
{
    printf("%-4s %-21s %-11s %5s %6s %8s %8s %-14s %s\n", "NODE", "ADDRESS",
           "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "COVERS",
           "PUBLISHING");
    for (unsigned i = 0; i < ctl->n_nodes; i++)
        print_node_row(&ctl->nodes[i], &r[i]);
    print_failover(ctl, r);
    for (unsigned i = 0; i < ctl->n_nodes; i++)
        if (r[i].status == 200 && json_is_object(r[i].json))
            print_gateways(r[i].json);
}

int hactl_cmd_status(struct hactl *ctl, int argc, char **argv)
{
    int rc = hactl_read_no_operands(ctl, argc, argv, "status [--json]");
    if (rc != HACTL_OK || (rc = hactl_need_nodes(ctl, "status")) != HACTL_OK)
        return rc;
    struct hactl_resp r[HACTL_MAX_NODES];
    hactl_http_all(ctl, "GET", "/api/status", NULL, r);
    unsigned reachable = 0, publishing = 0;
    for (unsigned i = 0; i < ctl->n_nodes; i++) {
        if (r[i].status == 200 && json_is_object(r[i].json)) {
            reachable++;
            publishing += json_is_true(json_object_get(r[i].json, "publishing"));
        }
    }
    if (ctl->json)
        print_json(ctl, r);
    else
        print_table(ctl, r);
    for (unsigned i = 0; i < ctl->n_nodes; i++)
        hactl_resp_free(&r[i]);
    if (!ctl->json && reachable && !publishing)
        printf("\nno node publishes\n");
    return publishing ? HACTL_OK : reachable ? HACTL_FAIL : HACTL_UNREACHABLE;
}
