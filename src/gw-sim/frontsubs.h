/* A front's clients and what they subscribed: PURE bookkeeping, no I/O,
 * no clock (the caller passes a monotonic now_ms).
 *
 * A client is one connection of the front's ROUTER, known by its routing
 * id. Any message registers it and refreshes its last-seen time; one
 * silent for the timeout, or forgotten (its connection is gone), is
 * dropped with its subscriptions. The union of all clients' contracts,
 * with a count of subscribers each, is what the front must generate: a
 * contract enters it with its first subscriber and leaves it with its
 * last, and the caller is told both times.
 */
#ifndef GWSIM_FRONTSUBS_H
#define GWSIM_FRONTSUBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GWSIM_FRONT_CLIENTS_MAX 256 /* connections one front serves */
#define GWSIM_FRONT_ID_MAX 255      /* bytes of a ZMQ routing id */
/* Contracts one client may subscribe: a bound on what a broken or hostile
 * client can make the front allocate (a real account sees ~1,000). */
#define GWSIM_FRONT_CLIENT_SYMBOLS_MAX 65536

/* One client. */
struct gwsim_front_client {
    uint8_t id[GWSIM_FRONT_ID_MAX]; /* its routing id */
    size_t id_len;                  /* bytes used in id */
    int64_t last_seen_ms;           /* when it last sent anything */
    bool forgotten;                 /* its connection is gone: drop it */
    struct hamd_strmap *subs;       /* its contracts (value: non-NULL) */
};

struct gwsim_frontsubs {
    struct gwsim_front_client clients[GWSIM_FRONT_CLIENTS_MAX]; /* count
                                                                   used */
    size_t count;              /* clients registered */
    struct hamd_strmap *refs;  /* vt_symbol -> subscribers (uintptr_t) */
};

/* Called with each contract that left the union (no subscriber left). */
typedef void (*gwsim_frontsubs_gone_fn)(void *ud, const char *vt_symbol);

/* Returns a new empty table, or NULL when out of memory. */
struct gwsim_frontsubs *gwsim_frontsubs_new(void);

/* Frees the table and sets *self_p to NULL. */
void gwsim_frontsubs_destroy(struct gwsim_frontsubs **self_p);

/* A message from the client with this routing id arrived at now_ms:
 * refreshes it, or registers it (*added true). Returns its index (valid
 * until the next drop or expire), or -1 when the id is empty or too long,
 * the table is full or memory ran out. */
long gwsim_frontsubs_touch(struct gwsim_frontsubs *self, const void *id,
                           size_t id_len, int64_t now_ms, bool *added);

/* Subscribes client to vt_symbol (a valid vt_symbol). Returns 1 when the
 * contract entered the union (start generating it), 0 when nothing to do
 * (already subscribed, by this client or another), -1 when the client's
 * limit is reached or memory ran out. */
int gwsim_frontsubs_add(struct gwsim_frontsubs *self, size_t client,
                        const char *vt_symbol);

/* Unsubscribes client from vt_symbol. Returns 1 when the contract left the
 * union (stop generating it), else 0. */
int gwsim_frontsubs_remove(struct gwsim_frontsubs *self, size_t client,
                           const char *vt_symbol);

/* True when client subscribed vt_symbol. */
bool gwsim_frontsubs_wants(const struct gwsim_frontsubs *self, size_t client,
                           const char *vt_symbol);

/* Marks client's connection gone (a send found no peer): the next
 * expire drops it. Indexes stay valid until then. */
void gwsim_frontsubs_forget(struct gwsim_frontsubs *self, size_t client);

/* Drops every client forgotten or silent for timeout_ms at now_ms,
 * calling gone for each contract that leaves the union. Returns how many
 * clients were dropped. Indexes of the others may change. */
size_t gwsim_frontsubs_expire(struct gwsim_frontsubs *self, int64_t now_ms,
                              int64_t timeout_ms, gwsim_frontsubs_gone_fn gone,
                              void *ud);

/* Returns the number of contracts in the union. */
size_t gwsim_frontsubs_contracts(const struct gwsim_frontsubs *self);

#endif /* GWSIM_FRONTSUBS_H */
