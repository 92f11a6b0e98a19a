/* Fuzz target: a request to the simulator's control endpoint
 * (src/gw-sim/control.h), "fault NAME [ARG]" or "status", which tests and
 * operators send to hamd-gw-sim.
 *
 * Input: the request frame. A fault request that parses is carried out
 * as the simulator does it (sim_control.c, without the sockets): the
 * fault machine, started with the default params, switches to it and is
 * followed through its next timers.
 *
 * Checks: a refused request says why; a parsed one names a known fault
 * with an ARG in range; every step's effects fit what the shell sends. */
#include <string.h>

#include "fuzz_sim.h"
#include "gw-sim/control.h"

#define SIM_ERR_MAX 256 /* reply error buffer, as sim_control.c */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gwsim_command cmd;
    char err[SIM_ERR_MAX] = "";
    if (gwsim_command_parse(data, size, &cmd, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    if (cmd.kind == GWSIM_CMD_STATUS)
        return 0;
    FUZZ_CHECK(cmd.kind == GWSIM_CMD_FAULT && cmd.fault < GWSIM_FAULT_COUNT);
    FUZZ_CHECK(cmd.arg_ms == GWSIM_NEVER_MS ||
               (cmd.arg_ms >= 0 && cmd.arg_ms <= GWSIM_FAULT_ARG_MAX_MS));
    FUZZ_CHECK(gwsim_fault_name(cmd.fault) != NULL);

    struct gwsim_fault_cfg cfg = {.reconnect_ms = GWSIM_NEVER_MS,
                                  .initial = GWSIM_FAULT_NONE,
                                  .initial_arg_ms = GWSIM_NEVER_MS};
    struct gwsim_faults f;
    struct gwsim_effects fx = {0};
    gwsim_faults_start(&f, &cfg, FUZZ_SIM_START_MS, &fx);
    fuzz_sim_effects_check(&fx);
    gwsim_faults_set(&f, cmd.fault, cmd.arg_ms, FUZZ_SIM_START_MS, &fx);
    fuzz_sim_effects_check(&fx);
    FUZZ_CHECK(fx.crash == (cmd.fault == GWSIM_FAULT_CRASH));
    fuzz_sim_follow(&f, FUZZ_SIM_START_MS);
    return 0;
}
