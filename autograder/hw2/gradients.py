"""The backward pass as the recitation writes it, for checks and for feedback.

Each variable's gradient, the step that produces it from its upstream
neighbour, and how to judge a student's gradient:

* the true gradient (the reference's, at the grader's weights and input) always earns;
* when the student's forward is wrong, a gradient that is right for *their* forward
  earns too (a right chain rule is backward's work, the forward mistake is forward's),
  but only when their forward is the network up to that mistake: E depends on
  y0, w1, b1, w2 and b2, and through the layers a1 = w1 y0 + b1 and a2 = w2 y1 + b2
  (checked on finite differences computed here). A gradient consistent with a
  forward that is not the network earns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.engine.grading.calls import StudentFailure
from autograder.engine.grading.checks import Comparison, Feedback, as_array, close, fmt, likely_mistake, read_array, read_float
from autograder.engine.grading.gradcheck import SAMPLE, central_difference, points, sample_entries
from autograder.engine.grading.verdicts import in_hidden_test

from . import reference
from .support import PARAMETERS, raw_weights, read_weights, shape_of, student_network
from .tolerances import DEPENDS, GRADIENT, LOSS, OWN_FORWARD

ORDER = ("y2", "a2", "w2", "b2", "y1", "a1", "w1", "b1", "y0")
PROBED = ("w1", "b1", "w2", "b2", "y0")

# variable -> (upstream variable, the step that must be right between them)
STEPS = {
    "a2": ("y2", "dE/da2 = y2 - onehot(t) (softmax and cross-entropy together)"),
    "w2": ("a2", "dE/dw2 = (dE/da2) y1^T, an (N, M1) matrix like w2"),
    "b2": ("a2", "dE/db2 = dE/da2"),
    "y1": ("a2", "dE/dy1 = w2^T (dE/da2)"),
    "a1": ("y1", "the step y1 = sigmoid(a1): dE/da1 = (dE/dy1) * y1 (1 - y1)"),
    "w1": ("a1", "dE/dw1 = (dE/da1) y0^T, an (M1, M0) matrix like w1"),
    "b1": ("a1", "dE/db1 = dE/da1"),
    "y0": ("a1", "dE/dy0 = w1^T (dE/da1)"),
}
FIRST_STEP = "dE/dy2 = -1 / y2[t] at t and 0 elsewhere"


def hidden_layer(weights: dict, y0) -> np.ndarray:
    """y1 = sigmoid(w1 y0 + b1) at the grader's weights."""
    return 0.5 * (1.0 + np.tanh(0.5 * (weights["w1"] @ y0 + weights["b1"])))


def softmax_output(weights: dict, y0) -> np.ndarray:
    """y2 = softmax(w2 y1 + b2) at the grader's weights."""
    a2 = weights["w2"] @ hidden_layer(weights, y0) + weights["b2"]
    e = np.exp(a2 - a2.max())
    return e / e.sum()


@dataclass
class Verdict:
    ok: bool
    result: Comparison
    against: str          # what the gradient was compared with, in words
    got: np.ndarray       # the compared numbers (a sample, or J^T dE/dy2, where that is what is seen)
    expected: np.ndarray


