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
 * Pure: the caller passes the time and the UTC offset of the session clock
 * (Asia/Shanghai = +480 minutes, computed once with localtime_r).
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

/* Returns the session state of exchange ex at epoch ns now_ns, with the
 * session clock at utc_offset_min from UTC and windows opening only on the
 * days of trading_days (HAMD_SESSION_WEEKDAYS...). When OPEN and opened_ns
 * is not NULL, stores the epoch ns at which the current window opened (the
 * earliest, if windows overlap). ex NULL, no windows or an offset beyond
 * HAMD_SESSION_OFFSET_MAX_MIN give UNCONFIGURED; malformed windows are
 * skipped (hamd_sessions_validate reports them). */
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
