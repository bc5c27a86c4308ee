"""Every hint the feedback can give names a cause the grader checked, so each must stay silent on a
submission that is wrong in another way. HINTS lists every hint of engine/grading/checks.py and
autograder/hw2 (a phrase only it contains); SILENT grades submissions with one mistake each through
the real engine and asserts that no hint outside the ones their mistake earns appears anywhere in
their feedback; every hint is asserted silent on at least one of them."""

from __future__ import annotations

import pytest

from autograder.hw2.known_bugs import by_name

from .helpers import PROJECT, solution_files

HINTS = {
    # engine/grading/checks.py
    "transposed": "Looks transposed",
    "reshape": "Same number of entries, wrong shape",
    "all zeros": "It is all zeros.",
    "sign flipped": "The sign is flipped",
    "constant factor": "Off by a constant factor",
    "0-d array": "received a 0-d array",
    "forgot a return": "did you forget a return?",
    # forward (test_forward.MISTAKES, 2.3, 2.5)
    "no b1": "b1 seems to be missing",
    "no b2": "b2 seems to be missing",
    "no minus": "(note the minus)",
    "probability": "You seem to return y2[t] itself",
    "no sigmoid": "seems to skip the sigmoid",
    "forward changes y0": "your forward changed the input y0 in place",
    "large logits": "log-sum-exp",
    # setup
    "symmetry": "would all learn the same thing",
    "seed": "gave different",
    # backward (gradients.py, test_backward.py)
    "step wrong": "so this step is wrong",
    "upstream wrong": "is wrong too, and this one is computed from it",
    "not the network": "fix forward first",
    "own forward": "is checked against what your forward computes",
    "lr = 0 steps": "with lr = 0 the weights",
    "second backward": "a second backward(0) after the same forward",
    # update
    "not updated": "was not updated",
    "up the gradient": "moved up the gradient",
    "step twice": "took the step twice",
    "no step to see": "so no step along it can be seen",
    # attack
    "one row": "computed over one row only",
    "absolute values": "Take absolute values",
    "inf without abs": "with the absolute value",
    "root-mean-square": "root-mean-square",
    "wrong way": "The step goes the wrong way",
    "not clipped": "The result is not clipped to [0, 1]",
    "sign for L2": "not its sign",
    "large guard": "guard far larger than needed",
    "default steps": "the default steps = 10, not the steps given",
    "eps over steps": "eps / steps, not 2.5 * eps / steps",
    "step eps": "eps, whatever steps is",
    "attack changes y0": "changed the input y0 in place; work on a copy",
    "moves the network": "the model is fixed, only the input moves",
    "untargeted direction": "Step along +sign(dE/dy0)",
    "targeted direction": "-sign(dE/dy0) computed for the target",
}

PENALTY = PROJECT / "tests" / "fairness" / "degenerate" / "penalty_term"
NO_PROJECTION = by_name("attack_no_projection")


def _edit(homework, network=(), attack=()) -> dict:
    files = solution_files(homework)
    for name, edits in (("network.py", network), ("attack.py", attack)):
        for old, new in edits:
            assert files[name].count(old) == 1, old
            files[name] = files[name].replace(old, new)
    return files


# name -> (files(homework), the hints its mistake may earn)
SILENT = {
    # a forward that adds a penalty: E is off by a number, not by a factor, and no logit overflows
    "penalty term": (lambda hw: {p.name: p.read_text() for p in PENALTY.glob("*.py")}, set()),
    # a forward for the wrong class, backward consistent with it: finite E, so no large-logit facts
    "wrong class": (lambda hw: _edit(hw, [("        self.t = int(t)\n",
                                          "        self.t = (int(t) + 1) % self.b2.size\n")]),
                    set()),
    # a forward that remembers its first E
    "memoised E": (lambda hw: _edit(hw, [("        self.E = float(-log_y2[self.t])\n",
                                         "        self.E = getattr(self, 'E', None) or float(-log_y2[self.t])\n")]),
                   set()),
    # an attack that never projects: the root-mean-square ball never binds, so it names no norm
    "no projection": (lambda hw: NO_PROJECTION.apply(PROJECT / "solution"), set()),
    "no L2 projection": (lambda hw: _edit(hw, attack=[("    return delta * (eps / norm) if norm > eps else delta",
                                                       "    return delta")]), set()),
    "factor two": (lambda hw: by_name("backward_factor_two").apply(PROJECT / "solution"),
                   {"constant factor", "step wrong", "upstream wrong"}),
    "attack wrong sign": (lambda hw: by_name("attack_wrong_sign").apply(PROJECT / "solution"),
                          {"wrong way", "untargeted direction"}),
    "update wrong sign": (lambda hw: by_name("update_wrong_sign").apply(PROJECT / "solution"),
                          {"up the gradient"}),
    "missing b2": (lambda hw: by_name("forward_missing_b2").apply(PROJECT / "solution"),
                   {"no b2", "not the network"}),
    "lp_norm without abs": (lambda hw: by_name("lp_norm_no_abs").apply(PROJECT / "solution"),
                            {"absolute values"}),
    "constant weights": (lambda hw: by_name("setup_constant_weights").apply(PROJECT / "solution"), {"symmetry"}),
}


