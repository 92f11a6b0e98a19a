/* One run of a hook program. See hook_run.h. */
#include "control/hook_run.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "config/config.h"

extern char **environ;

#define HOOK_RUN_HANDLES 3 /* process, stdin pipe, timeout timer */

/* A run in flight; freed once its three handles are closed. */
struct hook_run {
    uv_process_t proc;            /* the program */
    uv_pipe_t in;                 /* its stdin */
    uv_timer_t timeout;           /* kills it when it overstays */
    uv_write_t write;             /* the input being written */
    char *input;                  /* copy of the input, or NULL */
    size_t input_len;             /* its length */
    char *label;                  /* "on_event", for log lines */
    unsigned timeout_ms;          /* what timeout counts down */
    hamd_hook_run_cb done;        /* told once at the end */
    void *ud;                     /* its argument */
    int status;                   /* 0 ran, < 0 could not be started */
    int64_t exit_status;          /* its exit status */
    int sig;                      /* the signal that ended it, 0 if none */
    unsigned open;                /* handles not closed yet, of
                                     HOOK_RUN_HANDLES */
};

char **hamd_hook_run_env(const char *const *extra, size_t n_extra)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + n_extra + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!hamd_config_env_is_account(environ[i]))
            env[k++] = environ[i];
    memcpy(env + k, extra, n_extra * sizeof *env);
    return env;
}

static void run_free(struct hook_run *r)
{
    free(r->input);
    free(r->label);
    free(r);
}

static void closed_cb(uv_handle_t *h)
{
    struct hook_run *r = h->data;
    if (--r->open > 0)
        return;
    if (r->done)
        r->done(r->ud, r->status, r->exit_status, r->sig);
    run_free(r);
}

static void close_once(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, closed_cb);
}

static void written_cb(uv_write_t *w, int status)
{
    struct hook_run *r = w->data;
    if (status < 0 && status != UV_ECANCELED && status != UV_EPIPE)
        LOG_WARN("%s hook (pid %d): cannot write its input: %s", r->label,
                 r->proc.pid, uv_strerror(status));
    /* Closing stdin is the program's end of input. */
    close_once((uv_handle_t *)&r->in);
}

static void exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct hook_run *r = p->data;
    uv_timer_stop(&r->timeout);
    r->exit_status = status;
    r->sig = sig;
    if (sig)
        LOG_WARN("%s hook (pid %d) killed by signal %d", r->label, p->pid, sig);
    else if (status != 0)
        LOG_WARN("%s hook (pid %d) exited with status %lld", r->label, p->pid,
                 (long long)status);
    else
        LOG_INFO("%s hook (pid %d) done", r->label, p->pid);
    close_once((uv_handle_t *)p);
    close_once((uv_handle_t *)&r->timeout);
    close_once((uv_handle_t *)&r->in); /* cancels an unread input */
}

static void timeout_cb(uv_timer_t *t)
{
    struct hook_run *r = t->data;
    LOG_WARN("%s hook (pid %d) ran longer than %u ms: killing it", r->label,
             r->proc.pid, r->timeout_ms);
    /* It leads its own process group: take its children too. */
    if (kill(-r->proc.pid, SIGKILL) != 0)
        uv_process_kill(&r->proc, SIGKILL);
}

/* Spawns the program; on failure closes everything (done follows). */
static void run_spawn(uv_loop_t *loop, struct hook_run *r,
                      const struct hamd_hook_run_opts *o, char **env)
{
    char *args[] = {(char *)o->path, NULL};
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = STDOUT_FILENO},
        {.flags = UV_INHERIT_FD, .data.fd = STDERR_FILENO},
    };
    if (r->input) {
        stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
        stdio[0].data.stream = (uv_stream_t *)&r->in;
    }
    uv_process_options_t po = {.exit_cb = exit_cb, .file = o->path,
                               .args = args, .env = env, .stdio_count = 3,
                               .stdio = stdio, .flags = UV_PROCESS_DETACHED};
    int rc = uv_spawn(loop, &r->proc, &po);
    if (rc != 0) {
        LOG_ERROR("%s hook %s: cannot run: %s", r->label, o->path, uv_strerror(rc));
        r->status = rc;
        close_once((uv_handle_t *)&r->proc);
        close_once((uv_handle_t *)&r->timeout);
        close_once((uv_handle_t *)&r->in);
        return;
    }
    /* The loop's clock may be stale (a long callback before this one):
     * a timeout counted from it would fire early. */
    uv_update_time(loop);
    uv_timer_start(&r->timeout, timeout_cb, r->timeout_ms, 0);
    if (!r->input) {
        close_once((uv_handle_t *)&r->in);
        return;
    }
    uv_buf_t buf = uv_buf_init(r->input, (unsigned)r->input_len);
    if (uv_write(&r->write, (uv_stream_t *)&r->in, &buf, 1, written_cb) != 0)
        close_once((uv_handle_t *)&r->in);
}

int hamd_hook_run_start(uv_loop_t *loop, const struct hamd_hook_run_opts *o,
                        hamd_hook_run_cb done, void *ud)
{
    struct hook_run *r = calloc(1, sizeof *r);
    char **env = hamd_hook_run_env(o->env, o->n_env);
    if (r) {
        r->label = strdup(o->label ? o->label : "hook");
        r->input = o->input ? malloc(o->input_len ? o->input_len : 1) : NULL;
    }
    if (!r || !env || !r->label || (o->input && !r->input)) {
        free(env);
        if (r)
            run_free(r);
        return UV_ENOMEM;
    }
    if (o->input)
        memcpy(r->input, o->input, o->input_len);
    r->input_len = o->input_len;
    r->timeout_ms = o->timeout_ms;
    r->done = done;
    r->ud = ud;
    r->proc.data = r->in.data = r->timeout.data = r->write.data = r;
    r->open = HOOK_RUN_HANDLES; /* uv_spawn inits proc even when it fails */
    uv_pipe_init(loop, &r->in, 0);
    uv_timer_init(loop, &r->timeout);
    run_spawn(loop, r, o, env);
    free(env);
    return 0;
}
