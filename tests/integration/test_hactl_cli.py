"""hactl's command line as docs/hactl.md describes it.

A bad --timeout (not a number, 0: libcurl's "never") is a bad command
line, exit 2, before any node is asked; `--json` after the command works
for `tail` as for every other command, one JSON tick a line; `accounts
update ID --json-body FILE` takes the file that `accounts add --json-body`
took, its "id" included (a file naming another account is refused);
`is-leader --other` asks every node but the first (and the first not at
all), names the publisher with --json, and is a usage error (exit 2)
with no other node, an unknown option or an operand. A command that
takes no operand refuses one (exit 2): `hactl pause sim_a` must not pause
the whole cluster. A CA file hactl
cannot use (missing, a directory, no PEM certificate in it), from
--cacert or from the config's [admin] tls_ca, is a bad configuration,
exit 2 naming the file, before any node is asked: not "no node answered"
(exit 3), which sends an operator looking for a network fault. `keys pub`
of a public key file is refused, not answered with a wrong key. `keys gen`
onto an existing NAME.key or NAME.pub is refused, naming it, and leaves
every file as it was. Both are files hactl cannot use: exit 2, as the
exit-code table says, not 1 ("the cluster answered no": no node is asked).
"""
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading

from hamdtest import (HACTL, Cluster, check, run, sim_account,
                      wait_one_publisher)

# Port 1 on loopback refuses at once: without the option check, hactl
# would ask it and exit 3 (no node answered).
NOWHERE = "127.0.0.1:1"


def hactl(*args):
    return subprocess.run([HACTL] + list(args), capture_output=True,
                          text=True, timeout=30)


def test_bad_timeout_is_a_usage_error():
    for bad in ("abc", "0", "-5", "12ms", "", "99999999999999999999"):
        r = hactl("-H", NOWHERE, "--timeout", bad, "status")
        check(r.returncode == 2 and "--timeout" in r.stderr,
              "--timeout %r: exit %d, %r" % (bad, r.returncode, r.stderr))
    r = hactl("-H", NOWHERE, "--timeout", "300", "status")
    check(r.returncode == 3, "--timeout 300 against nothing: exit %d, %r"
          % (r.returncode, r.stderr))


