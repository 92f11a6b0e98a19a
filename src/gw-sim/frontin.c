/* A front's clients' messages, without the socket: see frontin.h. */
#include "gw-sim/frontin.h"

#include <stdbool.h>
#include <string.h>

#include "gw-sim/feed.h"
#include "gw-sim/frontproto.h"
#include "hamd/gwproto.h"

#define FRONTIN_ID_HEX_MAX (2 * GWSIM_FRONT_ID_MAX + 1) /* a printed id */

int gwsim_frontin_init(struct gwsim_frontin *self,
                       const struct gwsim_params *params)
{
    memset(self, 0, sizeof *self);
    self->params = params;
    if (!(self->clients = gwsim_frontsubs_new()) ||
        !(self->feeds = gwsim_symtab_new())) {
        gwsim_frontin_free(self);
        return -1;
    }
    return 0;
}

void gwsim_frontin_free(struct gwsim_frontin *self)
{
    gwsim_frontsubs_destroy(&self->clients);
    gwsim_symtab_destroy(&self->feeds);
}

/* Writes a routing id as hex, for the log. */
static const char *id_hex(const struct gwsim_front_client *c, char *buf)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < c->id_len; i++) {
        buf[2 * i] = digits[c->id[i] >> 4];
        buf[2 * i + 1] = digits[c->id[i] & 15];
    }
    buf[2 * c->id_len] = '\0';
    return buf;
}

/* Counts and logs a malformed client message. */
static void bad_message(struct gwsim_frontin *self, const char *what)
{
    self->bad++;
    hamd_log_rated(&self->bad_rate, HAMD_LOG_WARN,
                   "malformed client message: %s", what);
}

/* Refuses a contract with a rate-limited log line. */
static void refuse(struct gwsim_frontin *self, const char *vt_symbol,
                   const char *why)
{
    self->refused++;
    hamd_log_rated(&self->refuse_rate, HAMD_LOG_WARN,
                   "ignoring subscription to '%.60s': %s", vt_symbol, why);
}

/* Why the front cannot serve vt_symbol, or NULL; fills *feed. */
static const char *check_symbol(const struct gwsim_params *p,
                                const char *vt_symbol,
                                struct simfeed_symbol *feed)
{
    if (simfeed_symbol_init(feed, p->seed, vt_symbol,
                            gwsim_params_rate(p, vt_symbol), "") != 0)
        return "not a valid symbol.EXCHANGE";
    if (!gwsim_params_serves(p, feed->tmpl.exchange))
        return "exchange not served by this front";
    return NULL;
}

/* A SUBSCRIBE / UNSUBSCRIBE being applied for one client. */
struct frontin_symbols {
    struct gwsim_frontin *self; /* the front's tables */
    size_t client;              /* the client's index */
    int64_t wall_ns;            /* when the message arrived */
};

/* hamd_gw_symbols_decode callback of SUBSCRIBE: a contract new to the
 * front starts at the current tick. */
static void subscribe_one(void *ud, const char *vt_symbol)
{
    struct frontin_symbols *fs = ud;
    struct gwsim_frontin *self = fs->self;
    struct simfeed_symbol feed;
    const char *why = check_symbol(self->params, vt_symbol, &feed);
    int rc = why ? -1 : gwsim_frontsubs_add(self->clients, fs->client,
                                             vt_symbol);
    if (rc == 1 &&
        !gwsim_symtab_add(self->feeds, &feed,
                          simfeed_n_at(fs->wall_ns, feed.rate_milli))) {
        gwsim_frontsubs_remove(self->clients, fs->client, vt_symbol);
        rc = -1;
    }
    if (rc < 0)
        refuse(self, vt_symbol,
               why ? why : "too many contracts or out of memory");
}

/* hamd_gw_symbols_decode callback of UNSUBSCRIBE. */
static void unsubscribe_one(void *ud, const char *vt_symbol)
{
    struct frontin_symbols *fs = ud;
    if (gwsim_frontsubs_remove(fs->self->clients, fs->client, vt_symbol) == 1)
        gwsim_symtab_remove(fs->self->feeds, vt_symbol);
}

/* Handles [type][body] from client c (m NULL: it sent an id alone). */
static void client_message_cb(struct gwsim_frontin *self, size_t c,
                              struct hamd_gwin_msg *m, int64_t wall_ns)
{
    if (!m || m->frames != 2) {
        bad_message(self, "expected [type][body]");
    } else if (m->kind == HAMD_GW_SUBSCRIBE ||
               m->kind == HAMD_GW_UNSUBSCRIBE) {
        struct frontin_symbols fs = {self, c, wall_ns};
        if (!hamd_gw_symbols_decode(zmq_msg_data(&m->body),
                                    zmq_msg_size(&m->body),
                                    m->kind == HAMD_GW_SUBSCRIBE
                                        ? subscribe_one : unsubscribe_one,
                                    &fs))
            bad_message(self, "bad SUBSCRIBE or UNSUBSCRIBE body");
    } else if (m->kind != HAMD_GW_HB) {
        bad_message(self, "unknown message type");
    }
}

/* Registers the sender of a message and returns its index, or -1. */
static long client_of(struct gwsim_frontin *self, const void *id,
                      size_t id_len, int64_t now_ms)
{
    bool added;
    long c = gwsim_frontsubs_touch(self->clients, id, id_len, now_ms, &added);
    char hex[FRONTIN_ID_HEX_MAX];
    if (c < 0) {
        bad_message(self, "client table full");
    } else if (added) {
        self->clients_seen++;
        LOG_INFO("client %s connected (%zu clients)",
                 id_hex(&self->clients->clients[c], hex),
                 self->clients->count);
    }
    return c;
}

long gwsim_frontin_message(struct gwsim_frontin *self, const void *id,
                           size_t id_len, struct hamd_gwin_msg *m,
                           int64_t now_ms, int64_t wall_ns)
{
    long c = client_of(self, id, id_len, now_ms);
    if (c >= 0)
        client_message_cb(self, (size_t)c, m, wall_ns);
    return c;
}

/* gwsim_frontsubs_gone_fn: nobody wants the contract any more. */
static void feed_gone(void *ud, const char *vt_symbol)
{
    struct gwsim_frontin *self = ud;
    gwsim_symtab_remove(self->feeds, vt_symbol);
}

size_t gwsim_frontin_expire(struct gwsim_frontin *self, int64_t now_ms)
{
    return gwsim_frontsubs_expire(self->clients, now_ms,
                                  GWSIM_FRONT_CLIENT_TIMEOUT_MS, feed_gone,
                                  self);
}
