"""update, hidden: other rates and sizes; training on real digits."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.checks import Feedback

from ..support import random_weights, student_network, student_weights
from ..test_update import PARAMETERS, _check_step, returned_gradient, step_problem
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
    total = {key: np.zeros_like(start[key]) for key in PARAMETERS}
    order = np.random.default_rng(5).choice(1200, 300, replace=False)
    for chunk in np.array_split(order, 3):
        calls = []
        for i in chunk:
            calls.append((net, "forward", [images[i], int(labels[i])], {}, True))
            calls.append((net, "backward", [lr], {}, False))
        returned = student.batch(calls, label=f"training (forward and backward({lr}), 300 times)", seconds=60)
        if not isinstance(returned, list) or len(returned) != 2 * len(chunk):
            raise Feedback("update: the training run did not return one result per call.")
        for grads in returned[1::2]:
            for key in PARAMETERS:
                total[key] += returned_gradient(grads, key, sizes)
    after = student_weights(student, net, sizes, strict=False)
    problems = [p for p in (step_problem(key, start[key], after[key], lr * total[key]) for key in PARAMETERS) if p]
    if problems:
        raise Feedback("update: after 300 forward/backward(0.5) steps on real digits, the weights are not the "
                       "starting weights minus 0.5 x the sum of the gradients backward returned:\n  "
                       + "\n  ".join(problems))
