/* Leveled, thread-safe logging to stderr. See log.h. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>

#include "common/clock.h"

static enum hamd_log_level g_level = HAMD_LOG_INFO;
static const char *g_ident = "hamd";
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static hamd_log_sink_fn g_sink; /* under g_lock */
static void *g_sink_ud;         /* under g_lock */

static const char *const LEVEL_NAMES[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void hamd_log_set_level(enum hamd_log_level level) { g_level = level; }

void hamd_log_set_sink(hamd_log_sink_fn sink, void *ud)
{
    pthread_mutex_lock(&g_lock);
    g_sink = sink;
    g_sink_ud = ud;
    pthread_mutex_unlock(&g_lock);
}

void hamd_log_set_ident(const char *ident) { g_ident = ident; }

const char *hamd_log_level_name(enum hamd_log_level level)
{
    return (unsigned)level <= HAMD_LOG_ERROR ? LEVEL_NAMES[level] : "?";
}

int hamd_log_level_parse(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    if (strcasecmp(name, "warning") == 0)
        return HAMD_LOG_WARN;
    return -1;
}

void hamd_format_iso_ms(int64_t epoch_ns, char *buf, unsigned cap)
{
    time_t secs = (time_t)(epoch_ns / HAMD_NS_PER_S);
    int ms = (int)((epoch_ns % HAMD_NS_PER_S) / HAMD_NS_PER_MS);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%03dZ", date, ms);
}

static void log_line(enum hamd_log_level level, const char *fmt, va_list ap)
{
    char stamp[32];
    char msg[HAMD_LOG_MSG_MAX];
    int64_t now_ns = hamd_wall_ns();
    hamd_format_iso_ms(now_ns, stamp, sizeof stamp);
    vsnprintf(msg, sizeof msg, fmt, ap);
    pthread_mutex_lock(&g_lock);
    fprintf(stderr, "%s %-5s [%s] %s\n", stamp, LEVEL_NAMES[level], g_ident,
            msg);
    /* Under the lock, so hamd_log_set_sink(NULL) returning means the old
     * sink is done: its owner may free what it writes to. */
    if (g_sink)
        g_sink(g_sink_ud, now_ns, level, msg);
    pthread_mutex_unlock(&g_lock);
}

void hamd_log(enum hamd_log_level level, const char *fmt, ...)
{
    if (level < g_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line(level, fmt, ap);
    va_end(ap);
}

void hamd_log_rated(struct hamd_log_rate *rate, enum hamd_log_level level,
                    const char *fmt, ...)
{
    if (level < g_level)
        return;
    int64_t now_ms = hamd_mono_ns() / HAMD_NS_PER_MS;
    if (now_ms - rate->window_start_ms >= HAMD_LOG_RATE_WINDOW_MS) {
        if (rate->suppressed > 0)
            hamd_log(level, "(%u similar messages suppressed in the last %d s)",
                     rate->suppressed, HAMD_LOG_RATE_WINDOW_MS / 1000);
        rate->window_start_ms = now_ms;
        rate->emitted = 0;
        rate->suppressed = 0;
    }
    if (rate->emitted >= HAMD_LOG_RATE_BURST) {
        rate->suppressed++;
        return;
    }
    rate->emitted++;
    va_list ap;
    va_start(ap, fmt);
    log_line(level, fmt, ap);
    va_end(ap);
}
