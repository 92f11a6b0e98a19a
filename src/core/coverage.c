/* Coverage and the leadership judge: see coverage.h for the rules. */
#include "core/coverage.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"

/* ------------------------------------------------------------------------
 * One node's coverage
 * ------------------------------------------------------------------------ */

/* The best usable HEALTHY account serving exchange ex. */
struct exch_best {
    int priority;    /* HAMD_COVERAGE_NONE when nobody serves it */
    int account;     /* -1 when nobody serves it */
};

/* True when account a serves exchange ex and can publish on the node. */
static bool account_covers(const struct hamd_account *a,
                           enum hamd_health_state state, bool stopped,
                           const char *ex)
{
    if (!a->enabled || stopped || state != HAMD_HEALTH_HEALTHY)
        return false;
    for (unsigned e = 0; e < a->n_exchanges && e < HAMD_ACCOUNT_EXCH_MAX; e++)
        if (strcmp(a->exchanges[e], ex) == 0)
            return true;
    return false;
}

static struct exch_best exchange_best(const struct hamd_account *accounts,
                                      const enum hamd_health_state *states,
                                      const bool *stopped, size_t n,
                                      const char *ex)
{
    struct exch_best b = {HAMD_COVERAGE_NONE, -1};
    for (size_t a = 0; a < n; a++) {
        if (!account_covers(&accounts[a], states[a], stopped && stopped[a], ex))
            continue;
        /* Ties go to the lower index: the caller's order is the store's,
         * sorted by id, so every node picks the same account. */
        if (accounts[a].priority < b.priority) {
            b.priority = accounts[a].priority;
            b.account = (int)a;
        }
    }
    return b;
}

bool hamd_coverage_exchange_add(struct hamd_coverage_exchange *ex, size_t *n,
                                size_t cap, const char *vt_symbol)
{
    const char *dot = strrchr(vt_symbol, '.');
    const char *name = dot ? dot + 1 : "";
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(ex[i].name, name) == 0) {
            ex[i].contracts++;
            return true;
        }
    }
    if (*n == cap)
        return false;
    /* A vt_symbol fits in name, so its exchange does. */
    snprintf(ex[*n].name, sizeof ex[*n].name, "%s", name);
    ex[*n].contracts = 1;
    (*n)++;
    return true;
}

void hamd_coverage_compute(const struct hamd_account *accounts,
                           const enum hamd_health_state *states,
                           const bool *stopped, size_t n_accounts,
                           const struct hamd_coverage_exchange *exchanges,
                           size_t n_exchanges, struct hamd_coverage *out)
{
    out->n_exchanges = n_exchanges;
    out->covered = 0;
    out->priority_sum = 0;
    for (size_t e = 0; e < n_exchanges; e++) {
        struct exch_best b = {HAMD_COVERAGE_NONE, -1};
        if (states && exchanges[e].name[0])
            b = exchange_best(accounts, states, stopped, n_accounts,
                              exchanges[e].name);
        out->best[e] = b.priority;
        out->source[e] = b.account;
        if (b.account >= 0) {
            out->covered += exchanges[e].contracts;
            out->priority_sum +=
                (int64_t)b.priority * (int64_t)exchanges[e].contracts;
        }
    }
}

enum hamd_coverage_verdict hamd_coverage_compare(
    const struct hamd_coverage *follower, const struct hamd_coverage *leader)
{
    if (follower->covered != leader->covered)
        return follower->covered > leader->covered ? HAMD_COVERAGE_MORE
                                                   : HAMD_COVERAGE_NOT_BETTER;
    bool strictly = false;
    size_t n = follower->n_exchanges < leader->n_exchanges
                   ? follower->n_exchanges
                   : leader->n_exchanges;
    for (size_t e = 0; e < n; e++) {
        if (follower->best[e] > leader->best[e])
            return HAMD_COVERAGE_NOT_BETTER; /* its contracts made worse */
        strictly |= follower->best[e] < leader->best[e];
    }
    return strictly ? HAMD_COVERAGE_BETTER : HAMD_COVERAGE_NOT_BETTER;
}

const char *hamd_coverage_verdict_name(enum hamd_coverage_verdict v)
{
    switch (v) {
    case HAMD_COVERAGE_NOT_BETTER: return "not_better";
    case HAMD_COVERAGE_MORE: return "more_contracts";
    case HAMD_COVERAGE_BETTER: return "better_priorities";
    }
    return "unknown";
}

