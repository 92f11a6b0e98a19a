/* Helpers of the hactl commands: see util.h. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "hactl/http.h"
#include "hactl/util.h"

int hactl_verb_run(struct hactl *ctl, int argc, char **argv,
                   const struct hactl_verb *verbs, const char *usage)
{
    int rc = hactl_need_nodes(ctl, argv[0]);
    if (rc != HACTL_OK)
        return rc;
    bool has_verb = argc > 1 && argv[1][0] != '-';
    const char *verb = has_verb ? argv[1] : "list";
    for (const struct hactl_verb *v = verbs; v->name; v++)
        if (strcmp(verb, v->name) == 0)
            return has_verb ? v->fn(ctl, argc - 1, argv + 1)
                            : v->fn(ctl, argc, argv);
    fprintf(stderr, "usage: hactl %s\n", usage);
    return HACTL_USAGE;
}

int hactl_read_opts(struct hactl *ctl, int argc, char **argv,
                    const char *usage)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
        if (opt != 'j') {
            fprintf(stderr, "usage: hactl %s\n", usage);
            return HACTL_USAGE;
        }
        ctl->json = true;
    }
    return HACTL_OK;
}

int hactl_read_no_operands(struct hactl *ctl, int argc, char **argv,
                           const char *usage)
{
    int rc = hactl_read_opts(ctl, argc, argv, usage);
    if (rc == HACTL_OK && optind < argc) {
        fprintf(stderr, "usage: hactl %s\n", usage);
        rc = HACTL_USAGE;
    }
    return rc;
}

const char *hactl_jstr(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && s[0] ? s : dflt;
}

long long hactl_jint(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

size_t hactl_endpoints(const struct hactl *ctl, bool snapshot,
                       const char **out, size_t cap)
{
    size_t n = 0;
    for (unsigned i = 0; i < ctl->n_nodes && n < cap; i++) {
        const char *ep = snapshot ? ctl->nodes[i].snapshot
                                  : ctl->nodes[i].publish;
        if (ep[0])
            out[n++] = ep;
    }
    return n;
}

void hactl_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * HAMD_NS_PER_MS};
    nanosleep(&ts, NULL);
}
