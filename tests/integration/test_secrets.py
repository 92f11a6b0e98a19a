"""Secret params sealed at rest (docs/security.md, "Secrets at rest").

A 3-node cluster with one [accounts] key_file: an account written with a
password through a follower (and a seed account with another one) must
leave no trace of either password in any node's data directory (the Raft
log, LMDB, snapshots) or log, while every node's gateway still gets the
password in clear and logs in with it. Answers mask it. Then the key is
rotated with `hactl accounts rekey`, the old key is dropped once every
node has a Raft snapshot taken after the rekey (before, a restarted node
replayed the old key's secrets and logged that it could not open them),
a node restarted then opens everything, and a node without the key
refuses to start. A node whose key file lacks the new key keeps its
gateways and starts a new account's once its file has it. Account
overrides in hamd's environment stay out of the other processes'
environments. Without a key_file, the log says which accounts' secrets
are stored in clear.

The gateway is a small script written here: it logs in (STATUS logged_in,
"password ok") only when the password it was launched with hashes to the
`expect` param, else reports STATUS error.
"""
import base64
import hashlib
import json
import os
import stat
import subprocess
import uuid

from hamdtest import (Cluster, add_gateway_type, api_get, check, gateway_of,
                      healthy_gateway, log, run, sim_account, wait_for,
                      wait_one_publisher, write_scripted_gateway)

ACCOUNT = "ctp_x"
SEED = "seed_a"
SYMBOLS = ["rb2601.SHFE"]
START_TIMEOUT_S = 30
LOGIN_TIMEOUT_S = 20
STOP_TIMEOUT_S = 10
SUBS_FOR_SNAPSHOT = 24  # writes that push the log past snapshot_threshold
# Snapshots early, so the test sees them too; the password must not be in
# them either.
EXTRA_INI = "[raft]\nsnapshot_threshold = 16\nsnapshot_trailing = 4\n"

GATEWAY = r'''params = json.loads(os.environ["HAMD_GW_PARAMS"])
pw = params.get("password")
ok = isinstance(pw, str) and \
    hashlib.sha256(pw.encode()).hexdigest() == params.get("expect")
sock.send_multipart([b"STATUS", pack(
    {"state": "logged_in", "detail": "password ok"} if ok else
    {"state": "error", "detail": "wrong password (%s)" % type(pw).__name__})])
next_hb = 0.0
while not stop:
    if time.monotonic() >= next_hb:
        sock.send_multipart([b"HB", pack({"ts_ns": time.time_ns()})])
        next_hb = time.monotonic() + 1.0
    if sock.poll(100) and sock.recv_multipart()[0] == b"STOP":
        break
sock.close()
sys.exit(0)
'''


def sha(pw):
    return hashlib.sha256(pw.encode()).hexdigest()


def write_file(path, text, mode):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def new_key():
    return base64.b64encode(os.urandom(32)).decode()


def logged_in_everywhere(c, account, nodes):
    """True once account's gateway on every node in nodes says it logged
    in with the right password."""
    for i in nodes:
        g = gateway_of(c, i, account) or {}
        if g.get("status") != "logged_in" or g.get("detail") != "password ok":
            return False
    return True


def grep_data_dirs(c, needle):
    """Files under every node's data_dir holding needle (bytes), as grep -r
    -l finds them."""
    r = subprocess.run(["grep", "-r", "-l", "-a", "-F", "-e", needle] +
                       [n["data_dir"] for n in c.nodes],
                       capture_output=True)
    return r.stdout.decode().split()


def newest_snapshot_index(c, idx):
    """The log index of node idx's newest Raft snapshot (its files are
    DATA_DIR/raft/snapshot-TERM-INDEX-MS), 0 without one."""
    raft_dir = os.path.join(c.nodes[idx]["data_dir"], "raft")
    return max([int(name.split("-")[2]) for name in os.listdir(raft_dir)
                if name.startswith("snapshot-") and
                not name.endswith(".meta")] or [0])


