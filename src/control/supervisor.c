/* Gateway supervisor. See supervisor.h. */
#include "control/supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/log.h"
#include "config/config.h"
#include "hamd/gwproto.h"

#define SUP_PARENT_ENV "HAMD_PARENT_PID" /* tells a child its hamd */
#define SUP_ENV_ADDED 5     /* variables env_build adds for a gateway */
#define SUP_TOKEN_BYTES 32  /* random bytes of a launch token (64 hex) */
#define SUP_EXIT_NO_EXEC 127 /* exit status: could not execute (as sh) */

extern char **environ;

/* One supervised gateway process. */
struct sup_child {
    struct hamd_supervisor *sup;  /* owner */
    struct sup_child *next;       /* owner's list */
    char account[HAMD_ACCOUNT_ID_MAX]; /* the account it serves */
    char exe[PATH_MAX];           /* the gateway executable */
    char *params;                 /* JSON text, heap (secrets in clear:
                                     wiped when freed) */
    char token[2 * SUP_TOKEN_BYTES + 1]; /* the current launch's token */
    uv_process_t proc;            /* valid while proc_open */
    uv_timer_t timer;             /* relaunch or kill-grace timer */
    bool proc_open;               /* proc handle initialised, not closed */
    bool relaunch;                /* launch again once it has exited */
    struct hamd_sup_info info;    /* what hamd_supervisor_info returns */
};

struct hamd_supervisor {
    uv_loop_t *loop;                  /* the control loop */
    struct hamd_sup_opts opts;        /* copied at creation */
    struct hamd_sup_hooks hooks;      /* copied at creation */
    struct sup_child *children;       /* every account's process */
    hamd_supervisor_shutdown_cb shutdown_done; /* pending shutdown callback */
    void *shutdown_ud;                /* its argument */
    bool shutting_down;               /* no relaunches from now on */
};

static void child_launch(struct sup_child *c);

static void launch_timer_cb(uv_timer_t *t)
{
    child_launch(t->data);
}

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static struct sup_child *child_find(struct hamd_supervisor *sup,
                                    const char *account)
{
    for (struct sup_child *c = sup->children; c; c = c->next)
        if (strcmp(c->account, account) == 0)
            return c;
    return NULL;
}

static bool all_stopped(struct hamd_supervisor *sup)
{
    for (struct sup_child *c = sup->children; c; c = c->next)
        if (c->proc_open)
            return false;
    return true;
}

static void maybe_finish_shutdown(struct hamd_supervisor *sup)
{
    if (!sup->shutting_down || !sup->shutdown_done || !all_stopped(sup))
        return;
    hamd_supervisor_shutdown_cb done = sup->shutdown_done;
    sup->shutdown_done = NULL;
    done(sup->shutdown_ud, 0);
}

/* Builds environ, less the account overrides (their params may hold
 * passwords: only the account's own gateway gets them, in HAMD_GW_PARAMS),
 * + the gateway protocol variables; free with env_free. */
static char **env_build(const struct sup_child *c)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + SUP_ENV_ADDED + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "HAMD_GW_", strlen("HAMD_GW_")) != 0 &&
            strncmp(environ[i], "HAMD_ACCOUNT=", strlen("HAMD_ACCOUNT=")) != 0 &&
            !hamd_config_env_is_account(environ[i]))
            env[k++] = strdup(environ[i]);
    const struct hamd_sup_opts *o = &c->sup->opts;
    if (asprintf(&env[k++], "%s=%s", HAMD_GW_ENV_ENDPOINT, o->gw_endpoint) < 0 ||
        asprintf(&env[k++], "%s=%s", HAMD_GW_ENV_ACCOUNT, c->account) < 0 ||
        asprintf(&env[k++], "%s=%s", HAMD_GW_ENV_PARAMS, c->params) < 0 ||
        asprintf(&env[k++], "%s=%s", HAMD_GW_ENV_TOKEN, c->token) < 0 ||
        asprintf(&env[k++], "%s=%d", SUP_PARENT_ENV, (int)getpid()) < 0)
        env[k - 1] = NULL;
    return env;
}

