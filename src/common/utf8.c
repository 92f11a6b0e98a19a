/* UTF-8 validation: see utf8.h. Runs on every string of every tick, so
 * ASCII, nearly all of it, costs one compare per byte. */
#include "common/utf8.h"

#include <stdint.h>

#define UTF8_CP_MAX 0x10FFFFu        /* largest code point */
#define UTF8_SURROGATE_FIRST 0xD800u /* UTF-16 surrogates: never encoded */
#define UTF8_SURROGATE_LAST 0xDFFFu

/* Reads the lead byte c of a multi-byte sequence: its continuation bytes
 * (*n), the payload bits it carries (*cp) and the smallest code point a
 * sequence of that length may encode (*min). False for a byte that
 * cannot lead (a continuation byte, 0xC0, 0xC1, 0xF5..0xFF). */
static bool utf8_lead(uint8_t c, unsigned *n, uint32_t *cp, uint32_t *min)
{
    if (c >= 0xC2 && c <= 0xDF) {
        *n = 1;
        *cp = c & 0x1Fu;
        *min = 0x80u;
    } else if (c >= 0xE0 && c <= 0xEF) {
        *n = 2;
        *cp = c & 0x0Fu;
        *min = 0x800u;
    } else if (c >= 0xF0 && c <= 0xF4) {
        *n = 3;
        *cp = c & 0x07u;
        *min = 0x10000u;
    } else {
        return false;
    }
    return true;
}

size_t hamd_utf8_whole_len(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t lead = len, follow = 0;
    while (lead > 0 && follow < 3 && (p[lead - 1] & 0xC0) == 0x80) {
        lead--;
        follow++;
    }
    unsigned n;
    uint32_t cp, min;
    if (lead == 0 || !utf8_lead(p[lead - 1], &n, &cp, &min) || follow >= n)
        return len; /* ends whole, or not UTF-8 at all: not ours to mend */
    return lead - 1;
}

bool hamd_utf8_valid(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        unsigned n;
        uint32_t cp, min;
        if (!utf8_lead(*p, &n, &cp, &min) || (size_t)(end - p) <= n)
            return false;
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        if (cp < min || cp > UTF8_CP_MAX ||
            (cp >= UTF8_SURROGATE_FIRST && cp <= UTF8_SURROGATE_LAST))
            return false;
        p += n + 1;
    }
    return true;
}
