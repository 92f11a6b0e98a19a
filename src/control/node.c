/* Node life cycle: start-up, role and lease changes, clean shutdown.
 *
 * Shutdown on SIGTERM/SIGINT, in this order, so clients see one short gap
 * and never two publishers:
 *   1. a leader hands leadership over (raft_transfer) and waits, bounded
 *      by NODE_SHUTDOWN_TRANSFER_MS, until it no longer holds the lease;
 *   2. publication stops, the on_follower hook runs;
 *   3. the admin API closes, gateways get SIGTERM (SIGKILL after grace);
 *   4. Raft closes, the data plane thread ends, the loop drains.
 * A second signal, or NODE_SHUTDOWN_GRACE_MS elapsing, ends it at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "common/clock.h"
#include "common/log.h"
#include "control/cover.h"
#include "control/event_hook.h"
#include "control/events.h"
#include "control/datadir_lock.h"
#include "control/hangup.h"
#include "control/hooks.h"
#include "control/monitor.h"
#include "control/node.h"
#include "control/node_internal.h"
#include "control/notify.h"
#include "control/params.h"
#include "control/steer.h"

#define NODE_MAPS_INITIAL 64 /* first capacity of the node's maps */

static void node_shutdown_continue(struct hamd_node *node);
static void node_step_down_and_continue(struct hamd_node *node);
static void node_lease_lost(struct hamd_node *node, uint64_t term);

/* ------------------------------------------------------------------------
 * Events from the data plane, the supervisor and the cluster
 * ------------------------------------------------------------------------ */

static void dp_event_cb(void *ud, const struct hamd_dp_event *ev)
{
    struct hamd_node *node = ud;
    switch (ev->type) {
    case HAMD_DP_EV_HELLO:
        LOG_INFO("gateway %s: HELLO (pid %lld, %s, protocol %lld)", ev->account,
                 (long long)ev->u.hello.pid, ev->u.hello.gateway_type,
                 (long long)ev->u.hello.proto);
        if (ev->u.hello.proto != HAMD_GW_PROTO_VERSION)
            LOG_WARN("gateway %s speaks protocol %lld, this hub %d: expect "
                     "trouble", ev->account, (long long)ev->u.hello.proto,
                     HAMD_GW_PROTO_VERSION);
        node_gateway_subscribe_all(node, ev->account);
        break;
    case HAMD_DP_EV_STATUS:
        hamd_monitor_on_status(node->monitor, ev->account, &ev->u.status,
                               ev->mono_ns);
        break;
    case HAMD_DP_EV_SWITCHED:
        hamd_steer_on_switched(node->steer, ev);
        break;
    }
}

static void dp_wakeup_cb(uv_async_t *a)
{
    struct hamd_node *node = a->data;
    hamd_dataplane_drain(node->dp, dp_event_cb, node);
}

static void dp_notify(void *ud)
{
    uv_async_send(ud);
}

static void gw_exit_cb(void *ud, const char *account, int status)
{
    struct hamd_node *node = ud;
    hamd_monitor_on_exit(node->monitor, account, status);
}

static void gw_launch_cb(void *ud, const char *account, int pid)
{
    struct hamd_node *node = ud;
    hamd_monitor_on_launch(node->monitor, account, pid);
}

/* The data plane believes only the gateway that echoes this token. */
static void gw_token_cb(void *ud, const char *account, const char *token)
{
    struct hamd_node *node = ud;
    hamd_dataplane_source_token(node->dp, account, token);
}

/* A gateway that said STATUS error is not relaunched (docs/failover.md). */
static bool gw_holds_cb(void *ud, const char *account)
{
    struct hamd_node *node = ud;
    return hamd_monitor_holds(node->monitor, account);
}

/* Raft logs role changes itself; the node only records them. */
static unsigned gw_relaunch_delay_cb(void *ud, const char *account)
{
    struct hamd_node *node = ud;
    return hamd_monitor_relaunch_delay_ms(node->monitor, account);
}

