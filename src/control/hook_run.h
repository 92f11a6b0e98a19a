/* One run of an operator's program (a hook): spawned with libuv in its own
 * process group, with extra environment variables, optional bytes on its
 * stdin, its stdout and stderr going to hamd's (the journal), killed with
 * its whole process group once it overstays its timeout, and its exit
 * status logged. The run frees itself after reporting.
 *
 * Used by event_hook.c ([hooks] on_event). */
#ifndef HAMD_HOOK_RUN_H
#define HAMD_HOOK_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Completion of a run: status 0 when the program ran, with its exit
 * status and the signal that ended it (0 if none); status < 0 (a libuv
 * error, e.g. UV_ENOENT, UV_EACCES) when it could not be started. */
typedef void (*hamd_hook_run_cb)(void *ud, int status, int64_t exit_status,
                                 int term_signal);

/* What to run. */
struct hamd_hook_run_opts {
    const char *path;          /* the program */
    const char *label;         /* names it in log lines, e.g. "on_event" */
    const char *const *env;    /* extra NAME=VALUE strings */
    size_t n_env;              /* how many */
    const char *input;         /* written to its stdin, then closed; NULL:
                                  stdin is /dev/null */
    size_t input_len;          /* bytes of input */
    unsigned timeout_ms;       /* killed (SIGKILL, process group) after */
};

/* Starts a run; done (may be NULL) is called once when it ended, never
 * from within this call. Returns 0, or UV_ENOMEM when it could not even
 * be set up: then done is not called. A program that cannot be executed
 * is reported through done with status < 0. */
int hamd_hook_run_start(uv_loop_t *loop, const struct hamd_hook_run_opts *o,
                        hamd_hook_run_cb done, void *ud);

/* A copy of this process's environment, less the account overrides
 * (hamd_config_env_is_account), followed by extra (n_extra
 * entries), NULL-terminated; the strings are not copied. Free the array
 * with free(). NULL when out of memory. */
char **hamd_hook_run_env(const char *const *extra, size_t n_extra);

#endif /* HAMD_HOOK_RUN_H */
