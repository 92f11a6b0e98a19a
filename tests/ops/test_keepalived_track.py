"""deploy/hooks/keepalived-track, the role hook and ExecStopPost of a
keepalived setup (deploy/keepalived/README.md), run as hamd and systemd
run it, with a fake hactl that records its calls:

- as on_leader it writes "1", as on_follower "0", by a rename (no
  temporary file left, the file never half-written); as on_leader it
  first writes "1" to "fresh" beside it (the new publisher's priority
  bonus), and every "0" clears that; as on_follower
  where it wrote "1" it first waits until another node publishes, and
  keeps the "1" if this node publishes again meanwhile;
- after a clean stop it writes "0" at once, without asking the cluster;
- after a crash of a node that published it keeps the "1" while
  `hactl is-leader --other` says no other node publishes, and writes "0"
  once one does, or at the wait's limit, or when hactl cannot answer the
  question (an older hactl); a node that did not publish is not kept;
- bad settings stop it with exit 2 and leave the file alone;
- as keepalived's check it passes while the file does not say "1", or
  says it and hamd here publishes, and fails with hactl's status if not;
  and it clears "fresh" once that is older than HAMD_TRACK_FRESH_MS;
- the shipped keepalived.conf, tmpfiles.d entry, hook and systemd drop-in
  name the same file, and the drop-in replaces vip-down and stops hamd
  before keepalived.

No root needed: the hook only writes a file and runs hactl.
"""
import configparser
import os
import re
import shutil
import subprocess
import tempfile
import time

import opstest
from opstest import SOURCE
from hamdtest import check

HOOK = os.path.join(SOURCE, "deploy", "hooks", "keepalived-track")
KEEPALIVED_DIR = os.path.join(SOURCE, "deploy", "keepalived")
TMPFILES = os.path.join(SOURCE, "deploy", "systemd", "hamd.tmpfiles")
SHIPPED_FILE = "/run/hamd-keepalived/publishing"
SHIPPED_FRESH = "/run/hamd-keepalived/fresh"
RUN_TIMEOUT_S = 10

# A fake hactl: appends its arguments and the tracked file's content at
# the call to calls, then exits with the next status of statuses-other
# (is-leader --other) or statuses-self (is-leader), one a line, the last
# one repeating; for "hang" it never answers.
HANG_S = 60
FAKE_HACTL = r"""#!/bin/bash
kind=self; [[ " $* " == *" --other "* ]] && kind=other
n=$(grep -c -- "$kind$" "$FAKE_DIR/calls" 2>/dev/null)
printf '%s|%s|%s\n' "$*" "$(cat "$FAKE_DIR/publishing")" "$kind" >>"$FAKE_DIR/calls"
mapfile -t st <"$FAKE_DIR/statuses-$kind"
i=$(( n < ${#st[@]} ? n : ${#st[@]} - 1 ))
[ "${st[$i]}" = hang ] && exec sleep @HANG_S@
exit "${st[$i]}"
""".replace("@HANG_S@", str(HANG_S))


