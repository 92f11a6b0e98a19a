"""What the chaos client saw, measured: pure functions over its records.

The records are the lines client_sub.py writes (see there). Times are
CLOCK_MONOTONIC nanoseconds; results are in milliseconds.
"""
import collections

NS_PER_MS = 1000000

Tick = collections.namedtuple("Tick", "t term seq node vt gw sim")


def parse(lines):
    """(ticks, heartbeats, events, violations) from record lines; ticks in
    arrival order. Lines cut short by a kill are skipped."""
    ticks, hbs, events, violations = [], [], [], []
    for line in lines:
        f = line.split()
        try:
            if f[0] == "T" and len(f) == 8:
                ticks.append(Tick(int(f[1]), int(f[2]), int(f[3]), int(f[4]),
                                  f[5], f[6], int(f[7])))
            elif f[0] == "H" and len(f) == 4:
                hbs.append((int(f[1]), int(f[2]), int(f[3])))
            elif f[0] == "E" and len(f) >= 3:
                events.append((int(f[1]), f[2], " ".join(f[3:])))
            elif f[0] == "V" and len(f) == 5:
                violations.append((int(f[1]), int(f[2]), int(f[3]), f[4]))
        except (IndexError, ValueError):
            continue
    return ticks, hbs, events, violations


def longest_gap(ticks, t_from, t_to):
    """(gap_ms, start_t) of the longest silence between ticks inside
    [t_from, t_to], counting from t_from to the first tick and from the
    last tick to t_to: a client that never heard again has a gap as long
    as the window."""
    times = [k.t for k in ticks if t_from <= k.t <= t_to]
    edges = [t_from] + times + [t_to]
    best, at = 0, t_from
    for a, b in zip(edges, edges[1:]):
        if b - a > best:
            best, at = b - a, a
    return best / NS_PER_MS, at


def overlap(ticks):
    """(ticks, ms) of terms interleaved at the client: ticks of a term
    below one already received, and how long after the first tick of the
    newer term the last of them came. Both are 0 when fencing holds."""
    max_term, first_of = 0, {}
    count, span_ns = 0, 0
    for k in ticks:
        if k.term > max_term:
            max_term = k.term
            first_of[k.term] = k.t
        elif k.term < max_term:
            count += 1
            span_ns = max(span_ns, k.t - first_of[max_term])
    return count, span_ns / NS_PER_MS


def seq_gaps(ticks, t_from=None, t_to=None):
    """[(term, vt, last_seq, next_seq)] for every seq jump inside one term
    and symbol (docs/protocol.md: seq grows by exactly 1 per published tick)."""
    last, gaps = {}, []
    for k in ticks:
        if (t_from is not None and k.t < t_from) or (t_to is not None and k.t > t_to):
            continue
        key = (k.term, k.vt)
        if key in last and k.seq != last[key] + 1:
            gaps.append((k.term, k.vt, last[key], k.seq))
        last[key] = k.seq
    return gaps


def sim_holes(ticks, t_from, t_to):
    """{vt: (missing, duplicated)} counts of the simulator's own sequence
    (extra.sim_seq) among ticks received in [t_from, t_to]: a source switch
    must lose and repeat nothing (docs/failover.md). Symbols without sim_seq are
    left out."""
    seqs = collections.defaultdict(list)
    for k in ticks:
        if t_from <= k.t <= t_to and k.sim >= 0:
            seqs[k.vt].append(k.sim)
    out = {}
    for vt, s in seqs.items():
        distinct = set(s)
        missing = (max(s) - min(s) + 1) - len(distinct)
        out[vt] = (missing, len(s) - len(distinct))
    return out


def delivery_faults(ticks):
    """{vt: (missing, repeated, backward)} of the simulator's sim_seq in
    the order a client delivered them, over all its ticks: what a client
    library promises is (0, 0, 0) (docs/client.md). missing counts the
    numbers absent between the lowest and the highest, repeated those
    delivered more than once, backward the steps down. Symbols without
    sim_seq are left out."""
    seqs = collections.defaultdict(list)
    for k in ticks:
        if k.sim >= 0:
            seqs[k.vt].append(k.sim)
    out = {}
    for vt, s in seqs.items():
        distinct = set(s)
        out[vt] = ((max(s) - min(s) + 1) - len(distinct), len(s) - len(distinct),
                   sum(1 for a, b in zip(s, s[1:]) if b < a))
    return out


def percentile(values, q):
    """The q-quantile (0..1) of values by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))
    return s[k]
