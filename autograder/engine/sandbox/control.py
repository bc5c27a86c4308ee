"""The fork server's control messages: length-prefixed JSON with file descriptors alongside.

SOCK_SEQPACKET keeps messages apart on Linux; elsewhere (macOS) a stream socket
is used, so every message carries its length either way and one code path
serves both.
"""

from __future__ import annotations

import json
import socket
import struct
import sys

KIND = socket.SOCK_SEQPACKET if sys.platform.startswith("linux") else socket.SOCK_STREAM
LIMIT = 1 << 20


def pair(kind: int = KIND) -> tuple:
    return socket.socketpair(socket.AF_UNIX, kind)


def send(sock: socket.socket, message: dict, fds=()) -> None:
    data = json.dumps(message).encode()
    frame = struct.pack("!I", len(data)) + data
    sent = socket.send_fds(sock, [frame], list(fds)) if fds else 0
    if sent < len(frame):
        sock.sendall(frame[sent:])  # a stream socket may take a large frame in parts


def receive(sock: socket.socket, max_fds: int = 4) -> tuple:
    """(message, fds), or (None, []) when the other side has closed."""
    data, fds, _, _ = socket.recv_fds(sock, 65536, max_fds)
    if not data:
        return None, []
    while len(data) < 4:
        more = sock.recv(4 - len(data))
        if not more:
            raise EOFError("control message cut short")
        data += more
    (size,) = struct.unpack("!I", data[:4])
    if size > LIMIT:
        raise ValueError("control message too large")
    while len(data) < 4 + size:
        more = sock.recv(4 + size - len(data))
        if not more:
            raise EOFError("control message cut short")
        data += more
    return json.loads(data[4:4 + size]), list(fds)
