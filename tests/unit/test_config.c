/* Configuration loading: every key, defaults, each kind of error with its
 * file:line and key, environment overrides, secrets kept out of messages.
 * Files are written into a mkdtemp directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/log.h"
#include "config/config.h"
#include "core/sessions.h"

extern char **environ;

#define TEST_LONG_PARAMS_BYTES 3000 /* well above libinih's 200 default */

static char g_dir[64];
static char g_path[128];
static char g_err[HAMD_CONFIG_ERR_MAX];

/* The [sessions] entry of an exchange, or NULL. */
static const struct hamd_exchange_sessions *
sessions_of(const struct hamd_config *cfg, const char *exchange)
{
    return hamd_sessions_find(cfg->sessions, cfg->n_sessions, exchange);
}

/* Removes every HAMD_* variable so tests see only what they set. */
static void env_clear(void)
{
    char names[64][128];
    unsigned n = 0;
    for (char **e = environ; *e != NULL && n < 64; e++) {
        const char *eq = strchr(*e, '=');
        size_t len = eq != NULL ? (size_t)(eq - *e) : strlen(*e);
        if (strncmp(*e, "HAMD_", 5) == 0 && len < sizeof names[0]) {
            memcpy(names[n], *e, len);
            names[n++][len] = '\0';
        }
    }
    for (unsigned i = 0; i < n; i++)
        unsetenv(names[i]);
}

