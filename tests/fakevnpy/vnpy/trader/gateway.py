"""vnpy.trader.gateway: BaseGateway's documented interface. A gateway
reports by putting events to the engine (on_tick, on_log, write_log);
the methods vnpy declares abstract are abstract here too."""
from abc import ABC, abstractmethod

from vnpy.event import Event

from .event import EVENT_LOG, EVENT_TICK
from .object import LogData


class BaseGateway(ABC):
    default_name = ""
    default_setting = {}
    exchanges = []

    def __init__(self, event_engine, gateway_name):
        self.event_engine = event_engine
        self.gateway_name = gateway_name

    def on_event(self, type, data=None):  # noqa: A002 - vnpy's name
        self.event_engine.put(Event(type, data))

    def on_tick(self, tick):
        self.on_event(EVENT_TICK, tick)
        self.on_event(EVENT_TICK + tick.vt_symbol, tick)

    def on_log(self, log):
        self.on_event(EVENT_LOG, log)

    def write_log(self, msg):
        self.on_log(LogData(msg=msg, gateway_name=self.gateway_name))

    def get_default_setting(self):
        return self.default_setting

    @abstractmethod
    def connect(self, setting):
        pass

    @abstractmethod
    def close(self):
        pass

    @abstractmethod
    def subscribe(self, req):
        pass

    @abstractmethod
    def send_order(self, req):
        pass

    @abstractmethod
    def cancel_order(self, req):
        pass

    @abstractmethod
    def query_account(self):
        pass

    @abstractmethod
    def query_position(self):
        pass
