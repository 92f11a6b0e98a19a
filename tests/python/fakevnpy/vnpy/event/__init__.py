"""vnpy.event stand-in: Event and an EventEngine that records what is put."""
import threading

EVENT_TIMER = "eTimer"


class Event:
    def __init__(self, type, data=None):
        self.type = type
        self.data = data


class EventEngine:
    """Keeps every event put, in order (vnpy's runs handlers in a thread)."""

    def __init__(self, interval=1):
        self.events = []
        self.lock = threading.Lock()

    def put(self, event):
        with self.lock:
            self.events.append(event)

    def of_type(self, type):
        with self.lock:
            return [e.data for e in self.events if e.type == type]
