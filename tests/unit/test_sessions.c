/* Trading sessions: windows, night sessions across midnight, UTC offsets,
 * trading days, holidays, the next opening, holiday-file lines. Times are
 * built with timegm (no clock is read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/clock.h"
#include "core/sessions.h"

#define SHANGHAI_MIN 480   /* UTC+8 */
#define NEW_YORK_MIN (-300) /* UTC-5 */

/* Epoch ns of local wall time 2026-06-DAY HH:MM at offset_min from UTC.
 * June 2026: 22 = Monday ... 26 = Friday, 27 = Saturday, 28 = Sunday. */
static int64_t at(int day, int hh, int mm, int offset_min)
{
    struct tm tm = {.tm_year = 2026 - 1900, .tm_mon = 5, .tm_mday = day,
                    .tm_hour = hh, .tm_min = mm};
    int64_t utc_s = (int64_t)timegm(&tm) - (int64_t)offset_min * 60;
    return utc_s * HAMD_NS_PER_S;
}

/* SHFE-like: 09:00-11:30, 13:30-15:00, night 21:00-02:30. */
static struct hamd_exchange_sessions shfe(void)
{
    struct hamd_exchange_sessions ex = {.exchange = "SHFE", .n_windows = 3};
    ex.windows[0] = (struct hamd_session_window){9 * 60, 11 * 60 + 30};
    ex.windows[1] = (struct hamd_session_window){13 * 60 + 30, 15 * 60};
    ex.windows[2] = (struct hamd_session_window){21 * 60, 2 * 60 + 30};
    return ex;
}

static enum hamd_session_state state_at(const struct hamd_exchange_sessions *ex,
                                        int64_t t, int64_t *opened)
{
    return hamd_sessions_state(ex, t, SHANGHAI_MIN, HAMD_SESSION_EVERY_DAY,
                               opened);
}

static void test_unconfigured(void **state)
{
    (void)state;
    struct hamd_exchange_sessions none = {.exchange = "CFFEX"};
    int64_t t = at(24, 10, 0, SHANGHAI_MIN);
    assert_int_equal(state_at(NULL, t, NULL), HAMD_SESSION_UNCONFIGURED);
    assert_int_equal(state_at(&none, t, NULL), HAMD_SESSION_UNCONFIGURED);
}

