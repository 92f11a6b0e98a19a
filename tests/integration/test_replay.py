"""Record the demo, replay it through two replay accounts, kill one.

A standalone hamd with the demo's simulated accounts publishes for 20 s
while hactl record writes the stream to a file, read back by
tests/integration/recording.py (a reader written from docs/recording.md).
A 3-node cluster then has two accounts of gateway type `replay` on that file (priority 1 and 2,
one pass from a common start_at, keep_recorded_time), the way two
accounts see one exchange. Halfway through the pass the active replay
gateway of the publishing node is killed with SIGKILL: the contracts fail
over to the twin (or, data following the healthy source, to a follower's
replay_a, relayed: docs/failover.md), the killed one is relaunched,
resumes where its twin is, and the contracts fail back. The subscriber must receive every
recorded tick exactly once (by extra.replay_seq), with the recorded
datetime in extra.recorded_ns and re-stamped datetimes spaced as
recorded.

Bad input: a replay account on a file that is not a recording, or of
another version, reports STATUS error naming the file and the offset and
exits 2, again at each relaunch, while the hub and its other source go
on; a recording with a torn last record plays.
"""
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time

import msgpack

import recording
from hamdtest import (HACTL, Cluster, Subscriber, add_gateway_type, check,
                      gateway_of, healthy_gateway, log, run, sim_account,
                      wait_for, wait_one_publisher)

