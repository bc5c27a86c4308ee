"""update, hidden: other rates and sizes; training on real digits."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.checks import Feedback, read_array
from autograder.engine.grading.calls import READ

from ..support import PARAMETERS, random_weights, shape_of, student_network
from ..test_update import _check_step, returned_gradient, step_problem
from . import HIDDEN


@weight(4)
@number("4.2")
@tags("update")
@visibility("after_published")
def test_step_other_rates_and_sizes(student):
    """update: the step holds for other learning rates and at the digits' size"""
    _check_step(student, HIDDEN, seed=52, lr=0.5)
    _check_step(student, (9, 4, 6), seed=53, lr=0.013)


@weight(6)
@number("4.3")
@tags("update")
@visibility("after_published")
def test_training_follows_returned_gradients(student, data):
    """update: 300 SGD steps on real digits, each moving the weights by -lr x the gradient backward returned"""
    images, labels = data
    sizes = (64, 16, 10)
    # the grader's starting weights: the initialisation is the student's choice (setup is graded on its own)
    start = random_weights(sizes, 71, scale=1.0, bias=0.0)
    start["w1"] /= np.sqrt(sizes[0])
    start["w2"] /= np.sqrt(sizes[1])
    net = student_network(student, sizes, start)
    lr = 0.5
    order = np.random.default_rng(5).choice(1200, 300, replace=False)
    steps = []  # (the gradients backward returned, the weights after that step), as returned
    for chunk in np.array_split(order, 3):
        calls = []
        for i in chunk:
            calls.append((net, "forward", [images[i], int(labels[i])], {}, True))
            calls.append((net, "backward", [lr], {}, False))
            calls.append((net, READ, PARAMETERS, {}, False))
        returned = student.batch(calls, label=f"training (forward and backward({lr}), 300 times)", seconds=60)
        if not isinstance(returned, list) or len(returned) != 3 * len(chunk):
            raise Feedback("update: the training run did not return one result per call.")
        steps += list(zip(returned[1::3], returned[2::3]))
    before, checked, moved = start, 0, {key: False for key in PARAMETERS}
    for k, (grads, weights) in enumerate(steps, 1):
        try:
            g = {key: returned_gradient(grads, key, sizes, nonzero=False) for key in PARAMETERS}
        except Feedback:
            break  # backward stopped returning finite gradients (backward's business): judge the steps so far
        after = _weights(weights, sizes)
        problems = [p for p in (step_problem(key, before[key], after[key], lr * g[key]) for key in PARAMETERS) if p]
        if problems:
            raise Feedback(f"update: at step {k} of 300 forward/backward({lr}) steps on real digits, the weights "
                           f"did not move by -{lr} x the gradients backward returned:\n  " + "\n  ".join(problems))
        moved = {key: moved[key] or bool(np.any(g[key])) for key in PARAMETERS}
        before, checked = after, k
    unseen = [key for key in PARAMETERS if not moved[key]]
    if checked == 0 or unseen:
        raise Feedback(f"update: over the training steps the gradients backward returned for "
                       f"{', '.join(unseen or PARAMETERS)} were never finite and nonzero, so no step along them "
                       f"can be seen: the update earns points for steps that move the weights.")


def _weights(values, sizes) -> dict:
    if not isinstance(values, dict):
        raise Feedback("update: reading w1, b1, w2, b2 after a training step did not give them.")
    out = {}
    for key in PARAMETERS:
        shape, symbols = shape_of(key, sizes)
        out[key] = read_array(values.get(key), key, shape, symbols).require()
    return out
