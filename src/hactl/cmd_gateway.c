/* hactl start|stop|restart ACCOUNT.
 *
 * start / stop are replicated (the account's run flag, committed through
 * Raft), so one node is asked and a follower forwards. restart is a hard
 * restart of the gateway process, which runs on every node: every node
 * is asked at once, and each restarts its own. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "hactl/hactl.h"
#include "hactl/http.h"
#include "hactl/util.h"

#define GW_PATH_MAX 128 /* bytes of /api/accounts/ID/VERB */

static int gateway_run(struct hactl *ctl, const char *verb, const char *path,
                       const char *id)
{
    struct hactl_resp r;
    hactl_http_write(ctl, "POST", path, NULL, &r);
    int rc = hactl_http_check(verb, &r);
    if (rc == HACTL_OK && ctl->json)
        hactl_print_raw(&r);
    else if (rc == HACTL_OK)
        printf("account %s %s\n", id, strcmp(verb, "start") == 0
                                          ? "started (runs on every node)"
                                          : "stopped on every node");
    hactl_resp_free(&r);
    return rc;
}

/* Exit: 0 when a node restarted it, 4 when every answering node refused,
 * 3 when none answered. */
static int gateway_restart(struct hactl *ctl, const char *path, const char *id)
{
    struct hactl_resp r[HACTL_MAX_NODES];
    hactl_http_all(ctl, "POST", path, NULL, r);
    unsigned restarted = 0, answered = 0;
    int refused = HACTL_REJECTED; /* exit code of the last refusal */
    json_t *all = json_array();
    for (unsigned i = 0; i < ctl->n_nodes; i++) {
        if (r[i].status) {
            answered++;
            restarted += r[i].status == 200;
        }
        if (ctl->json) {
            json_array_append_new(all, json_pack("{s:s,s:i,s:O?}", "admin",
                                                 ctl->nodes[i].admin, "status",
                                                 (int)r[i].status, "answer",
                                                 r[i].json));
            continue;
        }
        if (r[i].status == 200) {
            printf("%s: restarted %s\n", ctl->nodes[i].admin, id);
        } else {
            char what[HAMD_ENDPOINT_MAX + 16];
            snprintf(what, sizeof what, "restart on %s", ctl->nodes[i].admin);
            int c = hactl_http_check(what, &r[i]);
            if (r[i].status)
                refused = c;
        }
    }
    if (ctl->json)
        hactl_print_json(all);
    json_decref(all);
    for (unsigned i = 0; i < ctl->n_nodes; i++)
        hactl_resp_free(&r[i]);
    if (restarted)
        return HACTL_OK;
    return answered ? refused : HACTL_UNREACHABLE;
}

int hactl_cmd_gateway(struct hactl *ctl, int argc, char **argv)
{
    const char *verb = argv[0];
    char usage[64];
    snprintf(usage, sizeof usage, "%s ACCOUNT", verb);
    int rc = hactl_read_opts(ctl, argc, argv, usage);
    if (rc != HACTL_OK || (rc = hactl_need_nodes(ctl, verb)) != HACTL_OK)
        return rc;
    if (optind != argc - 1) {
        fprintf(stderr, "usage: hactl %s\n", usage);
        return HACTL_USAGE;
    }
    const char *id = argv[optind];
    char path[GW_PATH_MAX];
    snprintf(path, sizeof path, "/api/accounts/%s/%s", id, verb);
    return strcmp(verb, "restart") == 0 ? gateway_restart(ctl, path, id)
                                        : gateway_run(ctl, verb, path, id);
}
