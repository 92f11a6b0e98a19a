/* Data plane: thread, door and public API. See dataplane.h.
 *
 * The thread sleeps in zmq_poll on the gateway ROUTER, the door and (while
 * publishing) the snapshot ROUTER, at most DP_POLL_MAX_MS so heartbeats,
 * lease expiry and statistics are handled on time even when idle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "dataplane/dp_internal.h"

/* ------------------------------------------------------------------------
 * Upward event queue (data thread -> control thread)
 * ------------------------------------------------------------------------ */

/* Doubles the full event ring, oldest event first in the new one. False
 * at DP_EVENT_QUEUE_CAP or out of memory (the ring is unchanged). Called
 * under dp->lock. */
static bool event_ring_grow(struct hamd_dataplane *dp)
{
    if (dp->ev_cap >= DP_EVENT_QUEUE_CAP)
        return false;
    unsigned cap = dp->ev_cap * 2;
    struct hamd_dp_event *grown = malloc(cap * sizeof *grown);
    if (!grown)
        return false;
    for (unsigned i = 0; i < dp->ev_len; i++)
        grown[i] = dp->events[(dp->ev_head + i) % dp->ev_cap];
    free(dp->events);
    dp->events = grown;
    dp->ev_cap = cap;
    dp->ev_head = 0;
    return true;
}

/* Gives a grown ring back once drained: a burst (an assignment of 5,000
 * contracts is 5,000 SWITCHED events) fills DP_EVENT_QUEUE_CAP events,
 * 1.2 MB that would otherwise stay resident for the few events a
 * running node queues. Called under dp->lock with the ring empty. */
static void event_ring_shrink(struct hamd_dataplane *dp)
{
    if (dp->ev_cap <= DP_EVENT_QUEUE_INITIAL)
        return;
    struct hamd_dp_event *small = malloc(DP_EVENT_QUEUE_INITIAL * sizeof *small);
    if (!small)
        return; /* keep the big one */
    free(dp->events);
    dp->events = small;
    dp->ev_cap = DP_EVENT_QUEUE_INITIAL;
    dp->ev_head = 0;
}

void dp_event_push(struct hamd_dataplane *dp, const struct hamd_dp_event *ev)
{
    pthread_mutex_lock(&dp->lock);
    if (dp->ev_len == dp->ev_cap && !event_ring_grow(dp)) {
        dp->events_dropped++;
        pthread_mutex_unlock(&dp->lock);
        return;
    }
    dp->events[(dp->ev_head + dp->ev_len) % dp->ev_cap] = *ev;
    dp->ev_len++;
    pthread_mutex_unlock(&dp->lock);
    if (dp->notify)
        dp->notify(dp->notify_ud);
}

unsigned hamd_dataplane_drain(struct hamd_dataplane *self,
                              void (*fn)(void *ud, const struct hamd_dp_event *ev),
                              void *ud)
{
    unsigned n = 0;
    for (;;) {
        struct hamd_dp_event ev;
        pthread_mutex_lock(&self->lock);
        bool have = self->ev_len > 0;
        if (have) {
            ev = self->events[self->ev_head];
            self->ev_head = (self->ev_head + 1) % self->ev_cap;
            self->ev_len--;
        } else {
            event_ring_shrink(self);
        }
        pthread_mutex_unlock(&self->lock);
        if (!have)
            return n;
        fn(ud, &ev);
        n++;
    }
}

void hamd_dataplane_stats(struct hamd_dataplane *self, struct hamd_dp_stats *out)
{
    pthread_mutex_lock(&self->lock);
    *out = self->stats;
    out->events_dropped = self->events_dropped;
    pthread_mutex_unlock(&self->lock);
}

/* ------------------------------------------------------------------------
 * Door: control thread side
 * ------------------------------------------------------------------------ */

static void door_send(struct hamd_dataplane *dp, const struct dp_door_msg *msg,
                      const void *body, size_t len)
{
    int more = body ? ZMQ_SNDMORE : 0;
    /* inproc PAIR with an unbounded HWM: a send only fails on shutdown. */
    if (zmq_send(dp->door_ctl, msg, sizeof *msg, more) < 0 ||
        (body && zmq_send(dp->door_ctl, body, len, 0) < 0))
        LOG_ERROR("data plane door: %s", zmq_strerror(errno));
}

