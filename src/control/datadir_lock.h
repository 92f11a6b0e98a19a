/* datadir_lock.h - one hamd per data_dir.
 *
 * Two processes on one data_dir share the LMDB store, the Raft log and
 * the gateway socket: a second `hamd --config /etc/hamd/hamd.ini` run by
 * hand beside the service bound `gw.sock` anew before failing on a port,
 * and left the running node's socket file pointing at nothing, so every
 * gateway it relaunched afterwards stayed CONNECTING for good. The lock
 * is taken before anything in the directory is touched (docs/operations.md,
 * "Logs and exit codes").
 */
#ifndef HAMD_DATADIR_LOCK_H
#define HAMD_DATADIR_LOCK_H

#define HAMD_DATADIR_LOCK_FILE "hamd.lock" /* in data_dir; holds the pid */

/* Takes the exclusive lock of dir (a file HAMD_DATADIR_LOCK_FILE in it,
 * created 0600) and writes this process's pid into it. Returns the open
 * descriptor (close-on-exec, so gateways do not inherit it), held until
 * the process ends, or -1 after logging why at ERROR: another process
 * holds it (naming its pid), or the file cannot be opened. */
int hamd_datadir_lock(const char *dir);

#endif