class PublishingNode(http.server.ThreadingHTTPServer):
    """A node that publishes: every GET answers 200. Counts the GETs."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ReadyHandler)
        self.gets = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def address(self):
        return "127.0.0.1:%d" % self.server_address[1]


class ReadyHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.gets += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_unusable_ca_file_is_a_usage_error():
    scratch = tempfile.mkdtemp(prefix="hamd-clica-")
    try:
        junk = os.path.join(scratch, "junk.pem")
        with open(junk, "w") as f:
            f.write("not a certificate\n")
        missing = os.path.join(scratch, "missing.pem")
        config = os.path.join(scratch, "node.ini")
        with open(config, "w") as f:
            f.write("[node]\nid = 1\ndata_dir = %s\nadmin = %s\n"
                    "publish = tcp://127.0.0.1:2\nsnapshot = tcp://127.0.0.1:3\n"
                    "[admin]\ntls_cert = %s\ntls_key = %s\ntls_ca = %s\n"
                    % (scratch, NOWHERE, junk, junk, missing))
        for args, name in ((["-H", "https://" + NOWHERE, "--cacert", missing], missing),
                           (["-H", "https://" + NOWHERE, "--cacert", junk], junk),
                           (["-H", "https://" + NOWHERE, "--cacert", scratch], scratch),
                           (["-c", config], missing)):
            for command in (["status"], ["accounts", "list"]):
                r = hactl(*(args + command))
                check(r.returncode == 2 and name in r.stderr and r.stdout == "",
                      "%s: exit %d, %r" % (" ".join(args + command), r.returncode,
                                           r.stderr))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_keys_pub_of_a_public_key_file():
    """`hactl keys pub` of NAME.pub (the natural slip for "print the
    server key"): refused, naming what it holds; before, once chmod 600
    as the mode error asked, it printed a key derived from the public key
    as if it were a secret, a server key no node serves with."""
    scratch = tempfile.mkdtemp(prefix="hamd-clikeys-")
    try:
        name = os.path.join(scratch, "cluster")
        gen = hactl("keys", "gen", name)
        check(gen.returncode == 0, "keys gen: %r" % gen.stderr)
        os.chmod(name + ".pub", 0o600)
        r = hactl("keys", "pub", name + ".pub")
        check(r.returncode == 2 and r.stdout == "" and
              "holds a public key, not a secret key" in r.stderr,
              "keys pub of the .pub: exit %d, %r %r"
              % (r.returncode, r.stdout, r.stderr))
        r = hactl("keys", "pub", name + ".key")
        check(r.returncode == 0 and r.stdout == gen.stdout,
              "keys pub of the .key: %r, gen printed %r" % (r.stdout, gen.stdout))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def read(path):
    with open(path) as f:
        return f.read()


def test_keys_gen_never_overwrites():
    scratch = tempfile.mkdtemp(prefix="hamd-clikeys-")
    try:
        name = os.path.join(scratch, "cluster")
        check(hactl("keys", "gen", name).returncode == 0, "keys gen")
        before = (read(name + ".key"), read(name + ".pub"))
        r = hactl("keys", "gen", name)
        check(r.returncode == 2 and r.stdout == "" and
              "%s.key exists" % name in r.stderr,
              "keys gen onto a pair: exit %d, %r %r"
              % (r.returncode, r.stdout, r.stderr))
        check((read(name + ".key"), read(name + ".pub")) == before,
              "keys gen changed the existing pair")
        # The public half alone: refused too, and no secret key is left
        # behind to refuse the next try.
        os.unlink(name + ".key")
        r = hactl("keys", "gen", name)
        check(r.returncode == 2 and "%s.pub exists" % name in r.stderr,
              "keys gen onto a .pub: exit %d, %r" % (r.returncode, r.stderr))
        check(not os.path.exists(name + ".key") and
              read(name + ".pub") == before[1],
              "keys gen left %s" % sorted(os.listdir(scratch)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_is_leader_other_skips_the_first_node():
    node = PublishingNode()
    try:
        # The first node publishes, the only other one is down: no other
        # node answered (3), and the first was not even asked.
        r = hactl("-H", node.address(), "-H", NOWHERE, "is-leader", "--other",
                  "--json")
        check(r.returncode == 3 and json.loads(r.stdout) == {"publishing": None},
              "first publishes, other down: exit %d, %r %r"
              % (r.returncode, r.stdout, r.stderr))
        check(node.gets == 0, "the first node was asked %d times" % node.gets)
        r = hactl("-H", NOWHERE, "-H", node.address(), "is-leader", "--other",
                  "--json")
        check(r.returncode == 0 and
              json.loads(r.stdout) == {"publishing": node.address()},
              "other publishes: exit %d, %r %r" % (r.returncode, r.stdout, r.stderr))
        r = hactl("-H", NOWHERE, "-H", node.address(), "is-leader", "--other")
        check(r.returncode == 0 and r.stdout == "" and r.stderr == "",
              "not quiet: exit %d, %r %r" % (r.returncode, r.stdout, r.stderr))
    finally:
        node.shutdown()


def test_is_leader_bad_command_lines():
    """Exit 2 before any node is asked: without the checks hactl would ask
    NOWHERE and exit 3."""
    two = ["-H", NOWHERE, "-H", "127.0.0.2:1"]
    for args, why in ((["-H", NOWHERE, "is-leader", "--other"], "no node but"),
                      (["-H", NOWHERE, "-H", NOWHERE, "is-leader", "--other"],
                       "no node but"),
                      (two + ["is-leader", "--other", "--bogus"], "usage"),
                      (two + ["is-leader", "--other", "extra"], "usage"),
                      (["-H", NOWHERE, "is-leader", "--bogus"], "usage")):
        r = hactl(*args)
        check(r.returncode == 2 and why in r.stderr and r.stdout == "",
              "%s: exit %d, %r" % (" ".join(args), r.returncode, r.stderr))


def test_no_operand_commands_refuse_one():
    """Exit 2 before any node is asked: before, the operand was ignored,
    hactl asked NOWHERE and exited 3 (against a cluster: 0, and `pause
    sim_a` paused every contract's failover)."""
    for args in (["status", "x"], ["accounts", "list", "x"],
                 ["accounts", "rekey", "x"], ["subs", "list", "x"],
                 ["members", "x"], ["pause", "sim_a"], ["resume", "sim_a"],
                 ["events", "x"], ["events", "-f", "x"]):
        r = hactl("-H", NOWHERE, *args)
        check(r.returncode == 2 and "usage: hactl" in r.stderr and r.stdout == "",
              "%s: exit %d, %r" % (" ".join(args), r.returncode, r.stderr))


def test_tail_json_after_the_command():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"], rate=20)],
                ["rb2601.SHFE"], name="clijson").start()
    try:
        wait_one_publisher(c)  # the admin port is bound by then
        r = c.hactl("tail", "--count", "3", "--json", "rb2601")
        lines = r.stdout.splitlines()
        check(len(lines) == 3, "tail --json printed %r" % r.stdout)
        ticks = [json.loads(line) for line in lines]
        check(all(t["vt_symbol"] == "rb2601.SHFE" for t in ticks),
              "ticks %r" % ticks)
    finally:
        c.cleanup()


def test_update_with_the_file_of_add():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"], rate=20)],
                ["rb2601.SHFE"], name="clibody").start()
    try:
        wait_one_publisher(c)  # the admin port is bound by then
        body = os.path.join(c.dir, "backup.json")
        account = {"id": "backup", "gateway_type": "sim", "priority": 3,
                   "exchanges": ["SHFE"], "enabled": False,
                   "params": {"seed": 7}}
        with open(body, "w") as f:
            json.dump(account, f)
        c.hactl("accounts", "add", "--json-body", body)
        account["priority"] = 4
        with open(body, "w") as f:
            json.dump(account, f)
        c.hactl("accounts", "update", "backup", "--json-body", body)
        c.hactl("accounts", "update", "backup", "--json-body", body,
                "--priority", "5")
        stored = {a["id"]: a for a in
                  json.loads(c.hactl("accounts", "list", "--json").stdout)}
        check(stored["backup"]["priority"] == 5, "stored %r" % stored["backup"])
        r = c.hactl("accounts", "update", "sim_a", "--json-body", body,
                    check_rc=False)
        check(r.returncode == 2 and "'backup'" in r.stderr,
              "a file of another account: exit %d, %r" % (r.returncode, r.stderr))
        stored = {a["id"]: a for a in
                  json.loads(c.hactl("accounts", "list", "--json").stdout)}
        check(stored["sim_a"]["priority"] == 1, "sim_a changed: %r" % stored["sim_a"])
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_bad_timeout_is_a_usage_error, test_unusable_ca_file_is_a_usage_error,
         test_keys_pub_of_a_public_key_file, test_keys_gen_never_overwrites,
         test_is_leader_other_skips_the_first_node,
         test_is_leader_bad_command_lines, test_no_operand_commands_refuse_one,
         test_tail_json_after_the_command,
         test_update_with_the_file_of_add])
