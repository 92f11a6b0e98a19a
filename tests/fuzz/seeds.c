/* Writes the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/
 * (committed; rerun after a format change):
 *
 *   build/tests/fuzz/fuzz_seeds tests/fuzz/corpus
 *
 * Binary seeds come from the project's own encoders (gateway messages,
 * ticks, Raft commands, a store's snapshot, events), so they are exactly
 * what the hub sends and stores; text seeds (config, JSON bodies, HTTP answers,
 * simulator requests) are written out as an operator or a peer would. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/mpjson.h"
#include "common/recfile_internal.h"
#include "common/relay_proto.h"
#include "common/watermark.h"
#include "fuzz_store.h"
#include "fuzz_vault.h"
#include "gw-sim/badmsg.h"
#include "gw-sim/feed.h"
#include "gw-sim/frontsubs.h"
#include "hamd/gwproto.h"

#define SEED_MAX (1u << 20)         /* bytes of one seed */
#define SEED_WALL_NS 1767225600000000000LL /* 2026-01-01T00:00:00Z */
#define SEED_RATE_MILLI 2000        /* 2 ticks/s */
#define SEED_OVERFULL (HAMD_GW_TICKS_PER_MSG_MAX + 4) /* bodies of a TICK
                                       beyond what one may carry */
#define SEED_PATH_MAX 512           /* bytes of a seed's path */
#define SEED_EVENTS_MAX 8           /* event history of the seed store */

static const char *seed_root; /* the corpus directory */

/* One seed being assembled: parts joined by FUZZ_SEP. */
struct seed {
    uint8_t buf[SEED_MAX]; /* bytes */
    size_t len;            /* used */
    unsigned parts;        /* parts added */
};

static struct seed sd;

static void seed_begin(void)
{
    sd.len = 0;
    sd.parts = 0;
}

/* Appends one part (a separator first unless it is the first). */
static void seed_part(const void *data, size_t len)
{
    if (sd.parts++ > 0) {
        FUZZ_CHECK(sd.len + FUZZ_SEP_LEN <= SEED_MAX);
        memcpy(sd.buf + sd.len, FUZZ_SEP, FUZZ_SEP_LEN);
        sd.len += FUZZ_SEP_LEN;
    }
    FUZZ_CHECK(sd.len + len <= SEED_MAX);
    memcpy(sd.buf + sd.len, data, len);
    sd.len += len;
}

static void seed_text(const char *s)
{
    seed_part(s, strlen(s));
}

static void seed_write_bytes(const char *target, const char *name,
                             const void *data, size_t len)
{
    char path[SEED_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", seed_root, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", seed_root, target, name);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, len, f) == len || len == 0);
    FUZZ_CHECK(fclose(f) == 0);
}

/* Writes the seed assembled since seed_begin. */
static void seed_write(const char *target, const char *name)
{
    seed_write_bytes(target, name, sd.buf, sd.len);
}

/* Writes a seed given as a string literal (it may hold NUL bytes). */
#define SEED_LITERAL(target, name, lit) \
    seed_write_bytes(target, name, lit, sizeof(lit) - 1)

/* Appends a part given as a string literal (it may hold NUL bytes). */
#define SEED_LITERAL_PART(lit) seed_part(lit, sizeof(lit) - 1)

/* Writes one text seed. */
static void seed_write_text(const char *target, const char *name,
                            const char *text)
{
    seed_write_bytes(target, name, text, strlen(text));
}

/* ------------------------------------------------------------------------
 * Ticks and gateway messages
 * ------------------------------------------------------------------------ */

/* Tick n of vt_symbol as the simulator makes it, received now. */
static void seed_tick(const char *vt_symbol, int64_t n, struct hamd_tick *t)
{
    struct simfeed_symbol feed;
    FUZZ_CHECK(simfeed_symbol_init(&feed, 42, vt_symbol, SEED_RATE_MILLI,
                                   "sim_a") == 0);
    simfeed_tick(&feed, n, t);
    t->localtime_ns = SEED_WALL_NS;
}

/* Appends tick n of vt_symbol, encoded with or without hub fields. */
static void seed_tick_part(const char *vt_symbol, int64_t n, bool hub)
{
    struct hamd_tick t;
    uint8_t wire[HAMD_TICK_WIRE_MAX];
    seed_tick(vt_symbol, n, &t);
    if (hub) {
        t.term = 3;
        t.seq = (uint64_t)n + 1;
        t.node = 1;
        t.hub_ns = SEED_WALL_NS;
    }
    size_t len = hamd_tick_encode(&t, hub, wire, sizeof wire);
    FUZZ_CHECK(len > 0);
    seed_part(wire, len);
}

/* Appends the body of a malformed message of the sim's garbage / wrong
 * faults. */
static void seed_bad_part(enum gwsim_bad kind)
{
    struct hamd_tick t;
    uint8_t wire[HAMD_TICK_WIRE_MAX];
    seed_tick("rb2601.SHFE", 7, &t);
    size_t len = gwsim_bad_encode(kind, &t, 7, wire, sizeof wire);
    seed_part(wire, len);
}

static void seeds_tick(void)
{
    static const char *const syms[] = {"rb2601.SHFE", "i2601.DCE",
                                       "IF2512.CFFEX"};
    char name[32];
    for (unsigned i = 0; i < 3; i++) {
        seed_begin();
        seed_tick_part(syms[i], 10 + i, i == 1);
        snprintf(name, sizeof name, "tick_%u", i);
        seed_write("tick", name);
        seed_write("follow_scan", name);
        seed_write("mpjson", name);
    }
    for (int k = GWSIM_BAD_NAN; k < GWSIM_BAD_COUNT; k++) {
        if (k == GWSIM_BAD_SINGLE_FRAME)
            continue;
        seed_begin();
        seed_bad_part((enum gwsim_bad)k);
        snprintf(name, sizeof name, "bad_%d", k);
        seed_write("tick", name);
    }
    /* vnpy leaves some fields None; unknown keys are skipped. */
    seed_write_text("tick", "nil_fields",
                    "\x85\xa6symbol\xa6rb2601\xa8""exchange\xa4SHFE"
                    "\xa8""datetime\xcf\x18\x88\x00\x00\x00\x00\x00\x00"
                    "\xa9localtime\xc0\xa7unknown\x92\x01\xc0");
    seed_begin();
    uint8_t hb[64];
    size_t len = hamd_gw_hb_encode(SEED_WALL_NS, hb, sizeof hb);
    seed_part(hb, len);
    seed_write("follow_scan", "hb");
}

/* The launch token and connection the gateway target believes. */
#define SEED_TOKEN "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define SEED_CONN "gw-1"

/* Starts a gateway message [identity][type] on connection conn. */
static void seed_msg_on(const char *conn, const char *identity,
                        const char *type)
{
    seed_begin();
    seed_text(conn);
    seed_text(identity);
    seed_text(type);
}

