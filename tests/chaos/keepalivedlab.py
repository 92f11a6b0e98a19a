"""keepalived in the chaos lab: the shipped deploy/keepalived/keepalived.conf,
changed only where a lab host must differ from the documented host, run
inside one node's host namespace.

`lab_config` is the whole transformation, one setting at a time; each must
match exactly once in the shipped file, so a reworded shipped file fails
loudly here instead of being tested half-changed. Everything it does not
name (vrrp_version 3, advert_int, nopreempt, priority, init_fail, weight 0,
interval/timeout/fall/rise, the garp settings, enable_script_security)
reaches keepalived as shipped: the scenarios prove the shipped settings.

`Keepalived` runs one daemon in the foreground with its own config, pid
files and log in the round's temp dir: several run on one machine (one per
full node) without sharing a file. Only the VRRP subsystem runs (-P): the
shipped file has no health checker.
"""
import os
import re
import signal
import subprocess
import threading
import time

from netlab import LabError

KEEPALIVED_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin")
CONFIG_TEST_TIMEOUT_S = 10   # keepalived -t on a small file
STOP_TIMEOUT_S = 5           # SIGTERM to exit: it drops its VIP first
INSTALL_HINT = "keepalived is not installed (Debian package keepalived)"


def binary():
    """Path of the keepalived program, or None when it is not installed."""
    for d in KEEPALIVED_DIRS:
        path = os.path.join(d, "keepalived")
        if os.access(path, os.X_OK):
            return path
    return None


def _sub(text, pattern, repl, what):
    """text with the one match of pattern (multi-line mode) replaced;
    LabError when the shipped file has it zero or several times."""
    out, n = re.subn(pattern, repl, text, flags=re.M)
    if n != 1:
        raise LabError("deploy/keepalived/keepalived.conf: expected one %s, found %d;"
                       " update keepalivedlab.lab_config" % (what, n))
    return out


def lab_config(shipped, router_id, iface, src_ip, peers, vip_cidr, hook, settings,
               track_file):
    """The shipped config text for one lab host: its router_id, the lab
    interface, its unicast source and peer addresses, the lab VIP
    ("a.b.c.d/len") on the lab interface, the check run as `HOOK check
    SETTINGS` (keepalived-track with the node's settings file: keepalived
    gives a script no environment), the node's own track files (track_file
    the claim, "fresh" beside it: lab hosts share the machine's /run), and the script run as root (the lab runs
    as root and has no hamd user; the shipped `hamd` user is a production
    choice). enable_script_security stays: it accepts the hook only when
    no one but root can write to it or a directory above it (a sticky
    /tmp is fine), so the lab passes a copy in its own 0700 temp dir;
    should keepalived still disable the script, Keepalived.config_test
    fails on that."""
    t = shipped
    t = _sub(t, r"^(\s*router_id\s+)\S+\s*$", r"\g<1>" + router_id, "router_id")
    t = _sub(t, r"^(\s*script_user\s+)\S+\s*$", r"\g<1>root", "script_user")
    t = _sub(t, r'^(\s*script\s+")\S+/keepalived-track check("\s*)$',
             lambda m: m.group(1) + hook + " check " + settings + m.group(2),
             'script "/.../keepalived-track check"')
    # the claim, and "fresh" beside it (keepalived-track writes both)
    for name in ("publishing", "fresh"):
        path = os.path.join(os.path.dirname(track_file), name)
        t = _sub(t, r'^(\s*file\s+")/run/hamd-keepalived/%s("\s*)$' % name,
                 lambda m, p=path: m.group(1) + p + m.group(2),
                 'track_file\'s file "/run/hamd-keepalived/%s"' % name)
    t = _sub(t, r"^(\s*interface\s+)\S+\s*$", r"\g<1>" + iface, "interface")
    t = _sub(t, r"^(\s*unicast_src_ip\s+)\S+\s*$", r"\g<1>" + src_ip, "unicast_src_ip")
    t = _sub(t, r"^(\s*unicast_peer\s*\{\n)(?:\s*[\d.]+\s*\n)+(\s*\})",
             lambda m: m.group(1) + "".join("        %s\n" % p for p in peers) + m.group(2),
             "unicast_peer block")
    t = _sub(t, r"^(\s*virtual_ipaddress\s*\{\n\s*)\S+(\s+dev\s+)\S+(\s*\n\s*\})",
             lambda m: m.group(1) + vip_cidr + m.group(2) + iface + m.group(3),
             "virtual_ipaddress block with one address")
    return t


