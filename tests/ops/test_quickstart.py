"""deploy/quickstart.sh, the README's first step, when a node cannot start.

A port of deploy/local/ in use (another quickstart still running, say)
stops the node that needs it at once. The script then says which node,
shows the end of its log and how to move the ports, stops the others and
exits 1. Before, it showed `hactl status` and tailed ticks of whatever
answered on those ports (here: the two nodes that did start) and exited
0, so the operator believed their cluster ran.

Every port is moved to a free one through the HAMD_PEER_N_* variables
(docs/configuration.md), so the test never touches the demo's own ports;
node 1's admin port is one this test holds.

With the ports moved and free, the quickstart runs and prints the
operator console's URL on the admin addresses the nodes use; before, it
printed http://127.0.0.1:8001/ whatever HAMD_PEER_1_ADMIN said.
"""
import os
import socket
import subprocess

from opstest import BUILD, SOURCE, Skip, run
from hamdtest import check, free_ports, release_dir, scratch_dir

QUICKSTART = os.path.join(SOURCE, "deploy", "quickstart.sh")
QUICKSTART_TIMEOUT_S = 180   # a no-op build, the start, the stop
PEER_KEYS = ("RAFT", "ADMIN", "PUBLISH", "SNAPSHOT", "RELAY")


def moved_ports(taken_admin=None):
    """HAMD_PEER_N_* for 3 nodes on free ports; node 1's admin on
    taken_admin when given."""
    ports = iter(free_ports(3 * len(PEER_KEYS)))
    env = {}
    for n in (1, 2, 3):
        for key in PEER_KEYS:
            port = next(ports)
            url = "tcp://127.0.0.1:%d" if key in ("PUBLISH", "SNAPSHOT", "RELAY") \
                else "127.0.0.1:%d"
            env["HAMD_PEER_%d_%s" % (n, key)] = url % port
    if taken_admin is not None:
        env["HAMD_PEER_1_ADMIN"] = "127.0.0.1:%d" % taken_admin
    return env


def need_the_build():
    if os.path.realpath(BUILD) != os.path.realpath(os.path.join(SOURCE, "build")):
        raise Skip("the quickstart builds into %s/build, not %s" % (SOURCE, BUILD))


def test_a_node_that_cannot_start_stops_the_quickstart():
    need_the_build()
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    taken = holder.getsockname()[1]
    run_dir = scratch_dir("quickstart")
    env = dict(os.environ, HAMD_RUN_DIR=run_dir, QUICKSTART_SECONDS="2",
               **moved_ports(taken))
    try:
        r = subprocess.run([QUICKSTART], capture_output=True, text=True, env=env,
                           timeout=QUICKSTART_TIMEOUT_S, stdin=subprocess.DEVNULL)
        out = r.stdout + r.stderr
        check(r.returncode == 1, "quickstart with node 1's admin port taken: "
              "exit %d\n%s" % (r.returncode, out[-3000:]))
        check("node 1 did not start" in r.stderr and
              "cannot listen on 127.0.0.1:%d" % taken in r.stderr and
              "HAMD_PEER_N_ADMIN" in r.stderr,
              "no word of node 1 and why:\n%s" % r.stderr[-3000:])
        check("hactl tail" not in out, "ticks tailed anyway:\n%s" % out[-3000:])
        check("stopped; logs and state in %s" % run_dir in r.stdout,
              "the other nodes not stopped:\n%s" % r.stdout[-3000:])
    finally:
        holder.close()
        release_dir(run_dir)


def test_console_url_follows_the_moved_ports():
    need_the_build()
    run_dir = scratch_dir("quickstart")
    moved = moved_ports()
    env = dict(os.environ, HAMD_RUN_DIR=run_dir, QUICKSTART_SECONDS="1",
               **moved)
    try:
        r = subprocess.run([QUICKSTART], capture_output=True, text=True, env=env,
                           timeout=QUICKSTART_TIMEOUT_S, stdin=subprocess.DEVNULL)
        check(r.returncode == 0, "quickstart on moved ports: exit %d\n%s"
              % (r.returncode, (r.stdout + r.stderr)[-3000:]))
        want = "operator console: http://%s/ (any node: http://%s/, http://%s/;" % tuple(
            moved["HAMD_PEER_%d_ADMIN" % n] for n in (1, 2, 3))
        check(want in r.stdout, "no %r in:\n%s" % (want, r.stdout[-3000:]))
    finally:
        release_dir(run_dir)


if __name__ == "__main__":
    run([test_a_node_that_cannot_start_stops_the_quickstart,
         test_console_url_follows_the_moved_ports])
