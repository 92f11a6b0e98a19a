/* Trading sessions: pure calendar arithmetic, holidays included. See
 * sessions.h. */
#include "core/sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

#define NS_PER_MIN (60 * HAMD_NS_PER_S)
#define NS_PER_DAY ((int64_t)HAMD_SESSION_DAY_MIN * NS_PER_MIN)
#define EPOCH_WEEKDAY 4 /* 1970-01-01 was a Thursday (0 = Sunday) */
#define DAYS_PER_WEEK 7
#define HOLIDAY_DATE_LEN 10  /* "YYYY-MM-DD" */
#define HOLIDAY_ECHO_MAX 40  /* bytes of a bad line quoted back */
#define HOLIDAY_YEAR_MIN 1970  /* earliest year of a holiday date */
#define HOLIDAY_YEAR_MAX 9999  /* latest: four digits */

/* ------------------------------------------------------------------------
 * Days and windows
 * ------------------------------------------------------------------------ */

/* Floor division: correct for times before the epoch too. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static unsigned weekday_of(int64_t day)
{
    int64_t w = (day + EPOCH_WEEKDAY) % DAYS_PER_WEEK;
    return (unsigned)(w < 0 ? w + DAYS_PER_WEEK : w);
}

static bool window_valid(const struct hamd_session_window *w)
{
    return w->start_min >= 0 && w->start_min < HAMD_SESSION_DAY_MIN &&
           w->end_min >= 0 && w->end_min <= HAMD_SESSION_DAY_MIN &&
           w->start_min != w->end_min;
}

/* True when window w contains minute m of local day `day`; *open_day is
 * the day the window opened. A night window contains the early minutes of
 * the day after the one it opened on. */
static bool window_contains(const struct hamd_session_window *w, int64_t day,
                            int m, int64_t *open_day)
{
    *open_day = day;
    if (w->start_min < w->end_min)
        return m >= w->start_min && m < w->end_min;
    if (m >= w->start_min)
        return true;
    *open_day = day - 1;
    return m < w->end_min;
}

/* ------------------------------------------------------------------------
 * The calendar
 * ------------------------------------------------------------------------ */

