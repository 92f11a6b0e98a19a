/* Unit tests of hamd-gw-replay's scan of a recording (src/gw-replay/
 * timeline.c): the range, the pacing time (largest datetime so far, as
 * ticks of several contracts interleave), from/to, the index, and the
 * errors that name file and offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/recfile.h"
#include "gw-replay/timeline.h"
#include "hamd/tick.h"

#define MS HAMD_NS_PER_MS
#define T0 (1735779600LL * HAMD_NS_PER_S) /* 2025-01-02 09:00 CST */
#define TICKS 3000                        /* > 2 index marks */
#define SCAN_BUDGET 100                   /* records per scan call */

static char g_path[64];

/* Tick i: rb2601.SHFE at T0 + 10 ms * i, except every 3rd, i2601.DCE,
 * 25 ms late (its datetime lags the pacing time). */
static void tick_of(int i, struct hamd_tick *t)
{
    bool dce = i % 3 == 2;
    memset(t, 0, sizeof *t);
    strcpy(t->symbol, dce ? "i2601" : "rb2601");
    strcpy(t->exchange, dce ? "DCE" : "SHFE");
    snprintf(t->vt_symbol, sizeof t->vt_symbol, "%s.%s", t->symbol, t->exchange);
    t->datetime_ns = T0 + 10 * MS * i - (dce ? 25 * MS : 0);
    t->volume = i;
}

static void write_recording(int ticks, int bad_at)
{
    struct hamd_recfile_header hdr = {.start_ns = T0};
    struct hamd_recfile_wopts opts = {0};
    char err[HAMD_RECFILE_ERR_MAX];
    unlink(g_path);
    struct hamd_recfile_writer *w = hamd_recfile_writer_open(g_path, &hdr, &opts,
                                                             err, sizeof err);
    assert_non_null(w);
    for (int i = 0; i < ticks; i++) {
        struct hamd_tick t;
        uint8_t body[HAMD_TICK_WIRE_MAX];
        tick_of(i, &t);
        size_t len = hamd_tick_encode(&t, true, body, sizeof body);
        if (i == bad_at)
            len = 1, body[0] = 0x80; /* {}: a map without datetime */
        assert_int_equal(hamd_recfile_writer_tick(w, t.vt_symbol,
                                                  strlen(t.vt_symbol), body,
                                                  len, t.datetime_ns), 0);
    }
    assert_int_equal(hamd_recfile_writer_close(&w, NULL, 0), 0);
}

/* Scans to the end; returns the scan's last answer. */
static int scan_all(struct replay_timeline *tl, char *err, size_t cap)
{
    int rc;
    while ((rc = replay_timeline_scan(tl, SCAN_BUDGET, err, cap)) == 0)
        ;
    return rc;
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_path, sizeof g_path, "/tmp/hamd-timeline-%d.hrec", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_path);
    return 0;
}

static void test_whole_file(void **state)
{
    (void)state;
    write_recording(TICKS, -1);
    struct replay_params p = {.speed_milli = 1000};
    strcpy(p.file, g_path);
    char err[HAMD_RECFILE_ERR_MAX];
    struct replay_timeline *tl = replay_timeline_new(&p, err, sizeof err);
    assert_non_null(tl);
    assert_int_equal(scan_all(tl, err, sizeof err), 1);
    assert_int_equal(tl->ticks, TICKS);
    assert_int_equal(tl->first_ns, T0);
    assert_int_equal(tl->last_ns, T0 + 10 * MS * (TICKS - 2)); /* the last
                                       tick is a late DCE one */
    assert_int_equal(tl->dt_min, T0 - 5 * MS); /* tick 2, DCE, late */
    assert_int_equal(hamd_strmap_size(tl->symbols), 2);
    assert_int_equal(tl->torn_bytes, 0);
    /* a pass: the wider of the pacing and the datetime spans, plus the
     * gap, so the next pass's datetimes are all later */
    assert_int_equal(replay_timeline_loop_ns(tl),
                     10 * MS * (TICKS - 2) + 5 * MS + REPLAY_LOOP_GAP_NS);
    /* the index: a mark every REPLAY_MARK_EVERY_TICKS, found by time */
    assert_int_equal(tl->n_marks, (TICKS + REPLAY_MARK_EVERY_TICKS - 1) /
                                      REPLAY_MARK_EVERY_TICKS);
    const struct replay_mark *m = replay_timeline_find(tl, T0 + 10 * MS * 1500);
    assert_int_equal(m->seq, REPLAY_MARK_EVERY_TICKS);
    assert_true(m->t <= T0 + 10 * MS * 1500);
    assert_int_equal(replay_timeline_find(tl, T0 - 1)->seq, 0);
    replay_timeline_destroy(&tl);
    assert_null(tl);
}

static void test_from_to(void **state)
{
    (void)state;
    write_recording(TICKS, -1);
    struct replay_params p = {.speed_milli = 1000, .has_from = true,
                              .from_ns = T0 + 10 * MS * 100, .has_to = true,
                              .to_ns = T0 + 10 * MS * 200};
    strcpy(p.file, g_path);
    char err[HAMD_RECFILE_ERR_MAX];
    struct replay_timeline *tl = replay_timeline_new(&p, err, sizeof err);
    assert_int_equal(scan_all(tl, err, sizeof err), 1);
    /* ticks 100..200: tick 200 (DCE, 25 ms late) still paces at 1.99 s */
    assert_int_equal(tl->ticks, 101);
    assert_int_equal(tl->first_ns, T0 + 10 * MS * 100);
    assert_true(tl->last_ns < p.to_ns);
    replay_timeline_destroy(&tl);

    p.from_ns = T0 + 10 * MS * (TICKS + 5);
    p.to_ns = p.from_ns + MS;
    tl = replay_timeline_new(&p, err, sizeof err);
    assert_int_equal(scan_all(tl, err, sizeof err), -1);
    assert_non_null(strstr(err, "no tick between params.from and params.to"));
    assert_non_null(strstr(err, g_path));
    replay_timeline_destroy(&tl);
}

static void test_errors_name_file_and_offset(void **state)
{
    (void)state;
    write_recording(10, 4);
    struct replay_params p = {.speed_milli = 1000};
    strcpy(p.file, g_path);
    char err[HAMD_RECFILE_ERR_MAX];
    struct replay_timeline *tl = replay_timeline_new(&p, err, sizeof err);
    assert_int_equal(scan_all(tl, err, sizeof err), -1);
    assert_non_null(strstr(err, g_path));
    assert_non_null(strstr(err, ": offset "));
    assert_non_null(strstr(err, "a tick without an integer datetime"));
    replay_timeline_destroy(&tl);
    strcpy(p.file, "/nonexistent.hrec");
    assert_null(replay_timeline_new(&p, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent.hrec: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whole_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_to, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_file_and_offset, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
