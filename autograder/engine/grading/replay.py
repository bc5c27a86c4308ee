"""Record a reference's results on the visible tests' inputs; replay them where it is absent.

The handout bundle must carry no reference solution, yet its self-check runs
the visible tests. At build, functions marked ``@recorded`` store every result
the visible tests ask of them, keyed by a hash of the call; the bundle's
reference module is then a ``Replay`` of that table. A call the table does
not hold (a hidden test's input) fails with a clear message. The table holds the
recorded inputs only: wherever the reference is present, the visible tests draw
inputs of the submission's own (inputs.py), so the table answers none of them.
"""

from __future__ import annotations

import hashlib
import json
from functools import wraps
from pathlib import Path

import numpy as np

RECORDING: dict | None = None  # name -> {key: value} while a build records
TABLE = "expected.json"  # the recorded values, beside the bundle's replaying reference module


def bundled(homework) -> bool:
    """Is this the student bundle (the reference replaced by recorded values)? There the visible
    tests must ask for exactly the recorded calls, so their inputs are the recorded ones."""
    return bool(homework.bundle.get("reference_module")) and (homework.suite / TABLE).is_file()


class NotRecorded(AssertionError):
    """The self-check has no expected value for this call; Gradescope has."""


def _feed(h, value) -> None:
    if isinstance(value, dict):
        h.update(b"{")
        for key in sorted(value):
            h.update(str(key).encode() + b":")
            _feed(h, value[key])
        h.update(b"}")
    elif isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value, dtype=np.float64)
        h.update(repr(array.shape).encode() + array.tobytes())
    elif isinstance(value, (int, np.integer)):
        h.update(b"i" + str(int(value)).encode())
    elif isinstance(value, (float, np.floating)):
        h.update(b"f" + np.float64(value).tobytes())
    else:
        h.update(b"s" + str(value).encode())


def call_key(name: str, args) -> str:
    h = hashlib.sha256(name.encode())
    for arg in args:
        _feed(h, arg)
    return h.hexdigest()


def encode_value(value):
    if isinstance(value, dict):
        return {"dict": {k: encode_value(v) for k, v in value.items()}}
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "shape": list(value.shape)}
    return {"float": float(value)}


def decode_value(data):
    if "dict" in data:
        return {k: decode_value(v) for k, v in data["dict"].items()}
    if "array" in data:
        return np.array(data["array"], dtype=np.float64).reshape(data["shape"])
    return data["float"]


def recorded(fn):
    """Mark a reference function whose results the visible tests need."""
    @wraps(fn)
    def wrapper(*args):
        value = fn(*args)
        if RECORDING is not None:
            RECORDING.setdefault(fn.__name__, {})[call_key(fn.__name__, args)] = encode_value(value)
        return value
    wrapper.__recorded__ = True
    return wrapper


class Replay:
    """The recorded functions of a reference module, answering from the table alone."""

    def __init__(self, table_path):
        self.table = json.loads(Path(table_path).read_text())

    def function(self, name: str):
        calls = self.table.get(name, {})

        def replayed(*args):
            key = call_key(name, args)
            if key not in calls:
                raise NotRecorded(f"the self-check has no expected value for this call of {name} (is NumPy "
                                  f"{self.table.get('__numpy__', '')} installed?); Gradescope checks it.")
            return decode_value(calls[key])
        replayed.__name__ = name
        return replayed


def replay_module_source(names, table_name: str) -> str:
    lines = ['"""Expected values for the visible tests, recorded from the reference solution at build.',
             "",
             "The reference solution is not part of this bundle; the hidden tests that need it run on",
             'Gradescope only."""',
             "",
             "from pathlib import Path",
             "",
             "from autograder.engine.grading.replay import NotRecorded, Replay",
             "",
             f"_replay = Replay(Path(__file__).with_name({table_name!r}))",
             ""]
    lines += [f"{name} = _replay.function({name!r})" for name in sorted(names)]
    lines += ["", "", "def __getattr__(name):",
              "    raise NotRecorded(f'{name} needs the reference solution: this check runs on Gradescope only.')",
              ""]
    return "\n".join(lines)
