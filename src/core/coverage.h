/* Coverage: which subscribed contracts a node can serve from its own
 * healthy sources, and whether a follower serves the cluster better than
 * the leader (docs/failover.md, "The data follows the healthy source").
 *
 * Every full node runs every gateway, so a source that is dead on the
 * leader (its host lost the line to the broker's front) may be healthy on
 * a follower. A node *covers* a contract when one of its own accounts
 * that serves the contract's exchange is enabled, not operator-stopped and
 * HEALTHY on that node; the contract's coverage is the best (lowest)
 * priority among them. Relayed sources never count: coverage is what a
 * node can serve if it publishes itself.
 *
 * The leader compares every full follower's coverage with its own:
 *
 *   more       the follower covers strictly more subscribed contracts
 *   better     it covers as many, each at a priority at least as good and
 *              one strictly better (a Pareto improvement: never a
 *              contract made worse for another made better)
 *
 * and hands leadership to the best follower that has beaten it without a
 * break for transfer_after_ns (hamd_leadership_step). Anti-flap: never
 * while failover is paused, never within cooldown_ns of the last
 * source-driven transfer (a replicated time, so a new leader honours its
 * predecessor's), never to a witness, never on a report older than
 * report_max_age_ns (it counts as covering nothing).
 *
 * Pure: no I/O, no clock, no allocation; the caller owns every array.
 */
#ifndef HAMD_COVERAGE_H
#define HAMD_COVERAGE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/account.h"
#include "core/health.h"

#define HAMD_COVERAGE_NONE INT_MAX /* priority of a contract not covered */
#define HAMD_COVERAGE_NODES_MAX 9  /* nodes in a status: self + 8 others */

/* Defaults of the [cluster] keys (docs/configuration.md). */
#define HAMD_COVERAGE_TRANSFER_AFTER_MS 1500 /* a follower must beat the
                                                leader this long: longer
                                                than a gateway's restart,
                                                so a blip moves nothing */
#define HAMD_COVERAGE_COOLDOWN_S 60          /* between source-driven
                                                transfers: each costs the
                                                clients a reconnect */
#define HAMD_COVERAGE_REPORT_MAX_AGE_MS 2000 /* nodes report every second:
                                                two missed reports mean the
                                                node covers nothing */

/* The subscribed contracts of one exchange. Whether a node covers a
 * contract, and at which priority, depends on its exchange alone (an
 * account serves exchanges), so coverage is computed and compared per
 * exchange, each weighed by its contracts: the same verdicts as per
 * contract, from a few entries instead of a copy of 5,000 vt_symbols
 * (docs/performance.md, "Memory, session 10"). */
struct hamd_coverage_exchange {
    char name[HAMD_VT_SYMBOL_MAX]; /* the text after a vt_symbol's last
                                      '.'; "" for one without: it is
                                      never covered */
    size_t contracts;              /* subscribed contracts of it, >= 1 */
};

/* Counts vt_symbol in its exchange's entry of ex[0..*n), appending the
 * entry when new. Returns false, changing nothing, when it is new and
 * *n == cap (grow the array and call again). */
bool hamd_coverage_exchange_add(struct hamd_coverage_exchange *ex, size_t *n,
                                size_t cap, const char *vt_symbol);

/* One node's coverage: per exchange (the caller's order), the best
 * priority and which account gives it; covered and priority_sum count
 * contracts. */
struct hamd_coverage {
    size_t n_exchanges;  /* entries of best and source */
    int *best;           /* priority, HAMD_COVERAGE_NONE when not covered */
    int *source;         /* account index of best, -1 when not covered */
    size_t covered;      /* contracts of the exchanges best covers */
    int64_t priority_sum;/* their best priorities added (status) */
};

/* Computes coverage: accounts[0..n_accounts) with their state on the
 * node (states, same order) and whether the operator stopped them there
 * (stopped, same order; NULL = none stopped); exchanges[0..n_exchanges)
 * the subscribed contracts by exchange. out->best and out->source must
 * hold n_exchanges entries. With states NULL the node covers nothing (a
 * witness, a stale report). */
void hamd_coverage_compute(const struct hamd_account *accounts,
                           const enum hamd_health_state *states,
                           const bool *stopped, size_t n_accounts,
                           const struct hamd_coverage_exchange *exchanges,
                           size_t n_exchanges, struct hamd_coverage *out);

/* How a follower's coverage compares with the leader's. */
enum hamd_coverage_verdict {
    HAMD_COVERAGE_NOT_BETTER = 0, /* fewer, as many and not dominating, or
                                     the same */
    HAMD_COVERAGE_MORE,           /* covers strictly more contracts */
    HAMD_COVERAGE_BETTER,         /* as many, at Pareto-better priorities */
};

