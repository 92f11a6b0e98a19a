/* What a simulated front makes of its clients' messages (frontproto.h),
 * without the socket: each [routing id][type][body] registers its sender
 * and applies a SUBSCRIBE or UNSUBSCRIBE to the front's tables, who
 * wants what (frontsubs.h) and the generators of the contracts somebody
 * wants (symtab.h). front.c reads the ROUTER and hands every message
 * here; tests/fuzz/fuzz_sim_front.c hands it hostile ones.
 *
 * The rules: an HB only refreshes its sender; a SUBSCRIBE adds each of
 * its contracts that is a valid symbol.EXCHANGE of an exchange the front
 * serves (each other one is refused, counted and logged); UNSUBSCRIBE
 * removes; anything else (an id alone, a type alone, three frames, an
 * unknown type, a symbols body that does not decode, a sender the table
 * has no room for) is counted as bad and changes nothing. A contract is
 * generated while at least one client wants it.
 */
#ifndef GWSIM_FRONTIN_H
#define GWSIM_FRONTIN_H

#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "gw-common/gwin.h"
#include "gw-sim/frontsubs.h"
#include "gw-sim/params.h"
#include "gw-sim/symtab.h"

/* The front's side of its clients. */
struct gwsim_frontin {
    const struct gwsim_params *params; /* seed, rates, exchanges (not owned) */
    struct gwsim_frontsubs *clients;   /* who subscribed what */
    struct gwsim_symtab *feeds;        /* every contract some client wants */
    uint64_t clients_seen;             /* clients registered since start */
    uint64_t bad;                      /* malformed client messages */
    uint64_t refused;                  /* subscriptions refused */
    struct hamd_log_rate bad_rate;     /* limits logs of bad messages */
    struct hamd_log_rate refuse_rate;  /* limits logs of refused symbols */
};

/* Sets up empty tables for a front of these params (which must outlive
 * it). Returns 0, or -1 when out of memory (nothing to free). */
int gwsim_frontin_init(struct gwsim_frontin *self,
                       const struct gwsim_params *params);

/* Frees the tables. */
void gwsim_frontin_free(struct gwsim_frontin *self);

/* A message from the client with routing id id[0..id_len), m NULL when
 * the id came alone, at monotonic now_ms and wall time wall_ns (where a
 * contract new to the front starts). Returns the client's index (valid
 * until the next expire), or -1 when it could not be registered. */
long gwsim_frontin_message(struct gwsim_frontin *self, const void *id,
                           size_t id_len, struct hamd_gwin_msg *m,
                           int64_t now_ms, int64_t wall_ns);

/* Drops the clients silent for GWSIM_FRONT_CLIENT_TIMEOUT_MS at now_ms
 * or forgotten, and the generators nobody wants any more. Returns how
 * many clients were dropped. */
size_t gwsim_frontin_expire(struct gwsim_frontin *self, int64_t now_ms);

#endif /* GWSIM_FRONTIN_H */