/* Followers read the leader's stream so that, taking over, they send the
 * ticks it never did (dp_follow.c). While the leader is unknown the last
 * one is kept: its stream is what a takeover must continue. So it is
 * when this node is elected: its last ticks may still be on their way,
 * and the data plane reads them before it publishes, then stops. */
static void node_follow_leader(struct hamd_node *node)
{
    if (node->witness || node->leader_id == 0 ||
        node->leader_id == node->cfg->node_id)
        return;
    char endpoint[HAMD_ENDPOINT_MAX];
    for (unsigned i = 0; i < node->cfg->n_peers; i++)
        if (node->cfg->peers[i].id == node->leader_id &&
            hamd_peer_connect_endpoint(&node->cfg->peers[i],
                                       node->cfg->peers[i].publish, endpoint,
                                       sizeof endpoint) == 0)
            hamd_dataplane_follow(node->dp, endpoint);
}

/* Tells systemd the node's role, term and lease (notify.h). */
static void node_notify(struct hamd_node *node)
{
    struct hamd_notify_state st = {
        .role = hamd_cluster_role_name(node->role), .term = node->term,
        .leader_id = node->leader_id, .publishing = node->publishing,
        .store_ok = !node->cluster || !hamd_cluster_store_failed(node->cluster)};
    hamd_notify_state(node->notify, &st);
}

static void role_cb(void *ud, enum hamd_cluster_role role, uint64_t term,
                    uint64_t leader_id)
{
    struct hamd_node *node = ud;
    bool deposed = node->lapsed && (role != HAMD_CLUSTER_LEADER || term != node->term);
    node->role = role;
    node->term = term;
    if (leader_id && leader_id != node->leader_id) {
        node->prev_leader_id = node->last_leader_id;
        node->last_leader_id = leader_id;
    }
    node->leader_id = leader_id;
    node_follow_leader(node);
    if (node->cover)
        hamd_cover_on_role(node->cover, leader_id);
    if (deposed)
        node_lease_lost(node, term);
    node_notify(node);
}

/* The node stops being the publisher: steer, hooks, shutdown go on. */
static void node_lease_lost(struct hamd_node *node, uint64_t term)
{
    uv_timer_stop(&node->lapse_timer);
    node->lapsed = false;
    hamd_dataplane_set_lease(node->dp, term, 0);
    if (!node->publishing)
        return;
    node->publishing = false;
    node_notify(node);
    LOG_INFO("lease lost: silent in term %llu", (unsigned long long)term);
    hamd_steer_on_lease(node->steer, false);
    node_reconcile_routing(node); /* relayed sources are the publisher's */
    hamd_cover_on_lease(node->cover, false);
    /* Handing over at shutdown: keep the VIP (make before break) until the
     * gateways are down, by when the successor has announced it. Until
     * then reconnecting clients get an immediate refusal here instead of
     * SYNs dropped by a host that no longer owns the address. Publishing
     * is fenced by the lease, not by the VIP. */
    if (node->stopping && node->transferring)
        node->release_vip_at_exit = true;
    else
        hamd_hooks_role(node->hooks, false, term);
    /* During a handover the transfer callback continues the shutdown. */
    if (node->stopping && !node->transferring)
        node_shutdown_continue(node);
}

static void lapse_timeout_cb(uv_timer_t *t)
{
    struct hamd_node *node = t->data;
    LOG_WARN("lease did not come back within the election timeout");
    node_lease_lost(node, node->term);
}

/* A lapse: still Raft leader of the same term, only the lease expired (a
 * slow barrier on a loaded host). The data plane holds ticks on its own;
 * the hooks and the failover shell are left alone unless it lasts. */
static bool lease_lapsed(struct hamd_node *node, uint64_t term)
{
    return node->publishing && !node->stopping && term == node->term &&
           hamd_cluster_role(node->cluster) == HAMD_CLUSTER_LEADER &&
           hamd_cluster_term(node->cluster) == term;
}

/* Once per term in which this node starts publishing, so an operator
 * sees every leader change, not only the source-driven ones
 * (leadership_moved): the previous leader is the one this node knew
 * before (itself after a lapse), 0 when it knew none. */
