"""hamd.core with fake time: the same decisions as libhamd-client's core
(tests/unit/test_client_core.c): fencing, exactly once across a term
change, the snapshot merged with live ticks, gaps, liveness and the
snapshot round's retries."""
import unittest

import fakehub  # noqa: F401 - puts src/python on sys.path
from fakehub import tick_map
from hamd import conn, core

MS = core.NS_PER_MS
T0 = 1000 * MS
HB_TIMEOUT = 1000 * MS


class Recorder:
    def __init__(self):
        self.ticks, self.gaps, self.leaders, self.notices = [], [], [], []
        self.texts = []

    def tick(self, t, snapshot):
        self.ticks.append((t["vt_symbol"], t["extra"]["sim_seq"], snapshot))

    def numbers(self, vt="rb2601.SHFE"):
        return ["%d%s" % (n, "s" if s else "") for v, n, s in self.ticks if v == vt]


def make(n_sockets=1, n_prefixes=1, snapshots=True):
    r = Recorder()
    c = core.Core(n_sockets, n_prefixes, snapshots, HB_TIMEOUT, T0, r.tick,
                  r.gaps.append, r.leaders.append,
                  lambda kind, text: (r.notices.append(kind),
                                      r.texts.append(text)))
    return c, r


def live(c, n, term, seq, now=T0, vt="rb2601.SHFE", sock=0):
    c.tick(sock, tick_map(vt, n, term, seq), now)


def snapshot_round(c, ticks, term, now=T0):
    acts, _ = c.due(now)
    assert core.DO_SNAPSHOT_SEND in acts, acts
    c.sent(True, now)
    for t in ticks:
        c.snapshot_tick(t)
    c.snapshot_end(True, term, len(ticks), now)


class TestDelivery(unittest.TestCase):
    def test_fencing(self):
        c, r = make(snapshots=False)
        live(c, 1, 3, 1)
        live(c, 2, 2, 900)            # a deposed leader's straggler
        live(c, 3, 3, 2)
        c.heartbeat(0, 2, 2, T0)      # its heartbeat
        self.assertEqual(r.numbers(), ["1", "3"])
        self.assertEqual(c.stats["fenced"], 2)
        self.assertEqual(r.leaders, [core.LeaderChange(3, 3)])

    def test_exactly_once_across_term_change(self):
        c, r = make(snapshots=False)
        for n in range(1, 6):
            live(c, n, 1, n)
        for n, seq in ((4, 1), (5, 2), (6, 3)):
            live(c, n, 2, seq)        # the new leader re-sends 4 and 5
        live(c, 3, 1, 3)              # old term, late: fenced
        self.assertEqual(r.numbers(), ["1", "2", "3", "4", "5", "6"])
        self.assertEqual((c.stats["duplicates"], c.stats["fenced"],
                          c.stats["gaps"], c.stats["leader_changes"]), (2, 1, 0, 1))

    def test_contracts_independent(self):
        c, r = make(snapshots=False)
        live(c, 5, 1, 1)
        live(c, 2, 1, 1, vt="cu2601.SHFE")
        live(c, 4, 1, 2)
        live(c, 3, 1, 2, vt="cu2601.SHFE")
        self.assertEqual(r.numbers(), ["5"])
        self.assertEqual(r.numbers("cu2601.SHFE"), ["2", "3"])

    def test_gap_then_snapshot(self):
        c, r = make()
        c.heartbeat(0, 4, 2, T0)
        snapshot_round(c, [], 4)
        live(c, 1, 4, 1)
        live(c, 2, 4, 2)
        live(c, 5, 4, 5, T0 + 10 * MS)
        self.assertEqual(r.gaps, [core.Gap("rb2601.SHFE", 4, 3, 5)])
        self.assertEqual(c.stats["missing"], 2)
        acts, _ = c.due(T0 + 10 * MS)
        self.assertNotIn(core.DO_SNAPSHOT_SEND, acts)   # the round interval
        later = T0 + core.SNAPSHOT_INTERVAL_MS * MS
        snapshot_round(c, [tick_map("rb2601.SHFE", 6, 4, 6)], 4, later)
        live(c, 6, 4, 6, later)
        live(c, 7, 4, 7, later)
        self.assertEqual(r.numbers(), ["1", "2", "5", "6", "7"])

    def test_late_start_no_gap(self):
        c, r = make(snapshots=False)
        live(c, 1, 1, 1)
        live(c, 4, 2, 3)
        self.assertEqual((r.gaps, c.stats["late_starts"]), ([], 1))
        self.assertIn(core.LATE_START, r.notices)


