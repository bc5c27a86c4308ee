"""Plain data over a socket: JSON headers and NumPy arrays as raw numeric frames.

Never pickle: whatever the student's process sends is decoded here into
JSON values and real ``np.ndarray``/NumPy scalars rebuilt from bytes with
``np.frombuffer`` (numeric dtypes only), so no object of the student's can
reach the grader.
Both ends use this module; only the grader side trusts nothing it reads.
"""

from __future__ import annotations

import json
import math
import re
import socket
import time

import numpy as np

from autograder.engine.sandbox.framing import LARGE, SIZE, frame, read_length
from autograder.engine.sandbox.totals import Tally

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a hostile peer cannot make the grader buffer more
MAX_FRAMES = 10_000
MAX_DEPTH = 32
# The JSON header is parsed into Python objects, which cost up to ~70 bytes per
# 3 header bytes ("[]," is a whole list), so it gets limits of its own; array data
# travels in raw frames and is not counted here. Measured on the real suite
# (`check --all` on the solution): the largest header the grader receives is
# 3.6 KiB with ~600 structural tokens; the largest the worker receives (the
# grader's 300-step SGD batch) is 91 KiB with ~14,000 tokens. A student's
# update returning its 9 gradients on each of those 300 steps would need
# ~30,000 tokens. The limits below leave a wide margin over all of these and
# keep the cost of one parse near 10 MB, whatever the peer sends.
MAX_HEADER_BYTES = 1024 * 1024
MAX_HEADER_TOKENS = 100_000  # "[", "{", "," and ":" outside strings: an upper bound on values
MAX_HEADER_DEPTH = 3 * (MAX_DEPTH + 1) + 16  # a dict is 3 JSON levels per encode level, plus the envelope
REPR_LIMIT = 300


class ChannelError(Exception):
    """The peer closed the channel or sent something that is not a message."""


class Opaque:
    """A value of a type the channel does not carry: only its type name and repr."""

    def __init__(self, type_name: str, text: str):
        self.type_name = str(type_name)[:200]
        self.text = str(text)[:REPR_LIMIT]

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"


class ForeignArray:
    """An ndarray subclass the student returned: the plain data and the class name."""

    def __init__(self, array: np.ndarray, type_name: str):
        self.array = array
        self.type_name = str(type_name)[:200]

    def __repr__(self) -> str:
        return f"<{self.type_name} of shape {self.array.shape}>"


class ForeignScalar:
    """A subclass of float/int/str (or similar) the student returned: its value and class."""

    def __init__(self, value, type_name: str):
        self.value = value
        self.type_name = str(type_name)[:200]

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.value!r}>"


class Ref:
    """A name for an object living in the worker (args only)."""

    def __init__(self, name: str):
        self.name = name


class Remote:
    """An object of the grader's that the worker sees as a proxy: its calls come back here.

    ``prefetch`` saves round trips: {"forward": {"method": "backward", "args": [[], [0.0]]}}
    makes every forward() reply also carry backward()'s result, which the proxy then
    answers the next backward call with, when its arguments are one of ``args``.
    """

    def __init__(self, name: str, methods=(), attributes=(), prefetch=None):
        self.name = name
        self.methods = list(methods)
        self.attributes = list(attributes)
        self.prefetch = dict(prefetch or {})
        self.refused = Tally()  # grader side only: attempts to set what was not lent as settable


def type_name(obj) -> str:
    t = type(obj)
    module = getattr(t, "__module__", "?")
    qual = getattr(t, "__qualname__", getattr(t, "__name__", "?"))
    return f"{module}.{qual}" if module != "builtins" else str(qual)


def safe_repr(obj) -> str:
    try:
        text = repr(obj)
        if type(text) is not str:
            raise TypeError
    except BaseException:  # noqa: BLE001 - a hostile __repr__ may raise anything
        return f"<{type_name(obj)} with a broken repr>"
    return text if len(text) <= REPR_LIMIT else text[:REPR_LIMIT] + "..."


