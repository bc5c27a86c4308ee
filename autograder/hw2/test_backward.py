"""backward(lr): every dE/d-variable with that variable's shape, each the gradient of E from the last forward."""

import numpy as np
import pytest
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.checks import Feedback, close, numbers_of
from autograder.engine.grading.notes import note

from . import sequence
from .gates import backward_computes_gradients, gradients_right_on_a_fresh_network
from .gradients import ORDER, Backward
from .support import PARAMETERS, SMALL, random_input, random_weights, student_network
from .tolerances import REPEAT


def _small_case(student):
    return Backward.shared(student, SMALL, random_weights(SMALL, 31), random_input(SMALL, 32), 2, key="small")


@weight(2)
@number("3.1")
@tags("backward")
@visibility("visible")
def test_keys_and_shapes(student):
    """backward: returns every key of the contract, each with exactly its variable's shape"""
    case = _small_case(student)
    missing = case.keys_missing()
    if missing:
        raise Feedback(f"backward: the returned dict lacks {', '.join(repr(k) for k in missing)} "
                       f"(keys needed: {', '.join(ORDER)}).")
    for name in ORDER:
        case.gradient(name)
    backward_computes_gradients(case, "the shape of each gradient")


@pytest.mark.parametrize("name", ORDER)
@weight(2)
@number("3.2")
@tags("backward")
@visibility("visible")
def test_gradient(student, name):
    """backward: dE/d{name} is the true gradient (or your own forward's, where your forward is off; or its step done right on your own upstream gradient)"""
    note(_small_case(student).judge(name, see=lambda up: f"test 3.2.{ORDER.index(up) + 1}"))


@weight(2)
@number("3.3")
@tags("backward")
@visibility("visible")
def test_zero_learning_rate_keeps_weights(student):
    """backward: lr=0 leaves w1, b1, w2, b2 bit-for-bit unchanged"""
    case = _small_case(student)
    backward_computes_gradients(case, "lr = 0 leaving the weights alone")
    after = case.weights_after()
    changed = [k for k in PARAMETERS if not np.array_equal(after[k], case.weights[k])]
    if changed:
        raise Feedback(f"backward: with lr = 0 the weights {', '.join(changed)} changed. Only update them "
                       f"when lr != 0, and never in place on arrays you return.")


@weight(1)
@number("3.5")
@tags("backward")
@visibility("visible")
def test_second_backward_gives_the_same_gradients(student):
    """backward: a second backward(0) after one forward returns the same gradients (of E from the last forward)"""
    case = _small_case(student)
    backward_computes_gradients(case, "a repeated backward(0)")
    weights, y0 = random_weights(SMALL, 33), random_input(SMALL, 34)
    net = student_network(student, SMALL, weights)
    student.call(net, "forward", y0, 1, label="Network.forward")
    first = student.call(net, "backward", 0.0, label="Network.backward")
    second = student.call(net, "backward", 0.0, label="Network.backward (again)")
    if not isinstance(first, dict) or not isinstance(second, dict):
        raise Feedback("backward: it must return the dict of gradients every time it is called.")
    differ = []
    for name in ORDER:
        if name in first and name in second:
            a, b = numbers_of(first[name]), numbers_of(second[name])
            if a is None or b is None or a.shape != b.shape or not close(b, a, REPEAT).ok:
                differ.append(name)
    if differ:
        raise Feedback(f"backward: a second backward(0) after the same forward returned other dE/d"
                       f"{', dE/d'.join(differ)}. backward must return the gradients of E from the last "
                       f"forward: do not change the values forward kept (e.g. with -= or *= on them).")



@weight(1)
@number("3.6")
@tags("backward")
@visibility("visible")
def test_gradients_over_a_sequence_of_calls(student):
    """backward: on one network called five times (other inputs, classes and weights; lr = 0 and lr > 0), each backward returns the gradients of its own forward"""
    case = _small_case(student)
    calls = sequence.visible(student)
    backward_computes_gradients(case, "a sequence of calls on one network")
    calls.judge_backward(gradients_right_on_a_fresh_network(case, "a sequence of calls on one network"))
