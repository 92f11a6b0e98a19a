/* The watermark stream: what a publisher tells its followers it sent
 * (docs/protocol.md §3, docs/architecture.md "A takeover is not a hole").
 *
 * A follower must know, per contract, the last tick the publisher sent,
 * so that taking over it re-sends only what the publisher never did. It
 * used to read every published tick for that (a whole 830-byte body per
 * tick, through ZeroMQ's I/O thread: more CPU per tick than the
 * publisher's own work). The publisher now sends, every few milliseconds,
 * one `_wm` message naming each contract it published since the last
 * one with that contract's last tick's exchange time and volume (what the
 * newer-than-last guard compares), and followers subscribe to `_` topics
 * only:
 *
 *   topic "_wm"
 *   body  {"ts_ns": int, "ticks": [[vt_symbol, datetime_ns, volume], ...]}
 *
 * ts_ns is the publisher's wall clock when it sent the message, after
 * every tick it names (the in-flight rule, core/inflight.h, counts from
 * it). Unknown keys are ignored, so fields may be added. The body comes
 * from another host: the decoder checks every type, length and count,
 * never allocates, and reports nothing of a body that is not valid as a
 * whole.
 */
#ifndef HAMD_WATERMARK_H
#define HAMD_WATERMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/mpwrite.h"
#include "hamd/tick.h"

#define HAMD_WM_TOPIC "_wm"
#define HAMD_WM_ENTRIES_MAX 256       /* contracts named in one message */
#define HAMD_WM_ENTRY_BYTES_MAX (1 + 2 + HAMD_VT_SYMBOL_MAX + 9 + 9)
                                      /* fixarray, str8 header and body,
                                         int64 and float64 with headers */
#define HAMD_WM_HEAD_BYTES_MAX 32     /* map, "ts_ns" and its int64,
                                         "ticks" and an array32 header */
#define HAMD_WM_BODY_MAX \
    (HAMD_WM_HEAD_BYTES_MAX + HAMD_WM_ENTRIES_MAX * HAMD_WM_ENTRY_BYTES_MAX)
                                      /* bytes of the largest body: ~17 KB */

/* Encodes one `_wm` body into a caller's buffer, entry by entry. */
struct hamd_wm_writer {
    struct hamd_mpw w;  /* the packer over the caller's buffer */
    size_t count_at;    /* offset of the array32 count patched at finish */
    unsigned n;         /* entries added */
};

/* Starts a body stamped ts_ns in buf[0..cap); cap should be
 * HAMD_WM_BODY_MAX, so that every entry hamd_wm_add accepts fits. The
 * writer points into itself: do not copy or move it while in use. */
void hamd_wm_begin(struct hamd_wm_writer *wr, void *buf, size_t cap,
                   int64_t ts_ns);

/* Adds a contract and its last sent tick's exchange time and volume.
 * Returns false, adding nothing, when the body already names
 * HAMD_WM_ENTRIES_MAX contracts or vt_symbol is not a valid one. */
bool hamd_wm_add(struct hamd_wm_writer *wr, const char *vt_symbol,
                 int64_t datetime_ns, double volume);

/* Entries added so far. */
unsigned hamd_wm_count(const struct hamd_wm_writer *wr);

/* Ends the body. Returns its length, 0 when it did not fit in the
 * buffer. */
size_t hamd_wm_finish(struct hamd_wm_writer *wr);

/* Called for each entry of a valid body, in order; vt_symbol is
 * NUL-terminated and valid only during the call. */
typedef void (*hamd_wm_fn)(void *ud, const char *vt_symbol,
                           int64_t datetime_ns, double volume);

/* Checks a `_wm` body and, only when all of it is valid (a map with an
 * integer ts_ns and an array ticks of at most HAMD_WM_ENTRIES_MAX
 * [vt_symbol, integer, number] entries, each volume finite and >= 0 as a
 * tick's), stores ts_ns, then calls fn (NULL: check only) for every
 * entry. Returns whether it was valid. */
bool hamd_wm_decode(const void *buf, size_t len, int64_t *ts_ns,
                    hamd_wm_fn fn, void *ud);

#endif /* HAMD_WATERMARK_H */
