/* A gateway's messages from the hub (docs/gateway-protocol.md): receiving
 * one whole message, [type] or [type][body] (frames past the second are
 * read and dropped), without blocking. Shared by the C gateways, and fit
 * for any socket whose messages have that shape (hamd-gw-sim's control
 * requests, its front's clients after their routing id, a ZeroMQ socket
 * monitor's [event][endpoint]). */
#ifndef HAMD_GWIN_H
#define HAMD_GWIN_H

#include <zmq.h>

#include "hamd/gwproto.h"

/* One message from the hub. */
struct hamd_gwin_msg {
    zmq_msg_t type;         /* first frame */
    zmq_msg_t body;         /* second frame (empty when frames == 1) */
    int frames;             /* frames the message had */
    enum hamd_gw_type kind; /* the type frame parsed, UNKNOWN if not known */
};

/* Receives one pending message into *m. Returns 1 (close it with
 * hamd_gwin_close), or 0 when none is pending (nothing to close). */
int hamd_gwin_recv(void *dealer, struct hamd_gwin_msg *m);

/* Frees the frames of a received message. */
void hamd_gwin_close(struct hamd_gwin_msg *m);

#endif /* HAMD_GWIN_H */
