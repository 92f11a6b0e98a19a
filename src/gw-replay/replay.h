/* hamd-gw-replay's I/O shell: the DEALER to the hub, the loop, and the
 * cursor that walks the recording as the wall clock moves. */
#ifndef REPLAY_REPLAY_H
#define REPLAY_REPLAY_H

#include <signal.h>
#include <stddef.h>

#include "gw-replay/params.h"

/* Exit codes (docs/gw-replay.md). */
#define REPLAY_EXIT_OK 0    /* STOP, SIGTERM, SIGINT */
#define REPLAY_EXIT_ERROR 1 /* runtime error (ZMQ, memory) */
#define REPLAY_EXIT_USAGE 2 /* bad environment, params or recording */

struct replay;

/* Creates the replay and connects to the hub. NULL with err and
 * *exit_code set on failure. */
struct replay *replay_new(const char *endpoint, const char *account,
                          const struct replay_params *params, char *err,
                          size_t errcap, int *exit_code);

/* Closes sockets, frees, sets *self_p to NULL. */
void replay_destroy(struct replay **self_p);

/* Runs until STOP from the hub, *stop set by a signal, or a bad
 * recording. Returns the exit code. */
int replay_run(struct replay *self, const volatile sig_atomic_t *stop);

#endif /* REPLAY_REPLAY_H */
