/* Fuzz target: one tick body (docs/protocol.md), the body of a gateway
 * TICK and of every message the publisher sends.
 *
 * Input: the msgpack body. Checks on a body that decodes: the tick is
 * what the decoder promises (vt_symbol = symbol.exchange, valid codes,
 * UTF-8 strings, finite non-negative prices and volumes, extra within
 * bounds); encoding it and decoding that gives the same bytes again; the
 * compact form the snapshot cache keeps expands back to the same
 * encoding; the peek at a copy's age (common/tick_peek.h) reads the
 * encoding and reads what the decoder did. On any input, the UTF-8 check
 * the decoder makes agrees with jansson's, and what a peek reads is as
 * promised. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "common/tick_compact.h"
#include "common/tick_peek.h"
#include "common/utf8.h"
#include "fuzz.h"
#include "hamd/tick.h"

/* Every price and volume of a tick. */
static void tick_numbers_check(const struct hamd_tick *t)
{
    const double scalars[] = {t->volume,     t->turnover,   t->open_interest,
                              t->last_price, t->last_volume, t->limit_up,
                              t->limit_down, t->open_price,  t->high_price,
                              t->low_price,  t->pre_close};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        FUZZ_CHECK(isfinite(scalars[i]) && scalars[i] >= 0);
    for (int i = 0; i < HAMD_TICK_DEPTH; i++)
        FUZZ_CHECK(isfinite(t->bid_price[i]) && t->bid_price[i] >= 0 &&
                   isfinite(t->ask_price[i]) && t->ask_price[i] >= 0 &&
                   isfinite(t->bid_volume[i]) && t->bid_volume[i] >= 0 &&
                   isfinite(t->ask_volume[i]) && t->ask_volume[i] >= 0);
}

/* A string clients can decode: jansson's UTF-8 rules, not ours. */
static void tick_utf8_check(const char *s)
{
    json_t *j = json_string(s);
    FUZZ_CHECK(j != NULL);
    json_decref(j);
}

static void tick_valid_check(const struct hamd_tick *t)
{
    char vt[HAMD_VT_SYMBOL_MAX];
    size_t ls = strlen(t->symbol), le = strlen(t->exchange);
    FUZZ_CHECK(hamd_tick_code_valid(t->symbol, ls) &&
               hamd_tick_code_valid(t->exchange, le));
    snprintf(vt, sizeof vt, "%s.%s", t->symbol, t->exchange);
    FUZZ_CHECK(strcmp(vt, t->vt_symbol) == 0);
    FUZZ_CHECK(hamd_tick_vt_symbol_valid(t->vt_symbol, strlen(t->vt_symbol)));
    FUZZ_CHECK(t->extra_len <= sizeof t->extra);
    tick_utf8_check(t->vt_symbol);
    tick_utf8_check(t->gateway_name);
    tick_utf8_check(t->name);
    tick_numbers_check(t);
}

/* The three fields a peek read are those the decoder read. */
static void tick_peek_same(const struct hamd_tick_age *peeked,
                           const struct hamd_tick *decoded)
{
    FUZZ_CHECK(strcmp(peeked->vt_symbol, decoded->vt_symbol) == 0);
    FUZZ_CHECK(peeked->datetime_ns == decoded->datetime_ns);
    FUZZ_CHECK(memcmp(&peeked->volume, &decoded->volume,
                      sizeof peeked->volume) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hamd_tick_age p;
    struct hamd_tick t, u;
    uint8_t wire[HAMD_TICK_WIRE_MAX], again[HAMD_TICK_WIRE_MAX];
    json_t *str = json_stringn((const char *)data, size);
    FUZZ_CHECK(hamd_utf8_valid((const char *)data, size) == (str != NULL));
    json_decref(str);
    bool peeked = hamd_tick_peek_age(data, size, &p);
    if (peeked)
        FUZZ_CHECK(memchr(p.vt_symbol, 0, sizeof p.vt_symbol) != NULL &&
                   isfinite(p.volume) && p.volume >= 0);
    if (hamd_tick_decode(data, size, &t) != HAMD_TICK_OK)
        return 0;
    tick_valid_check(&t);
    if (peeked)
        tick_peek_same(&p, &t);
    int64_t n;
    (void)hamd_tick_extra_int(&t, "sim_seq", &n);

    size_t len = hamd_tick_encode(&t, t.has_hub, wire, sizeof wire);
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(hamd_tick_peek_age(wire, len, &p));
    tick_peek_same(&p, &t);
    FUZZ_CHECK(hamd_tick_decode(wire, len, &u) == HAMD_TICK_OK);
    FUZZ_CHECK(u.has_hub == t.has_hub);
    size_t len2 = hamd_tick_encode(&u, u.has_hub, again, sizeof again);
    FUZZ_CHECK(len2 == len && memcmp(wire, again, len) == 0);

    size_t csize = hamd_tick_compact_size(&t);
    uint8_t *compact = malloc(csize);
    FUZZ_CHECK(compact != NULL);
    hamd_tick_compact(&t, compact);
    hamd_tick_expand(compact, &u);
    free(compact);
    len2 = hamd_tick_encode(&u, t.has_hub, again, sizeof again);
    FUZZ_CHECK(len2 == len && memcmp(wire, again, len) == 0);
    return 0;
}
