"""Dynamic membership: `hactl members add|remove`, one step at a time.

Three nodes on loopback; every config has `[peer.3] join = true`, so
nodes 1 and 2 bootstrap a two-voter cluster and node 3 starts in join mode
(no bootstrap) and waits. Proves: node 3 is no member until added; `hactl
members add 3` answers after the change committed, node 3 becomes a voter,
catches up (writes made before are visible on it) and runs the gateways
warm; adding it again, removing the leader, removing a non-member and bad
ids are refused with clear errors and exit codes; `hactl members remove 2`
leaves the cluster (1, 3) committing writes with one publisher while node
2 neither votes nor publishes nor receives the log any more; a second
change while one is in flight is refused (409); an add whose node is down
stops with 504 and leaves a spare that a later add promotes; a removed
node can be added back. The tests run in order on one cluster.
"""
import atexit
import threading
import time

from hamdtest import (api_get, gateway_states, wait_one_publisher,
                      Cluster, Failure, Subscriber, check, log, run,
                      sim_account, wait_for)

SYMBOLS = ["rb2601.SHFE", "i2601.DCE"]
JOINER = 2          # index of node 3, the one with join = true
CATCH_UP_S = 20     # generous bound for a join on loopback

_shared = []


def accounts():
    return [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=10),
            sim_account("sim_b", 2, ["SHFE", "DCE"], rate=10)]


def cluster():
    """Nodes 1-2 bootstrap; node 3 waits to be added (started once)."""
    if not _shared:
        c = Cluster(3, accounts(), SYMBOLS, name="members")
        for n in c.nodes:
            with open(n["config"]) as f:
                text = f.read()
            check("[peer.3]\n" in text, "no [peer.3] in %s" % n["config"])
            with open(n["config"], "w") as f:
                f.write(text.replace("[peer.3]\n", "[peer.3]\njoin = true\n", 1))
        _shared.append(c)
        c.start()
        wait_one_publisher(c, among=(0, 1))
    return _shared[0]


@atexit.register
def _cleanup():
    for c in _shared:
        c.cleanup()


def members(c, idx):
    """{id: member row} as node idx sees them."""
    return {m["id"]: m for m in api_get(c, idx, "/api/members")}


def roles(c, idx):
    return {i: m["role"] for i, m in members(c, idx).items()}


def account_ids(c, idx):
    body = api_get(c, idx, "/api/accounts")
    items = body["accounts"] if isinstance(body, dict) else body
    return {a["id"] for a in items}


def put_account(c, idx, aid):
    body = {"id": aid, "gateway_type": "sim", "priority": 9, "enabled": False,
            "exchanges": ["SHFE"], "params": {"seed": 1}}
    status, res = c.api(idx, "POST", "/api/accounts", body)
    check(status in (200, 201), "create %s via node %d: %d %r"
          % (aid, idx + 1, status, res))


def check_error(status, body, want_status, field, what, says=None):
    check(status == want_status, "%s: status %d, expected %d: %r"
          % (what, status, want_status, body))
    check(isinstance(body, dict) and isinstance(body.get("error"), str)
          and body["error"], "%s: no JSON error in %r" % (what, body))
    if field is not None:
        check(body.get("field") == field, "%s: field %r, expected %r"
              % (what, body.get("field"), field))
    if says is not None:
        check(says in body["error"], "%s: error %r does not say %r"
              % (what, body["error"], says))


def hactl_fails(c, want_rc, says, *args):
    r = c.hactl(*args, check_rc=False)
    check(r.returncode == want_rc and says in r.stderr,
          "hactl %s: exit %d (want %d), stderr %r (want %r)"
          % (" ".join(args), r.returncode, want_rc, r.stderr, says))
    return r


def ensure_leader_is(c, idx):
    lead = wait_one_publisher(c)
    if lead != idx:
        c.hactl("transfer", str(c.nodes[idx]["id"]), idx=idx)
    wait_for(lambda: wait_one_publisher(c) == idx, 15, "node %d to lead" % (idx + 1))


# --------------------------------------------------------------------------

def test_joiner_waits_outside_the_cluster():
    c = cluster()
    lead = wait_one_publisher(c, among=(0, 1))
    check(roles(c, lead) == {1: "voter", 2: "voter", 3: "none"},
          "members before the add: %r" % roles(c, lead))
    row = members(c, lead)[3]
    check(row["member"] is False and row["raft"] == c.nodes[JOINER]["raft"],
          "node 3 row %r" % row)
    put_account(c, lead, "before_join")
    # The joiner bootstrapped nothing: no log, no store, no gateways, no
    # leader known, so it cannot take writes.
    check("join mode" in c.log_text(JOINER), "node 3 did not log join mode")
    check(account_ids(c, JOINER) == set(), "node 3 has accounts before the add")
    check(gateway_states(c, JOINER) == {}, "node 3 runs gateways before the add")
    status, body = c.api(JOINER, "POST", "/api/members", {"id": 3})
    check_error(status, body, 503, None, "add through the joiner", "no leader")
    lines = c.hactl("members").stdout.splitlines()
    check(any(l.split()[:2] == ["3", "none"] for l in lines),
          "hactl members before the add:\n%s" % "\n".join(lines))


