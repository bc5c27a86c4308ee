"""backward, hidden: all nine gradients at the digits' size on a real image."""

from gradescope_utils.autograder_utils.decorators import number, partial_credit, tags, visibility, weight

from autograder.engine.grading.checks import Feedback
from autograder.engine.grading.notes import note

from ..gates import backward_computes_gradients, gradients_right_on_a_fresh_network
from ..gradients import ORDER, Backward
from ..support import random_weights
from . import HIDDEN
from .sequence import hidden as hidden_sequence


def _hidden_case(student, data) -> Backward:
    """Test 3.4's case (one forward and backward(0) at the digits' size), shared with 3.7's gate."""
    images, labels = data
    return Backward.shared(student, HIDDEN, random_weights(HIDDEN, 41, scale=0.3), images[1612], int(labels[1612]),
                           key="hidden")


@partial_credit(4)
@number("3.4")
@tags("backward")
@visibility("after_published")
def test_all_gradients_hidden(student, data, set_score=None):
    """backward: all nine gradients at the digits' size on a real image (a share of points each)"""
    case = _hidden_case(student, data)
    failures, notes = [], []
    for name in ORDER:
        try:
            notes.append(case.judge(name))
        except Feedback as exc:
            failures.append(str(exc))
    set_score(4 * (len(ORDER) - len(failures)) / len(ORDER))
    note("\n".join(filter(None, notes)))
    if failures:
        raise Feedback(f"{len(ORDER) - len(failures)} of {len(ORDER)} gradients right.\n" + "\n".join(failures))


@weight(2)
@number("3.7")
@tags("backward")
@visibility("after_published")
def test_gradients_over_training_steps(student, data):
    """backward: one network at the digits' size, six forwards on real digits and a backward after each (lr = 0 and 0.5), returns the gradients of each call"""
    calls = hidden_sequence(student, data)
    case = _hidden_case(student, data)  # every call made: now judge
    backward_computes_gradients(case, "a sequence of calls on one network", see="test 3.4")
    calls.judge_backward(gradients_right_on_a_fresh_network(case, "a sequence of calls on one network",
                                                            see="test 3.4"))
