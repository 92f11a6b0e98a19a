/* hamd-gw-replay: messages from the hub (SUBSCRIBE, UNSUBSCRIBE, STOP). */
#include "gw-replay/replay_internal.h"

#include "gw-common/gwin.h"

#define REPLAY_HUB_MSGS_PER_ROUND 256 /* hub messages read per iteration */

void replay_check_symbol(struct replay *self, const char *vt_symbol)
{
    if (self->playing && !hamd_strmap_get(self->tl->symbols, vt_symbol))
        hamd_log_rated(&self->symbol_rate, HAMD_LOG_WARN,
                       "%.60s is not in the recording's range: it will not "
                       "tick from this source", vt_symbol);
}

/* hamd_gw_symbols_decode callback of SUBSCRIBE. */
static void subscribe_one(void *ud, const char *vt_symbol)
{
    struct replay *self = ud;
    if (hamd_strmap_get(self->subs, vt_symbol))
        return;
    hamd_strmap_put(self->subs, vt_symbol, self);
    if (!hamd_strmap_get(self->subs, vt_symbol)) {
        hamd_log_rated(&self->symbol_rate, HAMD_LOG_ERROR,
                       "cannot subscribe %.60s: out of memory", vt_symbol);
        return;
    }
    replay_check_symbol(self, vt_symbol);
}

/* hamd_gw_symbols_decode callback of UNSUBSCRIBE. */
static void unsubscribe_one(void *ud, const char *vt_symbol)
{
    struct replay *self = ud;
    hamd_strmap_remove(self->subs, vt_symbol);
}

/* Counts and logs a hub message that makes no sense. */
static void bad_message(struct replay *self, const struct hamd_gwin_msg *m)
{
    size_t len = zmq_msg_size((zmq_msg_t *)&m->type);
    self->hub_bad++;
    hamd_log_rated(&self->hub_rate, HAMD_LOG_WARN,
                   "unexpected hub message (type %.*s, %d frames)",
                   (int)(len < 16 ? len : 16),
                   (const char *)zmq_msg_data((zmq_msg_t *)&m->type),
                   m->frames);
}

/* Dispatches one message from the hub. */
static void hub_message_cb(struct replay *self, struct hamd_gwin_msg *m)
{
    bool sub = m->kind == HAMD_GW_SUBSCRIBE;
    if (m->kind == HAMD_GW_STOP) {
        LOG_INFO("STOP from the hub");
        self->stopping = true;
    } else if ((sub || m->kind == HAMD_GW_UNSUBSCRIBE) && m->frames == 2) {
        if (!hamd_gw_symbols_decode(zmq_msg_data(&m->body),
                                    zmq_msg_size(&m->body),
                                    sub ? subscribe_one : unsubscribe_one,
                                    self))
            bad_message(self, m);
        else
            LOG_INFO("%s: %zu subscribed", sub ? "SUBSCRIBE" : "UNSUBSCRIBE",
                     hamd_strmap_size(self->subs));
    } else {
        bad_message(self, m);
    }
}

void replay_hub_read(struct replay *self)
{
    struct hamd_gwin_msg m;
    for (int i = 0; i < REPLAY_HUB_MSGS_PER_ROUND && !self->stopping &&
                    hamd_gwin_recv(self->dealer, &m); i++) {
        hub_message_cb(self, &m);
        hamd_gwin_close(&m);
    }
}
