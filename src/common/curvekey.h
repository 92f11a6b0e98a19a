/* ZeroMQ CURVE key files (docs/security.md, "CURVE"): what hamd reads as
 * [publish] curve_secret_file and the files of curve_clients_dir, what
 * `hactl keys gen` writes, and what hactl tail and the client libraries'
 * users can hand over. A key is 40 characters of Z85 (ZeroMQ RFC 32):
 * either a line of its own, or between double quotes on a line such as
 * `public-key = "..."` (ZeroMQ's certificate files). Lines of any other
 * shape (comments) are skipped. Text only: no ZeroMQ here. */
#ifndef HAMD_CURVEKEY_H
#define HAMD_CURVEKEY_H

#include <stdbool.h>
#include <stddef.h>

#define HAMD_CURVE_Z85_LEN 40 /* characters of a key in Z85 */

/* Reads a key of the file at path into z85 (HAMD_CURVE_Z85_LEN + 1
 * bytes): the one on a line holding label ("secret-key", "public-key")
 * if there is one, else the first key. private_file: a secret key is
 * wanted, and the file must be a regular file only its owner may read.
 * A file that says it holds the other half of a pair ("public" and not
 * "secret" on its lines other than a bare key, or the reverse) is
 * refused. Returns 0, or -1 with the reason in err (naming the file,
 * never quoting it). */
int hamd_curve_key_read(const char *path, bool private_file,
                        const char *label, char *z85, char *err, size_t cap);

/* True when s is a key: exactly HAMD_CURVE_Z85_LEN characters of Z85. */
bool hamd_curve_key_valid(const char *s);

#endif /* HAMD_CURVEKEY_H */
