"""Error carried forward (engine/grading/chain.py, hw2's chain in gradients.py), through Gradescope's flow:
a wrong step of backward's chain costs that step's points, not every step computed after it; a chain
of zeros or of copied values earns nothing."""

import numpy as np
import pytest

from autograder.engine.grading.chain import Chain, Step
from autograder.engine.grading.checks import Tolerance
from autograder.hw2.gradients import ORDER
from autograder.hw2.known_bugs import by_name

from .test_integrity import variant

TOL = Tolerance(rel=1e-5, abs=1e-12)
NUMBER = {name: f"3.2.{i}" for i, name in enumerate(ORDER, 1)}  # test 3.2's case of each gradient


def lost(results) -> dict:
    """{test number: points lost} of the backward and update tests."""
    return {t.number: round(t.max_score - t.score, 4) for t in results.tests
            if t.score < t.max_score and t.tags[0] in ("backward", "update")}


# the catalogue's backward bugs: the one gradient whose step each breaks, and the update tests a step
# that fails on shapes, or has no returned gradient to use, costs (the update's business, its own stage)
BROKEN_STEP = {"backward_dy2_sign": "y2", "backward_no_onehot": "a2", "backward_factor_two": "a2",
               "backward_sigmoid_derivative": "a1", "backward_dy0_skips_sigmoid": "y0",
               "backward_transposed_dw2": "w2", "backward_missing_db1": "b1"}
SHAPE_OR_KEY = {"backward_transposed_dw2", "backward_missing_db1"}  # test 3.1 names these too
UPDATE = {"4.1": 5.0, "4.2": 4.0, "4.3": 6.0}


@pytest.mark.parametrize("bug", sorted(BROKEN_STEP))
def test_a_catalogued_backward_bug_costs_only_the_step_it_breaks(bug, gradescope, homework, make_submission):
    results = gradescope(make_submission(by_name(bug).apply(homework.solution)))
    expected = {NUMBER[BROKEN_STEP[bug]]: 2.0, "3.4": round(4 / 9, 4)}
    if bug in SHAPE_OR_KEY:  # the update's tests too: its step fails on the shapes, or has no dE/db1 to use
        expected.update({"3.1": 2.0, **UPDATE})
    assert lost(results) == expected
    out = {t.number: t.output for t in results.tests}
    carried = [name for name in ORDER if "earns its points as a step" in out[NUMBER[name]]]
    if bug in ("backward_no_onehot", "backward_factor_two"):  # every gradient after dE/da2 is computed from it
        assert carried == ["w2", "b2", "y1", "a1", "w1", "b1", "y0"], carried
        assert "which is wrong (test 3.2.2)" in out["3.2.3"]
    elif bug == "backward_sigmoid_derivative":
        assert carried == ["w1", "b1", "y0"] and "which is wrong (test 3.2.6)" in out["3.2.7"]
        assert "Your dE/dy1 is right, so this step is wrong" in out["3.2.6"]
    else:  # nothing after the broken step is computed from it (dE/da2 from y2 directly, or the last step)
        assert carried == [], carried


FORGOT_SIGMOID = ("da1 = dy1 * self.y1 * (1.0 - self.y1)", "da1 = dy1.copy()")


def test_the_sigmoid_derivative_forgotten_costs_dE_da1_only(gradescope, homework, make_submission):
    """The usual mistake (dE/da1 = dE/dy1): dE/dw1, dE/db1 and dE/dy0 are right from it."""
    results = gradescope(make_submission(variant(homework, network=[FORGOT_SIGMOID])))
    assert lost(results) == {"3.2.6": 2.0, "3.4": round(4 / 9, 4)}
    assert results.score == pytest.approx(100 - 2 - 4 / 9)


