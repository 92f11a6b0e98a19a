"""hactl export / import (docs/hactl.md, docs/operations.md "Backup and
restore").

A 3-node cluster with three accounts (one whose gateway checks a
password, test_secrets' pwcheck), three subscriptions, one contract
pinned by `hactl failover --to`, automatic failover paused and one
account stopped (`hactl stop`) is exported; the file holds the password masked, never in clear. It is
imported into a fresh standalone node that wants a token: without it
every write is refused (exit 4) and nothing changes; a dry run changes
nothing; without
the password the account is refused by name while the rest imports (exit
1); a secrets file fills it (dry run); the stopped account is stopped on
the new cluster too; with --param-str it imports and its gateway logs
in with the real password; the pin is not restored but
printed with the command that restores it, which does; a second import
changes nothing; an account stopped on the new cluster stays stopped
and is named; an edit and an extra account
and subscription on the new cluster are put right (the edit) and kept
(the extras) without --prune, removed with it; malformed files are exit 2
naming the problem.
"""
import json
import os
import subprocess
import uuid

from hamdtest import (HACTL, Cluster, add_gateway_type, api_get, check,
                      healthy_gateway, run, sim_account, wait_for,
                      wait_one_publisher, write_scripted_gateway)
from test_secrets import GATEWAY, logged_in_everywhere, sha

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE"]
ADDED = "ag2612.SHFE"
START_TIMEOUT_S = 30
LOGIN_TIMEOUT_S = 20
HEALTHY_TIMEOUT_S = 30
PINNED = "rb2601.SHFE"
STOPPED = "sim_a"  # stopped by hactl stop before the export
NOWHERE = "127.0.0.1:1"  # refuses at once: the file is checked first


def pwcheck(c):
    """Gives every node of c the pwcheck gateway type (before start)."""
    add_gateway_type(c, "pwcheck", write_scripted_gateway(
        os.path.join(c.dir, "pwcheck.py"), "pwcheck", GATEWAY))


def leader_of(c):
    return wait_one_publisher(c, timeout=START_TIMEOUT_S)


def state(c):
    """What import restores, as the cluster's node 0 answers it."""
    return (api_get(c, 0, "/api/accounts"),
            api_get(c, 0, "/api/subscriptions")["symbols"],
            api_get(c, 0, "/api/status")["paused"])


def source_cluster(password):
    c = Cluster(3, [sim_account("sim_a", 1, ["SHFE"]),
                    sim_account("sim_b", 3, ["SHFE"], seed=8)],
                SYMBOLS, name="bksrc")
    pwcheck(c)
    c.start()
    leader = wait_one_publisher(c, timeout=START_TIMEOUT_S)
    wait_for(lambda: healthy_gateway(c, leader, "sim_b"), HEALTHY_TIMEOUT_S,
             "sim_b HEALTHY")
    c.hactl("failover", "--to", "sim_b", PINNED)
    c.hactl("accounts", "add", "--id", "ctp_x", "--type", "pwcheck",
            "--priority", "2", "--exchanges", "SHFE", "--name", "CTP x",
            "--param-str", "password=" + password,
            "--param-str", "expect=" + sha(password))
    c.hactl("subs", "add", ADDED)
    c.hactl("pause")
    c.hactl("stop", STOPPED)
    return c


def check_export(path, password):
    with open(path) as f:
        text = f.read()
    check(password not in text, "the password is in the export")
    doc = json.loads(text)
    check(doc["format"] == "hamd-export" and doc["version"] == 1,
          "format %r version %r" % (doc.get("format"), doc.get("version")))
    check(isinstance(doc["leader"], int) and doc["term"] >= 1,
          "leader %r term %r" % (doc["leader"], doc["term"]))
    ids = [a["id"] for a in doc["accounts"]]
    check(ids == ["ctp_x", "sim_a", "sim_b"], "accounts %r" % ids)
    check(doc["accounts"][0]["params"]["password"] == "***",
          "password %r" % doc["accounts"][0]["params"]["password"])
    check(sorted(doc["subscriptions"]) == sorted(SYMBOLS + [ADDED]),
          "subscriptions %r" % doc["subscriptions"])
    check(doc["paused"] is True, "paused %r" % doc["paused"])
    check(doc["pins"] == [{"symbol": PINNED, "source": "sim_b"}],
          "pins %r" % doc["pins"])
    running = {a["id"]: a["running"] for a in doc["accounts"]}
    check(running == {"ctp_x": True, "sim_a": False, "sim_b": True},
          "running %r" % running)
    check("stop switch" not in doc["not_exported"], doc["not_exported"])
    check(os.stat(path).st_mode & 0o077 == 0, "the export is readable by others")
    return doc


