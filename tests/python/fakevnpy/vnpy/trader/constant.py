"""vnpy.trader.constant stand-in: Exchange, with some of vnpy's values."""
from enum import Enum


class Exchange(Enum):
    CFFEX = "CFFEX"
    SHFE = "SHFE"
    CZCE = "CZCE"
    DCE = "DCE"
    INE = "INE"
    GFEX = "GFEX"
    SSE = "SSE"
    SZSE = "SZSE"
    SMART = "SMART"
    CME = "CME"
    LOCAL = "LOCAL"
