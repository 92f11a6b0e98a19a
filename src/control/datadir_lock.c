/* datadir_lock.c - one hamd per data_dir (datadir_lock.h says why).
 *
 * flock: the kernel drops it when the process ends, however it ends, so
 * a kill -9 leaves no stale lock to clean up; the pid in the file is
 * only there to name the holder in the message. */
#include "control/datadir_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/log.h"

#define LOCK_PID_BYTES 24 /* a decimal pid and a newline */

/* The pid the holder wrote, or 0 when unreadable. */
static long holder_pid(int fd)
{
    char buf[LOCK_PID_BYTES] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    return n > 0 ? strtol(buf, NULL, 10) : 0;
}

int hamd_datadir_lock(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, HAMD_DATADIR_LOCK_FILE) >=
        (int)sizeof path) {
        LOG_ERROR("data_dir %s: path too long for its lock file", dir);
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        LOG_ERROR("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        if (err == EWOULDBLOCK)
            LOG_ERROR("refusing to start: another hamd (pid %ld) runs on "
                      "data_dir %s; stop it first (%s holds its lock)",
                      holder_pid(fd), dir, path);
        else
            LOG_ERROR("cannot lock %s: %s", path, strerror(err));
        close(fd);
        return -1;
    }
    char pid[LOCK_PID_BYTES];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        LOG_WARN("%s: cannot write the pid: %s", path, strerror(errno));
    return fd;
}
