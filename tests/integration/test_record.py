"""hactl record (docs/recording.md): what the cluster publishes, into a
recording file, through the client library.

- Recording through a graceful handover of the leader: every contract's
  sim_seq is in the file exactly once and in order, each tick with its hub
  fields (term, seq, node, hub_ns) as published; the file reads back with
  a reader written from the documentation (recording.py), not the C one.
- A recorder killed with SIGKILL and started again on the same file
  appends to it: the file still reads whole (a torn last record would be
  cut off), with both runs' ticks.
- --rotate daily writes FILE-YYYYMMDD.ext, the day in local time.
"""
import os
import signal
import subprocess
import time

import recording
from hamdtest import (HACTL, Cluster, check, log, run, sim_account,
                      wait_for, wait_one_publisher)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE"]
RATE_PER_S = 50
RECORD_S = 8.0        # the recording's length
HANDOVER_AT_S = 3.0   # the leader hands over this far into it


def cluster(name):
    accts = [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=RATE_PER_S),
             sim_account("sim_b", 2, ["SHFE", "DCE"], rate=RATE_PER_S)]
    return Cluster(3, accts, SYMBOLS, name=name).start()


def recorder(c, out, *args):
    return subprocess.Popen([HACTL, "-c", c.nodes[0]["config"], "record",
                             "--out", out] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def ticks_of(path):
    header, records, torn = recording.read(path)
    return header, [r for r in records if r[0] == "tick"], torn


def check_exactly_once(ticks):
    per = {}
    for _, _, topic, body in ticks:
        check(topic == body["vt_symbol"], "topic %r, tick %r" % (topic, body))
        for k in ("term", "seq", "node", "hub_ns"):
            check(k in body, "tick without its hub field %s" % k)
        per.setdefault(topic, []).append(body["extra"]["sim_seq"])
    check(set(per) == set(SYMBOLS), "contracts recorded: %s" % sorted(per))
    for vt, seqs in per.items():
        holes = [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]
        check(not holes, "%s: sim_seq not exactly once in order at %s"
              % (vt, holes[:5]))
    return per


def test_record_through_a_handover():
    c = cluster("rec")
    try:
        wait_one_publisher(c)
        out = os.path.join(c.dir, "day.hrec")
        p = recorder(c, out, "--seconds", str(RECORD_S))
        time.sleep(HANDOVER_AT_S)
        leader = wait_one_publisher(c)
        log("handover: SIGTERM to the leader, node %d" % (leader + 1))
        c.stop(leader)
        _, err = p.communicate(timeout=RECORD_S + 30)
        check(p.returncode == 0, "hactl record exited %d: %s" % (p.returncode, err))
        header, ticks, torn = ticks_of(out)
        check(header["producer"].startswith("hactl record"), "header %r" % header)
        check(torn == 0, "a closed recording has no torn record")
        per = check_exactly_once(ticks)
        terms = {body["term"] for _, _, _, body in ticks}
        check(len(terms) == 2, "the recording spans the handover: terms %s" % terms)
        log("%d ticks over terms %s, %s per contract"
            % (len(ticks), sorted(terms), [len(s) for s in per.values()]))
    finally:
        c.cleanup()


def test_killed_recorder_appends():
    c = cluster("recapp")
    try:
        wait_one_publisher(c)
        out = os.path.join(c.dir, "crash.hrec")
        p = recorder(c, out)
        wait_for(lambda: os.path.exists(out) and os.path.getsize(out) > 4096,
                 20, "the recording growing")
        p.send_signal(signal.SIGKILL)
        p.wait()
        _, first, _ = ticks_of(out)
        p = recorder(c, out, "--seconds", "2")
        _, err = p.communicate(timeout=30)
        check(p.returncode == 0, "second run exited %d: %s" % (p.returncode, err))
        _, both, torn = ticks_of(out)
        check(torn == 0, "the file reads whole after the append")
        check(len(both) > len(first) > 0,
              "the second run appended (%d then %d ticks)" % (len(first), len(both)))
    finally:
        c.cleanup()


def test_rotate_daily_names_the_day():
    c = cluster("recrot")
    try:
        wait_one_publisher(c)
        out = os.path.join(c.dir, "ticks.hrec")
        p = recorder(c, out, "--rotate", "daily", "--seconds", "1.5")
        _, err = p.communicate(timeout=30)
        check(p.returncode == 0, "exited %d: %s" % (p.returncode, err))
        day = time.strftime("%Y%m%d")
        dated = os.path.join(c.dir, "ticks-%s.hrec" % day)
        check(os.path.exists(dated) and not os.path.exists(out),
              "expected %s, have %s" % (dated, sorted(os.listdir(c.dir))))
        check(len(ticks_of(dated)[1]) > 0, "ticks in the dated file")
        bad = subprocess.run([HACTL, "-c", c.nodes[0]["config"], "record",
                              "--out", out, "--rotate", "hourly"],
                             capture_output=True, text=True, timeout=10)
        check(bad.returncode == 2 and "daily" in bad.stderr,
              "--rotate hourly: %d %s" % (bad.returncode, bad.stderr))
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_record_through_a_handover, test_killed_recorder_appends,
         test_rotate_daily_names_the_day])
