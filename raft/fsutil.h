/* File-system helpers of the consensus layer. */
#ifndef HAMD_RAFT_FSUTIL_H
#define HAMD_RAFT_FSUTIL_H

#include <sys/types.h>

/* Creates path and its missing parents with mode (like mkdir -p).
 * Returns 0 or -errno. */
int hamd_raft_mkdir_p(const char *path, mode_t mode);

#endif /* HAMD_RAFT_FSUTIL_H */