static void env_free(char **env)
{
    if (!env)
        return;
    for (char **e = env; *e; e++) {
        explicit_bzero(*e, strlen(*e)); /* params and token in clear */
        free(*e);
    }
    free(env);
}

/* A fresh random token for the next launch, told to the data plane
 * first (docs/security.md). Returns 0, or -1 when the kernel gives no
 * randomness. */
static int token_new(struct sup_child *c)
{
    unsigned char raw[SUP_TOKEN_BYTES];
    static const char hex[] = "0123456789abcdef";
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return -1;
    for (size_t i = 0; i < sizeof raw; i++) {
        c->token[2 * i] = hex[raw[i] >> 4];
        c->token[2 * i + 1] = hex[raw[i] & 0x0f];
    }
    c->token[2 * sizeof raw] = '\0';
    explicit_bzero(raw, sizeof raw);
    const struct hamd_sup_hooks *h = &c->sup->hooks;
    if (h->on_token)
        h->on_token(h->ud, c->account, c->token);
    return 0;
}

/* ------------------------------------------------------------------------
 * Process life cycle
 * ------------------------------------------------------------------------ */

static void schedule_relaunch(struct sup_child *c)
{
    const struct hamd_sup_hooks *h = &c->sup->hooks;
    unsigned delay = h->relaunch_delay_ms(h->ud, c->account);
    c->info.state = HAMD_SUP_BACKOFF;
    LOG_INFO("gateway %s: relaunch in %u ms", c->account, delay);
    uv_timer_start(&c->timer, launch_timer_cb, delay, 0);
}

/* Relaunches wait for the handle to close: one process at a time. */
static void proc_closed_cb(uv_handle_t *h)
{
    struct sup_child *c = h->data;
    c->proc_open = false;
    if (c->relaunch && !c->sup->shutting_down) {
        c->relaunch = false;
        schedule_relaunch(c);
        return;
    }
    maybe_finish_shutdown(c->sup);
}

static bool child_holds(struct sup_child *c)
{
    const struct hamd_sup_hooks *h = &c->sup->hooks;
    if (!h->holds || !h->holds(h->ud, c->account))
        return false;
    LOG_WARN("gateway %s: held, not relaunched: its last STATUS was error",
             c->account);
    return true;
}

static void proc_exit_cb(uv_process_t *p, int64_t exit_status, int term_signal)
{
    struct sup_child *c = p->data;
    uv_timer_stop(&c->timer);
    int status = term_signal ? -term_signal : (int)exit_status;
    if (term_signal)
        snprintf(c->info.last_exit, sizeof c->info.last_exit, "signal %d",
                 term_signal);
    else
        snprintf(c->info.last_exit, sizeof c->info.last_exit, "exit %d",
                 (int)exit_status);
    LOG_INFO("gateway %s (pid %d) ended: %s", c->account, c->info.pid,
             c->info.last_exit);
    /* An exit nobody asked for is a crash: relaunch it, unless the
     * process (one that ran: not a failed spawn) said it cannot work with
     * these params (held). */
    bool held = false;
    if (c->info.state == HAMD_SUP_RUNNING && !c->sup->shutting_down) {
        held = c->info.pid > 0 && child_holds(c);
        c->relaunch = !held;
    }
    c->info.pid = 0;
    c->info.state = c->relaunch ? HAMD_SUP_BACKOFF
                    : held      ? HAMD_SUP_HELD
                                : HAMD_SUP_STOPPED;
    uv_close((uv_handle_t *)&c->proc, proc_closed_cb);
    if (c->sup->hooks.on_exit)
        c->sup->hooks.on_exit(c->sup->hooks.ud, c->account, status);
}

