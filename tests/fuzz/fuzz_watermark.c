/* Fuzz target: the publisher's watermarks as a follower reads them off
 * its SUB (src/common/watermark.c, read by src/dataplane/dp_follow.c).
 *
 * Input: a `_wm` body. Checks: checking only answers what decoding does;
 * a body refused reports no entry; a decoded one has at most
 * HAMD_WM_ENTRIES_MAX entries, each a valid vt_symbol with the age a
 * valid tick can have (a finite volume >= 0: what the newer-than-last
 * guard compares), and the writer encodes them to a body that decodes to
 * the same stamp and entries and that is refused one byte short. */
#include <math.h>
#include <string.h>

#include "common/watermark.h"
#include "fuzz.h"

/* The entries of one decoded body. */
struct wm_seen {
    unsigned n;                                      /* entries */
    char vt[HAMD_WM_ENTRIES_MAX][HAMD_VT_SYMBOL_MAX]; /* vt_symbols */
    int64_t dt_ns[HAMD_WM_ENTRIES_MAX];              /* exchange times */
    double volume[HAMD_WM_ENTRIES_MAX];              /* volumes */
};

static void wm_entry(void *ud, const char *vt_symbol, int64_t datetime_ns,
                     double volume)
{
    struct wm_seen *s = ud;
    size_t len = strlen(vt_symbol);
    FUZZ_CHECK(s->n < HAMD_WM_ENTRIES_MAX);
    FUZZ_CHECK(hamd_tick_vt_symbol_valid(vt_symbol, len));
    FUZZ_CHECK(isfinite(volume) && volume >= 0);
    memcpy(s->vt[s->n], vt_symbol, len + 1);
    s->dt_ns[s->n] = datetime_ns;
    s->volume[s->n++] = volume;
}

static bool wm_same(const struct wm_seen *a, const struct wm_seen *b)
{
    if (a->n != b->n)
        return false;
    for (unsigned i = 0; i < a->n; i++)
        if (strcmp(a->vt[i], b->vt[i]) != 0 || a->dt_ns[i] != b->dt_ns[i] ||
            a->volume[i] != b->volume[i])
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct wm_seen a, b;          /* ~20 KB each: off the stack */
    static uint8_t wire[HAMD_WM_BODY_MAX];
    int64_t ts = 0, ts2 = 0;
    a.n = 0;
    bool ok = hamd_wm_decode(data, size, &ts, wm_entry, &a);
    FUZZ_CHECK(hamd_wm_decode(data, size, &ts2, NULL, NULL) == ok);
    if (!ok) {
        FUZZ_CHECK(a.n == 0);
        return 0;
    }
    FUZZ_CHECK(ts2 == ts);
    struct hamd_wm_writer wr;
    hamd_wm_begin(&wr, wire, sizeof wire, ts);
    for (unsigned i = 0; i < a.n; i++)
        FUZZ_CHECK(hamd_wm_add(&wr, a.vt[i], a.dt_ns[i], a.volume[i]));
    FUZZ_CHECK(hamd_wm_count(&wr) == a.n);
    size_t n = hamd_wm_finish(&wr);
    FUZZ_CHECK(n > 0 && n <= HAMD_WM_BODY_MAX);
    b.n = 0;
    FUZZ_CHECK(hamd_wm_decode(wire, n, &ts2, wm_entry, &b));
    FUZZ_CHECK(ts2 == ts && wm_same(&a, &b));
    FUZZ_CHECK(!hamd_wm_decode(wire, n - 1, &ts2, NULL, NULL));
    return 0;
}
