/* Shared by the simulator's fuzz targets (fuzz_sim_control.c,
 * fuzz_sim_params.c): running the pure fault machine (faults.h) the way
 * the simulator's loop does, from one timer to the next. */
#ifndef HAMD_FUZZ_SIM_H
#define HAMD_FUZZ_SIM_H

#include "fuzz.h"
#include "gw-sim/faults.h"

#define FUZZ_SIM_START_MS 1000 /* monotonic time the machine starts at */
#define FUZZ_SIM_STEPS 8       /* timers followed per input */

/* What one step asked of the shell is something the shell can do. */
static inline void fuzz_sim_effects_check(const struct gwsim_effects *fx)
{
    FUZZ_CHECK(fx->n_status <= GWSIM_STATUS_BURST_MAX);
    for (unsigned i = 0; i < fx->n_status; i++)
        FUZZ_CHECK(fx->status[i] <= HAMD_GW_ERROR);
}

/* Advances the machine through its next FUZZ_SIM_STEPS timers, as the
 * simulator's loop does when it sleeps until the next one is due. */
static inline void fuzz_sim_follow(struct gwsim_faults *f, int64_t now_ms)
{
    for (unsigned i = 0; i < FUZZ_SIM_STEPS; i++) {
        int64_t due = gwsim_faults_next_due_ms(f);
        if (due == INT64_MAX)
            return;
        FUZZ_CHECK(due >= 0);
        now_ms = due > now_ms ? due : now_ms;
        struct gwsim_effects fx = {0};
        gwsim_faults_advance(f, now_ms, &fx);
        fuzz_sim_effects_check(&fx);
        FUZZ_CHECK(f->fault < GWSIM_FAULT_COUNT);
        (void)gwsim_faults_ticks_flow(f);
        (void)gwsim_faults_hb_flow(f);
        FUZZ_CHECK(gwsim_faults_delay_ms(f) >= 0);
    }
}

#endif /* HAMD_FUZZ_SIM_H */
