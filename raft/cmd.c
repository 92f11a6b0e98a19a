/* Building and freeing commands: see cmd.h. Encoding lives in
 * cmd_encode.c, decoding in cmd_decode.c. */
#include "raft/cmd_internal.h"

#include <stdlib.h>
#include <string.h>

#define CMD_LIST_INITIAL 8 /* first allocation of a growing list */

void hamd_cmd_init(struct hamd_cmd *cmd, enum hamd_cmd_type type)
{
    memset(cmd, 0, sizeof *cmd);
    cmd->type = type;
}

void hamd_cmd_free(struct hamd_cmd *cmd)
{
    free(cmd->accounts);
    free(cmd->symbols);
    free(cmd->assigns);
    free(cmd->event_json);
    memset(cmd, 0, sizeof *cmd);
}

/* Makes room for one more element of size elem in a list of *n used and
 * *cap allocated entries, never beyond max. Returns 0 or -1. */
static int cmd_list_grow(void **list, unsigned n, unsigned *cap,
                         unsigned max, size_t elem)
{
    if (n >= max)
        return -1;
    if (n < *cap)
        return 0;
    unsigned want = *cap ? *cap * 2 : CMD_LIST_INITIAL;
    if (want > max)
        want = max;
    void *p = realloc(*list, (size_t)want * elem);
    if (!p)
        return -1;
    *list = p;
    *cap = want;
    return 0;
}

int hamd_cmd_add_account(struct hamd_cmd *cmd, const struct hamd_account *a)
{
    void *list = cmd->accounts;
    if (cmd_list_grow(&list, cmd->n_accounts, &cmd->accounts_cap,
                      HAMD_CMD_ACCOUNTS_MAX, sizeof *cmd->accounts))
        return -1;
    cmd->accounts = list;
    cmd->accounts[cmd->n_accounts++] = *a;
    return 0;
}

int hamd_cmd_add_symbol(struct hamd_cmd *cmd, const char *vt_symbol)
{
    if (strlen(vt_symbol) >= HAMD_VT_SYMBOL_MAX)
        return -1;
    void *list = cmd->symbols;
    if (cmd_list_grow(&list, cmd->n_symbols, &cmd->symbols_cap,
                      HAMD_CMD_SYMBOLS_MAX, sizeof *cmd->symbols))
        return -1;
    cmd->symbols = list;
    strcpy(cmd->symbols[cmd->n_symbols++], vt_symbol);
    return 0;
}

int hamd_cmd_add_assign(struct hamd_cmd *cmd, const char *vt_symbol,
                        const char *account)
{
    if (strlen(vt_symbol) >= HAMD_VT_SYMBOL_MAX ||
        strlen(account) >= HAMD_ACCOUNT_ID_MAX)
        return -1;
    void *list = cmd->assigns;
    if (cmd_list_grow(&list, cmd->n_assigns, &cmd->assigns_cap,
                      HAMD_CMD_ASSIGNS_MAX, sizeof *cmd->assigns))
        return -1;
    cmd->assigns = list;
    struct hamd_assign *p = &cmd->assigns[cmd->n_assigns++];
    strcpy(p->vt_symbol, vt_symbol);
    strcpy(p->account, account);
    return 0;
}

int hamd_cmd_set_event(struct hamd_cmd *cmd, const char *json)
{
    size_t n = strlen(json);
    if (n > HAMD_CMD_EVENT_MAX)
        return -1;
    char *copy = malloc(n + 1);
    if (!copy)
        return -1;
    memcpy(copy, json, n + 1);
    free(cmd->event_json);
    cmd->event_json = copy;
    return 0;
}

unsigned cmd_nargs(enum hamd_cmd_type type)
{
    switch (type) {
    case HAMD_CMD_SEED:           /* accounts, symbols */
    case HAMD_CMD_ACCOUNT_RUN:    /* id, running */
    case HAMD_CMD_QUARANTINE:     /* id, until_ms */
    case HAMD_CMD_FAILOVER_COUNT: /* day, count */
    case HAMD_CMD_PIN:            /* pinned, symbols */
        return 2;
    default:
        return 1;
    }
}

const char *hamd_cmd_type_name(enum hamd_cmd_type type)
{
    static const char *const names[] = {
        [HAMD_CMD_SEED] = "seed",
        [HAMD_CMD_ACCOUNT_PUT] = "account_put",
        [HAMD_CMD_ACCOUNT_DEL] = "account_del",
        [HAMD_CMD_ACCOUNT_RUN] = "account_run",
        [HAMD_CMD_SUBS_ADD] = "subs_add",
        [HAMD_CMD_SUBS_DEL] = "subs_del",
        [HAMD_CMD_ASSIGN] = "assign",
        [HAMD_CMD_QUARANTINE] = "quarantine",
        [HAMD_CMD_PAUSE] = "pause",
        [HAMD_CMD_FAILOVER_COUNT] = "failover_count",
        [HAMD_CMD_EVENT] = "event",
        [HAMD_CMD_PIN] = "pin",
        [HAMD_CMD_SOURCE_MOVED] = "source_moved",
    };
    if (type < HAMD_CMD_TYPE_FIRST || type > HAMD_CMD_TYPE_LAST)
        return "unknown";
    return names[type];
}
