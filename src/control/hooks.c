/* Role-change hooks. See hooks.h. */
#include "control/hooks.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "control/hook_run.h"

/* A role hook that failed (an exit status not 0, a signal, its timeout,
 * or it could not start) runs again, with the same role and term, after
 * HOOKS_RETRY_MIN_MS, doubling up to HOOKS_RETRY_MAX_MS, until it
 * succeeds or the role changes: a vip-up or keepalived-track that failed
 * once (a busy host, a full /run) would otherwise leave the VIP on no
 * host until the next role change. Role hooks must be idempotent
 * (docs/configuration.md [hooks]); every shipped one is. */
#define HOOKS_RETRY_MIN_MS 1000
#define HOOKS_RETRY_MAX_MS 30000

/* One hook run waiting for its turn. */
struct hook_job {
    struct hook_job *next;    /* next run waiting */
    bool leader;              /* on_leader, else on_follower */
    uint64_t term;            /* term of the role change */
};

struct hamd_hooks {
    uv_loop_t *loop;          /* the control loop */
    const struct hamd_config *cfg; /* [hooks] commands and timeout */
    uv_process_t proc;        /* the running hook */
    uv_timer_t timeout;       /* kills a hook that overstays */
    uv_timer_t retry;         /* runs a failed hook again */
    bool running;             /* proc is live */
    bool failed;              /* the run of `last` failed */
    uint64_t failures;        /* runs that failed, since start */
    struct hook_job last;     /* the run started last (next unused) */
    unsigned retry_ms;        /* the last retry's delay; 0 = none yet */
    struct hook_job *queue;   /* runs waiting: at most one, since a
                                 newer role change replaces it */
    bool destroyed;           /* free once the running hook ended */
    unsigned closing;         /* handles being closed */
};

static void hooks_next(struct hamd_hooks *h);
static void retry_schedule(struct hamd_hooks *h);
static bool hooks_queue(struct hamd_hooks *h, bool leader, uint64_t term);

static void hooks_free_if_done(struct hamd_hooks *h)
{
    if (h->destroyed && !h->running && h->closing == 0) {
        while (h->queue) {
            struct hook_job *j = h->queue;
            h->queue = j->next;
            free(j);
        }
        free(h);
    }
}

static void closed_cb(uv_handle_t *handle)
{
    struct hamd_hooks *h = handle->data;
    h->closing--;
    if (handle == (uv_handle_t *)&h->proc) {
        h->running = false;
        if (!h->destroyed) {
            h->failures += h->failed;
            if (h->failed && !h->queue)
                retry_schedule(h);
            else if (!h->failed)
                h->retry_ms = 0;
            hooks_next(h);
        } else {
            /* The timeout stayed armed for this hook; now it can go. */
            h->closing++;
            uv_close((uv_handle_t *)&h->timeout, closed_cb);
        }
    }
    hooks_free_if_done(h);
}

static void exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct hamd_hooks *h = p->data;
    uv_timer_stop(&h->timeout);
    h->failed = sig != 0 || status != 0;
    if (sig)
        LOG_WARN("hook (pid %d) killed by signal %d", p->pid, sig);
    else if (status != 0)
        LOG_WARN("hook (pid %d) exited with status %lld", p->pid, (long long)status);
    else
        LOG_INFO("hook (pid %d) done", p->pid);
    h->closing++;
    uv_close((uv_handle_t *)p, closed_cb);
}

static void timeout_cb(uv_timer_t *t)
{
    struct hamd_hooks *h = t->data;
    LOG_WARN("hook (pid %d) ran longer than %u ms: killing it", h->proc.pid,
             h->cfg->hook_timeout_ms);
    /* The hook leads its own process group: take its children too. */
    if (kill(-h->proc.pid, SIGKILL) != 0)
        uv_process_kill(&h->proc, SIGKILL);
}

