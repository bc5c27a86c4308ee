"""Every grade tells the truth, through Gradescope's flow: one mistake costs the test named for it
and nothing else; a right answer in another form loses nothing; a hint names only a checked cause."""

import pytest

from .helpers import solution_files


def variant(homework, network=(), attack=(), network_append="") -> dict:
    files = solution_files(homework)
    for old, new in network:
        assert old in files["network.py"], old
        files["network.py"] = files["network.py"].replace(old, new)
    for old, new in attack:
        assert old in files["attack.py"], old
        files["attack.py"] = files["attack.py"].replace(old, new)
    files["network.py"] += network_append
    return files


def failed(results) -> dict:
    return {t.number: t.output for t in results.tests if t.status != "passed"}


GUARDED = "return grad / norm if norm > 0 else np.zeros_like(grad)"
MATRIX_GRADIENTS = '''
_backward = Network.backward
def _as_matrices(self, lr=0.0):
    return {k: (np.asmatrix(v) if v.ndim == 2 else v) for k, v in _backward(self, lr).items()}
Network.backward = _as_matrices
'''
FORWARD_NOT_A_NUMBER = '''
_forward = Network.forward
def _says_e(self, y0, t):
    _forward(self, y0, t)
    return "E"
Network.forward = _says_e
'''
SUM_OF_WEIGHTS = '''
def _sum_forward(self, y0, t):
    return float(self.w1.sum() + self.b1.sum() + self.w2.sum() + self.b2.sum())
def _consistent_backward(self, lr=0.0):
    g = {"y2": np.zeros(self.b2.size), "a2": np.zeros(self.b2.size), "y1": np.zeros(self.b1.size),
         "a1": np.zeros(self.b1.size), "y0": np.zeros(self.w1.shape[1])}
    for k in ("w1", "b1", "w2", "b2"):
        g[k] = np.ones_like(getattr(self, k))
        if lr:
            setattr(self, k, getattr(self, k) - lr * g[k])
    return g
Network.forward, Network.backward = _sum_forward, _consistent_backward
'''


def test_a_0d_E_costs_only_the_type_test(gradescope, homework, make_submission):
    results = gradescope(make_submission(variant(homework, [("        return self.E\n",
                                                             "        return np.array(self.E)\n")])))
    assert set(failed(results)) == {"2.2"}
    assert "0-d array" in failed(results)["2.2"] and "x[0]" not in failed(results)["2.2"]


def test_matrix_gradients_cost_only_the_shape_test(gradescope, homework, make_submission):
    results = gradescope(make_submission(variant(homework, network_append=MATRIX_GRADIENTS)))
    assert set(failed(results)) == {"3.1"}
    assert "numpy.matrix" in failed(results)["3.1"]


@pytest.mark.parametrize("guard", ["1e-12", "1e-10", "1e-7"])
def test_division_guards_in_the_L2_step_lose_nothing(guard, gradescope, homework, make_submission):
    edit = [(GUARDED, f"return grad / (np.linalg.norm(grad) + {guard})")]
    assert failed(gradescope(make_submission(variant(homework, attack=edit)))) == {}


def test_a_guard_far_larger_than_needed_is_named_with_its_size(gradescope, homework, make_submission):
    edit = [(GUARDED, "return grad / (np.linalg.norm(grad) + 1e-5)")]
    out = failed(gradescope(make_submission(variant(homework, attack=edit))))
    assert set(out) == {"5.8"}
    assert "guard far larger than needed" in out["5.8"] and "+ 1e-05" in out["5.8"]
    assert "difference" in out["5.8"] and "tolerance" in out["5.8"]


def test_a_root_mean_square_projection_is_named_only_where_its_ball_binds(gradescope, homework,
                                                                          make_submission):
    """On 64 pixels the root-mean-square ball (radius 8 eps) never binds in these tests: the result is
    also what no projection gives, so no norm is named (where it binds: tests/test_hints_silent.py)."""
    edit = [("    norm = lp_norm(delta, 2)\n    return delta * (eps / norm) if norm > eps else delta",
             "    norm = np.sqrt(np.mean(delta ** 2))\n    return delta * (eps / norm) if norm > eps else delta")]
    out = failed(gradescope(make_submission(variant(homework, attack=edit))))
    assert set(out) <= {"5.4", "5.6"} and "5.4" in out
    assert "left the budget" in out["5.4"] and "root-mean-square" not in out["5.4"]
    # a projection that is simply missing is not told about root-mean-squares
    missing = [("y = np.clip(y0 + _project(y - y0, eps, p), 0.0, 1.0)", "y = np.clip(y, 0.0, 1.0)")]
    out = failed(gradescope(make_submission(variant(homework, attack=missing))))
    assert "left the budget" in out["5.4"] and "root-mean-square" not in out["5.4"]


