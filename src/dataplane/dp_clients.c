/* Data plane: who on the XPUB is a client, for the publish gate's wait
 * (core/gate.h, rule 4) and the counts of `_hb` (docs/protocol.md, "Who
 * is a client").
 *
 * The XPUB reports every subscription and unsubscription (XPUB_VERBOSER,
 * and one unsubscription per topic when a subscriber leaves), never who
 * sent it. Three kinds of subscriber send them:
 * - a hamd follower: the marker `_follower` and one other topic, in one
 *   write when it connects, two unsubscriptions when it leaves. No
 *   client; its markers count the publisher's followers (dp_watermark.c).
 * - a client library of this version (C or Python): its prefixes, `_hb`,
 *   `_event` and `_client.<k>.<name>`, on every connection it opens to
 *   the endpoint (its primary, and the probes beside a silent one). One
 *   client per name, whatever its connections and topics; k is how many
 *   other topics that connection subscribes to, so they count as no
 *   plain subscription. Counted by subscriptions, a library with its
 *   three topics on three connections was worth 9 where the publisher
 *   before had counted 3, and ended a takeover's wait before another
 *   library was back (it lost 45-180 ticks per contract).
 * - anything else (a plain SUB, an older library): each subscription.
 *
 * A subscriber sends all its topics in one write when it connects; they
 * are read together here, so a library's name and its other topics are
 * counted at once. A name the XPUB reports that is not well formed is a
 * plain subscription, so a subscriber cannot make one count as less.
 */
#include <stdint.h>
#include <string.h>
#include <zmq.h>

#include "common/strmap.h"
#include "dataplane/dp_internal.h"

#define DP_SUB_MSG_MAX 64          /* bytes of a subscription read: the
                                      flag and the topic */
#define DP_CLIENT_TOPIC "_client." /* a client library's name topic:
                                      `_client.<k>.<name>` (never
                                      published) */
#define DP_CLIENT_TOPICS_MAX 66    /* k at most: a library's 64 prefixes
                                      (HAMD_CLIENT_PREFIXES_MAX), `_hb`,
                                      `_event` */
#define DP_CLIENT_NAMES_MAX 10000  /* library names counted at once; more
                                      count as plain subscriptions */
#define DP_CLIENT_NAMES_INITIAL 64 /* the map's first size */

/* dp_clients_read passes a cut topic on with its whole length, which
 * client_topic refuses as longer than any name before it reads a byte
 * past the buffer. */
_Static_assert(DP_SUB_MSG_MAX > HAMD_STRMAP_KEY_MAX,
               "a cut topic must be longer than any library name");

/* ------------------------------------------------------------------------
 * A library's name topic
 * ------------------------------------------------------------------------ */

/* True when topic (len bytes, NUL-terminated) is `_client.<k>.<name>`,
 * k a decimal 0..DP_CLIENT_TOPICS_MAX, the name 1 or more of [0-9A-Za-z-]
 * and the whole at most HAMD_STRMAP_KEY_MAX bytes. Sets *k and *name. */
static bool client_topic(const char *topic, size_t len, int64_t *k,
                         const char **name)
{
    size_t plen = strlen(DP_CLIENT_TOPIC);
    if (len <= plen || len > HAMD_STRMAP_KEY_MAX ||
        memcmp(topic, DP_CLIENT_TOPIC, plen) != 0)
        return false;
    const char *p = topic + plen, *end = topic + len;
    int64_t n = 0;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9' && p - digits < 3)
        n = n * 10 + (*p++ - '0');
    if (p == digits || p >= end || *p != '.' || n > DP_CLIENT_TOPICS_MAX)
        return false;
    *name = ++p;
    if (p == end)
        return false;
    for (; p < end; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z') || *p == '-'))
            return false;
    *k = n;
    return true;
}

/* ------------------------------------------------------------------------
 * Library names: how many of each name's topics are subscribed
 * ------------------------------------------------------------------------ */

/* The name's count (its connections subscribed), 0 when absent. */
static uintptr_t name_count(struct hamd_dataplane *dp, const char *name)
{
    return dp->client_names ? (uintptr_t)hamd_strmap_get(dp->client_names,
                                                         name)
                            : 0;
}

/* One more connection of name subscribed: true when it was counted (the
 * map has room), *first when it is the name's first. */
static bool name_add(struct hamd_dataplane *dp, const char *name, bool *first)
{
    if (!dp->client_names)
        dp->client_names = hamd_strmap_new(DP_CLIENT_NAMES_INITIAL);
    uintptr_t n = name_count(dp, name);
    if (!dp->client_names ||
        (n == 0 && hamd_strmap_size(dp->client_names) >= DP_CLIENT_NAMES_MAX))
        return false;
    hamd_strmap_put(dp->client_names, name, (void *)(n + 1));
    *first = n == 0;
    /* A put of a new key can fail (no memory): then it was not counted. */
    return name_count(dp, name) == n + 1;
}

/* One connection of name left: true when the name was counted, *last
 * when it was its last. */
static bool name_remove(struct hamd_dataplane *dp, const char *name,
                        bool *last)
{
    uintptr_t n = name_count(dp, name);
    if (n == 0)
        return false;
    hamd_strmap_put(dp->client_names, name, n > 1 ? (void *)(n - 1) : NULL);
    *last = n == 1;
    return true;
}

void dp_clients_reset(struct hamd_dataplane *dp)
{
    hamd_strmap_destroy(&dp->client_names);
}

/* ------------------------------------------------------------------------
 * Subscription messages
 * ------------------------------------------------------------------------ */

/* What one subscription (one = +1) or unsubscription (-1) of topic
 * changes: d (the clients), *followers. */
static void subscription_count(struct hamd_dataplane *dp, const char *topic,
                               size_t len, int64_t one,
                               struct hamd_gate_subs *d, int64_t *followers)
{
    if (len == strlen(DP_FOLLOW_MARKER) &&
        memcmp(topic, DP_FOLLOW_MARKER, len) == 0) {
        *followers += one;
        d->subscriptions -= one; /* its other topic: no client's */
        d->plain -= one;
        return;
    }
    d->subscriptions += one;
    int64_t k;
    const char *name;
    bool edge = false;
    if (client_topic(topic, len, &k, &name) &&
        (one > 0 ? name_add(dp, name, &edge) : name_remove(dp, name, &edge))) {
        d->plain -= one * k; /* its other topics: this library's */
        d->libraries += edge ? one : 0;
        return;
    }
    d->plain += one;
}

/* [1][topic] subscribes, [0][topic] unsubscribes. A topic longer than the
 * buffer is cut: never a marker or a name, so a plain subscription. */
void dp_clients_read(struct hamd_dataplane *dp, int64_t now_ns)
{
    char sub[DP_SUB_MSG_MAX + 1];
    struct hamd_gate_subs d = {0, 0, 0};
    int64_t followers = 0;
    int len;
    while ((len = zmq_recv(dp->pub, sub, DP_SUB_MSG_MAX, ZMQ_DONTWAIT)) >= 0) {
        unsigned char flag = (unsigned char)sub[0];
        if (len < 1 || flag > 1)
            continue;
        size_t tlen = len > DP_SUB_MSG_MAX ? DP_SUB_MSG_MAX : (size_t)len;
        sub[tlen] = '\0';
        size_t topic_len = len > DP_SUB_MSG_MAX ? (size_t)len - 1 : tlen - 1;
        subscription_count(dp, sub + 1, topic_len, flag == 1 ? 1 : -1, &d,
                           &followers);
    }
    hamd_gate_followers_changed(&dp->gate, followers);
    hamd_gate_subscribed(&dp->gate, &d, now_ns);
}
