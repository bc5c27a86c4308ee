"""What the grader receives is bounded in bytes, values, depth and arrays, and parsed on the clock.

Unit tests of the receive side, then hostile submissions graded through the
real Gradescope flow, whose replies would have cost the grader gigabytes.
"""

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from autograder.engine.sandbox.channel import (
    MAX_HEADER_BYTES,
    MAX_HEADER_DEPTH,
    MAX_HEADER_TOKENS,
    Channel,
    ChannelError,
    decode,
    encode,
    prescan_header,
)
from autograder.engine.grading.results import load

from .helpers import stage_scores
from .test_hostile import only, outputs, valid_and_ours, with_forward


@pytest.fixture
def pair():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    yield Channel(a), Channel(b)
    a.close()
    b.close()


def send_header(sock, header: bytes, frames=()) -> None:
    """A message written by hand, as a hostile worker would (from a thread: it may not fit the buffer)."""
    parts = [struct.pack("!II", len(frames) + 1, len(header)), header]
    for frame in frames:
        parts += [struct.pack("!Q", len(frame)), frame]
    threading.Thread(target=sock.sendall, args=(b"".join(parts),), daemon=True).start()


# -- the pre-scan -------------------------------------------------------------------

def test_prescan_accepts_what_the_suite_sends():
    """A dict of the 9 gradients, and strings full of brackets, commas and quotes."""
    frames: list = []
    grads = {k: np.zeros((64, 64)) for k in ("y2", "a2", "w2", "b2", "y1", "a1", "w1", "b1", "y0")}
    message = {"ok": True, "value": encode([grads] * 300, frames), "text": 'a [{ ,: \\" ]]' * 1000}
    prescan_header(json.dumps(message).encode())


def test_prescan_refuses_too_many_values():
    header = b"[" + b"[]," * MAX_HEADER_TOKENS + b"[]]"
    with pytest.raises(ChannelError, match="values, over the limit"):
        prescan_header(header)


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_prescan_refuses_deep_nesting(opener):
    depth = MAX_HEADER_DEPTH + 1
    header = opener * depth + b"1" + (b"]" if opener == b"[" else b"}") * depth
    with pytest.raises(ChannelError, match="nested .* levels deep"):
        prescan_header(header, max_tokens=10 ** 9)


def test_prescan_ignores_structure_inside_strings():
    prescan_header(json.dumps({"s": "[" * 10_000 + "," * (MAX_HEADER_TOKENS + 1)}).encode())


def test_prescan_of_a_megabyte_is_fast():
    header = b"[" * MAX_HEADER_BYTES
    start = time.perf_counter()
    with pytest.raises(ChannelError):
        prescan_header(header)
    assert time.perf_counter() - start < 0.5


# -- receive_raw ----------------------------------------------------------------------

def test_header_over_its_own_limit_is_refused_before_reading(pair):
    sender, receiver = pair
    sender.sock.sendall(struct.pack("!II", 1, MAX_HEADER_BYTES + 1))  # nothing more is sent
    receiver.deadline = time.monotonic() + 2
    with pytest.raises(ChannelError, match="header of .* over the limit"):
        receiver.receive_raw()


def test_many_tiny_values_are_refused_before_parsing(pair):
    sender, receiver = pair
    send_header(sender.sock, b'{"ok": true, "value": [' + b"[]," * 200_000 + b"[]]}")
    with pytest.raises(ChannelError, match="values, over the limit"):
        receiver.receive_raw()


def test_deep_nesting_is_refused_before_parsing(pair):
    sender, receiver = pair
    send_header(sender.sock, b'{"v": ' + b"[" * 500 + b"]" * 500 + b"}")
    with pytest.raises(ChannelError, match="levels deep"):
        receiver.receive_raw()


def test_a_message_complete_after_the_deadline_is_not_parsed(pair, monkeypatch):
    sender, receiver = pair
    send_header(sender.sock, b'{"ok": true}')
    receiver.deadline = time.monotonic() + 10
    late = []
    read = receiver._read_exact

    def read_then_time_passes(n):  # the header arrives, then the deadline passes before parsing
        data = read(n)
        late.append(n > 8)
        return data
    real = time.monotonic
    monkeypatch.setattr(receiver, "_read_exact", read_then_time_passes)
    monkeypatch.setattr(time, "monotonic", lambda: real() + (60 if any(late) else 0))
    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("parsed after the deadline"))
    with pytest.raises(TimeoutError):
        receiver.receive_raw()


