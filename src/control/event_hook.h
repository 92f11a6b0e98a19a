/* The event hook (docs/configuration.md [hooks] on_event): a program run
 * once for every event the cluster commits to its history, on the node
 * that publishes (the one that also sends it on `_event`), with the
 * event's JSON (one line, "seq" included) on its stdin and HAMD_NODE,
 * HAMD_EVENT_TYPE and HAMD_EVENT_SEQ in its environment. E.g.
 * deploy/hooks/webhook posts it to a chat or an incident system.
 *
 * At most on_event_max_running runs at once; later events wait in order,
 * up to EVENT_HOOK_QUEUE_MAX of them (beyond: dropped and counted, with
 * a warning: a hook that cannot keep up must not eat the node's memory).
 * A run still going after on_event_timeout_ms is killed with its process
 * group; every exit status is logged. */
#ifndef HAMD_EVENT_HOOK_H
#define HAMD_EVENT_HOOK_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"

#define EVENT_HOOK_QUEUE_MAX 1000 /* events waiting for a free run slot */

struct hamd_event_hook;

/* Creates the runner; NULL when out of memory. With [hooks] on_event
 * empty it exists and does nothing. */
struct hamd_event_hook *hamd_event_hook_new(uv_loop_t *loop,
                                            const struct hamd_config *cfg);

/* Runs the hook for ev, event number seq of the history (ev is only
 * read). */
void hamd_event_hook_submit(struct hamd_event_hook *self, uint64_t seq,
                            const json_t *ev);

/* Events dropped because the queue was full, since start. */
uint64_t hamd_event_hook_dropped(const struct hamd_event_hook *self);

/* Drops waiting events and frees the runner once its running hooks ended
 * (each within its timeout); nulls *self. */
void hamd_event_hook_destroy(struct hamd_event_hook **self);

#endif /* HAMD_EVENT_HOOK_H */
