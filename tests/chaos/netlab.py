"""Network lab of the chaos tests: hosts made of Linux network namespaces.

A lab is one switch namespace holding a bridge, plus one namespace per
host (the hamd nodes, a client), each wired to the bridge by a veth pair
and given an address of LAB_NET on its eth0. Nothing lives in the root
namespace: no address, no route, no link. A lab host has only the route of
its own /24, so no packet of a test can leave the lab.

Every namespace name starts with `hamdc-<pid>-`. `Lab.down()` removes
exactly those namespaces (and with them their links, the bridge and the
iptables rules made inside them), after killing the processes left in
them; it is idempotent and runs on normal exit, on an exception, and on
SIGINT, SIGTERM or SIGHUP (`install_cleanup`).

Root only. `usable()` says whether this machine can run a lab, and why not.
"""
import atexit
import contextlib
import ctypes
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

NAME_ROOT = "hamdc-"
NAME_PREFIX = "%s%d-" % (NAME_ROOT, os.getpid())
NETNS_DIR = "/run/netns"
LAB_NET = "10.77.0"            # the lab's /24, inside the namespaces only
LAB_PREFIXLEN = 24
IFACE = "eth0"                 # every host's interface on the lab network
BRIDGE = "br0"
RULE_TAG = NAME_PREFIX + "rule"  # comment on every iptables rule we add
CMD_TIMEOUT_S = 15
KILL_WAIT_S = 5
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_labs = []
_labs_lock = threading.Lock()


class LabError(Exception):
    pass


def run(argv, check=True, timeout=CMD_TIMEOUT_S):
    """Runs a command; returns the CompletedProcess, raises LabError with
    its stderr when check and it failed."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise LabError("%s -> %d: %s" % (" ".join(argv), r.returncode,
                                         (r.stderr or r.stdout).strip()))
    return r


def usable():
    """(True, "") when this process can build labs, else (False, why)."""
    if os.geteuid() != 0:
        return False, "not root"
    for tool in ("ip", "iptables"):
        if not any(os.access(os.path.join(d, tool), os.X_OK)
                   for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/sbin"]):
            return False, "%s not found" % tool
    probe = Lab({"probe": 1}, name="probe")
    try:
        probe.up()
        probe.sh("probe", ["iptables", "-w", "-L", "-n"])
    except (LabError, OSError, subprocess.SubprocessError) as e:
        return False, str(e).strip().splitlines()[-1] if str(e).strip() else repr(e)
    finally:
        probe.down()
    return True, ""


def netns_names():
    """Names of every named network namespace on the machine."""
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def cleanup_stale():
    """Removes labs left by chaos runs whose process is gone (kill -9 of a
    runner leaves them); returns the namespaces removed. Labs of live
    processes, and any other namespace, are left alone."""
    removed = []
    for name in netns_names():
        m = re.match(r"^%s(\d+)-" % NAME_ROOT, name)
        if not m or m.group(1) == str(os.getpid()):
            continue
        if _pid_alive(int(m.group(1))):
            continue
        _kill_ns_pids(name)
        run(["ip", "netns", "del", name], check=False)
        removed.append(name)
    return removed


def _pid_alive(pid):
    """True for a running process; a zombie (killed, not yet reaped) is dead."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _ns_pids(ns):
    r = run(["ip", "netns", "pids", ns], check=False)
    return [int(p) for p in r.stdout.split() if p.isdigit()]


def _kill_ns_pids(ns):
    """SIGKILLs every process inside namespace ns (all of them ours: they
    run in a namespace this lab made) and waits until they are gone."""
    end = time.monotonic() + KILL_WAIT_S
    while True:
        pids = _ns_pids(ns)
        if not pids:
            return
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        if time.monotonic() > end:
            return
        time.sleep(0.05)