/* Frees a batch once ZeroMQ is done with it (on the data thread). */
static void door_batch_free(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Sends the messages held, as one DP_DOOR_BATCH whose body is the held
 * array itself (no copy: the data thread frees it). The next one held
 * starts a new array. */
static void door_batch_flush(struct hamd_dataplane *dp)
{
    if (dp->batch_len == 0)
        return;
    struct dp_door_msg head;
    memset(&head, 0, sizeof head);
    head.op = DP_DOOR_BATCH;
    zmq_msg_t body;
    size_t len = dp->batch_len * sizeof *dp->batch;
    /* The body first, so a head never goes out without it. */
    if (zmq_msg_init_data(&body, dp->batch, len, door_batch_free, NULL) < 0) {
        LOG_ERROR("data plane door: %s", zmq_strerror(errno));
        free(dp->batch);
    } else if (zmq_send(dp->door_ctl, &head, sizeof head, ZMQ_SNDMORE) < 0 ||
               zmq_msg_send(&body, dp->door_ctl, 0) < 0) {
        LOG_ERROR("data plane door: %s", zmq_strerror(errno));
        zmq_msg_close(&body); /* frees the array */
    }
    dp->batch = NULL;
    dp->batch_len = dp->batch_cap = 0;
}

/* Holds msg in the batch. False when it cannot (no memory): post it. */
static bool door_batch_add(struct hamd_dataplane *dp,
                           const struct dp_door_msg *msg)
{
    if (dp->batch_len == DP_DOOR_BATCH_MAX)
        door_batch_flush(dp);
    if (dp->batch_len == dp->batch_cap) {
        size_t cap = dp->batch_cap ? 2 * dp->batch_cap : DP_DOOR_BATCH_INITIAL;
        struct dp_door_msg *grown = realloc(dp->batch, cap * sizeof *grown);
        if (!grown)
            return false;
        dp->batch = grown;
        dp->batch_cap = cap;
    }
    dp->batch[dp->batch_len++] = *msg;
    return true;
}

/* Posts a door message, or holds it while batching. One with a body
 * sends what is held first, so the data thread sees them in order. */
static void door_post(struct hamd_dataplane *dp, const struct dp_door_msg *msg,
                      const void *body, size_t len)
{
    if (dp->batching && !body && door_batch_add(dp, msg))
        return;
    door_batch_flush(dp);
    door_send(dp, msg, body, len);
}

void hamd_dataplane_batch_begin(struct hamd_dataplane *self)
{
    self->batching = true;
}

void hamd_dataplane_batch_end(struct hamd_dataplane *self)
{
    door_batch_flush(self);
    self->batching = false;
}

static void door_post_simple(struct hamd_dataplane *dp, enum dp_door_op op,
                             const char *account, const char *vt_symbol)
{
    struct dp_door_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.op = op;
    if (account)
        snprintf(msg.account, sizeof msg.account, "%s", account);
    if (vt_symbol)
        snprintf(msg.vt_symbol, sizeof msg.vt_symbol, "%s", vt_symbol);
    door_post(dp, &msg, NULL, 0);
}

void hamd_dataplane_set_lease(struct hamd_dataplane *self, uint64_t term,
                              int64_t until_ns)
{
    hamd_lease_cell_store(&self->lease, term, until_ns);
}

int hamd_dataplane_source_add(struct hamd_dataplane *self, const char *account,
                              const char *const *exchanges, unsigned n_exch,
                              const char *canary)
{
    if (n_exch > HAMD_DP_EXCH_MAX || strlen(account) >= HAMD_ACCOUNT_ID_MAX)
        return -1;
    struct dp_door_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.op = DP_DOOR_SOURCE_ADD;
    snprintf(msg.account, sizeof msg.account, "%s", account);
    snprintf(msg.vt_symbol, sizeof msg.vt_symbol, "%s", canary ? canary : "");
    /* The body: n_exch names of HAMD_EXCHANGE_MAX bytes each. */
    char exch[HAMD_DP_EXCH_MAX][HAMD_EXCHANGE_MAX];
    memset(exch, 0, sizeof exch);
    for (unsigned i = 0; i < n_exch; i++)
        snprintf(exch[i], HAMD_EXCHANGE_MAX, "%s", exchanges[i]);
    door_post(self, &msg, exch, n_exch * sizeof exch[0]);
    return 0;
}

void hamd_dataplane_source_remove(struct hamd_dataplane *self,
                                  const char *account)
{
    door_post_simple(self, DP_DOOR_SOURCE_REMOVE, account, NULL);
}

void hamd_dataplane_source_token(struct hamd_dataplane *self,
                                 const char *account, const char *token)
{
    struct dp_door_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.op = DP_DOOR_SOURCE_TOKEN;
    snprintf(msg.account, sizeof msg.account, "%s", account);
    door_post(self, &msg, token, strlen(token));
}

void hamd_dataplane_contract_add(struct hamd_dataplane *self,
                                 const char *vt_symbol)
{
    door_post_simple(self, DP_DOOR_CONTRACT_ADD, NULL, vt_symbol);
}

void hamd_dataplane_contract_remove(struct hamd_dataplane *self,
                                    const char *vt_symbol)
{
    door_post_simple(self, DP_DOOR_CONTRACT_REMOVE, NULL, vt_symbol);
}

void hamd_dataplane_source_eligible(struct hamd_dataplane *self,
                                    const char *account, bool eligible)
{
    struct dp_door_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.op = DP_DOOR_ELIGIBLE;
    snprintf(msg.account, sizeof msg.account, "%s", account);
    msg.eligible = eligible;
    door_post(self, &msg, NULL, 0);
}

void hamd_dataplane_assign(struct hamd_dataplane *self, const char *vt_symbol,
                           const char *account, uint64_t switch_id)
{
    struct dp_door_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.op = DP_DOOR_ASSIGN;
    snprintf(msg.account, sizeof msg.account, "%s", account);
    snprintf(msg.vt_symbol, sizeof msg.vt_symbol, "%s", vt_symbol);
    msg.switch_id = switch_id;
    door_post(self, &msg, NULL, 0);
}

void hamd_dataplane_gw_send(struct hamd_dataplane *self, const char *account,
                            enum hamd_gw_type type, const void *body, size_t len)
{
    struct dp_door_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.op = DP_DOOR_GW_SEND;
    msg.gw_type = type;
    snprintf(msg.account, sizeof msg.account, "%s", account);
    door_post(self, &msg, body, len);
}

void hamd_dataplane_publish_event(struct hamd_dataplane *self, const void *body,
                                  size_t len)
{
    struct dp_door_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.op = DP_DOOR_EVENT;
    door_post(self, &msg, body, len);
}

/* Posts op with body (an endpoint, a message body) and an optional node. */
static void door_post_body(struct hamd_dataplane *dp, enum dp_door_op op,
                           uint64_t node, const void *body, size_t len)
{
    struct dp_door_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.op = op;
    msg.switch_id = node;
    door_post(dp, &msg, body, len);
}

void hamd_dataplane_follow(struct hamd_dataplane *self, const char *endpoint)
{
    door_post_body(self, DP_DOOR_FOLLOW, 0, endpoint, strlen(endpoint));
}

void hamd_dataplane_relay_target(struct hamd_dataplane *self,
                                 const char *endpoint)
{
    door_post_body(self, DP_DOOR_RELAY_TARGET, 0, endpoint, strlen(endpoint));
}

void hamd_dataplane_cover_send(struct hamd_dataplane *self, const void *body,
                               size_t len)
{
    door_post_body(self, DP_DOOR_COVER, 0, body, len);
}

void hamd_dataplane_relay_set(struct hamd_dataplane *self, unsigned node,
                              const void *body, size_t len)
{
    door_post_body(self, DP_DOOR_RELAY_SET, node, body, len);
}

/* ------------------------------------------------------------------------
 * Door: data thread side
 * ------------------------------------------------------------------------ */

static int source_index(struct hamd_dataplane *dp, const char *account)
{
    struct dp_source *s = hamd_strmap_get(dp->by_account, account);
    return s ? (int)(s - dp->sources) : -1;
}

static bool exchange_of(const char *vt_symbol, const char **exch)
{
    const char *dot = strrchr(vt_symbol, '.');
    if (!dot || !dot[1])
        return false;
    *exch = dot + 1;
    return true;
}

static bool source_serves(const struct dp_source *s, const char *vt_symbol)
{
    const char *exch;
    if (!exchange_of(vt_symbol, &exch))
        return false;
    for (unsigned i = 0; i < s->n_exch; i++)
        if (strcmp(s->exchanges[i], exch) == 0)
            return true;
    return false;
}

/* Recomputes which sources serve contract c. */
static void contract_mark_served(struct hamd_dataplane *dp, struct dp_contract *c)
{
    c->served = 0;
    for (int i = 0; i < HAMD_ARB_MAX_SOURCES; i++)
        if (dp->sources[i].used && source_serves(&dp->sources[i], c->vt_symbol))
            c->served |= 1u << i;
    dp_stats_contract_touched(dp, c);
}

static void door_source_add(struct hamd_dataplane *dp, const struct dp_door_msg *m,
                            zmq_msg_t *body)
{
    size_t exch_bytes = zmq_msg_size(body);
    if (exch_bytes % HAMD_EXCHANGE_MAX ||
        exch_bytes > HAMD_DP_EXCH_MAX * HAMD_EXCHANGE_MAX)
        return; /* hamd_dataplane_source_add never posts that */
    int idx = source_index(dp, m->account);
    if (idx < 0) {
        for (int i = 0; i < HAMD_ARB_MAX_SOURCES && idx < 0; i++)
            if (!dp->sources[i].used)
                idx = i;
        if (idx < 0) {
            LOG_ERROR("data plane: more than %d sources, %s ignored",
                      HAMD_ARB_MAX_SOURCES, m->account);
            return;
        }
        memset(&dp->sources[idx], 0, sizeof dp->sources[idx]);
        dp->eligible &= ~(1u << idx); /* until its monitor says HEALTHY */
        dp->sources[idx].used = true;
        snprintf(dp->sources[idx].account, HAMD_ACCOUNT_ID_MAX, "%s", m->account);
        dp->sources[idx].account_len = strlen(dp->sources[idx].account);
        snprintf(dp->sources[idx].st.account, HAMD_ACCOUNT_ID_MAX, "%s",
                 m->account);
        hamd_strmap_put(dp->by_account, m->account, &dp->sources[idx]);
    }
    struct dp_source *s = &dp->sources[idx];
    snprintf(s->canary, sizeof s->canary, "%s", m->vt_symbol);
    s->n_exch = (unsigned)(exch_bytes / HAMD_EXCHANGE_MAX);
    memset(s->exchanges, 0, sizeof s->exchanges);
    memcpy(s->exchanges, zmq_msg_data(body), exch_bytes);
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(dp->contracts, &cursor, &key, &val))
        contract_mark_served(dp, val);
    dp_arb_refresh(dp, hamd_mono_ns());
}