class TestSnapshot(unittest.TestCase):
    def test_late_joiner(self):
        c, r = make()
        self.assertNotIn(core.DO_SNAPSHOT_SEND, c.due(T0)[0])   # not live yet
        c.heartbeat(0, 3, 1, T0)
        snapshot_round(c, [tick_map("rb2601.SHFE", 10, 3, 10)], 3)
        for n in (9, 10, 11):
            live(c, n, 3, n)
        self.assertEqual(r.numbers(), ["10s", "11"])
        self.assertEqual(c.due(T0)[0], {core.DO_SNAPSHOT_CLOSE})

    def test_join_holds_live_ticks(self):
        c, r = make()
        live(c, 8, 3, 8)              # before the first heartbeat
        c.heartbeat(0, 3, 1, T0)
        for n in (9, 10, 11):
            live(c, n, 3, n)
        self.assertEqual(r.ticks, [])
        snapshot_round(c, [tick_map("rb2601.SHFE", 10, 3, 10)], 3)
        live(c, 12, 3, 12)
        self.assertEqual(r.numbers(), ["10s", "11", "12"])
        self.assertEqual(r.gaps, [])

    def test_join_hold_bounded(self):
        c, r = make()
        for n in range(1, core.JOIN_HOLD_MAX + 2):
            live(c, n, 1, n)
        self.assertEqual(len(r.ticks), core.JOIN_HOLD_MAX + 1)
        self.assertEqual(r.gaps, [])

    def test_snapshot_waits_for_live_ticks_before_it(self):
        c, r = make()
        c.heartbeat(0, 1, 1, T0)
        snapshot_round(c, [], 1)
        for n in range(1, 6):
            live(c, n, 1, n)
        t1 = T0 + 2000 * MS
        c.heartbeat(0, 2, 3, t1)
        snapshot_round(c, [tick_map("rb2601.SHFE", 8, 2, 3)], 2, t1)
        for n, seq in ((5, 1), (6, 2), (7, 3), (8, 4), (9, 5)):
            live(c, n, 2, seq, t1)
        c.due(t1 + core.SETTLE_MS * MS)
        self.assertEqual(r.numbers(), [str(n) for n in range(1, 10)])

    def test_pending_before_newer_live(self):
        c, r = make()
        c.heartbeat(0, 1, 1, T0)
        snapshot_round(c, [], 1)
        live(c, 5, 1, 5)
        t1 = T0 + 1000 * MS
        c.heartbeat(0, 2, 2, t1)
        snapshot_round(c, [tick_map("rb2601.SHFE", 8, 2, 3)], 2, t1)
        live(c, 9, 2, 4, t1)
        self.assertEqual(r.numbers(), ["5", "8s", "9"])

    def test_pending_settles(self):
        c, r = make()
        c.heartbeat(0, 1, 1, T0)
        snapshot_round(c, [], 1)
        live(c, 5, 1, 5)
        t1 = T0 + core.SNAPSHOT_INTERVAL_MS * MS
        c.heartbeat(0, 2, 2, t1)
        snapshot_round(c, [tick_map("rb2601.SHFE", 6, 2, 1)], 2, t1)
        self.assertLessEqual(c.due(t1 + MS)[1], t1 + core.SETTLE_MS * MS)
        self.assertEqual(r.numbers(), ["5"])
        for now in range(t1, t1 + core.SETTLE_MS * MS, 100 * MS):
            c.heartbeat(0, 2, 2, now)
        c.due(t1 + core.SETTLE_MS * MS)
        self.assertEqual(r.numbers(), ["5", "6s"])

    def test_bad_answers_retried_then_given_up(self):
        c, r = make()
        c.heartbeat(0, 5, 1, T0)
        s = tick_map("rb2601.SHFE", 3, 5, 3)
        for end in ((False, 0, 0), (True, 5, 2), (True, 4, 1)):
            acts, _ = c.due(T0)
            self.assertIn(core.DO_SNAPSHOT_SEND, acts)
            c.sent(True, T0)
            c.snapshot_tick(s)
            c.snapshot_end(*end, T0)
        self.assertEqual(c.due(T0)[0], {core.DO_SNAPSHOT_CLOSE})
        self.assertEqual(r.ticks, [])
        self.assertEqual((c.stats["snapshot_failures"], c.stats["malformed"],
                          c.stats["snapshots"]), (1, 2, 0))

    def test_unsent_request_resent(self):
        c, r = make()
        c.heartbeat(0, 1, 1, T0)
        self.assertIn(core.DO_SNAPSHOT_SEND, c.due(T0)[0])
        c.sent(False, T0)
        self.assertNotIn(core.DO_SNAPSHOT_SEND, c.due(T0 + MS)[0])
        self.assertIn(core.DO_SNAPSHOT_SEND,
                      c.due(T0 + core.SNAPSHOT_RESEND_MS * MS)[0])

    def test_added_prefix_snapshots(self):
        c, r = make(n_prefixes=0)
        c.heartbeat(0, 1, 1, T0)
        self.assertEqual(c.due(T0)[0], set())
        c.add_prefix()
        self.assertIn(core.DO_SNAPSHOT_SEND, c.due(T0)[0])


