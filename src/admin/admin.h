/* Admin HTTP API (docs/api.md) on the control loop, with libh2o (libuv
 * build): probes, /metrics, /api/status and the operator API. Writes are
 * submitted through Raft and answered after commit; a follower forwards
 * them to the leader. */
#ifndef HAMD_ADMIN_H
#define HAMD_ADMIN_H

struct hamd_node;
struct hamd_admin;

/* Binds the node's admin address and starts serving. Returns NULL (and
 * logs why) when it cannot, e.g. the port is taken or the token file is
 * unreadable or world-readable. */
struct hamd_admin *hamd_admin_new(struct hamd_node *node);

/* Completion of hamd_admin_pick_successor: status 0 with the id of the
 * voter best placed to take over (core/successor.h), or -ENOENT and id 0
 * when none answered well enough: then the cluster picks a voter it
 * heard from lately. */
typedef void (*hamd_admin_successor_cb)(void *ud, int status, unsigned id);

/* Asks every other voter's /api/status at once (briefly) and calls done
 * with the pick. Returns 0, or -1 when out of memory (done is then not
 * called). */
int hamd_admin_pick_successor(struct hamd_admin *self,
                              hamd_admin_successor_cb done, void *ud);

/* Stops accepting connections (shutdown); in-flight requests finish. */
void hamd_admin_close(struct hamd_admin *self);

/* Frees the server; nulls *self. */
void hamd_admin_destroy(struct hamd_admin **self);

#endif /* HAMD_ADMIN_H */
