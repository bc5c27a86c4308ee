"""Error carried forward: a gradient computed right from a wrong upstream one earns its own step.

Teachers who grade chains of computation by hand give a step its points when it is done right on
the student's own earlier value, however wrong that value is; only the step where the mistake is
made loses. A homework declares its chain once, as a `Chain` of `Step`s (each gradient, the
gradients it is computed from, the step as a function of them with the forward values it needs
bound in, and the step in words), and asks `Chain.carried` about a gradient that is not the true
one. Every number is computed here, in the grader, from what the student's code returned.

No credit without work:
* a step earns only on upstream values that are real: numbers of their shape, finite, not all zero
  (a chain of zeros earns nothing);
* a step that is not the identity must change what it is given (a value passed on unchanged where
  the step names a change earns nothing);
* an identity step (dE/db = dE/da) earns only beside a non-identity step from the same upstream
  value that earns: copying a value along the chain shows no work by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from autograder.engine.grading.checks import Comparison, Tolerance, close


@dataclass(frozen=True)
class Step:
    """How one gradient follows from the ones before it."""
    upstream: tuple          # the names of the gradients it is computed from, in `apply`'s order
    apply: Callable          # the step, on those gradients (NumPy arrays); forward values bound in
    rule: str                # the step in words, for feedback
    identity: bool = False   # the step copies its one upstream value (dE/db = dE/da)


@dataclass(frozen=True)
class Carried:
    """A gradient judged as its step applied to the student's own upstream values."""
    ok: bool
    result: Comparison
    upstream: tuple          # the upstream names whose student values the step was applied to
    expected: np.ndarray     # the step applied to them, here


def real_work(value) -> bool:
    """Can a step earn on this upstream value: finite numbers, not all zero?"""
    return value is not None and bool(np.all(np.isfinite(value))) and bool(np.any(value))


class Chain:
    """A homework's gradients as steps: {gradient name: Step}; a gradient with no step (the first)
    earns only by being right."""

    def __init__(self, steps: dict):
        self.steps = dict(steps)

    def carried(self, name: str, values: dict, tol: Tolerance) -> Carried | None:
        """Is the student's dE/d`name` its step applied, here, to their own upstream gradients?
        `values` maps each gradient's name to the student's numbers (None where there are none).
        None when the step cannot earn on them (see the module's rules)."""
        step = self.steps.get(name)
        if step is None:
            return None
        carried = self._applied(step, values.get(name), values, tol)
        if carried is None or not step.identity:
            return carried
        shown = any(self._earns(sibling, values.get(other), values, tol) for other, sibling in self.steps.items()
                    if not sibling.identity and sibling.upstream == step.upstream)
        return carried if shown else None

    @classmethod
    def _earns(cls, step: Step, got, values: dict, tol: Tolerance) -> bool:
        carried = cls._applied(step, got, values, tol)
        return carried is not None and carried.ok

    @staticmethod
    def _applied(step: Step, got, values: dict, tol: Tolerance) -> Carried | None:
        upstream = [values.get(name) for name in step.upstream]
        if got is None or not all(real_work(v) for v in upstream):
            return None
        expected = np.asarray(step.apply(*upstream), dtype=np.float64)
        if expected.shape != np.shape(got):
            return None
        if not step.identity and any(np.shape(v) == expected.shape and close(expected, v, tol).ok for v in upstream):
            return None  # the step would leave its value as it is: passing it on earns nothing
        result = close(got, expected, tol)
        return Carried(result.ok, result, step.upstream, expected)
