"""hamd-gw-vnpy, the vnpy bridge, with a fake vnpy (tests/fakevnpy).

Against a hub played by this test: HELLO, the STATUS sequence from
vnpy_ctp's log lines, HB, SUBSCRIBE mapped to vnpy SubscribeRequests,
ticks converted (exchange-local time to exact UTC ns across midnight,
DBL_MAX and NaN to 0, last_volume from the volume delta without going
negative at a volume reset, localtime stamped), a front disconnect with
its reason and the re-login (the fake forgets its subscriptions, so ticks
resuming proves the bridge subscribed again), UNSUBSCRIBE, bad hub input,
STOP; a gateway class that cannot be imported or connect() that raises:
STATUS error with the Python message and exit 2; no secret in any log.
Then end to end under a real hamd to a subscriber.
"""
import json
import os
import re
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone

import msgpack

from hamdtest import (Cluster, Subscriber, add_gateway_type, check,
                      check_contiguous, check_tick_fields, healthy_gateway,
                      run, wait_for)
from test_doc_examples import FakeHub

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BRIDGE = os.path.join(ROOT, "src", "gw-vnpy", "hamd-gw-vnpy")
FAKEVNPY = os.path.join(ROOT, "tests", "fakevnpy")
SECRET = "hunter2-do-not-log"
TOKEN = "launch-token-0123456789abcdef"  # what hamd puts in HAMD_GW_TOKEN
CHINA_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no DST
PROC_TIMEOUT_S = 20


class BridgeHub(FakeHub):
    """FakeHub for the bridge: multi-body TICKs, PYTHONPATH to the fake."""

    def spawn(self, account, params):
        env = dict(os.environ, HAMD_GW_ENDPOINT=self.endpoint,
                   HAMD_ACCOUNT=account, PYTHONPATH=FAKEVNPY,
                   HAMD_GW_TOKEN=TOKEN,
                   HAMD_GW_PARAMS=params if isinstance(params, str)
                   else json.dumps(params))
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([BRIDGE], env=env, cwd=self.dir,
                                         stdout=subprocess.DEVNULL, stderr=err)

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.sock.poll(20):
                continue
            frames = self.sock.recv_multipart()
            self.identity = frames[0]
            for body in frames[2:]:
                self.msgs.append((frames[1].decode(), msgpack.unpackb(body),
                                  time.time_ns()))

    def of_type(self, msg_type):
        return [m[1] for m in self.msgs if m[0] == msg_type]

    def states(self):
        return [b["state"] for b in self.of_type("STATUS")]


def params(**setting):
    base = {"用户名": "0001", "经纪商代码": "9999", "行情服务器": "tcp://192.0.2.1:1"}
    base.update(setting)
    return {"gateway": "vnpy_fake.FakeGateway", "setting": base,
            "password": SECRET}


def utc_ns_of_name(name):
    """The exchange time the fake wrote in the name (China time), as UTC
    ns by plain arithmetic: what the bridge must have computed."""
    _, day, hms = name.split(" ")
    local = datetime.strptime(day + " " + hms, "%Y%m%d %H:%M:%S.%f")
    utc = (local - CHINA_OFFSET).replace(tzinfo=timezone.utc)
    return int(utc.timestamp()) * 10**9 + utc.microsecond * 1000


# The hub's layout (docs/gateway-protocol.md), in which the hub publishes a
# body without encoding it again: these keys in this order, numbers floats.
NUMBER_KEYS = ["volume", "turnover", "open_interest", "last_price",
               "last_volume", "limit_up", "limit_down", "open_price",
               "high_price", "low_price", "pre_close"] + \
    ["%s_%d" % (k, i) for k in ("bid_price", "ask_price", "bid_volume",
                                "ask_volume") for i in range(1, 6)]
HUB_LAYOUT = ["symbol", "exchange", "vt_symbol", "gateway_name", "name",
              "datetime", "localtime"] + NUMBER_KEYS