def test_secrets_sealed_at_rest():
    password = "pw-" + uuid.uuid4().hex
    seed_password = "seed-" + uuid.uuid4().hex
    seed = {"id": SEED, "gateway_type": "pwcheck", "priority": 2,
            "enabled": True, "exchanges": ["SHFE"],
            "params": {"password": seed_password, "expect": sha(seed_password)}}
    c = Cluster(3, [seed], SYMBOLS, name="secrets")
    key_a, key_b = new_key(), new_key()
    key_file = write_file(os.path.join(c.dir, "secrets.key"), key_a + "\n",
                          0o600)
    c.extra_ini = EXTRA_INI + "[accounts]\nkey_file = %s\n" % key_file
    c.rewrite_configs()
    gw = write_scripted_gateway(os.path.join(c.dir, "pwcheck.py"), "pwcheck",
                                GATEWAY)
    add_gateway_type(c, "pwcheck", gw)
    c.start()
    try:
        leader = wait_one_publisher(c, timeout=START_TIMEOUT_S)
        follower = (leader + 1) % 3
        # Written through a follower: it forwards to the leader, which
        # seals before it submits.
        c.hactl("accounts", "add", "--id", ACCOUNT, "--type", "pwcheck",
                "--priority", "1", "--exchanges", "SHFE",
                "--param-str", "password=" + password,
                "--param-str", "expect=" + sha(password), idx=follower)
        for account in (ACCOUNT, SEED):
            wait_for(lambda: logged_in_everywhere(c, account, range(3)),
                     LOGIN_TIMEOUT_S, "%s logged in on every node" % account)

        # Answers mask it; so does hactl.
        for i in range(3):
            a = api_get(c, i, "/api/accounts/" + ACCOUNT)
            check(a["params"]["password"] == "***", "GET shows %r"
                  % a["params"]["password"])
        listed = c.hactl("accounts", "list", "--json").stdout
        check(password not in listed and seed_password not in listed
              and "enc:v1:" not in listed, "hactl accounts list shows a secret")
        # A value in the sealed form is refused from outside.
        status, body = c.api(leader, "PUT", "/api/accounts/" + ACCOUNT,
                             {"params": {"password": "enc:v1:00000000:AAAA"}})
        check(status == 400 and body.get("field") == "params",
              "sealed-looking input: %d %r" % (status, body))
        # An edit that sends the mask back keeps the password.
        pid = gateway_of(c, leader, ACCOUNT)["pid"]
        c.hactl("accounts", "update", ACCOUNT, "--param", "note=edited")
        wait_for(lambda: (gateway_of(c, leader, ACCOUNT) or {}).get("pid")
                 not in (None, 0, pid), LOGIN_TIMEOUT_S,
                 "the gateway relaunched with the edited params")
        wait_for(lambda: logged_in_everywhere(c, ACCOUNT, range(3)),
                 LOGIN_TIMEOUT_S, "logged in after the edit")
        # Enough log entries for every node to take a snapshot.
        for i in range(SUBS_FOR_SNAPSHOT):
            c.hactl("subs", "add", "x%d.SHFE" % i)

        # Rotation: the new key first on every node, the old one kept;
        # rekey seals everything under the new key; no gateway restarts
        # (the opened params are the same).
        write_file(key_file, "%s\n%s\n" % (key_b, key_a), 0o600)
        pid = gateway_of(c, leader, ACCOUNT)["pid"]
        out = c.hactl("accounts", "rekey", "--json").stdout
        log("rekey: %s" % out.strip())
        check('"rekeyed":2' in out.replace(" ", ""), "rekey answered %r" % out)
        check(gateway_of(c, leader, ACCOUNT)["pid"] == pid,
              "the gateway was relaunched by the rekey")
        again = c.hactl("accounts", "rekey", "--json").stdout
        check('"rekeyed":0' in again.replace(" ", ""),
              "a second rekey changed %r" % again)
        # The old key dropped once every node has a Raft snapshot taken
        # after the rekey (docs/security.md, step 3): a restarted node
        # opens everything, and never meets a secret it cannot open.
        rekeyed_at = api_get(c, leader, "/api/status")["commit_index"]
        for i in range(3):
            wait_for(lambda: newest_snapshot_index(c, i) >= rekeyed_at,
                     LOGIN_TIMEOUT_S, "node %d's snapshot after the rekey"
                     % (i + 1))
        write_file(key_file, key_b + "\n", 0o600)
        c.stop(follower)
        logged_before = len(c.log_text(follower))
        c.start(follower)
        wait_for(lambda: logged_in_everywhere(c, ACCOUNT, [follower]),
                 START_TIMEOUT_S, "logged in after a restart with the new key")
        since = c.log_text(follower)[logged_before:]
        check("cannot be opened" not in since, "the restarted node met "
              "secrets it cannot open:\n%s" % since[-3000:])

        c.stop(timeout=STOP_TIMEOUT_S)
        for secret in (password, seed_password):
            found = grep_data_dirs(c, secret)
            check(not found, "a password in clear in %s" % found)
            for i in range(3):
                check(secret not in c.log_text(i), "a password in node %d's "
                      "log" % (i + 1))
        check(grep_data_dirs(c, "enc:v1:"), "no sealed value in any data dir")

        # A node without the key refuses to start, and says why.
        n = c.nodes[follower]
        with open(n["config"]) as f:
            text = f.read()
        with open(n["config"], "w") as f:
            f.write(text.replace("key_file = %s" % key_file, ""))
        c.start(follower)
        rc = n["proc"].wait(START_TIMEOUT_S)
        check(rc != 0, "a node without the key started (exit %d)" % rc)
        check("refusing to start" in c.log_text(follower),
              "no clear message:\n" + c.log_text(follower)[-2000:])
        # Nor does one whose key file others may read.
        with open(n["config"], "w") as f:
            f.write(text)
        os.chmod(key_file, 0o644)
        c.start(follower)
        rc = n["proc"].wait(START_TIMEOUT_S)
        check(rc != 0, "a node with a world-readable key file started")
        check("chmod 600" in c.log_text(follower), "no chmod hint")
        os.chmod(key_file, stat.S_IRUSR | stat.S_IWUSR)
    finally:
        c.cleanup()


