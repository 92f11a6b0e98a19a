/* hamd-gw-sim: the simulated exchange gateway (docs/gateway-protocol.md, docs/gw-sim.md).
 *
 * hamd starts it with HAMD_GW_ENDPOINT, HAMD_ACCOUNT and HAMD_GW_PARAMS in
 * the environment; a person can do the same by hand. With --front
 * ENDPOINT it is instead a simulated exchange front, run by hand or by a
 * test, that gateways with the `upstream` param connect to (front.h).
 * Exit codes: 0 clean (STOP, SIGTERM, SIGINT), 1 runtime error, 2 usage
 * or configuration error, 3 the crash fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gw-common/gwenv.h"
#include "gw-sim/front.h"
#include "gw-sim/frontcli.h"
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
            "       hamd-gw-sim --front ENDPOINT [--seed N] [--rate R]\n"
            "                   [--exchanges A,B] [--params JSON]\n"
            "                   [--log-level LEVEL]\n"
            "\n"
            "Simulated exchange gateway for hamd: deterministic ticks and\n"
            "injectable faults. Configured by the environment:\n"
            "  %-17s hub ZMQ endpoint to connect to (required)\n"
            "  %-17s account id, the DEALER routing identity (required)\n"
            "  %-17s JSON object of params (optional), e.g.\n"
            "                    {\"seed\":1,\"rate\":2,\n"
            "                     \"control\":\"ipc:///tmp/sim.sock\"}\n"
            "\n"
            "With --front: a simulated exchange front bound at ENDPOINT\n"
            "(e.g. tcp://*:6101) for gateways whose params name it as\n"
            "\"upstream\". --params takes seed, rate, rates, exchanges;\n"
            "the other options override it.\n"
            "\n"
            "Exit codes: 0 stopped, 1 runtime error, 2 usage/config error,\n"
            "3 crash fault. See docs/gw-sim.md.\n",
            HAMD_GW_ENV_ENDPOINT, HAMD_GW_ENV_ACCOUNT, HAMD_GW_ENV_PARAMS);
}

/* Handles the command line. Returns -1 to go on, else an exit code. */
static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[1], GWSIM_FRONT_OPTION) != 0;
         i++) {
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

/* Loads the params and applies the log level. NULL on error, logged
 * with origin (where the params came from) in front. */
static struct gwsim_params *load_params(const char *text, const char *origin)
{
    char err[GWSIM_PARAMS_ERR_MAX];
    struct gwsim_params *params = gwsim_params_new(text, err, sizeof err);
    if (!params) {
        LOG_ERROR("%s: %s", origin, err);
        return NULL;
    }
    if (params->log_level >= 0)
        hamd_log_set_level((enum hamd_log_level)params->log_level);
    return params;
}

/* hamd-gw-sim --front ...: runs a front until SIGTERM or SIGINT. */
static int front_main(int argc, char **argv)
{
    const char *endpoint;
    char err[GWSIM_PARAMS_ERR_MAX];
    hamd_log_set_ident("gw-front");
    char *text = gwsim_frontcli_parse(argc, argv, &endpoint, err, sizeof err);
    if (!text) {
        fprintf(stderr, "hamd-gw-sim: %s\n", err);
        return GWSIM_EXIT_USAGE;
    }
    struct gwsim_params *params = load_params(text, "options");
    free(text);
    if (!params)
        return GWSIM_EXIT_USAGE;
    const volatile sig_atomic_t *stop = hamd_gwenv_signals();
    struct gwsim_front *front = gwsim_front_new(endpoint, params, err,
                                                sizeof err);
    if (!front) {
        LOG_ERROR("%s", err);
        gwsim_params_destroy(&params);
        return GWSIM_EXIT_USAGE;
    }
    LOG_INFO("hamd-gw-sim %s: front at %s, seed %llu, rate %.3f/s, "
             "%zu exchange(s)%s", HAMD_VERSION, endpoint,
             (unsigned long long)params->seed, params->rate_milli / 1000.0,
             params->n_exchanges, params->n_exchanges ? "" : " (all)");
    int rc = gwsim_front_run(front, stop);
    gwsim_front_destroy(&front);
    gwsim_params_destroy(&params);
    return rc;
}

int main(int argc, char **argv)
{
    static char ident[IDENT_MAX] = "gw-sim";
    struct hamd_gwenv env;
    int rc = parse_args(argc, argv);
    if (rc >= 0)
        return rc;
    if (argc > 1 && strcmp(argv[1], GWSIM_FRONT_OPTION) == 0)
        return front_main(argc, argv);
    hamd_log_set_ident(ident);
    if (hamd_gwenv_read(&env) != 0)
        return GWSIM_EXIT_USAGE;
    snprintf(ident, sizeof ident, "gw-sim:%s", env.account);
    struct gwsim_params *params = load_params(env.params, HAMD_GW_ENV_PARAMS);
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
    if (params->upstream[0])
        LOG_INFO("hamd-gw-sim %s: %s, upstream %s (link timeout %lld ms), "
                 "fault %s", HAMD_VERSION, env.endpoint, params->upstream,
                 (long long)params->link_timeout_ms,
                 gwsim_fault_name(params->fault));
    else
        LOG_INFO("hamd-gw-sim %s: %s, seed %llu, rate %.3f/s, fault %s",
                 HAMD_VERSION, env.endpoint, (unsigned long long)params->seed,
                 params->rate_milli / 1000.0, gwsim_fault_name(params->fault));
    if (params->control[0])
        LOG_INFO("control endpoint %s", params->control);
    rc = gwsim_run(sim, stop);
    gwsim_destroy(&sim);
    gwsim_params_destroy(&params);
    return rc;
}
