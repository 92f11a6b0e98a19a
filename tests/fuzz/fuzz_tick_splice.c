/* Fuzz target: a gateway's tick body as the hub publishes it without
 * encoding it again (src/common/tick.c, common/tick_splice.h).
 *
 * Input: the msgpack body. Checks on any input: hamd_tick_decode_splice
 * answers what hamd_tick_decode answers. On a whole msgpack map16, the
 * decoder's fast path answers what its generic decoder answers (the same
 * body with one unknown key appended, which only the generic decoder
 * reads): the same error, or a tick that encodes to the same bytes. On a body it says can be spliced:
 * the splice is byte for byte what the encoder writes for the decoded tick
 * with the account and the hub fields, for accounts and hub values of
 * every length and form, in a buffer with room, of the exact size, and
 * one byte short (refused). */
#include <string.h>

#include "common/mpread.h"
#include "common/tick_splice.h"
#include "fuzz.h"
#include "hamd/tick.h"

#define FUZZ_TWIN_PAIR "\xa2zz\xc0" /* "zz": nil, a key no decoder knows */
#define FUZZ_TWIN_PAIR_LEN 4

/* Accounts and hub values that take every form the encoder writes. */
static const char *const ACCOUNTS[] = {
    "", "a", "sim_a", "abcdefghijklmnopqrstuvwxyz01234",
    "abcdefghijklmnopqrstuvwxyz0123456789@node"};
static const struct hamd_tick_hub HUBS[] = {
    {0, 0, 0, 0},
    {1, 1, 1, 1767225600000000000LL},
    {200, 70000, 65536, -1},
    {5000000000ull, UINT64_MAX, UINT32_MAX, INT64_MIN},
};

/* True when body is one whole msgpack map16 whose count can grow: its
 * twin then holds the same pairs and one more. */
static bool twin_able(const uint8_t *body, size_t len)
{
    struct hamd_mpr r;
    hamd_mpr_init(&r, body, len);
    return len >= 3 && len <= HAMD_TICK_WIRE_MAX && body[0] == 0xde &&
           (body[1] != 0xff || body[2] != 0xff) && hamd_mpr_skip(&r) &&
           hamd_mpr_done(&r);
}

/* The body with one more pair after its last, its map16 count raised:
 * only the generic decoder reads it, and it decodes to the same tick. */
static size_t twin_of(const uint8_t *body, size_t len, uint8_t *twin)
{
    memcpy(twin, body, len);
    unsigned n = ((unsigned)body[1] << 8 | body[2]) + 1;
    twin[1] = (uint8_t)(n >> 8);
    twin[2] = (uint8_t)n;
    memcpy(twin + len, FUZZ_TWIN_PAIR, FUZZ_TWIN_PAIR_LEN);
    return len + FUZZ_TWIN_PAIR_LEN;
}

/* a and b encode to the same bytes, hub fields included. */
static void same_tick_check(const struct hamd_tick *a,
                            const struct hamd_tick *b)
{
    uint8_t wa[HAMD_TICK_WIRE_MAX], wb[HAMD_TICK_WIRE_MAX];
    size_t la = hamd_tick_encode(a, true, wa, sizeof wa);
    size_t lb = hamd_tick_encode(b, true, wb, sizeof wb);
    FUZZ_CHECK(la > 0 && la == lb && memcmp(wa, wb, la) == 0);
    FUZZ_CHECK(a->has_hub == b->has_hub);
}

/* What the hub publishes for t from account with hub, by the encoder. */
static size_t encoded(const struct hamd_tick *t, const char *account,
                      const struct hamd_tick_hub *hub, uint8_t *out)
{
    struct hamd_tick s = *t;
    snprintf(s.gateway_name, sizeof s.gateway_name, "%s", account);
    size_t n = hamd_tick_encode_hub(&s, hub, out, HAMD_TICK_WIRE_MAX);
    FUZZ_CHECK(n > 0);
    return n;
}

static void splice_check(const struct hamd_tick_splice *sp,
                         const struct hamd_tick *t)
{
    uint8_t want[HAMD_TICK_WIRE_MAX], got[HAMD_TICK_WIRE_MAX];
    for (size_t a = 0; a < sizeof ACCOUNTS / sizeof ACCOUNTS[0]; a++) {
        for (size_t h = 0; h < sizeof HUBS / sizeof HUBS[0]; h++) {
            size_t al = strlen(ACCOUNTS[a]);
            size_t w = encoded(t, ACCOUNTS[a], &HUBS[h], want);
            size_t n = hamd_tick_splice(sp, ACCOUNTS[a], al, &HUBS[h], got,
                                        sizeof got);
            FUZZ_CHECK(n == w && memcmp(got, want, w) == 0);
            FUZZ_CHECK(hamd_tick_splice(sp, ACCOUNTS[a], al, &HUBS[h], got,
                                        w) == w &&
                       memcmp(got, want, w) == 0);
            FUZZ_CHECK(hamd_tick_splice(sp, ACCOUNTS[a], al, &HUBS[h], got,
                                        w - 1) == 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hamd_tick t, plain, generic;
    struct hamd_tick_splice sp;
    enum hamd_tick_err err = hamd_tick_decode_splice(data, size, &t, &sp);
    FUZZ_CHECK(hamd_tick_decode(data, size, &plain) == err);
    if (err != HAMD_TICK_OK) {
        FUZZ_CHECK(sp.body == NULL);
    } else {
        same_tick_check(&t, &plain);
    }
    if (twin_able(data, size)) {
        uint8_t twin[HAMD_TICK_WIRE_MAX + FUZZ_TWIN_PAIR_LEN];
        size_t tn = twin_of(data, size, twin);
        FUZZ_CHECK(hamd_tick_decode(twin, tn, &generic) == err);
        if (err == HAMD_TICK_OK)
            same_tick_check(&t, &generic);
    }
    if (sp.body != NULL) {
        FUZZ_CHECK(sp.body == data && sp.len == size);
        splice_check(&sp, &t);
    }
    return 0;
}
