"""backward, hidden: all nine gradients at the digits' size on a real image."""

from gradescope_utils.autograder_utils.decorators import number, partial_credit, tags, visibility

from autograder.engine.grading.checks import Feedback

from ..gradients import ORDER, Backward
from ..support import random_weights
from . import HIDDEN


@partial_credit(6)
@number("3.4")
@tags("backward")
@visibility("after_published")
def test_all_gradients_hidden(student, data, set_score=None):
    """backward: all nine gradients at the digits' size on a real image (a share of points each)"""
    images, labels = data
    case = Backward(student, HIDDEN, random_weights(HIDDEN, 41, scale=0.3), images[1612], int(labels[1612]))
    failures = []
    for name in ORDER:
        try:
            case.judge(name)
        except Feedback as exc:
            failures.append(str(exc))
    set_score(6 * (len(ORDER) - len(failures)) / len(ORDER))
    if failures:
        raise Feedback(f"{len(ORDER) - len(failures)} of {len(ORDER)} gradients right.\n" + "\n".join(failures))
