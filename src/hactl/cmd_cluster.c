/* hactl members [add|remove ID] | is-leader [--other] | transfer [NODE] |
 * events [-f] [--limit N]: the cluster through /api/members, /readyz,
 * /api/transfer and /api/events. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hactl/hactl.h"
#include "hactl/http.h"
#include "hactl/stream.h"
#include "hactl/util.h"

#define TRANSFER_TIMEOUT_MS 10000   /* a transfer waits for the new leader */
#define MEMBERS_TIMEOUT_MS 30000    /* an add waits for the log catch-up */
#define MEMBERS_ID_MAX 65535        /* largest N of [peer.N] */
#define MEMBERS_PATH_MAX 64         /* bytes of an /api/members/ID path */
#define EVENTS_POLL_MS 1000         /* events -f: period of the polls */
#define EVENTS_LIMIT_DEFAULT 20     /* events shown without --limit */
#define EVENTS_LIMIT_MAX 1000       /* most events per request (API limit) */
#define EVENTS_PATH_MAX 128         /* bytes of an /api/events?... path */

/* ------------------------------------------------------------------------
 * members
 * ------------------------------------------------------------------------ */

/* "yes" / "no" for the member whose admin address is admin, from the
 * /livez answers of every known node; "?" when hactl does not know it. */
static const char *reachable(const struct hactl *ctl, const struct hactl_resp *live,
                             const char *admin)
{
    for (unsigned i = 0; i < ctl->n_nodes; i++)
        if (strcmp(ctl->nodes[i].admin, admin) == 0)
            return live[i].status == 200 ? "yes" : "no";
    return "?";
}

static const char MEMBERS_USAGE[] = "members [--json] | members add|remove ID";

/* The ROLE column: the Raft role, "witness" for a voting witness. */
static const char *member_role(const json_t *m)
{
    const char *role = hactl_jstr(m, "role", "?");
    if (strcmp(role, "voter") == 0 && json_is_true(json_object_get(m, "witness")))
        return "witness";
    return role;
}

static int members_list(struct hactl *ctl, int argc, char **argv)
{
    int rc = hactl_read_no_operands(ctl, argc, argv, MEMBERS_USAGE);
    if (rc != HACTL_OK)
        return rc;
    struct hactl_resp r, live[HACTL_MAX_NODES];
    hactl_http_read(ctl, "/api/members", &r);
    rc = hactl_http_check("members", &r);
    if (rc == HACTL_OK && ctl->json) {
        hactl_print_raw(&r);
    } else if (rc == HACTL_OK) {
        hactl_http_all(ctl, "GET", "/livez", NULL, live);
        printf("%-4s %-9s %-21s %-21s %-6s %s\n", "ID", "ROLE", "RAFT", "ADMIN",
               "LEADER", "REACHABLE");
        size_t i;
        const json_t *m;
        json_array_foreach(r.json, i, m)
            printf("%-4lld %-9s %-21s %-21s %-6s %s\n", hactl_jint(m, "id"),
                   member_role(m), hactl_jstr(m, "raft", "-"),
                   hactl_jstr(m, "admin", "-"),
                   json_is_true(json_object_get(m, "leader")) ? "*" : "",
                   reachable(ctl, live, hactl_jstr(m, "admin", "")));
        for (unsigned k = 0; k < ctl->n_nodes; k++)
            hactl_resp_free(&live[k]);
    }
    hactl_resp_free(&r);
    return rc;
}

/* add / remove ID (argv[0]): one membership change, answered after
 * commit. */
static int members_change(struct hactl *ctl, int argc, char **argv)
{
    bool add = strcmp(argv[0], "add") == 0;
    int rc = hactl_read_opts(ctl, argc, argv, MEMBERS_USAGE);
    if (rc != HACTL_OK)
        return rc;
    char *end = NULL;
    long id = optind + 1 == argc ? strtol(argv[optind], &end, 10) : 0;
    if (!end || *end || id < 1 || id > MEMBERS_ID_MAX) {
        fprintf(stderr, "usage: hactl %s (ID: N of [peer.N], 1..%d)\n",
                MEMBERS_USAGE, MEMBERS_ID_MAX);
        return HACTL_USAGE;
    }
    char path[MEMBERS_PATH_MAX], body[MEMBERS_PATH_MAX];
    snprintf(path, sizeof path, "/api/members/%ld", id);
    snprintf(body, sizeof body, "{\"id\":%ld}", id);
    struct hactl t = *ctl;
    if (t.timeout_ms < MEMBERS_TIMEOUT_MS)
        t.timeout_ms = MEMBERS_TIMEOUT_MS;
    struct hactl_resp r;
    hactl_http_write(&t, add ? "POST" : "DELETE", add ? "/api/members" : path,
                     add ? body : NULL, &r);
    rc = hactl_http_check(add ? "members add" : "members remove", &r);
    if (rc == HACTL_OK && ctl->json)
        hactl_print_raw(&r);
    else if (rc == HACTL_OK)
        printf("node %ld %s (%lld voters)\n", id,
               add ? "is a voter now" : "removed", hactl_jint(r.json, "voters"));
    if (rc == HACTL_OK && json_is_string(json_object_get(r.json, "warning")))
        fprintf(stderr, "hactl: warning: %s\n",
                hactl_jstr(r.json, "warning", ""));
    hactl_resp_free(&r);
    return rc;
}

