/* LMDB store: every command applied and read back, business errors leave
 * the data unchanged, cascades, pins, the bounded event history, snapshot
 * and restore (restore wipes; snapshots older than pins still load),
 * persistence across reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <msgpack.h>

#include "common/log.h"
#include "raft/store.h"
#include "unit_util.h"

#define EVENTS_MAX 5          /* history bound used by most tests */
#define DAY 20260624u         /* a valid yyyymmdd */
#define LOG_QUIET ((enum hamd_log_level)(HAMD_LOG_ERROR + 1)) /* no lines */

/* One temp dir + open store per test. */
struct fixture {
    char dir[64];             /* mkdtemp directory */
    struct hamd_store *s;     /* store in dir/store */
    uint64_t index;           /* next Raft index to apply */
};

static char *store_path(struct fixture *f, const char *name)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    return path;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/hamd_test_store_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->s = hamd_store_new(store_path(f, "store"));
    assert_non_null(f->s);
    f->index = 1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    hamd_store_destroy(&f->s);
    unit_rm_tree(f->dir);
    free(f);
    return 0;
}

static struct hamd_account make_acct(const char *id, int prio)
{
    struct hamd_account a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "%s", id);
    snprintf(a.name, sizeof a.name, "%s", id);
    strcpy(a.gateway_type, "sim");
    a.priority = prio;
    a.enabled = true;
    a.n_exchanges = 1;
    strcpy(a.exchanges[0], "SHFE");
    strcpy(a.params, "{}");
    return a;
}

/* Applies cmd as the next index on store s; frees cmd; returns status. */
static int apply_on(struct hamd_store *s, uint64_t *index,
                    struct hamd_cmd *cmd, struct hamd_apply_result *res)
{
    struct hamd_apply_result local;
    if (!res)
        res = &local;
    hamd_store_apply(s, cmd, (*index)++, EVENTS_MAX, res);
    hamd_cmd_free(cmd);
    return res->status;
}

static int apply(struct fixture *f, struct hamd_cmd *cmd,
                 struct hamd_apply_result *res)
{
    return apply_on(f->s, &f->index, cmd, res);
}

static void seed_on(struct hamd_store *s, uint64_t *index)
{
    struct hamd_cmd c;
    hamd_cmd_init(&c, HAMD_CMD_SEED);
    struct hamd_account a = make_acct("sim_a", 1), b = make_acct("sim_b", 2);
    hamd_cmd_add_account(&c, &a);
    hamd_cmd_add_account(&c, &b);
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    hamd_cmd_add_symbol(&c, "m2609.DCE");
    hamd_cmd_add_symbol(&c, "IF2606.CFFEX");
    assert_int_equal(apply_on(s, index, &c, NULL), 0);
}

static void seed(struct fixture *f)
{
    seed_on(f->s, &f->index);
}

static int collect_account(void *ud, const struct hamd_account *a)
{
    char *out = ud;
    strcat(out, a->id);
    strcat(out, ",");
    return 0;
}

static int collect_symbol(void *ud, const char *sym)
{
    char *out = ud;
    strcat(out, sym);
    strcat(out, ",");
    return 0;
}

static int collect_assign(void *ud, const char *sym, const char *acct_id)
{
    char *out = ud;
    strcat(out, sym);
    strcat(out, "=");
    strcat(out, acct_id);
    strcat(out, ",");
    return 0;
}

static int collect_event(void *ud, uint64_t seq, const char *json)
{
    char *out = ud;
    char item[64];
    snprintf(item, sizeof item, "%llu:%s,", (unsigned long long)seq, json);
    strcat(out, item);
    return 0;
}

static void set_assign(struct fixture *f, const char *sym, const char *id)
{
    struct hamd_cmd c;
    hamd_cmd_init(&c, HAMD_CMD_ASSIGN);
    hamd_cmd_add_assign(&c, sym, id);
    assert_int_equal(apply(f, &c, NULL), 0);
}

/* Pins (pinned) or unpins sym; returns the apply status. */
static int set_pin(struct fixture *f, bool pinned, const char *sym,
                   struct hamd_apply_result *res)
{
    struct hamd_cmd c;
    hamd_cmd_init(&c, HAMD_CMD_PIN);
    c.flag = pinned;
    hamd_cmd_add_symbol(&c, sym);
    return apply(f, &c, res);
}

