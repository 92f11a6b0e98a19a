/* One message read off a connection, through the wire readers
 * (client_wire.h) into the decisions (client_core.h): what the ZeroMQ
 * shell (client_io.c) does with every [topic][body] it receives. Kept
 * free of sockets so that the fuzz target tests/fuzz/fuzz_client.c runs
 * exactly what the shell runs on bytes from the network. */
#ifndef HAMD_CLIENT_MSG_H
#define HAMD_CLIENT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/client_core.h"
#include "client/client_wire.h"

/* A two-frame message of the SUB of slot: a tick, `_hb`, `_event` or
 * another reserved topic. Returns true when it is a good `_event`, whose
 * event_type is then in type (the shell passes it to on_event). */
bool cmsg_sub(struct ccore *core, unsigned slot, const void *topic,
              size_t tlen, const void *body, size_t blen, int64_t now_ns,
              char type[CCWIRE_EVENT_TYPE_MAX]);

/* A message of the snapshot answer on the DEALER: a tick or END when
 * two_frames, else malformed (topic and body are then not read). */
void cmsg_snapshot(struct ccore *core, bool two_frames, const void *topic,
                   size_t tlen, const void *body, size_t blen, int64_t now_ns);

#endif /* HAMD_CLIENT_MSG_H */
