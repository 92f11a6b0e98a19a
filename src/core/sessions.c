/* Trading sessions: pure calendar arithmetic. See sessions.h. */
#include "core/sessions.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"

#define NS_PER_MIN (60 * HAMD_NS_PER_S)
#define NS_PER_DAY ((int64_t)HAMD_SESSION_DAY_MIN * NS_PER_MIN)
#define EPOCH_WEEKDAY 4 /* 1970-01-01 was a Thursday (0 = Sunday) */
#define DAYS_PER_WEEK 7

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

enum hamd_session_state hamd_sessions_state(
    const struct hamd_exchange_sessions *ex, int64_t now_ns,
    int utc_offset_min, unsigned trading_days, int64_t *opened_ns)
{
    if (!ex || ex->n_windows == 0 ||
        utc_offset_min > HAMD_SESSION_OFFSET_MAX_MIN ||
        utc_offset_min < -HAMD_SESSION_OFFSET_MAX_MIN)
        return HAMD_SESSION_UNCONFIGURED;

    int64_t offset_ns = (int64_t)utc_offset_min * NS_PER_MIN;
    int64_t local_ns = now_ns + offset_ns;
    int64_t day = floor_div(local_ns, NS_PER_DAY);
    int m = (int)((local_ns - day * NS_PER_DAY) / NS_PER_MIN);

    unsigned n = ex->n_windows < HAMD_MAX_SESSIONS ? ex->n_windows
                                                   : HAMD_MAX_SESSIONS;
    bool open = false;
    int64_t earliest = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct hamd_session_window *w = &ex->windows[i];
        if (!window_valid(w))
            continue;
        int64_t open_day;
        if (!window_contains(w, day, m, &open_day) ||
            !(trading_days & HAMD_SESSION_DAY_BIT(weekday_of(open_day))))
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