def test_bad_requests_are_refused():
    c = cluster()
    lead = wait_one_publisher(c, among=(0, 1))
    cases = [
        ("POST", "/api/members", {"id": 9}, 404, "id", "[peer.9]"),
        ("POST", "/api/members", {"id": "3"}, 400, "id", None),
        ("POST", "/api/members", {"id": 0}, 400, "id", None),
        ("POST", "/api/members", {"id": 70000}, 400, "id", None),
        ("POST", "/api/members", {"node": 3}, 400, "node", None),
        ("POST", "/api/members", [3], 400, None, None),
        ("DELETE", "/api/members/abc", None, 400, "id", None),
        ("DELETE", "/api/members/0", None, 400, "id", None),
        ("DELETE", "/api/members/3", None, 404, "id", "not a member"),
    ]
    for method, path, body, want, field, says in cases:
        status, res = c.api(lead, method, path, body)
        check_error(status, res, want, field, "%s %s %r" % (method, path, body),
                    says)
    hactl_fails(c, 2, "usage", "members", "add")
    hactl_fails(c, 2, "usage", "members", "add", "x")
    hactl_fails(c, 2, "usage", "members", "frobnicate", "3")
    hactl_fails(c, 4, "[peer.9]", "members", "add", "9")
    # The block in the files is not enough: the leader reads it at start.
    hactl_fails(c, 4, "restart the nodes one at a time", "members", "add", "9")
    check(roles(c, lead) == {1: "voter", 2: "voter", 3: "none"},
          "a refused request changed the members: %r" % roles(c, lead))


def test_add_makes_a_caught_up_warm_voter():
    c = cluster()
    r = c.hactl("members", "add", "3")
    check("node 3 is a voter now (3 voters)" in r.stdout, "add:\n%s" % r.stdout)
    # Answered after commit: the leader already shows the new voter.
    lead = wait_one_publisher(c, among=(0, 1))
    check(roles(c, lead) == {1: "voter", 2: "voter", 3: "voter"},
          "members after the add: %r" % roles(c, lead))
    wait_for(lambda: "before_join" in account_ids(c, JOINER), CATCH_UP_S,
             "node 3 to catch up with a write made before it joined")
    def warm():
        st = gateway_states(c, JOINER)
        return st.get("sim_a") == "HEALTHY" and st.get("sim_b") == "HEALTHY"
    wait_for(warm, CATCH_UP_S, "node 3 runs both gateways HEALTHY (warm)")
    wait_for(lambda: roles(c, JOINER) == {1: "voter", 2: "voter", 3: "voter"},
             CATCH_UP_S, "node 3's own view of the members")
    check("node 3 is a voter" in c.log_text(JOINER), "node 3 did not log it")
    put_account(c, JOINER, "after_join")  # a follower forwards
    for i in range(3):
        wait_for(lambda: "after_join" in account_ids(c, i), 10,
                 "after_join on node %d" % (i + 1))
    hactl_fails(c, 4, "already a voter", "members", "add", "3")


def test_leader_cannot_be_removed():
    c = cluster()
    ensure_leader_is(c, 0)
    r = hactl_fails(c, 4, "hactl transfer", "members", "remove", "1")
    check("leads" in r.stderr, "remove leader: %r" % r.stderr)
    # Through a follower: forwarded, refused the same way.
    status, body = c.api(JOINER, "DELETE", "/api/members/1")
    check_error(status, body, 409, "id", "remove the leader via node 3",
                "transfer")


def test_remove_leaves_two_voters_that_commit():
    c = cluster()
    ensure_leader_is(c, 0)
    r = c.hactl("members", "remove", "2")
    check("node 2 removed (2 voters)" in r.stdout, "remove:\n%s" % r.stdout)
    check("cannot fail over" in r.stderr, "no two-voter warning: %r" % r.stderr)
    check(roles(c, 0) == {1: "voter", 2: "none", 3: "voter"},
          "members after the removal: %r" % roles(c, 0))
    check(members(c, 0)[2]["member"] is False, "node 2 still a member")
    put_account(c, JOINER, "after_remove")
    for i in (0, JOINER):
        wait_for(lambda: "after_remove" in account_ids(c, i), 10,
                 "after_remove on node %d" % (i + 1))
    # Node 2 got the entry that made it a standby, then nothing more.
    wait_for(lambda: "standby, not a voter" in c.log_text(1), 10,
             "node 2 logs that it no longer votes")
    time.sleep(1)
    check("after_remove" not in account_ids(c, 1),
          "the removed node still receives the log")
    check(wait_one_publisher(c) == 0, "not exactly one publisher after the removal")
    sub = Subscriber(c.publish_endpoints())
    try:
        sub.pump(2)
        nodes = {t["node"] for _, t in sub.ticks}
        check(nodes == {1}, "ticks from nodes %s, expected only node 1" % nodes)
    finally:
        sub.close()
    hactl_fails(c, 4, "not a member", "members", "remove", "2")


