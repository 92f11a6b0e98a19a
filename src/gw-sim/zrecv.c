/* Receiving the tail of a multipart message: see zrecv.h. */
#include "gw-sim/zrecv.h"

#include <stdbool.h>

int gwsim_recv_rest(void *sock, zmq_msg_t *first, zmq_msg_t *body)
{
    if (!zmq_msg_more(first) || zmq_msg_recv(body, sock, 0) < 0)
        return 1;
    int frames = 2;
    bool more = zmq_msg_more(body);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        more = zmq_msg_recv(&extra, sock, 0) >= 0 && zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        frames++;
    }
    return frames;
}
