/* hactl failover / failback / pause / resume: operator control of the
 * failover engine (POST /api/failover, /api/failback, /api/pause,
 * /api/resume). A dry run prints the plan and changes nothing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hactl/hactl.h"
#include "hactl/http.h"
#include "hactl/util.h"

#define FAILOVER_USAGE \
    "failover --to ACCOUNT (PREFIX...|--all) [--dry-run] [--force] [--json]"
#define FAILBACK_USAGE "failback [PREFIX...] [--dry-run] [--json]"

/* Prints a plan answer: one line per group, then what was refused. */
static void plan_print(const json_t *plan)
{
    bool dry = json_is_true(json_object_get(plan, "dry_run"));
    const json_t *groups = json_object_get(plan, "groups");
    size_t i;
    json_t *g;
    if (json_array_size(groups) == 0)
        printf("nothing to move\n");
    json_array_foreach((json_t *)groups, i, g) {
        const json_t *contracts = json_object_get(g, "contracts");
        const char *hold = hactl_jstr(g, "hold", "go");
        printf("%s%-18s %s -> %s  %zu contract(s)%s%s%s\n", dry ? "would " : "",
               hactl_jstr(g, "kind", "?"), hactl_jstr(g, "from", "-"),
               hactl_jstr(g, "to", "-"), json_array_size(contracts),
               strcmp(hold, "go") ? "  [held: " : "",
               strcmp(hold, "go") ? hold : "", strcmp(hold, "go") ? "]" : "");
        size_t k;
        json_t *c;
        json_array_foreach((json_t *)contracts, k, c)
            printf("    %s\n", json_string_value(c));
    }
    const json_t *rejects = json_object_get(plan, "rejects");
    json_array_foreach((json_t *)rejects, i, g)
        printf("refused: %s: %s\n", hactl_jstr(g, "item", "?"),
               hactl_jstr(g, "reason", "?"));
}

/* Sends body to path and prints the answer. */
static int post_plan(struct hactl *ctl, const char *what, const char *path,
                     json_t *body)
{
    struct hactl_resp r;
    int rc = hactl_http_write_json(ctl, what, "POST", path, body, &r);
    json_decref(body);
    if (rc == HACTL_OK && ctl->json)
        hactl_print_raw(&r);
    else if (rc == HACTL_OK)
        plan_print(r.json);
    hactl_resp_free(&r);
    return rc;
}

static json_t *prefix_array(int argc, char **argv)
{
    json_t *a = json_array();
    for (int i = optind; i < argc; i++)
        json_array_append_new(a, json_string(argv[i]));
    return a;
}

/* Shared options, accepted anywhere on the line (GNU permutation), so a
 * trailing --dry-run is never taken for a prefix. NULL out-pointers mark
 * options the command lacks. */
static int parse_opts(struct hactl *ctl, int argc, char **argv, const char **to,
                      bool *all, bool *dry, bool *force, const char *usage)
{
    static const struct option longopts[] = {
        {"to", required_argument, NULL, 't'}, {"all", no_argument, NULL, 'a'},
        {"dry-run", no_argument, NULL, 'n'},  {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},     {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "t:anfj", longopts, NULL)) != -1) {
        if (opt == 't' && to)
            *to = optarg;
        else if (opt == 'a' && all)
            *all = true;
        else if (opt == 'f' && force)
            *force = true;
        else if (opt == 'n')
            *dry = true;
        else if (opt == 'j')
            ctl->json = true;
        else {
            fprintf(stderr, "usage: hactl %s\n", usage);
            return HACTL_USAGE;
        }
    }
    return HACTL_OK;
}

int hactl_cmd_failover(struct hactl *ctl, int argc, char **argv)
{
    const char *to = NULL;
    bool all = false, dry = false, force = false;
    int rc = hactl_need_nodes(ctl, "failover");
    if (rc == HACTL_OK)
        rc = parse_opts(ctl, argc, argv, &to, &all, &dry, &force, FAILOVER_USAGE);
    if (rc != HACTL_OK)
        return rc;
    if (!to || all == (optind < argc)) {
        fprintf(stderr, "usage: hactl %s\n", FAILOVER_USAGE);
        return HACTL_USAGE;
    }
    json_t *body = json_pack("{s:s,s:b,s:b}", "to", to, "dry_run", dry, "force",
                             force);
    if (all)
        json_object_set_new(body, "all", json_true());
    else
        json_object_set_new(body, "prefixes", prefix_array(argc, argv));
    return post_plan(ctl, "failover", "/api/failover", body);
}

int hactl_cmd_failback(struct hactl *ctl, int argc, char **argv)
{
    bool dry = false;
    int rc = hactl_need_nodes(ctl, "failback");
    if (rc == HACTL_OK)
        rc = parse_opts(ctl, argc, argv, NULL, NULL, &dry, NULL, FAILBACK_USAGE);
    if (rc != HACTL_OK)
        return rc;
    json_t *body = json_pack("{s:b,s:o}", "dry_run", dry, "prefixes",
                             prefix_array(argc, argv));
    return post_plan(ctl, "failback", "/api/failback", body);
}

/* pause / resume (argv[0] says which). */
int hactl_cmd_pause(struct hactl *ctl, int argc, char **argv)
{
    bool pause = strcmp(argv[0], "pause") == 0;
    int rc = hactl_need_nodes(ctl, argv[0]);
    if (rc == HACTL_OK)
        rc = hactl_read_no_operands(ctl, argc, argv, pause ? "pause" : "resume");
    if (rc != HACTL_OK)
        return rc;
    struct hactl_resp r;
    hactl_http_write(ctl, "POST", pause ? "/api/pause" : "/api/resume", "{}", &r);
    rc = hactl_http_check(argv[0], &r);
    if (rc == HACTL_OK && ctl->json)
        hactl_print_raw(&r);
    else if (rc == HACTL_OK)
        printf(pause ? "automatic failover paused (health is still watched; "
                       "`hactl resume` to undo)\n"
                     : "automatic failover resumed\n");
    hactl_resp_free(&r);
    return rc;
}
