/* hactl keys gen|pub: ZeroMQ CURVE key pairs for the publish, snapshot,
 * follow and relay endpoints (docs/security.md, "CURVE"):
 *
 *   hactl keys gen NAME   writes NAME.key (the secret key, mode 0600) and
 *                         NAME.pub (the public key), prints the public key
 *   hactl keys pub FILE   prints the public key of a secret key file
 *
 * The cluster's pair goes to [publish] curve_secret_file on every node;
 * its public key is the server key every client is given. A client's pair
 * stays with the client; its .pub file goes into [publish]
 * curve_clients_dir. Works offline: no node is asked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "common/curvekey.h"
#include "hactl/hactl.h"

#define KEYS_PATH_MAX 4096 /* bytes of NAME.key */

static const char KEYS_USAGE[] = "keys gen NAME | keys pub SECRET_KEY_FILE";

/* Writes text to path, created with mode (exclusive: an existing key is
 * never overwritten). Returns 0 or -1 after saying why. */
static int write_new(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    size_t len = strlen(text);
    if (fd < 0 && errno == EEXIST) {
        fprintf(stderr, "hactl keys: %s exists: a key is never overwritten "
                "(remove it, or choose another NAME)\n", path);
        return -1;
    }
    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        fprintf(stderr, "hactl keys: cannot write %s: %s\n", path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return close(fd);
}

static int keys_gen(const char *name)
{
    char pub[HAMD_CURVE_Z85_LEN + 1], sec[HAMD_CURVE_Z85_LEN + 1];
    char path[KEYS_PATH_MAX], text[256];
    if (zmq_curve_keypair(pub, sec) != 0) {
        fprintf(stderr, "hactl keys: this libzmq has no CURVE\n");
        return HACTL_FAIL;
    }
    snprintf(path, sizeof path, "%s.key", name);
    snprintf(text, sizeof text, "# hamd CURVE secret key (keep it private)\n"
             "%s\n", sec);
    int rc = write_new(path, text, 0600);
    explicit_bzero(sec, sizeof sec);
    explicit_bzero(text, sizeof text);
    /* A file hactl cannot make is a bad operand (docs/hactl.md, exit
     * codes): no node was asked. */
    if (rc < 0)
        return HACTL_USAGE;
    snprintf(path, sizeof path, "%s.pub", name);
    snprintf(text, sizeof text, "# hamd CURVE public key\n%s\n", pub);
    if (write_new(path, text, 0644) < 0) {
        /* No secret key without its public half: a NAME.key left behind
         * would refuse the next try. */
        snprintf(path, sizeof path, "%s.key", name);
        unlink(path);
        return HACTL_USAGE;
    }
    printf("%s\n", pub);
    fprintf(stderr, "hactl keys: wrote %s.key (secret, 0600) and %s.pub\n",
            name, name);
    return HACTL_OK;
}

static int keys_pub(const char *file)
{
    char sec[HAMD_CURVE_Z85_LEN + 1], pub[HAMD_CURVE_Z85_LEN + 1];
    char err[KEYS_PATH_MAX + 128];
    int rc = hamd_curve_key_read(file, true, "secret-key", sec, err,
                                 sizeof err);
    if (rc == 0 && zmq_curve_public(pub, sec) != 0) {
        snprintf(err, sizeof err, "%s: not a secret key", file);
        rc = -1;
    }
    explicit_bzero(sec, sizeof sec);
    if (rc < 0) {
        fprintf(stderr, "hactl keys: %s\n", err);
        return HACTL_USAGE; /* a file hactl cannot use, as in keys_gen */
    }
    printf("%s\n", pub);
    return HACTL_OK;
}

int hactl_cmd_keys(struct hactl *ctl, int argc, char **argv)
{
    (void)ctl;
    if (argc != 3 || (strcmp(argv[1], "gen") != 0 &&
                      strcmp(argv[1], "pub") != 0)) {
        fprintf(stderr, "usage: hactl %s\n", KEYS_USAGE);
        return HACTL_USAGE;
    }
    return strcmp(argv[1], "gen") == 0 ? keys_gen(argv[2]) : keys_pub(argv[2]);
}
