"""The fork server's control messages: framed JSON (framing.py) with file descriptors alongside.

SOCK_SEQPACKET keeps messages apart on Linux; elsewhere (macOS) a stream socket
is used, so every message carries its length either way and one code path
serves both.
"""

from __future__ import annotations

import json
import socket
import sys

from autograder.engine.sandbox.framing import exact_reader, frame, read_frame

KIND = socket.SOCK_SEQPACKET if sys.platform.startswith("linux") else socket.SOCK_STREAM
LIMIT = 1 << 20


def pair(kind: int = KIND) -> tuple:
    return socket.socketpair(socket.AF_UNIX, kind)


def send(sock: socket.socket, message: dict, fds=()) -> None:
    data = frame(json.dumps(message).encode())
    sent = socket.send_fds(sock, [data], list(fds)) if fds else 0
    if sent < len(data):
        sock.sendall(data[sent:])  # a stream socket may take a large frame in parts


def receive(sock: socket.socket, max_fds: int = 4) -> tuple:
    """(message, fds), or (None, []) when the other side has closed."""
    data, fds, _, _ = socket.recv_fds(sock, 65536, max_fds)
    if not data:
        return None, []
    try:
        payload = read_frame(exact_reader(data, sock.recv), LIMIT)
    except ValueError:
        raise ValueError("control message too large") from None
    except EOFError:
        raise EOFError("control message cut short") from None
    return json.loads(payload), list(fds)
