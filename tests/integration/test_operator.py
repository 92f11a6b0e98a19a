"""Operator control of failover through hactl, on a 3-node cluster.

failover --to moves exactly the contracts asked for (and a dry run moves
nothing) and pins them on every node, followers included; failback
--dry-run shows the plan without acting; failback moves them back and
clears the pins; pause holds automatic failover while health is still watched,
resume lets it act; stop/start of an account, which is no relaunch for
`restarts` to count (HamdGatewayRestarts); every step is an event, and
bad requests are refused with the field named. The failover a stop causes
lasts from the stop on, not from when the source became HEALTHY. A prefix
that matches no subscribed contract (a typo) is a 404 naming it, hactl
exit 4, dry run or not, and nothing moves.
"""
import json
import time

from hamdtest import (Cluster, Subscriber, check, check_exactly_once,
                      node_status, publishing_node, run, sim_account,
                      sources_since, wait_for, wait_one_publisher,
                      wait_ready_to_fail_over, wait_settled)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE"]
EXTRA_INI = """
[health]
check_interval_ms = 50
[failover]
revert_after_s = 0
quarantine_s = 1
# Leadership stays where the test puts it: a source failing on the
# leader alone would otherwise move it to a follower whose copy of the
# source is healthy (test_data_follows tests that).
[cluster]
source_transfer_after_ms = 0
"""


def hactl_json(c, *args, idx=0):
    r = c.hactl("--json", *args, idx=idx)
    return json.loads(r.stdout)


def pins_everywhere(c, pinned):
    """Waits until every node's status lists exactly these pins, and at
    least one of them is a follower."""
    leader = publishing_node(c)
    followers = [i for i in range(len(c.nodes)) if i != leader]
    check(leader is not None and followers, "no leader or no follower")
    for i in range(len(c.nodes)):
        wait_for(lambda i=i: (node_status(c, i) or {}).get("pinned") == pinned,
                 10, "pins %r on node %d (leader: node %d)" % (pinned, i + 1,
                                                               leader + 1))


def test_operator_commands():
    accounts = [sim_account("sim_1", 1, ["SHFE", "DCE"], rate=40),
                sim_account("sim_2", 2, ["SHFE", "DCE"], rate=40)]
    c = Cluster(3, accounts, SYMBOLS, extra_ini=EXTRA_INI, name="oper").start()
    try:
        sub = Subscriber(c.publish_endpoints())
        wait_ready_to_fail_over(c, sub, SYMBOLS, "sim_1", "sim_2")

        plan = hactl_json(c, "failover", "--to", "sim_2", "rb2601", "--dry-run")
        check(plan["dry_run"] and plan["contracts_moved"] == 1, "dry run %r" % plan)
        sub.pump(1.0)
        check(sources_since(sub, time.monotonic() - 0.5).get("rb2601.SHFE") == {"sim_1"},
              "a dry run moved a contract")

        c.hactl("failover", "--to", "sim_2", "rb2601", "cu2601", idx=1)  # via a follower
        wait_settled(sub, {"rb2601.SHFE": "sim_2", "cu2601.SHFE": "sim_2",
                      "i2601.DCE": "sim_1"}, "two contracts on sim_2")
        # The pins are replicated: the followers report them too, so a new
        # leader would keep the contracts where the operator put them.
        pins_everywhere(c, ["cu2601.SHFE", "rb2601.SHFE"])
        out = c.hactl("status").stdout
        check("failover: automatic" in out and
              "pinned:   2 contracts" in out and "cu2601.SHFE rb2601.SHFE" in out,
              "status does not show the pins:\n%s" % out)

        plan = hactl_json(c, "failback", "--dry-run")
        moved = {vt for g in plan["groups"] for vt in g["contracts"]}
        check(moved == {"rb2601.SHFE", "cu2601.SHFE"}, "failback plan %r" % plan)
        sub.pump(1.0)
        check(sources_since(sub, time.monotonic() - 0.5).get("rb2601.SHFE") == {"sim_2"},
              "a failback dry run moved a contract")

        c.hactl("failback")
        wait_settled(sub, {vt: "sim_1" for vt in SYMBOLS}, "failback to sim_1")
        pins_everywhere(c, [])
        check("pinned:" not in c.hactl("status").stdout, "pins left in status")

        # Paused: the failing source keeps its contracts; resumed: they move.
        c.hactl("pause")
        out = c.hactl("status").stdout
        check("failover: PAUSED" in out, "status does not show the pause:\n%s" % out)
        c.hactl("stop", "sim_1")
        sub.pump(2.0)
        check(sources_since(sub, time.monotonic() - 1.0) == {}, "paused but moved: %r"
              % sources_since(sub, time.monotonic() - 1.0))
        c.hactl("resume")
        wait_settled(sub, {vt: "sim_2" for vt in SYMBOLS}, "resume moves to sim_2")
        c.hactl("start", "sim_1")
        wait_for(lambda: all(g["state"] == "HEALTHY" for n in
                             hactl_json(c, "status")["nodes"] if n.get("status")
                             for g in n["status"]["gateways"]), 20,
                 "sim_1 HEALTHY again everywhere")
        # Nothing crashed: a start after a stop launches the gateway anew.
        # Before, each stop and start counted as a relaunch, and three in
        # 15 minutes raised HamdGatewayRestarts ("keeps crashing").
        restarts = [g["restarts"] for n in hactl_json(c, "status")["nodes"]
                    for g in n["status"]["gateways"] if g["account"] == "sim_1"]
        check(restarts == [0, 0, 0], "sim_1 restarts after stop/start: %r" % restarts)
        c.hactl("failback")
        wait_settled(sub, {vt: "sim_1" for vt in SYMBOLS}, "back on sim_1", 30)

        kinds = [e["event_type"] for e in hactl_json(c, "events", "--limit", "200")["events"]]
        for k in ("failover_executed", "failback_executed", "failover_paused",
                  "failover_resumed"):
            check(k in kinds, "no %s event in %s" % (k, kinds))

        # A stopped source is never chosen; an unknown one is refused.
        r = c.hactl("failover", "--to", "nosuch", "--all", check_rc=False)
        check(r.returncode == 4 and "nosuch" in r.stderr, "unknown target: %d %s"
              % (r.returncode, r.stderr))
        code, body = c.api(0, "POST", "/api/failover", {"to": "sim_2", "bogus": 1})
        check(code == 400 and body.get("field") == "bogus", "%d %r" % (code, body))
        code, body = c.api(0, "POST", "/api/failover", {"to": "sim_2"})
        check(code == 400 and body.get("field") == "prefixes", "%d %r" % (code, body))

        # Through all of it, every sim tick once and in order.
        sims = {}
        for _, t in sub.ticks:
            sims.setdefault(t["vt_symbol"], []).append(t["extra"]["sim_seq"])
        check_exactly_once(sims)
        sub.close()
    finally:
        c.cleanup()


