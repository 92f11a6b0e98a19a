/* The pure membership rules: which requests are refused and why (in the
 * order an operator needs), and that every operation is a short chain of
 * single-server steps, each chosen from the configuration as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "raft/membership.h"

#define LEADER 1 /* the deciding node in these tests */
#define CONF_CAP 8

/* Configuration {1 voter, 2 voter, 3 spare, 4 standby}. */
static unsigned conf_mixed(struct hamd_member *c)
{
    memset(c, 0, CONF_CAP * sizeof *c);
    c[0] = (struct hamd_member){.id = 1, .role = HAMD_MEMBER_VOTER};
    c[1] = (struct hamd_member){.id = 2, .role = HAMD_MEMBER_VOTER};
    c[2] = (struct hamd_member){.id = 3, .role = HAMD_MEMBER_SPARE};
    c[3] = (struct hamd_member){.id = 4, .role = HAMD_MEMBER_STANDBY};
    return 4;
}

static struct hamd_member_request req(enum hamd_member_op op, uint64_t id)
{
    return (struct hamd_member_request){.op = op, .id = id,
                                        .self_id = LEADER, .is_leader = true,
                                        .peer_known = true};
}

static void test_add_verdicts(void **state)
{
    (void)state;
    struct hamd_member c[CONF_CAP];
    unsigned n = conf_mixed(c);
    struct hamd_member_request rq = req(HAMD_MEMBER_OP_ADD, 5);
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_OK);
    rq.id = 3; /* a spare left by an interrupted add: resumable */
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_OK);
    rq.id = 2;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_ALREADY_VOTER);
    rq.id = LEADER;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_ALREADY_VOTER);
    rq = req(HAMD_MEMBER_OP_ADD, 5);
    rq.peer_known = false;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_UNKNOWN_PEER);
    rq = req(HAMD_MEMBER_OP_ADD, 0);
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_UNKNOWN_PEER);
}

static void test_remove_verdicts(void **state)
{
    (void)state;
    struct hamd_member c[CONF_CAP];
    unsigned n = conf_mixed(c);
    struct hamd_member_request rq = req(HAMD_MEMBER_OP_REMOVE, 2);
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_OK);
    rq.id = 4;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_OK);
    rq.id = 9;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_NOT_MEMBER);
    rq.id = LEADER;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_IS_LEADER);
    /* Removing needs no [peer.N]: the configuration is the truth. */
    rq = req(HAMD_MEMBER_OP_REMOVE, 2);
    rq.peer_known = false;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_OK);
}

/* The last voter is always the leader, so it can never be removed. */
static void test_last_voter_cannot_be_removed(void **state)
{
    (void)state;
    struct hamd_member c[1] = {{.id = LEADER, .role = HAMD_MEMBER_VOTER}};
    struct hamd_member_request rq = req(HAMD_MEMBER_OP_REMOVE, LEADER);
    assert_int_equal(hamd_member_check(c, 1, &rq), HAMD_MEMBER_IS_LEADER);
}

/* Leadership first (followers forward), then the id, then what runs. */
static void test_verdict_order(void **state)
{
    (void)state;
    struct hamd_member c[CONF_CAP];
    unsigned n = conf_mixed(c);
    struct hamd_member_request rq = req(HAMD_MEMBER_OP_ADD, 2);
    rq.in_flight = true;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_ALREADY_VOTER);
    rq.is_leader = false;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_NOT_LEADER);
    rq = req(HAMD_MEMBER_OP_ADD, 5);
    rq.in_flight = true;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_BUSY);
    rq = req(HAMD_MEMBER_OP_REMOVE, 9);
    rq.in_flight = true;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_NOT_MEMBER);
    rq = req(HAMD_MEMBER_OP_REMOVE, 2);
    rq.in_flight = true;
    assert_int_equal(hamd_member_check(c, n, &rq), HAMD_MEMBER_BUSY);
}

static void test_next_step_of_each_role(void **state)
{
    (void)state;
    struct hamd_member c[CONF_CAP];
    unsigned n = conf_mixed(c);
    assert_int_equal(hamd_member_next_step(c, n, HAMD_MEMBER_OP_ADD, 5),
                     HAMD_MEMBER_STEP_ADD_SPARE);
    assert_int_equal(hamd_member_next_step(c, n, HAMD_MEMBER_OP_ADD, 3),
                     HAMD_MEMBER_STEP_PROMOTE);
    assert_int_equal(hamd_member_next_step(c, n, HAMD_MEMBER_OP_ADD, 4),
                     HAMD_MEMBER_STEP_PROMOTE);
    assert_int_equal(hamd_member_next_step(c, n, HAMD_MEMBER_OP_ADD, 2),
                     HAMD_MEMBER_STEP_DONE);
    assert_int_equal(hamd_member_next_step(c, n, HAMD_MEMBER_OP_REMOVE, 2),
                     HAMD_MEMBER_STEP_DEMOTE);
    assert_int_equal(hamd_member_next_step(c, n, HAMD_MEMBER_OP_REMOVE, 3),
                     HAMD_MEMBER_STEP_REMOVE);
    assert_int_equal(hamd_member_next_step(c, n, HAMD_MEMBER_OP_REMOVE, 4),
                     HAMD_MEMBER_STEP_REMOVE);
    assert_int_equal(hamd_member_next_step(c, n, HAMD_MEMBER_OP_REMOVE, 5),
                     HAMD_MEMBER_STEP_DONE);
}

