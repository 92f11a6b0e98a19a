/* systemd notification (control/notify.c) against a fake NOTIFY_SOCKET: a
 * datagram socket of the test, read on the same libuv loop.
 *
 * READY=1 only once Raft runs with a working store, STATUS= on a change
 * only, WATCHDOG=1 while the loop turns and none while a callback blocks
 * it, STOPPING=1 once, and nothing at all without NOTIFY_SOCKET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/notify.h"

#define WATCHDOG_USEC "20000"  /* asks for a ping every 10 ms */
#define PINGS_BEFORE_BLOCK 3   /* pings seen before the loop is blocked */
#define BLOCK_US 100000        /* how long the loop is blocked: ten pings'
                                  worth, had they come from elsewhere */
#define MSG_MAX 512            /* bytes of one notification */
#define MSGS_MAX 64            /* notifications a test keeps */
#define TEST_DEADLINE_MS 10000 /* a test's loop stops by then regardless */

/* The fake service manager: its socket and what it received. */
struct fake_manager {
    int fd;                        /* bound datagram socket */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* its path */
    char msgs[MSGS_MAX][MSG_MAX];  /* messages in arrival order */
    int n;                         /* messages received */
    int pings;                     /* of which WATCHDOG=1 */
    bool blocked_silent;           /* no ping arrived while blocked */
    bool block_done;               /* the blocking callback ran */
};

static void manager_open(struct fake_manager *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->path, sizeof m->path, "/tmp/hamd-notify-%d.sock", (int)getpid());
    unlink(m->path);
    m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(m->fd >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", m->path);
    assert_int_equal(bind(m->fd, (struct sockaddr *)&a, sizeof a), 0);
    setenv("NOTIFY_SOCKET", m->path, 1);
}

static void manager_close(struct fake_manager *m)
{
    close(m->fd);
    unlink(m->path);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
}

/* Reads every datagram waiting; returns how many. */
static int manager_drain(struct fake_manager *m)
{
    int got = 0;
    char buf[MSG_MAX];
    ssize_t len;
    while ((len = recv(m->fd, buf, sizeof buf - 1, 0)) >= 0) {
        buf[len] = '\0';
        got++;
        if (strcmp(buf, "WATCHDOG=1") == 0)
            m->pings++;
        if (m->n < MSGS_MAX)
            snprintf(m->msgs[m->n++], MSG_MAX, "%s", buf);
    }
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    return got;
}

static int count_with(const struct fake_manager *m, const char *needle)
{
    int k = 0;
    for (int i = 0; i < m->n; i++)
        k += strstr(m->msgs[i], needle) != NULL;
    return k;
}

static const struct hamd_notify_state FOLLOWER = {
    .role = "follower", .term = 3, .leader_id = 2, .store_ok = true};
static const struct hamd_notify_state LEADER = {
    .role = "leader", .term = 4, .leader_id = 1, .publishing = true,
    .store_ok = true};

/* ------------------------------------------------------------------------
 * READY, STATUS, STOPPING
 * ------------------------------------------------------------------------ */

static void test_ready_once_raft_runs(void **state)
{
    (void)state;
    struct fake_manager m;
    manager_open(&m);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct hamd_notify *n = hamd_notify_new(&loop, 1);
    assert_non_null(n);
    assert_int_equal(hamd_notify_watchdog_ms(n), 0); /* none asked for */

    struct hamd_notify_state st = {.role = "unavailable", .store_ok = true};
    hamd_notify_state(n, &st);
    manager_drain(&m);
    assert_int_equal(count_with(&m, "READY=1"), 0);
    assert_int_equal(count_with(&m, "raft not started"), 1);

    st = FOLLOWER;
    st.store_ok = false; /* Raft runs but the store failed: not ready */
    hamd_notify_state(n, &st);
    manager_drain(&m);
    assert_int_equal(count_with(&m, "READY=1"), 0);

    hamd_notify_state(n, &FOLLOWER);
    hamd_notify_state(n, &FOLLOWER); /* unchanged: nothing more */
    manager_drain(&m);
    assert_int_equal(count_with(&m, "READY=1"), 1);
    assert_string_equal(m.msgs[m.n - 1],
                        "READY=1\nSTATUS=node 1: follower, term 3, leader node 2, "
                        "not publishing");

    hamd_notify_state(n, &LEADER);
    manager_drain(&m);
    assert_string_equal(m.msgs[m.n - 1],
                        "STATUS=node 1: leader, term 4, publishing");
    assert_int_equal(count_with(&m, "READY=1"), 1);

    hamd_notify_stopping(n, "SIGTERM");
    hamd_notify_stopping(n, "SIGTERM");
    hamd_notify_state(n, &FOLLOWER); /* after STOPPING: silent */
    manager_drain(&m);
    assert_int_equal(count_with(&m, "STOPPING=1"), 1);
    assert_string_equal(m.msgs[m.n - 1], "STOPPING=1\nSTATUS=node 1: stopping (SIGTERM)");

    hamd_notify_destroy(&n);
    assert_null(n);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    manager_close(&m);
}

