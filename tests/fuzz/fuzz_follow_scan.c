/* Fuzz target: the follower's scan of the publisher's stream
 * (src/dataplane/dp_follow.c, follow_take and tick_scan): the body of a
 * tick or of a heartbeat, read with hamd_mpr_map_find for the same keys,
 * then the same integer reads. Those two functions are static in the data
 * thread's file, so this makes their calls, not a copy of their logic.
 *
 * Input: one message body. Checks: a value found lies inside the body;
 * on a well-formed map, map_find succeeds and finds what a walk of the
 * whole map finds (the first non-nil value of each key). */
#include <string.h>

#include "common/mpread.h"
#include "fuzz.h"

#define SCAN_KEYS_MAX 3 /* keys of one lookup */

/* A found string, bin or ext value points into the body. */
static void scan_inside_check(const struct hamd_mpr_val *v,
                              const uint8_t *data, size_t size)
{
    if (v->kind != HAMD_MPR_STR && v->kind != HAMD_MPR_BIN &&
        v->kind != HAMD_MPR_EXT)
        return;
    const uint8_t *p = (const uint8_t *)v->v.s.ptr;
    FUZZ_CHECK(p >= data && p <= data + size &&
               v->v.s.len <= (size_t)(data + size - p));
}

/* The same lookup done differently: walks the whole map, keeping the
 * first non-nil value of each key. False when the map is broken anywhere
 * (map_find may then still succeed: it stops once it has every key). */
static bool scan_walk(const uint8_t *data, size_t size,
                      const char *const *keys, struct hamd_mpr_val *vals,
                      unsigned n)
{
    struct hamd_mpr r;
    struct hamd_mpr_val map, k;
    hamd_mpr_init(&r, data, size);
    if (!hamd_mpr_read(&r, &map) || map.kind != HAMD_MPR_MAP)
        return false;
    for (unsigned i = 0; i < n; i++)
        vals[i].kind = HAMD_MPR_NIL;
    for (uint32_t i = 0; i < map.v.n; i++) {
        if (!hamd_mpr_read(&r, &k) || k.kind != HAMD_MPR_STR)
            return false;
        struct hamd_mpr value = r;
        struct hamd_mpr_val v;
        if (!hamd_mpr_read(&value, &v) || !hamd_mpr_skip(&r))
            return false;
        for (unsigned j = 0; j < n; j++)
            if (vals[j].kind == HAMD_MPR_NIL && hamd_mpr_str_eq(&k, keys[j]))
                vals[j] = v;
    }
    return true;
}

static bool scan_same(const struct hamd_mpr_val *a,
                      const struct hamd_mpr_val *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case HAMD_MPR_NIL: return true;
    case HAMD_MPR_BOOL: return a->v.b == b->v.b;
    case HAMD_MPR_UINT: return a->v.u == b->v.u;
    case HAMD_MPR_INT: return a->v.i == b->v.i;
    case HAMD_MPR_FLOAT: return memcmp(&a->v.f, &b->v.f, sizeof a->v.f) == 0;
    case HAMD_MPR_ARRAY:
    case HAMD_MPR_MAP: return a->v.n == b->v.n;
    default: return a->v.s.ptr == b->v.s.ptr && a->v.s.len == b->v.s.len;
    }
}

/* One lookup as the follower makes it, checked against the walk. */
static void scan_lookup(const uint8_t *data, size_t size,
                        const char *const *keys, unsigned n)
{
    struct hamd_mpr_val v[SCAN_KEYS_MAX], w[SCAN_KEYS_MAX];
    bool found = hamd_mpr_map_find(data, size, keys, v, n);
    bool walked = scan_walk(data, size, keys, w, n);
    FUZZ_CHECK(found || !walked);
    if (!found)
        return;
    for (unsigned i = 0; i < n; i++) {
        scan_inside_check(&v[i], data, size);
        FUZZ_CHECK(!walked || scan_same(&v[i], &w[i]));
        int64_t x;
        (void)hamd_mpr_val_i64(&v[i], &x);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* tick_scan: a tick of a contract this node serves. */
    static const char *const tick_keys[] = {"datetime", "volume", "hub_ns"};
    /* follow_take: the publisher's heartbeat. */
    static const char *const hb_keys[] = {"ts_ns"};
    scan_lookup(data, size, tick_keys, 3);
    scan_lookup(data, size, hb_keys, 1);
    struct hamd_mpr r;
    hamd_mpr_init(&r, data, size);
    if (hamd_mpr_skip(&r))
        FUZZ_CHECK(r.p <= r.end);
    return 0;
}
