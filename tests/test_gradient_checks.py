"""The gradient checks judge correct gradients right at every size, and wrong ones wrong."""

import numpy as np
import pytest

from autograder.engine.sandbox.student import Sandbox, Student
from autograder.hw2.gradients import ORDER, Backward
from autograder.hw2.support import random_input, random_weights

from .helpers import PROJECT


@pytest.fixture(scope="module")
def student():
    sandbox = Sandbox()
    files = {n: str(PROJECT / "solution" / n) for n in ("network.py", "attack.py")}
    yield Student(sandbox, files, call_seconds=60)
    sandbox.shutdown()


@pytest.mark.parametrize("m0", [5, 64, 784, 3072])
def test_the_reference_passes_at_every_size(student, m0):
    """Tiny entries at large M0 once failed on finite-difference round-off (FLOOR)."""
    sizes = (m0, 32, 10)
    case = Backward(student, sizes, random_weights(sizes, 1, scale=1 / np.sqrt(m0)), random_input(sizes, 2), 3)
    for name in ORDER:
        case.judge(name)