static void child_launch(struct sup_child *c)
{
    struct hamd_supervisor *sup = c->sup;
    if (c->proc_open || sup->shutting_down)
        return;
    char *args[] = {sup->opts.self_exe, "--gw-launch", c->exe, NULL};
    char **env = token_new(c) == 0 ? env_build(c) : NULL;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = STDOUT_FILENO},
        {.flags = UV_INHERIT_FD, .data.fd = STDERR_FILENO},
    };
    uv_process_options_t opts = {
        .exit_cb = proc_exit_cb,
        .file = sup->opts.self_exe,
        .args = args,
        .env = env,
        .flags = UV_PROCESS_DETACHED,
        .stdio_count = 3,
        .stdio = stdio,
    };
    c->proc.data = c;
    int rc = env ? uv_spawn(sup->loop, &c->proc, &opts) : UV_ENOMEM;
    env_free(env);
    c->proc_open = true; /* uv_spawn initialises the handle even on error */
    if (rc != 0) {
        LOG_ERROR("gateway %s: cannot start %s: %s", c->account, c->exe,
                  uv_strerror(rc));
        snprintf(c->info.last_exit, sizeof c->info.last_exit, "spawn: %s",
                 uv_err_name(rc));
        c->info.started_ms = (int64_t)uv_now(sup->loop);
        c->info.state = HAMD_SUP_RUNNING; /* so the failure relaunches */
        proc_exit_cb(&c->proc, SUP_EXIT_NO_EXEC, 0);
        return;
    }
    if (c->info.started_ms != 0)
        c->info.restarts++;
    c->info.started_ms = (int64_t)uv_now(sup->loop);
    c->info.pid = c->proc.pid;
    c->info.state = HAMD_SUP_RUNNING;
    LOG_INFO("gateway %s: started %s (pid %d)", c->account, c->exe, c->info.pid);
    if (sup->hooks.on_launch)
        sup->hooks.on_launch(sup->hooks.ud, c->account, c->info.pid);
}

static void grace_expired_cb(uv_timer_t *t)
{
    struct sup_child *c = t->data;
    if (c->proc_open && c->info.pid > 0) {
        LOG_WARN("gateway %s (pid %d) ignored SIGTERM: SIGKILL", c->account,
                 c->info.pid);
        uv_process_kill(&c->proc, SIGKILL);
    }
}