bool hamd_calendar_is_holiday(const struct hamd_calendar *cal, int32_t date)
{
    unsigned lo = 0, hi = cal && cal->holidays ? cal->n_holidays : 0;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (cal->holidays[mid] == date)
            return true;
        if (cal->holidays[mid] < date)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* True when windows may open on local day `day`: a trading weekday that is
 * not a holiday. */
static bool day_trades(const struct hamd_calendar *cal, int64_t day)
{
    return (cal->trading_days & HAMD_SESSION_DAY_BIT(weekday_of(day))) &&
           !hamd_calendar_is_holiday(cal, (int32_t)day);
}

/* True when window w, opening on local day `day`, trades: the day trades
 * and, for a night window, so does the next trading weekday after it
 * (the night session belongs to it). */
static bool window_trades(const struct hamd_calendar *cal,
                          const struct hamd_session_window *w, int64_t day)
{
    if (!day_trades(cal, day))
        return false;
    if (w->start_min < HAMD_SESSION_NIGHT_START_MIN)
        return true;
    int64_t next = day + 1;
    for (int k = 0; k < DAYS_PER_WEEK &&
                    !(cal->trading_days &
                      HAMD_SESSION_DAY_BIT(weekday_of(next)));
         k++)
        next++;
    return !hamd_calendar_is_holiday(cal, (int32_t)next);
}

static bool offset_ok(const struct hamd_exchange_sessions *ex,
                      const struct hamd_calendar *cal)
{
    return ex && cal && ex->n_windows > 0 &&
           cal->utc_offset_min <= HAMD_SESSION_OFFSET_MAX_MIN &&
           cal->utc_offset_min >= -HAMD_SESSION_OFFSET_MAX_MIN;
}

static unsigned windows_of(const struct hamd_exchange_sessions *ex)
{
    return ex->n_windows < HAMD_MAX_SESSIONS ? ex->n_windows
                                             : HAMD_MAX_SESSIONS;
}

enum hamd_session_state hamd_calendar_state(
    const struct hamd_exchange_sessions *ex, const struct hamd_calendar *cal,
    int64_t now_ns, int64_t *opened_ns)
{
    if (!offset_ok(ex, cal))
        return HAMD_SESSION_UNCONFIGURED;

    int64_t offset_ns = (int64_t)cal->utc_offset_min * NS_PER_MIN;
    int64_t local_ns = now_ns + offset_ns;
    int64_t day = floor_div(local_ns, NS_PER_DAY);
    int m = (int)((local_ns - day * NS_PER_DAY) / NS_PER_MIN);

    bool open = false;
    int64_t earliest = 0;
    for (unsigned i = 0; i < windows_of(ex); i++) {
        const struct hamd_session_window *w = &ex->windows[i];
        if (!window_valid(w))
            continue;
        int64_t open_day;
        if (!window_contains(w, day, m, &open_day) ||
            !window_trades(cal, w, open_day))
            continue;
        int64_t at = open_day * NS_PER_DAY +
                     (int64_t)w->start_min * NS_PER_MIN - offset_ns;
        if (!open || at < earliest)
            earliest = at;
        open = true;
    }
    if (open && opened_ns)
        *opened_ns = earliest;
    return open ? HAMD_SESSION_OPEN : HAMD_SESSION_CLOSED;
}

int64_t hamd_calendar_next_open(const struct hamd_exchange_sessions *ex,
                                const struct hamd_calendar *cal,
                                int64_t now_ns)
{
    if (!offset_ok(ex, cal))
        return 0;
    int64_t offset_ns = (int64_t)cal->utc_offset_min * NS_PER_MIN;
    int64_t today = floor_div(now_ns + offset_ns, NS_PER_DAY);
    int64_t best = 0;
    /* Day by day, so the first day with an opening after now gives it. */
    for (int64_t day = today; day <= today + HAMD_SESSION_LOOKAHEAD_DAYS &&
                              best == 0;
         day++) {
        for (unsigned i = 0; i < windows_of(ex); i++) {
            const struct hamd_session_window *w = &ex->windows[i];
            int64_t at = day * NS_PER_DAY +
                         (int64_t)w->start_min * NS_PER_MIN - offset_ns;
            if (!window_valid(w) || at <= now_ns ||
                !window_trades(cal, w, day))
                continue;
            if (best == 0 || at < best)
                best = at;
        }
    }
    return best;
}

bool hamd_calendar_quiet(const struct hamd_exchange_sessions *ex,
                         const struct hamd_calendar *cal, int64_t now_ns,
                         int64_t lead_ns)
{
    if (hamd_calendar_state(ex, cal, now_ns, NULL) != HAMD_SESSION_CLOSED)
        return false;
    int64_t next = hamd_calendar_next_open(ex, cal, now_ns);
    return next == 0 || next - now_ns > lead_ns;
}

enum hamd_session_state hamd_sessions_state(
    const struct hamd_exchange_sessions *ex, int64_t now_ns,
    int utc_offset_min, unsigned trading_days, int64_t *opened_ns)
{
    const struct hamd_calendar cal = {utc_offset_min, trading_days, NULL, 0};
    return hamd_calendar_state(ex, &cal, now_ns, opened_ns);
}

/* ------------------------------------------------------------------------
 * Holiday files
 * ------------------------------------------------------------------------ */

static bool leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int mo)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    return mo == 2 && leap_year(y) ? 29 : days[mo - 1];
}