def test_dict_of_nine_arrays_still_round_trips(pair):
    sender, receiver = pair
    grads = {k: np.arange(12.0).reshape(3, 4) + i for i, k in enumerate("abcdefghi")}
    frames: list = []
    sender.send_raw({"ok": True, "value": encode(grads, frames)}, frames)
    raw, got = receiver.receive_raw()
    back = decode(raw["value"], got)
    assert set(back) == set(grads) and all(np.array_equal(back[k], grads[k]) for k in grads)
    back["a"][0, 0] = 99.0  # a fresh writable array


def test_one_frame_named_by_many_arrays_is_refused():
    frame = np.zeros(1000).tobytes()
    marker = {"dtype": "<f8", "shape": [1000], "__nd__": 0}
    with pytest.raises(ChannelError, match="used more than once"):
        decode([marker, marker], [frame])


@pytest.mark.parametrize("index", [-1, 1, True, "0", 0.0])
def test_array_marker_must_name_an_existing_frame(index):
    with pytest.raises(ChannelError, match="names no frame"):
        decode({"dtype": "<f8", "shape": [1], "__nd__": index}, [b"\0" * 8])


# -- through the real flow ------------------------------------------------------------

def _reply_with(header_expr: str, frames_expr: str = "[]") -> str:
    """A forward that writes a hand-made reply straight to the grader's socket, then waits.

    The header is produced in pieces so that the worker itself stays small.
    """
    return f"""
        import gc, struct, time
        channel = next(o for o in gc.get_objects() if type(o).__name__ == "Channel")
        pieces = {header_expr}
        frames = {frames_expr}
        size = sum(len(p) for p in pieces)
        channel.sock.sendall(struct.pack("!II", len(frames) + 1, size))
        for piece in pieces:
            channel.sock.sendall(piece)
        for frame in frames:
            channel.sock.sendall(struct.pack("!Q", len(frame)) + frame)
        time.sleep(60)
    """


# ~63 MiB of "[]," (the grader used to take >3 GB parsing it), ~0.9 MiB of "[],"
# (within the byte limit, 300,000 values), and one 8 MB frame named 300 times
# (2.4 GB of copies).
HOSTILE_REPLIES = {
    "63_mib_of_empty_lists": _reply_with(
        "[b'{\"ok\": true, \"value\": ['] + [b'[],' * 1_000_000] * 22 + [b'[]]}']"),
    "many_values_under_a_megabyte": _reply_with(
        "[b'{\"ok\": true, \"value\": [' + b'[],' * 300_000 + b'[]]}']"),
    "one_frame_many_arrays": _reply_with(
        "[b'{\"ok\": true, \"value\": [' + b', '.join([b'{\"dtype\": \"<f8\", \"shape\": [1000000], "
        "\"__nd__\": 0}'] * 300) + b']}']", "[bytes(8_000_000)]"),
    "honest_list_of_100000_dicts": "return [{'a': i} for i in range(100_000)]",
}


def grade_measuring_memory(root, submission):
    """run_autograder on a submission, and the peak memory (MiB) of the largest process it ran
    (ru_maxrss of the waited-for descendants, in KiB on Linux)."""
    target = root / "submission"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(submission, target)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    wrapper = ("import resource, subprocess, sys\n"
               "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PYTHON=sys.executable)
    out = subprocess.run([sys.executable, "-c", wrapper, str(root / "run_autograder")], cwd=root, env=env,
                         capture_output=True, text=True, timeout=600, check=True)
    return load(str(root / "results" / "results.json")), int(out.stdout.split()[-1]) / 1024


@pytest.mark.parametrize("case", sorted(HOSTILE_REPLIES))
def test_hostile_replies_cost_the_grader_little(case, gradescope, homework, make_submission):
    results, peak_mib = grade_measuring_memory(gradescope.root, make_submission(
        with_forward(homework, HOSTILE_REPLIES[case])))
    valid_and_ours(gradescope)
    assert peak_mib < 400, f"a process of the grading run peaked at {peak_mib:.0f} MiB"
    only(results, "forward", "backward", "update")
    text = outputs(results, "forward")
    assert "broke the grader's channel" in text, text
    assert "over the limit" in text or "used more than once" in text, text
    assert stage_scores(results)["attack"][0] == stage_scores(results)["attack"][1]
