/* Failover engine: pure planning. See failover.h for the rules.
 *
 * Cost: one pass to index exchanges and account ids (hamd_strmap), one
 * ranking per exchange (a filtered copy of the accounts sorted once by
 * priority and id), then per contract a walk of at most n_accounts ranked
 * entries. Moves are bucketed into groups and laid out contiguously.
 */
#include "core/failover.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/strmap.h"

#define CUR_NONE (-1) /* contract unassigned */
#define CUR_GONE (-2) /* contract on an account that no longer exists */
#define EXCH_MAP_CAP 32 /* exchanges expected; the map grows beyond */

#define TRIG_DELETED "deleted"
#define TRIG_DISABLED "disabled"
#define TRIG_STOPPED "stopped"
#define TRIG_NOT_SERVING "not_serving"
#define TRIG_UNASSIGNED "unassigned"
#define TRIG_SUBSCRIBED "subscribed"
#define TRIG_REVERT "revert_after"
#define TRIG_MANUAL "manual"

/* Which accounts a ranking walk accepts. */
enum want {
    WANT_CANDIDATE,  /* usable, HEALTHY, not quarantined */
    WANT_FAILBACK,   /* a candidate HEALTHY for revert_after_s */
    WANT_HEALTHY,    /* usable and HEALTHY, quarantine ignored */
    WANT_CONNECTING, /* usable and CONNECTING: warming up */
};

/* What one plan needs to know of an account, computed once. */
struct acct_info {
    bool usable;      /* enabled and not operator-stopped */
    bool healthy;     /* HEALTHY */
    bool connecting;  /* CONNECTING */
    bool quarantined; /* quarantine_until_ns is still ahead */
    bool held;        /* HEALTHY for at least revert_after_s */
};

/* Accounts serving one exchange, best first: ranking[first .. +count). */
struct exch_rank {
    size_t rep;   /* a contract of that exchange, for hamd_account_serves */
    size_t first; /* into planner.ranking */
    size_t count; /* accounts serving the exchange */
};

/* Working state of one planning run; freed before returning. */
struct planner {
    const struct hamd_failover_input *in; /* never written */
    struct acct_info *acct;   /* n_accounts */
    struct hamd_strmap *ids;  /* account id -> its acct_info */
    struct hamd_strmap *exch; /* exchange -> its exch_rank */
    struct exch_rank *rank;   /* n_exch used, n_contracts allocated */
    size_t n_exch;            /* distinct exchanges seen */
    int *ranking;             /* account indices, per exchange */
    int *exch_of;             /* per contract: exchange index, -1 invalid */
    int *cur_of;              /* per contract: account index or CUR_* */
    int *group_of;            /* per contract: group index, -1 none */
    size_t groups_cap;        /* allocated plan->groups */
    size_t last_group;        /* hint: contracts of a group cluster */
    struct hamd_failover_plan *plan; /* under construction */
};

