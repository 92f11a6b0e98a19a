/* systemd notification and watchdog. See notify.h. */
#include "control/notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "common/log.h"

#define NOTIFY_STATUS_MAX 160        /* bytes of a STATUS= message */
#define NOTIFY_WATCHDOG_MIN_MS 1     /* a WATCHDOG_USEC under 2 ms */
#define NOTIFY_US_PER_MS 1000

struct hamd_notify {
    uv_timer_t watchdog;             /* pings WATCHDOG=1 while the loop turns */
    unsigned node_id;                /* this node, for STATUS= */
    unsigned watchdog_ms;            /* ping interval; 0 = no watchdog */
    bool ready;                      /* READY=1 sent */
    bool stopping;                   /* STOPPING=1 sent */
    char status[NOTIFY_STATUS_MAX];  /* last STATUS= text sent */
};

/* Sends one message; errors are logged once, never fatal: a node runs
 * the same whether or not systemd hears it. */
static void notify_send(const char *msg)
{
    static bool warned;
    int rc = sd_notify(0, msg);
    if (rc < 0 && !warned) {
        warned = true;
        LOG_WARN("sd_notify: %s (NOTIFY_SOCKET=%s)", strerror(-rc),
                 getenv("NOTIFY_SOCKET") ? getenv("NOTIFY_SOCKET") : "");
    }
}

static void watchdog_cb(uv_timer_t *t)
{
    (void)t;
    notify_send("WATCHDOG=1");
}

/* The ping interval systemd asks for (half of WATCHDOG_USEC, as
 * sd_watchdog_enabled(3) advises), or 0. */
static unsigned watchdog_interval_ms(void)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    uint64_t ms = usec / 2 / NOTIFY_US_PER_MS;
    if (ms < NOTIFY_WATCHDOG_MIN_MS)
        ms = NOTIFY_WATCHDOG_MIN_MS;
    return ms > UINT32_MAX ? UINT32_MAX : (unsigned)ms;
}

struct hamd_notify *hamd_notify_new(uv_loop_t *loop, unsigned node_id)
{
    struct hamd_notify *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->node_id = node_id;
    uv_timer_init(loop, &n->watchdog);
    n->watchdog.data = n;
    n->watchdog_ms = watchdog_interval_ms();
    if (n->watchdog_ms) {
        LOG_INFO("systemd watchdog: a ping every %u ms", n->watchdog_ms);
        uv_timer_start(&n->watchdog, watchdog_cb, n->watchdog_ms, n->watchdog_ms);
    }
    return n;
}

/* The STATUS= text of st. */
static void status_text(const struct hamd_notify *n,
                        const struct hamd_notify_state *st, char *out,
                        size_t size)
{
    if (!st->store_ok) {
        snprintf(out, size, "STATUS=node %u: store failed", n->node_id);
        return;
    }
    if (strcmp(st->role, "unavailable") == 0) {
        snprintf(out, size, "STATUS=node %u: raft not started", n->node_id);
        return;
    }
    char leader[48] = "";
    if (!st->publishing && st->leader_id && st->leader_id != n->node_id)
        snprintf(leader, sizeof leader, ", leader node %" PRIu64, st->leader_id);
    snprintf(out, size, "STATUS=node %u: %s, term %" PRIu64 "%s%s", n->node_id,
             st->role, st->term, leader,
             st->publishing ? ", publishing" : ", not publishing");
}

void hamd_notify_state(struct hamd_notify *self,
                       const struct hamd_notify_state *st)
{
    if (!self || self->stopping)
        return;
    char text[NOTIFY_STATUS_MAX];
    status_text(self, st, text, sizeof text);
    bool ready = st->store_ok && strcmp(st->role, "unavailable") != 0;
    if (ready && !self->ready) {
        self->ready = true;
        char msg[NOTIFY_STATUS_MAX + 16];
        snprintf(msg, sizeof msg, "READY=1\n%s", text);
        notify_send(msg);
    } else if (strcmp(text, self->status) != 0) {
        notify_send(text);
    }
    snprintf(self->status, sizeof self->status, "%s", text);
}

void hamd_notify_stopping(struct hamd_notify *self, const char *why)
{
    if (!self || self->stopping)
        return;
    self->stopping = true;
    char msg[NOTIFY_STATUS_MAX];
    snprintf(msg, sizeof msg, "STOPPING=1\nSTATUS=node %u: stopping (%s)",
             self->node_id, why);
    notify_send(msg);
}

unsigned hamd_notify_watchdog_ms(const struct hamd_notify *self)
{
    return self ? self->watchdog_ms : 0;
}

static void closed_cb(uv_handle_t *h)
{
    free(h->data);
}

void hamd_notify_destroy(struct hamd_notify **self)
{
    struct hamd_notify *n = *self;
    if (!n)
        return;
    *self = NULL;
    uv_timer_stop(&n->watchdog);
    uv_close((uv_handle_t *)&n->watchdog, closed_cb);
}