/* ------------------------------------------------------------------------
 * The watchdog
 * ------------------------------------------------------------------------ */

/* The test's state on the loop. */
struct wd_test {
    struct fake_manager m;   /* the fake service manager */
    uv_poll_t poll;          /* its socket on the loop */
    uv_timer_t deadline;     /* stops a test that never finishes */
    uv_idle_t block;         /* the callback that blocks the loop */
    struct hamd_notify *n;   /* under test */
};

static void wd_finish(struct wd_test *t)
{
    uv_poll_stop(&t->poll);
    uv_timer_stop(&t->deadline);
    uv_close((uv_handle_t *)&t->poll, NULL);
    uv_close((uv_handle_t *)&t->deadline, NULL);
    uv_close((uv_handle_t *)&t->block, NULL);
    hamd_notify_destroy(&t->n);
}

/* Runs inside the loop and keeps it from turning: whatever reaches the
 * socket meanwhile cannot come from a timer of this loop. */
static void on_block(uv_idle_t *idle)
{
    struct wd_test *t = idle->data;
    uv_idle_stop(idle);
    manager_drain(&t->m); /* what was sent before the block */
    usleep(BLOCK_US);
    t->m.blocked_silent = manager_drain(&t->m) == 0;
    t->m.block_done = true;
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    struct wd_test *t = p->data;
    (void)events;
    assert_int_equal(status, 0);
    manager_drain(&t->m);
    if (!t->m.block_done && t->m.pings >= PINGS_BEFORE_BLOCK)
        uv_idle_start(&t->block, on_block);
    else if (t->m.block_done && t->m.pings >= PINGS_BEFORE_BLOCK + 1)
        wd_finish(t); /* pinging again once the loop turns again */
}

static void on_deadline(uv_timer_t *timer)
{
    wd_finish(timer->data);
}

static void test_watchdog_pings_only_while_the_loop_turns(void **state)
{
    (void)state;
    static struct wd_test t;
    memset(&t, 0, sizeof t);
    manager_open(&t.m);
    setenv("WATCHDOG_USEC", WATCHDOG_USEC, 1);
    uv_loop_t loop;
    uv_loop_init(&loop);
    t.n = hamd_notify_new(&loop, 1);
    assert_non_null(t.n);
    assert_int_equal(hamd_notify_watchdog_ms(t.n), 10);
    uv_poll_init(&loop, &t.poll, t.m.fd);
    uv_timer_init(&loop, &t.deadline);
    uv_idle_init(&loop, &t.block);
    t.poll.data = t.deadline.data = t.block.data = &t;
    uv_poll_start(&t.poll, UV_READABLE, on_readable);
    uv_timer_start(&t.deadline, on_deadline, TEST_DEADLINE_MS, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(t.m.block_done);
    assert_true(t.m.blocked_silent);
    assert_true(t.m.pings >= PINGS_BEFORE_BLOCK + 1);
    assert_int_equal(uv_loop_close(&loop), 0);
    manager_close(&t.m);
}

/* ------------------------------------------------------------------------
 * Outside systemd
 * ------------------------------------------------------------------------ */

static void test_no_socket_is_a_noop(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    setenv("WATCHDOG_USEC", WATCHDOG_USEC, 1); /* stray, without a socket */
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct hamd_notify *n = hamd_notify_new(&loop, 7);
    assert_non_null(n);
    hamd_notify_state(n, &LEADER);
    hamd_notify_stopping(n, "SIGINT");
    hamd_notify_destroy(&n);
    hamd_notify_destroy(&n); /* NULL: nothing */
    hamd_notify_state(NULL, &LEADER);
    hamd_notify_stopping(NULL, "x");
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    unsetenv("WATCHDOG_USEC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_once_raft_runs),
        cmocka_unit_test(test_watchdog_pings_only_while_the_loop_turns),
        cmocka_unit_test(test_no_socket_is_a_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
