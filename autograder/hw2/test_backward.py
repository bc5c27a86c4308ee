"""backward(lr): every dE/d-variable with that variable's shape, checked against finite differences."""

import numpy as np
import pytest
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.checks import Feedback

from .gradients import ORDER, Backward
from .support import SMALL, random_input, random_weights, student_weights


def _small_case(student):
    return Backward(student, SMALL, random_weights(SMALL, 31), random_input(SMALL, 32), 2)


@weight(4)
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


@pytest.mark.parametrize("name", ORDER)
@weight(2)
@number("3.2")
@tags("backward")
@visibility("visible")
def test_gradient(student, name):
    """backward: dE/d{name} matches finite differences of your forward and the reference"""
    _small_case(student).judge(name)


@weight(2)
@number("3.3")
@tags("backward")
@visibility("visible")
def test_zero_learning_rate_keeps_weights(student):
    """backward: lr=0 leaves w1, b1, w2, b2 bit-for-bit unchanged"""
    case = _small_case(student)
    after = student_weights(student, case.net, SMALL)
    changed = [k for k in ("w1", "b1", "w2", "b2") if not np.array_equal(after[k], case.weights[k])]
    if changed:
        raise Feedback(f"backward: with lr = 0 the weights {', '.join(changed)} changed. Only update them "
                       f"when lr != 0, and never in place on arrays you return.")
