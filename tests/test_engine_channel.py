"""autograder/engine/sandbox/channel.py: encode/decode round trips, a real Channel, hostile frames."""

from __future__ import annotations

import json
import math
import socket
import struct
import time

import numpy as np
import pytest

from autograder.engine.sandbox.channel import (
    MAX_FRAMES,
    Channel,
    ChannelError,
    ForeignArray,
    ForeignScalar,
    Opaque,
    decode,
    encode,
)


# -- helpers ------------------------------------------------------------------------------

def through_frames(value):
    """encode then decode through the frames list only (no socket)."""
    frames: list = []
    data = encode(value, frames)
    json.dumps(data, allow_nan=False)  # what encode makes must be strict JSON
    return decode(data, frames)


@pytest.fixture
def pair():
    """Two connected Channels over a real socketpair: (sender, receiver)."""
    a, b = socket.socketpair()
    sender, receiver = Channel(a), Channel(b)
    receiver.deadline = time.monotonic() + 5  # never hang the suite
    yield sender, receiver
    a.close()
    b.close()


def through_socket(pair, value):
    sender, receiver = pair
    frames: list = []
    sender.send_raw({"value": encode(value, frames)}, frames)
    raw, got_frames = receiver.receive_raw()
    assert set(raw) == {"value"}
    return decode(raw["value"], got_frames)


ROUTES = ["frames", "socket"]


@pytest.fixture(params=ROUTES)
def roundtrip(request):
    if request.param == "frames":
        return through_frames
    sock_pair = request.getfixturevalue("pair")
    return lambda value: through_socket(sock_pair, value)


def send_bytes(sock: socket.socket, header: bytes, frames=(), count=None) -> None:
    """Write a message by hand, the way a hostile peer could."""
    count = len(frames) + 1 if count is None else count
    parts = [struct.pack("!II", count, len(header)), header]
    for frame in frames:
        parts += [struct.pack("!Q", len(frame)), frame]
    sock.sendall(b"".join(parts))


# -- plain values -------------------------------------------------------------------------

@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**62, 1.5, -0.0, 1e-300, "", "héllo ✓"])
def test_plain_values_round_trip(roundtrip, value):
    out = roundtrip(value)
    assert type(out) is type(value)
    assert out == value
    if isinstance(value, float):
        assert math.copysign(1, out) == math.copysign(1, value)


def test_bool_stays_bool_not_int(roundtrip):
    out = roundtrip([True, 1, False, 0])
    assert [type(v) for v in out] == [bool, int, bool, int]


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_infinite_floats_round_trip(roundtrip, value):
    out = roundtrip(value)
    assert type(out) is float and out == value


def test_nan_round_trips(roundtrip):
    out = roundtrip(float("nan"))
    assert type(out) is float and math.isnan(out)


def test_nonfinite_floats_are_not_sent_as_bare_json():
    frames: list = []
    data = encode([float("nan"), float("inf"), float("-inf")], frames)
    text = json.dumps(data, allow_nan=False)  # would raise on a bare nan
    assert "NaN" not in text and "Infinity" not in text


def test_huge_int_is_opaque_not_an_error(roundtrip):
    out = roundtrip(2**70)
    assert isinstance(out, Opaque) and out.type_name == "int"


def test_list_tuple_nesting(roundtrip):
    value = [1, (2.5, "a", [None, (True,)]), []]
    out = roundtrip(value)
    assert out == value
    assert type(out) is list and type(out[1]) is tuple and type(out[1][2]) is list
    assert type(out[1][2][1]) is tuple and type(out[2]) is list


def test_empty_tuple(roundtrip):
    out = roundtrip(())
    assert out == () and type(out) is tuple


def test_dict_with_non_str_keys(roundtrip):
    value = {1: "one", (2, 3): [4.0], None: True, 2.5: None, "s": {"inner": 1}}
    out = roundtrip(value)
    assert type(out) is dict
    assert out == value
    assert list(out) == list(value)  # order kept
    assert type(list(out)[0]) is int and type(list(out)[1]) is tuple


# -- arrays -------------------------------------------------------------------------------

def assert_same_array(out, want: np.ndarray):
    assert type(out) is np.ndarray
    assert out.dtype == want.dtype
    assert out.shape == want.shape
    assert np.array_equal(out, want, equal_nan=want.dtype.kind in "fc")
    assert out.flags.writeable and out.flags.c_contiguous
    assert not np.shares_memory(out, want)


