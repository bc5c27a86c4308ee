"""Each stage's work gate: the one definition of "this function does its job" that every test of the
stage paying for a property of the function (its types and shapes, untouched inputs, lr = 0, the
budget and the box) applies before judging that property.

A property of code that does not do the work earns nothing (a forward returning 0.0 leaves y0
untouched; noise placed at the budget stays inside it), and code that does the work is never failed
for what it was right to do (an update leaves b1 as it was when the dE/db1 it returned is zero).

    setup     w1, b1, w2, b2 exist with the contract's shapes, float64 and finite (1.1; 1.2, 1.3 read them so)
    forward   E is right on the grader's weights (2.2, 2.3)
    backward  at least one of the nine gradients earns its points: right, or its step right on the
              student's own upstream gradient (3.1, 3.3, 3.5, 3.6, 3.7; the sequences then judge the
              ones that are right on a fresh network, and pay nothing when none is)
    update    at least one step can be seen, every step that can be seen is right, and a weight whose
              returned gradient is zero stays as it was (4.1, 4.2, 4.3)
    attack    E moves the right way by at least DIRECTION (half) of what the contract's attack achieves
              on the same input, whatever the distance moved (5.5 is this gate; 5.4, 5.6 pass through it)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograder.engine.grading.checks import Feedback, close, fmt

from . import reference
from .gradients import ORDER
from .support import forward_value, read_weights
from .tolerances import DIRECTION, LOSS, UPDATE


def setup_made_weights(values: dict, sizes) -> dict:
    """setup's gate: w1, b1, w2, b2 as setup left them, with exactly the contract's shapes and dtype."""
    return read_weights(values, sizes, strict=True)


def forward_computes_E(student, net, weights, y0, t, test: str):
    """forward's gate: the raw value forward returned, after checking its number is E on the grader's
    weights (what 2.2 and 2.3 then judge: its type, the input left alone)."""
    reading = forward_value(student, net, y0, t)
    want = reference.loss(weights, y0, t)
    if reading.numbers is None or not close(reading.numbers, want, LOSS).ok:
        got = "no number" if reading.numbers is None else fmt(reading.numbers)
        raise Feedback(f"forward: {test} is checked only on a forward that computes E; yours gave {got} "
                       f"where E = {fmt(want)} (see test 2.1).")
    return reading


def backward_computes_gradients(case, test: str, see: str = "the tests 3.2") -> None:
    """backward's gate: at least one of the nine gradients of `case` (a gradients.Backward) earns its
    points (right, or its step right on the student's own upstream gradient: Backward.earns)."""
    if not case.any_earns():
        raise Feedback(f"backward: {test} is checked only on a backward that computes gradients; none of "
                       f"yours is right yet (see {see}).")


def gradients_right_on_a_fresh_network(case, test: str, see: str = "the tests 3.2") -> list:
    """The gradients of `case` that are the true ones (or its own forward's): what the sequences judge
    call after call. None is no work to judge: the test pays nothing."""
    right = [name for name in ORDER if case.right(name)]
    if not right:
        raise Feedback(f"backward: {test} judges the gradients that are right on a fresh network, call after "
                       f"call; none of yours is (see {see}).")
    return right


@dataclass
class Step:
    """One backward(lr) as the update's gate judges it: the weights before and after, the gradients it
    returned (as numbers: the keys that could be read), and why the others could not be."""
    heading: str          # "update with lr = 0.1", "update: at step 5 of 300 ..."
    before: dict
    gradients: dict
    after: dict
    lr: float
    unread: list = field(default_factory=list)


def step_problem(key, old, new, step) -> str:
    """'' when new = old - step; else what the step did instead."""
    if close(new, old - step, UPDATE).ok:
        return ""
    if not np.any(step):
        return (f"{key} changed although the dE/d{key} you returned is all zeros: a step along it leaves "
                f"{key} as it was.")
    if np.array_equal(new, old):
        return f"{key} was not updated."
    if close(new, old + step, UPDATE).ok:
        return f"{key} moved up the gradient: use {key} <- {key} - lr * dE/d{key} (minus)."
    if close(new, old - 2 * step, UPDATE).ok:
        return f"{key} took the step twice: update each weight once per backward."
    result = close(new, old - step, UPDATE)
    return (f"{key} after the step is not {key} - lr * dE/d{key} with the dE/d{key} you returned "
            f"({result.where(key)}).")


def step_seen(step: Step) -> bool:
    """Can any of this step be seen: does some w - lr dE/dw differ from w in float64?"""
    return any(not np.array_equal(step.before[key] - step.lr * g, step.before[key])
               for key, g in step.gradients.items())


def update_steps_right(steps, where: str) -> None:
    """The update's gate over one test's backward(lr) calls (Steps, judged in order as they come): every
    step is w - lr dE/dw with the gradients backward returned (so a weight whose gradient is zero stays
    as it was, and is right), and at least one of them can be seen: a backward whose gradients are all
    zero has no update to judge. `where` names the calls for that message."""
    seen = False
    for step in steps:
        problems = [*step.unread, *(p for p in (step_problem(key, step.before[key], step.after[key], step.lr * g)
                                                for key, g in step.gradients.items()) if p)]
        if problems:
            raise Feedback(f"{step.heading}:\n  " + "\n  ".join(problems))
        seen = seen or step_seen(step)
    if not seen:
        raise Feedback(f"update: {where}, every gradient backward returned for w1, b1, w2 and b2 was zero (or too "
                       f"small to change a weight), so no step can be seen: the update earns points for steps "
                       f"that move the weights.")


def attack_moves_E(model, y0, cls, kind, p, eps, y, correct, test: str = "") -> None:
    """The attack's gate: E for the class attacked moves the right way (up for untargeted, down for
    targeted) by at least DIRECTION of what the contract's attack `correct` achieves on the same
    input, whatever the distance moved. `test` names what is checked behind the gate, as the subject of
    'are checked only on ...' ('' in 5.5, which is this gate)."""
    before, after, should = (model.forward(np.asarray(v, dtype=np.float64), int(cls)) for v in (y0, y, correct))
    sign = 1.0 if kind == "untargeted" else -1.0
    if sign * (after - before) >= DIRECTION * sign * (should - before):
        return
    norm = "L_inf" if p == np.inf else f"L_{p:g}"
    direction = "sign(dE/dy0)" if p == np.inf else "dE/dy0 / ||dE/dy0||_2"
    if kind == "untargeted":
        said = (f"E for the true class went from {fmt(before)} to {fmt(after)}; a correct attack raises it to "
                f"{fmt(should)} here. Step along +{direction}.")
    else:
        said = (f"E for the target went from {fmt(before)} to {fmt(after)}; a correct attack lowers it to "
                f"{fmt(should)} here. Step along -{direction} computed for the target.")
    gate = (f"\n  {test} are checked only on an attack that moves E the right way, by at least "
            f"{DIRECTION:.0%} of what a correct attack does (see test 5.5).") if test else ""
    raise Feedback(f"attack: {kind} {norm}, eps = {eps:g}\n  {said}{gate}")