def _stamp_lines(pipe, path):
    """Copies pipe to the file at path line by line, each prefixed with
    the wall-clock time in ms (the node logs' clock), until the pipe ends."""
    with pipe, open(path, "ab") as out:
        for line in pipe:
            now = time.time()
            stamp = time.strftime("%H:%M:%S", time.gmtime(now)) + ".%03d " % (now % 1 * 1000)
            out.write(stamp.encode() + line)
            out.flush()


class Keepalived:
    """One keepalived daemon inside one lab host; files under workdir."""

    def __init__(self, lab, host, workdir, conf_text, env):
        self.lab = lab              # the netlab.Lab it runs in
        self.host = host            # lab host (namespace) it runs in
        self.env = env              # environment: no proxies, fixed PATH
        self.conf = os.path.join(workdir, "keepalived.conf")
        self.logfile = os.path.join(workdir, "keepalived.log")
        # Own pid files: with the defaults in /run, the second daemon on a
        # machine says "daemon is already running" and exits (tried with
        # 2.2.7), and a keepalived of the machine itself would be in the way.
        self.pidfiles = [os.path.join(workdir, "keepalived%s.pid" % s)
                         for s in ("", "-vrrp", "-checkers")]
        self.proc = None            # the Popen of the parent process
        with open(self.conf, "w") as f:
            f.write(conf_text)

    def argv(self):
        """The daemon's command line: in the foreground, logging to its
        stdout only (nothing to the machine's syslog), its own pid files."""
        return [binary(), "--use-file", self.conf, "--vrrp", "--dont-fork",
                "--log-console", "--log-detail", "--no-syslog",
                "--pid", self.pidfiles[0], "--vrrp_pid", self.pidfiles[1],
                "--checkers_pid", self.pidfiles[2]]

    def config_test(self):
        """keepalived -t inside the host: LabError on any complaint (an
        ignored setting, a script disabled as insecure), since keepalived
        runs on with what is left."""
        r = subprocess.run(self.lab.argv(self.host, [binary(), "--config-test",
                                                     "--use-file", self.conf]),
                           capture_output=True, text=True, env=self.env,
                           timeout=CONFIG_TEST_TIMEOUT_S)
        said = (r.stdout + r.stderr).strip()
        if "insecure" in said:
            said += (" (enable_script_security: the hook and every directory above it"
                     " must be root's and not writable by others; build elsewhere)")
        if r.returncode != 0 or said:
            raise LabError("keepalived -t %s -> %d: %s" % (self.conf, r.returncode, said))

    def start(self):
        """Checks the config, then starts the daemon; its output goes to
        logfile, each line prefixed with when it came to the millisecond
        (keepalived's own stamps have whole seconds, too coarse to see
        where a take-over's time went)."""
        self.config_test()
        self.proc = self.lab.popen(self.host, self.argv(), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, env=self.env)
        threading.Thread(target=_stamp_lines, args=(self.proc.stdout, self.logfile),
                         daemon=True).start()

    def alive(self):
        """True while the daemon's parent process runs."""
        return self.proc is not None and self.proc.poll() is None

    def terminate(self):
        """SIGTERM: it drops the VIP and tells its peers (priority 0)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def wait_stopped(self):
        """Waits for the exit terminate() asked for, SIGKILL after
        STOP_TIMEOUT_S; reaps it. Its VRRP child lives in the host
        namespace, which the lab clears in any case."""
        if self.proc is None:
            return
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
