/* The simulated exchange feed: see feed.h. Pure: no clock, no I/O. */
#include "gw-sim/feed.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_MS 1000000LL
#define MS_PER_S 1000LL
#define NS_PER_S 1000000000LL
#define MILLI_PER_UNIT 1000LL /* rate_milli units per tick/s */
#define PI 3.14159265358979323846

/* Price model: pre_close = base_ticks * tick_size; last_price moves around
 * it by three sine waves plus hash noise, bounded by WALK_ENVELOPE_PCT, so
 * high/low and the 5-level book stay strictly inside the price limits. */
static const double TICK_SIZES[] = {0.5, 1.0, 2.0, 5.0, 10.0};
static const double MULTIPLIERS[] = {5.0, 10.0, 20.0};
#define N_TICK_SIZES (sizeof TICK_SIZES / sizeof *TICK_SIZES)
#define N_MULTIPLIERS (sizeof MULTIPLIERS / sizeof *MULTIPLIERS)
#define BASE_TICKS_MIN 1000  /* pre_close is at least this many steps */
#define BASE_TICKS_SPAN 4000 /* ... and less than MIN + SPAN steps */
#define LIMIT_PCT_MIN 4      /* limit_up/down = pre_close +- 4..8 % */
#define LIMIT_PCT_SPAN 5
#define WALK_ENVELOPE_PCT 2  /* high/low: the walk never leaves +-2 % */
static const int64_t WAVE_PERIOD_TICKS[3] = {20011, 3001, 307};
static const double WAVE_AMPLITUDE[3] = {0.010, 0.004, 0.0015};
#define NOISE_AMPLITUDE 0.001 /* +- 0.1 %: waves + noise < envelope */
#define NOISE_STEPS 100       /* noise resolution per side */
#define OPEN_OFFSET_TICKS 10  /* open = pre_close +- up to 10 steps */
#define VOLUME_STEP_SPAN 4    /* volume step 1..4 */
#define OI_BASE_MIN 100000    /* open interest at n = 0 */
#define OI_BASE_SPAN 100000
#define OI_STEP 2             /* open interest grows 1..3 per tick */
#define BOOK_VOLUME_MAX 300   /* book volumes 1..300 */

/* Salts separating the independent per-tick hashes. */
enum feed_salt {
    SALT_NOISE = 1,
    SALT_VOLUME,
    SALT_OI,
    SALT_SPREAD,
    SALT_BOOK, /* + level index, bid then ask: keep last */
};

/* ------------------------------------------------------------------------
 * Hashing and timing
 * ------------------------------------------------------------------------ */

/* splitmix64 finaliser: a cheap, well-mixed 64-bit permutation. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t simfeed_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
}

/* The hash of tick n for one purpose (salt) of one contract. */
static uint64_t tick_hash(const struct simfeed_symbol *self, int64_t n,
                          uint64_t salt)
{
    return mix64(self->key ^ mix64((uint64_t)n * 0x9e3779b97f4a7c15ULL + salt));
}

bool simfeed_rate_valid(int64_t rate_milli)
{
    return rate_milli >= SIMFEED_RATE_MILLI_MIN &&
           rate_milli <= SIMFEED_RATE_MILLI_MAX;
}

/* n = floor(wall_ns * rate_milli / 1e12), split so nothing overflows:
 * wall = s s + r ns, q = s * rate_milli = a * 1000 + b. */
int64_t simfeed_n_at(int64_t wall_ns, uint32_t rate_milli)
{
    if (wall_ns <= 0)
        return 0;
    int64_t s = wall_ns / NS_PER_S, r = wall_ns % NS_PER_S;
    int64_t q = s * (int64_t)rate_milli;
    int64_t a = q / MILLI_PER_UNIT, b = q % MILLI_PER_UNIT;
    return a + (b * NS_PER_S + r * (int64_t)rate_milli) /
                   (NS_PER_S * MILLI_PER_UNIT);
}

/* ceil(n * 1e12 / rate_milli) ns, with n = q * rate_milli + r. */
int64_t simfeed_due_ns(int64_t n, uint32_t rate_milli)
{
    if (n <= 0)
        return 0;
    int64_t rm = (int64_t)rate_milli;
    int64_t q = n / rm, r = n % rm;
    const int64_t unit = NS_PER_S * MILLI_PER_UNIT;
    return q * unit + (r * unit + rm - 1) / rm;
}

/* floor(n * 1e6 / rate_milli) ms, with n = q * rate_milli + r. */
int64_t simfeed_datetime_ns(int64_t n, uint32_t rate_milli)
{
    if (n <= 0)
        return 0;
    int64_t rm = (int64_t)rate_milli;
    int64_t q = n / rm, r = n % rm;
    const int64_t ms_per_milli = MS_PER_S * MILLI_PER_UNIT;
    int64_t ms = q * ms_per_milli + r * ms_per_milli / rm;
    return ms * NS_PER_MS;
}

/* ------------------------------------------------------------------------
 * Contracts
 * ------------------------------------------------------------------------ */

/* Splits "symbol.EXCHANGE" at the last dot into the template; the rules
 * are the hub's (hamd_tick_vt_symbol_valid), so the sim never makes a
 * tick the hub would refuse for its name. */
static int split_vt_symbol(struct hamd_tick *t, const char *vt_symbol)
{
    size_t len = strlen(vt_symbol);
    if (!hamd_tick_vt_symbol_valid(vt_symbol, len))
        return -1;
    const char *dot = strrchr(vt_symbol, '.');
    size_t sym_len = (size_t)(dot - vt_symbol);
    memcpy(t->symbol, vt_symbol, sym_len);
    strcpy(t->exchange, dot + 1);
    memcpy(t->vt_symbol, vt_symbol, len + 1);
    return 0;
}

