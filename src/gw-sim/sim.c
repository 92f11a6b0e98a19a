/* hamd-gw-sim's I/O shell: see sim.h. */
#include "gw-sim/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "gw-sim/sim_internal.h"

/* The send queue, in messages. A full queue only holds the sim back
 * (ticks wait, none is lost), so it need not be deep: a sim that runs far
 * ahead of a slow hub only burns CPU and memory on its backlog (~54 MB at
 * this bound when every message is a full batch). */
#define GWSIM_SNDHWM_TICKS 65536
#define GWSIM_SNDHWM_MSGS (GWSIM_SNDHWM_TICKS / HAMD_GWOUT_TICKS_PER_MSG)
#define GWSIM_LINGER_MS 100             /* flush time on a clean exit */
#define GWSIM_LOOP_MAX_WAIT_MS 100      /* poll at least this often */
/* The tap is for tests on the same host: deep enough for a reader that
 * pauses a second at 100,000 ticks/s. */
#define GWSIM_TAP_SNDHWM_MSGS 100000
#define GWSIM_POLL_ITEMS_MAX 4 /* hub, front, its monitor, control */

int64_t gwsim_mono_ms(void) { return hamd_mono_ns() / HAMD_NS_PER_MS; }

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

/* Creates a socket of type and binds it at endpoint (the `{pid}`
 * placeholder expanded), with linger 0 and the given send HWM (0: the
 * default). Returns the socket, or NULL with a message in err. */
