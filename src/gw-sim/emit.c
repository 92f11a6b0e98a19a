/* Delivery of the simulated feed: see emit.h. Pure: no clock, no I/O. */
#include "gw-sim/emit.h"

#include <string.h>

#include "gw-sim/feed.h"

void gwsim_emit_init(struct gwsim_emit *self, int64_t max_lag_ns)
{
    memset(self, 0, sizeof *self);
    self->max_lag_ns = max_lag_ns;
    self->next_due_ns = INT64_MAX;
}

void gwsim_emit_idle(struct gwsim_emit *self)
{
    self->behind = false;
    self->blocked = false;
    self->next_due_ns = INT64_MAX;
}

void gwsim_emit_resync(struct gwsim_symtab *subs, int64_t wall_ns)
{
    for (size_t i = 0; i < subs->count; i++) {
        struct gwsim_sub *sub = &subs->subs[i];
        int64_t now_n = simfeed_n_at(wall_ns, sub->feed.rate_milli);
        if (sub->next_n < now_n)
            sub->next_n = now_n;
    }
}

/* With a max lag: skips the ticks of sub due before wall_ns - max_lag. */
static void skip_late(struct gwsim_emit *self, struct gwsim_sub *sub,
                      int64_t wall_ns)
{
    if (self->max_lag_ns <= 0)
        return;
    int64_t oldest = simfeed_n_at(wall_ns - self->max_lag_ns,
                                  sub->feed.rate_milli);
    if (sub->next_n < oldest) {
        self->skipped += (uint64_t)(oldest - sub->next_n);
        sub->next_n = oldest;
    }
}

/* Delivers the due ticks of one contract, at most the burst cap and the
 * round's remaining budget. Returns -1 when the budget ran out or the
 * sink refused (the contract is then resumed first next time). */
static int emit_symbol(struct gwsim_emit *self, struct gwsim_sub *sub,
                       int64_t wall_ns, int64_t delay_ns, size_t *budget,
                       gwsim_emit_sink sink, void *ud)
{
    uint32_t rate = sub->feed.rate_milli;
    skip_late(self, sub, wall_ns - delay_ns);
    int64_t target = simfeed_n_at(wall_ns - delay_ns, rate);
    int64_t limit = target;
    if (limit > sub->next_n + GWSIM_EMIT_BURST_TICKS - 1)
        limit = sub->next_n + GWSIM_EMIT_BURST_TICKS - 1;
    for (; sub->next_n <= limit; sub->next_n++, (*budget)--) {
        if (*budget == 0)
            return -1;
        simfeed_tick(&sub->feed, sub->next_n, &self->tick);
        if (sink(ud, &self->tick, sub->next_n) != 0) {
            self->blocked = true;
            return -1;
        }
    }
    int64_t due = simfeed_due_ns(sub->next_n, rate) + delay_ns;
    if (sub->next_n <= target)
        self->behind = true;
    else if (due < self->next_due_ns)
        self->next_due_ns = due;
    return 0;
}

void gwsim_emit_round(struct gwsim_emit *self, struct gwsim_symtab *subs,
                      int64_t wall_ns, int64_t delay_ns, gwsim_emit_sink sink,
                      void *ud)
{
    gwsim_emit_idle(self);
    size_t count = subs->count;
    size_t budget = GWSIM_EMIT_BUDGET_TICKS;
    for (size_t k = 0; k < count; k++) {
        size_t i = (self->cursor + k) % count;
        if (emit_symbol(self, &subs->subs[i], wall_ns, delay_ns, &budget,
                        sink, ud) != 0) {
            self->cursor = i;
            self->behind = true;
            return;
        }
    }
}