class TestConnections(unittest.TestCase):
    """hamd.conn, and the core's use of it (test_client_conn.c's cases)."""
    PRIMARY = conn.SLOTS_PER_EP          # endpoint #2 of two
    PROBES = [PRIMARY + 1, PRIMARY + 2]

    def probing(self):
        c = conn.Conn(2, conn.PROBE_AFTER_MS * MS)
        c.heard(self.PRIMARY, T0)
        self.assertEqual(c.due(T0 + 10 * MS), T0 + conn.PROBE_AFTER_MS * MS)
        c.due(T0 + conn.PROBE_AFTER_MS * MS)
        self.assertEqual(sorted(c.open), self.PROBES)
        c.open.clear()
        return c

    def test_probe_bridges(self):
        c = self.probing()
        t = T0 + conn.PROBE_AFTER_MS * MS + 400 * MS
        self.assertEqual(c.heard(self.PROBES[1], t), 700)
        self.assertIsNone(c.heard(self.PROBES[0], t))
        c.due(t)
        self.assertEqual(c.reconnect, set())
        c.due(t + conn.GRACE_MS * MS)
        self.assertEqual(c.reconnect, {self.PRIMARY})
        self.assertTrue(c.reconnect_ok(self.PRIMARY))
        back = t + 300 * MS
        c.heard(self.PRIMARY, back)
        self.assertFalse(c.reconnect_ok(self.PRIMARY))
        c.due(back)
        self.assertEqual(c.close, set())
        c.due(back + conn.GRACE_MS * MS)
        self.assertEqual(sorted(c.close), self.PROBES)

    def test_false_alarm(self):
        c = self.probing()
        t = T0 + conn.PROBE_AFTER_MS * MS + 5 * MS
        c.heard(self.PRIMARY, t)
        self.assertIsNone(c.heard(self.PROBES[0], t))
        c.due(t + conn.GRACE_MS * MS)
        self.assertEqual((sorted(c.close), c.reconnect), (self.PROBES, set()))

    def test_probes_in_vain(self):
        c = self.probing()
        end = T0 + (conn.PROBE_AFTER_MS + conn.PROBE_FOR_MS) * MS
        c.due(end)
        self.assertEqual(sorted(c.close), self.PROBES)
        self.assertIsNone(c.due(end + 10 * conn.PROBE_AFTER_MS * MS))
        self.assertEqual(c.open, set())

    def test_core_silent_since_the_start(self):
        # no heartbeat since the start (nothing publishes on the endpoints,
        # a CURVE key refused): said once, back when one comes, and the
        # joiner's snapshot follows; it said nothing at all
        c, r = make()
        c.due(T0 + HB_TIMEOUT - MS)
        self.assertNotIn(core.SILENT, r.notices)
        c.due(T0 + HB_TIMEOUT)
        self.assertEqual((r.notices.count(core.SILENT), c.stats["silences"]), (1, 1))
        c.due(T0 + 10 * HB_TIMEOUT)
        self.assertEqual(r.notices.count(core.SILENT), 1)
        t1 = T0 + 11 * HB_TIMEOUT
        c.heartbeat(0, 1, 1, t1)
        self.assertIn(core.BACK, r.notices)
        self.assertIn(core.DO_SNAPSHOT_SEND, c.due(t1)[0])

    def test_core_silence_while_the_client_was_away(self):
        # the client itself was away (a SIGSTOP, a debugger, polled too
        # seldom): the notice says so and for how long; it said "no
        # heartbeat for 1000 ms: publisher gone or failing over"
        c, r = make(snapshots=False)
        c.heartbeat(0, 1, 1, T0)
        c.due(T0 + 100 * MS)
        c.due(T0 + 20100 * MS)
        self.assertEqual(r.notices, [core.SILENT])
        self.assertEqual(r.texts[-1], "no heartbeat read for 20100 ms, but "
                         "this client was away for the last 20000 ms of "
                         "it (process stopped, callbacks slow, or polled "
                         "too seldom): what the hub sent meanwhile may "
                         "still come")

    def test_core_silence_and_takeover(self):
        c, r = make(n_sockets=2)
        c.heartbeat(self.PRIMARY, 1, 1, T0)
        snapshot_round(c, [], 1)
        c.due(T0)
        t1 = T0 + conn.PROBE_AFTER_MS * MS
        self.assertEqual(c.due(t1)[0], {core.DO_OPEN})
        self.assertEqual(c.take_open(), self.PROBES)
        t2 = T0 + HB_TIMEOUT
        self.assertEqual(c.due(t2)[0], set())
        self.assertEqual((r.notices.count(core.SILENT), c.stats["silences"]), (1, 1))
        t3 = t2 + 200 * MS
        c.heartbeat(self.PROBES[0], 2, 2, t3)
        self.assertIn(core.BACK, r.notices)
        self.assertIn(core.RECONNECT, r.notices)
        self.assertEqual(c.stats["reconnects"], 1)
        t4 = t3 + conn.GRACE_MS * MS
        self.assertEqual(c.due(t4)[0], {core.DO_RECONNECT, core.DO_SNAPSHOT_SEND})
        self.assertEqual(c.take_reconnect(), [self.PRIMARY])
        self.assertTrue(c.reconnect_ok(self.PRIMARY))


