/* Clock reads live here and only here, so pure modules never read a clock:
 * the I/O shells call these and pass the values in. */
#ifndef HAMD_CLOCK_H
#define HAMD_CLOCK_H

#include <stdint.h>
#include <time.h>

#define HAMD_NS_PER_MS 1000000LL
#define HAMD_NS_PER_S 1000000000LL
#define HAMD_S_PER_MIN 60

/* Monotonic nanoseconds: for timeouts, leases, latencies inside a host. */
static inline int64_t hamd_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * HAMD_NS_PER_S + ts.tv_nsec;
}

/* Wall-clock nanoseconds since the Unix epoch: for timestamps on the wire. */
static inline int64_t hamd_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * HAMD_NS_PER_S + ts.tv_nsec;
}

/* Minutes east of UTC of the local time zone (TZ, the [health] timezone
 * hamd sets at start) at epoch ns wall_ns: the session clock's offset. */
static inline int hamd_utc_offset_min(int64_t wall_ns)
{
    time_t t = (time_t)(wall_ns / HAMD_NS_PER_S);
    struct tm tm;
    localtime_r(&t, &tm);
    return (int)(tm.tm_gmtoff / HAMD_S_PER_MIN);
}

/* Formats epoch ns as "2026-06-24T10:30:45.123Z" into buf (>= 32 bytes). */
void hamd_format_iso_ms(int64_t epoch_ns, char *buf, unsigned cap);

#endif /* HAMD_CLOCK_H */