static void door_source_remove(struct hamd_dataplane *dp, const char *account)
{
    int idx = source_index(dp, account);
    if (idx < 0)
        return;
    size_t cursor = 0;
    const char *key;
    void *val;
    while (hamd_strmap_next(dp->contracts, &cursor, &key, &val)) {
        struct dp_contract *c = val;
        hamd_arb_forget_source(&c->arb, idx);
        if (c->arb.active == idx)
            c->arb.active = HAMD_ARB_NO_SOURCE;
        if (c->last_rx_ns)
            c->last_rx_ns[idx] = 0;
        c->served &= ~(1u << idx);
        dp_stats_contract_touched(dp, c);
        c->arb.eligible &= ~(1u << idx);
        if (c->relay_src == idx)
            c->relay_src = HAMD_ARB_NO_SOURCE;
    }
    hamd_strmap_remove(dp->by_account, account);
    memset(&dp->sources[idx], 0, sizeof dp->sources[idx]);
    dp->eligible &= ~(1u << idx);
}

/* A new launch of the source's gateway: only its token proves it now. */
static void door_source_token(struct hamd_dataplane *dp,
                              const struct dp_door_msg *m, zmq_msg_t *body)
{
    struct dp_source *s = hamd_strmap_get(dp->by_account, m->account);
    char token[HAMD_GW_TOKEN_MAX];
    size_t len = zmq_msg_size(body);
    if (!s || len >= sizeof token)
        return;
    memcpy(token, zmq_msg_data(body), len);
    token[len] = '\0';
    hamd_gwauth_arm(&s->auth, token);
    explicit_bzero(token, sizeof token);
}

