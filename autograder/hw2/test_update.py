"""The gradient step: w <- w - lr dE/dw, b <- b - lr dE/db, with the gradients backward returned.

Graded apart from the gradients: a step along whatever gradient backward returned earns the update's
points; a gradient that is all zeros makes the step impossible to see, so it earns nothing here.
"""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.checks import Feedback, close, read_array

from .support import PARAMETERS, SMALL, random_input, random_weights, raw_weights, read_weights, shape_of, student_network
from .tolerances import UPDATE


def returned_gradient(grads, key, sizes, nonzero: bool = True) -> np.ndarray:
    """dE/d`key` as numbers (its type and shape are backward's business), or Feedback saying why the
    update cannot be checked with it (`nonzero`: all zeros is such a reason)."""
    if not isinstance(grads, dict):
        raise Feedback("update: backward must return the dict of gradients (see the backward tests).")
    if key not in grads:
        raise Feedback(f"dE/d{key} is missing from backward's dict, so its update cannot be checked.")
    shape, symbols = shape_of(key, sizes)
    reading = read_array(grads[key], f"dE/d{key}", shape, symbols)
    if reading.numbers is None:
        raise Feedback(f"{reading.problem} (its update cannot be checked)")
    if nonzero and not np.any(reading.numbers):
        raise Feedback(f"dE/d{key} is all zeros, so no step along it can be seen: the update earns points for "
                       f"a step that moves {key}.")
    return reading.numbers


def step_problem(key, old, new, step) -> str:
    """'' when new = old - step; else what the step did instead."""
    if close(new, old - step, UPDATE).ok:
        return ""
    if np.array_equal(new, old):
        return f"{key} was not updated."
    if close(new, old + step, UPDATE).ok:
        return f"{key} moved up the gradient: use {key} <- {key} - lr * dE/d{key} (minus)."
    if close(new, old - 2 * step, UPDATE).ok:
        return f"{key} took the step twice: update each weight once per backward."
    result = close(new, old - step, UPDATE)
    return (f"{key} after the step is not {key} - lr * dE/d{key} with the dE/d{key} you returned "
            f"({result.where(key)}).")


def step_calls(student, sizes, seed, lr) -> tuple:
    """One forward and backward(lr) on the grader's weights: (those weights, what backward returned,
    the weights after it as the worker sent them). Nothing is looked at yet: a hidden test makes all
    its calls before judging any (engine/grading/verdicts.py)."""
    weights = random_weights(sizes, seed)
    net = student_network(student, sizes, weights)
    student.call(net, "forward", random_input(sizes, seed), 1, label="Network.forward")
    grads = student.call(net, "backward", lr, label="Network.backward")
    return weights, grads, raw_weights(student, net)


def check_step(sizes, lr, calls) -> None:
    """Feedback unless each weight moved by -lr x the gradient backward returned."""
    weights, grads, after = calls
    after = read_weights(after, sizes)
    problems = []
    for key in PARAMETERS:
        try:
            g = returned_gradient(grads, key, sizes)
        except Feedback as exc:
            problems.append(str(exc))
            continue
        problem = step_problem(key, weights[key], after[key], lr * g)
        if problem:
            problems.append(problem)
    if problems:
        raise Feedback(f"update with lr = {lr}:\n  " + "\n  ".join(problems))


@weight(5)
@number("4.1")
@tags("update")
@visibility("visible")
def test_step_uses_returned_gradients(student):
    """update: after backward(lr=0.1), each weight equals old - lr * the gradient you returned"""
    check_step(SMALL, 0.1, step_calls(student, SMALL, seed=51, lr=0.1))
