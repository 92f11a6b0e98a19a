/* Choosing the node to hand leadership to (graceful handover, docs/consensus.md).
 *
 * Pure: the shell (admin_successor.c) asks every other node's
 * /api/status and passes what it learned; the choice is made here. The best
 * successor is the one whose clients would notice least: it must answer,
 * must not be a witness, and should have the most HEALTHY gateways (it
 * publishes from its own), then the most of the log applied (it takes the
 * lease soonest), then the lowest id (a stable tie-break). */
#ifndef HAMD_SUCCESSOR_H
#define HAMD_SUCCESSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one other node said about itself. */
struct hamd_successor_candidate {
    unsigned id;             /* node id */
    bool reachable;          /* it answered /api/status */
    bool witness;            /* votes only: never a successor */
    unsigned healthy;        /* its gateways in state HEALTHY */
    uint64_t applied_index;  /* Raft entries its store applied */
};

/* Returns the id of the best candidate, or 0 when none qualifies (then
 * the cluster picks a voter it heard from lately). */
unsigned hamd_successor_pick(const struct hamd_successor_candidate *c, size_t n);

#endif /* HAMD_SUCCESSOR_H */