class TestProbeAhead(unittest.TestCase):
    """A probe's tick ahead of what the primary still brings waits for it
    (test_client_core.c test_probe_ahead_of_the_primary_waits)."""

    def silent_primary(self):
        c, r = make(snapshots=False)
        for n in (1, 2, 3):
            live(c, n, 1, n)
        t = T0 + conn.PROBE_AFTER_MS * MS
        self.assertEqual(c.due(t)[0], {core.DO_OPEN})
        self.assertEqual(c.take_open(), [1, 2])
        return c, r, t + 10 * MS

    def test_probe_ahead_of_the_primary_waits(self):
        c, r, t = self.silent_primary()
        live(c, 9, 1, 9, now=t, sock=1)           # the probe's copy, read first
        self.assertEqual(r.numbers(), ["1", "2", "3"])
        for n in range(4, 10):                    # the primary's held ticks
            live(c, n, 1, n, now=t + MS)
        live(c, 10, 1, 10, now=t + 2 * MS, sock=1)
        live(c, 10, 1, 10, now=t + 2 * MS)
        self.assertEqual(r.numbers(), [str(n) for n in range(1, 11)])
        self.assertEqual(r.gaps, [])

    def test_closing_probe_ahead_of_the_primary_waits(self):
        # the primary speaks again first, far behind (what the hub queued
        # while the process was stopped); what the probes still hold when
        # read before closing is ahead of it too, and left to it
        c, r, t = self.silent_primary()
        live(c, 4, 1, 4, now=t)                   # the primary's backlog
        live(c, 50, 1, 50, now=t + MS, sock=1)    # a probe's live tick
        closing = t + conn.GRACE_MS * MS
        self.assertEqual(c.due(closing)[0], {core.DO_CLOSE})
        self.assertEqual(c.take_close(), [1, 2])
        live(c, 51, 1, 51, now=closing, sock=2)   # read before it closes
        for n in range(5, 52):
            live(c, n, 1, n, now=closing + MS)
        self.assertEqual(r.numbers(), [str(n) for n in range(1, 52)])
        self.assertEqual(r.gaps, [])

    def test_probe_carries_once_the_primary_is_made_again(self):
        c, r, t = self.silent_primary()
        live(c, 9, 1, 9, now=t, sock=1)
        after = t + conn.GRACE_MS * MS
        self.assertEqual(c.due(after)[0], {core.DO_RECONNECT})
        self.assertEqual(c.take_reconnect(), [0])
        live(c, 10, 1, 10, now=after + MS, sock=1)
        self.assertEqual(r.numbers(), ["1", "2", "3", "10"])
        self.assertEqual([(g.expected, g.got) for g in r.gaps], [(4, 10)])


if __name__ == "__main__":
    unittest.main()
