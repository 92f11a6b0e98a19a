"""BaseGateway: what a gateway calls to report (events to the engine)."""
from vnpy.event import Event

from .event import EVENT_LOG, EVENT_TICK
from .object import LogData


class BaseGateway:
    default_setting = {}
    exchanges = []

    def __init__(self, event_engine, gateway_name):
        self.event_engine = event_engine
        self.gateway_name = gateway_name

    def on_event(self, type, data=None):  # noqa: A002
        self.event_engine.put(Event(type, data))

    def on_tick(self, tick):
        self.on_event(EVENT_TICK, tick)
        self.on_event(EVENT_TICK + tick.vt_symbol, tick)

    def on_log(self, log):
        self.on_event(EVENT_LOG, log)

    def write_log(self, msg):
        self.on_log(LogData(gateway_name=self.gateway_name, msg=msg))

    def connect(self, setting):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def subscribe(self, req):
        raise NotImplementedError
