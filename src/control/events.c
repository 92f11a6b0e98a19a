/* Events: log line, replicated history, `_event` topic. See events.h. */
#include "control/events.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mpjson.h"
#include "control/event_hook.h"

struct hamd_events {
    struct hamd_events_deps deps;    /* what it reads and writes through */
};

struct hamd_events *hamd_events_new(const struct hamd_events_deps *deps)
{
    struct hamd_events *self = calloc(1, sizeof *self);
    if (self)
        self->deps = *deps;
    return self;
}

void hamd_events_destroy(struct hamd_events **self)
{
    free(*self);
    *self = NULL;
}

json_t *hamd_events_json_new(const char *event_type)
{
    char stamp[40];
    hamd_format_iso_ms(hamd_wall_ns(), stamp, sizeof stamp);
    return json_pack("{s:s,s:s}", "event_type", event_type, "timestamp", stamp);
}

static void event_committed_cb(void *ud, int status,
                               const struct hamd_apply_result *res)
{
    (void)ud;
    if (status < 0)
        LOG_WARN("event not recorded in the replicated history: raft error %d",
                 -status);
    else if (res && res->status != 0)
        LOG_WARN("event not recorded: %s", res->error);
}

void hamd_events_raise(struct hamd_events *self, json_t *ev)
{
    if (!ev)
        return;
    char *text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(ev);
    if (!text)
        return;
    LOG_INFO("EVENT %s", text);
    if (self->deps.publishing(self->deps.ud)) {
        struct hamd_cmd cmd;
        hamd_cmd_init(&cmd, HAMD_CMD_EVENT);
        if (hamd_cmd_set_event(&cmd, text) == 0)
            hamd_cluster_submit(self->deps.cluster, &cmd, event_committed_cb,
                                self);
        hamd_cmd_free(&cmd);
    }
    free(text);
}

void hamd_events_gateway_state(struct hamd_events *self, const char *account,
                               const struct hamd_health_result *res)
{
    json_t *ev = hamd_events_json_new("gateway_state_changed");
    json_object_set_new(ev, "gateway_id", json_string(account));
    json_object_set_new(ev, "node", json_integer(self->deps.node_id));
    json_object_set_new(ev, "from", json_string(hamd_health_state_name(res->prev)));
    json_object_set_new(ev, "to", json_string(hamd_health_state_name(res->state)));
    json_object_set_new(ev, "health_trigger",
                        json_string(hamd_health_trigger_name(res->trigger)));
    hamd_events_raise(self, ev);
}

void hamd_events_gateway_restarted(struct hamd_events *self,
                                   const char *account, const char *reason)
{
    json_t *ev = hamd_events_json_new("gateway_restarted");
    json_object_set_new(ev, "gateway_id", json_string(account));
    json_object_set_new(ev, "node", json_integer(self->deps.node_id));
    json_object_set_new(ev, "reason", json_string(reason));
    hamd_events_raise(self, ev);
}

void hamd_events_gateway_held(struct hamd_events *self, const char *account,
                              const char *detail)
{
    json_t *ev = hamd_events_json_new("gateway_held");
    json_object_set_new(ev, "gateway_id", json_string(account));
    json_object_set_new(ev, "node", json_integer(self->deps.node_id));
    json_object_set_new(ev, "detail", json_string(detail));
    json_object_set_new(ev, "reason", json_string(HAMD_EVENTS_HELD_REASON));
    json_object_set_new(ev, "severity", json_string("critical"));
    hamd_events_raise(self, ev);
}

void hamd_events_leader_elected(struct hamd_events *self, uint64_t term,
                                uint64_t previous_leader)
{
    json_t *ev = hamd_events_json_new("leader_elected");
    json_object_set_new(ev, "node", json_integer(self->deps.node_id));
    json_object_set_new(ev, "term", json_integer((json_int_t)term));
    json_object_set_new(ev, "previous_leader",
                        previous_leader ? json_integer((json_int_t)previous_leader)
                                        : json_null());
    hamd_events_raise(self, ev);
}

/* ------------------------------------------------------------------------
 * `_event` publication
 * ------------------------------------------------------------------------ */

static int publish_one(void *ud, uint64_t seq, const char *text)
{
    struct hamd_events *self = ud;
    json_t *ev = json_loads(text, 0, NULL);
    if (!ev)
        return 0;
    json_object_set_new(ev, "seq", json_integer((json_int_t)seq));
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    hamd_mpjson_encode(&pk, ev);
    hamd_dataplane_publish_event(self->deps.dp, sb.data, sb.size);
    hamd_event_hook_submit(self->deps.event_hook, seq, ev);
    msgpack_sbuffer_destroy(&sb);
    json_decref(ev);
    return 0;
}

void hamd_events_on_applied(struct hamd_events *self)
{
    if (self->deps.publishing(self->deps.ud))
        hamd_store_events_tail(self->deps.store, 1, publish_one, self);
}
