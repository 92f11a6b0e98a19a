"""The admin HTTP API and hactl against a real 3-node cluster.

Proves: probes, /metrics and /api/status answer; every bad request gets
the right status and a JSON error (with the offending field) and changes
nothing on any node; secrets come back as "***", survive a GET-edit-PUT
and never reach a log; writes sent to a follower are forwarded to the
leader and show up on every node; hactl's commands work, with --json, and
`status` stays quick and honest with a node down; `is-leader --other`
says whether a node other than the first one publishes, a dead or frozen
first node included; the bearer token guards every change when [admin]
token_file is set, and a token file others can read stops the node at
start-up.
"""
import atexit
import json
import os
import signal
import subprocess
import tempfile
import time

from hamdtest import (api_get, wait_one_publisher,
                      HACTL, Cluster, Failure, check, http_raw, log, run,
                      sim_account, wait_for)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE"]
MAX_BODY = 4096
EXTRA_INI = "[admin]\nmax_body_bytes = %d\n" % MAX_BODY
SECRET = "S3cret-Pa55w0rd-q7Zx"
TOKEN = "tok-8f3e1c9a7b2d4e6f"
STATUS_DEADLINE_S = 10  # hactl status with a node down must return sooner

_shared = []


def accounts():
    return [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=10),
            sim_account("sim_b", 2, ["SHFE", "DCE"], rate=10)]


def cluster():
    """The 3-node cluster most tests share (started once)."""
    if not _shared:
        c = Cluster(3, accounts(), SYMBOLS, extra_ini=EXTRA_INI, name="admin")
        _shared.append(c)
        c.start()
        wait_one_publisher(c)
    return _shared[0]


@atexit.register
def _cleanup():
    for c in _shared:
        c.cleanup()


def follower(c, not_idx=()):
    lead = wait_one_publisher(c)
    return [i for i in range(len(c.nodes)) if i != lead and i not in not_idx][0]


def state(c, idx):
    return api_get(c, idx, "/api/accounts"), api_get(c, idx, "/api/subscriptions")


def wait_converged(c, want=None, timeout=10):
    """Waits until every running node shows the same accounts and
    subscriptions (and, if given, the state `want`)."""
    def same():
        states = [state(c, i) for i in range(len(c.nodes))
                  if c.nodes[i]["proc"] and c.nodes[i]["proc"].poll() is None]
        ok = all(s == states[0] for s in states)
        return states[0] if ok and (want is None or states[0] == want) else None
    return wait_for(same, timeout, "all nodes to agree on accounts and subs")


def check_error(status, body, want_status, field, what):
    check(status == want_status, "%s: status %d, expected %d: %r"
          % (what, status, want_status, body))
    check(isinstance(body, dict) and isinstance(body.get("error"), str)
          and body["error"], "%s: no JSON error in %r" % (what, body))
    if field is not None:
        check(body.get("field") == field, "%s: field %r, expected %r"
              % (what, body.get("field"), field))