/* Fills the fields that are the same in every tick of the contract. */
static void fill_template(struct simfeed_symbol *self)
{
    struct hamd_tick *t = &self->tmpl;
    int64_t base = self->base_ticks;
    int64_t limit = base * (LIMIT_PCT_MIN + (int64_t)(self->key >> 8) %
                                                LIMIT_PCT_SPAN) / 100;
    int64_t envelope = (base * WALK_ENVELOPE_PCT + 99) / 100;
    int64_t open_off =
        (int64_t)((self->key >> 16) % (2 * OPEN_OFFSET_TICKS + 1)) -
        OPEN_OFFSET_TICKS;
    double step = self->tick_size;
    snprintf(t->name, sizeof t->name, "sim %s", t->symbol);
    t->pre_close = (double)base * step;
    t->limit_up = (double)(base + limit) * step;
    t->limit_down = (double)(base - limit) * step;
    t->high_price = (double)(base + envelope) * step;
    t->low_price = (double)(base - envelope) * step;
    t->open_price = (double)(base + open_off) * step;
}

int simfeed_symbol_init(struct simfeed_symbol *self, uint64_t seed,
                        const char *vt_symbol, uint32_t rate_milli,
                        const char *gateway_name)
{
    memset(self, 0, sizeof *self);
    if (!vt_symbol || !gateway_name || !simfeed_rate_valid(rate_milli) ||
        strlen(gateway_name) > HAMD_ACCOUNT_SLUG_MAX ||
        split_vt_symbol(&self->tmpl, vt_symbol) != 0)
        return -1;
    strcpy(self->tmpl.gateway_name, gateway_name);
    self->key = mix64(mix64(seed) ^ simfeed_hash_str(vt_symbol));
    self->rate_milli = rate_milli;
    uint64_t k = mix64(self->key);
    self->tick_size = TICK_SIZES[k % N_TICK_SIZES];
    self->multiplier = MULTIPLIERS[(k >> 8) % N_MULTIPLIERS];
    self->base_ticks = BASE_TICKS_MIN + (int64_t)((k >> 16) % BASE_TICKS_SPAN);
    self->volume_step = 1 + (int64_t)((k >> 32) % VOLUME_STEP_SPAN);
    self->oi_base = OI_BASE_MIN + (int64_t)((k >> 40) % OI_BASE_SPAN);
    for (int i = 0; i < 3; i++)
        self->phase[i] = (int64_t)(mix64(k + (uint64_t)i) %
                                   (uint64_t)WAVE_PERIOD_TICKS[i]);
    fill_template(self);
    return 0;
}

/* ------------------------------------------------------------------------
 * Ticks
 * ------------------------------------------------------------------------ */

/* last_price of tick n, in steps of tick_size. */
static int64_t last_ticks(const struct simfeed_symbol *self, int64_t n)
{
    double move = 0.0;
    for (int i = 0; i < 3; i++) {
        int64_t period = WAVE_PERIOD_TICKS[i];
        double angle = 2.0 * PI * (double)((n + self->phase[i]) % period) /
                       (double)period;
        move += WAVE_AMPLITUDE[i] * sin(angle);
    }
    int64_t noise = (int64_t)(tick_hash(self, n, SALT_NOISE) %
                              (2 * NOISE_STEPS + 1)) - NOISE_STEPS;
    move += NOISE_AMPLITUDE * (double)noise / NOISE_STEPS;
    return self->base_ticks + llround((double)self->base_ticks * move);
}

/* Cumulative volume: grows by at least 1 per tick since the hash term is
 * below one step. */
static int64_t volume_at(const struct simfeed_symbol *self, int64_t n)
{
    int64_t step = self->volume_step;
    uint64_t h = tick_hash(self, n, SALT_VOLUME);
    return n * step + (int64_t)(h % (uint64_t)step);
}

/* Five levels around last: the best bid is last or one step below. */
static void fill_book(const struct simfeed_symbol *self, int64_t n,
                      int64_t last, struct hamd_tick *t)
{
    int64_t bid1 = last - (int64_t)(tick_hash(self, n, SALT_SPREAD) & 1);
    for (int i = 0; i < HAMD_TICK_DEPTH; i++) {
        t->bid_price[i] = (double)(bid1 - i) * self->tick_size;
        t->ask_price[i] = (double)(bid1 + 1 + i) * self->tick_size;
        uint64_t bid_salt = SALT_BOOK + (uint64_t)i;
        uint64_t ask_salt = bid_salt + HAMD_TICK_DEPTH;
        t->bid_volume[i] =
            (double)(1 + tick_hash(self, n, bid_salt) % BOOK_VOLUME_MAX);
        t->ask_volume[i] =
            (double)(1 + tick_hash(self, n, ask_salt) % BOOK_VOLUME_MAX);
    }
}

void simfeed_tick(const struct simfeed_symbol *self, int64_t n,
                  struct hamd_tick *out)
{
    if (n < 0)
        n = 0;
    *out = self->tmpl;
    int64_t last = last_ticks(self, n);
    int64_t volume = volume_at(self, n);
    out->datetime_ns = simfeed_datetime_ns(n, self->rate_milli);
    out->last_price = (double)last * self->tick_size;
    out->volume = (double)volume;
    int64_t prev = n > 0 ? volume_at(self, n - 1) : 0;
    out->last_volume = (double)(volume - prev);
    out->turnover = (double)volume * self->multiplier * self->tmpl.pre_close;
    out->open_interest =
        (double)(self->oi_base + n * OI_STEP +
                 (int64_t)(tick_hash(self, n, SALT_OI) % OI_STEP));
    fill_book(self, n, last, out);
    hamd_tick_extra_set_int(out, SIMFEED_EXTRA_SEQ_KEY, n);
}