BUILD = os.environ.get("HAMD_BUILD_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
GW_REPLAY = os.path.join(BUILD, "src", "hamd-gw-replay")
SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
RECORD_S = 20            # the 20 s of the demo
SPEED = 2                # a pass of the 20 s takes 10 s
LEAD_S = 12              # cluster up, replays HEALTHY before the pass starts
KILL_AFTER_S = 4         # into the pass
EXTRA_INI = """
[health]
check_interval_ms = 50
stale_ms = 300
latency_ms = 400
hb_timeout_ms = 1500

[failover]
restart_after_ms = 1500
revert_after_s = 2
replay_window_ms = 3000
"""


def replay_account(aid, priority, params):
    return {"id": aid, "gateway_type": "replay", "priority": priority,
            "enabled": True, "exchanges": ["SHFE", "DCE"], "params": params}


def record_demo(path):
    """20 s of a standalone hamd with the demo's two simulated accounts,
    recorded by hactl record (docs/hactl.md), read back by recording.py."""
    demo = Cluster(0, [sim_account("sim_a", 1, ["SHFE", "DCE"], seed=42, rate=20),
                       sim_account("sim_b", 2, ["SHFE", "DCE"], seed=42, rate=20)],
                   SYMBOLS, name="recdemo").start()
    try:
        sub = Subscriber(demo.publish_endpoints())
        sub.pump_until(lambda: {t["vt_symbol"] for _, t in sub.ticks} == set(SYMBOLS),
                       30, "the demo ticking")
        sub.close()
        rec = subprocess.run([HACTL, "-c", demo.nodes[0]["config"], "record",
                              "--out", path, "--seconds", str(RECORD_S)],
                             capture_output=True, text=True, timeout=RECORD_S + 30)
        log("hactl record: %s" % rec.stderr.strip())
        check(rec.returncode == 0 and " 0 gaps" in rec.stderr,
              "hactl record exited %d: %s" % (rec.returncode, rec.stderr))
    finally:
        demo.cleanup()
    header, records, torn = recording.read(path)
    check(torn == 0 and header["producer"].startswith("hactl record"),
          "recording header %r, torn %d" % (header, torn))
    ticks = [r for r in records if r[0] == "tick"]
    check(len(ticks) >= RECORD_S * 20 * len(SYMBOLS) // 2,
          "%d ticks read back from %d s at 20/s" % (len(ticks), RECORD_S))
    return [(topic, body) for _, _, topic, body in ticks]


def kill_gateway(c, idx, account):
    g = wait_for(lambda: (gateway_of(c, idx, account) or {}).get("pid"), 5,
                 "pid of %s" % account)
    os.kill(g, signal.SIGKILL)
    log("killed %s (pid %d) on node %d" % (account, g, idx + 1))
    return g


def check_every_tick_once(recorded, received):
    """Each recorded tick, by its index in the file, exactly once, of the
    right contract, with its recorded datetime; spacing kept (/ SPEED)."""
    seen = {}
    for _, t in received:
        check(t["extra"]["replay_loop"] == 0, "a second pass? %r" % t["extra"])
        seq = t["extra"]["replay_seq"]
        check(seq not in seen, "replay_seq %d delivered twice (%s then %s)"
              % (seq, seen.get(seq, {}).get("gateway_name"), t["gateway_name"]))
        seen[seq] = t
    missing = [i for i in range(len(recorded)) if i not in seen]
    check(not missing, "%d of %d recorded ticks never delivered: %s"
          % (len(missing), len(recorded), missing[:20]))
    check(len(seen) == len(recorded), "ticks beyond the recording: %d"
          % (len(seen) - len(recorded)))
    first = seen[0]
    for i, (topic, body) in enumerate(recorded):
        t = seen[i]
        check(t["vt_symbol"] == topic and t["extra"]["recorded_ns"] == body["datetime"],
              "tick %d: %s %r, recorded %s %r" % (i, t["vt_symbol"],
                                                  t["extra"]["recorded_ns"], topic,
                                                  body["datetime"]))
        check(t["extra"]["sim_seq"] == body["extra"]["sim_seq"],
              "tick %d lost its recorded extra" % i)
        check(t["last_price"] == body["last_price"] and t["volume"] == body["volume"],
              "tick %d: prices or volumes changed" % i)
        want = first["datetime"] + (body["datetime"] - recorded[0][1]["datetime"]) // SPEED
        check(abs(t["datetime"] - want) <= 1,
              "tick %d datetime %d, expected %d" % (i, t["datetime"], want))


def test_replay_twins_deliver_every_recorded_tick_once():
    tmp = tempfile.mkdtemp(prefix="hamd-replay-")
    path = os.path.join(tmp, "demo.hrec")
    recorded = record_demo(path)
    start_at = time.time_ns() + LEAD_S * 10**9
    params = {"file": path, "speed": SPEED, "loop": False, "start_at": start_at,
              "keep_recorded_time": True}
    c = Cluster(3, [replay_account("replay_a", 1, params),
                    replay_account("replay_b", 2, params)], SYMBOLS,
                extra_ini=EXTRA_INI, name="replay")
    add_gateway_type(c, "replay", GW_REPLAY)
    c.start()
    try:
        leader = wait_one_publisher(c)
        for acct in ("replay_a", "replay_b"):
            wait_for(lambda: healthy_gateway(c, leader, acct), 15,
                     "%s HEALTHY on the leader" % acct)
        sub = Subscriber(c.publish_endpoints())
        left = (start_at - time.time_ns()) / 1e9
        check(left > 1, "the cluster took too long to start (%.1f s left)" % left)
        sub.pump(left + KILL_AFTER_S)
        check(sub.ticks, "no tick %d s into the pass" % KILL_AFTER_S)
        kill_gateway(c, leader, "replay_a")
        sub.pump(RECORD_S / SPEED - KILL_AFTER_S + 3)
        sources = [t["gateway_name"] for _, t in sub.ticks]
        log("ticks by source: %s" % {s: sources.count(s) for s in set(sources)})
        # Moved to replay_b on the leader, or (data follows the healthy
        # source) relayed from a follower's replay_a, "replay_a@node2".
        check("replay_a" in sources and set(sources) - {"replay_a"},
              "the kill did not move the contracts: %s" % set(sources))
        g = gateway_of(c, leader, "replay_a")
        check(g and g["restarts"] >= 1, "replay_a not relaunched: %r" % g)
        check_every_tick_once(recorded, sub.ticks)
        sub.close()
    finally:
        c.cleanup(keep=bool(os.environ.get("HAMD_KEEP")))
        shutil.rmtree(tmp, ignore_errors=True)


def write_ticks(path, n, name=""):
    """A recording of n ticks of rb2601.SHFE, 100 ms apart from now."""
    w = recording.Writer(path)
    base = time.time_ns() // 10**6 * 10**6
    for i in range(n):
        body = {"symbol": "rb2601", "exchange": "SHFE", "datetime": base + i * 10**8,
                "volume": float(i), "last_price": 3500.0, "name": name,
                "extra": {"n": i}}
        w.tick("rb2601.SHFE", msgpack.packb(body), base + i * 10**8)
    w.close()


def write_bad_files(d):
    """Paths of: not a recording, another version, a torn last record."""
    good = os.path.join(d, "good.hrec")
    write_ticks(good, 200)
    with open(good, "rb") as f:
        data = f.read()
    paths = {}
    paths["csv"] = os.path.join(d, "ticks.csv")
    with open(paths["csv"], "w") as f:
        f.write("symbol,datetime,last_price\n")
    paths["v9"] = os.path.join(d, "v9.hrec")
    with open(paths["v9"], "wb") as f:
        f.write(data[:8] + struct.pack(">I", 9) + data[12:])
    paths["torn"] = os.path.join(d, "torn.hrec")
    with open(paths["torn"], "wb") as f:
        f.write(data[:-7])
    return paths


def long_cjk_path(directory, name):
    """A path of directory whose STATUS details ("replay %.100s", and the
    error cut to 127 bytes) end inside a 3-byte character when cut
    bytewise: a recording in a directory named in Chinese."""
    head = os.path.join(directory, name + "-")
    pad = "x" * (-len(head.encode()) % 3)  # byte 100 is a character's 2nd
    return head + pad + "行情录制" * 10 + ".hrec"


def test_status_details_stay_utf8_for_a_chinese_path():
    """Before, a STATUS detail naming a long path cut bytewise inside a
    character was not UTF-8: the hub dropped the STATUS as malformed, so
    a good recording there never got past CONNECTING and a bad one's
    error never showed."""
    c = Cluster(0, [], SYMBOLS, name="replaycjk")
    write_bad_files(c.dir)
    good = long_cjk_path(c.dir, "good")
    shutil.copy(os.path.join(c.dir, "good.hrec"), good)
    missing = long_cjk_path(c.dir, "missing")
    c.accounts = [replay_account("cjk_good", 1, {"file": good}),
                  replay_account("cjk_missing", 2, {"file": missing})]
    c.rewrite_configs()
    add_gateway_type(c, "replay", GW_REPLAY)
    c.start()
    try:
        wait_for(lambda: healthy_gateway(c, 0, "cjk_good"), 20,
                 "the recording at a Chinese path playing")
        g = wait_for(lambda: (lambda g: g.get("status") == "error" and g)(
            gateway_of(c, 0, "cjk_missing") or {}), 20,
            "STATUS error of the missing file in /api/status")
        check(g["detail"].startswith(missing[:40]) and
              len(g["detail"].encode()) <= 127, "detail %r" % g["detail"])
        check("malformed" not in c.log_text(), "a STATUS dropped as malformed")
    finally:
        c.cleanup()


def test_recording_cut_while_playing_is_an_error():
    """A recording cut short while it plays (copied anew over the same
    path: cp truncates first) no longer matches the scan: STATUS error
    naming the file, exit 2, and the relaunch reads the file as it is.
    Before, a file cut before its first tick made the replay rewind
    forever in one loop iteration: no HB, SIGTERM unheard, until hamd's
    hard restart."""
    c = Cluster(0, [], SYMBOLS, name="replaycut", extra_ini=EXTRA_INI)
    path = os.path.join(c.dir, "playing.hrec")
    # bigger than the reader's window (4 records of 64 KiB), so that
    # playing reads the file again
    write_ticks(path, 2000, name="x" * 60)
    c.accounts = [replay_account("cut", 1, {"file": path, "speed": 10})]
    c.rewrite_configs()
    add_gateway_type(c, "replay", GW_REPLAY)
    c.start()
    try:
        wait_for(lambda: healthy_gateway(c, 0, "cut"), 20, "the replay playing")
        with open(path, "r+b") as f:     # the preamble and the header stay
            header_len, = struct.unpack(">I", f.read(20)[16:])
            f.truncate(16 + 8 + header_len)
        wait_for(lambda: "STATUS error: %s: changed since it was read" % path
                 in c.log_text(), 20, "STATUS error naming the cut file")
        wait_for(lambda: "exit 2" in (gateway_of(c, 0, "cut") or {}).get(
            "last_exit", ""), 20, "the replay exiting 2")
        check(c.nodes[0]["proc"].poll() is None, "hamd died")
    finally:
        c.cleanup()


def test_bad_recording_is_an_error_the_hub_survives():
    c = Cluster(0, [], SYMBOLS, name="replaybad")
    paths = write_bad_files(c.dir)
    c.accounts = [
        sim_account("sim_a", 1, ["SHFE", "DCE"], rate=10),
        replay_account("bad_csv", 2, {"file": paths["csv"]}),
        replay_account("bad_v9", 3, {"file": paths["v9"]}),
        replay_account("torn", 4, {"file": paths["torn"]}),
    ]
    c.rewrite_configs()
    add_gateway_type(c, "replay", GW_REPLAY)
    c.start()
    try:
        for acct, what in (("bad_csv", "offset 0: not a hamd recording"),
                           ("bad_v9", "offset 8: unsupported recording version 9")):
            def said(acct=acct, what=what):
                g = gateway_of(c, 0, acct) or {}
                return what in (g.get("detail") or "") and g
            g = wait_for(said, 20, "%s's STATUS error in /api/status" % acct)
            check(paths[acct[4:]] in g["detail"] and g["status"] == "error",
                  "%s: %r" % (acct, g))
            wait_for(lambda: "exit 2" in (gateway_of(c, 0, acct) or {}).get(
                "last_exit", ""), 20, "%s exiting 2" % acct)
        wait_for(lambda: healthy_gateway(c, 0, "torn"), 15, "the torn recording playing")
        sub = Subscriber(c.publish_endpoints())
        sub.pump_until(lambda: len(sub.ticks) >= 20, 15, "ticks while replays fail")
        check(c.nodes[0]["proc"].poll() is None, "hamd died")
        sub.close()
        c.stop()
        text = c.log_text()
        check("a torn last record" in text, "torn record not reported")
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_bad_recording_is_an_error_the_hub_survives,
         test_recording_cut_while_playing_is_an_error,
         test_status_details_stay_utf8_for_a_chinese_path,
         test_replay_twins_deliver_every_recorded_tick_once])
