/* The simulated exchange feed: PURE (no clock, no I/O, no allocation).
 *
 * Tick n of a contract is a function of (seed, vt_symbol, n) alone, so two
 * simulators started with the same seed deliver byte-identical ticks (all
 * fields but `localtime`, which is the receive time the caller stamps) —
 * like two accounts watching one exchange. n follows the wall clock:
 * n = floor(wall_time_s * rate), and tick n carries the exchange time n/rate
 * seconds since the epoch, truncated to whole milliseconds as a CTP front
 * delivers it.
 *
 * Rates are carried as integer milli-ticks per second (rate 2/s = 2000) so
 * the time <-> n arithmetic is exact integer math without overflow until
 * the year 2262.
 */
#ifndef GWSIM_FEED_H
#define GWSIM_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "hamd/tick.h"

#define SIMFEED_RATE_MILLI_MIN 1 /* 0.001 ticks/s: one tick per 1000 s */
/* 1000 ticks/s: one tick per millisecond at most, so the ms-truncated
 * exchange time still strictly increases with n. */
#define SIMFEED_RATE_MILLI_MAX 1000000
#define SIMFEED_EXTRA_SEQ_KEY "sim_seq" /* extra map key carrying n */

/* Everything about a contract that does not depend on n, derived once
 * from (seed, vt_symbol) so generating a tick is cheap. */
struct simfeed_symbol {
    struct hamd_tick tmpl; /* constant fields of every tick of this contract */
    uint64_t key;          /* hash of (seed, vt_symbol): seeds tick hashes */
    uint32_t rate_milli;   /* ticks per 1000 s */
    double tick_size;      /* price step */
    int64_t base_ticks;    /* pre_close in units of tick_size */
    double multiplier;     /* contract size: turnover = volume * price * it */
    int64_t volume_step;   /* volume grows by 1..2*step-1 per tick */
    int64_t oi_base;       /* open interest at n = 0 */
    int64_t phase[3];      /* offsets of the three price waves, in ticks of n */
};

/* Prepares a contract: vt_symbol is "symbol.EXCHANGE" with both parts
 * non-empty and fitting the tick's string fields; gateway_name (may be "")
 * is copied into every tick. Returns 0, or -1 when vt_symbol, gateway_name
 * or rate_milli is invalid. */
int simfeed_symbol_init(struct simfeed_symbol *self, uint64_t seed,
                        const char *vt_symbol, uint32_t rate_milli,
                        const char *gateway_name);

/* Fills *out with tick n (n >= 0) of the contract. localtime_ns is left 0
 * for the caller to stamp; extra = {sim_seq: n}. */
void simfeed_tick(const struct simfeed_symbol *self, int64_t n,
                  struct hamd_tick *out);

/* Returns floor(wall_ns * rate / 1e9 s): the index of the newest tick at
 * wall time wall_ns (0 for times before the epoch). */
int64_t simfeed_n_at(int64_t wall_ns, uint32_t rate_milli);

/* Returns the first wall time (ns) at which tick n exists, that is the
 * smallest t with simfeed_n_at(t) >= n. */
int64_t simfeed_due_ns(int64_t n, uint32_t rate_milli);

/* Returns the exchange time of tick n: n / rate seconds after the epoch,
 * truncated to whole milliseconds, in ns. */
int64_t simfeed_datetime_ns(int64_t n, uint32_t rate_milli);

/* Returns a stable 64-bit hash of a string (FNV-1a): the same on every
 * platform, so it may feed deterministic data. */
uint64_t simfeed_hash_str(const char *s);

/* True when rate_milli is inside [SIMFEED_RATE_MILLI_MIN, _MAX]. */
bool simfeed_rate_valid(int64_t rate_milli);

#endif /* GWSIM_FEED_H */
