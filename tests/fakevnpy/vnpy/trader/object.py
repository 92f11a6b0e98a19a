"""vnpy.trader.object: the data classes a market-data gateway, the bridge
and hamd.to_vnpy use, with vnpy's field names, order and defaults."""
from dataclasses import dataclass, field
from datetime import datetime as Datetime
from logging import INFO

from .constant import Exchange


@dataclass
class BaseData:
    gateway_name: str

    extra: dict = field(default=None, init=False)


@dataclass
class TickData(BaseData):
    symbol: str
    exchange: Exchange
    datetime: Datetime

    name: str = ""
    volume: float = 0
    turnover: float = 0
    open_interest: float = 0
    last_price: float = 0
    last_volume: float = 0
    limit_up: float = 0
    limit_down: float = 0

    open_price: float = 0
    high_price: float = 0
    low_price: float = 0
    pre_close: float = 0

    bid_price_1: float = 0
    bid_price_2: float = 0
    bid_price_3: float = 0
    bid_price_4: float = 0
    bid_price_5: float = 0

    ask_price_1: float = 0
    ask_price_2: float = 0
    ask_price_3: float = 0
    ask_price_4: float = 0
    ask_price_5: float = 0

    bid_volume_1: float = 0
    bid_volume_2: float = 0
    bid_volume_3: float = 0
    bid_volume_4: float = 0
    bid_volume_5: float = 0

    ask_volume_1: float = 0
    ask_volume_2: float = 0
    ask_volume_3: float = 0
    ask_volume_4: float = 0
    ask_volume_5: float = 0

    localtime: Datetime = None

    def __post_init__(self):
        self.vt_symbol = "%s.%s" % (self.symbol, self.exchange.value)


@dataclass
class LogData(BaseData):
    msg: str
    level: int = INFO

    def __post_init__(self):
        self.time = Datetime.now()


@dataclass
class SubscribeRequest:
    symbol: str
    exchange: Exchange

    def __post_init__(self):
        self.vt_symbol = "%s.%s" % (self.symbol, self.exchange.value)
