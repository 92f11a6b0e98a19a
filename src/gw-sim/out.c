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

/* Sends [type][body] (body_len 0 with single: [type] alone) without
 * blocking. Returns 0, or -1 when nothing was queued. */
static int send_frames(struct gwsim_out *self, const char *type,
                       const void *body, size_t body_len, bool single)
{
    int more = single ? 0 : ZMQ_SNDMORE;
    if (zmq_send(self->dealer, type, strlen(type), more | ZMQ_DONTWAIT) < 0) {
        if (errno == EAGAIN)
            self->counters.send_full++;
        return -1;
    }
    /* ZMQ counts whole messages, not frames, against the high-water
     * mark, so the second frame of a started message is accepted. */
    if (!single && zmq_send(self->dealer, body, body_len, ZMQ_DONTWAIT) < 0)
        return -1;
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
    size_t len = hamd_tick_encode(tick, false, self->body, sizeof self->body);
    if (len == 0) {
        static struct hamd_log_rate rate;
        hamd_log_rated(&rate, HAMD_LOG_ERROR, "cannot encode tick %s #%lld",
                       tick->vt_symbol, (long long)n);
        return 0; /* skip it: retrying cannot help */
    }
    if (send_frames(self, "TICK", self->body, len, false) != 0)
        return -1;
    self->counters.ticks++;
    if (fault == GWSIM_FAULT_GARBAGE &&
        send_bad(self, gwsim_bad_garbage_kind(n), tick, n) == 0)
        self->counters.garbage++;
    return 0;
}