def test_stale_key_file_catches_up():
    """A node whose key file lacks the key the leader seals with (not
    updated before a rekey, docs/security.md) cannot open the secrets: it
    says so once per account, keeps the gateways it runs, and starts a new
    account's only once its file has the key, without a restart or a
    write (before, that gateway stayed stopped until the account was
    written again or the node restarted)."""
    key_a, key_b = new_key(), new_key()
    c = Cluster(3, [sim_account("sim_a", 1, ["SHFE"], rate=5,
                                password="pw-" + uuid.uuid4().hex)],
                SYMBOLS, name="stalekey")
    files = [write_file(os.path.join(c.dir, "node%d.key" % (i + 1)),
                        key_a + "\n", 0o600) for i in range(3)]
    for i, n in enumerate(c.nodes):
        with open(n["config"], "a") as f:
            f.write("[accounts]\nkey_file = %s\n" % files[i])
    c.start()
    try:
        leader = wait_one_publisher(c, timeout=START_TIMEOUT_S)
        stale = (leader + 1) % 3
        wait_for(lambda: healthy_gateway(c, stale, "sim_a"), START_TIMEOUT_S,
                 "sim_a HEALTHY on the node to be left stale")
        for i in range(3):
            write_file(files[i], key_a + "\n" if i == stale
                       else "%s\n%s\n" % (key_b, key_a), 0o600)
        c.hactl("accounts", "rekey", idx=leader)
        c.hactl("accounts", "add", "--id", "late", "--type", "sim",
                "--priority", "2", "--exchanges", "SHFE",
                "--param-str", "password=pw-" + uuid.uuid4().hex, idx=leader)
        said = "account late: its secret params cannot be opened"
        wait_for(lambda: said in c.log_text(stale), LOGIN_TIMEOUT_S,
                 "the stale node saying it cannot open the new account")
        check(healthy_gateway(c, stale, "sim_a"), "sim_a stopped on the "
              "stale node: %r" % gateway_of(c, stale, "sim_a"))
        check((gateway_of(c, stale, "late") or {}).get("pid") in (None, 0),
              "late runs on the stale node without its key")
        write_file(files[stale], "%s\n%s\n" % (key_b, key_a), 0o600)
        wait_for(lambda: healthy_gateway(c, stale, "late"), LOGIN_TIMEOUT_S,
                 "late HEALTHY on the stale node once its file has the key")
        check(c.log_text(stale).count(said) == 1,
              "said more than once:\n%s" % c.log_text(stale)[-3000:])
    finally:
        c.cleanup()


