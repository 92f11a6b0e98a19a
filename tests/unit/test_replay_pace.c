/* Unit tests of hamd-gw-replay's pure parts on a fake clock: pacing
 * (src/gw-replay/pace.c: position from the wall clock, due ticks, the
 * re-stamp), the extra map (extra.c) and time params (params.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/clock.h"
#include "common/mpread.h"
#include "common/mpwrite.h"
#include "gw-replay/extra.h"
#include "gw-replay/pace.h"
#include "gw-replay/params.h"

#define S HAMD_NS_PER_S
#define MS HAMD_NS_PER_MS
#define NOW (1750000000LL * S + 123 * MS) /* a wall time in 2025 */
#define FIRST (1735779600LL * S)          /* recorded: 2025-01-02 09:00 CST */
#define LOOP (21 * S)                     /* a 20 s recording + 1 s gap */

static struct replay_pace pace_of(uint32_t speed_milli, bool loop,
                                  int64_t anchor)
{
    return (struct replay_pace){.anchor_ns = anchor, .speed_milli = speed_milli,
                                .first_ns = FIRST, .loop_ns = LOOP,
                                .loop = loop};
}

/* ------------------------------------------------------------------------
 * pace.c
 * ------------------------------------------------------------------------ */

/* Aligned on the epoch at speed 1: the position follows the wall clock,
 * and re-stamping the recorded time reached gives the wall time back. */
static void test_position_follows_the_wall_clock(void **state)
{
    (void)state;
    struct replay_pace p = pace_of(REPLAY_SPEED_UNIT, true, 0);
    struct replay_pos a, b;
    replay_pace_at(&p, NOW, &a);
    assert_false(a.before);
    assert_false(a.ended);
    assert_int_equal(a.loop, NOW / LOOP);
    assert_int_equal(a.rec_ns, FIRST + NOW % LOOP);
    assert_int_equal(replay_pace_restamp(&p, a.loop, a.rec_ns), NOW);
    /* 1.5 s later: 1.5 s further in the recording, or the next pass */
    replay_pace_at(&p, NOW + 1500 * MS, &b);
    if (b.loop == a.loop)
        assert_int_equal(b.rec_ns - a.rec_ns, 1500 * MS);
    else
        assert_int_equal(b.rec_ns, FIRST + (a.rec_ns - FIRST + 1500 * MS) - LOOP);
}

/* Two processes started apart agree on the position at any instant, and
 * re-stamp a tick identically: twins deliver the same ticks. */
static void test_twins_agree(void **state)
{
    (void)state;
    struct replay_pace p1 = pace_of(REPLAY_SPEED_UNIT, true, 0);
    struct replay_pace p2 = p1; /* the same params, another node */
    for (int64_t t = NOW; t < NOW + 3 * LOOP; t += 777 * MS) {
        struct replay_pos a, b;
        replay_pace_at(&p1, t, &a);
        replay_pace_at(&p2, t, &b);
        assert_memory_equal(&a, &b, sizeof a);
        assert_int_equal(replay_pace_restamp(&p1, a.loop, FIRST + 5 * S),
                         replay_pace_restamp(&p2, b.loop, FIRST + 5 * S));
    }
}

/* Speed 1 re-stamps by a shift: spacing kept to the nanosecond (and so
 * whole milliseconds stay whole). */
static void test_speed_1_keeps_spacing_exactly(void **state)
{
    (void)state;
    struct replay_pace p = pace_of(REPLAY_SPEED_UNIT, true, 0);
    int64_t k = NOW / LOOP;
    int64_t base = replay_pace_restamp(&p, k, FIRST);
    assert_int_equal(replay_pace_restamp(&p, k, FIRST + 1), base + 1);
    assert_int_equal(replay_pace_restamp(&p, k, FIRST + 500 * MS),
                     base + 500 * MS);
    assert_int_equal(base % MS, 0);
    /* a localtime before the pass's first tick maps back as well */
    assert_int_equal(replay_pace_restamp(&p, k, FIRST - 3 * MS), base - 3 * MS);
}

/* Every re-stamped time of pass k+1 is later than any of pass k: a
 * contract's datetimes keep growing across the loop. */
