/* Fuzz target: the simulator's params (src/gw-sim/params.h), the JSON
 * object hamd hands every gateway in HAMD_GW_PARAMS: an account's params
 * as an operator wrote them through the admin API.
 *
 * Input: the JSON text. Params that parse are used as hamd-gw-sim uses
 * them: the fault machine starts from them and follows its timers, the
 * control endpoint is expanded, and the contracts of `rates` (or one
 * default contract) make their feed and the tick at a fixed wall time.
 *
 * Checks: refused params say why; the machine's effects fit what the
 * shell sends; every simulated tick is a tick the hub accepts. */
#include <string.h>

#include "fuzz_sim.h"
#include "gw-sim/feed.h"
#include "gw-sim/params.h"
#include "hamd/tick.h"

#define SIM_WALL_NS 1767225600000000000LL /* 2026-01-01T00:00:00Z */
#define SIM_PID 4242L                      /* pid for "{pid}" */
#define SIM_FEEDS_MAX 4                    /* contracts simulated */

/* The tick the sim would send for vt_symbol now decodes in the hub. */
static void sim_feed_check(const struct gwsim_params *p, const char *vt_symbol)
{
    struct simfeed_symbol feed;
    struct hamd_tick t, back;
    uint8_t wire[HAMD_TICK_WIRE_MAX];
    uint32_t rate = gwsim_params_rate(p, vt_symbol);
    if (simfeed_symbol_init(&feed, p->seed, vt_symbol, rate, "sim_a") != 0)
        return;
    int64_t n = simfeed_n_at(SIM_WALL_NS, rate);
    FUZZ_CHECK(n >= 0);
    simfeed_tick(&feed, n, &t);
    t.localtime_ns = SIM_WALL_NS;
    size_t len = hamd_tick_encode(&t, false, wire, sizeof wire);
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(hamd_tick_decode(wire, len, &back) == HAMD_TICK_OK);
    (void)gwsim_params_serves(p, feed.tmpl.exchange);
}

static void sim_use(const struct gwsim_params *p)
{
    struct gwsim_fault_cfg cfg;
    struct gwsim_faults f;
    struct gwsim_effects fx = {0};
    gwsim_params_fault_cfg(p, &cfg);
    gwsim_faults_start(&f, &cfg, FUZZ_SIM_START_MS, &fx);
    fuzz_sim_effects_check(&fx);
    fuzz_sim_follow(&f, FUZZ_SIM_START_MS);

    char ep[GWSIM_ENDPOINT_MAX];
    (void)gwsim_endpoint_expand(p->control, SIM_PID, ep, sizeof ep);
    sim_feed_check(p, "rb2601.SHFE");
    for (size_t i = 0; i < p->n_rates && i < SIM_FEEDS_MAX; i++)
        sim_feed_check(p, p->rates[i].vt_symbol);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    char err[GWSIM_PARAMS_ERR_MAX] = "";
    struct gwsim_params *p = gwsim_params_new(text, err, sizeof err);
    free(text);
    if (p == NULL) {
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    sim_use(p);
    gwsim_params_destroy(&p);
    return 0;
}
