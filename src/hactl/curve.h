/* The ZeroMQ CURVE keys hactl's streaming commands (tail, record) hand
 * libhamd-client (docs/security.md, "CURVE"): --server-key and
 * --client-key, else the cluster's own key pair when -c names a config
 * with [publish] curve_secret_file the user may read (an operator on a
 * node). */
#ifndef HACTL_CURVE_H
#define HACTL_CURVE_H

#include <stdbool.h>

#include "common/curvekey.h"
#include "hactl/hactl.h"
#include "hamd/client.h"

/* The getopt_long entries of --server-key and --client-key. */
#define HACTL_CURVE_LONGOPTS                                                   \
    {"server-key", required_argument, NULL, 'K'},                              \
        {"client-key", required_argument, NULL, 'k'}

/* What the command line said. */
struct hactl_curve_opts {
    const char *server_key; /* --server-key: a key, or a file holding it */
    const char *client_key; /* --client-key: a secret key file */
};

/* The keys of one run. */
struct hactl_curve {
    bool on;                                /* CURVE keys found */
    char server[HAMD_CURVE_Z85_LEN + 1];    /* the hub's public key */
    char client_public[HAMD_CURVE_Z85_LEN + 1]; /* ours */
    char client_secret[HAMD_CURVE_Z85_LEN + 1]; /* ours */
};

/* Takes opt if it is --server-key ('K') or --client-key ('k'): returns
 * true when it was. */
bool hactl_curve_opt(struct hactl_curve_opts *o, int opt, const char *arg);

/* Finds the keys (o's, else the config's cluster pair) into *keys and
 * points co's CURVE options at them (keys must outlive co's use; wipe it
 * after hamd_client_new). Returns HACTL_OK (no CURVE: co untouched), or
 * HACTL_USAGE after saying why on stderr as "hactl CMD: ...". */
int hactl_curve_apply(const struct hactl *ctl, const struct hactl_curve_opts *o,
                      struct hactl_curve *keys, struct hamd_client_opts *co,
                      const char *cmd);

#endif /* HACTL_CURVE_H */
