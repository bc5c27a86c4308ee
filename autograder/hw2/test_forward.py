"""forward(y0, t): a1 = w1 y0 + b1, y1 = sigmoid(a1), a2 = w2 y1 + b2, y2 = softmax(a2), E = -ln y2[t]."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.checks import Feedback, close, fmt_exact, likely_mistake

from . import reference
from . import sequence
from .gates import forward_computes_E
from .support import SMALL, random_input, random_weights, read_loss, student_network
from .tolerances import LOSS


MISTAKES = {
    "no_b1": "The bias b1 seems to be missing: a1 = w1 y0 + b1.",
    "no_b2": "The bias b2 seems to be missing: a2 = w2 y1 + b2.",
    "log_without_minus": "You seem to return ln y2[t]; E = -ln y2[t] (note the minus).",
    "probability": "You seem to return y2[t] itself; E = -ln y2[t].",
    "no_sigmoid": "The hidden layer seems to skip the sigmoid: y1 = sigmoid(a1).",
}


def _mistakes(weights, y0, t) -> dict:
    """What E would be for the usual forward mistakes."""
    return {text: np.array([reference.loss_variant(weights, y0, t, name)]) for name, text in MISTAKES.items()}


def _check_losses(student, sizes, cases, seed):
    """E for each case; every forward is called before any E is looked at (a hidden test's calls
    must not depend on its verdicts: engine/grading/verdicts.py)."""
    weights = random_weights(sizes, seed)
    net = student_network(student, sizes, weights)
    returned = [student.call(net, "forward", y0, int(t), label="Network.forward") for y0, t in cases]
    for (y0, t), value in zip(cases, returned):
        got = read_loss(value).require()  # a value whose number is clear is judged on it (its type: 2.2)
        want = reference.loss(weights, y0, t)
        mistakes = _mistakes(weights, y0, t)  # always, so build records them for the bundle's hints too
        result = close(got, want, LOSS)
        if not result.ok:
            hint = likely_mistake(np.array([got]), np.array([want]), mistakes)
            raise Feedback(f"forward: E for t = {t} is {fmt_exact(got)}, expected {fmt_exact(want)} "
                           f"(difference {result.difference:.3g} > tolerance {result.tolerance:.3g}; "
                           f"M0, M1, N = {sizes})." + (f"\n  {hint}" if hint else ""))


@weight(4)
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
    reading = forward_computes_E(student, net, weights, random_input(SMALL, 7), 1, "the type of E")
    if reading.problem:
        raise Feedback(reading.problem)


@weight(2)
@number("2.3")
@tags("forward")
@visibility("visible")
def test_input_not_modified(student):
    """forward: the input y0 is not modified"""
    weights = random_weights(SMALL, 3)
    net = student_network(student, SMALL, weights)
    y0 = random_input(SMALL, 4)
    forward_computes_E(student, net, weights, y0, 0, "leaving y0 untouched")
    _, mutated = student.call(net, "forward", y0, 0, label="Network.forward", echo_args=True)
    if mutated and mutated[0]:
        raise Feedback("forward: your forward changed the input y0 in place. Work on a copy "
                       "(e.g. y0 = y0.copy(), or avoid in-place operators such as += on it).")


@weight(2)
@number("2.6")
@tags("forward")
@visibility("visible")
def test_loss_over_a_sequence_of_calls(student):
    """forward: one network called five times (other inputs, classes and weights, a backward after each) returns the E of each call"""
    sequence.visible(student, forward=True).judge_forward()
