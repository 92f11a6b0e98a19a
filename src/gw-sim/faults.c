/* Connection and fault state machine of the simulator: see faults.h. */
#include "gw-sim/faults.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"

/* ------------------------------------------------------------------------
 * Fault names
 * ------------------------------------------------------------------------ */

static const char *const FAULT_NAMES[GWSIM_FAULT_COUNT] = {
    [GWSIM_FAULT_NONE] = "none",
    [GWSIM_FAULT_CRASH] = "crash",
    [GWSIM_FAULT_STALL] = "stall",
    [GWSIM_FAULT_DISCONNECT] = "disconnect",
    [GWSIM_FAULT_GARBAGE] = "garbage",
    [GWSIM_FAULT_SLOW] = "slow",
    [GWSIM_FAULT_WRONG] = "wrong",
    [GWSIM_FAULT_JITTER] = "jitter",
};

const char *gwsim_fault_name(enum gwsim_fault fault)
{
    if ((unsigned)fault >= GWSIM_FAULT_COUNT)
        return "?";
    return FAULT_NAMES[fault];
}

int gwsim_fault_parse(const char *name, enum gwsim_fault *out)
{
    for (unsigned i = 0; i < GWSIM_FAULT_COUNT; i++)
        if (strcmp(name, FAULT_NAMES[i]) == 0) {
            *out = (enum gwsim_fault)i;
            return 0;
        }
    return -1;
}

bool gwsim_fault_takes_arg(enum gwsim_fault fault)
{
    return fault == GWSIM_FAULT_SLOW || fault == GWSIM_FAULT_JITTER ||
           fault == GWSIM_FAULT_DISCONNECT;
}

/* ------------------------------------------------------------------------
 * The state machine
 * ------------------------------------------------------------------------ */

/* Queues one STATUS and records it as the reported link state. */
static void report(struct gwsim_faults *self, struct gwsim_effects *fx,
                   enum hamd_gw_state state)
{
    self->link = state;
    if (fx->n_status < GWSIM_STATUS_BURST_MAX)
        fx->status[fx->n_status++] = state;
}

/* Reports logged_in; ticks restart at the current n, as after a login the
 * exchange sends only what happens from now on. */
static void log_in(struct gwsim_faults *self, struct gwsim_effects *fx)
{
    self->login_at_ms = GWSIM_NEVER_MS;
    report(self, fx, HAMD_GW_LOGGED_IN);
    fx->resync = true;
}

/* connected, then logged_in now or after login_ms. */
static void attach(struct gwsim_faults *self, int64_t now_ms,
                   struct gwsim_effects *fx)
{
    report(self, fx, HAMD_GW_CONNECTED);
    if (self->cfg.login_ms <= 0)
        log_in(self, fx);
    else
        self->login_at_ms = now_ms + self->cfg.login_ms;
}

/* connecting, then attach unless the front is not there yet. */
static void connect_link(struct gwsim_faults *self, int64_t now_ms,
                         struct gwsim_effects *fx)
{
    report(self, fx, HAMD_GW_CONNECTING);
    if (!self->cfg.upstream || self->upstream_up)
        attach(self, now_ms, fx);
}

/* The ARG a fault runs with, given the requested one (NEVER = default). */
static int64_t effective_arg(const struct gwsim_faults *self,
                             enum gwsim_fault fault, int64_t arg_ms)
{
    if (fault == GWSIM_FAULT_SLOW)
        return arg_ms >= 0 ? arg_ms : GWSIM_SLOW_DEFAULT_MS;
    if (fault == GWSIM_FAULT_JITTER)
        return arg_ms >= 0 ? arg_ms : GWSIM_JITTER_DEFAULT_MS;
    if (fault == GWSIM_FAULT_DISCONNECT)
        return arg_ms >= 0 ? arg_ms : self->cfg.reconnect_ms;
    return GWSIM_NEVER_MS;
}

/* Leaves the active fault and enters the new one. */
static void apply(struct gwsim_faults *self, enum gwsim_fault fault,
                  int64_t arg_ms, int64_t now_ms, struct gwsim_effects *fx)
{
    enum gwsim_fault old = self->fault;
    if (fault == GWSIM_FAULT_CRASH)
        fx->crash = true;
    if (old != fault && old == GWSIM_FAULT_DISCONNECT)
        connect_link(self, now_ms, fx);
    if (old != fault && old == GWSIM_FAULT_STALL)
        fx->resync = true;
    if (old != fault && fault == GWSIM_FAULT_DISCONNECT) {
        self->login_at_ms = GWSIM_NEVER_MS;
        report(self, fx, HAMD_GW_DISCONNECTED);
    }
    self->fault = fault;
    self->arg_ms = effective_arg(self, fault, arg_ms);
    self->since_ms = now_ms;
}

void gwsim_faults_start(struct gwsim_faults *self,
                        const struct gwsim_fault_cfg *cfg, int64_t now_ms,
                        struct gwsim_effects *fx)
{
    memset(self, 0, sizeof *self);
    memset(fx, 0, sizeof *fx);
    self->cfg = *cfg;
    self->fault = GWSIM_FAULT_NONE;
    self->arg_ms = GWSIM_NEVER_MS;
    self->since_ms = now_ms;
    self->login_at_ms = GWSIM_NEVER_MS;
    self->initial_at_ms = GWSIM_NEVER_MS;
    connect_link(self, now_ms, fx);
    if (cfg->initial != GWSIM_FAULT_NONE)
        self->initial_at_ms =
            now_ms + (cfg->initial_after_ms > 0 ? cfg->initial_after_ms : 0);
    gwsim_faults_advance(self, now_ms, fx);
}