/* The pinned contracts as "a,b,". */
static const char *pins_of(struct hamd_store *s)
{
    static char out[256];
    out[0] = '\0';
    assert_int_equal(hamd_store_pins_foreach(s, collect_symbol, out), 0);
    return out;
}

static void test_seed_and_read_back(void **state)
{
    struct fixture *f = *state;
    char out[512] = "";
    assert_false(hamd_store_seeded(f->s));
    assert_int_equal(hamd_store_applied_index(f->s), 0);
    seed(f);
    assert_true(hamd_store_seeded(f->s));
    assert_int_equal(hamd_store_applied_index(f->s), 1);
    assert_int_equal(hamd_store_accounts_foreach(f->s, collect_account, out), 0);
    assert_string_equal(out, "sim_a,sim_b,");
    out[0] = '\0';
    assert_int_equal(hamd_store_subs_foreach(f->s, collect_symbol, out), 0);
    assert_string_equal(out, "IF2606.CFFEX,m2609.DCE,rb2601.SHFE,");
    struct hamd_account a;
    assert_int_equal(hamd_store_account_get(f->s, "sim_b", &a), 0);
    assert_int_equal(a.priority, 2);
    assert_string_equal(a.exchanges[0], "SHFE");
}

static void test_every_command_applies(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    char out[512] = "";
    seed(f);

    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_PUT);
    struct hamd_account n = make_acct("ctp_main", 5);
    hamd_cmd_add_account(&c, &n);
    assert_int_equal(apply(f, &c, NULL), 0);
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_PUT); /* upsert */
    n.priority = 6;
    hamd_cmd_add_account(&c, &n);
    assert_int_equal(apply(f, &c, NULL), 0);
    struct hamd_account got;
    assert_int_equal(hamd_store_account_get(f->s, "ctp_main", &got), 0);
    assert_int_equal(got.priority, 6);

    assert_true(hamd_store_account_running(f->s, "ctp_main"));
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_RUN);
    strcpy(c.account_id, "ctp_main");
    c.flag = false;
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_false(hamd_store_account_running(f->s, "ctp_main"));
    assert_true(hamd_store_account_running(f->s, "sim_a"));

    hamd_cmd_init(&c, HAMD_CMD_SUBS_ADD);
    hamd_cmd_add_symbol(&c, "ag2612.SHFE");
    hamd_cmd_add_symbol(&c, "rb2601.SHFE"); /* already there: fine */
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_true(hamd_store_sub_exists(f->s, "ag2612.SHFE"));

    hamd_cmd_init(&c, HAMD_CMD_ASSIGN);
    hamd_cmd_add_assign(&c, "rb2601.SHFE", "sim_a");
    hamd_cmd_add_assign(&c, "m2609.DCE", "sim_b");
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_int_equal(hamd_store_assign_foreach(f->s, collect_assign, out), 0);
    assert_string_equal(out, "m2609.DCE=sim_b,rb2601.SHFE=sim_a,");
    hamd_cmd_init(&c, HAMD_CMD_ASSIGN); /* "" unassigns */
    hamd_cmd_add_assign(&c, "m2609.DCE", "");
    assert_int_equal(apply(f, &c, NULL), 0);
    char id[HAMD_ACCOUNT_ID_MAX];
    assert_int_equal(hamd_store_assign_get(f->s, "m2609.DCE", id), -ENOENT);
    assert_int_equal(hamd_store_assign_get(f->s, "rb2601.SHFE", id), 0);
    assert_string_equal(id, "sim_a");

    hamd_cmd_init(&c, HAMD_CMD_QUARANTINE);
    strcpy(c.account_id, "sim_b");
    c.until_ms = 1782291045123LL;
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_int_equal(hamd_store_quarantine_until(f->s, "sim_b"),
                     1782291045123LL);
    hamd_cmd_init(&c, HAMD_CMD_QUARANTINE);
    strcpy(c.account_id, "sim_b");
    c.until_ms = 0;
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_int_equal(hamd_store_quarantine_until(f->s, "sim_b"), 0);

    hamd_cmd_init(&c, HAMD_CMD_PAUSE);
    c.flag = true;
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_true(hamd_store_paused(f->s));

    hamd_cmd_init(&c, HAMD_CMD_FAILOVER_COUNT);
    c.day = DAY;
    c.count = 3;
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_int_equal(hamd_store_failover_count(f->s, DAY), 3);
    assert_int_equal(hamd_store_failover_count(f->s, DAY + 1), 0);

    hamd_cmd_init(&c, HAMD_CMD_EVENT);
    hamd_cmd_set_event(&c, "{\"e\":1}");
    assert_int_equal(apply(f, &c, NULL), 0);
    out[0] = '\0';
    assert_int_equal(hamd_store_events_tail(f->s, 10, collect_event, out), 0);
    assert_string_equal(out, "1:{\"e\":1},");

    hamd_cmd_init(&c, HAMD_CMD_SUBS_DEL);
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_false(hamd_store_sub_exists(f->s, "rb2601.SHFE"));
    /* its assignment went with it */
    assert_int_equal(hamd_store_assign_get(f->s, "rb2601.SHFE", id), -ENOENT);

    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_DEL);
    strcpy(c.account_id, "ctp_main");
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_int_equal(hamd_store_account_get(f->s, "ctp_main", &got), -ENOENT);
    assert_int_equal(hamd_store_applied_index(f->s), f->index - 1);
}

