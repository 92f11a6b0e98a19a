/* The simulator's params: the HAMD_GW_PARAMS JSON object (jansson).
 *
 *   seed            integer >= 0      feed seed (1); same seed = same ticks
 *   rate            number            ticks/s per symbol (2), 0.001..1000
 *   rates           {vt_symbol: rate} per-symbol override of rate
 *   exchanges       [string]          only these exchanges tick (all)
 *   login_ms        integer ms        connected -> logged_in delay (0)
 *   fault           "NAME [ARG]"      initial fault ("none")
 *   fault_after_ms  integer ms        start the initial fault this late (0)
 *   reconnect_ms    integer ms | null disconnect fault length (null: never)
 *   control         ZMQ endpoint      bind a REP control socket there
 *   upstream        ZMQ endpoint      take ticks from this front instead of
 *                                     generating them (frontproto.h)
 *   link_timeout_ms integer ms        front silent this long = link lost
 *                                     (GWSIM_LINK_TIMEOUT_DEFAULT_MS)
 *   tap             ZMQ endpoint      bind a PUB there: a copy of every
 *                                     tick sent to the hub, for tests
 *   log_level       string            debug | info | warn | error (info)
 *
 * Unknown keys are logged and ignored: an account's params may carry keys
 * meant for the hub or for people (a password to test masking, notes).
 * A key of the wrong type or out of range is an error naming the key.
 */
#ifndef GWSIM_PARAMS_H
#define GWSIM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw-sim/faults.h"
#include "hamd/tick.h"

#define GWSIM_DEFAULT_SEED 1          /* feed seed without seed= */
#define GWSIM_DEFAULT_RATE_MILLI 2000 /* 2 ticks/s, like a CTP front */
#define GWSIM_EXCHANGES_MAX 16        /* entries of `exchanges` */
#define GWSIM_RATES_MAX 65536         /* entries of `rates` */
#define GWSIM_ENDPOINT_MAX 256        /* bytes of an endpoint incl. NUL */
#define GWSIM_PID_PLACEHOLDER "{pid}" /* in `control`, `tap`: the pid */
#define GWSIM_PARAMS_ERR_MAX 256      /* size of an error buffer */

/* One entry of `rates`. */
struct gwsim_rate {
    char vt_symbol[HAMD_VT_SYMBOL_MAX]; /* the contract */
    uint32_t rate_milli;                /* its rate, ticks per 1000 s */
};

struct gwsim_params {
    uint64_t seed;                 /* feed seed */
    uint32_t rate_milli;           /* default rate, ticks per 1000 s */
    size_t n_rates;                /* entries in rates */
    struct gwsim_rate *rates;      /* per-symbol rates, sorted by vt_symbol */
    size_t n_exchanges;            /* 0: every exchange ticks */
    char exchanges[GWSIM_EXCHANGES_MAX][HAMD_EXCHANGE_MAX]; /* served ones */
    int64_t login_ms;              /* connected -> logged_in delay */
    enum gwsim_fault fault;        /* initial fault */
    int64_t fault_arg_ms;          /* its ARG, GWSIM_NEVER_MS = default */
    int64_t fault_after_ms;        /* initial fault starts this late */
    int64_t reconnect_ms;          /* disconnect length, NEVER: until "none" */
    char control[GWSIM_ENDPOINT_MAX]; /* control endpoint, "" = none */
    char upstream[GWSIM_ENDPOINT_MAX]; /* front endpoint, "" = generate */
    int64_t link_timeout_ms;       /* upstream: silence = link lost */
    char tap[GWSIM_ENDPOINT_MAX];  /* tap endpoint, "" = none */
    int log_level;                 /* enum hamd_log_level, -1 = not given */
};

/* Parses the params JSON text (NULL or "" = {}). Returns a new object, or
 * NULL with a message naming the key in err. */
struct gwsim_params *gwsim_params_new(const char *json_text, char *err,
                                      size_t errcap);

/* Frees the params and sets *self_p to NULL. */
void gwsim_params_destroy(struct gwsim_params **self_p);

/* Returns the rate of a contract: its `rates` entry or the default. */
uint32_t gwsim_params_rate(const struct gwsim_params *self,
                           const char *vt_symbol);

/* True when the exchange ticks here (no `exchanges` list, or listed). */
bool gwsim_params_serves(const struct gwsim_params *self,
                         const char *exchange);

/* Fills the fault machine settings from the params. */
void gwsim_params_fault_cfg(const struct gwsim_params *self,
                            struct gwsim_fault_cfg *out);

/* Writes endpoint with every "{pid}" replaced by pid into out (cap bytes):
 * one account runs on every node, so a per-process control endpoint needs
 * a name no other copy of it uses. Returns false when out is too small. */
bool gwsim_endpoint_expand(const char *endpoint, long pid, char *out,
                           size_t cap);

#endif /* GWSIM_PARAMS_H */