ARRAYS = {
    "float64": np.arange(12, dtype=np.float64).reshape(3, 4) / 7,
    "float64-nonfinite": np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324]),
    "float32": np.linspace(-1, 1, 10, dtype=np.float32),
    "int64": np.array([[-(2**62), 0], [1, 2**62]], dtype=np.int64),
    "int8": np.array([-128, 127], dtype=np.int8),
    "uint16": np.array([0, 65535], dtype=np.uint16),
    "bool": np.array([True, False, True]),
    "complex128": np.array([1 + 2j, -3.5j, np.inf + 0j]),
    "complex64": np.array([[1 - 1j]], dtype=np.complex64),
    "big-endian": np.arange(5, dtype=">f8"),
    "empty": np.zeros((0, 3)),
    "zero-d": np.array(3.25),
    "zero-d-int": np.array(7, dtype=np.int64),
    "four-d": np.arange(24, dtype=np.float64).reshape(1, 2, 3, 4),
}


@pytest.mark.parametrize("name", list(ARRAYS))
def test_arrays_round_trip_with_exact_dtype_and_shape(roundtrip, name):
    want = ARRAYS[name]
    assert_same_array(roundtrip(want), want)


def test_zero_d_array_stays_zero_d_array(roundtrip):
    out = roundtrip(np.array(2.5))
    assert type(out) is np.ndarray and out.shape == () and out.dtype == np.float64 and out[()] == 2.5


def test_transposed_array(roundtrip):
    base = np.arange(6, dtype=np.float64).reshape(2, 3)
    view = base.T
    assert not view.flags.c_contiguous
    out = roundtrip(view)
    assert_same_array(out, np.ascontiguousarray(view))
    assert out[2, 1] == base[1, 2]


def test_strided_array(roundtrip):
    base = np.arange(40, dtype=np.int64).reshape(5, 8)
    view = base[::2, 1::3]
    assert not view.flags.c_contiguous
    out = roundtrip(view)
    assert_same_array(out, view.copy())
    assert out.tolist() == [[1, 4, 7], [17, 20, 23], [33, 36, 39]]


def test_negative_stride_array(roundtrip):
    view = np.arange(5.0)[::-1]
    out = roundtrip(view)
    assert out.tolist() == [4.0, 3.0, 2.0, 1.0, 0.0]


def test_arrays_inside_containers(roundtrip):
    a, b = np.ones((2, 2)), np.arange(3, dtype=np.int32)
    out = roundtrip({"a": a, 7: (b, [a.T])})
    assert_same_array(out["a"], a)
    assert_same_array(out[7][0], b)
    assert_same_array(out[7][1][0], a.T.copy())


@pytest.mark.parametrize("scalar", [np.float64(1.25), np.float64("nan"), np.int32(-5), np.float32(0.1),
                                    np.bool_(True), np.complex128(1 - 1j), np.uint8(255), np.int64(2**62)])
def test_numpy_scalars_round_trip_as_the_same_scalar_type(roundtrip, scalar):
    out = roundtrip(scalar)
    assert type(out) is type(scalar)
    assert out.dtype == scalar.dtype
    assert not isinstance(out, np.ndarray)
    if np.isnan(scalar):
        assert np.isnan(out)
    else:
        assert out == scalar


def test_float64_scalar_is_not_mistaken_for_a_float_subclass(roundtrip):
    # np.float64 subclasses float: it must not come back as a ForeignScalar
    out = roundtrip(np.float64(3.0))
    assert type(out) is np.float64


# -- what the channel does not carry as-is ---------------------------------------------------

class MyArray(np.ndarray):
    pass


class MyFloat(float):
    pass


class MyInt(int):
    pass


class MyStr(str):
    pass


class BrokenRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")


class BrokenFloat(float):
    def __float__(self):
        raise RuntimeError("no")

    def __repr__(self):
        raise RuntimeError("no")


def test_ndarray_subclass_becomes_foreign_array(roundtrip):
    value = np.arange(6, dtype=np.float64).reshape(2, 3).view(MyArray)
    out = roundtrip(value)
    assert isinstance(out, ForeignArray)
    assert out.type_name.endswith("MyArray")
    assert out.type_name == f"{__name__}.MyArray"
    assert type(out.array) is np.ndarray
    assert out.array.dtype == np.float64 and out.array.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_numpy_matrix_becomes_foreign_array(roundtrip):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        value = np.matrix([[1.0, 2.0]])
    out = roundtrip(value)
    assert isinstance(out, ForeignArray) and out.type_name == "numpy.matrix"
    assert out.array.shape == (1, 2)