/* The data part of a snapshot with the applied index pinned, so two
 * states can be compared ignoring the index a rejected command consumed. */
static void data_image(struct hamd_store *s, uint64_t pin, void **buf,
                       size_t *len)
{
    uint64_t real = hamd_store_applied_index(s);
    assert_int_equal(hamd_store_set_applied(s, pin), 0);
    assert_int_equal(hamd_store_snapshot(s, buf, len), 0);
    assert_int_equal(hamd_store_set_applied(s, real), 0);
}

/* Applies cmd, expects status/field, and the data to be unchanged. */
static void expect_rejected(struct fixture *f, struct hamd_cmd *cmd,
                            int status, const char *field)
{
    void *before, *after;
    size_t before_len, after_len;
    struct hamd_apply_result res;
    data_image(f->s, 0, &before, &before_len);
    uint64_t index = f->index;
    assert_int_equal(apply(f, cmd, &res), status);
    assert_string_equal(res.field, field);
    assert_true(res.error[0] != '\0');
    assert_int_equal(hamd_store_applied_index(f->s), index);
    data_image(f->s, 0, &after, &after_len);
    unit_assert_same_free(before, before_len, after, after_len);
}

static void test_business_errors_leave_data_unchanged(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    seed(f);
    set_assign(f, "m2609.DCE", "sim_b");

    hamd_cmd_init(&c, HAMD_CMD_SEED);
    struct hamd_account x = make_acct("other", 1);
    hamd_cmd_add_account(&c, &x);
    expect_rejected(f, &c, 409, "");

    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_DEL);
    strcpy(c.account_id, "ghost");
    expect_rejected(f, &c, 404, "id");

    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_RUN);
    strcpy(c.account_id, "ghost");
    expect_rejected(f, &c, 404, "id");

    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_PUT);
    struct hamd_account bad = make_acct("Bad Id", 1);
    hamd_cmd_add_account(&c, &bad);
    expect_rejected(f, &c, 400, "id");

    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_PUT);
    bad = make_acct("ok_id", 0);
    hamd_cmd_add_account(&c, &bad);
    expect_rejected(f, &c, 400, "priority");

    hamd_cmd_init(&c, HAMD_CMD_SUBS_ADD);
    hamd_cmd_add_symbol(&c, "ag2612.SHFE"); /* valid, must not stick */
    hamd_cmd_add_symbol(&c, "nodot");
    expect_rejected(f, &c, 400, "symbols");

    hamd_cmd_init(&c, HAMD_CMD_SUBS_DEL);
    hamd_cmd_add_symbol(&c, "m2609.DCE"); /* exists, must survive */
    hamd_cmd_add_symbol(&c, "zz9999.SHFE");
    expect_rejected(f, &c, 404, "symbols");
    assert_true(hamd_store_sub_exists(f->s, "m2609.DCE"));

    hamd_cmd_init(&c, HAMD_CMD_ASSIGN);
    hamd_cmd_add_assign(&c, "rb2601.SHFE", "sim_a");
    hamd_cmd_add_assign(&c, "zz9999.SHFE", "sim_a");
    expect_rejected(f, &c, 404, "vt_symbol");

    hamd_cmd_init(&c, HAMD_CMD_ASSIGN);
    hamd_cmd_add_assign(&c, "rb2601.SHFE", "sim_a");
    hamd_cmd_add_assign(&c, "m2609.DCE", "ghost");
    expect_rejected(f, &c, 404, "account");

    hamd_cmd_init(&c, HAMD_CMD_QUARANTINE);
    strcpy(c.account_id, "ghost");
    c.until_ms = 5;
    expect_rejected(f, &c, 404, "id");

    hamd_cmd_init(&c, HAMD_CMD_PIN);
    c.flag = true;
    hamd_cmd_add_symbol(&c, "rb2601.SHFE"); /* subscribed, must not stick */
    hamd_cmd_add_symbol(&c, "zz9999.SHFE");
    expect_rejected(f, &c, 404, "symbols");
    assert_false(hamd_store_pinned(f->s, "rb2601.SHFE"));

    hamd_cmd_init(&c, HAMD_CMD_PIN);
    c.flag = false;
    hamd_cmd_add_symbol(&c, "nodot");
    expect_rejected(f, &c, 400, "symbols");

    hamd_cmd_init(&c, HAMD_CMD_FAILOVER_COUNT);
    c.day = DAY;
    c.count = 1;
    assert_int_equal(apply(f, &c, NULL), 0);
    hamd_cmd_init(&c, HAMD_CMD_FAILOVER_COUNT);
    c.day = DAY - 1;
    c.count = 9;
    expect_rejected(f, &c, 409, "day");
    hamd_cmd_init(&c, HAMD_CMD_FAILOVER_COUNT);
    c.day = 20261332;
    expect_rejected(f, &c, 400, "day");
    assert_int_equal(hamd_store_failover_count(f->s, DAY), 1);

    hamd_cmd_init(&c, HAMD_CMD_EVENT);
    hamd_cmd_set_event(&c, "");
    expect_rejected(f, &c, 400, "event");
}

