/* bench_failover_decision: cost of one decision of the pure failover
 * engine (src/failover.h), the part of a source failover that is CPU only.
 *
 * Input: N contracts spread over a few exchanges, all routed to the
 * priority-1 account, M accounts serving every exchange. Two cases:
 *
 *   steady   every source HEALTHY: the plan moves nothing (the baseline,
 *            what the leader pays on every health tick or re-plan)
 *   failed   the priority-1 source is DISCONNECTED (process_exit): the
 *            plan moves every contract to priority 2 and quarantines 1
 *
 * Each hamd_failover_plan_auto() call is timed alone with CLOCK_MONOTONIC
 * (src/common/clock.h); freeing the plan is outside the timed span. The
 * thread's CPU time of the same call (CLOCK_THREAD_CPUTIME_ID) and the
 * involuntary context switches of the run are printed next to it: on a
 * loaded host the wall-clock tail is the scheduler's, not the engine's,
 * and these two say which. Prints p50/p99/max per case and one final
 * RESULT line. Measures, never asserts a time.
 *
 *   bench_failover_decision [--contracts N] [--accounts M] [--iterations K]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_util.h"
#include "common/clock.h"
#include "core/failover.h"

#define FD_CONTRACTS_DEFAULT 5000  /* subscribed contracts */
#define FD_ACCOUNTS_DEFAULT 5      /* hot sources */
#define FD_ITERATIONS_DEFAULT 5000 /* timed plans per case */
#define FD_WARMUP_ITERATIONS 50    /* untimed plans first (caches, malloc) */
#define FD_QUARANTINE_S 60         /* [failover] quarantine_s default */
#define FD_REVERT_AFTER_S 300      /* [failover] revert_after_s default */
#define FD_DAILY_CAP 20            /* [failover] daily_cap default */
#define FD_HEALTHY_FOR_S 3600      /* sources HEALTHY this long already */

static const char *const fd_exchanges[] = {"SHFE", "DCE", "CZCE", "INE",
                                           "CFFEX", "GFEX"};
#define FD_N_EXCHANGES (sizeof fd_exchanges / sizeof fd_exchanges[0])

/* The engine's input and the storage it points into. */
struct fd_world {
    struct hamd_account *accounts;     /* n_accounts */
    struct hamd_failover_source *sources;    /* n_accounts, same order */
    struct hamd_failover_contract *contracts;/* n_contracts */
    char (*symbols)[HAMD_VT_SYMBOL_MAX];/* vt_symbol storage */
    struct hamd_failover_input in;           /* what each plan reads */
};

/* Account a: "src_<a+1>", priority a+1, every exchange. */
static void fd_account_fill(struct hamd_account *acct, size_t a)
{
    memset(acct, 0, sizeof *acct);
    snprintf(acct->id, sizeof acct->id, "src_%zu", a + 1);
    snprintf(acct->name, sizeof acct->name, "%s", acct->id);
    snprintf(acct->gateway_type, sizeof acct->gateway_type, "sim");
    snprintf(acct->params, sizeof acct->params, "{}");
    acct->priority = (int)a + 1;
    acct->enabled = true;
    acct->n_exchanges = FD_N_EXCHANGES;
    for (size_t e = 0; e < FD_N_EXCHANGES; e++)
        snprintf(acct->exchanges[e], sizeof acct->exchanges[e], "%s",
                 fd_exchanges[e]);
}

/* Builds n_contracts contracts on src_1 and n_accounts HEALTHY sources.
 * Returns false when out of memory. */
