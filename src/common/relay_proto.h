/* The relay channel between full nodes (docs/failover.md, "The data
 * follows the healthy source"), version 1.
 *
 * Every full node with a [peer.N] relay endpoint binds a ROUTER there. A
 * follower connects a DEALER with routing identity "node-N" (N: its own
 * id) to the publisher's relay endpoint. Messages are [type][body...]:
 *
 *   follower -> publisher
 *     COVER  [node, [[account, state, healthy_ms]...]]
 *            the follower's own gateways, every second and on change:
 *            state is the health state code (0 connecting, 1 healthy,
 *            2 unhealthy, 3 disconnected, 4 restarting, 5 stopped),
 *            healthy_ms how long it has been HEALTHY (0 otherwise)
 *     RTICK  [account][tick body]...
 *            ticks of the follower's gateway `account`, bodies as a
 *            gateway sends them (docs/gateway-protocol.md), for the
 *            contracts the publisher asked for
 *   publisher -> follower
 *     RELAY  [[vt_symbol, account]...]
 *            the whole set of contracts to relay and from which of its
 *            accounts; it replaces the previous set (empty: relay none)
 *
 * The bodies come from another host: the decoders check every type,
 * length and count and never allocate.
 */
#ifndef HAMD_RELAY_PROTO_H
#define HAMD_RELAY_PROTO_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hamd/tick.h"

#define HAMD_RELAY_COVER "COVER"
#define HAMD_RELAY_TICK "RTICK"
#define HAMD_RELAY_SET "RELAY"
#define HAMD_RELAY_ID_PREFIX "node-"     /* DEALER identity: node-N */
#define HAMD_RELAY_ID_MAX 16             /* bytes of "node-65535" + NUL */
#define HAMD_RELAY_COVER_ACCOUNTS_MAX 64       /* accounts in one COVER */
#define HAMD_RELAY_COVER_STATES 6              /* state codes 0..5 */
#define HAMD_RELAY_COVER_BODY_MAX 8192         /* bytes of an encoded COVER */
#define HAMD_RELAY_SET_MAX 65536         /* pairs in one RELAY */

/* One account in a COVER. */
struct hamd_relay_cover_account {
    char id[HAMD_ACCOUNT_ID_MAX]; /* account id (a slug) */
    uint8_t state;                /* health state code, < HAMD_RELAY_COVER_STATES */
    int64_t healthy_ms;           /* HEALTHY for this long, 0 otherwise */
};

/* A COVER: one follower's gateways as it sees them. */
struct hamd_relay_cover {
    unsigned node;                /* the reporting node's id */
    unsigned n_accounts;          /* entries in accounts */
    struct hamd_relay_cover_account accounts[HAMD_RELAY_COVER_ACCOUNTS_MAX]; /* by id */
};

/* Encodes c into buf[0..cap). Returns the length, 0 when it does not fit
 * or c is invalid. */
size_t hamd_relay_cover_encode(const struct hamd_relay_cover *c, void *buf, size_t cap);

/* Decodes a COVER body. Returns false (out partly written) when it is not
 * exactly one valid COVER: node 1..65535, at most HAMD_RELAY_COVER_ACCOUNTS_MAX
 * accounts with valid ids and state codes, healthy_ms >= 0. */
bool hamd_relay_cover_decode(const void *buf, size_t len, struct hamd_relay_cover *out);

/* Called for each pair of a RELAY, in order. */
typedef void (*hamd_relay_set_fn)(void *ud, const char *vt_symbol,
                                  const char *account);

/* Checks a RELAY body and, only when all of it is valid (at most
 * HAMD_RELAY_SET_MAX pairs of a vt_symbol and an account id), calls fn
 * for every pair (fn may be NULL: check only). Returns whether it was
 * valid. */
bool hamd_relay_set_decode(const void *buf, size_t len, hamd_relay_set_fn fn,
                           void *ud);

/* Packs a RELAY body: begin with the number of pairs, then each pair.
 * Return 0, or non-zero when n is over HAMD_RELAY_SET_MAX or packing
 * failed. */
int hamd_relay_set_pack_begin(msgpack_packer *pk, size_t n);
int hamd_relay_set_pack_pair(msgpack_packer *pk, const char *vt_symbol,
                             const char *account);

/* Writes "node-N" into out[0..cap). Returns 0, or -1 when it does not
 * fit or node is 0. */
int hamd_relay_id_format(char *out, size_t cap, unsigned node);

/* Parses a DEALER identity "node-N" (N 1..65535, no leading zeros).
 * Returns N, or 0 when it is not one. */
unsigned hamd_relay_id_parse(const void *id, size_t len);

#endif /* HAMD_RELAY_PROTO_H */