/* Deleting an account drops its flags and every assignment naming it,
 * including neighbours in key order (cursor deletes in a row). */
static void test_account_del_cascades(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    char out[256] = "";
    seed(f);
    set_assign(f, "IF2606.CFFEX", "sim_b");
    set_assign(f, "m2609.DCE", "sim_b");
    set_assign(f, "rb2601.SHFE", "sim_a");
    hamd_cmd_init(&c, HAMD_CMD_QUARANTINE);
    strcpy(c.account_id, "sim_b");
    c.until_ms = 99;
    assert_int_equal(apply(f, &c, NULL), 0);
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_RUN);
    strcpy(c.account_id, "sim_b");
    assert_int_equal(apply(f, &c, NULL), 0);

    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_DEL);
    strcpy(c.account_id, "sim_b");
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_int_equal(hamd_store_assign_foreach(f->s, collect_assign, out), 0);
    assert_string_equal(out, "rb2601.SHFE=sim_a,");
    assert_int_equal(hamd_store_quarantine_until(f->s, "sim_b"), 0);
    /* re-creating it starts clean: running again */
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_PUT);
    struct hamd_account b = make_acct("sim_b", 2);
    hamd_cmd_add_account(&c, &b);
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_true(hamd_store_account_running(f->s, "sim_b"));
}

/* A contract may be assigned to an account relayed from a node; the
 * account must exist, and deleting it drops its relayed assignments. */
