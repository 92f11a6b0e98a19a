"""vnpy.event: Event and EventEngine, as documented by vnpy: put() queues,
handlers run on the engine's own thread once started, a timer event every
interval seconds. One addition for tests, marked below: the engine keeps
every event put, in order, and of_type() returns their data."""
import queue
import threading
import time
from collections import defaultdict

EVENT_TIMER = "eTimer"
_GET_TIMEOUT_S = 1.0   # vnpy's: how often the dispatch thread sees stop()


class Event:
    def __init__(self, type, data=None):  # noqa: A002 - vnpy's name
        self.type = type
        self.data = data


class EventEngine:
    def __init__(self, interval=1):
        self._interval = interval
        self._queue = queue.Queue()
        self._active = False
        self._handlers = defaultdict(list)
        self._thread = threading.Thread(target=self._run)
        self._timer = threading.Thread(target=self._run_timer)
        self._put_events = []           # test aid: every event put, in order
        self._put_lock = threading.Lock()  # test aid: put() from any thread

    def _run(self):
        while self._active:
            try:
                event = self._queue.get(timeout=_GET_TIMEOUT_S)
            except queue.Empty:
                continue
            for handler in list(self._handlers.get(event.type, [])):
                handler(event)

    def _run_timer(self):
        while self._active:
            time.sleep(self._interval)
            self.put(Event(EVENT_TIMER))

    def start(self):
        self._active = True
        self._thread.start()
        self._timer.start()

    def stop(self):
        self._active = False
        self._timer.join()
        self._thread.join()

    def put(self, event):
        with self._put_lock:
            self._put_events.append(event)
        self._queue.put(event)

    def register(self, type, handler):  # noqa: A002
        if handler not in self._handlers[type]:
            self._handlers[type].append(handler)

    def unregister(self, type, handler):  # noqa: A002
        if handler in self._handlers[type]:
            self._handlers[type].remove(handler)

    # -- test aid, not vnpy's ----------------------------------------------
    # What was put, whether or not the engine was started: a test reads what
    # a gateway reported without a handler thread. Kept for the engine's
    # life (a test's few thousand events).

    def of_type(self, type):  # noqa: A002
        """The data of every event of this type put so far, in order."""
        with self._put_lock:
            return [e.data for e in self._put_events if e.type == type]
