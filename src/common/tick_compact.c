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

/* Where a number of the struct lies in the compact form. */
#define NUM_AT(member) (offsetof(struct hamd_tick, member) - NUMS_OFF)

size_t hamd_tick_compact_to(const struct hamd_tick *tick,
                            const struct hamd_tick_hub *hub, void *buf,
                            size_t cap)
{
    size_t lens[TICK_NSTR], xn = extra_len(tick);
    size_t n = NUMS_LEN + 2 + xn;
    for (int i = 0; i < TICK_NSTR; i++) {
        lens[i] = strnlen((const char *)tick + str_offsets[i], str_caps[i] - 1);
        n += 1 + lens[i];
    }
    if (n > cap)
        return n;
    uint8_t *p = buf;
    memcpy(p, (const char *)tick + NUMS_OFF, NUMS_LEN);
    if (hub) {
        memcpy(p + NUM_AT(term), &hub->term, sizeof hub->term);
        memcpy(p + NUM_AT(seq), &hub->seq, sizeof hub->seq);
        memcpy(p + NUM_AT(node), &hub->node, sizeof hub->node);
        memcpy(p + NUM_AT(hub_ns), &hub->hub_ns, sizeof hub->hub_ns);
    }
    p += NUMS_LEN;
    for (int i = 0; i < TICK_NSTR; i++) {
        *p++ = (uint8_t)lens[i];
        memcpy(p, (const char *)tick + str_offsets[i], lens[i]);
        p += lens[i];
    }
    *p++ = (uint8_t)(xn >> 8);
    *p++ = (uint8_t)xn;
    memcpy(p, tick->extra, xn);
    return n;
}

size_t hamd_tick_compact_size(const struct hamd_tick *tick)
{
    return hamd_tick_compact_to(tick, NULL, NULL, 0);
}

void hamd_tick_compact(const struct hamd_tick *tick, void *buf)
{
    hamd_tick_compact_to(tick, NULL, buf, SIZE_MAX);
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
