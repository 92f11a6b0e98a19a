/* hactl: global options, node discovery and subcommand dispatch. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "hactl/hactl.h"

#define HACTL_PEM_LINE_MAX 256 /* bytes of a CA file read as one line (PEM's are 64) */

/* One subcommand of hactl. */
struct hactl_command {
    const char *name;      /* as typed */
    hactl_cmd_fn fn;       /* runs it */
    const char *synopsis;  /* its line in --help */
};

static const struct hactl_command COMMANDS[] = {
    {"tail", hactl_cmd_tail,
     "tail [PREFIX...] [--count N] [--seconds S]  print published ticks"},
    {"record", hactl_cmd_record,
     "record --out FILE [--rotate daily] [PREFIX...]  record published ticks"},
    {"status", hactl_cmd_status,
     "status                                 every node's view, in parallel"},
    {"accounts", hactl_cmd_accounts,
     "accounts list|add|update|rm|enable|disable|rekey  data-source accounts"},
    {"subs", hactl_cmd_subs,
     "subs list|add|rm [SYMBOL.EXCHANGE...]  subscriptions"},
    {"members", hactl_cmd_members,
     "members [add|remove ID]                cluster members, membership changes"},
    {"is-leader", hactl_cmd_is_leader,
     "is-leader [--other]                    this node (--other: another) publishes"},
    {"transfer", hactl_cmd_transfer,
     "transfer [NODE]                        hand leadership over"},
    {"events", hactl_cmd_events,
     "events [-f] [--limit N]                failover and health events"},
    {"start", hactl_cmd_gateway,
     "start ACCOUNT                          run the account's gateways"},
    {"stop", hactl_cmd_gateway,
     "stop ACCOUNT                           stop them on every node"},
    {"failover", hactl_cmd_failover,
     "failover --to ACCOUNT (PREFIX...|--all) [--dry-run] [--force]  move contracts"},
    {"failback", hactl_cmd_failback,
     "failback [PREFIX...] [--dry-run]       back to the best healthy sources"},
    {"pause", hactl_cmd_pause,
     "pause                                  no automatic failover (maintenance)"},
    {"resume", hactl_cmd_pause,
     "resume                                 automatic failover again"},
    {"restart", hactl_cmd_gateway,
     "restart ACCOUNT                        hard-restart them on every node"},
    {"export", hactl_cmd_export,
     "export [--out FILE]                    back up accounts, subscriptions, pause, pins"},
    {"import", hactl_cmd_import,
     "import FILE [--dry-run] [--prune] [--param-str ACCOUNT.KEY=V]  restore a backup"},
    {"keys", hactl_cmd_keys,
     "keys gen NAME | keys pub FILE          CURVE key pairs (NAME.key, NAME.pub)"},
};

#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

/* ------------------------------------------------------------------------
 * Usage
 * ------------------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: hactl [-c CONFIG | -H HOST:PORT ...] [--json] COMMAND [ARGS]\n"
            "\n"
            "Operator CLI of a hamd cluster.\n"
            "\n"
            "  -c, --config FILE     find every node from a node's config file\n"
            "  -H, --host HOST:PORT  a node's admin address (repeatable;\n"
            "                        https://HOST:PORT: it speaks HTTPS)\n"
            "  -e, --endpoint EP     a publish endpoint (repeatable, for tail)\n"
            "  -s, --snapshot EP     a snapshot endpoint (repeatable, for tail)\n"
            "  -t, --token-file F    bearer token for mutations\n"
            "      --cacert FILE     the admin APIs speak HTTPS; verify them with\n"
            "                        the CAs in FILE (default with -c: [admin] tls_ca)\n"
            "      --timeout MS      per-request timeout (default %d)\n"
            "      --json            machine-readable output\n"
            "  -h, --help            show this help\n"
            "  -V, --version         show the version\n"
            "\n"
            "Commands:\n",
            HACTL_TIMEOUT_MS_DEFAULT);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %s\n", COMMANDS[i].synopsis);
    fprintf(out, "\nExit codes: 0 ok, 1 failed, 2 usage, 3 unreachable, "
                 "4 rejected. See docs/hactl.md.\n");
}

/* ------------------------------------------------------------------------
 * Nodes and the token
 * ------------------------------------------------------------------------ */