/* Days from 1970-01-01 to y-mo-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static int32_t days_from_civil(int y, int mo, int d)
{
    y -= mo <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

/* Reads exactly n digits at *p into *out. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return false;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return true;
}

int hamd_holiday_line_parse(const char *line, int32_t *date, char *why,
                            size_t why_cap)
{
    const char *p = line + strspn(line, " \t");
    size_t len = strcspn(p, "#\r\n");
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len == 0)
        return 0;
    int y, mo, d;
    const char *q = p;
    bool shaped = len == HOLIDAY_DATE_LEN && digits(&q, 4, &y) &&
                  *q++ == '-' && digits(&q, 2, &mo) && *q++ == '-' &&
                  digits(&q, 2, &d);
    if (!shaped) {
        snprintf(why, why_cap, "expected a date YYYY-MM-DD, got '%.*s'",
                 (int)(len < HOLIDAY_ECHO_MAX ? len : HOLIDAY_ECHO_MAX),
                 p);
        return -1;
    }
    if (y < HOLIDAY_YEAR_MIN || y > HOLIDAY_YEAR_MAX || mo < 1 ||
        mo > 12 || d < 1 || d > days_in_month(y, mo)) {
        snprintf(why, why_cap, "no such date: %.*s (years %d..%d)", (int)len,
                 p, HOLIDAY_YEAR_MIN, HOLIDAY_YEAR_MAX);
        return -1;
    }
    *date = days_from_civil(y, mo, d);
    return 1;
}

static int cmp_date(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

long hamd_holidays_sort(int32_t *dates, unsigned n)
{
    if (n == 0)
        return -1;
    qsort(dates, n, sizeof *dates, cmp_date);
    for (unsigned i = 1; i < n; i++)
        if (dates[i] == dates[i - 1])
            return (long)i;
    return -1;
}

void hamd_holiday_format(int32_t date, char *buf, size_t cap)
{
    /* H. Hinnant's civil_from_days. */
    int64_t z = (int64_t)date + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t mo = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (mo <= 2);
    snprintf(buf, cap, "%04lld-%02lld-%02lld", (long long)y, (long long)mo,
             (long long)d);
}

/* ------------------------------------------------------------------------
 * Tables and names
 * ------------------------------------------------------------------------ */

const struct hamd_exchange_sessions *hamd_sessions_find(
    const struct hamd_exchange_sessions *table, unsigned n,
    const char *exchange)
{
    if (!table || !exchange)
        return NULL;
    for (unsigned i = 0; i < n; i++)
        if (strncmp(table[i].exchange, exchange, HAMD_EXCHANGE_MAX) == 0)
            return &table[i];
    return NULL;
}

bool hamd_sessions_validate(const struct hamd_exchange_sessions *ex,
                            char *err, size_t err_cap)
{
    char dummy[1];
    if (!err || err_cap == 0) {
        err = dummy;
        err_cap = sizeof dummy;
    }
    if (!ex) {
        snprintf(err, err_cap, "no sessions given");
        return false;
    }
    if (ex->n_windows > HAMD_MAX_SESSIONS) {
        snprintf(err, err_cap, "%.*s: %u windows, at most %d",
                 HAMD_EXCHANGE_MAX, ex->exchange, ex->n_windows,
                 HAMD_MAX_SESSIONS);
        return false;
    }
    for (unsigned i = 0; i < ex->n_windows; i++) {
        const struct hamd_session_window *w = &ex->windows[i];
        if (!window_valid(w)) {
            snprintf(err, err_cap,
                     "%.*s: window %u (%d-%d min): start must be in 0..1439, "
                     "end in 0..1440, and they must differ",
                     HAMD_EXCHANGE_MAX, ex->exchange, i + 1, w->start_min,
                     w->end_min);
            return false;
        }
    }
    return true;
}

const char *hamd_sessions_state_name(enum hamd_session_state state)
{
    switch (state) {
    case HAMD_SESSION_UNCONFIGURED: return "unconfigured";
    case HAMD_SESSION_OPEN: return "open";
    case HAMD_SESSION_CLOSED: return "closed";
    }
    return "unknown";
}
