"""The client's connections to its publish endpoints, pure: the same rules
as libhamd-client's src/client/client_conn.c (see there for why).

Each endpoint has a primary connection. One that carried messages and then
nothing for PROBE_AFTER_MS gets PROBES probes beside it: connections that
give up a SYN or a handshake at LAN speed and retry at once (a VIP that
moved is reached within milliseconds of its gratuitous ARP). The first
probe to bring a message bridges: after GRACE_MS the primary is made
again, and the probes close GRACE_MS after the primary brings a message. A
primary that brings one first was a false alarm: the probes close. Probes
that bring nothing for PROBE_FOR_MS close. Nothing is cut while it may
still carry a tick.

Slots: SLOTS_PER_EP * e + k is endpoint e's primary (k = 0) or probe k.
"""
import math

NS_PER_MS = 1000000
PROBES = 2                # probes per silent endpoint
SLOTS_PER_EP = 1 + PROBES
PROBE_AFTER_MS = 300      # primary silent this long (three `_hb` periods)
PROBE_FOR_MS = 5000       # probes that bring nothing this long close
GRACE_MS = 100            # a connection being replaced is read this long more

STEADY, PROBING, BRIDGING = "steady", "probing", "bridging"
NEVER = math.inf


def is_probe(slot):
    return slot % SLOTS_PER_EP != 0


def endpoint(slot):
    return slot // SLOTS_PER_EP


def probe_slots(e):
    return [SLOTS_PER_EP * e + k for k in range(1, SLOTS_PER_EP)]


class _Endpoint:
    __slots__ = ("heard", "last_rx", "state", "until", "close_at")

    def __init__(self):
        self.heard = False      # the primary brought a message lately
        self.last_rx = 0        # the primary's last message
        self.state = STEADY
        self.until = 0          # PROBING: give up; BRIDGING: reconnect then
        self.close_at = None    # probes close then


class Conn:
    """Every endpoint; open, close, reconnect: sets of slots for the shell."""

    def __init__(self, n_endpoints, probe_ns):
        self.eps = [_Endpoint() for _ in range(n_endpoints)]
        self.probe_ns = probe_ns
        self.open, self.close, self.reconnect = set(), set(), set()

    def heard(self, slot, now):
        """A message on slot. Returns how long (ms) the primary was silent
        when a probe just took over, else None."""
        e = endpoint(slot)
        if e >= len(self.eps):
            return None
        ep = self.eps[e]
        if not is_probe(slot):
            ep.heard, ep.last_rx = True, now
            if ep.state != STEADY and ep.close_at is None:
                ep.close_at = now + GRACE_MS * NS_PER_MS
            ep.state = STEADY
            return None
        if ep.state != PROBING:
            return None
        ep.state = BRIDGING
        ep.until = now + GRACE_MS * NS_PER_MS
        return (now - ep.last_rx) // NS_PER_MS

    def primary_carries(self, slot, now):
        """True when slot is a probe and its endpoint's primary is still the
        connection that carries the stream: the probes are closing after
        the primary spoke again (what is read of them before they close
        too), or one bridges and the primary is not made
        again yet (GRACE_MS). The primary still brings, in order, what it
        was sent before the probe subscribed (core.py: _probe_ahead)."""
        e = endpoint(slot)
        if not is_probe(slot) or e >= len(self.eps):
            return False
        ep = self.eps[e]
        if ep.state == STEADY:      # closing, or read once more before
            return True             # it closes: the primary spoke again
        return ep.state == BRIDGING and ep.until != NEVER and now < ep.until

    def reconnect_ok(self, slot):
        e = endpoint(slot)
        return e < len(self.eps) and self.eps[e].state == BRIDGING

    def due(self, now):
        """Fills open, close, reconnect; returns the next time (or None)."""
        nxt = [t for e in range(len(self.eps)) for t in self._ep_due(e, now)]
        return min(nxt) if nxt else None

    def _ep_due(self, e, now):
        ep = self.eps[e]
        if ep.close_at is not None:
            if now < ep.close_at:
                return [ep.close_at]
            ep.close_at = None
            self.close.update(probe_slots(e))
        if ep.state == STEADY:
            if not ep.heard:
                return []
            if now < ep.last_rx + self.probe_ns:
                return [ep.last_rx + self.probe_ns]
            ep.state, ep.until = PROBING, now + PROBE_FOR_MS * NS_PER_MS
            self.open.update(probe_slots(e))
            return [ep.until]
        if ep.state == PROBING:
            if now < ep.until:
                return [ep.until]
            ep.state, ep.heard = STEADY, False   # in vain: a host down
            self.close.update(probe_slots(e))
            return []
        if ep.until == NEVER:                    # BRIDGING, primary reconnecting
            return []
        if now < ep.until:
            return [ep.until]
        ep.until = NEVER
        self.reconnect.add(SLOTS_PER_EP * e)
        return []