static bool fd_world_init(struct fd_world *w, size_t n_contracts,
                          size_t n_accounts, int64_t now_ns)
{
    memset(w, 0, sizeof *w);
    w->accounts = calloc(n_accounts, sizeof *w->accounts);
    w->sources = calloc(n_accounts, sizeof *w->sources);
    w->contracts = calloc(n_contracts, sizeof *w->contracts);
    w->symbols = calloc(n_contracts, sizeof *w->symbols);
    if (!w->accounts || !w->sources || !w->contracts || !w->symbols)
        return false;
    for (size_t a = 0; a < n_accounts; a++) {
        fd_account_fill(&w->accounts[a], a);
        w->sources[a].state = HAMD_HEALTH_HEALTHY;
        w->sources[a].trigger = HAMD_TRIG_RECOVERED;
        w->sources[a].healthy_since_ns = now_ns - FD_HEALTHY_FOR_S * HAMD_NS_PER_S;
    }
    for (size_t i = 0; i < n_contracts; i++) {
        snprintf(w->symbols[i], sizeof w->symbols[i], "c%zu.%s", i,
                 fd_exchanges[i % FD_N_EXCHANGES]);
        w->contracts[i].vt_symbol = w->symbols[i];
        w->contracts[i].active = w->accounts[0].id;
    }
    w->in = (struct hamd_failover_input){
        .accounts = w->accounts, .sources = w->sources,
        .n_accounts = n_accounts, .contracts = w->contracts,
        .n_contracts = n_contracts, .daily_cap = FD_DAILY_CAP,
        .revert_after_s = FD_REVERT_AFTER_S, .quarantine_s = FD_QUARANTINE_S,
        .now_ns = now_ns,
    };
    return true;
}

/* Frees what fd_world_init allocated (also after a partial init). */
static void fd_world_free(struct fd_world *w)
{
    free(w->accounts);
    free(w->sources);
    free(w->contracts);
    free(w->symbols);
    memset(w, 0, sizeof *w);
}

/* What one case produced, to show the plan really did the work. */
struct fd_outcome {
    size_t moves;     /* contracts moved by the last plan */
    size_t groups;    /* groups of the last plan */
    unsigned errors;  /* plans that came back NULL */
    long preempted;   /* involuntary context switches during the case */
};

/* CPU time of the calling thread, ns: what the call itself cost. */
static int64_t fd_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * HAMD_NS_PER_S + ts.tv_nsec;
}

/* Involuntary context switches of this process so far. */
static long fd_preemptions(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_nivcsw : -1;
}

/* Samples of one case: wall-clock and CPU time per plan. */
struct fd_samples {
    struct bench_samples wall; /* CLOCK_MONOTONIC around the call */
    struct bench_samples cpu;  /* CLOCK_THREAD_CPUTIME_ID around it */
};

/* Runs `iterations` timed plans (after a warm-up) into s. */
static void fd_run_case(const struct fd_world *w, unsigned iterations,
                        struct fd_samples *s, struct fd_outcome *out)
{
    memset(out, 0, sizeof *out);
    long preempted = fd_preemptions();
    for (unsigned k = 0; k < FD_WARMUP_ITERATIONS + iterations; k++) {
        struct hamd_failover_error err;
        int64_t c0 = fd_thread_cpu_ns();
        int64_t t0 = hamd_mono_ns();
        struct hamd_failover_plan *plan = hamd_failover_plan_auto(&w->in, &err);
        int64_t t1 = hamd_mono_ns();
        int64_t c1 = fd_thread_cpu_ns();
        if (!plan) {
            out->errors++;
            continue;
        }
        if (k >= FD_WARMUP_ITERATIONS) {
            bench_samples_add(&s->wall, t1 - t0);
            bench_samples_add(&s->cpu, c1 - c0);
        }
        out->moves = plan->n_moves;
        out->groups = plan->n_groups;
        hamd_failover_plan_destroy(&plan);
    }
    out->preempted = fd_preemptions() - preempted;
}