static void test_relayed_assignments(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    struct hamd_apply_result res;
    char out[256] = "";
    seed(f);
    set_assign(f, "rb2601.SHFE", "sim_b@node2");
    set_assign(f, "m2609.DCE", "sim_a@node3");
    set_assign(f, "IF2606.CFFEX", "sim_b");
    const char *bad[] = {"nosuch@node2", "sim_b@node0", "sim_b@", "sim_b@node2x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hamd_cmd_init(&c, HAMD_CMD_ASSIGN);
        hamd_cmd_add_assign(&c, "rb2601.SHFE", bad[i]);
        assert_int_equal(apply(f, &c, &res), HAMD_APPLY_NOT_FOUND);
        assert_string_equal(res.field, "account");
    }
    assert_int_equal(hamd_store_assign_foreach(f->s, collect_assign, out), 0);
    assert_string_equal(out, "IF2606.CFFEX=sim_b,m2609.DCE=sim_a@node3,"
                             "rb2601.SHFE=sim_b@node2,");
    /* A relayed source is quarantined like an account. */
    hamd_cmd_init(&c, HAMD_CMD_QUARANTINE);
    strcpy(c.account_id, "sim_b@node2");
    c.until_ms = 77;
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_int_equal(hamd_store_quarantine_until(f->s, "sim_b@node2"), 77);
    assert_int_equal(hamd_store_quarantine_until(f->s, "sim_b"), 0);
    hamd_cmd_init(&c, HAMD_CMD_QUARANTINE);
    strcpy(c.account_id, "nosuch@node2");
    c.until_ms = 77;
    assert_int_equal(apply(f, &c, &res), HAMD_APPLY_NOT_FOUND);
    /* sim_bx is another account: its assignments stay. */
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_PUT);
    struct hamd_account bx = make_acct("sim_bx", 3);
    hamd_cmd_add_account(&c, &bx);
    assert_int_equal(apply(f, &c, NULL), 0);
    set_assign(f, "m2609.DCE", "sim_bx@node3");
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_DEL);
    strcpy(c.account_id, "sim_b");
    assert_int_equal(apply(f, &c, NULL), 0);
    out[0] = '\0';
    assert_int_equal(hamd_store_assign_foreach(f->s, collect_assign, out), 0);
    assert_string_equal(out, "m2609.DCE=sim_bx@node3,");
}

/* SOURCE_MOVED only moves forward: a late, older time is ignored. */
static void test_source_moved_only_forward(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    assert_int_equal(hamd_store_source_moved_ms(f->s), 0);
    int64_t times[] = {2000, 1000, 3000};
    int64_t want[] = {2000, 2000, 3000};
    for (int i = 0; i < 3; i++) {
        hamd_cmd_init(&c, HAMD_CMD_SOURCE_MOVED);
        c.until_ms = times[i];
        assert_int_equal(apply(f, &c, NULL), 0);
        assert_int_equal(hamd_store_source_moved_ms(f->s), want[i]);
    }
}

/* PIN sets and clears pins in one command each; clearing one that is not
 * pinned is fine; SEED leaves pins alone. */
static void test_pins_set_and_clear(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    hamd_cmd_init(&c, HAMD_CMD_SUBS_ADD); /* subscribed before the seed */
    hamd_cmd_add_symbol(&c, "ag2612.SHFE");
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_int_equal(set_pin(f, true, "ag2612.SHFE", NULL), 0);
    seed(f);
    assert_true(hamd_store_pinned(f->s, "ag2612.SHFE"));

    hamd_cmd_init(&c, HAMD_CMD_PIN);
    c.flag = true;
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    hamd_cmd_add_symbol(&c, "m2609.DCE");
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_string_equal(pins_of(f->s), "ag2612.SHFE,m2609.DCE,rb2601.SHFE,");
    assert_true(hamd_store_pinned(f->s, "m2609.DCE"));
    assert_false(hamd_store_pinned(f->s, "IF2606.CFFEX"));
    assert_false(hamd_store_pinned(f->s, ""));
    /* pinning twice is fine */
    assert_int_equal(set_pin(f, true, "m2609.DCE", NULL), 0);

    hamd_cmd_init(&c, HAMD_CMD_PIN);
    c.flag = false;
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    hamd_cmd_add_symbol(&c, "IF2606.CFFEX"); /* not pinned: no error */
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_string_equal(pins_of(f->s), "ag2612.SHFE,m2609.DCE,");
    assert_false(hamd_store_pinned(f->s, "rb2601.SHFE"));
    assert_int_equal(hamd_store_applied_index(f->s), f->index - 1);
}