static void *bind_socket(struct gwsim *self, int type, const char *key,
                         const char *endpoint, int sndhwm, char *err,
                         size_t errcap)
{
    char expanded[GWSIM_ENDPOINT_MAX];
    int linger = 0;
    if (!gwsim_endpoint_expand(endpoint, (long)getpid(), expanded,
                               sizeof expanded)) {
        snprintf(err, errcap, "cannot bind %s endpoint %s: too long", key,
                 endpoint);
        return NULL;
    }
    void *sock = zmq_socket(self->zctx, type);
    if (!sock ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        (sndhwm > 0 &&
         zmq_setsockopt(sock, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm) != 0) ||
        zmq_bind(sock, expanded) != 0) {
        snprintf(err, errcap, "cannot bind %s endpoint %s: %s", key,
                 expanded, zmq_strerror(errno));
        if (sock)
            zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* Binds the control and tap sockets and opens the front link the params
 * ask for. Returns 0, or -1 with a message in err. */
static int open_optional(struct gwsim *self, char *err, size_t errcap)
{
    const struct gwsim_params *p = self->params;
    if (p->control[0] &&
        !(self->control = bind_socket(self, ZMQ_REP, "control", p->control,
                                      0, err, errcap)))
        return -1;
    if (p->tap[0] &&
        !(self->tap = bind_socket(self, ZMQ_PUB, "tap", p->tap,
                                  GWSIM_TAP_SNDHWM_MSGS, err, errcap)))
        return -1;
    if (p->upstream[0] && gwsim_upstream_open(self) != 0) {
        snprintf(err, errcap, "cannot connect to upstream %s: %s",
                 p->upstream, zmq_strerror(errno));
        return -1;
    }
    return 0;
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
    gwsim_emit_init(&self->emit, 0);
    /* Two sims of one account on one host must not jitter alike. */
    self->jitter_rng = ((uint64_t)getpid() << 32) ^ (uint64_t)hamd_mono_ns();
    if (self->jitter_rng == 0)
        self->jitter_rng = 1;
    self->dealer = hamd_gwout_dealer_open(self->zctx, endpoint, account,
                                          GWSIM_SNDHWM_MSGS, GWSIM_LINGER_MS);
    if (!self->dealer) {
        snprintf(err, errcap, "cannot connect to %s: %s", endpoint,
                 zmq_strerror(errno));
        *exit_code = GWSIM_EXIT_USAGE;
        gwsim_destroy(&self);
        return NULL;
    }
    if (open_optional(self, err, errcap) != 0) {
        *exit_code = GWSIM_EXIT_USAGE;
        gwsim_destroy(&self);
        return NULL;
    }
    gwsim_out_init(&self->out, self->dealer);
    hamd_gwout_set_tap(&self->out.gw, self->tap);
    return self;
}

void gwsim_close_aux(struct gwsim *self)
{
    gwsim_upstream_close(self);
    if (self->tap)
        zmq_close(self->tap);
    self->tap = NULL;
    hamd_gwout_set_tap(&self->out.gw, NULL);
}

/* libzmq leaves the file of a named ipc:// endpoint behind when its
 * socket closes; with `{pid}` in the name (docs/gw-sim.md) each run would
 * leave one more, in /run/hamd for instance, so a clean exit removes the
 * ones this process bound. An abstract name (ipc://@...) has no file. */
static void unlink_ipc(const char *endpoint)
{
    static const char scheme[] = "ipc://";
    const size_t skip = sizeof scheme - 1;
    char expanded[GWSIM_ENDPOINT_MAX];
    if (strncmp(endpoint, scheme, skip) != 0 || endpoint[skip] == '@' ||
        !gwsim_endpoint_expand(endpoint, (long)getpid(), expanded,
                               sizeof expanded))
        return;
    if (unlink(expanded + skip) != 0 && errno != ENOENT)
        LOG_WARN("cannot remove %s: %s", expanded + skip, strerror(errno));
}

void gwsim_destroy(struct gwsim **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct gwsim *self = *self_p;
    bool had_control = self->control != NULL, had_tap = self->tap != NULL;
    if (self->dealer)
        zmq_close(self->dealer);
    if (self->control)
        zmq_close(self->control);
    gwsim_close_aux(self);
    if (self->zctx)
        zmq_ctx_term(self->zctx);
    if (had_control)
        unlink_ipc(self->params->control);
    if (had_tap)
        unlink_ipc(self->params->tap);
    gwsim_symtab_destroy(&self->subs);
    free(self);
    *self_p = NULL;
}

void gwsim_crash_now(void)
{
    LOG_ERROR("fault crash: exiting with code %d", GWSIM_EXIT_CRASH);
    _exit(GWSIM_EXIT_CRASH);
}

/* ------------------------------------------------------------------------
 * Effects and ticks
 * ------------------------------------------------------------------------ */

/* The detail of every STATUS: why the front link is down, or the fault
 * (and the front in upstream mode). */
static void status_detail(const struct gwsim *self, char *buf, size_t cap)
{
    const char *fault = gwsim_fault_name(self->faults.fault);
    if (gwsim_upstream_loss_detail(self, buf, cap))
        return;
    if (self->params->upstream[0])
        snprintf(buf, cap, "sim fault=%s, front %.80s", fault,
                 self->params->upstream);
    else
        snprintf(buf, cap, "sim fault=%s", fault);
}

void gwsim_apply_effects(struct gwsim *self, const struct gwsim_effects *fx)
{
    char detail[HAMD_GW_DETAIL_MAX];
    status_detail(self, detail, sizeof detail);
    for (unsigned i = 0; i < fx->n_status; i++) {
        LOG_INFO("status %s (%s)", hamd_gw_state_name(fx->status[i]), detail);
        if (hamd_gwout_status(&self->out.gw, fx->status[i], detail) != 0)
            LOG_WARN("could not queue STATUS %s",
                     hamd_gw_state_name(fx->status[i]));
    }
    if (fx->crash)
        gwsim_crash_now();
    if (fx->resync && gwsim_upstream_mode(self))
        gwsim_tickq_clear(self->up.queue);
    else if (fx->resync)
        gwsim_emit_resync(self->subs, hamd_wall_ns());
}

/* Sends a heartbeat when one is due and the link is up. */
static void send_hb_if_due(struct gwsim *self, int64_t now_ms)
{
    if (!gwsim_faults_hb_flow(&self->faults) || now_ms < self->next_hb_ms)
        return;
    hamd_gwout_hb(&self->out.gw, hamd_wall_ns());
    self->next_hb_ms = now_ms + HAMD_GW_HB_INTERVAL_MS;
}

/* gwsim_emit_sink of the in-process feed: stamps the receive time and
 * sends the tick to the hub as the fault dictates. */
static int hub_sink(void *ud, struct hamd_tick *tick, int64_t n)
{
    struct gwsim *self = ud;
    tick->localtime_ns = self->round_wall_ns;
    return gwsim_out_tick(&self->out, tick, n, self->faults.fault);
}

/* Sends the due ticks, generated here or received from the front, batched
 * into TICK messages that all end before the loop waits: a held tick
 * would otherwise wait for the next round. */
static void emit_due_ticks(struct gwsim *self, int64_t wall_ns)
{
    self->round_wall_ns = wall_ns;
    if (gwsim_upstream_mode(self))
        gwsim_upstream_forward(self, wall_ns);
    else if (!gwsim_faults_ticks_flow(&self->faults))
        gwsim_emit_idle(&self->emit);
    else
        gwsim_emit_round(&self->emit, self->subs, wall_ns,
                         gwsim_faults_round_delay_ns(&self->faults,
                                                     &self->jitter_rng),
                         hub_sink, self);
    hamd_gwout_flush(&self->out.gw);
}

/* ------------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------------ */

/* How long the next poll may wait, in ms. */
static long loop_timeout_ms(const struct gwsim *self, int64_t now_ms,
                            int64_t wall_ns)
{
    const struct gwsim_emit *e = &self->emit;
    if (e->behind && !e->blocked)
        return 0;
    int64_t wait = GWSIM_LOOP_MAX_WAIT_MS;
    if (gwsim_faults_hb_flow(&self->faults) && self->next_hb_ms - now_ms < wait)
        wait = self->next_hb_ms - now_ms;
    int64_t fault_due = gwsim_faults_next_due_ms(&self->faults);
    if (fault_due != INT64_MAX && fault_due - now_ms < wait)
        wait = fault_due - now_ms;
    int64_t up_due = gwsim_upstream_next_due_ms(self);
    if (up_due != INT64_MAX && up_due - now_ms < wait)
        wait = up_due - now_ms;
    if (e->next_due_ns != INT64_MAX) {
        int64_t tick_wait = (e->next_due_ns - wall_ns +
                             HAMD_NS_PER_MS - 1) / HAMD_NS_PER_MS;
        if (tick_wait < wait)
            wait = tick_wait;
    }
    return wait < 0 ? 0 : (long)wait;
}

/* Waits for the hub, the front, the control socket or the next timer.
 * Returns 0, or -1 when polling fails for another reason than a signal. */
static int poll_once(struct gwsim *self, long timeout_ms)
{
    zmq_pollitem_t items[GWSIM_POLL_ITEMS_MAX] = {
        {self->dealer, 0,
         ZMQ_POLLIN | (self->emit.blocked ? ZMQ_POLLOUT : 0), 0},
    };
    int n = 1, front = -1, monitor = -1, control = -1;
    if (self->up.dealer) {
        front = n;
        items[n++] = (zmq_pollitem_t){self->up.dealer, 0, ZMQ_POLLIN, 0};
        monitor = n;
        items[n++] = (zmq_pollitem_t){self->up.monitor, 0, ZMQ_POLLIN, 0};
    }
    if (self->control) {
        control = n;
        items[n++] = (zmq_pollitem_t){self->control, 0, ZMQ_POLLIN, 0};
    }
    if (zmq_poll(items, n, timeout_ms) < 0)
        return errno == EINTR ? 0 : -1;
    if (items[0].revents & ZMQ_POLLIN)
        gwsim_hub_read(self);
    if (front >= 0 && (items[front].revents & ZMQ_POLLIN))
        gwsim_upstream_read(self);
    if (monitor >= 0 && (items[monitor].revents & ZMQ_POLLIN))
        gwsim_upstream_monitor_read(self);
    if (control >= 0 && (items[control].revents & ZMQ_POLLIN))
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
    if (gwsim_upstream_mode(self))
        gwsim_upstream_start(self, now_ms);
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
        if (gwsim_upstream_mode(self))
            gwsim_upstream_advance(self, now_ms);
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
