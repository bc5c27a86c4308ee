"""The own-forward rule as a property, through Gradescope's flow: a forward that is the network's loss
plus any function of the weights alone (a regulariser) is the network for judging backward against
its own finite differences; one that depends on y0 otherwise than the network does earns nothing
through them."""

from .helpers import PROJECT
from .test_integrity import failed, variant

LAMBDA = "1e-2"
PENALTY_ON_W = f'''
_forward, _backward = Network.forward, Network.backward
def _penalised(self, y0, t):
    return _forward(self, y0, t) + {LAMBDA} * float(np.sum(self.w1 ** 2) + np.sum(self.w2 ** 2))
def _penalised_backward(self, lr=0.0):
    g = _backward(self, 0.0)
    g["w1"], g["w2"] = g["w1"] + 2 * {LAMBDA} * self.w1, g["w2"] + 2 * {LAMBDA} * self.w2
    if lr:
        for k in ("w1", "b1", "w2", "b2"):
            setattr(self, k, getattr(self, k) - lr * g[k])
    return g
Network.forward, Network.backward = _penalised, _penalised_backward
'''
# lambda ||w1 y0||^2: looks like a weight penalty, but depends on y0 (through w1 y0, not a1 = w1 y0 + b1)
PENALTY_ON_W1_Y0 = f'''
_forward, _backward = Network.forward, Network.backward
def _penalised(self, y0, t):
    E = _forward(self, y0, t)
    a = self.w1 @ self.y0
    return E + {LAMBDA} * float(a @ a)
def _penalised_backward(self, lr=0.0):
    g = _backward(self, 0.0)
    a = self.w1 @ self.y0
    g["w1"] = g["w1"] + 2 * {LAMBDA} * np.outer(a, self.y0)
    g["y0"] = g["y0"] + 2 * {LAMBDA} * self.w1.T @ a
    if lr:
        for k in ("w1", "b1", "w2", "b2"):
            setattr(self, k, getattr(self, k) - lr * g[k])
    return g
Network.forward, Network.backward = _penalised, _penalised_backward
'''


def _stage_scores(results) -> dict:
    scores: dict = {}
    for t in results.tests:
        got, top = scores.get(t.tags[0], (0.0, 0.0))
        scores[t.tags[0]] = (got + t.score, top + t.max_score)
    return scores


def test_a_penalty_on_the_weights_costs_forward_only(gradescope, homework, make_submission):
    results = gradescope(make_submission(variant(homework, network_append=PENALTY_ON_W)))
    scores = _stage_scores(results)
    assert scores["forward"][0] == 0, scores  # E is not the network's loss: every forward test
    assert all(got == top for stage, (got, top) in scores.items() if stage != "forward"), scores
    assert results.score == 80


def test_the_penalty_term_of_the_corpus_loses_forward_and_keeps_every_other_point(gradescope):
    """tests/fairness/degenerate/penalty_term: the penalty on every parameter, biases too."""
    results = gradescope(PROJECT / "tests" / "fairness" / "degenerate" / "penalty_term")
    scores = _stage_scores(results)
    assert scores["forward"] == (0, 20) and scores["backward"] == (30, 30), scores
    assert results.score == 80, scores


def test_a_penalty_that_depends_on_y0_earns_nothing_through_its_own_forward(gradescope, homework, make_submission):
    out = failed(gradescope(make_submission(variant(homework, network_append=PENALTY_ON_W1_Y0))))
    # dE/dw1 (3.2.7) and dE/dy0 (3.2.9) are right for this forward only, which is not the network
    for number in ("3.2.7", "3.2.9"):
        assert number in out and "fix forward first" in out[number], out.get(number)
    assert "3.4" in out


def test_the_second_input_differences_a_subset_that_still_tells_the_regulariser_apart():
    """plan_other: the second input's entries are some of the first's, every row of w2 among them (dE/db2's
    share is read off them) and M1 + 6 of y0's (dE/da1 is solved from them with 6 to spare)."""
    import numpy as np

    from autograder.hw2.gradients import OwnForward
    from autograder.hw2.hidden import HIDDEN
    from autograder.hw2.support import SMALL, random_weights
    for sizes in (SMALL, HIDDEN):
        weights, y0 = random_weights(sizes, 41, scale=0.3), np.linspace(0, 1, sizes[0])
        entries, _, first = OwnForward.plan(weights, y0)
        other, _, second = OwnForward.plan_other(weights, y0, entries)
        assert all(np.isin(other[name], entries[name]).all() for name in entries)
        assert set(other["w2"] // sizes[1]) == set(range(sizes[2]))
        assert len(other["y0"]) == min(sizes[1] + 6, len(entries["y0"])) and len(second) < 0.6 * len(first)