static void door_contract_add(struct hamd_dataplane *dp, const char *vt_symbol)
{
    if (hamd_strmap_get(dp->contracts, vt_symbol))
        return;
    struct dp_contract *c = hamd_slab_alloc(dp->contract_slab); /* zeroed */
    if (!c) {
        LOG_ERROR("data plane: out of memory adding %s", vt_symbol);
        return;
    }
    snprintf(c->vt_symbol, sizeof c->vt_symbol, "%s", vt_symbol);
    c->vt_len = strlen(c->vt_symbol);
    hamd_arb_contract_init(&c->arb);
    hamd_arb_contract_count(&c->arb, &dp->arb_totals);
    c->relay_src = HAMD_ARB_NO_SOURCE;
    contract_mark_served(dp, c);
    dp_arb_contract_mode(dp, c);
    dp_arb_contract_eligible(dp, c, hamd_mono_ns());
    hamd_strmap_put(dp->contracts, c->vt_symbol, c);
}

/* Frees c, taken out of the running totals (the list of contracts two
 * sources touch, the cache count, the rings' totals). */
static void contract_free(struct hamd_dataplane *dp, struct dp_contract *c)
{
    dp_stats_contract_forget(dp, c);
    dp->cached -= c->lvc_len > 0;
    hamd_arb_contract_release(&c->arb);
    hamd_slabs_free(dp->lvc_slabs, c->lvc, c->lvc_cap);
    hamd_slab_free(dp->contract_slab, c);
}

static void door_contract_remove(struct hamd_dataplane *dp, const char *vt_symbol)
{
    struct dp_contract *c = hamd_strmap_remove(dp->contracts, vt_symbol);
    if (c) {
        hamd_inflight_forget(dp->inflight, c);
        dp_wm_forget(dp, c);
        contract_free(dp, c);
    }
}

