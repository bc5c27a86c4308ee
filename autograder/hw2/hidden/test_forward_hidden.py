"""forward, hidden: the digits' size on real images; logits in the hundreds."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.checks import Feedback, close, fmt_exact, numbers_of

from .. import reference
from ..gradients import hidden_layer
from ..support import random_input, random_weights, read_loss, student_network
from ..test_forward import _check_losses
from ..tolerances import LOSS
from . import HIDDEN
from .sequence import hidden as hidden_sequence


@weight(4)
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
    cases = [(random_input(sizes, 50 + k), t) for k, t in enumerate((3, 0, 2))]
    returned = [student.call(net, "forward", y0, t, label="Network.forward") for y0, t in cases]  # calls first
    for (y0, t), value in zip(cases, returned):
        want = reference.loss(weights, y0, t)
        reading = read_loss(value)
        facts = _large_logit_facts(weights, y0) if _not_finite(value) else ""
        if reading.numbers is None:
            raise Feedback(f"forward: {reading.problem}" + (f"\n  {facts}" if facts else ""))
        result = close(reading.numbers, want, LOSS)
        if not result.ok:
            raise Feedback(f"forward: with logits in the hundreds, E for t = {t} is {fmt_exact(reading.numbers)}, "
                           f"expected {fmt_exact(want)} (difference {result.difference:.3g} > tolerance "
                           f"{result.tolerance:.3g}).")


def _not_finite(value) -> bool:
    """Did forward return inf or nan (as a number or inside an array): the symptom large logits cause?
    A finite wrong E (a wrong class, a penalty, a remembered E) has another cause, so no logit facts."""
    numbers = value if isinstance(value, (float, np.floating)) else numbers_of(value)
    return numbers is not None and not bool(np.all(np.isfinite(numbers)))


def _large_logit_facts(weights, y0) -> str:
    """What these logits do to the usual computations, each checked here, not guessed ('' when they
    do nothing of the kind)."""
    a2 = weights["w2"] @ hidden_layer(weights, y0) + weights["b2"]
    facts = []
    with np.errstate(over="ignore"):
        if np.isinf(np.exp(a2)).any():
            facts.append("exp(a2) overflows to inf, so a softmax that does not subtract max(a2) first gives nan")
    shifted = np.exp(a2 - a2.max())
    if np.any(shifted / shifted.sum() == 0):
        facts.append("softmax(a2) has entries that are exactly 0 in float64, so the log of a softmax entry "
                     "(as in sum(onehot * log(y2))) gives -inf or nan")
    if not facts:
        return ""
    return (f"With these logits (a2 ranges from {a2.min():.0f} to {a2.max():.0f}) " + "; ".join(facts) +
            ". Computing E = log(sum(exp(a2 - max a2))) - (a2[t] - max a2) (log-sum-exp) stays finite.")


@weight(1)
@number("2.7")
@tags("forward")
@visibility("after_published")
def test_loss_over_training_steps(student, data):
    """forward: one network at the digits' size, six forwards on real digits with backward steps between, returns the E of each call"""
    hidden_sequence(student, data, forward=True).judge_forward()
