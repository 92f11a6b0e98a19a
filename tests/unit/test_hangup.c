/* SIGHUP (control/hangup.c): the process survives it, the log names the
 * sender once per wake-up with how many came, a storm of them is a few
 * lines, and destroy gives SIGHUP its previous action back. The log is read through hamd_log_set_sink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "control/hangup.h"

#define LINES_MAX 8           /* log lines a test keeps */
#define LOOP_PASSES_MAX 1000  /* uv_run(NOWAIT) passes before giving up */

/* The WARN lines logged while a test runs. */
static struct {
    char text[LINES_MAX][HAMD_LOG_MSG_MAX]; /* in order */
    int n;                                  /* lines kept */
} lines;

static void sink(void *ud, int64_t wall_ns, enum hamd_log_level level,
                 const char *msg)
{
    (void)ud;
    (void)wall_ns;
    if (level == HAMD_LOG_WARN && lines.n < LINES_MAX)
        snprintf(lines.text[lines.n++], HAMD_LOG_MSG_MAX, "%s", msg);
}

static int setup(void **state)
{
    (void)state;
    memset(&lines, 0, sizeof lines);
    hamd_log_set_sink(sink, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hamd_log_set_sink(NULL, NULL);
    return 0;
}

/* Turns the loop until a line was logged (or LOOP_PASSES_MAX passes). */
static void run_until_logged(uv_loop_t *loop)
{
    for (int i = 0; i < LOOP_PASSES_MAX && lines.n == 0; i++)
        uv_run(loop, UV_RUN_NOWAIT);
}

static void close_loop(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_DEFAULT); /* the closed handle's callback */
    assert_int_equal(uv_loop_close(loop), 0);
}

static void test_sighup_logged_with_sender_and_survived(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct hamd_hangup *h = hamd_hangup_new(&loop);
    assert_non_null(h);

    assert_int_equal(kill(getpid(), SIGHUP), 0); /* default: we would die */
    run_until_logged(&loop);

    assert_int_equal(lines.n, 1);
    char want[64];
    snprintf(want, sizeof want, "SIGHUP (x1) from pid %d (", (int)getpid());
    assert_non_null(strstr(lines.text[0], want));
    char uid[32];
    snprintf(uid, sizeof uid, "uid %u)", (unsigned)getuid());
    assert_non_null(strstr(lines.text[0], uid));
    assert_non_null(strstr(lines.text[0], "ignored"));

    hamd_hangup_destroy(&h);
    assert_null(h);
    hamd_hangup_destroy(&h); /* a second destroy is harmless */
    close_loop(&loop);
}

static void test_signals_before_the_loop_turns_make_one_line(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct hamd_hangup *h = hamd_hangup_new(&loop);
    assert_non_null(h);

    /* Standard signals do not queue: block SIGHUP so each kill is
     * delivered (and counted) on its own. */
    sigset_t hup, old;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    for (int i = 0; i < 3; i++) {
        sigprocmask(SIG_BLOCK, &hup, &old);
        assert_int_equal(kill(getpid(), SIGHUP), 0);
        sigprocmask(SIG_SETMASK, &old, NULL); /* delivered here */
    }
    run_until_logged(&loop);
    uv_run(&loop, UV_RUN_NOWAIT); /* nothing more to say */

    assert_int_equal(lines.n, 1);
    assert_non_null(strstr(lines.text[0], "SIGHUP (x3) from pid"));

    hamd_hangup_destroy(&h);
    close_loop(&loop);
}

/* One SIGHUP, then the loop turns until it is logged or gave up. */
static void hangup_once(uv_loop_t *loop)
{
    int before = lines.n;
    assert_int_equal(kill(getpid(), SIGHUP), 0);
    for (int i = 0; i < LOOP_PASSES_MAX && lines.n == before; i++)
        uv_run(loop, UV_RUN_NOWAIT);
}

static void test_a_storm_is_a_few_lines(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct hamd_hangup *h = hamd_hangup_new(&loop);
    assert_non_null(h);

    /* Each wake-up logged on its own until the limiter's burst... */
    for (int i = 0; i < HAMD_LOG_RATE_BURST; i++)
        hangup_once(&loop);
    assert_int_equal(lines.n, HAMD_LOG_RATE_BURST);
    /* ...then nothing more in the window, however many come. */
    for (int i = 0; i < 3 * HAMD_LOG_RATE_BURST; i++) {
        assert_int_equal(kill(getpid(), SIGHUP), 0);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    assert_int_equal(lines.n, HAMD_LOG_RATE_BURST);

    hamd_hangup_destroy(&h);
    close_loop(&loop);
}

static void test_destroy_puts_the_old_action_back(void **state)
{
    (void)state;
    struct sigaction before, during, after;
    assert_int_equal(sigaction(SIGHUP, NULL, &before), 0);
    assert_true(before.sa_handler == SIG_DFL);

    uv_loop_t loop;
    uv_loop_init(&loop);
    struct hamd_hangup *h = hamd_hangup_new(&loop);
    assert_non_null(h);
    assert_int_equal(sigaction(SIGHUP, NULL, &during), 0);
    assert_true(during.sa_flags & SA_SIGINFO);

    hamd_hangup_destroy(&h);
    assert_int_equal(sigaction(SIGHUP, NULL, &after), 0);
    assert_true(after.sa_handler == SIG_DFL);
    assert_false(after.sa_flags & SA_SIGINFO);
    close_loop(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_destroy_puts_the_old_action_back,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sighup_logged_with_sender_and_survived,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_signals_before_the_loop_turns_make_one_line,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_storm_is_a_few_lines,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