class Box:
    """A scratch dir with the tracked file, the fake hactl and its logs."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hamd-katrack-")
        self.file = os.path.join(self.dir, "publishing")
        self.fresh_file = os.path.join(self.dir, "fresh")
        self.hactl = os.path.join(self.dir, "hactl")
        with open(self.hactl, "w") as f:
            f.write(FAKE_HACTL)
        os.chmod(self.hactl, 0o755)
        self.statuses([1])
        self.statuses([1], kind="self")

    def statuses(self, codes, kind="other"):
        with open(os.path.join(self.dir, "statuses-" + kind), "w") as f:
            f.write("".join("%s\n" % c for c in codes))

    def set(self, value):
        with open(self.file, "w") as f:
            f.write(value)

    def value(self):
        with open(self.file) as f:
            return f.read()

    def set_fresh(self, value, age_s=0.0):
        """Writes "fresh" as if age_s ago."""
        with open(self.fresh_file, "w") as f:
            f.write(value)
        then = time.time() - age_s
        os.utime(self.fresh_file, (then, then))

    def fresh(self):
        """What "fresh" says, None without the file."""
        try:
            with open(self.fresh_file) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def calls(self, kind="other"):
        """[args, the file's value then] of each call of that kind."""
        try:
            with open(os.path.join(self.dir, "calls")) as f:
                rows = [line.rstrip("\n").split("|") for line in f]
        except FileNotFoundError:
            return []
        return [r[:2] for r in rows if r[2] == kind]

    def run(self, **env):
        """The hook with this box's settings plus env; (exit, stderr)."""
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "FAKE_DIR": self.dir,
             "HAMD_TRACK_CONF": os.path.join(self.dir, "none.conf"),
             "HAMD_TRACK_FILE": self.file, "HAMD_TRACK_HACTL": self.hactl,
             "HAMD_TRACK_CONFIG": "/x/node1.ini"}
        e.update({k: str(v) for k, v in env.items()})
        if not os.path.exists(e["HAMD_TRACK_CONF"]):
            open(e["HAMD_TRACK_CONF"], "w").close()
        r = subprocess.run([HOOK], env=e, capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S)
        return r.returncode, r.stderr

    def check_run(self, extra=""):
        """keepalived's vrrp_script: `keepalived-track check SETTINGS`, with
        no environment of hamd's, the settings file naming this box's
        files plus the lines of extra; (exit, stdout + stderr)."""
        conf = os.path.join(self.dir, "track.conf")
        with open(conf, "w") as f:
            f.write("HAMD_TRACK_FILE=%s\nHAMD_TRACK_HACTL=%s\nHAMD_TRACK_CONFIG=/x/n2.ini\n%s"
                    % (self.file, self.hactl, extra))
        r = subprocess.run([HOOK, "check", conf], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "FAKE_DIR": self.dir},
                           timeout=RUN_TIMEOUT_S)
        return r.returncode, r.stdout + r.stderr

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def with_box(fn):
    def test():
        box = Box()
        try:
            fn(box)
        finally:
            box.close()
    test.__name__ = fn.__name__
    return test


@with_box
def test_roles_write_the_file(box):
    box.set("0\n")
    before = os.stat(box.file).st_ino
    rc, err = box.run(HAMD_ROLE="leader", HAMD_NODE=2, HAMD_TERM=7)
    # a rename: a new inode (written in place, keepalived could read it
    # empty between the truncation and the write: FAULT on the leader)
    check(os.stat(box.file).st_ino != before, "the file was written in place")
    check(rc == 0 and box.value() == "1\n", "leader -> %d %r: %s" % (rc, box.value(), err))
    check("keepalived-track: node 2 term 7: %s = 1" % box.file in err, err)
    # the bonus first: keepalived leaves FAULT with it counted
    check(box.fresh() == "1\n", "a new publisher's fresh: %r" % box.fresh())
    check(err.find("%s = 1" % box.fresh_file) < err.find("%s = 1" % box.file),
          "fresh written after the claim: %s" % err)
    check(not box.calls() and not box.calls("self"), "on_leader asked the cluster")
    box.statuses([0])  # the successor publishes
    rc, err = box.run(HAMD_ROLE="follower", HAMD_NODE=2, HAMD_TERM=8)
    check(rc == 0 and box.value() == "0\n", "follower -> %d %r: %s" % (rc, box.value(), err))
    check([c[1] for c in box.calls()] == ["1"], "on_follower asked %s" % box.calls())
    check(box.fresh() == "0\n", "a follower kept its bonus: %r" % box.fresh())
    check(sorted(os.listdir(box.dir)) == ["calls", "fresh", "hactl", "none.conf",
                                          "publishing", "statuses-other",
                                          "statuses-self"],
          "left behind: %s" % os.listdir(box.dir))
    # a follower already: nothing to hand over, nothing asked
    rc, err = box.run(HAMD_ROLE="follower", HAMD_NODE=2, HAMD_TERM=9)
    check(rc == 0 and box.value() == "0\n" and len(box.calls()) == 1,
          "a follower's on_follower waited: %s %s" % (box.calls(), err))


