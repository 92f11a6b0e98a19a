"""One standalone hamd, two simulated accounts with the same seed.

Proves the tick path end to end: field names and types a vnpy user
expects, contiguous seq, every sim tick of the active source exactly once,
snapshot + live with no gap for a late joiner, garbage from one gateway
counted while the others flow, a killed gateway relaunched, a SIGHUP
logged with its sender and otherwise ignored, and a second hamd on the
same data_dir refused before it touches anything there.
"""
import os
import re
import signal
import subprocess

from hamdtest import (HAMD, Cluster, Subscriber, check, check_contiguous,
                      check_exactly_once, check_tick_fields, healthy_gateway,
                      run, sim_account, snapshot, wait_for)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
HUP_STORM_ROUNDS = 50      # SIGHUP storm: rounds of kills, 20 ms of ticks apart
HUP_STORM_PER_ROUND = 40   # kills a round: 2,000 in about 1 s
# hamd logs at most 5 lines per 10 s and limiter (HAMD_LOG_RATE_BURST in
# common/log.h); the storm and the first line fit in two windows.
HUP_LOG_LINES_MAX = 2 * 5


def make(name, accounts):
    return Cluster(0, accounts, SYMBOLS, name=name).start()


def two_sims():
    return [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=50),
            sim_account("sim_b", 2, ["SHFE", "DCE"], rate=50)]


def test_ticks_fields_seq_exactly_once():
    c = make("fields", two_sims())
    try:
        sub = Subscriber(c.publish_endpoints())
        sub.pump_until(lambda: len({t["vt_symbol"] for _, t in sub.ticks}) == 4,
                       20, "ticks on all 4 symbols")
        sub.pump(3)
        check(len(sub.ticks) > 200, "only %d ticks" % len(sub.ticks))
        for _, t in sub.ticks:
            check_tick_fields(t)
            check(t["gateway_name"] == "sim_a",
                  "tick from %s, expected the priority-1 source" % t["gateway_name"])
            check(t["node"] == 1 and t["term"] >= 1, "hub fields %r" % t)
        sims = check_contiguous(sub.ticks)
        check_exactly_once(sims)
        # heartbeats every ~100 ms while publishing
        check(len(sub.heartbeats) >= 20, "%d heartbeats" % len(sub.heartbeats))
        hb = sub.heartbeats[-1][1]
        check(set(hb) >= {"term", "node", "ts_ns", "published"}, "hb %r" % hb)
        sub.close()
    finally:
        c.cleanup()


def test_late_joiner_snapshot_then_live_without_gap():
    c = make("snap", two_sims())
    try:
        first = Subscriber(c.publish_endpoints())
        first.pump_until(lambda: len(first.ticks) > 50, 20, "ticks")
        late = Subscriber(c.publish_endpoints())
        late.pump(0.3)  # subscribe first ...
        cached, end = snapshot(c.snapshot_endpoints())  # ... then snapshot
        check(set(cached) == set(SYMBOLS), "snapshot has %s" % sorted(cached))
        check(end["count"] == len(cached), "END count %r" % end)
        for t in cached.values():
            check_tick_fields(t)
        late.pump(2)
        live = [(r, t) for r, t in late.ticks
                if (t["term"], t["seq"]) > (cached[t["vt_symbol"]]["term"],
                                            cached[t["vt_symbol"]]["seq"])]
        for vt in SYMBOLS:
            mine = [t for _, t in live if t["vt_symbol"] == vt]
            check(mine, "no live tick on %s after the snapshot" % vt)
            check(mine[0]["seq"] == cached[vt]["seq"] + 1,
                  "%s: snapshot seq %d then live seq %d: gap"
                  % (vt, cached[vt]["seq"], mine[0]["seq"]))
        check_contiguous(live)
        first.close()
        late.close()
    finally:
        c.cleanup()


def test_garbage_gateway_counted_others_flow():
    accounts = two_sims() + [sim_account("sim_bad", 3, ["SHFE", "DCE"],
                                         rate=50, fault="garbage")]
    c = make("garbage", accounts)
    try:
        sub = Subscriber(c.publish_endpoints())
        sub.pump_until(lambda: len(sub.ticks) > 100, 20, "ticks")
        wait_for(lambda: re.search(r"gateway sim_bad: dropped malformed", c.log_text()),
                 10, "malformed messages from sim_bad logged")
        sub.pump(2)
        check_exactly_once(check_contiguous(sub.ticks))
        check(c.nodes[0]["proc"].poll() is None, "hamd died")
        sub.close()
    finally:
        c.cleanup()


def gateway_pid(c, account):
    pids = re.findall(r"gateway %s: started .* \(pid (\d+)\)" % account, c.log_text())
    return int(pids[-1]) if pids else None


def test_killed_gateway_is_relaunched():
    c = make("relaunch", two_sims())
    try:
        pid = wait_for(lambda: gateway_pid(c, "sim_b"), 10, "sim_b started")
        os.kill(pid, signal.SIGKILL)
        new = wait_for(lambda: (gateway_pid(c, "sim_b") or pid) != pid and
                       gateway_pid(c, "sim_b"), 10, "sim_b relaunched")
        check(new != pid, "same pid")
        check(os.path.exists("/proc/%d" % new), "relaunched gateway not running")
        # The old one is reaped, not a zombie.
        check(not os.path.exists("/proc/%d" % pid) or
              "Z" not in open("/proc/%d/stat" % pid).read().split()[2],
              "zombie gateway")
    finally:
        c.cleanup()