/* ------------------------------------------------------------------------
 * Leadership follows the data
 * ------------------------------------------------------------------------ */

void hamd_leadership_params_default(struct hamd_leadership_params *p)
{
    p->transfer_after_ns =
        (int64_t)HAMD_COVERAGE_TRANSFER_AFTER_MS * HAMD_NS_PER_MS;
    p->cooldown_ns = (int64_t)HAMD_COVERAGE_COOLDOWN_S * HAMD_NS_PER_S;
    p->report_max_age_ns =
        (int64_t)HAMD_COVERAGE_REPORT_MAX_AGE_MS * HAMD_NS_PER_MS;
}

/* True when peer a beats the leader by more than peer b does (b may not
 * beat it at all): the most contracts, then the lowest priority sum, then
 * the lowest id (stable). */
static bool beats_more(const struct hamd_leadership_peer *a,
                       const struct hamd_leadership_peer *b)
{
    if (!b)
        return true;
    if (a->cov->covered != b->cov->covered)
        return a->cov->covered > b->cov->covered;
    if (a->cov->priority_sum != b->cov->priority_sum)
        return a->cov->priority_sum < b->cov->priority_sum;
    return a->id < b->id;
}

/* The follower that beats the leader most, or NULL. */
static const struct hamd_leadership_peer *best_challenger(
    const struct hamd_leadership_params *p, const struct hamd_coverage *leader,
    const struct hamd_leadership_peer *peers, size_t n_peers, int64_t now_ns,
    enum hamd_coverage_verdict *verdict)
{
    const struct hamd_leadership_peer *best = NULL;
    *verdict = HAMD_COVERAGE_NOT_BETTER;
    for (size_t i = 0; i < n_peers; i++) {
        const struct hamd_leadership_peer *f = &peers[i];
        bool fresh = f->report_ns > 0 &&
                     now_ns - f->report_ns <= p->report_max_age_ns;
        if (f->witness || !f->cov || !fresh)
            continue; /* a stale report covers nothing */
        enum hamd_coverage_verdict v = hamd_coverage_compare(f->cov, leader);
        if (v != HAMD_COVERAGE_NOT_BETTER && beats_more(f, best)) {
            best = f;
            *verdict = v;
        }
    }
    return best;
}

struct hamd_leadership_decision hamd_leadership_step(
    struct hamd_leadership *self, const struct hamd_leadership_params *p,
    const struct hamd_coverage *leader,
    const struct hamd_leadership_peer *peers, size_t n_peers, bool paused,
    int64_t last_transfer_epoch_ns, int64_t now_ns, int64_t now_epoch_ns)
{
    struct hamd_leadership_decision d = {HAMD_LEADERSHIP_NOBODY, 0, 0,
                                         HAMD_COVERAGE_NOT_BETTER};
    const struct hamd_leadership_peer *best =
        best_challenger(p, leader, peers, n_peers, now_ns, &d.verdict);
    if (!best) {
        self->beaten_by = 0;
        self->beaten_since_ns = 0;
        return d;
    }
    d.best = best->id;
    self->beaten_by = best->id;
    if (self->beaten_since_ns == 0)
        self->beaten_since_ns = now_ns;
    if (paused)
        d.hold = HAMD_LEADERSHIP_PAUSED;
    else if (now_ns - self->beaten_since_ns < p->transfer_after_ns)
        d.hold = HAMD_LEADERSHIP_WAITING;
    else if (last_transfer_epoch_ns > 0 &&
             now_epoch_ns - last_transfer_epoch_ns < p->cooldown_ns)
        d.hold = HAMD_LEADERSHIP_COOLDOWN;
    else
        d.hold = HAMD_LEADERSHIP_GO;
    if (d.hold == HAMD_LEADERSHIP_GO) {
        d.transfer_to = best->id;
        self->beaten_by = 0;
        self->beaten_since_ns = 0;
    }
    return d;
}

const char *hamd_leadership_hold_name(enum hamd_leadership_hold hold)
{
    switch (hold) {
    case HAMD_LEADERSHIP_GO: return "go";
    case HAMD_LEADERSHIP_NOBODY: return "nobody";
    case HAMD_LEADERSHIP_WAITING: return "waiting";
    case HAMD_LEADERSHIP_PAUSED: return "paused";
    case HAMD_LEADERSHIP_COOLDOWN: return "cooldown";
    }
    return "unknown";
}
