/* hangup.h - SIGHUP is logged with its sender and otherwise ignored.
 *
 * A node reads its config once, at start; what changes at run time
 * (accounts, subscriptions, failover state) goes through the replicated
 * store, with hactl. So a SIGHUP has nothing to reload, and its default
 * action, ending the process, would only lose a node: one started from a
 * terminal that closes, or one whose process group the kernel finds
 * orphaned while a member is stopped (it then sends SIGHUP and SIGCONT to
 * every member). docs/man/hamd.8.md, "Signals".
 */
#ifndef HAMD_HANGUP_H
#define HAMD_HANGUP_H

#include <uv.h>

struct hamd_hangup;

/* Catches SIGHUP for the whole process from now on: each one is logged at
 * WARN on `loop`'s thread, naming the sender (pid, uid, its command when
 * still running), and is otherwise ignored. One per process. NULL when
 * the handler cannot be installed (errno set). */
struct hamd_hangup *hamd_hangup_new(uv_loop_t *loop);

/* Gives SIGHUP its default action back and closes the handle on the loop
 * (the memory is freed by the close callback); nulls *self. */
void hamd_hangup_destroy(struct hamd_hangup **self);

#endif
