/* The client's readers of the wire (client_wire.h). Bodies come from the
 * network, so each is read with the bounds-checked cursor of mpread.h and
 * must be exactly one msgpack map, nothing after it. */
#include "client/client_wire.h"

#include <stdio.h>
#include <string.h>

#include "common/mpread.h"

bool ccwire_topic_is(const void *topic, size_t tlen, const char *lit)
{
    size_t n = strlen(lit);
    return tlen == n && memcmp(topic, lit, n) == 0;
}

/* True when buf[0..len) is one complete msgpack map and nothing more. */
static bool one_map(const void *buf, size_t len)
{
    struct hamd_mpr r;
    struct hamd_mpr_val v;
    hamd_mpr_init(&r, buf, len);
    struct hamd_mpr head = r;
    return hamd_mpr_read(&head, &v) && v.kind == HAMD_MPR_MAP &&
           hamd_mpr_skip(&r) && hamd_mpr_done(&r);
}

const char *ccwire_tick(const void *topic, size_t tlen, const void *body,
                        size_t blen, bool live, struct hamd_tick *out)
{
    enum hamd_tick_err err = hamd_tick_decode(body, blen, out);
    if (err != HAMD_TICK_OK)
        return hamd_tick_strerror(err);
    if (!out->has_hub)
        return "tick without hub fields";
    if (strlen(out->vt_symbol) != tlen || memcmp(out->vt_symbol, topic, tlen))
        return "vt_symbol is not the topic";
    if (live && (out->term == 0 || out->seq == 0))
        return "term or seq 0";
    return NULL;
}

/* Reads two non-negative integer keys of a one-map body. */
static bool two_uints(const void *body, size_t len, const char *k1,
                      uint64_t *v1, const char *k2, uint64_t *v2)
{
    const char *const keys[2] = {k1, k2};
    struct hamd_mpr_val vals[2];
    if (!one_map(body, len) || !hamd_mpr_map_find(body, len, keys, vals, 2) ||
        vals[0].kind != HAMD_MPR_UINT || vals[1].kind != HAMD_MPR_UINT)
        return false;
    *v1 = vals[0].v.u;
    *v2 = vals[1].v.u;
    return true;
}

bool ccwire_heartbeat(const void *body, size_t len, uint64_t *term,
                      uint32_t *node)
{
    uint64_t n;
    if (!two_uints(body, len, "term", term, "node", &n) || *term == 0 ||
        n > UINT32_MAX)
        return false;
    *node = (uint32_t)n;
    return true;
}

bool ccwire_end(const void *body, size_t len, uint64_t *term, uint64_t *count)
{
    return two_uints(body, len, "term", term, "count", count);
}

bool ccwire_event(const void *body, size_t len, char *type)
{
    static const char *const keys[1] = {"event_type"};
    struct hamd_mpr_val v;
    type[0] = '\0';
    if (!one_map(body, len) || !hamd_mpr_map_find(body, len, keys, &v, 1))
        return false;
    if (v.kind == HAMD_MPR_NIL)
        return true;
    if (v.kind != HAMD_MPR_STR || v.v.s.len >= CCWIRE_EVENT_TYPE_MAX ||
        memchr(v.v.s.ptr, '\0', v.v.s.len))
        return false;
    memcpy(type, v.v.s.ptr, v.v.s.len);
    type[v.v.s.len] = '\0';
    return true;
}

/* True when topic is one of topics[0..n). */
static bool topic_among(const char *topic, const char *const *topics,
                        unsigned n)
{
    for (unsigned j = 0; j < n; j++)
        if (strcmp(topic, topics[j]) == 0)
            return true;
    return false;
}

void ccwire_name_topic(char *out, const char *const *prefixes, unsigned n,
                       uint64_t name)
{
    static const char *const own[] = {CCWIRE_HB_TOPIC, CCWIRE_EVENT_TOPIC};
    unsigned distinct = 0;
    for (unsigned i = 0; i < n; i++)
        distinct += !topic_among(prefixes[i], prefixes, i);
    for (unsigned i = 0; i < 2; i++)
        distinct += !topic_among(own[i], prefixes, n);
    snprintf(out, CCWIRE_NAME_TOPIC_MAX, "%s%u.%0*llx", CCWIRE_NAME_TOPIC,
             distinct, CCWIRE_NAME_HEX, (unsigned long long)name);
}
