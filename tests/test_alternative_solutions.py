"""Correct solutions written differently get full marks: other styles, other initialisations."""

import pytest

from .helpers import SUBMISSIONS, solution_files

W1 = "rng.normal(0.0, 1.0 / np.sqrt(M0), size=(M1, M0))"
W2 = "rng.normal(0.0, 1.0 / np.sqrt(M1), size=(N, M1))"

# the initialisation is the student's choice: none of these may cost a point anywhere
INITS = {
    "tiny_gaussian": {W1: "rng.normal(0.0, 0.01, size=(M1, M0))", W2: "rng.normal(0.0, 0.01, size=(N, M1))"},
    "very_tiny_gaussian": {W1: "rng.normal(0.0, 0.001, size=(M1, M0))", W2: "rng.normal(0.0, 0.001, size=(N, M1))"},
    "unit_gaussian": {W1: "rng.normal(0.0, 1.0, size=(M1, M0))", W2: "rng.normal(0.0, 1.0, size=(N, M1))"},
    "zero_w2": {W2: "np.zeros((N, M1))"},
    "global_numpy_seed": {"rng = np.random.default_rng(seed)": "np.random.seed(seed); rng = np.random",
                          W1: "0.1 * rng.randn(M1, M0)", W2: "0.1 * rng.randn(N, M1)"},
    "small_random_biases": {"self.b1 = np.zeros(M1)": "self.b1 = rng.normal(0.0, 0.01, size=M1)"},
}


@pytest.mark.parametrize("name", sorted(INITS))
def test_other_initialisations_get_full_marks(name, homework, make_submission, grade_in_process):
    files = solution_files(homework)
    for old, new in INITS[name].items():
        assert old in files["network.py"]
        files["network.py"] = files["network.py"].replace(old, new)
    results = grade_in_process(make_submission(files))
    assert {t.number: t.output for t in results.tests if t.status != "passed"} == {}


@pytest.mark.parametrize("folder", ["alt_correct", "alt_procedural", "copied_alt"])
def test_other_styles_get_full_marks(folder, grade_in_process):
    results = grade_in_process(SUBMISSIONS / folder)
    assert {t.number: t.output for t in results.tests if t.status != "passed"} == {}
    assert results.score == 100