@pytest.mark.parametrize("value, base, plain", [(MyFloat(1.5), float, 1.5), (MyInt(3), int, 3),
                                                 (MyStr("hi"), str, "hi"), (MyFloat("nan"), float, None)])
def test_builtin_subclasses_become_foreign_scalar(roundtrip, value, base, plain):
    out = roundtrip(value)
    assert isinstance(out, ForeignScalar)
    assert out.type_name == f"{__name__}.{type(value).__name__}"
    assert type(out.value) is base
    if plain is None:
        assert math.isnan(out.value)
    else:
        assert out.value == plain


def test_int_enum_becomes_foreign_scalar(roundtrip):
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    out = roundtrip(Level.HIGH)
    assert isinstance(out, ForeignScalar) and out.value == 3 and type(out.value) is int


def test_object_array_becomes_opaque(roundtrip):
    value = np.array([1, "a", None], dtype=object)
    out = roundtrip(value)
    assert isinstance(out, Opaque)
    assert out.type_name == "numpy.ndarray"


def test_structured_and_string_arrays_become_opaque(roundtrip):
    assert isinstance(roundtrip(np.zeros(2, dtype=[("a", "f8"), ("b", "i4")])), Opaque)
    assert isinstance(roundtrip(np.array(["x", "yz"])), Opaque)


def test_function_becomes_opaque(roundtrip):
    def student_helper(x):
        return x

    out = roundtrip(student_helper)
    assert isinstance(out, Opaque)
    assert out.type_name == "function"
    assert "student_helper" in out.text


def test_broken_repr_becomes_opaque_without_raising(roundtrip):
    out = roundtrip(BrokenRepr())
    assert isinstance(out, Opaque)
    assert out.type_name.endswith("BrokenRepr")
    assert "broken repr" in out.text


def test_float_subclass_whose_float_raises_is_opaque(roundtrip):
    out = roundtrip(BrokenFloat(1.0))
    assert isinstance(out, Opaque) and out.type_name.endswith("BrokenFloat")


def test_long_repr_is_cut(roundtrip):
    class Chatty:
        def __repr__(self):
            return "x" * 10_000

    out = roundtrip(Chatty())
    assert isinstance(out, Opaque) and len(out.text) <= 300


def test_too_deep_nesting_is_cut_not_an_error(roundtrip):
    value: list = []
    for _ in range(60):
        value = [value]
    out = roundtrip(value)
    depth = 0
    while isinstance(out, list):
        out, depth = out[0], depth + 1
    assert isinstance(out, Opaque) and depth >= 30


def test_grader_side_never_resolves_refs():
    # without a resolver, a {"__ref__"} marker is not a value the grader accepts
    with pytest.raises(ChannelError):
        decode({"__ref__": "obj"}, [])


# -- hostile data given to decode ------------------------------------------------------------

GOOD_HEADER = {"__nd__": 0, "dtype": "<f8", "shape": [2]}


