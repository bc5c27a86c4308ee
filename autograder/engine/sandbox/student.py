"""What a test holds: a submission, callable only through a sandboxed worker (the call API).

``Student`` builds the requests (construct, call, read and set attributes, batches, evaluations at
points the grader chose) on three parts, each in its own module: the worker's lifecycle
(lifecycle.py), the round trip with its clock (round_trip.py) and lent objects (lending.py).
Whatever comes back is plain data (see channel.py); every failure is a StudentFailure with a message
for the student. A crash or timeout costs the call that caused it; the next call gets a fresh worker.
What it keeps on the submission's behalf across calls is bounded (totals.py).
"""

from __future__ import annotations

import time

from autograder.engine.sandbox import failures as F
from autograder.engine.sandbox.channel import EMPTY_DICT, Ref, encode
from autograder.engine.sandbox.lending import Lending
from autograder.engine.sandbox.lifecycle import WorkerLifecycle
from autograder.engine.sandbox.processes import Sandbox, WorkerProcess
from autograder.engine.sandbox.round_trip import RoundTrips, failure
from autograder.engine.sandbox.totals import TOTALS, Totals

__all__ = ["READ", "WRITE", "Handle", "Sandbox", "Student", "WorkerProcess"]


READ = object()  # in a batch, in place of a method name: read the attributes named in args
WRITE = object()  # in a batch, in place of a method name: set the attributes of the dict in args


def _key(target, method) -> str:
    path = target.path if isinstance(target, Handle) else str(target)
    return f"{path}.{method}" if method else path


class Handle:
    """An object living in the worker, e.g. the student's Network."""

    def __init__(self, name: str, generation: int, path: str):
        self.name, self.generation, self.path = name, generation, path


