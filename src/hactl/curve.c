/* The CURVE keys of hactl tail. See curve.h. */
#include "hactl/curve.h"

#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define CURVE_ERR_MAX (PATH_MAX + 128) /* bytes of a key file's error */

/* The command whose messages these are ("tail", "record"). */
static const char *g_cmd = "tail";

/* The public key of a secret key file into pub, the secret into sec
 * (NULL: not kept). Returns 0, or -1 after saying why. */
static int pair_of(const char *file, char *pub, char *sec)
{
    char secret[HAMD_CURVE_Z85_LEN + 1], err[CURVE_ERR_MAX];
    int rc = hamd_curve_key_read(file, true, "secret-key", secret, err,
                                 sizeof err);
    if (rc == 0 && zmq_curve_public(pub, secret) != 0) {
        snprintf(err, sizeof err, "%s: not a secret key", file);
        rc = -1;
    }
    if (rc == 0 && sec)
        memcpy(sec, secret, sizeof secret);
    explicit_bzero(secret, sizeof secret);
    if (rc < 0)
        fprintf(stderr, "hactl %s: %s\n", g_cmd, err);
    return rc;
}

/* The server key: the option's text itself, or a public key file, or
 * the public half of a secret key file. */
static int server_of(const char *opt, char *server)
{
    char err[CURVE_ERR_MAX];
    if (hamd_curve_key_valid(opt)) {
        memcpy(server, opt, HAMD_CURVE_Z85_LEN + 1);
        return 0;
    }
    if (hamd_curve_key_read(opt, false, "public-key", server, err,
                            sizeof err) == 0)
        return 0;
    fprintf(stderr, "hactl %s: --server-key: %s\n", g_cmd, err);
    return -1;
}

/* The keys of server_opt and client_opt (NULL: not given), else the
 * config's cluster pair. */
static int curve_keys(const struct hactl *ctl, const char *server_opt,
                      const char *client_opt, struct hactl_curve *out)
{
    memset(out, 0, sizeof *out);
    if (!server_opt && !client_opt) {
        /* An operator on a node: the cluster's own pair, as the nodes
         * use with each other. */
        if (!ctl->curve_secret_file[0])
            return HACTL_OK;
        if (pair_of(ctl->curve_secret_file, out->client_public,
                    out->client_secret) < 0) {
            fprintf(stderr, "hactl %s: the cluster uses CURVE: give "
                    "--server-key and --client-key (docs/security.md)\n",
                    g_cmd);
            return HACTL_USAGE;
        }
        memcpy(out->server, out->client_public, sizeof out->server);
        out->on = true;
        return HACTL_OK;
    }
    if (!server_opt || !client_opt) {
        fprintf(stderr, "hactl %s: CURVE needs both --server-key and "
                "--client-key (hactl keys gen makes a client's pair)\n",
                g_cmd);
        return HACTL_USAGE;
    }
    if (server_of(server_opt, out->server) < 0 ||
        pair_of(client_opt, out->client_public, out->client_secret) < 0)
        return HACTL_USAGE;
    out->on = true;
    return HACTL_OK;
}

bool hactl_curve_opt(struct hactl_curve_opts *o, int opt, const char *arg)
{
    if (opt == 'K')
        o->server_key = arg;
    else if (opt == 'k')
        o->client_key = arg;
    return opt == 'K' || opt == 'k';
}

int hactl_curve_apply(const struct hactl *ctl, const struct hactl_curve_opts *o,
                      struct hactl_curve *keys, struct hamd_client_opts *co,
                      const char *cmd)
{
    g_cmd = cmd;
    int rc = curve_keys(ctl, o->server_key, o->client_key, keys);
    if (rc == HACTL_OK && keys->on) {
        co->server_key = keys->server;
        co->client_public_key = keys->client_public;
        co->client_secret_key = keys->client_secret;
    }
    return rc;
}