int hactl_cmd_members(struct hactl *ctl, int argc, char **argv)
{
    static const struct hactl_verb verbs[] = {
        {"list", members_list},
        {"add", members_change},
        {"remove", members_change},
        {NULL, NULL},
    };
    return hactl_verb_run(ctl, argc, argv, verbs, MEMBERS_USAGE);
}

/* ------------------------------------------------------------------------
 * is-leader [--other]: for keepalived's track_script and its hooks, so
 * quiet (docs/hactl.md)
 * ------------------------------------------------------------------------ */

static const char IS_LEADER_USAGE[] = "is-leader [--other] [--json]";

/* --other and --json; anything else, an operand included, is a usage
 * error: a typo must not turn into a question about another node. */
static int is_leader_opts(struct hactl *ctl, int argc, char **argv,
                          bool *other)
{
    static const struct option longopts[] = {
        {"other", no_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
        if (opt == 'o')
            *other = true;
        else if (opt == 'j')
            ctl->json = true;
        else
            break;
    }
    if (opt != -1 || optind < argc) {
        fprintf(stderr, "usage: hactl %s\n", IS_LEADER_USAGE);
        return HACTL_USAGE;
    }
    return HACTL_OK;
}

/* The first node given (-H, or the node a -c config file belongs to)
 * publishes: its /readyz is 200 only while it does. */
static int is_leader_first(const struct hactl *ctl)
{
    struct hactl_resp r;
    hactl_http_one(ctl, 0, "GET", "/readyz", NULL, &r);
    int rc = r.status == 200 ? HACTL_OK : r.status ? HACTL_FAIL : HACTL_UNREACHABLE;
    if (ctl->json)
        hactl_print_raw(&r);
    hactl_resp_free(&r);
    return rc;
}

/* The nodes --other asks into idx: every node with an admin address but
 * the first, and but any that repeats the first's address (-H given
 * twice), since that one is the node we are asking about. Returns how
 * many. */
static unsigned other_nodes(const struct hactl *ctl,
                            unsigned idx[HACTL_MAX_NODES])
{
    unsigned n = 0;
    for (unsigned i = 1; i < ctl->n_nodes; i++)
        if (ctl->nodes[i].admin[0] &&
            strcmp(ctl->nodes[i].admin, ctl->nodes[0].admin) != 0)
            idx[n++] = i;
    return n;
}

/* --json: {"publishing":"HOST:PORT"} (the admin address as given, which
 * -H and -c both know; an id -H does not), or {"publishing":null}. */
static void print_publishing(const struct hactl *ctl, int publisher)
{
    json_t *doc = json_pack("{s:s?}", "publishing",
                            publisher >= 0 ? ctl->nodes[publisher].admin : NULL);
    hactl_print_json(doc);
    json_decref(doc);
}

/* --other: a node other than the first publishes. After a crash of this
 * host's hamd, systemd's ExecStopPost (a keepalived hook, deploy/hooks/)
 * keeps this host's VRRP claim until another node publishes, polling
 * this every ~35 ms with a short --timeout. So it must be cheap and never
 * take longer than --timeout: the other nodes are asked at once (one dead
 * node costs one timeout, not one per node), and the first node, the
 * crashed one, not at all. */
static int is_leader_other(const struct hactl *ctl)
{
    unsigned idx[HACTL_MAX_NODES];
    unsigned n = other_nodes(ctl, idx);
    if (n == 0) {
        fprintf(stderr, "hactl is-leader --other: no node but %s to ask: give "
                        "-c CONFIG of a cluster member, or several -H\n",
                ctl->nodes[0].admin[0] ? ctl->nodes[0].admin : "the first");
        return HACTL_USAGE;
    }
    struct hactl_resp r[HACTL_MAX_NODES];
    hactl_http_many(ctl, idx, n, "GET", "/readyz", NULL, r);
    int publisher = -1;
    bool answered = false;
    for (unsigned k = 0; k < n; k++) {
        if (r[k].status == 200 && publisher < 0)
            publisher = (int)idx[k];
        answered = answered || r[k].status != 0;
        hactl_resp_free(&r[k]);
    }
    if (ctl->json)
        print_publishing(ctl, publisher);
    return publisher >= 0 ? HACTL_OK : answered ? HACTL_FAIL : HACTL_UNREACHABLE;
}

int hactl_cmd_is_leader(struct hactl *ctl, int argc, char **argv)
{
    bool other = false;
    int rc = is_leader_opts(ctl, argc, argv, &other);
    if (rc != HACTL_OK || (rc = hactl_need_nodes(ctl, "is-leader")) != HACTL_OK)
        return rc;
    return other ? is_leader_other(ctl) : is_leader_first(ctl);
}

/* ------------------------------------------------------------------------
 * transfer [NODE]
 * ------------------------------------------------------------------------ */

int hactl_cmd_transfer(struct hactl *ctl, int argc, char **argv)
{
    int rc = hactl_read_opts(ctl, argc, argv, "transfer [NODE]");
    if (rc != HACTL_OK || (rc = hactl_need_nodes(ctl, "transfer")) != HACTL_OK)
        return rc;
    char *end = NULL;
    long node = optind < argc ? strtol(argv[optind], &end, 10) : 0;
    if (optind + 1 < argc || (end && (*end || node <= 0))) {
        fprintf(stderr, "usage: hactl transfer [NODE]\n");
        return HACTL_USAGE;
    }
    char body[48];
    snprintf(body, sizeof body, "{\"node\":%ld}", node);
    struct hactl t = *ctl;
    if (t.timeout_ms < TRANSFER_TIMEOUT_MS)
        t.timeout_ms = TRANSFER_TIMEOUT_MS;
    struct hactl_resp r;
    hactl_http_write(&t, "POST", "/api/transfer", node ? body : NULL, &r);
    rc = hactl_http_check("transfer", &r);
    if (rc == HACTL_OK && ctl->json)
        hactl_print_raw(&r);
    else if (rc == HACTL_OK)
        printf("leadership moved from node %lld to node %lld\n",
               hactl_jint(r.json, "previous"), hactl_jint(r.json, "leader"));
    hactl_resp_free(&r);
    return rc;
}

/* ------------------------------------------------------------------------
 * events [-f] [--limit N]
 * ------------------------------------------------------------------------ */

static void print_event(const json_t *ev, bool json)
{
    if (json) {
        hactl_print_json(ev);
        return;
    }
    json_t *rest = json_deep_copy(ev);
    json_object_del(rest, "seq");
    json_object_del(rest, "timestamp");
    json_object_del(rest, "event_type");
    char *detail = json_dumps(rest, JSON_COMPACT);
    printf("%6lld  %-24s  %-24s %s\n", hactl_jint(ev, "seq"),
           hactl_jstr(ev, "timestamp", "-"), hactl_jstr(ev, "event_type", "?"),
           detail ? detail : "");
    free(detail);
    json_decref(rest);
}

/* Prints the events of one answer; returns the highest seq seen. */
static long long print_events(const json_t *answer, bool json, long long last)
{
    size_t i;
    const json_t *ev;
    json_array_foreach(json_object_get(answer, "events"), i, ev) {
        long long seq = hactl_jint(ev, "seq");
        if (seq <= last)
            continue;
        print_event(ev, json);
        last = seq;
    }
    return last;
}

static int events_follow(struct hactl *ctl, long long last, bool json)
{
    hactl_stream_catch_signals();
    char path[EVENTS_PATH_MAX];
    while (!hactl_stream_stopping()) {
        hactl_sleep_ms(EVENTS_POLL_MS);
        snprintf(path, sizeof path, "/api/events?since=%lld&limit=%d", last,
                 EVENTS_LIMIT_MAX);
        struct hactl_resp r;
        hactl_http_read(ctl, path, &r);
        if (r.status == 200)
            last = print_events(r.json, json, last);
        else if (r.status == 0)
            fprintf(stderr, "hactl events: no node answers (%s); retrying\n",
                    r.error);
        fflush(stdout);
        hactl_resp_free(&r);
    }
    return HACTL_OK;
}

int hactl_cmd_events(struct hactl *ctl, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"follow", no_argument, NULL, 'f'},
        {"limit", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    bool follow = false;
    long limit = EVENTS_LIMIT_DEFAULT;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "fn:j", longopts, NULL)) != -1) {
        if (opt == 'f') {
            follow = true;
        } else if (opt == 'j') {
            ctl->json = true;
        } else if (opt == 'n' && (limit = strtol(optarg, &end, 10)) > 0 &&
                   limit <= EVENTS_LIMIT_MAX && *end == '\0') {
            continue;
        } else {
            break;
        }
    }
    if (opt != -1 || optind < argc) {
        fprintf(stderr, "usage: hactl events [-f] [--limit 1..%d] [--json]\n",
                EVENTS_LIMIT_MAX);
        return HACTL_USAGE;
    }
    int rc = hactl_need_nodes(ctl, "events");
    if (rc != HACTL_OK)
        return rc;
    char path[EVENTS_PATH_MAX];
    snprintf(path, sizeof path, "/api/events?limit=%ld", limit);
    struct hactl_resp r;
    hactl_http_read(ctl, path, &r);
    rc = hactl_http_check("events", &r);
    long long last = 0;
    if (rc == HACTL_OK && ctl->json && !follow)
        hactl_print_raw(&r);
    else if (rc == HACTL_OK)
        last = print_events(r.json, ctl->json, 0);
    if (rc == HACTL_OK && json_is_integer(json_object_get(r.json, "last_seq")))
        last = hactl_jint(r.json, "last_seq") > last ? hactl_jint(r.json, "last_seq")
                                                      : last;
    hactl_resp_free(&r);
    fflush(stdout);
    return rc == HACTL_OK && follow ? events_follow(ctl, last, ctl->json) : rc;
}
