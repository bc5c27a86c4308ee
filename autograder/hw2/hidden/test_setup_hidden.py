"""setup, hidden: the digits' size and other seeds."""

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.engine.grading.checks import Feedback

from ..gates import setup_made_weights
from ..support import raw_weights, student_network
from . import HIDDEN


@weight(3)
@number("1.3")
@tags("setup")
@visibility("after_published")
def test_other_sizes_and_seeds(student):
    """setup: shapes and reproducibility at the digits' size (M0=64, M1=13, N=10), other seeds"""
    seeds = (1, 12345)
    returned = [raw_weights(student, student_network(student, HIDDEN, seed=seed))  # every call first
                for seed in seeds for _ in range(2)]
    for k, seed in enumerate(seeds):
        first, again = (setup_made_weights(values, HIDDEN) for values in returned[2 * k:2 * k + 2])
        for key in first:
            if not np.array_equal(first[key], again[key]):
                raise Feedback(f"setup: two calls with seed={seed} gave different {key}.")
        if np.all(first["w1"] == first["w1"].flat[0]):
            raise Feedback("setup: every entry of w1 is the same: initialise it with small random values.")
