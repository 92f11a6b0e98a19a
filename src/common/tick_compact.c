/* Compact tick form: see tick_compact.h.
 *
 * Layout: the bytes of struct hamd_tick from datetime_ns to hub_ns (the
 * numbers, contiguous in the struct), then one length byte and the bytes
 * of each string (symbol, exchange, gateway_name, name), then the extra
 * map's length (two bytes) and bytes. Lengths fit: every string is shorter
 * than 256 and the extra map than 65536 (asserted below). */
#include "common/tick_compact.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NUMS_OFF offsetof(struct hamd_tick, datetime_ns)
#define NUMS_LEN (offsetof(struct hamd_tick, hub_ns) + sizeof(int64_t) - NUMS_OFF)

_Static_assert(HAMD_SYMBOL_MAX <= 256 && HAMD_EXCHANGE_MAX <= 256 &&
               HAMD_ACCOUNT_ID_MAX <= 256 && HAMD_TICK_NAME_MAX <= 256,
               "string lengths are stored in one byte");
_Static_assert(HAMD_TICK_EXTRA_MAX <= UINT16_MAX,
               "the extra length is stored in two bytes");

/* The strings of a tick in compact order, with their capacities. */
#define TICK_NSTR 4
static const size_t str_offsets[TICK_NSTR] = {
    offsetof(struct hamd_tick, symbol),
    offsetof(struct hamd_tick, exchange),
    offsetof(struct hamd_tick, gateway_name),
    offsetof(struct hamd_tick, name),
};
static const size_t str_caps[TICK_NSTR] = {
    HAMD_SYMBOL_MAX, HAMD_EXCHANGE_MAX, HAMD_ACCOUNT_ID_MAX, HAMD_TICK_NAME_MAX,
};

static size_t extra_len(const struct hamd_tick *t)
{
    return t->extra_len <= sizeof t->extra ? t->extra_len : 0;
}

size_t hamd_tick_compact_size(const struct hamd_tick *tick)
{
    size_t n = NUMS_LEN + 2 + extra_len(tick);
    for (int i = 0; i < TICK_NSTR; i++)
        n += 1 + strnlen((const char *)tick + str_offsets[i], str_caps[i] - 1);
    return n;
}

void hamd_tick_compact(const struct hamd_tick *tick, void *buf)
{
    uint8_t *p = buf;
    memcpy(p, (const char *)tick + NUMS_OFF, NUMS_LEN);
    p += NUMS_LEN;
    for (int i = 0; i < TICK_NSTR; i++) {
        const char *s = (const char *)tick + str_offsets[i];
        size_t n = strnlen(s, str_caps[i] - 1);
        *p++ = (uint8_t)n;
        memcpy(p, s, n);
        p += n;
    }
    size_t xn = extra_len(tick);
    *p++ = (uint8_t)(xn >> 8);
    *p++ = (uint8_t)xn;
    memcpy(p, tick->extra, xn);
}

void hamd_tick_expand(const void *buf, struct hamd_tick *out)
{
    const uint8_t *p = buf;
    memset(out, 0, offsetof(struct hamd_tick, extra));
    memcpy((char *)out + NUMS_OFF, p, NUMS_LEN);
    p += NUMS_LEN;
    for (int i = 0; i < TICK_NSTR; i++) {
        size_t n = *p++;
        memcpy((char *)out + str_offsets[i], p, n);
        p += n;
    }
    out->extra_len = (size_t)p[0] << 8 | p[1];
    memcpy(out->extra, p + 2, out->extra_len);
    snprintf(out->vt_symbol, sizeof out->vt_symbol, "%s.%s", out->symbol,
             out->exchange);
}
