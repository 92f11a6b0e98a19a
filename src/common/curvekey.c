/* CURVE key files. See curvekey.h. */
#include "common/curvekey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CURVE_FILE_MAX 1024 /* bytes read of a key file: a certificate of
                               ZeroMQ's is about 300 */

/* The 85 characters of ZeroMQ's Z85 (RFC 32). */
static const char Z85_CHARS[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ".-:+=^!/*?&<>()[]{}@%$#";

static bool is_z85(const char *s, size_t len)
{
    return strspn(s, Z85_CHARS) >= len;
}

/* The key of one line: the whole line (trimmed) when it is 40
 * characters, or 40 characters between double quotes (`secret-key =
 * "..."`, ZeroMQ's certificate files). Z85 uses '#' and '=' too, so a
 * line of 40 characters is a key whatever it starts with. */
static const char *line_key(char *line)
{
    line += strspn(line, " \t");
    size_t len = strcspn(line, "\r");
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    line[len] = '\0';
    if (len == HAMD_CURVE_Z85_LEN && is_z85(line, len))
        return line;
    char *q = strchr(line, '"');
    char *end = q ? strchr(q + 1, '"') : NULL;
    if (!end || end - q - 1 != HAMD_CURVE_Z85_LEN ||
        !is_z85(q + 1, HAMD_CURVE_Z85_LEN))
        return NULL;
    *end = '\0';
    return q + 1;
}

/* What a file's text says it holds, from words on lines other than a
 * bare key's: "secret" (hactl keys gen's NAME.key, ZeroMQ's secret-key),
 * "public" (NAME.pub, public-key). */
enum { CURVE_SAYS_SECRET = 1, CURVE_SAYS_PUBLIC = 2 };

static unsigned line_says(const char *line)
{
    return (strstr(line, "secret") ? CURVE_SAYS_SECRET : 0u) |
           (strstr(line, "public") ? CURVE_SAYS_PUBLIC : 0u);
}

/* The other half of a pair: a file that says it holds a public key only,
 * when a secret is wanted, or the reverse. Taken, it would serve or
 * connect with a key nobody knows, or allow one nobody has. */
static bool other_half(unsigned says, bool secret_wanted)
{
    unsigned own = secret_wanted ? CURVE_SAYS_SECRET : CURVE_SAYS_PUBLIC;
    return says != 0 && !(says & own);
}

/* Reads a key of a file into z85 (41 bytes): the one on a line holding
 * label ("secret-key", "public-key") if any, else the first key. A
 * private file must be a regular file only its owner may read. Returns 0,
 * or -1 with the reason in err (never quoting the file). */
int hamd_curve_key_read(const char *path, bool private_file,
                         const char *label, char *z85, char *err, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (private_file && (st.st_mode & 0077))) {
        snprintf(err, cap, "%s must be a regular file%s (mode %04o%s)", path,
                 private_file ? " only its owner may read" : "",
                 (unsigned)(st.st_mode & 07777),
                 private_file ? "; chmod 600 it" : "");
        close(fd);
        return -1;
    }
    char buf[CURVE_FILE_MAX + 1];
    ssize_t n = read(fd, buf, CURVE_FILE_MAX);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    bool found = false, labelled = false;
    unsigned says = 0;
    for (char *save = NULL, *line = strtok_r(buf, "\n", &save);
         line; line = strtok_r(NULL, "\n", &save)) {
        bool has_label = strstr(line, label) != NULL;
        unsigned words = line_says(line);
        const char *key = line_key(line);
        if (!key || strchr(line, '"'))
            says |= words; /* a bare key's letters are no words */
        if (key && !labelled && (!found || has_label)) {
            memcpy(z85, key, HAMD_CURVE_Z85_LEN + 1);
            found = true;
            labelled = has_label;
        }
    }
    explicit_bzero(buf, sizeof buf);
    if (found && other_half(says, private_file)) {
        explicit_bzero(z85, HAMD_CURVE_Z85_LEN + 1);
        snprintf(err, cap, "%s holds a %s key, not a %s key (hactl keys gen "
                 "NAME writes the secret key NAME.key and the public key "
                 "NAME.pub)", path, private_file ? "public" : "secret",
                 private_file ? "secret" : "public");
        return -1;
    }
    if (!found)
        snprintf(err, cap, "%s holds no key (%d characters of Z85)", path,
                 HAMD_CURVE_Z85_LEN);
    return found ? 0 : -1;
}

bool hamd_curve_key_valid(const char *s)
{
    return s && strlen(s) == HAMD_CURVE_Z85_LEN && is_z85(s, HAMD_CURVE_Z85_LEN);
}
