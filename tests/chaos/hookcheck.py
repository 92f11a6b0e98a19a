"""The VIP hooks (deploy/hooks/vip-up, vip-down) on their own, in a lab
host: idempotent, meaningful exit codes, the ARP announcer started by
vip-up and stopped by vip-down, bad settings refused; and vip-down after a
crash keeping the VIP until another lab host takes it over."""
import os
import subprocess
import tempfile
import time

from labcluster import HOOKS_DIR, IFACE, VIP, VIP_PREFIXLEN, clean_env
from hamdtest import check, wait_for

HOOK_TIMEOUT_S = 10
ANNOUNCER_WAIT_S = 2.0
HANDOFF_LONG_MS = 30000   # a wait that must end early, when another host
#                           takes the VIP over (far beyond HOOK_TIMEOUT_S)
HANDOFF_SHORT_MS = 300    # a wait that must end at its limit
HANDOFF_HELD_S = 0.5      # the hook still waits, the VIP still here, after


def _hook_env(env):
    """A hook's environment as hamd gives it: a clean one plus HAMD_NODE
    and HAMD_TERM, then env."""
    e = clean_env({"HAMD_NODE": "1", "HAMD_TERM": "7"})
    e.update(env)
    return e


def _hook(lab, host, name, **env):
    """Runs a hook as hamd does (_hook_env), stderr to a file (the
    announcer it leaves running keeps the hook's stderr open, as it keeps
    hamd's log). Returns the CompletedProcess with stderr read back."""
    e = _hook_env(env)
    with tempfile.TemporaryFile() as err:
        r = subprocess.run(lab.argv(host, [os.path.join(HOOKS_DIR, name)]),
                           env=e, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                           timeout=HOOK_TIMEOUT_S)
        err.seek(0)
        r.stderr = err.read().decode("utf-8", "replace")
    return r


def _hook_start(lab, host, name, err, **env):
    """Starts a hook as _hook does, without waiting: stderr to err."""
    return subprocess.Popen(lab.argv(host, [os.path.join(HOOKS_DIR, name)]),
                            env=_hook_env(env), stdin=subprocess.DEVNULL,
                            stdout=err, stderr=err)


def _read(f):
    f.seek(0)
    return f.read().decode("utf-8", "replace")


def _announcers(lab, host):
    """pids of arping processes inside the host (zombies excluded)."""
    out = []
    for pid in lab.pids(host):
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() == "arping":
                    out.append(pid)
        except OSError:
            pass
    return out


def check_hooks(lab, host):
    """Raises Failure on the first broken promise of the hooks."""
    run_dir = tempfile.mkdtemp(prefix="hamdc-hooks-")
    conf = os.path.join(run_dir, "vip.conf")
    with open(conf, "w") as f:
        f.write("# test\nHAMD_VIP = \"%s\"\nexport HAMD_VIP_IFACE=%s\n"
                "HAMD_VIP_PREFIX=%d   # a comment\n" % (VIP, IFACE, VIP_PREFIXLEN))
    env = {"HAMD_VIP_CONF": conf, "HAMD_VIP_RUN_DIR": run_dir}
    try:
        check(VIP not in lab.addresses(host), "VIP already on %s before the test" % host)
        for attempt in (1, 2):
            r = _hook(lab, host, "vip-up", **env)
            check(r.returncode == 0, "vip-up #%d -> %d: %s" % (attempt, r.returncode, r.stderr))
            check(lab.addresses(host).count(VIP) == 1,
                  "after vip-up #%d: %s" % (attempt, lab.addresses(host)))
        check("node 1 term 7" in r.stderr, "vip-up does not log node and term: %r" % r.stderr)
        if any(os.access(os.path.join(d, "arping"), os.X_OK) for d in ("/usr/bin", "/usr/sbin")):
            wait_for(lambda: _announcers(lab, host), ANNOUNCER_WAIT_S, "the ARP announcer")
            check(len(_announcers(lab, host)) == 1,
                  "a second vip-up left two announcers: %s" % _announcers(lab, host))
        for attempt in (1, 2):
            r = _hook(lab, host, "vip-down", **env)
            check(r.returncode == 0, "vip-down #%d -> %d: %s" % (attempt, r.returncode, r.stderr))
            check(VIP not in lab.addresses(host), "after vip-down #%d: %s"
                  % (attempt, lab.addresses(host)))
        end = time.monotonic() + ANNOUNCER_WAIT_S
        while _announcers(lab, host) and time.monotonic() < end:
            time.sleep(0.05)
        check(not _announcers(lab, host), "vip-down left the ARP announcer running")
        # environment wins over the file
        r = _hook(lab, host, "vip-up", HAMD_VIP_PREFIX="32", **env)
        check(r.returncode == 0 and "%s/32" % VIP in r.stderr, "env override: %s" % r.stderr)
        check(_hook(lab, host, "vip-down", **env).returncode == 0, "vip-down after /32")
        check(VIP not in lab.addresses(host), "a /32 VIP survived vip-down")
        # bad settings: exit 2, a message naming the setting, nothing changed
        for bad, word in ((dict(HAMD_VIP="10.77.0.300"), "HAMD_VIP"),
                          (dict(HAMD_VIP_PREFIX="33"), "HAMD_VIP_PREFIX"),
                          (dict(HAMD_VIP_IFACE="nosuch0"), "nosuch0"),
                          (dict(HAMD_VIP_CONF=run_dir + "/absent.conf"), "absent.conf")):
            e = dict(env)
            e.update(bad)
            r = _hook(lab, host, "vip-up", **e)
            check(r.returncode == 2 and word in r.stderr,
                  "vip-up with %s -> %d: %s" % (bad, r.returncode, r.stderr.strip()))
        with open(conf, "a") as f:
            f.write("$(touch %s/pwned)\n" % run_dir)
        r = _hook(lab, host, "vip-up", **env)
        check(r.returncode == 2 and not os.path.exists(run_dir + "/pwned"),
              "a bad vip.conf line -> %d: %s" % (r.returncode, r.stderr.strip()))
        # No VIP on this host (a witness; DNS or keepalived in its place):
        # vip-down, which the unit runs after every stop, has nothing to
        # do and says so; vip-up still refuses.
        unset = os.path.join(run_dir, "novip.conf")
        with open(unset, "w") as f:
            f.write("# no VIP on this host\n")
        r = _hook(lab, host, "vip-down", HAMD_VIP_CONF=unset)
        check(r.returncode == 0 and "no VIP set" in r.stderr and
              "expected" not in r.stderr, "vip-down without a VIP -> %d: %s"
              % (r.returncode, r.stderr.strip()))
        r = _hook(lab, host, "vip-up", HAMD_VIP_CONF=unset)
        check(r.returncode == 2 and "HAMD_VIP" in r.stderr,
              "vip-up without a VIP -> %d: %s" % (r.returncode, r.stderr.strip()))
        r = _hook(lab, host, "vip-down", HAMD_VIP=VIP, HAMD_VIP_IFACE="nosuch0",
                  HAMD_VIP_RUN_DIR=run_dir)
        check(r.returncode == 0, "vip-down on an absent interface -> %d" % r.returncode)
        check(VIP not in lab.addresses(host), "VIP left behind")
    finally:
        lab.drop_extra_addresses(host)
        for name in os.listdir(run_dir):
            os.unlink(os.path.join(run_dir, name))
        os.rmdir(run_dir)


