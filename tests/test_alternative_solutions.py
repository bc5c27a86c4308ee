"""Correct solutions written differently get full marks: other styles, other initialisations."""

import pytest

from .helpers import SUBMISSIONS, solution_files

W1 = "rng.normal(0.0, 1.0 / np.sqrt(M0), size=(M1, M0))"
W2 = "rng.normal(0.0, 1.0 / np.sqrt(M1), size=(N, M1))"

# the initialisation is the student's choice, and the contract allows other ways to compute the
# same thing: none of these may cost a point anywhere
VARIANTS = {
    "tiny_gaussian": {W1: "rng.normal(0.0, 0.01, size=(M1, M0))", W2: "rng.normal(0.0, 0.01, size=(N, M1))"},
    "very_tiny_gaussian": {W1: "rng.normal(0.0, 0.001, size=(M1, M0))", W2: "rng.normal(0.0, 0.001, size=(N, M1))"},
    "unit_gaussian": {W1: "rng.normal(0.0, 1.0, size=(M1, M0))", W2: "rng.normal(0.0, 1.0, size=(N, M1))"},
    "zero_w2": {W2: "np.zeros((N, M1))"},
    "global_numpy_seed": {"rng = np.random.default_rng(seed)": "np.random.seed(seed); rng = np.random",
                          W1: "0.1 * rng.randn(M1, M0)", W2: "0.1 * rng.randn(N, M1)"},
    "small_random_biases": {"self.b1 = np.zeros(M1)": "self.b1 = rng.normal(0.0, 0.01, size=M1)"},
    "stable_softmax_then_log": {
        "        log_y2 = shifted - np.log(np.sum(np.exp(shifted)))\n        self.y2 = np.exp(log_y2)\n"
        "        self.E = float(-log_y2[self.t])":
        "        e = np.exp(shifted)\n        self.y2 = e / e.sum()\n        self.E = float(-np.log(self.y2[self.t]))"},
    "textbook_sigmoid_numpy_scalar": {
        "self.y1 = 0.5 * (1.0 + np.tanh(0.5 * self.a1))": "self.y1 = 1.0 / (1.0 + np.exp(-self.a1))",
        "self.E = float(-log_y2[self.t])": "self.E = -log_y2[self.t]"},
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_other_correct_variants_get_full_marks(name, homework, make_submission, grade_in_process):
    files = solution_files(homework)
    for old, new in VARIANTS[name].items():
        assert old in files["network.py"]
        files["network.py"] = files["network.py"].replace(old, new)
    results = grade_in_process(make_submission(files))
    assert {t.number: t.output for t in results.tests if t.status != "passed"} == {}


@pytest.mark.parametrize("folder", ["alt_correct", "alt_procedural", "copied_alt"])
def test_other_styles_get_full_marks(folder, grade_in_process):
    results = grade_in_process(SUBMISSIONS / folder)
    assert {t.number: t.output for t in results.tests if t.status != "passed"} == {}
    assert results.score == 100
