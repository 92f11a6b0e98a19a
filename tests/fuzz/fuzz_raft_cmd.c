/* Fuzz target: one Raft log entry through the command decoder
 * (raft/cmd.h), what every node runs on every entry it applies or
 * receives. fuzz_fsm_apply.c applies entries to a store; this one is the
 * pure codec alone, fast enough for tens of millions of runs.
 *
 * Input: the entry's bytes. Checks on an entry that decodes: the type is
 * known and the lists within their bounds; the command encodes (padded
 * to HAMD_CMD_ALIGN_BYTES) and that encoding decodes and encodes to the
 * very same bytes. */
#include <string.h>

#include "fuzz.h"
#include "raft/cmd.h"

static void cmd_bounds_check(const struct hamd_cmd *c)
{
    FUZZ_CHECK(c->type >= HAMD_CMD_TYPE_FIRST && c->type <= HAMD_CMD_TYPE_LAST);
    FUZZ_CHECK(c->n_accounts <= HAMD_CMD_ACCOUNTS_MAX &&
               c->n_symbols <= HAMD_CMD_SYMBOLS_MAX &&
               c->n_assigns <= HAMD_CMD_ASSIGNS_MAX);
    FUZZ_CHECK(c->type != HAMD_CMD_ACCOUNT_PUT || c->n_accounts == 1);
    FUZZ_CHECK(c->type != HAMD_CMD_EVENT ||
               (c->event_json != NULL &&
                strlen(c->event_json) <= HAMD_CMD_EVENT_MAX));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hamd_cmd cmd, again;
    char err[HAMD_CMD_ERR_MAX];
    if (hamd_cmd_decode(data, size, &cmd, err, sizeof err) != 0) {
        FUZZ_CHECK(strlen(err) > 0 && cmd.accounts == NULL &&
                   cmd.symbols == NULL && cmd.assigns == NULL &&
                   cmd.event_json == NULL);
        return 0;
    }
    cmd_bounds_check(&cmd);

    struct raft_buffer a, b;
    FUZZ_CHECK(hamd_cmd_encode(&cmd, &a) == 0);
    FUZZ_CHECK(a.len % HAMD_CMD_ALIGN_BYTES == 0);
    FUZZ_CHECK(hamd_cmd_decode(a.base, a.len, &again, err, sizeof err) == 0);
    FUZZ_CHECK(again.type == cmd.type);
    FUZZ_CHECK(hamd_cmd_encode(&again, &b) == 0);
    FUZZ_CHECK(a.len == b.len && memcmp(a.base, b.base, a.len) == 0);
    raft_free(a.base);
    raft_free(b.base);
    hamd_cmd_free(&again);
    hamd_cmd_free(&cmd);
    return 0;
}