def test_every_hint_is_asserted_silent_somewhere():
    for name in HINTS:
        assert any(name not in allowed for _, allowed in SILENT.values()), name
    for _, allowed in SILENT.values():
        assert allowed <= set(HINTS), allowed - set(HINTS)


@pytest.fixture(scope="module")
def shown(homework, tmp_path_factory):
    """{submission: {hint: the tests whose feedback gives it}}, graded once per module."""
    from autograder.engine.commands.pool import grade_folders

    folders = []
    for name, (files, _) in SILENT.items():
        folder = tmp_path_factory.mktemp(name.replace(" ", "_"))
        for rel, text in files(homework).items():
            (folder / rel).write_text(text)
        folders.append(folder)
    graded = grade_folders(homework, folders, jobs=2)
    out = {}
    for name, (results, _) in zip(SILENT, graded):
        out[name] = {hint: [t.number for t in results.tests if text in (t.output or "")]
                     for hint, text in HINTS.items()}
        out[name] = {hint: tests for hint, tests in out[name].items() if tests}
    return out


@pytest.mark.parametrize("name", sorted(SILENT))
def test_hints_stay_silent_on_other_mistakes(name, shown):
    allowed = SILENT[name][1]
    wrong = {hint: tests for hint, tests in shown[name].items() if hint not in allowed}
    assert not wrong, f"{name}: hints for mistakes it does not make: {wrong}"


# -- the root-mean-square hint, where its ball binds and where it does not ---------------------------

def _rms_case(m0: int, eps: float):
    """An attack on a linear model of m0 inputs that projects with the root-mean-square, the contract's
    attack on the same input, and the redo check_limits is given."""
    import numpy as np

    from autograder.hw2.attacks import pgd, redo_binding
    from autograder.hw2.linear_model import LinearModel

    model = LinearModel(m0=m0, n=3, seed=5)
    y0 = np.random.default_rng(9).uniform(0.3, 0.7, m0)
    rms = pgd(model, y0, 0, eps, 2, 10, None, "untargeted", rms_ball=True)
    correct = pgd(model, y0, 0, eps, 2, 10, None, "untargeted")
    return rms, y0, correct, lambda: redo_binding(model, y0, 0, eps, 2, 10, "untargeted")


def _limits_feedback(y, y0, eps, redo_rms, correct) -> str:
    from autograder.engine.grading.checks import Feedback
    from autograder.hw2.attacks import check_limits

    with pytest.raises(Feedback) as caught:
        check_limits(y, y0, eps, 2, "untargeted", redo_rms=redo_rms, correct=correct)
    return str(caught.value)


def test_root_mean_square_is_named_where_its_ball_binds_and_reproduces_the_result():
    """4 inputs: the root-mean-square ball has radius 2 eps, and 10 default steps travel 2.5 eps."""
    y, y0, correct, redo_rms = _rms_case(4, 0.1)
    assert redo_rms() is not None
    assert "root-mean-square" in _limits_feedback(y, y0, 0.1, redo_rms, correct)


def test_root_mean_square_is_not_named_where_its_ball_never_binds():
    """64 inputs: radius 8 eps is never reached, so the result is also the attack without projection
    and names no norm (the issue's case: an attack that never projects)."""
    y, y0, correct, redo_rms = _rms_case(64, 0.1)
    assert redo_rms() is None
    text = _limits_feedback(y, y0, 0.1, redo_rms, correct)
    assert "left the budget" in text and "root-mean-square" not in text


def test_a_constant_factor_is_named_for_two_nonzero_entries_or_more_only():
    import numpy as np

    from autograder.engine.grading.checks import likely_mistake

    assert likely_mistake(np.array([2.2]), np.array([1.1])) == ""  # any two numbers have a ratio
    assert likely_mistake(np.array([0.0, 2.2, 0.0]), np.array([0.0, 1.1, 0.0])) == ""
    assert "constant factor" in likely_mistake(np.array([2.2, -0.6]), np.array([1.1, -0.3]))
    assert "sign is flipped" in likely_mistake(np.array([-1.1]), np.array([1.1]))