def hactl_h(addr, *args, token_file=None, timeout=30):
    cmd = [HACTL, "-H", addr] + (["-t", token_file] if token_file else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def wait_account(c, idx, aid, timeout=10):
    """The account as node idx serves it, once it has it."""
    def fetch():
        status, body = c.api(idx, "GET", "/api/accounts/" + aid)
        return body if status == 200 else None
    return wait_for(fetch, timeout, "%s on node %d" % (aid, idx + 1))


def gw_pids(c, idx, account):
    for g in api_get(c, idx, "/api/status")["gateways"]:
        if g["account"] == account:
            return g["pid"]
    return None


# --------------------------------------------------------------------------
# Probes, status, metrics
# --------------------------------------------------------------------------

def test_probes_status_metrics():
    c = cluster()
    lead = wait_one_publisher(c)
    for i in range(3):
        for p in ("/livez", "/healthz"):
            status, body = c.api(i, "GET", p)
            check(status == 200 and body["status"] == "ok", "%s on %d: %r" % (p, i, body))
        status, body = c.api(i, "GET", "/readyz")
        check(status == (200 if i == lead else 503), "/readyz on node %d: %d %r"
              % (i + 1, status, body))
    st = api_get(c, lead, "/api/status")
    for k in ("node", "role", "term", "leader", "publishing", "commit_index",
              "applied_index", "gateways", "contracts", "published", "endpoints"):
        check(k in st, "status lacks %s: %r" % (k, st))
    check(st["role"] == "leader" and st["publishing"] and st["leader"] == st["node"],
          "leader status %r" % st)
    check(st["endpoints"]["publish"] == c.nodes[lead]["publish"], "endpoints %r" % st)
    check(sorted(g["account"] for g in st["gateways"]) == ["sim_a", "sim_b"],
          "gateways %r" % st["gateways"])
    for g in st["gateways"]:
        for k in ("state", "pid", "restarts", "last_tick_age_ms", "canary_age_ms",
                  "ticks", "malformed", "latency_ms", "staleness_ms", "status",
                  "detail"):
            check(k in g, "gateway lacks %s: %r" % (k, g))
    f = follower(c)
    fst = api_get(c, f, "/api/status")
    check(fst["role"] == "follower" and not fst["publishing"]
          and fst["leader"] == st["node"], "follower status %r" % fst)
    # Ticks flow, so the leader counts published ticks.
    wait_for(lambda: api_get(c, lead, "/api/status")["published"] > 0, 15, "published ticks")

    status, hdrs, raw = http_raw(c.nodes[lead]["admin"], "GET", "/metrics")
    check(status == 200, "/metrics %d" % status)
    check(hdrs["content-type"].startswith("text/plain; version=0.0.4"),
          "/metrics content type %r" % hdrs["content-type"])
    text = raw.decode()
    for name in ("hamd_up", "hamd_raft_term", "hamd_raft_role", "hamd_publishing",
                 "hamd_commit_index", "hamd_applied_index",
                 "hamd_raft_sends_retried_total",
                 "hamd_ticks_published_total", "hamd_pub_errors_total",
                 "hamd_source_ticks_total", "hamd_source_malformed_total",
                 "hamd_source_stale_total", "hamd_source_latency_ms",
                 "hamd_source_staleness_ms", "hamd_gateway_restarts_total",
                 "hamd_gateway_state", "hamd_replay_bytes", "hamd_contracts",
                 "hamd_cache_entries"):
        check("# TYPE %s " % name in text and "# HELP %s " % name in text,
              "metric %s without HELP/TYPE" % name)
    check('hamd_raft_role{role="leader"} 1' in text, "role metric")
    check("hamd_publishing 1" in text, "publishing metric")
    check('hamd_source_ticks_total{account="sim_a"}' in text, "per-source metric")
    check('hamd_gateway_state{account="sim_a",state="HEALTHY"}' in text, "state metric")


# --------------------------------------------------------------------------
# Bad requests: right code, JSON error, nothing changed
# --------------------------------------------------------------------------

def good_account(aid):
    return {"id": aid, "gateway_type": "sim", "priority": 5, "exchanges": ["SHFE"],
            "params": {"seed": 7, "rate": 5}}


BAD_REQUESTS = [
    # (method, path, body, status, field)
    ("POST", "/api/accounts", b'{"id": "x", ', 400, None),
    ("POST", "/api/accounts", b"", 400, None),
    ("POST", "/api/accounts", dict(good_account("x1"), bogus=1), 400, "bogus"),
    ("POST", "/api/accounts", dict(good_account("x2"), priority="high"), 400, "priority"),
    ("POST", "/api/accounts", dict(good_account("x3"), priority=0), 400, "priority"),
    ("POST", "/api/accounts", dict(good_account("x4"), priority=1001), 400, "priority"),
    ("POST", "/api/accounts", dict(good_account("Bad Id!")), 400, "id"),
    ("POST", "/api/accounts", {"id": "x5", "gateway_type": "sim", "priority": 3},
     400, "exchanges"),
    ("POST", "/api/accounts", dict(good_account("x6"), gateway_type="nosuch"), 400,
     "gateway_type"),
    ("POST", "/api/accounts", [1, 2], 400, None),
    ("POST", "/api/accounts", dict(good_account("sim_a")), 409, "id"),
    ("POST", "/api/accounts", dict(good_account("big"), name="n" * (MAX_BODY + 100)),
     413, None),
    ("GET", "/api/accounts/nosuch", None, 404, "id"),
    ("GET", "/api/accounts/Bad_Id", None, 400, "id"),
    ("PUT", "/api/accounts/nosuch", {"priority": 3}, 404, "id"),
    ("PUT", "/api/accounts/sim_a", {"id": "other"}, 400, "id"),
    ("PUT", "/api/accounts/sim_a", {"priority": 5000}, 400, "priority"),
    ("PUT", "/api/accounts/sim_a", {"exchanges": "SHFE"}, 400, "exchanges"),
    ("PUT", "/api/accounts/sim_a", b"not json", 400, None),
    ("DELETE", "/api/accounts/nosuch", None, 404, "id"),
    ("POST", "/api/accounts/nosuch/start", None, 404, "id"),
    ("POST", "/api/accounts/nosuch/stop", None, 404, "id"),
    ("POST", "/api/accounts/nosuch/restart", None, 404, "id"),
    ("POST", "/api/subscriptions", {"symbols": ["nodot"]}, 400, "symbols"),
    ("POST", "/api/subscriptions", {"symbols": []}, 400, "symbols"),
    ("POST", "/api/subscriptions", {"symbols": [7]}, 400, "symbols"),
    ("POST", "/api/subscriptions", {"symbols": ["a.B"], "x": 1}, 400, "x"),
    ("DELETE", "/api/subscriptions?symbol=zz9999.SHFE", None, 404, "symbols"),
    ("DELETE", "/api/subscriptions", {"symbols": ["rb2601.SHFE", "zz.SHFE"]}, 404,
     "symbols"),
    ("DELETE", "/api/subscriptions?symbol=bad", None, 400, "symbols"),
    ("POST", "/api/transfer", {"node": 99}, 400, "node"),
    ("POST", "/api/transfer", {"to": 1}, 400, "to"),
    ("GET", "/api/events?limit=0", None, 400, "limit"),
    ("GET", "/api/events?limit=abc", None, 400, "limit"),
    ("GET", "/api/events?since=-1", None, 400, "since"),
    ("GET", "/api/nosuch", None, 404, None),
    ("DELETE", "/api/status", None, 405, None),
    ("PATCH", "/api/accounts/sim_a", {"priority": 3}, 405, None),
]


def test_bad_requests_change_nothing():
    c = cluster()
    before = wait_converged(c)
    lead = wait_one_publisher(c)
    for idx in (lead, follower(c)):
        for method, path, body, want, field in BAD_REQUESTS:
            status, answer = c.api(idx, method, path, body)
            check_error(status, answer, want, field,
                        "%s %s on node %d" % (method, path, idx + 1))
    # A 405 names what is allowed.
    status, hdrs, _ = http_raw(c.nodes[lead]["admin"], "DELETE", "/api/status")
    check(status == 405 and hdrs.get("allow") == "GET, HEAD",
          "Allow %r" % hdrs.get("allow"))
    time.sleep(0.5)  # anything wrongly committed would have reached all nodes
    after = wait_converged(c)
    check(after == before, "state changed by bad requests:\n%r\n%r" % (before, after))


# --------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------

def gw_environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        return f.read().decode("utf-8", "replace")


def test_secrets_masked_never_logged():
    c = cluster()
    f = follower(c)
    acct = {"id": "sim_s", "gateway_type": "sim", "priority": 9,
            "exchanges": ["SHFE"],
            "params": {"seed": 7, "rate": 5, "password": SECRET,
                       "nested": {"api_key": SECRET + "k"}}}
    status, body = c.api(f, "POST", "/api/accounts", acct)
    check(status == 201, "create: %d %r" % (status, body))
    check(body["params"]["password"] == "***" and
          body["params"]["nested"]["api_key"] == "***", "answer %r" % body)
    for i in range(3):
        got = wait_account(c, i, "sim_s")
        check(got["params"]["password"] == "***", "node %d: %r" % (i + 1, got))
        _, hdrs, raw = http_raw(c.nodes[i]["admin"], "GET", "/api/accounts")
        check(SECRET.encode() not in raw, "secret in the list of node %d" % (i + 1))
    # Errors never quote a body that carries a secret.
    for body in (('{"id": "sim_t", "params": {"password": "%s" ' % SECRET).encode(),
                 dict(acct, id="sim_t", bogus=SECRET),
                 dict(acct, id="sim_t", priority=SECRET)):
        status, answer = c.api(f, "POST", "/api/accounts", body)
        check(status == 400 and SECRET not in json.dumps(answer),
              "error %d quotes the secret: %r" % (status, answer))
    # GET-edit-PUT: the mask sent back keeps the stored password.
    got = api_get(c, wait_one_publisher(c), "/api/accounts/sim_s")
    got["params"]["rate"] = 6
    status, body = c.api(f, "PUT", "/api/accounts/sim_s", {"params": got["params"]})
    check(status == 200 and body["params"]["rate"] == 6, "PUT %d %r" % (status, body))
    lead = wait_one_publisher(c)

    def relaunched_with_rate_6():
        pid = gw_pids(c, lead, "sim_s")
        try:
            env = gw_environ(pid) if pid else ""
        except OSError:
            return None
        return env if '"rate":6' in env else None
    env = wait_for(relaunched_with_rate_6, 15, "sim_s relaunched with rate 6")
    check(SECRET in env and SECRET + "k" in env,
          "the gateway lost its password: the mask overwrote it")
    status, _ = c.api(f, "DELETE", "/api/accounts/sim_s")
    check(status == 200, "delete %d" % status)
    wait_for(lambda: all(c.api(i, "GET", "/api/accounts/sim_s")[0] == 404
                         for i in range(3)), 10, "sim_s gone everywhere")
    for i in range(3):
        check(SECRET not in c.log_text(i), "the secret is in node %d's log" % (i + 1))


# --------------------------------------------------------------------------
# Forwarding
# --------------------------------------------------------------------------

def test_writes_through_followers_reach_every_node():
    c = cluster()
    lead = wait_one_publisher(c)
    f1 = follower(c)
    f2 = follower(c, not_idx=(f1,))
    # `running` is the operator's switch, read-only in a write: a new
    # account runs, so false is refused with what to do instead.
    status, body = c.api(f1, "POST", "/api/accounts",
                         dict(good_account("sim_f"), running=False))
    check(status == 400 and body["field"] == "running" and
          "/stop" in body["error"], "create stopped: %d %r" % (status, body))
    status, body = c.api(f1, "POST", "/api/accounts",
                         dict(good_account("sim_f"), running=True))
    check(status == 201 and body["id"] == "sim_f" and body["running"] is True,
          "create via follower: %d %r" % (status, body))
    for i in range(3):
        wait_account(c, i, "sim_f")
    status, body = c.api(f2, "PUT", "/api/accounts/sim_f", {"priority": 6})
    check(status == 200 and body["priority"] == 6, "update via follower %r" % body)
    status, body = c.api(f1, "POST", "/api/accounts/sim_f/stop")
    check(status == 200 and body == {"id": "sim_f", "running": False}, "stop %r" % body)
    wait_for(lambda: all(any(g["account"] == "sim_f" and g["state"] == "STOPPED"
                             for g in api_get(c, i, "/api/status")["gateways"])
                         for i in range(3)), 15, "sim_f STOPPED on every node")
    wait_for(lambda: all(api_get(c, i, "/api/accounts/sim_f")["running"] is False
                         for i in range(3)), 10, "sim_f running: false everywhere")
    # GET, edit, PUT round-trips the switch; a PUT cannot change it.
    got = api_get(c, f2, "/api/accounts/sim_f")
    status, body = c.api(f2, "PUT", "/api/accounts/sim_f", dict(got, priority=5))
    check(status == 200 and body["priority"] == 5 and body["running"] is False,
          "PUT of a GET: %d %r" % (status, body))
    status, body = c.api(f2, "PUT", "/api/accounts/sim_f", {"running": True})
    check(status == 400 and body["field"] == "running" and
          "/api/accounts/sim_f/start" in body["error"],
          "PUT running: %d %r" % (status, body))
    status, body = c.api(f2, "PUT", "/api/accounts/sim_f", {"running": "yes"})
    check(status == 400 and body["field"] == "running", "PUT running: %d %r"
          % (status, body))
    check(api_get(c, lead, "/api/accounts/sim_f")["running"] is False,
          "a refused PUT started sim_f")
    status, body = c.api(f2, "PUT", "/api/accounts/sim_f", {"priority": 6})
    check(status == 200 and body["priority"] == 6, "update via follower %r" % body)
    status, body = c.api(f2, "POST", "/api/accounts/sim_f/start")
    check(status == 200 and body["running"] is True, "start %r" % body)
    wait_for(lambda: all(a["running"] for a in api_get(c, f1, "/api/accounts")),
             10, "every account running in the list")
    status, body = c.api(f1, "POST", "/api/subscriptions",
                         {"symbols": ["ag2601.SHFE", "ag2601.SHFE"]})
    check(status == 200 and "ag2601.SHFE" in body["symbols"], "subs add %r" % body)
    accts, _ = wait_converged(c)
    check([a["priority"] for a in accts if a["id"] == "sim_f"] == [6],
          "sim_f on every node %r" % accts)
    status, body = c.api(f2, "DELETE", "/api/subscriptions?symbol=ag2601.SHFE")
    check(status == 200 and "ag2601.SHFE" not in body["symbols"], "subs rm %r" % body)
    status, body = c.api(f1, "DELETE", "/api/accounts/sim_f")
    check(status == 200 and body == {"deleted": "sim_f"}, "delete %r" % body)
    accts, subs = wait_converged(c)
    check([a["id"] for a in accts] == ["sim_a", "sim_b"], "accounts %r" % accts)
    check(subs["symbols"] == sorted(SYMBOLS), "subs %r" % subs)
    check(wait_one_publisher(c) == lead, "the leader changed during the test")


# --------------------------------------------------------------------------
# hactl
# --------------------------------------------------------------------------

def test_hactl_reads_and_writes():
    c = cluster()
    lead = wait_one_publisher(c)
    r = c.hactl("status")
    check("leader" in r.stdout and "sim_a" in r.stdout, "status:\n%s" % r.stdout)
    doc = json.loads(c.hactl("status", "--json").stdout)
    check(len(doc["nodes"]) == 3 and all(n["reachable"] for n in doc["nodes"]),
          "status --json %r" % doc)
    check(sum(n["status"]["publishing"] for n in doc["nodes"]) == 1, "one publisher")
    check(json.loads(c.hactl("--json", "status").stdout) is not None, "--json first")

    r = c.hactl("accounts", "list")
    check("sim_a" in r.stdout and "sim_b" in r.stdout, "list:\n%s" % r.stdout)
    check([a["id"] for a in json.loads(c.hactl("accounts", "list", "--json").stdout)]
          == ["sim_a", "sim_b"], "list --json")
    f = follower(c)
    c.hactl("accounts", "add", "--id", "sim_h", "--type", "sim", "--priority", "7",
            "--exchanges", "SHFE,DCE", "--param", "seed=7", "--param", "rate=5",
            "--param-str", "password=%s" % SECRET, idx=f)
    got = api_get(c, lead, "/api/accounts/sim_h")
    check(got["priority"] == 7 and got["exchanges"] == ["SHFE", "DCE"] and
          got["params"] == {"seed": 7, "rate": 5, "password": "***"}, "added %r" % got)
    c.hactl("accounts", "update", "sim_h", "--priority", "8", "--param", "rate=4")
    got = api_get(c, lead, "/api/accounts/sim_h")
    check(got["priority"] == 8 and got["params"]["rate"] == 4 and
          got["params"]["seed"] == 7, "updated %r" % got)
    c.hactl("accounts", "disable", "sim_h")
    check(api_get(c, lead, "/api/accounts/sim_h")["enabled"] is False, "disabled")
    c.hactl("accounts", "enable", "sim_h")
    check(api_get(c, lead, "/api/accounts/sim_h")["enabled"] is True, "enabled")
    r = c.hactl("accounts", "add", "--id", "sim_a", "--type", "sim", "--priority",
                "1", "--exchanges", "SHFE", check_rc=False)
    check(r.returncode == 4 and "already exists" in r.stderr and "field id" in r.stderr,
          "duplicate add: %d %s" % (r.returncode, r.stderr))
    r = c.hactl("accounts", "update", "sim_h", "--priority", "0", check_rc=False)
    check(r.returncode == 4 and "field priority" in r.stderr, "bad update %s" % r.stderr)
    c.hactl("accounts", "rm", "sim_h")
    check(c.api(lead, "GET", "/api/accounts/sim_h")[0] == 404, "removed")

    # Reads come from the first node that answers, which may trail the
    # leader for a moment after a write.
    c.hactl("subs", "add", "zn2601.SHFE", "m2601.DCE")
    wait_for(lambda: {"zn2601.SHFE", "m2601.DCE"} <=
             set(c.hactl("subs", "list").stdout.split()), 10, "subs list")
    c.hactl("subs", "rm", "zn2601.SHFE", "m2601.DCE")
    wait_for(lambda: json.loads(c.hactl("subs", "list", "--json").stdout)["symbols"]
             == sorted(SYMBOLS), 10, "subs list --json after rm")
    r = c.hactl("subs", "add", "nodot", check_rc=False)
    check(r.returncode == 4 and "field symbols" in r.stderr, "bad symbol %s" % r.stderr)

    r = c.hactl("members")
    check(r.stdout.count("voter") == 3 and r.stdout.count("yes") == 3,
          "members:\n%s" % r.stdout)
    members = json.loads(c.hactl("members", "--json").stdout)
    check([m["id"] for m in members] == [1, 2, 3] and
          sum(m["leader"] for m in members) == 1, "members --json %r" % members)
    for i in range(3):
        r = hactl_h(c.nodes[i]["admin"], "is-leader")
        check(r.returncode == (0 if i == lead else 1) and r.stdout == "",
              "is-leader on node %d: %d %r" % (i + 1, r.returncode, r.stdout))
    check_is_leader_other(c, lead)
    events = json.loads(c.hactl("events", "--json").stdout)
    check(isinstance(events["events"], list), "events %r" % events)
    r = c.hactl("nosuch", check_rc=False)
    check(r.returncode == 2, "unknown command: %d" % r.returncode)


def check_is_leader_other(c, lead):
    """is-leader --other from each node's config: 0 on the followers (the
    leader is another node), 1 on the leader (the others answer, neither
    publishes); the leader first in a -H list, with only a dead node
    beside it: 3, the leader is not asked."""
    for i in range(3):
        r = c.hactl("is-leader", "--other", idx=i, check_rc=False)
        check(r.returncode == (1 if i == lead else 0) and r.stdout == "",
              "is-leader --other on node %d: %d %r %r"
              % (i + 1, r.returncode, r.stdout, r.stderr))
    f = follower(c)
    r = c.hactl("is-leader", "--other", "--json", idx=f)
    check(json.loads(r.stdout) == {"publishing": c.nodes[lead]["admin"]},
          "is-leader --other --json on a follower: %r" % r.stdout)
    r = c.hactl("is-leader", "--other", "--json", idx=lead, check_rc=False)
    check(r.returncode == 1 and json.loads(r.stdout) == {"publishing": None},
          "is-leader --other --json on the leader: %d %r" % (r.returncode, r.stdout))
    r = hactl_h(c.nodes[lead]["admin"], "-H", "127.0.0.1:1", "is-leader", "--other")
    check(r.returncode == 3, "is-leader --other, only a dead node besides: %d"
          % r.returncode)
    r = hactl_h(c.nodes[lead]["admin"], "is-leader", "--other")
    check(r.returncode == 2 and "no node but" in r.stderr,
          "is-leader --other with one -H: %d %r" % (r.returncode, r.stderr))
    r = c.hactl("is-leader", "--nosuch", idx=lead, check_rc=False)
    check(r.returncode == 2, "is-leader --nosuch: %d" % r.returncode)


def test_hactl_gateway_restart_stop_start():
    c = cluster()
    before = [gw_pids(c, i, "sim_a") for i in range(3)]
    check(all(before), "sim_a pids %r" % before)
    r = c.hactl("restart", "sim_a")
    check(r.stdout.count("restarted sim_a") == 3, "restart:\n%s" % r.stdout)
    wait_for(lambda: all(gw_pids(c, i, "sim_a") not in (0, None, before[i])
                         for i in range(3)), 15, "sim_a relaunched on every node")
    c.hactl("stop", "sim_b", idx=1)

    def stopped_everywhere():
        return all(any(g["account"] == "sim_b" and g["state"] == "STOPPED"
                       for g in api_get(c, i, "/api/status")["gateways"])
                   for i in range(3))
    wait_for(stopped_everywhere, 15, "sim_b STOPPED on every node")
    r = c.hactl("restart", "sim_b", check_rc=False)
    check(r.returncode == 4, "restart of a stopped gateway: %d" % r.returncode)
    c.hactl("start", "sim_b")
    wait_for(lambda: not stopped_everywhere() and
             all(gw_pids(c, i, "sim_b") for i in range(3)), 15, "sim_b back")
    r = c.hactl("restart", "nosuch", check_rc=False)
    check(r.returncode == 4 and "no such account" in r.stderr, "restart nosuch")


def test_transfer_through_a_follower():
    c = cluster()
    lead = wait_one_publisher(c)
    target = follower(c)
    tid = c.nodes[target]["id"]
    other = follower(c, not_idx=(target,))
    status, body = c.api(other, "POST", "/api/transfer", {"node": tid}, timeout=15)
    check(status == 200 and body == {"leader": tid, "previous": c.nodes[lead]["id"]},
          "transfer via a follower: %d %r" % (status, body))
    check(wait_one_publisher(c) == target, "node %d does not publish" % tid)
    r = hactl_h(c.nodes[target]["admin"], "is-leader")
    check(r.returncode == 0, "is-leader on the new leader: %d" % r.returncode)
    r = hactl_h(c.nodes[lead]["admin"], "is-leader")
    check(r.returncode == 1, "is-leader on the old leader: %d" % r.returncode)
    status, body = c.api(target, "POST", "/api/transfer", {"node": tid})
    check_error(status, body, 409, "node", "transfer to the leader itself")
    # And back with hactl, from the config of a follower.
    r = c.hactl("transfer", str(c.nodes[lead]["id"]), idx=other)
    check("to node %d" % c.nodes[lead]["id"] in r.stdout, "transfer:\n%s" % r.stdout)
    check(wait_one_publisher(c) == lead, "node %d does not publish again" % c.nodes[lead]["id"])


def status_row(c, idx, stdout):
    return [line for line in stdout.splitlines() if c.nodes[idx]["admin"] in line]


def test_status_with_a_node_down():
    """Last on the shared cluster: it freezes a node, then stops it."""
    c = cluster()
    lead = wait_one_publisher(c)
    down = follower(c)
    up = [i for i in range(3) if i != down][0]
    # A frozen node accepts TCP connections but never answers: hactl must
    # give up on it after its timeout, once, not hang.
    os.kill(c.nodes[down]["proc"].pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        r = c.hactl("--timeout", "1000", "status", idx=up, check_rc=False)
        took = time.monotonic() - t0
        check(r.returncode == 0, "status with a frozen node: %d\n%s%s"
              % (r.returncode, r.stdout, r.stderr))
        check(took < STATUS_DEADLINE_S, "status hung for %.1fs" % took)
        row = status_row(c, down, r.stdout)
        check(row and "unreachable" in row[0], "no unreachable row:\n%s" % r.stdout)
        doc = json.loads(c.hactl("--timeout", "1000", "status", "--json",
                                 idx=up).stdout)
        reach = {n["admin"]: n["reachable"] for n in doc["nodes"]}
        check(reach[c.nodes[down]["admin"]] is False and sum(reach.values()) == 2,
              "reachable %r" % reach)
        r = hactl_h(c.nodes[down]["admin"], "--timeout", "500", "is-leader")
        check(r.returncode == 3, "is-leader on a frozen node: %d" % r.returncode)
        # The frozen node is not asked about itself; from the leader's
        # config it is the other follower that says no.
        r = c.hactl("--timeout", "500", "is-leader", "--other", idx=down,
                    check_rc=False)
        check(r.returncode == 0, "is-leader --other on a frozen node: %d" % r.returncode)
        r = c.hactl("--timeout", "500", "is-leader", "--other", idx=lead,
                    check_rc=False)
        check(r.returncode == 1, "is-leader --other on the leader beside a frozen "
              "node: %d" % r.returncode)
    finally:
        os.kill(c.nodes[down]["proc"].pid, signal.SIGCONT)
    c.stop(down)
    r = c.hactl("status", idx=up, check_rc=False)
    check(r.returncode == 0 and "unreachable" in status_row(c, down, r.stdout)[0],
          "status with a stopped node: %d\n%s" % (r.returncode, r.stdout))
    # Reads and writes still work from the config of the stopped node.
    c.hactl("accounts", "list", idx=down)
    c.hactl("subs", "add", "pb2601.SHFE", idx=down)
    c.hactl("subs", "rm", "pb2601.SHFE", idx=down)
    r = hactl_h(c.nodes[down]["admin"], "is-leader")
    check(r.returncode == 3, "is-leader on a dead node: %d" % r.returncode)
    # What the ExecStopPost hook of a crashed node asks: another node
    # publishes.
    r = c.hactl("is-leader", "--other", idx=down, check_rc=False)
    check(r.returncode == 0, "is-leader --other on a dead node: %d" % r.returncode)


# --------------------------------------------------------------------------
# Bearer token
# --------------------------------------------------------------------------

def write_token(path, text, mode):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def test_token_guards_changes():
    tdir = tempfile.mkdtemp(prefix="hamd-token-")
    tfile = os.path.join(tdir, "token")
    write_token(tfile, TOKEN + "\n", 0o600)
    c = Cluster(3, accounts(), SYMBOLS, name="token",
                extra_ini="[admin]\ntoken_file = %s\n" % tfile).start()
    try:
        lead = wait_one_publisher(c)
        f = follower(c)
        before = wait_converged(c)
        for idx in (lead, f):
            for tok in (None, "wrong", TOKEN + "x", TOKEN[:-1]):
                status, body = c.api(idx, "POST", "/api/accounts",
                                     good_account("sim_x"), token=tok)
                check_error(status, body, 401, None, "token %r on node %d" % (tok, idx))
                check(TOKEN not in json.dumps(body), "the token in an answer")
                # An operator who gave a token learns it is the wrong one.
                said = "is required" if tok is None else "token is wrong"
                check(said in body["error"], "token %r: %r" % (tok, body))
            for method, path in (("DELETE", "/api/accounts/sim_a"),
                                 ("POST", "/api/accounts/sim_a/stop"),
                                 ("POST", "/api/accounts/sim_a/restart"),
                                 ("POST", "/api/subscriptions"),
                                 ("POST", "/api/transfer")):
                status, body = c.api(idx, method, path, {"symbols": ["a.B"]})
                check_error(status, body, 401, None, "%s %s" % (method, path))
            status, hdrs, _ = http_raw(c.nodes[idx]["admin"], "POST", "/api/accounts",
                                       b"{}", {"Authorization": "Basic " + TOKEN})
            check(status == 401 and hdrs.get("www-authenticate") == "Bearer",
                  "basic auth: %d %r" % (status, hdrs))
        # Each node counted its ten refusals, and logged them (a few).
        for idx in (lead, f):
            _, _, raw = http_raw(c.nodes[idx]["admin"], "GET", "/metrics")
            check(b"\nhamd_admin_auth_failures_total 10\n" in raw,
                  "node %d: auth failures not counted" % (idx + 1))
            check("bearer token" in c.log_text(idx), "no refusal logged")
        check(api_get(c, f, "/api/accounts") == before[0], "reads need no token")
        time.sleep(0.3)
        check(wait_converged(c) == before, "a refused request changed state")
        # With the token, through a follower (the header is forwarded).
        status, body = c.api(f, "POST", "/api/accounts", good_account("sim_x"),
                             token=TOKEN)
        check(status == 201, "with token via follower: %d %r" % (status, body))
        r = c.hactl("subs", "add", "sn2601.SHFE", idx=f, check_rc=False)
        check(r.returncode == 4 and "token" in r.stderr, "hactl without -t: %d %s"
              % (r.returncode, r.stderr))
        c.hactl("-t", tfile, "subs", "add", "sn2601.SHFE", idx=f)
        c.hactl("-t", tfile, "accounts", "rm", "sim_x")
        check("sn2601.SHFE" in api_get(c, lead, "/api/subscriptions")["symbols"], "subs")
        for i in range(3):
            check(TOKEN not in c.log_text(i), "the token is in node %d's log" % (i + 1))
    finally:
        c.cleanup()
        for name in os.listdir(tdir):
            os.unlink(os.path.join(tdir, name))
        os.rmdir(tdir)


def test_bad_token_file_stops_start_up():
    tdir = tempfile.mkdtemp(prefix="hamd-token-")
    try:
        cases = [("world", TOKEN + "\n", 0o644, "readable by others"),
                 ("empty", "\n", 0o600, "empty"),
                 ("missing", None, 0, "cannot read")]
        for name, text, mode, why in cases:
            path = os.path.join(tdir, name)
            if text is not None:
                write_token(path, text, mode)
            c = Cluster(0, accounts(), SYMBOLS, name="badtoken",
                        extra_ini="[admin]\ntoken_file = %s\n" % path).start()
            try:
                proc = c.nodes[0]["proc"]
                try:
                    rc = proc.wait(15)
                except subprocess.TimeoutExpired:
                    raise Failure("node started with a %s token file" % name)
                text_log = c.log_text(0)
                check(rc != 0, "exit code %d with a %s token file" % (rc, name))
                check(path in text_log and why in text_log,
                      "log does not say why (%s):\n%s" % (why, text_log))
                check(TOKEN not in text_log, "the token is in the log")
            finally:
                c.cleanup()
    finally:
        for name in os.listdir(tdir):
            os.unlink(os.path.join(tdir, name))
        os.rmdir(tdir)


if __name__ == "__main__":
    log("admin API tests")
    run([test_probes_status_metrics,
         test_bad_requests_change_nothing,
         test_secrets_masked_never_logged,
         test_writes_through_followers_reach_every_node,
         test_hactl_reads_and_writes,
         test_hactl_gateway_restart_stop_start,
         test_transfer_through_a_follower,
         test_status_with_a_node_down,
         test_token_guards_changes,
         test_bad_token_file_stops_start_up])
