/* Small helpers shared by the hactl commands that use the admin API:
 * option parsing of read commands and reading fields of answers. */
#ifndef HACTL_UTIL_H
#define HACTL_UTIL_H

#include <jansson.h>

#include "hactl/hactl.h"

/* Parses the options of a read command: --json (-j) sets ctl->json.
 * Leaves optind at the first operand. Returns HACTL_OK, or HACTL_USAGE
 * after printing "usage: hactl USAGE". */
int hactl_read_opts(struct hactl *ctl, int argc, char **argv,
                    const char *usage);

/* The string member key of o, or dflt when absent, empty or not a
 * string. */
const char *hactl_jstr(const json_t *o, const char *key, const char *dflt);

/* The integer member key of o, 0 when absent or not an integer. */
long long hactl_jint(const json_t *o, const char *key);

#endif /* HACTL_UTIL_H */
