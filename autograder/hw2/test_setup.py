"""setup(M0, M1, N, seed): w1 (M1, M0), b1 (M1,), w2 (N, M1), b2 (N,), float64, finite."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.checks import Feedback

from .gates import setup_made_weights
from .support import PARAMETERS, SMALL, raw_weights, student_network


def _weights_after_setup(student, sizes, seed=0):
    net = student_network(student, sizes, seed=seed)
    return setup_made_weights(raw_weights(student, net), sizes)


@weight(4)
@number("1.1")
@tags("setup")
@visibility("visible")
def test_shapes_dtype_finite(student):
    """setup: w1, b1, w2, b2 have the contract's shapes, float64, finite (M0=7, M1=5, N=3)"""
    _weights_after_setup(student, SMALL)


@weight(3)
@number("1.2")
@tags("setup")
@visibility("visible")
def test_symmetry_and_seed(student):
    """setup: weights break symmetry, and the same seed gives the same weights"""
    first = _weights_after_setup(student, SMALL, seed=3)
    # w1 is what makes the hidden units differ; a constant w2 (zeros, say) still trains
    if np.all(first["w1"] == first["w1"].flat[0]):
        raise Feedback(f"setup: every entry of w1 is {first['w1'].flat[0]:g}: the hidden units would all "
                       f"learn the same thing. Initialise w1 with small random values.")
    again = _weights_after_setup(student, SMALL, seed=3)
    for key in PARAMETERS:
        if not np.array_equal(first[key], again[key]):
            raise Feedback(f"setup: two calls with seed=3 gave different {key}. Make your random numbers "
                           f"depend only on seed, e.g. rng = np.random.default_rng(seed).")
