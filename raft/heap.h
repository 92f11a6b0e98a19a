/* libraft's allocations, zeroed. libraft (0.15 - 0.17) appends a barrier
 * entry (raft_barrier, and one on every election win) with an 8-byte
 * payload from raft_malloc that it never writes: whatever the heap held
 * there, often a freed chunk's list pointer, went into the Raft log on
 * disk, into snapshots' neighbours in the segments, and over the wire to
 * every follower. hamd's lease keeps a barrier in flight (about 15
 * entries a second at rest), so that was a steady trickle of heap bytes,
 * and a node's heap holds account params in clear while it launches
 * gateways. With this heap, raft_malloc returns zeroed memory, as calloc
 * does: the barrier's payload is eight zero bytes. */
#ifndef HAMD_RAFT_HEAP_H
#define HAMD_RAFT_HEAP_H

/* Makes libraft allocate through the zeroing heap; process-wide, and
 * idempotent (cluster_raft_init calls it before libraft's first
 * allocation). */
void hamd_raft_heap_install(void);

#endif /* HAMD_RAFT_HEAP_H */