def check_ticks(ticks):
    """Every tick converted as the bridge promises."""
    last_volume = {}
    for t, recv_ns in ticks:
        check(list(t) == HUB_LAYOUT, "not the hub's layout: %r" % list(t))
        check(all(isinstance(t[k], float) for k in NUMBER_KEYS),
              "a number that is not a float: %r" % t)
        check(t["datetime"] == utc_ns_of_name(t["name"]),
              "datetime %d is not the UTC of %r" % (t["datetime"], t["name"]))
        check(t["datetime"] % 10**6 == 0, "milliseconds lost: %r" % t["datetime"])
        check(0 < recv_ns - t["localtime"] < 5 * 10**9,
              "localtime %r not stamped at receipt" % t["localtime"])
        check(t["limit_up"] == 0.0 and t["bid_price_2"] == 0.0 and
              t["ask_price_2"] == 0.0, "DBL_MAX / NaN not mapped to 0: %r" % t)
        check(all(isinstance(v, float) and v == v and 0 <= v < 1e300
                  for k, v in t.items() if isinstance(v, float)),
              "a number out of range: %r" % t)
        check(t["vt_symbol"] == "%s.%s" % (t["symbol"], t["exchange"]),
              "vt_symbol %r" % t)
        check(t["last_volume"] >= 0, "negative last_volume %r" % t)
        vt = t["vt_symbol"]
        if vt in last_volume and t["volume"] >= last_volume[vt]:
            check(t["last_volume"] == t["volume"] - last_volume[vt],
                  "%s last_volume %r after volume %r -> %r"
                  % (vt, t["last_volume"], last_volume[vt], t["volume"]))
        last_volume[vt] = t["volume"]


def ticks_with_recv(hub, vt=None):
    return [(m[1], m[2]) for m in hub.msgs if m[0] == "TICK" and
            (vt is None or m[1]["vt_symbol"] == vt)]


# --------------------------------------------------------------------------
# Against a hub played by the test
# --------------------------------------------------------------------------

def test_bridge_speaks_the_protocol():
    hub = BridgeHub()
    try:
        # 23:59:59.5 China time: the night session crosses midnight.
        hub.spawn("ctp_a", params(tick_ms=50, clock_start="2025-01-02T23:59:59.500",
                                  disconnect_after_ms=1500, reconnect_ms=300,
                                  volume_reset_after=12))
        hub.wait(lambda: "logged_in" in hub.states(), 10, "logged_in")
        hello = hub.of_type("HELLO")[0]
        check(hello == {"account": "ctp_a", "pid": hub.proc.pid, "proto": 1,
                        "gateway_type": "vnpy", "token": TOKEN},
              "HELLO %r" % hello)
        check(hub.msgs[0][0] == "HELLO", "first message %r" % (hub.msgs[0],))
        check(hub.states() == ["connecting", "connected", "logged_in"],
              "STATUS %r" % hub.states())
        check(hub.identity == b"ctp_a", "identity %r" % hub.identity)
        hub.send("SUBSCRIBE", {"symbols": ["rb2601.SHFE", "i2601.DCE",
                                           "x.NOWHERE", "no dot"]})
        hub.wait(lambda: {t["vt_symbol"] for t in hub.of_type("TICK")} ==
                 {"rb2601.SHFE", "i2601.DCE"}, 10, "ticks of both contracts")
        # bad input from the hub is ignored
        hub.send("BOGUS", {})
        hub.send("SUBSCRIBE", b"\xc1 not msgpack")
        hub.sock.send_multipart([hub.identity, b"UNSUBSCRIBE"])
        hub.wait(lambda: "disconnected" in hub.states(), 10, "the front drop")
        down = hub.of_type("STATUS")[3]
        check(down["state"] == "disconnected" and "4097" in down["detail"] and
              "network read failed" in down["detail"], "STATUS %r" % down)
        n_before = len(hub.of_type("TICK"))
        hub.wait(lambda: hub.states()[-2:] == ["connected", "logged_in"], 10,
                 "re-login")
        hub.wait(lambda: {t["vt_symbol"] for t in hub.of_type("TICK")[n_before:]}
                 == {"rb2601.SHFE", "i2601.DCE"}, 10,
                 "ticks of both contracts after the re-login")
        ticks = hub.check_unsubscribe("i2601.DCE", "cu2601.SHFE", 0.3)
        check_ticks(ticks_with_recv(hub))
        check(any(t["datetime"] >= 1735833600 * 10**9 for t in ticks) and
              any(t["datetime"] < 1735833600 * 10**9 for t in ticks),
              "no tick on both sides of midnight China time")
        rb = [t for t, _ in ticks_with_recv(hub, "rb2601.SHFE")]
        check(any(b["volume"] < a["volume"] for a, b in zip(rb, rb[1:])),
              "the fake's volume reset never came")
        check(rb[0]["last_volume"] == 0.0, "first tick last_volume %r" % rb[0])
        hub.send("STOP", {})
        rc = hub.proc.wait(PROC_TIMEOUT_S)
        check(rc == 0, "exit %d after STOP" % rc)
        hub.pump(0.3)
        check(hub.of_type("STATUS")[-1]["state"] == "disconnected",
              "no STATUS disconnected before exit")
        err = hub.stderr()
        check(SECRET not in err, "a secret reached the log")
        for what in ("unknown hub message type", "malformed SUBSCRIBE",
                     "a hub message of 1 frames", "invalid symbol 'no dot'",
                     "no such exchange"):
            check(what in err, "not logged: %s\n%s" % (what, err))
        hbs = hub.of_type("HB")
        check(len(hbs) >= 3, "%d HB" % len(hbs))
    finally:
        hub.close()