static void node_add(struct hactl *ctl, unsigned id, const char *admin,
                     const char *publish, const char *snapshot)
{
    struct hactl_node *n = &ctl->nodes[ctl->n_nodes++];
    n->id = id;
    snprintf(n->admin, sizeof n->admin, "%s", admin);
    snprintf(n->publish, sizeof n->publish, "%s", publish);
    snprintf(n->snapshot, sizeof n->snapshot, "%s", snapshot);
}

/* Adds the nodes of a config file: this node first (is-leader asks the
 * first node, is-leader --other every node but it), then every other
 * member that may publish. */
static int nodes_from_config(struct hactl *ctl, const char *path)
{
    char err[HAMD_CONFIG_ERR_MAX];
    struct hamd_config *cfg = hamd_config_load(path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "hactl: %s\n", err);
        return -1;
    }
    const struct hamd_peer *self = hamd_config_self(cfg);
    if (!self)
        node_add(ctl, cfg->node_id, cfg->admin, cfg->publish, cfg->snapshot);
    else
        node_add(ctl, self->id, self->admin, self->publish, self->snapshot);
    for (unsigned i = 0; i < cfg->n_peers && ctl->n_nodes < HACTL_MAX_NODES; i++) {
        const struct hamd_peer *p = &cfg->peers[i];
        if (p != self && p->role != HAMD_ROLE_WITNESS)
            node_add(ctl, p->id, p->admin, p->publish, p->snapshot);
    }
    /* The members serve TLS: so does this one, verified like they
     * verify each other (unless --cacert says otherwise). */
    if (cfg->tls_cert[0])
        ctl->tls = true;
    if (cfg->tls_ca[0] && !ctl->cacert_given)
        snprintf(ctl->cacert, sizeof ctl->cacert, "%s", cfg->tls_ca);
    snprintf(ctl->curve_secret_file, sizeof ctl->curve_secret_file, "%s",
             cfg->curve_secret_file);
    hamd_config_destroy(&cfg);
    return 0;
}

/* -H [http[s]://]HOST:PORT: the scheme says whether it speaks HTTPS. */
static int node_from_host(struct hactl *ctl, const char *arg)
{
    static const char https[] = "https://", http[] = "http://";
    if (ctl->n_nodes == HACTL_MAX_NODES)
        return -1;
    if (strncmp(arg, https, strlen(https)) == 0) {
        ctl->tls = true;
        arg += strlen(https);
    } else if (strncmp(arg, http, strlen(http)) == 0) {
        arg += strlen(http);
    }
    snprintf(ctl->nodes[ctl->n_nodes++].admin, HAMD_ENDPOINT_MAX, "%.*s",
             (int)strcspn(arg, "/"), arg);
    return 0;
}

static int read_token(struct hactl *ctl, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f || !fgets(ctl->token, sizeof ctl->token, f)) {
        fprintf(stderr, "hactl: cannot read token file %s\n", path);
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    ctl->token[strcspn(ctl->token, "\r\n")] = '\0';
    return 0;
}

/* The CA file (--cacert, else [admin] tls_ca of -c) must hold a PEM
 * certificate: libcurl would report a missing or wrong file on each
 * request as a node it cannot reach (exit 3, "no node answered"), and send
 * the operator looking for a network fault. Returns 0, or -1 after saying
 * why. */
static int cacert_check(const struct hactl *ctl)
{
    static const char pem_cert[] = "-----BEGIN CERTIFICATE-----";
    const char *from = ctl->cacert_given ? "--cacert" : "[admin] tls_ca";
    FILE *f = fopen(ctl->cacert, "r");
    char line[HACTL_PEM_LINE_MAX];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, pem_cert, strlen(pem_cert)) == 0;
    int err = f && ferror(f) ? errno : f ? 0 : errno;
    if (f)
        fclose(f);
    if (found)
        return 0;
    if (err)
        fprintf(stderr, "hactl: %s %s: cannot read it: %s\n", from,
                ctl->cacert, strerror(err));
    else
        fprintf(stderr, "hactl: %s %s: no PEM certificate in it (%s)\n",
                from, ctl->cacert, pem_cert);
    return -1;
}

