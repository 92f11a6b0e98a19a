"""hamd: the client of hamd's tick stream (docs/client.md).

hamd.Client gives each contract's ticks exactly once and in order through
any failover: fencing by term, per-contract newer-than-last delivery, a
snapshot on joining and after gaps and term changes, heartbeat liveness.
hamd.to_vnpy(tick) makes a vnpy TickData of a tick; hamd.vnpy_gateway has
the vnpy gateway "HAMD". Pure Python on pyzmq and msgpack.
"""
import logging

from .client import Client
from .convert import exchange_tz, ns_to_datetime, to_vnpy
from .core import Gap, LeaderChange

# A library logs only where its user says (logging's advice for libraries);
# the callbacks and Client.gaps / .leader_changes / .stats say it all too.
logging.getLogger("hamd").addHandler(logging.NullHandler())

__version__ = "1.0.0"
__all__ = ["Client", "Gap", "LeaderChange", "to_vnpy", "ns_to_datetime",
           "exchange_tz", "__version__"]