void gwsim_faults_set(struct gwsim_faults *self, enum gwsim_fault fault,
                      int64_t arg_ms, int64_t now_ms, struct gwsim_effects *fx)
{
    memset(fx, 0, sizeof *fx);
    self->initial_at_ms = GWSIM_NEVER_MS;
    apply(self, fault, arg_ms, now_ms, fx);
}

void gwsim_faults_upstream(struct gwsim_faults *self, bool up, int64_t now_ms,
                           struct gwsim_effects *fx)
{
    memset(fx, 0, sizeof *fx);
    if (self->upstream_up == up)
        return;
    self->upstream_up = up;
    if (self->fault == GWSIM_FAULT_DISCONNECT)
        return;
    if (up) {
        attach(self, now_ms, fx);
    } else {
        self->login_at_ms = GWSIM_NEVER_MS;
        report(self, fx, HAMD_GW_DISCONNECTED);
    }
}

/* True when a disconnect fault has lasted its reconnect time. */
static bool reconnect_due(const struct gwsim_faults *self, int64_t now_ms)
{
    return self->fault == GWSIM_FAULT_DISCONNECT && self->arg_ms >= 0 &&
           now_ms >= self->since_ms + self->arg_ms;
}

void gwsim_faults_advance(struct gwsim_faults *self, int64_t now_ms,
                          struct gwsim_effects *fx)
{
    if (self->login_at_ms != GWSIM_NEVER_MS && now_ms >= self->login_at_ms)
        log_in(self, fx);
    if (self->initial_at_ms != GWSIM_NEVER_MS &&
        now_ms >= self->initial_at_ms) {
        self->initial_at_ms = GWSIM_NEVER_MS;
        apply(self, self->cfg.initial, self->cfg.initial_arg_ms, now_ms, fx);
    }
    if (reconnect_due(self, now_ms))
        apply(self, GWSIM_FAULT_NONE, GWSIM_NEVER_MS, now_ms, fx);
}

/* ------------------------------------------------------------------------
 * What the shell asks
 * ------------------------------------------------------------------------ */

/* The earlier of a and b, ignoring NEVER. */
static int64_t earlier(int64_t a, int64_t b)
{
    if (b == GWSIM_NEVER_MS)
        return a;
    return b < a ? b : a;
}

int64_t gwsim_faults_next_due_ms(const struct gwsim_faults *self)
{
    int64_t due = INT64_MAX;
    due = earlier(due, self->login_at_ms);
    due = earlier(due, self->initial_at_ms);
    if (self->fault == GWSIM_FAULT_DISCONNECT && self->arg_ms >= 0)
        due = earlier(due, self->since_ms + self->arg_ms);
    return due;
}

bool gwsim_faults_ticks_flow(const struct gwsim_faults *self)
{
    return self->link == HAMD_GW_LOGGED_IN &&
           self->fault != GWSIM_FAULT_STALL && self->fault != GWSIM_FAULT_CRASH;
}

bool gwsim_faults_hb_flow(const struct gwsim_faults *self)
{
    return self->fault != GWSIM_FAULT_DISCONNECT;
}

int64_t gwsim_faults_delay_ms(const struct gwsim_faults *self)
{
    return self->fault == GWSIM_FAULT_SLOW ? self->arg_ms : 0;
}

int64_t gwsim_faults_round_delay_ns(const struct gwsim_faults *self,
                                    uint64_t *rng)
{
    if (self->fault != GWSIM_FAULT_JITTER)
        return gwsim_faults_delay_ms(self) * HAMD_NS_PER_MS;
    /* xorshift64 (Marsaglia): cheap, and its state never reaches 0. */
    uint64_t x = *rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    uint64_t span_ns = (uint64_t)self->arg_ms * HAMD_NS_PER_MS + 1;
    return (int64_t)(x % span_ns);
}

/* ------------------------------------------------------------------------
 * Fault specs
 * ------------------------------------------------------------------------ */

/* Parses a non-negative integer ARG in ms, up to GWSIM_FAULT_ARG_MAX_MS. */
static int parse_arg_ms(const char *text, int64_t *out)
{
    if (*text < '0' || *text > '9')
        return -1;
    int64_t v = 0;
    for (; *text >= '0' && *text <= '9'; text++) {
        v = v * 10 + (*text - '0');
        if (v > GWSIM_FAULT_ARG_MAX_MS)
            return -1;
    }
    if (*text != '\0')
        return -1;
    *out = v;
    return 0;
}

int gwsim_fault_spec_parse(const char *spec, enum gwsim_fault *fault,
                           int64_t *arg_ms, char *err, size_t errcap)
{
    char name[16], arg[24], rest[2];
    int n = sscanf(spec, " %15s %23s %1s", name, arg, rest);
    if (n < 1) {
        snprintf(err, errcap, "missing fault name");
        return -1;
    }
    if (n > 2 || gwsim_fault_parse(name, fault) != 0) {
        snprintf(err, errcap, "unknown fault '%.40s' (none, crash, stall, "
                 "disconnect, garbage, slow, wrong, jitter [ARG ms])", spec);
        return -1;
    }
    *arg_ms = GWSIM_NEVER_MS;
    if (n == 2 && !gwsim_fault_takes_arg(*fault)) {
        snprintf(err, errcap, "fault %s takes no argument", name);
        return -1;
    }
    if (n == 2 && parse_arg_ms(arg, arg_ms) != 0) {
        snprintf(err, errcap, "bad argument '%s': expected milliseconds "
                 "0..%d", arg, GWSIM_FAULT_ARG_MAX_MS);
        return -1;
    }
    return 0;
}
