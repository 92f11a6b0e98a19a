/* The Raft state machine (struct raft_fsm, version 2) on the LMDB store.
 *
 * libraft calls apply for every committed command entry, in log order, on
 * every node (Ongaro 2014, §3.5). Facts of libraft 0.15 this honours
 * (docs/consensus.md):
 *
 * - apply must never return non-zero: that stalls the node's apply loop
 *   for good. Business errors (unknown account, already seeded...) and
 *   malformed entries go into the result instead, and leave the store's
 *   data unchanged.
 * - The `result` of apply reaches a raft_apply callback only on the node
 *   that submitted the entry while it is still pending there; everywhere
 *   else libraft drops the pointer. So the result is NOT heap-allocated
 *   (it would leak on every follower): it lives in the fsm, and callers
 *   read it inside the raft_apply callback, which libraft invokes right
 *   after apply returns.
 * - After a restart libraft restores the last snapshot (if any) and then
 *   re-applies every committed entry after it. The store persists the
 *   index of the last applied command in the same txn as the change, so a
 *   re-applied entry at or below it is skipped: the store never sees a
 *   command twice. The index of the entry being applied is
 *   raft_last_applied() + 1 (libraft 0.15 applies entries strictly in
 *   order and bumps last_applied after each); hamd_fsm_set_index_source
 *   wires that in. Without a source (standalone mode) the fsm numbers
 *   commands itself: stored index + 1.
 * - restore replaces the whole store (wipe + reload in one txn), because
 *   libraft replays the log after the snapshot's index.
 * - snapshot serialises the store into one buffer that the fsm owns until
 *   snapshot_finalize (version 2 semantics).
 */
#ifndef HAMD_RAFT_FSM_H
#define HAMD_RAFT_FSM_H

#include <raft.h>
#include <stdbool.h>
#include <stdint.h>

#include "raft/cmd.h"
#include "raft/store.h"

#define HAMD_FSM_CHANGE_ALL ((enum hamd_cmd_type)0) /* restore: all changed */

/* Called after a command changed the store (status 0), or with
 * HAMD_FSM_CHANGE_ALL after a snapshot restore. */
typedef void (*hamd_fsm_change_fn)(void *ud, enum hamd_cmd_type type);

/* Returns the Raft index of the entry being applied. */
typedef uint64_t (*hamd_fsm_index_fn)(void *ud);

struct hamd_fsm;

/* Creates an fsm applying to store (not owned), keeping at most events_max
 * events. Returns NULL when out of memory. */
struct hamd_fsm *hamd_fsm_new(struct hamd_store *store, unsigned events_max);

/* Frees the fsm and sets *self to NULL (after raft_close completed). */
void hamd_fsm_destroy(struct hamd_fsm **self);

/* The struct raft_fsm to hand to raft_init / raft_fixture_grow. */
struct raft_fsm *hamd_fsm_raft(struct hamd_fsm *fsm);

/* Sets where the index of the entry being applied comes from. */
void hamd_fsm_set_index_source(struct hamd_fsm *fsm, hamd_fsm_index_fn fn,
                               void *ud);

/* Index source for a libraft instance: raft_last_applied(raft) + 1. */
uint64_t hamd_fsm_raft_next_index(void *raft);

/* Sets the change hook (NULL: none). */
void hamd_fsm_set_on_change(struct hamd_fsm *fsm, hamd_fsm_change_fn fn,
                            void *ud);

/* Applies one encoded entry exactly like libraft's apply does. Returns the
 * fsm-owned result, valid until the next apply. */
const struct hamd_apply_result *hamd_fsm_apply_entry(struct hamd_fsm *fsm,
                                                     const void *buf,
                                                     size_t len);

/* True once LMDB failed under this fsm: the local store may have missed a
 * command, so the node must not be trusted as a publisher until its data
 * directory is rebuilt (docs/consensus.md). */
bool hamd_fsm_failed(const struct hamd_fsm *fsm);

#endif /* HAMD_RAFT_FSM_H */
