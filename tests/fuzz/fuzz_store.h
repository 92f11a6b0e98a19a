/* Shared by the fuzz targets on the replicated store (fuzz_fsm_apply.c,
 * fuzz_snapshot.c) and seeds.c: a store with its state machine in the
 * scratch directory, opened once per process. */
#ifndef HAMD_FUZZ_STORE_H
#define HAMD_FUZZ_STORE_H

#include "fuzz.h"
#include "raft/fsm.h"
#include "raft/store.h"

#define FUZZ_STORE_PATH_MAX 128 /* bytes of the store's directory */

/* Opens the store at <scratch>/store and an fsm applying to it, keeping
 * at most events_max events. Aborts when either fails. */
static inline void fuzz_store_open(unsigned events_max,
                                   struct hamd_store **store,
                                   struct hamd_fsm **fsm)
{
    char dir[FUZZ_STORE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/store", fuzz_scratch_dir());
    *store = hamd_store_new(dir);
    FUZZ_CHECK(*store != NULL);
    *fsm = hamd_fsm_new(*store, events_max);
    FUZZ_CHECK(*fsm != NULL);
}

#endif /* HAMD_FUZZ_STORE_H */
