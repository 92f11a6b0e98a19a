"""The runnable examples of the protocol docs work as documented.

docs/examples/gateway.py is checked twice: against a hub played by this
test (every message of the gateway protocol, bad input from the hub, STOP,
SIGTERM) and under a real hamd, whose published ticks must carry every
field with contiguous seq. docs/examples/subscriber.py is checked against a
real hamd (late joiner, a dead node among the endpoints, prefixes), across
a leader change in a three-node cluster, and against a publisher played by
this test (fencing and gap detection, exact output and exit status). The
quick starts of docs/client.md, docs/examples/client_tail.c (built against
libhamd-client as installed, through pkg-config) and client_tail.py (the
hamd package from the checkout), are run against a real hamd.
"""
import os
import re
import signal
import subprocess
import tempfile
import shutil
import threading
import time

import msgpack
import zmq

from hamdtest import (TICK_FIELDS, Cluster, Failure, Subscriber,
                      add_gateway_type, check, check_contiguous,
                      check_tick_fields, free_ports, log, run, sim_account)

EXAMPLES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..",
                                        "docs", "examples"))
GATEWAY = os.path.join(EXAMPLES, "gateway.py")
SUBSCRIBER = os.path.join(EXAMPLES, "subscriber.py")
CLIENT_TAIL_C = os.path.join(EXAMPLES, "client_tail.c")
CLIENT_TAIL_PY = os.path.join(EXAMPLES, "client_tail.py")
PYTHON_PACKAGE = os.path.abspath(os.path.join(EXAMPLES, "..", "..", "src", "python"))

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
HUB_FIELDS = ("term", "seq", "node", "hub_ns")
SECRET = "hunter2-do-not-log"
TOKEN = "launch-token-0123456789abcdef"  # what hamd puts in HAMD_GW_TOKEN
PROC_TIMEOUT_S = 30
LINE_RE = re.compile(r"^(\S+) term=(\d+) seq=(\d+) (\S+Z) last=\S+ bid=\S+ "
                     r"ask=\S+ volume=\S+ src=(\S*)( snapshot)?$")
CLIENT_LINE_RE = re.compile(r"^(\S+) term=(\d+) seq=(\d+) last=\S+ volume=\d+ "
                            r"src=(\S+)( snapshot)?$")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def check_gateway_tick(t, account):
    """A gateway TICK body: every TickData field, typed, no hub fields."""
    for k, typ in TICK_FIELDS.items():
        if k in HUB_FIELDS:
            check(k not in t, "gateway sent hub field %s" % k)
            continue
        check(k in t, "TICK lacks %s: %r" % (k, t))
        want = float if typ is float else typ
        check(type(t[k]) is want, "TICK %s is %r, not %s" % (k, t[k], want.__name__))
    check(t["vt_symbol"] == "%s.%s" % (t["symbol"], t["exchange"]), "vt_symbol %r" % t)
    check(t["gateway_name"] == account, "gateway_name %r" % t["gateway_name"])
    check(t["datetime"] % 1_000_000 == 0, "datetime not whole ms: %d" % t["datetime"])
    check(1e18 < t["localtime"] < 4e18, "localtime %r" % t["localtime"])
    check(t["bid_price_1"] < t["last_price"] < t["ask_price_1"], "book %r" % t)
    check(t["limit_down"] < t["low_price"] <= t["last_price"] <= t["high_price"]
          < t["limit_up"], "price range %r" % t)
    check(isinstance(t.get("extra"), dict) and isinstance(t["extra"].get("n"), int),
          "extra.n missing: %r" % t.get("extra"))


def check_n_contiguous(ticks):
    """extra.n of each symbol grows by exactly 1; datetime strictly."""
    last = {}
    for t in ticks:
        vt = t["vt_symbol"]
        if vt in last:
            n0, dt0 = last[vt]
            check(t["extra"]["n"] == n0 + 1,
                  "%s: extra.n %d -> %d" % (vt, n0, t["extra"]["n"]))
            check(t["datetime"] > dt0, "%s: datetime did not grow" % vt)
        last[vt] = (t["extra"]["n"], t["datetime"])