static int group_setup(void **state)
{
    (void)state;
    strcpy(g_dir, "/tmp/hamd-test-config-XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        return -1;
    snprintf(g_path, sizeof g_path, "%s/node.ini", g_dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(g_path);
    return rmdir(g_dir);
}

static int test_setup(void **state)
{
    (void)state;
    env_clear();
    g_err[0] = '\0';
    return 0;
}

static int test_teardown(void **state)
{
    (void)state;
    env_clear();
    return 0;
}

/* Writes text as the config file and loads it. */
static struct hamd_config *load(const char *text)
{
    FILE *f = fopen(g_path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return hamd_config_load(g_path, g_err, sizeof g_err);
}

/* Asserts that loading fails with "<path>:<line>: " (line 0: no line)
 * and that the message contains each of the NULL-terminated fragments. */
static void expect_error(const char *text, unsigned line, ...)
{
    struct hamd_config *cfg = load(text);
    char prefix[192];
    if (cfg != NULL)
        hamd_config_destroy(&cfg);
    assert_null(cfg);
    if (line > 0) {
        snprintf(prefix, sizeof prefix, "%s:%u: ", g_path, line);
        if (strncmp(g_err, prefix, strlen(prefix)) != 0)
            fail_msg("expected prefix '%s' in '%s'", prefix, g_err);
    }
    va_list ap;
    va_start(ap, line);
    for (const char *frag = va_arg(ap, const char *); frag != NULL;
         frag = va_arg(ap, const char *))
        if (strstr(g_err, frag) == NULL)
            fail_msg("expected '%s' in '%s'", frag, g_err);
    va_end(ap);
}

static const char FULL[] =
    "# every key of every section\n"                                   /* 1 */
    "[node]\n"
    "id = 2\n"
    "data_dir = /var/lib/hamd\n"
    "log_level = debug\n"                                               /* 5 */
    "\n"
    "[peer.2]\n"
    "raft = 10.0.0.2:7002\n"
    "admin = 10.0.0.2:8002\n"
    "publish = tcp://10.0.0.2:5552\n"                                   /* 10 */
    "snapshot = tcp://10.0.0.2:5562\n"
    "role = voter\n"
    "[peer.1]\n"
    "  raft = 10.0.0.1:7001      ; indented keys are fine\n"
    "  admin = node1.example:8001\n"                                    /* 15 */
    "  publish = ipc:///run/hamd/pub.sock\n"
    "  snapshot = tcp://[::1]:5561\n"
    "[peer.3]\n"
    "raft = 10.0.0.3:7003\n"
    "admin = 10.0.0.3:8003\n"                                           /* 20 */
    "publish = tcp://10.0.0.3:5553\n"
    "snapshot = tcp://10.0.0.3:5563\n"
    "role = witness\n"
    "[raft]\n"
    "election_timeout_ms = 400\n"                                       /* 25 */
    "heartbeat_ms = 40\n"
    "witness_election_timeout_ms = 1500\n"
    "lease_margin_ms = 120\n"
    "snapshot_threshold = 2048\n"
    "snapshot_trailing = 256\n"                                         /* 30 */
    "[publish]\n"
    "hwm = 5000\n"
    "heartbeat_ms = 200\n"
    "[gateways]\n"
    "endpoint = ipc:///run/hamd/gw.sock\n"                              /* 35 */
    "restart_backoff_min_ms = 300\n"
    "restart_backoff_max_ms = 60000\n"
    "stop_grace_ms = 1500\n"
    "sim = /usr/lib/hamd/hamd-gw-sim\n"
    "ctp = /opt/bridge/ctp_gateway.py\n"                                /* 40 */
    "[health]\n"
    "check_interval_ms = 250\n"
    "fail_threshold = 4\n"
    "recover_threshold = 6\n"
    "hb_timeout_ms = 3500\n"                                            /* 45 */
    "canary_timeout_ms = 6000\n"
    "stale_ms = 2500\n"
    "latency_ms = 1500\n"
    "timezone = Europe/London\n"
    "[sessions]\n"                                                      /* 50 */
    "SHFE = 09:00-10:15,10:30-11:30, 13:30-15:00,21:00-01:00\n"
    "DCE = 09:00-11:30\n"
    "closed_restart_after_s = 900\n"
    "[failover]\n"
    "replay_window_ms = 4000\n"                                         /* 55 */
    "replay_depth = 512\n"
    "quarantine_s = 90\n"
    "revert_after_s = 0\n"
    "daily_cap = 7\n"
    "restart_after_ms = 8000\n"                                         /* 60 */
    "event_history = 2000\n"
    "arbitration = first\n"
    "[admin]\n"
    "token_file = /etc/hamd/token\n"
    "max_body_bytes = 131072\n"                                         /* 65 */
    "[hooks]\n"
    "on_leader = /etc/hamd/hooks/vip-up\n"
    "on_follower = /etc/hamd/hooks/vip-down\n"
    "timeout_ms = 7000\n"
    "handover_release_ms = 50\n"                                        /* 70 */
    "[account.sim_a]\n"
    "name = Sim A\n"
    "gateway_type = sim\n"
    "priority = 1\n"
    "enabled = yes\n"                                                   /* 75 */
    "exchanges = SHFE, DCE, CZCE\n"
    "canary = rb2601.SHFE\n"
    "params = {\"seed\": 7,   \"rate\": 20}\n"
    "[account.ctp-main]\n"
    "gateway_type = ctp\n"                                              /* 80 */
    "priority = 2\n"
    "enabled = off\n"
    "exchanges = DCE\n"
    "[subscriptions]\n"
    "symbols = rb2601.SHFE, i2601.DCE\n"                                /* 85 */
    "symbols = SR601.CZCE, rb2601.SHFE\n"
    "[cluster]\n"
    "source_transfer_after_ms = 2500\n"
    "source_transfer_cooldown_s = 120\n"
    "[peer.4]\n"                                                        /* 90 */
    "raft = 10.0.0.4:7004\n"
    "admin = 10.0.0.4:8004\n"
    "publish = tcp://*:5554\n"
    "snapshot = tcp://*:5564\n"
    "relay = tcp://*:5574\n"                                            /* 95 */
    "[arbitration]\n"
    "SHFE = first\n"
    "DCE = priority\n";

static void test_full_file_sets_every_key(void **state)
{
    (void)state;
    struct hamd_config *cfg = load(FULL);
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_string_equal(cfg->path, g_path);
    assert_int_equal(cfg->node_id, 2);
    assert_string_equal(cfg->data_dir, "/var/lib/hamd");
    assert_int_equal(cfg->log_level, HAMD_LOG_DEBUG);

    assert_int_equal(cfg->n_peers, 4);
    assert_int_equal(cfg->peers[0].id, 1); /* sorted by id */
    assert_string_equal(cfg->peers[0].relay, ""); /* optional */
    assert_string_equal(cfg->peers[3].relay, "tcp://*:5574");
    char relay[HAMD_ENDPOINT_MAX];
    assert_int_equal(hamd_peer_connect_endpoint(&cfg->peers[3],
                                                cfg->peers[3].relay, relay,
                                                sizeof relay), 0);
    assert_string_equal(relay, "tcp://10.0.0.4:5574");
    assert_int_equal(hamd_peer_connect_endpoint(&cfg->peers[0],
                                                cfg->peers[0].relay, relay,
                                                sizeof relay), -1);
    assert_string_equal(cfg->peers[0].raft, "10.0.0.1:7001");
    assert_string_equal(cfg->peers[0].admin, "node1.example:8001");
    assert_string_equal(cfg->peers[0].publish, "ipc:///run/hamd/pub.sock");
    assert_string_equal(cfg->peers[0].snapshot, "tcp://[::1]:5561");
    assert_int_equal(cfg->peers[0].role, HAMD_ROLE_VOTER); /* default */
    assert_int_equal(cfg->peers[1].id, 2);
    assert_int_equal(cfg->peers[2].id, 3);
    assert_int_equal(cfg->peers[2].role, HAMD_ROLE_WITNESS);
    const struct hamd_peer *self = hamd_config_self(cfg);
    assert_non_null(self);
    assert_int_equal(self->id, 2);
    assert_string_equal(hamd_config_admin(cfg), "10.0.0.2:8002");
    assert_string_equal(hamd_config_publish(cfg), "tcp://10.0.0.2:5552");
    assert_string_equal(hamd_config_snapshot(cfg), "tcp://10.0.0.2:5562");

    assert_int_equal(cfg->election_timeout_ms, 400);
    assert_int_equal(cfg->heartbeat_ms, 40);
    assert_int_equal(cfg->witness_election_timeout_ms, 1500);
    assert_int_equal(cfg->lease_margin_ms, 120);
    assert_int_equal(cfg->snapshot_threshold, 2048);
    assert_int_equal(cfg->snapshot_trailing, 256);
    assert_int_equal(cfg->pub_hwm, 5000);
    assert_int_equal(cfg->heartbeat_interval_ms, 200);

    assert_string_equal(cfg->gw_endpoint, "ipc:///run/hamd/gw.sock");
    assert_int_equal(cfg->restart_backoff_min_ms, 300);
    assert_int_equal(cfg->restart_backoff_max_ms, 60000);
    assert_int_equal(cfg->stop_grace_ms, 1500);
    assert_int_equal(cfg->n_gw_execs, 2);
    assert_string_equal(hamd_config_gw_exec(cfg, "sim"),
                        "/usr/lib/hamd/hamd-gw-sim");
    assert_string_equal(hamd_config_gw_exec(cfg, "ctp"),
                        "/opt/bridge/ctp_gateway.py");
    assert_null(hamd_config_gw_exec(cfg, "xtp"));

    assert_int_equal(cfg->check_interval_ms, 250);
    assert_int_equal(cfg->fail_threshold, 4);
    assert_int_equal(cfg->recover_threshold, 6);
    assert_int_equal(cfg->hb_timeout_ms, 3500);
    assert_int_equal(cfg->canary_timeout_ms, 6000);
    assert_int_equal(cfg->stale_ms, 2500);
    assert_int_equal(cfg->latency_ms, 1500);
    assert_string_equal(cfg->timezone, "Europe/London");

    assert_int_equal(cfg->n_sessions, 2);
    const struct hamd_exchange_sessions *shfe =
        sessions_of(cfg, "SHFE");
    assert_non_null(shfe);
    assert_int_equal(shfe->n_windows, 4);
    assert_int_equal(shfe->windows[0].start_min, 9 * 60);
    assert_int_equal(shfe->windows[0].end_min, 10 * 60 + 15);
    assert_int_equal(shfe->windows[2].start_min, 13 * 60 + 30);
    assert_int_equal(shfe->windows[3].start_min, 21 * 60);
    assert_int_equal(shfe->windows[3].end_min, 60); /* crosses midnight */
    assert_int_equal(sessions_of(cfg, "DCE")->n_windows, 1);
    assert_null(sessions_of(cfg, "CZCE"));
    assert_int_equal(cfg->closed_restart_after_s, 900);
    assert_string_equal(cfg->holidays_file, "");
    assert_int_equal(cfg->n_holidays, 0);

    assert_int_equal(cfg->arbitration, HAMD_ARB_MODE_FIRST);
    assert_int_equal(cfg->n_arb_exchanges, 2);
    assert_string_equal(cfg->arb_exchanges[0].exchange, "SHFE");
    assert_int_equal(cfg->arb_exchanges[0].mode, HAMD_ARB_MODE_FIRST);
    assert_string_equal(cfg->arb_exchanges[1].exchange, "DCE");
    assert_int_equal(cfg->arb_exchanges[1].mode, HAMD_ARB_MODE_PRIORITY);

    assert_int_equal(cfg->replay_window_ms, 4000);
    assert_int_equal(cfg->replay_depth, 512);
    assert_int_equal(cfg->quarantine_s, 90);
    assert_int_equal(cfg->revert_after_s, 0);
    assert_int_equal(cfg->daily_cap, 7);
    assert_int_equal(cfg->restart_after_ms, 8000);
    assert_int_equal(cfg->event_history, 2000);
    assert_string_equal(cfg->token_file, "/etc/hamd/token");
    assert_int_equal(cfg->max_body_bytes, 131072);
    assert_string_equal(cfg->on_leader, "/etc/hamd/hooks/vip-up");
    assert_string_equal(cfg->on_follower, "/etc/hamd/hooks/vip-down");
    assert_int_equal(cfg->hook_timeout_ms, 7000);
    assert_int_equal(cfg->hook_handover_release_ms, 50);
    assert_int_equal(cfg->source_transfer_after_ms, 2500);
    assert_int_equal(cfg->source_transfer_cooldown_s, 120);

    assert_int_equal(cfg->n_seed_accounts, 2);
    const struct hamd_account *a = &cfg->seed_accounts[0];
    assert_string_equal(a->id, "sim_a");
    assert_string_equal(a->name, "Sim A");
    assert_string_equal(a->gateway_type, "sim");
    assert_int_equal(a->priority, 1);
    assert_true(a->enabled);
    assert_int_equal(a->n_exchanges, 3);
    assert_string_equal(a->exchanges[2], "CZCE");
    assert_string_equal(a->canary, "rb2601.SHFE");
    assert_string_equal(a->params, "{\"seed\":7,\"rate\":20}");
    const struct hamd_account *b = &cfg->seed_accounts[1];
    assert_string_equal(b->id, "ctp-main");
    assert_string_equal(b->name, "ctp-main"); /* defaults to the id */
    assert_false(b->enabled);
    assert_string_equal(b->canary, "");
    assert_string_equal(b->params, "{}");

    /* Both symbols lines, sorted, the repeat dropped. */
    assert_int_equal(cfg->n_seed_subs, 3);
    assert_string_equal(cfg->seed_subs[0], "SR601.CZCE");
    assert_string_equal(cfg->seed_subs[1], "i2601.DCE");
    assert_string_equal(cfg->seed_subs[2], "rb2601.SHFE");
    hamd_config_destroy(&cfg);
    assert_null(cfg);
}

static void test_defaults(void **state)
{
    (void)state;
    struct hamd_config *cfg = load("[node]\ndata_dir = run/node1\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_int_equal(cfg->node_id, 1);
    assert_int_equal(cfg->log_level, HAMD_LOG_INFO);
    assert_int_equal(cfg->n_peers, 0);
    assert_null(hamd_config_self(cfg));
    assert_string_equal(hamd_config_admin(cfg), "127.0.0.1:8001");
    assert_string_equal(hamd_config_publish(cfg), "tcp://127.0.0.1:5551");
    assert_string_equal(hamd_config_snapshot(cfg), "tcp://127.0.0.1:5561");
    assert_int_equal(cfg->election_timeout_ms, 200);
    assert_int_equal(cfg->election_jitter_pct, 50);
    assert_int_equal(cfg->heartbeat_ms, 50);
    assert_int_equal(cfg->witness_election_timeout_ms, 1000);
    assert_int_equal(cfg->lease_margin_ms, 50);
    assert_int_equal(cfg->snapshot_threshold, 1024);
    assert_int_equal(cfg->snapshot_trailing, 128);
    assert_int_equal(cfg->pub_hwm, 100000);
    assert_int_equal(cfg->heartbeat_interval_ms, 100);
    assert_string_equal(cfg->gw_endpoint, "ipc://run/node1/gw.sock");
    assert_int_equal(cfg->n_gw_execs, 0);
    assert_int_equal(cfg->restart_backoff_min_ms, 200);
    assert_int_equal(cfg->restart_backoff_max_ms, 30000);
    assert_int_equal(cfg->stop_grace_ms, 2000);
    assert_int_equal(cfg->check_interval_ms, 100);
    assert_int_equal(cfg->fail_threshold, 3);
    assert_int_equal(cfg->recover_threshold, 5);
    assert_int_equal(cfg->hb_timeout_ms, 3000);
    assert_int_equal(cfg->canary_timeout_ms, 5000);
    assert_int_equal(cfg->stale_ms, 1000);
    assert_int_equal(cfg->latency_ms, 2000);
    assert_string_equal(cfg->timezone, "Asia/Shanghai");
    assert_int_equal(cfg->n_sessions, 0);
    assert_string_equal(cfg->holidays_file, "");
    assert_int_equal(cfg->n_holidays, 0);
    assert_int_equal(cfg->closed_restart_after_s, 600);
    assert_int_equal(cfg->arbitration, HAMD_ARB_MODE_PRIORITY);
    assert_int_equal(cfg->n_arb_exchanges, 0);
    assert_int_equal(cfg->replay_window_ms, 3000);
    assert_int_equal(cfg->replay_depth, 256);
    assert_int_equal(cfg->quarantine_s, 60);
    assert_int_equal(cfg->revert_after_s, 300);
    assert_int_equal(cfg->daily_cap, 20);
    assert_int_equal(cfg->restart_after_ms, 5000);
    assert_int_equal(cfg->event_history, 1000);
    assert_string_equal(cfg->token_file, "");
    assert_int_equal(cfg->max_body_bytes, 65536);
    assert_int_equal(cfg->max_streams, 32);
    assert_int_equal(cfg->log_lines, 2000);
    assert_string_equal(cfg->on_leader, "");
    assert_string_equal(cfg->on_follower, "");
    assert_int_equal(cfg->hook_timeout_ms, 5000);
    assert_int_equal(cfg->hook_handover_release_ms, 300);
    assert_int_equal(cfg->source_transfer_after_ms, 1500);
    assert_int_equal(cfg->source_transfer_cooldown_s, 60);
    assert_string_equal(cfg->on_event, "");
    assert_int_equal(cfg->event_hook_timeout_ms, 5000);
    assert_int_equal(cfg->event_hook_max_running, 4);
    assert_int_equal(cfg->n_seed_accounts, 0);
    assert_int_equal(cfg->n_seed_subs, 0);
    assert_null(cfg->seed_subs);
    hamd_config_destroy(&cfg);
}

static void test_account_defaults(void **state)
{
    (void)state;
    struct hamd_config *cfg = load("[node]\ndata_dir = /d/\n"
                                   "[gateways]\nsim = /bin/sim\n"
                                   "[account.a1]\ngateway_type = sim\n"
                                   "priority = 5\nexchanges = SHFE\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_string_equal(cfg->gw_endpoint, "ipc:///d/gw.sock");
    const struct hamd_account *a = &cfg->seed_accounts[0];
    assert_string_equal(a->name, "a1");
    assert_true(a->enabled);
    assert_string_equal(a->canary, "");
    assert_string_equal(a->params, "{}");
    hamd_config_destroy(&cfg);
}

/* A raft election timeout above 1000 ms drags an unset witness timeout up. */
static void test_witness_timeout_follows_election(void **state)
{
    (void)state;
    struct hamd_config *cfg =
        load("[node]\ndata_dir = d\n[raft]\nelection_timeout_ms = 2000\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_int_equal(cfg->witness_election_timeout_ms, 2000);
    hamd_config_destroy(&cfg);
    expect_error("[node]\ndata_dir = d\n[raft]\nelection_timeout_ms = 2000\n"
                 "witness_election_timeout_ms = 1500\n",
                 5, "[raft] witness_election_timeout_ms: ", NULL);
}

static void test_long_lines(void **state)
{
    (void)state;
    char *text = malloc(HAMD_CONFIG_LINE_MAX * 2);
    assert_non_null(text);
    strcpy(text, "[node]\ndata_dir = d\n[gateways]\nsim = /bin/sim\n"
                 "[account.a]\ngateway_type = sim\n"
                 "priority = 1\nexchanges = SHFE\nparams = {\"pad\": \"");
    size_t len = strlen(text);
    memset(text + len, 'x', TEST_LONG_PARAMS_BYTES);
    strcpy(text + len + TEST_LONG_PARAMS_BYTES, "\"}\n");
    struct hamd_config *cfg = load(text);
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_int_equal(strlen(cfg->seed_accounts[0].params),
                     TEST_LONG_PARAMS_BYTES + strlen("{\"pad\":\"\"}"));
    hamd_config_destroy(&cfg);

    strcpy(text, "[node]\ndata_dir = d\n[hooks]\non_leader = ");
    len = strlen(text);
    memset(text + len, 'y', HAMD_CONFIG_LINE_MAX);
    strcpy(text + len + HAMD_CONFIG_LINE_MAX, "\n");
    expect_error(text, 4, "line longer than", NULL);
    free(text);
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[160];
    snprintf(path, sizeof path, "%s/absent.ini", g_dir);
    assert_null(hamd_config_load(path, g_err, sizeof g_err));
    assert_non_null(strstr(g_err, path));
    assert_non_null(strstr(g_err, "cannot open"));
}

static void test_syntax_error(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\njust some words\n", 3,
                 "syntax error", NULL);
    expect_error("[node\ndata_dir = d\n", 1, "syntax error", NULL);
    expect_error("id = 1\n[node]\n", 1, "id: key outside of any section",
                 NULL);
}

static void test_unknown_section(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n\n[nodes]\n", 4,
                 "[nodes]: unknown section", NULL);
    expect_error("[node]\ndata_dir = d\n[peer.x]\n", 3, "[peer.x]:", NULL);
    expect_error("[node]\ndata_dir = d\n[peer.01]\n", 3, "[peer.01]:", NULL);
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[raft]\nheartbeat = 50\n", 4,
                 "[raft] heartbeat: unknown key", "heartbeat_ms", NULL);
    expect_error("[node]\ndata_dir = d\n[subscriptions]\nsymbol = a.SHFE\n",
                 4, "[subscriptions] symbol: unknown key", NULL);
    expect_error("[node]\ndata_dir = d\n[gateways]\nSim = /bin/sim\n", 4,
                 "[gateways] Sim: unknown key", NULL);
    expect_error("[node]\ndata_dir = d\n[sessions]\nshfe = 09:00-10:00\n", 4,
                 "[sessions] shfe: unknown key", NULL);
}

static void test_bad_int(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[raft]\nheartbeat_ms = abc\n", 4,
                 "[raft] heartbeat_ms: expected an integer in 10..10000, "
                 "got 'abc'", NULL);
    expect_error("[node]\ndata_dir = d\n[publish]\nhwm = -5\n", 4,
                 "[publish] hwm: expected an integer", NULL);
    expect_error("[node]\ndata_dir = d\n[publish]\nhwm = 99999999999999999\n",
                 4, "[publish] hwm: expected an integer", NULL);
}

static void test_out_of_range(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[health]\nfail_threshold = 0\n", 4,
                 "[health] fail_threshold: expected an integer in 1..1000, "
                 "got '0'", NULL);
    expect_error("[node]\ndata_dir = d\n[account.a]\npriority = 1001\n", 4,
                 "[account.a] priority: expected an integer in 1..1000", NULL);
}

static void test_bad_bool(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[account.a]\nenabled = maybe\n", 4,
                 "[account.a] enabled: expected true/false", "'maybe'", NULL);
}