def test_bridge_exits_0_on_sigterm():
    hub = BridgeHub()
    try:
        hub.spawn("ctp_b", params(tick_ms=50))
        hub.wait(lambda: "logged_in" in hub.states(), 10, "logged_in")
        hub.send("SUBSCRIBE", {"symbols": ["rb2601.SHFE"]})
        hub.wait(lambda: hub.of_type("TICK"), 10, "a tick")
        t0 = time.monotonic()
        hub.proc.send_signal(signal.SIGTERM)
        rc = hub.proc.wait(PROC_TIMEOUT_S)
        check(rc == 0, "exit %d after SIGTERM" % rc)
        check(time.monotonic() - t0 < 2.0, "slower than hamd's stop grace")
    finally:
        hub.close()


def expect_error_exit(gateway_params, what):
    """The bridge says why in STATUS error, then exits 2."""
    hub = BridgeHub()
    try:
        hub.spawn("ctp_c", gateway_params)
        rc = hub.proc.wait(PROC_TIMEOUT_S)
        hub.pump(0.5)
        check(rc == 2, "exit %d, expected 2 (%s)" % (rc, hub.stderr()))
        errors = [b for b in hub.of_type("STATUS") if b["state"] == "error"]
        check(errors and what in errors[0]["detail"],
              "STATUS error %r lacks %r" % (errors, what))
        check(len(errors[0]["detail"].encode()) <= 127, "detail too long")
        check(SECRET not in hub.stderr(), "a secret reached the log")
        check(all(SECRET not in str(b) for b in hub.of_type("STATUS")),
              "a secret reached STATUS")
    finally:
        hub.close()


def test_bad_gateway_class_is_status_error_exit_2():
    p = params()
    p["gateway"] = "vnpy_broken.CtpGateway"
    expect_error_exit(p, "ImportError: libthostmduserapi_se.so")
    p["gateway"] = "vnpy_nonexistent.CtpGateway"
    expect_error_exit(p, "No module named 'vnpy_nonexistent'")
    p["gateway"] = "vnpy_fake.NoSuchGateway"
    expect_error_exit(p, "AttributeError")
    expect_error_exit(params(raise_in_connect=True), "connect: KeyError")
    expect_error_exit({"setting": {}}, "param gateway")
    numeric = dict(params(), password=20250102)   # digits without quotes
    expect_error_exit(numeric, "param password must be a JSON string")


