/* Fuzz target: Raft log entries applied by the state machine to an LMDB
 * store (raft/fsm.h, raft/store_apply.c), as every node applies every
 * committed entry.
 *
 * Input: up to FSM_ENTRIES_MAX entries separated by FUZZ_SEP, applied in
 * order to an emptied store (one store per process in the scratch
 * directory, wiped before each input). Checks after each entry: the
 * outcome is one apply promises (never a store error on a healthy disk)
 * and it consumed exactly one index. After all of them, the rules the
 * commands keep: every assignment names a subscribed contract and an
 * existing account, every pin a subscribed contract, the event history
 * at most its bound, and every stored account reads back. */
#include <string.h>

#include "fuzz_store.h"

#define FSM_ENTRIES_MAX 64 /* entries applied per input */
#define FSM_EVENTS_MAX 8   /* event history bound: small, so trims happen */
#define FSM_TAIL_MAX 64    /* events read back */

static struct hamd_store *fsm_store; /* made on the first input, kept */
static struct hamd_fsm *fsm;         /* applies to fsm_store */

static int fsm_assign_check(void *ud, const char *vt_symbol,
                            const char *account)
{
    struct hamd_account a;
    struct hamd_store *s = ud;
    FUZZ_CHECK(hamd_store_sub_exists(s, vt_symbol));
    FUZZ_CHECK(hamd_store_account_get(s, account, &a) == 0);
    return 0;
}

static int fsm_pin_check(void *ud, const char *vt_symbol)
{
    FUZZ_CHECK(hamd_store_sub_exists(ud, vt_symbol));
    return 0;
}

static int fsm_account_check(void *ud, const struct hamd_account *a)
{
    struct hamd_account b;
    FUZZ_CHECK(hamd_account_id_valid(a->id));
    FUZZ_CHECK(a->priority >= HAMD_PRIORITY_MIN &&
               a->priority <= HAMD_PRIORITY_MAX && a->gateway_type[0]);
    FUZZ_CHECK(hamd_store_account_get(ud, a->id, &b) == 0);
    (void)hamd_store_account_running(ud, a->id);
    (void)hamd_store_quarantine_until(ud, a->id);
    return 0;
}

static int fsm_event_count(void *ud, uint64_t seq, const char *json)
{
    (void)seq;
    FUZZ_CHECK(json[0] != '\0');
    (*(unsigned *)ud)++;
    return 0;
}

static void fsm_rules_check(struct hamd_store *s)
{
    unsigned events = 0;
    FUZZ_CHECK(hamd_store_assign_foreach(s, fsm_assign_check, s) == 0);
    FUZZ_CHECK(hamd_store_pins_foreach(s, fsm_pin_check, s) == 0);
    FUZZ_CHECK(hamd_store_accounts_foreach(s, fsm_account_check, s) == 0);
    FUZZ_CHECK(hamd_store_events_tail(s, FSM_TAIL_MAX, fsm_event_count,
                                      &events) == 0);
    FUZZ_CHECK(events <= FSM_EVENTS_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fsm_store == NULL)
        fuzz_store_open(FSM_EVENTS_MAX, &fsm_store, &fsm);
    FUZZ_CHECK(hamd_store_wipe(fsm_store) == 0);
    struct fuzz_parts it;
    const uint8_t *entry;
    size_t len;
    uint64_t index = 0;
    fuzz_parts_init(&it, data, size, FUZZ_SEP, FUZZ_SEP_LEN);
    while (index < FSM_ENTRIES_MAX && fuzz_parts_next(&it, &entry, &len)) {
        const struct hamd_apply_result *res =
            hamd_fsm_apply_entry(fsm, entry, len);
        FUZZ_CHECK(res->status == HAMD_APPLY_OK ||
                   res->status == HAMD_APPLY_BAD_REQUEST ||
                   res->status == HAMD_APPLY_NOT_FOUND ||
                   res->status == HAMD_APPLY_CONFLICT);
        FUZZ_CHECK((res->status == HAMD_APPLY_OK) == (res->error[0] == '\0'));
        FUZZ_CHECK(hamd_store_applied_index(fsm_store) == ++index);
    }
    FUZZ_CHECK(!hamd_fsm_failed(fsm));
    fsm_rules_check(fsm_store);
    return 0;
}
