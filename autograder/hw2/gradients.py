"""The backward pass as the recitation writes it, for checks and for feedback.

Each variable's gradient, the step that produces it from its upstream
neighbour, and how to judge a student's gradient: against central finite
differences of their own forward, and against the reference.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.checks import Feedback, as_array, as_float, compare, likely_mistake
from autograder.engine.gradcheck import FLOOR, H, central_difference, check_gradient, sample_entries

from . import reference
from .support import shape_of, student_network

ORDER = ("y2", "a2", "w2", "b2", "y1", "a1", "w1", "b1", "y0")
PARAMETERS = ("w1", "b1", "w2", "b2")

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


class Backward:
    """One forward + backward(0) of the student's network on the grader's weights and input."""

    def __init__(self, student, sizes, weights, y0, t):
        self.student, self.sizes, self.weights, self.y0, self.t = student, sizes, weights, y0, t
        self.net = student_network(student, sizes, weights)
        E = student.call(self.net, "forward", y0, t, label="Network.forward")
        self.raw = student.call(self.net, "backward", 0.0, label="Network.backward")
        self.want = reference.gradients(weights, y0, t)
        try:  # a wrongly typed E costs forward points, not backward ones
            E = as_float(E, "E")
        except Feedback:
            E = float(np.asarray(E).ravel()[0]) if isinstance(E, np.ndarray) and E.size == 1 else np.nan
        self.forward_right = compare(np.array(E), np.array(reference.loss(weights, y0, t)), 1e-8).ok
        if not isinstance(self.raw, dict):
            raise Feedback(f"backward: expected a dict of gradients keyed by name, received "
                           f"{type(self.raw).__name__ if not hasattr(self.raw, 'type_name') else self.raw.type_name}.")

    def keys_missing(self) -> list:
        return [k for k in ORDER if k not in self.raw]

    def gradient(self, name: str) -> np.ndarray:
        if name not in self.raw:
            raise Feedback(f"backward: dE/d{name} — the returned dict has no key {name!r} "
                           f"(keys needed: {', '.join(ORDER)}).")
        shape, symbols = shape_of(name, self.sizes)
        try:
            return as_array(self.raw[name], f"dE/d{name}", shape, symbols)
        except Feedback as exc:
            if "transposed" in str(exc) and name in ("w1", "w2"):
                raise Feedback(f"backward: {exc}\n  {STEPS[name][1]}.") from None
            raise Feedback(f"backward: {exc}") from None

    def numeric(self, name: str):
        """Central differences of the student's own forward, for the weights and the input:
        (flat indices checked, their numeric gradients)."""
        if name not in PARAMETERS and name != "y0":
            return None
        vary = {"attr": name} if name in PARAMETERS else {"arg": 0}
        shape, _ = shape_of(name, self.sizes)
        entries = sample_entries(int(np.prod(shape)), seed=ORDER.index(name))
        values = self.student.probe(self.net, "forward", [self.y0, self.t], vary, H,
                                    label="Network.forward (finite differences)", seconds=60, entries=entries)
        try:
            return entries, central_difference(values, len(entries))
        except (ValueError, TypeError):
            raise Feedback("backward: the finite differences of your forward could not be computed.") from None

    def right(self, name: str) -> bool:
        """Does this gradient match the reference (quietly)?"""
        try:
            return compare(self.gradient(name), self.want[name], tol=1e-6, floor=FLOOR).ok
        except Feedback:
            return False

    def judge(self, name: str) -> None:
        """Feedback unless dE/d`name` is right."""
        got = self.gradient(name)
        numeric = self.numeric(name)
        if numeric is not None:
            entries, values = numeric
            expected = got.copy()
            expected.flat[entries] = values  # entries not sampled agree by construction
            result = check_gradient(got, expected)
            if not result.ok:
                raise Feedback(self._explain(name, got.flat[entries], result,
                                             "finite differences of your own forward", values))
        if self.forward_right or numeric is None:
            result = compare(got, self.want[name], tol=1e-6, floor=FLOOR)
            if not result.ok:
                raise Feedback(self._explain(name, got, result, "the reference gradient", self.want[name]))

    def _explain(self, name, got, result, against, expected) -> str:
        lines = [f"backward: dE/d{name} — relative error {result.rel_error:.2g} against {against}",
                 f"  ({result.where(name).replace('expected', 'numeric' if 'finite' in against else 'expected')})."]
        mistake = likely_mistake(got, expected)
        if mistake:
            lines.append("  " + mistake)
        if name == "y2":
            lines.append(f"  {FIRST_STEP}.")
        elif name in STEPS:
            upstream, step = STEPS[name]
            if self.right(upstream):
                lines.append(f"  Your dE/d{upstream} is right, so this step is wrong: {step}.")
            else:
                lines.append(f"  Your dE/d{upstream} is wrong too, and this one is computed from it: "
                             f"fix dE/d{upstream} first.")
        if not self.forward_right:
            lines.append("  (Your forward's E differs from the reference here too: see the forward tests.)")
        return "\n".join(lines)
