/* Failover engine (docs/failover.md), leader only. Pure: a plan out of const
 * inputs and a time value; no I/O, no clock, no state of its own. A dry
 * run is a plan that is not applied.
 *
 * Selection: per contract, the best candidate is an account that serves
 * the contract's exchange, is enabled, not operator-stopped, HEALTHY and
 * not quarantined, ranked by (priority, same gateway_type as the current
 * source, id). When no such account exists, a HEALTHY but quarantined one
 * is the last resort: a source that failed a minute ago beats a dead one.
 *
 *   unassigned contract         -> "initial" to the best candidate; none:
 *                                  wait (a source is still CONNECTING) or
 *                                  "no_healthy_backup"
 *   current source not HEALTHY, -> "failover" to the best candidate
 *   disabled, stopped, deleted     (cascades 1 -> 2 -> 3 as sources fail);
 *   or not serving the exchange    none: keep it, "no_healthy_backup" once
 *                                  per episode (unless it is CONNECTING)
 *   current source HEALTHY      -> "failback" to a better-priority account
 *                                  HEALTHY for revert_after_s and not
 *                                  quarantined; never when revert_after_s
 *                                  is 0 or the contract is pinned
 *
 * Anti-flap: a source failed away from is quarantined for quarantine_s;
 * paused: no automatic move is applied (the plan still says what it would
 * do; initial assignments still go out so new subscriptions publish); the
 * daily cap holds failovers caused by health failures once
 * failovers_today reaches daily_cap and raises one critical event.
 *
 * Moves come grouped by (kind, from, to): the shell commits one ASSIGN and
 * raises one event per group that is not held.
 *
 * Times (now_ns, healthy_since_ns, quarantine_until_ns) are epoch ns, UTC:
 * quarantines are replicated, so they must mean the same on every node.
 */
#ifndef HAMD_FAILOVER_H
#define HAMD_FAILOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/account.h"
#include "core/health.h"

#define HAMD_FAILOVER_MAX_ACCOUNTS 256    /* accounts one plan accepts */
#define HAMD_FAILOVER_MAX_PREFIXES 65536  /* prefixes one manual plan accepts */
#define HAMD_FAILOVER_ERR_MAX 160         /* message of a struct hamd_failover_error */
#define HAMD_FAILOVER_REASON_MAX 96       /* reason of one rejected item */

/* ------------------------------------------------------------------------
 * Inputs
 * ------------------------------------------------------------------------ */

/* Health and operator state of one account, parallel to the accounts. */
struct hamd_failover_source {
    enum hamd_health_state state;      /* from its health machine */
    enum hamd_health_trigger trigger;  /* of its last state change */
    int64_t healthy_since_ns;          /* HEALTHY since (if HEALTHY) */
    int64_t quarantine_until_ns;       /* not a candidate before; 0 = none */
    bool stopped;                      /* operator-stopped (hactl stop) */
};

/* One subscribed contract and its current route. */
struct hamd_failover_contract {
    const char *vt_symbol; /* "rb2601.SHFE" */
    const char *active;    /* account id of the active source, NULL or ""
                              when unassigned */
    bool pinned;           /* put there by `hactl failover`: no automatic
                              failback until `hactl failback` */
    bool alerted;          /* a no_healthy_backup event is out for this
                              episode */
};

/* Everything one plan depends on. Nothing here is written. */
struct hamd_failover_input {
    const struct hamd_account *accounts;  /* n_accounts, unique ids */
    const struct hamd_failover_source *sources; /* n_accounts, same order */
    size_t n_accounts;                    /* at most HAMD_FAILOVER_MAX_ACCOUNTS */
    const struct hamd_failover_contract *contracts; /* the subscriptions */
    size_t n_contracts;                   /* entries in contracts */
    bool paused;              /* hactl pause: no automatic move */
    unsigned failovers_today; /* automatic failovers applied today */
    unsigned daily_cap;       /* failovers per day; 0 = no cap */
    bool cap_event_raised;    /* daily_cap_reached already raised today */
    unsigned revert_after_s;  /* failback hold; 0 = no automatic failback */
    unsigned quarantine_s;    /* cool-down of a failed source; 0 = none */
    int64_t now_ns;           /* epoch ns */
    int64_t initial_wait_until_ns; /* epoch ns: before it, a new contract
                                      waits for a better-priority source
                                      still CONNECTING (start-up); 0 = no
                                      wait */
};

/* ------------------------------------------------------------------------
 * The plan
 * ------------------------------------------------------------------------ */

enum hamd_failover_kind {
    HAMD_FAILOVER_FAILOVER = 0,      /* "failover": away from a bad source */
    HAMD_FAILOVER_FAILBACK,          /* "failback": to a better source */
    HAMD_FAILOVER_INITIAL,           /* "initial": first source of a contract */
    HAMD_FAILOVER_NO_HEALTHY_BACKUP, /* "no_healthy_backup": stays, alarm */
    HAMD_FAILOVER_MANUAL,            /* "manual": hactl failover --to */
};

/* Why a group must not be applied now. */
enum hamd_failover_hold {
    HAMD_FAILOVER_GO = 0,           /* apply it */
    HAMD_FAILOVER_HELD_PAUSED,      /* hactl pause */
    HAMD_FAILOVER_HELD_DAILY_CAP,   /* failovers_today reached daily_cap */
};

