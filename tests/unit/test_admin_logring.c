/* The ring of recent log lines (GET /api/logs, the live stream): order
 * and seq, wrap-around, the level filter, since, limit, long messages,
 * tags, and writers on other threads while a reader reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_logring.h"

#define MAX_SEEN 64

/* What a read delivered. */
struct seen {
    size_t n;                       /* lines */
    uint64_t seq[MAX_SEEN];         /* their seqs */
    enum hamd_log_level level[MAX_SEEN]; /* their levels */
    char msg[MAX_SEEN][64];         /* their messages, cut */
    size_t stop_after;              /* 0, or stop after this many */
};

static int collect(void *ud, const struct admin_logline *l)
{
    struct seen *s = ud;
    assert_true(s->n < MAX_SEEN);
    s->seq[s->n] = l->seq;
    s->level[s->n] = l->level;
    snprintf(s->msg[s->n], sizeof s->msg[s->n], "%.63s", l->msg);
    s->n++;
    return s->stop_after && s->n >= s->stop_after ? -1 : 0;
}

static struct seen read_ring(struct admin_logring *r, bool has_since,
                             uint64_t since, enum hamd_log_level min,
                             size_t limit, uint64_t *scanned)
{
    struct seen s = {0};
    struct admin_logquery q = {has_since, since, min, limit};
    size_t n = admin_logring_read(r, &q, collect, &s, scanned);
    assert_int_equal(n, s.n);
    return s;
}

/* Pushes "line N" at levels cycling INFO, WARN, ERROR, DEBUG. */
static void push_lines(struct admin_logring *r, unsigned from, unsigned n)
{
    static const enum hamd_log_level cycle[] = {HAMD_LOG_INFO, HAMD_LOG_WARN,
                                                HAMD_LOG_ERROR, HAMD_LOG_DEBUG};
    for (unsigned i = from; i < from + n; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "line %u", i);
        admin_logring_push(r, (int64_t)i * 1000, cycle[(i - 1) % 4], msg);
    }
}

static void test_newest_lines_in_order(void **state)
{
    (void)state;
    struct admin_logring *r = admin_logring_new(8);
    assert_int_equal(admin_logring_last_seq(r), 0);
    struct seen s = read_ring(r, false, 0, HAMD_LOG_DEBUG, 10, NULL);
    assert_int_equal(s.n, 0);
    push_lines(r, 1, 5);
    assert_int_equal(admin_logring_last_seq(r), 5);
    uint64_t scanned = 0;
    s = read_ring(r, false, 0, HAMD_LOG_DEBUG, 3, &scanned);
    assert_int_equal(s.n, 3); /* the 3 newest, oldest first */
    assert_int_equal(s.seq[0], 3);
    assert_int_equal(s.seq[2], 5);
    assert_string_equal(s.msg[2], "line 5");
    assert_int_equal(scanned, 5);
    admin_logring_destroy(&r);
    assert_null(r);
}

static void test_wrap_keeps_the_newest(void **state)
{
    (void)state;
    struct admin_logring *r = admin_logring_new(8);
    push_lines(r, 1, 21);
    struct seen s = read_ring(r, false, 0, HAMD_LOG_DEBUG, 100, NULL);
    assert_int_equal(s.n, 8);
    assert_int_equal(s.seq[0], 14);
    assert_int_equal(s.seq[7], 21);
    assert_string_equal(s.msg[0], "line 14");
    /* since before the oldest line held: what is left, from the oldest */
    uint64_t scanned = 0;
    s = read_ring(r, true, 2, HAMD_LOG_DEBUG, 100, &scanned);
    assert_int_equal(s.n, 8);
    assert_int_equal(s.seq[0], 14);
    assert_int_equal(scanned, 21);
    admin_logring_destroy(&r);
}

static void test_level_filter(void **state)
{
    (void)state;
    struct admin_logring *r = admin_logring_new(32);
    push_lines(r, 1, 12); /* I W E D I W E D I W E D */
    struct seen s = read_ring(r, false, 0, HAMD_LOG_WARN, 100, NULL);
    assert_int_equal(s.n, 6);
    for (size_t i = 0; i < s.n; i++)
        assert_true(s.level[i] >= HAMD_LOG_WARN);
    s = read_ring(r, false, 0, HAMD_LOG_ERROR, 2, NULL);
    assert_int_equal(s.n, 2); /* the 2 newest errors: 7 and 11 */
    assert_int_equal(s.seq[0], 7);
    assert_int_equal(s.seq[1], 11);
    s = read_ring(r, false, 0, HAMD_LOG_INFO, 100, NULL);
    assert_int_equal(s.n, 9); /* no DEBUG */
    admin_logring_destroy(&r);
}