def environ_of(pid):
    """The environment of process pid, as a dict."""
    with open("/proc/%d/environ" % pid, "rb") as f:
        entries = f.read().decode("utf-8", "replace").split("\0")
    return dict(e.split("=", 1) for e in entries if "=" in e)


def test_account_overrides_stay_in_hamd():
    """An account's params given in hamd's environment
    (HAMD_ACCOUNT_<ID>_PARAMS, docs/configuration.md) may hold its
    password: only that account's gateway gets it, in HAMD_GW_PARAMS.
    Neither the other accounts' gateways nor the hooks inherit the
    variable."""
    password = "envpw-" + uuid.uuid4().hex
    accounts = [{"id": aid, "gateway_type": "sim", "priority": prio,
                 "enabled": True, "exchanges": ["SHFE"],
                 "params": {"seed": 7, "rate": 5}}
                for aid, prio in (("sim_a", 1), ("sim_b", 2))]
    override = json.dumps({"seed": 7, "rate": 5, "password": password})
    c = Cluster(0, accounts, SYMBOLS, name="envsecrets",
                env={"HAMD_ACCOUNT_SIM_A_PARAMS": override})
    hook_env = os.path.join(c.dir, "hook.env")
    hook = write_file(os.path.join(c.dir, "on_leader.sh"),
                      "#!/bin/sh\nenv > %s.tmp && mv %s.tmp %s\n"
                      % (hook_env, hook_env, hook_env), 0o755)
    c.extra_ini = "[hooks]\non_leader = %s\n" % hook
    c.rewrite_configs().start()
    try:
        wait_one_publisher(c, timeout=START_TIMEOUT_S)
        pids = {a: wait_for(lambda: (gateway_of(c, 0, a) or {}).get("pid"),
                            START_TIMEOUT_S, "%s's gateway" % a)
                for a in ("sim_a", "sim_b")}
        gw_a = environ_of(pids["sim_a"])
        check(password in gw_a.get("HAMD_GW_PARAMS", ""),
              "the override did not reach sim_a's gateway")
        wait_for(lambda: os.path.exists(hook_env), START_TIMEOUT_S,
                 "the on_leader hook")
        with open(hook_env) as f:
            hook_text = f.read()
        seen = {"sim_a's gateway, outside HAMD_GW_PARAMS":
                [k for k, v in gw_a.items()
                 if password in v and k != "HAMD_GW_PARAMS"],
                "sim_b's gateway": [k for k, v in environ_of(pids["sim_b"]).items()
                                    if password in v],
                "the on_leader hook": [line.split("=", 1)[0]
                                       for line in hook_text.splitlines()
                                       if password in line]}
        check(not any(seen.values()), "the password inherited: %r" % seen)
    finally:
        c.cleanup()


def test_clear_secrets_warned():
    """Without key_file secrets are stored as given (docs/security.md):
    the log says so for a seed account at start and for an account
    written later, naming the account and never the password."""
    seed_password = "seed-" + uuid.uuid4().hex
    password = "pw-" + uuid.uuid4().hex
    seed = {"id": SEED, "gateway_type": "sim", "priority": 2,
            "enabled": False, "exchanges": ["SHFE"],
            "params": {"password": seed_password}}
    c = Cluster(0, [seed], SYMBOLS, name="clearsecrets").start()
    try:
        wait_one_publisher(c, timeout=START_TIMEOUT_S)
        c.hactl("accounts", "add", "--id", ACCOUNT, "--type", "sim",
                "--priority", "1", "--exchanges", "SHFE", "--disabled",
                "--param-str", "password=" + password)
        clear = "account %s: its secret params are stored in clear"
        wait_for(lambda: clear % SEED in c.log_text(), 10,
                 "the seed's clear password named at start")
        wait_for(lambda: clear % ACCOUNT in c.log_text(), 10,
                 "the added account's clear password named")
        for secret in (password, seed_password):
            check(secret not in c.log_text(), "a password in the log")
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_secrets_sealed_at_rest, test_stale_key_file_catches_up,
         test_account_overrides_stay_in_hamd, test_clear_secrets_warned])