static void hook_start(struct hamd_hooks *h, const struct hook_job *j)
{
    const char *path = j->leader ? h->cfg->on_leader : h->cfg->on_follower;
    char node[32], term[48], role[32];
    snprintf(node, sizeof node, "HAMD_NODE=%u", h->cfg->node_id);
    snprintf(term, sizeof term, "HAMD_TERM=%llu", (unsigned long long)j->term);
    snprintf(role, sizeof role, "HAMD_ROLE=%s", j->leader ? "leader" : "follower");
    const char *extra[] = {node, term, role};
    char **env = hamd_hook_run_env(extra, sizeof extra / sizeof extra[0]);
    char *args[] = {(char *)path, NULL};
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = STDOUT_FILENO},
        {.flags = UV_INHERIT_FD, .data.fd = STDERR_FILENO},
    };
    uv_process_options_t o = {.exit_cb = exit_cb, .file = path, .args = args,
                              .env = env, .stdio_count = 3, .stdio = stdio,
                              .flags = UV_PROCESS_DETACHED};
    h->proc.data = h;
    h->last = (struct hook_job){.leader = j->leader, .term = j->term};
    int rc = env ? uv_spawn(h->loop, &h->proc, &o) : UV_ENOMEM;
    free(env);
    h->running = true;
    h->failed = rc != 0;
    if (rc != 0) {
        LOG_ERROR("hook %s: cannot run: %s", path, uv_strerror(rc));
        h->closing++;
        uv_close((uv_handle_t *)&h->proc, closed_cb);
        return;
    }
    LOG_INFO("hook %s (pid %d): role %s, term %llu", path, h->proc.pid,
             j->leader ? "leader" : "follower", (unsigned long long)j->term);
    /* The loop's clock may be stale (a frozen process resumed mid-turn):
     * a timeout counted from it would kill the hook at once. */
    uv_update_time(h->loop);
    uv_timer_start(&h->timeout, timeout_cb, h->cfg->hook_timeout_ms, 0);
}

/* The retry timer fired: the failed run again, unless a role change came
 * meanwhile (it stopped the timer) or is waiting. */
static void retry_cb(uv_timer_t *t)
{
    struct hamd_hooks *h = t->data;
    if (h->running || h->queue)
        return;
    if (!hooks_queue(h, h->last.leader, h->last.term))
        retry_schedule(h);
}

/* Arms the retry of the failed run, the delay doubled from the last. */
static void retry_schedule(struct hamd_hooks *h)
{
    unsigned ms = h->retry_ms ? h->retry_ms * 2 : HOOKS_RETRY_MIN_MS;
    h->retry_ms = ms < HOOKS_RETRY_MAX_MS ? ms : HOOKS_RETRY_MAX_MS;
    LOG_WARN("hook %s failed: running it again in %u ms (role %s, term %llu)",
             h->last.leader ? h->cfg->on_leader : h->cfg->on_follower,
             h->retry_ms, h->last.leader ? "leader" : "follower",
             (unsigned long long)h->last.term);
    uv_timer_start(&h->retry, retry_cb, h->retry_ms, 0);
}

static void hooks_next(struct hamd_hooks *h)
{
    while (!h->running && h->queue) {
        struct hook_job *j = h->queue;
        h->queue = j->next;
        const char *path = j->leader ? h->cfg->on_leader : h->cfg->on_follower;
        if (path[0])
            hook_start(h, j);
        free(j);
    }
}

struct hamd_hooks *hamd_hooks_new(uv_loop_t *loop, const struct hamd_config *cfg)
{
    struct hamd_hooks *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->loop = loop;
    h->cfg = cfg;
    uv_timer_init(loop, &h->timeout);
    h->timeout.data = h;
    uv_timer_init(loop, &h->retry);
    h->retry.data = h;
    hamd_hooks_role(h, false, 0);
    return h;
}

/* Queues a run of the role's hook and starts it when none runs. Only
 * the latest role matters: a run not started yet is replaced, so a burst
 * of lease changes moves the VIP once, to where it belongs. Returns false
 * when out of memory. */
static bool hooks_queue(struct hamd_hooks *h, bool leader, uint64_t term)
{
    struct hook_job *j = calloc(1, sizeof *j);
    if (!j)
        return false;
    j->leader = leader;
    j->term = term;
    while (h->queue) {
        struct hook_job *stale = h->queue;
        h->queue = stale->next;
        free(stale);
    }
    h->queue = j;
    hooks_next(h);
    return true;
}

void hamd_hooks_role(struct hamd_hooks *self, bool leader, uint64_t term)
{
    if (!self || self->destroyed)
        return;
    /* A new role: whatever failed before is moot, and its delays too. */
    uv_timer_stop(&self->retry);
    self->retry_ms = 0;
    hooks_queue(self, leader, term);
}

void hamd_hooks_figures(const struct hamd_hooks *self,
                        struct hamd_hooks_figures *out)
{
    *out = (struct hamd_hooks_figures){0};
    if (!self)
        return;
    out->failures = self->failures;
    /* a retry armed, or one running after a failure */
    out->failing = uv_is_active((const uv_handle_t *)&self->retry) ||
                   (self->running && self->retry_ms > 0);
}

void hamd_hooks_destroy(struct hamd_hooks **self)
{
    struct hamd_hooks *h = *self;
    if (!h)
        return;
    *self = NULL;
    h->destroyed = true;
    h->closing++;
    uv_close((uv_handle_t *)&h->retry, closed_cb);
    /* A running hook (the last on_follower, say) keeps its timeout. */
    if (h->running)
        return;
    h->closing++;
    uv_close((uv_handle_t *)&h->timeout, closed_cb);
}
