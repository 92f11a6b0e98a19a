"""hamd ticks to vnpy: hamd.to_vnpy(tick) -> vnpy.trader.object.TickData.

Times stay exact: hamd sends integer nanoseconds since the epoch (UTC);
they become timezone-aware datetimes in the exchange's own time zone by
integer arithmetic (a float holds 16 digits, an epoch in ns has 19), to
the microsecond, datetime's resolution.

vnpy is imported only when to_vnpy is called: hamd needs nothing of it
otherwise.
"""
import datetime as _dt
from zoneinfo import ZoneInfo

from .wire import FLOAT_FIELDS

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
UTC = _dt.timezone.utc

# vnpy Exchange value -> IANA time zone of the exchange. Exchanges not
# listed (vnpy's LOCAL, GLOBAL, OTC ..., or a code vnpy does not know) keep
# UTC.
_ZONES = {
    "Asia/Shanghai": ("CFFEX", "SHFE", "CZCE", "DCE", "INE", "GFEX", "SSE",
                      "SZSE", "BSE", "SHHK", "SZHK", "SGE", "WXE", "CFETS",
                      "XBOND"),
    "Asia/Hong_Kong": ("SEHK", "HKFE"),
    "Asia/Singapore": ("SGX", "APEX"),
    "Asia/Tokyo": ("TOCOM",),
    "Asia/Seoul": ("KRX",),
    "Asia/Kuala_Lumpur": ("BMD",),
    "Asia/Dubai": ("DME",),
    "America/New_York": ("SMART", "NYSE", "NASDAQ", "ARCA", "EDGEA", "ISLAND",
                         "BATS", "IEX", "AMEX", "NYMEX", "COMEX", "CBOE", "CFE",
                         "ICE", "IBKRATS"),
    "America/Chicago": ("GLOBEX", "CME", "CBOT"),
    "America/Toronto": ("TSE",),
    "Europe/London": ("LME",),
    "Europe/Berlin": ("EUX",),
    "Europe/Paris": ("EUNX",),
}
EXCHANGE_TZ = {ex: ZoneInfo(zone) for zone, exs in _ZONES.items() for ex in exs}


def exchange_tz(exchange):
    """The time zone of an exchange code ("SHFE"), UTC when not known."""
    return EXCHANGE_TZ.get(exchange, UTC)


def ns_to_datetime(ns, tz=UTC):
    """Epoch ns (UTC) -> aware datetime in tz, exact to the microsecond."""
    return (EPOCH + _dt.timedelta(microseconds=ns // 1000)).astimezone(tz)


def to_vnpy(tick, gateway_name=None):
    """A hamd tick dict -> vnpy TickData.

    datetime and localtime are aware, in the exchange's time zone
    (localtime None when the gateway did not say). gateway_name: the name
    vnpy routes by (default: the hub's source account, tick["gateway_name"]).
    extra gets the hub's sequencing and the source: {term, seq, node,
    hub_ns, source, snapshot, ...the tick's own extra}. Raises ImportError
    when vnpy is not importable, ValueError for an exchange vnpy does not
    know."""
    from vnpy.trader.constant import Exchange
    from vnpy.trader.object import TickData

    tz = exchange_tz(tick["exchange"])
    local = tick.get("localtime") or 0
    out = TickData(
        gateway_name=gateway_name or tick["gateway_name"],
        symbol=tick["symbol"],
        exchange=Exchange(tick["exchange"]),
        datetime=ns_to_datetime(tick["datetime"], tz),
        name=tick.get("name", ""),
        localtime=ns_to_datetime(local, tz) if local else None,
        **{k: float(tick[k]) for k in FLOAT_FIELDS},
    )
    # BaseData.extra (vnpy 3.x and later); set on older ones all the same.
    out.extra = dict(tick.get("extra") or {}, term=tick["term"],
                     seq=tick["seq"], node=tick["node"], hub_ns=tick["hub_ns"],
                     source=tick["gateway_name"],
                     snapshot=bool(tick.get("snapshot")))
    return out