/* Compares two coverages of the same exchange list: contract by
 * contract, which is exchange by exchange. */
enum hamd_coverage_verdict hamd_coverage_compare(
    const struct hamd_coverage *follower, const struct hamd_coverage *leader);

/* Returns "not_better", "more_contracts", "better_priorities". */
const char *hamd_coverage_verdict_name(enum hamd_coverage_verdict v);

/* One node's coverage as this node knows it (control/cover.h). */
struct hamd_coverage_node {
    unsigned id;                          /* node id */
    bool known;                           /* a fresh report (or this node) */
    int64_t report_age_ms;                /* -1 for this node or none */
    size_t covered;                       /* contracts it covers */
    int64_t priority_sum;                 /* their priorities added */
};

/* What the admin API shows (GET /api/status, /metrics). */
struct hamd_coverage_status {
    size_t subscribed;                    /* contracts subscribed */
    size_t covered;                       /* this node covers */
    size_t relayed;                       /* publisher: contracts on a relayed
                                             source; follower: contracts it
                                             relays to the publisher */
    uint64_t transfers;                   /* source-driven transfers this
                                             node started */
    const char *judge;                    /* hamd_leadership_hold_name of the
                                             last step, "" when not judging */
    unsigned best;                        /* follower beating this leader, 0 */
    unsigned n_nodes;                     /* entries in nodes */
    struct hamd_coverage_node nodes[HAMD_COVERAGE_NODES_MAX]; /* self first */
};

/* ------------------------------------------------------------------------
 * Leadership follows the data
 * ------------------------------------------------------------------------ */

struct hamd_leadership_params {
    int64_t transfer_after_ns;  /* [cluster] source_transfer_after_ms */
    int64_t cooldown_ns;        /* [cluster] source_transfer_cooldown_s */
    int64_t report_max_age_ns;  /* HAMD_COVERAGE_REPORT_MAX_AGE_MS */
};

/* One other member as the leader sees it. */
struct hamd_leadership_peer {
    unsigned id;                     /* node id */
    bool witness;                    /* never chosen */
    int64_t report_ns;               /* when its last coverage report
                                        arrived, monotonic; 0 = never */
    const struct hamd_coverage *cov; /* computed from that report; NULL =
                                        none */
};

/* What the leader remembers between steps. Zero it to start. */
struct hamd_leadership {
    unsigned beaten_by;   /* best follower beating the leader now, 0 = none */
    int64_t beaten_since_ns; /* a follower has beaten it without a break
                                since then, monotonic; 0 = not beaten */
};

/* Why a step did not transfer although a follower beats the leader. */
enum hamd_leadership_hold {
    HAMD_LEADERSHIP_GO = 0,        /* transfer now (decision.transfer_to) */
    HAMD_LEADERSHIP_NOBODY,        /* no follower beats the leader */
    HAMD_LEADERSHIP_WAITING,       /* not for transfer_after_ns yet */
    HAMD_LEADERSHIP_PAUSED,        /* failover paused (hactl pause) */
    HAMD_LEADERSHIP_COOLDOWN,      /* a source-driven transfer was recent */
};

/* One step's outcome. */
struct hamd_leadership_decision {
    enum hamd_leadership_hold hold;      /* GO: transfer to transfer_to */
    unsigned transfer_to;                /* node id, 0 unless GO */
    unsigned best;                       /* best follower beating the leader
                                            (also when held), 0 = none */
    enum hamd_coverage_verdict verdict;  /* how best beats the leader */
};

/* One step at now_ns (monotonic) and now_epoch_ns (UTC: compared with
 * the replicated last_transfer_epoch_ns, 0 = never). leader is this
 * node's coverage, peers the others'. On GO the state is reset: the next
 * leader starts its own watch. */
struct hamd_leadership_decision hamd_leadership_step(
    struct hamd_leadership *self, const struct hamd_leadership_params *p,
    const struct hamd_coverage *leader,
    const struct hamd_leadership_peer *peers, size_t n_peers, bool paused,
    int64_t last_transfer_epoch_ns, int64_t now_ns, int64_t now_epoch_ns);

/* Fills p with the defaults above. */
void hamd_leadership_params_default(struct hamd_leadership_params *p);

/* Returns "go", "nobody", "waiting", "paused", "cooldown". */
const char *hamd_leadership_hold_name(enum hamd_leadership_hold hold);

#endif /* HAMD_COVERAGE_H */
