/* The election timing rules of raft/election.h, pure, with fake time:
 * libraft's tick interval; when a follower that refused a pre-vote
 * stands — never within the election timeout of its leader (the lease's
 * safety, raft/lease.h), never later than its own draw; when a
 * pre-candidate that refused one tries again; when a witness forgets its
 * leader. The fixture test (test_cluster_fixture) shows them in libraft. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "raft/election.h"

#define ELECTION_MS 200           /* T, hamd's default */
#define DRAW_MS 280               /* a draw from [T, 1.5 T] */
#define CONTACT_MS 10000          /* the last contact with the leader */

/* The rule for a follower that drew draw_ms, silent_ms after its contact. */
static unsigned stand_ms(unsigned draw_ms, uint64_t silent_ms)
{
    return hamd_election_stand_ms(draw_ms, ELECTION_MS, CONTACT_MS,
                                  CONTACT_MS + silent_ms);
}

static void test_tick_finer_than_heartbeat(void **state)
{
    (void)state;
    assert_int_equal(hamd_election_tick_ms(50), HAMD_ELECTION_TICK_MS);
    assert_int_equal(hamd_election_tick_ms(1000), HAMD_ELECTION_TICK_MS);
    /* a heartbeat below the tick: libraft's own tick, not a slower one */
    assert_int_equal(hamd_election_tick_ms(5), 5);
    assert_int_equal(hamd_election_tick_ms(HAMD_ELECTION_TICK_MS),
                     HAMD_ELECTION_TICK_MS);
}

/* Within T of the leader the draw stands: libraft refuses, and so do we. */
static void test_recent_leader_keeps_the_draw(void **state)
{
    (void)state;
    for (uint64_t silent = 0; silent < ELECTION_MS; silent++)
        assert_int_equal(stand_ms(DRAW_MS, silent), DRAW_MS);
}

/* From T on, the timer is due now: the elapsed time, never below T. */
static void test_silent_leader_stands_now(void **state)
{
    (void)state;
    assert_int_equal(stand_ms(DRAW_MS, ELECTION_MS), ELECTION_MS);
    assert_int_equal(stand_ms(DRAW_MS, 231), 231);
    for (uint64_t silent = ELECTION_MS; silent < DRAW_MS; silent++) {
        unsigned t = stand_ms(DRAW_MS, silent);
        assert_int_equal(t, silent);
        assert_true(t >= ELECTION_MS && t <= DRAW_MS);
    }
}

/* A timer already due, or a draw at T itself, is left alone. */
static void test_due_timer_unchanged(void **state)
{
    (void)state;
    assert_int_equal(stand_ms(DRAW_MS, DRAW_MS), DRAW_MS);
    assert_int_equal(stand_ms(DRAW_MS, 5000), DRAW_MS);
    assert_int_equal(stand_ms(ELECTION_MS, 250), ELECTION_MS);
}

/* A clock before the last contact (it cannot go back; if it did) keeps
 * the draw rather than wrapping to a huge silence. */
static void test_clock_before_contact_keeps_the_draw(void **state)
{
    (void)state;
    assert_int_equal(hamd_election_stand_ms(DRAW_MS, ELECTION_MS, CONTACT_MS,
                                            CONTACT_MS - 1),
                     DRAW_MS);
    assert_int_equal(hamd_election_stand_ms(DRAW_MS, ELECTION_MS, CONTACT_MS,
                                            0),
                     DRAW_MS);
}

/* A pre-candidate that refused: due at its next tick, never later than
 * its draw, never 0 (libraft's "elapsed >= timeout" then fires at once). */
static void test_refusing_candidate_retries_now(void **state)
{
    (void)state;
    const uint64_t stood_ms = CONTACT_MS + 230;
    assert_int_equal(hamd_election_retry_ms(DRAW_MS, stood_ms, stood_ms + 12),
                     12);
    assert_int_equal(hamd_election_retry_ms(DRAW_MS, stood_ms, stood_ms), 1);
    assert_int_equal(
        hamd_election_retry_ms(DRAW_MS, stood_ms, stood_ms + DRAW_MS - 1),
        DRAW_MS - 1);
    assert_int_equal(
        hamd_election_retry_ms(DRAW_MS, stood_ms, stood_ms + DRAW_MS), DRAW_MS);
    assert_int_equal(
        hamd_election_retry_ms(DRAW_MS, stood_ms, stood_ms + 9000), DRAW_MS);
    assert_int_equal(hamd_election_retry_ms(DRAW_MS, stood_ms, stood_ms - 5),
                     DRAW_MS);
}

/* A witness forgets its leader, and so grants a pre-vote, exactly from
 * the full voters' T after its last contact: never within T (the lease,
 * raft/lease.h), never on a clock that went back. */
static void test_witness_forgets_after_the_voters_timeout(void **state)
{
    (void)state;
    assert_false(hamd_election_witness_forgets(ELECTION_MS, CONTACT_MS,
                                               CONTACT_MS));
    assert_false(hamd_election_witness_forgets(ELECTION_MS, CONTACT_MS,
                                               CONTACT_MS + ELECTION_MS - 1));
    assert_true(hamd_election_witness_forgets(ELECTION_MS, CONTACT_MS,
                                              CONTACT_MS + ELECTION_MS));
    assert_true(hamd_election_witness_forgets(ELECTION_MS, CONTACT_MS,
                                              CONTACT_MS + 5000));
    assert_false(hamd_election_witness_forgets(ELECTION_MS, CONTACT_MS,
                                               CONTACT_MS - 1));
    assert_false(hamd_election_witness_forgets(ELECTION_MS, CONTACT_MS, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tick_finer_than_heartbeat),
        cmocka_unit_test(test_recent_leader_keeps_the_draw),
        cmocka_unit_test(test_silent_leader_stands_now),
        cmocka_unit_test(test_due_timer_unchanged),
        cmocka_unit_test(test_clock_before_contact_keeps_the_draw),
        cmocka_unit_test(test_refusing_candidate_retries_now),
        cmocka_unit_test(test_witness_forgets_after_the_voters_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
