/* Messages to the hub: see out.h. */
#include "gw-sim/out.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "common/log.h"
#include "gw-sim/badmsg.h"

#define GWSIM_GATEWAY_TYPE "sim" /* gateway_type of its HELLO */

void gwsim_out_init(struct gwsim_out *self, void *dealer)
{
    memset(self, 0, sizeof *self);
    self->dealer = dealer;
}

void gwsim_out_set_tap(struct gwsim_out *self, void *tap)
{
    self->tap = tap;
}

/* Publishes a copy of a good tick on the tap. A PUB never blocks: a tap
 * reader that falls behind loses copies, the hub loses nothing. */
static void tap_tick(struct gwsim_out *self, const char *vt_symbol,
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
static void send_rest(struct gwsim_out *self, const void *data, size_t len,
                      int more)
{
    static struct hamd_log_rate rate;
    if (zmq_send(self->dealer, data, len, more | ZMQ_DONTWAIT) < 0)
        hamd_log_rated(&rate, HAMD_LOG_ERROR, "send to the hub: %s",
                       zmq_strerror(errno));
}

/* Opens a message with its type frame. Returns 0, or -1 when the queue is
 * full (counted) or the send failed: nothing was queued. */
static int send_type(struct gwsim_out *self, const char *type, int more)
{
    if (zmq_send(self->dealer, type, strlen(type), more | ZMQ_DONTWAIT) < 0) {
        if (errno == EAGAIN)
            self->counters.send_full++;
        return -1;
    }
    return 0;
}

void gwsim_out_flush(struct gwsim_out *self)
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
static int batch_add(struct gwsim_out *self, size_t len)
{
    if (self->batch == GWSIM_TICKS_PER_MSG)
        gwsim_out_flush(self);
    if (self->held_len > 0)
        send_rest(self, self->ticks[self->held], self->held_len, ZMQ_SNDMORE);
    else if (send_type(self, "TICK", ZMQ_SNDMORE) != 0)
        return -1;
    self->held ^= 1;
    self->held_len = len;
    self->batch++;
    return 0;
}

/* Sends [type][body] (body_len 0 with single: [type] alone) without
 * blocking, after the open TICK message. Returns 0, or -1 when nothing
 * was queued. */
static int send_frames(struct gwsim_out *self, const char *type,
                       const void *body, size_t body_len, bool single)
{
    gwsim_out_flush(self);
    if (send_type(self, type, single ? 0 : ZMQ_SNDMORE) != 0)
        return -1;
    if (!single)
        send_rest(self, body, body_len, 0);
    return 0;
}

int gwsim_out_hello(struct gwsim_out *self, const char *account, int64_t pid)
{
    struct hamd_gw_hello hello = {.pid = pid, .proto = HAMD_GW_PROTO_VERSION};
    snprintf(hello.account, sizeof hello.account, "%s", account);
    snprintf(hello.gateway_type, sizeof hello.gateway_type, "%s",
             GWSIM_GATEWAY_TYPE);
    size_t len = hamd_gw_hello_encode(&hello, self->body, sizeof self->body);
    if (len == 0)
        return -1;
    return send_frames(self, "HELLO", self->body, len, false);
}

int gwsim_out_status(struct gwsim_out *self, enum hamd_gw_state state,
                     const char *detail)
{
    struct hamd_gw_status status = {.state = state};
    snprintf(status.detail, sizeof status.detail, "%s", detail);
    size_t len = hamd_gw_status_encode(&status, self->body, sizeof self->body);
    if (len == 0 || send_frames(self, "STATUS", self->body, len, false) != 0)
        return -1;
    self->counters.status++;
    return 0;
}

int gwsim_out_hb(struct gwsim_out *self, int64_t ts_ns)
{
    size_t len = hamd_gw_hb_encode(ts_ns, self->body, sizeof self->body);
    if (len == 0 || send_frames(self, "HB", self->body, len, false) != 0)
        return -1;
    self->counters.hb++;
    return 0;
}

/* Sends one malformed message of the given kind, derived from tick n. */
static int send_bad(struct gwsim_out *self, enum gwsim_bad kind,
                    const struct hamd_tick *tick, int64_t n)
{
    size_t len = gwsim_bad_encode(kind, tick, n, self->body, sizeof self->body);
    bool single = gwsim_bad_frames(kind) == 1;
    if (!single && len == 0)
        return -1;
    return send_frames(self, gwsim_bad_type_frame(kind), self->body, len,
                       single);
}

int gwsim_out_tick(struct gwsim_out *self, const struct hamd_tick *tick,
                   int64_t n, enum gwsim_fault fault)
{
    if (fault == GWSIM_FAULT_WRONG) {
        if (send_bad(self, gwsim_bad_wrong_kind(n), tick, n) != 0)
            return -1;
        self->counters.wrong++;
        return 0;
    }
    uint8_t *free_buf = self->ticks[self->held ^ 1];
    size_t len = hamd_tick_encode(tick, false, free_buf, HAMD_TICK_WIRE_MAX);
    if (len == 0) {
        static struct hamd_log_rate rate;
        hamd_log_rated(&rate, HAMD_LOG_ERROR, "cannot encode tick %s #%lld",
                       tick->vt_symbol, (long long)n);
        return 0; /* skip it: retrying cannot help */
    }
    if (batch_add(self, len) != 0)
        return -1;
    tap_tick(self, tick->vt_symbol, free_buf, len);
    self->counters.ticks++;
    if (fault == GWSIM_FAULT_GARBAGE &&
        send_bad(self, gwsim_bad_garbage_kind(n), tick, n) == 0)
        self->counters.garbage++;
    return 0;
}
