/* Small helpers shared by the hactl commands that use the admin API:
 * verb dispatch, option parsing of read commands and reading fields of
 * answers. */
#ifndef HACTL_UTIL_H
#define HACTL_UTIL_H

#include <jansson.h>

#include "hactl/hactl.h"

/* One verb of a command that has verbs ("accounts add", "subs rm"). */
struct hactl_verb {
    const char *name; /* as typed after the command */
    hactl_cmd_fn fn;  /* runs it; argv[0] is the verb, or the command name
                         when "list" runs without being named */
};

/* Sleeps ms milliseconds (a signal may end it early). */
void hactl_sleep_ms(unsigned ms);

/* Runs the verb of the command argv[0]: argv[1] names it, and "list"
 * runs when argv[1] is absent or an option ("accounts --json"). verbs
 * ends with a NULL name. Fails with "usage: hactl USAGE" on an unknown
 * verb, and when no node is known. Returns an enum hactl_exit. */
int hactl_verb_run(struct hactl *ctl, int argc, char **argv,
                   const struct hactl_verb *verbs, const char *usage);

/* Parses the options of a read command: --json (-j) sets ctl->json.
 * Leaves optind at the first operand. Returns HACTL_OK, or HACTL_USAGE
 * after printing "usage: hactl USAGE". */
int hactl_read_opts(struct hactl *ctl, int argc, char **argv,
                    const char *usage);

/* hactl_read_opts for a command that takes no operand: one given is a
 * usage error too, so `hactl pause sim_a` does not pause the cluster
 * (docs/hactl.md, exit code 2). */
int hactl_read_no_operands(struct hactl *ctl, int argc, char **argv,
                           const char *usage);

/* The string member key of o, or dflt when absent, empty or not a
 * string. */
const char *hactl_jstr(const json_t *o, const char *key, const char *dflt);

/* The integer member key of o, 0 when absent or not an integer. */
long long hactl_jint(const json_t *o, const char *key);

/* The nodes' non-empty publish (snapshot: snapshot) endpoints into
 * out[0..cap). Returns how many. */
size_t hactl_endpoints(const struct hactl *ctl, bool snapshot,
                       const char **out, size_t cap);

#endif /* HACTL_UTIL_H */