def test_stop_failover_duration_starts_at_the_stop():
    """hactl stop of the active source: the failover is planned before
    the monitor says STOPPED, and its failover_duration_ms counted from
    when the source became HEALTHY (seconds) instead of from the stop. It
    can be no longer than the wall time from the command to the event."""
    accounts = [sim_account("sim_1", 1, ["SHFE"], rate=40),
                sim_account("sim_2", 2, ["SHFE"], rate=40)]
    c = Cluster(0, accounts, ["rb2601.SHFE"], name="stopdur").start()
    try:
        wait_for(lambda: [g.get("state") for g in
                          (node_status(c, 0) or {}).get("gateways", [])]
                 == ["HEALTHY", "HEALTHY"], 20, "both sources HEALTHY")
        time.sleep(3)   # the source has been HEALTHY for seconds
        before = time.monotonic()
        c.hactl("stop", "sim_1")
        found = []

        def stop_failover():
            evs = hactl_json(c, "events", "--limit", "50")["events"]
            found[:] = [e for e in evs if e["event_type"] == "failover_executed"
                        and e.get("failed_gateway_id") == "sim_1"
                        and e.get("failover_duration_ms") is not None]
            return found
        wait_for(stop_failover, 20, "the stop's failover_executed event")
        took_ms = (time.monotonic() - before) * 1000
        got = found[0]["failover_duration_ms"]
        check(got <= took_ms + 1, "failover_duration_ms %d, but the stop was "
              "%.0f ms ago" % (got, took_ms))
    finally:
        c.cleanup()


# Requests whose prefixes "zz" (and "yy") match no subscribed contract:
# before, each moved nothing (or only rb2601) and exited 0.
TYPOS = (("failover", "--to", "sim_2", "--force", "zz"),
         ("failover", "--to", "sim_2", "--force", "zz", "--dry-run"),
         ("failover", "--to", "sim_2", "--force", "rb2601", "zz", "yy"),
         ("failback", "zz"),
         ("failback", "zz", "--dry-run"))


def test_unmatched_prefix_refused():
    accounts = [sim_account("sim_1", 1, ["SHFE"]),
                sim_account("sim_2", 2, ["SHFE"])]
    c = Cluster(0, accounts, ["rb2601.SHFE", "cu2601.SHFE"],
                name="typo").start()
    try:
        wait_one_publisher(c)
        for args in TYPOS:
            r = c.hactl(*args, check_rc=False)
            check(r.returncode == 4 and
                  "no subscribed contract matches zz" in r.stderr and
                  "rb2601" not in r.stderr and "(field prefixes)" in r.stderr,
                  "hactl %s: exit %d, %r" % (" ".join(args), r.returncode,
                                             r.stderr))
        code, body = c.api(0, "POST", "/api/failover",
                           {"to": "sim_2", "prefixes": ["zz"], "force": True,
                            "dry_run": True})
        check(code == 404 and body.get("field") == "prefixes" and
              "zz" in body.get("error", ""), "%d %r" % (code, body))
        check(not (node_status(c, 0) or {}).get("pinned"),
              "a refused failover pinned %r" % node_status(c, 0).get("pinned"))
        # What matches still goes.
        r = c.hactl("--json", "failover", "--to", "sim_2", "--force", "rb2601",
                    "--dry-run")
        check(json.loads(r.stdout)["dry_run"], "dry run: %r" % r.stdout)
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_operator_commands, test_stop_failover_duration_starts_at_the_stop,
         test_unmatched_prefix_refused])
