EVENT_TICK = "eTick."
EVENT_LOG = "eLog"
