/* hangup.c - SIGHUP is logged with its sender and otherwise ignored
 * (hangup.h says why a node ignores it).
 *
 * libuv's uv_signal does not say who sent a signal, and the sender is the
 * one thing worth knowing: a chaos run once lost a node to a SIGHUP that
 * nothing in the harness sends, with no trace of the sender. So this is a plain
 * SA_SIGINFO handler. It only stores the sender in lock-free atomics and
 * wakes the loop with uv_async_send, both async-signal-safe; the async
 * callback, on the loop's thread, does the logging.
 */
#include "control/hangup.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* /proc/PID/comm holds at most 16 bytes with its newline. */
#define HANGUP_COMM_BYTES 32

struct hamd_hangup {
    uv_async_t wake;          /* the handler wakes the loop through it */
    struct sigaction old;     /* SIGHUP's action before, put back by destroy */
    struct hamd_log_rate rate; /* a storm of them is a few lines, not a flood */
};

/* What the handler saw last; one process has one SIGHUP disposition, so
 * one set of these. */
static _Atomic(struct hamd_hangup *) hangup_self; /* NULL: not watching */
static atomic_int hangup_pid;                     /* si_pid; 0 from the kernel */
static atomic_uint hangup_uid;                    /* si_uid */
static atomic_int hangup_code;                    /* si_code: SI_USER, SI_KERNEL ... */
static atomic_uint hangup_count;                  /* received since last logged */

static void hangup_handler(int signum, siginfo_t *info, void *uctx)
{
    (void)signum;
    (void)uctx;
    int saved_errno = errno;
    atomic_store(&hangup_pid, info ? info->si_pid : 0);
    atomic_store(&hangup_uid, info ? (unsigned)info->si_uid : 0);
    atomic_store(&hangup_code, info ? info->si_code : SI_KERNEL);
    atomic_fetch_add(&hangup_count, 1);
    struct hamd_hangup *self = atomic_load(&hangup_self);
    if (self)
        uv_async_send(&self->wake);
    errno = saved_errno;
}

/* The sender's command name, or "gone" when it has exited since. */
static void sender_comm(int pid, char *out, size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)n, f)) {
        snprintf(out, n, "gone");
    } else {
        out[strcspn(out, "\n")] = '\0';
    }
    if (f)
        fclose(f);
}

static void hangup_wake_cb(uv_async_t *a)
{
    struct hamd_hangup *self = a->data;
    unsigned count = atomic_exchange(&hangup_count, 0);
    if (count == 0)
        return;
    int pid = atomic_load(&hangup_pid);
    unsigned uid = atomic_load(&hangup_uid);
    if (atomic_load(&hangup_code) == SI_KERNEL || pid == 0) {
        hamd_log_rated(&self->rate, HAMD_LOG_WARN,
                       "SIGHUP (x%u) from the kernel (the controlling "
                       "terminal hung up, or the process group was orphaned "
                       "with a stopped member): ignored, hamd runs on; it "
                       "reads its config only at start", count);
        return;
    }
    char comm[HANGUP_COMM_BYTES];
    sender_comm(pid, comm, sizeof comm);
    hamd_log_rated(&self->rate, HAMD_LOG_WARN,
                   "SIGHUP (x%u) from pid %d (%s, uid %u): ignored, hamd runs "
                   "on; it reads its config only at start (runtime changes: "
                   "hactl)", count, pid, comm, uid);
}

static void hangup_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

struct hamd_hangup *hamd_hangup_new(uv_loop_t *loop)
{
    struct hamd_hangup *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    int rc = uv_async_init(loop, &self->wake, hangup_wake_cb);
    if (rc < 0) {
        free(self);
        errno = -rc;
        return NULL;
    }
    self->wake.data = self;
    atomic_store(&hangup_self, self);
    struct sigaction sa = {.sa_sigaction = hangup_handler,
                           .sa_flags = SA_SIGINFO | SA_RESTART};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGHUP, &sa, &self->old) < 0) {
        int err = errno;
        atomic_store(&hangup_self, NULL);
        uv_close((uv_handle_t *)&self->wake, hangup_closed_cb);
        errno = err;
        return NULL;
    }
    return self;
}

void hamd_hangup_destroy(struct hamd_hangup **self_p)
{
    struct hamd_hangup *self = *self_p;
    if (!self)
        return;
    /* The old action first: no handler starts after this. */
    sigaction(SIGHUP, &self->old, NULL);
    atomic_store(&hangup_self, NULL);
    uv_close((uv_handle_t *)&self->wake, hangup_closed_cb);
    *self_p = NULL;
}
