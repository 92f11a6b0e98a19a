/* Requests of the simulator's control endpoint: PURE parsing.
 *
 * The sim binds a REP socket at the `control` param; a request is one text
 * frame, the reply one text frame:
 *
 *   "fault NAME [ARG]"  -> "ok" or "error: ..."   (see faults.h)
 *   "status"            -> JSON {fault, fault_arg_ms, link, counters...}
 */
#ifndef GWSIM_CONTROL_H
#define GWSIM_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "gw-sim/faults.h"

#define GWSIM_CONTROL_REQUEST_MAX 128 /* bytes of one request */

enum gwsim_command_kind {
    GWSIM_CMD_FAULT = 0, /* switch the fault */
    GWSIM_CMD_STATUS,    /* report the state as JSON */
};

/* One parsed request. */
struct gwsim_command {
    enum gwsim_command_kind kind; /* what to do */
    enum gwsim_fault fault;       /* CMD_FAULT: the fault to switch to */
    int64_t arg_ms;               /* CMD_FAULT: its ARG, or GWSIM_NEVER_MS */
};

/* Parses a request frame (not NUL-terminated). Returns 0 and fills *out,
 * or -1 with a message for the reply in err. */
int gwsim_command_parse(const void *frame, size_t len,
                        struct gwsim_command *out, char *err, size_t errcap);

#endif /* GWSIM_CONTROL_H */
