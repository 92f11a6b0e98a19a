"""The trading calendar (docs/operations.md, "Trading calendar") on one
standalone node.

The holiday file names yesterday, today and tomorrow (in the session
clock's zone, Asia/Shanghai), so SHFE, whose window covers the whole day,
is closed whenever the test runs. Then:

- /api/status lists SHFE as closed with the next opening, DCE (served, no
  [sessions] windows) as unconfigured, and /metrics says no session is
  open;
- a SHFE source whose canary never ticks stays HEALTHY: no canary alarm
  outside a session;
- a SHFE source that disconnects is not hard-restarted after
  restart_after_ms (closed_restart_after_s applies), while a DCE source
  that does the same is: no restart storm outside sessions, as before
  inside;
- the holiday file shipped in deploy/examples loads.
"""
import datetime
import os
import time

from hamdtest import (Cluster, check, gateway_of, healthy_gateway, log,
                      node_status, run, sim_account, sim_control, wait_for)

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
SYMBOLS = ["rb2601.SHFE", "i2601.DCE"]
QUIET_S = 3.0  # several restart_after_ms and canary_timeout_ms

EXTRA_INI = """
[health]
check_interval_ms = 50
canary_timeout_ms = 500
hb_timeout_ms = 1500

[failover]
restart_after_ms = 500

[sessions]
holidays = %s
closed_restart_after_s = 600
SHFE = 00:00-24:00
"""


def holiday_file(path):
    """Writes yesterday, today and tomorrow (Shanghai) as holidays."""
    today = datetime.datetime.now(SHANGHAI).date()
    with open(path, "w") as f:
        f.write("# test: the days around now\n")
        for d in (-1, 0, 1):
            f.write("%s\n" % (today + datetime.timedelta(days=d)).isoformat())


def make():
    c = Cluster(0, [], SYMBOLS, name="calendar")
    path = os.path.join(c.dir, "holidays.txt")
    holiday_file(path)
    c.accounts = [
        sim_account("sim_s", 1, ["SHFE"]),
        sim_account("sim_d", 2, ["DCE"]),
    ]
    c.accounts[0]["canary"] = "zz2601.SHFE"  # never subscribed: silent
    c.extra_ini = EXTRA_INI % path
    return c.with_control().start()


def iso_ns(stamp):
    dt = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(dt.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e9)


def test_holiday_is_quiet():
    c = make()
    try:
        for a in ("sim_s", "sim_d"):
            wait_for(lambda: healthy_gateway(c, 0, a), 30, "%s HEALTHY" % a)
        st = c.api(0, "GET", "/api/status")[1]
        check(st["holidays"] == 3, "holidays %r" % st.get("holidays"))
        sessions = {s["exchange"]: s for s in st["sessions"]}
        check(set(sessions) == {"SHFE", "DCE"}, "sessions %r" % st["sessions"])
        check(sessions["SHFE"]["state"] == "closed", "SHFE %r" % sessions["SHFE"])
        nxt = sessions["SHFE"]["next_open"]
        check(isinstance(nxt, str) and iso_ns(nxt) > time.time_ns(),
              "SHFE next_open %r" % nxt)
        check(sessions["DCE"] == {"exchange": "DCE", "state": "unconfigured",
                                  "next_open": None}, "DCE %r" % sessions["DCE"])
        metrics = c.api(0, "GET", "/metrics")[1]
        check('hamd_session_open{exchange="SHFE"} 0' in metrics,
              "/metrics: SHFE session not 0")
        out = c.hactl("status").stdout
        check("sessions: SHFE closed (opens %s), DCE unconfigured" % nxt in out,
              "hactl status:\n%s" % out)
        log("SHFE closed, next open %s" % nxt)

        for a in ("sim_s", "sim_d"):
            reply = sim_control(c, 0, a, "fault disconnect")
            check(reply.startswith("ok"), "disconnect %s: %s" % (a, reply))
        # DCE has no sessions: restarted as always, after restart_after_ms.
        wait_for(lambda: (gateway_of(c, 0, "sim_d") or {}).get("restarts", 0) >= 1,
                 15, "sim_d hard-restarted")
        time.sleep(QUIET_S)
        g = gateway_of(c, 0, "sim_s")
        check(g["restarts"] == 0 and g["state"] == "DISCONNECTED",
              "sim_s outside its sessions: %r" % g)
        check(g["market_closed"] and not gateway_of(c, 0, "sim_d")["market_closed"],
              "market_closed: sim_s %r, sim_d %r" % (g["market_closed"],
                                                     gateway_of(c, 0, "sim_d")))
        metrics = c.api(0, "GET", "/metrics")[1]
        check('hamd_gateway_market_closed{account="sim_s"} 1' in metrics and
              'hamd_gateway_market_closed{account="sim_d"} 0' in metrics,
              "/metrics: hamd_gateway_market_closed of sim_s 1, sim_d 0")
        log("sim_d restarted %d time(s); sim_s left alone: %s"
            % (gateway_of(c, 0, "sim_d")["restarts"], g["state"]))
    finally:
        c.cleanup()


def test_silent_canary_outside_session():
    c = make()
    try:
        wait_for(lambda: healthy_gateway(c, 0, "sim_s"), 30, "sim_s HEALTHY")
        time.sleep(QUIET_S)
        g = gateway_of(c, 0, "sim_s")
        check(g["state"] == "HEALTHY", "sim_s with a silent canary: %r" % g)
        check(g["canary_age_ms"] is None, "the canary ticked: %r" % g)
    finally:
        c.cleanup()


def test_shipped_example_loads():
    """deploy/examples/holidays-2026.txt is a valid holiday file."""
    example = os.path.abspath(os.path.join(
        os.path.dirname(__file__), "..", "..", "deploy", "examples",
        "holidays-2026.txt"))
    with open(example) as f:
        dates = [ln.split("#")[0].strip() for ln in f]
    dates = [d for d in dates if d]
    check(dates and all(d.startswith("2026-") for d in dates),
          "example dates %r" % dates)
    c = Cluster(0, [sim_account("sim_s", 1, ["SHFE"])], SYMBOLS[:1],
                name="calendar-example")
    c.extra_ini = EXTRA_INI % example
    c.rewrite_configs().start()
    try:
        st = wait_for(lambda: node_status(c, 0), 20, "the node up")
        check(st["holidays"] == len(dates), "holidays %r, file has %d"
              % (st["holidays"], len(dates)))
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_holiday_is_quiet, test_silent_canary_outside_session,
         test_shipped_example_loads])
