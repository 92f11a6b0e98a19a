/* The raft_fsm on LMDB: apply through libraft's interface never fails,
 * business and decoding errors go into the result with the data
 * unchanged, the change hook fires only on real changes, replayed entries
 * are skipped, snapshot -> restore rebuilds another store identically. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "raft/fsm.h"
#include "unit_util.h"

#define EVENTS_MAX 100 /* history bound of these tests */

struct fixture {
    char dir[64];                  /* mkdtemp directory */
    struct hamd_store *s;          /* store in dir/a */
    struct hamd_fsm *fsm;          /* fsm over s */
    uint64_t next_index;           /* fake Raft index source */
    int changes[HAMD_CMD_TYPE_LAST + 1]; /* change hook calls per type */
    int change_calls;              /* total change hook calls */
};

static uint64_t fake_index(void *ud)
{
    struct fixture *f = ud;
    return f->next_index;
}

static void on_change(void *ud, enum hamd_cmd_type type)
{
    struct fixture *f = ud;
    f->changes[type]++;
    f->change_calls++;
}

static struct hamd_store *open_store(struct fixture *f, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    struct hamd_store *s = hamd_store_new(path);
    assert_non_null(s);
    return s;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/hamd_test_fsm_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->s = open_store(f, "a");
    f->fsm = hamd_fsm_new(f->s, EVENTS_MAX);
    assert_non_null(f->fsm);
    hamd_fsm_set_on_change(f->fsm, on_change, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    hamd_fsm_destroy(&f->fsm);
    assert_null(f->fsm);
    hamd_store_destroy(&f->s);
    unit_rm_tree(f->dir);
    free(f);
    return 0;
}

/* Encodes and frees cmd, runs it through raft_fsm->apply. */
static const struct hamd_apply_result *raft_apply_cmd(struct hamd_fsm *fsm,
                                                      struct hamd_cmd *cmd)
{
    struct raft_buffer buf;
    void *result = NULL;
    assert_int_equal(hamd_cmd_encode(cmd, &buf), 0);
    hamd_cmd_free(cmd);
    struct raft_fsm *rf = hamd_fsm_raft(fsm);
    assert_int_equal(rf->apply(rf, &buf, &result), 0);
    raft_free(buf.base);
    assert_non_null(result);
    return result;
}

static void seed_cmd(struct hamd_cmd *c)
{
    struct hamd_account a;
    memset(&a, 0, sizeof a);
    strcpy(a.id, "sim_a");
    strcpy(a.name, "A");
    strcpy(a.gateway_type, "sim");
    a.priority = 1;
    a.enabled = true;
    strcpy(a.params, "{}");
    hamd_cmd_init(c, HAMD_CMD_SEED);
    hamd_cmd_add_account(c, &a);
    hamd_cmd_add_symbol(c, "rb2601.SHFE");
}

static void test_apply_through_raft_interface(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    struct raft_fsm *rf = hamd_fsm_raft(f->fsm);
    assert_int_equal(rf->version, 2);
    assert_non_null(rf->snapshot_finalize);

    seed_cmd(&c);
    const struct hamd_apply_result *r = raft_apply_cmd(f->fsm, &c);
    assert_int_equal(r->status, HAMD_APPLY_OK);
    assert_string_equal(r->error, "");
    assert_int_equal(f->changes[HAMD_CMD_SEED], 1);
    assert_true(hamd_store_seeded(f->s));
    /* no index source: the fsm numbers commands itself */
    assert_int_equal(hamd_store_applied_index(f->s), 1);

    hamd_cmd_init(&c, HAMD_CMD_PAUSE);
    c.flag = true;
    r = raft_apply_cmd(f->fsm, &c);
    assert_int_equal(r->status, HAMD_APPLY_OK);
    assert_int_equal(f->changes[HAMD_CMD_PAUSE], 1);
    assert_true(hamd_store_paused(f->s));
    assert_int_equal(hamd_store_applied_index(f->s), 2);

    hamd_cmd_init(&c, HAMD_CMD_PIN); /* the newest type goes through too */
    c.flag = true;
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    r = raft_apply_cmd(f->fsm, &c);
    assert_int_equal(r->status, HAMD_APPLY_OK);
    assert_int_equal(f->changes[HAMD_CMD_PIN], 1);
    assert_true(hamd_store_pinned(f->s, "rb2601.SHFE"));
    assert_int_equal(hamd_store_applied_index(f->s), 3);
    assert_false(hamd_fsm_failed(f->fsm));
}

static void test_business_error_in_result(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    seed_cmd(&c);
    raft_apply_cmd(f->fsm, &c);
    int calls = f->change_calls;

    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_DEL);
    strcpy(c.account_id, "ghost");
    const struct hamd_apply_result *r = raft_apply_cmd(f->fsm, &c);
    assert_int_equal(r->status, HAMD_APPLY_NOT_FOUND);
    assert_string_equal(r->field, "id");
    assert_int_equal(f->change_calls, calls); /* nothing changed */

    seed_cmd(&c); /* a second seed */
    r = raft_apply_cmd(f->fsm, &c);
    assert_int_equal(r->status, HAMD_APPLY_CONFLICT);
    assert_int_equal(f->change_calls, calls);
    assert_int_equal(hamd_store_applied_index(f->s), 3);
}

