"""The gradient step: w <- w - lr dE/dw, b <- b - lr dE/db, with the gradients backward returned.

Graded apart from the gradients: a step along whatever gradient backward returned earns the update's
points, behind the update's work gate (gates.update_steps_right): at least one step can be seen, every
step that can be seen is right, and a weight whose returned gradient is zero stays as it was.
"""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.checks import Feedback, read_array

from .gates import Step, update_steps_right
from .support import PARAMETERS, SMALL, random_input, random_weights, raw_weights, read_weights, shape_of, student_network


def returned_gradient(grads, key, sizes) -> np.ndarray:
    """dE/d`key` as numbers (its type and shape are backward's business), or Feedback saying why the
    update cannot be checked with it."""
    if not isinstance(grads, dict):
        raise Feedback("update: backward must return the dict of gradients (see the backward tests).")
    if key not in grads:
        raise Feedback(f"dE/d{key} is missing from backward's dict, so its update cannot be checked.")
    shape, symbols = shape_of(key, sizes)
    reading = read_array(grads[key], f"dE/d{key}", shape, symbols)
    if reading.numbers is None:
        raise Feedback(f"{reading.problem} (its update cannot be checked)")
    return reading.numbers


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
    """Feedback unless this backward(lr) passes the update's gate: each weight moved by -lr x the
    gradient backward returned, and some of that step can be seen."""
    weights, grads, after = calls
    after = read_weights(after, sizes)
    gradients, unread = {}, []
    for key in PARAMETERS:
        try:
            gradients[key] = returned_gradient(grads, key, sizes)
        except Feedback as exc:
            unread.append(str(exc))
    update_steps_right([Step(f"update with lr = {lr}", weights, gradients, after, lr, unread)], f"with lr = {lr}")


@weight(5)
@number("4.1")
@tags("update")
@visibility("visible")
def test_step_uses_returned_gradients(student):
    """update: after backward(lr=0.1), each weight equals old - lr * the gradient you returned"""
    check_step(SMALL, 0.1, step_calls(student, SMALL, seed=51, lr=0.1))