/* Contracts moved (or alarmed about) together: one ASSIGN, one event. */
struct hamd_failover_group {
    enum hamd_failover_kind kind;            /* what happens to its contracts */
    int from;                          /* account index, -1 when
                                          unassigned or deleted */
    char from_id[HAMD_ACCOUNT_ID_MAX]; /* "" when unassigned */
    int to;                            /* account index; -1 for
                                          no_healthy_backup */
    const char *trigger;               /* health_trigger of the event:
                                          "canary_timeout", "disabled",
                                          "stopped", "deleted",
                                          "not_serving", "manual", ... */
    bool source_failed;                /* from failed its health checks:
                                          counts toward the daily cap and
                                          is quarantined */
    enum hamd_failover_hold hold;            /* HAMD_FAILOVER_GO: apply it */
    size_t first;                      /* its contracts are */
    size_t count;                      /* moves[first .. first + count) */
};

/* Quarantine order: accounts[account] is no candidate until until_ns. */
struct hamd_failover_quarantine {
    int account;      /* account index */
    int64_t until_ns; /* epoch ns */
};

/* Per-contract state after the plan is applied (held groups excluded). */
struct hamd_failover_flags {
    bool pinned;  /* new hamd_failover_contract.pinned */
    bool alerted; /* new hamd_failover_contract.alerted */
};

/* Something a manual plan could not do. */
struct hamd_failover_reject {
    char item[HAMD_VT_SYMBOL_MAX];   /* the contract or prefix (truncated) */
    char reason[HAMD_FAILOVER_REASON_MAX]; /* why, for the operator */
};

struct hamd_failover_plan {
    size_t n_groups;                /* entries in groups */
    struct hamd_failover_group *groups;   /* sorted: kind, from_id, to id */
    size_t n_moves;                 /* entries in moves */
    size_t *moves;                  /* contract indices, grouped */
    size_t n_quarantines;           /* entries in quarantines */
    struct hamd_failover_quarantine *quarantines; /* one per account at most */
    size_t n_contracts;             /* entries in flags (= input's) */
    struct hamd_failover_flags *flags;    /* per contract, input order */
    size_t n_rejects;               /* entries in rejects */
    struct hamd_failover_reject *rejects; /* bad contracts, manual refusals */
    unsigned failovers;             /* add to failovers_today if applied */
    bool raise_cap_event;           /* raise daily_cap_reached (critical) */
};

enum hamd_failover_errcode {
    HAMD_FAILOVER_OK = 0,
    HAMD_FAILOVER_EINVAL,   /* malformed input or request (HTTP 400) */
    HAMD_FAILOVER_ENOENT,   /* unknown account, or a prefix matching no
                               contract (404) */
    HAMD_FAILOVER_ECONFLICT,/* target disabled, stopped or not HEALTHY (409) */
    HAMD_FAILOVER_ENOMEM,   /* out of memory (503) */
};

/* Why no plan came out. */
struct hamd_failover_error {
    enum hamd_failover_errcode code;  /* HAMD_FAILOVER_OK when a plan came out */
    const char *field;          /* request field at fault, or NULL */
    char msg[HAMD_FAILOVER_ERR_MAX];  /* for the operator: {"error": msg} */
};

/* ------------------------------------------------------------------------
 * Planning
 * ------------------------------------------------------------------------ */

/* Computes the automatic plan. Returns a new plan (maybe empty), or NULL
 * with *err filled (err may be NULL) when the input is inconsistent:
 * NULL arrays, more than HAMD_FAILOVER_MAX_ACCOUNTS, bad or duplicate ids.
 * A contract with a bad vt_symbol is skipped and listed in rejects. */
struct hamd_failover_plan *hamd_failover_plan_auto(const struct hamd_failover_input *in,
                                        struct hamd_failover_error *err);

/* Plans `hactl failover --to to_id [PREFIX...|--all]`: moves the contracts
 * whose vt_symbol starts with one of prefixes (all when n_prefixes is 0)
 * to to_id and pins them; ignores pause, cap and quarantine. The target
 * must exist, be enabled, not stopped and HEALTHY (unless force). Returns
 * the plan, whose rejects name contracts the target does not serve; or
 * NULL with *err, HAMD_FAILOVER_ENOENT on field "prefixes" when a prefix
 * matches no contract (a typo moves nothing, and says so). */
struct hamd_failover_plan *hamd_failover_plan_manual(
    const struct hamd_failover_input *in, const char *to_id,
    const char *const *prefixes, size_t n_prefixes, bool force,
    struct hamd_failover_error *err);

/* Plans `hactl failback [PREFIX...]`: moves each selected contract (all
 * when n_prefixes is 0) to its best HEALTHY source now, ignoring
 * revert_after_s, quarantine and pause, and unpins it. Contracts without
 * a HEALTHY source stay and are listed in rejects. NULL with *err on bad
 * input, or a prefix matching no contract, as above. */
struct hamd_failover_plan *hamd_failover_plan_failback(
    const struct hamd_failover_input *in, const char *const *prefixes,
    size_t n_prefixes, struct hamd_failover_error *err);

/* Frees a plan and sets *self to NULL. */
void hamd_failover_plan_destroy(struct hamd_failover_plan **self);

/* Returns "failover", "failback", "initial", "no_healthy_backup",
 * "manual"; "unknown" if invalid. */
const char *hamd_failover_kind_name(enum hamd_failover_kind kind);

/* Returns the docs/failover.md event_type of a group of that kind:
 * "failover_executed", "failback_executed", "initial_assignment",
 * "no_healthy_backup", "failover_executed" (manual); "unknown". */
const char *hamd_failover_event_type(enum hamd_failover_kind kind);

/* Returns "go", "paused", "daily_cap". */
const char *hamd_failover_hold_name(enum hamd_failover_hold hold);

/* event_type of the critical event of plan->raise_cap_event. */
#define HAMD_FAILOVER_EVENT_DAILY_CAP "daily_cap_reached"

#endif /* HAMD_FAILOVER_H */
