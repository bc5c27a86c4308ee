"""The sandbox's one framing: a frame is its length, big-endian, then its bytes.

``SIZE`` (4 bytes) prefixes what is small (a count, a JSON header, a control
message); ``LARGE`` (8 bytes) prefixes an array's raw bytes. The channel
(channel.py) sends a message as its frame count, its JSON header and its
arrays' bytes, each framed; the fork server's control messages (control.py)
are one framed JSON object each. Both read frames with ``read_frame``.
"""

from __future__ import annotations

import struct

SIZE = struct.Struct("!I")
LARGE = struct.Struct("!Q")


def frame(data: bytes, prefix: struct.Struct = SIZE) -> bytes:
    """The bytes, preceded by their length."""
    return prefix.pack(len(data)) + data


def read_length(read_exact, prefix: struct.Struct = SIZE) -> int:
    """The length a frame announces; read_exact(n) returns exactly n bytes or raises."""
    return prefix.unpack(bytes(read_exact(prefix.size)))[0]


def read_frame(read_exact, limit: int, prefix: struct.Struct = SIZE):
    """One frame's bytes, refusing (ValueError) a length over `limit` before reading any of them."""
    size = read_length(read_exact, prefix)
    if size > limit:
        raise ValueError(f"a frame of {size:,} bytes, over the limit of {limit:,}")
    return read_exact(size)


def exact_reader(first: bytes, recv):
    """read_exact(n) over bytes already received (`first`), then recv(k) for the rest."""
    buffer = bytearray(first)

    def read_exact(n: int) -> bytes:
        while len(buffer) < n:
            more = recv(n - len(buffer))
            if not more:
                raise EOFError("the other side closed before the frame ended")
            buffer.extend(more)
        out = bytes(buffer[:n])
        del buffer[:n]
        return out
    return read_exact
