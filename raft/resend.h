/* A raft message whose write failed, sent once more
 * (docs/consensus.md, section 7: a message lost to a broken connection).
 *
 * raft_uv never reads the connections it opens, so it learns that a peer
 * went away only when a write fails. A server that restarted (or whose
 * host came back) has a new process behind its address while the others
 * still hold a connection to the old one. The first write on it succeeds
 * locally and its bytes meet a reset: lost without an error. The next
 * write fails (RAFT_IOERR), and raft_uv reconnects; that message is gone
 * too, and libraft does not send it again. A follower writes to another
 * server only to answer its votes, so a returned server's pre-votes were
 * answered into the void twice, and with a witness, whose vote the
 * returned server needs, the election waited two timeouts more (chaos
 * witness_kill_hosts, a power-off soon after a host's return: ~0.75 s
 * instead of ~0.3 s to a new leader).
 *
 * hamd's raft_io.send (cluster_send) passes its messages through here: a
 * send that fails with RAFT_IOERR is made once more, which raft_uv queues
 * until the new connection is up, and libraft is told only the second
 * outcome. The first, silent loss stays. Any message may then arrive
 * twice (the failed write may have reached the peer in part): Raft takes
 * every message type twice, as it takes the network's duplicates.
 *
 * The message is copied (libraft builds it on its stack); what it points
 * to (entries, a snapshot) stays libraft's, which keeps it until its
 * callback, which comes after the second try. */
#ifndef HAMD_RAFT_RESEND_H
#define HAMD_RAFT_RESEND_H

#include <raft.h>
#include <stdbool.h>
#include <stdint.h>

/* What sends, whether a failed send may still be made again (false once
 * the cluster closes: raft_uv takes no send then), and how many were. */
struct hamd_resend_ops {
    int (*send)(struct raft_io *io, struct raft_io_send *req,
                const struct raft_message *message, raft_io_send_cb cb);
    bool (*may_retry)(void *ud);
    void *ud;
    uint64_t retried; /* second tries made: each a connection that broke
                         (hamd_raft_sends_retried_total) */
};

/* io->send with one more try on RAFT_IOERR; its arguments and result are
 * raft_io.send's. ops must outlive the send. */
int hamd_resend_send(struct hamd_resend_ops *ops, struct raft_io *io,
                     struct raft_io_send *req,
                     const struct raft_message *message, raft_io_send_cb cb);

#endif /* HAMD_RAFT_RESEND_H */