def test_export_import():
    password = "pw-" + uuid.uuid4().hex
    src = source_cluster(password)
    dst = None
    try:
        backup = os.path.join(src.dir, "hamd-backup.json")
        out = src.hactl("export", "--out", backup).stdout
        check("exported 3 accounts, 3 subscriptions, 1 pins" in out, "export said %r" % out)
        doc = check_export(backup, password)
        # What the restore must give; the file, since a follower may not
        # have applied the last change yet.
        want = (doc["accounts"], doc["subscriptions"], doc["paused"])
        r = src.hactl("export", "--out", os.path.join(src.dir, "no", "x.json"),
                      check_rc=False)
        check(r.returncode == 1 and "cannot write" in r.stderr,
              "export into no directory: %d %r" % (r.returncode, r.stderr))
        check(doc["accounts"] == api_get(src, leader_of(src), "/api/accounts"),
              "the export's accounts are not the leader's")

        # The new cluster wants a token for changes, as a real one does.
        token = os.path.join(src.dir, "token")
        with open(os.open(token, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(uuid.uuid4().hex + "\n")
        dst = Cluster(0, [], [], name="bkdst",
                      extra_ini="[admin]\ntoken_file = %s\n" % token)
        pwcheck(dst)
        dst.start()
        wait_one_publisher(dst, timeout=START_TIMEOUT_S)
        empty = state(dst)
        t = ["-t", token]

        # Without the token: every write refused (401, exit 4), none made.
        r = dst.hactl("import", backup, check_rc=False)
        check(r.returncode == 4 and "import: accounts add" in r.stderr and
              r.stderr.count("HTTP 401") == 1 and "stopped" in r.stderr and
              state(dst) == empty, "no token: %d %r" % (r.returncode, r.stderr))

        # A dry run says what it would do and changes nothing.
        r = dst.hactl(*t, "import", backup, "--dry-run", check_rc=False)
        check(r.returncode == 1 and "would create account sim_a" in r.stdout
              and "would stop account sim_a" in r.stdout
              and "ctp_x" in r.stderr, "dry run: %d %r %r"
              % (r.returncode, r.stdout, r.stderr))
        check(state(dst) == empty, "the dry run changed %r" % (state(dst),))

        # Without the password: ctp_x refused by name, the rest imported.
        r = dst.hactl(*t, "import", backup, check_rc=False)
        check(r.returncode == 1 and "refused account ctp_x" in r.stderr and
              "params.password" in r.stderr and
              "--param-str ctp_x.password=" in r.stderr,
              "masked import: %d %r" % (r.returncode, r.stderr))
        accounts, symbols, paused = state(dst)
        check([a["id"] for a in accounts] == ["sim_a", "sim_b"],
              "accounts %r" % accounts)
        check("stop account sim_a" in r.stdout and "1 stopped" in r.stdout and
              [a["running"] for a in accounts] == [False, True],
              "the switch: %r %r" % (r.stdout, accounts))
        check(sorted(symbols) == sorted(want[1]) and paused,
              "subscriptions %r paused %r" % (symbols, paused))
        restore_pin = "hactl failover --to sim_b %s" % PINNED
        check(restore_pin in r.stdout, "the pin: %r" % r.stdout)

        # A secrets file gives the value as well as --param-str.
        secrets = os.path.join(dst.dir, "secrets.json")
        with open(os.open(secrets, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            json.dump({"ctp_x": {"password": password}}, f)
        r = dst.hactl(*t, "import", backup, "--dry-run", "--secrets", secrets)
        check("would create account ctp_x" in r.stdout and "0 refused" in r.stdout
              and r.stderr == "", "--secrets: %r %r" % (r.stdout, r.stderr))

        # With it: imported, and the gateway logs in with the real one.
        r = dst.hactl(*t, "import", backup, "--param-str", "ctp_x.password=" + password)
        check("create account ctp_x" in r.stdout and
              "1 created, 0 updated, 2 unchanged, 0 refused" in r.stdout,
              "import with the password: %r" % r.stdout)
        wait_for(lambda: logged_in_everywhere(dst, "ctp_x", [0]),
                 LOGIN_TIMEOUT_S, "ctp_x logged in on the new cluster")
        check(state(dst) == want, "restored %r, exported %r" % (state(dst), want))
        # The pin as the import said to restore it.
        wait_for(lambda: healthy_gateway(dst, 0, "sim_b"), HEALTHY_TIMEOUT_S,
                 "sim_b HEALTHY on the new cluster")
        dst.hactl(*t, *restore_pin.split()[1:])
        check(api_get(dst, 0, "/api/status")["pinned"] == [PINNED],
              "pinned %r" % api_get(dst, 0, "/api/status")["pinned"])

        # Twice: nothing changes.
        r = dst.hactl(*t, "import", backup)
        check("0 created, 0 updated, 3 unchanged, 0 refused" in r.stdout and
              "0 added, 0 removed, 3 unchanged" in r.stdout and
              "pin" not in r.stdout.replace("pause", ""),
              "second import: %r" % r.stdout)
        check(state(dst) == want, "the second import changed %r" % (state(dst),))
        check(logged_in_everywhere(dst, "ctp_x", [0]), "the password was lost")

        # Stopped here, running in the file: named, never started.
        dst.hactl(*t, "stop", "ctp_x")
        r = dst.hactl(*t, "import", backup)
        check("left stopped: account ctp_x" in r.stdout and
              "hactl start ctp_x" in r.stdout and "(1 left stopped)" in r.stdout,
              "import over a stop: %r" % r.stdout)
        check(api_get(dst, 0, "/api/accounts/ctp_x")["running"] is False,
              "the import started ctp_x")
        dst.hactl(*t, "start", "ctp_x")

        # An edit is put right; extras are kept without --prune.
        dst.hactl(*t, "accounts", "update", "sim_a", "--priority", "7")
        dst.hactl(*t, "accounts", "add", "--id", "extra", "--type", "sim",
                  "--priority", "9", "--exchanges", "DCE", "--disabled")
        dst.hactl(*t, "subs", "add", "m2609.DCE")
        r = dst.hactl(*t, "import", backup)
        check("update account sim_a (priority)" in r.stdout and
              "kept 1 accounts and 1 subscriptions" in r.stdout,
              "import over an edit: %r" % r.stdout)
        accounts, symbols, _ = state(dst)
        check([a["id"] for a in accounts] == ["ctp_x", "extra", "sim_a", "sim_b"] and
              "m2609.DCE" in symbols, "extras gone: %r %r" % (accounts, symbols))
        check(accounts[2] == want[0][1], "sim_a %r" % accounts[2])

        # --prune: listed first; a dry run keeps them, the import does not.
        before = state(dst)
        r = dst.hactl(*t, "import", backup, "--prune", "--dry-run")
        check("accounts (1): extra" in r.stdout and
              "subscriptions (1): m2609.DCE" in r.stdout and
              "would delete account extra" in r.stdout,
              "prune dry run: %r" % r.stdout)
        check(state(dst) == before, "the prune dry run changed something")
        r = dst.hactl(*t, "import", backup, "--prune")
        check("1 deleted, 0 stopped; subscriptions 0 added, 1 removed" in r.stdout,
              "prune: %r" % r.stdout)
        check(state(dst) == want, "after --prune %r" % (state(dst),))
    finally:
        src.cleanup()
        if dst:
            dst.cleanup()


def hactl_import(path, *args):
    return subprocess.run([HACTL, "-H", NOWHERE, "import", path] + list(args),
                          capture_output=True, text=True, timeout=30)


def test_malformed_file():
    c = Cluster(0, [], [], name="bkbad")  # a scratch dir; never started
    try:
        good = {"format": "hamd-export", "version": 1, "paused": False,
                "accounts": [{"id": "a1", "gateway_type": "sim"}],
                "subscriptions": ["rb2601.SHFE"]}
        cases = [
            ("{\"format\": ", "line 1"),
            ("[]", "not a hactl export"),
            (dict(good, version=2), "\"version\" must be 1"),
            (dict(good, accounts=[{"name": "x"}]), "accounts[0]: no \"id\""),
            (dict(good, accounts=[{"id": "a1"}, {"id": "a1"}]),
             "accounts[1]: id 'a1' twice"),
            (dict(good, subscriptions=["x.SHFE", 3]), "subscriptions[1]"),
            (dict(good, paused="no"), "\"paused\""),
            (dict(good, pins=[{"symbol": "rb2601.SHFE"}]), "pins[0]"),
        ]
        path = os.path.join(c.dir, "bad.json")
        for body, why in cases:
            with open(path, "w") as f:
                f.write(body if isinstance(body, str) else json.dumps(body))
            r = hactl_import(path)
            check(r.returncode == 2 and path in r.stderr and why in r.stderr,
                  "%r: exit %d, %r" % (body, r.returncode, r.stderr))
        r = hactl_import(os.path.join(c.dir, "missing.json"))
        check(r.returncode == 2 and "missing.json" in r.stderr,
              "a missing file: %d %r" % (r.returncode, r.stderr))
        # A param for an account the file lacks is a typo, not a no-op.
        with open(path, "w") as f:
            json.dump(good, f)
        r = hactl_import(path, "--param-str", "a2.password=x")
        check(r.returncode == 2 and "'a2'" in r.stderr,
              "a param for no account: %d %r" % (r.returncode, r.stderr))
        # The good file gets past the checks: no node answers (exit 3).
        r = hactl_import(path)
        check(r.returncode == 3, "the good file: %d %r" % (r.returncode, r.stderr))
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_malformed_file, test_export_import])
