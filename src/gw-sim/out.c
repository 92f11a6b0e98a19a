/* Messages to the hub: see out.h. */
#include "gw-sim/out.h"

#include <stdbool.h>
#include <string.h>

#include "gw-sim/badmsg.h"

#define GWSIM_GATEWAY_TYPE "sim" /* gateway_type of its HELLO */

void gwsim_out_init(struct gwsim_out *self, void *dealer)
{
    memset(self, 0, sizeof *self);
    hamd_gwout_init(&self->gw, dealer);
}

int gwsim_out_hello(struct gwsim_out *self, const char *account, int64_t pid)
{
    return hamd_gwout_hello(&self->gw, account, pid, GWSIM_GATEWAY_TYPE);
}

/* Sends one malformed message of the given kind, derived from tick n. */
static int send_bad(struct gwsim_out *self, enum gwsim_bad kind,
                    const struct hamd_tick *tick, int64_t n)
{
    size_t len = gwsim_bad_encode(kind, tick, n, self->gw.body,
                                  sizeof self->gw.body);
    bool single = gwsim_bad_frames(kind) == 1;
    if (!single && len == 0)
        return -1;
    return hamd_gwout_frames(&self->gw, gwsim_bad_type_frame(kind),
                             self->gw.body, len, single);
}

int gwsim_out_tick(struct gwsim_out *self, const struct hamd_tick *tick,
                   int64_t n, enum gwsim_fault fault)
{
    if (fault == GWSIM_FAULT_WRONG) {
        if (send_bad(self, gwsim_bad_wrong_kind(n), tick, n) != 0)
            return -1;
        self->wrong++;
        return 0;
    }
    int rc = hamd_gwout_tick(&self->gw, tick);
    if (rc < 0)
        return -1;
    if (rc == 0 && fault == GWSIM_FAULT_GARBAGE &&
        send_bad(self, gwsim_bad_garbage_kind(n), tick, n) == 0)
        self->garbage++;
    return 0; /* rc 1: a tick that cannot be encoded is skipped */
}