EMPTY_DICT = {"__dict__": []}  # encode({}): what most calls send for their keyword arguments; never mutate

SIMPLE_KINDS = "biufc"  # bool, int, unsigned, float, complex: plain bytes, nothing to execute


def _array_frame(array: np.ndarray) -> tuple:
    """(header, bytes) of a plain numeric array: dtype string, shape, C-order data."""
    if array.dtype.kind not in SIMPLE_KINDS or array.dtype.fields is not None:
        raise TypeError(f"arrays of dtype {array.dtype} are not carried")
    if not array.flags.c_contiguous:
        array = array.copy(order="C")  # (np.ascontiguousarray would make a 0-d array 1-d)
    return {"dtype": array.dtype.str, "shape": list(array.shape)}, array.tobytes()


def encode(value, frames: list, depth: int = 0):
    """Turn a value into JSON-able data plus raw array frames (the sender's side)."""
    if depth > MAX_DEPTH:
        return {"__other__": type_name(value), "repr": "<nested too deeply>"}
    t = type(value)
    if t is np.ndarray and value.dtype.kind in SIMPLE_KINDS and value.dtype.fields is None:
        try:
            data = value.tobytes()  # (tobytes is C order whatever the layout)
        except BaseException:  # noqa: BLE001 - e.g. out of memory: the type's name only, as below
            return {"__other__": type_name(value), "repr": safe_repr(value)}
        frames.append(data)
        return {"dtype": value.dtype.str, "shape": list(value.shape), "__nd__": len(frames) - 1}
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if abs(value) < 2**63 else {"__other__": "int", "repr": "<huge int>"}
    if t is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, Ref):
        return {"__ref__": value.name}
    if isinstance(value, Remote):
        return {"__remote__": value.name, "methods": value.methods, "attributes": value.attributes,
                "prefetch": value.prefetch}
    if isinstance(value, np.ndarray):
        try:
            plain = value if t is np.ndarray else np.asarray(value).view(np.ndarray)
            header, data = _array_frame(plain)
        except BaseException:  # noqa: BLE001 - a hostile subclass may raise anything
            return {"__other__": type_name(value), "repr": safe_repr(value)}
        frames.append(data)
        header["__nd__"] = len(frames) - 1
        if t is not np.ndarray:
            header["subclass"] = type_name(value)
        return header
    if isinstance(value, np.generic) and t.__module__ == "numpy":
        try:
            header, data = _array_frame(np.asarray(value))
        except BaseException:  # noqa: BLE001
            return {"__other__": type_name(value), "repr": safe_repr(value)}
        frames.append(data)
        header["__npscalar__"] = len(frames) - 1
        return header
    if t is list or t is tuple:
        items = [encode(v, frames, depth + 1) for v in value[:100_000]]
        return items if t is list else {"__tuple__": items}
    if t is dict:
        return {"__dict__": [[encode(k, frames, depth + 1), encode(v, frames, depth + 1)]
                             for k, v in list(value.items())[:10_000]]}
    if isinstance(value, (int, float, str)):
        # a subclass: carry the plain value, and say what it was
        base = int if isinstance(value, int) else float if isinstance(value, float) else str
        try:
            plain = base(value)
        except BaseException:  # noqa: BLE001
            return {"__other__": type_name(value), "repr": safe_repr(value)}
        return {"__subclass__": type_name(value), "value": encode(plain, frames, depth + 1)}
    return {"__other__": type_name(value), "repr": safe_repr(value)}


def _frame_index(data: dict, frames: list, key: str, used: set) -> int:
    """The frame an array marker names; each frame may back one array only.

    Otherwise a reply could name one large frame thousands of times and make
    the grader copy it each time (memory a multiple of what was sent).
    """
    index = data[key]
    if type(index) is not int or not 0 <= index < len(frames):
        raise ChannelError("array marker names no frame of this message")
    if index in used:
        raise ChannelError("array frame used more than once")
    used.add(index)
    return index


