/* Receiving the tail of a multipart ZeroMQ message, shared by the
 * simulator's sockets (hub, control, front). */
#ifndef GWSIM_ZRECV_H
#define GWSIM_ZRECV_H

#include <zmq.h>

/* Receives the rest of a multipart message whose first frame is first:
 * the second frame into body, later ones discarded. Returns the number of
 * frames. */
int gwsim_recv_rest(void *sock, zmq_msg_t *first, zmq_msg_t *body);

#endif /* GWSIM_ZRECV_H */
