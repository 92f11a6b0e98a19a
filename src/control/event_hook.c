/* The event hook. See event_hook.h. */
#include "control/event_hook.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/hook_run.h"

#define EVENT_HOOK_TYPE_MAX 64   /* bytes of an event type kept for the env */

/* One event waiting for a run slot. */
struct event_job {
    struct event_job *next;           /* next in commit order */
    uint64_t seq;                     /* its history number */
    char type[EVENT_HOOK_TYPE_MAX];   /* its event_type */
    size_t len;                       /* bytes of json, newline included */
    char json[];                      /* the event and a newline */
};

struct hamd_event_hook {
    uv_loop_t *loop;                  /* the control loop */
    const struct hamd_config *cfg;    /* [hooks] on_event and its limits */
    struct event_job *head, *tail;    /* waiting events, oldest first */
    unsigned queued;                  /* how many wait */
    unsigned running;                 /* runs in flight */
    uint64_t dropped;                 /* events dropped, queue full */
    uint64_t dropped_logged;          /* dropped when last reported */
    bool destroyed;                   /* free once nothing runs */
};

static void event_hook_next(struct hamd_event_hook *h);

static void event_hook_free_if_done(struct hamd_event_hook *h)
{
    if (h->destroyed && h->running == 0)
        free(h);
}

static void event_hook_run_cb(void *ud, int status, int64_t exit_status,
                              int term_signal)
{
    struct hamd_event_hook *h = ud;
    (void)status; /* hook_run.c logged how it ended */
    (void)exit_status;
    (void)term_signal;
    h->running--;
    if (!h->destroyed)
        event_hook_next(h);
    event_hook_free_if_done(h);
}

/* Starts job (and frees it). */
static void event_hook_start(struct hamd_event_hook *h, struct event_job *j)
{
    char node[32], type[EVENT_HOOK_TYPE_MAX + 24], seq[48];
    snprintf(node, sizeof node, "HAMD_NODE=%u", h->cfg->node_id);
    snprintf(type, sizeof type, "HAMD_EVENT_TYPE=%s", j->type);
    snprintf(seq, sizeof seq, "HAMD_EVENT_SEQ=%" PRIu64, j->seq);
    const char *env[] = {node, type, seq};
    struct hamd_hook_run_opts o = {
        .path = h->cfg->on_event, .label = "on_event", .env = env,
        .n_env = sizeof env / sizeof env[0], .input = j->json,
        .input_len = j->len, .timeout_ms = h->cfg->event_hook_timeout_ms};
    if (hamd_hook_run_start(h->loop, &o, event_hook_run_cb, h) == 0)
        h->running++;
    else
        LOG_WARN("on_event: out of memory: event %" PRIu64 " not handed over",
                 j->seq);
    free(j);
}

static void event_hook_next(struct hamd_event_hook *h)
{
    while (h->head && h->running < h->cfg->event_hook_max_running) {
        struct event_job *j = h->head;
        h->head = j->next;
        if (!h->head)
            h->tail = NULL;
        h->queued--;
        event_hook_start(h, j);
    }
    if (h->dropped != h->dropped_logged && h->queued == 0) {
        LOG_WARN("on_event: caught up; %" PRIu64 " events were dropped "
                 "while the queue was full", h->dropped - h->dropped_logged);
        h->dropped_logged = h->dropped;
    }
}

struct hamd_event_hook *hamd_event_hook_new(uv_loop_t *loop,
                                            const struct hamd_config *cfg)
{
    struct hamd_event_hook *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->loop = loop;
    h->cfg = cfg;
    return h;
}

void hamd_event_hook_submit(struct hamd_event_hook *self, uint64_t seq,
                            const json_t *ev)
{
    if (!self || self->destroyed || !self->cfg->on_event[0])
        return;
    if (self->queued >= EVENT_HOOK_QUEUE_MAX) {
        if (self->dropped++ == self->dropped_logged)
            LOG_WARN("on_event: %u events wait for %s: dropping new ones",
                     self->queued, self->cfg->on_event);
        return;
    }
    char *json = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t len = json ? strlen(json) : 0;
    struct event_job *j = json ? malloc(sizeof *j + len + 2) : NULL;
    if (!j) {
        free(json);
        return;
    }
    const char *type = json_string_value(json_object_get(ev, "event_type"));
    j->next = NULL;
    j->seq = seq;
    snprintf(j->type, sizeof j->type, "%s", type ? type : "");
    memcpy(j->json, json, len);
    free(json);
    j->json[len] = '\n';
    j->json[len + 1] = '\0';
    j->len = len + 1;
    if (self->tail)
        self->tail->next = j;
    else
        self->head = j;
    self->tail = j;
    self->queued++;
    event_hook_next(self);
}

uint64_t hamd_event_hook_dropped(const struct hamd_event_hook *self)
{
    return self ? self->dropped : 0;
}

void hamd_event_hook_destroy(struct hamd_event_hook **self)
{
    struct hamd_event_hook *h = *self;
    if (!h)
        return;
    *self = NULL;
    h->destroyed = true;
    while (h->head) {
        struct event_job *j = h->head;
        h->head = j->next;
        free(j);
    }
    h->tail = NULL;
    h->queued = 0;
    event_hook_free_if_done(h);
}