_DTYPES = {np.dtype(t).str: np.dtype(t) for t in ("f8", "f4", "i8", "i4", "u1", "?", "c16")}  # parsed once


def _load_array(data: dict, frames: list, key: str, used: set) -> np.ndarray:
    """A fresh, writable array from a frame, after checking dtype, shape and size agree."""
    try:
        dtype = _DTYPES.get(data["dtype"]) or np.dtype(str(data["dtype"]))
        shape = tuple([int(n) for n in data["shape"]])
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ChannelError(f"bad array header: {exc}") from None
    if dtype.kind not in SIMPLE_KINDS or dtype.fields is not None or any(n < 0 for n in shape) or len(shape) > 32:
        raise ChannelError("array of a dtype or shape the channel does not carry")
    raw = frames[_frame_index(data, frames, key, used)]
    if math.prod(shape) * dtype.itemsize != len(raw):
        raise ChannelError("array frame size does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode(data, frames: list, resolve=None, depth: int = 0, used: set | None = None):
    """Turn received JSON data plus frames back into values (the receiver's side).

    ``resolve`` maps ``{"__ref__"}``/``{"__remote__"}`` markers to objects; only
    the worker passes it. The grader gets plain values, Opaque, ForeignArray
    and ForeignScalar only. ``used`` holds the frames already turned into arrays.
    """
    t = type(data)
    if t is str or t is int or t is float or t is bool or data is None:  # (JSON gives no subclasses)
        return data
    if used is None:
        used = set()
    if depth > MAX_DEPTH + 2:
        raise ChannelError("message nested too deeply")
    if isinstance(data, list):
        return [decode(v, frames, resolve, depth + 1, used) for v in data]
    if not isinstance(data, dict):
        raise ChannelError("unexpected JSON value")
    try:
        if "__nd__" in data:
            array = _load_array(data, frames, "__nd__", used)
            return ForeignArray(array, data["subclass"]) if "subclass" in data else array
        if "__npscalar__" in data:
            array = _load_array(data, frames, "__npscalar__", used)
            if array.shape != ():
                raise ChannelError("scalar frame is not a scalar")
            return array[()]
        if "__float__" in data:
            return float(data["__float__"])
        if "__tuple__" in data:
            return tuple(decode(v, frames, resolve, depth + 1, used) for v in data["__tuple__"])
        if "__dict__" in data:
            out = {}
            for k, v in data["__dict__"]:
                key = k if type(k) is str else decode(k, frames, resolve, depth + 1, used)
                try:
                    out[key] = decode(v, frames, resolve, depth + 1, used)
                except TypeError:  # unhashable key
                    raise ChannelError("unhashable dictionary key") from None
            return out
        if "__subclass__" in data:
            return ForeignScalar(decode(data["value"], frames, resolve, depth + 1, used), data["__subclass__"])
        if "__other__" in data:
            return Opaque(data["__other__"], data.get("repr", ""))
        if resolve is not None and ("__ref__" in data or "__remote__" in data):
            return resolve(data)
    except (IndexError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ChannelError(f"malformed value: {exc}") from None
    raise ChannelError("unknown value marker")


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ADVICE = "return NumPy arrays, not long lists, deep nesting or many small objects"


def _nesting_depth(brackets: bytes) -> int:
    """The deepest nesting of a run of bracket bytes, in C speed and 5 bytes per bracket."""
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1).astype(np.int8)
    return int(np.cumsum(steps, dtype=np.int32).max())


def prescan_header(header: bytes, max_tokens: int = MAX_HEADER_TOKENS, max_depth: int = MAX_HEADER_DEPTH) -> None:
    """Refuse a header that would parse into too many or too deeply nested values.

    Runs before json.loads, which is what costs memory: strings are blanked
    out (their brackets and commas are text), then the structural tokens are
    counted and the nesting measured, each in a linear pass at C speed.
    """
    opening = header.count(b"[") + header.count(b"{")  # strings included: an upper bound
    if len(header) <= max_tokens and opening <= max_depth:
        return  # fewer bytes than the token limit, fewer openings than the depth limit: nothing to measure
    bare = _JSON_STRING.sub(b'""', header)
    opening = bare.count(b"[") + bare.count(b"{")
    tokens = opening + bare.count(b",") + bare.count(b":")
    if tokens > max_tokens:
        raise ChannelError(f"message holds about {tokens:,} values, over the limit of {max_tokens:,}: {_ADVICE}")
    if opening <= max_depth:  # cannot nest deeper than it opens: most messages stop here
        return
    depth = _nesting_depth(bare.translate(None, _NOT_BRACKETS))
    if depth > max_depth:
        raise ChannelError(f"message nested {depth:,} levels deep, over the limit of {max_depth}: {_ADVICE}")


_JSON = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in a message")


class Channel:
    """Length-prefixed messages on a connected stream socket.

    A message is a JSON object whose values were made by ``encode`` (their
    arrays in ``frames``); the receiver decodes the fields it expects.
    """

    def __init__(self, sock: socket.socket, max_bytes: int = MAX_MESSAGE_BYTES,
                 max_header_bytes: int = MAX_HEADER_BYTES):
        self.sock = sock
        self.max_bytes = max_bytes
        self.max_header_bytes = max_header_bytes
        self.deadline = None  # time.monotonic() by which a receive must finish
        self._ahead = bytearray()  # bytes received but not yet read

    def _wait_budget(self) -> None:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline passed")
            self.sock.settimeout(left)

    def send_raw(self, message: dict, frames: list) -> None:
        header = _JSON.encode(message).encode()
        parts = [SIZE.pack(len(frames) + 1), frame(header)]
        parts += [frame(data, LARGE) for data in frames]
        self.sock.sendall(b"".join(parts))

    READ_AHEAD = 1 << 16  # one recv takes up to this much: a message of many small frames costs few syscalls

    def _read_exact(self, n: int) -> bytearray:
        """n bytes: first what an earlier recv read ahead, then the socket. A large frame is read
        straight into a buffer of its own (no second copy); small ones come from one read ahead."""
        ahead = self._ahead
        if len(ahead) < n and n - len(ahead) >= self.READ_AHEAD:
            buf = bytearray(n)
            got = len(ahead)
            buf[:got] = ahead
            ahead.clear()
            view = memoryview(buf)
            while got < n:
                self._wait_budget()
                k = self.sock.recv_into(view[got:], min(n - got, 1 << 22))
                if not k:
                    raise ChannelError("the other side closed the channel")
                got += k
            view.release()
            return buf
        while len(ahead) < n:
            self._wait_budget()
            chunk = self.sock.recv(self.READ_AHEAD)
            if not chunk:
                raise ChannelError("the other side closed the channel")
            ahead += chunk
        out = ahead[:n]
        del ahead[:n]
        return out

    def receive_raw(self) -> tuple:
        """One message: its JSON header (bounded in bytes, values and depth) and raw frames.

        The header is parsed only while the receive deadline has not passed,
        and only after ``prescan_header`` has bounded what parsing will build.
        """
        count, header_len = read_length(self._read_exact), read_length(self._read_exact)
        if count < 1 or count > MAX_FRAMES or header_len > self.max_bytes:
            raise ChannelError("message too large or malformed")
        if header_len > self.max_header_bytes:
            raise ChannelError(f"message header of {header_len:,} bytes, over the limit of "
                               f"{self.max_header_bytes:,}: {_ADVICE}")
        total = header_len
        header = self._read_exact(header_len)
        frames = []
        for _ in range(count - 1):
            size = read_length(self._read_exact, LARGE)
            total += size
            if total > self.max_bytes:
                raise ChannelError(f"message larger than {self.max_bytes} bytes")
            frames.append(self._read_exact(size))
        self._wait_budget()  # a reply that arrived too late is not parsed at all
        prescan_header(header)
        try:
            raw = json.loads(header.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ChannelError(f"message header is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise ChannelError("message is not an object")
        return raw, frames