static void node_raise_elected(struct hamd_node *node, uint64_t term)
{
    if (node->elected_term == term)
        return;
    node->elected_term = term;
    hamd_events_leader_elected(node->events, term, node->prev_leader_id);
}

static void lease_cb(void *ud, bool publishing, uint64_t term, int64_t until_ns)
{
    struct hamd_node *node = ud;
    bool may = publishing && !node->witness && !node->stopping;
    if (!may) {
        if (!node->lapsed && lease_lapsed(node, term)) {
            node->lapsed = true;
            uv_timer_start(&node->lapse_timer, lapse_timeout_cb,
                           node->cfg->election_timeout_ms, 0);
            return; /* the data plane's deadline has passed: it holds */
        }
        if (!node->lapsed)
            node_lease_lost(node, term);
        return;
    }
    uv_timer_stop(&node->lapse_timer);
    node->lapsed = false;
    hamd_dataplane_set_lease(node->dp, term, until_ns);
    if (node->publishing)
        return;
    node->publishing = true;
    node_notify(node);
    LOG_INFO("lease acquired: publishing in term %llu", (unsigned long long)term);
    node_raise_elected(node, term);
    hamd_steer_on_lease(node->steer, true);
    node_reconcile_routing(node); /* relayed sources are the publisher's */
    hamd_cover_on_lease(node->cover, true);
    hamd_hooks_role(node->hooks, true, term);
}

static void change_cb(void *ud, enum hamd_cmd_type type)
{
    struct hamd_node *node = ud;
    /* A snapshot replaced the whole store (a joiner, a lagging follower). */
    if (type == HAMD_FSM_CHANGE_ALL)
        node_reconcile_all(node);
    switch (type) {
    case HAMD_CMD_SEED:
        node_reconcile_all(node);
        break;
    case HAMD_CMD_ACCOUNT_PUT:
    case HAMD_CMD_ACCOUNT_DEL:
    case HAMD_CMD_ACCOUNT_RUN:
        node_reconcile_accounts(node);
        node_reconcile_routing(node);
        break;
    case HAMD_CMD_SUBS_ADD:
    case HAMD_CMD_SUBS_DEL:
        node_reconcile_subscriptions(node);
        node_reconcile_routing(node);
        break;
    case HAMD_CMD_ASSIGN:
        node_reconcile_routing(node);
        break;
    case HAMD_CMD_EVENT:
        hamd_events_on_applied(node->events);
        break;
    default:
        break;
    }
    hamd_steer_on_change(node->steer, type);
    hamd_cover_on_change(node->cover, type);
}

/* ------------------------------------------------------------------------
 * Shutdown
 * ------------------------------------------------------------------------ */

/* Closes a handle of the node once; the loop finishes the close. */
static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void cluster_closed_cb(void *ud, int status)
{
    (void)status; /* closing cannot fail */
    struct hamd_node *node = ud;
    hamd_monitor_destroy(&node->monitor);
    hamd_steer_destroy(&node->steer);
    hamd_cover_destroy(&node->cover);
    hamd_hooks_destroy(&node->hooks);
    hamd_notify_destroy(&node->notify);
    hamd_event_hook_destroy(&node->event_hook);
    hamd_supervisor_destroy(&node->sup);
    close_handle((uv_handle_t *)&node->sigterm);
    close_handle((uv_handle_t *)&node->sigint);
    hamd_hangup_destroy(&node->hangup);
    close_handle((uv_handle_t *)&node->dp_wakeup);
    close_handle((uv_handle_t *)&node->shutdown_timer);
    close_handle((uv_handle_t *)&node->lapse_timer);
    close_handle((uv_handle_t *)&node->secrets_timer);
    LOG_INFO("node %u stopped", node->cfg->node_id);
}

static void cluster_close(struct hamd_node *node)
{
    if (node->cluster)
        hamd_cluster_close(node->cluster, cluster_closed_cb, node);
    else
        cluster_closed_cb(node, 0);
}

