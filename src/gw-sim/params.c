/* HAMD_GW_PARAMS parsing: see params.h. */
#include "gw-sim/params.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gw-common/gwenv.h"
#include "gw-sim/feed.h"
#include "gw-sim/uplink.h"

#define RATE_MILLI_PER_UNIT 1000.0 /* rate_milli per tick/s */

static const char *const KNOWN_KEYS[] = {
    "seed", "rate", "rates", "exchanges", "login_ms", "fault",
    "fault_after_ms", "reconnect_ms", "control", "upstream",
    "link_timeout_ms", "tap", "log_level",
};

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

/* Reads an optional integer key in [min, max] into *out. */
static int get_int(json_t *obj, const char *key, int64_t min, int64_t max,
                   int64_t *out, char *err, size_t errcap)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max) {
        snprintf(err, errcap, "%s: expected an integer in %lld..%lld", key,
                 (long long)min, (long long)max);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

/* Converts a JSON rate (ticks/s) to milli-ticks per second. */
static int rate_of(json_t *v, uint32_t *out)
{
    if (!json_is_number(v))
        return -1;
    double rate = json_number_value(v);
    if (!isfinite(rate))
        return -1;
    double milli = rate * RATE_MILLI_PER_UNIT;
    if (milli < SIMFEED_RATE_MILLI_MIN - 0.5 ||
        milli > SIMFEED_RATE_MILLI_MAX + 0.5)
        return -1;
    int64_t m = llround(milli);
    if (!simfeed_rate_valid(m))
        return -1;
    *out = (uint32_t)m;
    return 0;
}

static int cmp_rate(const void *a, const void *b)
{
    return strcmp(((const struct gwsim_rate *)a)->vt_symbol,
                  ((const struct gwsim_rate *)b)->vt_symbol);
}

/* Reads `rates`: {vt_symbol: rate}. */
static int get_rates(struct gwsim_params *self, json_t *obj, char *err,
                     size_t errcap)
{
    json_t *rates = json_object_get(obj, "rates");
    if (!rates)
        return 0;
    if (!json_is_object(rates) || json_object_size(rates) > GWSIM_RATES_MAX) {
        snprintf(err, errcap, "rates: expected an object of at most %d "
                 "{\"symbol.EXCHANGE\": ticks_per_s}", GWSIM_RATES_MAX);
        return -1;
    }
    self->rates = calloc(json_object_size(rates) + 1, sizeof *self->rates);
    if (!self->rates) {
        snprintf(err, errcap, "rates: out of memory");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(rates, key, v) {
        struct gwsim_rate *r = &self->rates[self->n_rates];
        if (!hamd_tick_vt_symbol_valid(key, strlen(key)) ||
            rate_of(v, &r->rate_milli) != 0) {
            snprintf(err, errcap, "rates.%.60s: expected \"symbol.EXCHANGE\": "
                     "a number in 0.001..1000", key);
            return -1;
        }
        strcpy(r->vt_symbol, key);
        self->n_rates++;
    }
    qsort(self->rates, self->n_rates, sizeof *self->rates, cmp_rate);
    return 0;
}

/* Reads `exchanges`: a non-empty array of exchange codes. */
static int get_exchanges(struct gwsim_params *self, json_t *obj, char *err,
                         size_t errcap)
{
    json_t *arr = json_object_get(obj, "exchanges");
    if (!arr)
        return 0;
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0 || n > GWSIM_EXCHANGES_MAX) {
        snprintf(err, errcap, "exchanges: expected an array of 1..%d "
                 "exchange codes", GWSIM_EXCHANGES_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *code = json_string_value(json_array_get(arr, i));
        if (!code || !*code || strlen(code) >= HAMD_EXCHANGE_MAX) {
            snprintf(err, errcap, "exchanges[%zu]: expected a non-empty "
                     "string of at most %d characters", i,
                     HAMD_EXCHANGE_MAX - 1);
            return -1;
        }
        strcpy(self->exchanges[self->n_exchanges++], code);
    }
    return 0;
}

/* Reads `rate` and `seed`. */
static int get_feed(struct gwsim_params *self, json_t *obj, char *err,
                    size_t errcap)
{
    int64_t seed = GWSIM_DEFAULT_SEED;
    if (get_int(obj, "seed", 0, INT64_MAX, &seed, err, errcap) != 0)
        return -1;
    self->seed = (uint64_t)seed;
    json_t *rate = json_object_get(obj, "rate");
    if (rate && rate_of(rate, &self->rate_milli) != 0) {
        snprintf(err, errcap, "rate: expected a number of ticks/s in "
                 "0.001..1000");
        return -1;
    }
    return 0;
}

/* Reads `fault`, `fault_after_ms`, `reconnect_ms` and `login_ms`. */
static int get_faults(struct gwsim_params *self, json_t *obj, char *err,
                      size_t errcap)
{
    json_t *fault = json_object_get(obj, "fault");
    char why[GWSIM_PARAMS_ERR_MAX];
    if (fault && (!json_is_string(fault) ||
                  gwsim_fault_spec_parse(json_string_value(fault), &self->fault,
                                         &self->fault_arg_ms, why,
                                         sizeof why) != 0)) {
        snprintf(err, errcap, "fault: %s", json_is_string(fault) ? why :
                 "expected a string \"NAME [ARG]\"");
        return -1;
    }
    bool reconnect_never = json_is_null(json_object_get(obj, "reconnect_ms"));
    if (!reconnect_never &&
        get_int(obj, "reconnect_ms", 0, GWSIM_FAULT_ARG_MAX_MS,
                &self->reconnect_ms, err, errcap) != 0)
        return -1;
    return get_int(obj, "fault_after_ms", 0, GWSIM_FAULT_ARG_MAX_MS,
                   &self->fault_after_ms, err, errcap) ||
           get_int(obj, "login_ms", 0, GWSIM_FAULT_ARG_MAX_MS,
                   &self->login_ms, err, errcap)
               ? -1 : 0;
}

/* Reads an optional endpoint key into out (GWSIM_ENDPOINT_MAX bytes). */
static int get_endpoint(json_t *obj, const char *key, char *out, char *err,
                        size_t errcap)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) >= GWSIM_ENDPOINT_MAX ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(err, errcap, "%s: expected a ZMQ endpoint string", key);
        return -1;
    }
    strcpy(out, json_string_value(v));
    return 0;
}

