"""A hidden test makes every call into student code before it judges anything.

Student code sees the calls it receives: which, with which arguments, how many. Were a hidden test
to call it again only when an answer was wrong (finite differences for a wrong gradient, the next
case only after a right one), the calls would tell it the hidden verdict before the results are
published (a submission printed "my E is NOT the reference's" for hidden tests). So, as a rule the
engine enforces: in a hidden test, once a check of checks.py has looked at a value (as_array,
as_float, numbers_of, close, compare, and what uses them), a call into student code is the test
author's error (``CalledAfterJudging``), and the solution no longer scores full marks in validate.
Only a failure of the call itself (an exception, a timeout, a crash), which student code knows of
anyway, may cut a hidden test's calls short.

``CallWatch`` is what a Student consults before each request: it enforces the rule and, when asked
(validate), keeps a digest of every request per test, so the calls of a right and a wrong
submission can be compared.
"""

from __future__ import annotations

import hashlib
import json
import re

_state = {"hidden": False, "judged": ""}


class CalledAfterJudging(RuntimeError):
    """A hidden test called student code after judging a value: see this module's docstring."""


def begin_test(hidden: bool) -> None:
    _state.update(hidden=bool(hidden), judged="")


def in_hidden_test() -> bool:
    """Is a hidden test running? (There every call is made up front; a visible test, whose verdicts
    the student sees anyway, may call only when an answer needs it.)"""
    return _state["hidden"]


def end() -> None:
    _state.update(hidden=False, judged="")


def judged(what: str) -> None:
    """A check looked at a value student code returned (noted in hidden tests only)."""
    if _state["hidden"] and not _state["judged"]:
        _state["judged"] = what


# imports and the grader's modules are sent again to a worker that replaced one student code crashed
# or hung (in an earlier test, perhaps): that follows a failure student code knows of, not a verdict
UNTRACED = ("import", "module")
STOPPED = "stopped"  # in a trace: the test ended on a failure of student code
_NAMES = re.compile(r"^(obj|net)\d+$")  # names of objects in the worker and of lent ones: counters


class CallWatch:
    """Consulted by a Student before every request to its worker (Student.watch)."""

    def __init__(self, trace: bool = False):
        self.test, self.names = "", {}  # names: of the test's objects, numbered (see digest)
        self.traced = False  # the last request was recorded
        self.calls: dict | None = {} if trace else None  # test -> [[digest, failed], ...]

    def begin_test(self, test: str) -> None:
        self.test, self.names = test, {}

    def calling(self, request: dict, frames: list, label: str) -> None:
        if _state["judged"]:
            raise CalledAfterJudging(
                f"{self.test}: a hidden test called student code ({label}) after judging a value "
                f"({_state['judged']}). Make every call first, then judge: the calls student code "
                f"receives must not depend on a hidden verdict (docs/writing-a-homework.md).")
        self.traced = self.calls is not None and request.get("op") not in UNTRACED
        if self.traced:
            self.calls.setdefault(self.test, []).append([digest(request, frames, self.names), False])

    def failed(self) -> None:
        """The request just made failed in student code (an exception, a timeout, a crash)."""
        if self.traced and self.calls.get(self.test):
            self.calls[self.test][-1][1] = True
        else:
            self.stopped()

    def stopped(self) -> None:
        """The test ended on a failure of student code that needed no request (an import that failed
        earlier, an object lost in a crash): its calls may stop short of the reference's."""
        if self.calls is not None:
            self.calls.setdefault(self.test, []).append([STOPPED, True])


def digest(request: dict, frames: list, names: dict) -> str:
    """A short hash of a request and its arrays, with the names of objects (which count up over the
    whole run) numbered in their order of appearance in `names` instead."""

    def canonical(value):
        if isinstance(value, str) and _NAMES.match(value):
            return names.setdefault(value, f"#{len(names)}")
        if isinstance(value, dict):
            return {k: canonical(v) for k, v in value.items()}
        if isinstance(value, list):
            return [canonical(v) for v in value]
        return value

    h = hashlib.sha256(json.dumps(canonical(request), sort_keys=True, default=str).encode())
    for frame in frames:
        h.update(bytes(frame))
    return h.hexdigest()[:16]


def diverging(reference: list, other: list) -> int | None:
    """Where `other`'s calls leave `reference`'s ([[digest, failed], ...] of one test): None when they
    are the same, or the same up to a call that failed in student code (after which anything goes)."""
    for i, (mine, failed) in enumerate(other):
        if mine == STOPPED:
            return None
        if i >= len(reference) or reference[i][0] != mine:
            return i
        if failed:
            return None
    return None if len(other) == len(reference) else len(other)