/* Unsubscribing drops the pin: subscribing again starts unpinned. */
static void test_subs_del_drops_pin(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    seed(f);
    assert_int_equal(set_pin(f, true, "rb2601.SHFE", NULL), 0);
    assert_int_equal(set_pin(f, true, "m2609.DCE", NULL), 0);
    hamd_cmd_init(&c, HAMD_CMD_SUBS_DEL);
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_false(hamd_store_pinned(f->s, "rb2601.SHFE"));
    assert_string_equal(pins_of(f->s), "m2609.DCE,");
    hamd_cmd_init(&c, HAMD_CMD_SUBS_ADD);
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    assert_int_equal(apply(f, &c, NULL), 0);
    assert_false(hamd_store_pinned(f->s, "rb2601.SHFE"));
    /* a rejected SUBS_DEL keeps the pin */
    hamd_cmd_init(&c, HAMD_CMD_SUBS_DEL);
    hamd_cmd_add_symbol(&c, "m2609.DCE");
    hamd_cmd_add_symbol(&c, "zz9999.SHFE");
    assert_int_equal(apply(f, &c, NULL), 404);
    assert_true(hamd_store_pinned(f->s, "m2609.DCE"));
}

static void add_event(struct fixture *f, int n)
{
    struct hamd_cmd c;
    unit_event_cmd(&c, n);
    assert_int_equal(apply(f, &c, NULL), 0);
}

static void test_events_bounded(void **state)
{
    struct fixture *f = *state;
    char out[512] = "";
    for (int i = 1; i <= 12; i++)
        add_event(f, i);
    assert_int_equal(hamd_store_events_last_seq(f->s), 12);
    assert_int_equal(hamd_store_events_tail(f->s, 100, collect_event, out), 0);
    assert_string_equal(out, "8:{\"n\":8},9:{\"n\":9},10:{\"n\":10},"
                             "11:{\"n\":11},12:{\"n\":12},");
    out[0] = '\0';
    assert_int_equal(hamd_store_events_tail(f->s, 2, collect_event, out), 0);
    assert_string_equal(out, "11:{\"n\":11},12:{\"n\":12},");
    out[0] = '\0';
    assert_int_equal(hamd_store_events_since(f->s, 9, 2, collect_event, out),
                     0);
    assert_string_equal(out, "10:{\"n\":10},11:{\"n\":11},");
    out[0] = '\0';
    assert_int_equal(hamd_store_events_since(f->s, 0, 1, collect_event, out),
                     0);
    assert_string_equal(out, "8:{\"n\":8},");
    out[0] = '\0';
    assert_int_equal(hamd_store_events_since(f->s, 12, 5, collect_event, out),
                     0);
    assert_string_equal(out, "");
}

static int stop_after_one(void *ud, const char *sym)
{
    (void)sym;
    (*(int *)ud)++;
    return 7;
}

static void test_foreach_stops_early(void **state)
{
    struct fixture *f = *state;
    int calls = 0;
    seed(f);
    assert_int_equal(hamd_store_subs_foreach(f->s, stop_after_one, &calls), 7);
    assert_int_equal(calls, 1);
}

static void test_readers_on_missing_keys(void **state)
{
    struct fixture *f = *state;
    struct hamd_account a;
    char id[HAMD_ACCOUNT_ID_MAX];
    assert_int_equal(hamd_store_account_get(f->s, "ghost", &a), -ENOENT);
    assert_int_equal(hamd_store_account_get(f->s, "", &a), -ENOENT);
    assert_int_equal(hamd_store_assign_get(f->s, "x.Y", id), -ENOENT);
    assert_false(hamd_store_account_running(f->s, "ghost"));
    assert_int_equal(hamd_store_quarantine_until(f->s, "ghost"), 0);
    assert_false(hamd_store_paused(f->s));
    assert_int_equal(hamd_store_failover_count(f->s, DAY), 0);
    assert_int_equal(hamd_store_events_last_seq(f->s), 0);
}

/* Fills a second store with different content, restores the first one's
 * snapshot into it: the content must be identical (old content wiped). */
