/* hamd-gw-sim's I/O shell: the ZMQ sockets and the event loop around the
 * pure parts (feed, faults, control parsing). One thread, one loop:
 *
 *   each iteration: fault timers -> heartbeat -> due ticks -> poll the hub
 *   DEALER and the control REP until the next tick, HB or timer is due.
 */
#ifndef GWSIM_SIM_H
#define GWSIM_SIM_H

#include <signal.h>
#include <stddef.h>

#include "gw-sim/params.h"

#define GWSIM_EXIT_OK 0    /* STOP from the hub, SIGTERM or SIGINT */
#define GWSIM_EXIT_ERROR 1 /* runtime failure (ZMQ, memory) */
#define GWSIM_EXIT_USAGE 2 /* bad arguments, environment or params */
/* GWSIM_EXIT_CRASH (3, faults.h): the crash fault */

struct gwsim;

/* Creates the sim of account (a valid account id) for the hub at endpoint:
 * connects the DEALER and binds the control endpoint if the params name
 * one. params must outlive the sim. Returns the sim, or NULL with a
 * message in err and the exit code to use in *exit_code. */
struct gwsim *gwsim_new(const char *endpoint, const char *account,
                        const struct gwsim_params *params, char *err,
                        size_t errcap, int *exit_code);

/* Closes the sockets, frees the sim and sets *self_p to NULL. */
void gwsim_destroy(struct gwsim **self_p);

/* Runs the gateway until STOP, until *stop becomes non-zero (set it from a
 * signal handler) or until the crash fault (which _exits with
 * GWSIM_EXIT_CRASH). Returns the exit code. */
int gwsim_run(struct gwsim *self, const volatile sig_atomic_t *stop);

#endif /* GWSIM_SIM_H */