def stop_process(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def parse_lines(stdout):
    """[(vt_symbol, term, seq, src, is_snapshot)] of subscriber.py output."""
    out = []
    for line in stdout.splitlines():
        m = LINE_RE.match(line)
        check(m, "unexpected output line %r" % line)
        out.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(5),
                    bool(m.group(6))))
    return out


def run_subscriber(*args):
    r = subprocess.run([SUBSCRIBER] + list(args), capture_output=True, text=True,
                       timeout=PROC_TIMEOUT_S + 10)
    return r.returncode, r.stdout, r.stderr


def full_tick(vt, term, seq, as_of=None):
    """A published tick as the hub encodes it (for the fake publisher);
    as_of=(term, seq): the exchange time and volume of that one (a new
    leader's re-send of an old leader's tick)."""
    symbol, _, exchange = vt.rpartition(".")
    age_term, age_seq = as_of or (term, seq)
    t = {k: 0.0 for k, typ in TICK_FIELDS.items() if typ is float}
    t.update(symbol=symbol, exchange=exchange, vt_symbol=vt, gateway_name="fake",
             name="", datetime=1_750_000_000_000_000_000 + age_term * 10**12
             + age_seq * 10**6, volume=float(age_term * 10**6 + age_seq),
             localtime=1_750_000_000_000_000_000, term=term, seq=seq, node=term,
             hub_ns=time.time_ns(), last_price=100.0 + seq)
    return msgpack.packb(t)


