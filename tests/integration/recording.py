"""Recording files (docs/recording.md) in Python: a writer (for the bad
files of the tests) and a reader, written from the documentation alone with Debian's
python3-msgpack and zlib, so the format's description is checked by code
that does not share the C implementation (src/common/recfile*.c).
"""
import os
import socket
import struct
import time
import zlib

import msgpack

MAGIC = b"HAMDREC\x00"
VERSION = 1
PREAMBLE = struct.Struct(">8sII")   # magic, version, flags
FRAME = struct.Struct(">II")        # payload length, CRC-32 of the payload
PAYLOAD_MAX = 65536


class Writer:
    """Appends records; every record goes out with one write()."""

    def __init__(self, path, producer="recording.py", info=None):
        self.f = open(path, "xb", buffering=0)
        self.f.write(PREAMBLE.pack(MAGIC, VERSION, 0))
        meta = {"producer": producer, "host": socket.gethostname(),
                "pid": os.getpid()}
        if info is not None:
            meta["info"] = info
        self._record(["header", time.time_ns(), meta])

    def _record(self, obj, raw_tail=b""):
        payload = msgpack.packb(obj)
        if raw_tail:
            # [kind, ns, topic] + the body bytes as received: bump the
            # fixarray count from 3 to 4 and append the raw map.
            assert payload[0] == 0x93
            payload = b"\x94" + payload[1:] + raw_tail
        assert 0 < len(payload) <= PAYLOAD_MAX
        self.f.write(FRAME.pack(len(payload), zlib.crc32(payload)) + payload)

    def tick(self, topic, body, recv_ns):
        """topic: str; body: the published msgpack bytes, as received."""
        self._record(["tick", recv_ns, topic], raw_tail=body)

    def close(self):
        self.f.close()


def read(path):
    """(header map, [(kind, ns, rest...)], torn_bytes). A tick is
    ("tick", recv_ns, topic, body dict). Raises ValueError naming the
    offset of anything that is not a record followed by more data."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC[:len(data[:8])] or len(data) < PREAMBLE.size:
        raise ValueError("%s: offset 0: not a recording" % path)
    magic, version, flags = PREAMBLE.unpack_from(data)
    if version != VERSION:
        raise ValueError("%s: offset 8: version %d" % (path, version))
    off, records = PREAMBLE.size, []
    while off < len(data):
        if len(data) - off < FRAME.size:
            break
        length, crc = FRAME.unpack_from(data, off)
        end = off + FRAME.size + length
        good = 0 < length <= PAYLOAD_MAX and end <= len(data)
        payload = data[off + FRAME.size:end]
        if not good or zlib.crc32(payload) != crc:
            rest = data[end if good else off:]
            if not good and end > len(data) and 0 < length <= PAYLOAD_MAX:
                break                       # cut short: torn
            if rest.count(0) == len(rest):
                break                       # zeros after a power loss: torn
            raise ValueError("%s: offset %d: bad record" % (path, off))
        records.append(tuple(msgpack.unpackb(payload, raw=False)))
        off = end
    if not records or records[0][0] != "header":
        raise ValueError("%s: offset 16: no header record" % path)
    return records[0][2], records[1:], len(data) - off
