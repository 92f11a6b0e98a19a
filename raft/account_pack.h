/* struct hamd_account <-> msgpack, the form accounts take inside
 * replicated commands and as values of the store's `accounts` db.
 *
 * A map with string keys, the JSON field names of docs/api.md:
 *   {id, name, gateway_type, priority, enabled, exchanges: [..],
 *    canary, params}
 * params is the account's params JSON object kept as text: the consensus
 * layer replicates it verbatim and never interprets it. Secrets inside it
 * are therefore replicated (and stored) in clear: the raft network and the
 * data directory must be protected (docs/consensus.md).
 */
#ifndef HAMD_RAFT_ACCOUNT_PACK_H
#define HAMD_RAFT_ACCOUNT_PACK_H

#include <msgpack.h>
#include <stdbool.h>

#include "common/account.h"
#include "common/mpread.h"

/* Packs one account map. Returns 0 or msgpack's non-zero. */
int hamd_acct_mp_pack(msgpack_packer *pk, const struct hamd_account *a);

/* Reads one account map into *a. Every key is required exactly once;
 * unknown keys are skipped so a newer writer's extra fields do not break
 * an older reader. Returns false on any type, size or structure error. */
bool hamd_acct_mp_unpack(struct hamd_mpr *r, struct hamd_account *a);

#endif /* HAMD_RAFT_ACCOUNT_PACK_H */