class FakeHub:
    """The hub's side of the gateway protocol, played by the test."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hamd-fakehub-")
        self.endpoint = "ipc://%s/gw.sock" % self.dir
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(self.endpoint)
        self.msgs = []          # (type, decoded body) in arrival order
        self.identity = None
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "gateway.stderr")

    def spawn(self, account, params):
        env = dict(os.environ, HAMD_GW_ENDPOINT=self.endpoint,
                   HAMD_ACCOUNT=account, HAMD_GW_PARAMS=params,
                   HAMD_GW_TOKEN=TOKEN)
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([GATEWAY], env=env,
                                         stdout=subprocess.DEVNULL, stderr=err)

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.sock.poll(20):
                continue
            frames = self.sock.recv_multipart()
            check(len(frames) == 3, "gateway sent %d frames" % (len(frames) - 1))
            self.identity = frames[0]
            self.msgs.append((frames[1].decode(), msgpack.unpackb(frames[2])))

    def wait(self, pred, timeout, what):
        end = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > end:
                raise Failure("timed out after %ds waiting for %s" % (timeout, what))
            self.pump(0.05)

    def of_type(self, msg_type):
        return [b for t, b in self.msgs if t == msg_type]

    def send(self, msg_type, body):
        raw = body if isinstance(body, bytes) else msgpack.packb(body)
        self.sock.send_multipart([self.identity, msg_type.encode(), raw])

    def check_unsubscribe(self, drop, marker, settle_s):
        """UNSUBSCRIBE drop, then SUBSCRIBE marker: messages are taken in
        order, so once marker ticks no tick of drop may follow. Returns
        every TICK so far."""
        self.send("UNSUBSCRIBE", {"symbols": [drop]})
        self.send("SUBSCRIBE", {"symbols": [marker]})
        self.wait(lambda: any(t["vt_symbol"] == marker
                              for t in self.of_type("TICK")), 10, "marker ticks")
        self.pump(settle_s)
        ticks = self.of_type("TICK")
        first = next(i for i, t in enumerate(ticks) if t["vt_symbol"] == marker)
        check(all(t["vt_symbol"] != drop for t in ticks[first:]),
              "ticks of %s after its UNSUBSCRIBE" % drop)
        return ticks

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def close(self):
        if self.proc:
            stop_process(self.proc)
        self.sock.close()
        self.ctx.term()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# docs/examples/gateway.py
# --------------------------------------------------------------------------

def start_logged_in(hub, account="py_a"):
    hub.spawn(account, '{"tick_ms": 50, "password": "%s"}' % SECRET)
    hub.wait(lambda: len(hub.msgs) >= 4, 10, "HELLO and three STATUS")
    first = hub.msgs[:4]
    check(first[0][0] == "HELLO", "first message %r" % (first[0],))
    hello = first[0][1]
    check(hello == {"account": account, "pid": hub.proc.pid, "proto": 1,
                    "gateway_type": "py-example", "token": TOKEN},
          "HELLO %r" % hello)
    check(hub.identity == account.encode(), "DEALER identity %r" % hub.identity)
    states = [b["state"] for t, b in first[1:] if t == "STATUS"]
    check(states == ["connecting", "connected", "logged_in"], "STATUS %r" % states)


def test_gateway_example_speaks_the_protocol():
    hub = FakeHub()
    try:
        start_logged_in(hub)
        hub.wait(lambda: hub.of_type("HB"), 5, "an HB")
        hb = hub.of_type("HB")[0]
        check(list(hb) == ["ts_ns"] and abs(hb["ts_ns"] - time.time_ns()) < 10 * 10**9,
              "HB %r" % hb)
        check(not hub.of_type("TICK"), "ticks before any SUBSCRIBE")

        hub.send("SUBSCRIBE", {"symbols": ["rb2601.SHFE", "i2601.DCE", "no dot"]})
        hub.wait(lambda: {t["vt_symbol"] for t in hub.of_type("TICK")} ==
                 {"rb2601.SHFE", "i2601.DCE"}, 10, "ticks on both symbols")
        # Bad input from the hub is ignored, never fatal.
        hub.send("BOGUS", {})
        hub.send("SUBSCRIBE", b"\xc1 not msgpack")
        hub.send("SUBSCRIBE", {"symbols": 5})
        hub.sock.send_multipart([hub.identity, b"SUBSCRIBE"])
        ticks = hub.check_unsubscribe("i2601.DCE", "cu2601.SHFE", 0.5)
        for t in ticks:
            check_gateway_tick(t, "py_a")
        check_n_contiguous(ticks)
        check(hub.proc.poll() is None, "gateway died on bad input")

        hub.send("STOP", {})
        rc = hub.proc.wait(10)
        check(rc == 0, "exit status %d after STOP" % rc)
        hub.pump(0.3)
        check(hub.of_type("STATUS")[-1]["state"] == "disconnected",
              "no STATUS disconnected before exit")
        err = hub.stderr()
        check(SECRET not in err, "the gateway logged a secret param")
        for what in ("unknown hub message type", "malformed SUBSCRIBE",
                     "a hub message of 1 frames", "invalid symbol 'no dot'"):
            check("ignored " + what in err, "not logged: %s\n%s" % (what, err))
    finally:
        hub.close()


def test_gateway_example_exits_0_on_sigterm():
    hub = FakeHub()
    try:
        start_logged_in(hub, "py_b")
        hub.send("SUBSCRIBE", {"symbols": ["rb2601.SHFE"]})
        hub.wait(lambda: hub.of_type("TICK"), 10, "a tick")
        hub.proc.send_signal(signal.SIGTERM)
        rc = hub.proc.wait(10)
        check(rc == 0, "exit status %d after SIGTERM" % rc)
    finally:
        hub.close()


def test_gateway_example_rejects_bad_environment():
    for env in ({"HAMD_ACCOUNT": "py_a"},                       # no endpoint
                {"HAMD_GW_ENDPOINT": "ipc:///nonexistent", "HAMD_ACCOUNT": "Bad Id"},
                {"HAMD_GW_ENDPOINT": "ipc:///nonexistent", "HAMD_ACCOUNT": "py_a",
                 "HAMD_GW_PARAMS": '{"password": "%s",' % SECRET},
                {"HAMD_GW_ENDPOINT": "ipc:///nonexistent", "HAMD_ACCOUNT": "py_a",
                 "HAMD_GW_PARAMS": '{"tick_ms": "fast"}'}):
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith("HAMD_GW_") and k != "HAMD_ACCOUNT"}
        r = subprocess.run([GATEWAY], env=dict(clean, **env), capture_output=True,
                           text=True, timeout=PROC_TIMEOUT_S)
        check(r.returncode == 2, "exit %d for %r" % (r.returncode, env))
        check(SECRET not in r.stderr, "secret in the error message")


def test_gateway_example_under_hamd():
    account = {"id": "py_a", "gateway_type": "py", "priority": 1, "enabled": True,
               "exchanges": ["SHFE", "DCE"],
               "params": {"tick_ms": 50, "password": SECRET}}
    c = Cluster(0, [account], SYMBOLS, name="pygw")
    add_gateway_type(c, "py", GATEWAY)
    c.start()
    try:
        sub = Subscriber(c.publish_endpoints())
        sub.pump_until(lambda: {t["vt_symbol"] for _, t in sub.ticks} == set(SYMBOLS),
                       30, "ticks on all symbols from the Python gateway")
        sub.pump_until(lambda: len(sub.ticks) >= 100, 20, "100 ticks")
        for _, t in sub.ticks:
            check_tick_fields(t)
            check(t["gateway_name"] == "py_a", "source %r" % t["gateway_name"])
            check(t["node"] == 1 and t["term"] >= 1, "hub fields %r" % t)
        check_contiguous(sub.ticks)
        check_n_contiguous([t for _, t in sub.ticks])
        sub.close()
        text = c.log_text()
        check(re.search(r"gateway py_a: HELLO \(pid \d+, py-example, protocol 1\)", text),
              "no HELLO in the hamd log")
        check("gateway py_a: CONNECTING -> HEALTHY" in text, "py_a never HEALTHY")
        c.stop()
        text = c.log_text()
        check(re.search(r"gateway py_a \(pid \d+\) ended: exit 0", text),
              "the gateway did not exit 0 on SIGTERM")
        check(SECRET not in text, "a secret param reached the log")
    finally:
        c.cleanup()


# --------------------------------------------------------------------------
# docs/examples/subscriber.py
# --------------------------------------------------------------------------

def test_subscriber_example_against_hamd():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=20)], SYMBOLS,
                name="docsub").start()
    try:
        warm = Subscriber(c.publish_endpoints())
        warm.pump_until(lambda: {t["vt_symbol"] for _, t in warm.ticks} == set(SYMBOLS),
                        30, "ticks on all symbols")
        warm.close()
        # A node that does not publish, as in a cluster: connected, never answers.
        dead_pub, dead_snap = ("tcp://127.0.0.1:%d" % p for p in free_ports(2))
        rc, out, err = run_subscriber(
            "--endpoint", dead_pub, "--endpoint", c.nodes[0]["publish"],
            "--snapshot", dead_snap, "--snapshot", c.nodes[0]["snapshot"],
            "--count", "60", "--timeout", str(PROC_TIMEOUT_S))
        check(rc == 0, "exit status %d\n%s" % (rc, err))
        lines = parse_lines(out)
        check(len(lines) == 60, "%d lines" % len(lines))
        snap = lines[:len(SYMBOLS)]
        check(all(s for *_, s in snap) and {vt for vt, *_ in snap} == set(SYMBOLS),
              "the snapshot does not come first: %r" % snap)
        check(not any(s for *_, s in lines[len(SYMBOLS):]), "snapshot lines later")
        pos = {}
        for vt, term, seq, src, _ in lines:
            check(src == "sim_a", "source %r" % src)
            if vt in pos:
                check((term, seq) == (pos[vt][0], pos[vt][1] + 1),
                      "%s: %r then %r" % (vt, pos[vt], (term, seq)))
            pos[vt] = (term, seq)
        check("0 gaps" in err, "summary: %s" % err)

        rc, out, err = run_subscriber("--endpoint", c.nodes[0]["publish"],
                                      "--snapshot", c.nodes[0]["snapshot"],
                                      "--prefix", "rb2601", "--count", "5",
                                      "--timeout", str(PROC_TIMEOUT_S))
        check(rc == 0, "exit status %d with a prefix\n%s" % (rc, err))
        check({vt for vt, *_ in parse_lines(out)} == {"rb2601.SHFE"},
              "prefix not applied:\n" + out)
    finally:
        c.cleanup()


def test_subscriber_example_follows_a_leader_change():
    """Three nodes, the subscriber on all of them, the leader killed."""
    c = Cluster(3, [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=20)], SYMBOLS[:2],
                name="docfo").start()
    proc = None
    try:
        hb = Subscriber(c.publish_endpoints(), prefixes=("_hb",))
        hb.pump_until(lambda: hb.heartbeats, 30, "a leader's heartbeat")
        leader = hb.heartbeats[-1][1]["node"]
        hb.close()
        args = [SUBSCRIBER, "--count", "300", "--timeout", str(PROC_TIMEOUT_S)]
        for n in c.nodes:
            args += ["--endpoint", n["publish"], "--snapshot", n["snapshot"]]
        # stderr to a file: readline() buffers stdout, and communicate()
        # would then read the pipe underneath that buffer and lose lines.
        errfile = tempfile.TemporaryFile(mode="w+")
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errfile,
                                text=True)
        before = [proc.stdout.readline() for _ in range(20)]
        c.kill(leader - 1)
        out = proc.stdout.read()
        proc.wait(timeout=PROC_TIMEOUT_S + 10)
        errfile.seek(0)
        err = errfile.read()
        check(proc.returncode == 0, "exit status %d\n%s" % (proc.returncode, err))
        lines = parse_lines("".join(before) + out)
        check(len(lines) == 300, "%d lines" % len(lines))
        terms = [term for _, term, *_ in lines]
        check(terms == sorted(terms) and len(set(terms)) >= 2,
              "terms %r: no leader change seen" % sorted(set(terms)))
        check("publisher changed: term %d -> " % terms[0] in err, err)
        pos = {}
        for vt, term, seq, _, _ in lines:
            if pos.get(vt, (0, 0))[0] == term:
                check(seq == pos[vt][1] + 1, "%s: seq %d after %r" % (vt, seq, pos[vt]))
            pos[vt] = (term, seq)
    finally:
        if proc:
            stop_process(proc)
        c.cleanup()


def test_subscriber_example_usage_errors():
    for args in ([], ["--endpoint", "tcp://127.0.0.1:1", "--count", "-1"]):
        rc, _, err = run_subscriber(*args)
        check(rc == 2, "exit %d for %r: %s" % (rc, args, err))


def test_subscriber_example_fences_and_reports_gaps():
    """A publisher played by the test: the exact lines and the exit status."""
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    snap = ctx.socket(zmq.ROUTER)
    for s in (pub, snap):
        s.setsockopt(zmq.LINGER, 0)
    pub_ep = "tcp://127.0.0.1:%d" % pub.bind_to_random_port("tcp://127.0.0.1")
    snap_ep = "tcp://127.0.0.1:%d" % snap.bind_to_random_port("tcp://127.0.0.1")
    vt = "rb2601.SHFE"
    proc = subprocess.Popen([SUBSCRIBER, "--endpoint", pub_ep, "--snapshot", snap_ep,
                             "--count", "7", "--timeout", str(PROC_TIMEOUT_S)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Heartbeats until the client, having seen one, asks for the snapshot.
        end = time.monotonic() + PROC_TIMEOUT_S
        while not snap.poll(50):
            check(time.monotonic() < end and proc.poll() is None, "no snapshot request")
            pub.send_multipart([b"_hb", msgpack.packb(
                {"term": 2, "node": 2, "ts_ns": time.time_ns(), "published": 0})])
        ident, *request = snap.recv_multipart()
        check(request == [b"SNAPSHOT", b""], "request %r" % request)
        snap.send_multipart([ident, vt.encode(), full_tick(vt, 2, 10)])
        snap.send_multipart([ident, b"END", msgpack.packb({"term": 2, "count": 1})])
        # covered by the snapshot, new, straggler of term 1, new, new term
        # whose leader re-sends (2, 11) and (2, 12) (protocol.md §8: not
        # newer than what was printed; they were printed again, one of them
        # backwards), new, new, gap of one, new
        for term, seq, as_of in [(2, 9, None), (2, 11, None), (1, 50, None),
                                 (2, 12, None), (3, 1, (2, 11)), (3, 2, (2, 12)),
                                 (3, 3, None), (3, 4, None), (3, 6, None),
                                 (3, 7, None)]:
            pub.send_multipart([vt.encode(), full_tick(vt, term, seq, as_of)])
        out, err = proc.communicate(timeout=PROC_TIMEOUT_S + 10)
        check(proc.returncode == 1, "exit status %d, expected 1 (gap)\n%s"
              % (proc.returncode, err))
        got = [(term, seq, s) for _, term, seq, _, s in parse_lines(out)]
        want = [(2, 10, True), (2, 11, False), (2, 12, False), (3, 3, False),
                (3, 4, False), (3, 6, False), (3, 7, False)]
        check(got == want, "lines %r" % got)
        check("gap on rb2601.SHFE in term 3: seq 4 -> 6 (1 missing)" in err, err)
        check("1 fenced, 1 covered by the snapshot, 2 repeated by a new leader"
              in err, err)
    finally:
        stop_process(proc)
        pub.close()
        snap.close()
        ctx.term()


# --------------------------------------------------------------------------
# docs/examples/client_tail.c and client_tail.py (docs/client.md)
# --------------------------------------------------------------------------

def build_client_tail_c(workdir):
    """Installs the build into workdir/prefix (cmake --install) and compiles
    client_tail.c as docs/client.md says, with pkg-config. Returns the
    program."""
    prefix = os.path.join(workdir, "prefix")
    build = os.environ.get("HAMD_BUILD_DIR") or os.path.join(EXAMPLES, "..", "..", "build")
    r = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                       capture_output=True, text=True, timeout=PROC_TIMEOUT_S)
    check(r.returncode == 0, "cmake --install: %s%s" % (r.stdout, r.stderr))
    pcs = [d for d, _, files in os.walk(prefix) if "hamd-client.pc" in files]
    env = dict(os.environ, PKG_CONFIG_PATH=":".join(pcs))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "hamd-client"],
                           capture_output=True, text=True, env=env)
    check(flags.returncode == 0, "pkg-config: %s" % flags.stderr)
    libdir = subprocess.run(["pkg-config", "--variable=libdir", "hamd-client"],
                            capture_output=True, text=True, env=env).stdout.strip()
    exe = os.path.join(workdir, "client_tail")
    # A sanitizer build's library needs the sanitizers' runtimes linked in.
    with open(os.path.join(build, "CMakeCache.txt")) as f:
        sanitize = "HAMD_SANITIZE:BOOL=ON" in f.read()
    r = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror",
                        "-D_DEFAULT_SOURCE", "-o", exe, CLIENT_TAIL_C]
                       + (["-fsanitize=address,undefined"] if sanitize else [])
                       + flags.stdout.split() + ["-Wl,-rpath," + libdir],
                       capture_output=True, text=True, timeout=PROC_TIMEOUT_S)
    check(r.returncode == 0, "cc client_tail.c: %s" % r.stderr)
    return exe


def check_installed_example_links(prefix):
    """Every link of the installed docs to examples/ names an installed
    file: client.md's to examples/client_tail.c led nowhere (docs/examples
    was not installed)."""
    docs = [d for d, _, files in os.walk(prefix) if "client.md" in files]
    check(docs, "client.md not installed under %s" % prefix)
    for name in os.listdir(docs[0]):
        if not name.endswith(".md"):
            continue
        with open(os.path.join(docs[0], name)) as f:
            for target in re.findall(r"\]\((examples/[^)#]+)", f.read()):
                check(os.path.isfile(os.path.join(docs[0], target)),
                      "installed %s links to %s, not installed" % (name, target))


def check_client_lines(out, count, symbols, what):
    """client_tail's lines: count of them, each contract's first from the
    snapshot, then seq + 1 each within a term."""
    lines = []
    for line in out.splitlines():
        m = CLIENT_LINE_RE.match(line)
        check(m, "%s: unexpected line %r" % (what, line))
        lines.append((m.group(1), int(m.group(2)), int(m.group(3)),
                      bool(m.group(5))))
    check(len(lines) == count, "%s: %d lines" % (what, len(lines)))
    pos = {}
    for vt, term, seq, snap in lines:
        check(snap == (vt not in pos), "%s: %s %s snapshot flag %r"
              % (what, vt, (term, seq), snap))
        if vt in pos and pos[vt][0] == term:
            check(seq == pos[vt][1] + 1, "%s: %s seq %d after %r"
                  % (what, vt, seq, pos[vt]))
        pos[vt] = (term, seq)
    check(set(pos) == set(symbols), "%s: contracts %s" % (what, sorted(pos)))


def test_client_examples_against_hamd():
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=20)], SYMBOLS,
                name="docclient").start()
    work = tempfile.mkdtemp(prefix="hamd-docclient-")
    try:
        exe = build_client_tail_c(work)
        check_installed_example_links(os.path.join(work, "prefix"))
        warm = Subscriber(c.publish_endpoints())
        warm.pump_until(lambda: {t["vt_symbol"] for _, t in warm.ticks} == set(SYMBOLS),
                        30, "ticks on all symbols")
        warm.close()
        dead_pub, dead_snap = ("tcp://127.0.0.1:%d" % p for p in free_ports(2))
        eps = ["-e", dead_pub, "-e", c.nodes[0]["publish"],
               "-s", dead_snap, "-s", c.nodes[0]["snapshot"]]
        env = dict(os.environ, PYTHONPATH=PYTHON_PACKAGE)
        for name, cmd in (("client_tail.c", [exe]),
                          ("client_tail.py", ["/usr/bin/python3", CLIENT_TAIL_PY])):
            r = subprocess.run(cmd + eps + ["-n", "40"], capture_output=True,
                               text=True, timeout=PROC_TIMEOUT_S, env=env)
            check(r.returncode == 0, "%s exit %d: %s" % (name, r.returncode, r.stderr))
            check_client_lines(r.stdout, 40, SYMBOLS, name)
            check("publisher: node 1, term " in r.stderr, "%s: %s" % (name, r.stderr))
            # a prefix: that contract only
            r = subprocess.run(cmd + eps + ["-n", "5", "cu2601"], capture_output=True,
                               text=True, timeout=PROC_TIMEOUT_S, env=env)
            check(r.returncode == 0, "%s exit %d: %s" % (name, r.returncode, r.stderr))
            check_client_lines(r.stdout, 5, ["cu2601.SHFE"], name + " cu2601")
        r = subprocess.run([exe], capture_output=True, text=True, timeout=PROC_TIMEOUT_S)
        check(r.returncode == 2, "client_tail.c without endpoints: %d" % r.returncode)
        # a typo'd endpoint (nothing publishes there) is said, not silence
        for name, cmd in (("client_tail.c", [exe]),
                          ("client_tail.py", ["/usr/bin/python3", CLIENT_TAIL_PY])):
            proc = subprocess.Popen(cmd + ["-e", dead_pub], stderr=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, text=True, env=env)
            guard = threading.Timer(PROC_TIMEOUT_S, proc.kill)  # no line: EOF
            guard.start()
            try:
                line = proc.stderr.readline()
            finally:
                guard.cancel()
                stop_process(proc)
            check(line.startswith("client: no heartbeat in 1000 ms since the start"),
                  "%s on %s: %r" % (name, dead_pub, line))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        c.cleanup()


def test_client_md_documents_the_exported_api():
    """libhamd-client exports exactly the functions client.h declares, and
    docs/client.md's C reference has a row for each (hamd_client_version
    was exported and declared, and missing from the reference)."""
    root = os.path.join(EXAMPLES, "..", "..")
    build = os.environ.get("HAMD_BUILD_DIR") or os.path.join(root, "build")
    r = subprocess.run(["nm", "-D", "--defined-only",
                        os.path.join(build, "src", "libhamd-client.so.1")],
                       capture_output=True, text=True, timeout=PROC_TIMEOUT_S)
    check(r.returncode == 0, "nm: %s" % r.stderr)
    exported = {line.split()[-1].split("@")[0] for line in r.stdout.splitlines()
                if line.split()[-2:-1] == ["T"]}
    with open(os.path.join(root, "include", "hamd", "client.h")) as f:
        declared = set(re.findall(r"\b(hamd_client_\w+)\(", f.read()))
    with open(os.path.join(root, "docs", "client.md")) as f:
        md = f.read()
    ref = md[md.index("## C reference"):]
    ref = ref[:ref.index("\n## ", 1)]
    documented = set(re.findall(r"^\| `(hamd_client_\w+)\(", ref, re.M))
    check(exported == declared, "exported %s, declared %s"
          % (sorted(exported), sorted(declared)))
    check(documented == exported, "client.md's C reference has %s, the "
          "library exports %s" % (sorted(documented), sorted(exported)))


def test_client_md_python_loop_takes_a_tick_without_extra():
    """The body of client.md's Python quick-start loop runs on a tick as a
    real source sends it: without `extra` (protocol.md §4: absent when the
    gateway sent none; hamd-gw-vnpy sends none). It read tick["extra"]:
    KeyError on the first tick from a CTP front."""
    with open(os.path.join(EXAMPLES, "..", "client.md")) as f:
        md = f.read()
    start = md.index("## Quick start: Python")
    m = re.search(r"^for tick in client:.*\n((?:    .*\n)+)", md[start:], re.M)
    check(m, "no 'for tick in client:' loop in the Python quick start")
    body = "\n".join(line[4:] for line in m.group(1).splitlines())
    tick = msgpack.unpackb(full_tick("rb2601.SHFE", 3, 1))
    check("extra" not in tick, "the test's tick has an extra map")
    exec(compile(body, "client.md", "exec"), {"print": lambda *a: None},  # noqa: S102
         {"tick": tick})


if __name__ == "__main__":
    log("examples in %s" % EXAMPLES)
    run([test_gateway_example_speaks_the_protocol,
         test_gateway_example_exits_0_on_sigterm,
         test_gateway_example_rejects_bad_environment,
         test_gateway_example_under_hamd,
         test_subscriber_example_against_hamd,
         test_subscriber_example_follows_a_leader_change,
         test_subscriber_example_usage_errors,
         test_subscriber_example_fences_and_reports_gaps,
         test_client_examples_against_hamd,
         test_client_md_documents_the_exported_api,
         test_client_md_python_loop_takes_a_tick_without_extra])
