"""forward, hidden: the digits' size on real images; logits in the hundreds."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.checks import Feedback, compare, fmt

from .. import reference
from ..support import random_input, random_weights, student_loss, student_network
from ..test_forward import TOL, _check_losses
from . import HIDDEN


@weight(5)
@number("2.4")
@tags("forward")
@visibility("after_published")
def test_loss_hidden_sizes_digits(student, data):
    """forward: E matches the reference at the digits' size on real images"""
    images, labels = data
    cases = [(images[i], int(labels[i])) for i in (1301, 1450, 1777, 1502)]
    _check_losses(student, HIDDEN, cases, seed=11)


@weight(5)
@number("2.5")
@tags("forward")
@visibility("after_published")
def test_large_logits_stay_finite(student):
    """forward: E stays finite and correct for logits in the hundreds (stable softmax)"""
    sizes = (6, 4, 5)
    weights = random_weights(sizes, 21)
    weights["w2"] = weights["w2"] * 300.0
    # logits of 500 to 1150: exp() of them overflows, yet E stays below 650 for these classes,
    # so a stable softmax followed by a log passes as well as a log-sum-exp
    weights["b2"] = np.array([700.0, -350.0, 650.0, 800.0, -120.0])
    net = student_network(student, sizes, weights)
    for k, t in enumerate((3, 0, 2)):
        y0 = random_input(sizes, 50 + k)
        try:
            got = student_loss(student, net, y0, t)
        except Feedback as exc:
            raise Feedback(f"{exc}\n  With logits a2 in the hundreds, exp(a2) overflows: subtract max(a2) "
                           f"before exponentiating (log-sum-exp).") from None
        want = reference.loss(weights, y0, t)
        if not compare(np.array(got), np.array(want), tol=TOL).ok:
            raise Feedback(f"forward: with logits in the hundreds, E for t = {t} is {fmt(got)}, expected "
                           f"{fmt(want)}. Use a stable softmax: subtract max(a2) first.")