static void test_next_pass_is_later(void **state)
{
    (void)state;
    struct replay_pace p = pace_of(REPLAY_SPEED_UNIT, true, 0);
    int64_t last = FIRST + LOOP - 1000 * MS; /* the range's last tick */
    assert_true(replay_pace_restamp(&p, 8, FIRST) >
                replay_pace_restamp(&p, 7, last));
}

/* Speed 2: the recording advances twice as fast and its spacing halves;
 * a time before first_ns still maps monotonically (rounding down). */
static void test_speed_2_compresses(void **state)
{
    (void)state;
    struct replay_pace p = pace_of(2 * REPLAY_SPEED_UNIT, true, NOW);
    struct replay_pos pos;
    replay_pace_at(&p, NOW + 4 * S, &pos);
    assert_int_equal(pos.loop, 0);
    assert_int_equal(pos.rec_ns, FIRST + 8 * S);
    assert_int_equal(replay_pace_restamp(&p, 0, FIRST + 8 * S), NOW + 4 * S);
    assert_int_equal(replay_pace_restamp(&p, 1, FIRST), NOW + LOOP / 2);
    struct replay_pace p3 = pace_of(3 * REPLAY_SPEED_UNIT, true, NOW);
    int64_t prev = INT64_MIN;
    for (int64_t x = FIRST - 10; x <= FIRST + 10; x++) {
        int64_t w = replay_pace_restamp(&p3, 0, x);
        assert_true(w >= prev);
        prev = w;
    }
    assert_int_equal(replay_pace_restamp(&p3, 0, FIRST - 1), NOW - 1);
}

/* Due: a tick is due once the position reached it, not before; a cursor
 * in an older pass is due at once (catching up). */
static void test_due(void **state)
{
    (void)state;
    struct replay_pace p = pace_of(REPLAY_SPEED_UNIT, true, 0);
    struct replay_pos pos;
    replay_pace_at(&p, NOW, &pos);
    assert_true(replay_pace_due(&p, &pos, pos.loop, pos.rec_ns));
    assert_false(replay_pace_due(&p, &pos, pos.loop, pos.rec_ns + 1));
    assert_true(replay_pace_due(&p, &pos, pos.loop - 1, FIRST + LOOP - 1));
    assert_false(replay_pace_due(&p, &pos, pos.loop + 1, FIRST));
    /* due exactly at its re-stamped wall time */
    int64_t t = pos.rec_ns + 250 * MS;
    int64_t at = replay_pace_restamp(&p, pos.loop, t);
    replay_pace_at(&p, at - 1, &pos);
    assert_false(replay_pace_due(&p, &pos, pos.loop, t));
    replay_pace_at(&p, at, &pos);
    assert_true(replay_pace_due(&p, &pos, pos.loop, t));
}

/* One pass: nothing before the anchor, pass 0 only, then ended. */
static void test_one_pass(void **state)
{
    (void)state;
    struct replay_pace p = pace_of(REPLAY_SPEED_UNIT, false, NOW);
    struct replay_pos pos;
    replay_pace_at(&p, NOW - 1, &pos);
    assert_true(pos.before);
    assert_false(replay_pace_due(&p, &pos, 0, FIRST));
    replay_pace_at(&p, NOW, &pos);
    assert_true(replay_pace_due(&p, &pos, 0, FIRST));
    replay_pace_at(&p, NOW + LOOP + 1, &pos);
    assert_true(pos.ended);
    assert_true(replay_pace_due(&p, &pos, 0, FIRST + LOOP - 1));
    assert_false(replay_pace_due(&p, &pos, 1, FIRST));
}

/* Speed 0: everything is due; the re-stamp is a shift from the anchor. */
static void test_speed_0_is_unpaced(void **state)
{
    (void)state;
    struct replay_pace p = pace_of(0, true, NOW);
    struct replay_pos pos = {0};
    assert_true(replay_pace_due(&p, &pos, 5, FIRST + LOOP - 1));
    assert_int_equal(replay_pace_restamp(&p, 0, FIRST + 7), NOW + 7);
    assert_int_equal(replay_pace_restamp(&p, 2, FIRST), NOW + 2 * LOOP);
    assert_false(replay_pace_too_far_behind(&p, &pos, -100));
}

