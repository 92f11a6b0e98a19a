/* Leveled logging to stderr (journald adds its own timestamps, but a line
 * carries a UTC timestamp with milliseconds so a plain file is readable).
 *
 * Every line: "2026-06-24T10:30:45.123Z LEVEL [component] message".
 * Rate-limited logging keeps a misbehaving gateway from flooding the log:
 * at most HAMD_LOG_RATE_BURST lines per HAMD_LOG_RATE_WINDOW_MS per limiter,
 * then one summary line of what was suppressed.
 */
#ifndef HAMD_LOG_H
#define HAMD_LOG_H

#include <stdint.h>

enum hamd_log_level {
    HAMD_LOG_DEBUG = 0,
    HAMD_LOG_INFO,
    HAMD_LOG_WARN,
    HAMD_LOG_ERROR,
};

#define HAMD_LOG_RATE_WINDOW_MS 10000 /* rate-limit window */
#define HAMD_LOG_MSG_MAX 1024         /* bytes of a message, NUL included */
#define HAMD_LOG_RATE_BURST 5         /* lines per window and limiter */

/* One rate limiter; zero-initialise it. Not thread-safe: one per thread. */
struct hamd_log_rate {
    int64_t window_start_ms; /* monotonic start of the current window */
    unsigned emitted;        /* lines emitted in this window */
    unsigned suppressed;     /* lines dropped in this window */
};

/* Receives every line printed, after it was printed: the epoch time in ns,
 * the level and the message (no timestamp, level or tag; NUL-terminated,
 * at most HAMD_LOG_MSG_MAX bytes with the NUL). It runs on the thread
 * that logs, the data-plane thread included, with the logger's lock
 * held: it must be quick, must not block and must not log. */
typedef void (*hamd_log_sink_fn)(void *ud, int64_t wall_ns,
                                 enum hamd_log_level level, const char *msg);

/* Installs the one sink (NULL removes it). Once it returns, the previous
 * sink is no longer running and will not be called again. Thread-safe. */
void hamd_log_set_sink(hamd_log_sink_fn sink, void *ud);

/* Sets the minimum level printed (default INFO). */
void hamd_log_set_level(enum hamd_log_level level);

/* Parses "debug|info|warn|error"; returns -1 when unknown. */
int hamd_log_level_parse(const char *name);

/* "DEBUG", "INFO", "WARN" or "ERROR" ("?" for anything else). */
const char *hamd_log_level_name(enum hamd_log_level level);

/* Sets the component tag of this program ("hamd", "gw-sim", ...). */
void hamd_log_set_ident(const char *ident);

/* Prints one line if level is enabled. Thread-safe. */
void hamd_log(enum hamd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like hamd_log, but at most HAMD_LOG_RATE_BURST lines per window. */
void hamd_log_rated(struct hamd_log_rate *rate, enum hamd_log_level level,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define LOG_DEBUG(...) hamd_log(HAMD_LOG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) hamd_log(HAMD_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) hamd_log(HAMD_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) hamd_log(HAMD_LOG_ERROR, __VA_ARGS__)

#endif /* HAMD_LOG_H */