static void test_bad_endpoint(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\npublish = tcp://127.0.0.1\n", 3,
                 "[node] publish: expected tcp://HOST:PORT", NULL);
    expect_error("[node]\ndata_dir = d\nsnapshot = udp://1.2.3.4:5\n", 3,
                 "[node] snapshot: expected tcp://", NULL);
    /* Gateways are other processes: inproc cannot reach them. */
    expect_error("[node]\ndata_dir = d\n[gateways]\nendpoint = inproc://gw\n",
                 4, "[gateways] endpoint: expected tcp://HOST:PORT or "
                 "ipc://PATH", NULL);
    expect_error("[node]\ndata_dir = d\nadmin = 127.0.0.1:99999\n", 3,
                 "[node] admin: expected HOST:PORT", NULL);
    /* A relay endpoint is optional, but when given it must be reachable
     * by another process. */
    expect_error("[node]\ndata_dir = d\n[peer.1]\nraft = 127.0.0.1:7001\n"
                 "admin = 127.0.0.1:8001\npublish = tcp://127.0.0.1:5551\n"
                 "snapshot = tcp://127.0.0.1:5561\nrelay = inproc://r\n", 8,
                 "[peer.1] relay: expected tcp://HOST:PORT or ipc://PATH",
                 NULL);
}

