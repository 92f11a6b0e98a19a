"""deploy/hooks/dns-update against a real BIND, in a network lab (root).

A lab (tests/chaos/netlab.py) of three hamd hosts and a DNS host running
named (Debian's bind9) as the primary of zone hamd.test, which takes
updates signed with a TSIG key only. Three hamd nodes run dns-update as
their on_leader hook, each with its own client address:

- the publishing node's address becomes the one A record of
  md.hamd.test; after kill -9 of that node the new publisher's does;
- an update with the wrong key is refused (exit 1), the record stays;
- as on_follower, or with bad settings (exit 2), nothing changes.

Without root, network namespaces or bind9 it prints why and exits 77.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import opstest
from opstest import SOURCE, Skip, find_tool

sys.path.insert(0, os.path.join(SOURCE, "tests", "chaos"))
import netlab  # noqa: E402
from hamdtest import HAMD, check, wait_for  # noqa: E402

HOOK = os.path.join(SOURCE, "deploy", "hooks", "dns-update")
ZONE = "hamd.test"
NAME = "md.hamd.test."
KEY_NAME = "hamd-dns"
HOSTS = {"n1": 1, "n2": 2, "n3": 3, "dns": 53}
NODES = ("n1", "n2", "n3")
ADMIN_PORT = 8001
RAFT_PORT = 7001
NAMED_START_S = 15
FAILOVER_S = 20
APPARMOR = "/sys/module/apparmor/parameters/enabled"
# named's AppArmor profile (where enabled) lets it write only here.
APPARMOR_DIR = "/var/cache/bind"

NAMED_CONF = """options {
    directory "%(dir)s";
    pid-file "%(dir)s/named.pid";
    session-keyfile "%(dir)s/session.key";
    managed-keys-directory "%(dir)s";
    listen-on port 53 { %(ip)s; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
};
include "%(dir)s/hamd.key";
zone "%(zone)s" {
    type primary;
    file "%(dir)s/%(zone)s.db";
    allow-update { key "%(key)s"; };
};
"""
ZONE_DB = """$TTL 60
@   IN SOA ns.%(zone)s. admin.%(zone)s. 1 60 60 600 60
@   IN NS  ns.%(zone)s.
ns  IN A   %(ip)s
"""


class DnsLab:
    """The lab, named in the dns host, and the files of both."""

    def __init__(self):
        ok, why = netlab.usable()
        if not ok:
            raise Skip("needs root and network namespaces (%s)" % why)
        self.named = find_tool("named")
        self.keygen = find_tool("tsig-keygen")
        find_tool("nsupdate")
        self.dig = find_tool("dig")
        netlab.install_cleanup()
        base = APPARMOR_DIR if self.apparmor() and os.path.isdir(APPARMOR_DIR) else None
        self.dir = tempfile.mkdtemp(prefix="hamd-dns-", dir=base)
        os.chmod(self.dir, 0o755)
        self.lab = netlab.Lab(HOSTS, name="dns").up()
        self.procs = []
        self.key = os.path.join(self.dir, "hamd.key")

    @staticmethod
    def apparmor():
        try:
            with open(APPARMOR) as f:
                return f.read().strip() == "Y"
        except OSError:
            return False

    def start_named(self):
        ip = self.lab.ip("dns")
        key = subprocess.run([self.keygen, KEY_NAME], capture_output=True, text=True,
                             check=True).stdout
        self.write("hamd.key", key)
        self.write("wrong.key", subprocess.run([self.keygen, KEY_NAME], capture_output=True,
                                               text=True, check=True).stdout)
        vals = {"dir": self.dir, "ip": ip, "zone": ZONE, "key": KEY_NAME}
        self.write("named.conf", NAMED_CONF % vals)
        self.write("%s.db" % ZONE, ZONE_DB % vals)
        log = open(os.path.join(self.dir, "named.log"), "wb")
        self.procs.append(self.lab.popen("dns", [self.named, "-g", "-c",
                                                 os.path.join(self.dir, "named.conf")],
                                         stdout=log, stderr=subprocess.STDOUT))
        wait_for(lambda: self.query("ns.%s." % ZONE) == [ip], NAMED_START_S,
                 "named answering (log: %s)" % os.path.join(self.dir, "named.log"))

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def query(self, name=NAME):
        """The A records of name, asked from n1 (sorted)."""
        r = self.lab.sh("n1", [self.dig, "+short", "+time=1", "+tries=1",
                               "@" + self.lab.ip("dns"), name, "A"], check=False)
        return sorted(r.stdout.split()) if r.returncode == 0 else None

    def hook_env(self, host, **extra):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HAMD_DNS_CONF": "/dev/null",
               "HAMD_DNS_NAME": NAME, "HAMD_DNS_ZONE": ZONE,
               "HAMD_DNS_SERVER": self.lab.ip("dns"), "HAMD_DNS_KEY_FILE": self.key,
               "HAMD_DNS_ADDRESS": self.lab.ip(host)}
        env.update(extra)
        return env

    def run_hook(self, host, **extra):
        return subprocess.run(self.lab.argv(host, ["env", "-i"] + [
            "%s=%s" % kv for kv in self.hook_env(host, **extra).items()] + [HOOK]),
            capture_output=True, text=True, timeout=20)

    def down(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.lab.down()
        shutil.rmtree(self.dir, ignore_errors=True)


def node_ini(lab, host, nid, data_dir):
    out = ["[node]", "id = %d" % nid, "data_dir = %s" % data_dir, "log_level = info", ""]
    for i, h in enumerate(NODES, 1):
        out += ["[peer.%d]" % i, "raft = %s:%d" % (lab.ip(h), RAFT_PORT),
                "admin = %s:%d" % (lab.ip(h), ADMIN_PORT),
                "publish = tcp://0.0.0.0:5551", "snapshot = tcp://0.0.0.0:5561", ""]
    out += ["[gateways]", "endpoint = ipc://%s/gw.sock" % data_dir, "",
            "[hooks]", "on_leader = %s" % HOOK, ""]
    return "\n".join(out) + "\n"


def publisher(d, alive):
    for h in alive:
        status, _ = d.lab.http("n1", "%s:%d" % (d.lab.ip(h), ADMIN_PORT), "GET", "/readyz",
                               timeout=0.5)
        if status == 200:
            return h
    return None


def check_name_follows_the_leader(d):
    if not os.access(HAMD, os.X_OK):
        raise Skip("%s is not built" % HAMD)
    nodes = {}
    for nid, h in enumerate(NODES, 1):
        data = os.path.join(d.dir, h)
        os.makedirs(data)
        ini = os.path.join(d.dir, "%s.ini" % h)
        with open(ini, "w") as f:
            f.write(node_ini(d.lab, h, nid, data))
        env = dict(d.hook_env(h))
        log = open(os.path.join(d.dir, "%s.log" % h), "wb")
        nodes[h] = d.lab.popen(h, [HAMD, "--config", ini], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
        d.procs.append(nodes[h])
    alive = list(NODES)

    def settled():
        p = publisher(d, alive)
        return p if p and d.query() == [d.lab.ip(p)] else None
    first = wait_for(settled, FAILOVER_S, "the name on the publisher's address")
    nodes[first].send_signal(signal.SIGKILL)
    nodes[first].wait()
    alive.remove(first)
    second = wait_for(settled, FAILOVER_S, "the name on the new publisher's address")
    check(second != first, "the publisher did not change")

    def logged():
        # The hook logs once nsupdate returned, after the name changed.
        with open(os.path.join(d.dir, "%s.log" % second)) as f:
            log = f.read()
        return ("dns-update: node %d term " % (NODES.index(second) + 1) in log
                and "%s A %s" % (NAME, d.lab.ip(second)) in log)
    wait_for(logged, 10, "the hook's log line in %s's log" % second)
    return second


def check_refusals(d, owner):
    want = [d.lab.ip(owner)]
    r = d.run_hook("n3", HAMD_DNS_KEY_FILE=os.path.join(d.dir, "wrong.key"),
                   HAMD_NODE="3", HAMD_TERM="9")
    check(r.returncode == 1 and "update refused or failed" in r.stderr,
          "wrong key -> %d %r" % (r.returncode, r.stderr))
    check(d.query() == want, "a refused update changed the name: %r" % d.query())
    r = d.run_hook("n3", HAMD_ROLE="follower")
    check(r.returncode == 0 and d.query() == want, "on_follower changed the name")
    r = d.run_hook("n3", HAMD_DNS_ADDRESS="10.77.0.999")
    check(r.returncode == 2 and "HAMD_DNS_ADDRESS" in r.stderr,
          "bad address -> %d %r" % (r.returncode, r.stderr))
    r = d.run_hook("n3", HAMD_DNS_KEY_FILE=os.path.join(d.dir, "no-such.key"))
    check(r.returncode == 2 and d.query() == want, "missing key file -> %d" % r.returncode)
    # The right key from another host moves it: the hook, not hamd, decides.
    r = d.run_hook("n3", HAMD_ROLE="leader")
    check(r.returncode == 0 and d.query() == [d.lab.ip("n3")],
          "n3's update -> %d %r, name %r" % (r.returncode, r.stderr, d.query()))


def test_dns_update_against_bind():
    d = DnsLab()
    t0 = time.monotonic()
    try:
        d.start_named()
        owner = check_name_follows_the_leader(d)
        check_refusals(d, owner)
    finally:
        d.down()
    opstest.log("lab, named, 3 nodes, a failover: %.1f s" % (time.monotonic() - t0))


if __name__ == "__main__":
    opstest.run([test_dns_update_against_bind])