static void test_malformed_entry_in_result(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    seed_cmd(&c);
    raft_apply_cmd(f->fsm, &c);
    void *before, *after;
    size_t before_len, after_len;
    assert_int_equal(hamd_store_snapshot(f->s, &before, &before_len), 0);

    uint8_t junk[16] = {0x93, 0x01, 0x63, 0xc3}; /* unknown type 99 */
    struct raft_buffer buf = {.base = junk, .len = sizeof junk};
    void *result = NULL;
    struct raft_fsm *rf = hamd_fsm_raft(f->fsm);
    assert_int_equal(rf->apply(rf, &buf, &result), 0);
    const struct hamd_apply_result *r = result;
    assert_int_equal(r->status, HAMD_APPLY_BAD_REQUEST);
    assert_non_null(strstr(r->error, "malformed"));
    assert_int_equal(f->change_calls, 1); /* only the seed */
    /* the index was consumed, the data untouched */
    assert_int_equal(hamd_store_applied_index(f->s), 2);
    assert_int_equal(hamd_store_set_applied(f->s, 1), 0);
    assert_int_equal(hamd_store_snapshot(f->s, &after, &after_len), 0);
    unit_assert_same_free(before, before_len, after, after_len);
}

/* After a restart libraft re-applies committed entries the store already
 * holds; with the index source they are skipped, not applied twice. */
static void test_replayed_entries_are_skipped(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    hamd_fsm_set_index_source(f->fsm, fake_index, f);
    for (int i = 1; i <= 3; i++) {
        f->next_index = (uint64_t)i + 1; /* index 1 is the config entry */
        unit_event_cmd(&c, i);
        assert_int_equal(raft_apply_cmd(f->fsm, &c)->status, 0);
    }
    assert_int_equal(hamd_store_events_last_seq(f->s), 3);
    assert_int_equal(hamd_store_applied_index(f->s), 4);
    int calls = f->change_calls;
    for (int i = 1; i <= 3; i++) { /* the replay */
        f->next_index = (uint64_t)i + 1;
        unit_event_cmd(&c, i);
        assert_int_equal(raft_apply_cmd(f->fsm, &c)->status, 0);
    }
    assert_int_equal(hamd_store_events_last_seq(f->s), 3);
    assert_int_equal(f->change_calls, calls);
    f->next_index = 5; /* then new entries apply again */
    unit_event_cmd(&c, 4);
    assert_int_equal(raft_apply_cmd(f->fsm, &c)->status, 0);
    assert_int_equal(hamd_store_events_last_seq(f->s), 4);
    assert_int_equal(hamd_store_applied_index(f->s), 5);
}