/* One line per case: wall and CPU percentiles, what the plan did. */
static void fd_print_case(const char *name, struct fd_samples *s,
                          const struct fd_outcome *o)
{
    printf("%-7s plans=%zu p50_us=%.1f p99_us=%.1f max_us=%.1f "
           "cpu_p50_us=%.1f cpu_p99_us=%.1f moves=%zu groups=%zu errors=%u "
           "preempted=%ld%s\n",
           name, s->wall.len, bench_samples_pct_us(&s->wall, 50),
           bench_samples_pct_us(&s->wall, 99), bench_samples_pct_us(&s->wall, 100),
           bench_samples_pct_us(&s->cpu, 50), bench_samples_pct_us(&s->cpu, 99),
           o->moves, o->groups, o->errors, o->preempted,
           s->wall.oom || s->cpu.oom ? " (samples lost: out of memory)" : "");
}

/* Frees both sample arrays. */
static void fd_samples_free(struct fd_samples *s)
{
    bench_samples_free(&s->wall);
    bench_samples_free(&s->cpu);
}

/* Parses a positive count option; exits with usage on a bad value. */
static unsigned long fd_count_arg(const char *name, const char *text)
{
    char *end = NULL;
    unsigned long v = strtoul(text, &end, 10);
    if (!end || *end || v == 0) {
        fprintf(stderr, "bench_failover_decision: --%s needs a positive "
                "integer, got '%s'\n", name, text);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"contracts", required_argument, NULL, 'c'},
        {"accounts", required_argument, NULL, 'a'},
        {"iterations", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    size_t n_contracts = FD_CONTRACTS_DEFAULT, n_accounts = FD_ACCOUNTS_DEFAULT;
    unsigned iterations = FD_ITERATIONS_DEFAULT;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'c')
            n_contracts = fd_count_arg("contracts", optarg);
        else if (ch == 'a')
            n_accounts = fd_count_arg("accounts", optarg);
        else if (ch == 'i')
            iterations = (unsigned)fd_count_arg("iterations", optarg);
        else {
            fprintf(stderr, "usage: bench_failover_decision [--contracts N] "
                    "[--accounts M] [--iterations K]\n");
            return 2;
        }
    }
    if (n_accounts < 2 || n_accounts > HAMD_FAILOVER_MAX_ACCOUNTS) {
        fprintf(stderr, "bench_failover_decision: --accounts must be 2..%d\n",
                HAMD_FAILOVER_MAX_ACCOUNTS);
        return 2;
    }
    struct fd_world w;
    if (!fd_world_init(&w, n_contracts, n_accounts, hamd_wall_ns())) {
        fprintf(stderr, "bench_failover_decision: out of memory\n");
        fd_world_free(&w);
        return 1;
    }
    struct fd_samples steady = {0}, failed = {0};
    struct fd_outcome o_steady, o_failed;
    fd_run_case(&w, iterations, &steady, &o_steady);
    w.sources[0].state = HAMD_HEALTH_DISCONNECTED;
    w.sources[0].trigger = HAMD_TRIG_PROCESS_EXIT;
    fd_run_case(&w, iterations, &failed, &o_failed);

    printf("contracts=%zu accounts=%zu exchanges=%zu iterations=%u\n",
           n_contracts, n_accounts, (size_t)FD_N_EXCHANGES, iterations);
    fd_print_case("steady", &steady, &o_steady);
    fd_print_case("failed", &failed, &o_failed);
    printf("RESULT contracts=%zu accounts=%zu plans=%zu decision_p50_us=%.1f "
           "decision_p99_us=%.1f decision_max_us=%.1f decision_cpu_p99_us=%.1f "
           "moves=%zu steady_p50_us=%.1f steady_p99_us=%.1f preempted=%ld\n",
           n_contracts, n_accounts, failed.wall.len,
           bench_samples_pct_us(&failed.wall, 50),
           bench_samples_pct_us(&failed.wall, 99),
           bench_samples_pct_us(&failed.wall, 100),
           bench_samples_pct_us(&failed.cpu, 99), o_failed.moves,
           bench_samples_pct_us(&steady.wall, 50),
           bench_samples_pct_us(&steady.wall, 99), o_failed.preempted);
    int rc = o_steady.errors || o_failed.errors ? 1 : 0;
    fd_samples_free(&steady);
    fd_samples_free(&failed);
    fd_world_free(&w);
    return rc;
}
