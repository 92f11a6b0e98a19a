/* `hamd-gw-sim --front ENDPOINT`: a simulated exchange front, the
 * upstream of gateways in upstream mode (frontproto.h, docs/gw-sim.md).
 *
 * A standalone process, not launched by hamd: it binds a ROUTER at
 * ENDPOINT and sends every client the ticks of the contracts it
 * subscribed, from the same deterministic feed as the in-process sim
 * (feed.h: tick n of a contract is a pure function of (seed, vt_symbol,
 * n)), so two fronts with the same seed send identical ticks, and every
 * gateway connected to one front, on any host, gets the same ticks. One
 * thread, one loop:
 *
 *   each iteration: drop silent clients -> heartbeats -> due ticks (one
 *   encoding each, sent to every client that wants them) -> poll the
 *   ROUTER until the next tick or heartbeat is due.
 */
#ifndef GWSIM_FRONT_H
#define GWSIM_FRONT_H

#include <signal.h>
#include <stddef.h>

#include "gw-sim/params.h"

/* A front that fell this far behind the wall clock (it was stopped, the
 * clock jumped) skips to the present instead of catching up: an exchange
 * front does not replay what it missed. Gateways have declared the link
 * lost long before (link_timeout_ms). */
#define GWSIM_FRONT_LAG_MAX_MS 1000

struct gwsim_front;

/* Creates the front: binds a ROUTER at endpoint. Uses the params' seed,
 * rate, rates and exchanges; params must outlive the front. Returns it,
 * or NULL with a message in err. */
struct gwsim_front *gwsim_front_new(const char *endpoint,
                                    const struct gwsim_params *params,
                                    char *err, size_t errcap);

/* Closes the socket, frees the front and sets *self_p to NULL. */
void gwsim_front_destroy(struct gwsim_front **self_p);

/* Serves until *stop becomes non-zero (set it from a signal handler).
 * Returns an exit code: 0, or 1 when polling failed. */
int gwsim_front_run(struct gwsim_front *self,
                    const volatile sig_atomic_t *stop);

#endif /* GWSIM_FRONT_H */