static void test_bad_raft_address(void **state)
{
    (void)state;
    expect_error("[node]\nid = 1\ndata_dir = d\n[peer.1]\n"
                 "raft = node1.example:7001\n",
                 5, "[peer.1] raft: expected IPV4:PORT", "node1.example",
                 NULL);
    expect_error("[node]\nid = 1\ndata_dir = d\n[peer.1]\n"
                 "raft = 10.0.0.1\n", 5, "[peer.1] raft: ", NULL);
}

static void test_bad_role(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[peer.1]\nrole = leader\n", 4,
                 "[peer.1] role: expected voter or witness", NULL);
}

static void test_duplicate_key(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[raft]\nheartbeat_ms = 50\n\n"
                 "heartbeat_ms = 60\n",
                 6, "[raft] heartbeat_ms: duplicate key (first at line 4)",
                 NULL);
    expect_error("[node]\ndata_dir = d\n[gateways]\nsim = /a\nsim = /b\n", 5,
                 "[gateways] sim: duplicate key", NULL);
    expect_error("[node]\ndata_dir = d\n[sessions]\nDCE = 09:00-10:00\n"
                 "DCE = 10:00-11:00\n", 5, "[sessions] DCE: duplicate key",
                 NULL);
}

static void test_duplicate_section(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[peer.1]\n[peer.2]\n[peer.1]\n", 5,
                 "[peer.1]: duplicate section (first at line 3)", NULL);
    expect_error("[node]\ndata_dir = d\n[raft]\n[raft]\n", 4,
                 "[raft]: duplicate section", NULL);
    expect_error("[node]\ndata_dir = d\n[account.a]\n[account.a]\n", 4,
                 "[account.a]: duplicate section", NULL);
}

