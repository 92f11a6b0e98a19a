/* Constant-time comparison of secrets. See ctequal.h. */
#include "common/ctequal.h"

bool hamd_ct_equal(const void *given, size_t given_len, const void *expected,
                   size_t expected_len)
{
    const volatile unsigned char *g = given;
    const volatile unsigned char *e = expected;
    /* Walk the expected secret in full whatever is given, so the time
     * tells nothing about where a guess first went wrong; volatile keeps
     * the compiler from stopping at the first difference. */
    unsigned char diff = given_len != expected_len;
    for (size_t i = 0; i < expected_len; i++) {
        unsigned char c = i < given_len ? g[i] : 0;
        diff |= c ^ e[i];
    }
    return diff == 0;
}
