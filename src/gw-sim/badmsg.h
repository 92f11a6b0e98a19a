/* Malformed gateway messages for the garbage and wrong faults: PURE.
 *
 * Each builder derives its message from a good tick (and its n), so a run
 * is reproducible and a hub test can tell which good tick it followed.
 * Garbage is what a broken bridge might emit; wrong ticks are well-formed
 * msgpack with data a hub must refuse (docs/gateway-protocol.md).
 */
#ifndef GWSIM_BADMSG_H
#define GWSIM_BADMSG_H

#include <stddef.h>
#include <stdint.h>

#include "hamd/tick.h"

enum gwsim_bad {
    /* garbage: one of these after every good tick */
    GWSIM_BAD_BYTES = 0,    /* TICK whose body is random bytes, not msgpack */
    GWSIM_BAD_TYPE,         /* a message type no hub knows */
    GWSIM_BAD_NAN,          /* TICK whose last_price is NaN */
    GWSIM_BAD_SINGLE_FRAME, /* a lone TICK frame without body */
    /* wrong: one of these instead of every good tick */
    GWSIM_BAD_NEGATIVE,     /* negative last/bid/ask prices */
    GWSIM_BAD_NO_EXCHANGE,  /* no exchange (nor vt_symbol) key */
    GWSIM_BAD_DATETIME_STR, /* datetime as an ISO string, not int ns */
    GWSIM_BAD_COUNT,        /* number of kinds: keep last */
};

#define GWSIM_BAD_TYPE_FRAME "BOGUS" /* type frame of GWSIM_BAD_TYPE */

/* Returns the garbage kind that follows good tick n (cycles the four). */
enum gwsim_bad gwsim_bad_garbage_kind(int64_t n);

/* Returns the wrong kind that replaces good tick n (cycles the three). */
enum gwsim_bad gwsim_bad_wrong_kind(int64_t n);

/* Returns the type frame of the message ("TICK" or GWSIM_BAD_TYPE_FRAME). */
const char *gwsim_bad_type_frame(enum gwsim_bad kind);

/* Returns the number of frames of the message: 1 or 2. */
int gwsim_bad_frames(enum gwsim_bad kind);

/* Writes the body of the message derived from tick n into buf (capacity
 * cap). Returns its length, 0 for a single-frame kind or when cap is too
 * small. */
size_t gwsim_bad_encode(enum gwsim_bad kind, const struct hamd_tick *good,
                        int64_t n, void *buf, size_t cap);

#endif /* GWSIM_BADMSG_H */
