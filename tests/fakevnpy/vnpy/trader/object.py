"""The data objects a market-data gateway and the bridge use, with
vnpy's field names and defaults."""
from dataclasses import dataclass, field, make_dataclass
from datetime import datetime

from .constant import Exchange

_TICK_NUMBERS = [
    "volume", "turnover", "open_interest", "last_price", "last_volume",
    "limit_up", "limit_down", "open_price", "high_price", "low_price",
    "pre_close",
] + ["%s_%d" % (k, i) for k in ("bid_price", "ask_price", "bid_volume",
                                "ask_volume") for i in range(1, 6)]


def _tick_post_init(self):
    self.vt_symbol = "%s.%s" % (self.symbol, self.exchange.value)


TickData = make_dataclass(
    "TickData",
    [("gateway_name", str), ("symbol", str), ("exchange", Exchange),
     ("datetime", datetime), ("name", str, field(default=""))] +
    [(k, float, field(default=0)) for k in _TICK_NUMBERS] +
    [("localtime", datetime, field(default=None))],
    namespace={"__post_init__": _tick_post_init})


@dataclass
class LogData:
    gateway_name: str
    msg: str
    level: int = 20


@dataclass
class SubscribeRequest:
    symbol: str
    exchange: Exchange

    def __post_init__(self):
        self.vt_symbol = "%s.%s" % (self.symbol, self.exchange.value)
