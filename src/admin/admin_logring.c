/* The node's recent log lines: see admin_logring.h. */
#include "admin/admin_logring.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One slot of the ring. */
struct logslot {
    struct admin_logline line;     /* seq 0: never written */
};

struct admin_logring {
    pthread_mutex_t lock;          /* guards next_seq and every slot */
    uint64_t next_seq;             /* seq of the next line, from 1 */
    size_t cap;                    /* slots */
    struct logslot *slots;         /* line seq lives in slot seq % cap */
};

struct admin_logring *admin_logring_new(unsigned lines)
{
    if (lines == 0)
        return NULL;
    struct admin_logring *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    /* calloc: the kernel hands out zero pages lazily, so a quiet node
     * pays only for the slots it has filled. */
    self->slots = calloc(lines, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    self->cap = lines;
    self->next_seq = 1;
    return self;
}

void admin_logring_destroy(struct admin_logring **selfp)
{
    struct admin_logring *self = *selfp;
    if (!self)
        return;
    *selfp = NULL;
    pthread_mutex_destroy(&self->lock);
    free(self->slots);
    free(self);
}

/* ------------------------------------------------------------------------
 * Tags
 * ------------------------------------------------------------------------ */

static bool tag_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
           c == '@';
}

static bool tag_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of msg's tag prefix (before ": " or a final ':'), 0 if none. */
static size_t tag_prefix_len(const char *msg, size_t cap)
{
    unsigned words = 1;
    if (!tag_letter(msg[0]))
        return 0;
    for (size_t i = 1; i < cap && msg[i]; i++) {
        char c = msg[i];
        if (c == ':')
            return msg[i + 1] == ' ' || msg[i + 1] == '\0' ? i : 0;
        if (c == ' ') {
            if (++words > ADMIN_LOG_TAG_WORDS_MAX || !tag_char(msg[i + 1]))
                return 0;
        } else if (!tag_char(c)) {
            return 0;
        }
    }
    return 0;
}

void admin_log_tag(const char *msg, char *tag, size_t cap)
{
    static const char event_prefix[] = "EVENT {";
    if (cap == 0)
        return;
    size_t n = tag_prefix_len(msg, cap);
    if (n > 0) {
        memcpy(tag, msg, n);
        tag[n] = '\0';
    } else if (strncmp(msg, event_prefix, sizeof event_prefix - 1) == 0) {
        snprintf(tag, cap, "event");
    } else {
        snprintf(tag, cap, "%s", ADMIN_LOG_TAG_DEFAULT);
    }
}

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

uint64_t admin_logring_push(struct admin_logring *self, int64_t wall_ns,
                            enum hamd_log_level level, const char *msg)
{
    char tag[ADMIN_LOG_TAG_MAX];
    admin_log_tag(msg, tag, sizeof tag); /* outside the lock */
    size_t len = strnlen(msg, HAMD_LOG_MSG_MAX - 1);
    pthread_mutex_lock(&self->lock);
    uint64_t seq = self->next_seq++;
    struct admin_logline *l = &self->slots[seq % self->cap].line;
    l->seq = seq;
    l->wall_ns = wall_ns;
    l->level = level;
    memcpy(l->tag, tag, sizeof tag);
    memcpy(l->msg, msg, len);
    l->msg[len] = '\0';
    pthread_mutex_unlock(&self->lock);
    return seq;
}

uint64_t admin_logring_last_seq(struct admin_logring *self)
{
    pthread_mutex_lock(&self->lock);
    uint64_t last = self->next_seq - 1;
    pthread_mutex_unlock(&self->lock);
    return last;
}

/* ------------------------------------------------------------------------
 * Reading, one slot under the lock at a time
 * ------------------------------------------------------------------------ */

/* The seqs of the oldest and newest line held (oldest > newest: none). */
static void ring_bounds(struct admin_logring *self, uint64_t *oldest,
                        uint64_t *newest)
{
    pthread_mutex_lock(&self->lock);
    *newest = self->next_seq - 1;
    pthread_mutex_unlock(&self->lock);
    *oldest = *newest >= self->cap ? *newest - self->cap + 1 : 1;
}

/* The level of line seq, or -1 when it was evicted meanwhile. */
static int slot_level(struct admin_logring *self, uint64_t seq)
{
    pthread_mutex_lock(&self->lock);
    const struct admin_logline *l = &self->slots[seq % self->cap].line;
    int level = l->seq == seq ? (int)l->level : -1;
    pthread_mutex_unlock(&self->lock);
    return level;
}

/* Copies line seq into out. Returns false when it was evicted meanwhile. */
static bool slot_copy(struct admin_logring *self, uint64_t seq,
                      struct admin_logline *out)
{
    pthread_mutex_lock(&self->lock);
    const struct admin_logline *l = &self->slots[seq % self->cap].line;
    bool ok = l->seq == seq;
    if (ok) {
        out->seq = l->seq;
        out->wall_ns = l->wall_ns;
        out->level = l->level;
        memcpy(out->tag, l->tag, sizeof out->tag);
        memcpy(out->msg, l->msg, strlen(l->msg) + 1);
    }
    pthread_mutex_unlock(&self->lock);
    return ok;
}

/* The first seq of the q->limit newest lines at or above the level. */
static uint64_t newest_start(struct admin_logring *self,
                             const struct admin_logquery *q, uint64_t oldest,
                             uint64_t newest)
{
    uint64_t from = newest + 1;
    size_t found = 0;
    for (uint64_t s = newest; s >= oldest && s > 0 && found < q->limit; s--) {
        int level = slot_level(self, s);
        if (level < 0)
            break;
        found += level >= (int)q->min_level;
        from = s;
    }
    return from;
}

size_t admin_logring_read(struct admin_logring *self,
                          const struct admin_logquery *q, admin_logline_fn fn,
                          void *ud, uint64_t *scanned)
{
    uint64_t oldest, newest;
    ring_bounds(self, &oldest, &newest);
    uint64_t from = q->has_since ? q->since + 1
                                 : newest_start(self, q, oldest, newest);
    if (from < oldest)
        from = oldest;
    uint64_t upto = q->has_since ? q->since : from - 1;
    size_t n = 0;
    struct admin_logline line;
    for (uint64_t s = from; s <= newest && n < q->limit; s++) {
        upto = s;
        if (!slot_copy(self, s, &line) || line.level < q->min_level)
            continue;
        n++;
        if (fn(ud, &line) < 0)
            break;
    }
    if (scanned)
        *scanned = upto;
    return n;
}