def test_sanity_good_header_decodes():
    out = decode(dict(GOOD_HEADER), [np.array([1.0, 2.0]).tobytes()])
    assert out.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("data, frames", [
    pytest.param({"__nd__": 0, "dtype": "<f8", "shape": [3]}, [b"\0" * 16], id="frame-too-short"),
    pytest.param({"__nd__": 0, "dtype": "<f8", "shape": [1]}, [b"\0" * 16], id="frame-too-long"),
    pytest.param({"__nd__": 0, "dtype": "<f4", "shape": [2, 2]}, [b"\0" * 8], id="frame-vs-2d-shape"),
    pytest.param({"__npscalar__": 0, "dtype": "<f8", "shape": []}, [b"\0" * 4], id="scalar-frame-short"),
    pytest.param({"__npscalar__": 0, "dtype": "<f8", "shape": [1]}, [b"\0" * 8], id="scalar-not-0d"),
    pytest.param({"__nd__": 0, "dtype": "|O", "shape": [1]}, [b"\0" * 8], id="object-dtype"),
    pytest.param({"__npscalar__": 0, "dtype": "|O", "shape": []}, [b"\0" * 8], id="object-scalar"),
    pytest.param({"__nd__": 0, "dtype": "<U2", "shape": [1]}, [b"\0" * 8], id="unicode-dtype"),
    pytest.param({"__nd__": 0, "dtype": "<M8[s]", "shape": [1]}, [b"\0" * 8], id="datetime-dtype"),
    pytest.param({"__nd__": 0, "dtype": "f8,f8", "shape": [1]}, [b"\0" * 16], id="structured-dtype"),
    pytest.param({"__nd__": 0, "dtype": "nonsense", "shape": [1]}, [b"\0" * 8], id="unknown-dtype"),
    pytest.param({"__nd__": 0, "dtype": None, "shape": [1]}, [b"\0" * 8], id="null-dtype"),
    pytest.param({"__nd__": 0, "dtype": "<f8", "shape": [-1]}, [b"\0" * 8], id="negative-shape"),
    pytest.param({"__nd__": 0, "dtype": "<f8", "shape": [-2, -1]}, [b"\0" * 16], id="two-negative-dims"),
    pytest.param({"__nd__": 0, "dtype": "<f8", "shape": [1] * 40}, [b"\0" * 8], id="too-many-dims"),
    pytest.param({"__nd__": 0, "dtype": "<f8", "shape": None}, [b"\0" * 8], id="null-shape"),
    pytest.param({"__nd__": 0, "dtype": "<f8", "shape": ["a"]}, [b"\0" * 8], id="string-dim"),
    pytest.param({"__nd__": 0, "dtype": "<f8", "shape": [float("nan")]}, [b"\0" * 8], id="nan-dim"),
    pytest.param({"__nd__": 0, "dtype": "<f8", "shape": [0, 10**30]}, [b""], id="huge-dim"),
    pytest.param({"__nd__": 0, "shape": [1]}, [b"\0" * 8], id="no-dtype"),
    pytest.param({"__nd__": 5, "dtype": "<f8", "shape": [1]}, [b"\0" * 8], id="frame-index-out-of-range"),
    pytest.param({"__nd__": "0", "dtype": "<f8", "shape": [1]}, [b"\0" * 8], id="frame-index-str"),
    pytest.param({"__float__": "not a number"}, [], id="bad-float"),
    pytest.param({"__float__": [1]}, [], id="float-of-list"),
    pytest.param({"__tuple__": 5}, [], id="tuple-of-int"),
    pytest.param({"__dict__": 5}, [], id="dict-of-int"),
    pytest.param({"__dict__": [[1, 2, 3]]}, [], id="dict-triple"),
    pytest.param({"__dict__": [[[1], 2]]}, [], id="unhashable-key"),
    pytest.param({"__subclass__": "x"}, [], id="subclass-without-value"),
    pytest.param({"__sneaky__": 1}, [], id="unknown-marker"),
    pytest.param({}, [], id="empty-object"),
    pytest.param({"__remote__": "r"}, [], id="remote-without-resolver"),
])
def test_hostile_values_raise_channel_error(data, frames):
    with pytest.raises(ChannelError):
        decode(data, frames)


def test_hostile_value_nested_too_deeply():
    data: object = 1
    for _ in range(100):
        data = {"__tuple__": [data]}
    with pytest.raises(ChannelError):
        decode(data, [])


def test_hostile_infinite_dimension_raises_channel_error():
    # json.loads accepts the token Infinity, so a hostile worker can send this shape
    data = json.loads('{"__nd__": 0, "dtype": "<f8", "shape": [Infinity]}')
    with pytest.raises(ChannelError):
        decode(data, [b"\0" * 8])


# -- hostile bytes on the socket -------------------------------------------------------------

def test_message_round_trip_with_many_frames(pair):
    sender, receiver = pair
    arrays = [np.full(i + 1, i, dtype=np.float64) for i in range(50)]
    out = through_socket(pair, arrays)
    assert len(out) == 50
    for got, want in zip(out, arrays):
        assert_same_array(got, want)


def test_two_messages_in_a_row_stay_separate(pair):
    sender, receiver = pair
    for value in ([1, 2], {"k": np.arange(3)}):
        frames: list = []
        sender.send_raw({"v": encode(value, frames)}, frames)
    first, f1 = receiver.receive_raw()
    second, f2 = receiver.receive_raw()
    assert decode(first["v"], f1) == [1, 2]
    assert decode(second["v"], f2)["k"].tolist() == [0, 1, 2]


