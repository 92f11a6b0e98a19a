#!/usr/bin/python3
"""Per-tick instruction counts from one callgrind dump of hamd, or of
bench_gw_relay, the do-nothing relay set against it
(tests/bench/callgrind_tick.sh runs it).

    callgrind_costs.py DUMP
    callgrind_costs.py --breakdown DEDUP_DUMP SINGLE_DUMP

Prints one line of key=value:
  ticks            tick bodies received: calls of receive_tick, which
                   the hub calls for every body it takes, decoded in full
                   or dropped on a peek at its age (hamd_tick_peek_age);
                   in builds before the peek, calls of the tick decoder,
                   hamd_tick_decode_splice (hamd_tick_decode before the
                   splice); in bench_gw_relay, which decodes nothing,
                   calls of its per-tick gwr_relay_tick
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

With --breakdown, a Markdown table of where the instructions of a dump
of the hot standby (callgrind_tick.sh's dedup runs: two gateways, each
tick published once and its other copy dropped) go, set against a dump
of the single-gateway hub of the same build: per row the inclusive cost
per tick published in each, per tick received in the first, and the
extra per dropped copy, (dedup cost - single cost per tick x ticks
published) / copies dropped, copies dropped being ticks received less
ticks published. ZeroMQ's library has no symbols: its I/O thread is the
threads' cost (start_thread) less the data thread's.

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

# The peek at a body's age (src/dataplane/dp_ingest.c): with a hot
# standby the decoder is called only for the bodies not dropped on it, so
# bodies are counted by the hub's receive_tick instead.
PEEK = "hamd_tick_peek_age"
RECEIVE = "receive_tick"

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


class Dump:
    """One dump's costs by function."""

    def __init__(self, path):
        lines = read(path)
        self.own, self.call_cost, self.calls, self.total = costs(
            lines, names_of(lines))

    def inclusive(self, f):
        return self.own[f] + sum(c for (a, _), c in self.call_cost.items()
                                 if a == f)

    def calls_to(self, f):
        return sum(n for (_, b), n in self.calls.items() if b == f)

    def ticks(self):
        received = self.calls_to(RECEIVE)
        if received:
            return received
        if self.calls_to(PEEK):
            sys.exit("callgrind_costs.py: %s was inlined: the bodies dropped "
                     "on a peek cannot be counted" % RECEIVE)
        return sum(self.calls_to(f) for f in DECODERS + (RELAY_TICK,))


PUBLISH = "dp_publish_tick"

# The rows of --breakdown: a label and the dump's cost it stands for.
# The data thread's rows are inclusive costs of what it calls per tick;
# "rest" is the data thread less them (the loops, source_of, note_receipt
# and the other inlined code, the clock reads).
DATA_ROWS = (
    ("zmq_poll", lambda d: d.inclusive("zmq_poll")),
    ("receives, zmq_msg_recv", lambda d: d.inclusive("zmq_msg_recv")),
    ("connection check, zmq_msg_gets + dp_gwauth_message",
     lambda d: d.inclusive("zmq_msg_gets") +
     d.inclusive("dp_gwauth_message")),
    ("peek at a copy's age, hamd_tick_peek_age",
     lambda d: d.inclusive(PEEK)),
    ("decode and validate, hamd_tick_decode_splice",
     lambda d: sum(d.inclusive(f) for f in DECODERS)),
    ("account and contract lookups, hamd_strmap_get",
     lambda d: d.inclusive("hamd_strmap_get")),
    ("arbiter, hamd_arb_offer", lambda d: d.inclusive("hamd_arb_offer")),
    ("publish, dp_publish_tick (sends included)",
     lambda d: d.inclusive(PUBLISH)),
    ("stats and the lag scan, dp_stats_refresh",
     lambda d: d.inclusive("dp_stats_refresh")),
)


def data_thread(d):
    return d.inclusive("dp_thread_main")


def threads(d):
    return d.inclusive("start_thread")


ROWS = (
    ("whole process", lambda d: d.total),
    ("control loop (main thread)", lambda d: d.total - threads(d)),
    ("ZeroMQ's I/O thread", lambda d: threads(d) - data_thread(d)),
    ("data thread", data_thread),
) + tuple(("- " + label, f) for label, f in DATA_ROWS) + (
    ("- rest of the data thread",
     lambda d: data_thread(d) - sum(f(d) for _, f in DATA_ROWS)),
    ("- of it, own code of ingest_tick (note_receipt inlined)",
     lambda d: d.own["ingest_tick"]),
    ("- of it, own code of dp_ingest_message, gw_reader_next, gw_drain",
     lambda d: sum(d.own[f] for f in ("dp_ingest_message", "gw_reader_next",
                                      "gw_drain"))),
)


def breakdown(dedup_path, single_path):
    dedup, single = Dump(dedup_path), Dump(single_path)
    received, published = dedup.ticks(), dedup.calls_to(PUBLISH)
    dropped = received - published
    single_ticks = single.ticks()
    if not (received and published and dropped > 0 and single_ticks):
        sys.exit("callgrind_costs.py: no dedup window in %s" % dedup_path)
    print("%d ticks received, %d published, %d copies dropped; single "
          "gateway: %d ticks" % (received, published, dropped, single_ticks))
    print()
    print("| per tick | single gateway | hot standby, per tick published "
          "| per tick received | extra per dropped copy |")
    print("|---|---:|---:|---:|---:|")
    for label, f in ROWS:
        one = f(single) / single_ticks
        print("| %s | %.0f | %.0f | %.0f | %+.0f |" % (
            label, one, f(dedup) / published, f(dedup) / received,
            (f(dedup) - one * published) / dropped))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--breakdown":
        return breakdown(sys.argv[2], sys.argv[3])
    d = Dump(sys.argv[1])
    print("ticks=%d hub_instr=%d tickpath_instr=%d publish_calls=%d "
          "publish_instr=%d" % (
              d.ticks(), d.total,
              d.inclusive("dp_ingest_message"), d.calls_to(PUBLISH),
              d.inclusive(PUBLISH) -
              sum(d.call_cost[(PUBLISH, f)] for f in SENDS)))


if __name__ == "__main__":
    main()
