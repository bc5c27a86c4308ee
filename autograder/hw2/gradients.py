"""The backward pass as the recitation writes it, for checks and for feedback.

Each variable's gradient, the step that produces it from its upstream
neighbour, and how to judge a student's gradient:

* the true gradient (the reference's, at the grader's weights and input) always earns;
* when the student's forward is wrong, a gradient that is right for *their* forward
  earns too (a right chain rule is backward's work, the forward mistake is forward's),
  but only when their forward is the network up to that mistake: E depends on
  y0, w1, b1, w2 and b2, and through the layers a1 = w1 y0 + b1 and a2 = w2 y1 + b2
  (checked on finite differences computed here). A regulariser, any function of the
  weights alone added to E (lambda ||w||^2), keeps it the network: the layers are then
  checked on what depends on y0 (finite differences at a second input, 1 - y0, where
  the regulariser's gradient is the same). A gradient consistent with a forward that
  is not the network earns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.engine.grading.calls import StudentFailure
from autograder.engine.grading.chain import Carried, Chain, Step
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


def chain(weights: dict, y0) -> Chain:
    """Each gradient as a step from the one before it (STEPS), on the network's forward values at these
    weights and input: what error carried forward applies to the student's own upstream gradient
    (engine/grading/chain.py). dE/da2 follows from dE/dy2 through the softmax's Jacobian, however
    a student computes it."""
    y0 = np.asarray(y0, dtype=float)
    y1, y2 = hidden_layer(weights, y0), softmax_output(weights, y0)
    w1, w2 = weights["w1"], weights["w2"]
    return Chain({
        "a2": Step(("y2",), lambda g: y2 * (g - np.dot(y2, g)),
                   "dE/da2 = J^T dE/dy2 = y2 * (dE/dy2 - y2 . dE/dy2), the softmax's Jacobian"),
        "w2": Step(("a2",), lambda g: np.outer(g, y1), STEPS["w2"][1]),
        "b2": Step(("a2",), lambda g: g, STEPS["b2"][1], identity=True),
        "y1": Step(("a2",), lambda g: w2.T @ g, STEPS["y1"][1]),
        "a1": Step(("y1",), lambda g: g * y1 * (1.0 - y1), STEPS["a1"][1]),
        "w1": Step(("a1",), lambda g: np.outer(g, y0), STEPS["w1"][1]),
        "b1": Step(("a1",), lambda g: g, STEPS["b1"][1], identity=True),
        "y0": Step(("a1",), lambda g: w1.T @ g, STEPS["y0"][1]),
    })


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


def second_input(y0) -> np.ndarray:
    """The other input the finite differences are taken at, 1 - y0 (in [0, 1] like y0): a regulariser's
    gradient is the same there, what the layers pass on from y0 is not."""
    return 1.0 - np.asarray(y0, dtype=np.float64)


def _spread(entries, k: int) -> np.ndarray:
    """k of these (sorted) entries, evenly spread over them (all of them when there are no more)."""
    if len(entries) <= k:
        return entries
    return entries[np.unique(np.linspace(0, len(entries) - 1, k).round().astype(int))]


class OwnForward:
    """The gradients of the student's own forward, from central differences computed here.

    `entries[v]` are the flat indices of v that were differenced (all of b1 and b2; a sample of
    large arrays); `problem` says why their forward is not the network ('' when it is); `path`
    holds dE/da1 and dE/da2 (under the names b1 and b2): what flows through the layers, without
    a regulariser's share."""

    @staticmethod
    def plan(weights, y0) -> tuple:
        """(entries per probed variable, (name, x + h, x - h) per variable, the points to evaluate
        forward at): the same for every submission, whatever its answers."""
        entries = {}
        for name in PROBED:
            size = (y0 if name == "y0" else weights[name]).size
            full = name in ("b1", "b2")  # a1 and a2's gradients are read off these whole
            entries[name] = sample_entries(size, seed=ORDER.index(name), sample=size if full else SAMPLE)
        return (entries, *OwnForward._points(weights, y0, entries))

    @staticmethod
    def plan_other(weights, y0, entries) -> tuple:
        """plan() at second_input(y0), on what the regulariser's test needs of it (about half the
        points): all of b1 and b2; of y0's entries, M1 + 6 (dE/da1 is solved from them, with 6 to
        spare as a check); of w1's, 12; of w2's, 2 in each row (its rows give dE/db2's share)."""
        m1 = weights["w1"].shape[0]
        rows = entries["w2"] // m1
        other = {"b1": entries["b1"], "b2": entries["b2"], "y0": _spread(entries["y0"], m1 + 6),
                 "w1": _spread(entries["w1"], 12),
                 "w2": entries["w2"][np.concatenate([np.flatnonzero(rows == r)[:2] for r in np.unique(rows)])]}
        return (other, *OwnForward._points(weights, second_input(y0), other))

    @staticmethod
    def _points(weights, y0, entries) -> tuple:
        plan, at_points = [], []
        for name in PROBED:
            base = y0 if name == "y0" else weights[name]
            plus, minus = points(base, entries[name])
            where = ("arg", 0) if name == "y0" else ("attr", name)
            plan.append((name, plus, minus))
            at_points += [(where, i, v) for i, v in zip(entries[name], plus)]
            at_points += [(where, i, v) for i, v in zip(entries[name], minus)]
        return plan, at_points

    def __init__(self, weights, y0, entries, plan, values, other=None):
        """`values`: forward at plan's points around y0; `other`: (entries, plan, values) of
        plan_other's points around second_input(y0)."""
        self.entries, self.numeric, self.problem, self.path = entries, {}, "", {}
        self.numeric = self._read(plan, values)
        other_entries, other_numeric = {}, {}
        if other is not None:
            other_entries, other_numeric = other[0], self._read(*other[1:])
        if self.numeric is None or other_numeric is None:
            self.problem = ("your forward did not return a finite number at every point the finite "
                            "differences need")
            return
        self.problem = self._not_the_network(weights, y0, other_entries, other_numeric)

    @staticmethod
    def _read(plan, values):
        numbers = [read_float(v, "E").numbers for v in values]
        if any(n is None for n in numbers):
            return None
        numeric, at = {}, 0
        for name, plus, minus in plan:
            count = len(plus)
            f_plus, f_minus = np.array(numbers[at:at + count]), np.array(numbers[at + count:at + 2 * count])
            at += 2 * count
            numeric[name] = central_difference(f_plus, f_minus, plus, minus)
        return numeric

    def _not_the_network(self, weights, y0, other_entries: dict, other: dict) -> str:
        """Why these derivatives cannot come from the network's forward ('' when they can)."""
        for name in PROBED:
            if not np.max(np.abs(self.numeric[name])) > DEPENDS:
                return f"your forward's E does not depend on {name} at all (the network's does)"
        problem = self._layers(weights, y0)
        if not problem:
            self.path = {"b1": self.numeric["b1"], "b2": self.numeric["b2"]}
            return ""
        with_regulariser = self._layers_with_regulariser(weights, y0, other_entries, other) if other else None
        return problem if with_regulariser is None else with_regulariser

    def _layers(self, weights, y0) -> str:
        """The layers' rules on the derivatives as they are (no regulariser)."""
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

    def _layers_with_regulariser(self, weights, y0, at_other: dict, other: dict):
        """The layers' rules when E = (the network's layers) + R(w1, b1, w2, b2): '' when they hold with
        one R whose gradient is the same at y0 and at second_input(y0); a reason when they cannot;
        None when these sizes cannot tell (fewer differenced entries of y0 than M1, at either input).
        At the second input, entries are a subset of the first's (plan_other)."""
        y0b = second_input(y0)
        at = {name: self.entries[name] for name in PROBED}
        w1 = weights["w1"]
        m1 = w1.shape[0]
        a = [w1[:, at["y0"]].T, w1[:, at_other["y0"]].T]  # dE/dy0 (at the differenced entries) = a @ dE/da1
        if any(x.shape[0] < m1 or np.linalg.matrix_rank(x) < m1 for x in a):
            return None
        one, two = self.numeric, other

        def of_one(name):  # one's derivatives at the second input's entries
            return one[name][np.searchsorted(at[name], at_other[name])]

        scale = max(float(np.max(np.abs(v))) for g in (one, two) for v in g.values())
        bar = OWN_FORWARD.rel * scale + OWN_FORWARD.abs

        def agree(x, y) -> bool:
            return bool(np.max(np.abs(np.asarray(x) - np.asarray(y))) <= bar)

        da1 = [np.linalg.lstsq(x, g["y0"], rcond=None)[0] for x, g in zip(a, (one, two))]
        if not all(agree(x @ d, g["y0"]) for x, d, g in zip(a, da1, (one, two))):
            return "finite differences of your forward break dE/dy0 = w1^T (dE/da1), as a1 = w1 y0 + b1 requires"
        # R's gradient for b1 and w1: what is left once the layers' share is taken out, the same at both inputs
        w1_at = at_other["w1"]
        if not agree(one["b1"] - da1[0], two["b1"] - da1[1]) or not agree(
                of_one("w1") - np.outer(da1[0], y0).ravel()[w1_at],
                two["w1"] - np.outer(da1[1], y0b).ravel()[w1_at]):
            return ("finite differences of your forward break dE/dw1 = (dE/da1) y0^T, as a1 = w1 y0 + b1 "
                    "requires (beside a regulariser, a function of the weights alone)")
        # R's gradient for b2 (r) from dE/dw2 = (dE/db2 - r) y1^T + R's, the same at both inputs
        y1, y1b = hidden_layer(weights, y0), hidden_layer(weights, y0b)
        w2_at = at_other["w2"]
        rows, cols = np.divmod(w2_at, m1)
        gap = (of_one("w2") - np.outer(one["b2"], y1).ravel()[w2_at]) - \
              (two["w2"] - np.outer(two["b2"], y1b).ravel()[w2_at])  # = -r[row] (y1 - y1b)[col]
        d = (y1 - y1b)[cols]
        n = one["b2"].size
        weight = np.bincount(rows, d * d, minlength=n)
        if np.any(weight <= 0):
            return None
        r = -np.bincount(rows, gap * d, minlength=n) / weight
        if not agree(gap, -r[rows] * d):
            return ("finite differences of your forward break dE/dw2 = (dE/da2) y1^T with y1 = "
                    "sigmoid(w1 y0 + b1), as the network requires (beside a regulariser, a function of the "
                    "weights alone)")
        self.path = {"b1": da1[0], "b2": one["b2"] - r}
        return ""

    def expected(self, name: str, weights: dict):
        """(flat indices, values) that dE/d`name` must have for this forward."""
        if name in PROBED:
            return self.entries[name], self.numeric[name]
        if name == "a2":
            return np.arange(self.path["b2"].size), self.path["b2"]
        if name == "a1":
            return np.arange(self.path["b1"].size), self.path["b1"]
        if name == "y1":
            values = weights["w2"].T @ self.path["b2"]
            return np.arange(values.size), values
        raise KeyError(name)