def test_zero_frame_count_is_rejected(pair):
    sender, receiver = pair
    send_bytes(sender.sock, b"{}", count=0)
    with pytest.raises(ChannelError):
        receiver.receive_raw()


def test_frame_count_over_limit_is_rejected(pair):
    sender, receiver = pair
    sender.sock.sendall(struct.pack("!II", MAX_FRAMES + 1, 2) + b"{}")
    with pytest.raises(ChannelError):
        receiver.receive_raw()


def test_header_size_over_limit_is_rejected_before_reading_it(pair):
    sender, receiver = pair
    receiver.max_bytes = 1000
    sender.sock.sendall(struct.pack("!II", 1, 1001))  # the 1001 bytes never come
    start = time.monotonic()
    with pytest.raises(ChannelError):
        receiver.receive_raw()
    assert time.monotonic() - start < 1  # refused at once, not after waiting for the body


def test_header_size_at_uint32_max_is_rejected(pair):
    sender, receiver = pair
    sender.sock.sendall(struct.pack("!II", 1, 2**32 - 1))
    with pytest.raises(ChannelError):
        receiver.receive_raw()


def test_message_larger_than_max_bytes_is_rejected(pair):
    sender, receiver = pair
    receiver.max_bytes = 4096
    frames = [np.zeros(1000).tobytes()]  # 8000 bytes > 4096
    sender.send_raw({"value": {"__nd__": 0, "dtype": "<f8", "shape": [1000]}}, frames)
    with pytest.raises(ChannelError, match="larger than"):
        receiver.receive_raw()


def test_frames_adding_up_past_max_bytes_are_rejected(pair):
    sender, receiver = pair
    receiver.max_bytes = 4096
    send_bytes(sender.sock, b"{}", [b"\0" * 2000, b"\0" * 2000, b"\0" * 2000])
    with pytest.raises(ChannelError):
        receiver.receive_raw()


def test_frame_size_announced_huge_is_rejected_before_allocating(pair):
    sender, receiver = pair
    sender.sock.sendall(struct.pack("!II", 2, 2) + b"{}" + struct.pack("!Q", 2**63))
    with pytest.raises(ChannelError):
        receiver.receive_raw()


def test_message_within_max_bytes_is_accepted(pair):
    sender, receiver = pair
    receiver.max_bytes = 10_000
    out = through_socket(pair, np.zeros(1000))
    assert out.shape == (1000,)


@pytest.mark.parametrize("header", [b"{not json", b"\xff\xfe", b"", b'{"a": ', b"[" * 5000])
def test_invalid_json_is_rejected(pair, header):
    sender, receiver = pair
    send_bytes(sender.sock, header)
    with pytest.raises(ChannelError):
        receiver.receive_raw()


@pytest.mark.parametrize("header", [b"[1, 2]", b"3", b'"text"', b"null", b"true"])
def test_json_that_is_not_an_object_is_rejected(pair, header):
    sender, receiver = pair
    send_bytes(sender.sock, header)
    with pytest.raises(ChannelError, match="not an object"):
        receiver.receive_raw()


def test_frame_that_does_not_match_its_shape_over_the_socket(pair):
    sender, receiver = pair
    send_bytes(sender.sock, json.dumps({"value": {"__nd__": 0, "dtype": "<f8", "shape": [4]}}).encode(),
               [b"\0" * 24])
    raw, frames = receiver.receive_raw()
    with pytest.raises(ChannelError, match="size"):
        decode(raw["value"], frames)


def test_object_dtype_over_the_socket(pair):
    sender, receiver = pair
    send_bytes(sender.sock, json.dumps({"value": {"__nd__": 0, "dtype": "|O", "shape": [1]}}).encode(),
               [b"\0" * 8])
    raw, frames = receiver.receive_raw()
    with pytest.raises(ChannelError):
        decode(raw["value"], frames)


def test_unknown_marker_over_the_socket(pair):
    sender, receiver = pair
    send_bytes(sender.sock, b'{"value": {"__pickle__": "gASV"}}')
    raw, frames = receiver.receive_raw()
    with pytest.raises(ChannelError, match="unknown"):
        decode(raw["value"], frames)


