"""One network used as training and attacks use it (tests 2.6, 2.7, 3.6, 3.7), through Gradescope's flow:
a stale cache costs the stage of the function that went stale, once; correct code loses nothing."""

import pytest

from .helpers import PROJECT
from .test_integrity import variant

CORPUS = PROJECT / "tests" / "fairness" / "degenerate"
SEQUENCE_TESTS = {"2.6", "2.7", "3.6", "3.7"}

STALE_BACKWARD = '''
_backward = Network.backward
def _stale_backward(self, lr=0.0):
    if not hasattr(self, "_kept"):  # the cache is filled once and never refreshed
        self._kept = {k: v.copy() for k, v in _backward(self, 0.0).items()}
    g = {k: v.copy() for k, v in self._kept.items()}
    if lr != 0:
        for k in ("w1", "b1", "w2", "b2"):
            setattr(self, k, getattr(self, k) - lr * g[k])
    return g
Network.backward = _stale_backward
'''
FIRST_E_FOREVER = '''
_forward = Network.forward
def _first_E(self, y0, t):
    E = _forward(self, y0, t)  # what backward needs is refreshed; the value returned is not
    return self.__dict__.setdefault("_first_E", E)
Network.forward = _first_E
'''
E_BY_T = '''
_forward = Network.forward
def _E_by_t(self, y0, t):
    memo = self.__dict__.setdefault("_E_by_t", {})
    if int(t) not in memo:
        memo[int(t)] = _forward(self, y0, t)
    return memo[int(t)]
Network.forward = _E_by_t
'''
BACKWARD_NOT_WRITTEN = '''
def _not_yet(self, lr=0.0):
    raise NotImplementedError
Network.backward = _not_yet
'''


def lost(results) -> dict:
    """{test number: its stage} of every test that did not pass."""
    return {t.number: t.tags[0] for t in results.tests if t.status != "passed"}


def test_a_stale_cache_backward_loses_the_sequence_backward_tests_only(gradescope, homework, make_submission):
    results = gradescope(make_submission(variant(homework, network_append=STALE_BACKWARD)))
    assert lost(results) == {"3.6": "backward", "3.7": "backward"}
    out = {t.number: t.output for t in results.tests}
    assert "Yours is dE/d" in out["3.6"] and "of call 1 of 5" in out["3.6"] and "kept from an earlier call" in out["3.6"]
    assert results.score == 97


@pytest.mark.parametrize("memo", [FIRST_E_FOREVER, E_BY_T], ids=["first E forever", "E by t"])
def test_a_memoised_forward_loses_forward_points_only(memo, gradescope, homework, make_submission):
    results = gradescope(make_submission(variant(homework, network_append=memo)))
    stages = lost(results)
    assert {"2.6", "2.7"} <= set(stages) and set(stages.values()) == {"forward"}, stages
    out = {t.number: t.output for t in results.tests}
    assert "Yours is the E of call 1" in out["2.6"] and "kept from an earlier call" in out["2.6"]


@pytest.mark.parametrize("name", ["sequence_stale_backward", "sequence_first_E", "sequence_E_by_t"])
def test_the_corpus_cases_lose_their_own_stage_only(name, gradescope):
    stages = lost(gradescope(CORPUS / name))
    expected = "backward" if "backward" in name else "forward"
    assert set(stages.values()) == {expected} and set(stages) & SEQUENCE_TESTS, stages


def test_a_backward_not_written_yet_costs_no_forward_point(gradescope, homework, make_submission):
    """The forward tests' sequence has a backward after each forward; where backward raises, they judge
    the same forwards alone."""
    stages = lost(gradescope(make_submission(variant(homework, network_append=BACKWARD_NOT_WRITTEN))))
    assert "forward" not in stages.values() and {"3.6", "3.7"} <= set(stages), stages


def test_the_truth_of_each_call_comes_from_the_weights_read_not_from_the_steps(gradescope, homework,
                                                                                 make_submission):
    """An update that steps twice moves the weights elsewhere than the contract's step: the sequence's
    later calls are judged at the weights the network holds, so only the update's tests fail."""
    edit = [("            self.w1 = self.w1 - lr * dw1", "            self.w1 = self.w1 - 2 * lr * dw1")]
    stages = lost(gradescope(make_submission(variant(homework, edit))))
    assert set(stages.values()) == {"update"}, stages


STEP_RAISES = '''
_backward = Network.backward
def _no_step_yet(self, lr=0.0):
    if lr:
        raise NotImplementedError("the update comes next week")
    return _backward(self, 0.0)
Network.backward = _no_step_yet
'''


def test_a_step_that_raises_costs_the_update_tests_only(gradescope, homework, make_submission):
    """The sequences (3.6, 3.7) take steps; where backward(lr) raises there, they make the same calls
    with lr = 0: the step is the update's business."""
    results = gradescope(make_submission(variant(homework, network_append=STEP_RAISES)))
    stages = lost(results)
    assert set(stages.values()) == {"update"} and set(stages) == {"4.1", "4.2", "4.3"}, stages