static const char PEERS[] =
    "[peer.1]\nraft = 127.0.0.1:7001\nadmin = 127.0.0.1:8001\n"
    "publish = tcp://127.0.0.1:5551\nsnapshot = tcp://127.0.0.1:5561\n"
    "[peer.2]\nraft = 127.0.0.1:7002\nadmin = 127.0.0.1:8002\n"
    "publish = tcp://127.0.0.1:5552\nsnapshot = tcp://127.0.0.1:5562\n";

static void test_node_id_not_in_peers(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, "[node]\ndata_dir = d\nid = 3\n%s", PEERS);
    expect_error(text, 3, "[node] id: 3 matches no [peer.N]", NULL);
    snprintf(text, sizeof text, "[node]\ndata_dir = d\n%s", PEERS);
    expect_error(text, 1, "[node] id: required", NULL);
}

static void test_peer_checks(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[peer.1]\nraft = 127.0.0.1:7001\n",
                 3, "[peer.1] admin: required", NULL);
    char text[1024];
    snprintf(text, sizeof text, "[node]\nid = 1\ndata_dir = d\n"
             "publish = tcp://127.0.0.1:5551\n%s", PEERS);
    expect_error(text, 4, "[node] publish: only for a standalone node", NULL);
    snprintf(text, sizeof text, "[node]\nid = 1\ndata_dir = d\n%s"
             "role = witness\n[peer.1]\n", PEERS);
    expect_error(text, 15, "[peer.1]: duplicate section", NULL);
}

static void test_peer_limits(void **state)
{
    (void)state;
    char text[2048] = "[node]\ndata_dir = d\n";
    for (unsigned id = 1; id <= HAMD_MAX_PEERS + 1; id++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "[peer.%u]\n", id);
    }
    expect_error(text, 3 + HAMD_MAX_PEERS, "more than 7 [peer.N]", NULL);

    char dup[1024];
    snprintf(dup, sizeof dup, "[node]\nid = 1\ndata_dir = d\n%s"
             "[peer.3]\nraft = 127.0.0.1:7002\nadmin = 127.0.0.1:8003\n"
             "publish = tcp://127.0.0.1:5553\n"
             "snapshot = tcp://127.0.0.1:5563\n",
             PEERS);
    expect_error(dup, 15, "[peer.3] raft: same address as another", NULL);
}

static void test_missing_data_dir(void **state)
{
    (void)state;
    expect_error("[node]\nid = 1\n", 1, "[node] data_dir: required", NULL);
    expect_error("[raft]\n", 0, "[node] data_dir: required", NULL);
    assert_null(strstr(g_err, ":0:"));
}

static void test_raft_timing(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[raft]\nelection_timeout_ms = 100\n"
                 "heartbeat_ms = 50\n",
                 4, "[raft] election_timeout_ms: election_timeout_ms (100) "
                 "must be more than 2 x heartbeat_ms (50)", NULL);
    expect_error("[node]\ndata_dir = d\n[raft]\nheartbeat_ms = 200\n", 4,
                 "[raft] heartbeat_ms: ", NULL);
    expect_error("[node]\ndata_dir = d\n[raft]\nlease_margin_ms = 300\n", 4,
                 "[raft] lease_margin_ms: ", NULL);
    expect_error("[node]\ndata_dir = d\n[raft]\nelection_jitter_pct = 5\n", 4,
                 "[raft] election_jitter_pct: ", NULL);
    expect_error("[node]\ndata_dir = d\n[raft]\nelection_jitter_pct = 101\n",
                 4, "[raft] election_jitter_pct: ", NULL);
    expect_error("[node]\ndata_dir = d\n[gateways]\n"
                 "restart_backoff_min_ms = 50000\n",
                 4, "[gateways] restart_backoff_min_ms: ", NULL);
}

static void test_bad_session_window(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[sessions]\n"
                 "SHFE = 09:00-10:15,25:00-26:00\n",
                 4, "[sessions] SHFE: expected windows HH:MM-HH:MM",
                 "'25:00-26:00'", NULL);
    expect_error("[node]\ndata_dir = d\n[sessions]\nSHFE = 9:00-10:15\n", 4,
                 "[sessions] SHFE: ", NULL);
    expect_error("[node]\ndata_dir = d\n[sessions]\nSHFE = 10:00-10:00\n", 4,
                 "[sessions] SHFE: a window must not start and end", NULL);
    expect_error("[node]\ndata_dir = d\n[sessions]\nSHFE = 09:00-10:00,\n", 4,
                 "[sessions] SHFE: item 2 of the comma-separated list is "
                 "empty", NULL);
}

