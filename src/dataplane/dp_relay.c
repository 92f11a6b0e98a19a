/* Data plane: the relay channel between full nodes
 * (common/relay_proto.h, docs/failover.md "Relayed sources").
 *
 * Every full node with a relay endpoint binds a ROUTER there (relay_in),
 * open to members only (dp_zap.c). A follower connects a DEALER
 * (relay_out, identity node-N) to the publisher's and sends its coverage
 * reports (COVER, from the control plane) and, for the contracts the
 * publisher asked for (RELAY), the ticks of the named account: first its
 * kept ticks the publisher has not sent (the follower holds them as it
 * does for a takeover, so the relayed stream starts right after the
 * publisher's last tick), then every live one as it arrives, as the
 * gateway's own bytes. The publisher ingests them as the source
 * ACCOUNT@nodeN, which the control plane registers while a contract is
 * assigned to it; relayed ticks of a source it did not register are
 * dropped and counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "common/account.h"
#include "common/clock.h"
#include "common/relay_proto.h"
#include "dataplane/dp_internal.h"

#define DP_RELAY_RCVHWM 100000   /* relayed ticks queued from followers */
#define DP_RELAY_SNDHWM 100000   /* relayed ticks queued to the publisher:
                                    beyond, they wait in ZeroMQ rather
                                    than being lost (DONTWAIT fails and is
                                    counted) */
#define DP_RELAY_RECONNECT_MS 100 /* retry a publisher not listening yet */
#define DP_RELAY_BATCH_MAX 4096   /* messages read per drain */
#define DP_RELAY_TYPE_MAX 8       /* bytes of a message type frame */

/* ------------------------------------------------------------------------
 * Sockets
 * ------------------------------------------------------------------------ */

