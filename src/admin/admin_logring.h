/* The node's recent log lines (docs/console.md): a ring of a fixed number
 * of slots, allocated once, that the logger's sink fills from any thread
 * (the data-plane thread too) and GET /api/logs and the live stream read
 * on the control loop.
 *
 * Writing a line copies it into its slot under a mutex held for that copy
 * only; a reader holds it for one slot at a time, so a thread that logs
 * waits at most one slot copy (about a microsecond), never a whole read.
 * No allocation after admin_logring_new. No I/O, no clock: the caller
 * passes the time, and tests/unit/test_admin_logring.c drives it. */
#ifndef HAMD_ADMIN_LOGRING_H
#define HAMD_ADMIN_LOGRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"

#define ADMIN_LOG_TAG_MAX 32       /* bytes of a line's tag, NUL included */
#define ADMIN_LOG_TAG_WORDS_MAX 3  /* "gateway sim_a", "data plane" ... */
#define ADMIN_LOG_TAG_DEFAULT "hamd" /* tag of a line without a prefix */

struct admin_logring;

/* One line as the ring keeps it. */
struct admin_logline {
    uint64_t seq;                  /* 1, 2, ... in the order logged */
    int64_t wall_ns;               /* when, epoch ns */
    enum hamd_log_level level;     /* its level */
    char tag[ADMIN_LOG_TAG_MAX];   /* component (admin_log_tag) */
    char msg[HAMD_LOG_MSG_MAX];    /* the message, as printed */
};

/* Which lines a read wants. */
struct admin_logquery {
    bool has_since;                /* only lines after since */
    uint64_t since;                /* a seq seen before (has_since) */
    enum hamd_log_level min_level; /* lines at or above this level */
    size_t limit;                  /* at most this many lines, > 0 */
};

/* Called for each line a read finds, oldest first; the line is a copy,
 * valid during the call. Returns 0 to go on, < 0 to stop. */
typedef int (*admin_logline_fn)(void *ud, const struct admin_logline *line);

/* Creates a ring of `lines` slots (> 0). Returns NULL when out of
 * memory. */
struct admin_logring *admin_logring_new(unsigned lines);

/* Frees the ring; nulls *self. Nobody may write to it any more (remove
 * the logger's sink first). */
void admin_logring_destroy(struct admin_logring **self);

/* Stores a line (msg cut to HAMD_LOG_MSG_MAX - 1 bytes), evicting the
 * oldest when full. Thread-safe. Returns its seq. */
uint64_t admin_logring_push(struct admin_logring *self, int64_t wall_ns,
                            enum hamd_log_level level, const char *msg);

/* The seq of the newest line, 0 before the first. Thread-safe. */
uint64_t admin_logring_last_seq(struct admin_logring *self);

/* Calls fn for the lines of q still in the ring, oldest first: with
 * has_since the first q->limit lines after q->since, without it the
 * q->limit newest; either way only those at or above q->min_level.
 * *scanned (may be NULL) gets the seq up to which the ring was looked at:
 * pass it as the next since to get only newer lines (a reader that fell
 * more than the ring's size behind misses the lines evicted meanwhile).
 * Returns the number of lines passed to fn. */
size_t admin_logring_read(struct admin_logring *self,
                          const struct admin_logquery *q, admin_logline_fn fn,
                          void *ud, uint64_t *scanned);

/* The tag of a message: its prefix before ": " when that is one to
 * ADMIN_LOG_TAG_WORDS_MAX words of letters, digits and "_-.@" starting
 * with a letter ("admin", "raft", "gateway sim_a", "data plane"),
 * "event" for an "EVENT {...}" line, else ADMIN_LOG_TAG_DEFAULT. */
void admin_log_tag(const char *msg, char *tag, size_t cap);

#endif /* HAMD_ADMIN_LOGRING_H */