class OwnForward:
    """The gradients of the student's own forward, from central differences computed here.

    `entries[v]` are the flat indices of v that were differenced (all of b1 and b2; a sample of
    large arrays); `problem` says why their forward is not the network ('' when it is)."""

    @staticmethod
    def plan(weights, y0) -> tuple:
        """(entries per probed variable, (name, x + h, x - h) per variable, the points to evaluate
        forward at): the same for every submission, whatever its answers."""
        entries, plan, at_points = {}, [], []
        for name in PROBED:
            base = y0 if name == "y0" else weights[name]
            full = name in ("b1", "b2")  # a1 and a2's gradients are read off these whole
            entries[name] = sample_entries(base.size, seed=ORDER.index(name), sample=base.size if full else SAMPLE)
            plus, minus = points(base, entries[name])
            where = ("arg", 0) if name == "y0" else ("attr", name)
            plan.append((name, plus, minus))
            at_points += [(where, i, v) for i, v in zip(entries[name], plus)]
            at_points += [(where, i, v) for i, v in zip(entries[name], minus)]
        return entries, plan, at_points

    def __init__(self, weights, y0, entries, plan, values):
        self.entries, self.numeric, self.problem = entries, {}, ""
        numbers = [read_float(v, "E").numbers for v in values]
        if any(n is None for n in numbers):
            self.problem = ("your forward did not return a finite number at every point the finite "
                            "differences need")
            return
        at = 0
        for name, plus, minus in plan:
            count = len(plus)
            f_plus, f_minus = np.array(numbers[at:at + count]), np.array(numbers[at + count:at + 2 * count])
            at += 2 * count
            self.numeric[name] = central_difference(f_plus, f_minus, plus, minus)
        self.problem = self._not_the_network(weights, y0)

    def _not_the_network(self, weights, y0) -> str:
        """Why these derivatives cannot come from the network's forward ('' when they can)."""
        for name in PROBED:
            if not np.max(np.abs(self.numeric[name])) > DEPENDS:
                return f"your forward's E does not depend on {name} at all (the network's does)"
        db1, db2 = self.numeric["b1"], self.numeric["b2"]
        y1 = hidden_layer(weights, y0)
        layers = {
            "w1": (np.outer(db1, y0), "dE/dw1 = (dE/db1) y0^T, as a1 = w1 y0 + b1 requires"),
            "y0": (weights["w1"].T @ db1, "dE/dy0 = w1^T (dE/db1), as a1 = w1 y0 + b1 requires"),
            "w2": (np.outer(db2, y1), "dE/dw2 = (dE/db2) y1^T with y1 = sigmoid(w1 y0 + b1), as the network "
                                      "requires"),
        }
        for name, (implied, rule) in layers.items():
            if not close(self.numeric[name], implied.ravel()[self.entries[name]], OWN_FORWARD).ok:
                return f"finite differences of your forward break {rule}"
        return ""

    def expected(self, name: str, weights: dict):
        """(flat indices, values) that dE/d`name` must have for this forward."""
        if name in PROBED:
            return self.entries[name], self.numeric[name]
        if name == "a2":
            return np.arange(self.numeric["b2"].size), self.numeric["b2"]
        if name == "a1":
            return np.arange(self.numeric["b1"].size), self.numeric["b1"]
        if name == "y1":
            values = weights["w2"].T @ self.numeric["b2"]
            return np.arange(values.size), values
        raise KeyError(name)