int dp_relay_bind(struct hamd_dataplane *dp, char *err, size_t cap)
{
    if (!dp->opts.relay[0])
        return 0;
    int hwm = DP_RELAY_RCVHWM, linger = DP_LINGER_MS, one = 1;
    dp->relay_in = zmq_socket(dp->zctx, ZMQ_ROUTER);
    zmq_setsockopt(dp->relay_in, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(dp->relay_in, ZMQ_LINGER, &linger, sizeof linger);
    /* A restarted follower reconnects under the same identity. */
    zmq_setsockopt(dp->relay_in, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
    zmq_setsockopt(dp->relay_in, ZMQ_ZAP_DOMAIN, DP_ZAP_DOMAIN_RELAY,
                   strlen(DP_ZAP_DOMAIN_RELAY));
    dp_curve_server(dp, dp->relay_in, DP_ZAP_DOMAIN_RELAY);
    if (zmq_bind(dp->relay_in, dp->opts.relay) < 0) {
        snprintf(err, cap, "cannot bind relay endpoint %s: %s",
                 dp->opts.relay, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

static void relay_out_close(struct hamd_dataplane *dp)
{
    if (!dp->relay_out)
        return;
    int linger = DP_LINGER_MS;
    zmq_setsockopt(dp->relay_out, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(dp->relay_out);
    dp->relay_out = NULL;
}

/* Stops relaying every contract (a new target, or none). */
static void relay_set_clear(struct hamd_dataplane *dp)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(dp->contracts, &cursor, &key, &val))
        ((struct dp_contract *)val)->relay_src = HAMD_ARB_NO_SOURCE;
    dp->relaying = 0;
}

void dp_relay_target(struct hamd_dataplane *dp, const char *endpoint)
{
    if (strcmp(endpoint, dp->relay_target) == 0)
        return;
    relay_out_close(dp);
    relay_set_clear(dp);
    snprintf(dp->relay_target, sizeof dp->relay_target, "%s", endpoint);
    if (!endpoint[0])
        return;
    char id[HAMD_RELAY_ID_MAX];
    int hwm = DP_RELAY_SNDHWM, ivl = DP_RELAY_RECONNECT_MS;
    dp->relay_out = zmq_socket(dp->zctx, ZMQ_DEALER);
    if (!dp->relay_out || hamd_relay_id_format(id, sizeof id, dp->opts.node_id) ||
        zmq_setsockopt(dp->relay_out, ZMQ_ROUTING_ID, id, strlen(id)) < 0) {
        relay_out_close(dp);
        return;
    }
    zmq_setsockopt(dp->relay_out, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(dp->relay_out, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    dp_curve_client(dp, dp->relay_out);
    if (zmq_connect(dp->relay_out, endpoint) < 0) {
        LOG_WARN("cannot reach the publisher's relay endpoint %s: %s",
                 endpoint, zmq_strerror(errno));
        relay_out_close(dp);
    }
}

void dp_relay_close(struct hamd_dataplane *dp)
{
    relay_out_close(dp);
    if (dp->relay_in) {
        int linger = DP_LINGER_MS;
        zmq_setsockopt(dp->relay_in, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(dp->relay_in);
        dp->relay_in = NULL;
    }
}

/* ------------------------------------------------------------------------
 * Follower: reports and relayed ticks out
 * ------------------------------------------------------------------------ */

void dp_relay_cover(struct hamd_dataplane *dp, const void *body, size_t len)
{
    if (!dp->relay_out)
        return;
    if (zmq_send(dp->relay_out, HAMD_RELAY_COVER, strlen(HAMD_RELAY_COVER),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(dp->relay_out, body, len, ZMQ_DONTWAIT) < 0)
        dp->relay_send_errors++;
}

void dp_relay_tick(struct hamd_dataplane *dp, const struct dp_source *s,
                   const void *body, size_t len)
{
    if (!dp->relay_out)
        return;
    if (zmq_send(dp->relay_out, HAMD_RELAY_TICK, strlen(HAMD_RELAY_TICK),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(dp->relay_out, s->account, strlen(s->account),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(dp->relay_out, body, len, ZMQ_DONTWAIT) < 0) {
        dp->relay_send_errors++;
        return;
    }
    dp->relay_ticks_out++;
}

/* What a catch-up needs to send one kept body. */
struct relay_catchup {
    struct hamd_dataplane *dp; /* the data plane */
    const struct dp_source *s; /* the relayed account */
};

/* Relays one kept body as it came, like a live one: the publisher judges
 * it (dp_ingest_relayed). */
static enum hamd_arb_emit catchup_emit(void *ud, int source,
                                       const struct hamd_arb_tick *kept)
{
    struct relay_catchup *r = ud;
    (void)source; /* r->s: the source asked for */
    dp_relay_tick(r->dp, r->s, kept->body, kept->len);
    return HAMD_ARB_EMIT_SENT;
}

/* The scratch of one RELAY being applied. */
struct relay_apply {
    struct hamd_dataplane *dp; /* the data plane */
    uint32_t gen;              /* marks the contracts the set names */
};

static void relay_pair(void *ud, const char *vt_symbol, const char *account)
{
    struct relay_apply *a = ud;
    struct dp_contract *c = hamd_strmap_get(a->dp->contracts, vt_symbol);
    struct dp_source *s = hamd_strmap_get(a->dp->by_account, account);
    if (!c || !s)
        return; /* not subscribed here, or no such gateway: nothing to send */
    c->relay_gen = a->gen;
    c->relay_next = (int)(s - a->dp->sources);
}

/* Moves each contract to its new relayed source; a contract starting to
 * be relayed first sends what the publisher lacks. */
static void relay_switch(struct hamd_dataplane *dp, uint32_t gen, int64_t now_ns)
{
    size_t cursor = 0;
    const char *key;
    void *val;
    dp->relaying = 0;
    while (hamd_strmap_next(dp->contracts, &cursor, &key, &val)) {
        struct dp_contract *c = val;
        int next = c->relay_gen == gen ? c->relay_next : HAMD_ARB_NO_SOURCE;
        if (next != HAMD_ARB_NO_SOURCE && next != c->relay_src) {
            struct relay_catchup r = {dp, &dp->sources[next]};
            hamd_arb_each_newer(&c->arb, hamd_gate_follow_limits(&dp->gate),
                                next, now_ns, catchup_emit, &r);
        }
        c->relay_src = next;
        dp->relaying += next != HAMD_ARB_NO_SOURCE;
    }
}

static void relay_set_apply(struct hamd_dataplane *dp, const void *body,
                            size_t len)
{
    struct relay_apply a = {dp, ++dp->relay_gen};
    if (!hamd_relay_set_decode(body, len, relay_pair, &a)) {
        dp->relay_bad++;
        hamd_log_rated(&dp->relay_rate, HAMD_LOG_WARN,
                       "relay: malformed RELAY from the publisher ignored");
        return;
    }
    relay_switch(dp, a.gen, hamd_mono_ns());
}

/* Reads what the publisher sends on relay_out: RELAY requests. */
void dp_relay_out_drain(struct hamd_dataplane *dp)
{
    zmq_msg_t type, body;
    zmq_msg_init(&type);
    zmq_msg_init(&body);
    for (unsigned n = 0; n < DP_RELAY_BATCH_MAX; n++) {
        if (zmq_msg_recv(&type, dp->relay_out, ZMQ_DONTWAIT) < 0)
            break;
        bool two = zmq_msg_more(&type) && zmq_msg_recv(&body, dp->relay_out, 0) >= 0 &&
                   !zmq_msg_more(&body);
        while (zmq_msg_more(&body) && zmq_msg_recv(&body, dp->relay_out, 0) >= 0)
            two = false;
        if (two && zmq_msg_size(&type) == strlen(HAMD_RELAY_SET) &&
            memcmp(zmq_msg_data(&type), HAMD_RELAY_SET, zmq_msg_size(&type)) == 0)
            relay_set_apply(dp, zmq_msg_data(&body), zmq_msg_size(&body));
        else
            dp->relay_bad++;
    }
    zmq_msg_close(&type);
    zmq_msg_close(&body);
}

/* ------------------------------------------------------------------------
 * Publisher: reports and relayed ticks in, requests out
 * ------------------------------------------------------------------------ */

void dp_relay_request(struct hamd_dataplane *dp, unsigned node,
                      const void *body, size_t len)
{
    char id[HAMD_RELAY_ID_MAX];
    if (!dp->relay_in || hamd_relay_id_format(id, sizeof id, node) < 0)
        return;
    /* A follower not connected yet misses it: the control plane sends
     * the whole set again every second. */
    if (zmq_send(dp->relay_in, id, strlen(id), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(dp->relay_in, HAMD_RELAY_SET, strlen(HAMD_RELAY_SET),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(dp->relay_in, body, len, ZMQ_DONTWAIT) < 0)
        dp->relay_send_errors++;
}

/* Keeps the latest report of a node for the control plane. */
static void cover_store(struct hamd_dataplane *dp, unsigned node,
                        const void *body, size_t len, int64_t now_ns)
{
    struct hamd_relay_cover c;
    if (!hamd_relay_cover_decode(body, len, &c) || c.node != node) {
        dp->relay_bad++;
        hamd_log_rated(&dp->relay_rate, HAMD_LOG_WARN,
                       "relay: malformed or foreign COVER from node %u "
                       "dropped (%llu bad messages so far)", node,
                       (unsigned long long)dp->relay_bad);
        return;
    }
    pthread_mutex_lock(&dp->lock);
    unsigned slot = 0;
    while (slot < dp->n_covers && dp->covers[slot].cover.node != node)
        slot++;
    if (slot == dp->n_covers && dp->n_covers < HAMD_DP_COVERS_MAX)
        dp->n_covers++;
    if (slot < dp->n_covers) {
        dp->covers[slot].cover = c;
        dp->covers[slot].rx_ns = now_ns;
    }
    pthread_mutex_unlock(&dp->lock);
}

/* The frames of one relayed-tick message, for dp_ingest_relayed. */
struct relay_reader {
    void *sock;      /* relay_in */
    zmq_msg_t frame; /* frame pulled last */
    bool more;       /* frames remain */
};

static bool relay_reader_next(void *ud, const void **frame, size_t *len,
                              bool *more)
{
    struct relay_reader *r = ud;
    if (!r->more || zmq_msg_recv(&r->frame, r->sock, 0) < 0) {
        r->more = false;
        return false;
    }
    r->more = zmq_msg_more(&r->frame);
    *frame = zmq_msg_data(&r->frame);
    *len = zmq_msg_size(&r->frame);
    *more = r->more;
    return true;
}

/* The source of RTICK [account] from node: ACCOUNT@nodeN, if registered. */
static struct dp_source *relayed_source(struct hamd_dataplane *dp,
                                        unsigned node, zmq_msg_t *account)
{
    char acct[HAMD_ACCOUNT_ID_MAX], id[HAMD_ACCOUNT_ID_MAX];
    size_t len = zmq_msg_size(account);
    /* A NUL inside would make "sim_a\0x" read as sim_a's. */
    if (len == 0 || len >= sizeof acct || memchr(zmq_msg_data(account), '\0', len))
        return NULL;
    memcpy(acct, zmq_msg_data(account), len);
    acct[len] = '\0';
    if (hamd_source_id_format(id, sizeof id, acct, node) < 0)
        return NULL;
    return hamd_strmap_get(dp->by_account, id);
}

/* One message on relay_in after its identity: COVER or RTICK. */
static void relay_in_message(struct hamd_dataplane *dp, unsigned node,
                             struct relay_reader *r, int64_t now_ns)
{
    const void *data;
    size_t len;
    bool more;
    char type[DP_RELAY_TYPE_MAX] = "";
    if (!relay_reader_next(r, &data, &len, &more) || len >= sizeof type)
        return;
    memcpy(type, data, len);
    type[len] = '\0';
    if (strcmp(type, HAMD_RELAY_COVER) == 0 && more &&
        relay_reader_next(r, &data, &len, &more) && !more)
        return cover_store(dp, node, data, len, now_ns);
    if (strcmp(type, HAMD_RELAY_TICK) == 0 && more &&
        relay_reader_next(r, &data, &len, &more) && more) {
        /* Resolved before the bodies are pulled over r->frame. */
        struct dp_source *s = relayed_source(dp, node, &r->frame);
        if (s) {
            dp->relay_ticks_in++;
            return dp_ingest_relayed(dp, s, relay_reader_next, r, now_ns);
        }
        dp->relay_unsolicited++;
        return;
    }
    dp->relay_bad++;
}

void dp_relay_in_drain(struct hamd_dataplane *dp)
{
    struct relay_reader r = {.sock = dp->relay_in};
    zmq_msg_t id;
    zmq_msg_init(&id);
    zmq_msg_init(&r.frame);
    for (unsigned n = 0; n < DP_RELAY_BATCH_MAX; n++) {
        if (zmq_msg_recv(&id, dp->relay_in, ZMQ_DONTWAIT) < 0)
            break;
        r.more = zmq_msg_more(&id);
        unsigned node = hamd_relay_id_parse(zmq_msg_data(&id), zmq_msg_size(&id));
        if (node && node != dp->opts.node_id)
            relay_in_message(dp, node, &r, hamd_mono_ns());
        else
            dp->relay_bad++;
        const void *data;
        size_t len;
        bool more;
        while (relay_reader_next(&r, &data, &len, &more))
            continue; /* what a bad message left unread */
    }
    zmq_msg_close(&id);
    zmq_msg_close(&r.frame);
}

unsigned hamd_dataplane_covers(struct hamd_dataplane *self,
                               struct hamd_dp_cover *out, unsigned cap)
{
    pthread_mutex_lock(&self->lock);
    unsigned n = self->n_covers < cap ? self->n_covers : cap;
    memcpy(out, self->covers, n * sizeof *out);
    pthread_mutex_unlock(&self->lock);
    return n;
}