def test_one_change_at_a_time_and_resume():
    c = cluster()
    ensure_leader_is(c, 0)
    c.stop(1)  # node 2, removed: its add cannot catch up
    answer = {}

    def add_2():
        answer["r"] = c.api(0, "POST", "/api/members", {"id": 2}, timeout=30)
    t = threading.Thread(target=add_2)
    t.start()
    try:
        wait_for(lambda: roles(c, 0).get(2) == "spare", 5, "node 2 a spare")
        status, body = c.api(0, "DELETE", "/api/members/3")
        check_error(status, body, 409, None, "remove during an add",
                    "one change at a time")
        status, body = c.api(0, "POST", "/api/transfer", {"node": 3})
        check_error(status, body, 409, None, "transfer during an add",
                    "membership change")
    finally:
        t.join(40)
    status, body = answer["r"]
    check_error(status, body, 504, "id", "add of a node that is down",
                "did not catch up")
    check(roles(c, 0) == {1: "voter", 2: "spare", 3: "voter"},
          "an aborted add leaves a spare: %r" % roles(c, 0))
    # Node 2 comes back with its old log; adding it again promotes it.
    c.start(1)
    r = c.hactl("members", "add", "2")
    check("node 2 is a voter now (3 voters)" in r.stdout, "re-add:\n%s" % r.stdout)
    wait_for(lambda: "after_remove" in account_ids(c, 1), CATCH_UP_S,
             "node 2 catches up after being added back")
    check(wait_one_publisher(c) == 0, "not exactly one publisher after the re-add")


def test_join_by_snapshot_runs_gateways():
    """A cluster that ran a while has compacted its log: the new node gets
    a snapshot, not the SEED entry, and must still start its gateways."""
    c = Cluster(3, accounts(), SYMBOLS, name="snapjoin",
                extra_ini="[raft]\nsnapshot_threshold = 16\n"
                          "snapshot_trailing = 0\n")
    try:
        for n in c.nodes:
            with open(n["config"]) as f:
                text = f.read()
            with open(n["config"], "w") as f:
                f.write(text.replace("[peer.3]\n", "[peer.3]\njoin = true\n", 1))
        c.start()
        lead = wait_one_publisher(c, among=(0, 1))
        put_account(c, lead, "before_join")
        # 16 entries are a fraction of a second of lease barriers.
        wait_for(lambda: api_get(c, lead, "/api/status")["applied_index"] > 64, 10,
                 "the leader's log to grow past a few snapshots")
        c.hactl("members", "add", "3")
        wait_for(lambda: "before_join" in account_ids(c, JOINER), CATCH_UP_S,
                 "node 3 to catch up")
        check("restored from a snapshot" in c.log_text(JOINER),
              "node 3 caught up without a snapshot: the test proves nothing")
        def warm():
            st = gateway_states(c, JOINER)
            return st.get("sim_a") == "HEALTHY" and st.get("sim_b") == "HEALTHY"
        wait_for(warm, CATCH_UP_S, "node 3 runs both gateways after a snapshot")
    finally:
        c.cleanup()


def test_bad_join_value_stops_start_up():
    c = Cluster(2, accounts(), SYMBOLS, name="badjoin")
    try:
        path = c.nodes[0]["config"]
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("[peer.2]\n", "[peer.2]\njoin = maybe\n", 1))
        c.start(0)
        try:
            rc = c.nodes[0]["proc"].wait(15)
        except Exception:
            raise Failure("node started with join = maybe")
        out = c.log_text(0)
        check(rc != 0 and "[peer.2] join" in out and "true/false" in out,
              "exit %d, log:\n%s" % (rc, out))
    finally:
        c.cleanup()


if __name__ == "__main__":
    log("membership tests")
    run([test_joiner_waits_outside_the_cluster,
         test_bad_requests_are_refused,
         test_add_makes_a_caught_up_warm_voter,
         test_leader_cannot_be_removed,
         test_remove_leaves_two_voters_that_commit,
         test_one_change_at_a_time_and_resume,
         test_join_by_snapshot_runs_gateways,
         test_bad_join_value_stops_start_up])