static void door_assign(struct hamd_dataplane *dp, const struct dp_door_msg *m)
{
    struct dp_contract *c = hamd_strmap_get(dp->contracts, m->vt_symbol);
    if (!c)
        return;
    int idx = m->account[0] ? source_index(dp, m->account) : HAMD_ARB_NO_SOURCE;
    if (m->account[0] && idx < 0) {
        LOG_WARN("data plane: %s assigned to unknown source %s", m->vt_symbol,
                 m->account);
        idx = HAMD_ARB_NO_SOURCE;
    }
    int64_t now_ns = hamd_mono_ns();
    c->switch_id = m->switch_id;
    c->switch_replayed = 0;
    struct dp_replay replay = {dp, c, now_ns};
    /* During a lease lapse, or on a follower, the new source's ring waits
     * for the flush. */
    struct hamd_gate_lease lease = dp_lease(dp);
    bool lapse = dp_gate_tick(dp, &lease, now_ns) != HAMD_GATE_TICK_SEND;
    c->switch_replayed = hamd_arb_switch(&c->arb, &dp->opts.limits, idx, now_ns,
                                         lapse ? NULL : dp_replay_emit,
                                         &replay);
}

static void door_gw_send(struct hamd_dataplane *dp, const struct dp_door_msg *m,
                         zmq_msg_t *body)
{
    const char *type = hamd_gw_type_name(m->gw_type);
    if (!type)
        return;
    /* A gateway not connected yet simply misses it; it gets a full
     * SUBSCRIBE after its HELLO. */
    if (zmq_send(dp->gw, m->account, strlen(m->account), ZMQ_SNDMORE) < 0 ||
        zmq_send(dp->gw, type, strlen(type), ZMQ_SNDMORE) < 0 ||
        zmq_send(dp->gw, zmq_msg_data(body), zmq_msg_size(body), 0) < 0)
        LOG_WARN("data plane: send %s to %s: %s", type, m->account,
                 zmq_strerror(errno));
}

/* Copies an endpoint from a door body. Returns false when too long (the
 * control plane's endpoints are shorter). */
static bool door_endpoint(zmq_msg_t *body, char *out, size_t cap)
{
    size_t len = zmq_msg_size(body);
    if (len >= cap)
        return false;
    memcpy(out, zmq_msg_data(body), len);
    out[len] = '\0';
    return true;
}

static void door_follow(struct hamd_dataplane *dp, zmq_msg_t *body)
{
    char endpoint[HAMD_DP_ENDPOINT_MAX];
    if (door_endpoint(body, endpoint, sizeof endpoint))
        dp_follow_set(dp, endpoint);
}

static void door_relay_target(struct hamd_dataplane *dp, zmq_msg_t *body)
{
    char endpoint[HAMD_DP_ENDPOINT_MAX];
    if (door_endpoint(body, endpoint, sizeof endpoint))
        dp_relay_target(dp, endpoint);
}

static void door_apply(struct hamd_dataplane *dp, const struct dp_door_msg *m,
                       zmq_msg_t *body);

/* Carries out a DP_DOOR_BATCH: the body-less messages it holds, in order
 * (a batch inside a batch is never posted, and is ignored). */
static void door_batch_apply(struct hamd_dataplane *dp, zmq_msg_t *body)
{
    size_t n = zmq_msg_size(body) / sizeof(struct dp_door_msg);
    const uint8_t *at = zmq_msg_data(body);
    zmq_msg_t none;
    zmq_msg_init(&none);
    for (size_t i = 0; i < n; i++, at += sizeof(struct dp_door_msg)) {
        struct dp_door_msg m;
        memcpy(&m, at, sizeof m);
        if (m.op != DP_DOOR_BATCH)
            door_apply(dp, &m, &none);
    }
    zmq_msg_close(&none);
}

/* Carries out one door message; body is its second frame (empty when it
 * has none). */
static void door_apply(struct hamd_dataplane *dp, const struct dp_door_msg *m,
                       zmq_msg_t *body)
{
    switch (m->op) {
    case DP_DOOR_SOURCE_ADD: door_source_add(dp, m, body); break;
    case DP_DOOR_SOURCE_REMOVE: door_source_remove(dp, m->account); break;
    case DP_DOOR_SOURCE_TOKEN: door_source_token(dp, m, body); break;
    case DP_DOOR_CONTRACT_ADD: door_contract_add(dp, m->vt_symbol); break;
    case DP_DOOR_CONTRACT_REMOVE: door_contract_remove(dp, m->vt_symbol); break;
    case DP_DOOR_ASSIGN: door_assign(dp, m); break;
    case DP_DOOR_ELIGIBLE:
        dp_arb_source_eligible(dp, m->account, m->eligible);
        break;
    case DP_DOOR_GW_SEND: door_gw_send(dp, m, body); break;
    case DP_DOOR_EVENT:
        dp_publish_event(dp, zmq_msg_data(body), zmq_msg_size(body));
        break;
    case DP_DOOR_FOLLOW: door_follow(dp, body); break;
    case DP_DOOR_RELAY_TARGET: door_relay_target(dp, body); break;
    case DP_DOOR_COVER:
        dp_relay_cover(dp, zmq_msg_data(body), zmq_msg_size(body));
        break;
    case DP_DOOR_RELAY_SET:
        dp_relay_request(dp, (unsigned)m->switch_id, zmq_msg_data(body),
                         zmq_msg_size(body));
        break;
    case DP_DOOR_STOP: dp->stopping = true; break;
    case DP_DOOR_BATCH: door_batch_apply(dp, body); break;
    }
}

