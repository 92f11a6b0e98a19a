/* Comparing secrets (bearer tokens, gateway launch tokens) in time that
 * tells an attacker nothing about where a guess first went wrong. */
#ifndef HAMD_CTEQUAL_H
#define HAMD_CTEQUAL_H

#include <stdbool.h>
#include <stddef.h>

/* Compares a presented secret with the expected one in time that depends
 * only on the lengths, never on where they differ. */
bool hamd_ct_equal(const void *given, size_t given_len, const void *expected,
                   size_t expected_len);

#endif /* HAMD_CTEQUAL_H */
