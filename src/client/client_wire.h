/* What the client reads off the wire (docs/protocol.md), checked: a
 * published tick, `_hb`, the snapshot's END, `_event`. Pure and
 * allocation-free; anything that does not match is reported malformed,
 * with a short reason, and never reaches the user. */
#ifndef HAMD_CLIENT_WIRE_H
#define HAMD_CLIENT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hamd/tick.h"

#define CCWIRE_HB_TOPIC "_hb"
#define CCWIRE_EVENT_TOPIC "_event"
#define CCWIRE_NAME_TOPIC "_client." /* + "<k>.<name>": subscribed on
                                        every connection, never published:
                                        the hub counts this client once
                                        however many connections and
                                        topics it has (docs/protocol.md,
                                        "Who is a client") */
#define CCWIRE_NAME_HEX 16           /* hex digits of a client's name */
#define CCWIRE_NAME_TOPIC_MAX 40     /* bytes of the topic, NUL included */
#define CCWIRE_END_TOPIC "END"
#define CCWIRE_EVENT_TYPE_MAX 64 /* bytes of an event_type, NUL included */

/* Writes this client's name topic into out (CCWIRE_NAME_TOPIC_MAX
 * bytes): CCWIRE_NAME_TOPIC, how many distinct topics besides it each
 * connection subscribes to (the n prefixes, `_hb`, `_event`: a SUB sends
 * a topic given twice once), '.', name as CCWIRE_NAME_HEX hex digits. */
void ccwire_name_topic(char *out, const char *const *prefixes, unsigned n,
                       uint64_t name);

/* Decodes a tick published on topic[0..tlen): a valid tick with its hub
 * fields, vt_symbol equal to the topic; live ticks also need term and seq
 * of at least 1 (a snapshot's may be 0: a contract the answering node
 * cached but never numbered). Returns NULL on success, else the reason. */
const char *ccwire_tick(const void *topic, size_t tlen, const void *body,
                        size_t blen, bool live, struct hamd_tick *out);

/* `_hb` {term, node, ...}: term >= 1, node fits 32 bits. */
bool ccwire_heartbeat(const void *body, size_t len, uint64_t *term,
                      uint32_t *node);

/* END {term, count}: both non-negative integers. */
bool ccwire_end(const void *body, size_t len, uint64_t *term,
                uint64_t *count);

/* `_event`: one msgpack map; its event_type string (or "" when absent)
 * into type[0..CCWIRE_EVENT_TYPE_MAX). */
bool ccwire_event(const void *body, size_t len, char *type);

/* True when topic[0..tlen) equals the NUL-terminated lit. */
bool ccwire_topic_is(const void *topic, size_t tlen, const char *lit);

#endif /* HAMD_CLIENT_WIRE_H */
