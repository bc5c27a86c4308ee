"""The truth of a mutant, decided by running it: a homework's probe scenario, and what it recorded.

A homework declares a scenario (homework.json, "mutation": {"probe": "probe.py"}: a module of its
suite with `scenario(probe)`) that makes the calls exercising the whole contract through the
engine's Student, each recorded under its stage: `probe.record("forward", "E at input A", thunk)`.
The same scenario runs on the reference and on each mutant, in a sandboxed worker like any grading;
a mutant whose every recorded output equals the reference's within the homework's tolerance is
equivalent, and the stages whose outputs differ are the ones it changed.

Outputs are kept as plain data (JSON): numbers, arrays with their dtype and shape, containers, and
for a call that failed the failure's kind, so "raised ValueError" compares equal to itself only.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np

from autograder.engine.grading.checks import Feedback
from autograder.engine.sandbox.channel import ForeignArray, ForeignScalar, Opaque
from autograder.engine.sandbox.failures import StudentException, StudentFailure


class Probe:
    """What a scenario records through: the submission's `student`, and `record`."""

    def __init__(self, student):
        self.student = student
        self.outputs: dict = {}   # stage -> {name: plain value}

    def record(self, stage: str, name: str, thunk):
        """thunk()'s value, recorded as plain data under its stage; None (and the failure's kind
        recorded) when it fails in student code or the value cannot be read."""
        try:
            value = thunk()
        except StudentException as exc:
            self.outputs.setdefault(stage, {})[name] = {"raised": str(exc.error.get("type", "an exception"))}
            return None
        except (StudentFailure, Feedback) as exc:
            self.outputs.setdefault(stage, {})[name] = {"raised": type(exc).__name__}
            return None
        self.outputs.setdefault(stage, {})[name] = plain(value)
        return value


def plain(value):
    """The value as JSON data that says what it was."""
    if isinstance(value, ForeignArray) or isinstance(value, ForeignScalar) or isinstance(value, Opaque):
        return {"other": type(value).__name__}
    if isinstance(value, np.ndarray):
        return {"array": [_number(v) for v in value.ravel().tolist()], "dtype": str(value.dtype),
                "shape": list(value.shape)}
    if isinstance(value, np.float64):  # a float (its subclass): what a float-returning contract allows
        return {"number": _number(float(value)), "type": "float"}
    if isinstance(value, np.generic):
        return {"scalar": _number(value.item()), "dtype": str(value.dtype)}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return {"number": _number(value), "type": type(value).__name__}
    if isinstance(value, (list, tuple)):
        return {"list": [plain(v) for v in value], "type": type(value).__name__}
    if isinstance(value, dict):
        return {"dict": {str(k): plain(v) for k, v in value.items()}}
    return {"other": type(value).__name__}


def _number(v):
    if isinstance(v, complex):
        return [_number(v.real), _number(v.imag)]
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    return v


def differs(a, b, rel: float, abs_: float) -> bool:
    """Do two recorded outputs differ: in kind, type, dtype, shape, or a number by more than
    rel x (the largest |number| of the reference's array) + abs?"""
    if type(a) is not type(b):
        return True
    if isinstance(a, dict):
        if set(a) != set(b):
            return True
        if "array" in a:
            if a["dtype"] != b["dtype"] or a["shape"] != b["shape"]:
                return True
            return _numbers_differ(a["array"], b["array"], rel, abs_)
        if "number" in a or "scalar" in a:
            key = "number" if "number" in a else "scalar"
            if a.get("type") != b.get("type") or a.get("dtype") != b.get("dtype"):
                return True
            return _numbers_differ([a[key]], [b[key]], rel, abs_)
        return any(differs(a[k], b[k], rel, abs_) for k in a)
    if isinstance(a, list):
        return len(a) != len(b) or any(differs(x, y, rel, abs_) for x, y in zip(a, b))
    return a != b


def _numbers_differ(a: list, b: list, rel: float, abs_: float) -> bool:
    if len(a) != len(b):
        return True
    if any(isinstance(x, (str, list)) or isinstance(y, (str, list)) for x, y in zip(a, b)):
        return a != b  # inf, nan, complex: only the same
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = float(np.max(np.abs(x))) if x.size else 0.0
    return bool(np.any(np.abs(x - y) > rel * scale + abs_))


def changed_stages(reference: dict, outputs: dict, rel: float, abs_: float) -> dict:
    """{stage: [the names of its outputs that differ]} (only stages with a difference)."""
    out = {}
    for stage in set(reference) | set(outputs):
        mine, theirs = reference.get(stage, {}), outputs.get(stage, {})
        names = [n for n in sorted(set(mine) | set(theirs))
                 if n not in mine or n not in theirs or differs(mine[n], theirs[n], rel, abs_)]
        if names:
            out[stage] = names
    return out


def load_scenario(homework):
    """The homework's scenario(probe) function, imported as a module of the suite's package (so its
    relative imports work): the package itself where it is importable from this very folder, else
    the suite folder loaded as a package of its own."""
    suite = Path(homework.suite).resolve()
    stem = Path(homework.mutation.probe).stem
    package = f"autograder.{suite.name}"
    try:
        module = importlib.import_module(package)
        if Path(module.__file__).resolve().parent != suite:
            raise ImportError(package)
    except ImportError:
        package = f"_suite_{abs(hash(str(suite)))}"
        if package not in sys.modules:
            spec = importlib.util.spec_from_file_location(package, suite / "__init__.py",
                                                          submodule_search_locations=[str(suite)])
            module = importlib.util.module_from_spec(spec)
            sys.modules[package] = module
            spec.loader.exec_module(module)
    return importlib.import_module(f"{package}.{stem}").scenario


def run_probe(homework, folder: str, sandbox) -> dict:
    """The scenario on the submission in `folder`, in a sandboxed worker: {stage: {name: output}}."""
    from autograder.engine.grading.locate import locate
    from autograder.engine.sandbox.student import Student
    located = locate(folder, list(homework.files))
    sandbox.begin()
    student = Student(sandbox, located.found, located.missing, homework.call_seconds)
    probe = Probe(student)
    try:
        load_scenario(homework)(probe)
    finally:
        student.close()
        sandbox.reset()
    return probe.outputs
