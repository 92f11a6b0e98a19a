/* hamd-gw-sim's I/O shell: see sim.h. */
#include "gw-sim/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "gw-sim/feed.h"
#include "gw-sim/sim_internal.h"

/* The send queue, in messages. A full queue only holds the sim back
 * (ticks wait, none is lost), so it need not be deep: a sim that runs far
 * ahead of a slow hub only burns CPU and memory on its backlog (~54 MB at
 * this bound when every message is a full batch). */
#define GWSIM_SNDHWM_TICKS 65536
#define GWSIM_SNDHWM_MSGS (GWSIM_SNDHWM_TICKS / HAMD_GWOUT_TICKS_PER_MSG)
#define GWSIM_LINGER_MS 100             /* flush time on a clean exit */
#define GWSIM_LOOP_MAX_WAIT_MS 100      /* poll at least this often */
/* Ticks sent per loop iteration, and per contract within it: a wall clock
 * jump or a slow hub is caught up over several iterations, so commands
 * and heartbeats are still served in between. Nothing is skipped. */
#define GWSIM_LOOP_BUDGET_TICKS 5000
#define GWSIM_SYMBOL_BURST_TICKS 100    /* ... of one contract */
#define GWSIM_DETAIL_MAX 64             /* bytes of a STATUS detail */

int64_t gwsim_mono_ms(void) { return hamd_mono_ns() / HAMD_NS_PER_MS; }

/* Creates and binds the REP control socket. */
static int bind_control(struct gwsim *self, const char *endpoint)
{
    int linger = 0;
    self->control = zmq_socket(self->zctx, ZMQ_REP);
    if (!self->control ||
        zmq_setsockopt(self->control, ZMQ_LINGER, &linger, sizeof linger) != 0)
        return -1;
    return zmq_bind(self->control, endpoint);
}

struct gwsim *gwsim_new(const char *endpoint, const char *account,
                        const struct gwsim_params *params, char *err,
                        size_t errcap, int *exit_code)
{
    *exit_code = GWSIM_EXIT_ERROR;
    struct gwsim *self = calloc(1, sizeof *self);
    if (!self || !(self->zctx = zmq_ctx_new()) ||
        !(self->subs = gwsim_symtab_new())) {
        snprintf(err, errcap, "out of memory");
        gwsim_destroy(&self);
        return NULL;
    }
    snprintf(self->account, sizeof self->account, "%s", account);
    self->params = params;
    self->next_tick_wall_ns = INT64_MAX;
    self->dealer = hamd_gwout_dealer_open(self->zctx, endpoint, account,
                                          GWSIM_SNDHWM_MSGS, GWSIM_LINGER_MS);
    if (!self->dealer) {
        snprintf(err, errcap, "cannot connect to %s: %s", endpoint,
                 zmq_strerror(errno));
        *exit_code = GWSIM_EXIT_USAGE;
        gwsim_destroy(&self);
        return NULL;
    }
    char control[GWSIM_ENDPOINT_MAX];
    bool expanded = gwsim_endpoint_expand(params->control, (long)getpid(),
                                          control, sizeof control);
    if (params->control[0] && (!expanded || bind_control(self, control) != 0)) {
        snprintf(err, errcap, "cannot bind control endpoint %s: %s",
                 expanded ? control : params->control,
                 expanded ? zmq_strerror(errno) : "too long");
        *exit_code = GWSIM_EXIT_USAGE;
        gwsim_destroy(&self);
        return NULL;
    }
    gwsim_out_init(&self->out, self->dealer);
    return self;
}

void gwsim_destroy(struct gwsim **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct gwsim *self = *self_p;
    if (self->dealer)
        zmq_close(self->dealer);
    if (self->control)
        zmq_close(self->control);
    if (self->zctx)
        zmq_ctx_term(self->zctx);
    gwsim_symtab_destroy(&self->subs);
    free(self);
    *self_p = NULL;
}

