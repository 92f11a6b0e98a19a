"""HAMD: a vnpy gateway for market data from a hamd cluster.

    from vnpy.event import EventEngine
    from vnpy.trader.engine import MainEngine
    from hamd.vnpy_gateway import HamdGateway

    main_engine = MainEngine(EventEngine())
    main_engine.add_gateway(HamdGateway)
    main_engine.connect({"publish endpoints": "tcp://10.0.0.1:5551,tcp://10.0.0.2:5551",
                         "snapshot endpoints": "tcp://10.0.0.1:5561,tcp://10.0.0.2:5561",
                         "heartbeat timeout ms": 1000}, "HAMD")
    main_engine.subscribe(SubscribeRequest("rb2601", Exchange.SHFE), "HAMD")

Ticks reach vnpy's event engine through on_tick, each contract's exactly
once and in order through any failover (hamd.Client); gaps, leader changes
and the hub's events become log events. Market data only: orders are
refused with a log line.

Written to vnpy's documented BaseGateway interface (vnpy.trader.gateway):
default_name, default_setting, exchanges, connect, close, subscribe,
send_order, cancel_order, query_account, query_position, on_tick,
write_log. Tested here against a fake vnpy written to that interface
(tests/fakevnpy), not against vnpy itself.
"""
import threading

from vnpy.trader.constant import Exchange
from vnpy.trader.gateway import BaseGateway

from . import core
from .client import HB_TIMEOUT_MS_DEFAULT, Client
from .convert import to_vnpy

POLL_MS = 100          # the receiving thread's poll slice: how soon close() ends it
JOIN_TIMEOUT_S = 5.0   # close() waits this long for that thread

SETTING_PUBLISH = "publish endpoints"
SETTING_SNAPSHOT = "snapshot endpoints"
SETTING_HB_TIMEOUT = "heartbeat timeout ms"
# ZeroMQ CURVE (docs/security.md): the hub's public key and this client's
# key pair, Z85; empty: no CURVE.
SETTING_SERVER_KEY = "server key"
SETTING_CLIENT_PUBLIC = "client public key"
SETTING_CLIENT_SECRET = "client secret key"


def _endpoints(text):
    """"a, b" or ["a", "b"] -> ["a", "b"]."""
    if isinstance(text, str):
        return [e.strip() for e in text.replace(";", ",").split(",") if e.strip()]
    return [str(e) for e in text or []]


class HamdGateway(BaseGateway):
    """vnpy gateway "HAMD": ticks from hamd, exactly once, in order."""

    default_name = "HAMD"
    default_setting = {
        SETTING_PUBLISH: "tcp://127.0.0.1:5551,tcp://127.0.0.1:5552,tcp://127.0.0.1:5553",
        SETTING_SNAPSHOT: "tcp://127.0.0.1:5561,tcp://127.0.0.1:5562,tcp://127.0.0.1:5563",
        SETTING_HB_TIMEOUT: HB_TIMEOUT_MS_DEFAULT,
        SETTING_SERVER_KEY: "",
        SETTING_CLIENT_PUBLIC: "",
        SETTING_CLIENT_SECRET: "",
    }
    exchanges = list(Exchange)

    def __init__(self, event_engine, gateway_name="HAMD"):
        super().__init__(event_engine, gateway_name)
        self.client = None
        self.thread = None
        self.active = False
        self.subscribed = set()       # vt_symbols asked for, kept across connects
        self.lock = threading.Lock()  # subscribed vs. connect()

    # ------------------------------------------------------------------
    # BaseGateway

    def connect(self, setting):
        """Connects to the publish endpoints and starts receiving."""
        if self.active:
            self.write_log("HAMD: already connected")
            return
        try:
            client = Client(_endpoints(setting.get(SETTING_PUBLISH)), [],
                            snapshot_endpoints=_endpoints(setting.get(SETTING_SNAPSHOT)),
                            hb_timeout_ms=int(setting.get(SETTING_HB_TIMEOUT) or
                                              HB_TIMEOUT_MS_DEFAULT),
                            on_gap=self._on_gap, on_leader=self._on_leader,
                            on_event=self._on_event, on_notice=self._on_notice,
                            server_key=setting.get(SETTING_SERVER_KEY) or None,
                            client_public_key=setting.get(SETTING_CLIENT_PUBLIC) or None,
                            client_secret_key=setting.get(SETTING_CLIENT_SECRET) or None)
        except (ValueError, TypeError) as e:
            self.write_log("HAMD: bad setting: %s" % e)
            return
        with self.lock:
            self.client = client
            for vt in sorted(self.subscribed):
                client.subscribe(vt)
        self.active = True
        self.thread = threading.Thread(target=self._run, name="hamd-gateway",
                                       daemon=True)
        self.thread.start()
        self.write_log("HAMD: connected to %s" % ", ".join(client.endpoints))

    def close(self):
        """Stops receiving and closes the connections."""
        self.active = False
        if self.thread is not None:
            self.thread.join(JOIN_TIMEOUT_S)
            self.thread = None
        if self.client is not None:
            self.client.close()
            self.client = None

    def subscribe(self, req):
        """Ticks of req.vt_symbol from now on (its snapshot first)."""
        with self.lock:
            if req.vt_symbol in self.subscribed:
                return
            self.subscribed.add(req.vt_symbol)
            if self.client is not None:
                self.client.subscribe(req.vt_symbol)

    def send_order(self, req):
        self.write_log("HAMD: market data only, order for %s refused" % req.vt_symbol)
        return ""

    def cancel_order(self, req):
        self.write_log("HAMD: market data only, nothing to cancel")

    def query_account(self):
        pass

    def query_position(self):
        pass

    # ------------------------------------------------------------------
    # The receiving thread

    def _run(self):
        client = self.client
        while self.active:
            for tick in client.poll(POLL_MS):
                self.on_tick(to_vnpy(tick, self.gateway_name))

    def _on_gap(self, gap):
        self.write_log("HAMD: gap on %s in term %d: seq %d expected, %d came "
                       "(%d missing)" % (gap.vt_symbol, gap.term, gap.expected,
                                         gap.got, gap.got - gap.expected))

    def _on_leader(self, change):
        self.write_log("HAMD: publisher node %d, term %d" % (change.node, change.term))

    def _on_event(self, event):
        self.write_log("HAMD: event %s: %s" % (event.get("event_type"), event))

    def _on_notice(self, kind, text):
        if kind != core.SNAPSHOT:
            self.write_log("HAMD: %s" % text)
