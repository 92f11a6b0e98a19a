/* The shell's parameter structs filled from a configuration
 * (control/params.c): every key lands where its module reads it, and what
 * does not fit is refused rather than cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "control/params.h"

/* A zeroed configuration on the heap (the struct is large). */
static int setup(void **state)
{
    struct hamd_config *cfg = calloc(1, sizeof *cfg);
    *state = cfg;
    return cfg ? 0 : -1;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void test_health(void **state)
{
    struct hamd_config *cfg = *state;
    cfg->fail_threshold = 4;
    cfg->recover_threshold = 6;
    cfg->hb_timeout_ms = 1500;
    cfg->canary_timeout_ms = 7000;
    cfg->stale_ms = 900;
    cfg->latency_ms = 800;
    cfg->restart_after_ms = 9000;
    cfg->restart_backoff_min_ms = 100;
    cfg->restart_backoff_max_ms = 5000;
    struct hamd_health_params p;
    hamd_params_health(&p, cfg);
    assert_int_equal(p.fail_threshold, 4);
    assert_int_equal(p.recover_threshold, 6);
    assert_int_equal(p.hb_timeout_ms, 1500);
    assert_int_equal(p.canary_timeout_ms, 7000);
    assert_int_equal(p.stale_ms, 900);
    assert_int_equal(p.latency_ms, 800);
    assert_int_equal(p.restart_after_ms, 9000);
    assert_int_equal(p.backoff_min_ms, 100);
    assert_int_equal(p.backoff_max_ms, 5000);
    /* Keys the configuration has none for keep core/health.h's defaults. */
    assert_int_equal(p.connect_timeout_ms, HAMD_HEALTH_CONNECT_TIMEOUT_MS);
    assert_int_equal(p.backoff_reset_ms, HAMD_HEALTH_BACKOFF_RESET_MS);
}

static void test_health_defaults_without_config(void **state)
{
    (void)state;
    struct hamd_health_params p, d;
    hamd_params_health(&p, NULL);
    hamd_health_params_default(&d);
    assert_memory_equal(&p, &d, sizeof p);
}

/* Three peers, the third a witness joining later, and two seeds. */
static void fill_cluster(struct hamd_config *cfg)
{
    cfg->node_id = 2;
    strcpy(cfg->data_dir, "/var/lib/hamd");
    cfg->n_peers = 3;
    for (unsigned i = 0; i < 3; i++) {
        cfg->peers[i].id = i + 1;
        snprintf(cfg->peers[i].raft, sizeof cfg->peers[i].raft,
                 "10.0.0.%u:7001", i + 1);
    }
    cfg->peers[2].role = HAMD_ROLE_WITNESS;
    cfg->peers[2].join = true;
    cfg->election_timeout_ms = 300;
    cfg->witness_election_timeout_ms = 1000;
    cfg->heartbeat_ms = 50;
    cfg->lease_margin_ms = 100;
    cfg->snapshot_threshold = 1024;
    cfg->snapshot_trailing = 128;
    cfg->event_history = 1000;
    cfg->n_seed_accounts = 1;
    strcpy(cfg->seed_accounts[0].id, "sim_a");
}

static void test_cluster(void **state)
{
    struct hamd_config *cfg = *state;
    fill_cluster(cfg);
    struct hamd_cluster_opts o;
    assert_int_equal(hamd_params_cluster(&o, cfg), 0);
    assert_int_equal(o.node_id, 2);
    assert_string_equal(o.data_dir, "/var/lib/hamd");
    assert_int_equal(o.n_peers, 3);
    assert_string_equal(o.peers[1].raft, "10.0.0.2:7001");
    assert_false(o.peers[0].witness);
    assert_true(o.peers[2].witness);
    assert_true(o.peers[2].join);
    assert_false(o.peers[1].join);
    assert_int_equal(o.election_timeout_ms, 300);
    assert_int_equal(o.witness_election_timeout_ms, 1000);
    assert_int_equal(o.heartbeat_ms, 50);
    assert_int_equal(o.lease_margin_ms, 100);
    assert_int_equal(o.snapshot_threshold, 1024);
    assert_int_equal(o.snapshot_trailing, 128);
    assert_int_equal(o.event_history, 1000);
    assert_int_equal(o.n_seed_accounts, 1);
    assert_ptr_equal(o.seed_accounts, cfg->seed_accounts);
    assert_string_equal(o.seed_accounts[0].id, "sim_a");
}

static void test_cluster_refuses_too_many_peers(void **state)
{
    struct hamd_config *cfg = *state;
    fill_cluster(cfg);
    cfg->n_peers = HAMD_CLUSTER_PEERS_MAX + 1;
    struct hamd_cluster_opts o;
    assert_int_equal(hamd_params_cluster(&o, cfg), -1);
}

static void test_dataplane(void **state)
{
    struct hamd_config *cfg = *state;
    cfg->node_id = 3;
    strcpy(cfg->gw_endpoint, "ipc:///tmp/gw.sock");
    strcpy(cfg->publish, "tcp://127.0.0.1:5553");
    strcpy(cfg->snapshot, "tcp://127.0.0.1:5563");
    cfg->pub_hwm = 1000;
    cfg->heartbeat_interval_ms = 100;
    cfg->check_interval_ms = 100;
    cfg->replay_window_ms = 3000;
    cfg->replay_depth = 256;
    struct hamd_dataplane_opts o;
    assert_int_equal(hamd_params_dataplane(&o, cfg), 0);
    assert_int_equal(o.node_id, 3);
    assert_string_equal(o.gw_endpoint, "ipc:///tmp/gw.sock");
    assert_string_equal(o.publish, "tcp://127.0.0.1:5553");
    assert_string_equal(o.snapshot, "tcp://127.0.0.1:5563");
    assert_int_equal(o.pub_hwm, 1000);
    assert_int_equal(o.heartbeat_ms, 100);
    assert_int_equal(o.stats_interval_ms, 50); /* half a health check */
    assert_int_equal(o.limits.window_ns, 3000 * HAMD_NS_PER_MS);
    assert_int_equal(o.limits.depth, 256);
    /* The statistics period stays within its bounds. */
    cfg->check_interval_ms = 10000;
    assert_int_equal(hamd_params_dataplane(&o, cfg), 0);
    assert_int_equal(o.stats_interval_ms, HAMD_PARAMS_STATS_INTERVAL_MAX_MS);
    cfg->check_interval_ms = 2;
    assert_int_equal(hamd_params_dataplane(&o, cfg), 0);
    assert_int_equal(o.stats_interval_ms, HAMD_PARAMS_STATS_INTERVAL_MIN_MS);
}

static void test_monitor(void **state)
{
    struct hamd_config *cfg = *state;
    cfg->fail_threshold = 5;
    cfg->check_interval_ms = 250;
    cfg->n_sessions = 2;
    strcpy(cfg->sessions[1].exchange, "SHFE");
    struct hamd_monitor_opts o;
    hamd_params_monitor(&o, cfg);
    assert_int_equal(o.health.fail_threshold, 5);
    assert_int_equal(o.check_interval_ms, 250);
    assert_int_equal(o.n_sessions, 2);
    /* The sessions are the configuration's, not a copy. */
    assert_ptr_equal(o.sessions, cfg->sessions);
    assert_string_equal(o.sessions[1].exchange, "SHFE");
}

static void test_steer(void **state)
{
    struct hamd_config *cfg = *state;
    cfg->daily_cap = 7;
    cfg->revert_after_s = 120;
    cfg->quarantine_s = 45;
    struct hamd_steer_opts o;
    hamd_params_steer(&o, cfg);
    assert_int_equal(o.daily_cap, 7);
    assert_int_equal(o.revert_after_s, 120);
    assert_int_equal(o.quarantine_s, 45);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_health),
        T(test_health_defaults_without_config),
        T(test_cluster),
        T(test_cluster_refuses_too_many_peers),
        T(test_dataplane),
        T(test_monitor),
        T(test_steer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
