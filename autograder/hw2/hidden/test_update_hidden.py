"""update, hidden: other rates and sizes; training on real digits."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.checks import Feedback
from autograder.engine.grading.calls import READ

from ..support import PARAMETERS, random_weights, read_weights, student_network
from ..gates import Step, update_steps_right
from ..test_update import check_step, returned_gradient, step_calls
from . import HIDDEN


@weight(4)
@number("4.2")
@tags("update")
@visibility("after_published")
def test_step_other_rates_and_sizes(student):
    """update: the step holds for other learning rates and at the digits' size"""
    cases = [(HIDDEN, 52, 0.5), ((9, 4, 6), 53, 0.013)]
    calls = [step_calls(student, sizes, seed, lr) for sizes, seed, lr in cases]  # every call first
    for (sizes, _, lr), made in zip(cases, calls):
        check_step(sizes, lr, made)


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
    calls, seen = [], []  # seen: for each checked step, where its weights before, gradients and weights after are
    for step, i in enumerate(order, 1):
        checked = step in CHECKED_STEPS
        if checked:
            calls.append((net, READ, PARAMETERS, {}, False))
        calls.append((net, "forward", [images[i], int(labels[i])], {}, True))
        calls.append((net, "backward", [lr], {}, not checked))
        if checked:
            calls.append((net, READ, PARAMETERS, {}, False))
            seen.append((step, len(calls) - 4, len(calls) - 2, len(calls) - 1))
    returned = student.batch(calls, label=f"training (forward and backward({lr}), 300 times)", seconds=60)
    if not isinstance(returned, list) or len(returned) != len(calls):
        raise Feedback("update: the training run did not return one result per call.")
    update_steps_right(_training_steps(returned, seen, sizes, lr), "at the training steps checked")


def _training_steps(returned, seen, sizes, lr):
    """The checked steps of the training run, in order, up to the first whose gradients cannot be read
    (backward stopped returning finite gradients: backward's business; the steps so far are judged)."""
    for step, before_at, grads_at, after_at in seen:
        try:
            gradients = {key: returned_gradient(returned[grads_at], key, sizes) for key in PARAMETERS}
        except Feedback:
            return
        yield Step(f"update: at step {step} of 300 forward/backward({lr}) steps on real digits, the weights did not "
                   f"move by -{lr} x the gradients backward returned", read_weights(returned[before_at], sizes),
                   gradients, read_weights(returned[after_at], sizes), lr)


# the steps whose weights are read before and after: early ones often (a wrong backward may make the
# run diverge later), then spread to the end (an update that drifts, accumulates or resets shows)
CHECKED_STEPS = (1, 2, 3, 5, 10, 20, 40, 80, 150, 225, 300)
