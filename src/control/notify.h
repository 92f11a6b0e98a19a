/* The service manager's view of the node (docs/operations.md, "systemd"):
 * systemd's notify protocol through libsystemd's sd_notify, for a unit
 * with Type=notify and WatchdogSec=.
 *
 *   READY=1     once Raft runs (the node knows its role) and the store
 *               works: what /healthz says; `systemctl start` returns then
 *   STATUS=...  role, term, leader and publishing, on every change
 *               (`systemctl status hamd` shows it)
 *   WATCHDOG=1  from a timer on the control loop, every half of
 *               WATCHDOG_USEC: a loop that stops turning stops the pings
 *               and systemd kills and restarts the node
 *   STOPPING=1  when shutdown begins
 *
 * Without NOTIFY_SOCKET (not under systemd, or Type=simple) every call is
 * a no-op; without WATCHDOG_USEC no timer runs. */
#ifndef HAMD_NOTIFY_H
#define HAMD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct hamd_notify;

/* What STATUS= says; the node fills it on every role or lease change. */
struct hamd_notify_state {
    const char *role;        /* "follower", "leader", ...; "unavailable"
                                until Raft runs */
    uint64_t term;           /* current Raft term */
    uint64_t leader_id;      /* node believed to lead; 0 = unknown */
    bool publishing;         /* holds the lease and publishes */
    bool store_ok;           /* the replicated store works */
};

/* Creates the notifier of node node_id on loop and starts the watchdog
 * timer when the service manager asked for one. NULL when out of memory. */
struct hamd_notify *hamd_notify_new(uv_loop_t *loop, unsigned node_id);

/* The node's state changed: READY=1 the first time Raft runs with a
 * working store, STATUS= whenever the text changes. */
void hamd_notify_state(struct hamd_notify *self,
                       const struct hamd_notify_state *st);

/* Shutdown began (why: "SIGTERM", ...): STOPPING=1 with a STATUS=. */
void hamd_notify_stopping(struct hamd_notify *self, const char *why);

/* The watchdog ping interval in ms; 0 when no watchdog runs. */
unsigned hamd_notify_watchdog_ms(const struct hamd_notify *self);

/* Stops the timer and frees the notifier once it is closed; nulls *self. */
void hamd_notify_destroy(struct hamd_notify **self);

#endif /* HAMD_NOTIFY_H */