static void test_bad_arbitration(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[failover]\narbitration = fastest\n",
                 4, "[failover] arbitration: expected priority or first, got "
                 "'fastest'", NULL);
    expect_error("[node]\ndata_dir = d\n[arbitration]\nSHFE = First\n", 4,
                 "[arbitration] SHFE: expected priority or first, got 'First'",
                 NULL);
    expect_error("[node]\ndata_dir = d\n[arbitration]\nshfe = first\n", 4,
                 "[arbitration] shfe: unknown key (expected an exchange code",
                 NULL);
    expect_error("[node]\ndata_dir = d\n[arbitration]\nDCE = first\n"
                 "DCE = priority\n",
                 5, "[arbitration] DCE: duplicate key (first at line 4)", NULL);
    char text[2048] = "[node]\ndata_dir = d\n[arbitration]\n";
    for (int i = 0; i <= HAMD_ARB_EXCH_MAX; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "X%d = first\n", i);
    }
    expect_error(text, 4 + HAMD_ARB_EXCH_MAX,
                 "more than 16 exchanges", NULL);
    expect_error("[node]\ndata_dir = d\n[sessions]\n"
                 "closed_restart_after_s = 86401\n",
                 4, "[sessions] closed_restart_after_s: expected an integer "
                 "in 0..86400", NULL);
}

