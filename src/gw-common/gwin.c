/* A gateway's messages from the hub: see gwin.h. */
#include "gw-common/gwin.h"

#include <stdbool.h>

/* Receives the rest of a message whose first frame is m->type: the second
 * frame into m->body, later ones discarded. Returns the number of frames. */
static int recv_rest(void *sock, struct hamd_gwin_msg *m)
{
    if (!zmq_msg_more(&m->type) || zmq_msg_recv(&m->body, sock, 0) < 0)
        return 1;
    int frames = 2;
    bool more = zmq_msg_more(&m->body);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        more = zmq_msg_recv(&extra, sock, 0) >= 0 && zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        frames++;
    }
    return frames;
}

int hamd_gwin_recv(void *dealer, struct hamd_gwin_msg *m)
{
    zmq_msg_init(&m->type);
    zmq_msg_init(&m->body);
    if (zmq_msg_recv(&m->type, dealer, ZMQ_DONTWAIT) < 0) {
        hamd_gwin_close(m);
        return 0;
    }
    m->frames = recv_rest(dealer, m);
    m->kind = hamd_gw_type_parse(zmq_msg_data(&m->type), zmq_msg_size(&m->type));
    return 1;
}

void hamd_gwin_close(struct hamd_gwin_msg *m)
{
    zmq_msg_close(&m->type);
    zmq_msg_close(&m->body);
}
