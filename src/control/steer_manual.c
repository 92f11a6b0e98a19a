/* Failover shell: operator commands (docs/api.md: failover, failback, pause,
 * resume, dry runs). They plan with the same pure engine as automatic
 * failover and commit the same way; a dry run stops after planning. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/events.h"
#include "control/steer_internal.h"

/* ------------------------------------------------------------------------
 * Plan as JSON
 * ------------------------------------------------------------------------ */

static json_t *group_json(const struct steer_input *si,
                          const struct hamd_failover_plan *plan,
                          const struct hamd_failover_group *g)
{
    json_t *contracts = json_array();
    for (size_t i = 0; i < g->count; i++)
        json_array_append_new(
            contracts, json_string(si->contracts[plan->moves[g->first + i]].vt_symbol));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "kind", hamd_failover_kind_name(g->kind),
                     "from", g->from_id, "to",
                     g->to >= 0 ? si->accounts[g->to].id : "", "trigger",
                     g->trigger ? g->trigger : "", "hold", hamd_failover_hold_name(g->hold),
                     "contracts", contracts);
}

/* The plan as JSON: {groups: [...], rejects: [...]} (for dry runs). */
static json_t *steer_plan_json(const struct steer_input *si,
                               const struct hamd_failover_plan *plan)
{
    json_t *groups = json_array(), *rejects = json_array();
    for (size_t i = 0; i < plan->n_groups; i++)
        json_array_append_new(groups, group_json(si, plan, &plan->groups[i]));
    for (size_t i = 0; i < plan->n_rejects; i++)
        json_array_append_new(rejects, json_pack("{s:s,s:s}", "item",
                                                 plan->rejects[i].item, "reason",
                                                 plan->rejects[i].reason));
    return json_pack("{s:o,s:o,s:I}", "groups", groups, "rejects", rejects,
                     "contracts_moved", (json_int_t)plan->n_moves);
}

/* ------------------------------------------------------------------------
 * Shared flow
 * ------------------------------------------------------------------------ */

/* The completion status of an engine refusal (steer.h). */
static int status_of(enum hamd_failover_errcode code)
{
    switch (code) {
    case HAMD_FAILOVER_EINVAL: return -EINVAL;
    case HAMD_FAILOVER_ENOENT: return -ENOENT;
    case HAMD_FAILOVER_ECONFLICT: return -EPERM;
    default: return -ENOMEM;
    }
}

static bool leader_only(struct hamd_steer *st, hamd_steer_done_cb done, void *ud)
{
    if (st->active)
        return true;
    done(ud, -EAGAIN, json_pack("{s:s}", "error",
                                "this node does not publish: send the "
                                "command to the leader"));
    return false;
}

/* Runs plan against the current inputs; answers and returns. */
typedef struct hamd_failover_plan *(*plan_fn)(const struct hamd_failover_input *in,
                                        const void *args,
                                        struct hamd_failover_error *err);

static void run_manual(struct hamd_steer *st, plan_fn fn, const void *args,
                       bool dry_run, const char *what, hamd_steer_done_cb done,
                       void *ud)
{
    if (!leader_only(st, done, ud))
        return;
    struct steer_input *si = malloc(sizeof *si);
    if (!si || steer_input_build(st, si) < 0) {
        steer_input_release(si);
        done(ud, -EIO, json_pack("{s:s}", "error", "cannot read the store"));
        return;
    }
    struct hamd_failover_error err;
    memset(&err, 0, sizeof err);
    struct hamd_failover_plan *plan = fn(&si->in, args, &err);
    if (!plan) {
        json_t *body = json_pack("{s:s}", "error", err.msg);
        if (err.field)
            json_object_set_new(body, "field", json_string(err.field));
        done(ud, status_of(err.code), body);
        steer_input_release(si);
        return;
    }
    json_t *answer = steer_plan_json(si, plan);
    json_object_set_new(answer, "dry_run", json_boolean(dry_run));
    if (dry_run) {
        done(ud, 0, answer);
    } else {
        LOG_INFO("operator %s: %zu contract(s) in %zu group(s)", what,
                 plan->n_moves, plan->n_groups);
        struct steer_op *op = calloc(1, sizeof *op);
        if (!op) {
            json_decref(answer);
            done(ud, -ENOMEM, json_pack("{s:s}", "error", "out of memory"));
        } else {
            *op = (struct steer_op){.done = done, .ud = ud, .answer = answer};
            steer_plan_execute(st, si, plan, op);
        }
    }
    hamd_failover_plan_destroy(&plan);
    steer_input_release(si);
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* A manual failover as the operator asked for it. */
struct failover_args {
    const char *to;              /* target account */
    const char *const *prefixes; /* contracts selected, none = all */
    size_t n;                    /* prefixes given */
    bool force;                  /* the target need not be HEALTHY */
};

static struct hamd_failover_plan *plan_failover(const struct hamd_failover_input *in,
                                          const void *args,
                                          struct hamd_failover_error *err)
{
    const struct failover_args *a = args;
    return hamd_failover_plan_manual(in, a->to, a->prefixes, a->n, a->force, err);
}

static struct hamd_failover_plan *plan_failback(const struct hamd_failover_input *in,
                                          const void *args,
                                          struct hamd_failover_error *err)
{
    const struct failover_args *a = args;
    return hamd_failover_plan_failback(in, a->prefixes, a->n, err);
}

void hamd_steer_failover(struct hamd_steer *self, const char *to,
                         const char *const *prefixes, size_t n, bool force,
                         bool dry_run, hamd_steer_done_cb done, void *ud)
{
    struct failover_args a = {to, prefixes, n, force};
    run_manual(self, plan_failover, &a, dry_run, "failover", done, ud);
}

void hamd_steer_failback(struct hamd_steer *self, const char *const *prefixes,
                         size_t n, bool dry_run, hamd_steer_done_cb done, void *ud)
{
    struct failover_args a = {NULL, prefixes, n, false};
    run_manual(self, plan_failback, &a, dry_run, "failback", done, ud);
}

void hamd_steer_pause(struct hamd_steer *self, bool paused,
                      hamd_steer_done_cb done, void *ud)
{
    if (!leader_only(self, done, ud))
        return;
    struct steer_op *op = calloc(1, sizeof *op);
    if (!op) {
        done(ud, -ENOMEM, json_pack("{s:s}", "error", "out of memory"));
        return;
    }
    *op = (struct steer_op){.done = done, .ud = ud,
                            .answer = json_pack("{s:b}", "paused", paused),
                            .pending = 1};
    struct hamd_cmd cmd;
    hamd_cmd_init(&cmd, HAMD_CMD_PAUSE);
    cmd.flag = paused;
    steer_submit(self, &cmd, op);
    hamd_events_raise(self->deps.events,
                      hamd_events_json_new(paused ? "failover_paused"
                                                  : "failover_resumed"));
    steer_op_settle(op);
}