/* Starts a gateway message on the believed connection. */
static void seed_msg(const char *identity, const char *type)
{
    seed_msg_on(SEED_CONN, identity, type);
}

static void seeds_gateway_control(void)
{
    uint8_t body[512];
    struct hamd_gw_hello hello = {.pid = 1234, .proto = HAMD_GW_PROTO_VERSION};
    strcpy(hello.account, "sim_a");
    strcpy(hello.gateway_type, "sim");
    strcpy(hello.token, SEED_TOKEN);
    size_t len = hamd_gw_hello_encode(&hello, body, sizeof body);
    seed_msg("sim_a", "HELLO");
    seed_part(body, len);
    seed_write("gateway", "hello");
    seed_part(body, len);
    seed_write("gateway", "hello_two_bodies");
    seed_msg_on("gw-3", "sim_a", "HELLO"); /* a relaunch proving itself */
    seed_part(body, len);
    seed_write("gateway", "hello_new_connection");
    strcpy(hello.token, "not-the-token");
    len = hamd_gw_hello_encode(&hello, body, sizeof body);
    seed_msg_on("gw-2", "sim_a", "HELLO");
    seed_part(body, len);
    seed_write("gateway", "hello_wrong_token");

    struct hamd_gw_status st = {.state = HAMD_GW_LOGGED_IN};
    strcpy(st.detail, "front 1 logged in");
    len = hamd_gw_status_encode(&st, body, sizeof body);
    seed_msg("sim_b", "STATUS");
    seed_part(body, len);
    seed_write("gateway", "status");

    len = hamd_gw_hb_encode(SEED_WALL_NS, body, sizeof body);
    seed_msg("sim_a", "HB");
    seed_part(body, len);
    seed_write("gateway", "hb");

    static const char *const syms[] = {"rb2601.SHFE", "i2601.DCE"};
    len = hamd_gw_symbols_encode(syms, 2, body, sizeof body);
    seed_msg("sim_a", "SUBSCRIBE");
    seed_part(body, len);
    seed_write("gateway", "subscribe");
    seed_msg("sim_a", "UNSUBSCRIBE");
    seed_part(body, len);
    seed_write("gateway", "unsubscribe");

    len = hamd_gw_stop_encode(body, sizeof body);
    seed_msg("sim_a", "STOP");
    seed_part(body, len);
    seed_write("gateway", "stop");
}

static void seeds_gateway_ticks(void)
{
    seed_msg("sim_a", "TICK");
    seed_tick_part("rb2601.SHFE", 1, false);
    seed_write("gateway", "tick");

    /* Several contracts, one not subscribed, one tick older than the
     * one before it. */
    seed_msg("sim_a", "TICK");
    seed_tick_part("rb2601.SHFE", 5, false);
    seed_tick_part("i2601.DCE", 5, false);
    seed_tick_part("ag2606.SHFE", 5, false);
    seed_tick_part("rb2601.SHFE", 4, false);
    seed_tick_part("cu2601.SHFE", 6, false);
    seed_write("gateway", "tick_batch");

    seed_msg("sim_b", "TICK");
    seed_tick_part("rb2601.SHFE", 2, false);
    seed_tick_part("rb2601.SHFE", 3, false);
    seed_write("gateway", "tick_backup_source");

    seed_msg("sim_a", "TICK");
    seed_tick_part("rb2601.SHFE", 8, false);
    for (int k = GWSIM_BAD_NAN; k < GWSIM_BAD_COUNT; k++)
        if (k != GWSIM_BAD_SINGLE_FRAME)
            seed_bad_part((enum gwsim_bad)k);
    seed_part("\xc1", 1);
    seed_write("gateway", "tick_bad_bodies");

    seed_msg("sim_a", "TICK");
    for (unsigned i = 0; i < SEED_OVERFULL; i++)
        seed_part("\x80", 1); /* {}: no symbol */
    seed_write("gateway", "tick_overfull");

    seed_msg("nobody", "TICK");
    seed_tick_part("rb2601.SHFE", 1, false);
    seed_write("gateway", "unknown_identity");

    seed_msg_on("gw-2", "sim_a", "TICK");
    seed_tick_part("rb2601.SHFE", 1, false);
    seed_write("gateway", "intruder_connection");

    seed_msg("sim_a", GWSIM_BAD_TYPE_FRAME);
    seed_part("\x80", 1);
    seed_write("gateway", "unknown_type");

    seed_msg("sim_a", "TICK");
    seed_write("gateway", "type_only");
}

/* ------------------------------------------------------------------------
 * Raft commands, store snapshots
 * ------------------------------------------------------------------------ */

static void seed_account(struct hamd_account *a, const char *id, int prio)
{
    memset(a, 0, sizeof *a);
    snprintf(a->id, sizeof a->id, "%s", id);
    snprintf(a->name, sizeof a->name, "Simulated %s", id);
    strcpy(a->gateway_type, "sim");
    a->priority = prio;
    a->enabled = true;
    a->n_exchanges = 2;
    strcpy(a->exchanges[0], "SHFE");
    strcpy(a->exchanges[1], "DCE");
    strcpy(a->canary, "rb2601.SHFE");
    strcpy(a->params, "{\"seed\":42,\"password\":\"demo\"}");
}

/* Every command type, in an order that applies cleanly. */
static unsigned seed_cmds(struct hamd_cmd *cmds)
{
    struct hamd_account a;
    unsigned n = 0;
    struct hamd_cmd *c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_SEED);
    seed_account(&a, "sim_a", 1);
    hamd_cmd_add_account(c, &a);
    hamd_cmd_add_symbol(c, "rb2601.SHFE");
    hamd_cmd_add_symbol(c, "i2601.DCE");
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_ACCOUNT_PUT);
    seed_account(&a, "sim_b", 2);
    hamd_cmd_add_account(c, &a);
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_SUBS_ADD);
    hamd_cmd_add_symbol(c, "cu2601.SHFE");
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_ASSIGN);
    hamd_cmd_add_assign(c, "rb2601.SHFE", "sim_a");
    hamd_cmd_add_assign(c, "cu2601.SHFE", "sim_b");
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_PIN);
    c->flag = true;
    hamd_cmd_add_symbol(c, "cu2601.SHFE");
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_QUARANTINE);
    strcpy(c->account_id, "sim_b");
    c->until_ms = 1767225600000LL;
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_ACCOUNT_RUN);
    strcpy(c->account_id, "sim_a");
    c->flag = false;
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_PAUSE);
    c->flag = true;
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_FAILOVER_COUNT);
    c->day = 20260101;
    c->count = 3;
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_EVENT);
    hamd_cmd_set_event(c, "{\"type\":\"failover\",\"vt_symbol\":\"rb2601.SHFE\"}");
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_SUBS_DEL);
    hamd_cmd_add_symbol(c, "i2601.DCE");
    c = &cmds[n++];
    hamd_cmd_init(c, HAMD_CMD_ACCOUNT_DEL);
    strcpy(c->account_id, "sim_b");
    return n;
}

