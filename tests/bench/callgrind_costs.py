#!/usr/bin/python3
"""Per-tick instruction counts from one callgrind dump of hamd, or of
bench_gw_relay, the do-nothing relay set against it
(tests/bench/callgrind_tick.sh runs it).

    callgrind_costs.py DUMP

Prints one line of key=value:
  ticks            calls of the tick decoder, one per tick body:
                   hamd_tick_decode_splice (hamd_tick_decode in builds
                   before the splice); in bench_gw_relay, which decodes
                   nothing, calls of its per-tick gwr_relay_tick
  hub_instr        every instruction in the dump (all threads)
  tickpath_instr   inclusive cost of dp_ingest_message: decode, arbiter,
                   publish gate, stamp, encode, cache, zmq_send
  publish_calls    calls of dp_publish_tick
  publish_instr    inclusive cost of dp_publish_tick less what its sends to
                   ZeroMQ cost (through send_two, or zmq_send itself where
                   the compiler inlined send_two): the gate, the holds,
                   numbering, stamp, encode or splice, and cache, the part
                   that does not vary with how ZeroMQ's queues happen to be
                   batched

The dump format (callgrind's "format" documentation): "fn=" opens a
function's costs; "cfn=" names a callee, "calls=N target" follows and the
next cost line is the inclusive cost of those N calls; any other cost line
is the function's own (a position, then the Ir count, left out when 0;
the hub is measured with callgrind's one event, Ir). Names are compressed: "(id) name" the first time,
"(id)" after, and a callee may be named before its own "fn=": two passes.
"""
import re
import sys
from collections import defaultdict

# The hub's decoders of a gateway's tick body, called once per body: the
# build measured may have either (the splice came later).
DECODERS = ("hamd_tick_decode", "hamd_tick_decode_splice")

# bench_gw_relay's function called once per tick body it publishes.
RELAY_TICK = "gwr_relay_tick"

# What dp_publish_tick calls to hand a tick to ZeroMQ.
SENDS = ("send_two", "zmq_send", "zmq_msg_send")

NAME = re.compile(r"c?fn=\((\d+)\)(?: (.+))?")


def read(path):
    with open(path, errors="replace") as f:
        return f.read().splitlines()


def names_of(lines):
    names = {}
    for line in lines:
        m = NAME.match(line)
        if m and m.group(2):
            names[m.group(1)] = m.group(2)
    return names


def costs(lines, names):
    """Own cost per function, inclusive call cost and count per
    (caller, callee), and the dump's total."""
    own = defaultdict(int)
    call_cost = defaultdict(int)
    calls = defaultdict(int)
    total = 0
    fn = callee = None
    after_calls = False
    for line in lines:
        if line.startswith("totals:"):
            total = int(line.split()[1])
        elif line.startswith("fn="):
            fn = names.get(NAME.match(line).group(1))
        elif line.startswith("cfn="):
            callee = names.get(NAME.match(line).group(1))
        elif line.startswith("calls="):
            calls[(fn, callee)] += int(line[len("calls="):].split()[0])
            after_calls = True
            continue
        elif line[:1].isdigit() or line[:1] in "+-*":
            fields = line.split()  # position, then Ir if not 0
            cost = int(fields[1]) if len(fields) > 1 else 0
            if after_calls:
                call_cost[(fn, callee)] += cost
            else:
                own[fn] += cost
        after_calls = False
    return own, call_cost, calls, total


def main():
    lines = read(sys.argv[1])
    own, call_cost, calls, total = costs(lines, names_of(lines))

    def inclusive(f):
        return own[f] + sum(c for (a, _), c in call_cost.items() if a == f)

    def calls_to(f):
        return sum(n for (_, b), n in calls.items() if b == f)

    publish = "dp_publish_tick"
    ticks = sum(calls_to(f) for f in DECODERS + (RELAY_TICK,))
    print("ticks=%d hub_instr=%d tickpath_instr=%d publish_calls=%d "
          "publish_instr=%d" % (
              ticks, total,
              inclusive("dp_ingest_message"), calls_to(publish),
              inclusive(publish) -
              sum(call_cost[(publish, f)] for f in SENDS)))


if __name__ == "__main__":
    main()
