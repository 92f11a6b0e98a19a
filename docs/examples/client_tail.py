#!/usr/bin/python3
"""client_tail.py: the Python quick start of docs/client.md.

Prints a hamd cluster's ticks, each contract's exactly once and in order
through any failover, with the hamd package (src/python).

    PYTHONPATH=src/python docs/examples/client_tail.py \\
        -e tcp://10.0.0.1:5551 -e tcp://10.0.0.2:5551 \\
        -s tcp://10.0.0.1:5561 -s tcp://10.0.0.2:5561 -n 100 rb

One line per tick on stdout (--json: the tick as JSON, "snapshot": true
when it came from a snapshot), gaps, leader changes and the client's
notices (no heartbeat, reconnects; not the snapshots merged) on stderr, the
client's counters on stderr at the end. Exit status 0 after -n ticks (or
Ctrl-C, SIGTERM), 2 on a usage error.
"""
import argparse
import json
import signal
import sys

import hamd


def on_gap(gap):
    print("gap on %s in term %d: seq %d expected, %d came"
          % (gap.vt_symbol, gap.term, gap.expected, gap.got), file=sys.stderr)


def on_leader(change):
    print("publisher: node %d, term %d" % (change.node, change.term),
          file=sys.stderr)


def on_notice(kind, text):
    # a typo in an endpoint shows up here as "no heartbeat in 1000 ms since
    # the start"
    if kind != "snapshot":
        print("client: %s" % text, file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description="Print hamd ticks.")
    p.add_argument("-e", dest="endpoints", action="append", required=True,
                   help="a publish endpoint (every node's, or the VIP's)")
    p.add_argument("-s", dest="snapshots", action="append", default=[],
                   help="a snapshot endpoint (same nodes)")
    p.add_argument("-n", dest="count", type=int, default=0,
                   help="exit after this many ticks (0: run until stopped)")
    p.add_argument("--json", action="store_true", help="one JSON tick a line")
    p.add_argument("prefixes", nargs="*", help="topic prefixes (none: all)")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    client = hamd.Client(a.endpoints, a.prefixes or [""],
                         snapshot_endpoints=a.snapshots,
                         on_gap=on_gap, on_leader=on_leader, on_notice=on_notice)
    printed = 0
    try:
        for t in client:
            if a.json:
                print(json.dumps(t), flush=True)
            else:
                print("%s term=%d seq=%d last=%g volume=%.0f src=%s%s"
                      % (t["vt_symbol"], t["term"], t["seq"], t["last_price"],
                         t["volume"], t["gateway_name"],
                         " snapshot" if t.get("snapshot") else ""), flush=True)
            printed += 1
            if a.count and printed >= a.count:
                break
    except KeyboardInterrupt:
        pass
    finally:
        print(json.dumps(client.stats), file=sys.stderr, flush=True)
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