/* Reads one door message (header frame, optional body frame) and carries
 * it out. Returns false when none was waiting. */
static bool door_handle(struct hamd_dataplane *dp)
{
    zmq_msg_t head, body;
    bool got = false;
    zmq_msg_init(&head);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&head, dp->door, ZMQ_DONTWAIT) < 0)
        goto out;
    got = true;
    if (zmq_msg_more(&head) && zmq_msg_recv(&body, dp->door, 0) < 0)
        goto out;
    if (zmq_msg_size(&head) != sizeof(struct dp_door_msg))
        goto out;
    struct dp_door_msg m;
    memcpy(&m, zmq_msg_data(&head), sizeof m);
    door_apply(dp, &m, &body);
out:
    zmq_msg_close(&head);
    zmq_msg_close(&body);
    return got;
}

/* Reads every door message waiting (at most DP_BATCH_MAX), before the
 * gateways are read: a launch token posted before its gateway started is
 * then in place when that gateway's HELLO is read. */
static void door_drain(struct hamd_dataplane *dp)
{
    for (unsigned n = 0; n < DP_BATCH_MAX && door_handle(dp); n++)
        continue;
}

/* ------------------------------------------------------------------------
 * Data thread
 * ------------------------------------------------------------------------ */

/* The gateway message gw_drain is reading: its identity, and the frame
 * dp_ingest_message pulled last. */
struct gw_reader {
    void *sock;        /* the gateway ROUTER */
    zmq_msg_t id;      /* identity frame of the message */
    zmq_msg_t frame;   /* frame pulled last, valid until the next pull */
    bool more;         /* the message has frames not read yet */
    unsigned pulled;   /* frames pulled after the identity */
    const char *conn;  /* the connection's own id (dp_zap.c), from the
                          message's type frame; "" = none */
};

/* dp_ingest_message's frame source: the next frame of the message. */
static bool gw_reader_next(void *ud, const void **frame, size_t *len,
                           bool *more)
{
    struct gw_reader *r = ud;
    int size = r->more ? zmq_msg_recv(&r->frame, r->sock, 0) : -1;
    if (size < 0) {
        r->more = false;
        return false;
    }
    r->more = zmq_msg_more(&r->frame);
    /* Once per message, from its type frame: every frame of a message
     * shares its connection's metadata, which stays alive with them. */
    if (r->pulled++ == 0) {
        const char *conn = zmq_msg_gets(&r->frame, "User-Id");
        r->conn = conn ? conn : "";
    }
    *frame = zmq_msg_data(&r->frame);
    *len = (size_t)size; /* what zmq_msg_size says, without the call */
    *more = r->more;
    return true;
}

/* Reads and drops what is left of the message. */
static void gw_reader_skip_rest(struct gw_reader *r)
{
    const void *frame;
    size_t len;
    bool more;
    while (gw_reader_next(r, &frame, &len, &more))
        continue;
}

/* Receives gateway messages without blocking until about DP_BATCH_MAX
 * ticks were handled (a message counts its bodies, at least one), so a
 * drain stays bounded whatever the batching of the gateways. */
static void gw_drain(struct hamd_dataplane *dp)
{
    struct gw_reader r = {.sock = dp->gw};
    zmq_msg_init(&r.id);
    zmq_msg_init(&r.frame);
    for (unsigned handled = 0; handled < DP_BATCH_MAX;) {
        int id_len = zmq_msg_recv(&r.id, dp->gw, ZMQ_DONTWAIT);
        if (id_len < 0)
            break;
        r.more = zmq_msg_more(&r.id);
        r.pulled = 0;
        r.conn = "";
        dp_ingest_message(dp, zmq_msg_data(&r.id), (size_t)id_len, &r.conn,
                          gw_reader_next, &r, hamd_mono_ns());
        /* What a bad message left unread must not start the next one. */
        gw_reader_skip_rest(&r);
        /* pulled - 1 bodies after the type frame, at least 1 per message */
        handled += r.pulled > 2 ? r.pulled - 1 : 1;
    }
    zmq_msg_close(&r.id);
    zmq_msg_close(&r.frame);
}

