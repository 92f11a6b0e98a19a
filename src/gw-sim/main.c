/* hamd-gw-sim: the simulated exchange gateway (docs/gateway-protocol.md, docs/gw-sim.md).
 *
 * hamd starts it with HAMD_GW_ENDPOINT, HAMD_ACCOUNT and HAMD_GW_PARAMS in
 * the environment; a person can do the same by hand. Exit codes: 0 clean
 * (STOP, SIGTERM, SIGINT), 1 runtime error, 2 usage or configuration
 * error, 3 the crash fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gw-common/gwenv.h"
#include "gw-sim/params.h"
#include "gw-sim/sim.h"

#ifndef HAMD_VERSION
#define HAMD_VERSION "dev"
#endif

#define IDENT_MAX (sizeof "gw-sim:" + HAMD_ACCOUNT_ID_MAX)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hamd-gw-sim [--help] [--version]\n"
            "\n"
            "Simulated exchange gateway for hamd: deterministic ticks and\n"
            "injectable faults. Configured by the environment:\n"
            "  %-17s hub ZMQ endpoint to connect to (required)\n"
            "  %-17s account id, the DEALER routing identity (required)\n"
            "  %-17s JSON object of params (optional), e.g.\n"
            "                    {\"seed\":1,\"rate\":2,\n"
            "                     \"control\":\"ipc:///tmp/sim.sock\"}\n"
            "\n"
            "Exit codes: 0 stopped, 1 runtime error, 2 usage/config error,\n"
            "3 crash fault. See docs/gw-sim.md.\n",
            HAMD_GW_ENV_ENDPOINT, HAMD_GW_ENV_ACCOUNT, HAMD_GW_ENV_PARAMS);
}

/* Handles the command line. Returns -1 to go on, else an exit code. */
static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return GWSIM_EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("hamd-gw-sim %s\n", HAMD_VERSION);
            return GWSIM_EXIT_OK;
        }
        fprintf(stderr, "hamd-gw-sim: unknown argument '%s'\n", argv[i]);
        usage(stderr);
        return GWSIM_EXIT_USAGE;
    }
    return -1;
}

/* Loads the params and applies the log level. NULL on error (logged). */
static struct gwsim_params *load_params(const char *text)
{
    char err[GWSIM_PARAMS_ERR_MAX];
    struct gwsim_params *params = gwsim_params_new(text, err, sizeof err);
    if (!params) {
        LOG_ERROR("%s: %s", HAMD_GW_ENV_PARAMS, err);
        return NULL;
    }
    if (params->log_level >= 0)
        hamd_log_set_level((enum hamd_log_level)params->log_level);
    return params;
}

int main(int argc, char **argv)
{
    static char ident[IDENT_MAX] = "gw-sim";
    struct hamd_gwenv env;
    int rc = parse_args(argc, argv);
    if (rc >= 0)
        return rc;
    hamd_log_set_ident(ident);
    if (hamd_gwenv_read(&env) != 0)
        return GWSIM_EXIT_USAGE;
    snprintf(ident, sizeof ident, "gw-sim:%s", env.account);
    struct gwsim_params *params = load_params(env.params);
    if (!params)
        return GWSIM_EXIT_USAGE;
    const volatile sig_atomic_t *stop = hamd_gwenv_signals();
    char err[GWSIM_PARAMS_ERR_MAX];
    struct gwsim *sim = gwsim_new(env.endpoint, env.account, params, err,
                                  sizeof err, &rc);
    if (!sim) {
        LOG_ERROR("%s", err);
        gwsim_params_destroy(&params);
        return rc;
    }
    LOG_INFO("hamd-gw-sim %s: %s, seed %llu, rate %.3f/s, fault %s%s%s",
             HAMD_VERSION, env.endpoint, (unsigned long long)params->seed,
             params->rate_milli / 1000.0, gwsim_fault_name(params->fault),
             params->control[0] ? ", control " : "", params->control);
    rc = gwsim_run(sim, stop);
    gwsim_destroy(&sim);
    gwsim_params_destroy(&params);
    return rc;
}
