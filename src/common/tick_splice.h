/* Publishing a gateway's tick body without encoding it again.
 *
 * A gateway built on hamd's codec (hamd-gw-sim, hamd-gw-replay, or any
 * that writes docs/gateway-protocol.md's TICK the way hamd_tick_encode
 * does: keys in its order, shortest integers, float64 numbers) sends
 * bodies that are byte for byte what the hub would encode for the tick it
 * decodes from them, less the hub fields and with the gateway's own
 * gateway_name. The hub publishes such a body as it came, with the map's
 * count raised by four, the source's account as gateway_name and term,
 * seq, node, hub_ns inserted before extra: a few copies instead of an
 * encoding of 43 fields. Every other body is decoded and encoded as
 * before. Both give the same bytes (test_tick_splice.c checks it, and
 * tests/fuzz/fuzz_tick_splice.c on any input), so clients cannot tell.
 */
#ifndef HAMD_TICK_SPLICE_H
#define HAMD_TICK_SPLICE_H

#include <stddef.h>
#include <stdint.h>

#include "hamd/tick.h"

/* Where the hub's fields go in a body that can be spliced. */
struct hamd_tick_splice {
    const uint8_t *body; /* the gateway's body; NULL: cannot be spliced */
    size_t len;          /* its bytes */
    size_t name_at;      /* gateway_name's value: its first byte */
    size_t name_end;     /* ... and one past its last */
    size_t hub_at;       /* where the hub fields go: extra's key, or len */
};

/* hamd_tick_decode, which also says whether the body can be spliced:
 * sp->body is buf then, else NULL (always NULL on an error). buf must
 * stay valid and unchanged while sp is used. */
enum hamd_tick_err hamd_tick_decode_splice(const void *buf, size_t len,
                                           struct hamd_tick *out,
                                           struct hamd_tick_splice *sp);

/* Writes into buf (capacity cap) the body to publish: byte for byte
 * hamd_tick_encode(t, true, ...) of the tick t hamd_tick_decode_splice
 * decoded, with gateway_name = name[0..name_len) (no NUL, shorter than
 * HAMD_ACCOUNT_ID_MAX) and the fields of *hub. Returns its length; 0
 * when sp cannot be spliced, name is too long, or it does not fit cap
 * (HAMD_TICK_WIRE_MAX bytes always fit). */
size_t hamd_tick_splice(const struct hamd_tick_splice *sp, const char *name,
                        size_t name_len, const struct hamd_tick_hub *hub,
                        void *buf, size_t cap);

/* hamd_tick_encode(tick, true, ...) with the hub fields of *hub instead of
 * tick's own: what the hub publishes for a body it cannot splice, and what
 * a splice must equal. */
size_t hamd_tick_encode_hub(const struct hamd_tick *tick,
                            const struct hamd_tick_hub *hub, void *buf,
                            size_t cap);

#endif /* HAMD_TICK_SPLICE_H */
