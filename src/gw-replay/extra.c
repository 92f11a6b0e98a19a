/* The `extra` map of a replayed tick: see extra.h. */
#include "gw-replay/extra.h"

#include <string.h>

#include "common/mpread.h"
#include "common/mpwrite.h"
#include "hamd/tick.h"

/* Room for the entries before the map header: more than a tick may
 * carry, so that too much is seen as too much, not as broken bytes. */
#define REPLAY_EXTRA_SCRATCH_BYTES (2 * HAMD_TICK_EXTRA_MAX)

/* True when key[0..len) is one of the names the replay writes. */
static bool ours(const char *key, size_t len)
{
    static const char *const NAMES[] = {REPLAY_EXTRA_LOOP, REPLAY_EXTRA_SEQ,
                                        REPLAY_EXTRA_RECORDED};
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
        if (strlen(NAMES[i]) == len && memcmp(NAMES[i], key, len) == 0)
            return true;
    return false;
}

/* Copies the recorded entries that are not ours into w; counts them in
 * *n. Returns false when old is not a map with string keys. */
static bool copy_old(struct hamd_mpw *w, const uint8_t *old, size_t old_len,
                     uint32_t *n)
{
    struct hamd_mpr r;
    struct hamd_mpr_val v, key;
    hamd_mpr_init(&r, old, old_len);
    if (!hamd_mpr_read(&r, &v) || v.kind != HAMD_MPR_MAP)
        return false;
    for (uint32_t i = 0; i < v.v.n; i++) {
        const uint8_t *start = r.p;
        if (!hamd_mpr_read(&r, &key) || key.kind != HAMD_MPR_STR ||
            !hamd_mpr_skip(&r))
            return false;
        if (ours(key.v.s.ptr, key.v.s.len))
            continue;
        hamd_mpw_raw(w, start, (size_t)(r.p - start));
        (*n)++;
    }
    return true;
}

/* Packs our entries. */
static void pack_ours(struct hamd_mpw *w, const struct replay_extra *add)
{
    hamd_mpw_str(w, REPLAY_EXTRA_LOOP);
    msgpack_pack_int64(&w->pk, add->loop);
    hamd_mpw_str(w, REPLAY_EXTRA_SEQ);
    msgpack_pack_int64(&w->pk, add->seq);
    if (add->keep_recorded) {
        hamd_mpw_str(w, REPLAY_EXTRA_RECORDED);
        msgpack_pack_int64(&w->pk, add->recorded_ns);
    }
}

/* Builds the map with (keep_old) or without the recorded entries. */
static size_t build(const uint8_t *old, size_t old_len,
                    const struct replay_extra *add, bool keep_old,
                    uint8_t *out, size_t cap)
{
    uint8_t entries[REPLAY_EXTRA_SCRATCH_BYTES];
    struct hamd_mpw w, map;
    uint32_t n = add->keep_recorded ? 3 : 2;
    hamd_mpw_init(&w, entries, sizeof entries);
    if (keep_old && old_len > 0 && !copy_old(&w, old, old_len, &n))
        return 0;
    pack_ours(&w, add);
    size_t len = hamd_mpw_finish(&w);
    if (len == 0)
        return 0;
    hamd_mpw_init(&map, out, cap);
    msgpack_pack_map(&map.pk, n);
    hamd_mpw_raw(&map, entries, len);
    return hamd_mpw_finish(&map);
}

size_t replay_extra_build(const uint8_t *old, size_t old_len,
                          const struct replay_extra *add, uint8_t *out,
                          size_t cap, bool *dropped)
{
    *dropped = false;
    size_t len = build(old, old_len, add, true, out, cap);
    if (len > 0 || old_len == 0)
        return len;
    *dropped = true;
    return build(old, old_len, add, false, out, cap);
}
