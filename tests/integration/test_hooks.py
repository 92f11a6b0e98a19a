"""Role-change hooks on loopback (no root needed; the VIP itself is tested
by the chaos suite).

on_follower runs at start-up (to reconcile a VIP a restarted node may still
hold); on_leader runs on the node that starts publishing, with HAMD_NODE,
HAMD_TERM and HAMD_ROLE; when that node hands over (SIGTERM) its
on_follower runs and the successor's on_leader runs with a higher term. A
hook that overstays its timeout is killed and the node carries on; one
that fails runs again, with the same role and term, until it succeeds.
"""
import os
import stat
import time

from hamdtest import (Cluster, check, publishing_node, run, sim_account,
                      wait_for, wait_for_value)

SYMBOLS = ["rb2601.SHFE"]

HOOK = """#!/bin/sh
echo "$HAMD_ROLE node=$HAMD_NODE term=$HAMD_TERM" >> "%s/hooks-$HAMD_NODE.log"
%s
"""


def write_hook(path, log_dir, extra=""):
    with open(path, "w") as f:
        f.write(HOOK % (log_dir, extra))
    os.chmod(path, stat.S_IRWXU)


def hook_lines(c, node_id):
    try:
        with open(os.path.join(c.dir, "hooks-%d.log" % node_id)) as f:
            return [line.split() for line in f.read().splitlines()]
    except FileNotFoundError:
        return []


def test_hooks_follow_the_lease():
    c = Cluster(3, [sim_account("sim_a", 1, ["SHFE"])], SYMBOLS, name="hooks")
    up, down = os.path.join(c.dir, "up.sh"), os.path.join(c.dir, "down.sh")
    write_hook(up, c.dir)
    write_hook(down, c.dir)
    c.extra_ini = "[hooks]\non_leader = %s\non_follower = %s\ntimeout_ms = 2000\n" % (up, down)
    c.rewrite_configs().start()
    try:
        leader = wait_for_value(lambda: publishing_node(c), 20, "a publisher")
        lid = leader + 1
        for i in range(3):
            wait_for(lambda: hook_lines(c, i + 1), 10, "hooks of node %d" % (i + 1))
            check(hook_lines(c, i + 1)[0][0] == "follower",
                  "node %d: first hook %r, expected on_follower at start-up"
                  % (i + 1, hook_lines(c, i + 1)[0]))
        wait_for(lambda: any(l[0] == "leader" for l in hook_lines(c, lid)), 10,
                 "on_leader on node %d" % lid)
        lead = [l for l in hook_lines(c, lid) if l[0] == "leader"][-1]
        check(lead[1] == "node=%d" % lid and int(lead[2].split("=")[1]) >= 1,
              "on_leader env %r" % lead)
        for i in range(3):
            if i != leader:
                check(all(l[0] == "follower" for l in hook_lines(c, i + 1)),
                      "a follower ran on_leader: %r" % hook_lines(c, i + 1))
        old_term = int(lead[2].split("=")[1])
        c.stop(leader)
        check(hook_lines(c, lid)[-1][0] == "follower",
              "old leader's last hook %r" % hook_lines(c, lid)[-1])
        alive = [i for i in range(3) if i != leader]
        new = wait_for_value(lambda: publishing_node(c, alive), 15, "a new publisher")
        wait_for(lambda: any(l[0] == "leader" for l in hook_lines(c, new + 1)), 10,
                 "on_leader on the successor")
        new_lead = [l for l in hook_lines(c, new + 1) if l[0] == "leader"][-1]
        check(int(new_lead[2].split("=")[1]) > old_term, "term %r" % new_lead)
    finally:
        c.cleanup()


def test_a_hanging_hook_is_killed():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"])], SYMBOLS, name="hookhang")
    hang = os.path.join(c.dir, "hang.sh")
    write_hook(hang, c.dir, "sleep 60")
    c.extra_ini = "[hooks]\non_follower = %s\ntimeout_ms = 300\n" % hang
    c.rewrite_configs().start()
    try:
        wait_for(lambda: "ran longer than 300 ms: killing it" in c.log_text(0), 10,
                 "the hanging hook killed")
        check(c.nodes[0]["proc"].poll() is None, "hamd died with its hook")
        wait_for(lambda: publishing_node(c, [0]) is not None, 10, "publishing anyway")
    finally:
        c.cleanup()


# A failed role hook runs again after 1 s, then 2 s (src/control/hooks.c),
# with the same role and term, until it succeeds; then never again.
RETRY_DELAYS_MS = (1000, 2000)
AFTER_SUCCESS_S = 4.5   # past the next delay (4 s) had it not stopped


def hook_metrics(c):
    """hamd_role_hook_failures_total and hamd_role_hook_failing of node 1."""
    status, body = c.api(0, "GET", "/metrics")
    check(status == 200, "GET /metrics: %d" % status)
    text = body if isinstance(body, str) else body.decode()
    vals = dict(line.split() for line in text.splitlines()
                if line.startswith(("hamd_role_hook_failures_total ",
                                    "hamd_role_hook_failing ")))
    return int(vals["hamd_role_hook_failures_total"]), int(vals["hamd_role_hook_failing"])


def test_a_failed_hook_runs_again_until_it_succeeds():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"])], SYMBOLS, name="hookretry")
    up = os.path.join(c.dir, "up.sh")
    runs = os.path.join(c.dir, "up-runs")
    # fails on its first two runs (a busy host, a full disk), then works
    write_hook(up, c.dir, 'echo x >> "%s"; [ "$(wc -l < "%s")" -ge 3 ]' % (runs, runs))
    c.extra_ini = "[hooks]\non_leader = %s\ntimeout_ms = 2000\n" % up
    c.rewrite_configs().start()
    try:
        # between the second failure and the third run (a 2 s wait)
        wait_for(lambda: "running it again in 2000 ms" in c.log_text(0), 15,
                 "the second failure")
        failures, failing = hook_metrics(c)
        check(failures == 2 and failing == 1,
              "/metrics while failing: %d failed runs, failing %d" % (failures, failing))
        wait_for(lambda: len([l for l in hook_lines(c, 1) if l[0] == "leader"]) >= 3, 15,
                 "on_leader run three times")
        for ms in RETRY_DELAYS_MS:
            check("failed: running it again in %d ms (role leader, term 1)" % ms
                  in c.log_text(0), "no retry after %d ms in the log" % ms)
        wait_for(lambda: hook_metrics(c) == (2, 0), 10,
                 "/metrics: 2 failed runs, none failing any more")
        time.sleep(AFTER_SUCCESS_S)
        leads = [l for l in hook_lines(c, 1) if l[0] == "leader"]
        check(len(leads) == 3, "on_leader ran %d times, want 3" % len(leads))
        check(all(l[2] == "term=1" for l in leads), "terms %r" % leads)
        check("running it again in 4000 ms" not in c.log_text(0), "retried after success")
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_hooks_follow_the_lease, test_a_hanging_hook_is_killed,
         test_a_failed_hook_runs_again_until_it_succeeds])
