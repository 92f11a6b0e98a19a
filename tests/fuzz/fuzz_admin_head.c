/* Fuzz target: the screening of a request head (src/admin/admin_head.h),
 * the first thing the admin API does with the bytes of any client that
 * connects, before h2o or a handler sees them.
 *
 * Input: byte 0 sets the size of each read (0: everything in one read),
 * byte 1 the largest body taken (body_max, byte x HEAD_BODY_UNIT_BYTES),
 * the rest is what the connection sends. As admin_conn.c does, the head
 * is checked on everything read so far after each read, until a verdict
 * other than MORE.
 *
 * Checks: a verdict is one of the enum's; a refusal says why and maps to
 * its HTTP status (400, 411, 413, 417, 431), MORE and OK to none; reading
 * in pieces concludes exactly what reading everything at once does (the
 * server acts on the first verdict, so a later byte must not change it);
 * the bytes after the ones looked at are never read (the deciding prefix
 * is checked again in a buffer of exactly its size). */
#include <string.h>

#include "admin/admin_head.h"
#include "fuzz.h"

#define HEAD_BODY_UNIT_BYTES 1024 /* body_max step of byte 1 */

/* The verdict of the first read (of `step` bytes each, 0: one read) after
 * which the head is no longer MORE; *seen gets how many bytes it saw. */
static enum admin_head_verdict head_scan(const char *buf, size_t len,
                                         size_t step, size_t body_max,
                                         size_t *seen)
{
    enum admin_head_verdict v = ADMIN_HEAD_MORE;
    size_t have = 0;
    do {
        have += step == 0 || step > len - have ? len - have : step;
        v = admin_head_check(buf, have, body_max, NULL);
    } while (v == ADMIN_HEAD_MORE && have < len);
    *seen = have;
    return v;
}

/* The verdict's reason and status agree with it. */
static void head_verdict_check(enum admin_head_verdict v, const char *why)
{
    int status = admin_head_status(v);
    FUZZ_CHECK(v >= ADMIN_HEAD_MORE && v <= ADMIN_HEAD_EXPECTATION);
    FUZZ_CHECK(why != NULL);
    if (v == ADMIN_HEAD_MORE || v == ADMIN_HEAD_OK) {
        FUZZ_CHECK(status == 0);
        return;
    }
    FUZZ_CHECK(why[0] != '\0');
    FUZZ_CHECK(status == 400 || status == 411 || status == 413 ||
               status == 417 || status == 431);
    FUZZ_CHECK((status == 431) == (v == ADMIN_HEAD_TOO_LARGE));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = data[0];
    size_t body_max = (size_t)data[1] * HEAD_BODY_UNIT_BYTES;
    const char *in = (const char *)data + 2;
    size_t len = size - 2;

    const char *why = NULL;
    enum admin_head_verdict whole = admin_head_check(in, len, body_max, &why);
    head_verdict_check(whole, why);

    size_t seen;
    enum admin_head_verdict pieces = head_scan(in, len, step, body_max, &seen);
    FUZZ_CHECK(pieces == whole);
    /* What decided, in a buffer that ends where the bytes seen end. */
    char *exact = malloc(seen ? seen : 1);
    FUZZ_CHECK(exact != NULL);
    memcpy(exact, in, seen);
    FUZZ_CHECK(admin_head_check(exact, seen, body_max, NULL) == pieces);
    free(exact);
    return 0;
}
