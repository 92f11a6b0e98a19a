/* A copy's age without decoding it.
 *
 * With a hot standby every tick arrives twice, and the copy that comes
 * second is dropped unpublished: the arbiter needs only its contract,
 * exchange time and volume to call it not newer (core/arbiter.h,
 * hamd_arb_is_stale). In a body laid out as hamd_tick_encode writes it
 * (what hamd's gateways send) those are the 3rd, 6th and 8th keys, ahead
 * of the 31 numbers and `extra` a full decode spends most of its ~2,050
 * instructions on; the peek checks the keys up to the volume and reads
 * the three (docs/performance.md, "Hot standby: the losing copy").
 *
 * A peek validates nothing beyond what it reads: it decides only that a
 * copy can be dropped. A copy that may go out is always decoded in full.
 * Where the decoder accepts a body the peek read, both read the same
 * three values: the keys checked are at the positions the encoder puts
 * them, and the decoder refuses a body that repeats a key
 * (HAMD_TICK_EREPEATED), so no later key can say otherwise.
 */
#ifndef HAMD_TICK_PEEK_H
#define HAMD_TICK_PEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hamd/tick.h"

/* What a peek reads of a body. */
struct hamd_tick_age {
    char vt_symbol[HAMD_VT_SYMBOL_MAX]; /* NUL-terminated, no NUL inside */
    int64_t datetime_ns;                /* exchange time, epoch ns */
    double volume;                      /* cumulative volume, finite,
                                           >= 0 */
};

/* Reads vt_symbol, datetime and volume of the body buf[0..len) into *age:
 * a string that fits, an integer, a float64. False when the body is not
 * in the encoder's layout up to the volume or a value read is not of its
 * kind: the caller decodes it in full, which judges it. */
bool hamd_tick_peek_age(const void *buf, size_t len,
                        struct hamd_tick_age *age);

#endif /* HAMD_TICK_PEEK_H */
