/* UTF-8 validity of text that leaves the hub: msgpack str values (a tick's
 * strings, a gateway's HELLO and STATUS) and JSON strings. msgpack's str
 * type is UTF-8; a client decoding with msgpack's default (Python:
 * raw=False) fails on anything else, so the hub refuses it at the door
 * rather than pass it on. */
#ifndef HAMD_UTF8_H
#define HAMD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (RFC 3629): no overlong form,
 * no surrogate (U+D800..DFFF), nothing above U+10FFFF; the rules of
 * jansson's json_stringn and of Python's decoder. A NUL byte is valid
 * here; callers that refuse it check for it themselves. */
bool hamd_utf8_valid(const char *s, size_t len);

/* The length of s[0..len) without a multi-byte sequence cut short at its
 * end: what is left of UTF-8 text cut to a byte limit (snprintf, "%.100s")
 * that is still UTF-8, since the hub refuses a string that is not. */
size_t hamd_utf8_whole_len(const char *s, size_t len);

#endif /* HAMD_UTF8_H */
