/* Events (docs/failover.md): one JSON object each, e.g.
 *   {"event_type": "failover_executed", "timestamp": "...Z", ...}
 *
 * Raising one logs it as one JSON line ("EVENT {...}") on the node that
 * saw it; on the lease holder it is also committed to the replicated,
 * bounded history (GET /api/events on every node), and once applied the
 * publisher sends it on the `_event` topic as a msgpack map. */
#ifndef HAMD_EVENTS_H
#define HAMD_EVENTS_H

#include <jansson.h>
#include <msgpack.h>

#include "core/health.h"

struct hamd_node;

/* A new event object {event_type, timestamp (now, ISO 8601 ms UTC)}. */
json_t *hamd_events_new(const char *event_type);

/* Logs ev and, on the lease holder, commits it. Takes ownership of ev. */
void hamd_events_raise(struct hamd_node *node, json_t *ev);

/* gateway_state_changed {gateway_id, from, to, health_trigger}. */
void hamd_events_gateway_state(struct hamd_node *node, const char *account,
                               const struct hamd_health_result *res);

/* gateway_restarted {gateway_id, reason}. */
void hamd_events_gateway_restarted(struct hamd_node *node, const char *account,
                                   const char *reason);

/* After an EVENT command applied: the publisher sends the newest event on
 * `_event`. */
void hamd_events_on_applied(struct hamd_node *node);

#endif /* HAMD_EVENTS_H */
