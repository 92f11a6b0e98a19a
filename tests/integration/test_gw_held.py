"""A gateway that says STATUS error (a refused login) is held, not restarted.

A CTP broker locks an account after a few failed logins in a row; every
relaunch of a gateway whose login was refused logs in again with the same
password. So hamd neither hard-restarts a gateway whose last STATUS is
`error` (restart_after_ms) nor relaunches it when its process exits after
saying so (docs/gateway-protocol.md, "STATUS"; docs/operations.md, "a
gateway says its login was refused"). The proof counts launches, not time:
a control gateway that says `disconnected` is hard-restarted by the same
timers several times meanwhile, and the held ones were launched once each.
Then `hactl restart` and a change of params launch a held one again.
"""
import os

from hamdtest import (Cluster, add_gateway_type, api_get, check, gateway_of,
                      log, run, wait_for, write_scripted_gateway)

SYMBOLS = ["rb2601.SHFE"]
REFUSED_ALIVE = "refused_alive"  # says error and keeps running
REFUSED_EXIT = "refused_exit"    # says error and exits 1
FLAPPY = "flappy"                # says disconnected: restarted as ever
RESTART_AFTER_MS = 300
CONTROL_RESTARTS = 4             # restart periods the held ones sit out
WAIT_S = 30
DETAIL = "交易服务器登录失败 代码 3 不合法的登录"

# Appends a line to DIR/ACCOUNT.launches at each launch, says its STATUS,
# then sends HBs until stopped (or exits 1 in mode exit).
GATEWAY = r'''params = json.loads(os.environ["HAMD_GW_PARAMS"])
with open(os.path.join(params["dir"], account + ".launches"), "a") as f:
    f.write("%d\n" % os.getpid())
if params["mode"] == "disconnected":
    sock.send_multipart([b"STATUS", pack({"state": "disconnected",
                                          "detail": "front closed"})])
else:
    sock.send_multipart([b"STATUS", pack({"state": "error",
                                          "detail": params["detail"]})])
if params["mode"] == "exit":
    time.sleep(0.3)  # the STATUS reaches hamd before the exit
    sock.close()
    sys.exit(1)
while not stop:
    sock.send_multipart([b"HB", pack({"ts_ns": time.time_ns()})])
    if sock.poll(200) and sock.recv_multipart()[0] == b"STOP":
        break
sock.close()
sys.exit(0)
'''


def account(aid, mode, where):
    return {"id": aid, "gateway_type": "scripted", "priority": 1,
            "enabled": True, "exchanges": ["SHFE"],
            "params": {"mode": mode, "dir": where, "detail": DETAIL}}


def launches(c, aid):
    path = os.path.join(c.dir, aid + ".launches")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return len(f.read().split())


def held(c, aid):
    return (gateway_of(c, 0, aid) or {}).get("held")


def test_error_is_held_until_an_operator_acts():
    c = Cluster(0, [], SYMBOLS, name="held",
                extra_ini="[failover]\nrestart_after_ms = %d\n" % RESTART_AFTER_MS)
    c.accounts = [account(REFUSED_ALIVE, "alive", c.dir),
                  account(REFUSED_EXIT, "exit", c.dir),
                  account(FLAPPY, "disconnected", c.dir)]
    c.rewrite_configs()
    add_gateway_type(c, "scripted", write_scripted_gateway(
        os.path.join(c.dir, "scripted.py"), "scripted", GATEWAY))
    c.start()
    try:
        for aid in (REFUSED_ALIVE, REFUSED_EXIT):
            wait_for(lambda: held(c, aid), WAIT_S, "%s held" % aid)
        # The same timers restart the control gateway again and again.
        wait_for(lambda: launches(c, FLAPPY) > CONTROL_RESTARTS, WAIT_S,
                 "%s hard-restarted %d times" % (FLAPPY, CONTROL_RESTARTS))
        for aid in (REFUSED_ALIVE, REFUSED_EXIT):
            check(launches(c, aid) == 1, "%s launched %d times while held"
                  % (aid, launches(c, aid)))
            g = gateway_of(c, 0, aid)
            check(g["state"] == "DISCONNECTED" and DETAIL in g["held"],
                  "%s: %r" % (aid, g))
        check(held(c, FLAPPY) is None, "the disconnected one is held")
        check(gateway_of(c, 0, REFUSED_EXIT)["pid"] == 0,
              "the exited one runs again")

        # Told once each: a critical event, the log at ERROR, the metric,
        # hactl status.
        events = [e for e in api_get(c, 0, "/api/events?limit=1000")["events"]
                  if e["event_type"] == "gateway_held"]
        check(sorted(e["gateway_id"] for e in events)
              == [REFUSED_ALIVE, REFUSED_EXIT], "gateway_held events %r" % events)
        check(all(e["severity"] == "critical" and e["detail"] == DETAIL
                  and "same params" in e["reason"] for e in events),
              "gateway_held events %r" % events)
        text = c.log_text(0)
        check(text.count("gateway %s: error (%s)" % (REFUSED_ALIVE, DETAIL)) == 1,
              "the hold of %s is not logged once" % REFUSED_ALIVE)
        metrics = c.api(0, "GET", "/metrics")[1]
        for aid, v in ((REFUSED_ALIVE, 1), (FLAPPY, 0)):
            check('hamd_gateway_held{account="%s"} %d' % (aid, v) in metrics,
                  "/metrics: hamd_gateway_held of %s not %d" % (aid, v))
        out = c.hactl("status").stdout
        check(out.count("held: gateway error: " + DETAIL) == 2,
              "hactl status:\n%s" % out)

        # An operator's restart launches it again, alive or exited.
        for aid in (REFUSED_ALIVE, REFUSED_EXIT):
            c.hactl("restart", aid)
            wait_for(lambda: launches(c, aid) == 2, WAIT_S,
                     "%s launched by hactl restart" % aid)
        # New params end the hold too.
        c.hactl("accounts", "update", REFUSED_EXIT, "--param-str",
                "detail=still refused")
        wait_for(lambda: launches(c, REFUSED_EXIT) == 3, WAIT_S,
                 "%s launched by its new params" % REFUSED_EXIT)
        wait_for(lambda: "still refused" in (held(c, REFUSED_EXIT) or ""),
                 WAIT_S, "%s held again" % REFUSED_EXIT)
        log("held through %d restarts of the control; restart and new "
            "params launch again" % CONTROL_RESTARTS)
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_error_is_held_until_an_operator_acts])
