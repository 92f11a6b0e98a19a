"""The client's decisions (docs/client.md), pure: messages and a time value
in, decisions out. The same rules as libhamd-client's src/client/
client_core.c, for the same reasons (see there):

- fencing: a tick or heartbeat of a term below the highest seen is dropped;
- delivery: per contract, a tick only if newer than the last delivered
  (exchange time, then volume), so what a new leader re-sends is dropped;
- gaps: a seq jump inside one term, reported, and a snapshot asked for;
- the late joiner: until its first snapshot round is over, live ticks are
  held, then those the snapshot did not cover follow it, so each contract
  starts from its snapshot (docs/protocol.md §7);
- snapshot merge: a contract nothing was delivered for takes the snapshot's
  tick at once; a snapshot tick newer than what was delivered waits for
  the live ticks before it, and goes out before the first live tick newer
  than it, or after SETTLE_MS;
- snapshot rounds on joining, after a gap, a term change or a silence,
  once a heartbeat proves the subscription live; one prefix at a time;
- liveness: no `_hb` for hb_timeout: silent;
- connections: hamd.conn (a primary per endpoint, fast probes beside a
  silent one); slots number them.

Times are integer nanoseconds of a monotonic clock, given by the caller.
The shell (hamd.client) does the I/O and carries out Core.due()'s answer.
"""
import collections

from . import conn

NS_PER_MS = 1000000
SETTLE_MS = 3000          # a newer snapshot tick waits this long for the
#                           live ticks before it: a new leader re-sends what
#                           it held at most 2 s after binding, + 1 s margin
SNAPSHOT_TIMEOUT_MS = 2000  # one attempt's answer, complete
SNAPSHOT_ATTEMPTS = 3       # per prefix, then given up
SNAPSHOT_RESEND_MS = 20     # a request no connection took yet, again
SNAPSHOT_INTERVAL_MS = 500  # between two rounds at least
SNAPSHOT_TICKS_MAX = 1000000  # ticks in one answer, at most
JOIN_HOLD_MAX = 10000       # live ticks held while joining, at most
BAD_NOTICE_MS = 1000        # malformed input: one notice per this long

# Core.due() answers with a set of these.
DO_SNAPSHOT_SEND = "snapshot_send"    # send ["SNAPSHOT", prefix], then sent()
DO_SNAPSHOT_CLOSE = "snapshot_close"  # close the DEALER (before any SEND)
DO_CLOSE = "close"                    # read, then close the slots of
#                                       take_close(); before any OPEN
DO_OPEN = "open"                      # open probes: the slots of take_open()
DO_RECONNECT = "reconnect"            # read, then (if reconnect_ok) make
#                                       again the slots of take_reconnect()

# Notices: the client's own view of the stream.
SILENT, BACK, RECONNECT, SNAPSHOT, SNAPSHOT_FAILED, BAD_MESSAGE, LATE_START = (
    "silent", "back", "reconnect", "snapshot", "snapshot_failed",
    "bad_message", "late_start")

Gap = collections.namedtuple("Gap", "vt_symbol term expected got")
Gap.__doc__ = "seq `expected` was due in `term`, `got` came: got - expected missing."
LeaderChange = collections.namedtuple("LeaderChange", "term node")
LeaderChange.__doc__ = "A publisher of a newer term (the first one too)."

STAT_KEYS = ("delivered", "from_snapshot", "duplicates", "fenced", "gaps",
             "missing", "late_starts", "malformed", "leader_changes",
             "events", "snapshots", "snapshot_failures", "silences",
             "reconnects")


def _age(t):
    return (t["datetime"], t["volume"])


class _Contract:
    """Where one contract's stream stands."""
    __slots__ = ("last", "seen_term", "seen_seq", "pending", "pending_due")

    def __init__(self):
        self.last = None        # age of the last delivered tick, or None
        self.seen_term = 0      # (term, seq) of the last tick seen live,
        self.seen_seq = 0       #   or of a snapshot of a newer term
        self.pending = None     # snapshot tick waiting for the live stream
        self.pending_due = 0    # when it goes out anyway


