/* Fuzz target: restoring the store from a snapshot (raft/store.h,
 * raft/store_snapshot.c), what a node does with the snapshot the leader
 * sends it, then everything that reads the restored store.
 *
 * Input: the snapshot's bytes, restored into an emptied store (one per
 * process in the scratch directory). A snapshot that does not load must
 * leave the store empty as it was. One that loads is read through every
 * reader the node uses, snapshotted again, and that snapshot must restore
 * and snapshot to the same bytes; then a fixed series of commands is
 * applied to it, as the log after a snapshot is (their outcome depends on
 * what was restored; only that nothing breaks is checked). */
#include <string.h>

#include "fuzz_store.h"

#define SNAP_EVENTS_MAX 8  /* event history bound of the fsm */
#define SNAP_READ_MAX 64   /* events read back */
#define SNAP_DAY 20260102u /* a failover-count day */

static struct hamd_store *snap_store; /* made on the first input, kept */
static struct hamd_fsm *snap_fsm;     /* applies to snap_store */
static struct raft_buffer snap_cmds[8]; /* the commands applied after */
static unsigned snap_n_cmds;

static void snap_cmd_add(struct hamd_cmd *c)
{
    FUZZ_CHECK(hamd_cmd_encode(c, &snap_cmds[snap_n_cmds++]) == 0);
    hamd_cmd_free(c);
}

/* Encodes the commands applied after each successful restore. */
static void snap_cmds_build(void)
{
    struct hamd_cmd c;
    struct hamd_account a = {.priority = 1, .enabled = true, .n_exchanges = 1};
    strcpy(a.id, "sim_a");
    strcpy(a.name, "sim_a");
    strcpy(a.gateway_type, "sim");
    strcpy(a.exchanges[0], "SHFE");
    strcpy(a.params, "{}");
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_PUT);
    hamd_cmd_add_account(&c, &a);
    snap_cmd_add(&c);
    hamd_cmd_init(&c, HAMD_CMD_SUBS_ADD);
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    snap_cmd_add(&c);
    hamd_cmd_init(&c, HAMD_CMD_ASSIGN);
    hamd_cmd_add_assign(&c, "rb2601.SHFE", "sim_a");
    snap_cmd_add(&c);
    hamd_cmd_init(&c, HAMD_CMD_PIN);
    c.flag = true;
    hamd_cmd_add_symbol(&c, "rb2601.SHFE");
    snap_cmd_add(&c);
    hamd_cmd_init(&c, HAMD_CMD_EVENT);
    hamd_cmd_set_event(&c, "{\"type\":\"fuzz\"}");
    snap_cmd_add(&c);
    hamd_cmd_init(&c, HAMD_CMD_FAILOVER_COUNT);
    c.day = SNAP_DAY;
    c.count = 1;
    snap_cmd_add(&c);
    hamd_cmd_init(&c, HAMD_CMD_QUARANTINE);
    strcpy(c.account_id, "sim_a");
    c.until_ms = 1;
    snap_cmd_add(&c);
    hamd_cmd_init(&c, HAMD_CMD_ACCOUNT_DEL);
    strcpy(c.account_id, "sim_a");
    snap_cmd_add(&c);
}

static void snap_open(void)
{
    fuzz_store_open(SNAP_EVENTS_MAX, &snap_store, &snap_fsm);
    snap_cmds_build();
}

static int snap_account(void *ud, const struct hamd_account *a)
{
    struct hamd_account b;
    struct hamd_store *s = ud;
    FUZZ_CHECK(strlen(a->id) < sizeof a->id);
    (void)hamd_store_account_get(s, a->id, &b);
    (void)hamd_store_account_running(s, a->id);
    (void)hamd_store_quarantine_until(s, a->id);
    return 0;
}

static int snap_symbol(void *ud, const char *vt_symbol)
{
    FUZZ_CHECK(strlen(vt_symbol) < HAMD_VT_SYMBOL_MAX);
    (void)hamd_store_sub_exists(ud, vt_symbol);
    (void)hamd_store_pinned(ud, vt_symbol);
    return 0;
}

static int snap_assign(void *ud, const char *vt_symbol, const char *account)
{
    char again[HAMD_ACCOUNT_ID_MAX];
    FUZZ_CHECK(strlen(vt_symbol) < HAMD_VT_SYMBOL_MAX &&
               strlen(account) < HAMD_ACCOUNT_ID_MAX);
    (void)hamd_store_assign_get(ud, vt_symbol, again);
    return 0;
}

static int snap_event(void *ud, uint64_t seq, const char *json)
{
    (void)seq;
    (void)json;
    (*(unsigned *)ud)++;
    return 0;
}

/* Every reader the node uses on the store. */
static void snap_read_all(struct hamd_store *s)
{
    unsigned tail = 0, since = 0;
    FUZZ_CHECK(hamd_store_accounts_foreach(s, snap_account, s) == 0);
    FUZZ_CHECK(hamd_store_subs_foreach(s, snap_symbol, s) == 0);
    FUZZ_CHECK(hamd_store_pins_foreach(s, snap_symbol, s) == 0);
    FUZZ_CHECK(hamd_store_assign_foreach(s, snap_assign, s) == 0);
    FUZZ_CHECK(hamd_store_events_tail(s, SNAP_READ_MAX, snap_event, &tail) == 0);
    FUZZ_CHECK(hamd_store_events_since(s, 0, SNAP_READ_MAX, snap_event,
                                       &since) == 0);
    FUZZ_CHECK(tail <= SNAP_READ_MAX && since <= SNAP_READ_MAX);
    (void)hamd_store_paused(s);
    (void)hamd_store_seeded(s);
    (void)hamd_store_events_last_seq(s);
    (void)hamd_store_failover_count(s, SNAP_DAY);
    (void)hamd_store_applied_index(s);
}

/* A snapshot of what was restored restores to the same snapshot. */
static void snap_roundtrip_check(struct hamd_store *s)
{
    void *a, *b;
    size_t a_len, b_len;
    FUZZ_CHECK(hamd_store_snapshot(s, &a, &a_len) == 0);
    FUZZ_CHECK(hamd_store_restore(s, a, a_len) == 0);
    FUZZ_CHECK(hamd_store_snapshot(s, &b, &b_len) == 0);
    FUZZ_CHECK(a_len == b_len && memcmp(a, b, a_len) == 0);
    free(a);
    free(b);
}

/* After a failed restore the (emptied) store is still empty. */
static void snap_empty_check(struct hamd_store *s)
{
    unsigned events = 0;
    FUZZ_CHECK(hamd_store_applied_index(s) == 0 && !hamd_store_seeded(s));
    FUZZ_CHECK(hamd_store_events_tail(s, SNAP_READ_MAX, snap_event,
                                      &events) == 0 && events == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (snap_store == NULL)
        snap_open();
    FUZZ_CHECK(hamd_store_wipe(snap_store) == 0);
    if (hamd_store_restore(snap_store, data, size) != 0) {
        snap_empty_check(snap_store);
        return 0;
    }
    snap_read_all(snap_store);
    snap_roundtrip_check(snap_store);
    for (unsigned i = 0; i < snap_n_cmds; i++)
        (void)hamd_fsm_apply_entry(snap_fsm, snap_cmds[i].base,
                                   snap_cmds[i].len);
    snap_read_all(snap_store);
    return 0;
}