static void test_snapshot_restore_replaces_everything(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    seed(f);
    set_assign(f, "m2609.DCE", "sim_b");
    assert_int_equal(set_pin(f, true, "m2609.DCE", NULL), 0);
    add_event(f, 1);
    add_event(f, 2);

    struct hamd_store *other = hamd_store_new(store_path(f, "other"));
    assert_non_null(other);
    uint64_t oi = 1;
    hamd_cmd_init(&c, HAMD_CMD_SEED);
    struct hamd_account z = make_acct("zeta", 9);
    hamd_cmd_add_account(&c, &z);
    hamd_cmd_add_symbol(&c, "ag2612.SHFE");
    assert_int_equal(apply_on(other, &oi, &c, NULL), 0);
    for (int i = 0; i < 4; i++) {
        hamd_cmd_init(&c, HAMD_CMD_EVENT);
        hamd_cmd_set_event(&c, "{\"other\":true}");
        assert_int_equal(apply_on(other, &oi, &c, NULL), 0);
    }
    hamd_cmd_init(&c, HAMD_CMD_PAUSE);
    c.flag = true;
    assert_int_equal(apply_on(other, &oi, &c, NULL), 0);
    hamd_cmd_init(&c, HAMD_CMD_PIN);
    c.flag = true;
    hamd_cmd_add_symbol(&c, "ag2612.SHFE");
    assert_int_equal(apply_on(other, &oi, &c, NULL), 0);
    assert_string_equal(pins_of(other), "ag2612.SHFE,");

    void *snap, *snap2;
    size_t len, len2;
    assert_int_equal(hamd_store_snapshot(f->s, &snap, &len), 0);
    assert_int_equal(hamd_store_restore(other, snap, len), 0);
    assert_int_equal(hamd_store_snapshot(other, &snap2, &len2), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(snap, snap2, len);

    struct hamd_account got;
    assert_int_equal(hamd_store_account_get(other, "zeta", &got), -ENOENT);
    assert_int_equal(hamd_store_account_get(other, "sim_a", &got), 0);
    assert_false(hamd_store_sub_exists(other, "ag2612.SHFE"));
    assert_false(hamd_store_paused(other));
    assert_string_equal(pins_of(other), "m2609.DCE,");
    assert_int_equal(hamd_store_events_last_seq(other), 2);
    assert_int_equal(hamd_store_applied_index(other),
                     hamd_store_applied_index(f->s));
    free(snap);
    free(snap2);
    hamd_store_destroy(&other);
}

/* Packs one database of a hand-made snapshot: name, then its key/value
 * strings as bins. */
static void pack_db(msgpack_packer *pk, const char *name,
                    const char *const *kv, size_t n_kv)
{
    msgpack_pack_str_with_body(pk, name, strlen(name));
    msgpack_pack_array(pk, (uint32_t)n_kv);
    for (size_t i = 0; i < n_kv; i++)
        msgpack_pack_bin_with_body(pk, kv[i], strlen(kv[i]));
}

/* A snapshot as the store wrote it before pins existed: the six older
 * databases, no "pins". It restores, and leaves no pin behind. */
static void test_snapshot_without_pins_restores(void **state)
{
    struct fixture *f = *state;
    seed(f);
    assert_int_equal(set_pin(f, true, "rb2601.SHFE", NULL), 0);
    const uint8_t one[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    const uint8_t seven[8] = {0, 0, 0, 0, 0, 0, 0, 7};
    const char *subs[] = {"IF2606.CFFEX", "", "rb2601.SHFE", ""};
    const char *assign[] = {"rb2601.SHFE", "sim_a"};
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_map(&pk, 6);
    pack_db(&pk, "accounts", NULL, 0);
    pack_db(&pk, "subs", subs, 4);
    pack_db(&pk, "assign", assign, 2);
    msgpack_pack_str_with_body(&pk, "state", 5);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_bin_with_body(&pk, "seeded", 6);
    msgpack_pack_bin_with_body(&pk, one, sizeof one);
    pack_db(&pk, "events", NULL, 0);
    msgpack_pack_str_with_body(&pk, "meta", 4);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_bin_with_body(&pk, "applied_index", 13);
    msgpack_pack_bin_with_body(&pk, seven, sizeof seven);

    assert_int_equal(hamd_store_restore(f->s, sb.data, sb.size), 0);
    msgpack_sbuffer_destroy(&sb);
    assert_string_equal(pins_of(f->s), "");
    assert_false(hamd_store_pinned(f->s, "rb2601.SHFE"));
    assert_true(hamd_store_seeded(f->s));
    assert_true(hamd_store_sub_exists(f->s, "IF2606.CFFEX"));
    assert_false(hamd_store_sub_exists(f->s, "m2609.DCE"));
    char id[HAMD_ACCOUNT_ID_MAX];
    assert_int_equal(hamd_store_assign_get(f->s, "rb2601.SHFE", id), 0);
    assert_string_equal(id, "sim_a");
    assert_int_equal(hamd_store_applied_index(f->s), 7);
    /* and pins work on the restored store */
    f->index = 8;
    assert_int_equal(set_pin(f, true, "IF2606.CFFEX", NULL), 0);
    assert_string_equal(pins_of(f->s), "IF2606.CFFEX,");
}

static void test_bad_snapshot_leaves_store_unchanged(void **state)
{
    struct fixture *f = *state;
    void *snap, *before, *after;
    size_t len, before_len, after_len;
    seed(f);
    assert_int_equal(hamd_store_snapshot(f->s, &snap, &len), 0);
    assert_int_equal(hamd_store_snapshot(f->s, &before, &before_len), 0);
    /* truncated at every length: never applied, never a crash */
    hamd_log_set_level(LOG_QUIET);
    for (size_t n = 0; n < len; n++)
        assert_int_equal(hamd_store_restore(f->s, snap, n), -EINVAL);
    hamd_log_set_level(HAMD_LOG_INFO);
    uint8_t junk[] = {0x92, 0x01, 0x81, 0xa4, 'n', 'o', 'p', 'e', 0x90};
    assert_int_equal(hamd_store_restore(f->s, junk, sizeof junk), -EINVAL);
    uint8_t version2[] = {0x92, 0x02, 0x80};
    assert_int_equal(hamd_store_restore(f->s, version2, sizeof version2),
                     -EINVAL);
    assert_int_equal(hamd_store_snapshot(f->s, &after, &after_len), 0);
    free(snap);
    unit_assert_same_free(before, before_len, after, after_len);
}

static void test_reopen_keeps_data_and_index(void **state)
{
    struct fixture *f = *state;
    seed(f);
    set_assign(f, "rb2601.SHFE", "sim_a");
    add_event(f, 1);
    assert_int_equal(set_pin(f, true, "rb2601.SHFE", NULL), 0);
    uint64_t applied = hamd_store_applied_index(f->s);
    assert_int_equal(applied, 4);
    hamd_store_destroy(&f->s);
    assert_null(f->s);
    f->s = hamd_store_new(store_path(f, "store"));
    assert_non_null(f->s);
    assert_int_equal(hamd_store_applied_index(f->s), applied);
    assert_true(hamd_store_seeded(f->s));
    char id[HAMD_ACCOUNT_ID_MAX];
    assert_int_equal(hamd_store_assign_get(f->s, "rb2601.SHFE", id), 0);
    assert_string_equal(id, "sim_a");
    assert_int_equal(hamd_store_events_last_seq(f->s), 1);
    assert_true(hamd_store_pinned(f->s, "rb2601.SHFE"));
}

static void test_wipe_empties_everything(void **state)
{
    struct fixture *f = *state;
    char out[256] = "";
    seed(f);
    add_event(f, 1);
    assert_int_equal(set_pin(f, true, "rb2601.SHFE", NULL), 0);
    assert_int_equal(hamd_store_wipe(f->s), 0);
    assert_string_equal(pins_of(f->s), "");
    assert_false(hamd_store_seeded(f->s));
    assert_int_equal(hamd_store_applied_index(f->s), 0);
    assert_int_equal(hamd_store_accounts_foreach(f->s, collect_account, out), 0);
    assert_string_equal(out, "");
    assert_int_equal(hamd_store_events_last_seq(f->s), 0);
}

static void test_open_fails_cleanly(void **state)
{
    struct fixture *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/file", f->dir);
    FILE *fp = fopen(path, "w");
    fclose(fp);
    assert_null(hamd_store_new(path)); /* a file, not a directory */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_seed_and_read_back),
        T(test_every_command_applies),
        T(test_business_errors_leave_data_unchanged),
        T(test_account_del_cascades),

        T(test_relayed_assignments),
        T(test_source_moved_only_forward),
        T(test_pins_set_and_clear),
        T(test_subs_del_drops_pin),
        T(test_events_bounded),
        T(test_foreach_stops_early),
        T(test_readers_on_missing_keys),
        T(test_snapshot_restore_replaces_everything),
        T(test_snapshot_without_pins_restores),
        T(test_bad_snapshot_leaves_store_unchanged),
        T(test_reopen_keeps_data_and_index),
        T(test_wipe_empties_everything),
        T(test_open_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
