/* Data plane: the ZAP handler (ZeroMQ RFC 27), which decides who may
 * connect to the node's sockets, by the domain each one sets:
 *
 *   hamd-relay  the relay ROUTER: cluster members only. A connection from
 *               an address that is not a member's ([peer.N] raft, admin,
 *               publish or relay host), or with CURVE a key that is not
 *               the cluster's, is refused before any message of it is
 *               read, and counted.
 *   hamd-clients  PUB and snapshot with CURVE (dp_curve.c): a client
 *               whose public key is the cluster's or an allowed one.
 *   hamd-gw     the gateway ROUTER: every connection is admitted and
 *               gets an id of its own ("gw-N", ZAP's User-Id, which
 *               libzmq attaches to each of its messages), so the hub can
 *               tell a gateway from an intruder using the same DEALER
 *               identity (core/gwauth.h).
 *
 * A socket with a ZAP domain makes libzmq ask the handler bound at
 * inproc://zeromq.zap.01 of the same context before it accepts a peer.
 * The handler runs on the data thread, which polls it with the other
 * sockets; a handshake waits at most one poll (DP_POLL_MAX_MS).
 */
#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "dataplane/dp_internal.h"

#define DP_ZAP_ENDPOINT "inproc://zeromq.zap.01" /* fixed by RFC 27 */
#define DP_ZAP_VERSION "1.0"
#define DP_ZAP_FRAMES_MAX 8    /* a NULL-mechanism request has 6, CURVE 7 */
#define DP_ZAP_CURVE "CURVE"   /* the mechanism frame of a CURVE client */
#define DP_ZAP_KEY_BYTES 32    /* its credentials: the client's public key */
#define DP_ZAP_FRAME_MAX 256   /* bytes kept of one request frame */
#define DP_ZAP_OK "200"
#define DP_ZAP_DENIED "400"
#define DP_ZAP_USER_ID_MAX 32  /* bytes of a gateway connection's id */

/* ------------------------------------------------------------------------
 * Membership
 * ------------------------------------------------------------------------ */