/* A cursor more than a whole pass behind jumps instead of flooding. */
static void test_too_far_behind(void **state)
{
    (void)state;
    struct replay_pace p = pace_of(REPLAY_SPEED_UNIT, true, 0);
    struct replay_pos pos;
    replay_pace_at(&p, NOW, &pos);
    assert_false(replay_pace_too_far_behind(&p, &pos, pos.loop));
    assert_false(replay_pace_too_far_behind(&p, &pos, pos.loop - 1));
    assert_true(replay_pace_too_far_behind(&p, &pos, pos.loop - 2));
}

/* ------------------------------------------------------------------------
 * extra.c
 * ------------------------------------------------------------------------ */

/* Reads integer key `key` of the map; false when absent. */
static bool map_int(const uint8_t *map, size_t len, const char *key,
                    int64_t *out)
{
    const char *keys[] = {key};
    struct hamd_mpr_val v;
    assert_true(hamd_mpr_map_find(map, len, keys, &v, 1));
    return hamd_mpr_val_i64(&v, out);
}

static size_t map_entries(const uint8_t *map, size_t len)
{
    struct hamd_mpr r;
    struct hamd_mpr_val v;
    hamd_mpr_init(&r, map, len);
    assert_true(hamd_mpr_read(&r, &v));
    assert_int_equal(v.kind, HAMD_MPR_MAP);
    return v.v.n;
}

/* {key: value} encoded, plus `pad` string bytes under "pad" when > 0. */
static size_t small_map(uint8_t *buf, size_t cap, const char *key,
                        int64_t value, size_t pad)
{
    char text[300];
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_map(&w.pk, pad ? 2 : 1);
    hamd_mpw_str(&w, key);
    msgpack_pack_int64(&w.pk, value);
    if (pad) {
        memset(text, 'x', pad);
        text[pad] = '\0';
        hamd_mpw_str(&w, "pad");
        hamd_mpw_str(&w, text);
    }
    return hamd_mpw_finish(&w);
}

static void test_extra_keeps_recorded_and_adds_ours(void **state)
{
    (void)state;
    uint8_t old[64], out[256];
    size_t old_len = small_map(old, sizeof old, "sim_seq", 41, 0);
    struct replay_extra add = {.loop = 3, .seq = 17, .keep_recorded = true,
                               .recorded_ns = FIRST};
    bool dropped;
    size_t len = replay_extra_build(old, old_len, &add, out, sizeof out,
                                    &dropped);
    assert_true(len > 0);
    assert_false(dropped);
    int64_t v;
    assert_int_equal(map_entries(out, len), 4);
    assert_true(map_int(out, len, "sim_seq", &v) && v == 41);
    assert_true(map_int(out, len, REPLAY_EXTRA_LOOP, &v) && v == 3);
    assert_true(map_int(out, len, REPLAY_EXTRA_SEQ, &v) && v == 17);
    assert_true(map_int(out, len, REPLAY_EXTRA_RECORDED, &v) && v == FIRST);
    /* a recorded replay_seq (a replay of a replay) is replaced */
    old_len = small_map(old, sizeof old, REPLAY_EXTRA_SEQ, 99, 0);
    add.keep_recorded = false;
    len = replay_extra_build(old, old_len, &add, out, sizeof out, &dropped);
    assert_int_equal(map_entries(out, len), 2);
    assert_true(map_int(out, len, REPLAY_EXTRA_SEQ, &v) && v == 17);
    assert_false(map_int(out, len, REPLAY_EXTRA_RECORDED, &v));
}

static void test_extra_too_large_drops_recorded(void **state)
{
    (void)state;
    uint8_t old[300], out[256];
    size_t old_len = small_map(old, sizeof old, "sim_seq", 1, 230);
    struct replay_extra add = {.loop = 1, .seq = 2};
    bool dropped;
    size_t len = replay_extra_build(old, old_len, &add, out, sizeof out,
                                    &dropped);
    assert_true(dropped);
    assert_int_equal(map_entries(out, len), 2);
    int64_t v;
    assert_false(map_int(out, len, "sim_seq", &v));
    len = replay_extra_build(NULL, 0, &add, out, sizeof out, &dropped);
    assert_false(dropped);
    assert_int_equal(map_entries(out, len), 2);
}

/* ------------------------------------------------------------------------
 * params.c
 * ------------------------------------------------------------------------ */