static void test_day_window_bounds(void **state)
{
    (void)state;
    struct hamd_exchange_sessions ex = shfe();
    int64_t opened = -1;
    assert_int_equal(state_at(&ex, at(24, 8, 59, SHANGHAI_MIN), &opened),
                     HAMD_SESSION_CLOSED);
    assert_int_equal(opened, -1); /* untouched when not open */
    assert_int_equal(state_at(&ex, at(24, 9, 0, SHANGHAI_MIN), &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, at(24, 9, 0, SHANGHAI_MIN));
    assert_int_equal(state_at(&ex, at(24, 11, 29, SHANGHAI_MIN) +
                                       59 * HAMD_NS_PER_S,
                              &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(state_at(&ex, at(24, 11, 30, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_CLOSED);
    /* the lunch break, then the afternoon window with its own open time */
    assert_int_equal(state_at(&ex, at(24, 12, 0, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_CLOSED);
    assert_int_equal(state_at(&ex, at(24, 14, 0, SHANGHAI_MIN), &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, at(24, 13, 30, SHANGHAI_MIN));
    assert_int_equal(state_at(&ex, at(24, 15, 0, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_CLOSED);
}

static void test_night_session_across_midnight(void **state)
{
    (void)state;
    struct hamd_exchange_sessions ex = shfe();
    int64_t opened = 0;
    assert_int_equal(state_at(&ex, at(24, 20, 59, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_CLOSED);
    assert_int_equal(state_at(&ex, at(24, 23, 0, SHANGHAI_MIN), &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, at(24, 21, 0, SHANGHAI_MIN));
    /* after midnight the window still counts from yesterday 21:00 */
    assert_int_equal(state_at(&ex, at(25, 0, 0, SHANGHAI_MIN), &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, at(24, 21, 0, SHANGHAI_MIN));
    assert_int_equal(state_at(&ex, at(25, 2, 29, SHANGHAI_MIN), &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, at(24, 21, 0, SHANGHAI_MIN));
    assert_int_equal(state_at(&ex, at(25, 2, 30, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_CLOSED);
}

static void test_timezone_offset(void **state)
{
    (void)state;
    struct hamd_exchange_sessions ex = shfe();
    /* 02:45 UTC is 10:45 in Shanghai: open there, closed on UTC clocks */
    int64_t t = at(24, 2, 45, 0);
    int64_t opened = 0;
    assert_int_equal(hamd_sessions_state(&ex, t, SHANGHAI_MIN,
                                         HAMD_SESSION_EVERY_DAY, &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, at(24, 1, 0, 0)); /* 09:00 +08 = 01:00 UTC */
    assert_int_equal(hamd_sessions_state(&ex, t, 0, HAMD_SESSION_EVERY_DAY,
                                         NULL),
                     HAMD_SESSION_CLOSED);
    /* a negative offset: 09:30 in New York is 14:30 UTC */
    assert_int_equal(hamd_sessions_state(&ex, at(24, 9, 30, NEW_YORK_MIN),
                                         NEW_YORK_MIN,
                                         HAMD_SESSION_EVERY_DAY, &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, at(24, 9, 0, NEW_YORK_MIN));
}

static void test_offset_out_of_range(void **state)
{
    (void)state;
    struct hamd_exchange_sessions ex = shfe();
    int64_t t = at(24, 10, 0, SHANGHAI_MIN);
    assert_int_equal(hamd_sessions_state(&ex, t, HAMD_SESSION_OFFSET_MAX_MIN +
                                                     1,
                                         HAMD_SESSION_EVERY_DAY, NULL),
                     HAMD_SESSION_UNCONFIGURED);
    assert_int_equal(hamd_sessions_state(&ex, t,
                                         -HAMD_SESSION_OFFSET_MAX_MIN - 1,
                                         HAMD_SESSION_EVERY_DAY, NULL),
                     HAMD_SESSION_UNCONFIGURED);
}

static void test_before_epoch(void **state)
{
    (void)state;
    /* 1969-12-31 (a Wednesday) 23:30 UTC: floor division keeps the day */
    struct hamd_exchange_sessions ex = {.exchange = "X", .n_windows = 1};
    ex.windows[0] = (struct hamd_session_window){23 * 60, 23 * 60 + 59};
    int64_t t = -30 * 60 * HAMD_NS_PER_S;
    int64_t opened = 0;
    assert_int_equal(hamd_sessions_state(&ex, t, 0, HAMD_SESSION_WEEKDAYS,
                                         &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, -60 * 60 * HAMD_NS_PER_S);
    assert_int_equal(hamd_sessions_state(&ex, t, 0,
                                         HAMD_SESSION_DAY_BIT(4), NULL),
                     HAMD_SESSION_CLOSED); /* Thursday only */
}

static enum hamd_session_state weekday_state(int day, int hh, int mm)
{
    struct hamd_exchange_sessions ex = shfe();
    return hamd_sessions_state(&ex, at(day, hh, mm, SHANGHAI_MIN),
                               SHANGHAI_MIN, HAMD_SESSION_WEEKDAYS, NULL);
}

static void test_trading_days(void **state)
{
    (void)state;
    assert_int_equal(weekday_state(26, 10, 0), HAMD_SESSION_OPEN);   /* Fri */
    assert_int_equal(weekday_state(26, 22, 0), HAMD_SESSION_OPEN);   /* night */
    /* Friday's night session runs into Saturday morning */
    assert_int_equal(weekday_state(27, 1, 0), HAMD_SESSION_OPEN);
    assert_int_equal(weekday_state(27, 10, 0), HAMD_SESSION_CLOSED); /* Sat */
    assert_int_equal(weekday_state(28, 21, 30), HAMD_SESSION_CLOSED); /* Sun */
    /* Monday 01:00 would be Sunday's night session: closed */
    assert_int_equal(weekday_state(29, 1, 0), HAMD_SESSION_CLOSED);
    assert_int_equal(weekday_state(29, 9, 0), HAMD_SESSION_OPEN);    /* Mon */
    /* every day: Saturday morning opens like any other day */
    struct hamd_exchange_sessions ex = shfe();
    assert_int_equal(hamd_sessions_state(&ex, at(27, 10, 0, SHANGHAI_MIN),
                                         SHANGHAI_MIN, HAMD_SESSION_EVERY_DAY,
                                         NULL),
                     HAMD_SESSION_OPEN);
}

static void test_until_midnight_and_overlap(void **state)
{
    (void)state;
    struct hamd_exchange_sessions ex = {.exchange = "X", .n_windows = 2};
    ex.windows[0] = (struct hamd_session_window){22 * 60, 1440};
    ex.windows[1] = (struct hamd_session_window){21 * 60, 23 * 60};
    int64_t opened = 0;
    assert_int_equal(state_at(&ex, at(24, 23, 59, SHANGHAI_MIN), &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, at(24, 22, 0, SHANGHAI_MIN));
    /* both open at 22:30: the earliest opening wins */
    assert_int_equal(state_at(&ex, at(24, 22, 30, SHANGHAI_MIN), &opened),
                     HAMD_SESSION_OPEN);
    assert_int_equal(opened, at(24, 21, 0, SHANGHAI_MIN));
    assert_int_equal(state_at(&ex, at(25, 0, 0, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_CLOSED);
}

static void test_malformed_windows(void **state)
{
    (void)state;
    char err[160] = "";
    struct hamd_exchange_sessions ex = shfe();
    assert_true(hamd_sessions_validate(&ex, err, sizeof err));

    ex.windows[1] = (struct hamd_session_window){600, 600}; /* empty */
    assert_false(hamd_sessions_validate(&ex, err, sizeof err));
    assert_non_null(strstr(err, "SHFE: window 2"));
    /* skipped at run time, the valid windows still count */
    assert_int_equal(state_at(&ex, at(24, 14, 0, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_CLOSED);
    assert_int_equal(state_at(&ex, at(24, 10, 0, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_OPEN);

    ex.windows[1] = (struct hamd_session_window){-1, 600};
    assert_false(hamd_sessions_validate(&ex, err, sizeof err));
    ex.windows[1] = (struct hamd_session_window){1440, 600};
    assert_false(hamd_sessions_validate(&ex, err, sizeof err));
    ex.windows[1] = (struct hamd_session_window){600, 1441};
    assert_false(hamd_sessions_validate(&ex, err, sizeof err));

    ex = shfe();
    ex.n_windows = HAMD_MAX_SESSIONS + 1; /* must not read past the array */
    assert_false(hamd_sessions_validate(&ex, err, sizeof err));
    assert_int_equal(state_at(&ex, at(24, 23, 0, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_OPEN);
    assert_false(hamd_sessions_validate(NULL, NULL, 0));
}

static void test_find_and_names(void **state)
{
    (void)state;
    struct hamd_exchange_sessions table[2] = {shfe(), {.exchange = "DCE"}};
    assert_ptr_equal(hamd_sessions_find(table, 2, "DCE"), &table[1]);
    assert_ptr_equal(hamd_sessions_find(table, 2, "SHFE"), &table[0]);
    assert_null(hamd_sessions_find(table, 2, "CZCE"));
    assert_null(hamd_sessions_find(table, 1, "DCE"));
    assert_null(hamd_sessions_find(NULL, 2, "DCE"));
    assert_null(hamd_sessions_find(table, 2, NULL));
    assert_string_equal(hamd_sessions_state_name(HAMD_SESSION_OPEN), "open");
    assert_string_equal(hamd_sessions_state_name(HAMD_SESSION_CLOSED),
                        "closed");
    assert_string_equal(hamd_sessions_state_name(HAMD_SESSION_UNCONFIGURED),
                        "unconfigured");
}

/* ------------------------------------------------------------------------
 * Holidays and the next session
 * ------------------------------------------------------------------------ */

/* The date of "YYYY-MM-DD" as the calendar counts it. */
static int32_t date_of(const char *text)
{
    int32_t d = 0;
    char why[128];
    assert_int_equal(hamd_holiday_line_parse(text, &d, why, sizeof why), 1);
    return d;
}

/* Shanghai, weekdays, with the holidays given (ascending). */
static struct hamd_calendar china(const int32_t *holidays, unsigned n)
{
    return (struct hamd_calendar){SHANGHAI_MIN, HAMD_SESSION_WEEKDAYS,
                                  holidays, n};
}

static enum hamd_session_state cal_state(const struct hamd_calendar *cal,
                                         int day, int hh, int mm)
{
    struct hamd_exchange_sessions ex = shfe();
    return hamd_calendar_state(&ex, cal, at(day, hh, mm, SHANGHAI_MIN), NULL);
}

/* 2026-06-19 (Friday) is a holiday (Dragon Boat Festival): its day
 * session, Thursday's night session (which trades for Friday) and
 * Friday's own night session do not open; Monday's do. */
static void test_holiday_closes_its_sessions(void **state)
{
    (void)state;
    int32_t h[] = {date_of("2026-06-19")};
    struct hamd_calendar cal = china(h, 1);
    assert_true(hamd_calendar_is_holiday(&cal, h[0]));
    assert_false(hamd_calendar_is_holiday(&cal, h[0] + 1));
    assert_int_equal(cal_state(&cal, 18, 10, 0), HAMD_SESSION_OPEN);  /* Thu */
    assert_int_equal(cal_state(&cal, 18, 21, 30), HAMD_SESSION_CLOSED);
    assert_int_equal(cal_state(&cal, 19, 1, 0), HAMD_SESSION_CLOSED);
    assert_int_equal(cal_state(&cal, 19, 10, 0), HAMD_SESSION_CLOSED); /* Fri */
    assert_int_equal(cal_state(&cal, 19, 22, 0), HAMD_SESSION_CLOSED);
    assert_int_equal(cal_state(&cal, 22, 9, 0), HAMD_SESSION_OPEN);   /* Mon */
    assert_int_equal(cal_state(&cal, 22, 21, 0), HAMD_SESSION_OPEN);
    /* Without the holiday, Thursday night trades. */
    struct hamd_calendar plain = china(NULL, 0);
    assert_int_equal(cal_state(&plain, 18, 21, 30), HAMD_SESSION_OPEN);
    assert_int_equal(cal_state(&plain, 19, 10, 0), HAMD_SESSION_OPEN);
}

/* A Monday holiday cancels the Friday night session before it: that
 * session trades for Monday. A day after a holiday trades normally. */
static void test_friday_night_before_a_monday_holiday(void **state)
{
    (void)state;
    int32_t h[] = {date_of("2026-06-29")};
    struct hamd_calendar cal = china(h, 1);
    assert_int_equal(cal_state(&cal, 26, 14, 0), HAMD_SESSION_OPEN);  /* Fri */
    assert_int_equal(cal_state(&cal, 26, 21, 30), HAMD_SESSION_CLOSED);
    assert_int_equal(cal_state(&cal, 27, 1, 0), HAMD_SESSION_CLOSED);
    assert_int_equal(cal_state(&cal, 29, 10, 0), HAMD_SESSION_CLOSED); /* Mon */
    assert_int_equal(cal_state(&cal, 30, 9, 30), HAMD_SESSION_OPEN);  /* Tue */
    /* Monday night trades for Tuesday. */
    int32_t tue[] = {date_of("2026-06-30")};
    struct hamd_calendar cal2 = china(tue, 1);
    assert_int_equal(cal_state(&cal2, 29, 21, 30), HAMD_SESSION_CLOSED);
    assert_int_equal(cal_state(&cal2, 29, 10, 0), HAMD_SESSION_OPEN);
}

/* A window before 18:00 belongs to its own day, whatever follows. */
static void test_evening_cut_between_day_and_night(void **state)
{
    (void)state;
    struct hamd_exchange_sessions ex = {.exchange = "X", .n_windows = 2};
    ex.windows[0] = (struct hamd_session_window){17 * 60, 17 * 60 + 59};
    ex.windows[1] = (struct hamd_session_window){18 * 60, 19 * 60};
    int32_t h[] = {date_of("2026-06-26")}; /* the Friday */
    struct hamd_calendar cal = china(h, 1);
    /* Thursday 17:30 trades; Thursday 18:30 is a night of Friday: not. */
    assert_int_equal(hamd_calendar_state(&ex, &cal,
                                         at(25, 17, 30, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_OPEN);
    assert_int_equal(hamd_calendar_state(&ex, &cal,
                                         at(25, 18, 30, SHANGHAI_MIN), NULL),
                     HAMD_SESSION_CLOSED);
}

static int64_t next_open(const struct hamd_calendar *cal, int day, int hh,
                         int mm)
{
    struct hamd_exchange_sessions ex = shfe();
    return hamd_calendar_next_open(&ex, cal, at(day, hh, mm, SHANGHAI_MIN));
}

static void test_next_open(void **state)
{
    (void)state;
    struct hamd_calendar plain = china(NULL, 0);
    /* Thursday after the close: the night session. */
    assert_int_equal(next_open(&plain, 18, 16, 0), at(18, 21, 0, SHANGHAI_MIN));
    /* Inside a window: the next one, not the current. */
    assert_int_equal(next_open(&plain, 22, 10, 0),
                     at(22, 13, 30, SHANGHAI_MIN));
    /* At the very minute a window opens: the one after. */
    assert_int_equal(next_open(&plain, 22, 9, 0),
                     at(22, 13, 30, SHANGHAI_MIN));
    /* Saturday after Friday's night: Monday morning (no Sunday night). */
    assert_int_equal(next_open(&plain, 27, 3, 0), at(29, 9, 0, SHANGHAI_MIN));
    /* The holiday Friday: from Thursday afternoon to Monday 09:00. */
    int32_t h[] = {date_of("2026-06-19")};
    struct hamd_calendar cal = china(h, 1);
    assert_int_equal(next_open(&cal, 18, 16, 0), at(22, 9, 0, SHANGHAI_MIN));
    /* Unconfigured, or a closure past the look-ahead: none. */
    assert_int_equal(hamd_calendar_next_open(NULL, &cal, 0), 0);
    int32_t many[HAMD_SESSION_LOOKAHEAD_DAYS + 2];
    for (unsigned i = 0; i < sizeof many / sizeof many[0]; i++)
        many[i] = date_of("2026-06-22") + (int32_t)i;
    struct hamd_calendar closed = china(many, sizeof many / sizeof many[0]);
    assert_int_equal(next_open(&closed, 22, 8, 0), 0);
}

static void test_quiet(void **state)
{
    (void)state;
    struct hamd_exchange_sessions ex = shfe();
    int32_t h[] = {date_of("2026-06-19")};
    struct hamd_calendar cal = china(h, 1);
    int64_t lead = 5 * 60 * HAMD_NS_PER_S;
    /* The long weekend of the holiday: quiet. */
    assert_true(hamd_calendar_quiet(&ex, &cal, at(19, 12, 0, SHANGHAI_MIN),
                                    lead));
    /* Four minutes before Monday's open: no longer. Open: never. */
    assert_false(hamd_calendar_quiet(&ex, &cal, at(22, 8, 56, SHANGHAI_MIN),
                                     lead));
    assert_true(hamd_calendar_quiet(&ex, &cal, at(22, 8, 54, SHANGHAI_MIN),
                                    lead));
    assert_false(hamd_calendar_quiet(&ex, &cal, at(22, 9, 30, SHANGHAI_MIN),
                                     lead));
    /* Nothing known of an exchange without sessions: never quiet. */
    assert_false(hamd_calendar_quiet(NULL, &cal, 0, lead));
    /* Closed for good (no opening ahead): quiet. */
    int32_t many[HAMD_SESSION_LOOKAHEAD_DAYS + 2];
    for (unsigned i = 0; i < sizeof many / sizeof many[0]; i++)
        many[i] = date_of("2026-06-22") + (int32_t)i;
    struct hamd_calendar closed = china(many, sizeof many / sizeof many[0]);
    assert_true(hamd_calendar_quiet(&ex, &closed, at(22, 10, 0, SHANGHAI_MIN),
                                    lead));
}

static void expect_bad_line(const char *line, const char *frag)
{
    int32_t d = -1;
    char why[160] = "";
    assert_int_equal(hamd_holiday_line_parse(line, &d, why, sizeof why), -1);
    if (!strstr(why, frag))
        fail_msg("expected '%s' in '%s'", frag, why);
}

static void test_holiday_lines(void **state)
{
    (void)state;
    int32_t d = -1;
    char why[160], buf[16];
    assert_int_equal(hamd_holiday_line_parse("1970-01-01", &d, why, sizeof why),
                     1);
    assert_int_equal(d, 0);
    /* The calendar's day: what the session clock counts (timegm / day). */
    assert_int_equal(date_of("2026-06-19"),
                     (at(19, 0, 0, 0) / HAMD_NS_PER_S) / 86400);
    assert_int_equal(date_of("  2026-06-19\t# Dragon Boat\r\n"),
                     date_of("2026-06-19"));
    assert_int_equal(date_of("2024-02-29"), date_of("2024-02-28") + 1);
    assert_int_equal(hamd_holiday_line_parse("", &d, why, sizeof why), 0);
    assert_int_equal(hamd_holiday_line_parse("   \n", &d, why, sizeof why), 0);
    assert_int_equal(hamd_holiday_line_parse("# 2026-01-01\n", &d, why,
                                             sizeof why),
                     0);
    expect_bad_line("2026-1-01", "expected a date YYYY-MM-DD, got '2026-1-01'");
    expect_bad_line("26-01-01", "expected a date");
    expect_bad_line("2026-01-01x", "got '2026-01-01x'");
    expect_bad_line("2026-01-01 2026-01-02", "expected a date");
    expect_bad_line("2026-00-10", "no such date: 2026-00-10");
    expect_bad_line("2026-04-31", "no such date");
    expect_bad_line("2100-02-29", "no such date");
    expect_bad_line("1969-12-31", "no such date");
    hamd_holiday_format(date_of("2026-10-01"), buf, sizeof buf);
    assert_string_equal(buf, "2026-10-01");
    hamd_holiday_format(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01");
    hamd_holiday_format(date_of("2000-03-01"), buf, sizeof buf);
    assert_string_equal(buf, "2000-03-01");
}

static void test_holidays_sort(void **state)
{
    (void)state;
    int32_t v[] = {30, 10, 20};
    assert_int_equal(hamd_holidays_sort(v, 3), -1);
    assert_int_equal(v[0], 10);
    assert_int_equal(v[2], 30);
    int32_t dup[] = {5, 9, 5};
    assert_int_equal(hamd_holidays_sort(dup, 3), 1);
    assert_int_equal(hamd_holidays_sort(dup, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unconfigured),
        cmocka_unit_test(test_day_window_bounds),
        cmocka_unit_test(test_night_session_across_midnight),
        cmocka_unit_test(test_timezone_offset),
        cmocka_unit_test(test_offset_out_of_range),
        cmocka_unit_test(test_before_epoch),
        cmocka_unit_test(test_trading_days),
        cmocka_unit_test(test_until_midnight_and_overlap),
        cmocka_unit_test(test_malformed_windows),
        cmocka_unit_test(test_holiday_closes_its_sessions),
        cmocka_unit_test(test_friday_night_before_a_monday_holiday),
        cmocka_unit_test(test_evening_cut_between_day_and_night),
        cmocka_unit_test(test_next_open),
        cmocka_unit_test(test_quiet),
        cmocka_unit_test(test_holiday_lines),
        cmocka_unit_test(test_holidays_sort),
        cmocka_unit_test(test_find_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