class Student(WorkerLifecycle, RoundTrips, Lending):
    """A submission, as the tests see it: call its code, get plain data back."""

    needs_sandbox = True

    def __init__(self, sandbox: Sandbox, files: dict, missing: dict | None = None,
                 call_seconds: float | None = None, totals: Totals | None = None):
        self.sandbox = sandbox
        self.files = files          # module file name -> path in the submission
        self.missing = missing or {}  # module file name -> what the student must fix
        self.imported: set = set()
        self.import_failures: dict = {}
        self.provided: dict = {}    # grader module name -> source, installed in every worker
        self.call_seconds = call_seconds or sandbox.limits.call_seconds
        self.budget_ends = time.monotonic() + sandbox.limits.total_seconds
        self.worker: WorkerProcess | None = None
        self.pending: dict | None = None  # a worker asked for ahead of its first use (prepare)
        self.generation = 0
        self.counter = 0
        self.remotes: dict = {}
        self.timed_out: dict = {}   # function label -> seconds, so a hang costs time once
        self.hung: dict = {}        # "module:Class.method" -> (label, seconds), seen by batches too
        self.totals = totals or TOTALS  # what the grader keeps for it, and callbacks: bounded (totals.py)
        self.callbacks = 0          # uses of lent objects, all calls together
        self.printed: dict = {}     # test (None: the top level) -> HeadTail of what student code printed
        self.printing_to: str | None = None  # where printing goes now (see begin_test)
        self.watch = None           # consulted before every request (grading's verdicts.CallWatch)
        self.memo: dict = {}        # what a suite derived from this submission, shared between its tests

    def once(self, key, make):
        """make()'s result, made once per submission and key and shared by the tests that judge it;
        made again only if the worker holding its objects was replaced. What it raised is kept as
        well and raised again without a call (a hidden test's calls must not depend on which test
        came first); a failure of student code raised again is noted as one the test stopped on."""
        held = self.memo.get(key)
        if held is None or held[0] != self.generation:
            generation = self.generation
            try:
                held = (generation, make(), None)
            except Exception as exc:  # noqa: BLE001 - kept, raised again below
                held = (self.generation, None, exc)  # the generation after it (a crash replaces the worker)
            self.memo[key] = held
        elif isinstance(held[2], F.StudentFailure) and self.watch is not None:
            self.watch.stopped()
        if held[2] is not None:
            raise held[2].with_traceback(None)
        return held[1]

    # -- calls ------------------------------------------------------------------
    def _target(self, target):
        if isinstance(target, Handle):
            if target.generation != self.generation or self.worker is None:
                raise F.LostObject()
            return {"__ref__": target.name}
        return target

    def _call_request(self, target, method, args, kwargs, frames, **extra) -> dict:
        args = [self._kept(a) for a in args]
        kwargs = {k: self._kept(v) for k, v in kwargs.items()}
        request = {"op": "call", "target": self._target(target), "method": method,
                   "args": encode(list(args), frames), "kwargs": encode(dict(kwargs), frames) if kwargs else EMPTY_DICT}
        request.update(extra)
        return request

    def new(self, path: str, *args, label: str | None = None, then=(), assign: dict | None = None,
            **kwargs) -> Handle:
        """Construct `module:Class` in the worker and keep it there.

        In the same round trip: `then`, calls on the new object in order, each (method, args, kwargs,
        label); `assign`, attributes set after them, even when one of them failed. A failing `then`
        call (or assignment) raises its StudentFailure once the object exists and is assigned; the
        handle is on the exception (``.handle``, and ``.step``: the index in `then`, or len(then) for
        the assignment), so a test can go on with the object. Should the round trip time out or the
        worker crash, the steps are redone one round trip each, so the failure names its own step.
        """
        label = label or path.replace(":", ".")
        if not then and assign is None:
            return self._construct(path, args, kwargs, label)
        try:
            return self._construct(path, args, kwargs, label, then, assign)
        except (F.TimedOut, F.Crashed, F.ProtocolViolation) as exc:
            if isinstance(exc, F.TimedOut) and not exc.earlier:  # most likely a then call: not again
                for method, _, _, step_label in then:
                    self.hung.setdefault(_key(path, method), (step_label, self.call_seconds))
        handle = self._construct(path, args, kwargs, label)
        problem = None
        for step, (method, call_args, call_kwargs, step_label) in enumerate(then):
            try:
                self.call(handle, method, *call_args, label=step_label, **call_kwargs)
            except F.StudentFailure as exc:
                problem = problem or (step, exc)
                break
        if assign is not None:
            try:
                self.set_many(handle, assign)
            except F.StudentFailure as exc:
                problem = problem or (len(then), exc)
        if problem:
            problem[1].handle, problem[1].step = handle, problem[0]
            raise problem[1]
        return handle

    def _construct(self, path, args, kwargs, label, then=(), assign=None) -> Handle:
        self._import(path)
        name = self._new_name()
        frames: list = []
        request = self._call_request(path, None, args, kwargs, frames, store=name, discard=True)
        if then:
            request["then"] = [{"method": str(m), "args": encode(list(a), frames), "kwargs": encode(dict(k), frames)}
                               for m, a, k, _ in then]
        if assign is not None:
            request["assign"] = encode(dict(assign), frames)
        merged = " and ".join([label, *(step_label for *_, step_label in then)])
        keys = [_key(path, None), *(_key(path, m) for m, *_ in then)]
        raw = self._round_trip(request, frames, merged if then else label, keys=keys)
        handle = Handle(name, self.generation, path)
        late = raw.get("then_error")
        if late is not None:
            step = late.get("index") if isinstance(late, dict) else None
            if type(step) is not int or not 0 <= step <= len(then) or not isinstance(late.get("error"), dict):
                self._retire()
                raise F.ProtocolViolation(label, "a malformed report of a failed call")
            exc = failure(then[step][3] if step < len(then) else f"setting {', '.join(assign or {})}",
                          late["error"], self.totals)
            exc.handle, exc.step = handle, step
            raw = late = None  # a failure kept (and its traceback, this frame) keeps no reply
            raise exc
        return handle

    def call(self, target, method: str | None, *args, label: str | None = None,
             seconds: float | None = None, echo_args: bool = False, **kwargs):
        """One call; returns the decoded value (and the `mutated` flags with echo_args)."""
        label = label or self._label(target, method)
        self._import(target)
        frames: list = []
        request = self._call_request(target, method, args, kwargs, frames, echo_args=echo_args)
        reply = self._round_trip(request, frames, label, seconds, keys=[_key(target, method)])
        return (reply["value"], reply.get("mutated", [])) if echo_args else reply["value"]

    def _new_name(self) -> str:
        """The worker's name for the next object kept there (a count over the submission)."""
        self.counter += 1
        return f"obj{self.counter}"

    def _kept(self, value):
        """A Handle passed as an argument: the object it names, in the worker (as a reference)."""
        return Ref(self._target(value)["__ref__"]) if isinstance(value, Handle) else value

    def keep(self, target, method: str | None, *args, label: str | None = None, items: int | None = None,
             **kwargs):
        """A call whose result stays in the worker: a Handle to pass to later calls (as an argument or
        a target) instead of the value, so objects, namedtuples and caches keep what they are. With
        `items`, the result must be a tuple (or list) of that many values, and each gets its own
        Handle: `out, cache = student.keep("layer:conv_forward", None, x, w, b, items=2)`. Read a
        kept value with `fetch` (it then crosses the channel like any result)."""
        label = label or self._label(target, method)
        self._import(target)
        names = [self._new_name() for _ in range(items or 1)]
        frames: list = []
        extra = {"store_items": names} if items else {"store": names[0]}
        request = self._call_request(target, method, args, kwargs, frames, discard=True, **extra)
        self._round_trip(request, frames, label, keys=[_key(target, method)])
        path = target.path if isinstance(target, Handle) else str(target)
        handles = tuple(Handle(name, self.generation, path) for name in names)
        return handles if items else handles[0]

    def fetch(self, handle, label: str | None = None):
        """The value a kept object holds, decoded like any result."""
        self._worker()
        request = {"op": "fetch", "target": self._target(handle)}
        return self._round_trip(request, [], label or "reading a kept value")["value"]

    def get_many(self, target, names, label: str | None = None) -> dict:
        """Several attributes in one round trip: {name: value}."""
        self._worker()
        request = {"op": "getattrs", "target": self._target(target), "names": list(names)}
        value = self._round_trip(request, [], label or f"reading {', '.join(names)}")["value"]
        if not isinstance(value, dict):
            raise F.ProtocolViolation(label or "reading attributes", "the reply is not a mapping")
        return value

    def set_many(self, target, values: dict) -> None:
        self._worker()
        frames: list = []
        request = {"op": "setattrs", "target": self._target(target), "value": encode(dict(values), frames)}
        self._round_trip(request, frames, f"setting {', '.join(values)}")

    def batch(self, calls: list, label: str, seconds: float | None = None) -> list:
        """Many calls in one round trip: [(target, method, args, kwargs, discard), ...]; an entry
        (target, READ, names, {}, False) reads those attributes of the target instead, and
        (target, WRITE, {name: value}, {}, False) sets them (its result is None)."""
        for call in calls:
            self._import(call[0])
        frames: list = []
        requests = [self._batch_request(t, m, a, k, d, frames) for t, m, a, k, d in calls]
        keys = sorted({_key(t, m) for t, m, *_ in calls if m is not READ and m is not WRITE})
        return self._round_trip({"op": "batch", "calls": requests}, frames, label, seconds, keys)["value"]

    def _batch_request(self, target, method, args, kwargs, discard, frames: list) -> dict:
        if method is READ:
            return {"op": "getattrs", "target": self._target(target), "names": [str(n) for n in args]}
        if method is WRITE:
            return {"op": "setattrs", "target": self._target(target), "value": encode(dict(args), frames)}
        return self._call_request(target, method, args, kwargs, frames, discard=discard)

    def evaluate(self, target, method: str, args, bases: dict, points: list, label: str,
                 seconds: float | None = None) -> list:
        """The method's raw return value at each point the grader chose: the `bases` attributes set
        on the target and the args, with one entry replaced per point ([("attr", name) or ("arg", i),
        flat index, value]). Nothing is computed in the student's process but their function."""
        self._import(target)
        frames: list = []
        request = self._call_request(target, method, args, {}, frames)
        request.update(op="evaluate", bases=encode(dict(bases), frames),
                       points=[[list(where), int(index), float(value)] for where, index, value in points])
        value = self._round_trip(request, frames, label, seconds, keys=[_key(target, method)])["value"]
        if not isinstance(value, list) or len(value) != len(points):
            raise F.ProtocolViolation(label, "the reply does not hold one value per point")
        return value

    @staticmethod
    def _label(target, method) -> str:
        if isinstance(target, str):
            base = target.split(":", 1)[-1] or target
            return f"{base}.{method}" if method else base
        return str(method)
