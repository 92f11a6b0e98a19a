"""The chaos measurements (analysis.py) on made-up client records: the
numbers the chaos runs report are only as good as these functions. No root
needed. Closing line "N passed, N failed"; exit 1 on any failure."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import analysis  # noqa: E402
from hamdtest import check, run  # noqa: E402

MS = analysis.NS_PER_MS


def tick(t_ms, term, seq, vt="rb2601.SHFE", sim=-1, gw="sim_a"):
    return analysis.Tick(t_ms * MS, term, seq, 1, vt, gw, sim)


def test_parse_skips_cut_lines():
    lines = ["E 5 started tcp://10.77.0.100:5551",
             "T 10 2 1 1 rb2601.SHFE sim_a 7",
             "H 11 2 1",
             "V 12 1 2 rb2601.SHFE",
             "T 13 2 2 1 rb2601.SH",          # cut short by a kill
             "X nonsense", ""]
    ticks, hbs, events, violations = analysis.parse(lines)
    check(ticks == [analysis.Tick(10, 2, 1, 1, "rb2601.SHFE", "sim_a", 7)], repr(ticks))
    check(hbs == [(11, 2, 1)], repr(hbs))
    check(events == [(5, "started", "tcp://10.77.0.100:5551")], repr(events))
    check(violations == [(12, 1, 2, "rb2601.SHFE")], repr(violations))


def test_longest_gap_counts_the_window_edges():
    ticks = [tick(t, 2, i) for i, t in enumerate((100, 150, 900, 950))]
    gap, at = analysis.longest_gap(ticks, 0, 1000 * MS)
    check((gap, at) == (750.0, 150 * MS), "inside: %r" % ((gap, at),))
    gap, _ = analysis.longest_gap(ticks, 0, 5000 * MS)
    check(gap == 4050.0, "a client that never heard again: %r" % gap)
    gap, at = analysis.longest_gap([], 0, 300 * MS)
    check((gap, at) == (300.0, 0), "no tick at all: %r" % ((gap, at),))


def test_overlap_is_zero_when_terms_only_grow():
    ticks = [tick(0, 2, 1), tick(10, 2, 2), tick(500, 3, 1), tick(510, 3, 2)]
    check(analysis.overlap(ticks) == (0, 0.0), repr(analysis.overlap(ticks)))


def test_overlap_counts_old_term_after_new():
    ticks = [tick(0, 2, 1), tick(100, 3, 1), tick(130, 2, 2), tick(160, 2, 3),
             tick(200, 3, 2)]
    check(analysis.overlap(ticks) == (2, 60.0), repr(analysis.overlap(ticks)))


def test_seq_gaps_per_term_and_symbol():
    ticks = [tick(0, 2, 1), tick(1, 2, 2, vt="i2601.DCE"), tick(2, 2, 2),
             tick(3, 2, 4), tick(4, 3, 1), tick(5, 2, 3, vt="i2601.DCE")]
    check(analysis.seq_gaps(ticks) == [(2, "rb2601.SHFE", 2, 4)],
          repr(analysis.seq_gaps(ticks)))
    check(analysis.seq_gaps(ticks, t_from=3 * MS) == [], "window")


def test_sim_holes_finds_lost_and_repeated_ticks():
    ticks = [tick(i, 2, i + 1, sim=s) for i, s in enumerate((10, 11, 13, 13, 14))]
    ticks.append(tick(9, 2, 1, vt="i2601.DCE"))  # no sim_seq: left out
    got = analysis.sim_holes(ticks, 0, 100 * MS)
    check(got == {"rb2601.SHFE": (1, 1)}, repr(got))


def test_percentile_nearest_rank():
    check(analysis.percentile([], 0.5) == 0.0, "empty")
    check(analysis.percentile([5, 1, 3], 0.5) == 3, "median of three")
    check(analysis.percentile([1, 2, 3, 4], 1.0) == 4, "max")


def test_delivery_faults():
    ticks = [tick(1, 2, 1, sim=10), tick(2, 2, 2, sim=11), tick(3, 3, 1, sim=11),
             tick(4, 3, 2, sim=13), tick(5, 3, 3, sim=12),
             tick(6, 3, 1, vt="cu2601.SHFE", sim=5), tick(7, 3, 2, vt="cu2601.SHFE", sim=6),
             tick(8, 3, 3, vt="i2601.DCE")]           # no sim_seq: left out
    got = analysis.delivery_faults(ticks)
    check(got == {"rb2601.SHFE": (0, 1, 1), "cu2601.SHFE": (0, 0, 0)}, repr(got))
    got = analysis.delivery_faults([tick(1, 2, 1, sim=1), tick(2, 2, 2, sim=4)])
    check(got == {"rb2601.SHFE": (2, 0, 0)}, repr(got))


if __name__ == "__main__":
    run([test_parse_skips_cut_lines, test_longest_gap_counts_the_window_edges,
         test_overlap_is_zero_when_terms_only_grow, test_overlap_counts_old_term_after_new,
         test_seq_gaps_per_term_and_symbol, test_sim_holes_finds_lost_and_repeated_ticks,
         test_percentile_nearest_rank, test_delivery_faults])
