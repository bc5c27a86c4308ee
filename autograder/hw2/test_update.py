"""The gradient step: w <- w - lr dE/dw, b <- b - lr dE/db, with the gradients backward returned."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.checks import Feedback, as_array, compare

from .support import SMALL, random_input, random_weights, shape_of, student_network, student_weights

PARAMETERS = ("w1", "b1", "w2", "b2")


def _check_step(student, sizes, seed, lr):
    weights = random_weights(sizes, seed)
    net = student_network(student, sizes, weights)
    student.call(net, "forward", random_input(sizes, seed), 1, label="Network.forward")
    grads = student.call(net, "backward", lr, label="Network.backward")
    if not isinstance(grads, dict):
        raise Feedback("update: backward must return the dict of gradients (see the backward tests).")
    after = student_weights(student, net, sizes)
    problems = []
    for key in PARAMETERS:
        if key not in grads:
            problems.append(f"dE/d{key} is missing from backward's dict, so its update cannot be checked.")
            continue
        shape, symbols = shape_of(key, sizes)
        try:
            g = as_array(grads[key], f"dE/d{key}", shape, symbols)
        except Feedback as exc:
            problems.append(f"{exc} (its update cannot be checked)")
            continue
        old, new = weights[key], after[key]
        want = old - lr * g
        if compare(new, want, tol=1e-10, floor=1e-12).ok:
            continue
        if np.array_equal(new, old):
            problems.append(f"{key} was not updated (lr = {lr}).")
        elif compare(new, old + lr * g, 1e-10, 1e-12).ok:
            problems.append(f"{key} moved up the gradient: use {key} <- {key} - lr * dE/d{key} (minus).")
        elif compare(new, old - 2 * lr * g, 1e-10, 1e-12).ok:
            problems.append(f"{key} took the step twice: update each weight once per backward.")
        else:
            result = compare(new, want, 1e-10, 1e-12)
            problems.append(f"{key} after the step is not {key} - lr * dE/d{key} with the dE/d{key} you returned "
                            f"({result.where(key)}).")
    if problems:
        raise Feedback(f"update with lr = {lr}:\n  " + "\n  ".join(problems))


@weight(5)
@number("4.1")
@tags("update")
@visibility("visible")
def test_step_uses_returned_gradients(student):
    """update: after backward(lr=0.1), each weight equals old - lr * the gradient you returned"""
    _check_step(student, SMALL, seed=51, lr=0.1)