#define SEED_CMDS_MAX 16 /* commands of seed_cmds */

static void seeds_raft(void)
{
    struct hamd_cmd cmds[SEED_CMDS_MAX];
    unsigned n = seed_cmds(cmds);
    struct raft_buffer bufs[SEED_CMDS_MAX];
    seed_begin();
    for (unsigned i = 0; i < n; i++) {
        FUZZ_CHECK(hamd_cmd_encode(&cmds[i], &bufs[i]) == 0);
        char name[32];
        snprintf(name, sizeof name, "%s", hamd_cmd_type_name(cmds[i].type));
        seed_write_bytes("raft_cmd", name, bufs[i].base, bufs[i].len);
        seed_part(bufs[i].base, bufs[i].len);
    }
    seed_write("fsm_apply", "every_type");

    /* The same entries into a store, whose snapshots seed the restore. */
    struct hamd_store *s;
    struct hamd_fsm *fsm;
    fuzz_store_open(SEED_EVENTS_MAX, &s, &fsm);
    void *snap;
    size_t len;
    FUZZ_CHECK(hamd_store_snapshot(s, &snap, &len) == 0);
    seed_write_bytes("snapshot", "empty", snap, len);
    free(snap);
    for (unsigned i = 0; i < n; i++) {
        const struct hamd_apply_result *r =
            hamd_fsm_apply_entry(fsm, bufs[i].base, bufs[i].len);
        FUZZ_CHECK(r->status == HAMD_APPLY_OK);
        if (i == 4) {
            FUZZ_CHECK(hamd_store_snapshot(s, &snap, &len) == 0);
            seed_write_bytes("snapshot", "seeded", snap, len);
            free(snap);
        }
    }
    FUZZ_CHECK(hamd_store_snapshot(s, &snap, &len) == 0);
    seed_write_bytes("snapshot", "every_type", snap, len);
    free(snap);
    hamd_fsm_destroy(&fsm);
    hamd_store_destroy(&s);

    /* Entries that are refused: unknown account, not subscribed, again. */
    seed_begin();
    seed_part(bufs[3].base, bufs[3].len);
    seed_part(bufs[0].base, bufs[0].len);
    seed_part(bufs[0].base, bufs[0].len);
    seed_part(bufs[11].base, bufs[11].len);
    seed_part("\x93\x01\x63\xc0", 4);
    seed_write("fsm_apply", "refused");
    for (unsigned i = 0; i < n; i++) {
        raft_free(bufs[i].base);
        hamd_cmd_free(&cmds[i]);
    }
}

/* ------------------------------------------------------------------------
 * Text seeds
 * ------------------------------------------------------------------------ */

static void seeds_admin_json(void)
{
    seed_write_text("admin_json", "account_create",
        "{\"id\": \"ctp_main\", \"name\": \"CTP main\", \"gateway_type\": "
        "\"ctp\", \"priority\": 1, \"enabled\": true, \"exchanges\": "
        "[\"SHFE\", \"DCE\"], \"canary\": \"rb2601.SHFE\", \"params\": "
        "{\"front\": \"tcp://180.168.146.187:10131\", \"password\": \"x\"}}");
    seed_write_text("admin_json", "account_update_masked",
        "{\"priority\": 3, \"params\": {\"password\": \"***\", \"front\": "
        "{\"auth_code\": \"***\", \"port\": 2}, \"new_key\": [1, 2.5, null]}}");
    seed_write_text("admin_json", "account_update_id",
        "{\"id\": \"ctp_main\", \"enabled\": false, \"canary\": \"\"}");
    seed_write_text("admin_json", "subscriptions",
        "{\"symbols\": [\"rb2601.SHFE\", \"i2601.DCE\", \"rb2601.SHFE\"]}");
    seed_write_text("admin_json", "failover",
        "{\"prefixes\": [\"rb\", \"i2601.DCE\"], \"to\": \"sim_b\", "
        "\"force\": true, \"dry_run\": false, \"all\": false}");
    seed_write_text("admin_json", "members", "{\"id\": 2}");
    seed_write_text("admin_json", "transfer", "{\"node\": 3}");
    seed_write_text("admin_json", "unicode",
        "{\"name\": \"\\u00e9t\\u00e9\", \"id\": \"a\\u0000b\"}");
}

/* Request bodies as docs/api.md and the integration tests send them; the
 * target also reads each as a query string and a path id, so a few of
 * those too. */
