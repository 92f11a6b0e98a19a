"""hamd under a fake systemd: the notify protocol (docs/operations.md,
"systemd").

A datagram socket of the test stands in for systemd's NOTIFY_SOCKET, with
WATCHDOG_USEC set as a unit with WatchdogSec= would. hamd must say
READY=1 once Raft runs (so /healthz answers 200 by then), a STATUS= with
its role and term, WATCHDOG=1 again and again while it runs, and
STOPPING=1 when SIGTERM arrives. That pings stop while the control loop is
blocked is tested in tests/unit/test_notify.c.
"""
import contextlib
import os
import signal
import socket
import time

from hamdtest import Cluster, check, publishing_node, run, sim_account, wait_for

SYMBOLS = ["rb2601.SHFE"]
WATCHDOG_USEC = 400000   # a ping every 200 ms
PINGS_WANTED = 3
RECV_TIMEOUT_S = 20


class FakeSystemd:
    """The receiving end of NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.msgs = []

    def recv_until(self, pred, what):
        """Receives until pred(message) holds; returns that message."""
        end = time.monotonic() + RECV_TIMEOUT_S
        while True:
            left = end - time.monotonic()
            check(left > 0, "no %s from hamd within %ds (got %r)"
                  % (what, RECV_TIMEOUT_S, self.msgs[-5:]))
            self.sock.settimeout(left)
            try:
                msg = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            self.msgs.append(msg)
            if pred(msg):
                return msg

    def close(self):
        self.sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def test_ready_status_watchdog_stopping():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"])], SYMBOLS, name="notify")
    path = os.path.join(c.dir, "notify.sock")
    sd = FakeSystemd(path)
    c.env.update({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": str(WATCHDOG_USEC)})
    c.env.pop("WATCHDOG_PID", None)
    c.start()
    try:
        ready = sd.recv_until(lambda m: "READY=1" in m.split("\n"), "READY=1")
        status, body = c.api(0, "GET", "/healthz")
        check(status == 200, "READY=1 sent but /healthz answers %d %r" % (status, body))
        check(not [m for m in sd.msgs[:-1] if "READY=1" in m], "READY=1 twice")
        check("STATUS=node 1: " in ready and ", term " in ready,
              "READY=1 without role and term: %r" % ready)
        sd.recv_until(lambda m: m.startswith("STATUS=") and "publishing" in m
                      and "not publishing" not in m, "STATUS= publishing")
        for i in range(PINGS_WANTED):
            sd.recv_until(lambda m: m == "WATCHDOG=1", "WATCHDOG=1 number %d" % (i + 1))
        check("systemd watchdog: a ping every 200 ms" in c.log_text(0),
              "hamd did not log the watchdog interval")
        c.nodes[0]["proc"].send_signal(signal.SIGTERM)
        stop = sd.recv_until(lambda m: "STOPPING=1" in m, "STOPPING=1")
        check("stopping (SIGTERM)" in stop, "STOPPING=1 without why: %r" % stop)
        wait_for(lambda: c.nodes[0]["proc"].poll() is not None, 15, "hamd to exit")
        check(c.nodes[0]["proc"].returncode == 0,
              "exit status %d" % c.nodes[0]["proc"].returncode)
        check(sum("READY=1" in m for m in sd.msgs) == 1, "READY=1 more than once")
    finally:
        sd.close()
        c.cleanup()


def test_without_notify_socket_nothing_changes():
    """Outside systemd (no NOTIFY_SOCKET) hamd runs and says nothing of a
    watchdog even when WATCHDOG_USEC is set by mistake."""
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"])], SYMBOLS, name="nonotify")
    c.env.pop("NOTIFY_SOCKET", None)
    c.env["WATCHDOG_USEC"] = str(WATCHDOG_USEC)
    c.start()
    try:
        wait_for(lambda: publishing_node(c) is not None, 20, "publishing")
        check("sd_notify" not in c.log_text(0), "sd_notify complained without a socket")
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_ready_status_watchdog_stopping, test_without_notify_socket_nothing_changes])