def test_second_hamd_on_the_data_dir_is_refused():
    """`hamd --config` run by hand beside the running node (to check the
    file, say) exits 1 naming the node that holds the data_dir. Before,
    it opened the store and bound the gateway socket anew, then failed on
    the admin port, and the running node's socket file pointed at nothing:
    every gateway relaunched afterwards stayed CONNECTING for good."""
    c = make("twice", two_sims())
    try:
        pid = wait_for(lambda: healthy_gateway(c, 0, "sim_b") and
                       gateway_pid(c, "sim_b"), 15, "sim_b HEALTHY")
        r = subprocess.run([HAMD, "--config", c.nodes[0]["config"]],
                           capture_output=True, text=True, timeout=30)
        want = "another hamd (pid %d) runs on data_dir" % c.nodes[0]["proc"].pid
        check(r.returncode == 1 and want in r.stderr,
              "second hamd: exit %d, %r" % (r.returncode, r.stderr[-600:]))
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: (gateway_pid(c, "sim_b") or pid) != pid, 10,
                 "sim_b relaunched")
        wait_for(lambda: healthy_gateway(c, 0, "sim_b"), 15,
                 "the relaunched sim_b HEALTHY (it reached the node's socket)")
    finally:
        c.cleanup()


def test_sigterm_stops_gateways():
    """...and a simulator stopped cleanly removes its ipc:// control
    socket file, which has its pid in the name and would pile up."""
    c = Cluster(0, two_sims(), SYMBOLS, name="sigterm").with_control().start()
    try:
        pid = wait_for(lambda: gateway_pid(c, "sim_a"), 10, "sim_a started")
        ctl = os.path.join(c.dir, "ctl-%d.sock" % pid)
        wait_for(lambda: os.path.exists(ctl), 10, "sim_a's control socket")
        c.stop()
        check(c.nodes[0]["proc"].returncode == 0,
              "hamd exit code %d" % c.nodes[0]["proc"].returncode)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid), 5,
                 "gateway gone after hamd stopped")
        left = [f for f in os.listdir(c.dir) if f.startswith("ctl-")]
        check(not left, "control socket files left behind: %s" % left)
    finally:
        c.cleanup()


def test_sighup_is_logged_and_ignored():
    """A SIGHUP (a closed terminal, an orphaned process group, a stray
    kill) neither stops the node nor its stream; the log names the sender."""
    c = make("sighup", two_sims())
    try:
        gw = wait_for(lambda: gateway_pid(c, "sim_a"), 10, "sim_a started")
        sub = Subscriber(c.publish_endpoints())
        sub.pump_until(lambda: len(sub.ticks) > 50, 20, "ticks flowing")
        c.nodes[0]["proc"].send_signal(signal.SIGHUP)
        wait_for(lambda: "SIGHUP (x1) from pid %d (" % os.getpid() in c.log_text(),
                 10, "the SIGHUP logged with its sender")
        # A storm: every signal lands on some thread of the node while
        # ticks flow; none may disturb the stream or flood the log.
        pid = c.nodes[0]["proc"].pid
        for _ in range(HUP_STORM_ROUNDS):
            for _ in range(HUP_STORM_PER_ROUND):
                os.kill(pid, signal.SIGHUP)
            sub.pump(0.02)
        before = len(sub.ticks)
        sub.pump_until(lambda: len(sub.ticks) > before + 50, 20,
                       "ticks still flowing after SIGHUP")
        check(c.nodes[0]["proc"].poll() is None, "hamd ended on SIGHUP")
        logged = c.log_text().count("SIGHUP (x")
        check(logged <= HUP_LOG_LINES_MAX,
              "%d SIGHUP lines logged for a storm: not rate-limited" % logged)
        check_exactly_once(check_contiguous(sub.ticks))
        check(gateway_pid(c, "sim_a") == gw, "the gateway was restarted")
        sub.close()
        c.stop()
        check(c.nodes[0]["proc"].returncode == 0,
              "hamd exit code %d after SIGTERM" % c.nodes[0]["proc"].returncode)
    finally:
        c.cleanup()


def test_more_symbols_than_one_subscribe_message_carries():
    """5,000 subscriptions on one account: hamd splits its SUBSCRIBE."""
    many = ["s%04d.SHFE" % i for i in range(5000)]
    c = Cluster(0, [sim_account("sim_a", 1, ["SHFE"], rate=2)], many,
                name="many").start()
    try:
        def cached():
            try:
                got, end = snapshot(c.snapshot_endpoints(), timeout=2.0)
            except Exception:  # noqa: BLE001 - not publishing yet
                return None
            return end["count"] == 5000 and got
        got = wait_for(cached, 30, "all 5,000 symbols in the cache")
        check(set(got) == set(many), "snapshot misses %d symbols"
              % len(set(many) - set(got)))
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_more_symbols_than_one_subscribe_message_carries,
         test_ticks_fields_seq_exactly_once,
         test_late_joiner_snapshot_then_live_without_gap,
         test_garbage_gateway_counted_others_flow,
         test_killed_gateway_is_relaunched,
         test_second_hamd_on_the_data_dir_is_refused,
         test_sigterm_stops_gateways,
         test_sighup_is_logged_and_ignored])
