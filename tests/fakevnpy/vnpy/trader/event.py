"""vnpy.trader.event: the event type strings a market-data gateway puts."""
EVENT_TICK = "eTick."
EVENT_LOG = "eLog"
