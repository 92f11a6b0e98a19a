/* hactl subs list|add|rm SYMBOL...: the subscribed contracts through
 * /api/subscriptions. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "hactl/hactl.h"
#include "hactl/http.h"
#include "hactl/util.h"

static const char SUBS_USAGE[] = "subs list [--json] | subs add|rm SYMBOL.EXCHANGE...";

static int subs_list(struct hactl *ctl, int argc, char **argv)
{
    int rc = hactl_read_no_operands(ctl, argc, argv, SUBS_USAGE);
    if (rc != HACTL_OK)
        return rc;
    struct hactl_resp r;
    hactl_http_read(ctl, "/api/subscriptions", &r);
    rc = hactl_http_check("subs list", &r);
    if (rc == HACTL_OK && ctl->json) {
        hactl_print_raw(&r);
    } else if (rc == HACTL_OK) {
        size_t i;
        const json_t *s;
        json_array_foreach(json_object_get(r.json, "symbols"), i, s)
            printf("%s\n", json_string_value(s));
    }
    hactl_resp_free(&r);
    return rc;
}

/* add / rm (argv[0]): the operands are the symbols; the node validates
 * them. */
static int subs_change(struct hactl *ctl, int argc, char **argv)
{
    bool add = strcmp(argv[0], "add") == 0;
    int rc = hactl_read_opts(ctl, argc, argv, SUBS_USAGE);
    if (rc != HACTL_OK)
        return rc;
    if (optind >= argc) {
        fprintf(stderr, "usage: hactl %s\n", SUBS_USAGE);
        return HACTL_USAGE;
    }
    json_t *symbols = json_array();
    for (int i = optind; i < argc; i++)
        json_array_append_new(symbols, json_string(argv[i]));
    json_t *body = json_pack("{s:o}", "symbols", symbols);
    struct hactl_resp r;
    rc = hactl_http_write_json(ctl, add ? "subs add" : "subs rm",
                               add ? "POST" : "DELETE", "/api/subscriptions",
                               body, &r);
    json_decref(body);
    if (rc == HACTL_OK && ctl->json)
        hactl_print_raw(&r);
    else if (rc == HACTL_OK)
        printf("%s %d symbol%s; %lld subscribed\n", add ? "added" : "removed",
               argc - optind, argc - optind == 1 ? "" : "s",
               hactl_jint(r.json, "count"));
    hactl_resp_free(&r);
    return rc;
}

int hactl_cmd_subs(struct hactl *ctl, int argc, char **argv)
{
    static const struct hactl_verb verbs[] = {
        {"list", subs_list},
        {"add", subs_change},
        {"rm", subs_change},
        {NULL, NULL},
    };
    return hactl_verb_run(ctl, argc, argv, verbs, SUBS_USAGE);
}