static long poll_timeout_ms(struct hamd_dataplane *dp, int64_t now_ns)
{
    int64_t next = dp->next_stats_ns;
    if (dp->pub && dp->next_hb_ns < next)
        next = dp->next_hb_ns;
    int64_t gate_due_ns = hamd_gate_due_ns(&dp->gate);
    if (gate_due_ns < next)
        next = gate_due_ns;
    if (dp->follow && dp->next_follow_drain_ns < next)
        next = dp->next_follow_drain_ns;
    if (dp->pub && dp_wm_due_ns(dp) < next)
        next = dp_wm_due_ns(dp);
    /* Rounded up: rounded down, the last fraction of a millisecond before
     * a timer would be a poll of 0 ms after another, a busy loop (1.7 us
     * more CPU per tick on a publisher with the 5 ms watermark timer). */
    int64_t wait_ms = (next - now_ns + HAMD_NS_PER_MS - 1) / HAMD_NS_PER_MS;
    if (wait_ms < 0)
        wait_ms = 0;
    return wait_ms < DP_POLL_MAX_MS ? (long)wait_ms : DP_POLL_MAX_MS;
}

/* What the thread waits on: gateways and door always (items[0] and
 * items[1]), and the publisher's sockets (snapshot, XPUB) when it has
 * them. A follower's copy of the publisher's stream is read on a timer
 * instead (dp_follow_drain_due). Returns how many items. */
static int poll_items(struct hamd_dataplane *dp, zmq_pollitem_t *items)
{
    void *socks[DP_POLL_ITEMS] = {dp->gw,       dp->door,      dp->snap,
                                  dp->pub,      dp->relay_in,  dp->relay_out,
                                  dp->zap};
    int n = 0;
    for (int i = 0; i < DP_POLL_ITEMS; i++)
        if (socks[i])
            items[n++] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    return n;
}

/* Handles what poll found. The door first, since it reconfigures; then
 * the gateways. A door message may open or close the publisher's sockets:
 * they are then served at the next poll. A tick may too, hence the check
 * that a socket is still the one polled. */
static void poll_dispatch(struct hamd_dataplane *dp, zmq_pollitem_t *items,
                          int n_items)
{
    bool door = items[1].revents & ZMQ_POLLIN;
    if (door)
        door_drain(dp);
    if (items[0].revents & ZMQ_POLLIN)
        gw_drain(dp);
    for (int i = 2; i < n_items && !door; i++) {
        if (!(items[i].revents & ZMQ_POLLIN))
            continue;
        if (items[i].socket == dp->snap)
            dp_snapshot_serve(dp);
        else if (items[i].socket == dp->pub)
            dp_clients_read(dp, hamd_mono_ns());
        else if (items[i].socket == dp->zap)
            dp_zap_serve(dp);
        else if (items[i].socket == dp->relay_in)
            dp_relay_in_drain(dp);
        else if (items[i].socket == dp->relay_out)
            dp_relay_out_drain(dp);
    }
}

