/* hamd-gw-sim: messages from the hub (SUBSCRIBE, UNSUBSCRIBE, STOP). */
#include "gw-sim/sim_internal.h"

#include "common/clock.h"
#include "gw-common/gwin.h"
#include "gw-sim/feed.h"

#define GWSIM_HUB_MSGS_PER_ROUND 256 /* hub messages read per iteration */

/* Collects the per-batch results of a SUBSCRIBE / UNSUBSCRIBE. */
struct symbol_batch {
    struct gwsim *self;  /* the sim */
    int64_t wall_ns;     /* when the message arrived */
    unsigned changed;    /* contracts added / removed */
    unsigned ignored;    /* contracts refused */
};

/* Refuses a contract with a rate-limited log line. */
static void ignore_symbol(struct symbol_batch *b, const char *vt_symbol,
                          const char *why)
{
    hamd_log_rated(&b->self->symbol_rate, HAMD_LOG_WARN,
                   "ignoring subscription to '%.60s': %s", vt_symbol, why);
    b->ignored++;
    b->self->ignored_symbols++;
}

/* hamd_gw_symbols_decode callback of SUBSCRIBE: the first tick delivered
 * is the current one. */
static void subscribe_one(void *ud, const char *vt_symbol)
{
    struct symbol_batch *b = ud;
    struct gwsim *self = b->self;
    if (gwsim_symtab_find(self->subs, vt_symbol))
        return;
    struct simfeed_symbol feed;
    uint32_t rate = gwsim_params_rate(self->params, vt_symbol);
    const char *why = NULL;
    if (simfeed_symbol_init(&feed, self->params->seed, vt_symbol, rate,
                            self->account) != 0)
        why = "not a valid symbol.EXCHANGE";
    else if (!gwsim_params_serves(self->params, feed.tmpl.exchange))
        why = "exchange not in params.exchanges";
    else if (!gwsim_symtab_add(self->subs, &feed,
                               simfeed_n_at(b->wall_ns, rate)))
        why = "out of memory";
    if (why)
        ignore_symbol(b, vt_symbol, why);
    else
        b->changed++;
}

/* hamd_gw_symbols_decode callback of UNSUBSCRIBE. */
static void unsubscribe_one(void *ud, const char *vt_symbol)
{
    struct symbol_batch *b = ud;
    if (gwsim_symtab_remove(b->self->subs, vt_symbol) == 0)
        b->changed++;
}

/* Handles a SUBSCRIBE or UNSUBSCRIBE body. */
static void symbols_cb(struct gwsim *self, zmq_msg_t *body, bool subscribe)
{
    struct symbol_batch b = {.self = self, .wall_ns = hamd_wall_ns()};
    void (*fn)(void *, const char *) =
        subscribe ? subscribe_one : unsubscribe_one;
    bool ok = hamd_gw_symbols_decode(zmq_msg_data(body), zmq_msg_size(body),
                                     fn, &b);
    if (!ok) {
        self->hub_bad++;
        hamd_log_rated(&self->hub_rate, HAMD_LOG_WARN, "malformed %s body",
                       subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE");
        return;
    }
    LOG_INFO("%s: %u changed, %u ignored, %zu subscribed",
             subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE", b.changed, b.ignored,
             self->subs->count);
    if (subscribe && b.changed > 0)
        gwsim_upstream_subscribe_all(self);
    else if (!subscribe)
        gwsim_upstream_unsubscribe(self, zmq_msg_data(body),
                                   zmq_msg_size(body));
}

/* Dispatches one message from the hub: [type] or [type][body]. */
static void hub_message_cb(struct gwsim *self, struct hamd_gwin_msg *m)
{
    if (m->kind == HAMD_GW_STOP) {
        LOG_INFO("STOP from the hub");
        self->stopping = true;
    } else if ((m->kind == HAMD_GW_SUBSCRIBE ||
                m->kind == HAMD_GW_UNSUBSCRIBE) && m->frames == 2) {
        symbols_cb(self, &m->body, m->kind == HAMD_GW_SUBSCRIBE);
    } else {
        size_t len = zmq_msg_size(&m->type);
        self->hub_bad++;
        hamd_log_rated(&self->hub_rate, HAMD_LOG_WARN,
                       "unexpected hub message (type %.*s, %d frames)",
                       (int)(len < 16 ? len : 16),
                       (const char *)zmq_msg_data(&m->type), m->frames);
    }
}

void gwsim_hub_read(struct gwsim *self)
{
    struct hamd_gwin_msg m;
    for (int i = 0; i < GWSIM_HUB_MSGS_PER_ROUND && !self->stopping &&
                    hamd_gwin_recv(self->dealer, &m); i++) {
        hub_message_cb(self, &m);
        hamd_gwin_close(&m);
    }
}
