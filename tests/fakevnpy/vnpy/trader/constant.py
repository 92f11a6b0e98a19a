"""vnpy.trader.constant: Exchange, with the vnpy values hamd's tests use
(China's futures and stock exchanges, SMART, CME, LOCAL)."""
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