/* Writes text as the holiday file next to the config; returns its path. */
static const char *holiday_file(const char *text)
{
    static char path[160];
    snprintf(path, sizeof path, "%s/holidays.txt", g_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Loads a config naming the holiday file with text in it. */
static struct hamd_config *load_with_holidays(const char *text)
{
    char ini[512];
    snprintf(ini, sizeof ini,
             "[node]\ndata_dir = d\n[sessions]\nholidays = %s\n"
             "SHFE = 09:00-15:00\n",
             holiday_file(text));
    return load(ini);
}

/* Expects the load to fail naming the holiday file and line. */
static void expect_holiday_error(const char *text, unsigned line,
                                 const char *frag)
{
    struct hamd_config *cfg = load_with_holidays(text);
    if (cfg)
        hamd_config_destroy(&cfg);
    assert_null(cfg);
    char want[256];
    snprintf(want, sizeof want, "%s/holidays.txt:%u: [sessions] holidays: ",
             g_dir, line);
    if (strncmp(g_err, want, strlen(want)) != 0)
        fail_msg("expected prefix '%s' in '%s'", want, g_err);
    if (!strstr(g_err, frag))
        fail_msg("expected '%s' in '%s'", frag, g_err);
}

static void test_holidays_file(void **state)
{
    (void)state;
    struct hamd_config *cfg = load_with_holidays(
        "# China 2026 (example)\n\n2026-10-01\n  2026-01-01  # New Year\n"
        "2026-02-17\r\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_int_equal(cfg->n_holidays, 3);
    char day[16];
    hamd_holiday_format(cfg->holidays[0], day, sizeof day); /* sorted */
    assert_string_equal(day, "2026-01-01");
    hamd_holiday_format(cfg->holidays[2], day, sizeof day);
    assert_string_equal(day, "2026-10-01");
    hamd_config_destroy(&cfg);

    expect_holiday_error("2026-01-01\n2026-13-01\n", 2, "no such date");
    expect_holiday_error("2026-02-29\n", 1, "no such date: 2026-02-29");
    expect_holiday_error("# x\n2026/01/01\n", 2,
                         "expected a date YYYY-MM-DD, got '2026/01/01'");
    expect_holiday_error("2026-10-01\n2026-10-02\n2026-10-01\n", 3,
                         "2026-10-01 listed twice (first at line 1)");
    unlink(holiday_file(""));

    /* A relative path is taken from the config file's directory. */
    holiday_file("2026-05-01\n");
    cfg = load("[node]\ndata_dir = d\n[sessions]\nholidays = holidays.txt\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_int_equal(cfg->n_holidays, 1);
    assert_string_equal(cfg->holidays_file, holiday_file("2026-05-01\n"));
    hamd_config_destroy(&cfg);
    unlink(holiday_file(""));

    /* A file that is not there names the file. */
    char missing[256];
    snprintf(missing, sizeof missing,
             "[node]\ndata_dir = d\n[sessions]\nholidays = %s/nope.txt\n",
             g_dir);
    expect_error(missing, 0, "nope.txt: [sessions] holidays: cannot open",
                 NULL);
}

static void test_env_arbitration_and_calendar(void **state)
{
    (void)state;
    setenv("HAMD_FAILOVER_ARBITRATION", "first", 1);
    setenv("HAMD_ARBITRATION_DCE", "first", 1);
    setenv("HAMD_ARBITRATION_CZCE", "first", 1); /* not in the file: ignored */
    setenv("HAMD_SESSIONS_CLOSED_RESTART_AFTER_S", "0", 1);
    setenv("HAMD_SESSIONS_HOLIDAYS", holiday_file("2026-05-01\n"), 1);
    struct hamd_config *cfg =
        load("[node]\ndata_dir = d\n[arbitration]\nDCE = priority\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_int_equal(cfg->arbitration, HAMD_ARB_MODE_FIRST);
    assert_int_equal(cfg->n_arb_exchanges, 1);
    assert_int_equal(cfg->arb_exchanges[0].mode, HAMD_ARB_MODE_FIRST);
    assert_int_equal(cfg->closed_restart_after_s, 0);
    assert_int_equal(cfg->n_holidays, 1);
    hamd_config_destroy(&cfg);
    setenv("HAMD_ARBITRATION_DCE", "fast", 1);
    expect_error("[node]\ndata_dir = d\n[arbitration]\nDCE = priority\n", 0,
                 "environment HAMD_ARBITRATION_DCE: expected priority or "
                 "first, got 'fast'", NULL);
    unlink(holiday_file(""));
}

static void test_bad_params_json(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[account.a]\n"
                 "params = {\"password\": hunter2}\n",
                 4, "[account.a] params: expected a JSON object", NULL);
    assert_null(strstr(g_err, "hunter2"));
    expect_error("[node]\ndata_dir = d\n[account.a]\nparams = [1, 2]\n", 4,
                 "[account.a] params: expected a JSON object, got an array",
                 NULL);
    expect_error("[node]\ndata_dir = d\n[account.a]\n"
                 "params = {\"a\": 1, \"a\": 2}\n",
                 4, "[account.a] params: ", NULL);
}

static void test_bad_subscription_symbol(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[subscriptions]\n"
                 "symbols = rb2601.SHFE\nsymbols = i2601.DCE, i2601\n",
                 5, "[subscriptions] symbols: expected SYMBOL.EXCHANGE",
                 "'i2601'", NULL);
    expect_error("[node]\ndata_dir = d\n[subscriptions]\n"
                 "symbols = rb2601.shfe\n",
                 4, "[subscriptions] symbols: ", NULL);
}

static void test_bad_account(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\n[account.Sim_A]\n", 3,
                 "[account.Sim_A]: expected [account.ID]", NULL);
    expect_error("[node]\ndata_dir = d\n[account.a]\npriority = 1\n"
                 "exchanges = SHFE\n",
                 3, "[account.a] gateway_type: required", NULL);
    expect_error("[node]\ndata_dir = d\n[account.a]\ngateway_type = sim\n"
                 "priority = 1\nexchanges = SHFE, DCE\ncanary = m2601.CZCE\n",
                 7, "[account.a] canary: ", NULL);
    expect_error("[node]\ndata_dir = d\n[account.a]\nexchanges = SHFE, shfe\n",
                 4, "[account.a] exchanges: expected exchange codes", NULL);
    /* Latin-1: the admin API could not show it (found by tests/fuzz). */
    expect_error("[node]\ndata_dir = d\n[account.a]\nname = Caf\xe9\n"
                 "gateway_type = sim\npriority = 1\nexchanges = SHFE\n",
                 4, "[account.a] name: not UTF-8 text", NULL);
    /* The sealed form, which the admin API refuses too: seeded, it is a
     * secret no key opens, and every node refuses to start after. */
    expect_error("[node]\ndata_dir = d\n[account.a]\ngateway_type = sim\n"
                 "priority = 1\nexchanges = SHFE\n"
                 "params = {\"x\": {\"password\": \"enc:v1:0badc0de:c2VjcmV0\"}}\n",
                 7, "[account.a] params: ", "\"enc:v1:\"", NULL);
    assert_null(strstr(g_err, "c2VjcmV0"));
}

/* A seed account of a type this node cannot run stops the start, as the
 * admin API refuses it (400): before, the node started and only logged an
 * ERROR, the account never running. */
static void test_account_type_not_in_gateways(void **state)
{
    (void)state;
    static const char acct[] = "[account.a]\ngateway_type = ctp\n"
                               "priority = 1\nexchanges = SHFE\n";
    char text[1024];
    snprintf(text, sizeof text, "[node]\ndata_dir = d\n[gateways]\n"
             "sim = /bin/sim\n%s", acct);
    expect_error(text, 6, "[account.a] gateway_type: 'ctp' names no program",
                 "[gateways] ctp = PATH", NULL);
    snprintf(text, sizeof text, "[node]\ndata_dir = d\n%s", acct);
    expect_error(text, 4, "[account.a] gateway_type: 'ctp' names no program",
                 NULL);
    /* Blamed on the variable that set it. */
    setenv("HAMD_ACCOUNT_A_GATEWAY_TYPE", "nosuch", 1);
    snprintf(text, sizeof text, "[node]\ndata_dir = d\n[gateways]\n"
             "ctp = /bin/ctp\n%s", acct);
    expect_error(text, 0, "environment HAMD_ACCOUNT_A_GATEWAY_TYPE: 'nosuch' "
                 "names no program", NULL);
    unsetenv("HAMD_ACCOUNT_A_GATEWAY_TYPE");
    struct hamd_config *cfg = load(text);
    if (cfg == NULL)
        fail_msg("%s", g_err);
    hamd_config_destroy(&cfg);
    /* A witness runs no gateway: it needs no [gateways]. */
    snprintf(text, sizeof text, "[node]\ndata_dir = d\nid = 2\n%s"
             "role = witness\n%s", PEERS, acct);
    cfg = load(text);
    if (cfg == NULL)
        fail_msg("%s", g_err);
    hamd_config_destroy(&cfg);
}

static void test_env_overrides_file_value(void **state)
{
    (void)state;
    setenv("HAMD_FAILOVER_REVERT_AFTER_S", "0", 1);
    setenv("HAMD_PEER_2_ADMIN", " 127.0.0.1:9002 ", 1);
    setenv("HAMD_NODE_ID", "2", 1);
    char text[1024];
    snprintf(text, sizeof text, "[node]\nid = 1\ndata_dir = d\n%s"
             "[failover]\nrevert_after_s = 600\n", PEERS);
    struct hamd_config *cfg = load(text);
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_int_equal(cfg->revert_after_s, 0);
    assert_int_equal(cfg->node_id, 2);
    assert_string_equal(hamd_config_admin(cfg), "127.0.0.1:9002");
    hamd_config_destroy(&cfg);
}

static void test_env_applies_to_absent_global_section(void **state)
{
    (void)state;
    setenv("HAMD_RAFT_HEARTBEAT_MS", "20", 1);
    setenv("HAMD_HOOKS_ON_LEADER", "/bin/up", 1);
    setenv("HAMD_NODE_DATA_DIR", "/srv/hamd", 1);
    struct hamd_config *cfg = load("[health]\nfail_threshold = 2\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_int_equal(cfg->heartbeat_ms, 20);
    assert_string_equal(cfg->on_leader, "/bin/up");
    assert_string_equal(cfg->data_dir, "/srv/hamd");
    assert_string_equal(cfg->gw_endpoint, "ipc:///srv/hamd/gw.sock");
    hamd_config_destroy(&cfg);
}

static void test_env_account_and_free_keys(void **state)
{
    (void)state;
    setenv("HAMD_ACCOUNT_SIM_A_PRIORITY", "9", 1);
    setenv("HAMD_ACCOUNT_SIM_PRIORITY", "4", 1);
    setenv("HAMD_ACCOUNT_SIM_A_PARAMS", "{\"seed\": 8}", 1);
    setenv("HAMD_GATEWAYS_SIM", "/opt/sim", 1);
    setenv("HAMD_SESSIONS_DCE", "21:00-23:00", 1);
    setenv("HAMD_SUBSCRIPTIONS_SYMBOLS", "a.DCE,b.DCE", 1);
    struct hamd_config *cfg =
        load("[node]\ndata_dir = d\n[gateways]\nsim = /bin/sim\n"
             "[sessions]\nDCE = 09:00-10:00,10:30-11:00\n"
             "[account.sim]\ngateway_type = sim\npriority = 1\n"
             "exchanges = DCE\n"
             "[account.sim_a]\ngateway_type = sim\npriority = 2\n"
             "exchanges = DCE\n"
             "[subscriptions]\nsymbols = c.DCE\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_int_equal(cfg->seed_accounts[0].priority, 4);
    assert_int_equal(cfg->seed_accounts[1].priority, 9);
    assert_string_equal(cfg->seed_accounts[1].params, "{\"seed\":8}");
    assert_string_equal(hamd_config_gw_exec(cfg, "sim"), "/opt/sim");
    const struct hamd_exchange_sessions *dce = sessions_of(cfg, "DCE");
    assert_int_equal(dce->n_windows, 1);
    assert_int_equal(dce->windows[0].start_min, 21 * 60);
    assert_int_equal(cfg->n_seed_subs, 2);
    assert_string_equal(cfg->seed_subs[0], "a.DCE");
    hamd_config_destroy(&cfg);
}

static void test_env_unrelated_ignored(void **state)
{
    (void)state;
    setenv("HAMD_ACCOUNT", "sim_a", 1);
    setenv("HAMD_GW_PARAMS", "{}", 1);
    setenv("HAMD_PEER_7_ADMIN", "garbage", 1);     /* no [peer.7] */
    setenv("HAMD_ACCOUNT_X_PRIORITY", "garbage", 1); /* no [account.x] */
    setenv("HAMD_RAFT_NO_SUCH_KEY", "garbage", 1);
    struct hamd_config *cfg = load("[node]\ndata_dir = d\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    hamd_config_destroy(&cfg);
}

static void test_env_bad_value_names_variable(void **state)
{
    (void)state;
    setenv("HAMD_RAFT_HEARTBEAT_MS", "x", 1);
    expect_error("[node]\ndata_dir = d\n", 0,
                 "environment HAMD_RAFT_HEARTBEAT_MS: expected an integer in "
                 "10..10000, got 'x'", NULL);
    unsetenv("HAMD_RAFT_HEARTBEAT_MS");

    /* A cross-key check blames the variable that set the value. */
    setenv("HAMD_RAFT_ELECTION_TIMEOUT_MS", "60", 1);
    expect_error("[node]\ndata_dir = d\n[raft]\nelection_timeout_ms = 300\n",
                 0, "environment HAMD_RAFT_ELECTION_TIMEOUT_MS: ", NULL);
}

static void test_secret_not_echoed(void **state)
{
    (void)state;
    expect_error("[node]\ndata_dir = d\npassword = hunter2\n", 3,
                 "[node] password: unknown key", NULL);
    assert_null(strstr(g_err, "hunter2"));
    setenv("HAMD_ACCOUNT_A_PARAMS", "{\"secret\": hunter2", 1);
    expect_error("[node]\ndata_dir = d\n[account.a]\ngateway_type = sim\n", 0,
                 "environment HAMD_ACCOUNT_A_PARAMS: expected a JSON object",
                 NULL);
    assert_null(strstr(g_err, "hunter2"));
}

static void test_file_bytes(void **state)
{
    (void)state;
    /* A BOM, CRLF line ends, comments of both kinds. */
    struct hamd_config *cfg =
        load("\xEF\xBB\xBF[node]\r\n# comment\r\n; comment\r\n"
             "data_dir = d ; trailing comment\r\n");
    if (cfg == NULL)
        fail_msg("%s", g_err);
    assert_string_equal(cfg->data_dir, "d");
    hamd_config_destroy(&cfg);

    static const char nul_line[] = "[node]\ndata_dir = d\x00x\n";
    FILE *f = fopen(g_path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(nul_line, 1, sizeof nul_line - 1, f),
                     sizeof nul_line - 1);
    fclose(f);
    assert_null(hamd_config_load(g_path, g_err, sizeof g_err));
    assert_non_null(strstr(g_err, ":2: NUL byte"));
}

static void check_connect(const char *publish, const char *admin,
                          const char *raft, const char *want)
{
    struct hamd_peer p;
    memset(&p, 0, sizeof p);
    snprintf(p.publish, sizeof p.publish, "%s", publish);
    snprintf(p.admin, sizeof p.admin, "%s", admin);
    snprintf(p.raft, sizeof p.raft, "%s", raft);
    char out[HAMD_ENDPOINT_MAX];
    if (!want) {
        assert_int_equal(hamd_peer_connect_endpoint(&p, p.publish, out, sizeof out), -1);
        return;
    }
    assert_int_equal(hamd_peer_connect_endpoint(&p, p.publish, out, sizeof out), 0);
    assert_string_equal(out, want);
}

/* A follower connects to the leader's PUB: a wildcard bind is reached at
 * the leader's admin host (client network), else its raft host. */
static void test_peer_publish_connect(void **state)
{
    (void)state;
    check_connect("tcp://10.0.1.1:5551", "10.0.1.9:8001", "10.0.0.1:7001",
                  "tcp://10.0.1.1:5551");
    check_connect("tcp://0.0.0.0:5551", "10.0.1.1:8001", "10.0.0.1:7001",
                  "tcp://10.0.1.1:5551");
    check_connect("tcp://*:5551", "0.0.0.0:8001", "10.0.0.1:7001",
                  "tcp://10.0.0.1:5551");
    check_connect("ipc:///run/hamd/pub.sock", "", "", "ipc:///run/hamd/pub.sock");
    check_connect("tcp://*:5551", "0.0.0.0:8001", "*:7001", NULL);
    /* Too long for the caller's buffer: refused, not cut. */
    struct hamd_peer p;
    memset(&p, 0, sizeof p);
    snprintf(p.publish, sizeof p.publish, "tcp://10.0.1.1:5551");
    char small[8];
    assert_int_equal(hamd_peer_connect_endpoint(&p, p.publish, small, sizeof small), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)
        T(test_full_file_sets_every_key),
        T(test_defaults),
        T(test_account_defaults),
        T(test_witness_timeout_follows_election),
        T(test_long_lines),
        T(test_missing_file),
        T(test_syntax_error),
        T(test_unknown_section),
        T(test_unknown_key),
        T(test_bad_int),
        T(test_out_of_range),
        T(test_bad_bool),
        T(test_bad_endpoint),
        T(test_bad_raft_address),
        T(test_bad_role),
        T(test_duplicate_key),
        T(test_duplicate_section),
        T(test_node_id_not_in_peers),
        T(test_peer_checks),
        T(test_peer_limits),
        T(test_missing_data_dir),
        T(test_raft_timing),
        T(test_bad_session_window),
        T(test_bad_arbitration),
        T(test_holidays_file),
        T(test_env_arbitration_and_calendar),
        T(test_bad_params_json),
        T(test_bad_subscription_symbol),
        T(test_bad_account),
        T(test_account_type_not_in_gateways),
        T(test_env_overrides_file_value),
        T(test_env_applies_to_absent_global_section),
        T(test_env_account_and_free_keys),
        T(test_env_unrelated_ignored),
        T(test_env_bad_value_names_variable),
        T(test_secret_not_echoed),
        T(test_file_bytes),
        T(test_peer_publish_connect),
#undef T
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
