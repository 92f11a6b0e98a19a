/* A compact in-memory form of a tick, for ticks kept a long time.
 *
 * struct hamd_tick reserves room for its longest strings and extra map
 * (760 bytes); the encoded wire body repeats every key (~830 bytes). A
 * contract's last published tick, kept for SNAPSHOT, needs neither: the
 * compact form is the numbers as they lie in struct hamd_tick followed by
 * the strings and the extra map at their real lengths (~350 bytes for a
 * typical futures tick). It is a private format: never sent, never stored
 * on disk, read back only by this build.
 */
#ifndef HAMD_TICK_COMPACT_H
#define HAMD_TICK_COMPACT_H

#include <stddef.h>

#include "hamd/tick.h"

/* Returns the bytes hamd_tick_compact writes for tick. */
size_t hamd_tick_compact_size(const struct hamd_tick *tick);

/* Writes the compact form of tick with the hub fields of *hub (NULL: its
 * own) into buf when it holds cap bytes, in one pass. Returns the bytes
 * the form takes, whether it wrote them or not (then nothing). */
size_t hamd_tick_compact_to(const struct hamd_tick *tick,
                            const struct hamd_tick_hub *hub, void *buf,
                            size_t cap);

/* Writes the compact form of tick into buf, which holds
 * hamd_tick_compact_size(tick) bytes. */
void hamd_tick_compact(const struct hamd_tick *tick, void *buf);

/* Rebuilds into *out the tick whose compact form is buf: every field
 * hamd_tick_encode reads comes back as it was; vt_symbol is set to
 * symbol "." exchange. */
void hamd_tick_expand(const void *buf, struct hamd_tick *out);

#endif /* HAMD_TICK_COMPACT_H */