static void vip_release_due_cb(uv_timer_t *t)
{
    struct hamd_node *node = t->data;
    hamd_hooks_role(node->hooks, false, node->term);
    cluster_close(node);
}

static void gateways_stopped_cb(void *ud, int status)
{
    (void)status; /* stopping gateways cannot fail */
    struct hamd_node *node = ud;
    if (node->release_vip_at_exit) {
        /* Let the successor announce the VIP before this host drops it:
         * vip-up takes ~10 ms ([hooks] handover_release_ms; 0 with
         * keepalived-track, which waits for the successor itself). */
        uv_timer_start(&node->lapse_timer, vip_release_due_cb,
                       node->cfg->hook_handover_release_ms, 0);
        return;
    }
    cluster_close(node);
}

/* Steps 2-4: called once this node no longer publishes. */
static void node_shutdown_continue(struct hamd_node *node)
{
    if (node->draining)
        return;
    node->draining = true;
    if (node->dp)
        hamd_dataplane_set_lease(node->dp, node->term, 0);
    if (node->admin)
        hamd_admin_close(node->admin);
    hamd_monitor_stop(node->monitor);
    hamd_steer_stop(node->steer);
    hamd_cover_stop(node->cover);
    if (node->sup)
        hamd_supervisor_shutdown(node->sup, gateways_stopped_cb, node);
    else
        gateways_stopped_cb(node, 0);
}

static void shutdown_deadline_cb(uv_timer_t *t)
{
    struct hamd_node *node = t->data;
    if (node->publishing || node->transferring) {
        LOG_WARN("leadership handover did not complete: stepping down anyway");
        node_step_down_and_continue(node);
        uv_timer_start(t, shutdown_deadline_cb, NODE_SHUTDOWN_GRACE_MS, 0);
        return;
    }
    LOG_ERROR("shutdown did not complete in time: exiting");
    node->exit_code = -1;
    uv_stop(&node->loop);
}

/* Stops publishing at once and goes on closing down. */
static void node_step_down_and_continue(struct hamd_node *node)
{
    node->transferring = false;
    node_lease_lost(node, node->term);
    node_shutdown_continue(node);
}

static void transferred_cb(void *ud, int status, uint64_t leader_id)
{
    struct hamd_node *node = ud;
    if (status < 0)
        LOG_WARN("leadership transfer failed (raft error %d): stepping down",
                 -status);
    else
        LOG_INFO("leadership handed over to node %llu",
                 (unsigned long long)leader_id);
    node_step_down_and_continue(node);
}

/* id 0 (status < 0: no voter answered well enough) lets the cluster pick
 * a voter it heard from lately. */
static void successor_cb(void *ud, int status, unsigned id)
{
    (void)status;
    struct hamd_node *node = ud;
    if (!node->transferring)
        return; /* the deadline stepped down already */
    if (hamd_cluster_transfer(node->cluster, id, transferred_cb, node) == 0) {
        LOG_INFO("handing leadership over to node %u before exit%s", id,
                 id ? "" : " (a voter it heard from)");
        return;
    }
    /* Nobody to hand over to (standalone, or alone): stop publishing. */
    node_step_down_and_continue(node);
}

static void node_shutdown(struct hamd_node *node, const char *why)
{
    if (node->stopping) {
        LOG_WARN("%s again: exiting now", why);
        node->exit_code = -1;
        uv_stop(&node->loop);
        return;
    }
    node->stopping = true;
    hamd_notify_stopping(node->notify, why);
    LOG_INFO("%s: shutting down", why);
    uv_timer_start(&node->shutdown_timer, shutdown_deadline_cb,
                   NODE_SHUTDOWN_TRANSFER_MS, 0);
    if (node->publishing) {
        /* Keep publishing while the followers are asked who should take
         * over; the transfer then ends our lease. */
        node->transferring = true;
        if (hamd_admin_pick_successor(node->admin, successor_cb, node) == 0)
            return;
        node->transferring = false;
    }
    if (node->publishing) {
        node->publishing = false;
        hamd_hooks_role(node->hooks, false, node->term);
    }
    node_shutdown_continue(node);
}

