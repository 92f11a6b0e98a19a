/* hactl: the operator CLI. Shared context of the subcommands. */
#ifndef HACTL_H
#define HACTL_H

#include <stdbool.h>

#include "config/config.h"

#define HACTL_MAX_NODES HAMD_MAX_PEERS  /* nodes one invocation talks to */
#define HACTL_TIMEOUT_MS_DEFAULT 2000   /* per HTTP request */
#define HACTL_TIMEOUT_MS_MAX 600000     /* --timeout: 10 min at most; 0 would
                                           be libcurl's "never" */

/* Exit codes shared by every subcommand. */
enum hactl_exit {
    HACTL_OK = 0,          /* done */
    HACTL_FAIL = 1,        /* the cluster answered no (e.g. not leader) */
    HACTL_USAGE = 2,       /* bad command line or configuration */
    HACTL_UNREACHABLE = 3, /* no node answered */
    HACTL_REJECTED = 4,    /* a node refused the request (4xx) */
};

/* One node as hactl knows it. */
struct hactl_node {
    unsigned id;                      /* 0 when only an address is known */
    char admin[HAMD_ENDPOINT_MAX];    /* host:port */
    char publish[HAMD_ENDPOINT_MAX];  /* "" when unknown */
    char snapshot[HAMD_ENDPOINT_MAX]; /* "" when unknown */
};

/* What every subcommand gets: the global options and the nodes. */
struct hactl {
    bool json;                 /* --json: machine-readable output */
    unsigned timeout_ms;       /* --timeout */
    char token[256];           /* bearer token ("" = none) */
    bool tls;                  /* the admin APIs speak HTTPS: --cacert, an
                                  https:// -H, or [admin] tls_cert of -c */
    char cacert[PATH_MAX];     /* CAs that sign their certificates ("" =
                                  the system's): --cacert, else [admin]
                                  tls_ca of -c */
    bool cacert_given;         /* --cacert came: the config's CA is not
                                  used */
    char curve_secret_file[PATH_MAX]; /* [publish] curve_secret_file of -c:
                                  tail's CURVE keys without options */
    unsigned n_nodes;          /* nodes in use */
    struct hactl_node nodes[HACTL_MAX_NODES]; /* the nodes to talk to */
};

/* A subcommand: argv[0] is its name; returns an enum hactl_exit. */
typedef int (*hactl_cmd_fn)(struct hactl *ctl, int argc, char **argv);

/* The data and failover commands (tail.c, record.c, cmd_failover.c;
 * docs/hactl.md).
 * pause | resume: argv[0] says which. */
int hactl_cmd_tail(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_record(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_failover(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_failback(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_pause(struct hactl *ctl, int argc, char **argv);

/* Admin API commands (cmd_status.c, cmd_accounts.c, cmd_subs.c,
 * cmd_cluster.c, cmd_gateway.c; docs/hactl.md). */
int hactl_cmd_status(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_accounts(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_subs(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_members(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_is_leader(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_transfer(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_events(struct hactl *ctl, int argc, char **argv);
/* export [--out FILE] | import FILE: the replicated state an operator
 * sets, backed up and restored (cmd_backup.c). */
int hactl_cmd_export(struct hactl *ctl, int argc, char **argv);
int hactl_cmd_import(struct hactl *ctl, int argc, char **argv);
/* keys gen NAME | keys pub FILE: CURVE key pairs (cmd_keys.c). */
int hactl_cmd_keys(struct hactl *ctl, int argc, char **argv);
/* start | stop | restart ACCOUNT (argv[0] says which). */
int hactl_cmd_gateway(struct hactl *ctl, int argc, char **argv);

#endif /* HACTL_H */
