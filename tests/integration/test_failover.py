"""Source failover on a 3-node cluster with three hot simulated accounts.

For each fault of hamd-gw-sim (crash, stall, disconnect, garbage, slow) on
the active source, on every node's copy of it (the source fails for the
whole cluster: a lease lapsing on a loaded host and another node taking
over cannot leave the fault behind on a node that no longer publishes):
contracts move to priority 2,
then to 3 when 2 fails too, and back to 1 only after revert_after. A
subscriber proves that across every switch each extra.sim_seq is delivered
exactly once and datetime never goes backwards. A crashed gateway is
restarted and becomes HEALTHY again. Events appear on every node and
survive a leader change.
"""
import json
import os
import time


from hamdtest import (Cluster, Subscriber, check, check_stream,
                      healthy_gateway, log, publishing_node, run, sim_account,
                      sim_control, wait_for, wait_for_value)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE"]
REVERT_S = 3
QUARANTINE_S = 6  # outlasts the cascade: a restarted sim_1 is no candidate

EXTRA_INI = """
[health]
check_interval_ms = 50
stale_ms = 300
latency_ms = 400
hb_timeout_ms = 1500

[failover]
restart_after_ms = 1500
revert_after_s = %d
quarantine_s = %d
replay_window_ms = 3000
# Leadership stays where the test puts it: a source failing on the
# leader alone would otherwise move it to a follower whose copy of the
# source is healthy (test_data_follows tests that).
[cluster]
source_transfer_after_ms = 0
""" % (REVERT_S, QUARANTINE_S)


def make(name):
    ctl = "ipc://%s/ctl-{pid}.sock"
    accounts = []
    c = Cluster(3, [], SYMBOLS, name=name)
    for i in (1, 2, 3):
        accounts.append(sim_account("sim_%d" % i, i, ["SHFE", "DCE"], rate=40,
                                    control=ctl % c.dir))
    # Rewrite the configs now that the accounts know the control dir.
    c.accounts = accounts
    c.extra_ini = EXTRA_INI
    return c.rewrite_configs().start()


def wait_leader(c, nodes=range(3), timeout=20):
    """Index of the publishing node (0 is a valid answer)."""
    return wait_for_value(lambda: publishing_node(c, nodes), timeout, "a publisher")


def inject(c, account, fault):
    """Sends 'fault NAME' to the sim of account on every node."""
    for i in range(3):
        reply = sim_control(c, i, account, "fault " + fault)
        check(reply.startswith("ok"), "fault %s on %s of node %d: %s"
              % (fault, account, i + 1, reply))


def healthy_on_publisher(c, account):
    """account's gateway on the publishing node when it is HEALTHY there."""
    i = publishing_node(c, range(3))
    return healthy_gateway(c, i, account) if i is not None else None


def sources_now(sub, since):
    return {t["gateway_name"] for r, t in sub.ticks if r >= since}


def wait_source(sub, account, timeout, what):
    t0 = time.monotonic()
    sub.pump_until(lambda: any(t["gateway_name"] == account for r, t in sub.ticks
                               if r >= t0), timeout, what)
    # and that the stream settled on it
    t1 = time.monotonic()
    sub.pump(0.5)
    check(sources_now(sub, t1 + 0.2) <= {account},
          "%s: still ticks from %s" % (what, sources_now(sub, t1 + 0.2)))


def run_fault(fault):
    c = make("fo-" + fault)
    try:
        wait_leader(c)
        sub = Subscriber(c.publish_endpoints())
        wait_source(sub, "sim_1", 20, "initial source sim_1")
        inject(c, "sim_1", fault)
        wait_source(sub, "sim_2", 15, "%s on sim_1 -> sim_2" % fault)
        inject(c, "sim_2", fault)
        wait_source(sub, "sim_3", 15, "%s on sim_2 -> sim_3" % fault)
        for acct in ("sim_1", "sim_2"):
            if fault != "crash":  # a crashed sim comes back clean by itself
                inject(c, acct, "none")
        g = wait_for(lambda: healthy_on_publisher(c, "sim_1"), 15,
                     "sim_1 HEALTHY again")
        # When the leader saw it recover: a gateway it relaunched by itself
        # may be HEALTHY well before this test noticed.
        t_healthy = time.monotonic() - g["state_age_ms"] / 1000.0
        # back to sim_1, and not before it stayed HEALTHY for revert_after
        wait_source(sub, "sim_1", 30, "failback to sim_1")
        first_back = min(r for r, t in sub.ticks
                         if r >= t_healthy and t["gateway_name"] == "sim_1")
        check(first_back - t_healthy >= REVERT_S - 0.3,
              "failback %.1fs after sim_1 recovered, revert_after is %ds"
              % (first_back - t_healthy, REVERT_S))
        check_stream(sub.ticks)
        if fault == "crash":
            for acct in ("sim_1", "sim_2"):
                g = wait_for(lambda: healthy_on_publisher(c, acct), 10,
                             "%s HEALTHY again" % acct)
                check(g["restarts"] >= 1, "%s restarts %r" % (acct, g["restarts"]))
        sub.close()
        return c, wait_leader(c)
    except Exception:
        c.cleanup(keep=bool(os.environ.get("HAMD_KEEP")))
        raise


def events_of(c, i):
    r = c.hactl("events", "--json", idx=i, check_rc=False)
    if r.returncode != 0:
        return []
    data = json.loads(r.stdout)
    return data["events"] if isinstance(data, dict) else data


def make_test(fault):
    def test():
        c, leader = run_fault(fault)
        try:
            if fault == "crash":
                for i in range(3):
                    kinds = {e["event_type"] for e in events_of(c, i)}
                    check("failover_executed" in kinds and "failback_executed" in kinds,
                          "node %d events: %s" % (i + 1, sorted(kinds)))
                ev = next(e for e in events_of(c, leader)
                          if e["event_type"] == "failover_executed")
                check(isinstance(ev.get("failover_duration_ms"), int),
                      "duration %r" % ev.get("failover_duration_ms"))
                log("crash failover_duration_ms = %s" % ev["failover_duration_ms"])
                c.kill(leader)
                alive = [i for i in range(3) if i != leader]
                wait_leader(c, alive, 15)
                for i in alive:
                    kinds = {e["event_type"] for e in events_of(c, i)}
                    check("failover_executed" in kinds,
                          "events lost after leader change on node %d" % (i + 1))
        finally:
            c.cleanup()
    test.__name__ = "test_fault_%s" % fault
    return test


if __name__ == "__main__":
    run([make_test(f) for f in ("crash", "stall", "disconnect", "garbage", "slow")])
