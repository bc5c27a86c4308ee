"""One request to the worker and its reply, within the call's clock.

A label that timed out once, or a function that hung, fails at once from then on; a crash or a
broken channel retires the worker and becomes a StudentFailure the student can read; callbacks
into lent objects are answered while the call runs (see lending.py), as many as totals.py allows.
"""

from __future__ import annotations

import socket
import time

from autograder.engine.sandbox import failures as F
from autograder.engine.sandbox.channel import ChannelError, decode
from autograder.engine.sandbox.totals import TOTALS, Totals, cut


class RoundTrips:
    """Part of Student: send, answer callbacks, receive, with timeouts and crashes told apart."""

    def _round_trip(self, request: dict, frames: list, label: str, seconds: float | None = None,
                    keys=()) -> dict:
        """Send, answer callbacks, receive. `keys` name the student functions the request runs:
        one that hung before fails at once, and a lone one that hangs now is remembered. The
        Student's `watch`, if any, sees every request first (and is told when one failed)."""
        if self.watch is None:
            return self._exchange(request, frames, label, seconds, keys)
        self.watch.calling(request, frames, label)
        try:
            return self._exchange(request, frames, label, seconds, keys)
        except F.StudentFailure:
            self.watch.failed()
            raise

    def _exchange(self, request: dict, frames: list, label: str, seconds: float | None, keys) -> dict:
        seconds = seconds or self.call_seconds
        if label in self.timed_out:
            raise F.TimedOut(label, self.timed_out[label], earlier=True)
        for key in keys:
            if key in self.hung:
                raise F.TimedOut(*self.hung[key], earlier=True)
        left = self.budget_ends - time.monotonic()
        if left <= 0:
            raise F.BudgetSpent(label, self.sandbox.limits.total_seconds)
        seconds = min(seconds, left)
        worker = self._worker()
        channel = worker.channel
        channel.deadline = time.monotonic() + seconds
        callbacks = 0
        try:
            channel.send_raw(request, frames)
            while True:
                raw, reply_frames = channel.receive_raw()
                if "callback" in raw:
                    callbacks += 1
                    self._count_callback(callbacks, label)
                    self._answer_callback(channel, raw, reply_frames)
                    raw = reply_frames = None  # (a failure's traceback holds this frame: not a callback)
                    continue
                break
        except (TimeoutError, socket.timeout):
            self.timed_out[label] = seconds
            if len(keys) == 1:
                self.hung[keys[0]] = (label, seconds)
            self._retire()
            raise F.TimedOut(label, seconds) from None
        except (ChannelError, OSError, BrokenPipeError) as exc:
            time.sleep(0.02)
            status = self.sandbox.status(worker.pid)
            tail = worker.output.text()[-1500:]
            if status is None and isinstance(exc, ChannelError) and "closed" not in str(exc):
                self._retire()
                raise F.ProtocolViolation(label, str(exc)) from None
            final = self._retire()
            raise F.Crashed(label, status if status is not None else final, tail) from None
        finally:
            channel.deadline = None
        try:
            if raw.get("ok") is True:
                raw["value"] = decode(raw.get("value"), reply_frames)
                return raw
            error = raw.get("error")
            if not isinstance(error, dict):
                raise ChannelError("reply without a value or an error")
            problem = failure(label, error, self.totals)
            if request.get("op") == "batch" and type(raw.get("index")) is int and isinstance(raw.get("value"), list):
                # which call of the batch failed, and what the calls before it returned
                problem.index = raw["index"]
                problem.partial = decode(raw["value"], reply_frames)
                if not 0 <= problem.index < len(request["calls"]) or len(problem.partial) != problem.index:
                    raise ChannelError("a batch's failure names no call of it")
        except ChannelError as exc:
            self._retire()
            problem = F.ProtocolViolation(label, str(exc))
        finally:  # a failure kept (and its traceback, this frame) keeps the cut report, never the reply
            raw = reply_frames = error = None
        raise problem

    def _count_callback(self, callbacks: int, label: str) -> None:
        """One more use of a lent object: within the call's and the submission's budgets (totals.py),
        or the worker is stopped and the call fails saying why (a loop on a lent object would
        otherwise spend the grader's time until the call's clock ran out, call after call)."""
        self.callbacks += 1
        totals = self.totals
        if self.callbacks > totals.callbacks_per_submission:
            self._retire()
            raise F.TooManyCallbacks(label, totals.callbacks_per_submission, in_all=True)
        if callbacks > totals.callbacks_per_call:
            self._retire()
            raise F.TooManyCallbacks(label, totals.callbacks_per_call, in_all=False)


def _field(value, limit: int):
    """An int as it is; anything else as text of at most `limit` characters (None stays None)."""
    return value if value is None or type(value) is int else cut(value, limit)


def failure(label: str, error: dict, totals: Totals = TOTALS) -> F.StudentFailure:
    """The StudentFailure for an error the worker reported: its fields kept only if well formed, and
    cut to what an honest worker sends (a hostile one sends up to 1 MiB, and failures are kept)."""
    error = {k: error.get(k) for k in ("type", "message", "frames", "file", "line", "text")}
    frames = error["frames"] if type(error["frames"]) is list else []
    frames = [f for f in frames if isinstance(f, list) and len(f) == 4][-totals.error_frames:]
    error["frames"] = [[_field(v, totals.frame_chars) for v in f] for f in frames]
    error["message"] = _field(error["message"], totals.message_chars)
    for key in ("type", "file", "line", "text"):
        error[key] = _field(error[key], totals.frame_chars)
    if str(error.get("type")) == "NotImplementedError":
        where = ""
        if error["frames"]:
            file, line = error["frames"][-1][0], error["frames"][-1][1]
            where = f" ({file}, line {line})"
        return F.NotImplementedYet(label, where)
    return F.StudentException(label, error)
