/* Data plane: ZeroMQ CURVE on the node's network sockets (docs/security.md,
 * "CURVE"), when [publish] curve_secret_file is set.
 *
 * One key pair for the whole cluster: every node serves PUB, snapshot and
 * relay with the cluster's secret key, so a client needs one server key
 * whichever node leads. The nodes are clients of each other too (a
 * follower's SUB on the publisher's PUB, its DEALER on the relay): they
 * connect with the cluster key pair as their client key. Who may connect
 * is the ZAP handler's decision (dp_zap.c): on PUB and snapshot, a client
 * whose public key is the cluster's or one of the files in [publish]
 * curve_clients_dir; on the relay, the cluster's key only (and a member's
 * address). Everything else is refused in the handshake, before a byte
 * of data flows, and counted.
 *
 * The allowed keys are read at start and again when the directory
 * changes (its mtime, looked at on each handshake: adding or removing a
 * file takes effect for the next connection, no restart).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "common/curvekey.h"
#include "dataplane/dp_internal.h"

#define DP_CURVE_Z85_LEN HAMD_CURVE_Z85_LEN
#define DP_CURVE_CLIENTS_MAX 4096   /* allowed client keys */

/* ------------------------------------------------------------------------
 * Allowed client keys
 * ------------------------------------------------------------------------ */

/* Reads every key of the clients directory (bad files are logged and
 * skipped: one bad file must not lock every client out). */
static void clients_load(struct hamd_dataplane *dp, time_t mtime)
{
    struct dp_curve *cv = &dp->curve;
    DIR *d = opendir(dp->opts.curve_clients_dir);
    cv->n_clients = 0;
    cv->clients_mtime = mtime;
    if (!d) {
        LOG_ERROR("[publish] curve_clients_dir %s: %s",
                  dp->opts.curve_clients_dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) && cv->n_clients < DP_CURVE_CLIENTS_MAX) {
        char path[HAMD_DP_PATH_MAX + 256], z85[DP_CURVE_Z85_LEN + 1];
        char err[sizeof path + 128];
        err[0] = '\0';
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dp->opts.curve_clients_dir,
                 e->d_name);
        uint8_t key[32];
        if (hamd_curve_key_read(path, false, "public-key", z85, err,
                                sizeof err) < 0 ||
            !zmq_z85_decode(key, z85)) {
            LOG_WARN("[publish] curve_clients_dir: %s skipped: %s", path,
                     err[0] ? err : "not a Z85 key");
            continue;
        }
        memcpy(cv->clients + 32 * cv->n_clients++, key, 32);
    }
    closedir(d);
    LOG_INFO("CURVE: %u allowed client keys in %s", cv->n_clients,
             dp->opts.curve_clients_dir);
}

bool dp_curve_client_allowed(struct hamd_dataplane *dp, const uint8_t *key)
{
    struct dp_curve *cv = &dp->curve;
    if (memcmp(key, cv->public_key, 32) == 0)
        return true; /* another node */
    if (!dp->opts.curve_clients_dir[0])
        return false;
    struct stat st;
    if (stat(dp->opts.curve_clients_dir, &st) == 0 &&
        st.st_mtime != cv->clients_mtime)
        clients_load(dp, st.st_mtime);
    for (unsigned i = 0; i < cv->n_clients; i++)
        if (memcmp(key, cv->clients + 32 * i, 32) == 0)
            return true;
    return false;
}

bool dp_curve_is_cluster(const struct hamd_dataplane *dp, const uint8_t *key)
{
    return memcmp(key, dp->curve.public_key, 32) == 0;
}

/* ------------------------------------------------------------------------
 * Sockets
 * ------------------------------------------------------------------------ */

int dp_curve_setup(struct hamd_dataplane *dp, char *err, size_t cap)
{
    struct dp_curve *cv = &dp->curve;
    if (!dp->opts.curve_secret_file[0])
        return 0;
    if (!zmq_has("curve")) {
        snprintf(err, cap, "[publish] curve_secret_file: this libzmq has no "
                 "CURVE");
        return -1;
    }
    char why[HAMD_DP_PATH_MAX + 128] = "";
    if (hamd_curve_key_read(dp->opts.curve_secret_file, true,
                            "secret-key", cv->secret, why, sizeof why) < 0 ||
        zmq_curve_public(cv->public, cv->secret) != 0 ||
        !zmq_z85_decode(cv->public_key, cv->public)) {
        snprintf(err, cap, "[publish] curve_secret_file: %s",
                 why[0] ? why : "not a Z85 secret key");
        explicit_bzero(cv->secret, sizeof cv->secret);
        return -1;
    }
    cv->on = true;
    if (dp->opts.curve_clients_dir[0]) {
        if (!(cv->clients = calloc(DP_CURVE_CLIENTS_MAX, 32))) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        struct stat st;
        clients_load(dp, stat(dp->opts.curve_clients_dir, &st) == 0
                             ? st.st_mtime : 0);
    }
    LOG_INFO("CURVE on the publish, snapshot, follow and relay endpoints "
             "(server key %s)", cv->public);
    return 0;
}

void dp_curve_server(struct hamd_dataplane *dp, void *sock, const char *domain)
{
    int one = 1;
    if (!dp->curve.on)
        return;
    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain));
    zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, dp->curve.secret,
                   DP_CURVE_Z85_LEN);
}

void dp_curve_client(struct hamd_dataplane *dp, void *sock)
{
    if (!dp->curve.on)
        return;
    zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, dp->curve.public,
                   DP_CURVE_Z85_LEN);
    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, dp->curve.public,
                   DP_CURVE_Z85_LEN);
    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, dp->curve.secret,
                   DP_CURVE_Z85_LEN);
}

void dp_curve_free(struct hamd_dataplane *dp)
{
    explicit_bzero(dp->curve.secret, sizeof dp->curve.secret);
    free(dp->curve.clients);
    dp->curve.clients = NULL;
}