bool dp_zap_member(const struct hamd_dataplane *dp, const char *address)
{
    for (unsigned i = 0; i < dp->opts.n_members; i++)
        if (strcmp(dp->opts.members[i], address) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------------
 * The handler socket
 * ------------------------------------------------------------------------ */

int dp_zap_open(struct hamd_dataplane *dp)
{
    int linger = DP_LINGER_MS;
    dp->zap = zmq_socket(dp->zctx, ZMQ_REP);
    if (!dp->zap)
        return -1;
    zmq_setsockopt(dp->zap, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(dp->zap, DP_ZAP_ENDPOINT) < 0) {
        int err = errno;
        zmq_close(dp->zap);
        dp->zap = NULL;
        errno = err;
        return -1;
    }
    return 0;
}

void dp_zap_close(struct hamd_dataplane *dp)
{
    if (!dp->zap)
        return;
    zmq_close(dp->zap);
    dp->zap = NULL;
}

/* One request as received: frame i is frames[i][0..lens[i]). */
struct zap_request {
    unsigned n;                                   /* frames read */
    char frames[DP_ZAP_FRAMES_MAX][DP_ZAP_FRAME_MAX]; /* NUL-terminated */
    size_t lens[DP_ZAP_FRAMES_MAX];               /* their sizes, cut */
};

/* Reads every frame of one request; extra or long frames are cut. */
static bool zap_read(void *sock, struct zap_request *q)
{
    int more = 1;
    size_t more_len = sizeof more;
    q->n = 0;
    while (more) {
        char buf[DP_ZAP_FRAME_MAX];
        int n = zmq_recv(sock, buf, sizeof buf - 1, q->n ? 0 : ZMQ_DONTWAIT);
        if (n < 0)
            return false;
        if (q->n < DP_ZAP_FRAMES_MAX) {
            size_t len = (size_t)n < sizeof buf - 1 ? (size_t)n : sizeof buf - 1;
            memcpy(q->frames[q->n], buf, len);
            q->frames[q->n][len] = '\0';
            q->lens[q->n] = len;
            q->n++;
        }
        zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &more_len);
    }
    return true;
}

static void zap_reply(void *sock, const struct zap_request *q, const char *code,
                      const char *text, const char *user_id)
{
    const char *rid = q->n > 1 ? q->frames[1] : "";
    size_t rid_len = q->n > 1 ? q->lens[1] : 0;
    zmq_send(sock, DP_ZAP_VERSION, strlen(DP_ZAP_VERSION), ZMQ_SNDMORE);
    zmq_send(sock, rid, rid_len, ZMQ_SNDMORE);
    zmq_send(sock, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user_id, strlen(user_id), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0); /* metadata */
}

/* The CURVE client key of a request, or NULL (another mechanism). */
static const uint8_t *zap_curve_key(const struct zap_request *q)
{
    if (q->n < 7 || strcmp(q->frames[5], DP_ZAP_CURVE) != 0 ||
        q->lens[6] != DP_ZAP_KEY_BYTES)
        return NULL;
    return (const uint8_t *)q->frames[6];
}

/* The relay ROUTER: members' addresses only (with CURVE, members' key). */
static bool zap_relay(struct hamd_dataplane *dp, const struct zap_request *q)
{
    const char *address = q->n > 3 ? q->frames[3] : "";
    const uint8_t *key = zap_curve_key(q);
    if (dp_zap_member(dp, address) &&
        (!dp->curve.on || (key && dp_curve_is_cluster(dp, key))))
        return true;
    dp->relay_refused++;
    hamd_log_rated(&dp->relay_rate, HAMD_LOG_WARN,
                   "relay endpoint: refused a connection from %s, not a "
                   "cluster member (%llu so far)",
                   address[0] ? address : "an unknown address",
                   (unsigned long long)dp->relay_refused);
    return false;
}

/* PUB and snapshot with CURVE: allowed client keys only. */
static bool zap_clients(struct hamd_dataplane *dp, const struct zap_request *q)
{
    const uint8_t *key = zap_curve_key(q);
    if (key && dp_curve_client_allowed(dp, key))
        return true;
    char z85[41] = "?";
    if (key)
        zmq_z85_encode(z85, key, DP_ZAP_KEY_BYTES);
    dp->clients_refused++;
    hamd_log_rated(&dp->clients_rate, HAMD_LOG_WARN,
                   "CURVE: refused a client from %s with key %s, not in "
                   "[publish] curve_clients_dir (%llu so far)",
                   q->n > 3 && q->frames[3][0] ? q->frames[3] : "?", z85,
                   (unsigned long long)dp->clients_refused);
    return false;
}

/* Frames of a request: version, request id, domain, address, identity,
 * mechanism, credentials... */
void dp_zap_serve(struct hamd_dataplane *dp)
{
    struct zap_request q;
    if (!zap_read(dp->zap, &q))
        return;
    const char *domain = q.n > 2 ? q.frames[2] : "";
    char user_id[DP_ZAP_USER_ID_MAX] = "";
    bool ok = q.n >= 6 && strcmp(q.frames[0], DP_ZAP_VERSION) == 0;
    if (ok && strcmp(domain, DP_ZAP_DOMAIN_GW) == 0)
        snprintf(user_id, sizeof user_id, "gw-%llu",
                 (unsigned long long)++dp->gw_conns);
    else if (ok && strcmp(domain, DP_ZAP_DOMAIN_RELAY) == 0)
        ok = zap_relay(dp, &q);
    else if (ok && strcmp(domain, DP_ZAP_DOMAIN_CLIENTS) == 0)
        ok = zap_clients(dp, &q);
    else
        ok = false;
    zap_reply(dp->zap, &q, ok ? DP_ZAP_OK : DP_ZAP_DENIED,
              ok ? "OK" : "not admitted", user_id);
}