def test_a_right_backward_earns_its_points_when_forward_returns_no_number(gradescope, homework, make_submission):
    results = gradescope(make_submission(variant(homework, network_append=FORWARD_NOT_A_NUMBER)))
    lost = {t.tags[0] for t in results.tests if t.status != "passed"}
    assert lost == {"forward"}
    assert "so this step is wrong" not in "".join(t.output for t in results.tests)


def test_gradients_consistent_with_a_forward_that_is_not_the_network_earn_nothing(gradescope, homework,
                                                                                  make_submission):
    results = gradescope(make_submission(variant(homework, network_append=SUM_OF_WEIGHTS)))
    backward = [t for t in results.tests if t.tags == ["backward"]]
    assert sum(t.score for t in backward) == 0
    assert "does not depend on y0" in backward[1].output
    update = [t for t in results.tests if t.tags == ["update"]]
    assert all(t.status == "passed" for t in update)  # it steps along what it returned: the update's work


def test_a_backward_that_changes_what_forward_kept_fails_the_repeat_test(gradescope, homework, make_submission):
    edit = [("        da2 = self.y2 - onehot\n", "        self.y2 -= onehot\n        da2 = self.y2.copy()\n")]
    out = failed(gradescope(make_submission(variant(homework, edit))))
    assert set(out) == {"3.5"} and "second backward(0)" in out["3.5"]


def test_an_attack_ignoring_steps_fails_the_default_step_size_test(gradescope, homework, make_submission):
    edit = [("        step_size = 2.5 * eps / steps", "        step_size = 0.25 * eps")]
    out = failed(gradescope(make_submission(variant(homework, attack=edit))))
    assert set(out) == {"5.9"} and "the default steps = 10, not the steps given" in out["5.9"]


def test_a_wrong_gradient_costs_backward_not_update(gradescope, homework, make_submission):
    edit = [("da2 = self.y2 - onehot", "da2 = 2.0 * (self.y2 - onehot)")]
    results = gradescope(make_submission(variant(homework, edit)))
    assert {t.tags[0] for t in results.tests if t.status != "passed"} == {"backward"}


def test_log_of_zero_in_a_shifted_softmax_is_not_told_to_subtract_the_max(gradescope, homework, make_submission):
    edit = [("        self.E = float(-log_y2[self.t])",
             "        onehot = np.eye(self.y2.size)[self.t]\n"
             "        self.E = float(-np.sum(onehot * np.log(np.exp(shifted) / np.sum(np.exp(shifted)))))")]
    out = failed(gradescope(make_submission(variant(homework, edit))))
    assert set(out) == {"2.5"}
    assert "exactly 0 in float64" in out["2.5"] and "Use a stable softmax" not in out["2.5"]


def test_what_the_code_printed_reaches_results_json(gradescope, homework, make_submission):
    edit = [("        self.t = int(t)\n", "        self.t = int(t)\n        print('forward saw t =', t)\n")]
    results = gradescope(make_submission(variant(homework, edit)))
    assert results.score == 100
    assert "What your code printed" in results.output and "forward saw t = 2" in results.output


def test_a_backward_that_steps_with_lr_zero_loses_3_3(gradescope, homework, make_submission):
    """Every backward case also takes the finite differences of forward, which leave the grader's
    weights set again: 3.3 must read the weights backward(0) left before that."""
    edit = [("        if lr != 0:\n            self.w1 = self.w1 - lr * dw1",
             "        if True:\n            self.w1 = self.w1 - (lr or 1e-3) * dw1")]
    out = failed(gradescope(make_submission(variant(homework, edit))))
    assert "3.3" in out and "with lr = 0 the weights w1 changed" in out["3.3"]