class Lab:
    """A switch and hosts. hosts maps a short host name to the last octet of
    its address on LAB_NET, e.g. {"n1": 1, "n2": 2, "client": 50}."""

    def __init__(self, hosts, name="lab"):
        self.hosts = dict(hosts)
        self.prefix = "%s%s-" % (NAME_PREFIX, name)
        self.made = []           # namespaces created, in order
        self.rules = []          # (host, iptables rule spec) in place
        with _labs_lock:
            _labs.append(self)

    # -- names and addresses ------------------------------------------------

    def ns(self, host):
        """Full namespace name of a host (or "sw", the switch)."""
        return self.prefix + host

    def ip(self, host):
        """The host's own address on the lab network."""
        return "%s.%d" % (LAB_NET, self.hosts[host])

    # -- building and tearing down -----------------------------------------

    def up(self):
        """Creates the switch, the hosts and their wiring."""
        sw = self.ns("sw")
        self._add_ns(sw)
        run(["ip", "-n", sw, "link", "add", BRIDGE, "type", "bridge"])
        run(["ip", "-n", sw, "link", "set", BRIDGE, "up"])
        for i, host in enumerate(sorted(self.hosts)):
            ns = self.ns(host)
            self._add_ns(ns)
            port = "p%d" % i
            # Both ends are created directly inside their namespaces: not
            # even for a moment does a link exist in the root namespace.
            run(["ip", "link", "add", IFACE, "netns", ns, "type", "veth",
                 "peer", "name", port, "netns", sw])
            run(["ip", "-n", sw, "link", "set", port, "master", BRIDGE])
            run(["ip", "-n", sw, "link", "set", port, "up"])
            run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                 "net.ipv6.conf.all.disable_ipv6=1"], check=False)
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            run(["ip", "-n", ns, "addr", "add",
                 "%s/%d" % (self.ip(host), LAB_PREFIXLEN), "dev", IFACE])
            run(["ip", "-n", ns, "link", "set", IFACE, "up"])
        return self

    def _add_ns(self, ns):
        if not ns.startswith(NAME_PREFIX):
            raise LabError("refusing to make namespace %s" % ns)
        run(["ip", "netns", "add", ns])
        self.made.append(ns)

    def down(self):
        """Removes everything this lab made; safe to call any number of
        times, also on a lab that was only half built."""
        for ns in reversed(self.made):
            if ns in netns_names():
                _kill_ns_pids(ns)
                run(["ip", "netns", "del", ns], check=False)
        self.made = []
        self.rules = []

    # -- running things in a host ------------------------------------------

    def argv(self, host, argv):
        """argv run inside the host's namespace."""
        return ["ip", "netns", "exec", self.ns(host)] + list(argv)

    def sh(self, host, argv, check=True, timeout=CMD_TIMEOUT_S):
        """Runs argv inside the host; returns the CompletedProcess."""
        return run(self.argv(host, argv), check=check, timeout=timeout)

    def popen(self, host, argv, **kw):
        """Starts argv inside the host. `ip netns exec` execs the program,
        so the Popen's pid is the program's."""
        return subprocess.Popen(self.argv(host, argv), **kw)

    def pids(self, host):
        """Every process inside the host's namespace."""
        return _ns_pids(self.ns(host))

    def kill_all(self, host):
        """SIGKILLs every process inside the host."""
        _kill_ns_pids(self.ns(host))

    @contextlib.contextmanager
    def entered(self, host):
        """Runs the block's socket calls from inside the host: this thread
        switches network namespace and back (setns is per thread)."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(os.path.join(NETNS_DIR, self.ns(host)), os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns %s: %s" % (self.ns(host), os.strerror(e)))
            yield
        finally:
            _libc.setns(own, CLONE_NEWNET)
            os.close(target)
            os.close(own)

    def http(self, host, addr, method, path, body=None, timeout=2.0):
        """(status, parsed JSON or text) of an HTTP request made from host
        to addr ("ip:port"); (None, error text) when it failed. Sockets are
        made inside the lab, with no proxy: nothing leaves it."""
        ip, port = addr.rsplit(":", 1)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        with self.entered(host):
            conn = http.client.HTTPConnection(ip, int(port), timeout=timeout)
            try:
                conn.request(method, path, body=data, headers=headers)
                r = conn.getresponse()
                raw, status = r.read(), r.status
            except (OSError, http.client.HTTPException) as e:
                return None, "%s: %s" % (type(e).__name__, e)
            finally:
                conn.close()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    # -- addresses and links -------------------------------------------------

    def addresses(self, host):
        """IPv4 addresses on the host's eth0, without prefix length."""
        r = self.sh(host, ["ip", "-o", "-4", "addr", "show", "dev", IFACE], check=False)
        return re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", r.stdout)

    def drop_extra_addresses(self, host):
        """Leaves only the host's own address, as a reboot would."""
        for a in self.addresses(host):
            if a != self.ip(host):
                r = self.sh(host, ["ip", "-o", "-4", "addr", "show", "dev", IFACE])
                m = re.search(r"\binet %s/(\d+)" % re.escape(a), r.stdout)
                if m:
                    self.sh(host, ["ip", "addr", "del", "%s/%s" % (a, m.group(1)),
                                   "dev", IFACE], check=False)

    def link(self, host, up):
        """Puts the host's cable in (up) or pulls it out."""
        self.sh(host, ["ip", "link", "set", IFACE, "up" if up else "down"])

    # -- partitions and cut lines -----------------------------------------------

    def block(self, host, peers, port):
        """Inside host, drops TCP to and from the peers' addresses on port,
        both as destination and source port (a raft partition)."""
        for peer in peers:
            pip = self.ip(peer)
            for chain, who in (("INPUT", "-s"), ("OUTPUT", "-d")):
                for side in ("--dport", "--sport"):
                    spec = [chain, who, pip, "-p", "tcp", side, str(port),
                            "-m", "comment", "--comment", RULE_TAG, "-j", "DROP"]
                    self.sh(host, ["iptables", "-w", "-A"] + spec)
                    self.rules.append((host, spec))

    def cut(self, host, peer, port=None):
        """Inside host, drops every packet to and from peer's address, or
        only the TCP ones of peer's port: the line between the two is dead
        (no RST, no ICMP), as when a router between them fails."""
        pip = self.ip(peer)
        for chain, who, side in (("INPUT", "-s", "--sport"), ("OUTPUT", "-d", "--dport")):
            match = ["-p", "tcp", side, str(port)] if port else []
            spec = [chain, who, pip] + match + [
                "-m", "comment", "--comment", RULE_TAG, "-j", "DROP"]
            self.sh(host, ["iptables", "-w", "-A"] + spec)
            self.rules.append((host, spec))

    def unblock(self, host=None, peer=None):
        """Removes the rules block() and cut() added: in one host or
        everywhere, those about one peer or all."""
        keep = []
        for h, spec in self.rules:
            if (host is None or h == host) and (peer is None or self.ip(peer) in spec):
                self.sh(h, ["iptables", "-w", "-D"] + spec, check=False)
            else:
                keep.append((h, spec))
        self.rules = keep


def cleanup_all():
    """Tears down every lab of this process (idempotent)."""
    with _labs_lock:
        labs = list(_labs)
    for lab in labs:
        with contextlib.suppress(Exception):
            lab.down()


def _on_fatal_signal(signum, frame):
    sys.stderr.write("chaos: signal %d: cleaning up the lab\n" % signum)
    cleanup_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_cleanup():
    """Makes sure labs are removed on exit, Ctrl-C, SIGTERM and SIGHUP."""
    atexit.register(cleanup_all)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_fatal_signal)