static void test_time_parse(void **state)
{
    (void)state;
    int64_t ns;
    /* the first night-session minute after midnight, China time */
    assert_int_equal(replay_time_parse("2025-01-03T00:00:00+08:00", &ns), 0);
    assert_int_equal(ns, 1735833600LL * S);
    assert_int_equal(replay_time_parse("2025-01-02T16:00:00.250Z", &ns), 0);
    assert_int_equal(ns, 1735833600LL * S + 250 * MS);
    assert_int_equal(replay_time_parse("2025-01-02T11:00:00.000000001-0500",
                                       &ns), 0);
    assert_int_equal(ns, 1735833600LL * S + 1);
    assert_int_equal(replay_time_parse("2025-01-02T16:00:00", &ns), -1);
    assert_int_equal(replay_time_parse("2025-01-02 16:00:00Z", &ns), -1);
    assert_int_equal(replay_time_parse("2025-13-02T16:00:00Z", &ns), -1);
    assert_int_equal(replay_time_parse("2025-01-02T16:00:00.Z", &ns), -1);
    assert_int_equal(replay_time_parse("2025-01-02T16:00:00.1234567891Z",
                                       &ns), -1);
    assert_int_equal(replay_time_parse("2025-01-02T16:00:00+08:00 ", &ns), -1);
    /* a day the month does not have: refused, not read as the next month */
    assert_int_equal(replay_time_parse("2025-02-29T09:00:00+08:00", &ns), -1);
    assert_int_equal(replay_time_parse("2025-06-31T09:00:00+08:00", &ns), -1);
    assert_int_equal(replay_time_parse("2024-02-29T09:00:00+08:00", &ns), 0);
    assert_int_equal(replay_time_parse("2100-02-29T00:00:00Z", &ns), -1);
    assert_int_equal(replay_time_parse("2000-02-29T00:00:00Z", &ns), 0);
}

static void test_params(void **state)
{
    (void)state;
    struct replay_params p;
    char err[REPLAY_PARAMS_ERR_MAX];
    assert_int_equal(replay_params_parse("{\"file\": \"/r.hrec\"}", &p, err,
                                         sizeof err), 0);
    assert_int_equal(p.speed_milli, REPLAY_SPEED_UNIT);
    assert_true(p.loop);
    assert_int_equal(p.start, REPLAY_START_ALIGNED);
    assert_int_equal(replay_params_parse(
        "{\"file\": \"/r.hrec\", \"speed\": 0.5, \"from\": "
        "\"2025-01-02T09:00:00+08:00\", \"to\": 1735779700000000000, "
        "\"start_at\": \"launch\", \"keep_recorded_time\": true}",
        &p, err, sizeof err), 0);
    assert_int_equal(p.speed_milli, 500);
    assert_true(p.has_from && p.from_ns == 1735779600LL * S);
    assert_true(p.has_to && p.to_ns == 1735779700LL * S);
    assert_int_equal(p.start, REPLAY_START_LAUNCH);
    assert_true(p.keep_recorded_time);
    static const struct {
        const char *json, *key;
    } bad[] = {
        {"{}", "file:"},
        {"{\"file\": \"/r\", \"speed\": -1}", "speed:"},
        {"{\"file\": \"/r\", \"speed\": 1001}", "speed:"},
        {"{\"file\": \"/r\", \"loop\": false}", "start_at:"},
        {"{\"file\": \"/r\", \"from\": \"yesterday\"}", "from:"},
        {"{\"file\": \"/r\", \"from\": 5, \"to\": 5}", "to:"},
        {"{\"file\": \"/r\", \"keep_recorded_time\": 1}", "keep_recorded_time:"},
        {"[1]", "params:"},
        {"{\"file\": ", "params:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(replay_params_parse(bad[i].json, &p, err, sizeof err),
                         -1);
        if (strncmp(err, bad[i].key, strlen(bad[i].key)) != 0)
            fail_msg("%s: error '%s' does not name %s", bad[i].json, err,
                     bad[i].key);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_position_follows_the_wall_clock),
        cmocka_unit_test(test_twins_agree),
        cmocka_unit_test(test_speed_1_keeps_spacing_exactly),
        cmocka_unit_test(test_next_pass_is_later),
        cmocka_unit_test(test_speed_2_compresses),
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_one_pass),
        cmocka_unit_test(test_speed_0_is_unpaced),
        cmocka_unit_test(test_too_far_behind),
        cmocka_unit_test(test_extra_keeps_recorded_and_adds_ours),
        cmocka_unit_test(test_extra_too_large_drops_recorded),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
