/* raft/resend.h: a send whose write failed (RAFT_IOERR) is made once more
 * with the same message, libraft hears only the last outcome, and
 * nothing else is ever sent twice. A fake raft_io.send stands for
 * raft_uv's: it records what it was given and completes when told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "raft/resend.h"

#define PEER_ID 2
#define PEER_ADDRESS "10.0.0.2:9001"
#define TERM 7

/* The fake raft_io.send and what libraft's callback got. */
struct fake {
    int sends;                      /* calls of fake_send */
    int rc;                         /* what fake_send returns */
    struct raft_io_send *req;       /* the last request given */
    raft_io_send_cb cb;             /* and its callback */
    struct raft_message sent;       /* the last message, as given */
    char address[64];               /* its address's bytes */
    const char *address_ptr;        /* and where they were */
    bool may_retry;                 /* what may_retry answers */
    int outer_calls;                /* libraft's callback: how often */
    int outer_status;               /* and its last status */
};

static struct fake g_fake;

static int fake_send(struct raft_io *io, struct raft_io_send *req,
                     const struct raft_message *message, raft_io_send_cb cb)
{
    (void)io;
    g_fake.sends++;
    g_fake.req = req;
    g_fake.cb = cb;
    g_fake.sent = *message;
    g_fake.address_ptr = message->server_address;
    if (message->server_address)
        snprintf(g_fake.address, sizeof g_fake.address, "%s",
                 message->server_address);
    return g_fake.rc;
}

static bool fake_may_retry(void *ud)
{
    (void)ud;
    return g_fake.may_retry;
}

static struct hamd_resend_ops g_ops = {fake_send, fake_may_retry, NULL, 0};

static void outer_cb(struct raft_io_send *req, int status)
{
    (void)req;
    g_fake.outer_calls++;
    g_fake.outer_status = status;
}

static int setup(void **state)
{
    (void)state;
    memset(&g_fake, 0, sizeof g_fake);
    g_fake.may_retry = true;
    g_ops.retried = 0;
    return 0;
}

/* Sends a vote answer built, as libraft builds it, in a buffer that is
 * gone (clobbered) once the send returns. */
static int send_vote_answer(struct raft_io_send *req)
{
    char address[32];
    snprintf(address, sizeof address, "%s", PEER_ADDRESS);
    struct raft_message m = {.type = RAFT_IO_REQUEST_VOTE_RESULT,
                             .server_id = PEER_ID,
                             .server_address = address};
    m.request_vote_result.term = TERM;
    m.request_vote_result.vote_granted = true;
    int rc = hamd_resend_send(&g_ops, NULL, req, &m, outer_cb);
    memset(address, 'x', sizeof address - 1);
    memset(&m, 0xab, sizeof m);
    return rc;
}

/* The message of the last send is the vote answer, whole. */
static void assert_vote_answer_sent(void)
{
    assert_int_equal(g_fake.sent.type, RAFT_IO_REQUEST_VOTE_RESULT);
    assert_int_equal(g_fake.sent.server_id, PEER_ID);
    assert_string_equal(g_fake.address, PEER_ADDRESS);
    assert_int_equal(g_fake.sent.request_vote_result.term, TERM);
    assert_true(g_fake.sent.request_vote_result.vote_granted);
}

/* libraft's callback ran once, with status, after sends tries. */
static void assert_told(int sends, int status)
{
    assert_int_equal(g_fake.sends, sends);
    assert_int_equal(g_fake.outer_calls, 1);
    assert_int_equal(g_fake.outer_status, status);
}

static void test_sent_once_when_it_works(void **state)
{
    (void)state;
    struct raft_io_send req = {0};
    assert_int_equal(send_vote_answer(&req), 0);
    g_fake.cb(g_fake.req, 0);
    assert_told(1, 0);
    assert_int_equal(g_ops.retried, 0);
}

/* The case this is for: the write into a dead connection fails, raft_uv
 * reconnects, the second try goes through; libraft sees a success. */
