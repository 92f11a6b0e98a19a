/* The Raft state machine on the store: see fsm.h. */
#include "raft/fsm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define FSM_RAFT_VERSION 2 /* raft_fsm with snapshot_finalize */

struct hamd_fsm {
    struct raft_fsm raft;             /* what libraft calls; data = this */
    struct hamd_store *store;         /* the replicated state (not owned) */
    unsigned events_max;              /* event history bound */
    hamd_fsm_index_fn index_fn;       /* index of the entry being applied */
    void *index_ud;                   /* its argument */
    hamd_fsm_change_fn change_fn;     /* change hook, may be NULL */
    void *change_ud;                  /* its argument */
    struct hamd_apply_result result;  /* outcome of the last apply */
    bool failed;                      /* LMDB failed at least once */
};

/* The index of the entry being applied. */
static uint64_t fsm_next_index(struct hamd_fsm *f)
{
    if (f->index_fn)
        return f->index_fn(f->index_ud);
    return hamd_store_applied_index(f->store) + 1;
}

/* A malformed entry: 400, no data change, but the index is consumed. */
static void fsm_reject_malformed(struct hamd_fsm *f, uint64_t index,
                                 const char *why)
{
    LOG_WARN("fsm: entry %llu rejected: %s", (unsigned long long)index, why);
    f->result.status = HAMD_APPLY_BAD_REQUEST;
    snprintf(f->result.error, sizeof f->result.error, "malformed entry: %s",
             why);
    if (hamd_store_set_applied(f->store, index) != 0) {
        f->failed = true;
        f->result.status = HAMD_APPLY_STORE_ERROR;
        snprintf(f->result.error, sizeof f->result.error, "store error");
    }
}

const struct hamd_apply_result *hamd_fsm_apply_entry(struct hamd_fsm *f,
                                                     const void *buf,
                                                     size_t len)
{
    char why[HAMD_CMD_ERR_MAX];
    struct hamd_cmd cmd;
    uint64_t index = fsm_next_index(f);
    memset(&f->result, 0, sizeof f->result);
    if (index <= hamd_store_applied_index(f->store)) {
        LOG_DEBUG("fsm: entry %llu already in the store",
                  (unsigned long long)index);
        return &f->result;
    }
    if (hamd_cmd_decode(buf, len, &cmd, why, sizeof why) != 0) {
        fsm_reject_malformed(f, index, why);
        return &f->result;
    }
    hamd_store_apply(f->store, &cmd, index, f->events_max, &f->result);
    if (f->result.status == HAMD_APPLY_STORE_ERROR)
        f->failed = true;
    if (f->result.status == HAMD_APPLY_OK && f->change_fn)
        f->change_fn(f->change_ud, cmd.type);
    hamd_cmd_free(&cmd);
    return &f->result;
}

static int fsm_apply(struct raft_fsm *rf, const struct raft_buffer *buf,
                     void **result)
{
    struct hamd_fsm *f = rf->data;
    *result = (void *)hamd_fsm_apply_entry(f, buf->base, buf->len);
    return 0; /* never fail: see fsm.h */
}

/* The snapshot buffer is malloc'd by the store; the fsm keeps ownership
 * until fsm_snapshot_finalize (raft_fsm version 2). */
static int fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[],
                        unsigned *n_bufs)
{
    struct hamd_fsm *f = rf->data;
    void *data;
    size_t len;
    int rc = hamd_store_snapshot(f->store, &data, &len);
    if (rc)
        return rc == -ENOMEM ? RAFT_NOMEM : RAFT_IOERR;
    struct raft_buffer *b = raft_malloc(sizeof *b);
    if (!b) {
        free(data);
        return RAFT_NOMEM;
    }
    b->base = data;
    b->len = len;
    *bufs = b;
    *n_bufs = 1;
    return 0;
}

static int fsm_snapshot_finalize(struct raft_fsm *rf,
                                 struct raft_buffer *bufs[], unsigned *n_bufs)
{
    (void)rf;
    if (*bufs) {
        for (unsigned i = 0; i < *n_bufs; i++)
            free((*bufs)[i].base);
        raft_free(*bufs);
    }
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

/* On success libraft hands buf->base over to us; on failure it frees it. */
static int fsm_restore(struct raft_fsm *rf, struct raft_buffer *buf)
{
    struct hamd_fsm *f = rf->data;
    int rc = hamd_store_restore(f->store, buf->base, buf->len);
    if (rc)
        return rc == -EINVAL ? RAFT_MALFORMED : RAFT_IOERR;
    raft_free(buf->base);
    LOG_INFO("fsm: store restored from a snapshot (last command %llu)",
             (unsigned long long)hamd_store_applied_index(f->store));
    if (f->change_fn)
        f->change_fn(f->change_ud, HAMD_FSM_CHANGE_ALL);
    return 0;
}

struct hamd_fsm *hamd_fsm_new(struct hamd_store *store, unsigned events_max)
{
    struct hamd_fsm *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->store = store;
    f->events_max = events_max;
    f->raft.version = FSM_RAFT_VERSION;
    f->raft.data = f;
    f->raft.apply = fsm_apply;
    f->raft.snapshot = fsm_snapshot;
    f->raft.restore = fsm_restore;
    f->raft.snapshot_finalize = fsm_snapshot_finalize;
    return f;
}

void hamd_fsm_destroy(struct hamd_fsm **self)
{
    if (!self || !*self)
        return;
    free(*self);
    *self = NULL;
}

struct raft_fsm *hamd_fsm_raft(struct hamd_fsm *f)
{
    return &f->raft;
}

void hamd_fsm_set_index_source(struct hamd_fsm *f, hamd_fsm_index_fn fn,
                               void *ud)
{
    f->index_fn = fn;
    f->index_ud = ud;
}

uint64_t hamd_fsm_raft_next_index(void *raft)
{
    return (uint64_t)raft_last_applied(raft) + 1;
}

void hamd_fsm_set_on_change(struct hamd_fsm *f, hamd_fsm_change_fn fn,
                            void *ud)
{
    f->change_fn = fn;
    f->change_ud = ud;
}

bool hamd_fsm_failed(const struct hamd_fsm *f)
{
    return f->failed;
}
