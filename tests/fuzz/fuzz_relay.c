/* Fuzz target: the relay channel between full nodes
 * (src/common/relay_proto.h), which the publisher's relay ROUTER and a
 * follower's DEALER read off the network (src/dataplane/dp_relay.c).
 *
 * Input: the frames of one message, [identity][type][body]..., separated
 * by FUZZ_SEP: the identity as the publisher reads it ("node-N"), then
 * each body through the decoder its type names (COVER, RELAY; an RTICK's
 * bodies are gateway tick bodies, fuzz_tick.c).
 *
 * Checks: a parsed identity is node 1..65535 and formats back to the same
 * bytes; a COVER that decodes is within its bounds and encodes and
 * decodes back equal; a RELAY that does not decode calls back for
 * nothing, one that does only with valid vt_symbols and account ids. */
#include <string.h>

#include "common/account.h"
#include "common/relay_proto.h"
#include "fuzz.h"

#define RELAY_NODE_MAX 65535 /* largest node id */

static void relay_id_check(const uint8_t *id, size_t len)
{
    char again[HAMD_RELAY_ID_MAX];
    unsigned node = hamd_relay_id_parse(id, len);
    if (node == 0)
        return;
    FUZZ_CHECK(node <= RELAY_NODE_MAX);
    FUZZ_CHECK(hamd_relay_id_format(again, sizeof again, node) == 0);
    FUZZ_CHECK(strlen(again) == len && memcmp(again, id, len) == 0);
}

static bool relay_cover_same(const struct hamd_relay_cover *a,
                             const struct hamd_relay_cover *b)
{
    if (a->node != b->node || a->n_accounts != b->n_accounts)
        return false;
    for (unsigned i = 0; i < a->n_accounts; i++)
        if (strcmp(a->accounts[i].id, b->accounts[i].id) != 0 ||
            a->accounts[i].state != b->accounts[i].state ||
            a->accounts[i].healthy_ms != b->accounts[i].healthy_ms)
            return false;
    return true;
}

static void relay_cover_check(const uint8_t *body, size_t len)
{
    static struct hamd_relay_cover a, b; /* ~3 KB each: off the stack */
    static uint8_t wire[HAMD_RELAY_COVER_BODY_MAX];
    if (!hamd_relay_cover_decode(body, len, &a))
        return;
    FUZZ_CHECK(a.node >= 1 && a.node <= RELAY_NODE_MAX &&
               a.n_accounts <= HAMD_RELAY_COVER_ACCOUNTS_MAX);
    for (unsigned i = 0; i < a.n_accounts; i++)
        FUZZ_CHECK(hamd_account_id_valid(a.accounts[i].id) &&
                   a.accounts[i].state < HAMD_RELAY_COVER_STATES &&
                   a.accounts[i].healthy_ms >= 0);
    size_t n = hamd_relay_cover_encode(&a, wire, sizeof wire);
    FUZZ_CHECK(n > 0 && hamd_relay_cover_decode(wire, n, &b));
    FUZZ_CHECK(relay_cover_same(&a, &b));
}

static void relay_pair(void *ud, const char *vt_symbol, const char *account)
{
    FUZZ_CHECK(hamd_tick_vt_symbol_valid(vt_symbol, strlen(vt_symbol)));
    FUZZ_CHECK(hamd_account_id_valid(account));
    (*(unsigned *)ud)++;
}

static void relay_set_check(const uint8_t *body, size_t len)
{
    unsigned calls = 0;
    bool ok = hamd_relay_set_decode(body, len, relay_pair, &calls);
    FUZZ_CHECK(ok || calls == 0);
    FUZZ_CHECK(calls <= HAMD_RELAY_SET_MAX);
    FUZZ_CHECK(hamd_relay_set_decode(body, len, NULL, NULL) == ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts it;
    const uint8_t *part, *type = NULL;
    size_t len, type_len = 0;
    fuzz_parts_init(&it, data, size, FUZZ_SEP, FUZZ_SEP_LEN);
    if (fuzz_parts_next(&it, &part, &len))
        relay_id_check(part, len);
    if (fuzz_parts_next(&it, &type, &type_len) == false)
        return 0;
    bool cover = type_len == strlen(HAMD_RELAY_COVER) &&
                 memcmp(type, HAMD_RELAY_COVER, type_len) == 0;
    while (fuzz_parts_next(&it, &part, &len)) {
        if (cover)
            relay_cover_check(part, len);
        else
            relay_set_check(part, len);
    }
    return 0;
}
