/* Trading sessions (docs/failover.md): is an exchange trading right now?
 *
 * The canary check of the health monitor only applies while the canary's
 * exchange is inside one of its configured windows: a silent canary at
 * night or at the weekend is normal, not a failure.
 *
 * A window is [start, end) in exchange-local minutes since midnight
 * (0..1440, 1440 = the next midnight); end < start crosses midnight (a night
 * session, 21:00-02:30). A window belongs to the day it opens: with
 * trading days Monday..Friday, Friday's 21:00-02:30 session is open at
 * 01:00 on Saturday, and nothing opens on Sunday evening.
 *
 * An exchange without windows is HAMD_SESSION_UNCONFIGURED, which means
 * "the canary check is not applied", never "always open".
 *
 * Holidays ([sessions] holidays, docs/operations.md "Trading calendar"):
 * a window that opens on a holiday does not open. A night window (one
 * that opens at HAMD_SESSION_NIGHT_START_MIN or later) trades for the next
 * trading day, as on China's futures exchanges: it does not open either
 * when the next trading day after the one it opens on is a holiday (no
 * night session before a public holiday, nor on the Friday before a
 * Monday holiday).
 *
 * Pure: the caller passes the time and the UTC offset of the session clock
 * (Asia/Shanghai = +480 minutes, computed with localtime_r).
 */
#ifndef HAMD_SESSIONS_H
#define HAMD_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hamd/tick.h"

#define HAMD_MAX_SESSIONS 8               /* windows per exchange */
#define HAMD_SESSION_DAY_MIN 1440         /* minutes in a day */
#define HAMD_SESSION_OFFSET_MAX_MIN 1080  /* |UTC offset| accepted: 18 h */
#define HAMD_SESSION_NIGHT_START_MIN 1080 /* 18:00: a window opening at or
                                             after it is a night session of
                                             the next trading day */
#define HAMD_SESSION_LOOKAHEAD_DAYS 31    /* hamd_calendar_next_open looks
                                             this far: a Spring Festival
                                             closure with its weekends is
                                             ~10 days */
#define HAMD_HOLIDAYS_MAX 1024            /* dates of a holiday file */
#define HAMD_HOLIDAY_LINE_MAX 256         /* longest line of a holiday file */

/* Days on which a window may open: bit N = weekday N, 0 = Sunday. */
#define HAMD_SESSION_DAY_BIT(wday) (1u << (wday))
#define HAMD_SESSION_EVERY_DAY 0x7Fu /* Sunday..Saturday */
#define HAMD_SESSION_WEEKDAYS 0x3Eu  /* Monday..Friday */

/* One trading-session window in exchange-local minutes since midnight;
 * end < start means the session crosses midnight (night session). */
struct hamd_session_window {
    int start_min; /* first minute inside the session, 0..1439 */
    int end_min;   /* first minute after it, 0..1440 (24:00) */
};

/* [sessions] EXCHANGE = 09:00-11:30,13:30-15:00,21:00-02:30 */
struct hamd_exchange_sessions {
    char exchange[HAMD_EXCHANGE_MAX];  /* the key, e.g. "SHFE" */
    unsigned n_windows;                /* windows in use */
    struct hamd_session_window windows[HAMD_MAX_SESSIONS]; /* file order */
};

enum hamd_session_state {
    HAMD_SESSION_UNCONFIGURED = 0, /* no windows (or bad offset): no check */
    HAMD_SESSION_OPEN,             /* inside a window */
    HAMD_SESSION_CLOSED,           /* windows exist, none open now */
};

/* The calendar the windows are read against. */
struct hamd_calendar {
    int utc_offset_min;      /* session clock, minutes east of UTC */
    unsigned trading_days;   /* HAMD_SESSION_WEEKDAYS ... */
    const int32_t *holidays; /* local dates (days since 1970-01-01),
                                ascending; NULL when n_holidays is 0 */
    unsigned n_holidays;     /* entries of holidays */
};

/* Returns the session state of exchange ex at epoch ns now_ns against cal.
 * When OPEN and opened_ns is not NULL, stores the epoch ns at which the
 * current window opened (the earliest, if windows overlap). ex NULL, no
 * windows or an offset beyond HAMD_SESSION_OFFSET_MAX_MIN give
 * UNCONFIGURED; malformed windows are skipped. */
enum hamd_session_state hamd_calendar_state(
    const struct hamd_exchange_sessions *ex, const struct hamd_calendar *cal,
    int64_t now_ns, int64_t *opened_ns);

/* Returns the epoch ns at which the next window of ex opens after now_ns
 * (strictly later), holidays and trading days considered, or 0 when none
 * opens within HAMD_SESSION_LOOKAHEAD_DAYS (or ex is UNCONFIGURED). */
int64_t hamd_calendar_next_open(const struct hamd_exchange_sessions *ex,
                                const struct hamd_calendar *cal,
                                int64_t now_ns);

/* True when ex is CLOSED at now_ns and no window opens within lead_ns:
 * a quiet time (UNCONFIGURED is never quiet: nothing is known). */
bool hamd_calendar_quiet(const struct hamd_exchange_sessions *ex,
                         const struct hamd_calendar *cal, int64_t now_ns,
                         int64_t lead_ns);

/* True when date (days since 1970-01-01, local) is in cal's holidays. */
bool hamd_calendar_is_holiday(const struct hamd_calendar *cal, int32_t date);

/* Parses one line of a holiday file: a date YYYY-MM-DD, blanks around it,
 * '#' starts a comment. Returns 1 with the date (days since 1970-01-01) in
 * *date, 0 for a blank or comment line, -1 with the reason in why. */
int hamd_holiday_line_parse(const char *line, int32_t *date, char *why,
                            size_t why_cap);

/* Sorts dates[0..n) ascending in place. Returns the index of a date that
 * appears twice (the later copy), or -1 when all differ. */
long hamd_holidays_sort(int32_t *dates, unsigned n);

/* Writes date as YYYY-MM-DD into buf (at least 11 bytes). */
void hamd_holiday_format(int32_t date, char *buf, size_t cap);

/* hamd_calendar_state without holidays: the session clock at
 * utc_offset_min from UTC, windows opening only on the days of
 * trading_days (HAMD_SESSION_WEEKDAYS...). */
enum hamd_session_state hamd_sessions_state(
    const struct hamd_exchange_sessions *ex, int64_t now_ns,
    int utc_offset_min, unsigned trading_days, int64_t *opened_ns);

/* Returns the entry of exchange in table[0..n), or NULL if it has none. */
const struct hamd_exchange_sessions *hamd_sessions_find(
    const struct hamd_exchange_sessions *table, unsigned n,
    const char *exchange);

/* Checks the windows of ex: bounds, start != end, count. Returns true when
 * valid; otherwise false with a message naming the window in err. */
bool hamd_sessions_validate(const struct hamd_exchange_sessions *ex,
                            char *err, size_t err_cap);

/* Returns the name of a state: "unconfigured", "open", "closed". */
const char *hamd_sessions_state_name(enum hamd_session_state state);

#endif /* HAMD_SESSIONS_H */
