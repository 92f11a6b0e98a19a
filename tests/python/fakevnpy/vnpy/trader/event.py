"""vnpy.trader.event stand-in: the event type strings."""
EVENT_TICK = "eTick."
EVENT_LOG = "eLog"
