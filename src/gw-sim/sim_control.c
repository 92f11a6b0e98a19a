/* hamd-gw-sim: the control endpoint (REP): fault switches and status. */
#include "gw-sim/sim_internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw-common/gwin.h"
#include "gw-sim/control.h"

#define GWSIM_CRASH_REPLY_LINGER_MS 100 /* let "ok" reach a crash requester */
#define GWSIM_REPLY_MAX 512             /* bytes of a control error reply */

/* The "upstream" member of the status: the front link and what came over
 * it; JSON null outside upstream mode. */
static json_t *upstream_json(const struct gwsim *self, int64_t now_ms)
{
    const struct gwsim_upstream *up = &self->up;
    if (!gwsim_upstream_mode(self))
        return json_null();
    return json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "endpoint", self->params->upstream,
        "link", up->link.up ? "up" : "down",
        "silent_ms", (json_int_t)gwsim_uplink_silent_ms(&up->link, now_ms),
        "ups", (json_int_t)up->link.ups,
        "losses", (json_int_t)up->link.losses,
        "reconnects", (json_int_t)up->reconnects,
        "received", (json_int_t)up->received,
        "discarded", (json_int_t)up->discarded,
        "unsubscribed", (json_int_t)up->unsubscribed,
        "bad", (json_int_t)up->bad,
        "queued", (json_int_t)up->queue->count,
        "queue_dropped", (json_int_t)up->queue->dropped);
}

/* The "status" reply: fault, link and counters as JSON (caller frees). */
static char *status_json(const struct gwsim *self, int64_t now_ms)
{
    const struct gwsim_faults *f = &self->faults;
    const struct hamd_gwout_counters *c = &self->out.gw.counters;
    json_t *counters = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "ticks", (json_int_t)c->ticks,
        "garbage", (json_int_t)self->out.garbage,
        "wrong", (json_int_t)self->out.wrong,
        "hb", (json_int_t)c->hb,
        "status", (json_int_t)c->status,
        "send_full", (json_int_t)c->send_full,
        "hub_bad", (json_int_t)self->hub_bad,
        "ignored_symbols", (json_int_t)self->ignored_symbols);
    json_t *arg = f->arg_ms >= 0 ? json_integer(f->arg_ms) : json_null();
    json_t *root = json_pack(
        "{s:s, s:I, s:s, s:o, s:I, s:s, s:I, s:I, s:o, s:o}",
        "account", self->account,
        "pid", (json_int_t)getpid(),
        "fault", gwsim_fault_name(f->fault),
        "fault_arg_ms", arg,
        "fault_age_ms", (json_int_t)(now_ms - f->since_ms),
        "link", hamd_gw_state_name(f->link),
        "subscribed", (json_int_t)self->subs->count,
        "seed", (json_int_t)self->params->seed,
        "counters", counters,
        "upstream", upstream_json(self, now_ms));
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

/* Sends a text reply on the control socket. */
static void reply(struct gwsim *self, const char *text)
{
    if (zmq_send(self->control, text, strlen(text), 0) < 0)
        LOG_WARN("control reply failed: %s", zmq_strerror(errno));
}

/* The crash fault asked over the control socket: answer, then crash. */
static void crash_after_reply(struct gwsim *self)
{
    int linger = GWSIM_CRASH_REPLY_LINGER_MS, none = 0;
    reply(self, "ok");
    zmq_setsockopt(self->control, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->dealer, ZMQ_LINGER, &none, sizeof none);
    zmq_close(self->control);
    zmq_close(self->dealer);
    gwsim_close_aux(self);
    zmq_ctx_term(self->zctx); /* returns once "ok" is out or linger ends */
    gwsim_crash_now();
}

/* Carries out one parsed control command. */
static void run_command(struct gwsim *self, const struct gwsim_command *cmd)
{
    int64_t now_ms = gwsim_mono_ms();
    if (cmd->kind == GWSIM_CMD_STATUS) {
        char *text = status_json(self, now_ms);
        reply(self, text ? text : "error: out of memory");
        free(text);
        return;
    }
    if (cmd->arg_ms >= 0)
        LOG_INFO("control: fault %s %lld ms", gwsim_fault_name(cmd->fault),
                 (long long)cmd->arg_ms);
    else
        LOG_INFO("control: fault %s", gwsim_fault_name(cmd->fault));
    if (cmd->fault == GWSIM_FAULT_CRASH)
        crash_after_reply(self);
    struct gwsim_effects fx;
    gwsim_faults_set(&self->faults, cmd->fault, cmd->arg_ms, now_ms, &fx);
    gwsim_apply_effects(self, &fx);
    reply(self, "ok");
}

void gwsim_control_serve(struct gwsim *self)
{
    struct hamd_gwin_msg req; /* one text frame; more are dropped */
    if (!hamd_gwin_recv(self->control, &req))
        return;
    struct gwsim_command cmd;
    char err[GWSIM_REPLY_MAX / 2], text[GWSIM_REPLY_MAX];
    if (gwsim_command_parse(zmq_msg_data(&req.type), zmq_msg_size(&req.type),
                            &cmd, err, sizeof err) != 0) {
        snprintf(text, sizeof text, "error: %s", err);
        reply(self, text);
    } else {
        run_command(self, &cmd);
    }
    hamd_gwin_close(&req);
}
