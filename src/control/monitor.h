/* Health monitor shell (docs/failover.md): the I/O around health.c.
 *
 * Every node watches its own gateways: every check_interval_ms it builds
 * one observation per gateway from the supervisor (process), the gateway's
 * STATUS/HB (via the data plane) and the data plane's per-source
 * statistics (canary, staleness, latency), runs the pure state machine,
 * logs and counts every state change, raises gateway_state_changed events,
 * orders hard restarts, and tells the failover shell (steer.h). Process
 * exits and STATUS disconnected/error are applied at once, not at the next
 * check, so a crash fails over within milliseconds. */
#ifndef HAMD_MONITOR_H
#define HAMD_MONITOR_H

#include <stdint.h>

#include "hamd/gwproto.h"
#include "core/health.h"

struct hamd_node;
struct hamd_monitor;

/* Creates the monitor of node and starts its check timer. */
struct hamd_monitor *hamd_monitor_new(struct hamd_node *node);

/* Stops the check timer (shutdown). */
void hamd_monitor_stop(struct hamd_monitor *self);

/* Frees the monitor; nulls *self. */
void hamd_monitor_destroy(struct hamd_monitor **self);

/* A health machine for a newly known account, and its release. */
struct hamd_health *hamd_monitor_health_new(struct hamd_monitor *self);
void hamd_monitor_health_destroy(struct hamd_health **health);

/* Delay before relaunching account's gateway: the health machine's
 * backoff, which starts over once the gateway stayed HEALTHY. */
unsigned hamd_monitor_relaunch_delay_ms(struct hamd_monitor *self,
                                        const char *account);

/* Inputs from the supervisor and the data plane. */
void hamd_monitor_on_launch(struct hamd_monitor *self, const char *account,
                            int pid);
void hamd_monitor_on_exit(struct hamd_monitor *self, const char *account,
                          int status);
void hamd_monitor_on_status(struct hamd_monitor *self, const char *account,
                            const struct hamd_gw_status *status,
                            int64_t mono_ns);

#endif /* HAMD_MONITOR_H */