class Backward:
    """One forward + backward(0) of the student's network on the grader's weights and input, and the
    finite differences of its forward there. In a hidden test every call is made when the case is
    built, whatever the answers, and judged only afterwards: differences asked for only when a
    gradient is wrong would tell student code a hidden verdict (engine/grading/verdicts.py); they
    cost 2 x 334 evaluations of forward at the digits' size (around y0 and second_input(y0)), 26 ms.
    A visible test, whose verdicts the student sees anyway, asks for them only when a gradient needs
    them (2 x 130 evaluations, 10 ms, on most submissions never: a batch's throughput)."""

    def __init__(self, student, sizes, weights, y0, t):
        self.student, self.sizes, self.weights, self.y0, self.t = student, sizes, weights, y0, t
        self.net = student_network(student, sizes, weights)
        E = student.call(self.net, "forward", y0, t, label="Network.forward")
        self.raw = student.call(self.net, "backward", 0.0, label="Network.backward")
        try:  # read before the finite differences, which leave the grader's weights set again
            self._weights_after = raw_weights(student, self.net)
        except (StudentFailure, Feedback) as exc:
            self._weights_after = exc
        self._evaluated, self._evaluated_other, self._evaluation_failed = None, None, None
        if in_hidden_test():
            self._differences()
        self.want = reference.gradients(weights, y0, t)
        self.chain, self._returned = chain(weights, y0), None
        self.E = read_float(E, "E").numbers  # a wrongly typed E costs forward points, not backward ones
        self.forward_right = self.E is not None and close(self.E, reference.loss(weights, y0, t), LOSS).ok
        self._own = None
        if not isinstance(self.raw, dict):
            raise Feedback(f"backward: expected a dict of gradients keyed by name, received "
                           f"{type(self.raw).__name__ if not hasattr(self.raw, 'type_name') else self.raw.type_name}.")

    @classmethod
    def shared(cls, student, sizes, weights, y0, t, key: str) -> "Backward":
        """One case per submission and key, shared by the tests that judge it (one forward and
        backward, one set of finite differences; Student.once: what it raised is shared too)."""
        return student.once(("backward", key), lambda: cls(student, sizes, weights, y0, t))

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
        self._entries_other, self._plan_other, at_other = OwnForward.plan_other(self.weights, self.y0, self._entries)
        bases = {k: self.weights[k] for k in PARAMETERS}
        try:
            self._evaluated = self.student.evaluate(
                self.net, "forward", [self.y0, self.t], bases, at_points,
                label="Network.forward (finite differences)", seconds=60)
            self._evaluated_other = self.student.evaluate(
                self.net, "forward", [second_input(self.y0), self.t], bases, at_other,
                label="Network.forward (finite differences)", seconds=60)
        except StudentFailure as exc:  # it costs only the gradients that need these differences
            self._evaluation_failed = exc

    def own_forward(self) -> OwnForward:
        if self._own is None:
            if self._evaluated is None and self._evaluation_failed is None:
                self._differences()
            if self._evaluation_failed is not None:
                raise self._evaluation_failed.with_traceback(None)
            self._own = OwnForward(self.weights, self.y0, self._entries, self._plan, self._evaluated,
                                   (self._entries_other, self._plan_other, self._evaluated_other))
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
            seen, expected = y2 * (got - np.dot(y2, got)), own.path["b2"]
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

    def earns(self, name: str) -> bool:
        """Does this gradient earn its points: right, or its step right on the student's own upstream
        gradient (error carried forward)?"""
        if self.right(name):
            return True
        try:
            carried = self.carried(name)
        except Feedback:
            return False
        return carried is not None and carried.ok

    def any_earns(self) -> bool:
        """Has backward done any of its job: does at least one of its gradients earn its points?"""
        return any(self.earns(name) for name in ORDER)

    def carried(self, name: str) -> Carried | None:
        """dE/d`name` as its step applied, here, to the student's own upstream gradient (error carried
        forward, engine/grading/chain.py); None where that step cannot earn (see Chain.carried)."""
        if self._returned is None:
            self._returned = {}
            for other in ORDER:
                try:
                    self._returned[other] = self.numbers(other)
                except Feedback:
                    self._returned[other] = None
        return self.chain.carried(name, self._returned, GRADIENT)

    def judge(self, name: str, see=lambda up: "") -> str:
        """Feedback unless dE/d`name` earns its points: '' when it is right; a note when it is right as
        a step from the student's own wrong upstream gradient (error carried forward: only the step
        with the mistake loses). `see(up)` names where that upstream gradient is judged."""
        verdict = self.verdict(name)
        if verdict.ok:
            return ""
        carried = self.carried(name)
        if carried is not None and carried.ok:
            up = carried.upstream[0]
            where = see(up)
            return (f"dE/d{name} earns its points as a step: it is {self.chain.steps[name].rule}, done right on your "
                    f"dE/d{up}, which is wrong{f' ({where})' if where else ''}. A step computed right from your "
                    f"own earlier value earns; only the step with the mistake loses.")
        raise Feedback(self._explain(name, verdict, carried))

    def _explain(self, name, verdict: Verdict, carried: Carried | None = None) -> str:
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
            elif carried is not None:
                lines.append(f"  Your dE/d{upstream} is wrong too, and this step is not right on it either: "
                             f"{self.chain.steps[name].rule}, applied to your dE/d{upstream}, does not give yours "
                             f"({carried.result.where(name, 'that step')}).")
            else:
                lines.append(f"  Your dE/d{upstream} is wrong too, and this one is computed from it: "
                             f"fix dE/d{upstream} first.")
        return "\n".join(lines)

    def _forward_said(self) -> str:
        want = reference.loss(self.weights, self.y0, self.t)
        return f"E = {fmt(want)}, yours {'no number' if self.E is None else fmt(self.E)}"
