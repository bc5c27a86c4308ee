"""update, hidden: other rates and sizes; training on real digits."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.checks import Feedback

from .. import reference
from ..support import random_weights, student_network, student_weights
from ..test_update import _check_step
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
def test_training_lowers_loss(student, data):
    """update: 300 SGD steps on real digits lower the loss and beat chance accuracy clearly"""
    images, labels = data
    sizes = (64, 16, 10)
    # the grader's starting weights: the initialisation is the student's choice (setup is graded
    # on its own), and a tiny one learns too slowly for 300 steps to show anything
    start = random_weights(sizes, 71, scale=1.0, bias=0.0)
    start["w1"] /= np.sqrt(sizes[0])
    start["w2"] /= np.sqrt(sizes[1])
    net = student_network(student, sizes, start)
    before = student_weights(student, net, sizes)
    order = np.random.default_rng(5).choice(1200, 300, replace=False)
    calls = []
    for i in order:
        calls.append((net, "forward", [images[i], int(labels[i])], {}, True))
        calls.append((net, "backward", [0.5], {}, True))
    student.batch(calls, label="training (forward and backward(0.5), 300 times)", seconds=60)
    after = student_weights(student, net, sizes)
    held_out = slice(1200, 1500)
    x, y = images[held_out], labels[held_out]
    loss_before = np.mean([reference.loss(before, x[k], y[k]) for k in range(0, 300, 3)])
    loss_after = np.mean([reference.loss(after, x[k], y[k]) for k in range(0, 300, 3)])
    accuracy = float(np.mean(reference.predict(after, x) == y))
    if not loss_after < 0.8 * loss_before:
        raise Feedback(f"update: after 300 steps the mean loss on held-out digits went from {loss_before:.3f} "
                       f"to {loss_after:.3f}; it should fall clearly. Check the sign of the step and the gradients.")
    if accuracy < 0.3:
        raise Feedback(f"update: after 300 steps the accuracy on held-out digits is {accuracy:.0%} "
                       f"(chance is 10%; expected at least 30%).")
