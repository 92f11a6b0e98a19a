/* The ZeroMQ CURVE keys hactl tail hands libhamd-client (docs/security.md,
 * "CURVE"): --server-key and --client-key, else the cluster's own key
 * pair when -c names a config with [publish] curve_secret_file the user
 * may read (an operator on a node). */
#ifndef HACTL_CURVE_H
#define HACTL_CURVE_H

#include <stdbool.h>

#include "common/curvekey.h"
#include "hactl/hactl.h"

/* The keys of one run. */
struct hactl_curve {
    bool on;                                /* CURVE keys found */
    char server[HAMD_CURVE_Z85_LEN + 1];    /* the hub's public key */
    char client_public[HAMD_CURVE_Z85_LEN + 1]; /* ours */
    char client_secret[HAMD_CURVE_Z85_LEN + 1]; /* ours */
};

/* Finds the keys: server_opt is a key or a file holding one (a .pub, or
 * the cluster's secret key file), client_opt a secret key file (NULL:
 * not given). Returns HACTL_OK (out->on false when there is no CURVE), or
 * HACTL_USAGE after saying why on stderr. */
int hactl_curve_keys(const struct hactl *ctl, const char *server_opt,
                     const char *client_opt, struct hactl_curve *out);

#endif /* HACTL_CURVE_H */