static void signal_cb(uv_signal_t *s, int signum)
{
    node_shutdown(s->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ------------------------------------------------------------------------
 * Start-up
 * ------------------------------------------------------------------------ */

static int data_dir_prepare(const char *dir)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        LOG_ERROR("cannot create data_dir %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int start_dataplane(struct hamd_node *node)
{
    struct hamd_dataplane_opts o;
    if (hamd_params_dataplane(&o, node->cfg) < 0) {
        LOG_ERROR("data plane: an endpoint is too long");
        return -1;
    }
    node->dp = hamd_dataplane_new(&o, dp_notify, &node->dp_wakeup);
    char err[256];
    if (!node->dp || hamd_dataplane_start(node->dp, err, sizeof err) < 0) {
        LOG_ERROR("data plane: %s", node->dp ? err : "out of memory");
        return -1;
    }
    return 0;
}

static int start_supervisor(struct hamd_node *node)
{
    const struct hamd_config *cfg = node->cfg;
    struct hamd_sup_opts o;
    memset(&o, 0, sizeof o);
    ssize_t n = readlink("/proc/self/exe", o.self_exe, sizeof o.self_exe - 1);
    if (n <= 0) {
        LOG_ERROR("cannot find my own executable: %s", strerror(errno));
        return -1;
    }
    o.self_exe[n] = '\0';
    snprintf(o.gw_endpoint, sizeof o.gw_endpoint, "%s", cfg->gw_endpoint);
    o.stop_grace_ms = cfg->stop_grace_ms;
    struct hamd_sup_hooks hooks = {
        .ud = node, .on_exit = gw_exit_cb, .on_launch = gw_launch_cb,
        .on_token = gw_token_cb, .relaunch_delay_ms = gw_relaunch_delay_cb,
        .holds = gw_holds_cb,
    };
    node->sup = hamd_supervisor_new(&node->loop, &o, &hooks);
    return node->sup ? 0 : -1;
}

/* Creates the consensus layer; it starts (and its hooks fire) only once
 * everything else runs: start_cluster. */
static int create_cluster(struct hamd_node *node)
{
    struct hamd_cluster_hooks hooks = {
        .ud = node, .on_role = role_cb, .on_lease = lease_cb,
        .on_change = change_cb,
    };
    struct hamd_cluster_opts opts;
    if (hamd_params_cluster(&opts, node->cfg) < 0) {
        LOG_ERROR("raft: too many peers or a raft address too long");
        return -1;
    }
    if (node_secrets_seeds(node, &opts.seed_accounts) < 0)
        return -1;
    node->cluster = hamd_cluster_new(&node->loop, &opts, node->store, &hooks);
    if (!node->cluster) {
        LOG_ERROR("cannot start the consensus layer");
        return -1;
    }
    return 0;
}

static int start_cluster(struct hamd_node *node)
{
    if (hamd_cluster_start(node->cluster) != 0) {
        LOG_ERROR("cannot start the consensus layer");
        return -1;
    }
    return 0;
}

/* A stall is detected after about stale_ms plus fail_threshold checks;
 * the replay ring must reach back that far to resend what it missed. */
static void warn_replay_window(const struct hamd_config *cfg)
{
    unsigned detect_ms = cfg->stale_ms + cfg->fail_threshold * cfg->check_interval_ms;
    if (cfg->replay_window_ms < detect_ms)
        LOG_WARN("[failover] replay_window_ms %u is shorter than the stall "
                 "detection time (~%u ms): a stalled source's last ticks "
                 "cannot be replayed", cfg->replay_window_ms, detect_ms);
}

/* The node's own loop handles: ready before anything can fail, so the
 * shutdown path can always close them. */
static void node_handles_init(struct hamd_node *node)
{
    uv_async_init(&node->loop, &node->dp_wakeup, dp_wakeup_cb);
    node->dp_wakeup.data = node;
    uv_signal_init(&node->loop, &node->sigterm);
    uv_signal_init(&node->loop, &node->sigint);
    node->sigterm.data = node;
    node->sigint.data = node;
    uv_signal_start(&node->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&node->sigint, signal_cb, SIGINT);
    node->hangup = hamd_hangup_new(&node->loop);
    if (!node->hangup)
        LOG_WARN("cannot catch SIGHUP (%s): a SIGHUP will stop this node",
                 strerror(errno));
    uv_timer_init(&node->loop, &node->shutdown_timer);
    node->shutdown_timer.data = node;
    uv_timer_init(&node->loop, &node->lapse_timer);
    node->lapse_timer.data = node;
    uv_timer_init(&node->loop, &node->secrets_timer);
    node->secrets_timer.data = node;
}

static int node_start(struct hamd_node *node)
{
    const struct hamd_config *cfg = node->cfg;
    const struct hamd_peer *self = hamd_config_self(cfg);
    node->witness = self && self->role == HAMD_ROLE_WITNESS;
    /* Trading sessions (monitor.c) and the failover day (steer.c) are in
     * exchange time; hamd logs in UTC, so TZ is free. Set before any
     * thread starts: setenv is not thread-safe. */
    setenv("TZ", cfg->timezone, 1);
    tzset();
    node->gateways = hamd_strmap_new(NODE_MAPS_INITIAL);
    node->contracts = hamd_strmap_new(NODE_MAPS_INITIAL);
    node->relays = hamd_strmap_new(NODE_MAPS_INITIAL);
    node->source_ids = hamd_strpool_new();
    char store_dir[PATH_MAX + 8];
    snprintf(store_dir, sizeof store_dir, "%s/store", cfg->data_dir);
    if (!node->gateways || !node->contracts || !node->relays ||
        !node->source_ids ||
        data_dir_prepare(cfg->data_dir) < 0 ||
        (node->datadir_lock = hamd_datadir_lock(cfg->data_dir)) < 0 ||
        !(node->store = hamd_store_new(store_dir)) ||
        node_secrets_start(node) < 0)
        return -1;
    if (start_dataplane(node) < 0 || start_supervisor(node) < 0 ||
        create_cluster(node) < 0)
        return -1;
    warn_replay_window(cfg);
    if (node_modules_start(node) < 0)
        return -1;
    /* Run what the store already holds before Raft catches up. */
    node_reconcile_all(node);
    if (start_cluster(node) < 0)
        return -1;
    if (cfg->n_peers)
        LOG_INFO("node %u started in a cluster of %u%s, gateways on %s",
                 cfg->node_id, cfg->n_peers, node->witness ? " as witness" : "",
                 cfg->gw_endpoint);
    else
        LOG_INFO("node %u started standalone, gateways on %s", cfg->node_id,
                 cfg->gw_endpoint);
    return 0;
}

int hamd_node_run(const struct hamd_config *cfg)
{
    struct hamd_node *node = calloc(1, sizeof *node);
    if (!node)
        return -1;
    node->cfg = cfg;
    node->datadir_lock = -1;
    hamd_log_set_ident("hamd");
    uv_loop_init(&node->loop);
    node_handles_init(node);
    if (node_start(node) != 0) {
        /* The orderly shutdown also undoes a partial start. */
        node->exit_code = -1;
        node_shutdown(node, "start-up failed");
    }
    uv_run(&node->loop, UV_RUN_DEFAULT);
    int rc = node->exit_code;
    hamd_admin_destroy(&node->admin);
    hamd_events_destroy(&node->events);
    hamd_cluster_destroy(&node->cluster);
    hamd_dataplane_destroy(&node->dp);
    hamd_store_destroy(&node->store);
    node_maps_free(node);
    node_secrets_free(node);
    if (node->datadir_lock >= 0)
        close(node->datadir_lock);
    /* A shutdown cut short (a second signal, the deadline) leaves handles
     * open by design; a clean one that leaves any is a bug worth a WARN. */
    if (uv_loop_close(&node->loop) != 0 && rc == 0)
        LOG_WARN("event loop closed with handles still open");
    free(node);
    return rc;
}
