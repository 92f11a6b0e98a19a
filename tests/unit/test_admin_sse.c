/* The live stream's pure parts: Server-Sent Events framing (names, line
 * breaks inside data, comments) and a client's bounded queue (swap of
 * pending and in-flight bytes, the limit that drops a stalled client). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_sse.h"

/* The buffer's bytes as a string (for comparison). */
static char *text_of(const struct admin_sse_buf *b)
{
    char *s = malloc(b->len + 1);
    memcpy(s, b->p, b->len);
    s[b->len] = '\0';
    return s;
}

static void expect_frame(const char *name, const char *data, size_t len,
                         const char *want)
{
    struct admin_sse_buf b = {0};
    assert_int_equal(admin_sse_frame(&b, name, data, len), 0);
    char *got = text_of(&b);
    assert_string_equal(got, want);
    free(got);
    admin_sse_buf_free(&b);
}

static void test_frame_one_line(void **state)
{
    (void)state;
    const char *d = "{\"a\":1}";
    expect_frame("status", d, strlen(d), "event: status\ndata: {\"a\":1}\n\n");
    expect_frame("log", "", 0, "event: log\ndata: \n\n");
}

static void test_frame_splits_line_breaks(void **state)
{
    (void)state;
    /* \n, \r\n and a lone \r each end a line; none leaks out raw */
    const char *d = "a\nb\r\nc\rd";
    expect_frame("x", d, strlen(d),
                 "event: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    /* a final break ends the last line; it starts no empty one */
    expect_frame("x", "a\n", 2, "event: x\ndata: a\n\n");
    /* an empty line inside is kept */
    expect_frame("x", "a\n\nb", 4, "event: x\ndata: a\ndata: \ndata: b\n\n");
    /* bytes past len are not read */
    expect_frame("x", "abc\ndef", 3, "event: x\ndata: abc\n\n");
}

static void test_frame_refuses_bad_names(void **state)
{
    (void)state;
    struct admin_sse_buf b = {0};
    assert_int_equal(admin_sse_frame(&b, "", "x", 1), -1);
    assert_int_equal(admin_sse_frame(&b, "a b", "x", 1), -1);
    assert_int_equal(admin_sse_frame(&b, "a\nevent: evil", "x", 1), -1);
    assert_int_equal(admin_sse_frame(&b, "a:b", "x", 1), -1);
    char longname[ADMIN_SSE_EVENT_MAX + 1];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(admin_sse_frame(&b, longname, "x", 1), -1);
    assert_int_equal(b.len, 0);
    admin_sse_buf_free(&b);
}

static void test_comment(void **state)
{
    (void)state;
    struct admin_sse_buf b = {0};
    assert_int_equal(admin_sse_comment(&b, "ping"), 0);
    assert_int_equal(admin_sse_comment(&b, "a\nb"), -1);
    char *got = text_of(&b);
    assert_string_equal(got, ": ping\n\n");
    free(got);
    admin_sse_buf_free(&b);
}

static void test_queue_take_and_sent(void **state)
{
    (void)state;
    struct admin_sse_queue q = {.limit = ADMIN_SSE_QUEUE_MAX_BYTES};
    const char *p;
    size_t len;
    assert_false(admin_sse_queue_take(&q, &p, &len)); /* empty */
    assert_int_equal(admin_sse_queue_event(&q, "a", "1", 1), 0);
    assert_true(admin_sse_queue_take(&q, &p, &len));
    assert_int_equal(len, strlen("event: a\ndata: 1\n\n"));
    assert_memory_equal(p, "event: a\ndata: 1\n\n", len);
    /* while in flight, more is queued but not taken */
    assert_int_equal(admin_sse_queue_event(&q, "b", "2", 1), 0);
    assert_false(admin_sse_queue_take(&q, &p, &len));
    assert_int_equal(admin_sse_queue_bytes(&q), 2 * len);
    admin_sse_queue_sent(&q);
    assert_int_equal(admin_sse_queue_bytes(&q), len);
    assert_true(admin_sse_queue_take(&q, &p, &len));
    assert_memory_equal(p, "event: b\ndata: 2\n\n", len);
    admin_sse_queue_sent(&q);
    assert_int_equal(admin_sse_queue_bytes(&q), 0);
    assert_false(admin_sse_queue_take(&q, &p, &len));
    admin_sse_queue_free(&q);
}

static void test_queue_limit_drops_a_stalled_client(void **state)
{
    (void)state;
    struct admin_sse_queue q = {.limit = ADMIN_SSE_QUEUE_MAX_BYTES};
    static char data[1000];
    memset(data, 'x', sizeof data);
    const char *p;
    size_t len, frame = strlen("event: log\ndata: \n\n") + sizeof data;
    assert_int_equal(admin_sse_queue_event(&q, "log", data, sizeof data), 0);
    assert_true(admin_sse_queue_take(&q, &p, &len)); /* never completes */
    size_t queued = frame;
    while (queued + frame <= ADMIN_SSE_QUEUE_MAX_BYTES) {
        assert_int_equal(admin_sse_queue_event(&q, "log", data, sizeof data), 0);
        queued += frame;
    }
    assert_int_equal(admin_sse_queue_bytes(&q), queued);
    /* one more would pass the limit: refused, nothing half-queued */
    assert_int_equal(admin_sse_queue_event(&q, "log", data, sizeof data), -1);
    assert_int_equal(admin_sse_queue_bytes(&q), queued);
    /* once the write completes there is room again */
    admin_sse_queue_sent(&q);
    assert_int_equal(admin_sse_queue_event(&q, "log", data, sizeof data), 0);
    admin_sse_queue_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_one_line),
        cmocka_unit_test(test_frame_splits_line_breaks),
        cmocka_unit_test(test_frame_refuses_bad_names),
        cmocka_unit_test(test_comment),
        cmocka_unit_test(test_queue_take_and_sent),
        cmocka_unit_test(test_queue_limit_drops_a_stalled_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