class Backward:
    """One forward + backward(0) of the student's network on the grader's weights and input, and the
    finite differences of its forward there. In a hidden test every call is made when the case is
    built, whatever the answers, and judged only afterwards: differences asked for only when a
    gradient is wrong would tell student code a hidden verdict (engine/grading/verdicts.py); they
    cost 334 evaluations of forward at the digits' size, 13 ms. A visible test, whose verdicts the
    student sees anyway, asks for them only when a gradient needs them (130 evaluations, 5 ms, on
    most submissions never: a batch's throughput)."""

    def __init__(self, student, sizes, weights, y0, t):
        self.student, self.sizes, self.weights, self.y0, self.t = student, sizes, weights, y0, t
        self.net = student_network(student, sizes, weights)
        E = student.call(self.net, "forward", y0, t, label="Network.forward")
        self.raw = student.call(self.net, "backward", 0.0, label="Network.backward")
        try:  # read before the finite differences, which leave the grader's weights set again
            self._weights_after = raw_weights(student, self.net)
        except (StudentFailure, Feedback) as exc:
            self._weights_after = exc
        self._evaluated, self._evaluation_failed = None, None
        if in_hidden_test():
            self._differences()
        self.want = reference.gradients(weights, y0, t)
        self.E = read_float(E, "E").numbers  # a wrongly typed E costs forward points, not backward ones
        self.forward_right = self.E is not None and close(self.E, reference.loss(weights, y0, t), LOSS).ok
        self._own = None
        if not isinstance(self.raw, dict):
            raise Feedback(f"backward: expected a dict of gradients keyed by name, received "
                           f"{type(self.raw).__name__ if not hasattr(self.raw, 'type_name') else self.raw.type_name}.")

    @classmethod
    def shared(cls, student, sizes, weights, y0, t, key: str) -> "Backward":
        """One case per submission and key, shared by the tests that judge it (one forward and
        backward, one set of finite differences), rebuilt if the worker holding it was replaced."""
        case = student.memo.get(("backward", key))
        if case is None or case.net.generation != student.generation:
            case = cls(student, sizes, weights, y0, t)
            student.memo[("backward", key)] = case
        return case

    def weights_after(self) -> dict:
        """w1, b1, w2, b2 as backward(0) left them (their numbers)."""
        if isinstance(self._weights_after, BaseException):
            raise self._weights_after.with_traceback(None)
        return read_weights(self._weights_after, self.sizes)

    def keys_missing(self) -> list:
        return [k for k in ORDER if k not in self.raw]

    def _value(self, name: str):
        if name not in self.raw:
            raise Feedback(f"backward: dE/d{name} — the returned dict has no key {name!r} "
                           f"(keys needed: {', '.join(ORDER)}).")
        return self.raw[name]

    def gradient(self, name: str) -> np.ndarray:
        """dE/d`name` with exactly its variable's type, shape and dtype (test 3.1's business)."""
        shape, symbols = shape_of(name, self.sizes)
        value = self._value(name)
        try:
            return as_array(value, f"dE/d{name}", shape, symbols)
        except Feedback as exc:
            if "transposed" in str(exc) and name in ("w1", "w2"):
                raise Feedback(f"backward: {exc}\n  {STEPS[name][1]}.") from None
            raise Feedback(f"backward: {exc}") from None

    def numbers(self, name: str) -> np.ndarray:
        """dE/d`name`'s numbers, whenever they can be read without guessing (a row vector, np.matrix,
        float32, a list): a type or shape mistake costs test 3.1, not the value tests."""
        shape, symbols = shape_of(name, self.sizes)
        reading = read_array(self._value(name), f"dE/d{name}", shape, symbols)
        if reading.numbers is None:
            raise Feedback(f"backward: {reading.problem}")
        return reading.numbers

    def _differences(self) -> None:
        """Student's forward at the points of the finite differences (OwnForward.plan), one round trip."""
        self._entries, self._plan, at_points = OwnForward.plan(self.weights, self.y0)
        try:
            self._evaluated = self.student.evaluate(
                self.net, "forward", [self.y0, self.t], {k: self.weights[k] for k in PARAMETERS}, at_points,
                label="Network.forward (finite differences)", seconds=60)
        except StudentFailure as exc:  # it costs only the gradients that need these differences
            self._evaluation_failed = exc

    def own_forward(self) -> OwnForward:
        if self._own is None:
            if self._evaluated is None and self._evaluation_failed is None:
                self._differences()
            if self._evaluation_failed is not None:
                raise self._evaluation_failed.with_traceback(None)
            self._own = OwnForward(self.weights, self.y0, self._entries, self._plan, self._evaluated)
        return self._own

    def verdict(self, name: str) -> Verdict:
        """Is dE/d`name` right: the true gradient, or (forward wrong, but the network) its own?"""
        got = self.numbers(name)
        result = close(got, self.want[name], GRADIENT)
        if result.ok or self.forward_right or self.own_forward().problem:
            return Verdict(result.ok, result, "the true gradient", got, self.want[name])
        own = self.own_forward()
        if name == "y2":
            # dE/dy2 is seen only through the softmax: J^T dE/dy2 must be the dependence on b2
            y2 = softmax_output(self.weights, self.y0)
            seen, expected = y2 * (got - np.dot(y2, got)), own.numeric["b2"]
            against = "finite differences of your own forward (through the softmax: J^T dE/dy2 against dE/db2)"
        else:
            entries, expected = own.expected(name, self.weights)
            seen, against = got.ravel()[entries], "finite differences of your own forward"
        result = close(seen, expected, OWN_FORWARD)
        return Verdict(result.ok, result, against, seen, expected)

    def right(self, name: str) -> bool:
        """Does this gradient earn its points (quietly)?"""
        try:
            return self.verdict(name).ok
        except Feedback:
            return False

    def any_right(self) -> bool:
        """Has backward done any of its job: is at least one of its gradients right?"""
        return any(self.right(name) for name in ORDER)

    def judge(self, name: str) -> None:
        """Feedback unless dE/d`name` is right."""
        verdict = self.verdict(name)
        if not verdict.ok:
            raise Feedback(self._explain(name, verdict))

    def _explain(self, name, verdict: Verdict) -> str:
        numeric = "finite" in verdict.against
        lines = [f"backward: dE/d{name} — relative error {verdict.result.rel_error:.2g} against {verdict.against}",
                 f"  ({verdict.result.where(name, 'numeric' if numeric else 'expected')})."]
        mistake = likely_mistake(verdict.got, verdict.expected)
        if mistake:
            lines.append("  " + mistake)
        if not self.forward_right:
            own = self.own_forward()
            if own.problem:
                lines.append(f"  Your forward's E is not the reference's here ({self._forward_said()}) and "
                             f"{own.problem}, so gradients consistent with it cannot be checked: fix forward "
                             f"first (see the forward tests).")
                return "\n".join(lines)
            lines.append(f"  (Your forward's E differs from the reference here ({self._forward_said()}), so this "
                         f"is checked against what your forward computes; see the forward tests too.)")
        if name == "y2":
            lines.append(f"  {FIRST_STEP}.")
        elif name in STEPS:
            upstream, step = STEPS[name]
            if self.right(upstream):
                lines.append(f"  Your dE/d{upstream} is right, so this step is wrong: {step}.")
            else:
                lines.append(f"  Your dE/d{upstream} is wrong too, and this one is computed from it: "
                             f"fix dE/d{upstream} first.")
        return "\n".join(lines)

    def _forward_said(self) -> str:
        want = reference.loss(self.weights, self.y0, self.t)
        return f"E = {fmt(want)}, yours {'no number' if self.E is None else fmt(self.E)}"
