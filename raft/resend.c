/* A raft message whose write failed, sent once more (resend.h). */
#include "raft/resend.h"

#include <stdlib.h>
#include <string.h>

/* Longest peer address kept for the second try; raft_uv_tcp takes
 * "a.b.c.d:port", 21 bytes. A longer one is sent once, as before. */
#define RESEND_ADDRESS_MAX 128

/* One send on its way: libraft's request, and what the second try needs. */
struct resend {
    struct raft_io_send req;           /* handed to ops->send */
    struct hamd_resend_ops *ops;       /* who sends, and counts */
    struct raft_io *io;                /* through which I/O */
    struct raft_io_send *outer;        /* libraft's request */
    raft_io_send_cb cb;                /* libraft's callback */
    struct raft_message message;       /* a copy of libraft's */
    char address[RESEND_ADDRESS_MAX];  /* message.server_address's bytes */
    bool retried;                      /* the second try was made */
};

static void resend_done(struct resend *s, int status)
{
    struct raft_io_send *outer = s->outer;
    raft_io_send_cb cb = s->cb;
    free(s);
    if (cb)
        cb(outer, status);
}

static void resend_cb(struct raft_io_send *req, int status)
{
    struct resend *s = req->data;
    if (status == RAFT_IOERR && !s->retried && s->ops->may_retry(s->ops->ud)) {
        s->retried = true;
        s->ops->retried++;
        int rc = s->ops->send(s->io, &s->req, &s->message, resend_cb);
        if (rc == 0)
            return;
        status = rc;
    }
    resend_done(s, status);
}

int hamd_resend_send(struct hamd_resend_ops *ops, struct raft_io *io,
                     struct raft_io_send *req,
                     const struct raft_message *message, raft_io_send_cb cb)
{
    const char *address = message->server_address;
    size_t len = address ? strlen(address) : RESEND_ADDRESS_MAX;
    struct resend *s = len < RESEND_ADDRESS_MAX ? calloc(1, sizeof *s) : NULL;
    if (!s) /* no address to keep (or no memory): one try, as raft_uv's */
        return ops->send(io, req, message, cb);
    s->ops = ops;
    s->io = io;
    s->outer = req;
    s->cb = cb;
    s->message = *message;
    memcpy(s->address, address, len + 1);
    s->message.server_address = s->address;
    s->req.data = s;
    req->cb = cb;
    int rc = ops->send(io, &s->req, &s->message, resend_cb);
    if (rc)
        free(s);
    return rc;
}
