/* hamd-gw-replay: plays a recording (docs/recording.md) to the hub as a
 * gateway (docs/gateway-protocol.md, docs/gw-replay.md).
 *
 * hamd starts it with HAMD_GW_ENDPOINT, HAMD_ACCOUNT and HAMD_GW_PARAMS in
 * the environment; a person can do the same by hand. Exit codes: 0 clean
 * (STOP, SIGTERM, SIGINT), 1 runtime error, 2 usage, configuration or
 * recording error (the file and the offset are logged and sent in STATUS).
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "gw-common/gwenv.h"
#include "gw-replay/params.h"
#include "gw-replay/replay.h"
#include "hamd/gwproto.h"

#ifndef HAMD_VERSION
#define HAMD_VERSION "dev"
#endif

#define IDENT_MAX (sizeof "gw-replay:" + HAMD_ACCOUNT_ID_MAX)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hamd-gw-replay [--help] [--version]\n"
            "\n"
            "Replays a recording (hactl record) to hamd as a gateway, at\n"
            "the recorded pace, re-stamped to the wall clock. Configured by\n"
            "the environment:\n"
            "  %-17s hub ZMQ endpoint to connect to (required)\n"
            "  %-17s account id, the DEALER routing identity (required)\n"
            "  %-17s JSON object of params, e.g.\n"
            "                    {\"file\": \"/var/lib/hamd/rec/day.hrec\",\n"
            "                     \"speed\": 1, \"loop\": true}\n"
            "\n"
            "Exit codes: 0 stopped, 1 runtime error, 2 usage, config or\n"
            "recording error. See docs/gw-replay.md.\n",
            HAMD_GW_ENV_ENDPOINT, HAMD_GW_ENV_ACCOUNT, HAMD_GW_ENV_PARAMS);
}

/* Handles the command line. Returns -1 to go on, else an exit code. */
static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return REPLAY_EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("hamd-gw-replay %s\n", HAMD_VERSION);
            return REPLAY_EXIT_OK;
        }
        fprintf(stderr, "hamd-gw-replay: unknown argument '%s'\n", argv[i]);
        usage(stderr);
        return REPLAY_EXIT_USAGE;
    }
    return -1;
}

int main(int argc, char **argv)
{
    static char ident[IDENT_MAX] = "gw-replay";
    int rc = parse_args(argc, argv);
    if (rc >= 0)
        return rc;
    hamd_log_set_ident(ident);
    struct hamd_gwenv env;
    if (hamd_gwenv_read(&env) != 0)
        return REPLAY_EXIT_USAGE;
    snprintf(ident, sizeof ident, "gw-replay:%s", env.account);
    struct replay_params params;
    char err[REPLAY_PARAMS_ERR_MAX];
    if (replay_params_parse(env.params, &params, err, sizeof err) != 0) {
        LOG_ERROR("%s: %s", HAMD_GW_ENV_PARAMS, err);
        return REPLAY_EXIT_USAGE;
    }
    if (params.log_level >= 0)
        hamd_log_set_level((enum hamd_log_level)params.log_level);
    const volatile sig_atomic_t *stop = hamd_gwenv_signals();
    struct replay *replay = replay_new(env.endpoint, env.account, &params, err,
                                       sizeof err, &rc);
    if (!replay) {
        LOG_ERROR("%s", err);
        return rc;
    }
    LOG_INFO("hamd-gw-replay %s: %s, file %s", HAMD_VERSION, env.endpoint,
             params.file);
    rc = replay_run(replay, stop);
    replay_destroy(&replay);
    return rc;
}