static void set_err(struct hamd_failover_error *err, enum hamd_failover_errcode code,
                    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(struct hamd_failover_error *err, enum hamd_failover_errcode code,
                    const char *field, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------
 * Input indexing
 * ------------------------------------------------------------------------ */

static bool str_fits(const char *s, size_t cap)
{
    return s && memchr(s, '\0', cap) != NULL;
}

/* Maps the id of account a to its acct_info; false on a bad or
 * duplicate id. */
static bool register_id(struct planner *pl, size_t a,
                        struct hamd_failover_error *err)
{
    const char *id = pl->in->accounts[a].id;
    struct acct_info *ai = &pl->acct[a];
    if (!str_fits(id, HAMD_ACCOUNT_ID_MAX) || !id[0]) {
        set_err(err, HAMD_FAILOVER_EINVAL, "accounts", "account %zu: bad id", a);
        return false;
    }
    if (hamd_strmap_get(pl->ids, id)) {
        set_err(err, HAMD_FAILOVER_EINVAL, "accounts", "duplicate account %s", id);
        return false;
    }
    hamd_strmap_put(pl->ids, id, ai);
    if (hamd_strmap_get(pl->ids, id) != ai) {
        set_err(err, HAMD_FAILOVER_ENOMEM, NULL, "out of memory");
        return false;
    }
    return true;
}

static void derive_info(const struct hamd_failover_input *in, size_t a,
                        struct acct_info *ai)
{
    const struct hamd_failover_source *s = &in->sources[a];
    int64_t revert_ns = (int64_t)in->revert_after_s * HAMD_NS_PER_S;
    ai->usable = in->accounts[a].enabled && !s->stopped;
    ai->healthy = s->state == HAMD_HEALTH_HEALTHY;
    ai->connecting = s->state == HAMD_HEALTH_CONNECTING;
    ai->quarantined = s->quarantine_until_ns > in->now_ns;
    ai->held = ai->healthy && revert_ns > 0 &&
               s->healthy_since_ns <= in->now_ns - revert_ns;
}

static bool index_accounts(struct planner *pl, struct hamd_failover_error *err)
{
    for (size_t a = 0; a < pl->in->n_accounts; a++) {
        if (!register_id(pl, a, err))
            return false;
        derive_info(pl->in, a, &pl->acct[a]);
    }
    return true;
}

/* Returns the exchange part of a valid vt_symbol, or NULL. */
static const char *vt_exchange(const char *vt)
{
    if (!str_fits(vt, HAMD_VT_SYMBOL_MAX))
        return NULL;
    const char *dot = strrchr(vt, '.');
    return (dot && dot != vt && dot[1]) ? dot + 1 : NULL;
}

static void add_reject(struct planner *pl, const char *item,
                       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_reject(struct planner *pl, const char *item,
                       const char *fmt, ...)
{
    struct hamd_failover_plan *p = pl->plan;
    struct hamd_failover_reject *r = &p->rejects[p->n_rejects++];
    snprintf(r->item, sizeof r->item, "%.*s", (int)sizeof r->item - 1,
             item ? item : "(null)");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

static int current_of(const struct planner *pl, const char *active)
{
    if (!active || !active[0])
        return CUR_NONE;
    if (!str_fits(active, HAMD_ACCOUNT_ID_MAX))
        return CUR_GONE;
    const struct acct_info *ai = hamd_strmap_get(pl->ids, active);
    return ai ? (int)(ai - pl->acct) : CUR_GONE;
}

/* Returns the ranking slot of exchange ex, first seen at contract i;
 * NULL when out of memory. */
static struct exch_rank *exchange_of(struct planner *pl, const char *ex,
                                     size_t i)
{
    struct exch_rank *r = hamd_strmap_get(pl->exch, ex);
    if (r)
        return r;
    r = &pl->rank[pl->n_exch];
    r->rep = i;
    hamd_strmap_put(pl->exch, ex, r);
    if (hamd_strmap_get(pl->exch, ex) != r)
        return NULL;
    pl->n_exch++;
    return r;
}

static bool index_contracts(struct planner *pl)
{
    const struct hamd_failover_input *in = pl->in;
    for (size_t i = 0; i < in->n_contracts; i++) {
        const struct hamd_failover_contract *c = &in->contracts[i];
        pl->group_of[i] = -1;
        pl->cur_of[i] = current_of(pl, c->active);
        pl->exch_of[i] = -1;
        const char *ex = vt_exchange(c->vt_symbol);
        if (!ex) {
            add_reject(pl, c->vt_symbol, "invalid vt_symbol");
            continue;
        }
        struct exch_rank *r = exchange_of(pl, ex, i);
        if (!r)
            return false;
        pl->exch_of[i] = (int)(r - pl->rank);
    }
    return true;
}

static int cmp_priority_id(const void *pa, const void *pb, void *ud)
{
    const struct hamd_account *accounts = ud;
    const struct hamd_account *a = &accounts[*(const int *)pa];
    const struct hamd_account *b = &accounts[*(const int *)pb];
    if (a->priority != b->priority)
        return a->priority < b->priority ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* Ranks the accounts serving each exchange by (priority, id). */
static bool build_rankings(struct planner *pl)
{
    const struct hamd_failover_input *in = pl->in;
    size_t n = in->n_accounts;
    size_t cells = pl->n_exch * n;
    int *order = malloc((n ? n : 1) * sizeof *order);
    pl->ranking = malloc((cells ? cells : 1) * sizeof *pl->ranking);
    if (!order || !pl->ranking) {
        free(order);
        return false;
    }
    for (size_t a = 0; a < n; a++)
        order[a] = (int)a;
    if (n > 1)
        qsort_r(order, n, sizeof *order, cmp_priority_id,
                (void *)in->accounts);

    size_t used = 0;
    for (size_t e = 0; e < pl->n_exch; e++) {
        struct exch_rank *r = &pl->rank[e];
        const char *rep = in->contracts[r->rep].vt_symbol;
        r->first = used;
        for (size_t k = 0; k < n; k++)
            if (hamd_account_serves(&in->accounts[order[k]], rep))
                pl->ranking[used++] = order[k];
        r->count = used - r->first;
    }
    free(order);
    return true;
}

/* ------------------------------------------------------------------------
 * Selection
 * ------------------------------------------------------------------------ */

static bool fits(const struct acct_info *a, enum want w)
{
    switch (w) {
    case WANT_CANDIDATE: return a->usable && a->healthy && !a->quarantined;
    case WANT_FAILBACK:
        return a->usable && a->healthy && !a->quarantined && a->held;
    case WANT_HEALTHY: return a->usable && a->healthy;
    case WANT_CONNECTING: return a->usable && a->connecting;
    }
    return false;
}

static bool same_type(const struct planner *pl, int a, int cur)
{
    return cur >= 0 && strcmp(pl->in->accounts[a].gateway_type,
                              pl->in->accounts[cur].gateway_type) == 0;
}

/* Returns the best account of exchange e that fits w: the first in rank
 * order, except that among those of the same priority one of cur's
 * gateway_type wins. -1 when none fits. */
static int pick(const struct planner *pl, int e, int cur, enum want w)
{
    const struct exch_rank *r = &pl->rank[e];
    const struct hamd_account *acc = pl->in->accounts;
    int first = -1;
    for (size_t k = r->first; k < r->first + r->count; k++) {
        int a = pl->ranking[k];
        if (!fits(&pl->acct[a], w))
            continue;
        if (first >= 0 && acc[a].priority != acc[first].priority)
            break;
        if (same_type(pl, a, cur))
            return a;
        if (first < 0)
            first = a;
    }
    return first;
}

/* The best candidate; a quarantined HEALTHY account as the last resort. */
static int best_source(const struct planner *pl, int e, int cur)
{
    int to = pick(pl, e, cur, WANT_CANDIDATE);
    return to >= 0 ? to : pick(pl, e, cur, WANT_HEALTHY);
}

static bool serves(const struct planner *pl, int e, int a)
{
    const struct exch_rank *r = &pl->rank[e];
    for (size_t k = r->first; k < r->first + r->count; k++)
        if (pl->ranking[k] == a)
            return true;
    return false;
}

/* Why the current source cannot carry the contract whatever its health,
 * or NULL when it could. */
static const char *unusable_reason(const struct planner *pl, int e, int cur)
{
    if (cur == CUR_GONE)
        return TRIG_DELETED;
    if (!pl->in->accounts[cur].enabled)
        return TRIG_DISABLED;
    if (pl->in->sources[cur].stopped)
        return TRIG_STOPPED;
    if (!serves(pl, e, cur))
        return TRIG_NOT_SERVING;
    return NULL;
}

/* ------------------------------------------------------------------------
 * Groups
 * ------------------------------------------------------------------------ */

static const char *from_id_of(const struct planner *pl, size_t i)
{
    int cur = pl->cur_of[i];
    if (cur >= 0)
        return pl->in->accounts[cur].id;
    return cur == CUR_GONE ? pl->in->contracts[i].active : "";
}

static bool group_is(const struct hamd_failover_group *g, enum hamd_failover_kind kind,
                     const char *from_id, int to, const char *trigger,
                     bool failed)
{
    return g->kind == kind && g->to == to && g->source_failed == failed &&
           strcmp(g->trigger, trigger) == 0 &&
           strncmp(g->from_id, from_id, sizeof g->from_id) == 0;
}

/* Returns the index of the matching group, creating it; -1 on OOM. */
static int group_for(struct planner *pl, size_t i, enum hamd_failover_kind kind,
                     int to, const char *trigger, bool failed)
{
    struct hamd_failover_plan *p = pl->plan;
    const char *from_id = from_id_of(pl, i);
    if (pl->last_group < p->n_groups &&
        group_is(&p->groups[pl->last_group], kind, from_id, to, trigger,
                 failed))
        return (int)pl->last_group;
    for (size_t g = 0; g < p->n_groups; g++)
        if (group_is(&p->groups[g], kind, from_id, to, trigger, failed))
            return (int)(pl->last_group = g);
    if (p->n_groups == pl->groups_cap) {
        size_t cap = pl->groups_cap ? 2 * pl->groups_cap : 8;
        void *grown = realloc(p->groups, cap * sizeof *p->groups);
        if (!grown)
            return -1;
        p->groups = grown;
        pl->groups_cap = cap;
    }
    struct hamd_failover_group *g = &p->groups[p->n_groups];
    *g = (struct hamd_failover_group){.kind = kind, .from = pl->cur_of[i],
                                .to = to, .trigger = trigger,
                                .source_failed = failed};
    if (g->from < 0)
        g->from = -1;
    snprintf(g->from_id, sizeof g->from_id, "%.*s",
             (int)sizeof g->from_id - 1, from_id);
    return (int)(pl->last_group = p->n_groups++);
}

/* Puts contract i into the group (kind, its source, to, trigger). */
static bool add_move(struct planner *pl, size_t i, enum hamd_failover_kind kind,
                     int to, const char *trigger, bool failed)
{
    int g = group_for(pl, i, kind, to, trigger, failed);
    if (g < 0)
        return false;
    pl->group_of[i] = g;
    pl->plan->groups[g].count++;
    return true;
}

static const char *to_id_of(const struct hamd_failover_input *in,
                            const struct hamd_failover_group *g)
{
    return g->to >= 0 ? in->accounts[g->to].id : "";
}

static int cmp_groups(const void *pa, const void *pb, void *ud)
{
    const struct hamd_failover_input *in = ud;
    const struct hamd_failover_group *a = pa, *b = pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int c = strcmp(a->from_id, b->from_id);
    if (c == 0)
        c = strcmp(to_id_of(in, a), to_id_of(in, b));
    if (c == 0)
        c = strcmp(a->trigger, b->trigger);
    if (c == 0 && a->source_failed != b->source_failed)
        c = a->source_failed ? -1 : 1;
    return c;
}

/* Sorts the groups and lays their contracts out in plan->moves. */
static bool layout_groups(struct planner *pl)
{
    struct hamd_failover_plan *p = pl->plan;
    size_t n = p->n_groups;
    int *remap = malloc((n ? n : 1) * sizeof *remap);
    if (!remap)
        return false;
    /* Remember each group's old index in `first` to remap after sort. */
    for (size_t g = 0; g < n; g++)
        p->groups[g].first = g;
    if (n > 1)
        qsort_r(p->groups, n, sizeof *p->groups, cmp_groups,
                (void *)pl->in);
    size_t at = 0;
    for (size_t g = 0; g < n; g++) {
        remap[p->groups[g].first] = (int)g;
        p->groups[g].first = at;
        at += p->groups[g].count;
        p->groups[g].count = 0;
    }
    for (size_t i = 0; i < pl->in->n_contracts; i++) {
        if (pl->group_of[i] < 0)
            continue;
        struct hamd_failover_group *g = &p->groups[remap[pl->group_of[i]]];
        p->moves[g->first + g->count++] = i;
        pl->group_of[i] = remap[pl->group_of[i]];
    }
    p->n_moves = at;
    free(remap);
    return true;
}

/* ------------------------------------------------------------------------
 * Automatic decisions
 * ------------------------------------------------------------------------ */

/* No source can carry contract i: alarm once per episode. */
static bool raise_alarm(struct planner *pl, size_t i, const char *trigger)
{
    pl->plan->flags[i].alerted = true;
    if (pl->in->contracts[i].alerted)
        return true;
    return add_move(pl, i, HAMD_FAILOVER_NO_HEALTHY_BACKUP, -1, trigger, false);
}

/* A new subscription: only a HEALTHY source gets it, so that a source
 * that is merely first to connect is never "failed over" from. */
static bool decide_unassigned(struct planner *pl, size_t i, int e)
{
    int to = best_source(pl, e, CUR_NONE);
    /* At start-up the best source may simply connect a little later than
     * a worse one: wait for it, for a bounded time, rather than start on
     * the worse one and fail back only after revert_after_s. */
    int warming = pick(pl, e, CUR_NONE, WANT_CONNECTING);
    if (to >= 0 && warming >= 0 && pl->in->now_ns < pl->in->initial_wait_until_ns &&
        pl->in->accounts[warming].priority < pl->in->accounts[to].priority)
        return true;
    if (to >= 0)
        return add_move(pl, i, HAMD_FAILOVER_INITIAL, to, TRIG_SUBSCRIBED, false);
    if (warming >= 0)
        return true; /* a source is warming up: wait for it */
    return raise_alarm(pl, i, TRIG_UNASSIGNED);
}

/* The current source is fine: move only to a strictly better priority
 * that has proved itself for revert_after_s. */
static bool decide_failback(struct planner *pl, size_t i, int e, int cur)
{
    const struct hamd_account *acc = pl->in->accounts;
    pl->plan->flags[i].alerted = false;
    if (pl->in->contracts[i].pinned)
        return true;
    int to = pick(pl, e, cur, WANT_FAILBACK);
    if (to < 0 || acc[to].priority >= acc[cur].priority)
        return true;
    return add_move(pl, i, HAMD_FAILOVER_FAILBACK, to, TRIG_REVERT, false);
}

/* One contract of the automatic plan. False only when out of memory. */
static bool decide_auto(struct planner *pl, size_t i)
{
    int e = pl->exch_of[i], cur = pl->cur_of[i];
    if (e < 0)
        return true;
    if (cur == CUR_NONE)
        return decide_unassigned(pl, i, e);
    const char *unusable = unusable_reason(pl, e, cur);
    if (!unusable && pl->acct[cur].healthy)
        return decide_failback(pl, i, e, cur);

    const char *trigger =
        unusable ? unusable
                 : hamd_health_trigger_name(pl->in->sources[cur].trigger);
    int to = best_source(pl, e, cur);
    if (to >= 0)
        return add_move(pl, i, HAMD_FAILOVER_FAILOVER, to, trigger, !unusable);
    if (!unusable && pl->acct[cur].connecting)
        return true; /* relaunched and warming up: not an alarm yet */
    return raise_alarm(pl, i, trigger);
}

/* Pause holds every move; the cap holds failovers of failed sources. */
static void apply_holds(struct planner *pl)
{
    const struct hamd_failover_input *in = pl->in;
    struct hamd_failover_plan *p = pl->plan;
    unsigned done = in->failovers_today;
    bool capped = false;
    for (size_t g = 0; g < p->n_groups; g++) {
        struct hamd_failover_group *gr = &p->groups[g];
        bool is_move = gr->kind == HAMD_FAILOVER_FAILOVER ||
                       gr->kind == HAMD_FAILOVER_FAILBACK;
        if (in->paused && is_move) {
            gr->hold = HAMD_FAILOVER_HELD_PAUSED;
        } else if (gr->kind == HAMD_FAILOVER_FAILOVER && gr->source_failed) {
            if (in->daily_cap && done >= in->daily_cap) {
                gr->hold = HAMD_FAILOVER_HELD_DAILY_CAP;
                capped = true;
            } else {
                done++;
                p->failovers++;
            }
        }
    }
    p->raise_cap_event = capped && !in->cap_event_raised;
}

/* Quarantines account a from now, unless it already is for longer. */
static void order_quarantine(struct planner *pl, int a)
{
    const struct hamd_failover_input *in = pl->in;
    struct hamd_failover_plan *p = pl->plan;
    int64_t until = in->now_ns + (int64_t)in->quarantine_s * HAMD_NS_PER_S;
    if (until <= in->sources[a].quarantine_until_ns)
        return;
    for (size_t q = 0; q < p->n_quarantines; q++)
        if (p->quarantines[q].account == a)
            return;
    p->quarantines[p->n_quarantines++] =
        (struct hamd_failover_quarantine){.account = a, .until_ns = until};
}

/* Flags and quarantines of the groups that go ahead. */
static void apply_effects(struct planner *pl)
{
    struct hamd_failover_plan *p = pl->plan;
    for (size_t g = 0; g < p->n_groups; g++) {
        const struct hamd_failover_group *gr = &p->groups[g];
        if (gr->hold != HAMD_FAILOVER_GO || gr->kind == HAMD_FAILOVER_NO_HEALTHY_BACKUP)
            continue;
        for (size_t m = gr->first; m < gr->first + gr->count; m++) {
            struct hamd_failover_flags *f = &p->flags[p->moves[m]];
            f->alerted = false;
            f->pinned = gr->kind == HAMD_FAILOVER_MANUAL;
        }
        if (gr->kind == HAMD_FAILOVER_FAILOVER && gr->source_failed &&
            gr->from >= 0 && pl->in->quarantine_s > 0)
            order_quarantine(pl, gr->from);
    }
}

/* ------------------------------------------------------------------------
 * Planner lifecycle
 * ------------------------------------------------------------------------ */

static bool input_ok(const struct hamd_failover_input *in, struct hamd_failover_error *err)
{
    if (!in) {
        set_err(err, HAMD_FAILOVER_EINVAL, NULL, "no input");
        return false;
    }
    if (in->n_accounts > HAMD_FAILOVER_MAX_ACCOUNTS) {
        set_err(err, HAMD_FAILOVER_EINVAL, "accounts",
                "%zu accounts, at most %d", in->n_accounts,
                HAMD_FAILOVER_MAX_ACCOUNTS);
        return false;
    }
    if ((in->n_accounts && (!in->accounts || !in->sources)) ||
        (in->n_contracts && !in->contracts)) {
        set_err(err, HAMD_FAILOVER_EINVAL, NULL, "missing input array");
        return false;
    }
    return true;
}

static void planner_free(struct planner *pl)
{
    free(pl->acct);
    hamd_strmap_destroy(&pl->ids);
    hamd_strmap_destroy(&pl->exch);
    free(pl->rank);
    free(pl->ranking);
    free(pl->exch_of);
    free(pl->cur_of);
    free(pl->group_of);
    hamd_failover_plan_destroy(&pl->plan);
}

static struct hamd_failover_plan *plan_alloc(size_t n_contracts, size_t n_accounts,
                                       size_t n_extra_rejects)
{
    struct hamd_failover_plan *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    size_t nc = n_contracts ? n_contracts : 1;
    p->n_contracts = n_contracts;
    p->moves = malloc(nc * sizeof *p->moves);
    p->flags = calloc(nc, sizeof *p->flags);
    p->quarantines = malloc((n_accounts ? n_accounts : 1) *
                            sizeof *p->quarantines);
    p->rejects = malloc((n_contracts + n_extra_rejects + 1) *
                        sizeof *p->rejects);
    if (!p->moves || !p->flags || !p->quarantines || !p->rejects)
        hamd_failover_plan_destroy(&p);
    return p;
}

/* Validates and indexes the input. n_extra_rejects: room for rejects
 * that are not contracts (prefixes). False with *err on failure. */
static bool planner_init(struct planner *pl, const struct hamd_failover_input *in,
                         size_t n_extra_rejects, struct hamd_failover_error *err)
{
    memset(pl, 0, sizeof *pl);
    if (!input_ok(in, err))
        return false;
    pl->in = in;
    size_t nc = in->n_contracts ? in->n_contracts : 1;
    size_t na = in->n_accounts ? in->n_accounts : 1;
    pl->plan = plan_alloc(in->n_contracts, in->n_accounts, n_extra_rejects);
    pl->acct = calloc(na, sizeof *pl->acct);
    pl->rank = malloc(nc * sizeof *pl->rank);
    pl->ids = hamd_strmap_new(na);
    pl->exch = hamd_strmap_new(EXCH_MAP_CAP);
    pl->exch_of = malloc(nc * sizeof *pl->exch_of);
    pl->cur_of = malloc(nc * sizeof *pl->cur_of);
    pl->group_of = malloc(nc * sizeof *pl->group_of);
    if (!pl->plan || !pl->acct || !pl->rank || !pl->exch_of ||
        !pl->cur_of || !pl->group_of || !pl->ids || !pl->exch) {
        set_err(err, HAMD_FAILOVER_ENOMEM, NULL, "out of memory");
        return false;
    }
    if (!index_accounts(pl, err))
        return false;
    if (!index_contracts(pl)) {
        set_err(err, HAMD_FAILOVER_ENOMEM, NULL, "out of memory");
        return false;
    }
    for (size_t i = 0; i < in->n_contracts; i++)
        pl->plan->flags[i] = (struct hamd_failover_flags){
            .pinned = in->contracts[i].pinned,
            .alerted = in->contracts[i].alerted};
    if (!build_rankings(pl)) {
        set_err(err, HAMD_FAILOVER_ENOMEM, NULL, "out of memory");
        return false;
    }
    return true;
}

/* Lays out the groups, applies holds (automatic plans only) and effects,
 * and hands the plan over; frees the planner. */
static struct hamd_failover_plan *planner_finish(struct planner *pl, bool automatic,
                                           struct hamd_failover_error *err)
{
    struct hamd_failover_plan *p = NULL;
    if (layout_groups(pl)) {
        if (automatic)
            apply_holds(pl);
        apply_effects(pl);
        p = pl->plan;
        pl->plan = NULL;
    } else {
        set_err(err, HAMD_FAILOVER_ENOMEM, NULL, "out of memory");
    }
    planner_free(pl);
    return p;
}

static struct hamd_failover_plan *planner_fail(struct planner *pl,
                                         struct hamd_failover_error *err)
{
    if (err && err->code == HAMD_FAILOVER_OK)
        set_err(err, HAMD_FAILOVER_ENOMEM, NULL, "out of memory");
    planner_free(pl);
    return NULL;
}

struct hamd_failover_plan *hamd_failover_plan_auto(const struct hamd_failover_input *in,
                                        struct hamd_failover_error *err)
{
    struct planner pl;
    set_err(err, HAMD_FAILOVER_OK, NULL, "ok");
    if (!planner_init(&pl, in, 0, err))
        return planner_fail(&pl, err);
    for (size_t i = 0; i < in->n_contracts; i++)
        if (!decide_auto(&pl, i))
            return planner_fail(&pl, err);
    return planner_finish(&pl, true, err);
}

/* ------------------------------------------------------------------------
 * Manual operations
 * ------------------------------------------------------------------------ */

static bool prefixes_ok(const char *const *prefixes, size_t n,
                        struct hamd_failover_error *err)
{
    if (n && !prefixes) {
        set_err(err, HAMD_FAILOVER_EINVAL, "prefixes", "missing prefixes");
        return false;
    }
    if (n > HAMD_FAILOVER_MAX_PREFIXES) {
        set_err(err, HAMD_FAILOVER_EINVAL, "prefixes", "%zu prefixes, at most %d",
                n, HAMD_FAILOVER_MAX_PREFIXES);
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        if (!prefixes[k] || !prefixes[k][0]) {
            set_err(err, HAMD_FAILOVER_EINVAL, "prefixes",
                    "empty prefix (select everything with all)");
            return false;
        }
    }
    return true;
}

/* True when contract i is selected; marks the prefixes that matched. */
static bool selected(const struct planner *pl, size_t i,
                     const char *const *prefixes, size_t n, bool *matched)
{
    const char *vt = pl->in->contracts[i].vt_symbol;
    if (pl->exch_of[i] < 0)
        return false;
    if (n == 0)
        return true;
    bool any = false;
    for (size_t k = 0; k < n; k++) {
        if (strncmp(vt, prefixes[k], strlen(prefixes[k])) == 0) {
            matched[k] = true;
            any = true;
        }
    }
    return any;
}

/* Refuses the selection when a prefix matched no contract: an operator's
 * typo (`hactl failover --to b zz`) must not pass for a move of nothing,
 * nor half a move. *err names the prefixes (as many as fit). */
static bool all_matched(const char *const *prefixes, size_t n,
                        const bool *matched, struct hamd_failover_error *err)
{
    char list[HAMD_FAILOVER_ERR_MAX] = "";
    size_t unmatched = 0;
    for (size_t k = 0; k < n; k++) {
        if (matched[k])
            continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s",
                 unmatched++ ? ", " : "", prefixes[k]);
    }
    if (unmatched == 0)
        return true;
    set_err(err, HAMD_FAILOVER_ENOENT, "prefixes",
            "no subscribed contract matches %s (hactl subs list)", list);
    return false;
}

/* Checks the target of a manual failover; -1 with *err when refused. */
static int manual_target(const struct planner *pl, const char *to_id,
                         bool force, struct hamd_failover_error *err)
{
    if (!to_id || !to_id[0] || !str_fits(to_id, HAMD_ACCOUNT_ID_MAX)) {
        set_err(err, HAMD_FAILOVER_EINVAL, "to", "a target account is required");
        return -1;
    }
    const struct acct_info *ai = hamd_strmap_get(pl->ids, to_id);
    const char *why = NULL;
    if (!ai) {
        set_err(err, HAMD_FAILOVER_ENOENT, "to", "no account %s", to_id);
        return -1;
    }
    int to = (int)(ai - pl->acct);
    if (!pl->in->accounts[to].enabled)
        why = "is disabled";
    else if (pl->in->sources[to].stopped)
        why = "is stopped";
    else if (!force && !pl->acct[to].healthy)
        why = "is not HEALTHY (force overrides)";
    if (why) {
        set_err(err, HAMD_FAILOVER_ECONFLICT, "to", "account %s %s (%s)", to_id,
                why, hamd_health_state_name(pl->in->sources[to].state));
        return -1;
    }
    return to;
}

/* Manual failover of contract i to account `to`: move and pin. */
static bool manual_one(struct planner *pl, size_t i, int to)
{
    const struct hamd_failover_input *in = pl->in;
    int e = pl->exch_of[i];
    if (!serves(pl, e, to)) {
        add_reject(pl, in->contracts[i].vt_symbol,
                   "%s does not serve this exchange", in->accounts[to].id);
        return true;
    }
    pl->plan->flags[i].pinned = true;
    if (pl->cur_of[i] == to)
        return true;
    return add_move(pl, i, HAMD_FAILOVER_MANUAL, to, TRIG_MANUAL, false);
}

/* Runs one manual selection: op(pl, i, arg) for each selected contract. */
static struct hamd_failover_plan *run_manual(
    struct planner *pl, const char *const *prefixes, size_t n,
    bool (*op)(struct planner *, size_t, int), int arg,
    struct hamd_failover_error *err)
{
    bool *matched = calloc(n ? n : 1, sizeof *matched);
    if (!matched)
        return planner_fail(pl, err);
    for (size_t i = 0; i < pl->in->n_contracts; i++) {
        if (selected(pl, i, prefixes, n, matched) && !op(pl, i, arg)) {
            free(matched);
            return planner_fail(pl, err);
        }
    }
    bool ok = all_matched(prefixes, n, matched, err);
    free(matched);
    return ok ? planner_finish(pl, false, err) : planner_fail(pl, err);
}

/* Starts a manual plan: checks the prefixes and indexes the input. False
 * with *err on failure (planner_fail then frees what was made). */
static bool manual_init(struct planner *pl, const struct hamd_failover_input *in,
                        const char *const *prefixes, size_t n_prefixes,
                        struct hamd_failover_error *err)
{
    memset(pl, 0, sizeof *pl);
    set_err(err, HAMD_FAILOVER_OK, NULL, "ok");
    return prefixes_ok(prefixes, n_prefixes, err) &&
           planner_init(pl, in, n_prefixes, err);
}

struct hamd_failover_plan *hamd_failover_plan_manual(
    const struct hamd_failover_input *in, const char *to_id,
    const char *const *prefixes, size_t n_prefixes, bool force,
    struct hamd_failover_error *err)
{
    struct planner pl;
    if (!manual_init(&pl, in, prefixes, n_prefixes, err))
        return planner_fail(&pl, err);
    int to = manual_target(&pl, to_id, force, err);
    if (to < 0)
        return planner_fail(&pl, err);
    return run_manual(&pl, prefixes, n_prefixes, manual_one, to, err);
}

/* Manual failback of contract i: best HEALTHY source now, unpinned. */
static bool failback_one(struct planner *pl, size_t i, int unused)
{
    (void)unused;
    int e = pl->exch_of[i], cur = pl->cur_of[i];
    pl->plan->flags[i].pinned = false;
    int to = pick(pl, e, cur, WANT_HEALTHY);
    if (to < 0) {
        add_reject(pl, pl->in->contracts[i].vt_symbol, "no HEALTHY source");
        return true;
    }
    if (to == cur)
        return true;
    return add_move(pl, i, cur == CUR_NONE ? HAMD_FAILOVER_INITIAL : HAMD_FAILOVER_FAILBACK,
                    to, TRIG_MANUAL, false);
}

struct hamd_failover_plan *hamd_failover_plan_failback(
    const struct hamd_failover_input *in, const char *const *prefixes,
    size_t n_prefixes, struct hamd_failover_error *err)
{
    struct planner pl;
    if (!manual_init(&pl, in, prefixes, n_prefixes, err))
        return planner_fail(&pl, err);
    return run_manual(&pl, prefixes, n_prefixes, failback_one, 0, err);
}

/* ------------------------------------------------------------------------
 * Plan
 * ------------------------------------------------------------------------ */

void hamd_failover_plan_destroy(struct hamd_failover_plan **self)
{
    if (!self || !*self)
        return;
    struct hamd_failover_plan *p = *self;
    free(p->groups);
    free(p->moves);
    free(p->quarantines);
    free(p->flags);
    free(p->rejects);
    free(p);
    *self = NULL;
}

/* The names of each kind: its own, and the event_type of its groups. */
static const struct {
    const char *name;  /* hamd_failover_kind_name */
    const char *event; /* hamd_failover_event_type */
} FO_KIND_NAMES[] = {
    [HAMD_FAILOVER_FAILOVER] = {"failover", "failover_executed"},
    [HAMD_FAILOVER_FAILBACK] = {"failback", "failback_executed"},
    [HAMD_FAILOVER_INITIAL] = {"initial", "initial_assignment"},
    [HAMD_FAILOVER_NO_HEALTHY_BACKUP] = {"no_healthy_backup", "no_healthy_backup"},
    [HAMD_FAILOVER_MANUAL] = {"manual", "failover_executed"},
};

#define FO_N_KINDS (sizeof FO_KIND_NAMES / sizeof FO_KIND_NAMES[0])

const char *hamd_failover_kind_name(enum hamd_failover_kind kind)
{
    return (unsigned)kind < FO_N_KINDS ? FO_KIND_NAMES[kind].name : "unknown";
}

const char *hamd_failover_event_type(enum hamd_failover_kind kind)
{
    return (unsigned)kind < FO_N_KINDS ? FO_KIND_NAMES[kind].event : "unknown";
}

const char *hamd_failover_hold_name(enum hamd_failover_hold hold)
{
    switch (hold) {
    case HAMD_FAILOVER_GO: return "go";
    case HAMD_FAILOVER_HELD_PAUSED: return "paused";
    case HAMD_FAILOVER_HELD_DAILY_CAP: return "daily_cap";
    }
    return "unknown";
}