static void *dp_thread_main(void *arg)
{
    struct hamd_dataplane *dp = arg;
    while (!dp->stopping) {
        int64_t now_ns = hamd_mono_ns();
        dp_endpoints_reconcile(dp, now_ns);
        zmq_pollitem_t items[DP_POLL_ITEMS];
        int n_items = poll_items(dp, items);
        int rc = zmq_poll(items, n_items, poll_timeout_ms(dp, now_ns));
        if (rc < 0 && errno != EINTR) {
            LOG_ERROR("data plane poll: %s", zmq_strerror(errno));
            break;
        }
        poll_dispatch(dp, items, n_items);
        now_ns = hamd_mono_ns();
        dp_follow_drain_due(dp, now_ns);
        dp_follow_takeover_due(dp, now_ns);
        dp_wm_due(dp, now_ns); /* before the _hb: see dp_watermark.c */
        dp_heartbeat_due(dp, now_ns);
        if (now_ns >= dp->next_stats_ns)
            dp_stats_refresh(dp, now_ns);
    }
    dp_endpoints_close(dp);
    dp_follow_set(dp, "");
    dp_relay_close(dp);
    dp_zap_close(dp);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

struct hamd_dataplane *hamd_dataplane_new(const struct hamd_dataplane_opts *opts,
                                          void (*notify)(void *ud), void *ud)
{
    struct hamd_dataplane *dp = calloc(1, sizeof *dp);
    if (!dp)
        return NULL;
    dp->opts = *opts;
    struct hamd_gate_params gate_params;
    hamd_gate_params_init(&gate_params, &opts->limits);
    hamd_gate_init(&dp->gate, &gate_params); /* holds from the start */
    dp->notify = notify;
    dp->notify_ud = ud;
    pthread_mutex_init(&dp->lock, NULL);
    dp->events = calloc(DP_EVENT_QUEUE_INITIAL, sizeof *dp->events);
    dp->ev_cap = DP_EVENT_QUEUE_INITIAL;
    dp->contracts = hamd_strmap_new(DP_CONTRACTS_INITIAL);
    dp->contract_slab = hamd_slab_new(sizeof(struct dp_contract));
    dp->lvc_slabs = hamd_slabs_new();
    dp->by_account = hamd_strmap_new(HAMD_ARB_MAX_SOURCES * 2);
    dp->inflight = hamd_inflight_new((int64_t)DP_FOLLOW_INFLIGHT_MS * HAMD_NS_PER_MS,
                                     DP_FOLLOW_INFLIGHT_MAX);
    dp->zctx = zmq_ctx_new();
    if (!dp->events || !dp->contracts || !dp->contract_slab ||
        !dp->lvc_slabs || !dp->by_account || !dp->inflight || !dp->zctx) {
        hamd_dataplane_destroy(&dp);
        return NULL;
    }
    char door_ep[64];
    snprintf(door_ep, sizeof door_ep, "inproc://hamd-door-%p", (void *)dp);
    int zero = 0;
    dp->door = zmq_socket(dp->zctx, ZMQ_PAIR);
    dp->door_ctl = zmq_socket(dp->zctx, ZMQ_PAIR);
    zmq_setsockopt(dp->door, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(dp->door_ctl, ZMQ_SNDHWM, &zero, sizeof zero);
    if (zmq_bind(dp->door, door_ep) < 0 || zmq_connect(dp->door_ctl, door_ep) < 0) {
        hamd_dataplane_destroy(&dp);
        return NULL;
    }
    return dp;
}

int hamd_dataplane_start(struct hamd_dataplane *self, char *err, size_t cap)
{
    int hwm = DP_GW_RCVHWM, linger = DP_LINGER_MS, one = 1;
    self->gw = zmq_socket(self->zctx, ZMQ_ROUTER);
    zmq_setsockopt(self->gw, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(self->gw, ZMQ_LINGER, &linger, sizeof linger);
    /* A relaunched gateway reconnects under the same identity. */
    zmq_setsockopt(self->gw, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
    /* Each connection gets its own id from the ZAP handler, so the
     * launch token proves one connection, not an identity (dp_gwauth.c). */
    zmq_setsockopt(self->gw, ZMQ_ZAP_DOMAIN, DP_ZAP_DOMAIN_GW,
                   strlen(DP_ZAP_DOMAIN_GW));
    if (dp_curve_setup(self, err, cap) < 0)
        return -1;
    if (dp_zap_open(self) < 0) {
        snprintf(err, cap, "cannot start the access check of the gateway "
                 "and relay endpoints: %s", zmq_strerror(errno));
        return -1;
    }
    if (zmq_bind(self->gw, self->opts.gw_endpoint) < 0) {
        snprintf(err, cap, "cannot bind gateway endpoint %s: %s",
                 self->opts.gw_endpoint, zmq_strerror(errno));
        return -1;
    }
    if (dp_relay_bind(self, err, cap) < 0)
        return -1;
    int64_t now = hamd_mono_ns();
    self->next_stats_ns = now;
    self->next_hb_ns = now;
    self->next_trim_ns = now + (int64_t)DP_TRIM_FIRST_MS * HAMD_NS_PER_MS;
    if (pthread_create(&self->thread, NULL, dp_thread_main, self) != 0) {
        snprintf(err, cap, "cannot start the data plane thread");
        return -1;
    }
    self->started = true;
    return 0;
}

void hamd_dataplane_destroy(struct hamd_dataplane **self)
{
    struct hamd_dataplane *dp = *self;
    if (!dp)
        return;
    hamd_dataplane_batch_end(dp); /* what is held, and never STOP held */
    if (dp->started) {
        door_post_simple(dp, DP_DOOR_STOP, NULL, NULL);
        pthread_join(dp->thread, NULL);
    }
    int linger = DP_LINGER_MS;
    void *socks[] = {dp->door, dp->door_ctl, dp->gw};
    for (size_t i = 0; i < sizeof socks / sizeof socks[0]; i++)
        if (socks[i]) {
            zmq_setsockopt(socks[i], ZMQ_LINGER, &linger, sizeof linger);
            zmq_close(socks[i]);
        }
    dp_endpoints_close(dp);
    dp_relay_close(dp);
    dp_zap_close(dp);
    dp_curve_free(dp);
    if (dp->zctx)
        zmq_ctx_term(dp->zctx);
    if (dp->contracts) {
        size_t cursor = 0;
        const char *key;
        void *val;
        while (hamd_strmap_next(dp->contracts, &cursor, &key, &val))
            contract_free(dp, val);
        hamd_strmap_destroy(&dp->contracts);
    }
    hamd_slab_destroy(&dp->contract_slab);
    hamd_slabs_destroy(&dp->lvc_slabs);
    hamd_strmap_destroy(&dp->by_account);
    hamd_inflight_destroy(&dp->inflight);
    dp_clients_reset(dp);
    dp_wm_free(dp);
    dp_stats_free(dp);
    free(dp->events);
    pthread_mutex_destroy(&dp->lock);
    free(dp);
    *self = NULL;
}