static void seeds_admin_validate(void)
{
    static const char *const seeds[][2] = {
        {"failover", "{\"to\": \"sim_b\", \"prefixes\": [\"rb\", "
                     "\"i2601.DCE\"], \"force\": false, \"dry_run\": true}"},
        {"failover_all", "{\"to\": \"sim_b\", \"all\": true}"},
        {"failback", "{\"prefixes\": [\"rb2601.SHFE\"], \"dry_run\": false}"},
        {"empty", "{}"},
        {"subscriptions", "{\"symbols\": [\"rb2601.SHFE\", \"cu2601.SHFE\", "
                          "\"rb2601.SHFE\"]}"},
        {"members", "{\"id\": 3}"},
        {"transfer", "{\"node\": 2}"},
        {"account_create",
         "{\"id\": \"ctp_backup2\", \"gateway_type\": \"ctp\", "
         "\"priority\": 3, \"exchanges\": [\"SHFE\"], \"params\": "
         "{\"password\": \"...\"}}"},
        {"account_update",
         "{\"name\": \"CTP main\", \"enabled\": true, \"exchanges\": "
         "[\"SHFE\", \"DCE\"], \"canary\": \"rb2601.SHFE\", \"params\": "
         "{\"broker\": \"9999\", \"password\": \"***\"}}"},
        {"account_sealed", "{\"params\": {\"password\": \"enc:v1:00\"}}"},
        {"subs_query", "symbol=rb2601.SHFE&symbol=i2601.DCE"},
        {"events_query", "limit=50&since=1234"},
        {"logs_query", "level=warn&since=17&limit=100&node=2"},
        {"restart_query", "node=2"},
        {"path_id", "3"},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        seed_write_text("admin_validate", seeds[i][0], seeds[i][1]);
}

/* "METHOD PATH?QUERY", the Authorization value, a host:port. */
static void seeds_admin_request(void)
{
    seed_write_text("admin_request", "account_put",
        "PUT /api/accounts/ctp_main\nBearer s3cret-token\n127.0.0.1:8001");
    seed_write_text("admin_request", "events_query",
        "GET /api/events?limit=50&since=1234&x=a%2Fb+c\n\n[::1]:8002");
    seed_write_text("admin_request", "subs_delete",
        "DELETE /api/subscriptions?symbol=rb2601.SHFE&symbol=i2601.DCE\n"
        "bearer \t tok \nlocalhost:65535");
    seed_write_text("admin_request", "wrong_method",
        "PATCH /api/accounts/\nBasic dXNlcjpwYXNz\nhost:0");
    seed_write_text("admin_request", "start",
        "POST /api/accounts/sim_a/start/\nBearer x\n10.0.0.1:80");
}

static void seeds_admin_head(void)
{
    /* byte 0: read size (0 = one read), byte 1: body limit / 1024 */
    SEED_LITERAL("admin_head", "post_json",
        "\x00\x40POST /api/accounts HTTP/1.1\r\nHost: 127.0.0.1:8001\r\n"
        "Authorization: Bearer s3cret-token\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    SEED_LITERAL("admin_head", "browser_get",
        "\x05\x40\r\nGET /console/ HTTP/1.1\r\nHost: [::1]:8001\r\n"
        "Accept: text/html\r\nUser-Agent: Mozilla/5.0 \xe6\x96\x87\r\n"
        "Cookie: a=b\r\n\r\n");
    SEED_LITERAL("admin_head", "bare_lf",
        "\x01\x01PUT /api/accounts/a?x=%2F HTTP/1.0\nX-Empty:\n\n");
    SEED_LITERAL("admin_head", "chunked",
        "\x03\x40POST /api/subscriptions HTTP/1.1\r\n"
        "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    SEED_LITERAL("admin_head", "smuggle",
        "\x00\x40POST / HTTP/1.1\r\nContent-Length: 5\r\n"
        "Content-Length: 6\r\nExpect: 100-continue\r\n\r\n");
    SEED_LITERAL("admin_head", "too_large_body",
        "\x07\x01POST /api/accounts HTTP/1.1\r\n"
        "Content-Length: 99999999999999999999\r\nExpect: bogus\r\n\r\n");
    SEED_LITERAL("admin_head", "tls_hello",
        "\x00\x40\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
}

static void seeds_http(void)
{
    /* byte 0: read size (0 = one read), byte 1: body limit / 64 */
    SEED_LITERAL("http_answer", "json_200",
        "\x00\x10HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: 11\r\n\r\n{\"ok\":true}");
    SEED_LITERAL("http_answer", "chunked",
        "\x07\x10HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\nX-Trailer: y\r\n\r\n");
    SEED_LITERAL("http_answer", "no_content",
        "\x01\x01HTTP/1.1 204 No Content\r\nServer: h2o\r\n\r\n");
    SEED_LITERAL("http_answer", "error_close",
        "\x03\x02HTTP/1.0 503 Service Unavailable\r\n\r\n"
        "{\"error\":\"not the leader\"}");
    SEED_LITERAL("http_answer", "too_large",
        "\x00\x00HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{}");
}

static void seeds_config(void)
{
    static const char node[] =
        "; node 1 of 3\n"
        "[node]\nid = 1\ndata_dir = run/node1\nlog_level = info\n\n"
        "[peer.1]\nraft = 127.0.0.1:7001\nadmin = 127.0.0.1:8001\n"
        "publish = tcp://127.0.0.1:5551\nsnapshot = tcp://127.0.0.1:5561\n"
        "role = voter\n\n"
        "[peer.2]\nraft = 127.0.0.1:7002\nadmin = [::1]:8002\n"
        "publish = tcp://*:5552\nsnapshot = tcp://127.0.0.1:5562\n\n"
        "[peer.3]\nraft = 127.0.0.1:7003\nadmin = localhost:8003\n"
        "publish = tcp://127.0.0.1:5553\nsnapshot = tcp://127.0.0.1:5563\n"
        "role = witness\njoin = yes\n\n"
        "[raft]\nelection_timeout_ms = 300\nheartbeat_ms = 50\n\n"
        "[gateways]\nsim = build/src/hamd-gw-sim\n\n"
        "[failover]\nrevert_after_s = 30 ; fail back after 30 s\n\n"
        "[sessions]\nSHFE = 09:00-10:15, 21:00-02:30\n\n"
        "[account.sim_a]\nname = Simulated front A\ngateway_type = sim\n"
        "priority = 1\nexchanges = SHFE, DCE\ncanary = rb2601.SHFE\n"
        "params = {\"seed\": 42, \"rate\": 4, \"password\": \"demo\"}\n\n"
        "[subscriptions]\nsymbols = rb2601.SHFE, i2601.DCE\n"
        "symbols = cu2601.SHFE\n";
    seed_write_text("config", "cluster", node);
    char with_env[sizeof node + 256];
    snprintf(with_env, sizeof with_env,
             "%s\n[[env]]\nNODE_DATA_DIR=/var/lib/hamd\nGATEWAYS_SIM=/bin/true\n"
             "PEER_2_ADMIN=127.0.0.1:9002\nSUBSCRIPTIONS_SYMBOLS=au2602.SHFE\n"
             "ACCOUNT_SIM_A_PRIORITY=7\nSESSIONS_SHFE=09:00-15:00\n", node);
    seed_write_text("config", "cluster_env", with_env);
    seed_write_text("config", "standalone",
        "\xef\xbb\xbf[node]\r\ndata_dir = /tmp/hamd\r\n"
        "admin = 127.0.0.1:8001\r\n[publish]\r\n");
}

/* `_event` bodies as the hub packs them (events.c). */
static void seeds_mpjson(void)
{
    static const char *const events[] = {
        "{\"type\":\"failover\",\"ts\":\"2026-01-01T00:00:00.123Z\","
        "\"vt_symbol\":\"rb2601.SHFE\",\"from\":\"sim_a\",\"to\":\"sim_b\","
        "\"reason\":\"stale\",\"replayed\":3,\"seq\":18446744073709551}",
        "{\"type\":\"gateway_restarted\",\"gateway_id\":\"sim_a\",\"node\":2,"
        "\"reason\":\"exited with status 3\",\"lag\":-1.5,\"pinned\":true,"
        "\"nested\":{\"list\":[1,[2,[3,null]],{\"\\u00e9\":false}]}}",
    };
    char name[32];
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        json_t *ev = json_loads(events[i], 0, NULL);
        FUZZ_CHECK(ev != NULL);
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        hamd_mpjson_encode(&pk, ev);
        snprintf(name, sizeof name, "event_%zu", i);
        seed_write_bytes("mpjson", name, sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
        json_decref(ev);
    }
}

/* The relay channel: a follower's COVER, the publisher's RELAY. */
static void seeds_relay(void)
{
    static struct hamd_relay_cover c = {
        .node = 2, .n_accounts = 2,
        .accounts = {{"sim_a", 1, 61000}, {"sim_b", 3, 0}}};
    uint8_t body[HAMD_RELAY_COVER_BODY_MAX];
    size_t len = hamd_relay_cover_encode(&c, body, sizeof body);
    FUZZ_CHECK(len > 0);
    seed_begin();
    seed_text("node-2");
    seed_text(HAMD_RELAY_COVER);
    seed_part(body, len);
    seed_write("relay", "cover");

    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    FUZZ_CHECK(hamd_relay_set_pack_begin(&pk, 2) == 0 &&
               hamd_relay_set_pack_pair(&pk, "rb2601.SHFE", "sim_a") == 0 &&
               hamd_relay_set_pack_pair(&pk, "i2601.DCE", "sim_b") == 0);
    seed_begin();
    seed_text("node-1");
    seed_text(HAMD_RELAY_SET);
    seed_part(sb.data, sb.size);
    seed_write("relay", "relay_set");
    msgpack_sbuffer_destroy(&sb);
}

/* ------------------------------------------------------------------------
 * What a client reads: the publisher's stream, a snapshot answer
 * ------------------------------------------------------------------------ */

#define SEED_CTL_DEALER 0x80 /* fuzz_client.c's ctl bits */
#define SEED_CTL_STEP_HB 0x30  /* clock +100 ms */
#define SEED_CTL_STEP_SILENT 0x50 /* clock +1600 ms: a silence */
#define SEED_CTL_STEP_SETTLE 0x70 /* clock +3100 ms: past the settle */

/* Appends {k1: v1, k2: v2, ...} of n unsigned pairs as one part. */
static void seed_uint_map_part(const char *const *keys, const uint64_t *vals,
                               unsigned n)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, n);
    for (unsigned i = 0; i < n; i++) {
        msgpack_pack_str_with_body(&pk, keys[i], strlen(keys[i]));
        msgpack_pack_uint64(&pk, vals[i]);
    }
    seed_part(sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* Appends the topic part of a client message: ctl, then the topic. */
static void seed_client_topic(uint8_t ctl, const char *topic)
{
    uint8_t buf[HAMD_VT_SYMBOL_MAX + 1];
    size_t n = strlen(topic);
    FUZZ_CHECK(n < sizeof buf);
    buf[0] = ctl;
    memcpy(buf + 1, topic, n);
    seed_part(buf, n + 1);
}

/* Appends an `_hb` of term from node, as the publisher sends it. */
static void seed_client_hb(uint8_t ctl, uint64_t term, uint64_t node)
{
    static const char *const keys[] = {"term", "node", "ts_ns", "published",
                                       "clients"};
    const uint64_t vals[] = {term, node, (uint64_t)SEED_WALL_NS, 100, 2};
    seed_client_topic(ctl, "_hb");
    seed_uint_map_part(keys, vals, 5);
}

/* Appends tick n of vt_symbol numbered (term, seq), as published. */
static void seed_client_tick(uint8_t ctl, const char *vt_symbol, int64_t n,
                             uint64_t term, uint64_t seq)
{
    struct hamd_tick t;
    uint8_t wire[HAMD_TICK_WIRE_MAX];
    seed_tick(vt_symbol, n, &t);
    t.term = term;
    t.seq = seq;
    t.node = 1;
    t.hub_ns = SEED_WALL_NS;
    size_t len = hamd_tick_encode(&t, true, wire, sizeof wire);
    FUZZ_CHECK(len > 0);
    seed_client_topic(ctl, vt_symbol);
    seed_part(wire, len);
}

/* Appends a snapshot END of term with count ticks. */
static void seed_client_end(uint64_t term, uint64_t count)
{
    static const char *const keys[] = {"term", "count"};
    const uint64_t vals[] = {term, count};
    seed_client_topic(SEED_CTL_DEALER, "END");
    seed_uint_map_part(keys, vals, 2);
}

/* A late joiner: its snapshot answer, then the live stream with a gap, a
 * new leader re-sending, a silence and heartbeats back. */
static void seeds_client_join(void)
{
    static const uint8_t setup[] = {0, 0, 1}; /* 1 endpoint, 1 prefix */
    seed_begin();
    seed_part(setup, sizeof setup);
    seed_client_hb(0, 3, 1);
    seed_client_tick(0, "rb2601.SHFE", 5, 3, 5);      /* held: joining */
    seed_client_tick(SEED_CTL_DEALER, "rb2601.SHFE", 4, 3, 4);
    seed_client_tick(SEED_CTL_DEALER, "i2601.DCE", 9, 3, 9);
    seed_client_end(3, 2);
    seed_client_tick(0, "rb2601.SHFE", 6, 3, 6);
    seed_client_tick(0, "rb2601.SHFE", 9, 3, 9);      /* a gap */
    seed_client_tick(0, "i2601.DCE", 8, 2, 8);        /* fenced */
    seed_client_hb(SEED_CTL_STEP_HB, 4, 2);           /* a new leader */
    seed_client_tick(0, "rb2601.SHFE", 9, 4, 1);      /* re-sent */
    seed_client_tick(0, "rb2601.SHFE", 10, 4, 2);
    seed_client_tick(SEED_CTL_DEALER, "rb2601.SHFE", 11, 4, 3);
    seed_client_end(4, 1);
    seed_client_tick(SEED_CTL_STEP_SETTLE, "i2601.DCE", 10, 4, 3);
    seed_client_hb(SEED_CTL_STEP_SILENT, 4, 2);       /* after a silence */
    seed_write("client", "join");
}

/* Events, reserved topics, bad bodies, snapshot answers that fail. */
static void seeds_client_other(void)
{
    static const uint8_t setup[] = {1, 1, 1}; /* 2 endpoints, 2 prefixes */
    seed_begin();
    seed_part(setup, sizeof setup);
    seed_client_hb(1, 7, 3);                          /* a probe's slot */
    seed_client_topic(0, "_event");
    json_t *ev = json_pack("{s:s,s:s}", "event_type", "failover", "vt_symbol",
                           "rb2601.SHFE");
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    hamd_mpjson_encode(&pk, ev);
    seed_part(sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    json_decref(ev);
    seed_client_topic(0, "_wm");
    seed_part("\x80", 1);
    seed_client_topic(0, "_hb");
    seed_part("\x81\xa4term\x00", 7);                 /* term 0 */
    seed_client_tick(SEED_CTL_DEALER | 1, "rb2601.SHFE", 1, 7, 1);
    seed_client_tick(SEED_CTL_DEALER, "rb2601.SHFE", 2, 9, 1); /* above END */
    seed_client_end(7, 5);                            /* count short */
    seed_client_tick(SEED_CTL_DEALER | 2, "cu2601.SHFE", 3, 7, 0);
    seed_client_end(6, 1);                            /* deposed */
    seed_client_tick(0x03, "rb2601.DCE", 4, 7, 1);    /* not the topic */
    seed_client_topic(0, "rb2601.SHFE");
    seed_part("\xc1", 1);
    seed_write("client", "other");
}

/* ------------------------------------------------------------------------
 * Recording files (fuzz_recfile.c: pieces led by a mode byte)
 * ------------------------------------------------------------------------ */

#define SEED_REC_FRAME 0   /* fuzz_recfile.c's modes */
#define SEED_REC_RAW 1
#define SEED_REC_BAD_CRC 2
#define SEED_REC_TORN 3
#define SEED_REC_ZEROS 64  /* bytes a power loss left after the last */

/* Appends a piece: mode, then len bytes of p. */
static void seed_rec_piece(uint8_t mode, const void *p, size_t len)
{
    static uint8_t buf[HAMD_RECFILE_PAYLOAD_MAX + 1];
    FUZZ_CHECK(len < sizeof buf);
    buf[0] = mode;
    memcpy(buf + 1, p, len);
    seed_part(buf, len + 1);
}

/* Appends the header record as hactl record writes it. */
static void seed_rec_header(void)
{
    static struct hamd_recfile_header h = {
        .start_ns = SEED_WALL_NS, .producer = "hactl record 0.1.0",
        .host = "node1", .pid = 4242, .info_len = 1, .info = {0x80}};
    uint8_t buf[HAMD_RECFILE_INFO_MAX + 256];
    size_t len = recfile_header_encode(&h, buf, sizeof buf);
    FUZZ_CHECK(len > 0);
    seed_rec_piece(SEED_REC_FRAME, buf, len);
}

/* Appends a tick record of tick n of vt_symbol (mode: how it is framed). */
static void seed_rec_tick(uint8_t mode, const char *vt_symbol, int64_t n)
{
    struct hamd_tick t;
    uint8_t wire[HAMD_TICK_WIRE_MAX];
    seed_tick(vt_symbol, n, &t);
    t.term = 2;
    t.seq = (uint64_t)n;
    t.node = 1;
    t.hub_ns = SEED_WALL_NS;
    size_t len = hamd_tick_encode(&t, true, wire, sizeof wire);
    FUZZ_CHECK(len > 0);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_str_with_body(&pk, HAMD_RECFILE_KIND_TICK,
                               strlen(HAMD_RECFILE_KIND_TICK));
    msgpack_pack_int64(&pk, SEED_WALL_NS + n);
    msgpack_pack_str_with_body(&pk, vt_symbol, strlen(vt_symbol));
    msgpack_sbuffer_write(&sb, (const char *)wire, len);
    seed_rec_piece(mode, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* A recording: header, ticks, a recorder's gap record. */
static void seed_rec_recording(void)
{
    seed_begin();
    seed_rec_header();
    seed_rec_tick(SEED_REC_FRAME, "rb2601.SHFE", 1);
    seed_rec_tick(SEED_REC_FRAME, "i2601.DCE", 2);
    SEED_LITERAL_PART("\x00\x93\xa3gap\xd3\x18\x88\x00\x00\x00\x00\x00\x00"
                      "\x81\xa7missing\x03");
    seed_rec_tick(SEED_REC_FRAME, "rb2601.SHFE", 3);
}

static void seeds_recfile(void)
{
    static const uint8_t zeros[SEED_REC_ZEROS];
    seed_rec_recording();
    seed_write("recfile", "recording");
    seed_rec_recording();
    seed_rec_tick(SEED_REC_TORN, "rb2601.SHFE", 4);
    seed_write("recfile", "torn_end");
    seed_rec_recording();
    seed_rec_piece(SEED_REC_RAW, zeros, sizeof zeros);
    seed_write("recfile", "zeros_end");
    seed_rec_recording();
    seed_rec_tick(SEED_REC_BAD_CRC, "rb2601.SHFE", 4);
    seed_rec_tick(SEED_REC_FRAME, "rb2601.SHFE", 5);
    seed_write("recfile", "corrupt_middle");
    seed_begin();
    SEED_LITERAL_PART("\x01HAMDREC\x00\x00\x00\x00\x02\x00\x00\x00\x00");
    seed_rec_header();
    seed_write("recfile", "version_2");
    seed_begin();
    seed_rec_tick(SEED_REC_FRAME, "rb2601.SHFE", 1);
    seed_write("recfile", "no_header");
}

/* ------------------------------------------------------------------------
 * Sealed secrets, CURVE key files
 * ------------------------------------------------------------------------ */

#define SEED_PARAMS_MAX 8192 /* bytes of sealed params text */

/* Params with their secrets sealed by v. */
static void seed_sealed_params(struct hamd_vault *v, const char *params,
                               char *out)
{
    char err[HAMD_VAULT_ERR_MAX];
    FUZZ_CHECK(hamd_vault_seal_params(v, params, out, SEED_PARAMS_MAX, err,
                                      sizeof err) == 0);
}

/* Sealing draws a random nonce: these seeds differ at every run of this
 * program (git shows them changed); they open all the same. */
static void seeds_vault(void)
{
    static const char params[] =
        "{\"front\":\"tcp://180.168.146.187:10131\",\"password\":\"demo\","
        "\"md\":{\"auth_code\":{\"code\":7,\"app\":[\"a\",null]},\"port\":2},"
        "\"list\":[{\"password\":1.5}]}";
    static char text[SEED_PARAMS_MAX], sealed[SEED_PARAMS_MAX];
    struct hamd_vault *old = fuzz_vault_with(FUZZ_VAULT_OLD_KEY);
    seed_sealed_params(old, params, text);
    seed_write_text("vault", "params_old_key", text);
    hamd_vault_destroy(&old);
    struct hamd_vault *v = fuzz_vault_with(FUZZ_VAULT_KEYS);
    seed_sealed_params(v, params, text);
    seed_write_text("vault", "params_current_key", text);
    seed_write_text("vault", "params_plain", params);
    FUZZ_CHECK(hamd_vault_seal(v, "\"demo\"", 6, sealed, sizeof sealed) > 0);
    seed_write_text("vault", "value", sealed);
    sealed[strlen(sealed) - 3] ^= 1; /* damaged: does not authenticate */
    seed_write_text("vault", "value_damaged", sealed);
    memcpy(sealed + strlen(HAMD_VAULT_PREFIX), "00000000", 8);
    seed_write_text("vault", "value_unknown_key", sealed);
    hamd_vault_destroy(&v);
    seed_begin();
    seed_text("{\"password\":\"x\"}");
    seed_text(FUZZ_VAULT_KEYS);
    seed_text("Password , token,auth_code");
    seed_write("vault", "key_file");
    seed_begin();
    seed_text("enc:v1:");
    seed_text("# short\r\nAQIDBA==\r\n");
    seed_write("vault", "key_file_bad");
}

/* ZeroMQ's certificate files and hactl keys gen's (the keys are RFC 32's
 * examples). */
static void seeds_curvekey(void)
{
    seed_write_text("curvekey", "zmq_certificate",
        "#   ****  Generated by CZMQ  ****\n"
        "#   ZeroMQ CURVE **Secret** Certificate\n"
        "metadata\ncurve\n"
        "    public-key = \"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID\"\n"
        "    secret-key = \"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\"\n");
    seed_write_text("curvekey", "hactl_keys_gen",
        "# hamd CURVE secret key (keep it private)\n"
        "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs\n");
    seed_begin();
    seed_text("public-key");
    seed_text("# two keys, CRLF\r\n  rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 \r\n"
              "public-key = \"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID\"\r\n");
    seed_write("curvekey", "labelled");
    seed_write_text("curvekey", "no_key",
                    "secret-key = \"too short\"\n\"unterminated\n");
}

/* ------------------------------------------------------------------------
 * What a C gateway reads from the hub (fuzz_gwin.c: frames led by a byte,
 * bit 0 set when another frame of the message follows)
 * ------------------------------------------------------------------------ */

#define SEED_GWIN_MORE 1 /* fuzz_gwin.c's GWIN_MORE */

/* Appends one frame. */
static void seed_gwin_frame(bool more, const void *p, size_t len)
{
    uint8_t buf[512];
    FUZZ_CHECK(len < sizeof buf);
    buf[0] = more ? SEED_GWIN_MORE : 0;
    memcpy(buf + 1, p, len);
    seed_part(buf, len + 1);
}

/* Appends [type][body] as the hub sends it. */
static void seed_gwin_msg(const char *type, const void *body, size_t len)
{
    seed_gwin_frame(true, type, strlen(type));
    seed_gwin_frame(false, body, len);
}

static void seeds_gwin(void)
{
    static const char *const syms[] = {"rb2601.SHFE", "i2601.DCE"};
    uint8_t body[256];
    size_t len = hamd_gw_symbols_encode(syms, 2, body, sizeof body);
    FUZZ_CHECK(len > 0);
    seed_begin();
    seed_gwin_msg("SUBSCRIBE", body, len);
    seed_gwin_msg("UNSUBSCRIBE", body, len);
    len = hamd_gw_stop_encode(body, sizeof body);
    seed_gwin_msg("STOP", body, len);
    seed_write("gwin", "hub");
    seed_begin();
    seed_gwin_frame(false, "STOP", 4);                 /* type only */
    seed_gwin_frame(true, "SUBSCRIBE", 9);             /* three frames */
    seed_gwin_frame(true, "\x91\xabrb2601.SHFE", 13);
    seed_gwin_frame(false, "extra", 5);
    seed_gwin_msg("SUBSCRIBE", "\x92\xa6no-dot\xc0", 9); /* refused */
    seed_gwin_msg("HELLO", "\x80", 1);                 /* not the hub's */
    seed_gwin_frame(false, "", 0);                     /* empty */
    seed_write("gwin", "odd");
}

/* ------------------------------------------------------------------------
 * What a simulated front reads from its clients (fuzz_sim_front.c: a ctl
 * byte, sender | frames << 3 | clock << 5, then the type's index and the
 * body)
 * ------------------------------------------------------------------------ */

#define SEED_FRONT_HB 0          /* fuzz_sim_front.c's type indexes */
#define SEED_FRONT_SUBSCRIBE 1
#define SEED_FRONT_UNSUBSCRIBE 2
#define SEED_FRONT_TICK 3
#define SEED_FRONT_OWN_ID 6      /* sender: the id in the message */
#define SEED_FRONT_NEW_ID 7      /* sender: a new id each time */
#define SEED_FRONT_GONE 6        /* clock: the sender's connection is gone */
#define SEED_FRONT_TIMEOUT 7     /* clock: the client timeout passes */
#define SEED_FRONT_BODY_MAX 512  /* bytes of a seed message's body */
#define SEED_FRONT_CTL(sender, frames, clock) \
    ((uint8_t)((sender) | (frames) << 3 | (clock) << 5))

/* Appends a message [ctl][type][body] (sender 0-5 or a new id). */
static void seed_front_msg(uint8_t ctl, uint8_t type, const void *body,
                           size_t len)
{
    uint8_t buf[SEED_FRONT_BODY_MAX + 2];
    FUZZ_CHECK(len <= SEED_FRONT_BODY_MAX);
    buf[0] = ctl;
    buf[1] = type;
    memcpy(buf + 2, body, len);
    seed_part(buf, len + 2);
}

/* Appends a SUBSCRIBE or UNSUBSCRIBE of syms from sender, [type][body]. */
static void seed_front_symbols(unsigned sender, uint8_t type, unsigned clock,
                               const char *const *syms, size_t n)
{
    uint8_t body[SEED_FRONT_BODY_MAX];
    size_t len = hamd_gw_symbols_encode(syms, n, body, sizeof body);
    FUZZ_CHECK(len > 0);
    seed_front_msg(SEED_FRONT_CTL(sender, 2, clock), type, body, len);
}

/* Appends a message from the id given, [type][body]. */
static void seed_front_own(const void *id, size_t id_len, uint8_t type,
                           const void *body, size_t len)
{
    uint8_t buf[SEED_FRONT_BODY_MAX + 3];
    FUZZ_CHECK(id_len <= UINT8_MAX && id_len + len <= SEED_FRONT_BODY_MAX);
    buf[0] = SEED_FRONT_CTL(SEED_FRONT_OWN_ID, 2, 0);
    buf[1] = (uint8_t)id_len;
    memcpy(buf + 2, id, id_len);
    buf[2 + id_len] = type;
    memcpy(buf + 3 + id_len, body, len);
    seed_part(buf, id_len + len + 3);
}

static void seeds_sim_front(void)
{
    static const char *const a[] = {"rb2601.SHFE", "i2601.DCE", "cu2602.SHFE"};
    static const char *const b[] = {"i2601.DCE", "m2605.DCE"};
    static const char *const refused[] = {
        "IF2512.CFFEX", "rb2601.SHFE", "rb2601.SHFE", "a1.GFEX", "x.SHFE"};
    uint8_t hb[32];
    size_t hb_len = hamd_gw_hb_encode(SEED_WALL_NS, hb, sizeof hb);
    FUZZ_CHECK(hb_len > 0);
    /* Two gateways as hamd-gw-sim's upstream mode talks to a front. */
    seed_begin();
    seed_front_symbols(0, SEED_FRONT_SUBSCRIBE, 0, a, 3);
    seed_front_symbols(1, SEED_FRONT_SUBSCRIBE, 1, b, 2);
    seed_front_msg(SEED_FRONT_CTL(0, 2, 0), SEED_FRONT_HB, hb, hb_len);
    seed_front_msg(SEED_FRONT_CTL(1, 2, 2), SEED_FRONT_HB, hb, hb_len);
    seed_front_symbols(0, SEED_FRONT_UNSUBSCRIBE, 0, b, 2);
    seed_front_symbols(0, SEED_FRONT_UNSUBSCRIBE, 0, a, 3); /* the last */
    seed_front_symbols(1, SEED_FRONT_SUBSCRIBE, SEED_FRONT_GONE, a, 3);
    seed_front_msg(SEED_FRONT_CTL(0, 2, SEED_FRONT_TIMEOUT), SEED_FRONT_HB,
                   hb, hb_len);
    seed_front_symbols(2, SEED_FRONT_SUBSCRIBE, 0, b, 2);
    seed_write("sim_front", "gateways");
    /* What no gateway sends. */
    seed_begin();
    seed_front_msg(SEED_FRONT_CTL(0, 0, 0), SEED_FRONT_HB, "", 0); /* id */
    seed_front_msg(SEED_FRONT_CTL(0, 1, 0), SEED_FRONT_SUBSCRIBE, "", 0);
    seed_front_msg(SEED_FRONT_CTL(0, 3, 0), SEED_FRONT_HB, hb, hb_len);
    seed_front_msg(SEED_FRONT_CTL(0, 2, 0), SEED_FRONT_TICK, hb, hb_len);
    seed_front_msg(SEED_FRONT_CTL(0, 2, 0), SEED_FRONT_SUBSCRIBE,
                   "\x92\xa6no-dot\xc0", 9);
    seed_front_symbols(0, SEED_FRONT_SUBSCRIBE, 0, refused, 5);
    seed_front_symbols(3, SEED_FRONT_UNSUBSCRIBE, 0, refused, 5);
    seed_front_own("", 0, SEED_FRONT_HB, hb, hb_len);
    static uint8_t long_id[UINT8_MAX];
    memset(long_id, 0xff, sizeof long_id);
    seed_front_own(long_id, sizeof long_id, SEED_FRONT_HB, hb, hb_len);
    seed_front_own("\0\x80\x01", 3, SEED_FRONT_SUBSCRIBE, "\x91\xa9i2601.DCE",
                   11);
    for (unsigned i = 0; i < 4; i++)
        seed_front_msg(SEED_FRONT_CTL(SEED_FRONT_NEW_ID, 2, 0), SEED_FRONT_HB,
                       hb, hb_len);
    seed_write("sim_front", "odd");
    /* One client more than the table holds, then a known one. */
    seed_begin();
    for (unsigned i = 0; i <= GWSIM_FRONT_CLIENTS_MAX; i++)
        seed_front_msg(SEED_FRONT_CTL(SEED_FRONT_NEW_ID, 0, 0), 0, "", 0);
    seed_front_symbols(0, SEED_FRONT_SUBSCRIBE, 0, a, 3);
    seed_write("sim_front", "full");
}

/* `_wm` bodies as the publisher writes them (dp_watermark.c). */
static void seeds_watermark(void)
{
    static uint8_t body[HAMD_WM_BODY_MAX];
    static const char *const syms[] = {"rb2601.SHFE", "i2601.DCE",
                                       "IF2512.CFFEX"};
    struct hamd_wm_writer wr;
    hamd_wm_begin(&wr, body, sizeof body, SEED_WALL_NS);
    size_t len = hamd_wm_finish(&wr);
    FUZZ_CHECK(len > 0);
    seed_write_bytes("watermark", "empty", body, len);
    hamd_wm_begin(&wr, body, sizeof body, SEED_WALL_NS);
    for (unsigned i = 0; i < 3; i++)
        FUZZ_CHECK(hamd_wm_add(&wr, syms[i], SEED_WALL_NS - i, 100.0 * i));
    len = hamd_wm_finish(&wr);
    FUZZ_CHECK(len > 0);
    seed_write_bytes("watermark", "three", body, len);
    hamd_wm_begin(&wr, body, sizeof body, -1);
    char vt[HAMD_VT_SYMBOL_MAX];
    for (unsigned i = 0; i < HAMD_WM_ENTRIES_MAX; i++) {
        snprintf(vt, sizeof vt, "c%u.SHFE", i);
        FUZZ_CHECK(hamd_wm_add(&wr, vt, INT64_MAX - i, 1e300));
    }
    len = hamd_wm_finish(&wr);
    FUZZ_CHECK(len > 0);
    seed_write_bytes("watermark", "full", body, len);
    /* Another producer's: keys in another order, an unknown one, integer
     * volumes, compact headers. */
    SEED_LITERAL("watermark", "other_order",
        "\x83\xa5ticks\x92\x93\xabrb2601.SHFE\x01\x02\x93\xa9i2601.DCE"
        "\xd3\x00\x00\x00\x00\x00\x00\x00\x03\xcb\x40\x00\x00\x00\x00\x00"
        "\x00\x00\xa7unknown\xc0\xa5ts_ns\x05");
}

static void seeds_sim(void)
{
    static const char *const requests[] = {
        "status", "fault none", "fault stall", "fault disconnect 500",
        "fault slow", "fault slow 86400000", "fault garbage", "fault wrong",
        "fault crash", " fault\tdisconnect\n"};
    char name[32];
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        snprintf(name, sizeof name, "request_%zu", i);
        seed_write_text("sim_control", name, requests[i]);
    }
    seed_write_text("sim_params", "demo",
                    "{\"seed\": 42, \"rate\": 4, \"password\": \"demo\"}");
    seed_write_text("sim_params", "full",
        "{\"seed\": 7, \"rate\": 0.5, \"rates\": {\"rb2601.SHFE\": 1000, "
        "\"i2601.DCE\": 0.001}, \"exchanges\": [\"SHFE\", \"DCE\"], "
        "\"login_ms\": 200, \"fault\": \"disconnect 1000\", "
        "\"fault_after_ms\": 500, \"reconnect_ms\": null, "
        "\"control\": \"ipc:///tmp/sim-{pid}.sock\", \"log_level\": \"warn\"}");
    seed_write_text("sim_params", "slow_later",
        "{\"fault\": \"slow 300\", \"fault_after_ms\": 86400000, "
        "\"reconnect_ms\": 0}");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    seed_root = argv[1];
    if (mkdir(seed_root, 0755) != 0 && errno != EEXIST) {
        perror(seed_root);
        return 1;
    }
    seeds_tick();
    seeds_gateway_control();
    seeds_gateway_ticks();
    seeds_raft();
    seeds_admin_json();
    seeds_admin_request();
    seeds_admin_validate();
    seeds_admin_head();
    seeds_http();
    seeds_config();
    seeds_sim();
    seeds_mpjson();
    seeds_relay();
    seeds_client_join();
    seeds_client_other();
    seeds_watermark();
    seeds_recfile();
    seeds_vault();
    seeds_curvekey();
    seeds_gwin();
    seeds_sim_front();
    return 0;
}
