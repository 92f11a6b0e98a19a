/* Helpers shared by the tick-path benchmark programs (raw_pubsub.c,
 * tick_sub.c). Header-only on purpose: every .c file of tests/bench is built as a
 * program of its own, so shared code cannot live in another .c file.
 *
 * Latency samples, percentiles, and what /proc says about a process (CPU
 * time, resident memory). Nothing here asserts anything: the programs only
 * measure and print.
 */
#ifndef HAMD_BENCH_UTIL_H
#define HAMD_BENCH_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define BENCH_SAMPLES_INITIAL 65536 /* first allocation, in samples */
#define BENCH_NS_PER_US 1000.0
#define BENCH_PROC_LINE_MAX 1024    /* longest /proc line we read */

/* A growable array of latency samples (ns). */
struct bench_samples {
    int64_t *v;    /* samples, unsorted until a percentile is asked */
    size_t len;    /* samples stored */
    size_t cap;    /* allocated slots */
    bool sorted;   /* v is sorted ascending */
    bool oom;      /* a sample was lost to a failed allocation */
};

/* Appends one sample; on allocation failure the sample is dropped and
 * oom is set (the report says so rather than crashing). */
static inline void bench_samples_add(struct bench_samples *s, int64_t ns)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : BENCH_SAMPLES_INITIAL;
        int64_t *grown = realloc(s->v, cap * sizeof *grown);
        if (!grown) {
            s->oom = true;
            return;
        }
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->len++] = ns;
    s->sorted = false;
}

static inline int bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Returns the nearest-rank percentile (0 < pct <= 100) in microseconds,
 * or -1 when there is no sample. */
static inline double bench_samples_pct_us(struct bench_samples *s, double pct)
{
    if (s->len == 0)
        return -1;
    if (!s->sorted) {
        qsort(s->v, s->len, sizeof *s->v, bench_cmp_i64);
        s->sorted = true;
    }
    size_t rank = (size_t)(pct / 100.0 * (double)s->len + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > s->len)
        rank = s->len;
    return (double)s->v[rank - 1] / BENCH_NS_PER_US;
}

/* Frees the samples. */
static inline void bench_samples_free(struct bench_samples *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Reads utime + stime (clock ticks) from a /proc/.../stat file; -1 when
 * it cannot be read (the process is gone). */
static inline long long bench_stat_cpu_ticks(const char *path)
{
    char line[BENCH_PROC_LINE_MAX];
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    /* comm (field 2) may hold blanks: fields are counted after its ')'. */
    char *p = ok ? strrchr(line, ')') : NULL;
    if (!p)
        return -1;
    unsigned long long utime, stime;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &utime, &stime) != 2)
        return -1;
    return (long long)(utime + stime);
}

/* CPU time of a whole process in clock ticks, or -1. */
static inline long long bench_proc_cpu_ticks(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    return bench_stat_cpu_ticks(path);
}

/* Up to cap threads of a process: their ids and CPU ticks. Returns how
 * many were read. */
static inline unsigned bench_thread_cpu_ticks(pid_t pid, pid_t *tids,
                                              long long *ticks, unsigned cap)
{
    char dir_path[64];
    snprintf(dir_path, sizeof dir_path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir_path);
    if (!d)
        return 0;
    unsigned n = 0;
    struct dirent *e;
    while (n < cap && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[64];
        long tid = atol(e->d_name);
        snprintf(path, sizeof path, "/proc/%d/task/%ld/stat", (int)pid, tid);
        long long t = bench_stat_cpu_ticks(path);
        if (t < 0)
            continue;
        tids[n] = (pid_t)tid;
        ticks[n] = t;
        n++;
    }
    closedir(d);
    return n;
}

/* A memory line of /proc/PID/status in MB: key "VmRSS" (resident now)
 * or "VmHWM" (resident at its peak). Returns -1 when unreadable. */
static inline double bench_proc_mem_mb(pid_t pid, const char *key)
{
    char path[64], line[BENCH_PROC_LINE_MAX];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    double mb = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        unsigned long kb;
        if (strncmp(line, key, klen) == 0 && line[klen] == ':' &&
            sscanf(line + klen + 1, "%lu", &kb) == 1) {
            mb = (double)kb / 1024.0;
            break;
        }
    }
    fclose(f);
    return mb;
}

/* Busy and total CPU time of the whole host, all CPUs, in clock ticks
 * (/proc/stat). Other work on the host shows up as busy time no
 * benchmark process accounts for. Returns false when unreadable. */
static inline bool bench_host_ticks(long long *busy, long long *total)
{
    char line[BENCH_PROC_LINE_MAX];
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    long long v[8] = {0};
    if (!ok || sscanf(line, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0],
                      &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
        return false;
    *total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    *busy = *total - v[3] - v[4]; /* minus idle and iowait */
    return true;
}

/* Host CPU use between two bench_host_ticks readings, in % of one core
 * (200 = two cores fully busy), or -1. */
static inline double bench_host_pct(long long busy0, long long total0,
                                    long long busy1, long long total1)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (total1 <= total0 || ncpu < 1)
        return -1;
    return (double)(busy1 - busy0) / (double)(total1 - total0) * 100.0 * (double)ncpu;
}

/* Clock ticks per second, for CPU percentages. */
static inline double bench_clk_tck(void)
{
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? (double)hz : 100.0;
}

#endif /* HAMD_BENCH_UTIL_H */