@with_box
def test_lost_lease_keeps_the_claim_until_another_node_publishes(box):
    box.set("1\n")
    box.statuses([1, 3, 0])  # no, no answer, then yes
    rc, err = box.run(HAMD_ROLE="follower", HAMD_NODE=1, HAMD_TERM=4)
    calls = box.calls()
    check(rc == 0 and box.value() == "0\n", "-> %d %r: %s" % (rc, box.value(), err))
    check(len(calls) == 3 and all(c[1] == "1" for c in calls),
          "the claim was dropped while waiting: %s" % calls)
    check(len(box.calls("self")) == 2, "asked about itself %s" % box.calls("self"))
    check("another node publishes after" in err, err)


@with_box
def test_lost_lease_regained_keeps_the_claim(box):
    box.set("1\n")
    box.set_fresh("1\n")
    box.statuses([1])
    box.statuses([1, 0], kind="self")  # this node publishes again
    rc, err = box.run(HAMD_ROLE="follower", HAMD_NODE=1, HAMD_TERM=5)
    check(rc == 0 and box.value() == "1\n", "-> %d %r: %s" % (rc, box.value(), err))
    check(box.fresh() == "1\n", "the bonus was dropped with the claim kept")
    check("this node publishes again" in err and "keeping the claim" in err, err)


@with_box
def test_clean_stop_lets_go_at_once(box):
    box.set("1\n")
    box.set_fresh("1\n")
    rc, err = box.run(SERVICE_RESULT="success")
    check(rc == 0 and box.value() == "0\n", "clean stop -> %d %r: %s" % (rc, box.value(), err))
    check(box.fresh() == "0\n", "a stopped hamd kept its bonus: %r" % box.fresh())
    check(not box.calls(), "a clean stop waited for another node: %s" % box.calls())
    check("after hamd stopped (success)" in err, err)


@with_box
def test_crash_keeps_the_claim_until_another_node_publishes(box):
    box.set("1\n")
    box.statuses([3, 1, 1, 0])  # no answer, then no, no, then yes
    rc, err = box.run(SERVICE_RESULT="signal")
    calls = box.calls()
    check(rc == 0 and box.value() == "0\n", "crash -> %d %r: %s" % (rc, box.value(), err))
    check(len(calls) == 4, "hactl called %d times, want 4: %s" % (len(calls), calls))
    check(all(c[1] == "1" for c in calls), "the claim was dropped while waiting: %s" % calls)
    check(calls[0][0] == "--timeout 200 -c /x/node1.ini is-leader --other",
          "hactl called as %r" % calls[0][0])
    check(not box.calls("self"), "a crashed node asked about itself")
    check("another node publishes after" in err, err)


@with_box
def test_crash_waits_at_most_the_limit(box):
    box.set("1\n")
    box.statuses([1])
    rc, err = box.run(SERVICE_RESULT="signal", HAMD_TRACK_HANDOFF_WAIT_MS=150)
    check(rc == 0 and box.value() == "0\n", "-> %d %r: %s" % (rc, box.value(), err))
    check(len(box.calls()) >= 2, "asked only %d times" % len(box.calls()))
    check("no other node published within 150 ms" in err, err)


@with_box
def test_crash_without_an_answer_to_the_question(box):
    box.set("1\n")
    box.statuses([2])  # an hactl without --other: a usage error
    rc, err = box.run(SERVICE_RESULT="core-dump")
    check(rc == 0 and box.value() == "0\n", "-> %d %r: %s" % (rc, box.value(), err))
    check(len(box.calls()) == 1 and "not waiting any longer" in err, err)


@with_box
def test_crash_with_a_hung_hactl_keeps_the_limit(box):
    # An hactl that never returns (past its own --timeout) is killed and
    # counts as no answer: the wait ends at its limit, not when systemd
    # kills ExecStopPost with the "1" still in the file.
    box.set("1\n")
    box.statuses(["hang"])
    rc, err = box.run(SERVICE_RESULT="signal", HAMD_TRACK_HANDOFF_WAIT_MS=100)
    check(rc == 0 and box.value() == "0\n", "-> %d %r: %s" % (rc, box.value(), err))
    check(len(box.calls()) >= 1, "hactl not asked: %s" % err)
    check("no other node published within 100 ms" in err, err)


