/* The `_wm` body. See watermark.h. */
#include "common/watermark.h"

#include <math.h>
#include <string.h>

#include "common/mpread.h"

#define WM_ARRAY32 0xdd   /* msgpack array32: a count patched at the end */
#define WM_ENTRY_FIELDS 3 /* [vt_symbol, datetime_ns, volume] */

/* ------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

void hamd_wm_begin(struct hamd_wm_writer *wr, void *buf, size_t cap,
                   int64_t ts_ns)
{
    static const uint8_t count0[5] = {WM_ARRAY32, 0, 0, 0, 0};
    hamd_mpw_init(&wr->w, buf, cap);
    wr->n = 0;
    msgpack_pack_map(&wr->w.pk, 2);
    hamd_mpw_str(&wr->w, "ts_ns");
    msgpack_pack_int64(&wr->w.pk, ts_ns);
    hamd_mpw_str(&wr->w, "ticks");
    wr->count_at = wr->w.len;
    hamd_mpw_raw(&wr->w, count0, sizeof count0);
}

bool hamd_wm_add(struct hamd_wm_writer *wr, const char *vt_symbol,
                 int64_t datetime_ns, double volume)
{
    size_t len = strlen(vt_symbol);
    if (wr->n >= HAMD_WM_ENTRIES_MAX ||
        !hamd_tick_vt_symbol_valid(vt_symbol, len))
        return false;
    msgpack_pack_array(&wr->w.pk, WM_ENTRY_FIELDS);
    msgpack_pack_str_with_body(&wr->w.pk, vt_symbol, len);
    msgpack_pack_int64(&wr->w.pk, datetime_ns);
    msgpack_pack_double(&wr->w.pk, volume);
    wr->n++;
    return true;
}

unsigned hamd_wm_count(const struct hamd_wm_writer *wr)
{
    return wr->n;
}

size_t hamd_wm_finish(struct hamd_wm_writer *wr)
{
    size_t len = hamd_mpw_finish(&wr->w);
    if (len == 0)
        return 0;
    uint8_t *count = wr->w.buf + wr->count_at + 1;
    count[0] = (uint8_t)(wr->n >> 24);
    count[1] = (uint8_t)(wr->n >> 16);
    count[2] = (uint8_t)(wr->n >> 8);
    count[3] = (uint8_t)wr->n;
    return len;
}

/* ------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

/* Reads a volume: a number (float or integer) that a valid tick can
 * carry, finite and >= 0 (tick.c). A NaN would compare neither older nor
 * newer than any tick in the newer-than-last guard. */
static bool read_volume(struct hamd_mpr *r, double *out)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v))
        return false;
    switch (v.kind) {
    case HAMD_MPR_FLOAT: *out = v.v.f; break;
    case HAMD_MPR_UINT: *out = (double)v.v.u; break;
    case HAMD_MPR_INT: *out = (double)v.v.i; break;
    default: return false;
    }
    return isfinite(*out) && *out >= 0;
}

/* Reads one [vt_symbol, datetime_ns, volume] entry; vt gets the symbol,
 * NUL-terminated. */
static bool read_entry(struct hamd_mpr *r, char vt[HAMD_VT_SYMBOL_MAX],
                       int64_t *datetime_ns, double *volume)
{
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v) || v.kind != HAMD_MPR_ARRAY ||
        v.v.n != WM_ENTRY_FIELDS || !hamd_mpr_read(r, &v) ||
        v.kind != HAMD_MPR_STR ||
        !hamd_tick_vt_symbol_valid(v.v.s.ptr, v.v.s.len))
        return false;
    memcpy(vt, v.v.s.ptr, v.v.s.len);
    vt[v.v.s.len] = '\0';
    return hamd_mpr_read_i64(r, datetime_ns) && read_volume(r, volume);
}

/* Walks the entries of the ticks array after its header at r; calls fn
 * for each when it is not NULL. */
static bool walk_entries(struct hamd_mpr r, uint32_t n, hamd_wm_fn fn,
                         void *ud)
{
    for (uint32_t i = 0; i < n; i++) {
        char vt[HAMD_VT_SYMBOL_MAX];
        int64_t datetime_ns;
        double volume;
        if (!read_entry(&r, vt, &datetime_ns, &volume))
            return false;
        if (fn)
            fn(ud, vt, datetime_ns, volume);
    }
    return true;
}

bool hamd_wm_decode(const void *buf, size_t len, int64_t *ts_ns,
                    hamd_wm_fn fn, void *ud)
{
    struct hamd_mpr r, ticks;
    hamd_mpr_init(&ticks, buf, 0);
    struct hamd_mpr_val m, k, v;
    bool have_ts = false, have_ticks = false;
    uint32_t n = 0;
    int64_t ts = 0;
    hamd_mpr_init(&r, buf, len);
    if (!hamd_mpr_read(&r, &m) || m.kind != HAMD_MPR_MAP)
        return false;
    for (uint32_t i = 0; i < m.v.n; i++) {
        if (!hamd_mpr_read(&r, &k) || k.kind != HAMD_MPR_STR)
            return false;
        if (hamd_mpr_str_eq(&k, "ts_ns")) {
            if (!hamd_mpr_read_i64(&r, &ts))
                return false;
            have_ts = true;
        } else if (hamd_mpr_str_eq(&k, "ticks")) {
            if (!hamd_mpr_read(&r, &v) || v.kind != HAMD_MPR_ARRAY ||
                v.v.n > HAMD_WM_ENTRIES_MAX)
                return false;
            n = v.v.n;
            ticks = r;
            have_ticks = true;
            if (!walk_entries(r, n, NULL, NULL))
                return false;
            for (uint32_t e = 0; e < n; e++)
                if (!hamd_mpr_skip(&r))
                    return false;
        } else if (!hamd_mpr_skip(&r)) {
            return false;
        }
    }
    if (!have_ts || !have_ticks || !hamd_mpr_done(&r))
        return false;
    *ts_ns = ts;
    return walk_entries(ticks, n, fn, ud);
}
