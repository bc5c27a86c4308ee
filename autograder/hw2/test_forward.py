"""forward(y0, t): a1 = w1 y0 + b1, y1 = sigmoid(a1), a2 = w2 y1 + b2, y2 = softmax(a2), E = -ln y2[t]."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.checks import Feedback, compare, fmt, likely_mistake

from . import reference
from .support import HIDDEN, SMALL, random_input, random_weights, student_loss, student_network

TOL = 1e-8


def _mistakes(weights, y0, t) -> dict:
    """What E would be for the usual forward mistakes."""
    no_b1 = dict(weights, b1=np.zeros_like(weights["b1"]))
    no_b2 = dict(weights, b2=np.zeros_like(weights["b2"]))
    a1 = weights["w1"] @ y0 + weights["b1"]
    y1 = 1 / (1 + np.exp(-a1))
    a2 = weights["w2"] @ y1 + weights["b2"]
    logp = a2 - a2.max() - np.log(np.exp(a2 - a2.max()).sum())
    return {
        "The bias b1 seems to be missing: a1 = w1 y0 + b1.": reference.loss(no_b1, y0, t),
        "The bias b2 seems to be missing: a2 = w2 y1 + b2.": reference.loss(no_b2, y0, t),
        "You seem to return ln y2[t]; E = -ln y2[t] (note the minus).": logp[t],
        "You seem to return y2[t] itself; E = -ln y2[t].": np.exp(logp[t]),
        "The hidden layer seems to skip the sigmoid: y1 = sigmoid(a1).": _loss_without_sigmoid(weights, y0, t),
    }


def _loss_without_sigmoid(weights, y0, t):
    a2 = weights["w2"] @ (weights["w1"] @ y0 + weights["b1"]) + weights["b2"]
    return float(-(a2[t] - a2.max() - np.log(np.exp(a2 - a2.max()).sum())))


def _check_losses(student, sizes, cases, seed):
    weights = random_weights(sizes, seed)
    net = student_network(student, sizes, weights)
    for y0, t in cases:
        got = student_loss(student, net, y0, t)
        want = reference.loss(weights, y0, t)
        result = compare(np.array(got), np.array(want), tol=TOL)
        if not result.ok:
            hint = likely_mistake(np.array([got]), np.array([want]),
                                  {k: np.array([v]) for k, v in _mistakes(weights, y0, t).items()})
            raise Feedback(f"forward: E for t = {t} is {fmt(got)}, expected {fmt(want)} "
                           f"(relative error {result.rel_error:.2g}; M0, M1, N = {sizes})."
                           + (f"\n  {hint}" if hint else ""))


@weight(6)
@number("2.1")
@tags("forward")
@visibility("visible")
def test_loss_matches_reference(student):
    """forward: E matches the reference on weights the grader sets, three inputs and classes"""
    cases = [(random_input(SMALL, k), k % SMALL[2]) for k in range(3)]
    _check_losses(student, SMALL, cases, seed=1)


@weight(2)
@number("2.2")
@tags("forward")
@visibility("visible")
def test_loss_is_scalar(student):
    """forward: E is a Python float or NumPy float scalar, not an array"""
    weights = random_weights(SMALL, 2)
    net = student_network(student, SMALL, weights)
    student_loss(student, net, random_input(SMALL, 7), 1)


@weight(2)
@number("2.3")
@tags("forward")
@visibility("visible")
def test_input_not_modified(student):
    """forward: the input y0 is not modified"""
    weights = random_weights(SMALL, 3)
    net = student_network(student, SMALL, weights)
    y0 = random_input(SMALL, 4)
    _, mutated = student.call(net, "forward", y0, 0, label="Network.forward", echo_args=True)
    if mutated and mutated[0]:
        raise Feedback("forward: your forward changed the input y0 in place. Work on a copy "
                       "(e.g. y0 = y0.copy(), or avoid in-place operators such as += on it).")


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
    weights["b2"] = np.array([400.0, -350.0, 250.0, 800.0, -120.0])
    net = student_network(student, sizes, weights)
    for k, t in enumerate((3, 1, 0)):
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
