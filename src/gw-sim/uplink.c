/* The link watchdog of a gateway in upstream mode: see uplink.h. */
#include "gw-sim/uplink.h"

#include <string.h>

void gwsim_uplink_start(struct gwsim_uplink *self, int64_t timeout_ms,
                        int64_t now_ms)
{
    memset(self, 0, sizeof *self);
    self->timeout_ms = timeout_ms;
    self->last_rx_ms = now_ms;
    self->changed_ms = now_ms;
}

enum gwsim_uplink_event gwsim_uplink_rx(struct gwsim_uplink *self,
                                        int64_t now_ms)
{
    if (now_ms > self->last_rx_ms)
        self->last_rx_ms = now_ms;
    if (self->up)
        return GWSIM_UPLINK_NONE;
    self->up = true;
    self->changed_ms = now_ms;
    self->ups++;
    return GWSIM_UPLINK_UP;
}

/* The link goes down at now_ms; closed says why. */
static enum gwsim_uplink_event lose(struct gwsim_uplink *self, int64_t now_ms,
                                    bool closed)
{
    self->up = false;
    self->closed = closed;
    self->changed_ms = now_ms;
    self->losses++;
    return GWSIM_UPLINK_DOWN;
}

enum gwsim_uplink_event gwsim_uplink_advance(struct gwsim_uplink *self,
                                             int64_t now_ms)
{
    if (!self->up || now_ms < gwsim_uplink_next_due_ms(self))
        return GWSIM_UPLINK_NONE;
    return lose(self, now_ms, false);
}

enum gwsim_uplink_event gwsim_uplink_closed(struct gwsim_uplink *self,
                                            int64_t now_ms)
{
    return self->up ? lose(self, now_ms, true) : GWSIM_UPLINK_NONE;
}

int64_t gwsim_uplink_next_due_ms(const struct gwsim_uplink *self)
{
    return self->up ? self->last_rx_ms + self->timeout_ms : INT64_MAX;
}

int64_t gwsim_uplink_silent_ms(const struct gwsim_uplink *self,
                               int64_t now_ms)
{
    return now_ms > self->last_rx_ms ? now_ms - self->last_rx_ms : 0;
}