def test_help_and_version():
    """--help and --version, like the C gateways; any other option is a
    usage error (hamd starts gateways without options)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMD_")}
    for opt in ("--help", "--version"):
        r = subprocess.run([BRIDGE, opt], env=env, capture_output=True,
                           text=True, timeout=30)
        check(r.returncode == 0, "%s: exit %d, %r" % (opt, r.returncode, r.stderr))
        want = "usage: hamd-gw-vnpy" if opt == "--help" else "hamd-gw-vnpy 0."
        check(r.stdout.startswith(want), "%s printed %r" % (opt, r.stdout))
    r = subprocess.run([BRIDGE, "--bogus"], env=env, capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 2 and "usage: hamd-gw-vnpy" in r.stderr,
          "--bogus: exit %d, %r" % (r.returncode, r.stderr))


def test_login_refused_is_status_error():
    hub = BridgeHub()
    try:
        hub.spawn("ctp_d", params(login_error=True))
        hub.wait(lambda: "error" in hub.states(), 10, "STATUS error")
        st = [b for b in hub.of_type("STATUS") if b["state"] == "error"][0]
        check("登录失败" in st["detail"], "detail %r" % st)
        check(hub.proc.poll() is None, "the bridge must stay up (hamd restarts it)")
        check(SECRET not in hub.stderr(), "a secret reached the log")
    finally:
        hub.close()


def test_failure_lines_reach_the_log_at_info():
    """A refused trading-server authentication (a wrong auth_code) leaves
    vnpy_ctp without contracts: every tick is dropped while market data
    logs in. It is STATUS error (hamd holds the gateway: a relaunch would
    authenticate again), whose detail hamd logs at info; the market-data
    login after it is not sent."""
    hub = BridgeHub()
    try:
        hub.spawn("ctp_f", params(td_auth_error=True))
        hub.wait(lambda: "not sent: the refused login stands" in hub.stderr(),
                 10, "the market-data login after the refusal")
        hub.pump(0.2)
        check(hub.states() == ["connecting", "error"], "states %r"
              % hub.states())
        st = hub.of_type("STATUS")[-1]
        check("授权验证失败" in st["detail"] and "代码：63" in st["detail"],
              "detail %r" % st)
    finally:
        hub.close()


def test_trading_login_refused_is_status_error():
    """A refused trading-server login (交易服务器登录失败, CTP code 3) is
    STATUS error naming the code and vnpy's message: secrets blanked, at
    most 127 bytes, whole UTF-8 characters. No state follows it (vnpy_ctp
    never logs in again) and the bridge stays up."""
    hub = BridgeHub()
    try:
        long_msg = "CTP:不合法的登录 %s %s" % (SECRET, "密码错误" * 40)
        hub.spawn("ctp_g", params(td_login_error=3, td_error_msg=long_msg))
        hub.wait(lambda: "not sent: the refused login stands" in hub.stderr(),
                 10, "the market-data login after the refusal")
        hub.pump(0.2)
        check(hub.states() == ["connecting", "error"], "states %r"
              % hub.states())
        detail = hub.of_type("STATUS")[-1]["detail"]
        check(detail.startswith("交易服务器登录失败，代码：3，信息：CTP:不合法的登录 ***"),
              "detail %r" % detail)
        check(len(detail.encode("utf-8")) <= 127, "detail of %d bytes"
              % len(detail.encode("utf-8")))
        check(SECRET not in hub.stderr(), "a secret reached the log")
        check(hub.proc.poll() is None, "the bridge must stay up")
    finally:
        hub.close()


def test_front_not_ready_is_disconnected():
    """CTP codes 7 (还没有初始化) and 8 (前置不活跃) say the front is not
    ready, not that the account was refused: STATUS disconnected (hamd
    restarts it as ever), and the market-data login that follows is
    sent."""
    for code in (7, 8):
        hub = BridgeHub()
        try:
            hub.spawn("ctp_h", params(td_login_error=code))
            hub.wait(lambda: "logged_in" in hub.states(), 10, "logged_in")
            check("error" not in hub.states(), "code %d: states %r"
                  % (code, hub.states()))
            st = [b for b in hub.of_type("STATUS")
                  if b["state"] == "disconnected"]
            check(len(st) == 1 and "代码：%d" % code in st[0]["detail"],
                  "code %d: STATUS %r" % (code, hub.of_type("STATUS")))
        finally:
            hub.close()


def test_unknown_contract_is_skipped_not_fatal():
    """A gateway whose subscribe() raises for a contract its front does
    not know: the bridge logs the contract and goes on with the others
    (before, the exception ended its main loop: no more HB or ticks, and
    SIGTERM ignored while vnpy's threads kept the process alive)."""
    hub = BridgeHub()
    try:
        hub.spawn("ctp_e", params(tick_ms=50, unknown_symbols=["zz2601"]))
        hub.wait(lambda: "logged_in" in hub.states(), 10, "logged_in")
        hub.send("SUBSCRIBE", {"symbols": ["rb2601.SHFE", "zz2601.SHFE",
                                           "i2601.DCE"]})
        hub.wait(lambda: {t["vt_symbol"] for t in hub.of_type("TICK")} ==
                 {"rb2601.SHFE", "i2601.DCE"}, 10,
                 "ticks of the known contracts")
        n_hb = len(hub.of_type("HB"))
        hub.wait(lambda: len(hub.of_type("HB")) > n_hb, 10, "an HB after it")
        hub.send("STOP", {})
        rc = hub.proc.wait(PROC_TIMEOUT_S)
        check(rc == 0, "exit %d after STOP" % rc)
        err = hub.stderr()
        check("ignored zz2601.SHFE: the gateway's subscribe raised KeyError"
              in err, "the unknown contract not logged:\n%s" % err)
        check(SECRET not in err, "a secret reached the log")
    finally:
        hub.close()


# --------------------------------------------------------------------------
# Under hamd
# --------------------------------------------------------------------------

# A bug in the bridge's main loop: its fail() run in a child process (it
# ends the process) with a hub that prints the STATUS it is given.
MAIN_LOOP_BUG = """
import importlib.machinery, sys
b = importlib.machinery.SourceFileLoader("bridge", sys.argv[1]).load_module()
class Hub:
    def status(self, state, detail):
        print(state, detail, flush=True)
    def close(self):
        pass
class Ctx:
    def term(self):
        pass
b.fail(Hub(), Ctx(), "main loop", RuntimeError("boom"), code=b.EXIT_RUNTIME)
"""


def test_main_loop_bug_is_disconnected():
    """A bug that ends the main loop is STATUS disconnected and exit 1:
    hamd relaunches it, as after a crash. STATUS error would hold the
    gateway until an operator came (docs/gateway-protocol.md)."""
    r = subprocess.run(["/usr/bin/python3", "-c", MAIN_LOOP_BUG, BRIDGE],
                       capture_output=True, text=True, timeout=PROC_TIMEOUT_S)
    check(r.returncode == 1, "exit %d, expected 1: %s" % (r.returncode, r.stderr))
    check(r.stdout.startswith("disconnected main loop: RuntimeError: boom"),
          "STATUS %r, expected disconnected" % r.stdout)


def test_bridge_under_hamd():
    symbols = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE"]
    c = Cluster(0, [], symbols, name="vnpy", env={"PYTHONPATH": FAKEVNPY})
    workdir = os.path.join(c.dir, "vnpy", "ctp_main")
    c.accounts = [{"id": "ctp_main", "gateway_type": "vnpy", "priority": 1,
                   "enabled": True, "exchanges": ["SHFE", "DCE"],
                   "params": dict(params(tick_ms=100), workdir=workdir)}]
    c.rewrite_configs()
    add_gateway_type(c, "vnpy", BRIDGE)
    c.start()
    try:
        sub = Subscriber(c.publish_endpoints())
        sub.pump_until(lambda: {t["vt_symbol"] for _, t in sub.ticks} == set(symbols),
                       30, "ticks of every contract through the bridge")
        sub.pump_until(lambda: len(sub.ticks) >= 60, 20, "60 ticks")
        wait_for(lambda: healthy_gateway(c, 0, "ctp_main"), 10, "ctp_main HEALTHY")
        for _, t in sub.ticks:
            check_tick_fields(t)
            check(t["gateway_name"] == "ctp_main", "source %r" % t["gateway_name"])
            check(t["limit_up"] == 0.0, "DBL_MAX published: %r" % t["limit_up"])
            check(abs(t["hub_ns"] - t["datetime"]) < 2 * 10**9,
                  "datetime not true UTC: %d ns off" % (t["hub_ns"] - t["datetime"]))
        check_contiguous(sub.ticks)
        sub.close()
        check(os.path.isdir(os.path.join(workdir, ".vntrader")),
              "workdir not given to vnpy")
        c.stop()
        text = c.log_text()
        check(re.search(r"gateway ctp_main: HELLO \(pid \d+, vnpy, protocol 1\)", text),
              "no HELLO in the hamd log")
        check(re.search(r"gateway ctp_main \(pid \d+\) ended: exit 0", text),
              "the bridge did not exit 0 on SIGTERM")
        check(SECRET not in text, "a secret reached hamd's log")
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_bridge_speaks_the_protocol, test_bridge_exits_0_on_sigterm,
         test_bad_gateway_class_is_status_error_exit_2, test_help_and_version,
         test_login_refused_is_status_error,
         test_failure_lines_reach_the_log_at_info,
         test_trading_login_refused_is_status_error,
         test_front_not_ready_is_disconnected,
         test_unknown_contract_is_skipped_not_fatal,
         test_main_loop_bug_is_disconnected, test_bridge_under_hamd])