class Core:
    """The decisions. Outputs go to the callables given:
    tick(t, snapshot), gap(Gap), leader(LeaderChange), notice(kind, text)."""

    def __init__(self, n_endpoints, n_prefixes, snapshots, hb_timeout_ns, now,
                 tick, gap=None, leader=None, notice=None):
        if n_endpoints < 1 or n_prefixes < 0 or hb_timeout_ns <= 0:
            raise ValueError("n_endpoints >= 1, n_prefixes >= 0, hb_timeout > 0")
        self.n_prefixes = n_prefixes
        self.snapshots = snapshots
        self.hb_timeout = hb_timeout_ns
        self._tick, self._gap, self._leader = tick, gap, leader
        self._notice = notice
        self.contracts = {}
        self.max_term = 0
        self.leader_term = 0
        self.live = False
        self.ever_live = False
        self.join_silent = False    # no `_hb` since the start: said once
        self.last_hb = now
        self.last_due = now         # a longer pause is the client's own
        self.n_pending = 0
        self.settle = None
        self.conn = conn.Conn(n_endpoints, min(conn.PROBE_AFTER_MS * NS_PER_MS,
                                                hb_timeout_ns))
        self.stats = dict.fromkeys(STAT_KEYS, 0)
        self.bad_notice = None
        # the snapshot round
        self.snap_wanted = True              # the late joiner's snapshot
        self.snap_busy = False
        self.snap_sent = False
        self.snap_close = False
        self.snap_prefix = 0
        self.snap_attempt = 0
        self.snap_resend = 0
        self.snap_end = 0
        self.snap_not_before = now
        self.snap_buf = []
        self.snap_got = 0
        self.holding = snapshots             # joining: live ticks are held
        self.held = []                       # (slot, tick) in arrival order

    # ------------------------------------------------------------------
    # Helpers

    def notice(self, kind, text):
        if self._notice:
            self._notice(kind, text)

    def _contract(self, vt):
        c = self.contracts.get(vt)
        if c is None:
            c = self.contracts[vt] = _Contract()
        return c

    def _deliver(self, c, t, snapshot):
        age = _age(t)
        if c.last is not None and age <= c.last:
            self.stats["duplicates"] += 1
            return
        c.last = age
        self.stats["delivered"] += 1
        if snapshot:
            self.stats["from_snapshot"] += 1
        self._tick(t, snapshot)

    def _pending_flush(self, c):
        t, c.pending = c.pending, None
        self.n_pending -= 1
        self._deliver(c, t, True)

    def _pending_set(self, c, t, due):
        if c.pending is not None:
            if _age(t) <= _age(c.pending):
                return
        else:
            self.n_pending += 1
        c.pending, c.pending_due = t, due
        self.settle = due if self.settle is None else min(self.settle, due)

    def _heard(self, slot, now):
        silent_ms = self.conn.heard(slot, now)
        if silent_ms is None:
            return
        self.stats["reconnects"] += 1
        self.notice(RECONNECT, "endpoint #%d silent for %d ms: a new connection "
                    "brings the stream, the old one is made again"
                    % (conn.endpoint(slot) + 1, silent_ms))

    def _leader_new(self, term, node):
        if self.leader_term:
            self.stats["leader_changes"] += 1
        self.leader_term = term
        self.snap_wanted = True
        if self._leader:
            self._leader(LeaderChange(term, node))

    # ------------------------------------------------------------------
    # The live stream

    def tick(self, slot, t, now):
        """A live tick, checked by hamd.wire.tick."""
        self._heard(slot, now)
        term = t["term"]
        if term < self.max_term:
            self.stats["fenced"] += 1
            return
        self.max_term = term
        if term > self.leader_term:
            self._leader_new(term, t["node"])
        if self.holding:
            if len(self.held) < JOIN_HOLD_MAX:
                self.held.append((slot, t))
                return
            self._release(now)              # too many: go on without
        c = self._contract(t["vt_symbol"])
        if self._probe_ahead(slot, c, t, now):
            self.stats["duplicates"] += 1   # the primary brings it, after the others
            return
        self._seq_track(c, t)
        if c.pending is not None:
            age, pend = _age(t), _age(c.pending)
            if age > pend:
                self._pending_flush(c)      # the live stream never brought it
            elif age == pend:
                c.pending = None            # this is it, live
                self.n_pending -= 1
        self._deliver(c, t, False)

    def _release(self, now):
        """The join is over: the held ticks go through the live rules."""
        if not self.holding:
            return
        self.holding = False
        held, self.held = self.held, []
        for slot, t in held:
            self.tick(slot, t, now)

    def _probe_ahead(self, slot, c, t, now):
        """True when t came on a probe ahead of ticks its endpoint's primary
        still brings: after a publisher's silence (a lease lapse) the held
        ticks it re-sends go to the primary alone, the next live one to the
        probe too, and the probe's copy may be read first. Taken, it opened
        a gap and the primary's held ticks were repeats; left, the primary
        brings it in its turn (client_core.c: probe_ahead)."""
        return (t["term"] == c.seen_term and t["seq"] > c.seen_seq + 1
                and self.conn.primary_carries(slot, now))

    def _seq_track(self, c, t):
        term, seq = t["term"], t["seq"]
        if term == c.seen_term:
            if seq > c.seen_seq + 1:
                expected = c.seen_seq + 1
                self.stats["gaps"] += 1
                self.stats["missing"] += seq - expected
                self.snap_wanted = True
                if self._gap:
                    self._gap(Gap(t["vt_symbol"], term, expected, seq))
            if seq > c.seen_seq:
                c.seen_seq = seq
        elif term > c.seen_term:
            if c.seen_term and seq > 1:
                self.stats["late_starts"] += 1
                self.notice(LATE_START, "%s: first tick of term %d has seq %d"
                            % (t["vt_symbol"], term, seq))
            c.seen_term, c.seen_seq = term, seq

    def heartbeat(self, slot, term, node, now):
        self._heard(slot, now)
        if term < self.max_term:
            self.stats["fenced"] += 1       # a deposed publisher's
            return
        self.max_term = term
        if term > self.leader_term:
            self._leader_new(term, node)
        self.last_hb = now
        if self.live:
            return
        self.live = True
        if self.ever_live or self.join_silent:
            self.notice(BACK, "heartbeats back: node %d, term %d" % (node, term))
        self.ever_live = True

    def event(self, slot, now):
        self._heard(slot, now)
        self.stats["events"] += 1

    def other(self, slot, now):
        self._heard(slot, now)

    def malformed(self, slot, what, now):
        """slot -1: the snapshot DEALER."""
        self._heard(slot, now)
        self.stats["malformed"] += 1
        if self.bad_notice is not None and now - self.bad_notice < BAD_NOTICE_MS * NS_PER_MS:
            return
        self.notice(BAD_MESSAGE, "dropped a malformed message (%s); %d "
                    "malformed in all" % (what, self.stats["malformed"]))
        self.bad_notice = now

    def add_prefix(self):
        """One more prefix to snapshot (a subscription made later)."""
        self.n_prefixes += 1
        self.snap_wanted = True

    # ------------------------------------------------------------------
    # The snapshot round

    def _snap_ask(self, prefix, now):
        self.snap_prefix, self.snap_attempt = prefix, 0
        self.snap_sent = False
        self.snap_resend = now
        self.snap_end = now + SNAPSHOT_TIMEOUT_MS * NS_PER_MS
        self.snap_buf, self.snap_got = [], 0

    def _snap_next(self, now):
        if self.snap_prefix + 1 < self.n_prefixes:
            self._snap_ask(self.snap_prefix + 1, now)
            return
        self.snap_busy = False
        self.snap_close = True
        self.snap_buf = []
        self._release(now)

    def _snap_fail(self, why, now):
        self.snap_close = True
        self.snap_buf, self.snap_got = [], 0
        self.snap_attempt += 1
        if self.snap_attempt < SNAPSHOT_ATTEMPTS:
            self.snap_sent = False
            self.snap_resend = now
            self.snap_end = now + SNAPSHOT_TIMEOUT_MS * NS_PER_MS
            return
        self.stats["snapshot_failures"] += 1
        self.notice(SNAPSHOT_FAILED, "snapshot of prefix #%d given up after "
                    "%d attempts: %s; live ticks only"
                    % (self.snap_prefix + 1, SNAPSHOT_ATTEMPTS, why))
        self._snap_next(now)

    def sent(self, ok, now):
        """The request for prefix snap_prefix left (ok) or no connection
        took it yet (asked again after SNAPSHOT_RESEND_MS)."""
        if not self.snap_busy:
            return
        self.snap_sent = ok
        if not ok:
            self.snap_resend = now + SNAPSHOT_RESEND_MS * NS_PER_MS

    def snapshot_tick(self, t):
        """One [topic][body] of the answer: the tick, or None if malformed
        (it still counts against END's count)."""
        if not (self.snap_busy and self.snap_sent):
            return
        self.snap_got += 1
        if t is not None and len(self.snap_buf) < SNAPSHOT_TICKS_MAX:
            self.snap_buf.append(t)

    def snapshot_end(self, ok, term, count, now):
        """END: ok False when malformed."""
        if not (self.snap_busy and self.snap_sent):
            return
        if not ok:
            self.malformed(-1, "snapshot END without term or count", now)
            self._snap_fail("malformed END", now)
        elif count != self.snap_got or count > SNAPSHOT_TICKS_MAX:
            self.malformed(-1, "snapshot END count does not match the answer", now)
            self._snap_fail("incomplete answer", now)
        elif term < self.max_term:
            self._snap_fail("answered by a deposed publisher", now)
        else:
            self.max_term = term
            for t in self.snap_buf:
                self._merge_one(t, term, now)
            self.stats["snapshots"] += 1
            self.notice(SNAPSHOT, "snapshot of prefix #%d merged: %d ticks, "
                        "term %d" % (self.snap_prefix + 1, count, term))
            self._snap_next(now)

    def _merge_one(self, t, term, now):
        if t["term"] > term:
            self.malformed(-1, "snapshot tick of a term above its END", now)
            return
        c = self._contract(t["vt_symbol"])
        if t["term"] > c.seen_term:
            c.seen_term, c.seen_seq = t["term"], t["seq"]
        if c.last is None:
            self._deliver(c, t, True)
        elif _age(t) <= c.last:
            self.stats["duplicates"] += 1
        else:
            self._pending_set(c, t, now + SETTLE_MS * NS_PER_MS)

    # ------------------------------------------------------------------
    # Time

    def due(self, now):
        """(acts, next): the set of DO_* the shell must carry out now, and
        the time the next thing is due (None: nothing)."""
        acts, nxt = set(), []
        if not self.live and not self.ever_live and not self.join_silent:
            # Nothing since the start (no publisher on the endpoints, or
            # one that refuses this client's CURVE key): said once; it
            # said nothing at all.
            deadline = self.last_hb + self.hb_timeout
            if now >= deadline:
                self.join_silent = True
                self.stats["silences"] += 1
                self.notice(SILENT, "no heartbeat in %d ms since the start: no "
                            "publisher on the endpoints yet, or none that lets "
                            "this client in (CURVE keys)"
                            % (self.hb_timeout // NS_PER_MS))
            else:
                nxt.append(deadline)
        if self.live:
            deadline = self.last_hb + self.hb_timeout
            if now >= deadline:
                self.live = False
                self.stats["silences"] += 1
                self.snap_wanted = True
                self._silent_notice(now)
            else:
                nxt.append(deadline)
        at = self.conn.due(now)
        if at is not None:
            nxt.append(at)
        for what, slots in ((DO_CLOSE, self.conn.close), (DO_OPEN, self.conn.open),
                            (DO_RECONNECT, self.conn.reconnect)):
            if slots:
                acts.add(what)
        if self.n_pending and now >= self.settle:
            self._settle_due(now)
        if self.n_pending:
            nxt.append(self.settle)
        self._snap_due(now, acts, nxt)
        self.last_due = now
        return acts, (min(nxt) if nxt else None)

    def _silent_notice(self, now):
        """No `_hb` for hb_timeout; and whether this client itself was
        away for longer than that (due() not called: a SIGSTOP, a debugger,
        slow callbacks, polled too seldom), when the hub is likely fine and
        its heartbeats on their way (client_core.c: silent_notice)."""
        away = now - self.last_due
        if away <= self.hb_timeout:
            self.notice(SILENT, "no heartbeat for %d ms: publisher gone or "
                        "failing over" % (self.hb_timeout // NS_PER_MS))
            return
        self.notice(SILENT, "no heartbeat read for %d ms, but this client was "
                    "away for the last %d ms of it (process stopped, "
                    "callbacks slow, or polled too seldom): what the hub "
                    "sent meanwhile may still come"
                    % ((now - self.last_hb) // NS_PER_MS, away // NS_PER_MS))

    def _settle_due(self, now):
        self.settle = None
        for c in self.contracts.values():
            if c.pending is None:
                continue
            if now >= c.pending_due:
                self._pending_flush(c)
            else:
                self.settle = c.pending_due if self.settle is None else min(
                    self.settle, c.pending_due)

    def _snap_due(self, now, acts, nxt):
        if not self.snapshots or self.n_prefixes == 0:
            self.snap_wanted = False
        if not self.snap_busy and self.snap_wanted and self.live:
            if now >= self.snap_not_before:
                self.snap_busy, self.snap_wanted = True, False
                self.snap_not_before = now + SNAPSHOT_INTERVAL_MS * NS_PER_MS
                self._snap_ask(0, now)
            else:
                nxt.append(self.snap_not_before)
        if self.snap_busy and now >= self.snap_end:
            self._snap_fail("no complete answer in time" if self.snap_sent else
                            "no publisher's snapshot endpoint connected", now)
        if self.snap_close:
            acts.add(DO_SNAPSHOT_CLOSE)
            self.snap_close = False
        if not self.snap_busy:
            return
        if not self.snap_sent and now >= self.snap_resend:
            acts.add(DO_SNAPSHOT_SEND)
        nxt.append(self.snap_end)
        if not self.snap_sent:
            nxt.append(self.snap_resend)

    @staticmethod
    def _take(slots):
        out = sorted(slots)
        slots.clear()
        return out

    def take_open(self):
        """The probe slots to open (with DO_OPEN); cleared."""
        return self._take(self.conn.open)

    def take_close(self):
        """The slots to close (with DO_CLOSE); cleared."""
        return self._take(self.conn.close)

    def take_reconnect(self):
        """The primaries to make again (with DO_RECONNECT); cleared."""
        return self._take(self.conn.reconnect)

    def reconnect_ok(self, slot):
        """Still to be made again after the shell read what it held."""
        return self.conn.reconnect_ok(slot)