def test_send_raw_refuses_bare_nan():
    # the sender's side uses strict JSON: non-finite floats must go through encode
    a, b = socket.socketpair()
    try:
        with pytest.raises(ValueError):
            Channel(a).send_raw({"x": float("nan")}, [])
    finally:
        a.close()
        b.close()


# -- deadlines and closed peers --------------------------------------------------------------

def test_deadline_already_passed_raises_timeout(pair):
    _, receiver = pair
    receiver.deadline = time.monotonic() - 1
    with pytest.raises(TimeoutError):
        receiver.receive_raw()


def test_deadline_passing_while_waiting_raises_timeout(pair):
    _, receiver = pair
    receiver.deadline = time.monotonic() + 0.05
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        receiver.receive_raw()
    assert time.monotonic() - start < 1


def test_deadline_passing_in_the_middle_of_a_message(pair):
    sender, receiver = pair
    sender.sock.sendall(struct.pack("!II", 1, 100) + b'{"a"')  # the rest never comes
    receiver.deadline = time.monotonic() + 0.05
    with pytest.raises(TimeoutError):
        receiver.receive_raw()


def test_closed_peer_raises_channel_error(pair):
    sender, receiver = pair
    sender.sock.close()
    with pytest.raises(ChannelError, match="closed"):
        receiver.receive_raw()


def test_peer_closing_in_the_middle_of_a_message_raises_channel_error(pair):
    sender, receiver = pair
    sender.sock.sendall(struct.pack("!II", 2, 2) + b"{}" + struct.pack("!Q", 100) + b"\0" * 10)
    sender.sock.close()
    with pytest.raises(ChannelError, match="closed"):
        receiver.receive_raw()


def test_peer_closing_after_a_complete_message(pair):
    sender, receiver = pair
    sender.send_raw({"ok": True}, [])
    sender.sock.close()
    raw, frames = receiver.receive_raw()
    assert raw == {"ok": True} and frames == []
    with pytest.raises(ChannelError):
        receiver.receive_raw()


# -- the one framing both the channel and the fork server's control messages use ------------------

def test_framing_round_trip_limit_and_a_peer_that_stops_early():
    from autograder.engine.sandbox import framing
    data = framing.frame(b"hello") + framing.frame(b"x" * 10, framing.LARGE)
    chunks = iter([data[3:7], data[7:]])
    read = framing.exact_reader(data[:3], lambda n: next(chunks))
    assert framing.read_frame(read, 100) == b"hello"
    assert framing.read_frame(read, 100, framing.LARGE) == b"x" * 10
    with pytest.raises(ValueError):
        framing.read_frame(framing.exact_reader(framing.frame(b"y" * 50), lambda n: b""), 10)
    with pytest.raises(EOFError):
        framing.read_frame(framing.exact_reader(framing.frame(b"abc")[:5], lambda n: b""), 10)


def test_channel_and_control_speak_the_same_frames():
    import socket as socketlib

    from autograder.engine.sandbox import control, framing
    a, b = socketlib.socketpair()
    Channel(a).send_raw({"x": 1}, [b"\x00" * 16])
    raw = b.recv(1 << 16)
    read = framing.exact_reader(raw, b.recv)
    assert framing.read_length(read) == 2
    assert json.loads(framing.read_frame(read, 1 << 20)) == {"x": 1}
    assert framing.read_frame(read, 1 << 20, framing.LARGE) == b"\x00" * 16
    a.close(), b.close()
    a, b = control.pair()
    control.send(a, {"op": "status", "pid": 7})
    assert control.receive(b) == ({"op": "status", "pid": 7}, [])
    a.close(), b.close()


def test_many_frames_across_read_ahead_boundaries_arrive_whole(pair):
    """Frames cut anywhere by the reads (some sliced from what was read ahead, some read on their
    own, a large one straight into its buffer) all arrive whole and in order."""
    import threading
    sender, receiver = pair
    rng = np.random.default_rng(7)
    value = [rng.normal(size=n) for n in (1, 3000, 7, 9000, 0, 20_000, 5, 200_000, 3, 4096, 8191)] * 3
    frames: list = []
    message = {"value": encode(value, frames)}
    thread = threading.Thread(target=sender.send_raw, args=(message, frames))
    thread.start()
    raw, got = receiver.receive_raw()
    thread.join()
    back = decode(raw["value"], got)
    assert len(back) == len(value) and all(np.array_equal(a, b) and a.shape == b.shape for a, b in zip(back, value))