ZERO_CHAIN = '''
_backward = Network.backward
def _zeros(self, lr=0.0):
    return {k: np.zeros_like(v) for k, v in _backward(self, 0.0).items()}
Network.backward = _zeros
'''
# dE/dy2 right, then each gradient a copy of the one before it where the shapes allow, zeros elsewhere
COPIED_CHAIN = '''
_backward = Network.backward
def _copied(self, lr=0.0):
    g = _backward(self, 0.0)
    h = np.full_like(g["y1"], 0.5)
    return {"y2": g["y2"], "a2": g["y2"].copy(), "b2": g["y2"].copy(), "w2": np.zeros_like(g["w2"]),
            "y1": h, "a1": h.copy(), "b1": h.copy(), "w1": np.zeros_like(g["w1"]), "y0": np.zeros_like(g["y0"])}
Network.backward = _copied
'''


@pytest.mark.parametrize("chain, right", [(ZERO_CHAIN, set()), (COPIED_CHAIN, {"3.2.1"})],
                         ids=["a chain of zeros", "a copied chain"])
def test_a_chain_without_work_earns_nothing_carried_forward(chain, right, gradescope, homework, make_submission):
    results = gradescope(make_submission(variant(homework, network_append=chain)))
    tests = {t.number: t for t in results.tests}
    assert {n for n in NUMBER.values() if tests[n].score == tests[n].max_score} == right
    assert tests["3.4"].score == pytest.approx(4 * len(right) / 9)
    assert not any("earns its points as a step" in t.output for t in results.tests)


# -- the engine's rule, on a chain of its own: u -> v = 2u (and c = v, an identity) -> w = v + 1 --------

def toy_chain() -> Chain:
    return Chain({"v": Step(("u",), lambda g: 2.0 * g, "v = 2u"),
                  "c": Step(("v",), lambda g: g, "c = v", identity=True),
                  "w": Step(("v",), lambda g: g + 1.0, "w = v + 1")})


def test_a_step_earns_on_the_students_own_upstream_value():
    chain, u = toy_chain(), np.array([1.0, -3.0])
    values = {"u": u, "v": 2 * u, "c": 2 * u, "w": 2 * u + 1}
    assert chain.carried("v", values, TOL).ok and chain.carried("w", values, TOL).ok
    assert chain.carried("c", values, TOL).ok  # an identity, beside w, which earns from the same v
    assert not chain.carried("w", dict(values, w=2 * u), TOL).ok  # a wrong step is judged, and fails
    assert chain.carried("u", values, TOL) is None  # the first has no step: right or nothing


def test_no_credit_without_work():
    chain, u = toy_chain(), np.array([1.0, -3.0])
    assert chain.carried("v", {"u": np.zeros(2), "v": np.zeros(2)}, TOL) is None       # zeros upstream
    assert chain.carried("v", {"u": np.array([np.nan, 1.0]), "v": u}, TOL) is None    # not finite
    assert chain.carried("v", {"u": None, "v": u}, TOL) is None                       # no numbers
    # a copied value: c = v with nothing computed from v (w wrong) earns nothing
    assert chain.carried("c", {"u": u, "v": 5 * u, "c": 5 * u, "w": 5 * u}, TOL) is None
    # a step that would not change its value earns nothing for passing it on
    same = Chain({"v": Step(("u",), lambda g: g * 1.0, "v = u, in this chain's words a change")})
    assert same.carried("v", {"u": u, "v": u}, TOL) is None


def test_two_wrong_steps_in_one_chain_cost_those_two_steps(gradescope, homework, make_submission):
    """dE/da2 doubled, then dE/dy0 from dE/dy1 instead of dE/da1: the steps between earn carried forward,
    and dE/dy0's feedback says its own step is wrong on the student's own dE/da1 too."""
    results = gradescope(make_submission(variant(homework, network=[
        ("da2 = self.y2 - onehot", "da2 = 2.0 * (self.y2 - onehot)"), ("dy0 = self.w1.T @ da1", "dy0 = self.w1.T @ dy1")])))
    assert lost(results) == {"3.2.2": 2.0, "3.2.9": 2.0, "3.4": round(8 / 9, 4)}
    out = {t.number: t.output for t in results.tests}
    assert "Your dE/da1 is wrong too, and this step is not right on it either" in out["3.2.9"]
    assert "earns its points as a step" in out["3.2.6"]