@with_box
def test_crash_without_the_file(box):
    # No file (removed, or never written): this node did not publish, so
    # nothing to wait for, and no shell error in the journal.
    rc, err = box.run(SERVICE_RESULT="signal")
    check(rc == 0 and box.value() == "0\n" and not box.calls(),
          "-> %d %r, calls %s: %s" % (rc, box.value(), box.calls(), err))
    check("No such file" not in err, "a shell error in the log: %s" % err)


@with_box
def test_crash_of_a_follower_or_no_wait(box):
    box.set("0\n")
    rc, err = box.run(SERVICE_RESULT="signal")
    check(rc == 0 and box.value() == "0\n" and not box.calls(),
          "a follower's crash waited: %s %s" % (box.calls(), err))
    box.set("1\n")
    rc, err = box.run(SERVICE_RESULT="signal", HAMD_TRACK_HANDOFF_WAIT_MS=0)
    check(rc == 0 and box.value() == "0\n" and not box.calls(),
          "HAMD_TRACK_HANDOFF_WAIT_MS=0 waited: %s %s" % (box.calls(), err))


@with_box
def test_bad_settings_change_nothing(box):
    box.set("1\n")
    for env, said in (({"HAMD_TRACK_HANDOFF_WAIT_MS": "2s"}, "HAMD_TRACK_HANDOFF_WAIT_MS"),
                      ({"HAMD_TRACK_HANDOFF_WAIT_MS": "60001"}, "0..60000"),
                      ({"HAMD_TRACK_FRESH_MS": "3s"}, "HAMD_TRACK_FRESH_MS"),
                      ({"HAMD_ROLE": "candidate"}, "HAMD_ROLE"),
                      ({"HAMD_TRACK_FILE": "/nonexistent-dir/publishing"}, "does not exist")):
        rc, err = box.run(**dict(env, HAMD_ROLE=env.get("HAMD_ROLE", "follower")))
        check(rc == 2 and said in err, "%s -> %d: %s" % (env, rc, err))
        check(box.value() == "1\n", "%s changed the file" % env)
    conf = os.path.join(box.dir, "bad.conf")
    with open(conf, "w") as f:
        f.write("HAMD_TRACK_FILE=/tmp/x\nHAMD_VIP=10.0.0.1\n")
    rc, err = box.run(HAMD_ROLE="follower", HAMD_TRACK_CONF=conf)
    check(rc == 2 and "bad.conf:2: unknown key HAMD_VIP" in err, "-> %d: %s" % (rc, err))


@with_box
def test_check_passes_while_the_claim_is_true(box):
    """keepalived's vrrp_script (Box.check_run)."""
    check_run = box.check_run
    box.set("0\n")  # a follower: true without asking
    check(check_run() == (0, ""), "follower: %s" % (check_run(),))
    check(not box.calls("self"), "a follower's check asked hamd")
    box.set("1\n")
    for status, want in ((0, 0), (1, 1), (3, 3)):  # publishes, does not, hung
        box.statuses([status], kind="self")
        rc, said = check_run()
        check(rc == want and said == "", "claim with hamd saying %d -> %d %r"
              % (status, rc, said))
    check(box.calls("self")[0][0] == "--timeout 300 -c /x/n2.ini is-leader",
          "check asked %r" % box.calls("self")[0][0])
    check(not box.calls(), "check asked about other nodes")
    os.remove(box.file)  # no file: no claim
    check(check_run()[0] == 0, "check without a file failed")


@with_box
def test_bonus_only_while_fresh(box):
    """The check clears "fresh" once it is HAMD_TRACK_FRESH_MS old, and
    not before; HAMD_TRACK_FRESH_MS=0 gives no bonus at all."""
    def check_run():
        return box.check_run("HAMD_TRACK_FRESH_MS=2000\n")

    box.set("1\n")
    box.statuses([0], kind="self")  # hamd here publishes
    box.set_fresh("1\n", age_s=0.5)
    check(check_run() == (0, "") and box.fresh() == "1\n",
          "a 0.5 s old bonus was cleared: %r" % box.fresh())
    box.set_fresh("1\n", age_s=2.5)
    check(check_run() == (0, "") and box.fresh() == "0\n",
          "a 2.5 s old bonus was kept: %r" % box.fresh())
    box.set_fresh("1\n", age_s=2.5)
    box.statuses([3], kind="self")  # hung: the check fails all the same
    check(check_run()[0] == 3 and box.fresh() == "0\n", "hung: %r" % box.fresh())
    os.remove(box.fresh_file)  # no file: nothing to clear, no error
    check(check_run() == (3, "") and box.fresh() is None, "without fresh")
    box.set("0\n")
    rc, err = box.run(HAMD_ROLE="leader", HAMD_TRACK_FRESH_MS=0)
    check(rc == 0 and box.value() == "1\n" and box.fresh() is None,
          "HAMD_TRACK_FRESH_MS=0 -> %d %r %r: %s" % (rc, box.value(), box.fresh(), err))