void gwsim_crash_now(void)
{
    LOG_ERROR("fault crash: exiting with code %d", GWSIM_EXIT_CRASH);
    _exit(GWSIM_EXIT_CRASH);
}

/* Moves every contract's cursor to the current tick: the gap after a
 * stall or a reconnect is never delivered, as with a real feed. */
static void resync(struct gwsim *self, int64_t wall_ns)
{
    for (size_t i = 0; i < self->subs->count; i++) {
        struct gwsim_sub *sub = &self->subs->subs[i];
        int64_t now_n = simfeed_n_at(wall_ns, sub->feed.rate_milli);
        if (sub->next_n < now_n)
            sub->next_n = now_n;
    }
}

void gwsim_apply_effects(struct gwsim *self, const struct gwsim_effects *fx)
{
    char detail[GWSIM_DETAIL_MAX];
    snprintf(detail, sizeof detail, "sim fault=%s",
             gwsim_fault_name(self->faults.fault));
    for (unsigned i = 0; i < fx->n_status; i++) {
        LOG_INFO("status %s (%s)", hamd_gw_state_name(fx->status[i]), detail);
        if (hamd_gwout_status(&self->out.gw, fx->status[i], detail) != 0)
            LOG_WARN("could not queue STATUS %s",
                     hamd_gw_state_name(fx->status[i]));
    }
    if (fx->crash)
        gwsim_crash_now();
    if (fx->resync)
        resync(self, hamd_wall_ns());
}

/* Sends a heartbeat when one is due and the link is up. */
static void send_hb_if_due(struct gwsim *self, int64_t now_ms)
{
    if (!gwsim_faults_hb_flow(&self->faults) || now_ms < self->next_hb_ms)
        return;
    hamd_gwout_hb(&self->out.gw, hamd_wall_ns());
    self->next_hb_ms = now_ms + HAMD_GW_HB_INTERVAL_MS;
}

/* Sends the due ticks of one contract, at most the burst cap and the
 * iteration's remaining budget. Returns -1 when the budget ran out or the
 * queue is full (the contract is then resumed first next time). */
static int emit_symbol(struct gwsim *self, struct gwsim_sub *sub,
                       int64_t wall_ns, int64_t delay_ns, size_t *budget)
{
    uint32_t rate = sub->feed.rate_milli;
    int64_t target = simfeed_n_at(wall_ns - delay_ns, rate);
    int64_t limit = target;
    if (limit > sub->next_n + GWSIM_SYMBOL_BURST_TICKS - 1)
        limit = sub->next_n + GWSIM_SYMBOL_BURST_TICKS - 1;
    for (; sub->next_n <= limit; sub->next_n++, (*budget)--) {
        if (*budget == 0)
            return -1;
        simfeed_tick(&sub->feed, sub->next_n, &self->tick);
        self->tick.localtime_ns = wall_ns;
        if (gwsim_out_tick(&self->out, &self->tick, sub->next_n,
                           self->faults.fault) != 0) {
            self->blocked = true;
            return -1;
        }
    }
    int64_t due = simfeed_due_ns(sub->next_n, rate) + delay_ns;
    if (sub->next_n <= target)
        self->behind = true;
    else if (due < self->next_tick_wall_ns)
        self->next_tick_wall_ns = due;
    return 0;
}

/* One round over the subscribed contracts, starting where the previous
 * round stopped so a budget cut never starves the same contracts. */
static void emit_round(struct gwsim *self, int64_t wall_ns)
{
    self->behind = false;
    self->blocked = false;
    self->next_tick_wall_ns = INT64_MAX;
    size_t count = self->subs->count;
    if (!gwsim_faults_ticks_flow(&self->faults) || count == 0)
        return;
    int64_t delay_ns = gwsim_faults_delay_ms(&self->faults) * HAMD_NS_PER_MS;
    size_t budget = GWSIM_LOOP_BUDGET_TICKS;
    for (size_t k = 0; k < count; k++) {
        size_t i = (self->cursor + k) % count;
        if (emit_symbol(self, &self->subs->subs[i], wall_ns, delay_ns,
                        &budget) != 0) {
            self->cursor = i;
            self->behind = true;
            return;
        }
    }
}