static void test_failed_write_sent_again(void **state)
{
    (void)state;
    struct raft_io_send req = {0};
    assert_int_equal(send_vote_answer(&req), 0);
    g_fake.cb(g_fake.req, RAFT_IOERR);
    assert_int_equal(g_fake.outer_calls, 0); /* libraft not told yet */
    assert_int_equal(g_fake.sends, 2);
    assert_int_equal(g_ops.retried, 1); /* counted for /metrics */
    assert_vote_answer_sent(); /* the copy, libraft's buffers long gone */
    assert_ptr_not_equal(g_fake.address_ptr, NULL);
    g_fake.cb(g_fake.req, 0);
    assert_told(2, 0);
}

static void test_second_failure_reported(void **state)
{
    (void)state;
    struct raft_io_send req = {0};
    assert_int_equal(send_vote_answer(&req), 0);
    g_fake.cb(g_fake.req, RAFT_IOERR);
    g_fake.cb(g_fake.req, RAFT_IOERR);
    assert_told(2, RAFT_IOERR); /* once more, not forever */
    assert_int_equal(g_ops.retried, 1);
}

/* Other failures are not a broken connection: no second try. */
static void test_other_failures_not_sent_again(void **state)
{
    (void)state;
    const int statuses[] = {RAFT_CANCELED, RAFT_NOCONNECTION, RAFT_NOMEM};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        setup(NULL);
        struct raft_io_send req = {0};
        assert_int_equal(send_vote_answer(&req), 0);
        g_fake.cb(g_fake.req, statuses[i]);
        assert_told(1, statuses[i]);
    }
}

/* Closing: raft_uv takes no send, so none is made. */
static void test_no_second_try_while_closing(void **state)
{
    (void)state;
    struct raft_io_send req = {0};
    assert_int_equal(send_vote_answer(&req), 0);
    g_fake.may_retry = false;
    g_fake.cb(g_fake.req, RAFT_IOERR);
    assert_told(1, RAFT_IOERR);
    assert_int_equal(g_ops.retried, 0);
}

/* The second try refused at once: libraft hears that refusal. */
static void test_second_try_refused(void **state)
{
    (void)state;
    struct raft_io_send req = {0};
    assert_int_equal(send_vote_answer(&req), 0);
    g_fake.rc = RAFT_NOCONNECTION;
    g_fake.cb(g_fake.req, RAFT_IOERR);
    assert_told(2, RAFT_NOCONNECTION);
}

/* A send refused at once is refused to libraft at once, and its callback
 * never runs (raft_io.send's contract); nothing is left allocated
 * (AddressSanitizer's leak check in the test run). */
static void test_refused_at_once(void **state)
{
    (void)state;
    struct raft_io_send req = {0};
    g_fake.rc = RAFT_NOMEM;
    assert_int_equal(send_vote_answer(&req), RAFT_NOMEM);
    assert_int_equal(g_fake.outer_calls, 0);
}

/* No address: passed on as it is (one try), for raft_uv to judge. */
static void test_no_address_passed_on(void **state)
{
    (void)state;
    struct raft_io_send req = {0};
    struct raft_message m = {.type = RAFT_IO_APPEND_ENTRIES_RESULT,
                             .server_id = PEER_ID};
    assert_int_equal(hamd_resend_send(&g_ops, NULL, &req, &m, outer_cb), 0);
    assert_ptr_equal(g_fake.req, &req);
    assert_null(g_fake.address_ptr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sent_once_when_it_works, setup),
        cmocka_unit_test_setup(test_failed_write_sent_again, setup),
        cmocka_unit_test_setup(test_second_failure_reported, setup),
        cmocka_unit_test_setup(test_other_failures_not_sent_again, setup),
        cmocka_unit_test_setup(test_no_second_try_while_closing, setup),
        cmocka_unit_test_setup(test_second_try_refused, setup),
        cmocka_unit_test_setup(test_refused_at_once, setup),
        cmocka_unit_test_setup(test_no_address_passed_on, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