/* Reads `upstream` and `link_timeout_ms`. */
static int get_upstream(struct gwsim_params *self, json_t *obj, char *err,
                        size_t errcap)
{
    return get_endpoint(obj, "upstream", self->upstream, err, errcap) ||
           get_int(obj, "link_timeout_ms", GWSIM_LINK_TIMEOUT_MIN_MS,
                   GWSIM_FAULT_ARG_MAX_MS, &self->link_timeout_ms, err,
                   errcap)
               ? -1 : 0;
}

/* Reads `control`, `tap` and `log_level`. */
static int get_misc(struct gwsim_params *self, json_t *obj, char *err,
                    size_t errcap)
{
    if (get_endpoint(obj, "control", self->control, err, errcap) != 0 ||
        get_endpoint(obj, "tap", self->tap, err, errcap) != 0)
        return -1;
    return hamd_gwenv_log_level(obj, &self->log_level, err, errcap);
}

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

/* Sets every default. */
static void set_defaults(struct gwsim_params *self)
{
    self->seed = GWSIM_DEFAULT_SEED;
    self->rate_milli = GWSIM_DEFAULT_RATE_MILLI;
    self->fault = GWSIM_FAULT_NONE;
    self->fault_arg_ms = GWSIM_NEVER_MS;
    self->reconnect_ms = GWSIM_NEVER_MS;
    self->link_timeout_ms = GWSIM_LINK_TIMEOUT_DEFAULT_MS;
    self->log_level = -1;
}

/* Parses the object into self. */
static int parse_object(struct gwsim_params *self, json_t *obj, char *err,
                        size_t errcap)
{
    if (hamd_gwenv_params_object(obj, KNOWN_KEYS,
                                 sizeof KNOWN_KEYS / sizeof *KNOWN_KEYS, err,
                                 errcap) != 0)
        return -1;
    return get_feed(self, obj, err, errcap) ||
           get_rates(self, obj, err, errcap) ||
           get_exchanges(self, obj, err, errcap) ||
           get_faults(self, obj, err, errcap) ||
           get_upstream(self, obj, err, errcap) ||
           get_misc(self, obj, err, errcap)
               ? -1 : 0;
}

struct gwsim_params *gwsim_params_new(const char *json_text, char *err,
                                      size_t errcap)
{
    struct gwsim_params *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errcap, "params: out of memory");
        return NULL;
    }
    set_defaults(self);
    json_error_t jerr;
    json_t *obj = json_loads(json_text && *json_text ? json_text : "{}",
                             JSON_REJECT_DUPLICATES, &jerr);
    if (!obj)
        snprintf(err, errcap, "params: invalid JSON at line %d column %d: %s",
                 jerr.line, jerr.column, jerr.text);
    int rc = obj ? parse_object(self, obj, err, errcap) : -1;
    json_decref(obj);
    if (rc != 0)
        gwsim_params_destroy(&self);
    return self;
}

void gwsim_params_destroy(struct gwsim_params **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->rates);
    free(*self_p);
    *self_p = NULL;
}

/* ------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------ */

uint32_t gwsim_params_rate(const struct gwsim_params *self,
                           const char *vt_symbol)
{
    struct gwsim_rate key;
    if (self->n_rates == 0 || strlen(vt_symbol) >= sizeof key.vt_symbol)
        return self->rate_milli;
    strcpy(key.vt_symbol, vt_symbol);
    const struct gwsim_rate *hit =
        bsearch(&key, self->rates, self->n_rates, sizeof key, cmp_rate);
    return hit ? hit->rate_milli : self->rate_milli;
}

bool gwsim_params_serves(const struct gwsim_params *self, const char *exchange)
{
    if (self->n_exchanges == 0)
        return true;
    for (size_t i = 0; i < self->n_exchanges; i++)
        if (strcmp(self->exchanges[i], exchange) == 0)
            return true;
    return false;
}

void gwsim_params_fault_cfg(const struct gwsim_params *self,
                            struct gwsim_fault_cfg *out)
{
    out->login_ms = self->login_ms;
    out->reconnect_ms = self->reconnect_ms;
    out->initial = self->fault;
    out->initial_arg_ms = self->fault_arg_ms;
    out->initial_after_ms = self->fault_after_ms;
    out->upstream = self->upstream[0] != '\0';
}

bool gwsim_endpoint_expand(const char *endpoint, long pid, char *out, size_t cap)
{
    const size_t ph_len = strlen(GWSIM_PID_PLACEHOLDER);
    size_t used = 0;
    for (const char *p = endpoint; *p;) {
        int n;
        if (strncmp(p, GWSIM_PID_PLACEHOLDER, ph_len) == 0) {
            n = snprintf(out + used, cap - used, "%ld", pid);
            p += ph_len;
        } else {
            n = snprintf(out + used, cap - used, "%c", *p);
            p++;
        }
        if (n < 0 || (size_t)n >= cap - used)
            return false;
        used += (size_t)n;
    }
    if (used == 0 && cap > 0)
        out[0] = '\0';
    return cap > 0;
}