/* Copies the fsm snapshot into one raft_malloc'd buffer, as libraft hands
 * a loaded snapshot to restore. */
static struct raft_buffer take_snapshot(struct hamd_fsm *fsm)
{
    struct raft_fsm *rf = hamd_fsm_raft(fsm);
    struct raft_buffer *bufs = NULL;
    unsigned n = 0;
    assert_int_equal(rf->snapshot(rf, &bufs, &n), 0);
    assert_int_equal(n, 1);
    struct raft_buffer copy = {.base = raft_malloc(bufs[0].len),
                               .len = bufs[0].len};
    memcpy(copy.base, bufs[0].base, bufs[0].len);
    assert_int_equal(rf->snapshot_finalize(rf, &bufs, &n), 0);
    assert_null(bufs);
    assert_int_equal(n, 0);
    return copy;
}

static void test_snapshot_restore_into_other_fsm(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    seed_cmd(&c);
    raft_apply_cmd(f->fsm, &c);
    for (int i = 0; i < 5; i++) {
        unit_event_cmd(&c, i);
        raft_apply_cmd(f->fsm, &c);
    }
    struct hamd_store *b = open_store(f, "b");
    struct hamd_fsm *fb = hamd_fsm_new(b, EVENTS_MAX);
    struct fixture hook = {0};
    hamd_fsm_set_on_change(fb, on_change, &hook);
    hamd_cmd_init(&c, HAMD_CMD_PAUSE); /* different content in b */
    c.flag = true;
    raft_apply_cmd(fb, &c);

    struct raft_buffer snap = take_snapshot(f->fsm);
    struct raft_fsm *rb = hamd_fsm_raft(fb);
    assert_int_equal(rb->restore(rb, &snap), 0); /* takes ownership */
    assert_int_equal(hook.changes[HAMD_FSM_CHANGE_ALL], 1);

    void *sa, *sb;
    size_t la, lb;
    assert_int_equal(hamd_store_snapshot(f->s, &sa, &la), 0);
    assert_int_equal(hamd_store_snapshot(b, &sb, &lb), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(sa, sb, la);
    assert_false(hamd_store_paused(b));
    assert_true(hamd_store_seeded(b));
    free(sa);
    free(sb);

    /* a malformed snapshot: error, store kept, buffer left to libraft */
    struct raft_buffer bad = {.base = raft_malloc(4), .len = 4};
    memset(bad.base, 0xc1, 4);
    hamd_log_set_level(HAMD_LOG_ERROR + 1);
    assert_int_equal(rb->restore(rb, &bad), RAFT_MALFORMED);
    hamd_log_set_level(HAMD_LOG_INFO);
    raft_free(bad.base);
    assert_true(hamd_store_seeded(b));
    hamd_fsm_destroy(&fb);
    hamd_store_destroy(&b);
}

static void test_apply_entry_matches_raft_apply(void **state)
{
    struct fixture *f = *state;
    struct hamd_cmd c;
    struct raft_buffer buf;
    unit_event_cmd(&c, 1);
    assert_int_equal(hamd_cmd_encode(&c, &buf), 0);
    hamd_cmd_free(&c);
    const struct hamd_apply_result *r =
        hamd_fsm_apply_entry(f->fsm, buf.base, buf.len);
    assert_int_equal(r->status, 0);
    assert_int_equal(f->changes[HAMD_CMD_EVENT], 1);
    raft_free(buf.base);
    r = hamd_fsm_apply_entry(f->fsm, NULL, 0);
    assert_int_equal(r->status, HAMD_APPLY_BAD_REQUEST);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_apply_through_raft_interface),
        T(test_business_error_in_result),
        T(test_malformed_entry_in_result),
        T(test_replayed_entries_are_skipped),
        T(test_snapshot_restore_into_other_fsm),
        T(test_apply_entry_matches_raft_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