static void test_since_and_limit(void **state)
{
    (void)state;
    struct admin_logring *r = admin_logring_new(32);
    push_lines(r, 1, 10);
    uint64_t scanned = 0;
    struct seen s = read_ring(r, true, 4, HAMD_LOG_DEBUG, 3, &scanned);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.seq[0], 5);
    assert_int_equal(s.seq[2], 7);
    assert_int_equal(scanned, 7); /* the next read starts after 7 */
    s = read_ring(r, true, scanned, HAMD_LOG_DEBUG, 100, &scanned);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.seq[0], 8);
    assert_int_equal(scanned, 10);
    /* nothing new: nothing delivered, the position stays */
    s = read_ring(r, true, scanned, HAMD_LOG_DEBUG, 100, &scanned);
    assert_int_equal(s.n, 0);
    assert_int_equal(scanned, 10);
    /* lines below the level still move the position on */
    push_lines(r, 11, 2); /* E D */
    s = read_ring(r, true, 10, HAMD_LOG_ERROR, 100, &scanned);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.seq[0], 11);
    assert_int_equal(scanned, 12);
    /* since beyond the newest line (a node that restarted) */
    s = read_ring(r, true, 99, HAMD_LOG_DEBUG, 100, &scanned);
    assert_int_equal(s.n, 0);
    assert_int_equal(scanned, 99);
    admin_logring_destroy(&r);
}

static void test_reader_may_stop(void **state)
{
    (void)state;
    struct admin_logring *r = admin_logring_new(16);
    push_lines(r, 1, 6);
    struct seen s = {.stop_after = 2};
    struct admin_logquery q = {true, 0, HAMD_LOG_DEBUG, 100};
    uint64_t scanned = 0;
    assert_int_equal(admin_logring_read(r, &q, collect, &s, &scanned), 2);
    assert_int_equal(scanned, 2); /* the refused line counts as seen */
    admin_logring_destroy(&r);
}

static int check_len(void *ud, const struct admin_logline *l)
{
    *(size_t *)ud = strlen(l->msg);
    return 0;
}

static void test_long_message_length(void **state)
{
    (void)state;
    struct admin_logring *r = admin_logring_new(4);
    char big[HAMD_LOG_MSG_MAX + 100];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    admin_logring_push(r, 1, HAMD_LOG_WARN, big);
    size_t len = 0;
    struct admin_logquery q = {false, 0, HAMD_LOG_DEBUG, 1};
    admin_logring_read(r, &q, check_len, &len, NULL);
    assert_int_equal(len, HAMD_LOG_MSG_MAX - 1);
    admin_logring_destroy(&r);
}

static void test_tags(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"admin: listening on http://x", "admin"},
        {"gateway sim_a: CONNECTING -> HEALTHY (recovered)", "gateway sim_a"},
        {"data plane: send HELLO", "data plane"},
        {"raft: node 1 started", "raft"},
        {"EVENT {\"event_type\":\"x\"}", "event"},
        {"node 1 stopped", "hamd"},
        {"/var/lib/x: a torn last record", "hamd"},
        {"handover candidate node 2 of 3: answered", "hamd"},
        {"a b: c", "a b"},
        {"x:y", "hamd"},
        {"", "hamd"},
        {"SIGTERM: shutting down", "SIGTERM"},
        {"gateway ACCT@node2: relayed", "gateway ACCT@node2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char tag[ADMIN_LOG_TAG_MAX];
        admin_log_tag(cases[i][0], tag, sizeof tag);
        assert_string_equal(tag, cases[i][1]);
    }
    /* a prefix longer than the tag buffer is not a tag */
    char tag[ADMIN_LOG_TAG_MAX];
    admin_log_tag("abcdefghijklmnopqrstuvwxyzabcdefghij: x", tag, sizeof tag);
    assert_string_equal(tag, "hamd");
}

/* Writers on other threads while the main thread reads: every line read
 * is whole (its message matches its seq's writer pattern). */
#define WRITERS 4
#define LINES_PER_WRITER 5000

static void *writer(void *arg)
{
    struct admin_logring *r = arg;
    for (unsigned i = 0; i < LINES_PER_WRITER; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "w %u", i);
        admin_logring_push(r, i, HAMD_LOG_INFO, msg);
    }
    return NULL;
}

static int check_whole(void *ud, const struct admin_logline *l)
{
    unsigned v;
    assert_int_equal(sscanf(l->msg, "w %u", &v), 1);
    assert_int_equal((int64_t)v, l->wall_ns);
    (*(size_t *)ud)++;
    return 0;
}

static void test_concurrent_writers(void **state)
{
    (void)state;
    struct admin_logring *r = admin_logring_new(64);
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&t[i], NULL, writer, r);
    size_t seen = 0;
    uint64_t since = 0;
    for (int k = 0; k < 200; k++) {
        struct admin_logquery q = {true, since, HAMD_LOG_DEBUG, 64};
        admin_logring_read(r, &q, check_whole, &seen, &since);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(admin_logring_last_seq(r), WRITERS * LINES_PER_WRITER);
    admin_logring_destroy(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newest_lines_in_order),
        cmocka_unit_test(test_wrap_keeps_the_newest),
        cmocka_unit_test(test_level_filter),
        cmocka_unit_test(test_since_and_limit),
        cmocka_unit_test(test_reader_may_stop),
        cmocka_unit_test(test_long_message_length),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_concurrent_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
