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


RECORDABLE = ("float64 arrays, numbers (int and float, kept apart), booleans, strings, None, and tuples, "
              "lists and dicts with string keys of them")


class NotRecordable(TypeError):
    """A @recorded function returned what the bundle's table cannot hold: said at build, by name."""


def encode_value(value, where: str = "the result"):
    """The value as JSON data that gives it back as it was (RECORDABLE); NotRecordable otherwise."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise NotRecordable(f"{where}: a dict with keys other than strings cannot be recorded")
        return {"dict": {k: encode_value(v, where) for k, v in value.items()}}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [encode_value(v, where) for v in value]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise NotRecordable(f"{where}: an array of dtype {value.dtype} cannot be recorded")
        return {"array": np.asarray(value, dtype=np.float64).tolist(), "shape": list(value.shape)}
    if value is None or isinstance(value, (bool, np.bool_)):
        return {"bool": None if value is None else bool(value)}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, (int, np.integer)):
        return {"int": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"float": float(value)}
    raise NotRecordable(f"{where}: a {type(value).__name__} cannot be recorded (only {RECORDABLE})")


def decode_value(data):
    if "dict" in data:
        return {k: decode_value(v) for k, v in data["dict"].items()}
    if "tuple" in data:
        return tuple(decode_value(v) for v in data["tuple"])
    if "list" in data:
        return [decode_value(v) for v in data["list"]]
    if "array" in data:
        return np.array(data["array"], dtype=np.float64).reshape(data["shape"])
    for kind in ("bool", "str", "int"):
        if kind in data:
            return data[kind]
    return data["float"]


def _key_args(args, kwargs) -> list:
    """What a call's key is made of: its arguments, and its keyword arguments (by name) when there are any."""
    return [*args, {"**": dict(kwargs)}] if kwargs else list(args)


def recorded(fn):
    """Mark a reference function whose results the visible tests need (RECORDABLE results; positional
    and keyword arguments, the keywords part of the call's key)."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        value = fn(*args, **kwargs)
        if RECORDING is not None:
            key = call_key(fn.__name__, _key_args(args, kwargs))
            RECORDING.setdefault(fn.__name__, {})[key] = encode_value(value, f"@recorded {fn.__name__}")
        return value
    wrapper.__recorded__ = True
    return wrapper


NO_VALUE = "has no expected value"           # a recorded function asked on inputs build never drew
NO_FUNCTION = "needs the reference solution"  # a function of the reference nothing recorded
NOT_RECORDED = (NO_VALUE, NO_FUNCTION)        # what a self-check says instead of a test's own message


class Replay:
    """The recorded functions of a reference module, answering from the table alone."""

    def __init__(self, table_path):
        self.table = json.loads(Path(table_path).read_text())

    def function(self, name: str):
        calls = self.table.get(name, {})

        def replayed(*args, **kwargs):
            key = call_key(name, _key_args(args, kwargs))
            if key not in calls:
                raise NotRecorded(f"the self-check {NO_VALUE} for this call of {name} (is NumPy "
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
              f"    raise NotRecorded(f'{{name}} {NO_FUNCTION}: this check runs on Gradescope only.')",
              ""]
    return "\n".join(lines)