/* SIGTERM now, SIGKILL after the grace period. */
static void child_terminate(struct sup_child *c)
{
    uv_timer_stop(&c->timer);
    if (!c->proc_open || c->info.pid == 0) {
        if (c->info.state == HAMD_SUP_BACKOFF)
            c->info.state = HAMD_SUP_STOPPED;
        return;
    }
    c->info.state = HAMD_SUP_STOPPING;
    uv_process_kill(&c->proc, SIGTERM);
    uv_timer_start(&c->timer, grace_expired_cb, c->sup->opts.stop_grace_ms, 0);
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

struct hamd_supervisor *hamd_supervisor_new(uv_loop_t *loop,
                                            const struct hamd_sup_opts *opts,
                                            const struct hamd_sup_hooks *hooks)
{
    struct hamd_supervisor *sup = calloc(1, sizeof *sup);
    if (!sup)
        return NULL;
    sup->loop = loop;
    sup->opts = *opts;
    if (hooks)
        sup->hooks = *hooks;
    return sup;
}

static struct sup_child *child_new(struct hamd_supervisor *sup,
                                   const char *account)
{
    struct sup_child *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sup = sup;
    snprintf(c->account, sizeof c->account, "%s", account);
    c->info.state = HAMD_SUP_STOPPED;
    uv_timer_init(sup->loop, &c->timer);
    c->timer.data = c;
    c->next = sup->children;
    sup->children = c;
    return c;
}

int hamd_supervisor_run(struct hamd_supervisor *self, const char *account,
                        const char *exe, const char *params_json)
{
    struct sup_child *c = child_find(self, account);
    if (!c && !(c = child_new(self, account)))
        return -1;
    bool same = c->params && strcmp(c->exe, exe) == 0 &&
                strcmp(c->params, params_json) == 0;
    if (same && c->info.state != HAMD_SUP_STOPPED &&
        c->info.state != HAMD_SUP_STOPPING)
        return 0;
    char *params = strdup(params_json);
    if (!params)
        return -1;
    if (c->params)
        explicit_bzero(c->params, strlen(c->params));
    free(c->params);
    c->params = params;
    snprintf(c->exe, sizeof c->exe, "%s", exe);
    if (c->proc_open) {
        /* Running an older spec (or stopping): relaunch once it is gone. */
        c->relaunch = true;
        if (c->info.state != HAMD_SUP_STOPPING)
            child_terminate(c);
        return 0;
    }
    uv_timer_stop(&c->timer);
    child_launch(c);
    return 0;
}

void hamd_supervisor_stop(struct hamd_supervisor *self, const char *account)
{
    struct sup_child *c = child_find(self, account);
    if (!c)
        return;
    c->relaunch = false;
    /* Its next launch starts it anew, not a relaunch: an operator's stop
     * and start is no crash for `restarts` (HamdGatewayRestarts) to count. */
    c->info.started_ms = 0;
    child_terminate(c);
    c->info.state = c->proc_open ? HAMD_SUP_STOPPING : HAMD_SUP_STOPPED;
}

void hamd_supervisor_restart(struct hamd_supervisor *self, const char *account,
                             const char *reason)
{
    struct sup_child *c = child_find(self, account);
    if (!c || c->info.state == HAMD_SUP_STOPPED)
        return;
    LOG_WARN("gateway %s: hard restart (%s)", account, reason);
    if (c->info.state == HAMD_SUP_HELD) {
        if (c->proc_open)
            c->relaunch = true; /* exited, its handle not closed yet */
        else
            child_launch(c);
        return;
    }
    if (c->proc_open && c->info.pid > 0) {
        /* SIGTERM, SIGKILL after the grace; the exit relaunches it. */
        child_terminate(c);
        c->relaunch = true;
    }
}

bool hamd_supervisor_info(struct hamd_supervisor *self, const char *account,
                          struct hamd_sup_info *info)
{
    struct sup_child *c = child_find(self, account);
    if (!c)
        return false;
    *info = c->info;
    return true;
}

void hamd_supervisor_shutdown(struct hamd_supervisor *self,
                              hamd_supervisor_shutdown_cb done, void *ud)
{
    self->shutting_down = true;
    self->shutdown_done = done;
    self->shutdown_ud = ud;
    for (struct sup_child *c = self->children; c; c = c->next) {
        c->relaunch = false;
        child_terminate(c);
    }
    maybe_finish_shutdown(self);
}

static void timer_closed_cb(uv_handle_t *h)
{
    struct sup_child *c = h->data;
    if (c->params)
        explicit_bzero(c->params, strlen(c->params));
    free(c->params);
    explicit_bzero(c->token, sizeof c->token);
    free(c);
}

void hamd_supervisor_destroy(struct hamd_supervisor **self)
{
    struct hamd_supervisor *sup = *self;
    if (!sup)
        return;
    struct sup_child *c = sup->children;
    while (c) {
        struct sup_child *next = c->next;
        uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
        c = next;
    }
    free(sup);
    *self = NULL;
}

/* ------------------------------------------------------------------------
 * `hamd --gw-launch EXE`: runs in the child, between fork and the gateway
 * ------------------------------------------------------------------------ */

int hamd_supervisor_launch_main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "hamd --gw-launch: expected an executable\n");
        return 2;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The parent may have died before the prctl: then nobody supervises. */
    const char *parent = getenv(SUP_PARENT_ENV);
    if (parent && atoi(parent) != (int)getppid())
        return 1;
    unsetenv(SUP_PARENT_ENV);
    signal(SIGPIPE, SIG_DFL);
    execv(argv[2], &argv[2]);
    fprintf(stderr, "hamd --gw-launch: cannot execute %s: %s\n", argv[2],
            strerror(errno));
    return SUP_EXIT_NO_EXEC;
}
