/* A gateway's messages to the hub: see gwout.h. */
#include "gw-common/gwout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/log.h"
#include "common/utf8.h"

void *hamd_gwout_dealer_open(void *zctx, const char *endpoint,
                             const char *account, int sndhwm_msgs,
                             int linger_ms)
{
    int immediate = 0;
    void *dealer = zmq_socket(zctx, ZMQ_DEALER);
    if (dealer &&
        zmq_setsockopt(dealer, ZMQ_ROUTING_ID, account, strlen(account)) == 0 &&
        zmq_setsockopt(dealer, ZMQ_LINGER, &linger_ms, sizeof linger_ms) == 0 &&
        zmq_setsockopt(dealer, ZMQ_SNDHWM, &sndhwm_msgs,
                       sizeof sndhwm_msgs) == 0 &&
        zmq_setsockopt(dealer, ZMQ_IMMEDIATE, &immediate,
                       sizeof immediate) == 0 &&
        zmq_connect(dealer, endpoint) == 0)
        return dealer;
    if (dealer) {
        int saved = errno;
        zmq_close(dealer);
        errno = saved;
    }
    return NULL;
}

void hamd_gwout_init(struct hamd_gwout *self, void *dealer)
{
    memset(self, 0, sizeof *self);
    self->dealer = dealer;
}

void hamd_gwout_set_tap(struct hamd_gwout *self, void *tap)
{
    self->tap = tap;
}

/* Publishes a copy of a good tick on the tap. A PUB never blocks: a tap
 * reader that falls behind loses copies, the hub loses nothing. */
static void tap_tick(struct hamd_gwout *self, const char *vt_symbol,
                     const void *body, size_t len)
{
    if (!self->tap ||
        zmq_send(self->tap, vt_symbol, strlen(vt_symbol),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    zmq_send(self->tap, body, len, ZMQ_DONTWAIT);
}

/* Sends a frame that continues or ends a started message. ZMQ counts
 * whole messages, not frames, against the high-water mark, so a started
 * message is accepted to its end: a failure here is not back-pressure. */
static void send_rest(struct hamd_gwout *self, const void *data, size_t len,
                      int more)
{
    static struct hamd_log_rate rate;
    if (zmq_send(self->dealer, data, len, more | ZMQ_DONTWAIT) < 0)
        hamd_log_rated(&rate, HAMD_LOG_ERROR, "send to the hub: %s",
                       zmq_strerror(errno));
}

/* Opens a message with its type frame. Returns 0, or -1 when the queue is
 * full (counted) or the send failed: nothing was queued. */
static int send_type(struct hamd_gwout *self, const char *type, int more)
{
    if (zmq_send(self->dealer, type, strlen(type), more | ZMQ_DONTWAIT) < 0) {
        if (errno == EAGAIN)
            self->counters.send_full++;
        return -1;
    }
    return 0;
}

void hamd_gwout_flush(struct hamd_gwout *self)
{
    if (self->held_len == 0)
        return;
    send_rest(self, self->ticks[self->held], self->held_len, 0);
    self->held_len = 0;
    self->batch = 0;
}

/* Adds the body just encoded in the free tick buffer (len bytes) to the
 * open TICK message, opening one when none is open or it is full. The
 * held body goes out now with ZMQ_SNDMORE and the new one is held in its
 * place. Returns 0, or -1 when the queue is full and the tick was not
 * taken. */
static int batch_add(struct hamd_gwout *self, size_t len)
{
    if (self->batch == HAMD_GWOUT_TICKS_PER_MSG)
        hamd_gwout_flush(self);
    if (self->held_len > 0)
        send_rest(self, self->ticks[self->held], self->held_len, ZMQ_SNDMORE);
    else if (send_type(self, "TICK", ZMQ_SNDMORE) != 0)
        return -1;
    self->held ^= 1;
    self->held_len = len;
    self->batch++;
    return 0;
}

int hamd_gwout_frames(struct hamd_gwout *self, const char *type,
                      const void *body, size_t body_len, bool single)
{
    hamd_gwout_flush(self);
    if (send_type(self, type, single ? 0 : ZMQ_SNDMORE) != 0)
        return -1;
    if (!single)
        send_rest(self, body, body_len, 0);
    return 0;
}

int hamd_gwout_hello(struct hamd_gwout *self, const char *account, int64_t pid,
                     const char *gateway_type)
{
    struct hamd_gw_hello hello = {.pid = pid, .proto = HAMD_GW_PROTO_VERSION};
    snprintf(hello.account, sizeof hello.account, "%s", account);
    snprintf(hello.gateway_type, sizeof hello.gateway_type, "%s", gateway_type);
    const char *token = getenv(HAMD_GW_ENV_TOKEN);
    snprintf(hello.token, sizeof hello.token, "%s", token ? token : "");
    size_t len = hamd_gw_hello_encode(&hello, self->body, sizeof self->body);
    if (len == 0)
        return -1;
    return hamd_gwout_frames(self, "HELLO", self->body, len, false);
}

int hamd_gwout_status(struct hamd_gwout *self, enum hamd_gw_state state,
                      const char *detail)
{
    struct hamd_gw_status status = {.state = state};
    snprintf(status.detail, sizeof status.detail, "%s", detail);
    /* A detail cut to its 127 bytes (or by the caller) may end inside a
     * character of a non-ASCII path: the hub would drop the STATUS. */
    status.detail[hamd_utf8_whole_len(status.detail,
                                      strlen(status.detail))] = '\0';
    size_t len = hamd_gw_status_encode(&status, self->body, sizeof self->body);
    if (len == 0 || hamd_gwout_frames(self, "STATUS", self->body, len,
                                      false) != 0)
        return -1;
    self->counters.status++;
    return 0;
}

int hamd_gwout_hb(struct hamd_gwout *self, int64_t ts_ns)
{
    size_t len = hamd_gw_hb_encode(ts_ns, self->body, sizeof self->body);
    if (len == 0 || hamd_gwout_frames(self, "HB", self->body, len, false) != 0)
        return -1;
    self->counters.hb++;
    return 0;
}

int hamd_gwout_tick(struct hamd_gwout *self, const struct hamd_tick *tick)
{
    uint8_t *free_buf = self->ticks[self->held ^ 1];
    size_t len = hamd_tick_encode(tick, false, free_buf, HAMD_TICK_WIRE_MAX);
    if (len == 0) {
        static struct hamd_log_rate rate;
        hamd_log_rated(&rate, HAMD_LOG_ERROR, "cannot encode a tick of %s",
                       tick->vt_symbol);
        return 1;
    }
    if (batch_add(self, len) != 0)
        return -1;
    tap_tick(self, tick->vt_symbol, free_buf, len);
    self->counters.ticks++;
    return 0;
}
