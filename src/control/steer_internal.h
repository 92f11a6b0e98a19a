/* Failover shell internals shared by steer.c (automatic failover) and
 * steer_manual.c (operator commands). */
#ifndef HAMD_STEER_INTERNAL_H
#define HAMD_STEER_INTERNAL_H

#include <jansson.h>
#include <uv.h>

#include "common/strmap.h"
#include "core/failover.h"
#include "control/steer.h"

#define STEER_INITIAL_WAIT_MS 5000     /* after taking the lease: how long a
                                          new contract waits for a better
                                          source still connecting */
#define STEER_REPLAN_INTERVAL_MS 1000  /* failback holds, quarantine ends */
#define STEER_SWITCH_TIMEOUT_MS 5000   /* report a switch without a tick */
#define STEER_MAX_PENDING 64           /* groups awaiting their first tick */
#define STEER_MAP_INITIAL 64           /* contracts expected; maps grow */

/* Per-contract flags the engine hands back that only the lease holder
 * keeps: an alarm belongs to one episode, and a new leader raising it once
 * more is right. Pins, which must outlive a leader, are replicated (the
 * store's pins, PIN commands). */
struct steer_flags {
    bool alerted;  /* no_healthy_backup raised for this episode */
};

/* A committed group awaiting its first published tick. */
struct steer_switch {
    uint64_t id;                         /* switch id handed to the data plane */
    json_t *event;                       /* the event to raise, incomplete */
    int64_t trigger_ns;                  /* monotonic: health trigger */
    int64_t deadline_ns;                 /* monotonic: give up waiting */
    char to[HAMD_ACCOUNT_ID_MAX];        /* new source */
};

struct steer_op;

struct hamd_steer {
    struct hamd_steer_opts opts; /* the failover policy */
    struct hamd_steer_deps deps; /* what it reads and acts through */
    uv_timer_t timer;            /* periodic re-plan */
    uv_timer_t kick;             /* coalesces triggers of one loop turn */
    bool active;                 /* this node holds the lease */
    unsigned inflight;           /* commits of the last plan not answered */
    bool replan;                 /* a trigger came while in flight */
    uint64_t next_switch_id;     /* last switch id handed out; 0 = none */
    struct hamd_strmap *flags;   /* vt_symbol -> struct steer_flags */
    struct hamd_strmap *pending; /* vt_symbol -> struct steer_switch (shared) */
    struct steer_switch switches[STEER_MAX_PENDING]; /* pending's slots */
    uint32_t cap_day;            /* day the daily-cap event was raised */
    int64_t initial_wait_until_ns; /* epoch ns: new contracts wait for a
                                      better source still CONNECTING */
    unsigned closing;            /* handles not yet closed (destroy) */
};

/* The input of one plan and the storage it points into. */
struct steer_input {
    struct hamd_failover_input in;                             /* what plans read */
    struct hamd_account accounts[HAMD_FAILOVER_MAX_ACCOUNTS];  /* in.accounts */
    struct hamd_failover_source sources[HAMD_FAILOVER_MAX_ACCOUNTS]; /* in.sources */
    struct hamd_failover_contract *contracts;                  /* in.contracts
                                                            (malloc) */
    size_t n_accounts;                                   /* accounts read */
};

/* An operator command waiting for its commits. */
struct steer_op {
    hamd_steer_done_cb done;     /* answers the API request */
    void *ud;                    /* its argument */
    unsigned pending;            /* commits not answered yet */
    int failed_status;           /* a failed commit's status (-RAFT_*,
                                    cluster.h), 0 if none */
    json_t *answer;              /* the plan, returned on success */
};

/* Drops one hold on op; answers it when none is left. */
void steer_op_settle(struct steer_op *op);

/* Gathers the engine's inputs: accounts, this node's health view, routes. */
int steer_input_build(struct hamd_steer *st, struct steer_input *si);

/* Frees what steer_input_build allocated. */
void steer_input_release(struct steer_input *si);

/* Commits the plan's groups and side effects; op (may be NULL) is
 * answered once every commit came back. */
void steer_plan_execute(struct hamd_steer *st, const struct steer_input *si,
                        const struct hamd_failover_plan *plan, struct steer_op *op);

/* Submits cmd (freed) counting it against op (may be NULL). */
void steer_submit(struct hamd_steer *st, struct hamd_cmd *cmd,
                  struct steer_op *op);

#endif /* HAMD_STEER_INTERNAL_H */
