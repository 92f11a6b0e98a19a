/* hamd: the node daemon. Parses the command line, loads the configuration
 * and runs the node until SIGTERM/SIGINT.
 *
 * Exit codes: 0 clean shutdown, 1 runtime failure, 2 usage or configuration
 * error (nothing was started). */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "config/config.h"
#include "control/node.h"
#include "control/supervisor.h"

#define EXIT_RUNTIME 1 /* the node failed while running */
#define EXIT_USAGE 2   /* bad command line or configuration */

/* glibc's defaults, fixed: left alone, glibc raises its mmap threshold to
 * the size of every large block freed (the store's 1 - 2 MB buffers, a
 * steering plan's 1.2 MB) and its trim threshold to twice that, up to
 * 32 MB, after which such blocks come from the heap and a heap never gives
 * back what a burst left free at its top. With 5,200 contracts that kept
 * 3 - 4 MB more resident (docs/performance.md, "Realistic load"). */
#define HAMD_MMAP_THRESHOLD_BYTES (128 * 1024) /* larger blocks: mmap'd */
#define HAMD_TRIM_THRESHOLD_BYTES (1024 * 1024) /* free at a heap's top
                                                   beyond this goes back */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: hamd --config FILE [--log-level LEVEL]\n"
            "\n"
            "High-availability market-data hub: one node of a hamd cluster.\n"
            "\n"
            "  -c, --config FILE     node configuration (INI); every key can be\n"
            "                        overridden as HAMD_<SECTION>_<KEY>\n"
            "  -l, --log-level LVL   debug, info, warn or error (overrides [node])\n"
            "  -h, --help            show this help and exit\n"
            "  -V, --version         show the version and exit\n"
            "\n"
            "Exit codes: 0 clean shutdown, 1 runtime failure, 2 bad usage or\n"
            "configuration. See docs/operations.md.\n");
}

/* Fixes glibc's allocation thresholds (see above). */
static void heap_thresholds_fix(void)
{
    mallopt(M_MMAP_THRESHOLD, HAMD_MMAP_THRESHOLD_BYTES);
    mallopt(M_TRIM_THRESHOLD, HAMD_TRIM_THRESHOLD_BYTES);
}

int main(int argc, char **argv)
{
    /* Internal trampoline used by the gateway supervisor. */
    if (argc >= 2 && strcmp(argv[1], "--gw-launch") == 0)
        return hamd_supervisor_launch_main(argc, argv);

    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    const char *level_name = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:l:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 'l': level_name = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("hamd %s\n", HAMD_VERSION); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (!config_path || optind != argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int level = level_name ? hamd_log_level_parse(level_name) : HAMD_LOG_INFO;
    if (level < 0) {
        fprintf(stderr, "hamd: unknown log level '%s'\n", level_name);
        return EXIT_USAGE;
    }

    heap_thresholds_fix();
    char err[HAMD_CONFIG_ERR_MAX];
    struct hamd_config *cfg = hamd_config_load(config_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "hamd: %s\n", err);
        return EXIT_USAGE;
    }
    hamd_log_set_level(level_name ? level : cfg->log_level);

    /* raft_uv and h2o write to sockets whose peer may be gone: a dead peer
     * must be an error code, not a signal that kills the survivor. */
    signal(SIGPIPE, SIG_IGN);

    int rc = hamd_node_run(cfg);
    hamd_config_destroy(&cfg);
    return rc == 0 ? 0 : EXIT_RUNTIME;
}
