#!/usr/bin/python3
"""The Python receiver of tests/bench/client.sh: hamd.Client on the bench
publisher (bench_client_cpu pub), every tick delivered counted and each
contract's extra.sim_seq checked (+1 each time). Prints, like
bench_client_cpu raw|lib:

    ticks=... cpu_s=... cpu_us_per_tick=... lost=... dup=...

CPU is the whole process's from the first tick to the last.

    client_py.py PUB_EP SNAP_EP --expect T
"""
import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "src", "python"))
import hamd  # noqa: E402

IDLE_S = 5.0     # give up after this long without a tick
POLL_MS = 100


def cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("snapshot")
    ap.add_argument("--expect", type=int, required=True)
    a = ap.parse_args()
    client = hamd.Client([a.endpoint], [""], snapshot_endpoints=[a.snapshot])
    ticks = dup = 0
    first, last = {}, {}
    cpu0 = cpu1 = None
    last_at = None
    while ticks < a.expect and (last_at is None or time.monotonic() - last_at < IDLE_S):
        for t in client.poll(POLL_MS):
            if cpu0 is None:
                cpu0 = cpu_s()
            vt, sim = t["vt_symbol"], t["extra"]["sim_seq"]
            if vt in last and sim <= last[vt]:
                dup += 1
            first.setdefault(vt, sim)
            last[vt] = sim
            ticks += 1
            last_at = time.monotonic()
    cpu1 = cpu_s()
    client.close()
    holes = sum(last[vt] - first[vt] + 1 for vt in last) - (ticks - dup)
    lost = max(holes, a.expect - ticks)
    cpu = cpu1 - (cpu0 if cpu0 is not None else cpu1)
    print("ticks=%d cpu_s=%.3f cpu_us_per_tick=%.3f lost=%d dup=%d"
          % (ticks, cpu, cpu * 1e6 / ticks if ticks else 0.0, lost, dup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