def check_handoff(lab, host, other):
    """vip-down after a crash (SERVICE_RESULT=signal, as systemd's
    ExecStopPost gets it) keeps the VIP until another host answers ARP for
    it, then removes it; at its limit when none does; at once after a
    clean stop. Raises Failure on the first broken promise."""
    run_dir = tempfile.mkdtemp(prefix="hamdc-handoff-")
    env = {"HAMD_VIP": VIP, "HAMD_VIP_IFACE": IFACE,
           "HAMD_VIP_PREFIX": str(VIP_PREFIXLEN), "HAMD_VIP_RUN_DIR": run_dir}
    vip_cidr = "%s/%d" % (VIP, VIP_PREFIXLEN)
    try:
        # a clean stop: removed at once, no waiting
        check(_hook(lab, host, "vip-up", **env).returncode == 0, "vip-up")
        r = _hook(lab, host, "vip-down", SERVICE_RESULT="success",
                  HAMD_VIP_HANDOFF_WAIT_MS=str(HANDOFF_LONG_MS), **env)
        check(r.returncode == 0 and "keeping" not in r.stderr and
              VIP not in lab.addresses(host),
              "vip-down after a clean stop -> %d: %s" % (r.returncode, r.stderr))
        # a crash, nobody takes over: kept, then removed at the limit
        check(_hook(lab, host, "vip-up", **env).returncode == 0, "vip-up")
        r = _hook(lab, host, "vip-down", SERVICE_RESULT="signal",
                  HAMD_VIP_HANDOFF_WAIT_MS=str(HANDOFF_SHORT_MS), **env)
        check(r.returncode == 0 and "no other host announced" in r.stderr and
              VIP not in lab.addresses(host),
              "vip-down after a crash, no successor -> %d: %s"
              % (r.returncode, r.stderr))
        # a crash, then the successor takes the VIP: removed after that
        check(_hook(lab, host, "vip-up", **env).returncode == 0, "vip-up")
        with tempfile.TemporaryFile() as err:
            p = _hook_start(lab, host, "vip-down", err, SERVICE_RESULT="signal",
                            HAMD_VIP_HANDOFF_WAIT_MS=str(HANDOFF_LONG_MS), **env)
            try:
                wait_for(lambda: "keeping" in _read(err), HOOK_TIMEOUT_S,
                         "vip-down saying it keeps the VIP")
                time.sleep(HANDOFF_HELD_S)
                check(p.poll() is None and VIP in lab.addresses(host),
                      "vip-down did not keep the VIP while nobody else had it: %s"
                      % _read(err))
                subprocess.run(lab.argv(other, ["ip", "addr", "add", vip_cidr,
                                                "dev", IFACE]), check=True)
                rc = p.wait(HOOK_TIMEOUT_S)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            said = _read(err)
        check(rc == 0 and "another host answers" in said and
              VIP not in lab.addresses(host),
              "vip-down once another host held the VIP -> %s: %s" % (rc, said))
        r = _hook(lab, host, "vip-down", SERVICE_RESULT="signal",
                  HAMD_VIP_HANDOFF_WAIT_MS="abc", **env)
        check(r.returncode == 2 and "HAMD_VIP_HANDOFF_WAIT_MS" in r.stderr,
              "a bad HAMD_VIP_HANDOFF_WAIT_MS -> %d: %s" % (r.returncode, r.stderr))
    finally:
        lab.drop_extra_addresses(host)
        lab.drop_extra_addresses(other)
        for name in os.listdir(run_dir):
            os.unlink(os.path.join(run_dir, name))
        os.rmdir(run_dir)
