/* Role-change hooks (docs/configuration.md [hooks]): on_leader runs when this node
 * starts publishing, on_follower when it stops (and once at start-up, so a
 * restarted node reconciles a VIP it may still hold). Each runs with
 * HAMD_NODE, HAMD_TERM and HAMD_ROLE in its environment, is killed (with
 * its process group) after [hooks] timeout_ms, and its exit status is
 * logged; one that failed runs again, backing off, until it succeeds or
 * the role changes. Hooks of one node run one at a time; while one runs, only the
 * latest role change waits (earlier waiting ones are dropped), so a quick
 * leader -> follower -> leader flap leaves the VIP where the last hook put
 * it without moving it back and forth. */
#ifndef HAMD_HOOKS_H
#define HAMD_HOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"

struct hamd_hooks;

/* Creates the hook runner; runs on_follower once to reconcile. */
struct hamd_hooks *hamd_hooks_new(uv_loop_t *loop, const struct hamd_config *cfg);

/* The node started (leader = true) or stopped publishing in term. */
void hamd_hooks_role(struct hamd_hooks *self, bool leader, uint64_t term);

/* What /metrics shows of the role hooks. */
struct hamd_hooks_figures {
    uint64_t failures;        /* runs that failed, since start */
    bool failing;             /* the latest role's run failed: a retry
                                 is due (the VIP may point nowhere) */
};

/* Fills *out (zeros for a NULL runner). */
void hamd_hooks_figures(const struct hamd_hooks *self,
                        struct hamd_hooks_figures *out);

/* Frees the runner (a running hook is left to finish); nulls *self. */
void hamd_hooks_destroy(struct hamd_hooks **self);

#endif /* HAMD_HOOKS_H */
