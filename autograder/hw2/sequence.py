"""One student network used as training and attacks use it, judged call by call.

Every other test builds a fresh network and calls forward once, so a backward whose cache is filled
once and never refreshed, or a forward that returns an E it kept (the first one, or one per class
t), scored full marks. Here one network goes through several forwards on different inputs and
classes, a backward after each (lr = 0 and lr > 0), the weights changing in between, and each
result is judged against the truth of *that* call: the reference computed in the grader from the
weights the network held just before it (read from the network, never taken from the student's
report), the call's y0 and t.

Inputs are chosen so each usual memo shows: the same t with another y0, the same y0 with another t,
the same (y0, t) again on other weights. A visible test sets new weights after each step (so every
truth is a recorded value in the student's bundle); a hidden test (hidden/sequence.py, never in the
bundle) lets the student's own steps move them. Either is one round trip.

The calls are the ones an attack makes of a network (forward and backward(0) on new inputs) and the
ones training makes (backward(lr) in between). The student's own attack is not run on the student's
network: its result would then carry the network's mistakes into the attack's points (the attack
tests lend it a grader's model for that reason).

Who pays: a wrong E costs the forward test (2.6, 2.7); a gradient that backward gets right on a fresh
network (test 3.2's case) but wrong later in the sequence, after a forward whose E was right, costs
the backward test (3.6, 3.7). A call whose E is wrong is forward's mistake: its gradients are not
judged (a memoised forward costs forward, not backward). Steps are the update's business (4.x):
whatever a step did, the next call's truth comes from the weights read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from autograder.engine.grading.calls import READ, WRITE, StudentFailure
from autograder.engine.grading.checks import Feedback, all_close, close, fmt_exact, read_array
from autograder.engine.grading.replay import NotRecorded

from . import reference
from .support import (PARAMETERS, SMALL, random_input, random_weights, read_loss, read_weights, shape_of,
                      student_network)
from .tolerances import GRADIENT, LOSS


@dataclass(frozen=True)
class Step:
    """One call of the sequence: forward(y0, t), then backward(lr); `weights` set by the grader before
    it, or None: the network keeps what the last call left (its own step, if lr > 0)."""
    y0: np.ndarray
    t: int
    lr: float
    weights: dict | None
    input_name: str  # how feedback names y0 ("input A"): the same name for the same input


class Sequence:
    """The calls of one sequence and what they returned, judged only when asked (a hidden test makes
    every call before judging any: engine/grading/verdicts.py)."""

    def __init__(self, student, sizes, start: dict, steps: list, backward: bool = True):
        self.sizes, self.steps, self.with_backward = sizes, steps, backward
        self.net = student_network(student, sizes, start)
        calls, width = [], 3 if backward else 2
        for k, step in enumerate(steps):  # all in one round trip, the grader's weight settings included
            if k and step.weights is not None:
                calls.append((self.net, WRITE, {name: step.weights[name] for name in PARAMETERS}, {}, False))
            calls += self._calls(step)
        label = "Network.forward" + (" and Network.backward" if backward else "")
        try:
            returned = student.batch(calls, label=f"{label} on one network, {len(steps)} times", seconds=60)
        except StudentFailure as exc:
            failed = calls[exc.index] if exc.index is not None else None
            exc.in_a_step = bool(failed and failed[1] == "backward" and failed[2][0] > 0)
            raise
        if not isinstance(returned, list) or len(returned) != len(calls):
            raise Feedback("the sequence of calls on one network did not return one result per call.")
        self.returned = [value for value, call in zip(returned, calls) if call[1] is not WRITE]
        self._before = [self.returned[width * k] for k in range(len(steps))]
        self._E = [self.returned[width * k + 1] for k in range(len(steps))]
        self._grads = [self.returned[width * k + 2] for k in range(len(steps))] if backward else None
        self._truths: dict = {}

    def _calls(self, step: Step) -> list:
        calls = [(self.net, READ, PARAMETERS, {}, False), (self.net, "forward", [step.y0, int(step.t)], {}, False)]
        if self.with_backward:
            calls.append((self.net, "backward", [float(step.lr)], {}, False))
        return calls

    @classmethod
    def shared(cls, student, sizes, start, steps, key: str) -> "Sequence":
        """One sequence per submission and key, shared by the forward and backward tests that judge it
        (Student.once: its failure is shared too)."""
        return student.once(("sequence", key), lambda: cls.made(student, sizes, start, steps))

    @classmethod
    def made(cls, student, sizes, start, steps) -> "Sequence":
        """The sequence; where backward(lr) raised taking a step (the update's business, tests 4.x), the
        same calls with lr = 0, so a step's failure costs the update's tests, not these."""
        try:
            return cls(student, sizes, start, steps)
        except StudentFailure as exc:
            if not getattr(exc, "in_a_step", False):
                raise
        return cls(student, sizes, start, [replace(step, lr=0.0) for step in steps])

    # -- the truth of each call ---------------------------------------------------------------
    def weights_before(self, k: int) -> dict:
        """The weights the network held just before call k, as read from it (their numbers)."""
        try:
            return read_weights(self._before[k], self.sizes)
        except Feedback as exc:
            raise Feedback(f"before call {k + 1} of the sequence: {exc}") from None

    def judgeable(self, k: int) -> bool:
        """Can call k be judged: did the network hold readable, finite weights before it, at which E and
        its gradients are finite numbers? (A step that left inf or nan behind, or weights so large that
        E overflows, is the update's business, tests 4.x: the calls after it are not judged.)"""
        try:
            E, gradients = self.truth(k)
        except Feedback:
            return False
        with np.errstate(all="ignore"):
            return bool(np.isfinite(E)) and all(np.all(np.isfinite(g)) for g in (gradients or {}).values())

    def truth(self, k: int) -> tuple:
        """(E, gradients) of call k, computed here from the weights read before it."""
        if k not in self._truths:
            weights, step = self.weights_before(k), self.steps[k]
            try:
                both = reference.loss_and_gradients(weights, step.y0, step.t)
                self._truths[k] = (both.pop("E"), both if self.with_backward else None)
            except NotRecorded:  # the bundle: only the weights the grader set were recorded
                raise Feedback(f"before {self.describe(k)}, your network held weights other than the ones the "
                               f"grader set or lr = 0 left (see test 3.3); the self-check has no expected value "
                               f"for them, Gradescope checks it.") from None
        return self._truths[k]

    def describe(self, k: int) -> str:
        step = self.steps[k]
        return f"call {k + 1} of {len(self.steps)}, forward({step.input_name}, t={step.t})"

    def story(self) -> str:
        """The whole sequence in one line, for feedback."""
        parts = []
        for step in self.steps:
            part = f"forward({step.input_name}, t={step.t})"
            if self.with_backward:
                part += f", backward({step.lr:g})"
            if step.weights is not None and parts:
                part = "new weights set, " + part
            parts.append(part)
        return "; ".join(parts)

    # -- forward ------------------------------------------------------------------------------
    def E(self, k: int):
        """E of call k as a number (None when forward gave none); its type is test 2.2's business."""
        return read_loss(self._E[k]).numbers

    def E_right(self, k: int) -> bool:
        got = self.E(k)
        return got is not None and close(got, self.truth(k)[0], LOSS).ok

    def judge_forward(self) -> None:
        """Feedback unless E is the truth of every call."""
        for k in range(len(self.steps)):
            if not self.judgeable(k):
                continue
            reading = read_loss(self._E[k])
            want = self.truth(k)[0]
            if reading.numbers is None:
                raise Feedback(f"forward, on one network used over several calls ({self.describe(k)}): "
                               f"{reading.problem}")
            result = close(reading.numbers, want, LOSS)
            if result.ok:
                continue
            lines = [f"forward: one network, called as training and attacks call it ({self.story()}).",
                     f"  At {self.describe(k)}, E is {fmt_exact(reading.numbers)}, expected {fmt_exact(want)} "
                     f"(difference {result.difference:.3g} > tolerance {result.tolerance:.3g}), computed from "
                     f"this call's y0, t and the weights the network held before it."]
            earlier = self._kept_E(k, reading.numbers)
            if earlier is not None:
                lines.append(f"  Yours is the E of {self.describe(earlier)}: forward returned a value kept from "
                             f"an earlier call. Compute E anew from y0, t and the current weights in every call.")
            raise Feedback("\n".join(lines))

    def _kept_E(self, k: int, got: float):
        """The earlier call whose E (true or returned) this one repeats, where this call's truth differs."""
        want = self.truth(k)[0]
        for j in filter(self.judgeable, range(k)):
            for earlier in (self.truth(j)[0], self.E(j)):
                if earlier is not None and not close(earlier, want, LOSS).ok and close(got, earlier, LOSS).ok:
                    return j
        return None

    # -- backward -----------------------------------------------------------------------------
    def gradient(self, k: int, name: str):
        """dE/d`name` of call k as numbers (None when there are none: test 3.1's business)."""
        grads = self._grads[k]
        if not isinstance(grads, dict) or name not in grads:
            return None
        shape, symbols = shape_of(name, self.sizes)
        return read_array(grads[name], f"dE/d{name}", shape, symbols).numbers

    def judge_backward(self, names) -> None:
        """Feedback unless each gradient of `names` is the truth of every call whose E was right."""
        for k in range(len(self.steps)):
            if not self.judgeable(k) or not self.E_right(k):
                continue  # the update's mistake, or forward's (tests 2.6, 2.7): this call's gradients are not judged
            want = self.truth(k)[1]
            gots = [self.gradient(k, name) for name in names]
            if all(got is not None for got in gots) and all_close([(got, want[name]) for got, name in
                                                                   zip(gots, names)], GRADIENT):
                continue  # every gradient right: nothing to explain
            for name, got in zip(names, gots):
                if got is None:
                    raise Feedback(f"backward: at {self.describe(k)} of one network used over several calls, "
                                   f"dE/d{name} is missing or holds no numbers of its shape (see test 3.1).")
                result = close(got, want[name], GRADIENT)
                if not result.ok:
                    raise Feedback(self._explain_backward(k, name, got, result))

    def _explain_backward(self, k, name, got, result) -> str:
        lines = [f"backward: one network, called as training and attacks call it ({self.story()}).",
                 f"  At {self.describe(k)}, dE/d{name} — relative error {result.rel_error:.2g} against this "
                 f"call's true gradient ({result.where(name)}).",
                 f"  Your forward's E is right at this call and dE/d{name} was right on a fresh network (test "
                 f"3.2), so what went wrong is what backward used: it must return the gradients of E from the "
                 f"last forward, at the weights the network holds now."]
        for j in filter(self.judgeable, range(k)):
            if close(got, self.truth(j)[1][name], GRADIENT).ok and \
                    not close(self.truth(j)[1][name], self.truth(k)[1][name], GRADIENT).ok:
                lines.append(f"  Yours is dE/d{name} of {self.describe(j)}: backward returned values kept from "
                             f"an earlier call (a cache filled once, or gradients stored and never recomputed).")
                break
        return "\n".join(lines)


def visible_steps(weights_for, input_for) -> list:
    """The visible sequence on SMALL: where a step changed the weights, the grader sets others before the
    next call, so every call's truth is a recorded value in the student's bundle (the weights read
    before it are the ones set, or the ones lr = 0 left). `weights_for(i)`, `input_for(i)` draw them."""
    a, b, c = input_for(0), input_for(1), input_for(2)
    return [Step(a, 1, 0.0, weights_for(0), "input A"),
            Step(b, 1, 0.1, None, "input B"),            # the same t, another y0; a step
            Step(b, 2, 0.0, weights_for(1), "input B"),  # the same y0, another t, other weights
            Step(a, 1, 0.0, None, "input A"),            # call 1's y0 and t again, on other weights
            Step(c, 0, 0.2, weights_for(2), "input C")]  # a step at the end


def forward_sequence(student, sizes, start, steps, key: str | None) -> Sequence:
    """The sequence (shared under `key`, when given), or, when one of its calls failed in student code,
    the same forwards without backward on a fresh network: a backward that raises is backward's
    business, not forward's."""
    try:
        return build(student, sizes, start, steps, key)
    except StudentFailure:
        return Sequence(student, sizes, start, steps, backward=False)


def build(student, sizes, start, steps, key: str | None) -> Sequence:
    return Sequence.shared(student, sizes, start, steps, key) if key else Sequence.made(student, sizes, start, steps)


def visible(student, forward: bool = False) -> Sequence:
    """The visible sequence on SMALL (shared by tests 2.6 and 3.6): five forwards, a backward after each,
    inputs and weights from the engine's generator."""
    steps = visible_steps(lambda i: random_weights(SMALL, 81 + i), lambda i: random_input(SMALL, 84 + i))
    return (forward_sequence if forward else build)(student, SMALL, steps[0].weights, steps, key="visible")

