/* Gateway supervisor: one child process per running account (docs/architecture.md).
 *
 * A gateway that exits is relaunched after the delay the relaunch_delay_ms
 * hook chooses (the health machine: exponential backoff that starts over
 * once the gateway stayed HEALTHY). Stopping sends SIGTERM and,
 * after stop_grace_ms, SIGKILL. A hard restart is a stop followed by a
 * launch. libuv reaps every child, so there are no zombies; children are
 * started through `hamd --gw-launch`, which sets PR_SET_PDEATHSIG so they
 * die with the node even when it is killed with SIGKILL, and in their own
 * session so a terminal's Ctrl-C reaches only hamd, which stops them in
 * order. Each launch gets a fresh random token in HAMD_GW_TOKEN, told
 * first to the on_token hook (the data plane believes only a connection
 * whose HELLO echoes it, docs/security.md).
 */
#ifndef HAMD_SUPERVISOR_H
#define HAMD_SUPERVISOR_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/account.h"

#define SUP_REASON_MAX 64 /* bytes of an exit reason ("signal 9") */

enum hamd_sup_state {
    HAMD_SUP_RUNNING,   /* process alive */
    HAMD_SUP_BACKOFF,   /* exited, waiting to relaunch */
    HAMD_SUP_STOPPING,  /* SIGTERM sent, waiting for exit */
    HAMD_SUP_STOPPED,   /* not running, not to be relaunched */
    HAMD_SUP_HELD,      /* exited after saying it cannot work (the holds
                           hook): not relaunched until new params or an
                           operator's restart */
};

/* How the supervisor launches and stops gateways. */
struct hamd_sup_opts {
    char self_exe[PATH_MAX];      /* this hamd binary (for --gw-launch) */
    char gw_endpoint[256];        /* HAMD_GW_ENDPOINT for children */
    unsigned stop_grace_ms;       /* SIGTERM -> SIGKILL */
};

/* What an operator sees of one gateway process. */
struct hamd_sup_info {
    enum hamd_sup_state state;       /* where the process is */
    int pid;                         /* 0 when not running */
    unsigned restarts;               /* launches after the first of a run
                                        (one since the last stop) */
    char last_exit[SUP_REASON_MAX];  /* "exit 3", "signal 9", "" */
    int64_t started_ms;              /* uv_now of the last launch; 0: none
                                        since the last stop */
};

/* Callbacks into the node, on the loop thread. */
struct hamd_sup_hooks {
    void *ud;                        /* passed to every hook */
    /* A gateway process ended (status: exit code, or -signal). */
    void (*on_exit)(void *ud, const char *account, int status);
    /* A gateway process was launched. */
    void (*on_launch)(void *ud, const char *account, int pid);
    /* The launch token of account's next process, before it starts: it
     * gets it in HAMD_GW_TOKEN and must echo it in its HELLO. */
    void (*on_token)(void *ud, const char *account, const char *token);
    /* True when account's gateway, having exited on its own, must not be
     * relaunched: its last STATUS was error (a refused login), and a
     * relaunch would log in again with the same params (optional). */
    bool (*holds)(void *ud, const char *account);
    /* How long to wait before relaunching account's gateway (required). */
    unsigned (*relaunch_delay_ms)(void *ud, const char *account);
};

struct hamd_supervisor;

/* Creates a supervisor on loop. Returns NULL when out of memory. */
struct hamd_supervisor *hamd_supervisor_new(uv_loop_t *loop,
                                            const struct hamd_sup_opts *opts,
                                            const struct hamd_sup_hooks *hooks);

/* Runs account's gateway `exe` with params JSON. Already running (or
 * held) with the same exe and params: nothing. Otherwise (re)starts it.
 * Returns 0 or -1. */
int hamd_supervisor_run(struct hamd_supervisor *self, const char *account,
                        const char *exe, const char *params_json);

/* Stops account's gateway and keeps it stopped. */
void hamd_supervisor_stop(struct hamd_supervisor *self, const char *account);

/* Hard restart: kills the process now; it is relaunched like any exit.
 * A held gateway is launched at once (the operator ends the hold). */
void hamd_supervisor_restart(struct hamd_supervisor *self, const char *account,
                             const char *reason);

/* Fills *info; returns false when the account is unknown. */
bool hamd_supervisor_info(struct hamd_supervisor *self, const char *account,
                          struct hamd_sup_info *info);

/* Completion of hamd_supervisor_shutdown: status is always 0 (every
 * gateway has exited; one that ignored SIGTERM got SIGKILL). */
typedef void (*hamd_supervisor_shutdown_cb)(void *ud, int status);

/* Stops every gateway; done(ud, 0) runs once all have exited. */
void hamd_supervisor_shutdown(struct hamd_supervisor *self,
                              hamd_supervisor_shutdown_cb done, void *ud);

/* Frees the supervisor (after shutdown completed); nulls *self. */
void hamd_supervisor_destroy(struct hamd_supervisor **self);

/* The `hamd --gw-launch EXE` entry: arms PR_SET_PDEATHSIG and execs EXE.
 * Returns only on failure (exit code). */
int hamd_supervisor_launch_main(int argc, char **argv);

#endif /* HAMD_SUPERVISOR_H */