def test_shipped_files_agree():
    with open(os.path.join(KEEPALIVED_DIR, "keepalived.conf")) as f:
        conf = f.read()
    check(re.search(r'^\s*script\s+"/usr/lib/hamd/hooks/keepalived-track check"\s*$',
                    conf, re.M), "keepalived.conf's check is not keepalived-track check")
    tracked = re.findall(r'^\s*file\s+"([^"]+)"', conf, re.M)
    check(tracked == [SHIPPED_FILE, SHIPPED_FRESH], "keepalived.conf tracks %s" % tracked)
    weights = re.findall(r"^\s*weight\s+(-?\d+)( reverse)?\s*$", conf, re.M)
    check(weights == [("0", " reverse"), ("4", ""), ("-4", "")],
          "the claim must fail the instance on anything but a non-zero value, fresh"
          " add 4, the check take 4: %s" % weights)
    prio = int(re.search(r"^\s*priority\s+(\d+)\s*$", conf, re.M).group(1))
    check(prio + 4 <= 254, "priority %d + the bonus is above a non-owner's 254" % prio)
    check(os.path.dirname(SHIPPED_FRESH) == os.path.dirname(SHIPPED_FILE),
          "the hook writes fresh beside the claim")
    with open(HOOK) as f:
        check("HAMD_TRACK_FILE:-%s}" % SHIPPED_FILE in f.read(), "the hook's default file")
    with open(TMPFILES) as f:
        lines = [line.split() for line in f if line.strip() and not line.startswith("#")]
    check(["d", os.path.dirname(SHIPPED_FILE), "0750", "hamd", "hamd", "-"] in lines,
          "tmpfiles: %s" % lines)
    check(["f", SHIPPED_FILE, "0644", "hamd", "hamd", "-", "0"] in lines, "tmpfiles: %s" % lines)
    check(["f", SHIPPED_FRESH, "0644", "hamd", "hamd", "-", "0"] in lines, "tmpfiles: %s" % lines)
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    # ExecStopPost= appears twice (reset, then set): keep the last value.
    unit.read(os.path.join(KEEPALIVED_DIR, "hamd-keepalived.conf"))
    svc = unit["Service"]
    check(svc.get("ExecStopPost") == "-/usr/lib/hamd/hooks/keepalived-track",
          "drop-in ExecStopPost=%r" % svc.get("ExecStopPost"))
    check(os.path.dirname(SHIPPED_FILE) != "/run/hamd",
          "the track file in hamd.service's RuntimeDirectory: removed at every stop,"
          " which ends keepalived's watch")
    check(unit.has_section("Unit") and unit["Unit"].get("After") == "keepalived.service",
          "the drop-in must stop hamd before keepalived (a reboot of the leader's host)")


if __name__ == "__main__":
    opstest.run([test_roles_write_the_file,
                 test_lost_lease_keeps_the_claim_until_another_node_publishes,
                 test_lost_lease_regained_keeps_the_claim, test_clean_stop_lets_go_at_once,
                 test_crash_keeps_the_claim_until_another_node_publishes,
                 test_crash_waits_at_most_the_limit,
                 test_crash_without_an_answer_to_the_question,
                 test_crash_with_a_hung_hactl_keeps_the_limit, test_crash_without_the_file,
                 test_crash_of_a_follower_or_no_wait, test_bad_settings_change_nothing,
                 test_check_passes_while_the_claim_is_true, test_bonus_only_while_fresh,
                 test_shipped_files_agree])
