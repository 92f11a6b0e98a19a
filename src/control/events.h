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
#include <stdbool.h>
#include <stdint.h>

#include "core/health.h"
#include "dataplane/dataplane.h"
#include "raft/cluster.h"
#include "raft/store.h"

struct hamd_events;
struct hamd_event_hook;

/* What raising and publishing events needs; the pointers must outlive
 * the recorder. */
struct hamd_events_deps {
    unsigned node_id;                /* this node, named in gateway events */
    struct hamd_cluster *cluster;    /* commits events to the history */
    struct hamd_store *store;        /* reads the newest one back */
    struct hamd_dataplane *dp;       /* sends it on `_event` */
    struct hamd_event_hook *event_hook; /* [hooks] on_event; may be NULL */
    void *ud;                        /* passed to the queries */
    bool (*publishing)(void *ud);    /* this node holds the lease */
};

/* Creates the recorder (deps is copied). Returns NULL when out of
 * memory. */
struct hamd_events *hamd_events_new(const struct hamd_events_deps *deps);

/* Frees the recorder; nulls *self. */
void hamd_events_destroy(struct hamd_events **self);

/* A new event object {event_type, timestamp (now, ISO 8601 ms UTC)}. */
json_t *hamd_events_json_new(const char *event_type);

/* Logs ev and, on the lease holder, commits it. Takes ownership of ev. */
void hamd_events_raise(struct hamd_events *self, json_t *ev);

/* gateway_state_changed {gateway_id, node, from, to, health_trigger}. */
void hamd_events_gateway_state(struct hamd_events *self, const char *account,
                               const struct hamd_health_result *res);

/* gateway_restarted {gateway_id, node, reason}. */
void hamd_events_gateway_restarted(struct hamd_events *self,
                                   const char *account, const char *reason);

/* Why a held gateway is not restarted: the event's reason, the log's. */
#define HAMD_EVENTS_HELD_REASON                                              \
    "not restarted, a restart would log in again with the same params "   \
    "(brokers lock an account after a few failed logins); fix the "        \
    "account (hactl accounts update relaunches it) or hactl restart it"

/* gateway_held {gateway_id, node, detail, reason, severity critical}: its
 * last STATUS is error; it is not restarted (docs/failover.md). */
void hamd_events_gateway_held(struct hamd_events *self, const char *account,
                              const char *detail);

/* leader_elected {node (this one), term, previous_leader (null when
 * previous_leader is 0: none known)}. */
void hamd_events_leader_elected(struct hamd_events *self, uint64_t term,
                                uint64_t previous_leader);

/* After an EVENT command applied: the publisher sends the newest event on
 * `_event`. */
void hamd_events_on_applied(struct hamd_events *self);

#endif /* HAMD_EVENTS_H */
