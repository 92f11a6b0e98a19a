/* The command line of a front:
 *
 *   hamd-gw-sim --front ENDPOINT [--seed N] [--rate R] [--exchanges A,B]
 *               [--params JSON] [--log-level LEVEL]
 *
 * turned into the params JSON object a gateway would get (params.h), so
 * one parser checks both: --params gives any of seed, rate, rates,
 * exchanges, log_level; the other options override its keys. Keys only a
 * gateway uses (fault, control, upstream...) are logged and ignored.
 */
#ifndef GWSIM_FRONTCLI_H
#define GWSIM_FRONTCLI_H

#include <stddef.h>

#define GWSIM_FRONT_OPTION "--front" /* the first argument of a front */

/* Parses argv[1..argc-1], argv[1] being GWSIM_FRONT_OPTION. Returns the
 * params JSON text (free it) and sets *endpoint to ENDPOINT; or returns
 * NULL with a message in err. */
char *gwsim_frontcli_parse(int argc, char **argv, const char **endpoint,
                           char *err, size_t errcap);

#endif /* GWSIM_FRONTCLI_H */