static struct hactl_node *node_slot(struct hactl *ctl, unsigned *k)
{
    while (*k < ctl->n_nodes &&
           (ctl->nodes[*k].publish[0] || ctl->nodes[*k].snapshot[0]))
        (*k)++;
    if (*k == ctl->n_nodes) {
        if (ctl->n_nodes == HACTL_MAX_NODES)
            return NULL;
        memset(&ctl->nodes[ctl->n_nodes], 0, sizeof ctl->nodes[0]);
        ctl->n_nodes++;
    }
    return &ctl->nodes[*k];
}

/* ------------------------------------------------------------------------
 * Options and dispatch
 * ------------------------------------------------------------------------ */

/* --timeout MS: digits only, 1..HACTL_TIMEOUT_MS_MAX. 0 or a typo taken
 * as 0 would let a frozen node hold hactl for ever. Returns 0 or -1 after
 * saying why. */
static int timeout_parse(struct hactl *ctl, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long ms = strtoul(arg, &end, 10);
    if (arg[0] < '0' || arg[0] > '9' || *end || errno || ms == 0 ||
        ms > HACTL_TIMEOUT_MS_MAX) {
        fprintf(stderr, "hactl: --timeout takes milliseconds in 1..%d, not '%s'\n",
                HACTL_TIMEOUT_MS_MAX, arg);
        return -1;
    }
    ctl->timeout_ms = (unsigned)ms;
    return 0;
}

/* Parses the global options (up to the command name) into *ctl. Returns
 * -1 to go on, else the exit code (--help, --version, a bad option). */
static int global_opts(struct hactl *ctl, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"host", required_argument, NULL, 'H'},
        {"endpoint", required_argument, NULL, 'e'},
        {"snapshot", required_argument, NULL, 's'},
        {"token-file", required_argument, NULL, 't'},
        {"cacert", required_argument, NULL, 'C'},
        {"timeout", required_argument, NULL, 'T'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    unsigned pub_k = 0, snap_k = 0;
    struct hactl_node *n;
    int opt;
    /* '+': options end at the command name, the rest belongs to it. */
    while ((opt = getopt_long(argc, argv, "+c:H:e:s:t:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            if (nodes_from_config(ctl, optarg) < 0)
                return HACTL_USAGE;
            break;
        case 'H':
            if (node_from_host(ctl, optarg) < 0)
                return HACTL_USAGE;
            break;
        case 'C':
            snprintf(ctl->cacert, sizeof ctl->cacert, "%s", optarg);
            ctl->cacert_given = ctl->tls = true;
            break;
        case 'e':
        case 's':
            if (!(n = node_slot(ctl, opt == 'e' ? &pub_k : &snap_k)))
                return HACTL_USAGE;
            snprintf(opt == 'e' ? n->publish : n->snapshot, HAMD_ENDPOINT_MAX,
                     "%s", optarg);
            break;
        case 't':
            if (read_token(ctl, optarg) < 0)
                return HACTL_USAGE;
            break;
        case 'T':
            if (timeout_parse(ctl, optarg) < 0)
                return HACTL_USAGE;
            break;
        case 'j': ctl->json = true; break;
        case 'h': usage(stdout); return HACTL_OK;
        case 'V': printf("hactl %s\n", HAMD_VERSION); return HACTL_OK;
        default: usage(stderr); return HACTL_USAGE;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    struct hactl ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.timeout_ms = HACTL_TIMEOUT_MS_DEFAULT;
    hamd_log_set_ident("hactl");
    hamd_log_set_level(HAMD_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    int rc = global_opts(&ctl, argc, argv);
    if (rc >= 0)
        return rc;
    if (ctl.cacert[0] && cacert_check(&ctl) < 0)
        return HACTL_USAGE;
    if (optind >= argc) {
        usage(stderr);
        return HACTL_USAGE;
    }
    int first = optind;
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[first], COMMANDS[i].name) == 0) {
            optind = 0; /* the subcommand parses its own options afresh */
            return COMMANDS[i].fn(&ctl, argc - first, argv + first);
        }
    fprintf(stderr, "hactl: unknown command '%s' (see hactl --help)\n",
            argv[first]);
    return HACTL_USAGE;
}