/* Sends the due ticks, batched into TICK messages that all end before
 * the loop waits: a held tick would otherwise wait for the next round. */
static void emit_due_ticks(struct gwsim *self, int64_t wall_ns)
{
    emit_round(self, wall_ns);
    hamd_gwout_flush(&self->out.gw);
}

/* How long the next poll may wait, in ms. */
static long loop_timeout_ms(const struct gwsim *self, int64_t now_ms,
                            int64_t wall_ns)
{
    if (self->behind && !self->blocked)
        return 0;
    int64_t wait = GWSIM_LOOP_MAX_WAIT_MS;
    if (gwsim_faults_hb_flow(&self->faults) && self->next_hb_ms - now_ms < wait)
        wait = self->next_hb_ms - now_ms;
    int64_t fault_due = gwsim_faults_next_due_ms(&self->faults);
    if (fault_due != INT64_MAX && fault_due - now_ms < wait)
        wait = fault_due - now_ms;
    if (self->next_tick_wall_ns != INT64_MAX) {
        int64_t tick_wait = (self->next_tick_wall_ns - wall_ns +
                             HAMD_NS_PER_MS - 1) / HAMD_NS_PER_MS;
        if (tick_wait < wait)
            wait = tick_wait;
    }
    return wait < 0 ? 0 : (long)wait;
}

/* Waits for the hub, the control socket or the next timer. Returns 0, or
 * -1 when polling fails for another reason than a signal. */
static int poll_once(struct gwsim *self, long timeout_ms)
{
    zmq_pollitem_t items[2] = {
        {self->dealer, 0, ZMQ_POLLIN | (self->blocked ? ZMQ_POLLOUT : 0), 0},
        {self->control, 0, ZMQ_POLLIN, 0},
    };
    if (zmq_poll(items, self->control ? 2 : 1, timeout_ms) < 0)
        return errno == EINTR ? 0 : -1;
    if (items[0].revents & ZMQ_POLLIN)
        gwsim_hub_read(self);
    if (self->control && (items[1].revents & ZMQ_POLLIN))
        gwsim_control_serve(self);
    return 0;
}

/* HELLO, the initial STATUS sequence and the initial fault. */
static void start(struct gwsim *self)
{
    struct gwsim_fault_cfg cfg;
    struct gwsim_effects fx;
    int64_t now_ms = gwsim_mono_ms();
    if (gwsim_out_hello(&self->out, self->account, (int64_t)getpid()) != 0)
        LOG_WARN("could not queue HELLO");
    gwsim_params_fault_cfg(self->params, &cfg);
    gwsim_faults_start(&self->faults, &cfg, now_ms, &fx);
    gwsim_apply_effects(self, &fx);
    self->next_hb_ms = now_ms;
}

int gwsim_run(struct gwsim *self, const volatile sig_atomic_t *stop)
{
    start(self);
    while (!*stop && !self->stopping) {
        int64_t now_ms = gwsim_mono_ms();
        struct gwsim_effects fx = {0};
        gwsim_faults_advance(&self->faults, now_ms, &fx);
        gwsim_apply_effects(self, &fx);
        send_hb_if_due(self, now_ms);
        int64_t wall_ns = hamd_wall_ns();
        emit_due_ticks(self, wall_ns);
        if (poll_once(self, loop_timeout_ms(self, now_ms, wall_ns)) != 0) {
            LOG_ERROR("zmq_poll: %s", zmq_strerror(errno));
            return GWSIM_EXIT_ERROR;
        }
    }
    LOG_INFO("stopping (%s); %llu ticks sent",
             self->stopping ? "STOP" : "signal",
             (unsigned long long)self->out.gw.counters.ticks);
    return GWSIM_EXIT_OK;
}