/* What libraft does for each step, on the test's configuration. */
static void apply_step(struct hamd_member *c, unsigned *n, uint64_t id,
                       enum hamd_member_step step)
{
    unsigned i = 0;
    while (i < *n && c[i].id != id)
        i++;
    switch (step) {
    case HAMD_MEMBER_STEP_ADD_SPARE:
        assert_int_equal(i, *n); /* absent before */
        c[(*n)++] = (struct hamd_member){.id = id, .role = HAMD_MEMBER_SPARE};
        break;
    case HAMD_MEMBER_STEP_PROMOTE:
        c[i].role = HAMD_MEMBER_VOTER;
        break;
    case HAMD_MEMBER_STEP_DEMOTE:
        c[i].role = HAMD_MEMBER_STANDBY;
        break;
    case HAMD_MEMBER_STEP_REMOVE:
        c[i] = c[--*n];
        break;
    default:
        fail();
    }
}

/* Runs op on id to the end; returns the steps taken. Each step changes
 * the number of voters by at most one (Ongaro 2014, §4.1). */
static unsigned run_op(struct hamd_member *c, unsigned *n,
                       enum hamd_member_op op, uint64_t id)
{
    unsigned steps = 0;
    enum hamd_member_step step;
    while ((step = hamd_member_next_step(c, *n, op, id)) !=
           HAMD_MEMBER_STEP_DONE) {
        unsigned before = hamd_member_voters(c, *n);
        apply_step(c, n, id, step);
        unsigned after = hamd_member_voters(c, *n);
        assert_true(after + 1 >= before && after <= before + 1);
        assert_true(++steps <= HAMD_MEMBER_STEPS_MAX);
    }
    return steps;
}

static void test_add_then_remove_walk(void **state)
{
    (void)state;
    struct hamd_member c[CONF_CAP] = {
        {.id = 1, .role = HAMD_MEMBER_VOTER},
        {.id = 2, .role = HAMD_MEMBER_VOTER},
    };
    unsigned n = 2;
    assert_int_equal(hamd_member_voters_after(c, n, HAMD_MEMBER_OP_ADD, 3), 3);
    assert_int_equal(run_op(c, &n, HAMD_MEMBER_OP_ADD, 3), 2);
    assert_int_equal(hamd_member_role_of(c, n, 3), HAMD_MEMBER_VOTER);
    assert_int_equal(hamd_member_voters(c, n), 3);
    assert_int_equal(hamd_member_voters_after(c, n, HAMD_MEMBER_OP_REMOVE, 2),
                     2);
    assert_int_equal(run_op(c, &n, HAMD_MEMBER_OP_REMOVE, 2), 2);
    assert_int_equal(hamd_member_role_of(c, n, 2), HAMD_MEMBER_NONE);
    assert_int_equal(hamd_member_voters(c, n), 2);
    assert_int_equal(n, 2);
}

/* An add stopped after its first step resumes with the promotion; a
 * standby (a removal stopped after its demotion) leaves in one step. */
static void test_interrupted_add_resumes(void **state)
{
    (void)state;
    struct hamd_member c[CONF_CAP];
    unsigned n = conf_mixed(c);
    assert_int_equal(run_op(c, &n, HAMD_MEMBER_OP_ADD, 3), 1);
    assert_int_equal(hamd_member_role_of(c, n, 3), HAMD_MEMBER_VOTER);
    assert_int_equal(run_op(c, &n, HAMD_MEMBER_OP_REMOVE, 4), 1);
    assert_int_equal(hamd_member_voters_after(c, n, HAMD_MEMBER_OP_ADD, 2), 3);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(hamd_member_role_name(HAMD_MEMBER_VOTER), "voter");
    assert_string_equal(hamd_member_role_name(HAMD_MEMBER_STANDBY), "standby");
    assert_string_equal(hamd_member_role_name(HAMD_MEMBER_SPARE), "spare");
    assert_string_equal(hamd_member_role_name(HAMD_MEMBER_NONE), "none");
    assert_string_equal(hamd_member_verdict_name(HAMD_MEMBER_OK), "ok");
    for (int v = HAMD_MEMBER_STANDALONE; v <= HAMD_MEMBER_FAILED; v++) {
        const char *name = hamd_member_verdict_name(v);
        assert_true(strlen(name) > 0);
        for (int w = HAMD_MEMBER_STANDALONE; w < v; w++)
            assert_string_not_equal(name, hamd_member_verdict_name(w));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_verdicts),
        cmocka_unit_test(test_remove_verdicts),
        cmocka_unit_test(test_last_voter_cannot_be_removed),
        cmocka_unit_test(test_verdict_order),
        cmocka_unit_test(test_next_step_of_each_role),
        cmocka_unit_test(test_add_then_remove_walk),
        cmocka_unit_test(test_interrupted_add_resumes),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
